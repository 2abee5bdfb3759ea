#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Self test of the simulated dom0 (dom0.py), printing TAP.

Needs root (network namespaces) but not the agent: it checks that the rig
writes libxl's xenstore layout, that its traffic moves exactly the kernel
counters it promises and nothing else, that snmpd and the MIB directory
work, that reboot / destroy / rename / xenstore restart behave, and that
close() leaves nothing behind.
"""

import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tap                                              # noqa: E402
import dom0 as rig                                      # noqa: E402
from dom0 import Dom0, Vif, Value                       # noqa: E402
from xsclient import XsClient                           # noqa: E402

TRAFFIC_KEYS = ("rx_bytes", "rx_packets", "tx_bytes", "tx_packets",
                "rx_dropped", "tx_dropped", "rx_errors", "tx_errors",
                "rx_multicast")


def traffic(stats):
    return {k: stats.get(k, 0) for k in TRAFFIC_KEYS}


def zero_traffic():
    return {k: 0 for k in TRAFFIC_KEYS}


def plus(base, **delta):
    out = dict(base)
    for key, value in delta.items():
        out[key] += value
    return out


def netns_names():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True,
                         text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def host_veths():
    out = subprocess.run(["ip", "-o", "link", "show", "type", "veth"],
                         capture_output=True, text=True).stdout
    return {line.split(":")[1].strip().split("@")[0]
            for line in out.splitlines()}


def read(xs, path):
    return xs.read(path).decode()


def subtree(xs, path):
    """{relative path: value} of everything below path."""
    return {p[len(path) + 1:]: v.decode() for p, v in xs.walk(path)
            if p != path and not xs.directory(p)}


# ---------------------------------------------------------------------------

def check_value_parsing(t):
    t.is_(rig.parse_value("INTEGER: 5"), 5, "parse INTEGER")
    t.is_(rig.parse_value("INTEGER: up(1)"), Value("INTEGER", 1),
          "parse INTEGER with an enum label")
    t.is_(rig.parse_value("Counter64: 18446744073709551615"),
          Value("Counter64", 2 ** 64 - 1), "parse Counter64")
    t.is_(rig.parse_value("Timeticks: (123) 0:00:01.23"),
          Value("Timeticks", 123), "parse Timeticks")
    t.is_(rig.parse_value('""'), b"", "parse an empty string")
    text = ("Hex-STRING: 61 20 22 71 75 6F 74 65 64 22 20 73 74 72 69 6E \n"
            "0A C3 A9 ")
    t.is_(rig.parse_value(text).raw, b'a "quoted" strin\n\xc3\xa9',
          "parse a multi-line Hex-STRING exactly")
    t.is_(rig.parse_value("No Such Instance currently exists at this OID"),
          rig.NO_SUCH_INSTANCE, "parse noSuchInstance")
    t.is_(rig.parse_value("Wrong Type (should be Gauge32 or Unsigned32): "
                          "INTEGER: 3"), Value("INTEGER", 3),
          "parse a Wrong Type value as what came on the wire")
    pairs = rig.parse_varbinds(".1.3.6.1.2.1.1.4.0 = Hex-STRING: 41 42 \n"
                               "43 \n.1.3.6.1.2.1.1.2.0 = OID: .1.3.6\n")
    t.is_(pairs, [(".1.3.6.1.2.1.1.4.0", Value("STRING", b"ABC")),
                  (".1.3.6.1.2.1.1.2.0", Value("OID", ".1.3.6"))],
          "parse varbinds with continuation lines")


def check_wait_until(t):
    try:
        rig.wait_until(lambda: 0, timeout=0.2, what="the impossible")
    except TimeoutError as err:
        t.ok("the impossible" in str(err) and "0" in str(err),
             "wait_until names what it waited for", str(err))
    else:
        t.fail("wait_until timed out")
    t.is_(rig.wait_until(lambda: "yes", timeout=1), "yes",
          "wait_until returns the truthy value")


def check_xenstore_layout(t, d, pv, hvm):
    xs = d.xs
    t.is_(read(xs, "/local/domain/0/name"), "Domain-0", "dom0 name")
    t.is_(read(xs, "/local/domain/0/domid"), "0", "dom0 domid")
    t.is_(read(xs, "/local/domain/3/name"), "pv-guest", "guest name")
    t.is_(read(xs, "/local/domain/3/domid"), "3", "guest domid")
    t.is_(read(xs, "/local/domain/3/vm"), "/vm/" + pv.uuid, "guest vm path")
    t.is_(read(xs, "/vm/%s/uuid" % pv.uuid), pv.uuid, "/vm uuid")
    t.is_(read(xs, "/vm/%s/name" % pv.uuid), "pv-guest", "/vm name")
    t.ok(xs.is_domain_introduced(3) and xs.is_domain_introduced(7),
         "guests are introduced")

    vif = pv.vif(1)
    be = "/local/domain/0/backend/vif/3/1"
    fe = "/local/domain/3/device/vif/1"
    back = subtree(xs, be)
    expected = {
        "frontend": fe, "frontend-id": "3", "online": "1", "state": "4",
        "script": "/etc/xen/scripts/vif-bridge", "vifname": "pvnet1",
        "mac": vif.mac, "ip": "192.0.2.10", "bridge": "xenbr0",
        "handle": "1", "type": "vif", "hotplug-status": "connected",
    }
    t.is_({k: back.get(k) for k in expected}, expected,
          "backend nodes as libxl writes them")
    t.is_(xs.get_perms(be), ["n0", "r3"], "backend permissions")
    front = subtree(xs, fe)
    expected_front = {"backend": be, "backend-id": "0", "mac": vif.mac,
                      "handle": "1", "state": "4"}
    t.is_({k: front.get(k) for k in expected_front}, expected_front,
          "frontend nodes")
    t.is_(xs.get_perms(fe), ["n3", "r0"], "frontend permissions")
    lx = subtree(xs, "/libxl/3/device/vif/1")
    expected_lx = {"frontend": fe, "backend": be, "mac": vif.mac,
                   "bridge": "xenbr0", "handle": "1", "type": "vif",
                   "vifname": "pvnet1", "ip": "192.0.2.10"}
    t.is_({k: lx.get(k) for k in expected_lx}, expected_lx,
          "libxl's copy of the device")
    t.ok("ip" not in subtree(xs, "/local/domain/0/backend/vif/3/0") and
         "vifname" not in subtree(xs, "/local/domain/0/backend/vif/3/0"),
         "no ip / vifname nodes unless configured")
    t.is_(read(xs, "/local/domain/0/backend/vif/7/0/type"), "vif_ioemu",
          "an HVM guest's NIC with an emulated twin is vif_ioemu")
    t.is_(read(xs, "/vm/%s/image/ostype" % hvm.uuid), "hvm", "HVM ostype")
    t.ok(pv.vif(0).mac.startswith("00:16:3e:") and
         pv.vif(0).mac != pv.vif(1).mac, "MACs use Xen's OUI and differ",
         repr([v.mac for v in pv.vifs]))


def check_links(t, d, pv, hvm):
    names = {"vif3.0": pv, "pvnet1": pv, "vif7.0": hvm, "vif7.0-emu": hvm}
    for name in names:
        info = rig.link_info(d.ns, name)
        t.ok(info.get("master") == "xenbr0" and "UP" in info["flags"],
             "%s is up on xenbr0" % name, repr(info))
    t.is_(pv.ifname(1), "pvnet1", "vifname is the dom0 device name")
    guest = rig.link_info(hvm.netns, "emu0")
    t.is_(guest["address"], hvm.vif(0).mac, "emu0 carries the guest MAC")
    t.ok(rig.link_exists(hvm.netns, "eth0"), "guest end eth0 exists")


def all_vif_traffic(d, vms):
    out = {}
    for vm in vms:
        for vif in vm.vifs:
            out[vm.ifname(vif.devid)] = traffic(d.vif_stats(vm, vif.devid))
            if vif.emu:
                out[vm.ifname(vif.devid, True)] = traffic(
                    d.vif_stats(vm, vif.devid, True))
    return out


def check_traffic(t, d, pv, hvm):
    start = all_vif_traffic(d, [pv, hvm])
    t.is_(start, {name: zero_traffic() for name in start},
          "fresh vifs have counted nothing (no spontaneous traffic)")
    bridge_before = traffic(d.link_stats("xenbr0"))

    d.send_from_guest(pv, 0, 10, 100)
    expected = dict(start)
    expected["vif3.0"] = plus(start["vif3.0"], rx_bytes=1000, rx_packets=10)
    t.is_(all_vif_traffic(d, [pv, hvm]), expected,
          "send_from_guest: exactly the vif's rx counters moved")
    t.is_(traffic(d.link_stats("xenbr0")),
          plus(bridge_before, rx_bytes=10 * (100 - 14), rx_packets=10,
               rx_dropped=10),
          "the bridge took the frames in itself (its rx_bytes leave out "
          "the Ethernet header)")

    d.send_to_guest(pv, 0, 7, 60)
    expected["vif3.0"] = plus(expected["vif3.0"], tx_bytes=420,
                              tx_packets=7)
    t.is_(all_vif_traffic(d, [pv, hvm]), expected,
          "send_to_guest: exactly the vif's tx counters moved")
    t.is_(traffic(d.guest_stats(pv, 0))["rx_bytes"], 420,
          "the guest end received them")

    d.send_from_guest(hvm, 0, 5, 1514, emu=True)
    d.send_to_guest(hvm, 0, 3, 61, emu=True)
    expected["vif7.0-emu"] = plus(expected["vif7.0-emu"], rx_bytes=7570,
                                  rx_packets=5, tx_bytes=183, tx_packets=3)
    d.send_from_guest(pv, 1, 1000, 64)
    expected["pvnet1"] = plus(expected["pvnet1"], rx_bytes=64000,
                              rx_packets=1000)
    t.is_(all_vif_traffic(d, [pv, hvm]), expected,
          "emu and a 1000-frame burst counted exactly, nothing flooded")
    return expected


def check_snmpd(t, d):
    d.start_snmpd(['sysContact a "quoted"\\ string',
                   "sysLocation h\u00e9llo w\u00f6rld"])
    t.ok(d.snmpd_running, "snmpd runs")
    uptime = d.snmpget("SNMPv2-MIB::sysUpTime.0")[0]
    t.ok(uptime.type == "Timeticks" and int(uptime) >= 0,
         "snmpget SNMPv2-MIB::sysUpTime.0", repr(uptime))
    descr, contact, where, missing, noinst = d.snmpget(
        ".1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.4.0", "sysLocation.0",
        ".1.3.6.1.2.1.1.99.0", ".1.3.6.1.2.1.1.1.1")
    t.ok(descr.type == "STRING" and descr.text.startswith("Linux"),
         "snmpget by numeric OID", repr(descr))
    t.is_(contact, 'a "quoted"\\ string', "quotes and backslashes exact")
    t.is_(where.raw, "h\u00e9llo w\u00f6rld".encode(), "UTF-8 octets exact")
    t.is_(missing, rig.NO_SUCH_OBJECT, "noSuchObject")
    t.is_(noinst, rig.NO_SUCH_INSTANCE, "noSuchInstance")
    walk = d.snmpwalk("SNMPv2-MIB::system")
    t.ok(len(walk) >= 7 and walk[0][0] == ".1.3.6.1.2.1.1.1.0",
         "snmpwalk of system", repr(walk[:3]))
    t.is_(d.snmpwalk(".1.3.6.1.4.1.8072.9999.98"), [],
          "walk of an unregistered subtree is empty")
    t.is_(d.snmptranslate("-On", "XEN-VIF-MIB::xenVifHCInOctets").strip(),
          ".1.3.6.1.4.1.8072.9999.98.1.3.1.12",
          "snmptranslate finds XEN-VIF-MIB in the MIB dir")
    res = d.snmp_tool("snmpget", [rig.SNMP_ADDRESS, "SNMPv2-MIB::sysUpTime.0",
                                  "XEN-VIF-MIB::xenVifNumber.0"])
    t.is_(res.stderr, "", "no MIB complaints from the tools")
    d.restart_snmpd()
    t.ok(d.snmpd_running and d.snmpget(rig.SYS_UPTIME)[0].type ==
         "Timeticks", "restart_snmpd")
    d.stop_snmpd()
    t.ok(not d.snmpd_running, "stop_snmpd")
    try:
        d.snmpget(rig.SYS_UPTIME, timeout=0.3, retries=0)
    except rig.SnmpTimeout as err:
        t.ok("Timeout" in err.stderr, "a stopped snmpd times out",
             err.stderr)
    else:
        t.fail("a stopped snmpd still answered")


def check_rename_and_state(t, d, pv, expected):
    d.rename_link(pv, 0, "renamed0")
    info = rig.link_info(d.ns, "renamed0")
    t.ok(info.get("master") == "xenbr0" and "UP" in info["flags"],
         "renamed link is up on xenbr0", repr(info))
    t.ok(not rig.link_exists(d.ns, "vif3.0"), "old name gone")
    t.is_(pv.ifname(0), "renamed0", "Vm follows the rename")
    t.is_(traffic(d.vif_stats(pv, 0)), expected["vif3.0"],
          "counters survive the rename")
    nodename = os.path.join(d.fake_sysfs_root, "class/net/renamed0/device/"
                            "nodename")
    with open(nodename) as handle:
        t.is_(handle.read().strip(), "backend/vif/3/0", "fake sysfs nodename")
    d.send_from_guest(pv, 0, 2, 60)
    expected["vif3.0"] = plus(expected["vif3.0"], rx_bytes=120,
                              rx_packets=2)
    t.is_(traffic(d.vif_stats(pv, 0)), expected["vif3.0"],
          "traffic after the rename")
    d.set_link_state(pv, 0, False)
    t.ok("UP" not in rig.link_info(d.ns, "renamed0")["flags"],
         "set_link_state down")
    d.set_link_state(pv, 0, True)
    t.ok("UP" in rig.link_info(d.ns, "renamed0")["flags"],
         "set_link_state up")


def check_reboot(t, d, hvm):
    watcher = XsClient(d.xenstored_path)
    watcher.watch("@introduceDomain", "intro")
    watcher.watch("@releaseDomain", "release")
    watcher.wait_event(timeout=1)
    watcher.wait_event(timeout=1)       # the two initial firings
    watcher.drain_events()
    old_netns = hvm.netns
    new = d.reboot_vm(hvm, 8)
    events = {e.token for e in [watcher.wait_event(timeout=5),
                                watcher.wait_event(timeout=5)] if e}
    watcher.close()
    t.is_(events, {"intro", "release"}, "reboot fires @releaseDomain and "
          "@introduceDomain")
    t.ok(hvm.destroyed and not d.xs.exists("/local/domain/7") and
         not d.xs.exists("/local/domain/0/backend/vif/7"),
         "old domain gone from xenstore")
    t.is_((read(d.xs, "/local/domain/8/name"), read(d.xs,
                                                    "/local/domain/8/vm")),
          ("hvm-guest", "/vm/" + hvm.uuid), "same name and UUID, new domid")
    t.ok(not rig.link_exists(d.ns, "vif7.0") and
         not rig.link_exists(d.ns, "vif7.0-emu"), "old vifs gone")
    t.is_(traffic(d.vif_stats(new, 0, emu=True)), zero_traffic(),
          "new emu vif starts from zero")
    t.is_(new.vif(0).mac, hvm.vif(0).mac, "MAC kept across the reboot")
    t.ok(old_netns not in netns_names(), "old guest namespace deleted")
    return new


def check_destroy(t, d, pv):
    d.destroy_vm(pv)
    t.ok(not d.xs.exists("/local/domain/3") and
         not d.xs.exists("/local/domain/0/backend/vif/3") and
         not d.xs.exists("/libxl/3") and
         not d.xs.exists("/vm/" + pv.uuid), "destroyed guest's nodes gone")
    t.ok(not d.xs.is_domain_introduced(3), "destroyed guest released")
    t.ok(not rig.link_exists(d.ns, "renamed0") and
         not rig.link_exists(d.ns, "pvnet1"), "destroyed guest's vifs gone")
    t.ok(not os.path.exists(os.path.join(d.fake_sysfs_root,
                                         "class/net/renamed0")),
         "fake sysfs entry gone")
    t.ok(pv.netns not in netns_names(), "guest namespace deleted")


def check_xenstore_restart(t, d):
    d.xs.write("/local/domain/0/rig-marker", "before restart")
    tree = dict(d.xs.walk("/"))
    perms = d.xs.get_perms("/local/domain/0/backend/vif/8/0")
    d.xenstore_restart()
    t.is_(dict(d.xs.walk("/")), tree, "xenstore_restart keeps the tree")
    t.is_(d.xs.get_perms("/local/domain/0/backend/vif/8/0"), perms,
          "and the permissions")
    t.ok(d.xs.is_domain_introduced(8), "and the introduced domains")


def check_sanitizer_reports(t):
    """close() must fail the test when a sanitizer report exists: through
    the running TAP script, or by raising outside one."""
    for with_tap in (True, False):
        d = Dom0()
        with open(d.path("sanitizer.ubsan.4242"), "w") as handle:
            handle.write("runtime error: signed integer overflow\n")
        inner = tap.Tap(out=io.StringIO()) if with_tap else None
        saved, tap._current = tap._current, inner
        try:
            d.close()
            raised = None
        except rig.SanitizerError as err:
            raised = err
        finally:
            tap._current = saved
        if with_tap:
            t.ok(inner.failed == 1 and "overflow" in inner.out.getvalue(),
                 "a sanitizer report fails the TAP script",
                 inner.out.getvalue())
        else:
            t.ok(raised is not None and "overflow" in str(raised),
                 "a sanitizer report raises outside TAP", repr(raised))
        t.ok(os.path.isdir(d.workdir), "the work dir is kept for it")
        t.ok(not any(n.startswith(d.prefix) for n in netns_names()),
             "its namespaces are gone all the same")
        subprocess.run(["rm", "-rf", d.workdir])


def main(t):
    tap.require_root(t)
    check_value_parsing(t)
    check_wait_until(t)
    veths_before = host_veths()
    d = Dom0()
    try:
        pv = d.add_vm("pv-guest", 3, vifs=[
            Vif(devid=0), Vif(devid=1, ip="192.0.2.10", vifname="pvnet1")])
        hvm = d.add_vm("hvm-guest", 7, vifs=[Vif(devid=0, emu=True)])
        check_xenstore_layout(t, d, pv, hvm)
        check_links(t, d, pv, hvm)
        expected = check_traffic(t, d, pv, hvm)
        check_snmpd(t, d)
        check_rename_and_state(t, d, pv, expected)
        new = check_reboot(t, d, hvm)
        check_destroy(t, d, pv)
        check_xenstore_restart(t, d)
        t.is_(traffic(d.vif_stats(new, 0)), zero_traffic(),
              "no spontaneous traffic on an idle vif over the whole run")
        prefix, workdir = d.prefix, d.workdir
    finally:
        d.close()
    t.ok(not any(n.startswith(prefix) for n in netns_names()),
         "close() deleted every namespace")
    t.is_(host_veths() - veths_before, set(), "close() left no veth")
    t.ok(not os.path.exists(workdir), "close() removed the work dir")
    check_sanitizer_reports(t)


if __name__ == "__main__":
    tap.run(main)
