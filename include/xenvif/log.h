/* SPDX-License-Identifier: ISC */
/*
 * Where the library's modules say what happened: a function of the
 * host's (the agent logs through net-snmp, tests collect), with the
 * levels it knows.  Every failure and its recovery is said once.
 */
#ifndef XENVIF_LOG_H
#define XENVIF_LOG_H

#include <stdarg.h>

enum xv_log_level {
	XV_LOG_ERR,
	XV_LOG_WARNING,
	XV_LOG_NOTICE,
	XV_LOG_INFO,
	XV_LOG_DEBUG, /* net-snmp debug token "xen-vif-agent" (-D) */
};

struct xv_log {
	void (*say)(void *ctx, enum xv_log_level level, const char *msg);
	void *ctx;
};

/* Says a formatted message through log (which may have no function). */
void xv_say(const struct xv_log *log, enum xv_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void xv_vsay(const struct xv_log *log, enum xv_log_level level, const char *fmt,
	     va_list ap) __attribute__((format(printf, 3, 0)));

#endif
