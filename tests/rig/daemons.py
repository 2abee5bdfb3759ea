# SPDX-License-Identifier: ISC
"""The programs the simulated dom0 runs in the background, each with its
configuration and logs in the work dir: the xenstore simulator, snmpd
(AgentX master, or with XEN-VIF-MIB loaded as a module), snmptrapd
recording every notification, and xen-vif-agent, whose sanitizer
reports end up in the work dir too.

Each waits, when started, until it does its job (listens, answers,
registers), and says so at once when it exits instead.

Environment: XVA_AGENT (the agent binary, default
$XVA_BUILDDIR/agentx/xen-vif-agent), XVA_MODULE (snmpd's dlmod),
XVA_COUNTER_SOURCE (netlink or xenstat: the agent's counter source)."""

import glob
import json
import os
import re
import shutil
import subprocess
import sys

import xsclient
from processes import (RigError, SnmpTimeout, Daemon, wait_until,
                       wait_or_raise, run, in_ns, die_with_parent, tail)
from snmp_tools import COMMUNITY, SNMP_ADDRESS, SWITCH_COMMUNITY, \
    SWITCH_CONTEXT, SWITCH_USER
from snmp_values import parse_trap_value
from workdir import BUILDDIR
from xsclient import XsClient

HERE = os.path.dirname(os.path.abspath(__file__))
SIMULATOR = os.path.join(HERE, "xenstored_sim.py")
TRAP_RECORDER = os.path.join(HERE, "trap_recorder.py")
AGENT = os.environ.get("XVA_AGENT") or os.path.join(
    BUILDDIR, "agentx", "xen-vif-agent")
# The same MIB module for snmpd's dlmod (agentx/snmpd_module.c).
MODULE = os.environ.get("XVA_MODULE") or os.path.join(
    BUILDDIR, "agentx", ".libs", "xen_vif_mib.so")

TRAP_ADDRESS = "127.0.0.1:1162"
# snmpd configuration that sends notifications to start_snmptrapd()'s.
TRAP_SINK = "trap2sink %s public" % TRAP_ADDRESS
XEN_VIF_NOTIFICATIONS = ".1.3.6.1.4.1.8072.9999.98.0"
SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
# What is asked to see that snmpd answers, and that the MIB is served.
SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
XEN_VIF_NUMBER = ".1.3.6.1.4.1.8072.9999.98.1.1.0"


class SanitizerError(RigError):
    """The agent left sanitizer reports."""


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


def sanitizer_reports(workdir):
    """[(file, text)] of every sanitizer report in the work dir."""
    reports = []
    for path in sorted(glob.glob(workdir.path("sanitizer.*"))):
        reports.append((path, tail(path, 10 ** 9)))
    return reports


def join_opts(existing, ours):
    """Sanitizer option strings: later options win, so ours go last."""
    return "%s:%s" % (existing, ours) if existing else ours


def sanitizer_runtimes(library):
    """The sanitizer runtimes a shared library was linked with, which
    must be preloaded into a program that loads it."""
    try:
        out = subprocess.run(["ldd", library], capture_output=True,
                             text=True, check=False).stdout
    except OSError:
        return []
    return [m.group(1) for m in re.finditer(
        r"lib(?:asan|ubsan)\.so\S* => (\S+)", out)]


class _Background:
    """A part that runs one program, its Daemon in .daemon."""

    @property
    def running(self):
        return self.daemon.running

    @property
    def pid(self):
        return self.daemon.pid


# ---------------------------------------------------------------------------
# xenstored
# ---------------------------------------------------------------------------

