#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""XEN-VIF-MIB inside snmpd (dlmod): from the same state, the same rows
and values as the AgentX daemon; counters and new VMs followed; quota
notifications to snmpd's own sinks; SIGHUP reloads; accounting kept
across snmpd restarts; a broken configuration keeps the module out at
start, or keeps the running one on a reload."""

import os
import signal

from common import (FAST, QUOTA_EXCEEDED, QUOTA_OBJECTS, QUOTA_WARNING,
                    SNMP_TRAP_OID, SYS_UPTIME, Dom0, NO_SUCH_OBJECT, Vif,
                    counters, index_of, objects, ours, tap, vm_index, vm_oid,
                    vm_row, wait_counters, wait_ours, wait_until)
from dom0 import TRAP_SINK

ROOT = ".1.3.6.1.4.1.8072.9999.98"
# TimeStamps: each host's own sysUpTime.
CLOCKS = (ROOT + ".1.2.0", ROOT + ".1.3.1.20.")
WEB = "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
# agentXTimeout is the daemon's (net-snmp's default, 1 s): the module
# shares the file and passes it over.
CONFIG = FAST + ("quota web1 10K in warn 50", "agentXTimeout 1")


def everything(dom0):
    """Every XEN-VIF-MIB object but the TimeStamps: {oid: (type, value)}."""
    return {o: (type(v).__name__, v.value) for o, v in dom0.snmpwalk(ROOT)
            if not o.startswith(CLOCKS)}


def quiet(dom0, vm):
    """Rates back to 0: nothing moved for a whole refresh."""
    idx = vm_index(vm)
    wait_until(lambda: [int(v) for v in vm_row(
        dom0, idx, ["xenVifVmInBitRate", "xenVifVmOutBitRate"]).values()]
        == [0, 0], 10, "VM %d's rates to fall to 0" % idx)


def sighup(dom0, expect_in_log):
    before = dom0.snmpd_log().count(expect_in_log)
    os.kill(dom0.snmpd.pid, signal.SIGHUP)
    wait_until(lambda: dom0.snmpd_log().count(expect_in_log) > before, 10,
               "snmpd's log to say %r" % expect_in_log)


def warnings_log(dom0):
    """snmpd's second log, of warnings and worse."""
    with open(dom0.path("snmpd-warnings.log")) as f:
        return f.read()


