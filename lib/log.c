/* SPDX-License-Identifier: ISC */
#include "xenvif/log.h"

#include <stdarg.h>
#include <stdio.h>

void xv_vsay(const struct xv_log *log, enum xv_log_level level, const char *fmt,
	     va_list ap)
{
	char msg[1024];

	if (!log->say)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	log->say(log->ctx, level, msg);
}

void xv_say(const struct xv_log *log, enum xv_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xv_vsay(log, level, fmt, ap);
	va_end(ap);
}
