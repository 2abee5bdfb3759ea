#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Rows keep their index and their counters: across a reboot with a new
domid, an agent restart, kill -9, a renamed device, and a lost or
damaged state file (the one case that is a discontinuity)."""

import glob
import os
import signal

from common import (FAST, Dom0, Vif, counters, index_of, indexes,
                    kernel_ifindex, netlink_only, plus, row, tap,
                    wait_counters, wait_until)

UUID = "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
DISC = "xenVifCounterDiscontinuityTime"


def traffic(dom0, vm, sent, received):
    """Sends and returns the counter deltas it must cause."""
    dom0.send_from_guest(vm, 0, count=sent, size=500)
    dom0.send_to_guest(vm, 0, count=received, size=100)
    return dict(xenVifHCInOctets=500 * sent, xenVifHCInPkts=sent,
                xenVifHCOutOctets=100 * received, xenVifHCOutPkts=received)


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        vm = dom0.add_vm("web1", 3, UUID, vifs=[Vif(0)])
        idx = index_of(vm)
        dom0.start_snmpd()
        dom0.start_agent(FAST)
        expect = wait_counters(dom0, idx, plus(
            counters(dom0, idx), **traffic(dom0, vm, 4, 3)))
        disc = int(row(dom0, idx, [DISC])[DISC])
        t.ok(disc > 0, "first start without state: rows carry a "
             "discontinuity time")

        # Reboot: new domid, new device, same row, counters continue.
        vm = dom0.reboot_vm(vm, 8)
        wait_until(lambda: row(dom0, idx, ["xenVifDomainId"])[
            "xenVifDomainId"] == 8, 5, "the row to show domid 8")
        t.is_(indexes(dom0), [idx], "same index after a reboot")
        # libxenstat's collector has no link events: the new device
        # shows at the next refresh at the latest.
        want = (b"vif8.0", kernel_ifindex(dom0, "vif8.0"))
        wait_until(lambda: tuple(row(dom0, idx, ["xenVifName", "xenVifIfIndex"])
                                 .values()) == want, 5, "the new device")
        got = row(dom0, idx)
        t.is_((got["xenVifName"], got["xenVifIfIndex"]), want,
              "new device name and ifindex")
        t.is_(counters(dom0, idx), expect,
              "counters continue across the reboot (old device's final "
              "counts kept, new device starts from them)")
        expect = wait_counters(dom0, idx, plus(
            expect, **traffic(dom0, vm, 6, 2)))
        t.is_(int(got[DISC]), disc, "a reboot is no discontinuity")

        # Restart: traffic while the agent is down is counted after.
        t.is_(dom0.stop_agent(), 0, "agent stopped")
        delta = traffic(dom0, vm, 3, 5)
        dom0.start_agent(FAST)
        t.is_(indexes(dom0), [idx], "same index after a restart")
        t.is_(wait_counters(dom0, idx, plus(expect, **delta)),
              plus(expect, **delta),
              "counters continue across a restart, traffic while it was "
              "down included")
        expect = plus(expect, **delta)
        t.is_(int(row(dom0, idx, [DISC])[DISC]), disc,
              "a restart with the state file is no discontinuity")

        # kill -9: the state file of the last save still continues exactly.
        dom0.kill_agent()
        delta = traffic(dom0, vm, 2, 1)
        dom0.start_agent(FAST)
        t.is_(wait_counters(dom0, idx, plus(expect, **delta)),
              plus(expect, **delta), "exact after kill -9")
        expect = plus(expect, **delta)

        # Traffic the agent never read before the device was deleted: the
        # agent is frozen meanwhile, so only the kernel's deletion notice,
        # queued on its socket, can carry those counts.
        os.kill(dom0.agent_pid, signal.SIGSTOP)
        delta = traffic(dom0, vm, 5, 4)
        vm = dom0.reboot_vm(vm, 11)
        os.kill(dom0.agent_pid, signal.SIGCONT)
        wait_until(lambda: row(dom0, idx, ["xenVifDomainId"])[
            "xenVifDomainId"] == 11, 5, "the row to show domid 11")
        if dom0.counter_source == "netlink":
            t.is_(counters(dom0, idx), plus(expect, **delta),
                  "traffic just before a reboot is counted from the deleted "
                  "device's final counters")
            expect = plus(expect, **delta)
        else:
            # libxenstat gives no final counters: the last interval is
            # lost, and nothing else.
            t.is_(counters(dom0, idx), expect, "without final counters, "
                  "only traffic after the last refresh is lost")

        # A device renamed by something other than the toolstack: found
        # through its sysfs nodename, same row.
        if netlink_only(t, dom0, "renamed devices (3 checks): found by "
                        "sysfs nodename"):
            dom0.rename_link(vm, 0, "guest-web1", nodename=True)
            wait_until(lambda: row(dom0, idx, ["xenVifName"])[
                "xenVifName"] == "guest-web1", 5, "the new name")
            delta = traffic(dom0, vm, 1, 1)
            t.is_(wait_counters(dom0, idx, plus(expect, **delta)),
                  plus(expect, **delta), "renamed device still counted")
            expect = plus(expect, **delta)

            # The same while the agent is down: a new agent finds it by
            # sysfs.
            dom0.stop_agent()
            dom0.rename_link(vm, 0, "guest-web1b", nodename=True)
            dom0.start_agent(FAST)
            t.is_(row(dom0, idx, ["xenVifName"])["xenVifName"], "guest-web1b",
                  "renamed while down: found by its nodename")
            t.is_(counters(dom0, idx), expect, "and continues")

        # A reboot, then a crash long before the next periodic save: the
        # old device's final counts were saved when it went.
        dom0.stop_agent()
        dom0.start_agent(["refreshInterval 1", "stateSaveInterval 60"])
        expect = wait_counters(dom0, idx, plus(
            expect, **traffic(dom0, vm, 4, 4)))
        vm = dom0.reboot_vm(vm, 14)
        wait_until(lambda: row(dom0, idx, ["xenVifDomainId"])[
            "xenVifDomainId"] == 14, 5, "the row to show domid 14")
        dom0.kill_agent()
        dom0.start_agent(FAST)
        t.is_(counters(dom0, idx), expect,
              "kill -9 right after a reboot: the old device's counts kept")

        # The state file lost: same index (a hash), but continuity lost.
        dom0.stop_agent()
        os.unlink(dom0.agent_state_file)
        dom0.start_agent(FAST)
        t.is_(indexes(dom0), [idx], "state file lost: index unchanged")
        stats = dom0.vif_stats(vm, 0)
        t.is_(counters(dom0, idx)["xenVifHCInOctets"], stats["rx_bytes"],
              "counters restart from the kernel's")
        disc2 = int(row(dom0, idx, [DISC])[DISC])
        t.ok(disc2 > disc, "and the discontinuity time says so",
             diag="was %d, now %d" % (disc, disc2))

        # A damaged state file: reported with file and line, kept aside.
        dom0.stop_agent()
        with open(dom0.agent_state_file, "r+b") as f:
            data = f.read()
            f.seek(0)
            f.write(data.replace(b"source", b"sourcf", 1))
        dom0.start_agent(FAST)
        log = dom0.agent_log()
        t.ok("%s:6: unknown record" % dom0.agent_state_file in log,
             "damaged state file: error names file and line",
             diag=log)
        aside = glob.glob(dom0.agent_state_file + ".damaged-*")
        t.is_(len(aside), 1, "the damaged file is kept aside")
        with open(aside[0], "rb") as f:
            t.ok(b"sourcf" in f.read(), "untouched")
        t.is_(indexes(dom0), [idx], "the agent runs on with the same index")
        t.is_(dom0.stop_agent(), 0, "and stops cleanly")
        t.ok(os.path.exists(dom0.agent_state_file),
             "a new state file is written")


tap.run(main)
