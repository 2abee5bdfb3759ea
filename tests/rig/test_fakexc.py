#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Self test of fakexc.c, the simulated hypervisor for libxenstat (TAP).

Builds fakexc.so and a small libxenstat client in a temporary directory,
starts the xenstore simulator, and runs the client with LD_PRELOAD against
fixtures, checking the exact values the real libxenstat 4.17 reports and
how it behaves when the simulated hypervisor fails.  As root it also puts
the client in network namespaces with real vifD.N veths and checks
libxenstat's network counters against the kernel's.

Usage: test_fakexc.py [--bench [N]]
  --bench N   instead of the self test: N domains (default 1000), each
              with one vif in a network namespace, and the time
              xenstat_get_node takes for them (needs root).

Skips when cc or xenstat.h is missing.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import tap                                              # noqa: E402
from xsclient import XsClient, wait_for_socket          # noqa: E402

FAKEXC_C = os.path.join(HERE, "fakexc.c")
SIMULATOR = os.path.join(HERE, "xenstored_sim.py")
SEND_FRAMES = os.path.join(HERE, "send_frames.py")
XENSTAT_H = "/usr/include/xenstat.h"
PAGE = os.sysconf("SC_PAGE_SIZE")
U64_MAX = 2 ** 64 - 1

# xenstat_get_node flags (xenstat.h)
VCPU, NETWORK, XEN_VERSION, VBD = 1, 2, 4, 8

STATES = ("running", "blocked", "paused", "shutdown", "crashed", "dying")

# The client: reads commands on stdin and prints what libxenstat reports.
#   get FLAGS         one xenstat_get_node, every value as key=value lines
#   time FLAGS COUNT  COUNT xenstat_get_node calls, timed
# Each answer ends with a line "end".
CLIENT_C = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <xenstat.h>

static void dump_domain(xenstat_domain *d, unsigned flags)
{
    unsigned j, id = xenstat_domain_id(d);

    printf("domain id=%u name=%s running=%u blocked=%u paused=%u "
           "shutdown=%u crashed=%u dying=%u cpu_ns=%llu vcpus=%u "
           "cur_mem=%llu max_mem=%llu ssid=%u networks=%u\n",
           id, xenstat_domain_name(d), xenstat_domain_running(d),
           xenstat_domain_blocked(d), xenstat_domain_paused(d),
           xenstat_domain_shutdown(d), xenstat_domain_crashed(d),
           xenstat_domain_dying(d), xenstat_domain_cpu_ns(d),
           xenstat_domain_num_vcpus(d), xenstat_domain_cur_mem(d),
           xenstat_domain_max_mem(d), xenstat_domain_ssid(d),
           xenstat_domain_num_networks(d));
    if (flags & XENSTAT_VCPU)
        for (j = 0; j < xenstat_domain_num_vcpus(d); j++) {
            xenstat_vcpu *v = xenstat_domain_vcpu(d, j);

            printf("vcpu dom=%u id=%u online=%u ns=%llu\n", id, j,
                   xenstat_vcpu_online(v), xenstat_vcpu_ns(v));
        }
    for (j = 0; j < xenstat_domain_num_networks(d); j++) {
        xenstat_network *n = xenstat_domain_network(d, j);

        printf("net dom=%u id=%u rbytes=%llu rpackets=%llu rerrs=%llu "
               "rdrop=%llu tbytes=%llu tpackets=%llu terrs=%llu tdrop=%llu\n",
               id, xenstat_network_id(n), xenstat_network_rbytes(n),
               xenstat_network_rpackets(n), xenstat_network_rerrs(n),
               xenstat_network_rdrop(n), xenstat_network_tbytes(n),
               xenstat_network_tpackets(n), xenstat_network_terrs(n),
               xenstat_network_tdrop(n));
    }
}

