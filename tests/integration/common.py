# SPDX-License-Identifier: ISC
"""What the integration tests share: XEN-VIF-MIB's names, the index a
row must have, and reading rows through snmpd by their MIB names."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "rig"))

import tap                                              # noqa: E402,F401
from dom0 import (Dom0, Vif, NO_SUCH_INSTANCE,          # noqa: E402,F401
                  NO_SUCH_OBJECT, wait_until, link_info, SWITCH_V2C,
                  SWITCH_V3, SWITCH_CONTEXT, SWITCH_COMMUNITY)

COLUMNS = ("xenVifDomainId", "xenVifDomainName", "xenVifDomainUuid",
           "xenVifDeviceId", "xenVifName", "xenVifIfIndex",
           "xenVifMacAddress", "xenVifBridge", "xenVifIpAddresses",
           "xenVifOperStatus", "xenVifHCInOctets", "xenVifHCInPkts",
           "xenVifInDiscards", "xenVifInErrors", "xenVifHCOutOctets",
           "xenVifHCOutPkts", "xenVifOutDiscards", "xenVifOutErrors",
           "xenVifCounterDiscontinuityTime")
COUNTERS = COLUMNS[10:18]
UP, DOWN = 1, 2

# Counters move at every refresh; a second keeps tests quick.
FAST = ("refreshInterval 1",)


# GET url from inside a namespace: "<status>\n<body>" on stdout; exit 1
# with the reason on stderr when nothing answers.  No proxy from the
# environment: the pollers' servers are on the namespace's own loopback.
_HTTP_GET = """\
import sys, urllib.error, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(sys.argv[1], timeout=20) as answer:
        status, body = answer.status, answer.read()
except urllib.error.HTTPError as err:
    status, body = err.code, err.read()
except OSError as err:
    sys.exit(str(err))
sys.stdout.write("%d\\n%s" % (status, body.decode("utf-8", "replace")))
"""


def http_get(dom0, url):
    """(HTTP status, body) of a GET from inside dom0's namespace; None
    when nothing answers."""
    from dom0 import in_ns, run
    res = run(in_ns(dom0.ns, [sys.executable, "-c", _HTTP_GET, url]),
              check=False, timeout=60)
    if res.returncode != 0:
        return None
    status, _, body = res.stdout.partition("\n")
    return int(status), body


def skip_unless_slow_wanted():
    """The tests against real pollers with a database (Zabbix, Cacti)
    take minutes: with XVA_SKIP_SLOW=1 (tools/run-tests --fast, and its
    sanitizer build, which would test the same files again) they report
    themselves skipped and exit."""
    if os.environ.get("XVA_SKIP_SLOW") == "1":
        print("1..0 # SKIP slow poller test (XVA_SKIP_SLOW=1)", flush=True)
        sys.exit(0)


def vif_index(key):
    """The xenVifIndex the agent derives from a row key ("UUID/N"):
    FNV-1a over the key, 31 bits, never 0 (when nothing collides)."""
    h = 2166136261
    for byte in key.encode():
        h = ((h ^ byte) * 16777619) & 0xffffffff
    return (h & 0x7fffffff) or 1


def index_of(vm, devid=0):
    return vif_index("%s/%d" % (vm.uuid, devid))


def row(dom0, index, columns=COLUMNS):
    """{column: Value} of one row, by GET through snmpd."""
    names = ["XEN-VIF-MIB::%s.%d" % (c, index) for c in columns]
    return dict(zip(columns, dom0.snmpget(*names)))


def counters(dom0, index):
    return {c: int(v) for c, v in row(dom0, index, COUNTERS).items()}


def indexes(dom0):
    """The xenVifIndex of every row, from a walk of one column."""
    return sorted(int(oid.rsplit(".", 1)[1])
                  for oid, _ in dom0.snmpwalk("XEN-VIF-MIB::xenVifDomainId"))


def wait_counters(dom0, index, expected, timeout=10):
    """Wait until the row's counters equal expected (a dict of some
    counter columns); returns them."""
    def matches():
        got = counters(dom0, index)
        return got if all(got[k] == v for k, v in expected.items()) else None
    try:
        return wait_until(matches, timeout,
                          "row %d counters %r" % (index, expected))
    except TimeoutError:
        raise AssertionError("row %d: counters %r, expected %r" % (
            index, counters(dom0, index), expected))


def netlink_only(t, dom0, what):
    """Whether the agent reads counters through rtnetlink (the default).
    With libxenstat as the source (XVA_COUNTER_SOURCE=xenstat), checks
    of what only rtnetlink can give are recorded as skipped: the README
    lists what libxenstat cannot see and why."""
    if dom0.counter_source == "netlink":
        return True
    t.skip(what, "not with counterSource %s" % dom0.counter_source)
    return False


def emulated_nic_counted(t, dom0, what):
    """Whether the agent can count an HVM guest's emulated NIC: libxenstat
    counts only devices named vifD.N, so not xapi's tapD.N."""
    if dom0.counter_source == "netlink" or dom0.toolstack != "xapi":
        return True
    t.skip(what, "libxenstat does not count xapi's tapD.N")
    return False


