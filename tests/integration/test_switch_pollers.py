#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Stock IF-MIB pollers from Debian, with no template of ours, read the
switch in the context "xen" (v2c, community xenswitch): MRTG's cfgmaker
finds one target per VM port, named for its VM, with 64-bit counters and
MaxBytes from the port's speed, and mrtg logs exactly the octets the
kernel counted; prometheus-snmp-exporter 0.21 with an if_mib-shaped
module exports ifHCInOctets and ifHCOutOctets per port, labelled with
ifName and ifAlias, at exactly the kernel's counts.

cfgmaker and mrtg come from Debian's mrtg package, the exporter from
prometheus-snmp-exporter; without them their checks are skipped."""

import ctypes
import os
import re
import shutil
import signal
import subprocess
import time

from common import (SWITCH_COMMUNITY, Dom0, index_of, port, tap, wait_until,
                    add_switch_vms, http_get, WEB_MAC, DB_MAC0, DB_MAC1)
from dom0 import SNMP_ADDRESS, in_ns, run

# Frames (count, size) from and to each guest: different on every port
# and direction, so a value read from the wrong row or column shows.
TRAFFIC = {("web1", 0): ((7, 1000), (3, 300)),
           ("db1", 0): ((5, 600), (4, 250)),
           ("db1", 1): ((3, 1400), (2, 700))}
# MRTG's target: community@host:port:timeout:retries:backoff:version.
MRTG_TARGET = "%s@%s::::2" % (SWITCH_COMMUNITY, SNMP_ADDRESS)
EXPORTER_ADDRESS = "127.0.0.1:9117"
MODULE = "xen_switch_if"
IF_NAME, IF_HC_IN, IF_HC_OUT, IF_ALIAS = (
    "1.3.6.1.2.1.31.1.1.1.%d" % n for n in (1, 6, 10, 18))

EXPORTER_CONFIG = """\
# prometheus-snmp-exporter 0.21: modules at the top level.
%(module)s:
  version: 2
  timeout: 2s
  retries: 1
  auth:
    community: %(community)s
  walk:
  - %(name)s
  - %(hc_in)s
  - %(hc_out)s
  - %(alias)s
  metrics:
""" + "".join("""\
  - name: %s
    oid: %%(%s)s
    type: counter
    help: %s - %%(%s)s
    indexes:
    - labelname: ifIndex
      type: gauge
    lookups:
    - labels: [ifIndex]
      labelname: ifName
      oid: %%(name)s
      type: DisplayString
    - labels: [ifIndex]
      labelname: ifAlias
      oid: %%(alias)s
      type: DisplayString
""" % (metric, key, metric, key) for metric, key in (
    ("ifHCInOctets", "hc_in"), ("ifHCOutOctets", "hc_out")))



def die_with_parent():
    """preexec_fn: the exporter gets SIGKILL if this test dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


def ports(web, db):
    """[(vm, devid, ifName, ifDescr, MAC)] of every VM port."""
    return [(web, 0, "web1.0", "web1 vif 0", WEB_MAC),
            (db, 0, "db1.0", "db1 vif 0", DB_MAC0),
            (db, 1, "db1.1", "db1 vif 1", DB_MAC1)]


def kernel_octets(dom0, vm, devid):
    """(rx, tx) bytes of the vif's dom0 end: ifHCIn/OutOctets."""
    stats = dom0.vif_stats(vm, devid)
    return stats["rx_bytes"], stats["tx_bytes"]


def served_octets(dom0, index):
    got = port(dom0, index, ("ifHCInOctets", "ifHCOutOctets"))
    return int(got["ifHCInOctets"]), int(got["ifHCOutOctets"])


def poller_env():
    # mrtg refuses to poll (and exits 0) when LANG names UTF-8.
    return dict(os.environ, LANG="C", LC_ALL="C")


# ---- MRTG ------------------------------------------------------------------

def directives(config, keyword):
    """{target: value} of a cfgmaker directive's uncommented lines."""
    pattern = re.compile(r"^%s\[([^\]]+)\]:\s*(.*)$" % re.escape(keyword))
    return {m.group(1): m.group(2) for m in map(pattern.match,
                                                config.splitlines()) if m}


