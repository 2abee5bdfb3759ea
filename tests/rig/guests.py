# SPDX-License-Identifier: ISC
"""The guests of the simulated dom0 as every part of the rig sees them:
Vif, one network device as an xl config's vif= line gives it; Vm, a
running guest; Guests, the live ones, checked as they are made."""

import dataclasses
import itertools
import uuid as uuidlib

from netns import check_ifname, derived_mac

XEN_OUI = "00:16:3e"

# What the simulated hypervisor says of a guest unless told otherwise.
DEFAULT_RESOURCES = {"state": "running", "vcpus": 1, "mem_kb": 524288,
                     "max_mem_kb": 1048576, "cpu_ns": 0}


@dataclasses.dataclass(frozen=True)
class Vif:
    """One network device of a guest, as in an xl config's vif= line.

    mac None: derived from the VM's UUID and devid (stable across reboots).
    bridge None: no bridge node in xenstore and no bridge attachment.
    vifname: the dom0 device name instead of vifD.N.
    emu: an HVM guest's emulated NIC too (dom0 device NAME-emu under
    libxl, tapD.N under xapi).
    rate: the backend 'rate' node, "BYTES,MICROSECONDS" as libxl writes
    it for rate="..." (netback limits the vif to it); None: no limit.
    mtu: the backend 'mtu' node (libxl writes the configured MTU).
    script: the hotplug script (libxl: vif-bridge, vif-openvswitch...).
    backend_domid: the domain serving the vif (0, or a driver domain).
    """
    devid: int = 0
    mac: str = None
    bridge: str = "xenbr0"
    ip: str = None
    vifname: str = None
    emu: bool = False
    script: str = "vif-bridge"
    rate: str = None
    mtu: int = None
    backend_domid: int = 0


@dataclasses.dataclass
class Vm:
    """A running guest.  vifs holds the resolved specs (MACs filled in)."""
    name: str
    domid: int
    uuid: str
    vifs: tuple
    netns: str
    introduced: bool = False
    links_created: bool = False
    destroyed: bool = False
    # (devid, emu) -> current name of the dom0 end
    links: dict = dataclasses.field(default_factory=dict)
    # What the simulated hypervisor says of the domain: state, vcpus,
    # mem_kb, max_mem_kb (0: unlimited), cpu_ns
    resources: dict = dataclasses.field(default_factory=dict)
    # Whose layout of xenstore and names: "libxl" or "xapi".
    toolstack: str = "libxl"
    # The UUID /local/domain/D/vm names when it is not the VM's own (a
    # domain of a migration under xapi), else None.
    vm_node_uuid: str = None

    @property
    def hvm(self):
        return any(v.emu for v in self.vifs)

    @property
    def dom_path(self):
        return "/local/domain/%d" % self.domid

    @property
    def vm_path(self):
        return "/vm/%s" % (self.vm_node_uuid or self.uuid)

    @property
    def libxl_dom_path(self):
        return "/libxl/%d" % self.domid

    def vif(self, devid):
        for vif in self.vifs:
            if vif.devid == devid:
                return vif
        raise KeyError("%s has no vif %d" % (self.name, devid))

    def backend_path(self, devid):
        return "/local/domain/%d/backend/vif/%d/%d" % (
            self.vif(devid).backend_domid, self.domid, devid)

    def frontend_path(self, devid):
        return "%s/device/vif/%d" % (self.dom_path, devid)

    def libxl_path(self, devid):
        return "%s/device/vif/%d" % (self.libxl_dom_path, devid)

    def default_ifname(self, devid, emu=False):
        """The name netback (or qemu, for emu) gives the dom0 end."""
        vif = self.vif(devid)
        base = vif.vifname or "vif%d.%d" % (self.domid, devid)
        if emu and self.toolstack == "xapi":
            return "tap%d.%d" % (self.domid, devid)
        return base + "-emu" if emu else base

    def ifname(self, devid, emu=False):
        """The current name of the dom0 end (follows rename_link)."""
        return self.links.get((devid, emu)) or self.default_ifname(devid,
                                                                   emu)

    @staticmethod
    def guest_ifname(devid, emu=False):
        return ("emu%d" if emu else "eth%d") % devid


class Guests:
    """The live guests of one dom0 in creation order (iterate, or .vms);
    each gets a namespace of its own named from prefix."""

    def __init__(self, prefix, toolstack="libxl"):
        self.prefix = prefix
        self.toolstack = toolstack
        self.vms = []
        self._serial = itertools.count()

    def __iter__(self):
        return iter(self.vms)

    def new(self, name, domid, uuid=None, vifs=(Vif(devid=0),),
            resources=None):
        """A new live Vm, every argument checked first; MACs the vifs
        lack derived from the UUID and devid (so a reboot keeps them)."""
        domid = int(domid)
        if not 0 < domid < 0x7FF0:
            raise ValueError("bad domid %d" % domid)
        if any(vm.domid == domid for vm in self.vms):
            raise ValueError("domid %d is in use" % domid)
        uuid = str(uuid or uuidlib.uuid4())
        resolved = []
        for vif in vifs:
            mac = vif.mac or derived_mac(XEN_OUI, uuid, vif.devid)
            resolved.append(dataclasses.replace(vif, mac=mac))
        if len({v.devid for v in resolved}) != len(resolved):
            raise ValueError("duplicate devid in %r" % (vifs,))
        vm = Vm(name=name, domid=domid, uuid=uuid, vifs=tuple(resolved),
                netns="%sg%d" % (self.prefix, next(self._serial)),
                toolstack=self.toolstack)
        vm.resources = dict(DEFAULT_RESOURCES, **(resources or {}))
        for vif in vm.vifs:         # fail before changing anything
            check_ifname(vm.default_ifname(vif.devid))
            if vif.emu:
                check_ifname(vm.default_ifname(vif.devid, emu=True))
        self.vms.append(vm)
        return vm

    def remove(self, vm):
        self.vms.remove(vm)
