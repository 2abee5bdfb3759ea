#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""pollers/telegraf/xen-vif.conf (Telegraf is not in Debian 12, so no
real Telegraf runs it): it is valid TOML of inputs.snmp's shape, every
field's numeric OID is the XEN-VIF-MIB object its name says, and each
answers on the rig with the value the agent serves under its MIB name."""

import os
import tomllib

from common import FAST, Dom0, Vif, index_of, tap, vm_index, wait_until
from dom0 import SRCDIR

CONF = os.path.join(SRCDIR, "pollers", "telegraf", "xen-vif.conf")
# Each field of the file and the object it must read.
EXPECTED = {
    "vifs": "xenVifNumber.0",
    "xen_vif": {
        "domain_name": "xenVifDomainName", "uuid": "xenVifDomainUuid",
        "device": "xenVifName", "bridge": "xenVifBridge",
        "domain_id": "xenVifDomainId", "oper_status": "xenVifOperStatus",
        "in_octets": "xenVifHCInOctets", "in_packets": "xenVifHCInPkts",
        "in_discards": "xenVifInDiscards", "in_errors": "xenVifInErrors",
        "out_octets": "xenVifHCOutOctets", "out_packets": "xenVifHCOutPkts",
        "out_discards": "xenVifOutDiscards", "out_errors": "xenVifOutErrors",
        "counter_discontinuity": "xenVifCounterDiscontinuityTime",
        "out_foreign_octets": "xenVifHCOutForeignOctets",
        "out_foreign_packets": "xenVifHCOutForeignPkts",
        "out_broadcast_packets": "xenVifHCOutBroadcastPkts",
        "out_multicast_packets": "xenVifHCOutMulticastPkts",
        "in_foreign_source_octets": "xenVifHCInForeignSourceOctets",
        "in_foreign_source_packets": "xenVifHCInForeignSourcePkts",
        "in_broadcast_packets": "xenVifHCInBroadcastPkts",
        "in_multicast_packets": "xenVifHCInMulticastPkts"},
    "xen_vif_vm": {
        "vm_name": "xenVifVmName", "uuid": "xenVifVmUuid",
        "domain_id": "xenVifVmDomainId",
        "period_in_octets": "xenVifVmPeriodInOctets",
        "period_out_octets": "xenVifVmPeriodOutOctets",
        "quota_octets": "xenVifVmQuotaOctets",
        "quota_used_percent": "xenVifVmQuotaUsedPercent",
        "quota_status": "xenVifVmQuotaStatus",
        "in_bit_rate": "xenVifVmInBitRate",
        "out_bit_rate": "xenVifVmOutBitRate",
        "in_rate_alarm": "xenVifVmInRateAlarm",
        "out_rate_alarm": "xenVifVmOutRateAlarm",
        "state": "xenVifVmState", "vcpus": "xenVifVmVcpus",
        "memory_kbytes": "xenVifVmMemoryKBytes",
        "cpu_time_ns": "xenVifVmCpuTime",
        "out_accounting": "xenVifVmOutAccounting",
        "period_out_foreign_octets": "xenVifVmPeriodOutForeignOctets",
        "flood_bit_rate": "xenVifVmFloodBitRate",
        "flood_alarm": "xenVifVmFloodAlarm"},
}
TAGS = {"domain_name", "uuid", "device", "bridge", "vm_name"}
# One of the classifier's columns: no instance until it counts the row's
# vifs.
SPLIT_OBJECT = "XEN-VIF-MIB::xenVifHCOutForeignOctets"


def main(t):
    with open(CONF, "rb") as handle:
        conf = tomllib.load(handle)
    snmp = conf["inputs"]["snmp"]
    t.is_((len(snmp), snmp[0]["version"]), (1, 2),
          "one inputs.snmp, SNMPv2c (64-bit counters)")
    snmp = snmp[0]
    fields = {"vifs": snmp["field"][0]["oid"]}
    tables = {table["name"]: {f["name"]: f for f in table["field"]}
              for table in snmp["table"]}
    t.is_({name: sorted(f) for name, f in tables.items()},
          {name: sorted(EXPECTED[name]) for name in tables},
          "the two tables have exactly the fields listed here")
    t.is_({(table, name) for table, f in tables.items() for name in f
           if f[name].get("is_tag")},
          {(table, name) for table in tables for name in tables[table]
           if name in TAGS}, "names, UUIDs, devices and bridges are tags")

    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, vifs=[Vif(0)])
        dom0.start_snmpd()
        dom0.start_agent(FAST + ("quota web1 1G",))
        dom0.send_from_guest(web, 0, count=2, size=500)
        split = "%s.%d" % (SPLIT_OBJECT, index_of(web))
        try:
            wait_until(lambda: not dom0.snmpget(split)[0].is_exception, 10,
                       "the classifier to count web1's vif")
        except TimeoutError:
            pass
        t.ok(not dom0.snmpget(split)[0].is_exception,
             "the classifier counts web1's vif", diag=dom0.agent.log())

        def translate(oid):
            return dom0.snmptranslate(oid).strip()

        t.is_(translate(fields["vifs"]), "XEN-VIF-MIB::" + EXPECTED["vifs"],
              "vifs: xenVifNumber.0")
        wrong = []
        for table, index in (("xen_vif", index_of(web)),
                             ("xen_vif_vm", vm_index(web))):
            for name, field in tables[table].items():
                oid = "%s.%d" % (field["oid"], index)
                want = "XEN-VIF-MIB::%s.%d" % (EXPECTED[table][name], index)
                got = translate(oid)
                numeric, named = dom0.snmpget(oid, want)
                if got != want or numeric != named or numeric.is_exception:
                    wrong.append((table, name, got, numeric, named))
        t.is_(wrong, [], "every field's OID is the object it names, and "
              "answers on the rig as that object does")
        t.is_(dom0.stop_agent(), 0, "clean exit")


tap.run(main)