class Xenstored(_Background):
    """The xenstore simulator on the work dir's socket, and the rig's
    connection to it (.xs: a new one at every start).  watch_quota: from
    the next start, the watches a connection may hold (as oxenstored
    allows a driver domain), None for no limit."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.daemon = Daemon("xenstored_sim", workdir.path("xenstored.log"))
        self.xs = None
        self.watch_quota = None

    def start(self, timeout=15):
        """Start the simulator with the tree it had (it saves it when
        stopped, with the introduced domains)."""
        pidfile = self.workdir.path("xenstored.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        self.daemon.start([sys.executable, SIMULATOR,
                           "--socket", self.workdir.xenstored_path,
                           "--state", self.workdir.path("xenstored.state"),
                           "--pidfile", pidfile,
                           "--log", self.workdir.path("xenstored.log")]
                          + ([] if self.watch_quota is None else
                             ["--watch-quota", str(self.watch_quota)]),
                          env=dict(os.environ))

        def ready():
            if not self.daemon.running:
                raise RigError("xenstore simulator exited:\n"
                               + self.daemon.log_tail())
            return xsclient.wait_for_socket(self.workdir.xenstored_path, 0,
                                            pidfile)

        wait_or_raise(ready, timeout, "the xenstore simulator to listen")
        self.xs = XsClient(self.workdir.xenstored_path)

    def stop(self):
        """Stop the simulator, keeping its tree for start()."""
        if self.xs is not None:
            self.xs.close()
            self.xs = None
        status = self.daemon.stop()
        if status not in (0, None):
            raise RigError("xenstore simulator exited with %s:\n%s"
                           % (status, self.daemon.log_tail()))

    def restart(self):
        """Stop and start again on the same socket with the same tree.
        Watches and connections, .xs's included, are lost; .xs is a new
        connection afterwards."""
        self.stop()
        self.start()


# ---------------------------------------------------------------------------
# snmpd
# ---------------------------------------------------------------------------

class Snmpd(_Background):
    """snmpd in namespace ns on udp:SNMP_ADDRESS, configured only from
    the work dir; tools (SnmpTools) ask it whether it answers."""

    def __init__(self, workdir, ns, tools):
        self.workdir = workdir
        self.ns = ns
        self.tools = tools
        self.daemon = Daemon("snmpd", workdir.path("snmpd.out"))
        self.config = []            # the extra lines it was started with
        self.module_agent = None    # with the module: the Agent it stands for
        self.own_config = None      # start_with_config's (text, auth)

    def _check_alive(self):
        if not self.daemon.running:
            raise RigError("snmpd exited with %s:\n%s%s" % (
                self.daemon.proc.returncode, self.daemon.log_tail(),
                tail(self.workdir.path("snmpd.log"))))

    def start(self, extra_config=(), timeout=20):
        """snmpd as AgentX master, configured only from
        <workdir>/snmpd.conf."""
        if self.daemon.running:
            raise RigError("snmpd is already running")
        self.config = list(extra_config)
        self.module_agent = None
        self.own_config = None
        self.tools.auth = self.tools.DEFAULT_AUTH
        conf = self.workdir.path("snmpd.conf")
        with open(conf, "w") as handle:
            handle.write("\n".join([
                "master agentx",
                "agentXSocket unix:%s" % self.workdir.agentx_socket,
                "agentXPerms 0600 0700",
                "rocommunity %s 127.0.0.1" % COMMUNITY,
            ] + switch_access() + self.config) + "\n")
        self.daemon.start(in_ns(self.ns, [
            # -A: append to the log, which restarts would truncate.
            "snmpd", "-f", "-A", "-C", "-c", conf,
            "-Lf", self.workdir.path("snmpd.log"),
            "-p", self.workdir.path("snmpd.pid"), "udp:%s" % SNMP_ADDRESS]),
            env=self.workdir.snmp_env("snmpd-persist"))

        def answers():
            self._check_alive()
            try:
                return self.tools.snmpget(SYS_UPTIME, timeout=0.5, retries=0)
            except SnmpTimeout:
                return None

        wait_or_raise(answers, timeout, "snmpd to answer")

    @property
    def etc_dir(self):
        """start_with_config's /etc/snmp."""
        return self.workdir.path("snmpd-etc")

    @property
    def persist_dir(self):
        """snmpd's persistent directory (its /var/lib/snmp)."""
        return self.workdir.path("snmpd-persist")

    def start_with_config(self, text, auth, timeout=20):
        """snmpd configured as a distribution runs it, by a whole
        snmpd.conf (text, taken as it is: nothing of the rig's added) in
        etc_dir, and its persistent file: no -C, a search path of
        etc_dir then persist_dir, as /etc/snmp then /var/lib/snmp.  It
        listens where the text's agentAddress says (make it
        udp:SNMP_ADDRESS), serves AgentX where its agentXSocket says.
        auth: credentials that get an answer, used to see snmpd answer,
        and from then on by the tools when a call names none (the
        agent's wait_registered too)."""
        if self.daemon.running:
            raise RigError("snmpd is already running")
        self.config = []
        self.module_agent = None
        self.own_config = (text, tuple(auth))
        self.tools.auth = tuple(auth)
        os.makedirs(self.etc_dir, exist_ok=True)
        with open(os.path.join(self.etc_dir, "snmpd.conf"), "w") as handle:
            handle.write(text)
        env = self.workdir.snmp_env("snmpd-persist")
        env["SNMPCONFPATH"] = "%s:%s" % (self.etc_dir, self.persist_dir)
        self.daemon.start(in_ns(self.ns, [
            "snmpd", "-f", "-A", "-Lf", self.workdir.path("snmpd.log"),
            "-p", self.workdir.path("snmpd.pid")]), env=env)

        def answers():
            self._check_alive()
            try:
                return self.tools.snmpget(SYS_UPTIME, timeout=0.5, retries=0)
            except SnmpTimeout:
                return None

        wait_or_raise(answers, timeout, "snmpd to answer")

    @property
    def module_conf_dir(self):
        return self.workdir.path("snmpd-module")

    def start_module(self, agent, config_lines=(), extra_config=(),
                     wait_served=True, timeout=20):
        """snmpd with XEN-VIF-MIB loaded into it (dlmod) in place of the
        agent process (an Agent: its configuration and environment), no
        AgentX.  config_lines become xen-vif-agent.conf as for
        Agent.start (None keeps the current file, False leaves none: the
        module's defaults); snmpd finds it on its SNMPCONFPATH, beside
        its own snmpd.conf, and logs both to snmpd.log.  With
        wait_served, waits until xenVifNumber.0 answers."""
        if self.daemon.running:
            raise RigError("snmpd is already running")
        if not os.path.exists(MODULE):
            raise RigError("no module at %s (build it, or set XVA_MODULE)"
                           % MODULE)
        agent.place_config(config_lines)
        self.config = list(extra_config)
        self.module_agent = agent
        self.own_config = None
        self.tools.auth = self.tools.DEFAULT_AUTH
        os.makedirs(self.module_conf_dir, exist_ok=True)
        with open(os.path.join(self.module_conf_dir, "snmpd.conf"), "w") as f:
            f.write("\n".join([
                "rocommunity %s 127.0.0.1" % COMMUNITY,
                "dlmod xen_vif_mib %s" % MODULE,
            ] + switch_access() + self.config) + "\n")
        # A second log, of warnings and worse, as a distribution's
        # unit adds one (Debian's: -LOw): the module must leave
        # snmpd's handlers as it found them.
        self.daemon.start(in_ns(self.ns, [
            "snmpd", "-f", "-A", "-Lf", self.workdir.path("snmpd.log"),
            "-LF", "w", self.workdir.path("snmpd-warnings.log"),
            "-p", self.workdir.path("snmpd.pid"), "udp:%s" % SNMP_ADDRESS]),
            env=self.module_env(agent))

        def answers():
            self._check_alive()
            try:
                value = self.tools.snmpget(XEN_VIF_NUMBER if wait_served
                                           else SYS_UPTIME, timeout=0.5,
                                           retries=0)[0]
            except SnmpTimeout:
                return None
            return not value.is_exception

        wait_or_raise(answers, timeout, "snmpd to serve XEN-VIF-MIB"
                      if wait_served else "snmpd to answer")

    def module_env(self, agent):
        """snmpd's environment with the module: the agent's (xenstore,
        hypervisor, sanitizer reports), snmpd's persistent directory,
        and a search path with snmpd.conf and xen-vif-agent.conf.  A
        sanitized module needs its runtimes loaded before anything."""
        env = agent.env()
        env["SNMPCONFPATH"] = "%s:%s" % (self.module_conf_dir,
                                         self.workdir.agent_conf_dir)
        env["SNMP_PERSISTENT_DIR"] = self.workdir.path("snmpd-persist")
        runtimes = sanitizer_runtimes(MODULE)
        if runtimes:
            env["LD_PRELOAD"] = ":".join(
                runtimes + [p for p in env.get("LD_PRELOAD", "").split(":")
                            if p])
            # snmpd's own allocations, never freed at exit, are not
            # the module's leaks.
            env["ASAN_OPTIONS"] = join_opts(env["ASAN_OPTIONS"],
                                            "detect_leaks=0")
        return env

    def stop(self):
        return self.daemon.stop()

    def restart(self):
        """Stop and start again, same config and AgentX socket (or the
        same module and its configuration file, or the same whole
        snmpd.conf)."""
        self.stop()
        if self.module_agent is not None:
            self.start_module(self.module_agent, None, self.config)
        elif self.own_config is not None:
            self.start_with_config(*self.own_config)
        else:
            self.start(self.config)

    def log(self):
        return tail(self.workdir.path("snmpd.log"), 10 ** 9)