static void dump(xenstat_handle *h, unsigned flags)
{
    xenstat_node *node;
    unsigned i, n;

    errno = 0;
    node = xenstat_get_node(h, flags);
    if (!node) {
        printf("nodefail errno=%d\n", errno);
        return;
    }
    n = xenstat_node_num_domains(node);
    printf("node cpus=%u cpu_hz=%llu tot_mem=%llu free_mem=%llu "
           "freeable_mb=%ld num_domains=%u version=%s\n",
           xenstat_node_num_cpus(node), xenstat_node_cpu_hz(node),
           xenstat_node_tot_mem(node), xenstat_node_free_mem(node),
           xenstat_node_freeable_mb(node), n,
           xenstat_node_xen_version(node));
    for (i = 0; i < n; i++)
        dump_domain(xenstat_node_domain_by_index(node, i), flags);
    xenstat_free_node(node);
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void timed(xenstat_handle *h, unsigned flags, unsigned count)
{
    double total = 0, best = 0;
    unsigned i, ok = 0;

    for (i = 0; i < count; i++) {
        double start = now_ns(), t;
        xenstat_node *node = xenstat_get_node(h, flags);

        t = now_ns() - start;
        if (node) {
            ok++;
            xenstat_free_node(node);
        }
        total += t;
        if (i == 0 || t < best)
            best = t;
    }
    printf("time count=%u ok=%u mean_ns=%.0f best_ns=%.0f\n", count, ok,
           count ? total / count : 0.0, best);
}

int main(void)
{
    char line[256];
    xenstat_handle *h;

    setvbuf(stdout, NULL, _IOLBF, 0);
    errno = 0;
    h = xenstat_init();
    if (!h) {
        printf("initfail errno=%d\n", errno);
        return 3;
    }
    printf("init ok\n");
    while (fgets(line, sizeof(line), stdin)) {
        unsigned flags, count;

        if (sscanf(line, "get %u", &flags) == 1)
            dump(h, flags);
        else if (sscanf(line, "time %u %u", &flags, &count) == 2)
            timed(h, flags, count);
        else if (strncmp(line, "quit", 4) == 0)
            break;
        else
            printf("error unknown command\n");
        printf("end\n");
    }
    xenstat_uninit(h);
    return 0;
}
"""


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def run(cmd, timeout=60, check=True, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True,
                         timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd),
                                                   res.returncode,
                                                   res.stderr.strip()))
    return res


def kv(words):
    out = {}
    for word in words:
        key, _, value = word.partition("=")
        out[key] = int(value) if value.isdigit() else value
    return out


class Node:
    """One answer to "get": the node values, domains in libxenstat's order
    (a list, since libxenstat can list a domain twice), vcpus and nets."""

    def __init__(self, lines):
        self.failed_errno = None
        self.node = None
        self.domains = []
        self.vcpus = {}             # domid -> [(online, ns)]
        self.nets = {}              # domid -> [dict]
        for line in lines:
            kind, *words = line.split()
            values = kv(words)
            if kind == "nodefail":
                self.failed_errno = values["errno"]
            elif kind == "node":
                self.node = values
            elif kind == "domain":
                self.domains.append(values)
            elif kind == "vcpu":
                self.vcpus.setdefault(values["dom"], []).append(
                    (values["online"], values["ns"]))
            elif kind == "net":
                self.nets.setdefault(values["dom"], []).append(values)

    def domain(self, domid):
        for d in self.domains:
            if d["id"] == domid:
                return d
        return None

    def ids(self):
        return [d["id"] for d in self.domains]


class Result:
    def __init__(self, stdout, stderr, returncode):
        self.stderr = stderr
        self.returncode = returncode
        self.init_errno = None
        self.answers = []
        lines = stdout.splitlines()
        if lines and lines[0].startswith("initfail"):
            self.init_errno = kv(lines[0].split()[1:])["errno"]
            lines = lines[1:]
        elif lines and lines[0] == "init ok":
            lines = lines[1:]
        current = []
        for line in lines:
            if line == "end":
                self.answers.append(current)
                current = []
            else:
                current.append(line)

    def node(self, i=0):
        return Node(self.answers[i]) if i < len(self.answers) else None


class Session:
    """The client kept running, so the fixture can change between calls
    made through one libxenstat handle."""

    def __init__(self, argv, env, timeout=300):
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        # Reads below block; a hung client is killed, which ends them.
        self.watchdog = threading.Timer(timeout, self.proc.kill)
        self.watchdog.start()
        first = self.proc.stdout.readline().strip()
        if first != "init ok":
            self.close()
            raise RuntimeError("client did not start: %r" % first)

    def get(self, flags):
        self.proc.stdin.write("get %d\n" % flags)
        self.proc.stdin.flush()
        lines = []
        while True:
            # The client answers every command; a dead client gives "".
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("client died")
            line = line.rstrip("\n")
            if line == "end":
                return Node(lines)
            lines.append(line)

    def close(self):
        try:
            _, err = self.proc.communicate("quit\n", timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        self.watchdog.cancel()
        return err


class Rig:
    """Temporary directory, built binaries and a running xenstore
    simulator."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="xva-fakexc-")
        self.so = os.path.join(self.dir, "fakexc.so")
        self.client = os.path.join(self.dir, "xsclient")
        self.fixture = os.path.join(self.dir, "fixture")
        self.sock = os.path.join(self.dir, "xenstored.sock")
        self.sim = None
        self.netns = []

    # -- build ----------------------------------------------------------------

    def build_fakexc(self):
        return run(["cc", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread",
                    "-fPIC", "-shared", "-o", self.so, FAKEXC_C],
                   check=False)

    def build_client(self):
        src = os.path.join(self.dir, "xsclient.c")
        with open(src, "w") as f:
            f.write(CLIENT_C)
        return run(["cc", "-Wall", "-Wextra", "-Werror", "-O2", "-o",
                    self.client, src, "-lxenstat"], check=False)

    # -- xenstore -------------------------------------------------------------

    def start_xenstore(self):
        pidfile = os.path.join(self.dir, "xenstored.pid")
        log = os.path.join(self.dir, "xenstored.log")
        self.sim = subprocess.Popen([sys.executable, SIMULATOR, "--socket",
                                     self.sock, "--pidfile", pidfile,
                                     "--log", log])
        if not wait_for_socket(self.sock, timeout=20, pidfile=pidfile):
            raise RuntimeError("xenstore simulator did not start")

    def set_names(self, names):
        """names: domid -> name, or None to remove the domain's node."""
        with XsClient(self.sock) as xs:
            for domid, name in names.items():
                path = "/local/domain/%d" % domid
                if name is None:
                    if xs.exists(path):
                        xs.rm(path)
                else:
                    xs.write(path + "/name", name)

    # -- fixture and client ---------------------------------------------------

    def write_fixture(self, text):
        """Replace the fixture atomically, as fakexc.c asks."""
        tmp = self.fixture + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.fixture)

    def env(self, fixture=True):
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env["XENSTORED_PATH"] = self.sock
        if fixture:
            env["XVA_FAKEXC_FIXTURE"] = self.fixture
        else:
            env.pop("XVA_FAKEXC_FIXTURE", None)
        return env

    def argv(self, netns=None):
        # env sets LD_PRELOAD for the client alone, not for ip.
        argv = ["env", "LD_PRELOAD=" + self.so, self.client]
        return ["ip", "netns", "exec", netns] + argv if netns else argv

    def query(self, *commands, netns=None, fixture=True, timeout=120):
        res = subprocess.run(self.argv(netns), env=self.env(fixture),
                             input="".join(c + "\n" for c in commands),
                             capture_output=True, text=True, timeout=timeout)
        return Result(res.stdout, res.stderr, res.returncode)

    def session(self, netns=None):
        return Session(self.argv(netns), self.env())

    # -- network namespaces ---------------------------------------------------

    def add_netns(self, suffix):
        name = "xvafx%d%s" % (os.getpid(), suffix)
        run(["ip", "netns", "add", name])
        self.netns.append(name)
        # No IPv6: no router solicitations or MLD reports, so the only
        # frames on the links are the ones the test sends.
        run(["ip", "netns", "exec", name, "sh", "-c",
             "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && "
             "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"],
            check=False)
        return name

    def close(self):
        for name in self.netns:
            run(["ip", "netns", "del", name], check=False)
        self.netns = []
        if self.sim is not None:
            self.sim.terminate()
            try:
                self.sim.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.sim.kill()
                self.sim.wait()
            self.sim = None
        shutil.rmtree(self.dir, ignore_errors=True)


