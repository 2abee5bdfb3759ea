/* SPDX-License-Identifier: ISC */
/*
 * Accounting periods: which period an instant falls in, on the
 * calendar of a time zone (a month starts at 00:00 of its DAY there,
 * daylight saving time included).
 */
#ifndef XENVIF_PERIOD_H
#define XENVIF_PERIOD_H

#include <stdint.h>
#include <time.h>

#include "xenvif/config.h"

/* The start of the period holding now, and the start of the next. */
void xv_period_bounds(const struct xv_period *p, time_t now, time_t *start,
		      time_t *next);

/*
 * SNMPv2-TC DateAndTime of t in the period's zone: 11 octets, with the
 * offset from UTC.  Returns the length.
 */
size_t xv_period_date_and_time(const struct xv_period *p, time_t t,
			       uint8_t out[11]);

#endif