def check_mrtg(t, dom0, web, db, want):
    host = os.uname().nodename
    workdir = dom0.path("mrtg")
    os.makedirs(workdir)
    cfg = os.path.join(workdir, "switch.cfg")
    res = run(in_ns(dom0.ns, [
        "cfgmaker", "--nodefaultglobal", "--global", "WorkDir: " + workdir,
        "--output=" + cfg, MRTG_TARGET]), check=False, env=poller_env())
    t.ok(res.returncode == 0, "cfgmaker read the switch",
         diag="exit %d\n%s" % (res.returncode, res.stderr[-3000:]))
    config = open(cfg).read() if os.path.exists(cfg) else ""
    names = {"127.0.0.1_" + name: (vm, devid, name, descr, mac)
             for vm, devid, name, descr, mac in ports(web, db)}
    t.is_(directives(config, "Target"),
          {target: "#%s:%s" % (name, MRTG_TARGET)
           for target, (_, _, name, _, _) in names.items()},
          "one target per VM port, named for it, referred to by ifName")
    t.ok("# Target[" not in config, "no port commented out",
         diag=config[:3000])
    heads = ["### Interface %d >> Descr: '%s' | Name: '%s' | Ip: 'No Ip' | "
             "Eth: '%s' ###" % (index_of(vm, devid), descr.replace(" ", "-"),
                                name, mac.replace(":", "-"))
             for vm, devid, name, descr, mac in names.values()]
    # cfgmaker writes ifDescr's spaces as '-' in these comments.
    t.ok(all(h in config.splitlines() for h in heads),
         "each headed with its ifIndex, ifDescr, ifName and MAC",
         diag=lambda: "wanted:\n%s\ngot:\n%s" % ("\n".join(heads), "\n".join(
             ln for ln in config.splitlines() if ln.startswith("###"))))
    t.is_(directives(config, "Title"),
          {target: "Traffic Analysis for %s -- xen.%s" % (name, host)
           for target, (_, _, name, _, _) in names.items()},
          "titles: the port's ifName and the switch's sysName")
    t.is_(directives(config, "noHC"), {},
          "no noHC: mrtg will read ifHCInOctets and ifHCOutOctets")
    t.is_(directives(config, "MaxBytes"),
          {"127.0.0.1_web1.0": "2500000", "127.0.0.1_db1.0": "1250000000",
           "127.0.0.1_db1.1": "1250000000"},
          "MaxBytes from the speed: web1's 20 Mbit/s rate limit, 10 Gbit/s "
          "(ifHighSpeed, ifSpeed being 4294967295) for the others")

    cache = os.path.join(workdir, "mrtg.ok")
    started = time.time()
    res = run(in_ns(dom0.ns, [
        "mrtg", "--lock-file", os.path.join(workdir, "mrtg.lck"),
        "--confcache-file", cache, cfg]), check=False, env=poller_env())
    # rateup warns of the missing logs on a first run, and only then.
    noise = [ln for ln in (res.stdout + res.stderr).splitlines()
             if "Rateup WARNING" not in ln]
    t.ok(res.returncode == 0 and not noise, "mrtg polled every target",
         diag="exit %d\n%s%s" % (res.returncode, res.stdout, res.stderr))
    for target, (vm, devid, name, descr, _) in sorted(names.items()):
        log = os.path.join(workdir, target + ".log")
        first = open(log).readline().split() if os.path.exists(log) else []
        t.is_([int(x) for x in first[1:]], list(want[(vm.name, devid)]),
              "%s: mrtg logged the kernel's rx and tx bytes (ifHCInOctets, "
              "ifHCOutOctets)" % name)
        t.ok(first and abs(int(first[0]) - started) < 120,
             "%s: at the time it polled" % name, diag=first)
    cached = open(cache).read().splitlines() if os.path.exists(cache) else []
    key = "%s@127.0.0.1_1161_2" % SWITCH_COMMUNITY
    wanted = ["\t".join((key, what, value, str(index_of(vm, devid))))
              for vm, devid, name, descr, _ in names.values()
              for what, value in (("Name", name), ("Descr", descr))]
    t.ok(all(w in cached for w in wanted),
         "mrtg found each port's ifIndex by its ifName (confcache)",
         diag=lambda: "wanted:\n%s\ngot:\n%s" % ("\n".join(wanted),
                                                 "\n".join(cached)))


# ---- prometheus-snmp-exporter -----------------------------------------------

def fetch(dom0, path):
    """(HTTP status, body) of a GET to the exporter, from the namespace;
    None when it does not answer."""
    return http_get(dom0, "http://%s%s" % (EXPORTER_ADDRESS, path))


_SAMPLE_RE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})? (\S+)$")