# ---------------------------------------------------------------------------
# snmptrapd
# ---------------------------------------------------------------------------

class Snmptrapd(_Background):
    """A real snmptrapd in namespace ns on udp:TRAP_ADDRESS (give snmpd
    TRAP_SINK) that records every notification it receives."""

    def __init__(self, workdir, ns):
        self.workdir = workdir
        self.ns = ns
        self.daemon = Daemon("snmptrapd", workdir.path("snmptrapd.out"))

    @property
    def traps_file(self):
        return self.workdir.path("traps.jsonl")

    def start(self, handlers=(), timeout=20):
        """Every notification is recorded for traps(); handlers are extra
        (OID, command line) pairs run for those notifications, as
        snmptrapd.conf's traphandle does.  OIDs are printed numeric."""
        conf = self.workdir.path("snmptrapd.conf")
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
        env = self.workdir.snmp_env("snmptrapd-persist")
        env.update(MIBS="", MIBDIRS=self.workdir.path("nomibs"))
        self.daemon.start(in_ns(self.ns, [
            "snmptrapd", "-f", "-C", "-c", conf, "-On", "-A",
            "-Lf", self.workdir.path("snmptrapd.log"),
            "-p", self.workdir.path("snmptrapd.pid"),
            "udp:%s" % TRAP_ADDRESS]), env=env)

        def listening():
            if not self.daemon.running:
                raise RigError("snmptrapd exited:\n" + self.daemon.log_tail())
            out = run(in_ns(self.ns, ["ss", "-H", "-lun"]), check=False).stdout
            return ":1162" in out

        wait_or_raise(listening, timeout, "snmptrapd to listen")

    def stop(self):
        return self.daemon.stop()

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


