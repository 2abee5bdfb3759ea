# SPDX-License-Identifier: ISC
"""The simulated dom0's network: a "dom0" namespace with bridges, and per
guest a namespace holding the guest ends of veth pairs whose dom0 ends
carry netback's names (vifD.N, vifD.N-emu); exact traffic between them.

Every namespace is silent (IPv6 off, bridges without STP or multicast
snooping) so that the kernel's counters move only by the frames a test
sends.  Namespace names start with a prefix unique to the process and
the instance (instance_prefix), so test scripts can run in parallel and
namespaces of dead tests can be told apart (collect_stale_namespaces)."""

import hashlib
import json
import os
import re
import signal
import sys

from processes import RigError, run, ip, in_ns, pid_alive, wait_or_raise

HERE = os.path.dirname(os.path.abspath(__file__))
SEND_FRAMES = os.path.join(HERE, "send_frames.py")

NETBACK_MAC = "fe:ff:ff:ff:ff:ff"   # what netback gives every dom0 vif
IFNAMSIZ = 16
# Every vif's MTU, on both ends (libxl writes it to the frontend too).
MTU = 1500


# ---------------------------------------------------------------------------
# Devices, read through ip(8)
# ---------------------------------------------------------------------------

def link_info(ns, ifname):
    """`ip -j -d link show` of one device as a dict."""
    out = ip("-s", "-s", "-j", "-d", "link", "show", "dev", ifname,
             ns=ns).stdout
    return json.loads(out)[0]


def link_stats(ns, ifname):
    """The kernel's 64-bit counters of a device: a flat dict with rx_bytes,
    rx_packets, rx_errors, rx_dropped, tx_bytes, ... (every field that
    `ip -s -s -j link` reports, prefixed with rx_/tx_)."""
    stats = link_info(ns, ifname)["stats64"]
    flat = {}
    for direction in ("rx", "tx"):
        for key, value in stats[direction].items():
            flat["%s_%s" % (direction, key)] = value
    return flat


def link_exists(ns, ifname):
    return ip("link", "show", "dev", ifname, ns=ns,
              check=False).returncode == 0


def check_ifname(name):
    if not name or len(name) >= IFNAMSIZ or "/" in name or name.strip() \
            != name:
        raise ValueError("%r is not a valid Linux interface name (at most "
                         "%d characters)" % (name, IFNAMSIZ - 1))


