#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The platforms Xen hosts run: xapi's toolstack on a real Open vSwitch
(userspace datapath), with VLAN fake bridges and exact counters through
it; a VM migrating on the host and arriving from another; libvirt's and
xl's Open vSwitch bridge syntax; a guest's own words about its
addresses; a driver domain within oxenstored's watch quota; and
libxenstat on Open vSwitch."""

import re

from common import (FAST, Dom0, Vif, counters, index_of, indexes, plus,
                    row, tap, vm_index, vm_row, wait_counters, wait_until)
from dom0 import ovs

WEB = "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
DB = "3c9b1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
IN = ("xenVifHCInOctets", "xenVifHCInPkts")


def moved(octets_in=0, pkts_in=0, octets_out=0, pkts_out=0):
    return dict(xenVifHCInOctets=octets_in, xenVifHCInPkts=pkts_in,
                xenVifHCOutOctets=octets_out, xenVifHCOutPkts=pkts_out)


def open_vswitch(t):
    t.ok(ovs.available(), "Open vSwitch is installed (openvswitch-switch)")
    if not ovs.available():
        return
    with Dom0(toolstack="xapi") as dom0:
        # A xapi host on Open vSwitch has no Linux bridge at all.
        dom0.remove_bridge("xenbr0")
        sw = dom0.start_openvswitch()
        sw.add_bridge("xenbr1")
        # A VLAN network: xapi's fake bridge on its parent.
        sw.add_bridge("xapi3", parent="xenbr1", vlan=10)
        web = dom0.add_vm("web1", 3, uuid=WEB, vifs=[Vif(0, bridge="xenbr1")])
        db = dom0.add_vm("db1", 4, uuid=DB, vifs=[Vif(0, bridge="xapi3")])
        t.ok("xs-vm-uuid=\"%s\"" % WEB in sw.external_ids("vif3.0"),
             "the rig: vif3.0 is an OVS port with xapi's external_ids")
        t.is_(dom0.link_master("vif3.0"), None,
              "the kernel names no bridge for a userspace-datapath port")
        dom0.start_snmpd()
        # Without the classifier: a program on the ingress hook of a port
        # that only packet sockets read (the userspace datapath the rig
        # has for want of the kernel module) makes the kernel count every
        # frame received there in rx_dropped (README, "Requirements").
        dom0.start_agent(FAST + ("classifier no",))
        w, d = index_of(web), index_of(db)
        t.is_((row(dom0, w, ["xenVifBridge"])["xenVifBridge"],
               row(dom0, d, ["xenVifBridge"])["xenVifBridge"]),
              ("xenbr1", "xapi3"),
              "bridge from xapi's records; a VLAN's: its own fake bridge")

        sw.connect("xenbr1", dom0.network.ovs_ports["vif3.0"],
                   dom0.network.ovs_ports["vif4.0"])
        base_w, base_d = counters(dom0, w), counters(dom0, d)
        dom0.send_between(web, 0, db, 0, count=20, size=500)
        dom0.send_between(db, 0, web, 0, count=3, size=100)
        t.is_(wait_counters(dom0, w, plus(base_w, **moved(10000, 20, 300, 3))),
              plus(base_w, **moved(10000, 20, 300, 3)),
              "through Open vSwitch: web1 sent 20 x 500, received 3 x 100")
        t.is_(wait_counters(dom0, d, plus(base_d, **moved(300, 3, 10000, 20))),
              plus(base_d, **moved(300, 3, 10000, 20)),
              "and db1 the other way round, exactly")
        stats = dom0.vif_stats(web, 0)
        got = counters(dom0, w)
        t.is_((got["xenVifHCInOctets"], got["xenVifHCOutOctets"]),
              (stats["rx_bytes"], stats["tx_bytes"]),
              "equal to the kernel's counters of vif3.0")

        # libxenstat finds a vif's network through its Linux bridge: on
        # Open vSwitch it finds none, and the agent must not serve zeros.
        dom0.stop_agent()
        dom0.start_agent(["counterSource xenstat", "refreshInterval 1"],
                         wait_registered=False)
        said = wait_until(lambda: re.search(
            r"libxenstat reports no network for any domain while (\d+) "
            r"vif device\(s\) exist.*use counterSource netlink",
            dom0.agent_log()), 10, "the agent to say why")
        t.is_(said.group(1), "2", "counterSource xenstat on Open vSwitch: "
              "the agent says libxenstat sees no network, and why")
        dom0.wait_agent_registered()
        t.is_(indexes(dom0), [], "and serves no row of zeros")
        t.is_(dom0.stop_agent(), 0, "clean exit")


def local_migration(t):
    with Dom0(toolstack="xapi") as dom0:
        old = dom0.add_vm("web1", 3, uuid=WEB)
        dom0.start_snmpd()
        dom0.start_agent(FAST)
        idx = index_of(old)
        base = counters(dom0, idx)
        dom0.send_from_guest(old, 0, count=10, size=1000)
        wait_counters(dom0, idx, plus(base, **moved(10000, 10)))
        seen = []

        def sample():
            got = counters(dom0, idx)
            seen.append(got["xenVifHCInOctets"])
            return got

        # The incoming domain, under a temporary UUID, its vif plugged
        # while the old one still runs.
        new = dom0.add_vm("web1", 8, uuid=WEB, migrating_in=True)
        t.ok(wait_until(lambda: row(dom0, idx, ["xenVifDomainId"])[
            "xenVifDomainId"] == 8, 10, "the newer domain's metadata"),
            "during the migration the row shows the newer domain")
        t.is_(indexes(dom0), [idx], "one row for the VM's two domains")
        t.is_(row(dom0, idx, ["xenVifDomainUuid"])["xenVifDomainUuid"], WEB,
              "with the real UUID, not the temporary one")
        dom0.send_from_guest(old, 0, count=2, size=1000)
        dom0.send_from_guest(new, 0, count=5, size=1000)
        wait_counters(dom0, idx, plus(base, **moved(17000, 17)))
        sample()
        dom0.finish_migration(new, outgoing=old)
        t.ok(wait_until(lambda: indexes(dom0) == [idx] and
                        row(dom0, idx, ["xenVifName"])["xenVifName"] ==
                        "vif8.0", 10, "the old domain gone"),
             "the old domain gone: the same row, now vif8.0")
        dom0.send_from_guest(new, 0, count=3, size=1000)
        t.is_(wait_counters(dom0, idx, plus(base, **moved(20000, 20))),
              plus(base, **moved(20000, 20)),
              "every frame of both domains counted once")
        sample()
        t.ok(seen == sorted(seen), "counters never went back")
        t.is_(row(dom0, idx, ["xenVifDomainUuid"])["xenVifDomainUuid"], WEB,
              "the real UUID")
        vms = [int(oid.rsplit(".", 1)[1]) for oid, _ in
               dom0.snmpwalk("XEN-VIF-MIB::xenVifVmUuid")]
        t.is_(vms, [vm_index(old)], "one VM in the VM table")
        t.is_(int(vm_row(dom0, vm_index(old), ["xenVifVmPeriodInOctets"])[
            "xenVifVmPeriodInOctets"]), 20000, "its usage is all of it")

        # Away to another host, then back: the same row and index, the
        # counters going on from where they were.
        dom0.destroy_vm(new)
        wait_until(lambda: indexes(dom0) == [], 10, "the row to leave")
        back = dom0.add_vm("web1", 12, uuid=WEB, migrating_in=True)
        t.ok(wait_until(lambda: indexes(dom0) == [idx], 10, "the row back"),
             "arriving from another host: the same index")
        t.is_(row(dom0, idx, ["xenVifDomainUuid"])["xenVifDomainUuid"], WEB,
              "known by its real UUID while the migration finishes")
        dom0.finish_migration(back)
        dom0.send_from_guest(back, 0, count=1, size=1000)
        t.is_(wait_counters(dom0, idx, plus(base, **moved(21000, 21))),
              plus(base, **moved(21000, 21)), "counting on from 20000")
        t.is_(dom0.stop_agent(), 0, "clean exit")


def bridges_and_addresses(t):
    with Dom0(toolstack="libxl") as dom0:
        trunk = dom0.add_vm("lb1", 3, vifs=[
            Vif(0, bridge="xenbr0.10:20:30", script="vif-openvswitch"),
            Vif(1, bridge="ovsbr0.10", script="vif-openvswitch"),
            Vif(2, bridge="br0.100")])
        dom0.start_snmpd()
        dom0.start_agent(FAST)
        got = [row(dom0, index_of(trunk, n), ["xenVifBridge"])["xenVifBridge"]
               for n in range(3)]
        t.is_(got, ["xenbr0", "ovsbr0", "br0.100"],
              "BR.VLAN:TRUNKS and, with vif-openvswitch, BR.VLAN reduced "
              "to the bridge; a Linux bridge's dotted name kept")
        t.is_(dom0.stop_agent(), 0, "clean exit")

    with Dom0(toolstack="xapi") as dom0:
        vm = dom0.add_vm("web1", 3, uuid=WEB,
                         vifs=[Vif(0, ip="192.0.2.10 2001:db8::10")])
        dom0.start_snmpd()
        dom0.start_agent(FAST)
        idx = index_of(vm)
        t.is_(row(dom0, idx, ["xenVifIpAddresses"])["xenVifIpAddresses"],
              "192.0.2.10 2001:db8::10", "xapi: the addresses it locks to")
        # The guest agent's report and the frontend's MAC: the guest's
        # word, never read.
        dom0.xs.write(vm.dom_path + "/attr/vif/0/ipv4/0", "203.0.113.9")
        dom0.xs.write(vm.dom_path + "/attr/vif/0/ipv6/0", "2001:db8::66")
        dom0.xs.write(vm.frontend_path(0) + "/mac", "02:00:00:00:00:66")
        dom0.write_vif_setting(vm, 0, "ip", "192.0.2.11")
        t.ok(wait_until(lambda: row(dom0, idx, ["xenVifIpAddresses"])[
            "xenVifIpAddresses"] == "192.0.2.11", 5, "the re-read"),
            "locked to another address: seen at once")
        got = row(dom0, idx, ["xenVifMacAddress"])["xenVifMacAddress"]
        t.is_(got, bytes.fromhex(vm.vif(0).mac.replace(":", "")),
              "the MAC from the backend, not the guest's")
        dom0.write_vif_setting(vm, 0, "bridge", "xapi5")
        t.ok(wait_until(lambda: row(dom0, idx, ["xenVifBridge"])[
            "xenVifBridge"] == "xapi5", 5, "the moved VIF"),
            "a VIF moved to another network: seen at once")
        t.is_(dom0.stop_agent(), 0, "clean exit")


def simulator_log(dom0):
    with open(dom0.work.path("xenstored.log"), errors="replace") as f:
        return f.read()


def driver_domain(t):
    """oxenstored lets a driver domain hold about a hundred watches; the
    simulator is given a quota of 4 here, and 12 guests."""
    with Dom0(toolstack="libxl") as dom0:
        dom0.xenstored.watch_quota = 4
        dom0.xenstore_restart()
        guests = [dom0.add_vm("g%d" % n, 10 + n,
                              vifs=[Vif(0, bridge=None, backend_domid=7)])
                  for n in range(12)]
        dom0.start_snmpd()
        dom0.start_agent(FAST + ("backendDomain 7",))
        want = sorted(index_of(vm) for vm in guests)
        t.ok(wait_until(lambda: indexes(dom0) == want, 10, "every row"),
             "backendDomain 7: every guest it serves has its row")
        dom0.send_from_guest(guests[5], 0, count=4, size=250)
        t.is_(wait_counters(dom0, index_of(guests[5]), {
            "xenVifHCInOctets": 1000, "xenVifHCInPkts": 4})["xenVifHCInPkts"],
            4, "and is counted")
        late = dom0.add_vm("late", 40, vifs=[Vif(0, bridge=None,
                                                 backend_domid=7)])
        t.ok(wait_until(lambda: index_of(late) in indexes(dom0), 5,
                        "the late guest"),
             "a guest arriving later is seen (the watches work)")
        t.ok("watch quota" not in simulator_log(dom0),
             "within the watch quota: no watch refused")
        t.is_(dom0.stop_agent(), 0, "clean exit")

        # The same quota with dom0's backends: a name watch per domain
        # would not fit, and the simulator refuses it (the check can
        # fail).
        for vm in list(dom0.vms):
            dom0.destroy_vm(vm)
        for n in range(6):
            dom0.add_vm("h%d" % n, 50 + n, vifs=[Vif(0, bridge=None)])
        dom0.start_agent(FAST, wait_registered=False)
        t.ok(wait_until(lambda: "watch quota 4 reached" in
                        simulator_log(dom0), 10, "a refused watch"),
             "the quota is real: dom0's layout with a name watch per "
             "domain goes beyond it")
        dom0.stop_agent()


def main(t):
    open_vswitch(t)
    local_migration(t)
    bridges_and_addresses(t)
    driver_domain(t)


tap.run(main)
