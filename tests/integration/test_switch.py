#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""dom0 as a switch: the system group, IF-MIB and BRIDGE-MIB in the
context "xen" through a real snmpd, over v2c (a community mapped to the
context) and SNMPv3; ports that stay when their VM stops, come back
under the same ifIndex and keep counting; a sysUpTime that does not
fall when the agent or snmpd restarts; retention; linkUp/linkDown."""

import os
import time

from common import (DB_MAC0, DB_MAC1, DOT1D_BASE, FAST, IF_COLUMNS,
                    IF_NUMBER, IF_TABLE_LAST_CHANGE, IFX_COLUMNS, LINK_DOWN,
                    LINK_UP, NO_SUCH_INSTANCE, NO_SUCH_OBJECT,
                    SWITCH_OBJECT_ID, SWITCH_V2C, SWITCH_V3, WEB_MAC,
                    XEN_VIF_NUMBER, Dom0, add_db1, add_switch_vms,
                    bridge_address, bridge_ports, fdb, if_oid, index_of,
                    kernel_ifindex, mac_bytes, netlink_only, port,
                    port_indexes, switch_uptime, system, tap, wait_until)
from dom0 import SnmpTimeout, ip

CONFIG = FAST + ("switchContact noc@example.net",
                 "switchLocation DC1, rack 4", "portSpeed 1G")
HC_COUNTERS = ("ifHCInOctets", "ifHCInUcastPkts", "ifHCOutOctets",
               "ifHCOutUcastPkts")
COUNTERS32 = ("ifInOctets", "ifInUcastPkts", "ifOutOctets", "ifOutUcastPkts")


def agent_version(dom0):
    rc, out, _ = dom0.run_agent_once(["-v"])
    return out.split()[1]


def counters(dom0, index):
    return {c: int(v) for c, v in port(dom0, index, HC_COUNTERS).items()}


def wait_port(dom0, index, expect, what, timeout=10):
    """Waits until the port's columns have the values expected."""
    def matches():
        got = port(dom0, index, tuple(expect))
        return got if all(got[c] == v for c, v in expect.items()) else None
    try:
        return wait_until(matches, timeout, what)
    except TimeoutError:
        raise AssertionError("%s: port %d is %r" % (
            what, index, port(dom0, index, tuple(expect))))


def check_system(t, dom0, auth, how):
    host = os.uname().nodename
    got = system(dom0, auth)
    t.is_(got["sysDescr"], "Xen virtual switch of dom0 %s: xen-vif-agent %s, "
          "Linux %s %s" % (host, agent_version(dom0), os.uname().release,
                           os.uname().machine), "sysDescr " + how)
    t.is_(got["sysObjectID"].type, "OID", "sysObjectID is an OID " + how)
    t.is_(got["sysObjectID"], SWITCH_OBJECT_ID, "the project's own " + how)
    t.is_(got["sysUpTime"].type, "Timeticks", "sysUpTime " + how)
    t.is_(got["sysContact"], "noc@example.net", "sysContact " + how)
    t.is_(got["sysName"], "xen." + host, "sysName: the context and the host "
          + how)
    t.is_(got["sysLocation"], "DC1, rack 4", "sysLocation " + how)
    t.is_(got["sysServices"], 2, "sysServices: a bridge " + how)