def kernel_ifindex(dom0, ifname):
    return link_info(dom0.ns, ifname)["ifindex"]


def plus(base, **delta):
    out = dict(base)
    for key, value in delta.items():
        out[key] += value
    return out


# ---- the notification handlers --------------------------------------------

_HANDLER_KINDS = {"warning": 1, "exceeded": 2, "cleared": 3, "rate": 4,
                  "ratecleared": 5}


def notification(kind, devices, name="web1", in_alarm=1, out_alarm=1):
    """A XEN-VIF-MIB notification of a VM (row 7) as snmptrapd hands it
    to a traphandle: kind "exceeded", "rate", ...; devices, the VM's
    xenVifVmDevices."""
    root = ".1.3.6.1.4.1.8072.9999.98"
    return "\n".join([
        "localhost", "UDP: [127.0.0.1]:40000->[127.0.0.1]:1162",
        ".1.3.6.1.2.1.1.3.0 0:0:01:00.00",
        ".1.3.6.1.6.3.1.1.4.1.0 %s.0.%d" % (root, _HANDLER_KINDS[kind]),
        '%s.1.5.1.3.7 "%s"' % (root, name),
        "%s.1.5.1.17.7 %d" % (root, in_alarm),
        "%s.1.5.1.18.7 %d" % (root, out_alarm),
        '%s.1.5.1.19.7 "%s"' % (root, devices)]) + "\n"


def run_handler(dom0, script, text, *args):
    """traphandle/SCRIPT fed text, in dom0's namespace, with its state
    (xen-vif-shape) and log in the test's directory: the
    CompletedProcess."""
    import subprocess
    from dom0 import SRCDIR
    cmd = ["ip", "netns", "exec", dom0.ns,
           os.path.join(SRCDIR, "traphandle", script)] + list(args)
    if script == "xen-vif-shape":
        cmd += ["--state-dir", dom0.path("handler-state")]
    return subprocess.run(cmd + ["--log", dom0.path("handler.log")],
                          input=text, text=True, capture_output=True)


# ---- the VM table and notifications -------------------------------------

VM_ENTRY = ".1.3.6.1.4.1.8072.9999.98.1.5.1"
NOTIFICATIONS = ".1.3.6.1.4.1.8072.9999.98.0"
SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
QUOTA_WARNING, QUOTA_EXCEEDED, QUOTA_CLEARED, RATE_ALARM, RATE_CLEARED = (
    NOTIFICATIONS + ".%d" % n for n in range(1, 6))
