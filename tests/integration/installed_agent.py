#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""An installed xen-vif-agent on the simulated dom0, for the package
tests (tests/debian_package.sh): XVA_AGENT names the daemon, as the
package installed it.  One VM with one vif; the daemon registers with
the rig's snmpd over AgentX; then, read through snmpd: xenVifNumber is
1, the row's xenVifDomainName is the VM's name, and its xenVifHCInOctets
is exactly what the guest sent.  SIGTERM stops it with status 0, and it
leaves its state file where the configuration said.

    XVA_AGENT=/usr/sbin/xen-vif-agent installed_agent.py STATE-FILE

STATE-FILE must not exist yet.  Prints TAP; exit status 1 if a check
failed."""

import os
import sys

from common import FAST, Dom0, Vif, index_of, row, tap, wait_counters

VM_UUID = "3d0c6e51-8f2a-4b7d-9c14-5e6a7b8c9d02"
SENT = (10, 1000)           # frames from the guest, octets each


def main(t):
    tap.require_root(t)
    if len(sys.argv) != 2 or not os.environ.get("XVA_AGENT"):
        t.skip_all("usage: XVA_AGENT=DAEMON installed_agent.py STATE-FILE")
    agent, state_file = os.environ["XVA_AGENT"], sys.argv[1]
    t.ok(not os.path.lexists(state_file), "no %s before the run" % state_file)
    with Dom0() as dom0:
        vm = dom0.add_vm("pkgvm", 7, VM_UUID, vifs=[Vif(0)])
        dom0.start_snmpd()
        dom0.start_agent(FAST + ("stateFile %s" % state_file,))
        t.ok(True, "%s registers with snmpd over AgentX" % agent)
        number, = dom0.snmpget("XEN-VIF-MIB::xenVifNumber.0")
        t.is_(number, 1, "xenVifNumber.0 = 1")
        index = index_of(vm)
        t.is_(row(dom0, index, ["xenVifDomainName"])["xenVifDomainName"],
              "pkgvm", "xenVifDomainName.%d = pkgvm" % index)
        count, size = SENT
        dom0.send_from_guest(vm, 0, count=count, size=size)
        got = wait_counters(dom0, index, {"xenVifHCInOctets": count * size,
                                          "xenVifHCInPkts": count})
        t.is_((got["xenVifHCInOctets"], got["xenVifHCInPkts"]),
              (count * size, count), "xenVifHCInOctets.%d = %d, xenVifHCInPkts"
              " = %d: what the guest sent" % (index, count * size, count))
        t.is_(dom0.stop_agent(), 0, "SIGTERM: it exits with status 0")
        t.ok(os.path.isfile(state_file), "it left its state file %s"
             % state_file)


if __name__ == "__main__":
    tap.run(main)
