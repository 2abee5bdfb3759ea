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

Environment: XVA_SRCDIR (project source, default two levels above this
file), XVA_BUILDDIR (default XVA_SRCDIR), XVA_AGENT (the agent binary,
default $XVA_BUILDDIR/agentx/xen-vif-agent), XVA_KEEP=1.
"""

import atexit
import ctypes
import dataclasses
import glob
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import tap                                          # noqa: E402
import xsclient                                     # noqa: E402
from xsclient import XsClient, XsError              # noqa: E402

SRCDIR = os.environ.get("XVA_SRCDIR") or os.path.dirname(
    os.path.dirname(HERE))
BUILDDIR = os.environ.get("XVA_BUILDDIR") or SRCDIR
AGENT = os.environ.get("XVA_AGENT") or os.path.join(
    BUILDDIR, "agentx", "xen-vif-agent")

SIMULATOR = os.path.join(HERE, "xenstored_sim.py")
# The simulated hypervisor for libxenstat (tests/rig/fakexc.c), built
# by make check.
FAKEXC = os.environ.get("XVA_FAKEXC") or os.path.join(
    BUILDDIR, "tests", "rig", ".libs", "libfakexc.so")
# The same MIB module for snmpd's dlmod (agentx/snmpd_module.c).
MODULE = os.environ.get("XVA_MODULE") or os.path.join(
    BUILDDIR, "agentx", ".libs", "xen_vif_mib.so")
SEND_FRAMES = os.path.join(HERE, "send_frames.py")
TRAP_RECORDER = os.path.join(HERE, "trap_recorder.py")

SNMP_ADDRESS = "127.0.0.1:1161"
TRAP_ADDRESS = "127.0.0.1:1162"
# snmpd configuration that sends notifications to start_snmptrapd()'s.
TRAP_SINK = "trap2sink %s public" % TRAP_ADDRESS
XEN_VIF_NOTIFICATIONS = ".1.3.6.1.4.1.8072.9999.98.0"
SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
COMMUNITY = "public"
# The switch view's context, and how snmpd lets pollers into it: a v2c
# community mapped to the context, and an SNMPv3 authPriv user.
SWITCH_CONTEXT = "xen"
SWITCH_COMMUNITY = "xenswitch"
SWITCH_USER = ("xenv3", "xenauthpass1", "xenprivpass1")
SWITCH_V2C = ("-v2c", "-c", SWITCH_COMMUNITY)
SWITCH_V3 = ("-v3", "-l", "authPriv", "-u", SWITCH_USER[0], "-a", "SHA",
             "-A", SWITCH_USER[1], "-x", "AES", "-X", SWITCH_USER[2],
             "-n", SWITCH_CONTEXT)


def switch_access(context=SWITCH_CONTEXT):
    """snmpd.conf lines that map SWITCH_COMMUNITY and SWITCH_USER to the
    switch's context (as the README's example does)."""
    user, auth, priv = SWITCH_USER
    return [
        "com2sec -Cn %s switchsec 127.0.0.1 %s" % (context, SWITCH_COMMUNITY),
        "group switchgroup v2c switchsec",
        "view switchview included .1",
        "access switchgroup %s any noauth exact switchview none none" % context,
        'createUser %s SHA "%s" AES "%s"' % (user, auth, priv),
        "group switchv3 usm %s" % user,
        "access switchv3 %s usm priv exact switchview none none" % context,
    ]
SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
XEN_VIF_NUMBER = ".1.3.6.1.4.1.8072.9999.98.1.1.0"

# MIB modules the tools need, from Erlang's SNMP application, plus ours.
ERLANG_MIBS = ("SNMPv2-SMI", "SNMPv2-TC", "SNMPv2-CONF", "SNMPv2-MIB",
               "SNMP-FRAMEWORK-MIB", "INET-ADDRESS-MIB")

XEN_OUI = "00:16:3e"
NETBACK_MAC = "fe:ff:ff:ff:ff:ff"   # what netback gives every dom0 vif
XEN_SCRIPT_DIR = "/etc/xen/scripts"
IFNAMSIZ = 16
MTU = 1500

# XenbusState values (xen/io/xenbus.h)
XENBUS_INITIALISING = 1
XENBUS_CONNECTED = 4
XENBUS_CLOSED = 6

# What the simulated hypervisor says of a guest unless told otherwise.
DEFAULT_RESOURCES = {"state": "running", "vcpus": 1, "mem_kb": 524288,
                     "max_mem_kb": 1048576, "cpu_ns": 0}

_instance_counter = itertools.count()
_open_instances = []            # Dom0s not closed yet, for atexit/SIGTERM


# ---------------------------------------------------------------------------
# Errors and polling
# ---------------------------------------------------------------------------

class RigError(Exception):
    """The rig could not do what was asked."""


class CommandError(RigError):
    def __init__(self, cmd, returncode, stdout, stderr):
        super().__init__("%s: exit status %s\n%s" % (
            " ".join(cmd), returncode, (stderr or stdout or "").strip()))
        self.cmd = cmd
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


class SnmpError(RigError):
    """An SNMP tool failed; .stderr has its complaint."""

    def __init__(self, cmd, returncode, stderr):
        super().__init__("%s: exit status %s: %s" % (
            cmd[0], returncode, stderr.strip()))
        self.cmd = cmd
        self.returncode = returncode
        self.stderr = stderr


class SnmpTimeout(SnmpError):
    """No response from the agent."""


class SanitizerError(RigError):
    """The agent left sanitizer reports."""


def wait_until(fn, timeout=10, what="condition", interval=0.05):
    """Call fn every interval seconds until it returns something truthy and
    return that; raise TimeoutError naming `what` and fn's last value (or
    exception) after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
        except _Abort:
            raise
        except Exception as err:        # noqa: BLE001 - reported below
            last = err
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %gs waiting for %s; last "
                               "value: %r" % (timeout, what, last))
        time.sleep(interval)


# ---------------------------------------------------------------------------
# Commands and processes
# ---------------------------------------------------------------------------

def run(cmd, check=True, timeout=60, env=None, input=None):
    """Run cmd capturing text output; CommandError when check fails."""
    res = subprocess.run(cmd, capture_output=True, text=True,
                         timeout=timeout, env=env, input=input,
                         errors="surrogateescape")
    if check and res.returncode != 0:
        raise CommandError(cmd, res.returncode, res.stdout, res.stderr)
    return res


def ip(*args, ns=None, check=True):
    cmd = ["ip"] + (["-n", ns] if ns else []) + list(args)
    return run(cmd, check=check)