VM_COLUMNS = {name: n for n, name in enumerate((
    "xenVifVmDomainId", "xenVifVmName", "xenVifVmUuid", "xenVifVmPeriodStart",
    "xenVifVmPeriodInOctets", "xenVifVmPeriodOutOctets", "xenVifVmQuotaOctets",
    "xenVifVmQuotaDirection", "xenVifVmQuotaUsedPercent",
    "xenVifVmQuotaStatus", "xenVifVmQuotaWarnPercent", "xenVifVmInBitRate",
    "xenVifVmOutBitRate", "xenVifVmInRateThreshold",
    "xenVifVmOutRateThreshold", "xenVifVmInRateAlarm", "xenVifVmOutRateAlarm",
    "xenVifVmDevices", "xenVifVmState", "xenVifVmVcpus", "xenVifVmMemoryKBytes",
    "xenVifVmMaxMemoryKBytes", "xenVifVmCpuTime", "xenVifVmOutAccounting",
    "xenVifVmPeriodOutForeignOctets", "xenVifVmFloodBitRate",
    "xenVifVmFloodRateThreshold", "xenVifVmFloodAlarm"), start=2)}
QUOTA_OBJECTS = ("xenVifVmName", "xenVifVmUuid", "xenVifVmPeriodInOctets",
                 "xenVifVmPeriodOutOctets", "xenVifVmQuotaOctets",
                 "xenVifVmQuotaDirection", "xenVifVmQuotaUsedPercent",
                 "xenVifVmDevices")
RATE_OBJECTS = ("xenVifVmName", "xenVifVmUuid", "xenVifVmInBitRate",
                "xenVifVmOutBitRate", "xenVifVmInRateThreshold",
                "xenVifVmOutRateThreshold", "xenVifVmInRateAlarm",
                "xenVifVmOutRateAlarm", "xenVifVmDevices")
STATUS_NONE, STATUS_OK, STATUS_WARNING, STATUS_EXCEEDED = 1, 2, 3, 4


def vm_index(vm):
    """The xenVifVmIndex of a VM: the same hash, over its UUID."""
    return vif_index(vm.uuid)


def vm_oid(column, index):
    return "%s.%d.%d" % (VM_ENTRY, VM_COLUMNS[column], index)


def vm_row(dom0, index, columns=tuple(VM_COLUMNS)):
    """{column: Value} of one VM, by GET through snmpd."""
    return dict(zip(columns, dom0.snmpget(*[vm_oid(c, index) for c in columns])))


def ours(dom0, trap=None, vm=None):
    """The XEN-VIF-MIB notifications received, optionally of one kind
    and about one VM (by index)."""
    found = []
    for n in dom0.traps():
        if not (n["trap"] or "").startswith(NOTIFICATIONS + "."):
            continue
        if trap and n["trap"] != trap:
            continue
        if vm is not None and not any(o.endswith(".%d" % vm)
                                      for o, _ in n["varbinds"][2:]):
            continue
        found.append(n)
    return found


def wait_ours(dom0, count, trap=None, vm=None, timeout=10):
    try:
        return wait_until(lambda: (lambda got: got if len(got) >= count
                                   else None)(ours(dom0, trap, vm)),
                          timeout, "%d notification(s) %s" % (count, trap))
    except TimeoutError:
        raise AssertionError("expected %d notification(s) %s for %s, got %r"
                             % (count, trap, vm, ours(dom0)))


def objects(notification):
    """{column name: Value} of a notification's objects, checking each
    is an instance of the VM table."""
    names = {n: c for c, n in VM_COLUMNS.items()}
    out = {}
    for oid, value in notification["varbinds"][2:]:
        prefix, _, rest = oid.partition(VM_ENTRY + ".")
        column, _, index = rest.partition(".")
        out[names[int(column)]] = value
    return out


# ---- the switch view: dom0 as a switch in its own context ----------------
# Numeric OIDs: Debian ships neither SNMPv2-MIB's nor IF-MIB's nor
# BRIDGE-MIB's files.

SYSTEM = ".1.3.6.1.2.1.1"
SYSTEM_COLUMNS = {name: n for n, name in enumerate((
    "sysDescr", "sysObjectID", "sysUpTime", "sysContact", "sysName",
    "sysLocation", "sysServices"), start=1)}
