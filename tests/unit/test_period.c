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
	return tap_done();
}