def in_ns(ns, cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def _die_with_parent():
    """preexec_fn: children get SIGKILL when the test process dies, even by
    SIGKILL, so no daemon outlives a crashed test."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


class Daemon:
    """One background process with its output appended to a log file."""

    def __init__(self, name, logfile):
        self.name = name
        self.logfile = logfile
        self.proc = None
        self.cmd = None

    def start(self, cmd, env):
        self.cmd = list(cmd)
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(
                self.cmd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, preexec_fn=_die_with_parent,
                start_new_session=True)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the exit status (negative: signal).
        Raises RigError if it had to be killed."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RigError("%s ignored SIGTERM for %gs; killed"
                               % (self.name, timeout)) from None
        return self.proc.returncode

    def kill(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()

    def log_tail(self, lines=30):
        return _tail(self.logfile, lines)


def _sanitizer_runtimes(library):
    """The sanitizer runtimes a shared library was linked with, which
    must be preloaded into a program that loads it."""
    try:
        out = subprocess.run(["ldd", library], capture_output=True,
                             text=True, check=False).stdout
    except OSError:
        return []
    return [m.group(1) for m in re.finditer(
        r"lib(?:asan|ubsan)\.so\S* => (\S+)", out)]


def _tail(path, lines=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return "(no %s)" % path


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------------------
# Network devices
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


def _check_ifname(name):
    if not name or len(name) >= IFNAMSIZ or "/" in name or name.strip() \
            != name:
        raise ValueError("%r is not a valid Linux interface name (at most "
                         "%d characters)" % (name, IFNAMSIZ - 1))


def _derived_mac(prefix, *parts):
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return "%s:%02x:%02x:%02x" % (prefix, digest[0] & 0x7F, digest[1],
                                  digest[2])


# ---------------------------------------------------------------------------
# SNMP values
# ---------------------------------------------------------------------------

INT_TYPES = ("INTEGER", "Gauge32", "Counter32", "Counter64", "Timeticks",
             "UInteger32", "NUMBER")
EXCEPTION_TYPES = ("noSuchObject", "noSuchInstance", "endOfMibView")


class Value:
    """One typed SNMP value as it came off the wire.

    .type is net-snmp's name of the BER type: "INTEGER", "Gauge32" (also
    Unsigned32), "Counter32", "Counter64", "Timeticks", "STRING" (any
    OCTET STRING), "OID", "IpAddress", "Opaque", "NULL", or one of the
    exceptions "noSuchObject", "noSuchInstance", "endOfMibView".
    .value is an int for the numeric types (Timeticks in hundredths of a
    second), bytes for STRING, the dotted text for OID ('.1.3.6...') and
    IpAddress, None for NULL and the exceptions.

    A Value equals another Value of the same type and value, and also a
    plain int (numeric types), bytes (STRING) or str (STRING as UTF-8,
    OID, IpAddress), so tests can write t.is_(value, 42, ...).
    """

    __slots__ = ("type", "value")

    def __init__(self, type_, value):
        self.type = type_
        self.value = value

    @property
    def is_exception(self):
        return self.type in EXCEPTION_TYPES

    @property
    def raw(self):
        """The exact octets of a STRING."""
        if self.type != "STRING":
            raise TypeError("%r is not an OCTET STRING" % self)
        return self.value

    @property
    def text(self):
        """A STRING decoded as UTF-8 (strict: bad UTF-8 raises)."""
        return self.raw.decode("utf-8")

    def __int__(self):
        if self.type not in INT_TYPES:
            raise TypeError("%r is not numeric" % self)
        return self.value

    __index__ = __int__

    def __eq__(self, other):
        if isinstance(other, Value):
            return (self.type, self.value) == (other.type, other.value)
        if isinstance(other, bool):
            return NotImplemented
        if isinstance(other, int):
            return self.type in INT_TYPES and self.value == other
        if isinstance(other, (bytes, bytearray)):
            return self.type == "STRING" and self.value == bytes(other)
        if isinstance(other, str):
            if self.type == "STRING":
                return self.value == other.encode("utf-8", "surrogateescape")
            if self.type == "OID":
                return self.value.lstrip(".") == other.lstrip(".")
            return self.type == "IpAddress" and self.value == other
        return NotImplemented

    def __hash__(self):
        return hash((self.type, self.value))

    def __repr__(self):
        if self.is_exception or self.type == "NULL":
            return self.type
        return "%s(%r)" % (self.type, self.value)


NO_SUCH_OBJECT = Value("noSuchObject", None)
NO_SUCH_INSTANCE = Value("noSuchInstance", None)
END_OF_MIB_VIEW = Value("endOfMibView", None)

_EXCEPTION_TEXTS = {
    "No Such Object available on this agent at this OID": NO_SUCH_OBJECT,
    "No Such Instance currently exists at this OID": NO_SUCH_INSTANCE,
    "No more variables left in this MIB View": END_OF_MIB_VIEW,
}
_VARBIND_RE = re.compile(r"^(\.[0-9]+(?:\.[0-9]+)*) = (.*)$")
_NUMERIC_OID_RE = re.compile(r"^\.?[0-9]+(?:\.[0-9]+)*$")


def parse_value(text):
    """A Value from the text after 'OID = ' in net-snmp's output, printed
    with -Ox and no MIB loaded (so every OCTET STRING is a Hex-STRING)."""
    wrong = re.match(r"Wrong Type \(should be [^)]*\): (.*)", text, re.S)
    if wrong:
        text = wrong.group(1)
    for prefix, sentinel in _EXCEPTION_TEXTS.items():
        if text.startswith(prefix):
            return sentinel
    if text == '""':
        return Value("STRING", b"")
    if text == "NULL":
        return Value("NULL", None)
    type_, sep, rest = text.partition(": ")
    if not sep:
        raise ValueError("cannot parse SNMP value %r" % text)
    if type_ == "Hex-STRING":
        return Value("STRING", bytes.fromhex(rest))
    if type_ == "STRING":
        return Value("STRING", _unquote(rest).encode("utf-8",
                                                     "surrogateescape"))
    if type_ == "Timeticks":
        match = re.match(r"\((\d+)\)", rest)
        return Value(type_, int(match.group(1) if match else rest))
    if type_ in INT_TYPES:
        # "up(1)" when enum labels are printed; the number is in brackets.
        match = re.search(r"\((-?\d+)\)$", rest)
        return Value(type_, int(match.group(1) if match else rest))
    if type_ == "BITS":
        return Value("STRING", bytes.fromhex(re.sub(r"\s\S*\(.*", "",
                                                    rest)))
    return Value(type_, rest)


_TICKS_RE = re.compile(r"^(\d+):(\d+):(\d\d):(\d\d)\.(\d\d)$")
_HEX_RE = re.compile(r"^(?:[0-9A-Fa-f]{2} )+$")


def parse_trap_value(text):
    """A Value from snmptrapd's traphandle input, which carries no type
    names: a quoted string, hex octets, an OID, d:h:mm:ss.cc ticks, or a
    number (of whatever numeric type: "NUMBER")."""
    if text.startswith('"'):
        return Value("STRING", _unquote(text).encode("utf-8", "surrogateescape"))
    ticks = _TICKS_RE.match(text)
    if ticks:
        d, h, m, sec, cs = (int(x) for x in ticks.groups())
        return Value("Timeticks", (((d * 24 + h) * 60 + m) * 60 + sec) * 100 + cs)
    # net-snmp ends hex octets with a space: that tells "12 " from 12.
    if _HEX_RE.match(text):
        return Value("STRING", bytes.fromhex(text))
    text = text.strip()
    if _NUMERIC_OID_RE.match(text) and text.startswith("."):
        return Value("OID", text)
    if re.match(r"^-?\d+$", text):
        return Value("NUMBER", int(text))
    return parse_value(text)


def _unquote(text):
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r'\\(.)', r"\1", text[1:-1])
    return text


def parse_varbinds(output):
    """[(oid, Value)] from net-snmp output with -On; a value may span lines
    (long Hex-STRINGs wrap every 16 octets)."""
    pairs = []
    for line in output.splitlines():
        match = _VARBIND_RE.match(line)
        if match:
            pairs.append([match.group(1), match.group(2)])
        elif pairs:
            pairs[-1][1] += "\n" + line
        elif line.strip():
            raise ValueError("unexpected SNMP output line %r" % line)
    return [(oid, parse_value(text.strip())) for oid, text in pairs]


# ---------------------------------------------------------------------------
# Guests
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Vif:
    """One network device of a guest, as in an xl config's vif= line.

    mac None: derived from the VM's UUID and devid (stable across reboots).
    bridge None: no bridge node in xenstore and no bridge attachment.
    vifname: the dom0 device name instead of vifD.N.
    emu: an HVM guest's emulated NIC too (dom0 device NAME-emu).
    rate: the backend 'rate' node, "BYTES,MICROSECONDS" as libxl writes
    it for rate="..." (netback limits the vif to it); None: no limit.
    mtu: the backend 'mtu' node (libxl writes the configured MTU).
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

    @property
    def hvm(self):
        return any(v.emu for v in self.vifs)

    @property
    def dom_path(self):
        return "/local/domain/%d" % self.domid

    @property
    def vm_path(self):
        return "/vm/%s" % self.uuid

    @property
    def libxl_dom_path(self):
        return "/libxl/%d" % self.domid

    def vif(self, devid):
        for vif in self.vifs:
            if vif.devid == devid:
                return vif
        raise KeyError("%s has no vif %d" % (self.name, devid))

    def backend_path(self, devid):
        return "/local/domain/0/backend/vif/%d/%d" % (self.domid, devid)

    def frontend_path(self, devid):
        return "%s/device/vif/%d" % (self.dom_path, devid)

    def libxl_path(self, devid):
        return "%s/device/vif/%d" % (self.libxl_dom_path, devid)

    def default_ifname(self, devid, emu=False):
        """The name netback (or qemu, for emu) gives the dom0 end."""
        vif = self.vif(devid)
        base = vif.vifname or "vif%d.%d" % (self.domid, devid)
        return base + "-emu" if emu else base

    def ifname(self, devid, emu=False):
        """The current name of the dom0 end (follows rename_link)."""
        return self.links.get((devid, emu)) or self.default_ifname(devid,
                                                                   emu)

    @staticmethod
    def guest_ifname(devid, emu=False):
        return ("emu%d" if emu else "eth%d") % devid


