#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The agent outlives its peers: xenstore and snmpd going away and coming
back, and starting before either is there.  Meanwhile it serves the last
table, says so once, and comes back by itself."""

import time

from common import (FAST, Dom0, Vif, counters, index_of, indexes,
                    netlink_only, plus, row, tap, wait_counters, wait_until)

DISC = "xenVifCounterDiscontinuityTime"


def log_count(dom0, text):
    return dom0.agent_log().count(text)


def metadata_follows(dom0, vm, idx, value):
    """Changes what the toolstack changes in a running VM's metadata
    (libxl: its name; xapi: its vif's bridge) and waits for the row to
    show it."""
    if dom0.toolstack == "xapi":
        dom0.write_vif_setting(vm, 0, "bridge", value)
        column = "xenVifBridge"
    else:
        dom0.xs.write(vm.dom_path + "/name", value)
        column = "xenVifDomainName"
    return wait_until(lambda: row(dom0, idx, [column])[column] == value, 5,
                      "the row to show " + value)


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        vm = dom0.add_vm("web1", 3, vifs=[Vif(0)])
        idx = index_of(vm)
        dom0.start_snmpd()
        # Reconnection attempts every second: an outage of a few seconds
        # shows whether each attempt is logged.
        agent_config = FAST + ("agentXPingInterval 1",)
        dom0.start_agent(agent_config)

        # xenstore goes away: the table stays, counters still move
        # (libxenstat reads domain names there: its counters wait).
        dom0.stop_xenstore()
        base = counters(dom0, idx)
        dom0.send_from_guest(vm, 0, count=3, size=100)
        expect = plus(base, xenVifHCInOctets=300, xenVifHCInPkts=3)
        moving = netlink_only(t, dom0, "counters move while xenstore is "
                              "away")
        if moving:
            t.is_(wait_counters(dom0, idx, expect), expect,
                  "xenstore down: the last table is served, counters move")
        wait_until(lambda: log_count(dom0, "lost xenstore") == 1, 5,
                   "the agent to notice")
        dom0.send_from_guest(vm, 0, count=1, size=100)
        expect = plus(expect, xenVifHCInOctets=100, xenVifHCInPkts=1)
        if moving:
            wait_counters(dom0, idx, expect)
        t.is_(log_count(dom0, "lost xenstore"), 1, "said once, not per retry")

        # xenstore back (same tree, new connections): watches are set
        # again, so a new VM shows up.
        dom0.start_xenstore()
        wait_until(lambda: "connected to xenstore again" in dom0.agent_log(),
                   10, "the agent to reconnect")
        if not moving:
            t.is_(wait_counters(dom0, idx, expect), expect,
                  "xenstore back: what moved meanwhile is all counted")
        new = dom0.add_vm("db1", 4, vifs=[Vif(0)])
        t.ok(wait_until(lambda: index_of(new) in indexes(dom0), 5,
                        "the new VM's row"),
             "after xenstore came back, a new VM appears")
        dom0.destroy_vm(new)
        t.ok(wait_until(lambda: index_of(new) not in indexes(dom0), 5,
                        "the destroyed VM's row to leave"),
             "and a destroyed one leaves")

        # Metadata changed in place: only a watch tells (metadata is not
        # polled).  libxl: xl rename; xapi, which never renames a running
        # domain: the VIF moved to another network.
        t.ok(metadata_follows(dom0, vm, idx, "web1-a"),
             "metadata changed in place follows (%s)" % dom0.toolstack)

        # A restart of xenstored between two refreshes; nothing else
        # changes, yet every watch must be back.
        reconnects = log_count(dom0, "connected to xenstore again")
        dom0.xenstore_restart()
        wait_until(lambda: log_count(dom0, "connected to xenstore again")
                   > reconnects, 10, "the agent to reconnect")
        t.ok(metadata_follows(dom0, vm, idx, "web1-b"),
             "xenstored restarted: the watches come back")
        new = dom0.add_vm("db2", 5, vifs=[Vif(0)])
        t.ok(wait_until(lambda: index_of(new) in indexes(dom0), 10,
                        "the new VM's row"),
             "and the backend watch")

        # snmpd restarts: the agent reconnects by itself; TimeStamps of
        # the old master's clock become 0.
        t.ok(int(row(dom0, idx, [DISC])[DISC]) > 0,
             "before: a discontinuity time in snmpd's clock")
        base = counters(dom0, idx)
        dom0.stop_snmpd()
        wait_until(lambda: "disconnected us" in dom0.agent_log(), 10,
                   "the agent to see snmpd go")
        time.sleep(3)  # not a wait: the outage lasts three retries
        dom0.start_snmpd()
        t.ok(wait_until(lambda: indexes(dom0) == sorted(
            [idx, index_of(new)]), 20, "the agent to register again"),
            "snmpd restarted: the table is back without restarting the agent")
        t.is_(counters(dom0, idx), base, "counters unchanged")
        t.is_(row(dom0, idx, [DISC])[DISC], 0,
              "a discontinuity before the new snmpd started reads 0")
        t.ok(dom0.agent_running, "the agent never stopped")
        log = dom0.agent_log()
        t.is_((log.count("disconnected us"), log.count("Failed to connect"),
               log.count("subagent connected")), (1, 0, 2),
              "the outage is logged once, not once per attempt",
              ) or t.diag(log)

        # The agent starts before snmpd and before xenstore.
        dom0.stop_agent()
        dom0.stop_snmpd()
        dom0.stop_xenstore()
        dom0.start_agent(agent_config, wait_registered=False)
        wait_until(lambda: "cannot reach the AgentX master" in
                   dom0.agent_log(), 10, "the agent to start without snmpd")
        time.sleep(2)  # not a wait: retries happen meanwhile
        t.is_(dom0.agent_log().count("cannot reach the AgentX master"), 1,
              "started before snmpd: said once")
        dom0.start_snmpd()
        dom0.wait_agent_registered(timeout=20)
        t.is_(dom0.snmpget("XEN-VIF-MIB::xenVifNumber.0")[0], 0,
              "started without xenstore: an empty table, served")
        dom0.start_xenstore()
        t.ok(wait_until(lambda: indexes(dom0) == sorted(
            [idx, index_of(new)]), 10, "rows once xenstore is up"),
            "rows appear when xenstore comes")
        t.is_(counters(dom0, idx)["xenVifHCInOctets"],
              base["xenVifHCInOctets"], "with their counters")
        t.is_(dom0.stop_agent(), 0, "clean exit")


tap.run(main)
