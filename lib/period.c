/* SPDX-License-Identifier: ISC */
#include "xenvif/period.h"

#include <stdlib.h>
#include <string.h>

/*
 * The C library knows one time zone at a time, the TZ variable's.
 * These functions switch it for their own work and put it back: the
 * agent is single-threaded, and its log stamps keep the host's zone.
 */
struct zone_switch {
	char *saved;
	int had;
};

static void zone_enter(struct zone_switch *z, const char *tz)
{
	const char *old = getenv("TZ");

	z->had = old != NULL;
	z->saved = old ? strdup(old) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void zone_leave(struct zone_switch *z)
{
	if (z->had && z->saved)
		setenv("TZ", z->saved, 1);
	else
		unsetenv("TZ");
	free(z->saved);
	tzset();
}

/* Midnight at the start of y-m-d (m 0-11; days may overflow, as
 * mktime normalises them), in the current zone. */
static time_t local_midnight(int year, int mon, int mday)
{
	struct tm tm = {.tm_year = year, .tm_mon = mon, .tm_mday = mday,
			.tm_isdst = -1};

	return mktime(&tm);
}

/*
 * Midnight starting a period that holds now.  Where the clock is set
 * back across midnight (daylight saving time ending there, or a zone
 * changing its standard offset, as Antarctica/Vostok did at 02:00 on
 * 2023-12-18), 00:00 happens twice and mktime may pick the later one,
 * after now.  The period then starts at the earlier one: a day with a
 * repeated hour is longer, and now is always inside its period.
 */
static time_t start_midnight(int year, int mon, int mday, time_t now)
{
	time_t t = local_midnight(year, mon, mday), best = -1;
	struct tm at, before;

	/* The clock went back at t: the same midnight came as many
	 * seconds earlier as the offset fell, and the day began then
	 * (before and after the second midnight alike). */
	time_t just_before = t - 1;
	if (localtime_r(&t, &at) && localtime_r(&just_before, &before) &&
	    before.tm_gmtoff > at.tm_gmtoff) {
		time_t u = t - (before.tm_gmtoff - at.tm_gmtoff);
		struct tm ut;

		if (u <= now && localtime_r(&u, &ut) && ut.tm_hour == 0 &&
		    ut.tm_min == 0 && ut.tm_sec == 0 && ut.tm_mday == at.tm_mday)
			return u;
	}
	if (t <= now)
		return t;
	for (int dst = 0; dst <= 1; dst++) {
		struct tm tm = {.tm_year = year, .tm_mon = mon, .tm_mday = mday,
				.tm_isdst = dst};
		time_t u = mktime(&tm);

		if (u != -1 && u <= now && u > best)
			best = u;
	}
	return best != -1 ? best : t;
}

void xv_period_bounds(const struct xv_period *p, time_t now, time_t *start,
		      time_t *next)
{
	struct zone_switch z;
	struct tm tm;

	zone_enter(&z, p->tz);
	localtime_r(&now, &tm);
	switch (p->kind) {
	case XV_PERIOD_HOURLY: {
		/* Whole local hours, counted from the offset now in force:
		 * the repeated hour of a DST change is two periods. */
		time_t local = now + tm.tm_gmtoff;

		*start = now - (time_t)(((local % 3600) + 3600) % 3600);
		*next = *start + 3600;
		break;
	}
	case XV_PERIOD_DAILY:
		*start = start_midnight(tm.tm_year, tm.tm_mon, tm.tm_mday, now);
		*next = local_midnight(tm.tm_year, tm.tm_mon, tm.tm_mday + 1);
		break;
	case XV_PERIOD_WEEKLY: {
		int back = (tm.tm_wday - (int)p->day + 7) % 7;

		*start = start_midnight(tm.tm_year, tm.tm_mon, tm.tm_mday - back, now);
		*next = local_midnight(tm.tm_year, tm.tm_mon, tm.tm_mday - back + 7);
		break;
	}
	case XV_PERIOD_MONTHLY: {
		int mon = tm.tm_mon - (tm.tm_mday < (int)p->day ? 1 : 0);

		*start = start_midnight(tm.tm_year, mon, (int)p->day, now);
		*next = local_midnight(tm.tm_year, mon + 1, (int)p->day);
		break;
	}
	}
	zone_leave(&z);
}

size_t xv_period_date_and_time(const struct xv_period *p, time_t t,
			       uint8_t out[11])
{
	struct zone_switch z;
	struct tm tm;
	long off;

	zone_enter(&z, p->tz);
	localtime_r(&t, &tm);
	zone_leave(&z);
	off = tm.tm_gmtoff;
	out[0] = (uint8_t)((tm.tm_year + 1900) >> 8);
	out[1] = (uint8_t)((tm.tm_year + 1900) & 0xff);
	out[2] = (uint8_t)(tm.tm_mon + 1);
	out[3] = (uint8_t)tm.tm_mday;
	out[4] = (uint8_t)tm.tm_hour;
	out[5] = (uint8_t)tm.tm_min;
	out[6] = (uint8_t)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
	out[7] = 0;
	out[8] = off < 0 ? '-' : '+';
	off = off < 0 ? -off : off;
	out[9] = (uint8_t)(off / 3600);
	out[10] = (uint8_t)((off % 3600) / 60);
	return 11;
}
