# SPDX-License-Identifier: ISC
"""A simulated Xen dom0 for integration tests of xen-vif-agent.

No hypervisor runs here, so the rig builds what the agent can observe of a
dom0 from real parts:

  * xenstore: the simulator (xenstored_sim.py) on a socket in the work dir,
    filled exactly as libxl fills it for running guests;
  * network devices: a "dom0" network namespace with a bridge xenbr0, and
    per guest a namespace holding the guest ends of veth pairs whose dom0
    ends carry netback's names (vifD.N, vifD.N-emu);
  * snmpd: a real master agent inside the dom0 namespace, with the agent
    connecting to it over AgentX on a unix socket in the work dir.

Typical use:

    with Dom0() as dom0:
        vm = dom0.add_vm("web", 5, vifs=[Vif(devid=0), Vif(devid=1)])
        dom0.start_snmpd()
        dom0.start_agent()
        dom0.send_from_guest(vm, 0, count=10, size=100)
        values = dom0.snmpget(".1.3.6.1.4.1.8072.9999.98.1.1.0")

Every namespace name starts with a prefix unique to the process and the
Dom0 instance, so test scripts can run in parallel.  close() (also run by
the context manager, by tap.run() for environments a script forgot, at
exit and on SIGTERM) stops every process and deletes every namespace; the
work dir is kept when something failed, with keep=True or XVA_KEEP=1.
Sanitizer reports written by the agent fail the test from close().

Dom0 is the front the tests use; each job is a module of its own, usable
without it:

  processes.py    errors, commands, background processes, waiting
  workdir.py      where the project is; the work dir's paths, environments
  netns.py        namespaces, bridges, veth pairs, exact traffic
  ovs.py          a real Open vSwitch (userspace datapath) in dom0
  fake_sysfs.py   the sysfs entries of dom0's devices
  guests.py       Vif, Vm and the live guests
  xs_layout.py    the nodes libxl writes into xenstore
  xs_layout_xapi.py  the nodes xapi's xenopsd writes, the same way
  hypervisor.py   the fixture of the simulated hypervisor (fakexc.c)
  snmp_values.py  SNMP values parsed from the tools' output
  snmp_tools.py   snmpget, snmpwalk and the other tools against snmpd
  daemons.py      xenstored, snmpd, snmptrapd, the agent, sanitizer reports

Their public names are importable from here too, as tests always did.

Environment: XVA_SRCDIR (project source, default two levels above this
file), XVA_BUILDDIR (default XVA_SRCDIR), XVA_AGENT (the agent binary,
default $XVA_BUILDDIR/agentx/xen-vif-agent), XVA_KEEP=1, XVA_TOOLSTACK
(libxl, the default, or xapi: whose layout of xenstore the rig writes).
"""

import atexit
import functools
import itertools
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# The names tests, tools/demo.py and bench/run import from dom0, wherever
# they live now.
import daemons                                      # noqa: E402
import ovs                                          # noqa: E402
import tap                                          # noqa: E402
import xs_layout                                    # noqa: E402
import xs_layout_xapi                               # noqa: E402
from processes import (RigError, CommandError,      # noqa: E402,F401
                       SnmpError, SnmpTimeout, Daemon, wait_until, run, ip,
                       in_ns)
from workdir import SRCDIR, BUILDDIR, Workdir       # noqa: E402,F401
from netns import (Network, link_info, link_stats,  # noqa: E402,F401
                   link_exists, instance_prefix, collect_stale_namespaces)
from fake_sysfs import FakeSysfs                    # noqa: E402
from guests import Vif, Vm, Guests                  # noqa: E402,F401
from hypervisor import FAKEXC, Hypervisor           # noqa: E402,F401
from snmp_values import (Value, NO_SUCH_OBJECT,     # noqa: E402,F401
                         NO_SUCH_INSTANCE, END_OF_MIB_VIEW, parse_value,
                         parse_trap_value, parse_varbinds)