def quota(dom0, vm):
    return int(vm_row(dom0, vm_index(vm),
                      ["xenVifVmQuotaOctets"])["xenVifVmQuotaOctets"])


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, WEB, vifs=[Vif(0), Vif(1)])
        db = dom0.add_vm("db1", 4, vifs=[Vif(0, emu=True)])
        dom0.send_from_guest(db, 0, count=3, size=700)

        # The daemon serves first and saves its state on exit.
        dom0.start_snmpd()
        dom0.start_agent(CONFIG)
        dom0.send_from_guest(web, 0, count=4, size=1000)
        dom0.send_to_guest(web, 1, count=2, size=300)
        wait_counters(dom0, index_of(web, 0), {"xenVifHCInOctets": 4000})
        quiet(dom0, web)
        quiet(dom0, db)
        daemon = everything(dom0)
        t.is_(dom0.stop_agent(), 0, "the daemon exits cleanly")
        dom0.stop_snmpd()

        # The module, with snmpd's sinks.
        dom0.start_snmptrapd()
        dom0.start_snmpd_module(None, [TRAP_SINK])
        t.ok("serving XEN-VIF-MIB inside snmpd: 3 vifs" in dom0.snmpd_log(),
             "it says so in snmpd's log", diag=dom0.snmpd_log())
        t.ok("xen-vif-agent.conf: line 3: Warning: agentXTimeout is for the "
             "xen-vif-agent daemon; ignored inside snmpd" in dom0.snmpd_log(),
             "the daemon's AgentX settings in the shared file are passed "
             "over, with a warning naming file and line",
             diag=dom0.snmpd_log())
        # The classifier's columns come with its first reading, a
        # refresh after its hooks went on.
        try:
            wait_until(lambda: everything(dom0) == daemon, 10,
                       "the module to serve what the daemon served")
        except TimeoutError:
            pass
        module = everything(dom0)
        t.ok(len(module) > 60, "a full MIB", diag="%d objects" % len(module))
        t.is_(module, daemon, "every object but the TimeStamps as the "
              "daemon served it, from the same state file")

        # It follows the kernel and xenstore.
        idx = index_of(web, 0)
        before = counters(dom0, idx)
        dom0.send_from_guest(web, 0, count=2, size=200)
        t.is_(wait_counters(dom0, idx, {
            "xenVifHCInOctets": before["xenVifHCInOctets"] + 400,
            "xenVifHCInPkts": before["xenVifHCInPkts"] + 2})["xenVifHCInPkts"],
            before["xenVifHCInPkts"] + 2, "counters follow the kernel")
        new = dom0.add_vm("new1", 9, vifs=[Vif(0)])
        t.ok(wait_until(lambda: dom0.snmpget(
            "XEN-VIF-MIB::xenVifDomainName.%d" % index_of(new))[0] == "new1",
            10, "the new VM's row"), "a new VM appears")

        # Its notifications go to snmpd's own sinks.  web1 has 4400
        # octets in of 10K: 2000 more cross the 50 % warning.
        widx = vm_index(web)
        dom0.send_from_guest(web, 0, count=2, size=1000)
        n = wait_ours(dom0, 1, QUOTA_WARNING, widx)[0]
        t.is_([o for o, _ in n["varbinds"][:2]], [SYS_UPTIME, SNMP_TRAP_OID],
              "sysUpTime.0 and snmpTrapOID.0 first")
        t.is_([o for o, _ in n["varbinds"][2:]],
              [vm_oid(c, widx) for c in QUOTA_OBJECTS],
              "then the MIB's objects, as full instances")
        got = objects(n)
        t.is_((got["xenVifVmName"], int(got["xenVifVmPeriodInOctets"]),
               int(got["xenVifVmQuotaUsedPercent"])), ("web1", 6400, 64),
              "web1 at 6400 octets in, 64 %")
        t.ok("send_trap" not in dom0.snmpd_log(),
             "without net-snmp's SNMPv1 chatter in snmpd's log",
             diag=dom0.snmpd_log())

        # SIGHUP: snmpd reads xen-vif-agent.conf again.
        dom0._write_agent_config(FAST + ("quota web1 6K in warn 50",))
        sighup(dom0, "configuration reloaded")
        t.is_(quota(dom0, web), 6000, "a reload applies the new quota")
        wait_ours(dom0, 1, QUOTA_EXCEEDED, widx)
        t.is_([n["trap"] for n in ours(dom0, vm=widx)],
              [QUOTA_WARNING, QUOTA_EXCEEDED],
              "and web1, now over it, is reported once")

        dom0._write_agent_config(FAST + ("quota web1 lots",))
        sighup(dom0, "keeping the running one")
        t.ok("xen-vif-agent.conf: line 2: Error" in dom0.snmpd_log(),
             "a broken reload names file and line")
        t.is_(quota(dom0, web), 6000, "and changes nothing")

        t.ok("send_trap" not in warnings_log(dom0),
             "nor in its log of warnings, after several notifications",
             diag=warnings_log(dom0))

        # A restart of snmpd keeps the accounting.  The refresh is slow,
        # so that only the last one, as snmpd stops, sees db1's traffic.
        dom0._write_agent_config(("refreshInterval 3600",
                                  "quota web1 6K in warn 50",
                                  "quota db1 1K in"))
        usage = vm_row(dom0, widx, ["xenVifVmPeriodInOctets"])
        kept = counters(dom0, idx)
        dom0.restart_snmpd()
        t.is_(counters(dom0, idx), kept, "counters continue after snmpd "
              "restarts")
        t.is_(vm_row(dom0, widx, ["xenVifVmPeriodInOctets"]), usage,
              "and so does the period's usage")
        # db1 crosses its quota as snmpd stops: the notice is not sent
        # into a closing snmpd, it waits in the state file.
        dom0.send_from_guest(db, 0, count=2, size=1000)
        dom0.stop_snmpd()
        t.ok("xen-vif-agent: 2 notification(s) wait in the state file"
             in dom0.snmpd_log(), "the notices found as snmpd stops (db1 "
             "past its warning level and its quota) wait in the state file",
             diag=dom0.snmpd_log()[-2000:])
        t.is_(ours(dom0, vm=vm_index(db)), [], "and are not sent then")
        dom0.start_snmpd_module(None, [TRAP_SINK])
        wait_ours(dom0, 1, QUOTA_EXCEEDED, vm_index(db))
        t.is_([(n["trap"], objects(n)["xenVifVmName"])
               for n in ours(dom0, vm=vm_index(db))],
              [(QUOTA_WARNING, "db1"), (QUOTA_EXCEEDED, "db1")],
              "they are sent, once, when snmpd starts again")
        t.is_([n["trap"] for n in ours(dom0, vm=widx)],
              [QUOTA_WARNING, QUOTA_EXCEEDED], "with nothing repeated")

        # Errors at start: snmpd runs, the module waits for a fix.
        dom0.stop_snmpd()
        dom0._write_agent_config(FAST + ("refreshInterval soon",))
        dom0.start_snmpd_module(None, [TRAP_SINK], wait_served=False)
        wait_until(lambda: "not served until" in dom0.snmpd_log(), 10,
                   "the module to refuse its configuration")
        t.ok("xen-vif-agent.conf: line 2: Error" in dom0.snmpd_log(),
             "a broken configuration at start names file and line")
        t.is_(dom0.snmpget("XEN-VIF-MIB::xenVifNumber.0")[0], NO_SUCH_OBJECT,
              "and XEN-VIF-MIB is not served")
        dom0._write_agent_config(CONFIG)
        os.kill(dom0.snmpd.pid, signal.SIGHUP)
        wait_until(lambda: dom0.snmpget("XEN-VIF-MIB::xenVifNumber.0")[0]
                   == 4, 10, "the module to start after the fix")
        t.is_(counters(dom0, idx), kept, "fixed and reloaded: it serves, "
              "counters kept")
        dom0.stop_snmpd()

        # No file: the defaults, said (the state, in snmpd's persistent
        # directory by default, is another one: no rows known yet).
        dom0.start_snmpd_module(False, [TRAP_SINK])
        t.ok("xen-vif-agent: no xen-vif-agent.conf on snmpd's configuration "
             "path; starting with the defaults" in dom0.snmpd_log(),
             "no configuration file: it says so and serves",
             diag=dom0.snmpd_log()[-2000:])
        t.is_(dom0.stop_snmpd(), 0, "snmpd exits cleanly")


tap.run(main)
