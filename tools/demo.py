#!/usr/bin/python3
"""The agent on a simulated dom0, with a live table.

Four VMs (one HVM guest with its emulated tap, one with a custom vifname
on a second bridge) exchange traffic with dom0; the real agent serves
them to a real snmpd; the table below is read from snmpd over SNMP, as
Cacti or LibreNMS would read it.  Midway one VM reboots and comes back
with a new domain id: its row keeps its index and its counters.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "rig"))

from dom0 import Dom0, Vif                            # noqa: E402

COLUMNS = ("xenVifDomainId", "xenVifDomainName", "xenVifName",
           "xenVifMacAddress", "xenVifBridge", "xenVifOperStatus",
           "xenVifHCInOctets", "xenVifHCOutOctets")
MIB_ROOT = ".1.3.6.1.4.1.8072.9999.98"

# Per VM: frames per round from the guest (In) and to it (Out), size.
TRAFFIC = {"web1": (40, 12, 1200), "db1": (6, 30, 900),
           "win10": (10, 10, 600), "shop": (25, 5, 1400)}


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


def send_round(dom0, vms):
    for vm in vms.values():
        sent, received, size = TRAFFIC[vm.name]
        for devid in range(len(vm.vifs)):
            dom0.send_from_guest(vm, devid, sent, size)
            dom0.send_to_guest(vm, devid, received, size)
        if vm.hvm:
            dom0.send_from_guest(vm, 0, sent // 2, size, emu=True)


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
        dom0.start_snmpd()
        dom0.start_agent(["refreshInterval 1"])
        print("Simulated dom0 in network namespace %s; snmpd on 127.0.0.1:1161."
              % dom0.ns)
        print("Query it yourself meanwhile:\n  ip netns exec %s snmpwalk -v2c "
              "-c public -M %s -m ALL 127.0.0.1:1161 %s\n"
              % (dom0.ns, dom0.mib_dir, MIB_ROOT))
        previous, last, note, rnd = {}, None, "", 0
        try:
            while args.iterations == 0 or rnd < args.iterations:
                rnd += 1
                if rnd == 4:
                    old = vms["db1"].domid
                    vms["db1"] = dom0.reboot_vm(vms["db1"], 12)
                    note = ("db1 rebooted: domid %d -> 12; same xenVifIndex, "
                            "counters carried on" % old)
                send_round(dom0, vms)
                time.sleep(1.2)   # let the agent's 1 s refresh read it
                now = time.monotonic()
                rows = read_table(dom0)
                if sys.stdout.isatty():
                    sys.stdout.write("\x1b[H\x1b[J")
                print("xenVifTable via snmpd, round %d (In = sent by the "
                      "guest, Out = sent to it)" % rnd)
                print(render(rows, previous, now - last if last else 0))
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