from snmp_tools import (SnmpTools, SNMP_ADDRESS,    # noqa: E402,F401
                        COMMUNITY, SWITCH_CONTEXT, SWITCH_COMMUNITY,
                        SWITCH_USER, SWITCH_V2C, SWITCH_V3)
from daemons import (Xenstored, Snmpd, Snmptrapd,   # noqa: E402,F401
                     Agent, SanitizerError, switch_access,
                     AGENT, MODULE, TRAP_ADDRESS, TRAP_SINK,
                     XEN_VIF_NOTIFICATIONS, SNMP_TRAP_OID, SYS_UPTIME,
                     XEN_VIF_NUMBER)

_instance_counter = itertools.count()
_open_instances = []            # Dom0s not closed yet, for atexit/SIGTERM


def _forward(part, function):
    """A Dom0 method that is function, a method of the part self.<part>,
    so that its signature, defaults and docstring stay in one place."""
    @functools.wraps(function)
    def method(self, *args, **kwargs):
        return function(getattr(self, part), *args, **kwargs)
    return method


def _forward_attribute(part, name, doc=None):
    """A read-only Dom0 attribute that is self.<part>.<name>."""
    return property(lambda self: getattr(getattr(self, part), name),
                    doc=doc)


class Dom0:
    """A simulated dom0; see the module docstring.

    workdir: use this directory (never removed) instead of a fresh
    temporary one (removed on close unless kept).
    keep: keep the work dir even when everything passed.
    toolstack: "libxl" or "xapi", whose layout of xenstore (and names of
    emulated NICs) the rig writes; default $XVA_TOOLSTACK, else libxl.

    Its parts: work (Workdir), network (Network) with sysfs (FakeSysfs),
    guests (Guests), hypervisor (Hypervisor), xenstored (Xenstored), tools
    (SnmpTools), snmpd (Snmpd), snmptrapd (Snmptrapd), agent (Agent).
    What concerns one part is handed to it; what Dom0 writes out itself
    (a guest's birth, death and reboot, and closing) takes several."""

    def __init__(self, workdir=None, keep=False, toolstack=None):
        self.keep = keep or os.environ.get("XVA_KEEP") == "1"
        self.failed = False
        self.closed = False
        self.prefix = instance_prefix(next(_instance_counter))
        self.work = Workdir(workdir)
        self.workdir = self.work.root
        self.sysfs = FakeSysfs(self.work.fake_sysfs_root)
        self.network = Network(self.prefix, self.sysfs)
        self.ns = self.network.ns
        self.toolstack = toolstack or os.environ.get("XVA_TOOLSTACK",
                                                      "libxl")
        self.layout = {"libxl": xs_layout,
                       "xapi": xs_layout_xapi}[self.toolstack]
        self.guests = Guests(self.prefix, self.toolstack)
        self.hypervisor = Hypervisor(self.work.fixture_path, self.guests)
        self.xenstored = Xenstored(self.work)
        self.tools = SnmpTools(self.ns, self.work)
        self.snmpd = Snmpd(self.work, self.ns, self.tools)
        self.snmptrapd = Snmptrapd(self.work, self.ns)
        self.agent = Agent(self.work, self.ns, self.hypervisor, self.tools,
                           self.snmpd)
        _register(self)
        try:
            collect_stale_namespaces()
            self.work.make_dirs()
            self.work.make_mib_dir()
            self.network.create()
            self.add_bridge("xenbr0")
            self.xenstored.start()
            self.hypervisor.write()
            self.layout.write_dom0(self.xs)
        except BaseException:
            self.failed = True
            self.close(check=False)
            raise

    # -- paths and environments ---------------------------------------------

    path = _forward("work", Workdir.path)
    xenstored_path = _forward_attribute("work", "xenstored_path")
    agentx_socket = _forward_attribute("work", "agentx_socket")
    fake_sysfs_root = _forward_attribute("work", "fake_sysfs_root")
    mib_dir = _forward_attribute("work", "mib_dir")
    fixture_path = _forward_attribute("work", "fixture_path")
    env = _forward_attribute("work", "env", Workdir.env.__doc__)
    snmp_env = _forward("work", Workdir.snmp_env)

    # -- network devices (netns.py, fake_sysfs.py) --------------------------

    add_bridge = _forward("network", Network.add_bridge)
    remove_bridge = _forward("network", Network.remove_bridge)

    def start_openvswitch(self):
        """A real Open vSwitch in dom0 (userspace datapath): its bridges
        are made with self.network.ovs.add_bridge, and vifs on them
        become its ports.  See ovs.py."""
        ovs.require()
        self.network.ovs = ovs.OpenVswitch(self.work.path("ovs"), self.ns)
        self.network.ovs.start()
        return self.network.ovs

    bridge_mac = _forward("network", Network.bridge_mac)
    link_stats = _forward("network", Network.link_stats)
    vif_stats = _forward("network", Network.vif_stats)
    guest_stats = _forward("network", Network.guest_stats)
    link_master = _forward("network", Network.link_master)
    create_links = _forward("network", Network.create_links)
    rename_link = _forward("network", Network.rename_link)
    set_link_state = _forward("network", Network.set_link_state)
    write_nodename = _forward("sysfs", FakeSysfs.write_nodename)
    _send = _forward("network", Network.send)
    send_from_guest = _forward("network", Network.send_from_guest)
    send_to_guest = _forward("network", Network.send_to_guest)
    send_between = _forward("network", Network.send_between)

    # -- xenstore (daemons.Xenstored) ---------------------------------------

    xs = _forward_attribute("xenstored", "xs",
                            "The rig's connection to xenstore.")
    stop_xenstore = _forward("xenstored", Xenstored.stop)
    start_xenstore = _forward("xenstored", Xenstored.start)
    xenstore_restart = _forward("xenstored", Xenstored.restart)

    # -- guests: xenstore, devices and hypervisor together -------------------

    vms = _forward_attribute("guests", "vms", "The live Vms.")

    def add_vm(self, name, domid, uuid=None, vifs=(Vif(devid=0),),
               introduce=True, create_links=True, resources=None,
               migrating_in=False):
        """A running guest as the toolstack leaves it: domain nodes, one
        backend / frontend (/ libxl or xapi record) per vif, the domain
        introduced, and the dom0 ends of its vifs on their bridges.
        migrating_in (xapi): the domain of a VM arriving by migration,
        under a temporary UUID whose record names the real one, until
        finish_migration()."""
        vm = self.guests.new(name, domid, uuid, vifs, resources)
        if migrating_in:
            if self.toolstack != "xapi":
                raise RigError("migrating_in is xapi's way")
            vm.vm_node_uuid = xs_layout_xapi.temporary_uuid(vm.uuid,
                                                            "000000000001")
        self.layout.make_domain(self.xs, vm)
        if introduce:
            self.layout.introduce(self.xs, vm)
        for vif in vm.vifs:
            self.layout.add_vif_nodes(self.xs, vm, vif)
        if create_links:
            self.network.create_links(vm)
        for vif in vm.vifs:
            self.layout.connect_vif_nodes(self.xs, vm, vif)
        self.hypervisor.write()
        return vm

    def finish_migration(self, incoming, outgoing=None):
        """xapi's end of a migration: the outgoing domain (on this host)
        renamed to another UUID and destroyed, the incoming one's vm node
        rewritten to the real UUID."""
        if outgoing is not None:
            xs_layout_xapi.rename_outgoing(self.xs, outgoing)
        xs_layout_xapi.settle_incoming(self.xs, incoming)
        if outgoing is not None:
            self.destroy_vm(outgoing)

    def write_vif_setting(self, vm, devid, key, value):
        """Change a dom0-owned setting of a vif (ip, bridge, vifname,
        mac, rate, mtu) where the toolstack keeps it."""
        self.layout.write_vif_setting(self.xs, vm, devid, key, value)

    def destroy_vm(self, vm, dying=False):
        """xl destroy: devices torn down (backend closed, dom0 devices
        gone, device nodes removed), domain nodes removed, domain
        released (@releaseDomain), guest namespace deleted.  With dying,
        the hypervisor still lists the domain, dying, as Xen does until
        the last of its memory is released: see reap_domain()."""
        if vm.destroyed:
            raise RigError("%s is already destroyed" % vm.name)
        self.layout.close_backends(self.xs, vm)
        self.network.delete_links(vm)
        self.layout.remove_domain(self.xs, vm)
        self.layout.release(self.xs, vm)
        self.network.delete_guest_namespace(vm)
        vm.destroyed = True
        self.guests.remove(vm)
        if dying:
            self.hypervisor.domain_dying(vm)
        self.hypervisor.write()

    def reboot_vm(self, vm, new_domid, resources=None):
        """A reboot under Xen: the domain dies and the guest comes back
        with the same name, UUID and devices under a new domid (its CPU
        time starts again unless resources say otherwise)."""
        introduce, links = vm.introduced, vm.links_created
        kept = dict(vm.resources, cpu_ns=0)
        kept.update(resources or {})
        self.destroy_vm(vm)
        return self.add_vm(vm.name, new_domid, uuid=vm.uuid, vifs=vm.vifs,
                           introduce=introduce, create_links=links,
                           resources=kept)

    # -- the simulated hypervisor (hypervisor.py) ---------------------------

    set_resources = _forward("hypervisor", Hypervisor.set_resources)
    set_hypervisor = _forward("hypervisor", Hypervisor.set_present)
    reap_domain = _forward("hypervisor", Hypervisor.reap)

    # -- snmpd and snmptrapd (daemons.py) -----------------------------------

    snmpd_running = _forward_attribute("snmpd", "running")
    start_snmpd = _forward("snmpd", Snmpd.start)
    start_snmpd_with_config = _forward("snmpd", Snmpd.start_with_config)
    stop_snmpd = _forward("snmpd", Snmpd.stop)
    restart_snmpd = _forward("snmpd", Snmpd.restart)
    snmpd_log = _forward("snmpd", Snmpd.log)
    module_conf_dir = _forward_attribute("snmpd", "module_conf_dir")

    def start_snmpd_module(self, config_lines=(), extra_config=(),
                           wait_served=True, timeout=20):
        """snmpd with XEN-VIF-MIB loaded into it in place of the agent:
        see Snmpd.start_module."""
        self.snmpd.start_module(self.agent, config_lines, extra_config,
                                wait_served, timeout)

    def module_env(self):
        """snmpd's environment with the module: see Snmpd.module_env."""
        return self.snmpd.module_env(self.agent)

    traps_file = _forward_attribute("snmptrapd", "traps_file")
    start_snmptrapd = _forward("snmptrapd", Snmptrapd.start)
    traps = _forward("snmptrapd", Snmptrapd.traps)
    wait_traps = _forward("snmptrapd", Snmptrapd.wait_traps)

    # -- SNMP queries (snmp_tools.py) ---------------------------------------

    snmp_tool = _forward("tools", SnmpTools.snmp_tool)
    translate = _forward("tools", SnmpTools.translate)
    snmpget = _forward("tools", SnmpTools.snmpget)
    snmpwalk = _forward("tools", SnmpTools.snmpwalk)
    snmptable = _forward("tools", SnmpTools.snmptable)
    snmptranslate = _forward("tools", SnmpTools.snmptranslate)

    # -- the agent (daemons.Agent) ------------------------------------------

    agent_config_file = _forward_attribute("agent", "config_file")
    agent_state_file = _forward_attribute("agent", "state_file")
    agent_log_file = _forward_attribute("agent", "log_file")
    counter_source = _forward_attribute("agent", "counter_source",
                                        Agent.counter_source.__doc__)
    _write_agent_config = _forward("agent", Agent.write_config)
    agent_env = _forward("agent", Agent.env)
    agent_running = _forward_attribute("agent", "running")
    agent_pid = _forward_attribute("agent", "pid")
    start_agent = _forward("agent", Agent.start)
    wait_agent_registered = _forward("agent", Agent.wait_registered)
    stop_agent = _forward("agent", Agent.stop)
    kill_agent = _forward("agent", Agent.kill)
    agent_log = _forward("agent", Agent.log)
    agent_output = _forward("agent", Agent.output)
    run_agent_once = _forward("agent", Agent.run_once)

    def sanitizer_reports(self):
        """[(file, text)] of every sanitizer report in the work dir."""
        return daemons.sanitizer_reports(self.work)

    # -- life cycle ---------------------------------------------------------

    def wait_until(self, fn, timeout=10, what="condition"):
        return wait_until(fn, timeout, what)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.close()

    def close(self, check=True):
        """Stop everything and delete every namespace (and so every link);
        remove the work dir unless kept.  Sanitizer reports and cleanup
        errors fail the running TAP script (or raise, outside one)."""
        if self.closed:
            return
        self.closed = True
        _unregister(self)
        errors = []
        steps = [("stop agent", self.agent.stop),
                 ("stop openvswitch",
                  lambda: self.network.ovs and self.network.ovs.stop()),
                 ("stop snmpd", self.snmpd.stop),
                 ("stop snmptrapd", self.snmptrapd.stop),
                 ("stop xenstore", self.xenstored.stop)]
        steps += [("delete namespace " + ns,
                   lambda ns=ns: self.network.delete_namespace(ns))
                  for ns in reversed(list(self.network.namespaces))]
        steps.append(("remove classifier pins", self.work.remove_classifier_pins))
        for what, step in steps:
            try:
                step()
            except Exception as err:            # noqa: BLE001
                errors.append("%s: %s" % (what, err))
        reports = self.sanitizer_reports()
        current = tap.current()
        if current is not None and current.failed:
            self.failed = True
        if reports or errors:
            self.failed = True
        kept = self.keep or self.failed
        if not kept and self.work.own:
            self.work.remove()
        elif kept:
            note = "dom0 work dir kept: %s" % self.workdir
            if current is not None:
                current.diag(note)
            else:
                sys.stderr.write(note + "\n")
        if not check:
            return
        self._report(current, reports, errors)

    def _report(self, current, reports, errors):
        text = "".join("==> %s <==\n%s\n" % (p, t) for p, t in reports)
        if current is not None:
            if reports:
                current.ok(False, "the agent left no sanitizer reports", text)
            if errors:
                current.ok(False, "dom0 cleanup", "\n".join(errors))
            return
        if reports:
            raise SanitizerError("sanitizer reports:\n" + text)
        if errors:
            raise RigError("dom0 cleanup failed:\n" + "\n".join(errors))