def link_stats(netns, dev):
    """The kernel's counters for dev: {"rx": {...}, "tx": {...}}."""
    out = run(["ip", "-n", netns, "-s", "-j", "link", "show", dev]).stdout
    return json.loads(out)[0]["stats64"]


def link_mac(netns, dev):
    out = run(["ip", "-n", netns, "-j", "link", "show", dev]).stdout
    return json.loads(out)[0]["address"]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def libxenstat_listing(domids, chunk=256):
    """What libxenstat 4.17's xenstat_get_node lists for these domain ids
    (all named), given Xen's getdomaininfolist semantics: it asks for
    domains with id >= the number of domains it has so far, in chunks of
    256, until a chunk comes back short."""
    domids = sorted(domids)
    listed = []
    while True:
        got = [d for d in domids if d >= len(listed)][:chunk]
        listed += got
        if len(got) != chunk:
            return listed


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

BASIC = """\
# a dom0 with one domain in each state
physinfo cpus=4 cpu_khz=2400000 total_pages=4194304 free_pages=1048576
version major=4 minor=17 extra=.7

domain 0 vcpus=2 cpu_ns=5000000000 tot_pages=262144 max_pages=unlimited
domain 1 state=running tot_pages=1000 max_pages=2000
domain 2 state=blocked
domain 3 state=paused
domain 4 state=shutdown shutdown_reason=reboot
domain 5 state=crashed
domain 6 state=dying
domain 7 state=paused,blocked vcpus=3 online_vcpus=2 cpu_ns=123456789012 \
tot_pages=131072 max_pages=131328 ssidref=9
vcpu 7 1 online=0 cpu_ns=111
vcpu 7 2 online=1 cpu_ns=222   # vcpu 2 would be offline by default
domain 8 state=none vcpus=0
domain 9                       # no name in xenstore
domain 10 state=shutdown shutdown_reason=crash
""".replace("\\\n", "")

