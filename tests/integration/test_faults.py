#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Faults the agent promises to survive, each with its figure: the state
directory full (a small tmpfs) and read-only, the agent serving on,
saying so once and losing nothing once it can write again; and kill -9
at random moments (XVA_KILLS times, default 30; 100 for the figure in
the README), the state file never damaged and usage exact; and snmpd
going away with what the agent sent it still unread, the agent
reconnecting and leaking nothing."""

import os
import random
import signal
import subprocess
import time

from common import (FAST, Dom0, Vif, counters, index_of, tap, vm_index,
                    vm_row, wait_counters, wait_until)
from dom0 import in_ns, run

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


def unread_by_snmpd(dom0):
    """Bytes the agent sent that snmpd has not read: the receive queues
    of snmpd's ends of its AgentX connections."""
    owner = "pid=%d," % dom0.snmpd.pid
    total = 0
    for line in run(in_ns(dom0.ns, ["ss", "-xHnp"])).stdout.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[1] == "ESTAB" and owner in line:
            total += int(fields[2])
    return total


def gone_unread(t):
    """snmpd goes away while the agent's AgentX ping waits, unread, in its
    socket: killed (a crash), or stopped as at a restart (SIGTERM).  The
    agent's next read then fails (ECONNRESET) rather than seeing the end
    of the stream, and net-snmp before 5.9.5 loses the 110 bytes its
    unix-domain transport allocated for that read (netsnmp_unix_recv):
    under polling, a restart of snmpd often finds an answer of the agent
    unread, and LeakSanitizer reported it at the agent's exit (the
    soak).  The agent reconnects each time, and leaks nothing."""
    with Dom0() as dom0:
        dom0.add_vm("web1", 3, vifs=[Vif(0)])
        dom0.start_snmpd()
        # A ping every second: one is soon on its way.
        dom0.start_agent(FAST + ("agentXPingInterval 1",))
        pid = dom0.agent_pid
        for how in ("killed", "restarted"):
            seen = len(dom0.agent_log())
            snmpd = dom0.snmpd.pid
            os.kill(snmpd, signal.SIGSTOP)
            # The agent waits a second for the answer: act before that.
            wait_until(lambda: unread_by_snmpd(dom0) > 0, 5,
                       "the agent's ping to wait unread in snmpd's socket")
            if how == "killed":
                dom0.snmpd.daemon.kill()
            else:
                # SIGTERM first: snmpd leaves without reading.
                os.kill(snmpd, signal.SIGTERM)
                os.kill(snmpd, signal.SIGCONT)
                dom0.stop_snmpd()
            wait_until(lambda: "disconnected us" in dom0.agent_log()[seen:],
                       10, "the agent to see snmpd go")
            # net-snmp says the ping failed too, after; first if it timed
            # out (the kill came too late to test anything).
            log = dom0.agent_log()[seen:]
            t.ok(log.find("disconnected us") < log.find("failed to respond")
                 or "failed to respond" not in log,
                 "snmpd %s with the agent's ping unread: the agent's read "
                 "fails, before the ping times out" % how) or t.diag(log)
            dom0.start_snmpd()
            dom0.agent.wait_registered(timeout=20)
            t.is_(dom0.agent_pid, pid, "it reconnects, the same agent")
        t.is_(dom0.stop_agent(), 0, "clean exit")
        leaks = [path for path, text in dom0.sanitizer_reports()
                 if "LeakSanitizer" in text]
        t.is_(leaks, [], "no LeakSanitizer report (sanitizer build)") or \
            t.diag("".join(text for _, text in dom0.sanitizer_reports()))


def main(t):
    full_and_read_only(t)
    hangs(t)
    gone_unread(t)
    kill_nine(t)


tap.run(main)
