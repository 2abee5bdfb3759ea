#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""MRTG with pollers/mrtg/xen-vif-vms.htp: Debian's cfgmaker, given the
host template, adds to the switch's port targets a usage and a quota
target per VM of XEN-VIF-MIB's VM table, and mrtg logs exactly the
agent's period usage (64-bit values over SNMPv2c) and quota use."""

import os
import re

from common import (FAST, SWITCH_COMMUNITY, Dom0, Vif, index_of, tap,
                    vm_index, vm_row, wait_until)
from dom0 import SNMP_ADDRESS, SRCDIR, in_ns, run

TEMPLATE = os.path.join(SRCDIR, "pollers", "mrtg", "xen-vif-vms.htp")
TARGET = "%s@%s::::2" % (SWITCH_COMMUNITY, SNMP_ADDRESS)
VM_ENTRY = "1.3.6.1.4.1.8072.9999.98.1.5.1"
WEB = "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
DB = "3c9b1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
# web1's quota is beyond 32 bits: its MaxBytes shows the template read a
# 64-bit value.
QUOTAS = ("quota web1 10G", "quota db1 100000 total warn 80")


def directives(config, keyword):
    pattern = re.compile(r"^%s\[([^\]]+)\]:\s*(.*)$" % re.escape(keyword))
    return {m.group(1): m.group(2) for m in map(pattern.match,
                                                config.splitlines()) if m}


def poller_env():
    # mrtg refuses to poll (and exits 0) when LANG names UTF-8.
    return dict(os.environ, LANG="C", LC_ALL="C")


def main(t):
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, uuid=WEB, vifs=[Vif(0)])
        db = dom0.add_vm("db1", 4, uuid=DB, vifs=[Vif(0)])
        dom0.start_snmpd()
        dom0.start_agent(FAST + QUOTAS)
        dom0.send_from_guest(web, 0, count=7, size=1000)
        dom0.send_to_guest(web, 0, count=3, size=300)
        dom0.send_from_guest(db, 0, count=50, size=1000)
        usage = [(web, 7000, 900), (db, 50000, 0)]
        for vm, sent, received in usage:
            wait_until(lambda vm=vm, s=sent, r=received: vm_row(
                dom0, vm_index(vm), ["xenVifVmPeriodInOctets",
                                     "xenVifVmPeriodOutOctets"]) == {
                "xenVifVmPeriodInOctets": s,
                "xenVifVmPeriodOutOctets": r}, 10,
                "%s's period usage" % vm.name)

        workdir = dom0.path("mrtg")
        os.makedirs(workdir)
        cfg = os.path.join(workdir, "xen.cfg")
        res = run(in_ns(dom0.ns, [
            "cfgmaker", "--nodefaultglobal", "--global", "WorkDir: " + workdir,
            "--host-template=" + TEMPLATE, "--output=" + cfg, TARGET]),
            check=False, env=poller_env())
        t.ok(res.returncode == 0, "cfgmaker ran the host template",
             diag="exit %d\n%s" % (res.returncode, res.stderr[-3000:]))
        config = open(cfg).read() if os.path.exists(cfg) else ""
        targets = directives(config, "Target")
        host = "127.0.0.1"
        want = {}
        for vm in (web, db):
            i = vm_index(vm)
            want["%s_vm_%s_usage" % (host, vm.name)] = "%s.6.%d&%s.7.%d:%s" % (
                VM_ENTRY, i, VM_ENTRY, i, TARGET)
            want["%s_vm_%s_quota" % (host, vm.name)] = \
                "%s.10.%d&%s.10.%d:%s" % (VM_ENTRY, i, VM_ENTRY, i, TARGET)
        t.is_({k: v for k, v in targets.items() if "_vm_" in k}, want,
              "a usage and a quota target per VM, by xenVifVmIndex")
        t.ok(all("%s_%s.0" % (host, vm.name) in targets for vm in (web, db)),
             "the switch's port targets are still there",
             diag=sorted(targets))
        t.is_(directives(config, "MaxBytes").get(
            "%s_vm_web1_usage" % host), str(3 * 10 ** 10),
            "MaxBytes: three times web1's 10 GB quota, a 64-bit value read")
        t.is_(directives(config, "Options").get("%s_vm_db1_usage" % host),
              "gauge, growright, nopercent",
              "period usage is a gauge: it starts again each period")

        res = run(in_ns(dom0.ns, [
            "mrtg", "--lock-file", os.path.join(workdir, "mrtg.lck"),
            "--confcache-file", os.path.join(workdir, "mrtg.ok"), cfg]),
            check=False, env=poller_env())
        noise = [ln for ln in (res.stdout + res.stderr).splitlines()
                 if "Rateup WARNING" not in ln]
        t.ok(res.returncode == 0 and not noise, "mrtg polled every target",
             diag="exit %d\n%s%s" % (res.returncode, res.stdout, res.stderr))

        def logged(target):
            log = os.path.join(workdir, target + ".log")
            if not os.path.exists(log):
                return None
            return [int(x) for x in open(log).readline().split()[1:]]

        for vm, sent, received in usage:
            t.is_(logged("%s_vm_%s_usage" % (host, vm.name)),
                  [sent, received],
                  "%s: mrtg logged its period usage, sent and received"
                  % vm.name)
        t.is_(logged("%s_vm_db1_quota" % host), [50, 50],
              "db1: 50000 of 100000 octets, 50 % of its quota")
        t.is_(logged("%s_vm_web1_quota" % host), [0, 0],
              "web1: a sliver of 10 GB, 0 %")
        t.is_(dom0.stop_agent(), 0, "clean exit")


tap.run(main)