# The line number of a line appended to BASIC.
NEXT_LINE = BASIC.count("\n") + 1

BASIC_NAMES = {d: "guest%d" % d for d in range(11) if d != 9}
BASIC_NAMES[0] = "Domain-0"

EXPECTED_STATES = {
    0: {"running"}, 1: {"running"}, 2: {"blocked"}, 3: {"paused"},
    4: {"shutdown"}, 5: {"crashed"}, 6: {"dying"}, 7: {"paused", "blocked"},
    8: set(), 10: {"crashed"},
}


def states_of(domain):
    return {s for s in STATES if domain[s]}


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_exports(t, rig):
    """The preload defines exactly the xc_* functions libxenstat imports."""
    if not shutil.which("nm"):
        t.skip("fakexc.so defines what libxenstat imports", "no nm")
        return
    libs = [p for p in ("/usr/lib/x86_64-linux-gnu/libxenstat.so",
                        "/usr/lib/libxenstat.so", "/usr/lib64/libxenstat.so")
            if os.path.exists(p)]
    if not libs:
        t.skip("fakexc.so defines what libxenstat imports",
               "libxenstat.so not found")
        return

    def symbols(args, path):
        out = run(["nm", "-D"] + args + [path]).stdout
        return {line.split()[-1].split("@")[0] for line in out.splitlines()
                if line.split() and line.split()[-1].startswith("xc_")}

    imported = symbols(["--undefined-only"], os.path.realpath(libs[0]))
    defined = symbols(["--defined-only"], rig.so)
    t.diag("libxenstat imports: %s" % " ".join(sorted(imported)))
    t.is_(defined, imported, "fakexc.so defines exactly the xc_* functions "
          "libxenstat imports")


def test_basic(t, rig):
    rig.set_names(BASIC_NAMES)
    rig.write_fixture(BASIC)
    res = rig.query("get %d" % (VCPU | XEN_VERSION), "get 0")
    node = res.node(0)
    if not t.ok(node and node.node, "libxenstat reads a node through the "
                "simulated hypervisor", lambda: res.stderr):
        return
    t.is_(res.stderr, "", "nothing on stderr for a good fixture")
    n = node.node
    t.is_((n["cpus"], n["cpu_hz"]), (4, 2400000000),
          "physinfo: cpus, and cpu_hz = cpu_khz * 1000")
    t.is_((n["tot_mem"], n["free_mem"]),
          (4194304 * PAGE, 1048576 * PAGE),
          "physinfo: tot_mem and free_mem are pages * %d bytes" % PAGE)
    t.is_(n["freeable_mb"], 0, "freeable_mb is always 0 in 4.17")
    t.is_(n["version"], "4.17.7", "version: major.minor then extra")
    t.is_(node.ids(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 10],
          "domains in id order; a domain without a xenstore name is left "
          "out")
    t.is_({d["id"]: d["name"] for d in node.domains},
          {d: BASIC_NAMES[d] for d in EXPECTED_STATES},
          "names come from /local/domain/D/name")
    t.is_({d["id"]: states_of(d) for d in node.domains}, EXPECTED_STATES,
          "state flags: running, blocked, paused, shutdown, crashed (also "
          "shutdown_reason=crash), dying, combinations and none")

    d7 = node.domain(7)
    t.is_((d7["cpu_ns"], d7["vcpus"], d7["ssid"]), (123456789012, 3, 9),
          "domain cpu_ns, number of vcpus (max_vcpu_id + 1) and ssid")
    t.is_((d7["cur_mem"], d7["max_mem"]), (131072 * PAGE, 131328 * PAGE),
          "cur_mem = tot_pages * page size, max_mem = max_pages * page size "
          "(bytes)")
    t.is_(node.domain(0)["max_mem"], U64_MAX,
          "max_pages=unlimited gives max_mem 2^64-1")
    d1 = node.domain(1)
    t.is_((d1["cur_mem"], d1["max_mem"], d1["vcpus"], d1["cpu_ns"]),
          (1000 * PAGE, 2000 * PAGE, 1, 0), "defaults: one vcpu, cpu_ns 0")
    t.is_(node.domain(2)["max_mem"], 0, "max_pages defaults to tot_pages")
    t.is_(node.domain(8)["vcpus"], 0,
          "vcpus=0 (max_vcpu_id = XEN_INVALID_MAX_VCPU_ID) gives 0 vcpus")
    t.is_(node.vcpus.get(7), [(1, 0), (0, 111), (1, 222)],
          "vcpu lines and defaults: online below online_vcpus, ns 0")
    t.is_(node.vcpus.get(0), [(1, 0), (1, 0)], "dom0's two vcpus")

    plain = res.node(1)
    t.ok(plain and plain.node and plain.node["version"] == "4.17.7"
         and 7 not in plain.vcpus,
         "without XENSTAT_VCPU no vcpus; the version, once read, stays "
         "in the handle", lambda: plain and plain.node)


