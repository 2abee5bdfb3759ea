"""What the integration tests share: XEN-VIF-MIB's names, the index a
row must have, and reading rows through snmpd by their MIB names."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "rig"))

import tap                                              # noqa: E402,F401
from dom0 import (Dom0, Vif, NO_SUCH_INSTANCE,          # noqa: E402,F401
                  NO_SUCH_OBJECT, wait_until, link_info)

COLUMNS = ("xenVifDomainId", "xenVifDomainName", "xenVifDomainUuid",
           "xenVifDeviceId", "xenVifName", "xenVifIfIndex",
           "xenVifMacAddress", "xenVifBridge", "xenVifIpAddresses",
           "xenVifOperStatus", "xenVifHCInOctets", "xenVifHCInPkts",
           "xenVifInDiscards", "xenVifInErrors", "xenVifHCOutOctets",
           "xenVifHCOutPkts", "xenVifOutDiscards", "xenVifOutErrors",
           "xenVifCounterDiscontinuityTime")
COUNTERS = COLUMNS[10:18]
UP, DOWN = 1, 2

# Counters move at every refresh; a second keeps tests quick.
FAST = ("refreshInterval 1",)


def vif_index(key):
    """The xenVifIndex the agent derives from a row key ("UUID/N"):
    FNV-1a over the key, 31 bits, never 0 (when nothing collides)."""
    h = 2166136261
    for byte in key.encode():
        h = ((h ^ byte) * 16777619) & 0xffffffff
    return (h & 0x7fffffff) or 1


def index_of(vm, devid=0):
    return vif_index("%s/%d" % (vm.uuid, devid))


def row(dom0, index, columns=COLUMNS):
    """{column: Value} of one row, by GET through snmpd."""
    names = ["XEN-VIF-MIB::%s.%d" % (c, index) for c in columns]
    return dict(zip(columns, dom0.snmpget(*names)))


def counters(dom0, index):
    return {c: int(v) for c, v in row(dom0, index, COUNTERS).items()}


def indexes(dom0):
    """The xenVifIndex of every row, from a walk of one column."""
    return sorted(int(oid.rsplit(".", 1)[1])
                  for oid, _ in dom0.snmpwalk("XEN-VIF-MIB::xenVifDomainId"))


def wait_counters(dom0, index, expected, timeout=10):
    """Wait until the row's counters equal expected (a dict of some
    counter columns); returns them."""
    def matches():
        got = counters(dom0, index)
        return got if all(got[k] == v for k, v in expected.items()) else None
    try:
        return wait_until(matches, timeout,
                          "row %d counters %r" % (index, expected))
    except TimeoutError:
        raise AssertionError("row %d: counters %r, expected %r" % (
            index, counters(dom0, index), expected))


def kernel_ifindex(dom0, ifname):
    return link_info(dom0.ns, ifname)["ifindex"]


def plus(base, **delta):
    out = dict(base)
    for key, value in delta.items():
        out[key] += value
    return out
