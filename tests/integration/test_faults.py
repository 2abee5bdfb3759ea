#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Faults the agent promises to survive, each with its figure: the state
directory full (a small tmpfs) and read-only, the agent serving on,
saying so once and losing nothing once it can write again; and kill -9
at random moments (XVA_KILLS times, default 30; 100 for the figure in
the README), the state file never damaged and usage exact."""

import os
import random
import signal
import subprocess
import time

from common import (FAST, Dom0, Vif, counters, index_of, tap, vm_index,
                    vm_row, wait_counters, wait_until)

KILLS = int(os.environ.get("XVA_KILLS", "30"))


def log_count(dom0, text):
    return dom0.agent_log().count(text)


def usage(dom0, vm):
    got = vm_row(dom0, vm_index(vm), ["xenVifVmPeriodInOctets"])
    return int(got["xenVifVmPeriodInOctets"])


def full_and_read_only(t):
    with Dom0() as dom0:
        state_dir = dom0.path("small-state")
        os.makedirs(state_dir)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "xva-state",
                        state_dir], check=True)
        try:
            state = os.path.join(state_dir, "xen-vif-agent.state")
            config = FAST + ("stateFile " + state, "stateSaveInterval 5")
            web = dom0.add_vm("web1", 3, vifs=[Vif(0)])
            dom0.start_snmpd()
            dom0.start_agent(config)
            idx = index_of(web)
            wait_until(lambda: os.path.exists(state), 10, "the first save")

            # Full: a file takes every block left.
            filler = os.path.join(state_dir, "filler")
            subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=4k"],
                           capture_output=True)
            base = counters(dom0, idx)
            dom0.send_from_guest(web, 0, count=10, size=1000)
            t.ok(wait_until(lambda: log_count(dom0, "cannot save state") >= 1,
                            15, "a failed save"),
                 "state directory full: the failed save is said")
            t.is_(wait_counters(dom0, idx, {"xenVifHCInOctets":
                                            base["xenVifHCInOctets"] + 10000})
                  ["xenVifHCInOctets"], base["xenVifHCInOctets"] + 10000,
                  "the agent serves on, counting")
            # A new VM is saved at once: a second save that fails, made
            # by the time its row is served.  Said once only.
            db = dom0.add_vm("db1", 4, vifs=[Vif(0)])
            wait_until(lambda: counters(dom0, index_of(db)), 10,
                       "db1's row")
            dom0.send_from_guest(web, 0, count=1, size=500)
            wait_counters(dom0, idx, {"xenVifHCInOctets":
                                      base["xenVifHCInOctets"] + 10500})
            t.is_(log_count(dom0, "cannot save state"), 1, "said once")
            os.unlink(filler)
            t.ok(wait_until(lambda: log_count(dom0, "state saved again") >= 1,
                            15, "a save that works again"),
                 "space back: saved again, and said")

            # Read-only: the same.
            subprocess.run(["mount", "-o", "remount,ro", state_dir], check=True)
            dom0.send_from_guest(web, 0, count=3, size=1000)
            t.ok(wait_until(lambda: log_count(dom0, "cannot save state") >= 2,
                            15, "a failed save"),
                 "state directory read-only: said")
            subprocess.run(["mount", "-o", "remount,rw", state_dir], check=True)
            t.ok(wait_until(lambda: log_count(dom0, "state saved again") >= 2,
                            15, "a save that works again"),
                 "writable again: saved")
            dom0.send_from_guest(web, 0, count=2, size=1000)
            want = base["xenVifHCInOctets"] + 15500
            wait_counters(dom0, idx, {"xenVifHCInOctets": want})
            t.is_(dom0.stop_agent(), 0, "clean exit, saving")
            dom0.start_agent(config)
            t.is_(counters(dom0, idx)["xenVifHCInOctets"], want,
                  "after a restart: nothing lost")
            t.is_(usage(dom0, web), want, "and the period usage exact")
            t.is_(dom0.stop_agent(), 0, "clean exit")
        finally:
            subprocess.run(["umount", "-l", state_dir], check=False)


def kill_nine(t):
    rng = random.Random(1729)
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, vifs=[Vif(0)])
        dom0.start_snmpd()
        # Saves as often as allowed, so that kills land in them too.
        config = FAST + ("stateSaveInterval 5",)
        dom0.start_agent(config)
        idx = index_of(web)
        sent = 0
        damaged = restarts = 0
        for _ in range(KILLS):
            dom0.send_from_guest(web, 0, count=2, size=700)
            sent += 1400
            # A random moment (the point is not to wait for anything):
            # right away, or while it counts and saves.
            time.sleep(rng.uniform(0, 1.5))
            dom0.kill_agent()
            dom0.start_agent(config)
            restarts += 1
            if ".damaged-" in " ".join(os.listdir(os.path.dirname(
                    dom0.agent_state_file))) or "damaged" in dom0.agent_log():
                damaged += 1
        t.is_(damaged, 0, "%d kill -9 at random moments: the state file "
              "never damaged" % restarts)
        t.is_(wait_counters(dom0, idx, {"xenVifHCInOctets": sent})
              ["xenVifHCInOctets"], sent, "every octet counted, none twice")
        t.is_(usage(dom0, web), sent, "the period usage exact")
        t.is_(dom0.stop_agent(), 0, "clean exit")


def hangs(t):
    """snmpd and xenstored stopped (SIGSTOP) for a while, then resumed:
    the agent lives through both and counts everything.  A request to
    a hung xenstored blocks inside libxenstore, which has no timeout:
    the agent waits with it, and goes on where it was once it answers."""
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, vifs=[Vif(0)])
        dom0.start_snmpd()
        dom0.start_agent(FAST)
        idx = index_of(web)
        pid = dom0.agent_pid
        base = counters(dom0, idx)["xenVifHCInOctets"]
        for name, part in (("snmpd", dom0.snmpd), ("xenstored", dom0.xenstored)):
            os.kill(part.pid, signal.SIGSTOP)
            dom0.send_from_guest(web, 0, count=4, size=1000)
            base += 4000
            # Long enough for AgentX pings and several refreshes to hang.
            time.sleep(8)
            os.kill(part.pid, signal.SIGCONT)
            t.is_(wait_counters(dom0, idx, {"xenVifHCInOctets": base},
                                timeout=30)["xenVifHCInOctets"], base,
                  "%s hung 8 s and resumed: every octet counted" % name)
            t.is_(dom0.agent_pid, pid, "the same agent, still running")
        dom0.send_from_guest(web, 0, count=1, size=1000)
        t.is_(wait_counters(dom0, idx, {"xenVifHCInOctets": base + 1000})
              ["xenVifHCInOctets"], base + 1000, "and counting on")
        t.is_(usage(dom0, web), base + 1000, "the period usage exact")
        t.is_(dom0.stop_agent(), 0, "clean exit")


def main(t):
    full_and_read_only(t)
    hangs(t)
    kill_nine(t)


tap.run(main)
