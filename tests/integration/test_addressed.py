#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Traffic addressed to a VM told apart from traffic a bridge floods to
it: the classifier on the vifs' hooks (tcx links where the kernel has
them, else tc filters), through a real snmpd, with the
bridge flooding unknown unicast as every Linux bridge does.  Exact frames
from the guests' namespaces; the classifier's columns, the VMs' addressed
Out usage, the switch view's broadcast and multicast counters; a restart
and a kill -9 (counters go on, hooks never twice); a vif re-created; on
tc filters beside the shaping handler, and refusing a vif an older
handler's "ingress" qdisc holds; the classifier refused for lack of
privilege."""

import json
import os

from common import (FAST, NO_SUCH_INSTANCE, Dom0, Vif, index_of,
                    kernel_has_tcx, notification, port, row, run_handler, tap,
                    tcx_query, vm_index, vm_row, wait_until)
from dom0 import in_ns, run

A_UUID = "a1a1a1a1-0d3b-4c8e-9a51-3b2f7d0e4a11"
B_UUID = "b2b2b2b2-0d3b-4c8e-9a51-3b2f7d0e4a11"
C_UUID = "c3c3c3c3-0d3b-4c8e-9a51-3b2f7d0e4a11"
A_MAC, B_MAC, C_MAC = ("00:16:3e:aa:00:01", "00:16:3e:bb:00:01",
                       "00:16:3e:cc:00:01")
UNKNOWN = "02:00:00:99:99:99"      # no port has it: flooded
BROADCAST = "ff:ff:ff:ff:ff:ff"
MULTICAST = "01:00:5e:00:00:fb"
FORGED = "02:00:00:de:ad:01"
TC_HANDLE = "0x58564946"           # lib/classifier_tc.c: "XVIF"
SPLIT = ("xenVifHCOutOctets", "xenVifHCOutForeignOctets",
         "xenVifHCOutForeignPkts", "xenVifHCOutBroadcastPkts",
         "xenVifHCOutMulticastPkts", "xenVifHCInForeignSourceOctets",
         "xenVifHCInForeignSourcePkts", "xenVifHCInBroadcastPkts",
         "xenVifHCInMulticastPkts")
VM_OUT = ("xenVifVmPeriodOutOctets", "xenVifVmPeriodOutForeignOctets",
          "xenVifVmOutAccounting")
ALL, ADDRESSED, MIXED = 1, 2, 3
# The agent as root without the capabilities eBPF needs: capsh drops
# them from the bounding set, and the exec'd agent has none of them.
NO_PRIVILEGE = ["capsh", "--drop=cap_bpf,cap_perfmon,cap_sys_admin,"
                "cap_net_admin", "--", "-c", 'exec "$0" "$@"']


def split(dom0, vm):
    got = row(dom0, index_of(vm), SPLIT)
    return {k: (None if v.is_exception else int(v)) for k, v in got.items()}


def vm_out(dom0, vm):
    return {k: int(v) for k, v in vm_row(dom0, vm_index(vm), VM_OUT).items()}


def plus(base, **delta):
    return {k: v + delta.get(k, 0) for k, v in base.items()}


def wait_values(dom0, read, vm, want, what, timeout=10):
    """Poll read(dom0, vm) until it equals want; the last reading if not."""
    try:
        return wait_until(lambda: read(dom0, vm) == want and want, timeout, what)
    except TimeoutError:
        return read(dom0, vm)


def hooks(dom0, ifname):
    """How many of our programs sit on the device, per direction, as tc
    filters and as tcx links together: one is right, two never."""
    counts = []
    for n, direction in enumerate(("ingress", "egress")):
        out = run(in_ns(dom0.ns, ["tc", "filter", "show", "dev", ifname,
                                  direction])).stdout
        names = [json.loads(run(["bpftool", "-j", "prog", "show", "id",
                                 pid]).stdout).get("name")
                 for pid in tcx_query(dom0, ifname)[n][1:]]
        counts.append(out.count("handle %s " % TC_HANDLE) +
                      names.count("xv_" + direction))
    return counts


def send(dom0, vm, count, size, dst, src=None):
    dom0.network.send(vm.netns, vm.guest_ifname(0), count, size, dst, src)


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        a = dom0.add_vm("guest-a", 11, A_UUID, vifs=[Vif(0, mac=A_MAC)])
        b = dom0.add_vm("guest-b", 12, B_UUID, vifs=[Vif(0, mac=B_MAC)])
        c = dom0.add_vm("guest-c", 13, C_UUID, vifs=[Vif(0, mac=C_MAC)])
        dom0.start_snmpd()
        config = FAST + ("quota * 1G out",)
        dom0.start_agent(config)
        try:
            wait_until(lambda: all(split(dom0, vm)["xenVifHCOutForeignOctets"]
                                   is not None for vm in (a, b, c)), 10,
                       "the classifier to count every vif")
        except TimeoutError:
            t.fail("the classifier counts every vif", dom0.agent.log())
            return
        kind = "tcx" if kernel_has_tcx(dom0) else "tc"
        t.ok("classifier running on %s hooks" % kind in dom0.agent.log(),
             "the classifier runs on %s hooks (this kernel's best)" % kind,
             diag=dom0.agent.log())
        t.is_(hooks(dom0, a.ifname(0)), [1, 1], "one of ours per hook of a served vif")
        base = {vm.name: split(dom0, vm) for vm in (a, b, c)}
        usage = {vm.name: vm_out(dom0, vm) for vm in (a, b, c)}
        t.is_(usage["guest-b"]["xenVifVmOutAccounting"], ADDRESSED,
              "a classified VM's Out is accounted as addressed")

        # Flooded: A sends 5 x 500 octets to a MAC no port has.
        send(dom0, a, 5, 500, UNKNOWN)
        for vm in (b, c):
            want = plus(base[vm.name], xenVifHCOutOctets=2500,
                        xenVifHCOutForeignOctets=2500, xenVifHCOutForeignPkts=5)
            t.is_(wait_values(dom0, split, vm, want, "the flood at " + vm.name),
                  want, "%s: Out and foreign Out each grew by the 5 flooded "
                  "frames, 2500 octets" % vm.name)
            want = plus(usage[vm.name], xenVifVmPeriodOutForeignOctets=2500)
            t.is_(wait_values(dom0, vm_out, vm, want, "usage of " + vm.name),
                  want, "%s: its addressed usage did not move, the flooded "
                  "octets are counted apart" % vm.name)
        t.is_(split(dom0, a), base["guest-a"], "the sender's Out saw nothing")

        # Addressed: B sends 3 x 300 to A's MAC, which the bridge learned.
        base = {vm.name: split(dom0, vm) for vm in (a, b, c)}
        usage = {vm.name: vm_out(dom0, vm) for vm in (a, b, c)}
        send(dom0, b, 3, 300, A_MAC)
        want = plus(base["guest-a"], xenVifHCOutOctets=900)
        t.is_(wait_values(dom0, split, a, want, "A's frames"), want,
              "to A's own MAC: A's Out alone, nothing foreign")
        want = plus(usage["guest-a"], xenVifVmPeriodOutOctets=900)
        t.is_(wait_values(dom0, vm_out, a, want, "A's usage"), want,
              "and A's usage grew by them")
        t.is_(split(dom0, c), base["guest-c"], "C saw nothing of it")

        # Broadcast and multicast: counted apart, and billed (they are
        # addressed to every VM).
        base = {vm.name: split(dom0, vm) for vm in (a, b, c)}
        usage = {vm.name: vm_out(dom0, vm) for vm in (a, b, c)}
        send(dom0, a, 2, 100, BROADCAST)
        send(dom0, a, 3, 100, MULTICAST)
        want = plus(base["guest-b"], xenVifHCOutOctets=500,
                    xenVifHCOutBroadcastPkts=2, xenVifHCOutMulticastPkts=3)
        t.is_(wait_values(dom0, split, b, want, "broadcast at B"), want,
              "B: 2 broadcast and 3 multicast frames Out")
        want = plus(usage["guest-b"], xenVifVmPeriodOutOctets=500)
        t.is_(wait_values(dom0, vm_out, b, want, "B's usage"), want,
              "and billed to B")
        want = plus(base["guest-a"], xenVifHCInBroadcastPkts=2,
                    xenVifHCInMulticastPkts=3)
        t.is_(wait_values(dom0, split, a, want, "A's In"), want,
              "A: sent 2 broadcast and 3 multicast frames (In)")
        sw = port(dom0, index_of(b), ("ifHCOutBroadcastPkts",
                                      "ifHCOutMulticastPkts", "ifOutNUcastPkts"))
        t.is_({k: int(v) for k, v in sw.items()},
              {"ifHCOutBroadcastPkts": 2, "ifHCOutMulticastPkts": 3,
               "ifOutNUcastPkts": 5},
              "the switch view's broadcast and multicast counters are the split")

        # A forged source: A sends 4 x 200 to B as 02:00:00:de:ad:01.
        base = {vm.name: split(dom0, vm) for vm in (a, b)}
        send(dom0, a, 4, 200, B_MAC, FORGED)
        want = plus(base["guest-a"], xenVifHCInForeignSourceOctets=800,
                    xenVifHCInForeignSourcePkts=4)
        t.is_(wait_values(dom0, split, a, want, "the forged frames"), want,
              "A: 4 frames from a source MAC not its own")

        # A clean restart: hooks and pins gone, counts go on.
        pins = dom0.work.classifier_pins
        t.is_(dom0.agent.stop(), 0, "the agent stops cleanly")
        t.is_(hooks(dom0, b.ifname(0)), [0, 0], "its hooks are gone")
        t.ok(not os.path.exists(pins), "and its pinned maps", diag=pins)
        dom0.start_agent(config)
        base_b = wait_until(lambda: split(dom0, b)["xenVifHCOutForeignOctets"]
                            is not None and split(dom0, b), 10,
                            "the classifier back on B")
        send(dom0, a, 2, 400, UNKNOWN)
        want = plus(base_b, xenVifHCOutOctets=800, xenVifHCOutForeignOctets=800,
                    xenVifHCOutForeignPkts=2)
        t.is_(wait_values(dom0, split, b, want, "after a restart"), want,
              "after a restart the counters go on, exactly")

        # kill -9: hooks and pins stay and keep counting; the next start
        # takes them over, never hooking twice.
        base_b = split(dom0, b)
        dom0.agent.kill()
        t.is_(hooks(dom0, b.ifname(0)), [1, 1], "killed: the hooks stay")
        send(dom0, a, 3, 100, UNKNOWN)
        dom0.start_agent(config)
        want = plus(base_b, xenVifHCOutOctets=300, xenVifHCOutForeignOctets=300,
                    xenVifHCOutForeignPkts=3)
        t.is_(wait_values(dom0, split, b, want, "after kill -9"), want,
              "frames flooded while the agent was dead are counted")
        wait_until(lambda: hooks(dom0, c.ifname(0)) == [1, 1], 10,
                   "C hooked again")
        t.is_([hooks(dom0, vm.ifname(0)) for vm in (a, b, c)], [[1, 1]] * 3,
              "and every vif has one of ours per hook, not two")

        # A vif re-created (a reboot): the new device is hooked.
        c = dom0.reboot_vm(c, 23)
        wait_until(lambda: hooks(dom0, c.ifname(0)) == [1, 1], 10,
                   "C's new vif hooked")
        base_c = wait_until(lambda: split(dom0, c)["xenVifHCOutForeignOctets"]
                            is not None and split(dom0, c), 10,
                            "C counted again")
        send(dom0, a, 1, 1000, UNKNOWN)
        want = plus(base_c, xenVifHCOutOctets=1000,
                    xenVifHCOutForeignOctets=1000, xenVifHCOutForeignPkts=1)
        t.is_(wait_values(dom0, split, c, want, "C after its reboot"), want,
              "the rebooted VM's row goes on counting floods")

        # Beside the shaping handler on tc filters (kernels before 6.6).
        # An older handler's "ingress" qdisc on C: the classifier refuses
        # C, saying why, until the handler takes it off.  The policer
        # then shares the vifs' clsact with the classifier's filters.
        t.is_(dom0.agent.stop(), 0, "stopped, to start again on tc filters")
        bdev, cdev = b.ifname(0), c.ifname(0)
        run(in_ns(dom0.ns, ["tc", "qdisc", "add", "dev", cdev, "ingress"]))
        dom0.start_agent(config + ("classifierHooks tc",))
        refused = ("eBPF classifier: %s: its ingress side holds an ingress "
                   "qdisc, not clsact" % cdev)
        try:
            wait_until(lambda: hooks(dom0, bdev) == [1, 1] and
                       refused in dom0.agent.log(), 10,
                       "the classifier on tc filters")
        except TimeoutError:
            pass
        t.ok(hooks(dom0, bdev) == [1, 1] and hooks(dom0, cdev) == [0, 0] and
             dom0.agent.log().count(refused) == 1,
             "on tc filters: B is hooked; C, with an ingress qdisc, is not, "
             "and the log says why, once", diag=dom0.agent.log())
        t.is_(split(dom0, c)["xenVifHCOutForeignOctets"], None,
              "C's split has no instance")

        def qdiscs(dev):
            return run(in_ns(dom0.ns, ["tc", "qdisc", "show", "dev",
                                       dev])).stdout

        for vm in (b, c):
            res = run_handler(dom0, "xen-vif-shape", notification(
                "exceeded", vm.ifname(0), name=vm.name), "--rate", "3mbit")
            t.is_(res.returncode, 0, "xen-vif-shape limits %s" % vm.name)
        t.ok("tbf" in qdiscs(bdev) and "tbf" in qdiscs(cdev) and
             "qdisc ingress" not in qdiscs(cdev),
             "B and C have the token bucket; C's ingress qdisc is gone",
             diag=qdiscs(bdev) + qdiscs(cdev))
        with open(dom0.path("handler.log")) as f:
            handler_log = f.read()
        police = run(in_ns(dom0.ns, ["tc", "filter", "show", "dev", bdev,
                                     "ingress"])).stdout
        t.ok("pref 40000 u32" in police or
             "%s: the kernel cannot police ingress" % bdev in handler_log,
             "B's policer is on its clsact after the classifier's filter, "
             "or the handler says the kernel cannot police",
             diag=police + handler_log)
        t.is_(hooks(dom0, bdev), [1, 1], "B keeps the classifier's filters")
        try:
            wait_until(lambda: hooks(dom0, cdev) == [1, 1] and
                       split(dom0, c)["xenVifHCOutForeignOctets"] is not None,
                       10, "C hooked")
        except TimeoutError:
            pass
        t.ok(hooks(dom0, cdev) == [1, 1] and
             "eBPF classifier: %s is counted now" % cdev in dom0.agent.log(),
             "a follow later C is hooked, and the log says it is counted",
             diag=dom0.agent.log())
        base = {vm.name: split(dom0, vm) for vm in (b, c)}
        send(dom0, a, 2, 400, UNKNOWN)
        for vm in (b, c):
            want = plus(base[vm.name], xenVifHCOutOctets=800,
                        xenVifHCOutForeignOctets=800, xenVifHCOutForeignPkts=2)
            t.is_(wait_values(dom0, split, vm, want, "the flood, shaped"),
                  want, "%s shaped: the flood counted exactly" % vm.name)
        for vm in (b, c):
            run_handler(dom0, "xen-vif-shape", notification(
                "cleared", vm.ifname(0), name=vm.name))
        t.ok("tbf" not in qdiscs(bdev) + qdiscs(cdev) and
             hooks(dom0, bdev) == [1, 1] and hooks(dom0, cdev) == [1, 1] and
             "clsact" in qdiscs(bdev),
             "cleared: the limits go, the classifier's filters and their "
             "clsact stay", diag=qdiscs(bdev) + qdiscs(cdev))

        # No privilege: the agent says why, serves no split, bills all.
        t.is_(dom0.agent.stop(), 0, "stopped again")
        dom0.start_agent(config, wrapper=NO_PRIVILEGE)
        log = wait_until(lambda: "cannot classify traffic" in dom0.agent.log()
                         and dom0.agent.log(), 10, "the agent to say so")
        lines = [ln for ln in log.splitlines() if "cannot classify" in ln]
        t.is_(len(lines), 1, "said once")
        t.ok("no privilege (CAP_BPF and CAP_NET_ADMIN, or root)" in lines[0],
             "and why", diag=lines[0])
        t.is_(row(dom0, index_of(b), ("xenVifHCOutForeignOctets",))
              ["xenVifHCOutForeignOctets"], NO_SUCH_INSTANCE,
              "the classifier's columns have no instance")
        usage_b = vm_out(dom0, b)
        send(dom0, a, 2, 250, UNKNOWN)
        want = dict(usage_b, xenVifVmPeriodOutOctets=usage_b[
            "xenVifVmPeriodOutOctets"] + 500, xenVifVmOutAccounting=MIXED)
        t.is_(wait_values(dom0, vm_out, b, want, "B billed all"), want,
              "unclassified, the flood is billed: the period is mixed")


tap.run(main)
