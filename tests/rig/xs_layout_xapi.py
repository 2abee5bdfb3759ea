# SPDX-License-Identifier: ISC
"""The nodes xapi's xenopsd (XCP-ng, XenServer) writes into xenstore for
running guests, with the same functions as xs_layout.py (libxl's), so
that the rig runs every test on either toolstack.

What differs from libxl, and what the agent must cope with:
  * the backend vif directory holds no bridge, vifname, ip, mtu or type;
    xenopsd keeps those for itself under /xapi/UUID, which only dom0 may
    read: private/vif/N/{bridge, MTU, locking-mode, ipv4-allowed, ...}
    and hotplug/D/vif/N/vif (the dom0 device's name);
  * an HVM guest's emulated NIC is tapD.N (see guests.Vm.default_ifname);
  * a migrating VM runs as two domains for a while: the incoming one is
    made under a temporary UUID whose /vm record holds final-uuid, the
    outgoing one is renamed to another UUID whose record holds
    origin-uuid (migrate_in, rename_outgoing, settle_incoming)."""

import time

from netns import MTU
from xs_layout import (XENBUS_INITIALISING, XENBUS_CONNECTED,  # noqa: F401
                       transaction, rm, path_cleanup, write_all, mknod,
                       write_dom0, write_domain_nodes, introduce, release,
                       connect_vif_nodes, close_backends)

VIF_SCRIPT = "/etc/xensource/scripts/vif"


def temporary_uuid(uuid, suffix):
    """The UUIDs xenopsd gives a migrating VM's domains: the real one's
    first 24 characters, then suffix (12 digits)."""
    return uuid[:24] + suffix


def xapi_path(vm):
    return "/xapi/%s" % vm.uuid


def private_path(vm, devid):
    return "%s/private/vif/%d" % (xapi_path(vm), devid)


def hotplug_path(vm, devid):
    return "%s/hotplug/%d/vif/%d" % (xapi_path(vm), vm.domid, devid)


def _vm_record(xs, tx, vm_uuid, vm, extra=()):
    path = "/vm/%s" % vm_uuid
    rm(xs, path, tx)
    mknod(xs, tx, path, ["n0", "r%d" % vm.domid])
    write_all(xs, tx, path, [("uuid", vm_uuid), ("name", vm.name),
                             ("domains/%d/create-time" % vm.domid,
                              "%.0f" % time.time())] + list(extra))


def make_domain(xs, vm):
    """xenopsd's Domain.make: the domain's nodes and its /vm record (the
    temporary one, with final-uuid, for a domain migrating in)."""
    node_uuid = vm.vm_path.rsplit("/", 1)[1]

    def fill(tx):
        rm(xs, vm.dom_path, tx)
        write_domain_nodes(xs, tx, vm)
        extra = [("final-uuid", vm.uuid)] if node_uuid != vm.uuid else []
        _vm_record(xs, tx, node_uuid, vm, extra)
        if not xs.exists(xapi_path(vm), tx):
            mknod(xs, tx, xapi_path(vm), ["n0"])

    transaction(xs, fill)


