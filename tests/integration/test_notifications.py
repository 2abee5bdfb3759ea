#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Quotas and rate alarms end to end: the agent's notifications go
through a real snmpd to a real snmptrapd, with exact varbinds, once per
crossing; a real traphandle shapes the VM's vif with tc and lifts it on
Cleared; kill -9 repeats nothing and loses no byte; reloads apply."""

import os
import signal
import subprocess
import time

from common import (FAST, QUOTA_CLEARED, index_of, QUOTA_EXCEEDED, QUOTA_OBJECTS,
                    QUOTA_WARNING, RATE_ALARM, RATE_CLEARED, RATE_OBJECTS,
                    STATUS_EXCEEDED, STATUS_OK, SNMP_TRAP_OID, SYS_UPTIME,
                    Dom0, Vif, netlink_only, objects, ours, tap, vm_index,
                    vm_oid, vm_row, wait_ours, wait_until)
from dom0 import SRCDIR, TRAP_SINK

WEB = "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
DB = "0b8e2f4c-7a91-4d3e-8c5b-2e6f1a9d7c30"


def qdiscs(dom0, dev):
    return subprocess.run(["ip", "netns", "exec", dom0.ns, "tc", "qdisc",
                           "show", "dev", dev], capture_output=True,
                          text=True).stdout


def write_config(dom0, lines):
    dom0._write_agent_config(list(lines))


def reload(dom0, expect_in_log):
    before = dom0.agent_log().count(expect_in_log)
    os.kill(dom0.agent_pid, signal.SIGHUP)
    wait_until(lambda: dom0.agent_log().count(expect_in_log) > before, 10,
               "the reload to be logged: %r" % expect_in_log)


def _status_in_state(dom0, idx):
    """True once the state file holds a notice for the VM (a crossing
    recorded while the master was away)."""
    try:
        with open(dom0.agent_state_file) as f:
            return any(line.startswith("notice ") and line.split()[2] == str(idx)
                       for line in f)
    except OSError:
        return False


def check_quota_notification(t, dom0, n, kind, vm, expect):
    idx = vm_index(vm)
    t.is_(n["trap"], kind, "snmpTrapOID.0")
    t.is_([o for o, _ in n["varbinds"][:2]], [SYS_UPTIME, SNMP_TRAP_OID],
          "sysUpTime.0 and snmpTrapOID.0 first")
    t.is_([o for o, _ in n["varbinds"][2:]],
          [vm_oid(c, idx) for c in QUOTA_OBJECTS],
          "the MIB's objects, as full instances of VM %d" % idx)
    got = objects(n)
    for column, value in expect.items():
        t.is_(got[column], value, "%s in the notification" % column)


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, WEB, vifs=[Vif(0)])
        db = dom0.add_vm("db1", 4, DB, vifs=[Vif(0)])
        cust = dom0.add_vm("cust", 6, vifs=[Vif(0, vifname="vifcust")])
        # Traffic before the agent ever ran: the kernel's counters, not
        # this period's usage (no false Exceeded on a first install).
        dom0.send_from_guest(db, 0, count=5, size=1000)
        shape = os.path.join(SRCDIR, "traphandle", "xen-vif-shape")
        shape_cmd = "%s --rate 2mbit --state-dir %s --log %s" % (
            shape, dom0.path("shape-state"), dom0.path("shape.log"))
        dom0.start_snmptrapd(handlers=[(QUOTA_EXCEEDED, shape_cmd),
                                       (QUOTA_CLEARED, shape_cmd)])
        dom0.start_snmpd([TRAP_SINK])
        config = FAST + ("quota web1 10K in warn 50",)
        dom0.start_agent(config)
        widx, didx = vm_index(web), vm_index(db)
        t.is_(vm_row(dom0, didx, ["xenVifVmPeriodInOctets"])["xenVifVmPeriodInOctets"],
              0, "first start: traffic from before is no usage of this period")
        t.is_(dom0.snmpget("XEN-VIF-MIB::xenVifHCInOctets.%d" % index_of(db))[0],
              5000, "while the vif counter shows it, as the kernel does")

        # Warning at 60 %.
        dom0.send_from_guest(web, 0, count=6, size=1000)
        n = wait_ours(dom0, 1, QUOTA_WARNING, widx)[0]
        check_quota_notification(t, dom0, n, QUOTA_WARNING, web, {
            "xenVifVmName": "web1", "xenVifVmUuid": WEB,
            "xenVifVmPeriodInOctets": 6000, "xenVifVmPeriodOutOctets": 0,
            "xenVifVmQuotaOctets": 10000, "xenVifVmQuotaDirection": 1,
            "xenVifVmQuotaUsedPercent": 60, "xenVifVmDevices": "vif3.0"})
        got = vm_row(dom0, widx, QUOTA_OBJECTS)
        t.is_({c: got[c].value for c in QUOTA_OBJECTS},
              {c: objects(n)[c].value for c in QUOTA_OBJECTS},
              "a GET of the same objects gives the same values")

        # Exceeded, within one refresh (1 s) plus delivery.
        dom0.send_from_guest(web, 0, count=5, size=1000)
        sent = time.monotonic()
        n = wait_ours(dom0, 1, QUOTA_EXCEEDED, widx, timeout=3)[0]
        t.ok(time.monotonic() - sent < 3, "the breach reached snmptrapd "
             "within one refresh")
        check_quota_notification(t, dom0, n, QUOTA_EXCEEDED, web, {
            "xenVifVmPeriodInOctets": 11000, "xenVifVmQuotaUsedPercent": 110})
        t.is_(vm_row(dom0, widx, ["xenVifVmQuotaStatus"])["xenVifVmQuotaStatus"],
              STATUS_EXCEEDED, "xenVifVmQuotaStatus exceeded(4)")
        t.ok(wait_until(lambda: "tbf" in qdiscs(dom0, "vif3.0"), 10,
                        "the traphandle to shape vif3.0"),
             "the traphandle put a token bucket on vif3.0")
        t.ok("rate 2Mbit" in qdiscs(dom0, "vif3.0"), "at the configured rate")

        # More traffic, more refreshes: no second Exceeded.  db1 then
        # crosses its own levels: anything repeated for web1 would have
        # come before those.
        dom0.send_from_guest(web, 0, count=3, size=1000)
        write_config(dom0, config + ("quota db1 1K",))
        reload(dom0, "configuration reloaded")
        dom0.send_from_guest(db, 0, count=2, size=1000)
        wait_ours(dom0, 1, QUOTA_EXCEEDED, didx)
        t.is_([n["trap"] for n in ours(dom0, vm=widx)],
              [QUOTA_WARNING, QUOTA_EXCEEDED], "web1: each crossing once")
        t.is_([n["trap"] for n in ours(dom0, vm=didx)],
              [QUOTA_WARNING, QUOTA_EXCEEDED],
              "db1: a quota added by reload applies, warning then exceeded")

        # A broken reload changes nothing.
        write_config(dom0, config + ("quota db1 1K", "quota web1 lots"))
        reload(dom0, "keeping the running one")
        t.ok("xen-vif-agent.conf: line" in dom0.agent_log(),
             "a broken reload names file and line")
        t.ok(dom0.agent_running, "and the agent runs on")
        t.is_(vm_row(dom0, widx, ["xenVifVmQuotaOctets"])["xenVifVmQuotaOctets"],
              10000, "with the quota it had")

        # Raising web1's quota clears it; the traphandle lifts the limit.
        write_config(dom0, FAST + ("quota web1 100K in", "quota db1 1K"))
        reload(dom0, "configuration reloaded")
        n = wait_ours(dom0, 1, QUOTA_CLEARED, widx)[0]
        t.is_(objects(n)["xenVifVmQuotaUsedPercent"], 14,
              "Cleared: 14000 of 100000")
        t.ok(wait_until(lambda: "tbf" not in qdiscs(dom0, "vif3.0"), 10,
                        "the traphandle to unshape vif3.0"),
             "the traphandle took the token bucket off")

        # A VM over quota with a custom vifname reboots: its new device
        # has the old name, and must be limited again.  (libxenstat
        # finds a custom vifname only by a nodename the rig cannot give.)
        cidx = vm_index(cust)
        write_config(dom0, FAST + ("quota web1 100K in", "quota db1 1K",
                                   "quota cust 1K"))
        reload(dom0, "configuration reloaded")
        if netlink_only(t, dom0, "a custom vifname shaped again after a "
                        "reboot (2 checks)"):
            dom0.send_from_guest(cust, 0, count=2, size=1000)
            wait_ours(dom0, 1, QUOTA_EXCEEDED, cidx)
            t.ok(wait_until(lambda: "tbf" in qdiscs(dom0, "vifcust"), 10,
                            "vifcust to be shaped"), "vifcust limited")
            cust = dom0.reboot_vm(cust, 16)
            wait_ours(dom0, 2, QUOTA_EXCEEDED, cidx)
            t.ok(wait_until(lambda: "tbf" in qdiscs(dom0, "vifcust"), 10,
                            "the new vifcust to be shaped"),
                 "rebooted under the same vifname: announced again, "
                 "limited again")

        # Notices while snmpd is away survive an agent restart: sent
        # once, when snmpd is back.
        dom0.stop_snmpd()
        dom0.send_from_guest(web, 0, count=100, size=1000)
        wait_until(lambda: _status_in_state(dom0, widx), 10,
                   "the crossing to be saved with the state")
        t.is_(dom0.stop_agent(), 0, "agent stopped while snmpd is away")
        dom0.start_snmpd([TRAP_SINK])
        dom0.start_agent(FAST + ("quota web1 100K in", "quota db1 1K",
                                 "quota cust 1K"))
        wait_ours(dom0, 2, QUOTA_EXCEEDED, widx)
        t.is_([n["trap"] for n in ours(dom0, vm=widx)][-2:],
              [QUOTA_WARNING, QUOTA_EXCEEDED],
              "a crossing while snmpd was away arrives after a restart, once")
        dom0.stop_agent()
        dom0.start_agent(FAST + ("quota web1 200K in", "quota db1 1K",
                                 "quota cust 1K"))

        # A reboot within the period: same VM row, usage carries on.
        before = int(vm_row(dom0, widx, ["xenVifVmPeriodInOctets"])[
            "xenVifVmPeriodInOctets"])
        web = dom0.reboot_vm(web, 13)
        wait_until(lambda: vm_row(dom0, widx, ["xenVifVmDomainId"])[
            "xenVifVmDomainId"] == 13, 5, "the VM row to show domid 13")
        dom0.send_from_guest(web, 0, count=1, size=700)
        t.ok(wait_until(lambda: int(vm_row(dom0, widx, ["xenVifVmPeriodInOctets"])[
            "xenVifVmPeriodInOctets"]) == before + 700, 5, "usage after the reboot"),
            "a reboot keeps accumulating on the same VM row")
        t.is_(vm_row(dom0, widx, ["xenVifVmDevices"])["xenVifVmDevices"],
              "vif13.0", "with its new device")

        # kill -9: nothing repeated, no byte lost.
        before = vm_row(dom0, widx, ["xenVifVmPeriodInOctets"])[
            "xenVifVmPeriodInOctets"]
        dom0.kill_agent()
        dom0.send_from_guest(web, 0, count=4, size=500)
        dom0.start_agent(FAST + ("quota web1 100K in", "quota db1 1K"))
        t.is_(vm_row(dom0, widx, ["xenVifVmPeriodInOctets"])[
            "xenVifVmPeriodInOctets"], int(before) + 2000,
            "period usage after kill -9: exact, traffic while down included")
        # A marker: web1 exceeds a lowered quota; db1's Exceeded, already
        # sent this period, must not come again before it.
        write_config(dom0, FAST + ("quota web1 16K in", "quota db1 1K"))
        reload(dom0, "configuration reloaded")
        wait_ours(dom0, 2, QUOTA_EXCEEDED, widx)
        t.is_([n["trap"] for n in ours(dom0, vm=didx)],
              [QUOTA_WARNING, QUOTA_EXCEEDED],
              "a restart does not repeat what was sent this period")

        # Rate alarms: above 16 kbit/s for 2 s raises, below clears.
        write_config(dom0, FAST + ("rateAlarm db1 in 16K 2",))
        reload(dom0, "configuration reloaded")
        deadline = time.monotonic() + 20
        while not ours(dom0, RATE_ALARM, didx) and time.monotonic() < deadline:
            dom0.send_from_guest(db, 0, count=4, size=1000)  # ~64 kbit/s
            time.sleep(0.5)
        n = wait_ours(dom0, 1, RATE_ALARM, didx, timeout=1)[0]
        t.is_([o for o, _ in n["varbinds"][2:]],
              [vm_oid(c, didx) for c in RATE_OBJECTS],
              "xenVifRateAlarm carries the MIB's objects")
        got = objects(n)
        t.ok(int(got["xenVifVmInBitRate"]) > 16000,
             "with the rate above the threshold",
             diag="rate %s" % got["xenVifVmInBitRate"])
        t.is_((int(got["xenVifVmInRateThreshold"]), int(got["xenVifVmInRateAlarm"]),
               int(got["xenVifVmOutRateAlarm"])), (16000, 3, 1),
              "threshold 16000, in alarm(3), out none(1)")
        n = wait_ours(dom0, 1, RATE_CLEARED, didx, timeout=10)[0]
        t.is_(int(objects(n)["xenVifVmInRateAlarm"]), 2,
              "quiet for 2 s: xenVifRateAlarmCleared, in ok(2)")
        t.is_(vm_row(dom0, widx, ["xenVifVmQuotaStatus"])["xenVifVmQuotaStatus"],
              1, "no quota left for web1: none(1)")
        t.is_(dom0.stop_agent(), 0, "clean exit")


tap.run(main)
