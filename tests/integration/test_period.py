#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Accounting periods end on time: with the agent's clock moved by
libfaketime to just before the hour, an hourly period rolls over, usage
starts again from zero, and an exceeded VM is cleared; an agent that was
down across a boundary starts the new period when it comes back; and the
wall clock set forward across boundaries, then back before the period
began, while the agent runs, never moves a period back nor loses
traffic."""

import os

from common import (FAST, QUOTA_CLEARED, QUOTA_EXCEEDED, QUOTA_WARNING,
                    STATUS_EXCEEDED,
                    STATUS_OK, Dom0, Vif, objects, ours, tap, vm_index,
                    vm_row, wait_ours, wait_until)
from dom0 import TRAP_SINK

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
CONFIG = FAST + ("accountingPeriod hourly", "quota web1 2K in")


def date_and_time(hour):
    """DateAndTime of 2026-11-22 HOUR:00:00 UTC."""
    return bytes([0x07, 0xea, 11, 22, hour, 0, 0, 0, ord("+"), 0, 0])


def fake_clock(start):
    return {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": "@" + start}


def usage(dom0, idx):
    return int(vm_row(dom0, idx, ["xenVifVmPeriodInOctets"])[
        "xenVifVmPeriodInOctets"])


def clock_jumps(t):
    """The wall clock set forward across two boundaries, back before
    the period began, and forward again, while the agent runs."""
    with Dom0() as dom0:
        clock = dom0.path("faketime")

        def set_clock(when):
            with open(clock, "w") as f:
                f.write("@2026-11-22 %s\n" % when)

        set_clock("12:59:40")
        web = dom0.add_vm("web1", 3, vifs=[Vif(0)])
        idx = vm_index(web)
        dom0.start_snmpd()
        dom0.start_agent(CONFIG, env_extra={
            "LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": clock,
            "FAKETIME_NO_CACHE": "1",
            # Only the wall clock is set; the monotonic clock runs on,
            # as on a real host.
            "DONT_FAKE_MONOTONIC": "1"})
        dom0.send_from_guest(web, 0, count=1, size=1000)
        wait_until(lambda: usage(dom0, idx) == 1000, 10, "the 12:00 usage")
        set_clock("14:30:00")
        t.ok(wait_until(lambda: vm_row(dom0, idx, ["xenVifVmPeriodStart"])[
            "xenVifVmPeriodStart"] == date_and_time(14), 10, "14:00"),
            "clock set forward past two boundaries: the 14:00 period")
        t.is_(usage(dom0, idx), 0, "its usage from zero")
        dom0.send_from_guest(web, 0, count=1, size=700)
        wait_until(lambda: usage(dom0, idx) == 700, 10, "the 14:00 usage")
        set_clock("13:30:00")
        dom0.send_from_guest(web, 0, count=1, size=300)
        t.ok(wait_until(lambda: usage(dom0, idx) == 1000, 10, "1000"),
             "clock set back before the period began: traffic still counts "
             "in it")
        t.is_(vm_row(dom0, idx, ["xenVifVmPeriodStart"])["xenVifVmPeriodStart"],
              date_and_time(14), "and the period is not moved back")
        set_clock("15:00:05")
        t.ok(wait_until(lambda: vm_row(dom0, idx, ["xenVifVmPeriodStart"])[
            "xenVifVmPeriodStart"] == date_and_time(15), 10, "15:00"),
            "forward again past 15:00: the next period")
        t.is_(usage(dom0, idx), 0, "from zero")
        t.is_(dom0.stop_agent(), 0, "clean exit")


def main(t):
    tap.require_root(t)
    if not os.path.exists(LIBFAKETIME):
        t.skip_all("libfaketime is not installed (Debian: faketime)")
    clock_jumps(t)
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, vifs=[Vif(0)])
        idx = vm_index(web)
        dom0.start_snmptrapd()
        dom0.start_snmpd([TRAP_SINK])
        # Eight seconds before 13:00 on the agent's clock.
        dom0.start_agent(CONFIG, env_extra=fake_clock("2026-11-22 12:59:52"))
        t.is_(vm_row(dom0, idx, ["xenVifVmPeriodStart"])["xenVifVmPeriodStart"],
              date_and_time(12), "the period began at 12:00 UTC")

        dom0.send_from_guest(web, 0, count=3, size=1000)
        wait_ours(dom0, 1, QUOTA_EXCEEDED, idx)
        t.is_(vm_row(dom0, idx, ["xenVifVmQuotaStatus"])["xenVifVmQuotaStatus"],
              STATUS_EXCEEDED, "3000 of 2000: exceeded")

        n = wait_ours(dom0, 1, QUOTA_CLEARED, idx, timeout=20)[0]
        got = objects(n)
        t.is_((int(got["xenVifVmPeriodInOctets"]),
               int(got["xenVifVmQuotaUsedPercent"])), (0, 0),
              "at 13:00 usage starts again from zero, and the VM is cleared")
        row = vm_row(dom0, idx, ["xenVifVmPeriodStart", "xenVifVmQuotaStatus"])
        t.is_(row["xenVifVmPeriodStart"], date_and_time(13),
              "the new period began at 13:00")
        t.is_(row["xenVifVmQuotaStatus"], STATUS_OK, "status ok")
        dom0.send_from_guest(web, 0, count=1, size=500)
        t.ok(wait_until(lambda: int(vm_row(dom0, idx, ["xenVifVmPeriodInOctets"])[
            "xenVifVmPeriodInOctets"]) == 500, 5, "the new period's usage"),
            "traffic after 13:00 counts in the new period")

        # Exceeded again, then the agent is down across 14:00.
        dom0.send_from_guest(web, 0, count=2, size=1000)
        wait_ours(dom0, 2, QUOTA_EXCEEDED, idx)
        t.is_(dom0.stop_agent(), 0, "agent stopped in the 13:00 period")
        dom0.start_agent(CONFIG, env_extra=fake_clock("2026-11-22 14:00:30"))
        n = wait_ours(dom0, 2, QUOTA_CLEARED, idx)[1]
        t.is_(int(objects(n)["xenVifVmPeriodInOctets"]), 0,
              "back after 14:00: the new period, cleared")
        t.is_(vm_row(dom0, idx, ["xenVifVmPeriodStart"])["xenVifVmPeriodStart"],
              date_and_time(14), "starting 14:00")
        t.is_([x["trap"] for x in ours(dom0, vm=idx)],
              [QUOTA_WARNING, QUOTA_EXCEEDED, QUOTA_CLEARED] * 2,
              "warned, exceeded and cleared once in each period")
        t.is_(dom0.stop_agent(), 0, "clean exit")


tap.run(main)