# ---------------------------------------------------------------------------
# The agent
# ---------------------------------------------------------------------------

class Agent(_Background):
    """xen-vif-agent in namespace ns, registering over AgentX with master
    (the Snmpd), reading hypervisor (a Hypervisor) through libxenstat,
    checked through tools (SnmpTools); configuration, state file and
    logs in the work dir, sanitizer reports too."""

    def __init__(self, workdir, ns, hypervisor, tools, master):
        self.workdir = workdir
        self.ns = ns
        self.hypervisor = hypervisor
        self.tools = tools
        self.master = master
        self.daemon = Daemon("xen-vif-agent", workdir.path("agent.out"))

    @property
    def config_file(self):
        return os.path.join(self.workdir.agent_conf_dir,
                            "xen-vif-agent.conf")

    @property
    def state_file(self):
        return self.workdir.path("agent-state", "xen-vif-agent.state")

    @property
    def log_file(self):
        return self.workdir.path("agent.log")

    @property
    def counter_source(self):
        """The agent's counter collector in these tests: netlink, or
        xenstat when XVA_COUNTER_SOURCE says so (tests run both)."""
        return os.environ.get("XVA_COUNTER_SOURCE", "netlink")

    def place_config(self, config_lines):
        """xen-vif-agent.conf for a run: config_lines written (with the
        rig's defaults), None keeps the current file (or writes the
        defaults if there is none), False leaves no file at all."""
        if config_lines is False:
            if os.path.exists(self.config_file):
                os.remove(self.config_file)
        elif config_lines is not None or not os.path.exists(
                self.config_file):
            self.write_config(config_lines or ())

    def write_config(self, config_lines):
        """config_lines, and the rig's defaults for what they leave out:
        the counter source under test, the fake sysfs, the state file, the
        classifier's pins (this dom0's own), or no classifier when
        XVA_CLASSIFIER=no."""
        lines = list(config_lines)
        tokens = {ln.split()[0].lower() for ln in lines if ln.split()}
        if "classifierpins" not in tokens:
            self.workdir.mount_bpf_fs()
            lines.append("classifierPins %s" % self.workdir.classifier_pins)
        if "classifier" not in tokens and \
                os.environ.get("XVA_CLASSIFIER", "yes") == "no":
            lines.append("classifier no")
        if "countersource" not in tokens and self.counter_source != "netlink":
            lines.append("counterSource %s" % self.counter_source)
        if "sysfsroot" not in tokens:
            lines.append("sysfsRoot %s" % self.workdir.fake_sysfs_root)
        if "statefile" not in tokens:
            lines.append("stateFile %s" % self.state_file)
        with open(self.config_file, "w") as handle:
            handle.write("\n".join(lines) + "\n")

    def env(self, env_extra=None):
        """Environment of the agent: our xenstore and net-snmp dirs, and
        sanitizers that write reports into the work dir."""
        env = self.workdir.snmp_env("agent-persist")
        env["XENSTORED_PATH"] = self.workdir.xenstored_path
        env["SNMPCONFPATH"] = self.workdir.agent_conf_dir
        report = self.workdir.path("sanitizer")
        # verify_asan_link_order=0: tests may preload libfaketime.
        env["ASAN_OPTIONS"] = join_opts(
            os.environ.get("ASAN_OPTIONS"),
            "log_path=%s.asan:verify_asan_link_order=0" % report)
        env["LSAN_OPTIONS"] = join_opts(os.environ.get("LSAN_OPTIONS"),
                                        "log_path=%s.lsan" % report)
        env["UBSAN_OPTIONS"] = join_opts(
            os.environ.get("UBSAN_OPTIONS"),
            "log_path=%s.ubsan:halt_on_error=1:print_stacktrace=1" % report)
        # The simulated hypervisor, for libxenstat (a test's own preload,
        # such as libfaketime, comes along).
        return self.hypervisor.add_to_env(env, env_extra)

    def start(self, config_lines=(), args=(), wait_registered=True,
              env_extra=None, timeout=20, wrapper=()):
        """Run the agent (foreground mode, log in agent.log); with
        wait_registered, wait until xenVifNumber.0 answers through
        snmpd.  wrapper: a command the agent runs under (capsh to drop
        capabilities)."""
        if self.daemon.running:
            raise RigError("the agent is already running")
        if not os.access(AGENT, os.X_OK):
            raise RigError("no agent binary at %s (build it, or set "
                           "XVA_AGENT)" % AGENT)
        self.write_config(config_lines)
        self._save_previous_log()
        self.daemon.start(in_ns(self.ns, list(wrapper) + [
            AGENT, "-f", "-Lf", self.log_file,
            "-x", "unix:%s" % self.workdir.agentx_socket] + list(args)),
            env=self.env(env_extra))
        if wait_registered:
            self.wait_registered(timeout)

    def _save_previous_log(self):
        """The agent's -Lf truncates its log: keep earlier runs' logs in
        agent.log.prev for post-mortems; log() is this run's."""
        if os.path.exists(self.log_file):
            with open(self.log_file, "rb") as src, \
                    open(self.log_file + ".prev", "ab") as dst:
                shutil.copyfileobj(src, dst)
            os.unlink(self.log_file)

    def wait_registered(self, timeout=20):
        if not self.master.running:
            raise RigError("snmpd is not running: start_snmpd() first")

        def registered():
            if not self.daemon.running:
                raise RigError("the agent exited with %s:\n%s%s" % (
                    self.daemon.proc.returncode, self.log(),
                    self.daemon.log_tail()))
            value = self.tools.snmpget(XEN_VIF_NUMBER, timeout=1,
                                       retries=0)[0]
            return not value.is_exception

        wait_or_raise(registered, timeout, "the agent to register")

    def stop(self, timeout=10):
        """SIGTERM; returns the exit status (negative: killed by signal)."""
        return self.daemon.stop(timeout)

    def kill(self):
        return self.daemon.kill()

    def log(self):
        return tail(self.log_file, 10 ** 9) \
            if os.path.exists(self.log_file) else ""

    def output(self):
        """What the agent wrote to stdout/stderr."""
        return tail(self.daemon.logfile, 10 ** 9) \
            if os.path.exists(self.daemon.logfile) else ""

    def run_once(self, args, config_lines=None, timeout=10, env_extra=None):
        """Run the agent with exactly args and wait for it: (exit status,
        stdout, stderr).  config_lines replaces the config file (defaults
        added as for start); None keeps the current one (or writes the
        defaults if there is none); False leaves none."""
        self.place_config(config_lines)
        res = subprocess.run(in_ns(self.ns, [AGENT] + list(args)),
                             capture_output=True, text=True,
                             errors="surrogateescape", timeout=timeout,
                             env=self.env(env_extra),
                             stdin=subprocess.DEVNULL,
                             preexec_fn=die_with_parent)
        return res.returncode, res.stdout, res.stderr
