#include "xenvif/log.h"

#include <stdarg.h>
#include <stdio.h>

void xv_say(const struct xv_log *log, enum xv_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log->say)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log->say(log->ctx, level, msg);
}