def test_changes(t, rig):
    """The fixture is read again on every call: one libxenstat handle sees
    domains come, change and go."""
    rig.set_names(BASIC_NAMES)
    rig.set_names({11: "late"})
    rig.write_fixture(BASIC)
    s = rig.session()
    try:
        first = s.get(VCPU | XEN_VERSION)
        rig.write_fixture(BASIC.replace("cpu_ns=123456789012",
                                        "cpu_ns=123456789999")
                          .replace("domain 2 state=blocked\n", "")
                          .replace("extra=.7", "extra=-rc")
                          + "domain 11 tot_pages=5\n")
        second = s.get(VCPU | XEN_VERSION)
        rig.write_fixture("nohypervisor\n")
        gone = s.get(0)
        rig.write_fixture(BASIC)
        back = s.get(0)
    finally:
        err = s.close()
    t.is_(first.domain(7)["cpu_ns"], 123456789012, "first call: cpu_ns")
    t.is_(second.domain(7)["cpu_ns"], 123456789999,
          "second call on the same handle sees the rewritten fixture")
    t.ok(second.domain(2) is None and second.domain(11) is not None
         and second.domain(11)["cur_mem"] == 5 * PAGE,
         "a removed domain is gone and an added one appears",
         lambda: second.ids())
    t.is_(second.node["version"], "4.17.7",
          "libxenstat reads the version once per handle: a changed "
          "extraversion is not seen")
    t.is_(gone.failed_errno, 2, "fixture turned to nohypervisor: "
          "xenstat_get_node fails (errno ENOENT)")
    t.ok(back.node and len(back.domains) == 10,
         "and works again once the fixture is back")
    t.is_(err, "", "no stderr from failing data calls")


def expect_init_failure(t, rig, fixture, errno_value, stderr_parts, what,
                        use_env=True):
    if fixture is None:
        if os.path.exists(rig.fixture):
            os.unlink(rig.fixture)
    else:
        rig.write_fixture(fixture)
    res = rig.query("get 0", fixture=use_env)
    t.is_((res.returncode, res.init_errno), (3, errno_value),
          "%s: xenstat_init fails, errno %d, process not killed"
          % (what, errno_value))
    missing = [p for p in stderr_parts if p not in res.stderr]
    t.ok(not missing, "%s: stderr says so" % what,
         lambda: "missing %r in:\n%s" % (missing, res.stderr))
    return res


def test_no_hypervisor(t, rig):
    xencall = ("xencall: error: Could not obtain handle on privileged "
               "command interface: No such file or directory")
    res = expect_init_failure(t, rig, None, 2,
                              [xencall, "xc_interface_open: No such file"],
                              "missing fixture file")
    t.diag("stderr of xenstat_init without a hypervisor:\n" + res.stderr)
    expect_init_failure(t, rig, "# no Xen here\nnohypervisor\n", 2,
                        [xencall], "nohypervisor")
    expect_init_failure(t, rig, BASIC, 2,
                        ["XVA_FAKEXC_FIXTURE is not set", xencall],
                        "XVA_FAKEXC_FIXTURE unset", use_env=False)
    expect_init_failure(t, rig, BASIC + "fail xc_interface_open EACCES\n",
                        13, ["privileged command interface: Permission "
                             "denied"], "fail xc_interface_open EACCES")