# ---------------------------------------------------------------------------
# Cleanup of forgotten, crashed and killed tests
# ---------------------------------------------------------------------------

def _register(dom0):
    _open_instances.append(dom0)
    _install_signal_handler()


def _unregister(dom0):
    if dom0 in _open_instances:
        _open_instances.remove(dom0)


def _close_open_instances(tap_instance):
    """tap.run() end hook: close what a script forgot, reporting there."""
    for dom0 in list(_open_instances):
        dom0.close()


def _close_at_exit():
    """Last resort outside tap.run(): close, and make the process fail if
    that found problems (an atexit handler cannot raise usefully)."""
    failed = False
    for dom0 in list(_open_instances):
        try:
            dom0.close()
        except Exception as err:                # noqa: BLE001
            sys.stderr.write("dom0 cleanup at exit: %s\n" % err)
            failed = True
    if failed:
        sys.stdout.flush()
        os._exit(1)


def _on_sigterm(signum, _frame):
    # Unwind through every `with Dom0()` and tap.run's handlers.
    raise SystemExit(128 + signum)


_handler_installed = False


def _install_signal_handler():
    global _handler_installed
    if _handler_installed:
        return
    _handler_installed = True
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        pass                    # not the main thread: atexit still works


atexit.register(_close_at_exit)
tap.at_end(_close_open_instances)
