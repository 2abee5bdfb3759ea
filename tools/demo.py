#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The agent on a simulated dom0, with a live table.

Four VMs (one HVM guest with its emulated tap, one with a custom vifname
on a second bridge) exchange traffic with dom0; the real agent serves
them to a real snmpd; the tables below are read from snmpd over SNMP, as
Cacti or LibreNMS would read them.  Midway one VM reboots and comes back
with a new domain id: its row keeps its index and its counters.  Each
VM has a quota; the notifications a real snmptrapd receives are listed
as VMs cross their warning level and quota.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "rig"))

from dom0 import (TRAP_SINK, SWITCH_COMMUNITY, SWITCH_CONTEXT,  # noqa: E402
                  SWITCH_V2C, Dom0, Vif)

COLUMNS = ("xenVifDomainId", "xenVifDomainName", "xenVifName",
           "xenVifMacAddress", "xenVifBridge", "xenVifOperStatus",
           "xenVifHCInOctets", "xenVifHCOutOctets")
MIB_ROOT = ".1.3.6.1.4.1.8072.9999.98"

# Per VM: frames per round from the guest (In) and to it (Out), size.
TRAFFIC = {"web1": (40, 12, 1200), "db1": (6, 30, 900),
           "win10": (10, 10, 600), "shop": (25, 5, 1400)}
# What the simulated hypervisor says of each VM: vcpus, memory in KiB,
# and the CPU time its domain uses each round.
RESOURCES = {"web1": (2, 2 << 20, 0.9e9), "db1": (4, 8 << 20, 3.1e9),
             "win10": (2, 4 << 20, 1.4e9), "shop": (1, 1 << 20, 0.2e9)}


def read_table(dom0):
    rows = {}
    for column in COLUMNS:
        for oid, value in dom0.snmpwalk("XEN-VIF-MIB::" + column):
            rows.setdefault(int(oid.rsplit(".", 1)[1]), {})[column] = value
    return rows


def text(value):
    return value.raw.decode("utf-8", "replace")


def mac(value):
    return ":".join("%02x" % b for b in value.raw) if value else "-"


def render(rows, previous, elapsed):
    head = ("%-10s %5s %-8s %-10s %-17s %-7s %-4s %12s %12s %9s %9s"
            % ("xenVifIdx", "domid", "VM", "device", "MAC", "bridge", "oper",
               "InOctets", "OutOctets", "In kb/s", "Out kb/s"))
    lines = [head, "-" * len(head)]
    for index in sorted(rows, key=lambda i: text(rows[i]["xenVifDomainName"])):
        r = rows[index]
        rin, rout = int(r["xenVifHCInOctets"]), int(r["xenVifHCOutOctets"])
        old = previous.get(index)
        rate = ("%9.1f %9.1f" % ((rin - old[0]) * 8 / 1000 / elapsed,
                                 (rout - old[1]) * 8 / 1000 / elapsed)
                if old and elapsed else "%9s %9s" % ("", ""))
        lines.append("%-10d %5d %-8s %-10s %-17s %-7s %-4s %12d %12d %s" % (
            index, int(r["xenVifDomainId"]), text(r["xenVifDomainName"])[:8],
            text(r["xenVifName"])[:10], mac(r.get("xenVifMacAddress")),
            text(r["xenVifBridge"])[:7],
            "up" if int(r["xenVifOperStatus"]) == 1 else "down",
            rin, rout, rate))
    return "\n".join(lines)


VM_COLUMNS = ("xenVifVmName", "xenVifVmPeriodInOctets",
              "xenVifVmPeriodOutOctets", "xenVifVmQuotaOctets",
              "xenVifVmQuotaUsedPercent", "xenVifVmQuotaStatus",
              "xenVifVmState", "xenVifVmVcpus", "xenVifVmMemoryKBytes",
              "xenVifVmCpuTime")
STATUS = {1: "none", 2: "ok", 3: "WARNING", 4: "EXCEEDED"}
STATE = {1: "running", 2: "blocked", 3: "paused", 4: "shutdown",
         5: "crashed", 6: "dying"}
NOTIFICATION = {1: "xenVifQuotaWarning", 2: "xenVifQuotaExceeded",
                3: "xenVifQuotaCleared", 4: "xenVifRateAlarm",
                5: "xenVifRateAlarmCleared"}