def test_bad_fixture(t, rig):
    path = rig.fixture
    n = NEXT_LINE
    expect_init_failure(t, rig, "physinfo cpus=2\nfrobnicate 1\n", 22,
                        ["fakexc: %s:2: unknown statement 'frobnicate'"
                         % path], "unknown statement")
    expect_init_failure(t, rig, BASIC + "domain 12 vcpus=abc\n", 22,
                        ["fakexc: %s:%d: vcpus=abc: expected a decimal"
                         % (path, n)], "bad number")
    expect_init_failure(t, rig, BASIC + "vcpu 42 0 online=1\n", 22,
                        ["fakexc: %s:%d: vcpu: no domain 42" % (path, n)],
                        "vcpu of a missing domain")
    expect_init_failure(t, rig, BASIC + "vcpu 7 3\n", 22,
                        ["fakexc: %s:%d: vcpu: domain 7 has only 3 vcpus"
                         % (path, n)], "vcpu id out of range")
    expect_init_failure(t, rig, BASIC + "domain 7\n", 22,
                        ["fakexc: %s:%d: domain 7 defined twice "
                         "(lines 12 and %d)" % (path, n, n)],
                        "duplicate domain")
    expect_init_failure(t, rig, BASIC + "fail xc_frob EIO\n", 22,
                        ["is not a simulated function"], "fail of an "
                        "unknown function")

    # Broken while a handle is open: calls fail, the file and line are
    # named once, and fixing the file fixes the calls.
    rig.write_fixture(BASIC)
    s = rig.session()
    try:
        ok1 = s.get(0)
        rig.write_fixture(BASIC + "domain 12 colour=blue\n")
        bad1 = s.get(VCPU)
        bad2 = s.get(0)
        rig.write_fixture(BASIC)
        ok2 = s.get(0)
    finally:
        err = s.close()
    t.ok(ok1.node and bad1.failed_errno == 22 and bad2.failed_errno == 22
         and ok2.node, "a fixture broken between calls makes "
         "xenstat_get_node fail (EINVAL) until it is fixed",
         lambda: (ok1.node, bad1.failed_errno, bad2.failed_errno))
    t.is_(err.count("fakexc: %s:%d: domain: unknown key 'colour'"
                    % (path, n)), 1,
          "the broken line is reported once per change of the file")


def test_failures(t, rig):
    rig.set_names(BASIC_NAMES)
    cases = [
        ("fail xc_physinfo EIO", 0, 5, "xc_physinfo fails"),
        ("fail xc_domain_getinfolist EPERM", 0, 1,
         "xc_domain_getinfolist fails"),
        ("fail xc_version EPERM", XEN_VERSION, 1,
         "xc_version fails (with XENSTAT_XEN_VERSION)"),
        ("fail xc_vcpu_getinfo ENOMEM domid=7", VCPU, 12,
         "xc_vcpu_getinfo fails with ENOMEM for one domain"),
    ]
    for line, flags, errno_value, what in cases:
        rig.write_fixture(BASIC + line + "\n")
        res = rig.query("get %d" % flags)
        node = res.node(0)
        t.ok(node and node.failed_errno == errno_value and res.stderr == "",
             "%s: xenstat_get_node returns NULL with errno %d, silently"
             % (what, errno_value), lambda: (res.answers, res.stderr))

    rig.write_fixture(BASIC + "fail xc_version EPERM\n")
    node = rig.query("get %d" % VCPU).node(0)
    t.ok(node and node.node and node.node["version"] == "",
         "a failing xc_version does not matter without XENSTAT_XEN_VERSION")

    rig.write_fixture(BASIC + "fail xc_vcpu_getinfo ESRCH domid=7\n")
    res = rig.query("get %d" % VCPU, "get 0")
    pruned, kept = res.node(0), res.node(1)
    t.ok(pruned and pruned.node and pruned.domain(7) is None
         and len(pruned.domains) == 9,
         "xc_vcpu_getinfo failing (not ENOMEM) for one domain: that domain "
         "is dropped from the node, the rest stay",
         lambda: pruned and pruned.ids())
    t.ok(kept and kept.domain(7) is not None,
         "without XENSTAT_VCPU the domain is listed")

    rig.write_fixture(BASIC)
    res = rig.query("get %d" % VBD)
    node = res.node(0)
    t.ok(node and node.failed_errno is not None
         and "/sys/bus/xen-backend/devices" in res.stderr,
         "XENSTAT_VBD without xen-backend in sysfs: the whole node fails "
         "and libxenstat prints why", lambda: res.stderr)


