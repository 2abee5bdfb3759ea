#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Many vifs hooked by the classifier while the agent goes on answering.
A tcx link waits for an RCU grace period to go on (about 12 ms here), so
160 vifs, 320 links, take seconds: the agent hooks a few at a time and
serves requests between, says when devices wait and when the last of
them is hooked, and in the end counts every vif."""

import re

from common import FAST, Dom0, kernel_has_tcx, tap, wait_until
from bulk_vms import BulkVms

VMS = 160
VIF_NUMBER = ".1.3.6.1.4.1.8072.9999.98.1.1.0"    # xenVifNumber
OUT_FOREIGN = "XEN-VIF-MIB::xenVifHCOutForeignOctets"
WAITING = re.compile(r"eBPF classifier: (\d+) devices wait for their "
                     r"(tcx links|tc filters) \(each takes the kernel a "
                     r"while\): hooked a few at a time, the agent answering "
                     r"between; a device's traffic is split once it is hooked")
HOOKED = re.compile(r"eBPF classifier: every device is hooked now, (\d+) of "
                    r"them in \d+\.\d s")


def counted(dom0):
    """How many rows have the classifier's columns."""
    return len(dom0.snmpwalk(OUT_FOREIGN, timeout=5))


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        BulkVms(dom0).add(1, VMS)
        dom0.start_snmpd()
        dom0.start_agent(FAST)
        tcx = kernel_has_tcx(dom0)
        if tcx:
            try:
                log = wait_until(lambda: WAITING.search(dom0.agent.log())
                                 and dom0.agent.log(), 30,
                                 "the agent to say devices wait")
            except TimeoutError:
                t.fail("devices wait for their tcx links", dom0.agent.log())
                return
            found = WAITING.search(log)
            t.ok(found.group(2) == "tcx links" and 0 < int(found.group(1)) < VMS,
                 "devices wait for their tcx links: %s of %d" % (found.group(1),
                                                                  VMS),
                 diag=found.group(0))
            # Not an AgentX timeout (snmpd gives up on a subagent after
            # a second): the agent answers between its hooking.
            answer = dom0.snmpget(VIF_NUMBER, timeout=1, retries=0)[0]
            t.is_(None if answer.is_exception else int(answer), VMS,
                  "meanwhile the agent answers: %d rows" % VMS)
            t.ok(not HOOKED.search(dom0.agent.log()),
                 "before the last device was hooked")
        else:
            t.skip("devices wait for their tcx links", "this kernel has no tcx")
            t.skip("meanwhile the agent answers", "this kernel has no tcx")
            t.skip("before the last device was hooked", "this kernel has no tcx")
        try:
            wait_until(lambda: counted(dom0) == VMS, 120,
                       "every vif counted")
        except TimeoutError:
            pass
        t.is_(counted(dom0), VMS, "in the end every vif is counted")
        log = dom0.agent.log()
        if tcx:
            said = HOOKED.findall(log)
            t.ok(said and sum(int(n) for n in said) == VMS,
                 "and the agent says every device is hooked, %d of them" % VMS,
                 diag="\n".join(line for line in log.splitlines()
                                if "eBPF classifier" in line))
        else:
            t.skip("the agent says every device is hooked",
                   "this kernel has no tcx")


tap.run(main)