IF_NUMBER = ".1.3.6.1.2.1.2.1.0"
IF_ENTRY = ".1.3.6.1.2.1.2.2.1"
IF_COLUMNS = {name: n for n, name in enumerate((
    "ifIndex", "ifDescr", "ifType", "ifMtu", "ifSpeed", "ifPhysAddress",
    "ifAdminStatus", "ifOperStatus", "ifLastChange", "ifInOctets",
    "ifInUcastPkts", "ifInNUcastPkts", "ifInDiscards", "ifInErrors",
    "ifInUnknownProtos", "ifOutOctets", "ifOutUcastPkts", "ifOutNUcastPkts",
    "ifOutDiscards", "ifOutErrors", "ifOutQLen", "ifSpecific"), start=1)}
IFX_ENTRY = ".1.3.6.1.2.1.31.1.1.1"
IFX_COLUMNS = {name: n for n, name in enumerate((
    "ifName", "ifInMulticastPkts", "ifInBroadcastPkts", "ifOutMulticastPkts",
    "ifOutBroadcastPkts", "ifHCInOctets", "ifHCInUcastPkts",
    "ifHCInMulticastPkts", "ifHCInBroadcastPkts", "ifHCOutOctets",
    "ifHCOutUcastPkts", "ifHCOutMulticastPkts", "ifHCOutBroadcastPkts",
    "ifLinkUpDownTrapEnable", "ifHighSpeed", "ifPromiscuousMode",
    "ifConnectorPresent", "ifAlias", "ifCounterDiscontinuityTime"),
    start=1)}
IF_TABLE_LAST_CHANGE = ".1.3.6.1.2.1.31.1.5.0"
DOT1D_BASE = ".1.3.6.1.2.1.17.1"
DOT1D_BASE_PORT_ENTRY = DOT1D_BASE + ".4.1"
DOT1D_FDB_ENTRY = ".1.3.6.1.2.1.17.4.3.1"
SWITCH_OBJECT_ID = ".1.3.6.1.4.1.8072.9999.98.3.1"
LINK_DOWN, LINK_UP = ".1.3.6.1.6.3.1.1.5.3", ".1.3.6.1.6.3.1.1.5.4"
XEN_VIF_ENTRY = ".1.3.6.1.4.1.8072.9999.98.1.3.1"
XEN_VIF_NUMBER = ".1.3.6.1.4.1.8072.9999.98.1.1.0"


# The switch tests' two VMs: web1 with a rate limit of 20 Mbit/s, db1
# with two vifs.
SWITCH_WEB_UUID = "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
SWITCH_DB_UUID = "3c9b1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
WEB_MAC, DB_MAC0, DB_MAC1 = ("00:16:3e:5a:01:02", "00:16:3e:5a:02:00",
                             "00:16:3e:5a:02:01")


def add_db1(dom0, domid):
    return dom0.add_vm("db1", domid, SWITCH_DB_UUID,
                       vifs=[Vif(0, mac=DB_MAC0), Vif(1, mac=DB_MAC1)])


def add_switch_vms(dom0):
    """web1 (domid 3) and db1 (domid 4)."""
    web = dom0.add_vm("web1", 3, SWITCH_WEB_UUID, vifs=[
        Vif(0, mac=WEB_MAC, rate="125000,50000")])
    return web, add_db1(dom0, 4)


def if_oid(column, index):
    """The instance of an ifTable or ifXTable column (by name)."""
    if column in IF_COLUMNS:
        return "%s.%d.%d" % (IF_ENTRY, IF_COLUMNS[column], index)
    return "%s.%d.%d" % (IFX_ENTRY, IFX_COLUMNS[column], index)


def system(dom0, auth=SWITCH_V2C):
    """{column: Value} of the switch's system group."""
    return dict(zip(SYSTEM_COLUMNS, dom0.snmpget(
        *["%s.%d.0" % (SYSTEM, n) for n in SYSTEM_COLUMNS.values()],
        auth=auth)))


