# SPDX-License-Identifier: ISC
"""Many VMs at once on the simulated dom0, for benchmarks and tests that
need hundreds or thousands of vifs: add_vm() makes one VM at a time with
a namespace of its own, which takes minutes for a thousand."""

import os
import tempfile
import uuid as uuidlib

from processes import run


def vm_uuid(domid):
    """The UUID BulkVms gives the VM of a domid."""
    return str(uuidlib.UUID(int=domid))


class BulkVms:
    """Many VMs at once: links by ip -batch, xenstore written directly,
    the hypervisor's fixture by hand (the rig's add_vm is one VM at a
    time, with a namespace each)."""

    # A Linux bridge takes at most 1024 ports (BR_MAX_PORTS): a thousand
    # vifs to a bridge, as a dense dom0 spreads them anyway.
    PER_BRIDGE = 1000

    def __init__(self, d0):
        self.d0 = d0
        self.guests = d0.prefix + "gb"
        d0.network.add_namespace(self.guests)
        self.domids = []
        self.bridges = {"xenbr0"}

    def bridge(self, domid):
        return "xenbr%d" % ((domid - 1) // self.PER_BRIDGE)

    def add(self, first, count):
        ns = self.d0.ns
        dom0_batch, guest_batch = [], []
        for d in range(first, first + count):
            if self.bridge(d) not in self.bridges:
                self.bridges.add(self.bridge(d))
                dom0_batch.append("link add %s type bridge" % self.bridge(d))
                dom0_batch.append("link set %s up" % self.bridge(d))
            dom0_batch.append("link add vif%d.0 type veth peer name g%d netns %s"
                              % (d, d, self.guests))
            dom0_batch.append("link set vif%d.0 master %s up"
                              % (d, self.bridge(d)))
            guest_batch.append("link set g%d up" % d)
        self._batch(ns, dom0_batch)
        self._batch(self.guests, guest_batch)
        xs = self.d0.xs
        for d in range(first, first + count):
            uuid = vm_uuid(d)
            be = "/local/domain/0/backend/vif/%d/0" % d
            for path, value in (
                    ("/local/domain/%d/name" % d, "vm%d" % d),
                    ("/local/domain/%d/vm" % d, "/vm/" + uuid),
                    ("/local/domain/%d/domid" % d, str(d)),
                    ("/vm/%s/uuid" % uuid, uuid),
                    (be + "/frontend-id", str(d)),
                    (be + "/mac", "00:16:3e:%02x:%02x:%02x" % (
                        d >> 16 & 255, d >> 8 & 255, d & 255)),
                    (be + "/bridge", self.bridge(d)),
                    (be + "/handle", "0"),
                    (be + "/state", "4")):
                xs.write(path, value)
            xs.introduce_domain(d)
            self.domids.append(d)
        self._fixture()

    def _batch(self, ns, commands):
        with tempfile.NamedTemporaryFile("w", suffix=".ip") as f:
            f.write("\n".join(commands) + "\n")
            f.flush()
            run(["ip", "-n", ns, "-batch", f.name])

    def _fixture(self):
        lines = ["physinfo cpus=4 cpu_khz=2400000 total_pages=67108864 "
                 "free_pages=1048576", "version major=4 minor=17 extra=.7",
                 "domain 0 state=running vcpus=4 tot_pages=262144 "
                 "max_pages=unlimited cpu_ns=1"]
        lines += ["domain %d state=running vcpus=1 tot_pages=65536 "
                  "max_pages=131072 cpu_ns=%d" % (d, d) for d in self.domids]
        tmp = self.d0.fixture_path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.rename(tmp, self.d0.fixture_path)
