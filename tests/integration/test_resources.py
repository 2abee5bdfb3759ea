#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""VM resources through the real libxenstat against the simulated
hypervisor: every state, vcpus, memory and CPU time exact; CPU time
carried on across a reboot; a domain dying as libxenstat reads (left
out, silently, the others read on); the hypervisor going away and coming
back (columns without instances meanwhile, said once, counters
unaffected)."""

from common import (FAST, NO_SUCH_INSTANCE, Dom0, Vif, counters, index_of,
                    netlink_only, plus, tap, vm_index, vm_row, wait_counters,
                    wait_until)

RESOURCES = ("xenVifVmState", "xenVifVmVcpus", "xenVifVmMemoryKBytes",
             "xenVifVmMaxMemoryKBytes", "xenVifVmCpuTime")
STATES = {"running": 1, "blocked": 2, "paused": 3, "shutdown": 4,
          "crashed": 5, "dying": 6}
CONFIG = FAST + ("resourceInterval 1",)


def resources(dom0, vm):
    got = vm_row(dom0, vm_index(vm), RESOURCES)
    return {c: (v if v.is_exception else int(v)) for c, v in got.items()}


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, vifs=[Vif(0)], resources={
            "state": "running", "vcpus": 4, "mem_kb": 2097152,
            "max_mem_kb": 4194304, "cpu_ns": 5000000000})
        db = dom0.add_vm("db1", 4, vifs=[Vif(0)], resources={
            "state": "paused", "vcpus": 1, "mem_kb": 1048576,
            "max_mem_kb": 0, "cpu_ns": 42})
        dom0.start_snmpd()
        dom0.start_agent(CONFIG)
        t.is_(resources(dom0, web), {
            "xenVifVmState": 1, "xenVifVmVcpus": 4,
            "xenVifVmMemoryKBytes": 2097152, "xenVifVmMaxMemoryKBytes": 4194304,
            "xenVifVmCpuTime": 5000000000}, "web1: running, 4 vcpus, 2 GiB of 4")
        t.is_(resources(dom0, db), {
            "xenVifVmState": 3, "xenVifVmVcpus": 1,
            "xenVifVmMemoryKBytes": 1048576, "xenVifVmMaxMemoryKBytes": 0,
            "xenVifVmCpuTime": 42}, "db1: paused, no memory limit reads 0")

        for state, value in STATES.items():
            dom0.set_resources(db, state=state)
            t.ok(wait_until(lambda: resources(dom0, db)["xenVifVmState"] == value,
                            5, "db1 " + state),
                 "state %s(%d)" % (state, value))

        dom0.set_resources(web, cpu_ns=7000000000, vcpus=2)
        t.ok(wait_until(lambda: resources(dom0, web)["xenVifVmCpuTime"]
                        == 7000000000, 5, "CPU time 7 s"),
             "CPU time and vcpus follow the hypervisor")
        t.is_(resources(dom0, web)["xenVifVmVcpus"], 2, "2 vcpus now")

        # A reboot: the new domain's CPU time adds on.
        web = dom0.reboot_vm(web, 13, resources={"cpu_ns": 1000000000})
        t.ok(wait_until(lambda: resources(dom0, web)["xenVifVmCpuTime"]
                        == 8000000000, 5, "CPU time 7 + 1 s"),
             "CPU time continues across a reboot: 7 s + the new domain's 1 s")

        # ... and across an agent restart.
        dom0.stop_agent()
        dom0.set_resources(web, cpu_ns=1500000000)
        dom0.start_agent(CONFIG)
        t.ok(wait_until(lambda: resources(dom0, web)["xenVifVmCpuTime"]
                        == 8500000000, 5, "CPU time 8.5 s"),
             "and across an agent restart")

        # A domain dying as libxenstat reads: Xen still lists it, dying,
        # its xenstore tree is gone (libxl removes it first), so
        # libxenstat cannot name it and leaves it out.  The other VMs'
        # resources are read on; nothing is said.
        gone = vm_index(db)
        log_before = dom0.agent_log()
        dom0.destroy_vm(db, dying=True)
        dom0.set_resources(web, cpu_ns=2500000000)
        t.ok(wait_until(lambda: resources(dom0, web)["xenVifVmCpuTime"]
                        == 9500000000, 5, "CPU time 9.5 s"),
             "a dying domain in the hypervisor's list: the others read on")
        t.is_(resources(dom0, web)["xenVifVmState"], 1, "web1 still running")
        t.is_(vm_row(dom0, gone, ["xenVifVmState"])["xenVifVmState"],
              NO_SUCH_INSTANCE, "the dying VM has no resources")
        t.is_(dom0.agent_log()[len(log_before):].count("libxenstat"), 0,
              "and nothing is logged of it",
              ) or t.diag(dom0.agent_log()[len(log_before):])
        dom0.reap_domain(db.domid)

        # The hypervisor goes away: no instances, said once, counters go on.
        dom0.set_hypervisor(False)
        t.ok(wait_until(lambda: resources(dom0, web)["xenVifVmState"]
                        == NO_SUCH_INSTANCE, 5, "the columns to go"),
             "no hypervisor: the resource columns have no instance")
        base = counters(dom0, index_of(web))
        dom0.send_from_guest(web, 0, count=3, size=100)
        expect = plus(base, xenVifHCInOctets=300, xenVifHCInPkts=3)
        # libxenstat's own counters need the hypervisor too.
        moving = netlink_only(t, dom0, "vif counters and accounting go on "
                              "without the hypervisor (2 checks)")
        if moving:
            t.is_(wait_counters(dom0, index_of(web), expect), expect,
                  "the vif counters go on meanwhile")
        wait_until(lambda: dom0.agent_log().count("trying again every 1 s") == 1,
                   5, "the failure logged")
        # The handle that failed is dropped; libxenstat's complaint comes
        # with the next one it opens, a resource interval later.
        try:
            wait_until(lambda: "libxenstat: " in dom0.agent_log(), 5,
                       "libxenstat's complaint")
        except TimeoutError:
            pass
        if moving:
            t.is_(vm_row(dom0, vm_index(web), ["xenVifVmPeriodInOctets"])[
                "xenVifVmPeriodInOctets"], 300, "and so does accounting")
        log = dom0.agent_log()
        t.is_(log.count("trying again every 1 s"), 1,
              "the failure is said once, not every second", ) or t.diag(log)
        t.is_(log.count("libxenstat: "), 1,
              "libxenstat's stderr complaint is logged once") or t.diag(log)
        dom0.set_hypervisor(True)
        t.ok(wait_until(lambda: resources(dom0, web)["xenVifVmState"] == 1, 5,
                        "the columns to come back"),
             "the hypervisor back: the columns are back")
        t.ok("reading VM resources from the hypervisor again" in dom0.agent_log(),
             "and that is said")
        if not moving:
            t.is_(wait_counters(dom0, index_of(web), expect), expect,
                  "the vif counters catch up: nothing lost")
            t.is_(vm_row(dom0, vm_index(web), ["xenVifVmPeriodInOctets"])[
                "xenVifVmPeriodInOctets"], 300, "and so does accounting")
        t.is_(dom0.stop_agent(), 0, "clean exit")


tap.run(main)
