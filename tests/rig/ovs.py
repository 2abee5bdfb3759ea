# SPDX-License-Identifier: ISC
"""A real Open vSwitch in dom0's namespace, with the userspace datapath
(datapath_type=netdev): this machine has no Open vSwitch kernel module.
Its database and daemons live in the work dir and die with the
namespace.

As on a xapi host: bridges xenbrN, a VLAN network as a fake bridge on
its parent, and each vif and tap a port whose Interface external_ids
carry xs-vm-uuid, xs-vif-uuid, xs-network-uuid and attached-mac.  With
the userspace datapath the kernel shows no master for a port (the
kernel datapath would show ovs-system).

Forwarding is by explicit flows (fail_mode secure, then connect()), not
learning: a learning switch floods unknown unicast to every port, which
would spoil exact counts on the others."""

import os
import shutil

from processes import RigError, in_ns, run, wait_or_raise

SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


def available():
    """Whether Open vSwitch's programs are installed."""
    return all(shutil.which(p) for p in ("ovsdb-server", "ovs-vswitchd",
                                         "ovs-vsctl", "ovs-ofctl")) \
        and os.path.exists(SCHEMA)


class OpenVswitch:
    """ovsdb-server and ovs-vswitchd in namespace ns, files in rundir."""

    def __init__(self, rundir, ns):
        self.rundir = rundir
        self.ns = ns
        self.db_socket = os.path.join(rundir, "db.sock")
        self.bridges = {}               # name -> parent ("" if real)
        self.started = False

    def _env(self):
        return dict(os.environ, OVS_RUNDIR=self.rundir, OVS_LOGDIR=self.rundir,
                    OVS_DBDIR=self.rundir, OVS_SYSCONFDIR=self.rundir)

    def _run(self, cmd, ns=False):
        return run(in_ns(self.ns, cmd) if ns else cmd, env=self._env())

    def vsctl(self, *args):
        return self._run(["ovs-vsctl", "--db=unix:" + self.db_socket,
                          "--timeout=10"] + list(args)).stdout

    def ofctl(self, bridge, *args):
        return self._run(["ovs-ofctl", list(args)[0], bridge] +
                         list(args)[1:]).stdout

    def start(self):
        os.makedirs(self.rundir, exist_ok=True)
        db = os.path.join(self.rundir, "conf.db")
        self._run(["ovsdb-tool", "create", db, SCHEMA])
        path = self.rundir
        self._run(["ovsdb-server", "--remote=punix:" + self.db_socket,
                   "--pidfile=%s/ovsdb-server.pid" % path, "--detach",
                   "--unixctl=%s/ovsdb-server.ctl" % path,
                   "--log-file=%s/ovsdb-server.log" % path, db], ns=True)
        self.vsctl("--no-wait", "init")
        self._run(["ovs-vswitchd", "unix:" + self.db_socket,
                   "--pidfile=%s/ovs-vswitchd.pid" % path, "--detach",
                   "--unixctl=%s/ovs-vswitchd.ctl" % path,
                   "--log-file=%s/ovs-vswitchd.log" % path], ns=True)
        self.started = True

    def add_bridge(self, name, parent=None, vlan=None):
        """A bridge with the userspace datapath, or (parent, vlan) a fake
        bridge: xapi's VLAN network."""
        if parent:
            self.vsctl("add-br", name, parent, str(vlan))
        else:
            self.vsctl("add-br", name, "--", "set", "bridge", name,
                       "datapath_type=netdev", "fail_mode=secure")
        self.bridges[name] = parent or ""

    def real_bridge(self, name):
        return self.bridges[name] or name

    def add_port(self, bridge, ifname, external_ids=()):
        """ifname a port of bridge, with xapi's external_ids."""
        args = ["add-port", bridge, ifname]
        if external_ids:
            args += ["--", "set", "interface", ifname] + \
                ["external_ids:%s=%s" % kv for kv in external_ids]
        self.vsctl(*args)

        def attached():
            port = self.vsctl("--if-exists", "get", "interface", ifname,
                              "ofport").strip()
            return port not in ("", "-1", "[]") and int(port)

        return wait_or_raise(attached, 10, "%s to be a port" % ifname)

    def external_ids(self, ifname):
        return self.vsctl("get", "interface", ifname, "external_ids").strip()

    def connect(self, bridge, port_a, port_b):
        """Frames from port_a go to port_b and back; nothing else moves."""
        real = self.real_bridge(bridge)
        self.ofctl(real, "add-flow", "in_port=%d,actions=output:%d"
                   % (port_a, port_b))
        self.ofctl(real, "add-flow", "in_port=%d,actions=output:%d"
                   % (port_b, port_a))

    def stop(self):
        """Stop both daemons (deleting the namespace kills them too)."""
        if not self.started:
            return
        self.started = False
        for name in ("ovs-vswitchd", "ovsdb-server"):
            pidfile = os.path.join(self.rundir, name + ".pid")
            try:
                with open(pidfile) as handle:
                    os.kill(int(handle.read().strip()), 15)
            except (OSError, ValueError):
                pass


def require():
    if not available():
        raise RigError("Open vSwitch is not installed "
                       "(Debian: openvswitch-switch)")
