# SPDX-License-Identifier: ISC
"""The nodes libxl writes into xenstore for running guests, written by
the rig into any xenstored (an XsClient, xs): domains, their vifs as
backend, frontend and libxl's own copy, the steps of a vif connecting,
and their removal on destroy.

Functions of xs rather than methods of a dom0, so that the layout is
the same whoever fills the store."""

import time

from netns import MTU
from processes import RigError
from xsclient import XsError

XEN_SCRIPT_DIR = "/etc/xen/scripts"

# XenbusState values (xen/io/xenbus.h)
XENBUS_INITIALISING = 1
XENBUS_CONNECTED = 4
XENBUS_CLOSED = 6


# ---------------------------------------------------------------------------
# Writing as libxl writes
# ---------------------------------------------------------------------------

def transaction(xs, fill, attempts=20):
    """Run fill(tx) in a transaction, retrying on EAGAIN as libxl
    does."""
    for _ in range(attempts):
        try:
            with xs.transaction() as tx:
                fill(tx)
            return
        except XsError as err:
            if err.name != "EAGAIN":
                raise
    raise RigError("xenstore transaction kept conflicting")


def rm(xs, path, tx=0):
    """Remove path; a path already gone is no error."""
    try:
        xs.rm(path, tx)
    except XsError as err:
        if err.name != "ENOENT":
            raise


def path_cleanup(xs, path, tx=0):
    """libxl__xs_path_cleanup: remove path, then its parents while
    they are empty."""
    rm(xs, path, tx)
    parent = path.rsplit("/", 1)[0]
    while parent:
        try:
            if xs.directory(parent, tx) or xs.read(parent, tx):
                return
        except XsError as err:
            if err.name != "ENOENT":
                raise
            return
        rm(xs, parent, tx)
        parent = parent.rsplit("/", 1)[0]


def write_all(xs, tx, base, entries):
    for key, value in entries:
        xs.write("%s/%s" % (base, key), str(value), tx)


def mknod(xs, tx, path, perms):
    xs.write(path, "", tx)
    xs.set_perms(path, perms, tx)


# ---------------------------------------------------------------------------
# Domains
# ---------------------------------------------------------------------------

def write_dom0(xs):
    xs.write("/local/domain/0/name", "Domain-0")
    xs.write("/local/domain/0/domid", "0")


def write_domain_nodes(xs, tx, vm):
    """/local/domain/D as every toolstack makes it: read-only to the
    guest but for the nodes it may write (data, drivers, feature, attr,
    error), with its name and the path of its /vm record."""
    d = vm.domid
    roperm = ["n0", "r%d" % d]
    rwperm = ["n%d" % d]
    mknod(xs, tx, vm.dom_path, roperm)
    for sub in ("device", "control"):
        mknod(xs, tx, "%s/%s" % (vm.dom_path, sub), roperm)
    for sub in ("data", "drivers", "feature", "attr", "error"):
        mknod(xs, tx, "%s/%s" % (vm.dom_path, sub), rwperm)
    write_all(xs, tx, vm.dom_path, [
        ("vm", vm.vm_path), ("name", vm.name), ("domid", d),
        ("memory/static-max", 1048576), ("memory/target", 1048576),
        ("store/port", 1), ("store/ring-ref", 1),
    ])


def make_domain(xs, vm):
    """libxl__domain_make and libxl__build_post, as far as anything
    outside the guest reads them."""
    roperm = ["n0", "r%d" % vm.domid]
    ostype = "hvm" if vm.hvm else "linux"

    def fill(tx):
        for path in (vm.dom_path, vm.vm_path, vm.libxl_dom_path):
            rm(xs, path, tx)
        write_domain_nodes(xs, tx, vm)
        mknod(xs, tx, vm.vm_path, roperm)
        mknod(xs, tx, vm.libxl_dom_path, ["n0"])
        mknod(xs, tx, vm.libxl_dom_path + "/device", ["n0"])
        write_all(xs, tx, vm.vm_path, [
            ("uuid", vm.uuid), ("name", vm.name),
            ("image/ostype", ostype),
            ("start_time", "%.2f" % time.time()),
        ])

    transaction(xs, fill)


def introduce(xs, vm):
    """The domain introduced to xenstored (@introduceDomain)."""
    xs.introduce_domain(vm.domid)
    vm.introduced = True


def release(xs, vm):
    """The domain released (@releaseDomain), if it was introduced."""
    if vm.introduced and xs.is_domain_introduced(vm.domid):
        xs.release_domain(vm.domid)
    vm.introduced = False


