#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The vif table through a real snmpd: every column's value, exact
traffic in both directions, HVM taps, and rows following domains."""

from common import (COUNTERS, DOWN, FAST, UP, Dom0, NO_SUCH_INSTANCE, Vif,
                    counters, emulated_nic_counted, index_of, indexes,
                    kernel_ifindex, netlink_only, plus, row, tap,
                    wait_counters, wait_until)

WEB_UUID = "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
HVM_UUID = "0b8e2f4c-7a91-4d3e-8c5b-2e6f1a9d7c30"
CUST_UUID = "c4d1e8a2-5b6f-4a7c-9e3d-8f2b1c6a5e94"


def check_columns(t, dom0, vm, devid, expect):
    got = row(dom0, index_of(vm, devid))
    for column, value in expect.items():
        t.is_(got[column], value, "%s %s.%d" % (column, vm.name, devid))
    return got


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, WEB_UUID, vifs=[
            Vif(0, mac="00:16:3e:5a:01:02", ip="192.0.2.10 2001:db8::10")])
        hvm = dom0.add_vm("win7", 4, HVM_UUID, vifs=[
            Vif(0, mac="00:16:3e:5a:04:00", emu=True)])
        dom0.add_bridge("xenbr1")
        cust = dom0.add_vm("cust", 5, CUST_UUID, vifs=[
            Vif(0, vifname="cust-eth0"),
            Vif(1, mac="00:16:3e:5a:05:01", bridge="xenbr1")])
        dom0.start_snmpd()
        dom0.start_agent(FAST)

        t.is_(indexes(dom0), sorted([index_of(web), index_of(hvm),
                                     index_of(cust, 0), index_of(cust, 1)]),
              "one row per vif, indexed by the hash of UUID/devid")
        number, last_change, uptime = dom0.snmpget(
            "XEN-VIF-MIB::xenVifNumber.0",
            "XEN-VIF-MIB::xenVifTableLastChange.0",
            "SNMPv2-MIB::sysUpTime.0")
        t.is_(number, 4, "xenVifNumber")
        t.ok(0 < int(last_change) <= int(uptime),
             "xenVifTableLastChange is in snmpd's sysUpTime",
             diag="lastChange %s, sysUpTime %s" % (last_change, uptime))

        got = check_columns(t, dom0, web, 0, {
            "xenVifDomainId": 3,
            "xenVifDomainName": "web1",
            "xenVifDomainUuid": WEB_UUID,
            "xenVifDeviceId": 0,
            "xenVifName": "vif3.0",
            "xenVifIfIndex": kernel_ifindex(dom0, "vif3.0"),
            "xenVifMacAddress": bytes.fromhex("00163e5a0102"),
            "xenVifBridge": "xenbr0",
            "xenVifIpAddresses": "192.0.2.10 2001:db8::10",
            "xenVifOperStatus": UP,
        })
        for c in COUNTERS:
            t.is_(got[c], 0, "%s starts at the kernel's 0" % c)
        t.is_(got["xenVifCounterDiscontinuityTime"].type, "Timeticks",
              "discontinuity time is a TimeStamp")
        check_columns(t, dom0, hvm, 0, {
            "xenVifName": "vif4.0", "xenVifDomainName": "win7",
            "xenVifIfIndex": kernel_ifindex(dom0, "vif4.0")})
        expect = {"xenVifName": "cust-eth0", "xenVifDeviceId": 0,
                  "xenVifIpAddresses": ""}
        # libxenstat knows a device by its vifD.N name or its sysfs
        # nodename, which the rig's veths cannot have.
        if netlink_only(t, dom0, "xenVifIfIndex cust.0 (custom vifname)"):
            expect["xenVifIfIndex"] = kernel_ifindex(dom0, "cust-eth0")
        check_columns(t, dom0, cust, 0, expect)
        check_columns(t, dom0, cust, 1, {
            "xenVifName": "vif5.1", "xenVifDeviceId": 1,
            "xenVifBridge": "xenbr1",
            "xenVifMacAddress": bytes.fromhex("00163e5a0501")})

        # Direction: In is what the guest sends, Out what it receives.
        base = counters(dom0, index_of(web))
        others = {i: counters(dom0, i) for i in
                  (index_of(hvm), index_of(cust, 0), index_of(cust, 1))}
        dom0.send_from_guest(web, 0, count=10, size=1000)
        dom0.send_to_guest(web, 0, count=7, size=200)
        got = wait_counters(dom0, index_of(web), plus(
            base, xenVifHCInOctets=10000, xenVifHCInPkts=10,
            xenVifHCOutOctets=1400, xenVifHCOutPkts=7))
        t.is_(got, plus(base, xenVifHCInOctets=10000, xenVifHCInPkts=10,
                        xenVifHCOutOctets=1400, xenVifHCOutPkts=7),
              "guest sent 10 x 1000 octets (In), received 7 x 200 (Out)")
        stats = dom0.vif_stats(web, 0)
        t.is_((got["xenVifHCInOctets"], got["xenVifHCOutOctets"]),
              (stats["rx_bytes"], stats["tx_bytes"]),
              "equal to the kernel's rx/tx of vif3.0")
        t.is_({i: counters(dom0, i) for i in others}, others,
              "no other row moved")

        # An HVM guest's emulated NIC is part of its row.
        summed = "%s and %s summed in one row" % (hvm.ifname(0),
                                                  hvm.ifname(0, emu=True))
        if emulated_nic_counted(t, dom0, summed):
            base = counters(dom0, index_of(hvm))
            dom0.send_from_guest(hvm, 0, count=3, size=300)
            dom0.send_from_guest(hvm, 0, count=5, size=100, emu=True)
            dom0.send_to_guest(hvm, 0, count=2, size=64, emu=True)
            t.is_(wait_counters(dom0, index_of(hvm), plus(
                base, xenVifHCInOctets=1400, xenVifHCInPkts=8,
                xenVifHCOutOctets=128, xenVifHCOutPkts=2)),
                plus(base, xenVifHCInOctets=1400, xenVifHCInPkts=8,
                     xenVifHCOutOctets=128, xenVifHCOutPkts=2), summed)

        # Oper status follows the kernel link.
        dom0.set_link_state(web, 0, False)
        t.ok(wait_until(lambda: row(dom0, index_of(web), [
            "xenVifOperStatus"])["xenVifOperStatus"] == DOWN, 5,
            "vif3.0 down"), "device down: operStatus down")
        dom0.set_link_state(web, 0, True)
        t.ok(wait_until(lambda: row(dom0, index_of(web), [
            "xenVifOperStatus"])["xenVifOperStatus"] == UP, 5,
            "vif3.0 up"), "device up again: operStatus up")
        dom0.set_link_state(hvm, 0, False)
        t.ok(wait_until(lambda: row(dom0, index_of(hvm), [
            "xenVifOperStatus"])["xenVifOperStatus"] == UP, 5,
            "hvm up through its tap"),
            "PV device down, emulated tap up: up")

        # A new domain: its row appears through the xenstore watch,
        # well before the next refresh of a slow agent.
        dom0.stop_agent()
        dom0.start_agent(["refreshInterval 60"])
        new = dom0.add_vm("db1", 9, vifs=[Vif(0)])
        t.ok(wait_until(lambda: index_of(new) in indexes(dom0), 2,
                        "the new VM's row within 2 s"),
             "a new VM's row appears within 2 s (refresh is 60 s)")
        t.is_(row(dom0, index_of(new), ["xenVifDomainId"])["xenVifDomainId"],
              9, "with its domain id")
        dom0.destroy_vm(new)
        wait_until(lambda: index_of(new) not in indexes(dom0), 2,
                   "the destroyed VM's row to leave")
        t.is_(row(dom0, index_of(new), ["xenVifDomainId"])["xenVifDomainId"],
              NO_SUCH_INSTANCE, "a destroyed domain's row is gone")
        t.is_(dom0.snmpget("XEN-VIF-MIB::xenVifNumber.0")[0], 4,
              "xenVifNumber back to 4")
        after = int(dom0.snmpget("XEN-VIF-MIB::xenVifTableLastChange.0")[0])
        t.ok(after > int(last_change), "xenVifTableLastChange moved")
        t.is_(dom0.stop_agent(), 0, "agent exits cleanly on SIGTERM")


tap.run(main)