QUOTAS = ("quota * 150K in", "quota web1 250K total warn 50")


def render_vms(dom0):
    rows = {}
    for column in VM_COLUMNS:
        for oid, value in dom0.snmpwalk("XEN-VIF-MIB::" + column):
            rows.setdefault(int(oid.rsplit(".", 1)[1]), {})[column] = value
    lines = ["%-8s %12s %12s %10s %6s %-8s  %-8s %5s %8s %8s" % (
        "VM", "period In", "period Out", "quota", "used", "status",
        "state", "vcpus", "mem MiB", "CPU s")]
    for r in sorted(rows.values(), key=lambda r: text(r["xenVifVmName"])):
        # The hypervisor's columns have no instance until it is read.
        def resource(column, show):
            return show(int(r[column])) if column in r else "-"
        lines.append("%-8s %12d %12d %10d %5d%% %-8s  %-8s %5s %8s %8s" % (
            text(r["xenVifVmName"])[:8], int(r["xenVifVmPeriodInOctets"]),
            int(r["xenVifVmPeriodOutOctets"]), int(r["xenVifVmQuotaOctets"]),
            int(r["xenVifVmQuotaUsedPercent"]),
            STATUS.get(int(r["xenVifVmQuotaStatus"]), "?"),
            resource("xenVifVmState", lambda v: STATE.get(v, "?")),
            resource("xenVifVmVcpus", str),
            resource("xenVifVmMemoryKBytes", lambda v: str(v // 1024)),
            resource("xenVifVmCpuTime", lambda v: "%.1f" % (v / 1e9))))
    return "\n".join(lines)


def render_notifications(dom0):
    lines = []
    for n in dom0.traps():
        kind = (n["trap"] or "").rsplit(".", 1)[-1]
        if not (n["trap"] or "").startswith(".1.3.6.1.4.1.8072.9999.98.0."):
            continue
        name = next((v.raw.decode() for o, v in n["varbinds"]
                     if ".98.1.5.1.3." in o), "?")
        used = next((int(v) for o, v in n["varbinds"]
                     if ".98.1.5.1.10." in o), None)
        lines.append("  %-22s %-8s%s" % (NOTIFICATION.get(int(kind), kind), name,
                                        "" if used is None else " at %d%%" % used))
    return "\n".join(lines[-8:]) or "  (none yet)"


IF_X = ".1.3.6.1.2.1.31.1.1.1"
SWITCH_COLUMNS = {"ifName": IF_X + ".1", "ifAlias": IF_X + ".18",
                  "ifHighSpeed": IF_X + ".15",
                  "ifOperStatus": ".1.3.6.1.2.1.2.2.1.8",
                  "ifHCInOctets": IF_X + ".6", "ifHCOutOctets": IF_X + ".10"}


def render_switch(dom0):
    """The switch view as any IF-MIB poller sees it: the context "xen",
    through the community mapped to it."""
    rows = {}
    for column, oid in SWITCH_COLUMNS.items():
        for o, value in dom0.snmpwalk(oid, auth=SWITCH_V2C):
            rows.setdefault(int(o.rsplit(".", 1)[1]), {})[column] = value
    ports = {int(v): int(o.rsplit(".", 1)[1]) for o, v in dom0.snmpwalk(
        ".1.3.6.1.2.1.17.1.4.1.2", auth=SWITCH_V2C)}
    lines = ["%-10s %4s %-10s %-8s %-4s %6s %12s %12s" % (
        "ifIndex", "port", "ifName", "ifAlias", "oper", "Mbit/s",
        "ifHCInOctets", "ifHCOutOctets")]
    for index in sorted(rows, key=lambda i: ports.get(i, 0)):
        r = rows[index]
        lines.append("%-10d %4s %-10s %-8s %-4s %6d %12d %12d" % (
            index, ports.get(index, "-"), text(r["ifName"])[:10],
            text(r["ifAlias"])[:8],
            "up" if int(r["ifOperStatus"]) == 1 else "down",
            int(r["ifHighSpeed"]), int(r["ifHCInOctets"]),
            int(r["ifHCOutOctets"])))
    return "\n".join(lines)


def send_round(dom0, vms):
    for vm in vms.values():
        sent, received, size = TRAFFIC[vm.name]
        for devid in range(len(vm.vifs)):
            dom0.send_from_guest(vm, devid, sent, size)
            dom0.send_to_guest(vm, devid, received, size)
        if vm.hvm:
            dom0.send_from_guest(vm, 0, sent // 2, size, emu=True)
        vcpus, mem_kb, cpu_ns = RESOURCES[vm.name]
        dom0.set_resources(vm, vcpus=vcpus, mem_kb=mem_kb, max_mem_kb=mem_kb,
                           cpu_ns=vm.resources.get("cpu_ns", 0) + int(cpu_ns))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int,
                        default=0 if sys.stdout.isatty() else 6,
                        help="rounds to show (0: until Ctrl-C; default 6 "
                        "when not on a terminal)")
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo: run as root (it creates network namespaces)")

    with Dom0() as dom0:
        dom0.add_bridge("xenbr1")
        vms = {
            "web1": dom0.add_vm("web1", 1, vifs=[Vif(0, ip="192.0.2.11")]),
            "db1": dom0.add_vm("db1", 2, vifs=[Vif(0, ip="192.0.2.12")]),
            "win10": dom0.add_vm("win10", 3, vifs=[Vif(0, emu=True)]),
            "shop": dom0.add_vm("shop", 4, vifs=[
                Vif(0, vifname="shop-eth0", bridge="xenbr1")]),
        }
        dom0.start_snmptrapd()
        dom0.start_snmpd([TRAP_SINK])
        dom0.start_agent(["refreshInterval 1", "resourceInterval 1"]
                         + list(QUOTAS))
        print("Simulated dom0 in network namespace %s; snmpd on 127.0.0.1:1161."
              % dom0.ns)
        print("Query it yourself meanwhile:\n  ip netns exec %s snmpwalk -v2c "
              "-c public -M %s -m ALL 127.0.0.1:1161 %s\n"
              % (dom0.ns, dom0.mib_dir, MIB_ROOT))
        print("and the switch (its own context, \"%s\"):\n  ip netns exec %s "
              "snmpwalk -v2c -c %s 127.0.0.1:1161 .1.3.6.1.2.1.31.1.1.1\n"
              % (SWITCH_CONTEXT, dom0.ns, SWITCH_COMMUNITY))
        previous, last, note, rnd = {}, None, "", 0
        try:
            while args.iterations == 0 or rnd < args.iterations:
                rnd += 1
                if rnd == 4:
                    old = vms["db1"].domid
                    vms["db1"] = dom0.reboot_vm(vms["db1"], 12)
                    note = ("db1 rebooted: domid %d -> 12; same xenVifIndex, "
                            "counters carried on" % old)
                if rnd == 5:
                    dom0.destroy_vm(vms.pop("shop"))
                    note = ("shop shut down: its row left xenVifTable; its "
                            "switch port stays, down, counters held")
                send_round(dom0, vms)
                time.sleep(1.2)   # let the agent's 1 s refresh read it
                now = time.monotonic()
                rows = read_table(dom0)
                if sys.stdout.isatty():
                    sys.stdout.write("\x1b[H\x1b[J")
                print("xenVifTable via snmpd, round %d (In = sent by the "
                      "guest, Out = sent to it)" % rnd)
                print(render(rows, previous, now - last if last else 0))
                print("\nxenVifVmTable (%s)" % ", ".join(QUOTAS))
                print(render_vms(dom0))
                print("\ndom0 as a switch: IF-MIB in the context \"%s\" "
                      "(port: dot1dBasePort)" % SWITCH_CONTEXT)
                print(render_switch(dom0))
                print("\nnotifications received by snmptrapd:")
                print(render_notifications(dom0))
                if note:
                    print("\n" + note)
                sys.stdout.flush()
                previous = {i: (int(r["xenVifHCInOctets"]),
                                int(r["xenVifHCOutOctets"]))
                            for i, r in rows.items()}
                last = now
                time.sleep(max(0.0, args.interval - 1.2))
        except KeyboardInterrupt:
            print()
        dom0.stop_agent()


if __name__ == "__main__":
    main()