def remove_domain(xs, vm):
    """xl destroy's removal of a guest's nodes: its devices (with their
    emptied parents), then the domain's own."""
    def remove_devices(tx):
        for vif in vm.vifs:
            for path in (vm.frontend_path(vif.devid),
                         vm.backend_path(vif.devid),
                         vm.libxl_path(vif.devid)):
                path_cleanup(xs, path, tx)

    transaction(xs, remove_devices)
    for path in (vm.libxl_dom_path, vm.dom_path, vm.vm_path):
        rm(xs, path)


# ---------------------------------------------------------------------------
# Vifs
# ---------------------------------------------------------------------------

def add_vif_nodes(xs, vm, vif):
    """libxl__device_nic_add: backend, frontend and libxl copies, state
    Initialising, hotplug-status empty (the script has not run)."""
    d, n = vm.domid, vif.devid
    be, fe, lx = vm.backend_path(n), vm.frontend_path(n), \
        vm.libxl_path(n)
    script = vif.script if vif.script.startswith("/") else \
        "%s/%s" % (XEN_SCRIPT_DIR, vif.script)
    back = [("frontend-id", d), ("online", 1),
            ("state", XENBUS_INITIALISING), ("script", script)]
    if vif.vifname:
        back.append(("vifname", vif.vifname))
    back.append(("mac", vif.mac))
    if vif.ip:
        back.append(("ip", vif.ip))
    if vif.bridge:
        back.append(("bridge", vif.bridge))
    if vif.rate:
        back.append(("rate", vif.rate))
    if vif.mtu:
        back.append(("mtu", vif.mtu))
    back += [("handle", n), ("type", "vif_ioemu" if vif.emu else "vif"),
             ("hotplug-status", "")]
    front = [("backend-id", vif.backend_domid),
             ("state", XENBUS_INITIALISING),
             ("handle", n), ("mac", vif.mac), ("trusted", 1)]

    def fill(tx):
        rm(xs, lx, tx)
        write_all(xs, tx, lx, [("frontend", fe), ("backend", be)])
        rm(xs, fe, tx)
        mknod(xs, tx, fe, ["n%d" % d, "r0"])
        xs.write(fe + "/backend", be, tx)
        write_all(xs, tx, fe, front)
        xs.write(fe + "/mtu", str(MTU), tx)
        xs.set_perms(fe + "/mtu", ["n0", "r%d" % d], tx)
        rm(xs, be, tx)
        mknod(xs, tx, be, ["n%d" % vif.backend_domid, "r%d" % d])
        xs.write(be + "/frontend", fe, tx)
        write_all(xs, tx, be, back)
        write_all(xs, tx, lx, back)

    transaction(xs, fill)


def connect_vif_nodes(xs, vm, vif):
    """What netback, the hotplug script and the guest's netfront write
    until the device is connected."""
    be, fe = vm.backend_path(vif.devid), vm.frontend_path(vif.devid)
    write_all(xs, 0, be, [
        ("feature-sg", 1), ("feature-gso-tcpv4", 1),
        ("feature-gso-tcpv6", 1), ("feature-ipv6-csum-offload", 1),
        ("feature-rx-copy", 1), ("feature-rx-flip", 0),
        ("feature-multicast-control", 1), ("feature-split-event-channels",
                                           1),
        ("multi-queue-max-queues", 2), ("feature-ctrl-ring", 1),
        ("hotplug-status", "connected"),
    ])
    write_all(xs, 0, fe, [
        ("tx-ring-ref", 8), ("rx-ring-ref", 9), ("event-channel", 10),
        ("request-rx-copy", 1), ("feature-rx-notify", 1),
        ("feature-sg", 1), ("feature-gso-tcpv4", 1),
        ("state", XENBUS_CONNECTED),
    ])
    xs.write(be + "/state", str(XENBUS_CONNECTED))


def close_backends(xs, vm):
    """The first step of a destroy: each vif's backend offline and
    Closed (those that are still there)."""
    for vif in vm.vifs:
        be = vm.backend_path(vif.devid)
        if xs.exists(be):
            write_all(xs, 0, be, [("online", 0), ("state", XENBUS_CLOSED)])


def write_vif_setting(xs, vm, devid, key, value):
    """A dom0-owned setting of a vif (ip, bridge, vifname, mac, rate,
    mtu) changed where libxl keeps it: the backend directory."""
    xs.write("%s/%s" % (vm.backend_path(devid), key), value)