def test_chunks(t, rig):
    """libxenstat asks for domains 256 at a time; the simulation follows
    Xen (domains with id >= first_domain), so libxenstat's habit of passing
    a count as first_domain shows as it would on Xen."""
    dense = list(range(300))
    sparse = [0] + list(range(1000, 1300))
    rig.set_names({d: "d%d" % d for d in set(dense) | set(sparse)})
    for ids, what in ((dense, "300 domains with ids 0..299"),
                      (sparse, "domain 0 and ids 1000..1299")):
        rig.write_fixture("".join("domain %d\n" % d for d in ids))
        node = rig.query("get 0").node(0)
        expected = libxenstat_listing(ids)
        got = node.ids() if node and node.node else None
        t.is_(got, expected, "%s: libxenstat lists %d entries for %d "
              "domains" % (what, len(expected), len(ids)))


def test_network(t, rig):
    if os.geteuid() != 0:
        t.skip("network counters against the kernel's", "needs root")
        return
    dom0 = rig.add_netns("d")
    guests = rig.add_netns("g")
    ip = ["ip", "-n", dom0]
    run(ip + ["link", "add", "xenbr0", "type", "bridge"])
    run(ip + ["link", "add", "vif5.0", "type", "veth", "peer", "name",
              "eth0", "netns", guests])
    run(ip + ["link", "add", "vif7.0", "type", "veth", "peer", "name",
              "eth1", "netns", guests])
    run(ip + ["link", "set", "vif5.0", "up"])
    run(["ip", "-n", guests, "link", "set", "eth0", "up"])

    # guest -> dom0: 3 frames of 100 bytes; dom0 -> guest: 5 of 200.
    run(["ip", "netns", "exec", guests, sys.executable, SEND_FRAMES, "eth0",
         "3", "100", link_mac(dom0, "vif5.0")])
    run(["ip", "netns", "exec", dom0, sys.executable, SEND_FRAMES, "vif5.0",
         "5", "200", link_mac(guests, "eth0")])
    t.ok(wait_until(lambda: link_stats(dom0, "vif5.0")["rx"]["packets"] >= 3),
         "the kernel counted the frames on vif5.0")
    kernel = link_stats(dom0, "vif5.0")

    rig.set_names({0: "Domain-0", 5: "web"})
    rig.write_fixture("domain 0\ndomain 5 state=blocked\n")
    res = rig.query("get %d" % NETWORK, netns=dom0)
    node = res.node(0)
    nets = node.nets.get(5) if node else None
    t.ok(nets and len(nets) == 1 and nets[0]["id"] == 0,
         "domain 5 has network 0 (from the name vif5.0)",
         lambda: (res.answers, res.stderr))
    if nets:
        net = nets[0]
        got = {k: net[k] for k in ("rbytes", "rpackets", "rerrs", "rdrop",
                                   "tbytes", "tpackets", "terrs", "tdrop")}
        want = {"rbytes": kernel["rx"]["bytes"],
                "rpackets": kernel["rx"]["packets"],
                "rerrs": kernel["rx"]["errors"],
                "rdrop": kernel["rx"]["dropped"],
                "tbytes": kernel["tx"]["bytes"],
                "tpackets": kernel["tx"]["packets"],
                "terrs": kernel["tx"]["errors"],
                "tdrop": kernel["tx"]["dropped"]}
        t.is_(got, want, "libxenstat's counters are vif5.0's kernel "
              "counters, r* = the vif's rx, t* = its tx")
        t.is_((net["rbytes"], net["rpackets"], net["tbytes"],
               net["tpackets"]), (300, 3, 1000, 5),
              "no direction swap: rbytes is what the guest sent, tbytes "
              "what dom0 sent to the guest")
    t.ok("Found interface vif7.0 but domain 7 does not exist." in res.stderr,
         "libxenstat prints a line on stderr for a vif without domain",
         lambda: res.stderr)

    # libxenstat takes the last bridge it sees in /sys/class/net for the
    # bonding case; with no bridge at all it matches every device whose
    # name has no "p" against the empty bridge name and hands it to
    # dom0, so vifD.N devices vanish while domain 0 exists.
    run(ip + ["link", "del", "xenbr0"])
    node = rig.query("get %d" % NETWORK, netns=dom0).node(0)
    t.ok(node and node.node and not node.nets.get(5),
         "no bridge in dom0 and domain 0 listed: libxenstat reports no "
         "network for vif5.0", lambda: node and node.nets)
    rig.write_fixture("domain 5 state=blocked\n")
    node = rig.query("get %d" % NETWORK, netns=dom0).node(0)
    t.ok(node and len(node.nets.get(5, [])) == 1,
         "no bridge and no domain 0: vif5.0 is reported again",
         lambda: node and node.nets)