def port(dom0, index, columns=tuple(IF_COLUMNS) + tuple(IFX_COLUMNS),
         auth=SWITCH_V2C):
    """{column: Value} of one port of the switch, by GET."""
    values = []
    columns = list(columns)
    # A PDU of at most 20 varbinds keeps to snmpd's default limits.
    for i in range(0, len(columns), 20):
        values += dom0.snmpget(*[if_oid(c, index) for c in columns[i:i + 20]],
                               auth=auth)
    return dict(zip(columns, values))


def port_indexes(dom0, auth=SWITCH_V2C):
    """Every ifIndex of the switch, from a walk of ifIndex."""
    return sorted(int(v) for _, v in dom0.snmpwalk(IF_ENTRY + ".1", auth=auth))


def switch_uptime(dom0, auth=SWITCH_V2C):
    return int(dom0.snmpget(SYSTEM + ".3.0", auth=auth)[0])


def bridge_ports(dom0, auth=SWITCH_V2C):
    """{dot1dBasePort: its ifIndex}."""
    return {int(o.rsplit(".", 1)[1]): int(v) for o, v in
            dom0.snmpwalk(DOT1D_BASE_PORT_ENTRY + ".2", auth=auth)}


def fdb(dom0, auth=SWITCH_V2C):
    """{MAC as bytes: dot1dTpFdbPort}."""
    out = {}
    for o, v in dom0.snmpwalk(DOT1D_FDB_ENTRY + ".2", auth=auth):
        octets = o[len(DOT1D_FDB_ENTRY) + 3:].split(".")
        out[bytes(int(x) for x in octets)] = int(v)
    return out


def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


def bridge_address():
    """dot1dBaseBridgeAddress as the agent makes it: 02 and five octets
    of the FNV-1a (64-bit) hash of the machine id (else the host name)."""
    seed = ""
    try:
        with open("/etc/machine-id") as f:
            seed = f.readline().rstrip("\n")
    except OSError:
        pass
    if not seed:
        seed = os.uname().nodename
    h = 14695981039346656037
    for byte in seed.encode():
        h = ((h ^ byte) * 1099511628211) & 0xffffffffffffffff
    return bytes([2] + [(h >> (8 * i)) & 0xff for i in range(5)])


# ---- the classifier's hooks ------------------------------------------

# The programs of each hook of a device as tcx links (Linux 6.6): the
# kernel's list (BPF_PROG_QUERY of BPF_TCX_INGRESS and _EGRESS, by the
# ifindex in the namespace this runs in), a line each: "tcx" and the
# programs' ids, or "none" where the kernel has no tcx.
TCX_QUERY = r"""
import ctypes, platform, socket, sys
nr = {"x86_64": 321, "aarch64": 280}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
index = socket.if_nametoindex(sys.argv[1])
for attach_type in (46, 47):
    ids = (ctypes.c_uint32 * 64)()
    attr = ctypes.create_string_buffer(128)
    ctypes.memmove(attr, (ctypes.c_uint32 * 2)(index, attach_type), 8)
    ctypes.memmove(ctypes.addressof(attr) + 16,
                   (ctypes.c_uint64 * 1)(ctypes.addressof(ids)), 8)
    ctypes.memmove(ctypes.addressof(attr) + 24, (ctypes.c_uint32 * 1)(64), 4)
    if libc.syscall(nr, 16, attr, 128) != 0:
        print("none")
        continue
    count = ctypes.c_uint32.from_buffer(attr, 24).value
    print(" ".join(["tcx"] + [str(ids[i]) for i in range(count)]))
"""


def tcx_query(dom0, ifname):
    from dom0 import in_ns, run
    out = run(in_ns(dom0.ns, ["python3", "-c", TCX_QUERY, ifname])).stdout
    return [line.split() for line in out.splitlines()]


def kernel_has_tcx(dom0):
    return tcx_query(dom0, "lo")[0][0] == "tcx"