def derived_mac(prefix, *parts):
    """A MAC under prefix (three octets) that parts always give again."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return "%s:%02x:%02x:%02x" % (prefix, digest[0] & 0x7F, digest[1],
                                  digest[2])


# ---------------------------------------------------------------------------
# Namespaces of this process and of dead tests
# ---------------------------------------------------------------------------

# tap.require_root's probe namespace is "xvaprobe<pid>".
_STALE_RE = re.compile(r"^xva(?:probe)?(\d+)")


def instance_prefix(serial):
    """The start of every namespace name of one instance: the pid tells
    collect_stale_namespaces whose it is."""
    return "xva%dx%d" % (os.getpid(), serial)


def collect_stale_namespaces():
    """Delete our namespaces whose test process is gone (killed with
    SIGKILL, say); their daemons died with it (PR_SET_PDEATHSIG)."""
    try:
        names = os.listdir("/run/netns")
    except OSError:
        return
    for name in names:
        match = _STALE_RE.match(name)
        if match and not pid_alive(int(match.group(1))):
            run(["ip", "netns", "del", name], check=False)


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------

class Network:
    """dom0's namespace (ns), its bridges and the guests' veth pairs, all
    named from prefix.  sysfs (a FakeSysfs) follows dom0's devices as
    they are renamed and deleted.  Nothing exists before create()."""

    def __init__(self, prefix, sysfs):
        self.prefix = prefix
        self.ns = prefix + "d0"
        self.sysfs = sysfs
        self.namespaces = []            # created by us, deleted on close
        self.bridges = {}               # name -> MAC
        self.ovs = None                 # an ovs.OpenVswitch, if started
        self.ovs_ports = {}             # dom0 device name -> OpenFlow port

    def create(self):
        self.add_namespace(self.ns)

    # -- namespaces ---------------------------------------------------------

    def add_namespace(self, name):
        """A namespace with lo up and IPv6 off, so that no interface in it
        ever sends anything by itself (router solicitations, MLD reports,
        DAD probes would spoil exact byte counts)."""
        ip("netns", "add", name)
        self.namespaces.append(name)
        if os.path.exists("/proc/sys/net/ipv6"):
            # "all" switches off the devices that exist (lo), "default"
            # every device created later.
            run(in_ns(name, ["sysctl", "-q", "-w",
                             "net.ipv6.conf.all.disable_ipv6=1",
                             "net.ipv6.conf.default.disable_ipv6=1"]))
        ip("link", "set", "lo", "up", ns=name)

    def delete_namespace(self, name):
        # Processes left in one of our namespaces were started by the rig.
        pids = run(["ip", "netns", "pids", name], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        ip("netns", "del", name)
        self.namespaces.remove(name)

    # -- bridges and counters -----------------------------------------------

    def add_bridge(self, name):
        """A bridge in dom0 that stays silent: no STP (no BPDUs, ports
        forward at once), no multicast snooping or querier."""
        check_ifname(name)
        mac = derived_mac("02:00:00", self.prefix, name)
        ip("link", "add", name, "address", mac, "type", "bridge",
           "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0",
           "mcast_querier", "0", ns=self.ns)
        ip("link", "set", name, "up", ns=self.ns)
        self.bridges[name] = mac
        return mac

    def remove_bridge(self, name):
        """A Linux bridge gone (an Open vSwitch host has none)."""
        ip("link", "del", name, ns=self.ns)
        del self.bridges[name]

    def bridge_mac(self, name="xenbr0"):
        return self.bridges[name]

    def link_stats(self, ifname, ns=None):
        """Counters of a device in dom0 (or in namespace ns)."""
        return link_stats(ns or self.ns, ifname)

    def vif_stats(self, vm, devid, emu=False):
        """Counters of the dom0 end of a vif: what the agent reports."""
        return link_stats(self.ns, vm.ifname(devid, emu))

    def guest_stats(self, vm, devid, emu=False):
        return link_stats(vm.netns, vm.guest_ifname(devid, emu))

    def link_master(self, ifname):
        """The bridge a dom0 device is attached to, or None."""
        return link_info(self.ns, ifname).get("master")

    # -- a guest's devices --------------------------------------------------

    def create_links(self, vm):
        """A guest's namespace and the veth pairs of its vifs, dom0 ends
        on their bridges."""
        if vm.links_created:
            raise RigError("%s already has its links" % vm.name)
        if vm.netns not in self.namespaces:
            self.add_namespace(vm.netns)
        for vif in vm.vifs:
            self._create_vif_link(vm, vif, emu=False)
            if vif.emu:
                self._create_vif_link(vm, vif, emu=True)
        vm.links_created = True

    def _create_vif_link(self, vm, vif, emu):
        name = vm.default_ifname(vif.devid, emu)
        peer = vm.guest_ifname(vif.devid, emu)
        check_ifname(name)
        ip("link", "add", name, "address", NETBACK_MAC, "mtu", str(MTU),
           "type", "veth", "peer", "name", peer, "address", vif.mac,
           "mtu", str(MTU), "netns", vm.netns, ns=self.ns)
        vm.links[(vif.devid, emu)] = name
        if vif.bridge and vif.bridge in self.bridges:
            ip("link", "set", name, "master", vif.bridge, ns=self.ns)
        ip("link", "set", name, "up", ns=self.ns)
        ip("link", "set", peer, "up", ns=vm.netns)
        if self.ovs and vif.bridge in self.ovs.bridges:
            # As xapi's vif script plugs it, with xapi's external_ids.
            self.ovs_ports[name] = self.ovs.add_port(vif.bridge, name, [
                ("xs-vm-uuid", vm.uuid),
                ("xs-vif-uuid", "%s-vif%d" % (vm.uuid, vif.devid)),
                ("xs-network-uuid", "net-%s" % vif.bridge),
                ("attached-mac", vif.mac)])

    def delete_links(self, vm):
        """A guest's dom0 devices gone, as on xl destroy."""
        for (devid, emu), name in list(vm.links.items()):
            if self.ovs and self.ovs_ports.pop(name, None):
                self.ovs.vsctl("--if-exists", "del-port", name)
            if link_exists(self.ns, name):
                # As Xen's vif hotplug script does on offline: down first.
                # (It matters for veth: once deletion starts a veth has no
                # peer, and its rx counters come from the peer.)
                ip("link", "set", "dev", name, "down", ns=self.ns)
                ip("link", "del", name, ns=self.ns)
            self.sysfs.remove(name)
        vm.links.clear()

    def delete_guest_namespace(self, vm):
        if vm.netns in self.namespaces:
            self.delete_namespace(vm.netns)

    def rename_link(self, vm, devid, new_name, nodename=True, emu=False):
        """Rename the dom0 end (as a udev rule or an admin would).  With
        nodename, the fake sysfs gets device/nodename for the new name, as
        a real netback device has."""
        check_ifname(new_name)
        old = vm.ifname(devid, emu)
        was_up = "UP" in link_info(self.ns, old).get("flags", [])
        ip("link", "set", "dev", old, "down", ns=self.ns)
        ip("link", "set", "dev", old, "name", new_name, ns=self.ns)
        vm.links[(devid, emu)] = new_name
        bridge = vm.vif(devid).bridge
        if bridge in self.bridges and self.link_master(new_name) != bridge:
            ip("link", "set", new_name, "master", bridge, ns=self.ns)
        if was_up:
            ip("link", "set", "dev", new_name, "up", ns=self.ns)
        self.sysfs.remove(old)
        if nodename:
            self.sysfs.write_nodename(vm, devid, emu=emu)

    def set_link_state(self, vm, devid, up, emu=False):
        ip("link", "set", "dev", vm.ifname(devid, emu),
           "up" if up else "down", ns=self.ns)

    # -- exact traffic ------------------------------------------------------

    def send(self, ns, ifname, count, size, dst, src=None):
        """count raw frames of size bytes to MAC dst (from src, else the
        device's own MAC) out of ifname in ns; no check that they arrived
        (see send_from_guest, send_to_guest)."""
        run(in_ns(ns, [sys.executable, SEND_FRAMES, ifname, str(count),
                       str(size), dst] + ([src] if src else [])), timeout=120)

    def _send_exact(self, sender, receiver, count, size, dst):
        """Send from sender=(ns, if) and wait until receiver=(ns, if) has
        counted every frame; RigError if any was dropped on the way."""
        count, size = int(count), int(size)
        before_tx = link_stats(*sender)
        before_rx = link_stats(*receiver)
        self.send(sender[0], sender[1], count, size, dst)
        want_packets = before_rx["rx_packets"] + count
        want_bytes = before_rx["rx_bytes"] + count * size

        def arrived():
            now = link_stats(*receiver)
            return now if now["rx_packets"] >= want_packets else None

        after_rx = wait_or_raise(arrived, 10, "%d frames to reach %s"
                                 % (count, receiver[1]))
        after_tx = link_stats(*sender)
        problems = []
        if after_rx["rx_bytes"] != want_bytes or \
                after_rx["rx_packets"] != want_packets:
            problems.append("%s rx %d bytes / %d packets, wanted %d / %d"
                            % (receiver[1], after_rx["rx_bytes"],
                               after_rx["rx_packets"], want_bytes,
                               want_packets))
        if after_tx["tx_dropped"] != before_tx["tx_dropped"]:
            problems.append("%s dropped %d frames" % (
                sender[1], after_tx["tx_dropped"] - before_tx["tx_dropped"]))
        if problems:
            raise RigError("; ".join(problems))

    def send_from_guest(self, vm, devid, count, size, emu=False):
        """count frames of size bytes from the guest: the dom0 end's
        rx_packets grows by count and rx_bytes by count * size.  They are
        addressed to the bridge's own MAC, so the bridge takes them in and
        floods nothing; an unbridged dom0 end receives them itself (and
        counts them in rx_dropped too, as no protocol wants them)."""
        dom0_if = vm.ifname(devid, emu)
        master = self.link_master(dom0_if)
        dst = self.bridges.get(master) or NETBACK_MAC
        self._send_exact((vm.netns, vm.guest_ifname(devid, emu)),
                         (self.ns, dom0_if), count, size, dst)

    def send_between(self, sender, sender_devid, receiver, receiver_devid,
                     count, size):
        """count frames of size bytes from one guest to another's MAC,
        through whatever switch joins them: the sender's dom0 end counts
        them in, the receiver's out."""
        self._send_exact((sender.netns, sender.guest_ifname(sender_devid)),
                         (receiver.netns,
                          receiver.guest_ifname(receiver_devid)),
                         count, size, receiver.vif(receiver_devid).mac)

    def send_to_guest(self, vm, devid, count, size, emu=False):
        """count frames of size bytes out of the dom0 end straight to the
        guest's MAC: the dom0 end's tx_packets grows by count and tx_bytes
        by count * size."""
        self._send_exact((self.ns, vm.ifname(devid, emu)),
                         (vm.netns, vm.guest_ifname(devid, emu)),
                         count, size, vm.vif(devid).mac)