# ---------------------------------------------------------------------------
# The dom0
# ---------------------------------------------------------------------------

class Dom0:
    """A simulated dom0; see the module docstring.

    workdir: use this directory (never removed) instead of a fresh
    temporary one (removed on close unless kept).
    keep: keep the work dir even when everything passed."""

    def __init__(self, workdir=None, keep=False):
        self.keep = keep or os.environ.get("XVA_KEEP") == "1"
        self.failed = False
        self.closed = False
        self.prefix = "xva%dx%d" % (os.getpid(), next(_instance_counter))
        self.ns = self.prefix + "d0"
        self.namespaces = []            # created by us, deleted on close
        self.bridges = {}               # name -> MAC
        self.vms = []                   # live Vm objects
        self._vm_serial = itertools.count()
        self._oid_cache = {}
        self.xs = None
        self.snmpd_config = []
        self.snmpd_module = False
        self.hypervisor_present = True
        # Destroyed, but still listed by the hypervisor as dying (domid
        # -> its last resources) until reap_domain().
        self.dying_domains = {}
        self._own_workdir = workdir is None
        self.workdir = self._make_workdir(workdir)
        self.sim = Daemon("xenstored_sim",
                          os.path.join(self.workdir, "xenstored.log"))
        self.snmpd = Daemon("snmpd", os.path.join(self.workdir,
                                                  "snmpd.out"))
        self.agent = Daemon("xen-vif-agent",
                            os.path.join(self.workdir, "agent.out"))
        self.snmptrapd = Daemon("snmptrapd",
                                os.path.join(self.workdir, "snmptrapd.out"))
        _register(self)
        try:
            _collect_stale_namespaces()
            self._make_dirs()
            self._make_mib_dir()
            self._create_dom0_namespace()
            self.add_bridge("xenbr0")
            self._start_simulator()
            self._write_fixture()
            self.xs.write("/local/domain/0/name", "Domain-0")
            self.xs.write("/local/domain/0/domid", "0")
        except BaseException:
            self.failed = True
            self.close(check=False)
            raise

    # -- paths --------------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    @property
    def xenstored_path(self):
        return self.path("xenstored.sock")

    @property
    def agentx_socket(self):
        return self.path("agentx.sock")

    @property
    def fake_sysfs_root(self):
        return self.path("sys")

    @property
    def mib_dir(self):
        return self.path("mibs")

    @property
    def agent_config_file(self):
        return self.path("agentconf", "xen-vif-agent.conf")

    @property
    def agent_state_file(self):
        return self.path("agent-state", "xen-vif-agent.state")

    @property
    def agent_log_file(self):
        return self.path("agent.log")

    @property
    def env(self):
        """Environment for child processes that talk to xenstore."""
        return dict(os.environ, XENSTORED_PATH=self.xenstored_path)

    def snmp_env(self, persist="tools-persist"):
        """Environment for net-snmp programs: private configuration and
        persistent dirs (never /etc/snmp or /var/lib/snmp) and our MIBs."""
        return dict(os.environ, SNMPCONFPATH=self.path("snmpconf"),
                    SNMP_PERSISTENT_DIR=self.path(persist),
                    MIBDIRS=self.mib_dir, MIBS="ALL")

    def _make_workdir(self, workdir):
        if workdir is None:
            # Unix socket paths must stay under 108 bytes: prefer /tmp to
            # a long $TMPDIR.
            base = tempfile.gettempdir()
            if len(base) > 40:
                base = "/tmp"
            return tempfile.mkdtemp(prefix="xva-%d-" % os.getpid(),
                                    dir=base)
        os.makedirs(workdir, exist_ok=True)
        return os.path.abspath(workdir)

    def _make_dirs(self):
        for sub in ("snmpconf", "nomibs", "agentconf", "agent-state",
                    "sys/class/net"):
            os.makedirs(self.path(sub), exist_ok=True)
        # net-snmp announces "Created directory" on stderr otherwise.
        for sub in ("tools-persist", "snmpd-persist", "agent-persist",
                    "snmptrapd-persist"):
            os.makedirs(self.path(sub, "cert_indexes"), exist_ok=True)
        # A reused work dir must not hand an old tree to the simulator.
        if os.path.exists(self.path("xenstored.state")):
            os.unlink(self.path("xenstored.state"))

    def _make_mib_dir(self):
        os.makedirs(self.mib_dir, exist_ok=True)
        erlang = sorted(glob.glob("/usr/lib/erlang/lib/snmp-*/mibs"))
        if not erlang:
            raise RigError("Erlang's SNMP MIBs are not installed "
                           "(/usr/lib/erlang/lib/snmp-*/mibs)")
        sources = [os.path.join(erlang[-1], m + ".mib") for m in ERLANG_MIBS]
        sources.append(os.path.join(SRCDIR, "mib", "XEN-VIF-MIB.txt"))
        for src in sources:
            if not os.path.exists(src):
                raise RigError("missing MIB %s" % src)
            link = os.path.join(self.mib_dir, os.path.basename(src))
            if not os.path.lexists(link):
                os.symlink(src, link)

    # -- namespaces and bridges --------------------------------------------

    def _add_namespace(self, name):
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

    def _create_dom0_namespace(self):
        self._add_namespace(self.ns)

    def add_bridge(self, name):
        """A bridge in dom0 that stays silent: no STP (no BPDUs, ports
        forward at once), no multicast snooping or querier."""
        _check_ifname(name)
        mac = _derived_mac("02:00:00", self.prefix, name)
        ip("link", "add", name, "address", mac, "type", "bridge",
           "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0",
           "mcast_querier", "0", ns=self.ns)
        ip("link", "set", name, "up", ns=self.ns)
        self.bridges[name] = mac
        return mac

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

    # -- xenstore simulator -------------------------------------------------

    def _start_simulator(self, timeout=15):
        pidfile = self.path("xenstored.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        self.sim.start([sys.executable, SIMULATOR,
                        "--socket", self.xenstored_path,
                        "--state", self.path("xenstored.state"),
                        "--pidfile", pidfile,
                        "--log", self.path("xenstored.log")],
                       env=dict(os.environ))

        def ready():
            if not self.sim.running:
                raise RigError("xenstore simulator exited:\n"
                               + self.sim.log_tail())
            return xsclient.wait_for_socket(self.xenstored_path, 0, pidfile)

        _wait_or_raise(ready, timeout, "the xenstore simulator to listen")
        self.xs = XsClient(self.xenstored_path)

    def _stop_simulator(self):
        if self.xs is not None:
            self.xs.close()
            self.xs = None
        status = self.sim.stop()
        if status not in (0, None):
            raise RigError("xenstore simulator exited with %s:\n%s"
                           % (status, self.sim.log_tail()))

    def stop_xenstore(self):
        """Stop the simulator, keeping its tree for start_xenstore()."""
        self._stop_simulator()

    def start_xenstore(self):
        """Start the simulator again with the tree it had."""
        self._start_simulator()

    def xenstore_restart(self):
        """Stop the simulator (it saves its tree and introduced domains)
        and start it again on the same socket with the same tree.  Watches
        and connections, self.xs's included, are lost; self.xs is a new
        connection afterwards."""
        self._stop_simulator()
        self._start_simulator()

    def _xs_transaction(self, fill, attempts=20):
        """Run fill(tx) in a transaction, retrying on EAGAIN as libxl
        does."""
        for _ in range(attempts):
            try:
                with self.xs.transaction() as tx:
                    fill(tx)
                return
            except XsError as err:
                if err.name != "EAGAIN":
                    raise
        raise RigError("xenstore transaction kept conflicting")

    def _xs_rm(self, path, tx=0):
        try:
            self.xs.rm(path, tx)
        except XsError as err:
            if err.name != "ENOENT":
                raise

    def _xs_path_cleanup(self, path, tx=0):
        """libxl__xs_path_cleanup: remove path, then its parents while
        they are empty."""
        self._xs_rm(path, tx)
        parent = path.rsplit("/", 1)[0]
        while parent:
            try:
                if self.xs.directory(parent, tx) or self.xs.read(parent,
                                                                 tx):
                    return
            except XsError as err:
                if err.name != "ENOENT":
                    raise
                return
            self._xs_rm(parent, tx)
            parent = parent.rsplit("/", 1)[0]

    def _write_all(self, tx, base, entries):
        for key, value in entries:
            self.xs.write("%s/%s" % (base, key), str(value), tx)

    def _mknod(self, tx, path, perms):
        self.xs.write(path, "", tx)
        self.xs.set_perms(path, perms, tx)

    # -- guests -------------------------------------------------------------

    def add_vm(self, name, domid, uuid=None, vifs=(Vif(devid=0),),
               introduce=True, create_links=True, resources=None):
        """A running guest as libxl leaves it: domain nodes, one backend /
        frontend / libxl device per vif, the domain introduced, and the
        dom0 ends of its vifs on their bridges."""
        domid = int(domid)
        if not 0 < domid < 0x7FF0:
            raise ValueError("bad domid %d" % domid)
        if any(vm.domid == domid for vm in self.vms):
            raise ValueError("domid %d is in use" % domid)
        uuid = str(uuid or uuidlib.uuid4())
        resolved = []
        for vif in vifs:
            mac = vif.mac or _derived_mac(XEN_OUI, uuid, vif.devid)
            resolved.append(dataclasses.replace(vif, mac=mac))
        if len({v.devid for v in resolved}) != len(resolved):
            raise ValueError("duplicate devid in %r" % (vifs,))
        vm = Vm(name=name, domid=domid, uuid=uuid, vifs=tuple(resolved),
                netns="%sg%d" % (self.prefix, next(self._vm_serial)))
        vm.resources = dict(DEFAULT_RESOURCES, **(resources or {}))
        for vif in vm.vifs:         # fail before changing anything
            _check_ifname(vm.default_ifname(vif.devid))
            if vif.emu:
                _check_ifname(vm.default_ifname(vif.devid, emu=True))
        self.vms.append(vm)
        self._make_domain(vm)
        if introduce:
            self.xs.introduce_domain(domid)
            vm.introduced = True
        for vif in vm.vifs:
            self._add_vif_nodes(vm, vif)
        if create_links:
            self.create_links(vm)
        for vif in vm.vifs:
            self._connect_vif_nodes(vm, vif)
        self._write_fixture()
        return vm

    def _make_domain(self, vm):
        """libxl__domain_make and libxl__build_post, as far as anything
        outside the guest reads them."""
        d = vm.domid
        roperm = ["n0", "r%d" % d]
        rwperm = ["n%d" % d]
        ostype = "hvm" if vm.hvm else "linux"

        def fill(tx):
            for path in (vm.dom_path, vm.vm_path, vm.libxl_dom_path):
                self._xs_rm(path, tx)
            self._mknod(tx, vm.dom_path, roperm)
            self._mknod(tx, vm.vm_path, roperm)
            self._mknod(tx, vm.libxl_dom_path, ["n0"])
            self._mknod(tx, vm.libxl_dom_path + "/device", ["n0"])
            for sub in ("device", "control"):
                self._mknod(tx, "%s/%s" % (vm.dom_path, sub), roperm)
            for sub in ("data", "drivers", "feature", "attr", "error"):
                self._mknod(tx, "%s/%s" % (vm.dom_path, sub), rwperm)
            self._write_all(tx, vm.dom_path, [
                ("vm", vm.vm_path), ("name", vm.name), ("domid", d),
                ("memory/static-max", 1048576), ("memory/target", 1048576),
                ("store/port", 1), ("store/ring-ref", 1),
            ])
            self._write_all(tx, vm.vm_path, [
                ("uuid", vm.uuid), ("name", vm.name),
                ("image/ostype", ostype),
                ("start_time", "%.2f" % time.time()),
            ])

        self._xs_transaction(fill)

    def _add_vif_nodes(self, vm, vif):
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
        front = [("backend-id", 0), ("state", XENBUS_INITIALISING),
                 ("handle", n), ("mac", vif.mac), ("trusted", 1)]

        def fill(tx):
            self._xs_rm(lx, tx)
            self._write_all(tx, lx, [("frontend", fe), ("backend", be)])
            self._xs_rm(fe, tx)
            self._mknod(tx, fe, ["n%d" % d, "r0"])
            self.xs.write(fe + "/backend", be, tx)
            self._write_all(tx, fe, front)
            self.xs.write(fe + "/mtu", str(MTU), tx)
            self.xs.set_perms(fe + "/mtu", ["n0", "r%d" % d], tx)
            self._xs_rm(be, tx)
            self._mknod(tx, be, ["n0", "r%d" % d])
            self.xs.write(be + "/frontend", fe, tx)
            self._write_all(tx, be, back)
            self._write_all(tx, lx, back)

        self._xs_transaction(fill)

    def _connect_vif_nodes(self, vm, vif):
        """What netback, the hotplug script and the guest's netfront write
        until the device is connected."""
        be, fe = vm.backend_path(vif.devid), vm.frontend_path(vif.devid)
        self._write_all(0, be, [
            ("feature-sg", 1), ("feature-gso-tcpv4", 1),
            ("feature-gso-tcpv6", 1), ("feature-ipv6-csum-offload", 1),
            ("feature-rx-copy", 1), ("feature-rx-flip", 0),
            ("feature-multicast-control", 1), ("feature-split-event-channels",
                                               1),
            ("multi-queue-max-queues", 2), ("feature-ctrl-ring", 1),
            ("hotplug-status", "connected"),
        ])
        self._write_all(0, fe, [
            ("tx-ring-ref", 8), ("rx-ring-ref", 9), ("event-channel", 10),
            ("request-rx-copy", 1), ("feature-rx-notify", 1),
            ("feature-sg", 1), ("feature-gso-tcpv4", 1),
            ("state", XENBUS_CONNECTED),
        ])
        self.xs.write(be + "/state", str(XENBUS_CONNECTED))

    def create_links(self, vm):
        """The network devices of a guest made with create_links=False."""
        if vm.links_created:
            raise RigError("%s already has its links" % vm.name)
        if vm.netns not in self.namespaces:
            self._add_namespace(vm.netns)
        for vif in vm.vifs:
            self._create_vif_link(vm, vif, emu=False)
            if vif.emu:
                self._create_vif_link(vm, vif, emu=True)
        vm.links_created = True

    def _create_vif_link(self, vm, vif, emu):
        name = vm.default_ifname(vif.devid, emu)
        peer = vm.guest_ifname(vif.devid, emu)
        _check_ifname(name)
        ip("link", "add", name, "address", NETBACK_MAC, "mtu", str(MTU),
           "type", "veth", "peer", "name", peer, "address", vif.mac,
           "mtu", str(MTU), "netns", vm.netns, ns=self.ns)
        vm.links[(vif.devid, emu)] = name
        if vif.bridge and vif.bridge in self.bridges:
            ip("link", "set", name, "master", vif.bridge, ns=self.ns)
        ip("link", "set", name, "up", ns=self.ns)
        ip("link", "set", peer, "up", ns=vm.netns)

    def destroy_vm(self, vm, dying=False):
        """xl destroy: devices torn down (backend closed, dom0 devices
        gone, device nodes removed), domain nodes removed, domain
        released (@releaseDomain), guest namespace deleted.  With dying,
        the hypervisor still lists the domain, dying, as Xen does until
        the last of its memory is released: see reap_domain()."""
        if vm.destroyed:
            raise RigError("%s is already destroyed" % vm.name)
        for vif in vm.vifs:
            be = vm.backend_path(vif.devid)
            if self.xs.exists(be):
                self._write_all(0, be, [("online", 0),
                                        ("state", XENBUS_CLOSED)])
        for (devid, emu), name in list(vm.links.items()):
            if link_exists(self.ns, name):
                # As Xen's vif hotplug script does on offline: down first.
                # (It matters for veth: once deletion starts a veth has no
                # peer, and its rx counters come from the peer.)
                ip("link", "set", "dev", name, "down", ns=self.ns)
                ip("link", "del", name, ns=self.ns)
            self._remove_fake_sysfs(name)
        vm.links.clear()

        def remove_devices(tx):
            for vif in vm.vifs:
                for path in (vm.frontend_path(vif.devid),
                             vm.backend_path(vif.devid),
                             vm.libxl_path(vif.devid)):
                    self._xs_path_cleanup(path, tx)

        self._xs_transaction(remove_devices)
        for path in (vm.libxl_dom_path, vm.dom_path, vm.vm_path):
            self._xs_rm(path)
        if vm.introduced and self.xs.is_domain_introduced(vm.domid):
            self.xs.release_domain(vm.domid)
        vm.introduced = False
        if vm.netns in self.namespaces:
            self._delete_namespace(vm.netns)
        vm.destroyed = True
        self.vms.remove(vm)
        if dying:
            self.dying_domains[vm.domid] = dict(vm.resources, state="dying")
        self._write_fixture()

    def reap_domain(self, domid):
        """The hypervisor lets go of a dying domain."""
        del self.dying_domains[domid]
        self._write_fixture()

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

    # -- the simulated hypervisor -------------------------------------------

    @property
    def fixture_path(self):
        return self.path("hypervisor.fixture")

    def set_resources(self, vm, **resources):
        """Changes what the hypervisor says of a VM's domain."""
        vm.resources.update(resources)
        self._write_fixture()

    def set_hypervisor(self, present):
        """With present False, libxenstat finds no hypervisor, as on a
        machine where Xen does not run."""
        self.hypervisor_present = present
        self._write_fixture()

    def _write_fixture(self):
        """The fixture tests/rig/fakexc.c answers libxenctrl calls from:
        dom0 and every running guest, written atomically."""
        lines = ["# written by the test rig"]
        if not self.hypervisor_present:
            lines.append("nohypervisor")
        else:
            lines += ["physinfo cpus=4 cpu_khz=2400000 total_pages=4194304 "
                      "free_pages=1048576",
                      "version major=4 minor=17 extra=.7",
                      "domain 0 state=running vcpus=2 tot_pages=262144 "
                      "max_pages=unlimited cpu_ns=1000000000"]
            domains = [(vm.domid, vm.resources) for vm in self.vms]
            domains += list(self.dying_domains.items())
            for domid, r in sorted(domains, key=lambda d: d[0]):
                lines.append("domain %d state=%s vcpus=%d tot_pages=%d "
                             "max_pages=%s cpu_ns=%d" % (
                                 domid, r["state"], r["vcpus"],
                                 r["mem_kb"] // 4,
                                 r["max_mem_kb"] // 4 if r["max_mem_kb"]
                                 else "unlimited", r["cpu_ns"]))
        tmp = self.fixture_path + ".tmp"
        with open(tmp, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        os.rename(tmp, self.fixture_path)

    # -- names and states of dom0 devices ----------------------------------

    def rename_link(self, vm, devid, new_name, nodename=True, emu=False):
        """Rename the dom0 end (as a udev rule or an admin would).  With
        nodename, the fake sysfs gets device/nodename for the new name, as
        a real netback device has."""
        _check_ifname(new_name)
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
        self._remove_fake_sysfs(old)
        if nodename:
            self.write_nodename(vm, devid, emu=emu)

    def write_nodename(self, vm, devid, emu=False, ifname=None, value=None):
        """<sysfsRoot>/class/net/IF/device/nodename for a dom0 device;
        value defaults to netback's "backend/vif/D/N"."""
        ifname = ifname or vm.ifname(devid, emu)
        if value is None:
            value = "backend/vif/%d/%d" % (vm.domid, devid)
        directory = os.path.join(self.fake_sysfs_root, "class", "net",
                                 ifname, "device")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "nodename"), "w") as handle:
            handle.write(value + "\n")

    def _remove_fake_sysfs(self, ifname):
        shutil.rmtree(os.path.join(self.fake_sysfs_root, "class", "net",
                                   ifname), ignore_errors=True)

    def set_link_state(self, vm, devid, up, emu=False):
        ip("link", "set", "dev", vm.ifname(devid, emu),
           "up" if up else "down", ns=self.ns)

    # -- exact traffic ------------------------------------------------------

    def _send(self, ns, ifname, count, size, dst):
        run(in_ns(ns, [sys.executable, SEND_FRAMES, ifname, str(count),
                       str(size), dst]), timeout=120)

    def _send_exact(self, sender, receiver, count, size, dst):
        """Send from sender=(ns, if) and wait until receiver=(ns, if) has
        counted every frame; RigError if any was dropped on the way."""
        count, size = int(count), int(size)
        before_tx = link_stats(*sender)
        before_rx = link_stats(*receiver)
        self._send(sender[0], sender[1], count, size, dst)
        want_packets = before_rx["rx_packets"] + count
        want_bytes = before_rx["rx_bytes"] + count * size

        def arrived():
            now = link_stats(*receiver)
            return now if now["rx_packets"] >= want_packets else None

        after_rx = _wait_or_raise(arrived, 10, "%d frames to reach %s"
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

    def send_to_guest(self, vm, devid, count, size, emu=False):
        """count frames of size bytes out of the dom0 end straight to the
        guest's MAC: the dom0 end's tx_packets grows by count and tx_bytes
        by count * size."""
        self._send_exact((self.ns, vm.ifname(devid, emu)),
                         (vm.netns, vm.guest_ifname(devid, emu)),
                         count, size, vm.vif(devid).mac)

    # -- snmpd --------------------------------------------------------------

    @property
    def snmpd_running(self):
        return self.snmpd.running

    def start_snmpd(self, extra_config=(), timeout=20):
        """snmpd as AgentX master in the dom0 namespace on
        udp:127.0.0.1:1161, configured only from <workdir>/snmpd.conf."""
        if self.snmpd.running:
            raise RigError("snmpd is already running")
        self.snmpd_config = list(extra_config)
        self.snmpd_module = False
        conf = self.path("snmpd.conf")
        with open(conf, "w") as handle:
            handle.write("\n".join([
                "master agentx",
                "agentXSocket unix:%s" % self.agentx_socket,
                "agentXPerms 0600 0700",
                "rocommunity %s 127.0.0.1" % COMMUNITY,
            ] + switch_access() + self.snmpd_config) + "\n")
        self.snmpd.start(in_ns(self.ns, [
            # -A: append to the log, which restarts would truncate.
            "snmpd", "-f", "-A", "-C", "-c", conf,
            "-Lf", self.path("snmpd.log"),
            "-p", self.path("snmpd.pid"), "udp:%s" % SNMP_ADDRESS]),
            env=self.snmp_env("snmpd-persist"))

        def answers():
            if not self.snmpd.running:
                raise RigError("snmpd exited with %s:\n%s%s" % (
                    self.snmpd.proc.returncode, self.snmpd.log_tail(),
                    _tail(self.path("snmpd.log"))))
            try:
                return self.snmpget(SYS_UPTIME, timeout=0.5, retries=0)
            except SnmpTimeout:
                return None

        _wait_or_raise(answers, timeout, "snmpd to answer")

    def stop_snmpd(self):
        return self.snmpd.stop()

    @property
    def module_conf_dir(self):
        return self.path("snmpd-module")

    def start_snmpd_module(self, config_lines=(), extra_config=(),
                           wait_served=True, timeout=20):
        """snmpd with XEN-VIF-MIB loaded into it (dlmod): no agent
        process, no AgentX.  config_lines become xen-vif-agent.conf as
        for start_agent (None keeps the current file, False leaves none:
        the module's defaults); snmpd finds it on
        its SNMPCONFPATH, beside its own snmpd.conf, and logs both to
        snmpd.log.  With wait_served, waits until xenVifNumber.0
        answers."""
        if self.snmpd.running:
            raise RigError("snmpd is already running")
        if not os.path.exists(MODULE):
            raise RigError("no module at %s (build it, or set XVA_MODULE)"
                           % MODULE)
        self._place_agent_config(config_lines)
        self.snmpd_config = list(extra_config)
        self.snmpd_module = True
        os.makedirs(self.module_conf_dir, exist_ok=True)
        with open(os.path.join(self.module_conf_dir, "snmpd.conf"), "w") as f:
            f.write("\n".join([
                "rocommunity %s 127.0.0.1" % COMMUNITY,
                "dlmod xen_vif_mib %s" % MODULE,
            ] + switch_access() + self.snmpd_config) + "\n")
        # A second log, of warnings and worse, as a distribution's
        # unit adds one (Debian's: -LOw): the module must leave
        # snmpd's handlers as it found them.
        self.snmpd.start(in_ns(self.ns, [
            "snmpd", "-f", "-A", "-Lf", self.path("snmpd.log"),
            "-LF", "w", self.path("snmpd-warnings.log"),
            "-p", self.path("snmpd.pid"), "udp:%s" % SNMP_ADDRESS]),
            env=self.module_env())

        def answers():
            if not self.snmpd.running:
                raise RigError("snmpd exited with %s:\n%s%s" % (
                    self.snmpd.proc.returncode, self.snmpd.log_tail(),
                    _tail(self.path("snmpd.log"))))
            try:
                value = self.snmpget(XEN_VIF_NUMBER if wait_served
                                     else SYS_UPTIME, timeout=0.5,
                                     retries=0)[0]
            except SnmpTimeout:
                return None
            return not value.is_exception

        _wait_or_raise(answers, timeout, "snmpd to serve XEN-VIF-MIB"
                       if wait_served else "snmpd to answer")

    def module_env(self):
        """snmpd's environment with the module: the agent's (xenstore,
        hypervisor, sanitizer reports), snmpd's persistent directory,
        and a search path with snmpd.conf and xen-vif-agent.conf.  A
        sanitized module needs its runtimes loaded before anything."""
        env = self.agent_env()
        env["SNMPCONFPATH"] = "%s:%s" % (self.module_conf_dir,
                                         self.path("agentconf"))
        env["SNMP_PERSISTENT_DIR"] = self.path("snmpd-persist")
        runtimes = _sanitizer_runtimes(MODULE)
        if runtimes:
            env["LD_PRELOAD"] = ":".join(
                runtimes + [p for p in env.get("LD_PRELOAD", "").split(":")
                            if p])
            # snmpd's own allocations, never freed at exit, are not
            # the module's leaks.
            env["ASAN_OPTIONS"] = _join_opts(env["ASAN_OPTIONS"],
                                             "detect_leaks=0")
        return env

    def snmpd_log(self):
        return _tail(self.path("snmpd.log"), 10 ** 9)

    # -- notifications ------------------------------------------------------

    @property
    def traps_file(self):
        return self.path("traps.jsonl")

    def start_snmptrapd(self, handlers=(), timeout=20):
        """A real snmptrapd in dom0 on udp:127.0.0.1:1162 (give snmpd
        TRAP_SINK).  Every notification is recorded for traps(); handlers
        are extra (OID, command line) pairs run for those notifications,
        as snmptrapd.conf's traphandle does.  OIDs are printed numeric."""
        conf = self.path("snmptrapd.conf")
        ours = ["%s.%d" % (XEN_VIF_NOTIFICATIONS, n) for n in range(1, 6)]
        lines = ["authCommunity log,execute,net public"]
        # A traphandle for an OID replaces "default" for it: record ours
        # explicitly, next to any handler a test adds.
        for oid in ours + ["default"]:
            lines.append("traphandle %s %s %s %s" % (
                oid, sys.executable, TRAP_RECORDER, self.traps_file))
        for oid, command in handlers:
            lines.append("traphandle %s %s" % (oid, command))
        with open(conf, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        env = self.snmp_env("snmptrapd-persist")
        env.update(MIBS="", MIBDIRS=self.path("nomibs"))
        self.snmptrapd.start(in_ns(self.ns, [
            "snmptrapd", "-f", "-C", "-c", conf, "-On", "-A",
            "-Lf", self.path("snmptrapd.log"), "-p", self.path("snmptrapd.pid"),
            "udp:%s" % TRAP_ADDRESS]), env=env)

        def listening():
            if not self.snmptrapd.running:
                raise RigError("snmptrapd exited:\n" + self.snmptrapd.log_tail())
            out = run(in_ns(self.ns, ["ss", "-H", "-lun"]), check=False).stdout
            return ":1162" in out

        _wait_or_raise(listening, timeout, "snmptrapd to listen")

    def traps(self):
        """Every notification snmptrapd received so far, oldest first:
        dicts with "trap" (the snmpTrapOID, numeric) and "varbinds", an
        ordered list of (oid, Value)."""
        if not os.path.exists(self.traps_file):
            return []
        found = []
        with open(self.traps_file) as handle:
            for line in handle:
                record = json.loads(line)
                varbinds = [(o if o.startswith(".") else "." + o,
                             parse_trap_value(v))
                            for o, v in record["varbinds"]]
                trap = next((v.value for o, v in varbinds
                             if o == SNMP_TRAP_OID), None)
                found.append({"trap": "." + trap.lstrip(".") if trap else None,
                              "varbinds": varbinds})
        return found

    def wait_traps(self, count, trap=None, timeout=10):
        """Waits until at least count notifications (of the given
        snmpTrapOID, if any) were received; returns those."""
        def enough():
            got = [t for t in self.traps() if trap is None or t["trap"] == trap]
            return got if len(got) >= count else None
        try:
            return wait_until(enough, timeout, "%d notification(s) %s" % (
                count, trap or ""))
        except TimeoutError:
            raise RigError("expected %d notification(s) %s, got: %r" % (
                count, trap or "", self.traps())) from None

    def restart_snmpd(self):
        """Stop snmpd and start it again, same config and AgentX socket
        (or the same module and its configuration file)."""
        self.stop_snmpd()
        if self.snmpd_module:
            self.start_snmpd_module(None, self.snmpd_config)
        else:
            self.start_snmpd(self.snmpd_config)

    # -- SNMP queries -------------------------------------------------------

    def snmp_tool(self, tool, args, mibs=True, timeout=2, retries=1,
                  check=True, auth=None):
        """Run a net-snmp tool in dom0 against our snmpd; returns the
        CompletedProcess.  mibs=False loads no MIB at all, so output is
        shaped by the wire types only (no DISPLAY-HINTs, no enums).
        auth: the version and credentials (default v2c, COMMUNITY, the
        default context; SWITCH_V2C or SWITCH_V3 for the switch)."""
        cmd = [tool] + list(auth or ("-v2c", "-c", COMMUNITY)) + [
            "-t", str(timeout), "-r", str(retries)]
        cmd += (["-M", self.mib_dir, "-m", "ALL"] if mibs
                else ["-M", self.path("nomibs"), "-m", ""])
        cmd += list(args)
        res = run(in_ns(self.ns, cmd), check=False, env=self.snmp_env(),
                  timeout=max(30, (timeout * (retries + 1)) * 20))
        if check and res.returncode != 0:
            err = SnmpTimeout if "Timeout" in res.stderr else SnmpError
            raise err(cmd, res.returncode, res.stderr or res.stdout)
        return res

    def translate(self, *names):
        """Numeric OIDs ('.1.3...') for names like 'SNMPv2-MIB::sysUpTime.0'
        or 'xenVifHCInOctets'; numeric input passes through."""
        todo = [n for n in names if not _NUMERIC_OID_RE.match(n)
                and n not in self._oid_cache]
        if todo:
            # -IR: plain names like "sysUpTime.0" need no module prefix.
            res = run(["snmptranslate", "-M", self.mib_dir, "-m", "ALL",
                       "-IR", "-On"] + todo, env=self.snmp_env(),
                      check=False)
            lines = res.stdout.split()
            if res.returncode != 0 or len(lines) != len(todo):
                raise SnmpError(["snmptranslate"] + todo, res.returncode,
                                res.stderr)
            self._oid_cache.update(zip(todo, lines))
        return [("." + n.lstrip(".")) if _NUMERIC_OID_RE.match(n)
                else self._oid_cache[n] for n in names]

    def snmpget(self, *oids, timeout=2, retries=1, auth=None):
        """[Value] for oids, in order (exceptions such as NO_SUCH_OBJECT
        are Values too).  SnmpError on any tool failure."""
        numeric = self.translate(*oids)
        res = self.snmp_tool("snmpget", ["-On", "-Ox", "-Oe", "-OU",
                                         SNMP_ADDRESS] + numeric,
                             mibs=False, timeout=timeout, retries=retries,
                             auth=auth)
        pairs = parse_varbinds(res.stdout)
        if [oid for oid, _ in pairs] != numeric:
            raise SnmpError(["snmpget"] + numeric, res.returncode,
                            "answer does not match the request:\n"
                            + res.stdout + res.stderr)
        return [value for _, value in pairs]

    def snmpwalk(self, oid, timeout=2, retries=1, auth=None):
        """[(oid, Value)] below oid, by GETBULK.  Exceptions are left out,
        so an empty subtree gives []."""
        root = self.translate(oid)[0]
        res = self.snmp_tool("snmpbulkwalk", ["-On", "-Ox", "-Oe", "-OU",
                                              SNMP_ADDRESS, root],
                             mibs=False, timeout=timeout, retries=retries,
                             auth=auth)
        return [(o, v) for o, v in parse_varbinds(res.stdout)
                if not v.is_exception]

    def snmptable(self, table, args=()):
        """snmptable's text output for a table (for humans and logs)."""
        return self.snmp_tool("snmptable", list(args) + [
            SNMP_ADDRESS, table]).stdout

    def snmptranslate(self, *args):
        """snmptranslate with our MIBs; returns stdout."""
        return run(["snmptranslate", "-M", self.mib_dir, "-m", "ALL"]
                   + list(args), env=self.snmp_env()).stdout

    # -- the agent ----------------------------------------------------------

    @property
    def counter_source(self):
        """The agent's counter collector in these tests: netlink, or
        xenstat when XVA_COUNTER_SOURCE says so (tests run both)."""
        return os.environ.get("XVA_COUNTER_SOURCE", "netlink")

    def _place_agent_config(self, config_lines):
        """xen-vif-agent.conf for a run: config_lines written (with the
        rig's defaults), None keeps the current file (or writes the
        defaults if there is none), False leaves no file at all."""
        if config_lines is False:
            if os.path.exists(self.agent_config_file):
                os.remove(self.agent_config_file)
        elif config_lines is not None or not os.path.exists(
                self.agent_config_file):
            self._write_agent_config(config_lines or ())

    def _write_agent_config(self, config_lines):
        lines = list(config_lines)
        tokens = {ln.split()[0].lower() for ln in lines if ln.split()}
        if "countersource" not in tokens and self.counter_source != "netlink":
            lines.append("counterSource %s" % self.counter_source)
        if "sysfsroot" not in tokens:
            lines.append("sysfsRoot %s" % self.fake_sysfs_root)
        if "statefile" not in tokens:
            lines.append("stateFile %s" % self.agent_state_file)
        with open(self.agent_config_file, "w") as handle:
            handle.write("\n".join(lines) + "\n")

    def agent_env(self, env_extra=None):
        """Environment of the agent: our xenstore and net-snmp dirs, and
        sanitizers that write reports into the work dir."""
        env = self.snmp_env("agent-persist")
        env["XENSTORED_PATH"] = self.xenstored_path
        env["SNMPCONFPATH"] = self.path("agentconf")
        report = self.path("sanitizer")
        # verify_asan_link_order=0: tests may preload libfaketime.
        env["ASAN_OPTIONS"] = _join_opts(
            os.environ.get("ASAN_OPTIONS"),
            "log_path=%s.asan:verify_asan_link_order=0" % report)
        env["LSAN_OPTIONS"] = _join_opts(os.environ.get("LSAN_OPTIONS"),
                                         "log_path=%s.lsan" % report)
        env["UBSAN_OPTIONS"] = _join_opts(
            os.environ.get("UBSAN_OPTIONS"),
            "log_path=%s.ubsan:halt_on_error=1:print_stacktrace=1" % report)
        # The simulated hypervisor, for libxenstat (a test's own preload,
        # such as libfaketime, comes along).
        extra = dict(env_extra or {})
        if os.path.exists(FAKEXC):
            preload = [FAKEXC] + ([extra.pop("LD_PRELOAD")]
                                  if "LD_PRELOAD" in extra else [])
            env["LD_PRELOAD"] = ":".join(preload)
            env["XVA_FAKEXC_FIXTURE"] = self.fixture_path
        env.update(extra)
        return env

    @property
    def agent_running(self):
        return self.agent.running

    def start_agent(self, config_lines=(), args=(), wait_registered=True,
                    env_extra=None, timeout=20):
        """Run the agent in dom0 (foreground mode, log in agent.log); with
        wait_registered, wait until xenVifNumber.0 answers through snmpd."""
        if self.agent.running:
            raise RigError("the agent is already running")
        if not os.access(AGENT, os.X_OK):
            raise RigError("no agent binary at %s (build it, or set "
                           "XVA_AGENT)" % AGENT)
        self._write_agent_config(config_lines)
        self._save_previous_agent_log()
        self.agent.start(in_ns(self.ns, [
            AGENT, "-f", "-Lf", self.agent_log_file,
            "-x", "unix:%s" % self.agentx_socket] + list(args)),
            env=self.agent_env(env_extra))
        if wait_registered:
            self.wait_agent_registered(timeout)

    def _save_previous_agent_log(self):
        """The agent's -Lf truncates its log: keep earlier runs' logs in
        agent.log.prev for post-mortems; agent_log() is this run's."""
        if os.path.exists(self.agent_log_file):
            with open(self.agent_log_file, "rb") as src, \
                    open(self.agent_log_file + ".prev", "ab") as dst:
                shutil.copyfileobj(src, dst)
            os.unlink(self.agent_log_file)

    def wait_agent_registered(self, timeout=20):
        if not self.snmpd.running:
            raise RigError("snmpd is not running: start_snmpd() first")

        def registered():
            if not self.agent.running:
                raise RigError("the agent exited with %s:\n%s%s" % (
                    self.agent.proc.returncode, self.agent_log(),
                    self.agent.log_tail()))
            value = self.snmpget(XEN_VIF_NUMBER, timeout=1, retries=0)[0]
            return not value.is_exception

        _wait_or_raise(registered, timeout, "the agent to register")

    def stop_agent(self, timeout=10):
        """SIGTERM; returns the exit status (negative: killed by signal)."""
        return self.agent.stop(timeout)

    def kill_agent(self):
        return self.agent.kill()

    @property
    def agent_pid(self):
        return self.agent.pid

    def agent_log(self):
        return _tail(self.agent_log_file, 10 ** 9) \
            if os.path.exists(self.agent_log_file) else ""

    def agent_output(self):
        """What the agent wrote to stdout/stderr."""
        return _tail(self.agent.logfile, 10 ** 9) \
            if os.path.exists(self.agent.logfile) else ""

    def run_agent_once(self, args, config_lines=None, timeout=10,
                       env_extra=None):
        """Run the agent in dom0 with exactly args and wait for it:
        (exit status, stdout, stderr).  config_lines replaces the config
        file (defaults added as for start_agent); None keeps the current
        one (or writes the defaults if there is none); False leaves none."""
        self._place_agent_config(config_lines)
        res = subprocess.run(in_ns(self.ns, [AGENT] + list(args)),
                             capture_output=True, text=True,
                             errors="surrogateescape", timeout=timeout,
                             env=self.agent_env(env_extra),
                             stdin=subprocess.DEVNULL,
                             preexec_fn=_die_with_parent)
        return res.returncode, res.stdout, res.stderr

    def sanitizer_reports(self):
        """[(file, text)] of every sanitizer report in the work dir."""
        reports = []
        for path in sorted(glob.glob(self.path("sanitizer.*"))):
            reports.append((path, _tail(path, 10 ** 9)))
        return reports

    # -- life cycle ---------------------------------------------------------

    def wait_until(self, fn, timeout=10, what="condition"):
        return wait_until(fn, timeout, what)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.close()

    def _delete_namespace(self, name):
        # Processes left in one of our namespaces were started by the rig.
        pids = run(["ip", "netns", "pids", name], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        ip("netns", "del", name)
        self.namespaces.remove(name)

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
                 ("stop snmpd", self.snmpd.stop),
                 ("stop snmptrapd", self.snmptrapd.stop),
                 ("stop xenstore", self._stop_simulator)]
        steps += [("delete namespace " + ns,
                   lambda ns=ns: self._delete_namespace(ns))
                  for ns in reversed(list(self.namespaces))]
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
        if not kept and self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
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


def _join_opts(existing, ours):
    """Sanitizer option strings: later options win, so ours go last."""
    return "%s:%s" % (existing, ours) if existing else ours


def _wait_or_raise(fn, timeout, what):
    """wait_until, but a RigError raised by fn (a daemon died) ends the
    wait at once instead of being retried until the deadline."""
    def probe():
        try:
            return fn()
        except RigError as err:
            if isinstance(err, SnmpError):
                return None
            raise _Abort(err) from err

    try:
        return wait_until(probe, timeout, what)
    except _Abort as abort:
        raise abort.error from None


class _Abort(Exception):
    """Carries a fatal error out of wait_until, which retries the rest."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


# ---------------------------------------------------------------------------
# Cleanup of forgotten, crashed and killed tests
# ---------------------------------------------------------------------------

_STALE_RE = re.compile(r"^xva(?:probe)?(\d+)")


def _collect_stale_namespaces():
    """Delete our namespaces whose test process is gone (killed with
    SIGKILL, say); their daemons died with it (PR_SET_PDEATHSIG)."""
    try:
        names = os.listdir("/run/netns")
    except OSError:
        return
    for name in names:
        match = _STALE_RE.match(name)
        if match and not _pid_alive(int(match.group(1))):
            run(["ip", "netns", "del", name], check=False)


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
