# SPDX-License-Identifier: ISC
"""The simulated hypervisor: tests/rig/fakexc.c, preloaded into a
program, answers the libxenctrl calls libxenstat makes from a fixture
file, which this keeps in step with the simulated domains (dom0, every
live guest, and destroyed ones Xen still lists as dying).

Environment: XVA_FAKEXC (the library, default the one make check builds
under XVA_BUILDDIR)."""

import os

from workdir import BUILDDIR

FAKEXC = os.environ.get("XVA_FAKEXC") or os.path.join(
    BUILDDIR, "tests", "rig", ".libs", "libfakexc.so")


class Hypervisor:
    """What the hypervisor says of guests (an iterable of live Vms, read
    at every write): written to fixture_path by write()."""

    def __init__(self, fixture_path, guests):
        self.fixture_path = fixture_path
        self.guests = guests
        self.present = True
        # Destroyed, but still listed as dying (domid -> its last
        # resources) until reap().
        self.dying = {}

    def set_resources(self, vm, **resources):
        """Changes what the hypervisor says of a VM's domain."""
        vm.resources.update(resources)
        self.write()

    def set_present(self, present):
        """With present False, libxenstat finds no hypervisor, as on a
        machine where Xen does not run."""
        self.present = present
        self.write()

    def domain_dying(self, vm):
        """A destroyed guest's domain, listed as dying until reap()."""
        self.dying[vm.domid] = dict(vm.resources, state="dying")

    def reap(self, domid):
        """The hypervisor lets go of a dying domain."""
        del self.dying[domid]
        self.write()

    def write(self):
        """The fixture: dom0 and every running guest, written
        atomically."""
        lines = ["# written by the test rig"]
        if not self.present:
            lines.append("nohypervisor")
        else:
            lines += ["physinfo cpus=4 cpu_khz=2400000 total_pages=4194304 "
                      "free_pages=1048576",
                      "version major=4 minor=17 extra=.7",
                      "domain 0 state=running vcpus=2 tot_pages=262144 "
                      "max_pages=unlimited cpu_ns=1000000000"]
            domains = [(vm.domid, vm.resources) for vm in self.guests]
            domains += list(self.dying.items())
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

    def add_to_env(self, env, env_extra=None):
        """env for a program that reads this hypervisor through
        libxenstat: the library preloaded (before a preload of
        env_extra's own, such as libfaketime), then env_extra."""
        extra = dict(env_extra or {})
        if os.path.exists(FAKEXC):
            preload = [FAKEXC] + ([extra.pop("LD_PRELOAD")]
                                  if "LD_PRELOAD" in extra else [])
            env["LD_PRELOAD"] = ":".join(preload)
            env["XVA_FAKEXC_FIXTURE"] = self.fixture_path
        env.update(extra)
        return env