def add_vif_nodes(xs, vm, vif):
    """xenopsd's VIF.plug: backend (no bridge or name), frontend, and its
    own records under /xapi/UUID, which only dom0 can read."""
    d, n = vm.domid, vif.devid
    be, fe = vm.backend_path(n), vm.frontend_path(n)
    back = [("frontend-id", d), ("online", 1),
            ("state", XENBUS_INITIALISING), ("script", VIF_SCRIPT),
            ("mac", vif.mac), ("handle", n)]
    if vif.rate:
        back.append(("rate", vif.rate))
    back.append(("hotplug-status", ""))
    front = [("backend-id", vif.backend_domid),
             ("state", XENBUS_INITIALISING),
             ("handle", n), ("mac", vif.mac)]
    private = [("mac", vif.mac), ("MTU", vif.mtu or MTU),
               ("vif-uuid", "%s-vif%d" % (vm.uuid, n)),
               ("network-uuid", "net-%s" % (vif.bridge or "none"))]
    if vif.bridge:
        private.append(("bridge", vif.bridge))
    if vif.ip:
        # xapi knows addresses only when the VIF is locked to them.
        words = vif.ip.split()
        private += [("locking-mode", "locked"),
                    ("ipv4-allowed", ",".join(w for w in words if ":" not in w)),
                    ("ipv6-allowed", ",".join(w for w in words if ":" in w))]
    else:
        private.append(("locking-mode", "network_default"))

    def fill(tx):
        rm(xs, fe, tx)
        mknod(xs, tx, fe, ["n%d" % d, "r0"])
        xs.write(fe + "/backend", be, tx)
        write_all(xs, tx, fe, front)
        rm(xs, be, tx)
        mknod(xs, tx, be, ["n%d" % vif.backend_domid, "r%d" % d])
        xs.write(be + "/frontend", fe, tx)
        write_all(xs, tx, be, back)
        write_all(xs, tx, private_path(vm, n), private)
        write_all(xs, tx, hotplug_path(vm, n),
                  [("vif", vm.default_ifname(n))])

    transaction(xs, fill)


def remove_domain(xs, vm):
    """xenopsd's destroy: the devices' nodes, the domain's, its /vm
    record, and its hotplug records (the private ones stay with the VM,
    which may run again)."""
    def remove_devices(tx):
        for vif in vm.vifs:
            for path in (vm.frontend_path(vif.devid),
                         vm.backend_path(vif.devid)):
                path_cleanup(xs, path, tx)
        rm(xs, "%s/hotplug/%d" % (xapi_path(vm), vm.domid), tx)

    transaction(xs, remove_devices)
    rm(xs, vm.dom_path)
    rm(xs, vm.vm_path)


# ---------------------------------------------------------------------------
# Migration
# ---------------------------------------------------------------------------

def rename_outgoing(xs, vm):
    """The source domain renamed at the end of a migration: its vm node
    names a record of another UUID, which says where it came from."""
    old = vm.uuid
    new = temporary_uuid(old, "000000000000")

    def fill(tx):
        _vm_record(xs, tx, new, vm, [("origin-uuid", old)])
        xs.write(vm.dom_path + "/vm", "/vm/%s" % new, tx)

    transaction(xs, fill)
    vm.vm_node_uuid = new


def settle_incoming(xs, vm):
    """The incoming domain takes the real UUID: only its vm node is
    rewritten (not its name), and the temporary record goes."""
    old_path = vm.vm_path

    def fill(tx):
        _vm_record(xs, tx, vm.uuid, vm)
        xs.write(vm.dom_path + "/vm", "/vm/%s" % vm.uuid, tx)
        rm(xs, old_path, tx)

    transaction(xs, fill)
    vm.vm_node_uuid = None


def write_vif_setting(xs, vm, devid, key, value):
    """A dom0-owned setting of a vif changed where xenopsd keeps it: the
    MAC and rate in the backend, the rest under /xapi/UUID.  ip locks
    the VIF to value (as its IPv4 list), the one way xapi knows
    addresses."""
    private = private_path(vm, devid)
    if key in ("mac", "rate"):
        xs.write("%s/%s" % (vm.backend_path(devid), key), value)
    elif key == "vifname":
        xs.write(hotplug_path(vm, devid) + "/vif", value)
    elif key == "ip":
        def fill(tx):
            write_all(xs, tx, private, [("locking-mode", "locked"),
                                        ("ipv6-allowed", "")])
            xs.write(private + "/ipv4-allowed", value, tx)
        transaction(xs, fill)
    elif key in ("bridge", "mtu"):
        xs.write("%s/%s" % (private, "MTU" if key == "mtu" else key), value)
    else:
        raise ValueError("no vif setting %r under xapi" % key)
