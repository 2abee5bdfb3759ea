#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""What a guest or a broken toolstack puts in xenstore never reaches a
poller raw: metadata comes only from dom0's nodes, every string is
cleaned and bounded, malformed values drop only themselves."""

from common import (FAST, Dom0, NO_SUCH_INSTANCE, Vif, index_of, indexes,
                    row, tap, wait_until)

ATTACKER_MAC = "02:de:ad:be:ef:01"


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        vm = dom0.add_vm("honest", 3, vifs=[
            Vif(0, mac="00:16:3e:00:00:03", ip="192.0.2.3")])
        evil_name = (b"\x1b[2J\x1b]0;owned\x07evil\r\nname\xff\xc0\x80"
                     b"\xe2\x80\xaecod.exe\xc3\xa9")
        evil = dom0.add_vm("placeholder", 4, vifs=[
            Vif(0, mac="00:16:3e:00:00:04", bridge="xenbr0")])
        # No device: the row shows the name the device is expected to have.
        huge = dom0.add_vm("placeholder2", 5, vifs=[Vif(0)],
                           create_links=False)
        dom0.start_snmpd()
        dom0.start_agent(FAST)

        # The guest writes what it may write: its frontend, data, attr.
        dom0.xs.write(vm.frontend_path(0) + "/mac", ATTACKER_MAC)
        dom0.xs.write(vm.dom_path + "/data/vif0-ip", "203.0.113.9")
        dom0.xs.write(vm.dom_path + "/attr/vif/0/ip", "203.0.113.9")
        dom0.xs.write(vm.dom_path + "/device/vif/0/ip", "203.0.113.9")
        # A dom0 change to the same domain makes the agent re-read it.
        dom0.write_vif_setting(vm, 0, "ip", "192.0.2.33")
        wait_until(lambda: row(dom0, index_of(vm), ["xenVifIpAddresses"])[
            "xenVifIpAddresses"] == "192.0.2.33", 5, "the re-read")
        got = row(dom0, index_of(vm))
        t.is_(got["xenVifMacAddress"], bytes.fromhex("00163e000003"),
              "MAC from the backend, not the MAC the guest wrote")
        t.is_(got["xenVifIpAddresses"], "192.0.2.33",
              "addresses from the backend only")

        # Hostile text in dom0-owned nodes (a toolstack bug, or an
        # operator's paste) is cleaned, exactly.
        dom0.xs.write(evil.dom_path + "/name", evil_name)
        dom0.write_vif_setting(evil, 0, "bridge", b"br\x00\xff\tx")
        dom0.write_vif_setting(evil, 0, "ip", b"192.0.2.4\n\x1b[1m")
        dom0.write_vif_setting(evil, 0, "mac", "00:16:3e:00:00")
        dom0.xs.write(huge.dom_path + "/name", b"A" * 4000)
        dom0.write_vif_setting(huge, 0, "vifname", b"v" * 300)
        expect_name = ("?[2J?]0;owned?evil??name???" "?cod.exe\u00e9")
        wait_until(lambda: row(dom0, index_of(evil), ["xenVifDomainName"])[
            "xenVifDomainName"] == expect_name, 5, "the cleaned name")
        got = row(dom0, index_of(evil))
        t.is_(got["xenVifDomainName"].raw, expect_name.encode(),
              "escapes, CR/LF, invalid UTF-8 and RLO replaced; valid UTF-8 kept")
        t.is_(got["xenVifBridge"], "br???x", "bridge cleaned to ASCII")
        t.is_(got["xenVifIpAddresses"], "192.0.2.4??[1m", "ip cleaned")
        t.is_(got["xenVifMacAddress"], NO_SUCH_INSTANCE,
              "a malformed MAC has no instance")
        t.is_(got["xenVifDomainId"], 4, "the rest of the row is served")
        macs = [int(oid.rsplit(".", 1)[1]) for oid, _ in
                dom0.snmpwalk("XEN-VIF-MIB::xenVifMacAddress")]
        t.is_(sorted(macs), sorted([index_of(vm), index_of(huge)]),
              "a walk of the MAC column skips that row")
        wait_until(lambda: len(row(dom0, index_of(huge), [
            "xenVifDomainName"])["xenVifDomainName"].raw) == 255, 5,
            "the long name")
        got = row(dom0, index_of(huge))
        t.is_(got["xenVifDomainName"], "A" * 255, "4000-octet name cut to 255")
        t.is_(got["xenVifName"], "v" * 255,
              "a 300-octet vifname (no device can have it) cut to 255")
        t.is_((got["xenVifIfIndex"], got["xenVifOperStatus"]), (0, 2),
              "no device: ifindex 0, down")

        # A backend tree left behind by a domain that is not live.
        stale = dom0.add_vm("ghost", 6, vifs=[Vif(0)], introduce=False)
        dom0.write_vif_setting(vm, 0, "ip", "192.0.2.34")
        wait_until(lambda: row(dom0, index_of(vm), ["xenVifIpAddresses"])[
            "xenVifIpAddresses"] == "192.0.2.34", 5, "the re-read")
        t.ok(index_of(stale) not in indexes(dom0),
             "a domain not introduced to xenstore has no row")
        dom0.xs.introduce_domain(6)
        t.ok(wait_until(lambda: index_of(stale) in indexes(dom0), 5,
                        "the introduced domain's row"),
             "it gets one when introduced")
        t.is_(dom0.stop_agent(), 0, "clean exit after all that")


tap.run(main)