def check_columns(t, dom0, web, auth, how):
    index = index_of(web)
    got = port(dom0, index, auth=auth)
    uptime = switch_uptime(dom0, auth)
    expect = {
        "ifIndex": index, "ifDescr": "web1 vif 0", "ifType": 6, "ifMtu": 1500,
        "ifSpeed": 20000000, "ifPhysAddress": mac_bytes(WEB_MAC),
        "ifAdminStatus": 1, "ifOperStatus": 1,
        "ifInNUcastPkts": 0, "ifInUnknownProtos": 0, "ifOutNUcastPkts": 0,
        "ifInDiscards": 0, "ifInErrors": 0, "ifOutDiscards": 0,
        "ifOutErrors": 0, "ifOutQLen": 0, "ifSpecific": ".0.0",
        "ifName": "web1.0", "ifInMulticastPkts": 0, "ifInBroadcastPkts": 0,
        "ifOutMulticastPkts": 0, "ifOutBroadcastPkts": 0,
        "ifHCInMulticastPkts": 0, "ifHCInBroadcastPkts": 0,
        "ifHCOutMulticastPkts": 0, "ifHCOutBroadcastPkts": 0,
        "ifLinkUpDownTrapEnable": 2, "ifHighSpeed": 20,
        "ifPromiscuousMode": 2, "ifConnectorPresent": 1, "ifAlias": "web1",
    }
    for column, value in expect.items():
        t.is_(got[column], value, "%s %s" % (column, how))
    types = {"ifInOctets": "Counter32", "ifHCInOctets": "Counter64",
             "ifSpeed": "Gauge32", "ifHighSpeed": "Gauge32",
             "ifLastChange": "Timeticks",
             "ifCounterDiscontinuityTime": "Timeticks"}
    t.is_({c: got[c].type for c in types}, types, "types " + how)
    t.ok(int(got["ifLastChange"]) <= uptime and
         int(got["ifCounterDiscontinuityTime"]) <= uptime,
         "TimeStamps in the switch's sysUpTime " + how,
         diag="%r, uptime %d" % (got, uptime))
    t.is_(len(got), len(IF_COLUMNS) + len(IFX_COLUMNS),
          "every ifTable and ifXTable column " + how)


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        web, db = add_switch_vms(dom0)
        dom0.start_snmpd()
        dom0.start_agent(CONFIG)
        web_i, db0_i, db1_i = index_of(web), index_of(db, 0), index_of(db, 1)

        # ---- the device, over v2c and SNMPv3 ----------------------------
        check_system(t, dom0, SWITCH_V2C, "(v2c)")
        check_system(t, dom0, SWITCH_V3, "(SNMPv3)")
        roots = sorted({o[:len(root)] for o, _ in
                        dom0.snmpwalk(".1", auth=SWITCH_V2C)
                        for root in (".1.3.6.1.2.1.1.", ".1.3.6.1.2.1.2.",
                                     ".1.3.6.1.2.1.17.", ".1.3.6.1.2.1.31.",
                                     ".1.3.6.1.4.1.8072.9999.98.")
                        if o.startswith(root)})
        everything = [o for o, _ in dom0.snmpwalk(".1", auth=SWITCH_V2C)]
        t.is_(len(roots), 5, "the context holds the system group, IF-MIB, "
              "BRIDGE-MIB and XEN-VIF-MIB")
        t.ok(all(any(o.startswith(r) for r in roots) for o in everything),
             "and nothing else", diag=[o for o in everything if not any(
                 o.startswith(r) for r in roots)][:5])
        t.is_(dom0.snmpget(IF_NUMBER, auth=SWITCH_V2C)[0], 3, "ifNumber")
        t.is_(port_indexes(dom0), sorted([web_i, db0_i, db1_i]),
              "one interface per vif, ifIndex = xenVifIndex")
        check_columns(t, dom0, web, SWITCH_V2C, "(v2c)")
        check_columns(t, dom0, web, SWITCH_V3, "(SNMPv3)")
        got = port(dom0, db1_i, ("ifName", "ifDescr", "ifAlias", "ifSpeed",
                                 "ifHighSpeed", "ifPhysAddress"))
        t.is_(got, {"ifName": "db1.1", "ifDescr": "db1 vif 1", "ifAlias": "db1",
                    "ifSpeed": 1000000000, "ifHighSpeed": 1000,
                    "ifPhysAddress": mac_bytes(DB_MAC1)},
              "a vif without a rate limit: portSpeed; names carry the VM")
        t.is_(dom0.snmpget(XEN_VIF_NUMBER, auth=SWITCH_V2C)[0], 3,
              "XEN-VIF-MIB is in the context too")
        own = port_indexes(dom0, auth=("-v2c", "-c", "public"))
        t.ok(web_i not in own and kernel_ifindex(dom0, "vif3.0") in own,
             "the default context keeps snmpd's own IF-MIB, of the kernel's "
             "interfaces", diag=own)

        # ---- exact counters, 64 and 32 bits ----------------------------
        base = counters(dom0, web_i)
        dom0.send_from_guest(web, 0, count=10, size=1000)
        dom0.send_to_guest(web, 0, count=7, size=200)
        want = dict(base)
        want["ifHCInOctets"] += 10000
        want["ifHCInUcastPkts"] += 10
        want["ifHCOutOctets"] += 1400
        want["ifHCOutUcastPkts"] += 7
        t.is_(wait_port(dom0, web_i, want, "web1's counters"), want,
              "guest sent 10 x 1000 octets (In), received 7 x 200 (Out)")
        got = port(dom0, web_i, COUNTERS32)
        t.is_(got, {"ifInOctets": want["ifHCInOctets"] & 0xffffffff,
                    "ifInUcastPkts": want["ifHCInUcastPkts"] & 0xffffffff,
                    "ifOutOctets": want["ifHCOutOctets"] & 0xffffffff,
                    "ifOutUcastPkts": want["ifHCOutUcastPkts"] & 0xffffffff},
              "the 32-bit counters too")
        xen = dom0.snmpget(".1.3.6.1.4.1.8072.9999.98.1.3.1.12.%d" % web_i,
                           auth=SWITCH_V2C)[0]
        t.is_(xen, want["ifHCInOctets"], "xenVifHCInOctets = ifHCInOctets")
        stats = dom0.vif_stats(web, 0)
        t.is_((want["ifHCInOctets"], want["ifHCOutOctets"]),
              (stats["rx_bytes"], stats["tx_bytes"]), "the kernel's rx/tx")

        # ---- BRIDGE-MIB ------------------------------------------------
        base_group = dom0.snmpget(DOT1D_BASE + ".1.0", DOT1D_BASE + ".2.0",
                                  DOT1D_BASE + ".3.0", auth=SWITCH_V2C)
        t.is_(base_group, [bridge_address(), 3, 2],
              "dot1dBaseBridgeAddress (the host's), NumPorts, Type "
              "transparent-only")
        ports = bridge_ports(dom0)
        t.is_(sorted(ports), [1, 2, 3], "ports numbered 1..3")
        t.is_(sorted(ports.values()), sorted([web_i, db0_i, db1_i]),
              "each with its ifIndex")
        number = {i: n for n, i in ports.items()}
        t.is_(fdb(dom0), {mac_bytes(WEB_MAC): number[web_i],
                          mac_bytes(DB_MAC0): number[db0_i],
                          mac_bytes(DB_MAC1): number[db1_i]},
              "the forwarding table: each VM's MAC on its port")

        # ---- the device's MTU --------------------------------------------
        if netlink_only(t, dom0, "ifMtu from the device"):
            ip("link", "set", "dev", "vif3.0", "mtu", "9000", ns=dom0.ns)
            wait_port(dom0, web_i, {"ifMtu": 9000}, "ifMtu 9000")
            t.ok(True, "ifMtu follows the device")

        # ---- a VM stops: its ports stay, down, counters held -----------
        held = {i: counters(dom0, i) for i in (db0_i, db1_i)}
        dom0.send_from_guest(db, 0, count=4, size=500)
        held[db0_i]["ifHCInOctets"] += 2000
        held[db0_i]["ifHCInUcastPkts"] += 4
        wait_port(dom0, db0_i, held[db0_i], "db1's traffic counted")
        last_change = int(dom0.snmpget(IF_TABLE_LAST_CHANGE, auth=SWITCH_V2C)[0])
        before = int(port(dom0, db0_i, ["ifLastChange"])["ifLastChange"])
        dom0.destroy_vm(db)
        wait_port(dom0, db0_i, {"ifOperStatus": 2}, "db1.0 down")
        t.is_(port_indexes(dom0), sorted([web_i, db0_i, db1_i]),
              "a stopped VM's ports stay")
        t.is_({i: counters(dom0, i) for i in held}, held, "their counters held")
        got = port(dom0, db1_i, ("ifOperStatus", "ifAdminStatus", "ifName",
                                 "ifAlias", "ifPhysAddress", "ifLastChange"))
        t.is_({k: v for k, v in got.items() if k != "ifLastChange"},
              {"ifOperStatus": 2, "ifAdminStatus": 1, "ifName": "db1.1",
               "ifAlias": "db1", "ifPhysAddress": mac_bytes(DB_MAC1)},
              "down, with the names and MAC it had")
        t.ok(int(got["ifLastChange"]) > before, "ifLastChange moved",
             diag="%r then %r" % (before, got["ifLastChange"]))
        t.is_(dom0.snmpget(IF_TABLE_LAST_CHANGE, IF_NUMBER,
                           XEN_VIF_NUMBER, auth=SWITCH_V2C),
              [last_change, 3, 1], "no interface left: ifTableLastChange "
              "and ifNumber stay; xenVifTable lost its rows")
        t.is_(fdb(dom0), {mac_bytes(WEB_MAC): number[web_i]},
              "the stopped VM's MACs left the forwarding table")
        t.is_(bridge_ports(dom0), ports, "its ports keep their numbers")

        # ---- it comes back with a new domid ----------------------------
        db = add_db1(dom0, 14)
        wait_port(dom0, db0_i, {"ifOperStatus": 1}, "db1.0 up again")
        dom0.send_from_guest(db, 0, count=3, size=1000)
        held[db0_i]["ifHCInOctets"] += 3000
        held[db0_i]["ifHCInUcastPkts"] += 3
        t.is_(wait_port(dom0, db0_i, held[db0_i], "db1.0 counts on"),
              held[db0_i], "same ifIndex, counters go on from where they "
              "stood")
        t.is_(port_indexes(dom0), sorted([web_i, db0_i, db1_i]),
              "no new interface")
        t.is_(bridge_ports(dom0), ports, "the same port numbers")

        # ---- agent restart and kill -9: the clock runs on ---------------
        for how in ("stop", "kill -9"):
            uptime = switch_uptime(dom0)
            before = {i: counters(dom0, i) for i in (web_i, db0_i, db1_i)}
            if how == "stop":
                t.is_(dom0.stop_agent(), 0, "agent stopped")
            else:
                dom0.kill_agent()
            dom0.start_agent(CONFIG)
            after = switch_uptime(dom0)
            t.ok(after >= uptime, "after %s the switch's sysUpTime did not "
                 "fall" % how, diag="%d then %d" % (uptime, after))
            t.is_({i: counters(dom0, i) for i in before}, before,
                  "counters as they were after %s" % how)
            t.is_(bridge_ports(dom0), ports, "port numbers too")

        # ---- snmpd restarts: the clock still runs on ---------------------
        uptime = switch_uptime(dom0)
        own = int(dom0.snmpget(".1.3.6.1.2.1.1.3.0")[0])
        discontinuity = ".1.3.6.1.4.1.8072.9999.98.1.3.1.20.%d" % web_i
        stamps = dom0.snmpget(if_oid("ifCounterDiscontinuityTime", web_i),
                              discontinuity, auth=SWITCH_V2C)
        started = time.monotonic()
        dom0.restart_snmpd()
        dom0.wait_agent_registered()
        after = switch_uptime(dom0)
        own_after = int(dom0.snmpget(".1.3.6.1.2.1.1.3.0")[0])
        ran = int((time.monotonic() - started) * 100)
        t.ok(own_after < own + ran - 50,
             "snmpd restarted: its own sysUpTime started again",
             diag="%d then %d after %d" % (own, own_after, ran))
        t.ok(after >= uptime, "the switch's did not fall",
             diag="%d then %d" % (uptime, after))
        t.ok(int(stamps[0]) > 0, "web1's counters began without saved state: "
             "a discontinuity", diag=stamps)
        t.is_(dom0.snmpget(if_oid("ifCounterDiscontinuityTime", web_i),
                           discontinuity, auth=SWITCH_V2C), stamps,
              "its TimeStamps in the switch's clock stay (snmpd's own "
              "context reads 0 now: before its master started)")
        t.is_(dom0.snmpget(discontinuity)[0], 0,
              "xenVifCounterDiscontinuityTime in the default context: 0")
        t.is_({i: counters(dom0, i) for i in before}, before,
              "counters as they were")

        # ---- retention -------------------------------------------------
        dom0.destroy_vm(db)
        wait_port(dom0, db0_i, {"ifOperStatus": 2}, "db1.0 down")
        last_change = int(dom0.snmpget(IF_TABLE_LAST_CHANGE, auth=SWITCH_V2C)[0])
        t.is_(dom0.stop_agent(), 0, "agent stopped")
        dom0.start_agent(FAST + ("portRetention 3s",))
        t.ok(wait_until(lambda: port_indexes(dom0) == [web_i], 15,
                        "db1's ports to leave"),
             "after portRetention the stopped VM's ports leave")
        t.is_(dom0.snmpget(if_oid("ifName", db0_i), IF_NUMBER,
                           DOT1D_BASE + ".2.0", auth=SWITCH_V2C),
              [NO_SUCH_INSTANCE, 1, 1], "gone from ifTable and the bridge")
        t.ok(int(dom0.snmpget(IF_TABLE_LAST_CHANGE, auth=SWITCH_V2C)[0])
             > last_change, "ifTableLastChange moved")
        t.is_(port(dom0, web_i, ("ifSpeed", "ifHighSpeed")),
              {"ifSpeed": 20000000, "ifHighSpeed": 20},
              "the rate limit still sets web1's speed")
        db = add_db1(dom0, 24)
        wait_port(dom0, db1_i, {"ifOperStatus": 1}, "db1.1 back")
        t.is_(port_indexes(dom0), sorted([web_i, db0_i, db1_i]),
              "the VM back: its ports back under the same ifIndex")
        t.is_(counters(dom0, db0_i), held[db0_i], "with the counters it had")
        t.is_(port(dom0, db1_i, ("ifSpeed", "ifHighSpeed")),
              {"ifSpeed": 4294967295, "ifHighSpeed": 10000},
              "portSpeed's default: 10 Gbit/s")

        # ---- hostile and duplicate names -------------------------------
        evil = dom0.add_vm("evil\x1b]0;pwned\x07 " + "x" * 300, 30)
        twin_a = dom0.add_vm("twin", 31)
        twin_b = dom0.add_vm("twin", 32)
        wait_until(lambda: len(port_indexes(dom0)) == 6, 10, "three more ports")
        got = port(dom0, index_of(evil), ("ifName", "ifDescr", "ifAlias"))
        t.is_(got["ifName"], "evil__0_pwned__xxxxxxxxx.0",
              "ifName: the name in safe characters, cut short")
        t.ok(all(0x20 <= b < 0x7f for b in got["ifDescr"].raw) and
             len(got["ifAlias"].raw) <= 64 and len(got["ifDescr"].raw) < 160,
             "ifDescr printable, ifAlias at most 64 octets", diag=got)
        names = [port(dom0, index_of(vm), ["ifName"])["ifName"].text
                 for vm in (twin_a, twin_b)]
        number = {i: n for n, i in bridge_ports(dom0).items()}
        t.is_(names, ["twin.0", "twin.0#%d" % number[index_of(twin_b)]],
              "two VMs of one name: the second told apart by its port "
              "number")
        t.is_(dom0.stop_agent(), 0, "agent stops cleanly")

        # ---- linkUp and linkDown -------------------------------------
        dom0.stop_snmpd()
        dom0.start_snmptrapd()
        dom0.start_snmpd(["trap2sink 127.0.0.1:1162 public"])
        dom0.start_agent(FAST + ("portLinkNotifications yes",))
        t.is_(port(dom0, web_i, ["ifLinkUpDownTrapEnable"]),
              {"ifLinkUpDownTrapEnable": 1}, "ifLinkUpDownTrapEnable enabled")
        before = switch_uptime(dom0)
        dom0.set_link_state(web, 0, False)
        got = dom0.wait_traps(1, LINK_DOWN)[0]
        after = switch_uptime(dom0)
        t.is_(got["varbinds"][2:], [
            (if_oid("ifIndex", web_i), web_i),
            (if_oid("ifAdminStatus", web_i), 1),
            (if_oid("ifOperStatus", web_i), 2),
            (if_oid("ifName", web_i), "web1.0"),
            (if_oid("ifAlias", web_i), "web1"),
            (if_oid("ifDescr", web_i), "web1 vif 0")],
            "linkDown with ifIndex, ifAdminStatus, ifOperStatus, then the "
            "port's names")
        stamp = int(got["varbinds"][0][1])
        t.ok(before <= stamp <= after, "its sysUpTime.0 is the switch's",
             diag="%d <= %d <= %d" % (before, stamp, after))
        dom0.set_link_state(web, 0, True)
        got = dom0.wait_traps(1, LINK_UP)[0]
        t.is_(got["varbinds"][2:][2], (if_oid("ifOperStatus", web_i), 1),
              "linkUp when the port is up again")
        t.is_(dom0.stop_agent(), 0, "agent stops cleanly")

        # ---- switchContext none ----------------------------------------
        dom0.start_agent(FAST + ("switchContext none",))
        try:
            # snmpd keeps an empty context once made; a new one does
            # not answer at all.
            got = dom0.snmpget(IF_NUMBER, auth=SWITCH_V2C, timeout=1,
                               retries=0)[0]
        except SnmpTimeout:
            got = NO_SUCH_OBJECT
        t.is_(got, NO_SUCH_OBJECT, "switchContext none: no switch served")
        t.is_(dom0.snmpget(XEN_VIF_NUMBER)[0], 6, "XEN-VIF-MIB still is")
        t.is_(dom0.stop_agent(), 0, "agent stops cleanly")

        # ---- the module inside snmpd serves the same ------------------
        dom0.stop_snmpd()
        dom0.start_snmpd_module(CONFIG)
        wait_until(lambda: len(port_indexes(dom0)) == 6, 10,
                   "the module's switch")
        t.is_(port(dom0, web_i, ("ifName", "ifSpeed", "ifHCInOctets")),
              {"ifName": "web1.0", "ifSpeed": 20000000,
               "ifHCInOctets": dom0.vif_stats(web, 0)["rx_bytes"]},
              "the module serves the switch in the same context")
        check_system(t, dom0, SWITCH_V3, "(module, SNMPv3)")

        # ---- malformed settings ------------------------------------------
        conf = dom0.agent_config_file
        bad = [
            ("switchContext " + "c" * 33, "'%s' is longer than the 32 octets "
             "of an SNMP context name" % ("c" * 33)),
            ("switchContext two words", "expected one value, got more"),
            ('switchContext ""', "the switch needs a context of its own (the "
             "default, empty one is snmpd's); 'none' serves no switch"),
            ("portSpeed 0", "'0' is not a speed in bits per second above zero "
             "(a number with K, M, G or T; at most 4294967295M)"),
            ("portSpeed fast", "'fast' is not a speed in bits per second "
             "above zero (a number with K, M, G or T; at most 4294967295M)"),
            ("portRetention 5w", "'5w' is not a duration from 0 to 3650d (a "
             "number of seconds, or with s, m, h or d)"),
            ("portRetention 3651d", "'3651d' is not a duration from 0 to "
             "3650d (a number of seconds, or with s, m, h or d)"),
            ("portLinkNotifications maybe", "'maybe': expected yes or no"),
        ]
        for line, message in bad:
            rc, _, err = dom0.run_agent_once(
                ["-f", "-Le"], config_lines=["refreshInterval 2", line])
            t.ok(rc == 1 and "%s: line 2: Error: %s" % (conf, message) in err,
                 "%r: refused with file, line and reason" % line, diag=err)


tap.run(main)
