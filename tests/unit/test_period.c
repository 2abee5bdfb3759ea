/* SPDX-License-Identifier: ISC */
/* Accounting period boundaries on a time zone's calendar. */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"
#include "xenvif/period.h"

static void check(const char *label, enum xv_period_kind kind, unsigned day,
		  const char *tz, time_t now, time_t start, time_t next)
{
	struct xv_period p = {.kind = kind, .day = day};
	time_t s = 0, n = 0;

	snprintf(p.tz, sizeof p.tz, "%s", tz);
	xv_period_bounds(&p, now, &s, &n);
	tap_is_u64((uint64_t)s, (uint64_t)start, "%s: start", label);
	tap_is_u64((uint64_t)n, (uint64_t)next, "%s: next", label);
}

int main(void)
{
	check("monthly 1 UTC", XV_PERIOD_MONTHLY, 1, "UTC", 1795348800, 1793491200,
	      1796083200);
	check("monthly 1, exactly at the boundary", XV_PERIOD_MONTHLY, 1, "UTC",
	      1796083200, 1796083200, 1796083200 + 31 * 86400);
	check("monthly 15, before the 15th", XV_PERIOD_MONTHLY, 15, "UTC",
	      1794268800, 1792022400, 1794700800);
	check("monthly 15, across the year", XV_PERIOD_MONTHLY, 15, "UTC",
	      1797724800, 1797292800, 1799971200);
	check("weekly monday, on a Sunday", XV_PERIOD_WEEKLY, 1, "UTC", 1795348800,
	      1794787200, 1795392000);
	check("daily in Berlin, after local midnight", XV_PERIOD_DAILY, 0,
	      "Europe/Berlin", 1795390200, 1795388400, 1795474800);
	check("daily in Berlin, the 23-hour day DST begins", XV_PERIOD_DAILY, 0,
	      "Europe/Berlin", 1774785600, 1774738800, 1774821600);
	check("hourly in Kolkata (+05:30)", XV_PERIOD_HOURLY, 0, "Asia/Kolkata",
	      1795349400, 1795347000, 1795350600);
	check("hourly in Berlin, first 02:xx as DST ends", XV_PERIOD_HOURLY, 0,
	      "Europe/Berlin", 1792888200, 1792886400, 1792890000);
	check("hourly in Berlin, second 02:xx", XV_PERIOD_HOURLY, 0, "Europe/Berlin",
	      1792891800, 1792890000, 1792893600);
	check("daily in Havana, where DST ends at midnight (00:00 twice)",
	      XV_PERIOD_DAILY, 0, "America/Havana", 1352003400, 1352001600,
	      1352091600);

	struct xv_period p = {.kind = XV_PERIOD_DAILY};
	uint8_t dt[11];
	snprintf(p.tz, sizeof p.tz, "Europe/Berlin");
	tap_is_u64(xv_period_date_and_time(&p, 1795388400, dt), 11, "DateAndTime length");
	tap_is_mem(dt, 11, "\x07\xea\x0b\x17\x00\x00\x00\x00+\x01\x00", 11,
		   "2026-11-23 00:00:00 +01:00 in Berlin");
	snprintf(p.tz, sizeof p.tz, "America/St_Johns");
	xv_period_date_and_time(&p, 1795388400, dt);
	tap_is_mem(dt + 8, 3, "-\x03\x1e", 3, "a negative half-hour offset: -03:30");

	const char *before = getenv("TZ");
	tap_ok(before == NULL, "TZ is left as it was (unset)");
	/* Antarctica/Vostok set its clock back from 02:00 (+07) to 00:00
	 * (+05) on 2023-12-18: that midnight came twice, at 17:00 and
	 * 19:00 UT.  The day starts at the first; it lasts 26 hours. */
	check("daily Vostok, between the two midnights", XV_PERIOD_DAILY, 0,
	      "Antarctica/Vostok", 1702833000, 1702832400, 1702926000);
	check("weekly Monday Vostok, the same", XV_PERIOD_WEEKLY, 1,
	      "Antarctica/Vostok", 1702833000, 1702832400, 1703444400);
	check("daily Vostok, after the second midnight", XV_PERIOD_DAILY, 0,
	      "Antarctica/Vostok", 1702840000, 1702832400, 1702926000);
	/* Whatever the zone's changes, now is inside its period, and the
	 * period does not move while it lasts: the weeks around each
	 * clock change where a period once started after now. */
	static const struct {
		const char *zone;
		time_t from;
	} changes[] = {{"Antarctica/Vostok", 1702252800}, /* 2023-12-11 */
		       {"Antarctica/Casey", 1583020800},  /* 2020-03-01 */
		       {"Antarctica/Casey", 1677628800}}; /* 2023-03-01 */
	static const enum xv_period_kind kinds[] = {XV_PERIOD_DAILY, XV_PERIOD_WEEKLY,
						    XV_PERIOD_MONTHLY};
	unsigned int outside = 0, moved = 0;
	for (size_t c = 0; c < sizeof changes / sizeof *changes; c++)
		for (size_t k = 0; k < 3; k++) {
			struct xv_period p = {.kind = kinds[k], .day = 1};
			time_t last_start = 0, last_next = 0;

			snprintf(p.tz, sizeof p.tz, "%s", changes[c].zone);
			for (time_t now = changes[c].from; now < changes[c].from + 14 * 86400;
			     now += 600) {
				time_t s, n;

				xv_period_bounds(&p, now, &s, &n);
				if (s > now || n <= now)
					outside++;
				if (now < last_next && (s != last_start || n != last_next))
					moved++;
				last_start = s;
				last_next = n;
			}
		}
	tap_is_u64(outside, 0, "around each change, every 10 minutes: start <= now < next");
	tap_is_u64(moved, 0, "and a period keeps its bounds until it ends");
	return tap_done();
}
