#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The command line and the configuration: every option does what -h
says, and every bad configuration line stops the agent with the file
and line named."""

import os
import re

from common import FAST, Dom0, Vif, tap, wait_until

VERSION_RE = r"^xen-vif-agent \d+\.\d+\.\d+\n$"


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        conf = dom0.agent_config_file

        rc, out, err = dom0.run_agent_once(["-v"])
        t.ok(rc == 0 and re.match(VERSION_RE, out), "-v prints the version",
             diag=out + err)
        rc, out, _ = dom0.run_agent_once(["-h"])
        t.ok(rc == 0 and all(o in out for o in
                             ("-f ", "-x ", "-L ", "-D", "-p ", "-H ", "-c ")),
             "-h lists the options", diag=out)
        rc, out, _ = dom0.run_agent_once(["-H"])
        t.ok(rc == 0 and all(tok in out for tok in (
            "refreshInterval", "stateSaveInterval", "backendDomain",
            "stateFile", "sysfsRoot", "agentxPingInterval", "quota",
            "accountingPeriod", "rateAlarm")),
            "-H lists the agent's and net-snmp's tokens", diag=out)
        rc, _, err = dom0.run_agent_once(["-Q"])
        t.is_(rc, 2, "an unknown option exits 2")
        t.ok("Usage:" in err, "with the usage", diag=err)
        rc, _, err = dom0.run_agent_once(["-f", "stray"])
        t.is_((rc, "unexpected argument 'stray'" in err), (2, True),
              "a stray argument exits 2 and is named")
        rc, _, err = dom0.run_agent_once(["-C"])
        t.is_((rc, "-C needs -c FILE" in err), (2, True), "-C alone refused")

        bad = [
            ("refreshInterval 0", "Error: '0' is not a whole number from 1 "
             "to 3600"),
            ("refreshInterval 5 seconds", "Error: expected one value, got more"),
            ("refreshIntervall 5", "Warning: Unknown token: refreshIntervall."),
            ("stateFile relative/path",
             "Error: 'relative/path' is not an absolute path"),
            ("backendDomain 40000",
             "Error: '40000' is not a whole number from 0 to 32751"),
            ("agentXPingInterval soon", "Error: Invalid ping interval value"),
            ("quota web1 5GB", "Error: '5GB' is not an amount of bytes above "
             "zero (a number with K, M, G, T, Ki, Mi, Gi or Ti)"),
            ("quota * 5G sideways",
             "Error: 'sideways': expected in, out, total or warn PERCENT"),
            ("accountingPeriod monthly 31",
             "Error: '31' is not a day of the month from 1 to 28"),
            ("accountingPeriod daily Mars/Olympus",
             "Error: unknown time zone 'Mars/Olympus'"),
            ("rateAlarm db1 total 1G 60", "Error: 'total': expected in or out"),
            ("stateSaveInterval 300",
             "Error: '300' is not a whole number from 5 to 60"),
        ]
        for line, message in bad:
            rc, out, err = dom0.run_agent_once(
                ["-f", "-Le"], config_lines=["refreshInterval 2", line])
            t.is_(rc, 1, "%r: exit 1" % line)
            t.ok("%s: line 2: %s" % (conf, message) in err and
                 "1 error(s) in the configuration; not starting" in err,
                 "%r: file, line and reason" % line, diag=err)

        rc, _, err = dom0.run_agent_once(["-f", "-Le"], config_lines=[
            "quota web1 1G", "quota web1 2G"])
        t.ok(rc == 1 and "%s: line 2: Error: a quota for web1 is already set"
             % conf in err, "a second quota for one VM names the line", diag=err)

        rc, _, err = dom0.run_agent_once(["-f", "-Le"], config_lines=[
            "refreshInterval x", "# a comment", "", "bogus 1", "sysfsRoot /sys"])
        t.ok(rc == 1 and "%s: line 1: Error" % conf in err and
             "%s: line 4: Warning: Unknown token: bogus." % conf in err and
             "2 error(s) in the configuration" in err,
             "every error is reported, then the agent stops", diag=err)

        extra = dom0.path("extra.conf")
        with open(extra, "w") as f:
            f.write("refreshInterval 2\nrefreshInterval -1\n")
        rc, _, err = dom0.run_agent_once(["-f", "-Le", "-C", "-c", extra])
        t.ok(rc == 1 and "%s: line 2: Error" % extra in err,
             "-c FILE: its errors are the agent's too", diag=err)

        # A state file that cannot be read (a directory here) must not be
        # overwritten by a fresh start: the agent refuses to run.
        os.makedirs(dom0.path("statedir.state"))
        rc, _, err = dom0.run_agent_once(["-f", "-Le"], config_lines=[
            "stateFile %s" % dom0.path("statedir.state")])
        t.ok(rc == 1 and "cannot start:" in err and "statedir.state" in err,
             "an unreadable state file stops the agent", diag=err)

        # Running: -p, -Lf, -D, and daemon mode.
        dom0.add_vm("web1", 3, vifs=[Vif(0)])
        dom0.start_snmpd()
        pidfile = dom0.path("agent.pid")
        dom0.start_agent(FAST, args=["-p", pidfile, "-Dxen-vif-agent"])
        with open(pidfile) as f:
            t.is_(int(f.read()), dom0.agent_pid, "-p writes the pid")
        wait_until(lambda: "xenstore watch:" in dom0.agent_log(), 5,
                   "debug output")
        t.ok("reconciled" in dom0.agent_log(),
             "-D xen-vif-agent shows the agent's debug output")
        t.is_(dom0.stop_agent(), 0, "SIGTERM: exit 0")
        t.ok(not os.path.exists(pidfile), "pid file removed at exit")

        log = dom0.path("daemon.log")
        rc, _, _ = dom0.run_agent_once(
            ["-p", pidfile, "-Lf", log, "-x", "unix:" + dom0.agentx_socket],
            config_lines=FAST)
        t.is_(rc, 0, "without -f the parent returns at once")
        pid = wait_until(lambda: os.path.exists(pidfile) and
                         open(pidfile).read().strip(), 5, "the pid file")
        pid = int(pid)
        t.ok(pid != os.getpid() and os.path.exists("/proc/%d" % pid),
             "the daemon runs on")
        t.ok(wait_until(lambda: int(dom0.snmpget(
            "XEN-VIF-MIB::xenVifNumber.0")[0]) == 1, 10, "the daemon's table"),
            "and serves the table")
        os.kill(pid, 15)
        wait_until(lambda: not os.path.exists("/proc/%d" % pid), 10,
                   "the daemon to exit")
        t.ok(not os.path.exists(pidfile), "daemon removed its pid file")
        with open(log) as f:
            t.ok("started: 1 vifs" in f.read(), "-Lf FILE logs there")


tap.run(main)