def self_test(t, rig):
    built = rig.build_fakexc()
    if not t.ok(built.returncode == 0, "fakexc.c builds with -Wall -Wextra "
                "-Werror -fPIC -shared", built.stderr):
        return
    test_exports(t, rig)
    built = rig.build_client()
    if not t.ok(built.returncode == 0, "the libxenstat client builds",
                built.stderr):
        return
    rig.start_xenstore()
    test_basic(t, rig)
    test_changes(t, rig)
    test_no_hypervisor(t, rig)
    test_bad_fixture(t, rig)
    test_failures(t, rig)
    test_chunks(t, rig)
    test_network(t, rig)


# ---------------------------------------------------------------------------
# Benchmark: N domains, one vif each
# ---------------------------------------------------------------------------

def bench(t, rig, count):
    if os.geteuid() != 0:
        t.skip_all("the benchmark needs root (network namespaces)")
    for built in (rig.build_fakexc(), rig.build_client()):
        if built.returncode != 0:
            t.fail("build", built.stderr)
            return
    rig.start_xenstore()
    dom0 = rig.add_netns("d")
    guests = rig.add_netns("g")

    start = time.monotonic()
    batch = ["link add xenbr0 type bridge"]
    batch += ["link add vif%d.0 type veth peer name g%d netns %s"
              % (d, d, guests) for d in range(1, count + 1)]
    run(["ip", "-n", dom0, "-batch", "-"], input="\n".join(batch) + "\n",
        timeout=600)
    t.diag("created %d veth pairs in %.1f s"
           % (count, time.monotonic() - start))

    rig.set_names({d: "vm%d" % d for d in range(count + 1)})
    rig.write_fixture(
        "physinfo cpus=64 total_pages=67108864\n"
        "domain 0 vcpus=4 max_pages=unlimited\n"
        + "".join("domain %d vcpus=1 tot_pages=262144\n" % d
                  for d in range(1, count + 1)))

    res = rig.query("get %d" % (VCPU | NETWORK | XEN_VERSION), netns=dom0,
                    timeout=600)
    node = res.node(0)
    with_vif = [d for d in range(1, count + 1)
                if node and len(node.nets.get(d, [])) == 1]
    t.is_((node.node["num_domains"] if node and node.node else None,
           len(with_vif)), (count + 1, count),
          "%d domains listed, each guest with its vif" % (count + 1))

    for flags, what in ((0, "domains and names only"),
                        (VCPU, "XENSTAT_VCPU"),
                        (NETWORK, "XENSTAT_NETWORK"),
                        (VCPU | NETWORK | XEN_VERSION,
                         "VCPU|NETWORK|XEN_VERSION")):
        res = rig.query("time %d 10" % flags, netns=dom0, timeout=600)
        line = res.answers[0][0] if res.answers and res.answers[0] else ""
        values = kv(line.split()[1:]) if line.startswith("time") else {}
        t.ok(values.get("ok") == 10, "xenstat_get_node(%s) x10" % what,
             lambda: (line, res.stderr))
        if values:
            t.diag("%-26s mean %.1f ms, best %.1f ms"
                   % (what, int(values["mean_ns"]) / 1e6,
                      int(values["best_ns"]) / 1e6))


def main(t):
    if not shutil.which("cc"):
        t.skip_all("no cc")
    if not os.path.exists(XENSTAT_H):
        t.skip_all("no %s (libxen-dev)" % XENSTAT_H)
    rig = Rig()
    tap.at_end(lambda _t: rig.close())
    args = sys.argv[1:]
    if args and args[0] == "--bench":
        bench(t, rig, int(args[1]) if len(args) > 1 else 1000)
    else:
        self_test(t, rig)


if __name__ == "__main__":
    tap.run(main)