def samples(body):
    """{metric: {label set as printed: value as printed}}."""
    out = {}
    for line in body.splitlines():
        match = _SAMPLE_RE.match(line)
        if match:
            name, labels, value = match.groups()
            out.setdefault(name, {})[labels or ""] = value
    return out


def check_exporter(t, dom0, web, db, want):
    exporter = shutil.which("prometheus-snmp-exporter")
    config = dom0.path("snmp.yml")
    with open(config, "w") as handle:
        handle.write(EXPORTER_CONFIG % {
            "module": MODULE, "community": SWITCH_COMMUNITY, "name": IF_NAME,
            "hc_in": IF_HC_IN, "hc_out": IF_HC_OUT, "alias": IF_ALIAS})
    res = run([exporter, "--config.file=" + config, "--dry-run"],
              check=False)
    t.ok(res.returncode == 0 and "Configuration parsed successfully"
         in res.stderr, "the exporter accepts the module (--dry-run)",
         diag=res.stderr)
    log = open(dom0.path("exporter.log"), "ab")
    proc = subprocess.Popen(in_ns(dom0.ns, [
        exporter, "--config.file=" + config,
        "--web.listen-address=" + EXPORTER_ADDRESS]),
        stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        preexec_fn=die_with_parent, start_new_session=True)
    try:
        def answers():
            if proc.poll() is not None:
                raise AssertionError("the exporter exited with %d:\n%s" % (
                    proc.returncode, open(dom0.path("exporter.log")).read()))
            return fetch(dom0, "/")
        wait_until(answers, 10, "the exporter to answer")
        got = fetch(dom0, "/snmp?target=%s&module=%s" % (SNMP_ADDRESS,
                                                        MODULE))
        t.ok(got and got[0] == 200, "the exporter scraped the switch",
             diag=lambda: "%r\n%s" % (got, open(dom0.path(
                 "exporter.log")).read()[-3000:]))
        found = samples(got[1] if got else "")
        for metric, column in (("ifHCInOctets", 0), ("ifHCOutOctets", 1)):
            series = {labels: float(value) for labels, value in
                      found.get(metric, {}).items()}
            expect = {'{ifAlias="%s",ifIndex="%d",ifName="%s"}' % (
                vm.name, index_of(vm, devid), name):
                float(want[(vm.name, devid)][column])
                for vm, devid, name, _, _ in ports(web, db)}
            t.is_(series, expect, "%s: one series per VM port, labelled "
                  "with its ifIndex, ifName and ifAlias, at the kernel's "
                  "%s bytes" % (metric, ("rx", "tx")[column]))
        t.is_(found.get("snmp_scrape_pdus_returned"), {"": "12"},
              "4 columns of 3 ports walked: nothing but the VM ports")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    t.ok(proc.poll() is not None, "the exporter stopped")


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        web, db = add_switch_vms(dom0)
        dom0.start_snmpd()
        dom0.start_agent(("refreshInterval 1",))

        # No counter may be 0: cfgmaker would fall back to 32 bits.
        for vm, devid, _, _, _ in ports(web, db):
            (n_in, s_in), (n_out, s_out) = TRAFFIC[(vm.name, devid)]
            dom0.send_from_guest(vm, devid, count=n_in, size=s_in)
            dom0.send_to_guest(vm, devid, count=n_out, size=s_out)
        want = {(vm.name, devid): kernel_octets(dom0, vm, devid)
                for vm, devid, _, _, _ in ports(web, db)}
        t.ok(all(a and b for a, b in want.values()),
             "every vif has counted traffic both ways", diag=want)

        def shown():
            return all(served_octets(dom0, index_of(vm, devid))
                       == want[(vm.name, devid)]
                       for vm, devid, _, _, _ in ports(web, db))
        t.ok(wait_until(shown, 10, "the switch to count the traffic"),
             "the switch serves the kernel's counts")

        if shutil.which("cfgmaker") and shutil.which("mrtg"):
            check_mrtg(t, dom0, web, db, want)
        else:
            t.skip("MRTG's cfgmaker and mrtg read the switch",
                   "cfgmaker or mrtg is not installed (Debian: mrtg)")

        if shutil.which("prometheus-snmp-exporter"):
            check_exporter(t, dom0, web, db, want)
        else:
            t.skip("prometheus-snmp-exporter reads the switch",
                   "not installed (Debian: prometheus-snmp-exporter)")

        t.is_({(vm.name, devid): kernel_octets(dom0, vm, devid)
               for vm, devid, _, _, _ in ports(web, db)}, want,
              "no traffic meanwhile: the values compared held still")


tap.run(main)
