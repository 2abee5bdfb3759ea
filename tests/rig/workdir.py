# SPDX-License-Identifier: ISC
"""Where the simulated dom0 finds the project, and the work dir it keeps
its files in: the paths more than one of its parts use, and the
environments of the programs it runs.

Environment: XVA_SRCDIR (project source, default two levels above this
file), XVA_BUILDDIR (default XVA_SRCDIR)."""

import glob
import os
import shutil
import subprocess
import tempfile

from processes import RigError

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("XVA_SRCDIR") or os.path.dirname(
    os.path.dirname(HERE))
BUILDDIR = os.environ.get("XVA_BUILDDIR") or SRCDIR
# A bpf filesystem of the rig's own: ip netns exec mounts a fresh /sys
# for the namespace, hiding /sys/fs/bpf from the agent run in it.
BPF_FS = "/run/xva-bpf"

# MIB modules the tools need, from Erlang's SNMP application, plus ours.
ERLANG_MIBS = ("SNMPv2-SMI", "SNMPv2-TC", "SNMPv2-CONF", "SNMPv2-MIB",
               "SNMP-FRAMEWORK-MIB", "INET-ADDRESS-MIB")


class Workdir:
    """One dom0's directory: root is the given directory (never removed)
    or a fresh temporary one (own: the caller removes it when done)."""

    def __init__(self, root=None):
        self.own = root is None
        self.root = self._make(root)
        # What more than one part reads or writes.
        self.xenstored_path = self.path("xenstored.sock")
        self.agentx_socket = self.path("agentx.sock")
        self.fake_sysfs_root = self.path("sys")
        self.mib_dir = self.path("mibs")
        # What the simulated hypervisor says (hypervisor.py).
        self.fixture_path = self.path("hypervisor.fixture")
        # xen-vif-agent.conf's, for the agent and for snmpd with the module.
        self.agent_conf_dir = self.path("agentconf")
        # The classifier's pinned maps: one directory per dom0, in the
        # host's one bpf filesystem (tests run side by side).
        self.classifier_pins = os.path.join(
            BPF_FS, os.path.basename(self.root.rstrip("/")))

    @staticmethod
    def _make(root):
        if root is None:
            # Unix socket paths must stay under 108 bytes: prefer /tmp to
            # a long $TMPDIR.
            base = tempfile.gettempdir()
            if len(base) > 40:
                base = "/tmp"
            return tempfile.mkdtemp(prefix="xva-%d-" % os.getpid(),
                                    dir=base)
        os.makedirs(root, exist_ok=True)
        return os.path.abspath(root)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def remove_classifier_pins(self):
        """What an agent killed before it could clean up left pinned
        (its hooks went with the namespace's devices)."""
        shutil.rmtree(self.classifier_pins, ignore_errors=True)

    @staticmethod
    def mount_bpf_fs():
        """The rig's bpf filesystem, mounted once: the classifier pins
        its maps there.  False if it cannot be mounted (not root)."""
        if os.path.ismount(BPF_FS):
            return True
        if os.geteuid() != 0:
            return False
        os.makedirs(BPF_FS, exist_ok=True)
        return subprocess.run(["mount", "-t", "bpf", "bpf", BPF_FS],
                              check=False).returncode == 0

    # -- environments -------------------------------------------------------

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

    # -- filling it ---------------------------------------------------------

    def make_dirs(self):
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

    def make_mib_dir(self):
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
