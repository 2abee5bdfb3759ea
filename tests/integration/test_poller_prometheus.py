#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""What pollers/prometheus ships, against the real tools Debian 12
packages:

  * prometheus-snmp-generator (0.21) makes snmp.yml from generator.yml
    byte for byte, with Erlang's base MIBs and ours; snmp.upstream.yml is
    snmp.yml in snmp_exporter 0.23's layout ("auths", "modules"), and both
    upstream files parse as that layout with the same modules;
  * prometheus-snmp-exporter --dry-run accepts snmp.yml, snmp-switch.yml
    and the two together, which is what gets installed;
  * a live scrape of a simulated dom0 (two VMs, quotas, traffic, frames
    flooded to one): the vif counters are the kernel's, labelled with the
    VM's name and UUID; the VM table's usage, what was flooded, quotas
    and resources exact, enumerations as state
    sets, XenVifGauge64 as gauges; the switch's ports through IF-MIB in
    the context "xen";
  * a real Prometheus run with prometheus.yml's jobs and relabelling and
    xen-vif.rules.yml: the quota alerts fire for exactly the VMs the
    agent says, the recording rules label per VM, the dashboard's
    queries show exact values, and the agent-down and unreachable
    alerts' expressions hold for a stopped agent and a stopped snmpd;
  * promtool check rules, promtool test rules promtool-tests.yml (every
    alert firing and not), promtool check config prometheus.yml;
  * grafana-xen-vif.json: every query valid PromQL naming only series
    the exporter or the rules make, and the dashboard type-checked
    against @grafana/schema by tests/grafana/check-dashboard.mjs.

A missing tool fails its checks, naming the Debian package (CI installs
them with tools/install-deps; the Grafana check needs npm ci in
tests/grafana).

With --regenerate (no root needed), writes snmp.yml from generator.yml
with the generator, and snmp.upstream.yml from snmp.yml, into
pollers/prometheus."""

import datetime
import difflib
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

from common import (FAST, SWITCH_COMMUNITY, SWITCH_DB_UUID, SWITCH_WEB_UUID,
                    WEB_MAC, DB_MAC0, DB_MAC1, Dom0, add_switch_vms,
                    http_get, index_of, row, tap, vm_index, vm_row,
                    wait_until)
from dom0 import SNMP_ADDRESS, SRCDIR, in_ns, run
from processes import Daemon

try:
    import yaml
except ImportError:     # reported as a failing test by main()
    yaml = None

POLLER = os.path.join(SRCDIR, "pollers", "prometheus")
GRAFANA_CHECK = os.path.join(SRCDIR, "tests", "grafana")
# Where prometheus.yml expects the exporter; the test runs it there, in
# the simulated dom0's own network namespace, and Prometheus beside it.
EXPORTER_ADDRESS = "127.0.0.1:9116"
PROMETHEUS_ADDRESS = "127.0.0.1:9090"
JOBS = ("xen-vif", "xen-vif-switch")

PACKAGES = {"prometheus-snmp-generator": "prometheus-snmp-exporter",
            "prometheus-snmp-exporter": "prometheus-snmp-exporter",
            "promtool": "prometheus", "prometheus": "prometheus",
            "node": "nodejs"}

CONFIG = FAST + ("quota web1 10K in warn 50", "quota db1 1K total")
# Frames (count, size) after the agent started: web1 sends 6000 bytes
# (60 % of its quota: warning), db1 3500 both ways (350 %: exceeded).
FROM_GUEST = {("web1", 0): (6, 1000), ("db1", 1): (2, 1000)}
TO_GUEST = {("db1", 0): (3, 500)}
# And out of db1's first vif, as a bridge floods them, 800 bytes for a
# MAC no port has: counted apart, not in db1's usage (addressed).
FLOODED = {("db1", 0): (2, 400)}
UNKNOWN_MAC = "02:00:00:99:99:99"
# One of the classifier's columns: no instance until it counts the
# row's vif.
SPLIT_OBJECT = "XEN-VIF-MIB::xenVifHCOutForeignOctets"

# The layout of snmp_exporter 0.23 and later: an auth's fields in the
# order its generator writes them, with the defaults it fills in.
AUTH_FIELDS = ("community", "security_level", "username", "password",
               "auth_protocol", "priv_protocol", "priv_password",
               "context_name", "version")
AUTH_DEFAULTS = {"community": "public", "security_level": "noAuthNoPriv",
                 "auth_protocol": "MD5", "priv_protocol": "DES",
                 "version": 2}
UPSTREAM_HEADER = """\
# XEN-VIF-MIB for snmp_exporter 0.23 and later ("auths:" and "modules:";
# scrape with module=xen_vif&auth=xen_vif).  Not a generator's output:
# made from snmp.yml, what Debian 12's generator (0.21) makes of
# generator.yml, by tests/integration/test_poller_prometheus.py
# --regenerate, which moves the credentials into "auths" as a newer
# generator writes those of generator.upstream.yml, and indents the
# modules under "modules".  A newer generator run on
# generator.upstream.yml makes the same modules, give or take the
# wording of help texts.  The switch's context is read with upstream's
# own if_mib module and auth=xen_switch (load upstream's snmp.yml too:
# 0.24 and later take --config.file more than once).
"""



def poller_file(name):
    return os.path.join(POLLER, name)


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def tool(t, name, what):
    """The path of a tool, or a failing test naming its package."""
    path = shutil.which(name)
    if not path:
        t.fail(what, diag="%s is not installed (Debian package %s; "
               "tools/install-deps installs it)" % (name, PACKAGES[name]))
    return path


def erlang_mibs():
    found = sorted(glob.glob("/usr/lib/erlang/lib/snmp-*/mibs"))
    return found[-1] if found else None


def generate(generator, workdir):
    """snmp.yml as prometheus-snmp-generator makes it of generator.yml,
    with the base MIBs from Erlang's SNMP application and ours only.
    Returns (CompletedProcess, output path)."""
    shutil.copy(poller_file("generator.yml"), workdir)
    out = os.path.join(workdir, "snmp.yml")
    env = dict(os.environ, MIBDIRS="%s:%s" % (erlang_mibs(),
                                              os.path.join(SRCDIR, "mib")))
    res = subprocess.run([generator, "--fail-on-parse-errors", "generate",
                          "--output-path", out], cwd=workdir, env=env,
                         capture_output=True, text=True, timeout=120)
    return res, out


def upstream_layout(snmp_text, auths):
    """snmp.yml (0.21: modules at the top, each with version and auth)
    in 0.23's layout: auths (from generator.upstream.yml, completed as
    its generator completes them) and the same modules under modules,
    without version and auth."""
    lines = snmp_text.splitlines(keepends=True)
    if not lines or not lines[0].startswith("# WARNING"):
        raise ValueError("snmp.yml does not start as the generator's output")
    out = [UPSTREAM_HEADER, lines[0], "auths:\n"]
    for name in sorted(auths):
        auth = dict(AUTH_DEFAULTS, **auths[name])
        out.append("  %s:\n" % name)
        for field in AUTH_FIELDS:
            value = auth.get(field)
            if value in (None, ""):
                continue
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(value)):
                raise ValueError("auth %s: %s %r would need YAML quoting"
                                 % (name, field, value))
            out.append("    %s: %s\n" % (field, value))
    out.append("modules:\n")
    in_auth = False
    for line in lines[1:]:
        if line.startswith("  auth:"):
            in_auth = True
            continue
        if in_auth and line.startswith("    "):
            continue
        in_auth = False
        if line.startswith("  version:"):
            continue
        out.append("  " + line)
    return "".join(out)


def diff(shipped, made):
    """The start of a unified diff from shipped to made (bytes or str)."""
    text = [x.decode() if isinstance(x, bytes) else x for x in (shipped, made)]
    return "".join(difflib.unified_diff(
        text[0].splitlines(True), text[1].splitlines(True), "shipped",
        "made"))[:6000]


def load_yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


# ---- static checks ----------------------------------------------------------

def check_generator(t):
    generator = tool(t, "prometheus-snmp-generator",
                     "the generator reproduces snmp.yml")
    if not generator:
        return
    if not erlang_mibs():
        t.fail("the generator reproduces snmp.yml",
               diag="no /usr/lib/erlang/lib/snmp-*/mibs (Debian: erlang-snmp)")
        return
    with tempfile.TemporaryDirectory() as workdir:
        res, out = generate(generator, workdir)
        made = read(out) if os.path.exists(out) else b""
    shipped = read(poller_file("snmp.yml"))
    t.ok(res.returncode == 0 and made == shipped,
         "prometheus-snmp-generator makes snmp.yml of generator.yml byte for "
         "byte (Erlang's base MIBs and XEN-VIF-MIB, no parse errors)",
         diag=lambda: "exit %d\n%s\n%s" % (
             res.returncode, res.stderr[-2000:], diff(shipped, made)))


def check_upstream_layout(t):
    generator = load_yaml(poller_file("generator.yml"))
    snmp = load_yaml(poller_file("snmp.yml"))
    up_generator = load_yaml(poller_file("generator.upstream.yml"))
    up_snmp = load_yaml(poller_file("snmp.upstream.yml"))
    t.is_((sorted(generator), sorted(snmp)), (["modules"], ["xen_vif"]),
          "0.21's layout: generator.yml has modules, snmp.yml its modules at "
          "the top level")
    t.is_((sorted(up_generator), sorted(up_snmp)),
          (["auths", "modules"], ["auths", "modules"]),
          "the upstream layout: auths and modules at the top of both files")
    t.is_(sorted(up_generator["auths"]), ["xen_switch", "xen_vif"],
          "auths for the default context and the switch's")
    t.is_((up_generator["auths"]["xen_vif"]["community"],
           up_generator["auths"]["xen_switch"]["community"]),
          (generator["modules"]["xen_vif"]["auth"]["community"],
           SWITCH_COMMUNITY),
          "with the communities of generator.yml and the switch's context")

    def without_auth(module):
        return {k: v for k, v in module.items()
                if k not in ("auth", "version")}
    t.is_(up_generator["modules"], {name: without_auth(m) for name, m in
                                    generator["modules"].items()},
          "generator.upstream.yml's modules are generator.yml's, less "
          "version and auth")
    t.is_(up_snmp["modules"], {name: without_auth(m)
                               for name, m in snmp.items()},
          "snmp.upstream.yml's modules are snmp.yml's, less version and auth")
    t.ok(all(a.get("version") == 2 for a in up_snmp["auths"].values()),
         "snmp.upstream.yml's auths carry the SNMP version",
         diag=up_snmp["auths"])
    expected = upstream_layout(read(poller_file("snmp.yml")).decode(),
                               up_generator["auths"])
    shipped = read(poller_file("snmp.upstream.yml")).decode()
    t.ok(shipped == expected, "snmp.upstream.yml is snmp.yml moved into the "
         "upstream layout, byte for byte (--regenerate makes it)",
         diag=lambda: diff(shipped, expected))


def dry_run(t, exporter, path, what):
    res = run([exporter, "--config.file=" + path, "--dry-run"], check=False)
    t.ok(res.returncode == 0 and "Configuration parsed successfully"
         in res.stderr, "prometheus-snmp-exporter --dry-run accepts " + what,
         diag=res.stderr[-3000:])


def installed_config(path):
    """What /etc/prometheus/snmp.yml becomes: snmp.yml, snmp-switch.yml."""
    with open(path, "wb") as handle:
        handle.write(read(poller_file("snmp.yml")))
        handle.write(read(poller_file("snmp-switch.yml")))


def check_dry_run(t, workdir):
    exporter = tool(t, "prometheus-snmp-exporter",
                    "prometheus-snmp-exporter --dry-run")
    if not exporter:
        return
    dry_run(t, exporter, poller_file("snmp.yml"), "snmp.yml")
    dry_run(t, exporter, poller_file("snmp-switch.yml"), "snmp-switch.yml")
    both = os.path.join(workdir, "snmp.yml")
    installed_config(both)
    dry_run(t, exporter, both, "snmp.yml and snmp-switch.yml together")


def check_promtool(t):
    promtool = tool(t, "promtool", "promtool checks the rules")
    if not promtool:
        return
    res = run([promtool, "check", "rules", poller_file("xen-vif.rules.yml")],
              check=False)
    t.ok(res.returncode == 0 and "SUCCESS: 10 rules found" in res.stdout,
         "promtool check rules: 10 rules (3 recording, 7 alerts)",
         diag=res.stdout + res.stderr)
    res = run([promtool, "test", "rules", poller_file("promtool-tests.yml")],
              check=False)
    t.ok(res.returncode == 0 and "SUCCESS" in res.stdout,
         "promtool test rules promtool-tests.yml",
         diag=res.stdout + res.stderr)
    tested = set(re.findall(r"^\s+alertname: (\w+)$",
                            read(poller_file("promtool-tests.yml")).decode(),
                            re.M))
    alerts = {r["alert"] for g in load_yaml(poller_file(
        "xen-vif.rules.yml"))["groups"] for r in g["rules"] if "alert" in r}
    t.is_(tested, alerts, "the unit tests cover every alert")
    tests = load_yaml(poller_file("promtool-tests.yml"))["tests"]
    firing, quiet = set(), set()
    for case in tests:
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else quiet).add(
                check["alertname"])
    t.is_((firing, quiet), (alerts, alerts),
          "each alert is shown both firing and not firing")
    res = run([promtool, "check", "config", poller_file("prometheus.yml")],
              check=False)
    t.ok(res.returncode == 0, "promtool check config prometheus.yml (and "
         "the rule file it names)", diag=res.stdout + res.stderr)


def exported_names():
    """Every series name and label name snmp.yml and snmp-switch.yml
    make, and the names the rules record."""
    names = {"up"}
    modules = dict(load_yaml(poller_file("snmp.yml")))
    modules.update(load_yaml(poller_file("snmp-switch.yml")))
    for module in modules.values():
        for metric in module["metrics"]:
            names.add(metric["name"])
            names.update(i["labelname"] for i in metric.get("indexes", []))
            names.update(lk["labelname"] for lk in metric.get("lookups", []))
    for group in load_yaml(poller_file("xen-vif.rules.yml"))["groups"]:
        names.update(r["record"] for r in group["rules"] if "record" in r)
    return names


def expand(expr):
    """A dashboard query as Grafana sends it with every dom0 and VM."""
    return (expr.replace("$__rate_interval", "1m")
            .replace("$instance", ".*").replace("$vm", ".*"))


def dashboard():
    with open(poller_file("grafana-xen-vif.json")) as handle:
        return json.load(handle)


OUR_NAME = re.compile(r"\b(xenVif\w+|xen_vif\w*:[\w:]+|if[A-Z]\w+)\b")


def check_dashboard(t, workdir):
    dash = dashboard()
    panels = dash["panels"]
    t.is_(len({p["id"] for p in panels}), len(panels), "dashboard: panel "
          "ids unique")
    t.ok(all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in panels),
         "dashboard: panels within Grafana's 24 columns")
    t.ok(all(p.get("datasource") == {"type": "prometheus",
                                     "uid": "${datasource}"}
             for p in panels), "dashboard: every panel asks the data source "
         "chosen in its variable")
    exprs = [tg["expr"] for p in panels for tg in p["targets"]]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            match = re.fullmatch(r"label_values\((.*), (\w+)\)",
                                 var["query"]["query"])
            exprs.append(match.group(1) if match else var["query"]["query"])
    known = exported_names()
    unknown = sorted({n for e in exprs for n in OUR_NAME.findall(e)} - known)
    t.is_(unknown, [], "dashboard: every series and label it names comes "
          "from snmp.yml, snmp-switch.yml or the recording rules")
    rule_names = {n for g in load_yaml(poller_file("xen-vif.rules.yml"))[
        "groups"] for r in g["rules"] for n in OUR_NAME.findall(r["expr"])}
    t.is_(sorted(rule_names - known), [], "rules: every series and label "
          "they name comes from snmp.yml or snmp-switch.yml")
    promtool = tool(t, "promtool", "dashboard: its queries are PromQL")
    if promtool:
        # promtool parses each query as a recording rule's.
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": "dashboard:query_%d" % i, "expr": expand(e)}
            for i, e in enumerate(exprs)]}]}
        path = os.path.join(workdir, "dashboard-queries.yml")
        with open(path, "w") as handle:
            json.dump(rules, handle)        # JSON is YAML
        res = run([promtool, "check", "rules", path], check=False)
        t.ok(res.returncode == 0 and "$" not in json.dumps(rules),
             "dashboard: its %d queries are valid PromQL (promtool)"
             % len(exprs), diag=res.stdout + res.stderr)
    node = tool(t, "node", "dashboard: types of @grafana/schema")
    if node:
        res = run([node, os.path.join(GRAFANA_CHECK, "check-dashboard.mjs"),
                   poller_file("grafana-xen-vif.json"),
                   os.path.join(workdir, "grafana-check")],
                  check=False, timeout=300)
        t.ok(res.returncode == 0, "dashboard: tsc finds it a Dashboard of "
             "@grafana/schema, each panel's options, field config and "
             "queries of its plugin's types (%s)" % res.stdout.strip(),
             diag=res.stdout + res.stderr)


# ---- the exporter and Prometheus, live --------------------------------------

fetch = http_get


_SAMPLE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(body):
    """({name: {frozenset of (label, value): float}}, {name: TYPE})."""
    series, types = {}, {}
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        match = _SAMPLE.match(line)
        if match:
            name, labels, value = match.groups()
            key = frozenset((k, v.replace('\\"', '"').replace("\\\\", "\\"))
                            for k, v in _LABEL.findall(labels or ""))
            series.setdefault(name, {})[key] = float(value)
    return series, types


def labels(**kw):
    return frozenset(kw.items())


def vif_labels(vm, devid):
    return labels(xenVifIndex=str(index_of(vm, devid)),
                  xenVifDomainName=vm.name, xenVifDomainUuid=vm.uuid,
                  xenVifDeviceId=str(devid))


def vm_labels(vm, **extra):
    return labels(xenVifVmIndex=str(vm_index(vm)), xenVifVmName=vm.name,
                  xenVifVmUuid=vm.uuid, **extra)


def state_set(vm, column, states, current):
    return {vm_labels(vm, **{column: s}): float(s == current) for s in states}


def date_and_time(octets):
    """Seconds since the epoch of an RFC 2579 DateAndTime."""
    year = octets[0] << 8 | octets[1]
    zone = datetime.timezone(
        (1 if octets[8:9] == b"+" else -1) *
        datetime.timedelta(hours=octets[9], minutes=octets[10]))
    return datetime.datetime(year, octets[2], octets[3], octets[4], octets[5],
                             octets[6], octets[7] * 100000,
                             tzinfo=zone).timestamp()


def vifs(web, db):
    return [(web, 0), (db, 0), (db, 1)]


def check_vm_scrape(t, dom0, web, db, kernel):
    got = fetch(dom0, "http://%s/snmp?target=%s&module=xen_vif"
                % (EXPORTER_ADDRESS, SNMP_ADDRESS))
    t.ok(got and got[0] == 200, "the exporter scraped XEN-VIF-MIB "
         "(module xen_vif)", diag=lambda: "%r\n%s" % (got, dom0_log(dom0)))
    series, types = parse_exposition(got[1] if got else "")
    module = load_yaml(poller_file("snmp.yml"))["xen_vif"]
    t.is_(sorted(n for n in series if not n.startswith("snmp_scrape_")),
          sorted(m["name"] for m in module["metrics"]),
          "every metric of the module has instances, and nothing else")
    t.is_({n: types.get(n) for n in ("xenVifHCInOctets", "xenVifHCOutOctets",
                                     "xenVifVmCpuTime",
                                     "xenVifVmPeriodInOctets",
                                     "xenVifVmQuotaOctets",
                                     "xenVifVmInBitRate",
                                     "xenVifVmMemoryKBytes")},
          {"xenVifHCInOctets": "counter", "xenVifHCOutOctets": "counter",
           "xenVifVmCpuTime": "counter", "xenVifVmPeriodInOctets": "gauge",
           "xenVifVmQuotaOctets": "gauge", "xenVifVmInBitRate": "gauge",
           "xenVifVmMemoryKBytes": "gauge"},
          "Counter64 columns are counters, XenVifGauge64 ones gauges")
    for metric, stat in (("xenVifHCInOctets", "rx_bytes"),
                         ("xenVifHCOutOctets", "tx_bytes"),
                         ("xenVifHCInPkts", "rx_packets"),
                         ("xenVifHCOutPkts", "tx_packets")):
        t.is_(series.get(metric),
              {vif_labels(vm, d): float(kernel[(vm.name, d)][stat])
               for vm, d in vifs(web, db)},
              "%s: the kernel's %s of each vif, labelled with its index, "
              "VM name, VM UUID and device id" % (metric, stat))
    t.is_(series.get("xenVifMacAddress"),
          {vif_labels(vm, d) | labels(xenVifMacAddress=mac.upper()): 1.0
           for (vm, d), mac in zip(vifs(web, db), (WEB_MAC, DB_MAC0,
                                                   DB_MAC1))},
          "xenVifMacAddress: the configured MACs, as labels")
    t.is_(series.get("xenVifOperStatus"),
          {vif_labels(vm, d) | labels(xenVifOperStatus=s): float(s == "up")
           for vm, d in vifs(web, db) for s in ("up", "down")},
          "xenVifOperStatus: a state set, up")
    t.is_((series.get("xenVifNumber"), series.get("xenVifVmNumber")),
          ({frozenset(): 3.0}, {frozenset(): 2.0}),
          "scalars: 3 vifs, 2 VMs")

    def per_vm(metric, web_value, db_value):
        t.is_(series.get(metric), {vm_labels(web): float(web_value),
                                   vm_labels(db): float(db_value)},
              "%s: web1 %s, db1 %s, labelled with the VM's name and UUID"
              % (metric, web_value, db_value))
    per_vm("xenVifVmPeriodInOctets", 6000, 2000)
    per_vm("xenVifVmPeriodOutOctets", 0, 1500)
    per_vm("xenVifVmPeriodOutForeignOctets", 0, 800)
    t.is_(series.get("xenVifHCOutForeignOctets"),
          {vif_labels(vm, d): float(800 if (vm, d) == (db, 0) else 0)
           for vm, d in vifs(web, db)},
          "xenVifHCOutForeignOctets: db1's first vif the 800 flooded "
          "octets, the others none")
    t.is_(series.get("xenVifVmOutAccounting"),
          {**state_set(web, "xenVifVmOutAccounting",
                       ("all", "addressed", "mixed"), "addressed"),
           **state_set(db, "xenVifVmOutAccounting",
                       ("all", "addressed", "mixed"), "addressed")},
          "xenVifVmOutAccounting: a state set, addressed")
    per_vm("xenVifVmQuotaOctets", 10000, 1000)
    per_vm("xenVifVmQuotaUsedPercent", 60, 350)
    per_vm("xenVifVmQuotaWarnPercent", 50, 80)
    per_vm("xenVifVmInBitRate", 0, 0)
    per_vm("xenVifVmVcpus", 1, 1)
    per_vm("xenVifVmMemoryKBytes", 524288, 524288)
    per_vm("xenVifVmMaxMemoryKBytes", 1048576, 1048576)
    quota = ("none", "ok", "warning", "exceeded")
    t.is_(series.get("xenVifVmQuotaStatus"),
          {**state_set(web, "xenVifVmQuotaStatus", quota, "warning"),
           **state_set(db, "xenVifVmQuotaStatus", quota, "exceeded")},
          "xenVifVmQuotaStatus: a state set, web1 warning, db1 exceeded")
    t.is_(series.get("xenVifVmQuotaDirection"),
          {**state_set(web, "xenVifVmQuotaDirection", ("in", "out", "total"),
                       "in"),
           **state_set(db, "xenVifVmQuotaDirection", ("in", "out", "total"),
                       "total")},
          "xenVifVmQuotaDirection: a state set, web1 in, db1 total")
    t.is_(series.get("xenVifVmInRateAlarm"),
          {**state_set(web, "xenVifVmInRateAlarm", ("none", "ok", "alarm"),
                       "none"),
           **state_set(db, "xenVifVmInRateAlarm", ("none", "ok", "alarm"),
                       "none")},
          "xenVifVmInRateAlarm: a state set, none configured")
    states = ("running", "blocked", "paused", "shutdown", "crashed", "dying")
    t.is_(series.get("xenVifVmState"),
          {**state_set(web, "xenVifVmState", states, "running"),
           **state_set(db, "xenVifVmState", states, "running")},
          "xenVifVmState: a state set, running")
    t.is_(series.get("xenVifVmDevices"),
          {vm_labels(web, xenVifVmDevices="vif3.0"): 1.0,
           vm_labels(db, xenVifVmDevices="vif4.0 vif4.1"): 1.0},
          "xenVifVmDevices: the VM's dom0 devices, as a label")
    starts = [date_and_time(vm_row(dom0, vm_index(vm), [
        "xenVifVmPeriodStart"])["xenVifVmPeriodStart"].raw)
        for vm in (web, db)]
    per_vm("xenVifVmPeriodStart", *starts)


def check_switch_scrape(t, dom0, web, db, kernel):
    got = fetch(dom0, "http://%s/snmp?target=%s&module=xen_switch_if"
                % (EXPORTER_ADDRESS, SNMP_ADDRESS))
    t.ok(got and got[0] == 200, "the exporter scraped the switch's context "
         "(module xen_switch_if, community %s)" % SWITCH_COMMUNITY,
         diag=lambda: "%r\n%s" % (got, dom0_log(dom0)))
    series, types = parse_exposition(got[1] if got else "")
    def port(vm, devid, **extra):
        name, descr = "%s.%d" % (vm.name, devid), "%s vif %d" % (vm.name,
                                                                devid)
        return labels(ifIndex=str(index_of(vm, devid)), ifName=name,
                      ifAlias=vm.name, ifDescr=descr, **extra)
    for metric, stat in (("ifHCInOctets", "rx_bytes"),
                         ("ifHCOutOctets", "tx_bytes")):
        t.is_(series.get(metric),
              {port(vm, d): float(kernel[(vm.name, d)][stat])
               for vm, d in vifs(web, db)},
              "%s: the kernel's %s per port, with ifIndex = xenVifIndex, "
              "ifName, ifAlias (the VM) and ifDescr" % (metric, stat))
    t.is_(types.get("ifHCInOctets"), "counter", "a counter")
    t.is_(series.get("ifHighSpeed"),
          {port(web, 0): 20.0, port(db, 0): 10000.0, port(db, 1): 10000.0},
          "ifHighSpeed: web1's rate limit (20 Mbit/s), else 10 Gbit/s")
    t.is_({k: v for k, v in series.get("ifOperStatus", {}).items() if v},
          {port(vm, d, ifOperStatus="up"): 1.0 for vm, d in vifs(web, db)},
          "ifOperStatus: a state set, every port up")
    t.is_((series.get("ifNumber"), series.get("sysName")),
          ({frozenset(): 3.0},
           {labels(sysName="xen." + os.uname().nodename): 1.0}),
          "ifNumber 3, and the switch's own sysName")


def dom0_log(dom0):
    parts = []
    for name in ("exporter.log", "prometheus.log"):
        try:
            with open(dom0.path(name), errors="replace") as handle:
                parts.append("%s:\n%s" % (name, handle.read()[-3000:]))
        except OSError:
            pass
    return "\n".join(parts)


def prometheus_config(dom0):
    """prometheus.yml as shipped, but for the test: the simulated dom0 as
    the target, quick intervals, the rules file by its path, no
    Alertmanager.  The exporter is where prometheus.yml expects it."""
    config = load_yaml(poller_file("prometheus.yml"))
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [poller_file("xen-vif.rules.yml")]
    config.pop("alerting", None)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in JOBS:
        job = jobs[name]
        job["scrape_timeout"] = "1s"
        job["static_configs"] = [{"targets": [SNMP_ADDRESS]}]
        addresses = [r.get("replacement") for r in job["relabel_configs"]
                     if r.get("target_label") == "__address__"]
        if addresses != [EXPORTER_ADDRESS]:
            raise AssertionError("job %s: the exporter is not at %s: %r"
                                 % (name, EXPORTER_ADDRESS, addresses))
    path = dom0.path("prometheus.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(config, handle)
    return path, sorted(jobs)


def api(dom0, path, **params):
    """The data of a Prometheus API answer; AssertionError (saying why)
    when there is none."""
    got = fetch(dom0, "http://%s/api/v1/%s?%s" % (
        PROMETHEUS_ADDRESS, path, urllib.parse.urlencode(params)))
    if not got or got[0] != 200:
        raise AssertionError("GET /api/v1/%s %r: %r" % (path, params, got))
    return json.loads(got[1])["data"]


def query(dom0, expr):
    """{frozenset of labels: value} of an instant query."""
    return {frozenset(s["metric"].items()): float(s["value"][1])
            for s in api(dom0, "query", query=expr)["result"]}


def settle(fn, want, timeout, what):
    """Polls fn() until it returns want, for up to timeout seconds;
    returns its last value (or, when it never answered, why)."""
    last = []

    def probe():
        last[:] = [fn()]
        return last[0] == want
    try:
        wait_until(probe, timeout, what)
    except TimeoutError as err:
        return last[0] if last else str(err)
    return last[0]


def alert_expr(name):
    for group in load_yaml(poller_file("xen-vif.rules.yml"))["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == name:
                return rule["expr"]
    raise KeyError(name)


# What the dashboard's panels show of the simulated dom0: {(panel,
# query): {VM name ("" for a sum): value}}.
DASHBOARD_SHOWS = {
    ("VMs", "A"): {"": 2}, ("Vifs", "A"): {"": 3},
    ("Sent by all VMs", "A"): {"": 0}, ("Received by all VMs", "A"): {"": 0},
    ("VMs past a quota level", "A"): {"": 2},
    ("Rate and flood alarms", "A"): {"": 0},
    ("Sent by VM", "A"): {"web1": 0, "db1": 0},
    ("Received by VM", "A"): {"web1": 0, "db1": 0},
    ("Quota used this period", "A"): {"web1": 60, "db1": 350},
    ("Top talkers", "A"): {"web1": 0, "db1": 0},
    ("Top talkers", "B"): {"web1": 0, "db1": 0},
    ("Top talkers", "C"): {"web1": 0, "db1": 0},
    ("Quota used over time", "A"): {"web1": 60, "db1": 350},
    ("Usage this period", "A"): {"web1": 6000, "db1": 2000},
    ("Usage this period", "B"): {"web1": 0, "db1": 1500},
    ("Usage this period", "C"): {"web1": 10000, "db1": 1000},
    ("Usage this period", "D"): {"web1": 60, "db1": 350},
    ("Usage this period", "E"): {"web1": 0, "db1": 800},
    ("Flooded to VM", "A"): {"web1": 0, "db1": 0},
    ("Forged source frames per vif", "A"): {},
    ("Drops and errors per vif", "A"): {},
}


def check_dashboard_live(t, dom0):
    """Every query of the dashboard, asked of the running Prometheus as
    Grafana asks it (all dom0s, all VMs)."""
    shown, rows = {}, {}
    for panel in dashboard()["panels"]:
        for target in panel["targets"]:
            try:
                got = query(dom0, expand(target["expr"]))
            except AssertionError as err:
                got = str(err)
            else:
                if panel["type"] == "table":
                    rows.setdefault(panel["title"], set()).add(
                        frozenset(got))
                got = {dict(k).get("xenVifVmName", ""): v
                       for k, v in got.items()}
            shown[(panel["title"], target["refId"])] = got
    t.is_(shown, {k: {vm: float(v) for vm, v in want.items()}
                  for k, want in DASHBOARD_SHOWS.items()},
          "dashboard: each of its queries shows the dom0's VMs, usage and "
          "quotas exactly")
    vm_rows = frozenset(labels(instance=SNMP_ADDRESS, xenVifVmName=name,
                               xenVifVmUuid=uuid) for name, uuid in (
        ("web1", SWITCH_WEB_UUID), ("db1", SWITCH_DB_UUID)))
    t.is_(rows, {"Top talkers": {vm_rows}, "Usage this period": {vm_rows}},
          "dashboard: a table's queries give the same rows, by dom0, VM "
          "name and UUID, for Grafana's merge to join")
    variables = {}
    for var in dashboard()["templating"]["list"]:
        if var["type"] == "query":
            selector, label = re.fullmatch(r"label_values\((.*), (\w+)\)",
                                           var["query"]["query"]).groups()
            variables[var["name"]] = api(dom0, "label/%s/values" % label, **{
                "match[]": expand(selector)})
    t.is_(variables, {"instance": [SNMP_ADDRESS], "vm": ["db1", "web1"]},
          "dashboard: its variables offer the dom0 and its VMs")


def check_prometheus(t, dom0, web, db, kernel):
    prometheus = tool(t, "prometheus", "Prometheus runs the shipped "
                      "configuration and rules")
    if not prometheus:
        return
    path, job_names = prometheus_config(dom0)
    server = Daemon("prometheus", dom0.path("prometheus.log"))
    server.start(in_ns(dom0.ns, [
        prometheus, "--config.file=" + path,
        "--storage.tsdb.path=" + dom0.path("prometheus-data"),
        "--web.listen-address=" + PROMETHEUS_ADDRESS, "--log.level=warn"]),
        env=dict(os.environ))
    try:
        def targets_up():
            if not server.running:
                raise AssertionError("prometheus exited:\n" + dom0_log(dom0))
            active = api(dom0, "targets")["activeTargets"]
            return active if active and len(active) == len(job_names) and all(
                tg["health"] == "up" for tg in active) else None
        active = wait_until(targets_up, 60, "Prometheus's targets to be up")
        t.is_(sorted((tg["labels"]["job"], tg["labels"]["instance"],
                      tg["scrapeUrl"]) for tg in active),
              sorted([("snmp-exporter", EXPORTER_ADDRESS,
                       "http://%s/metrics" % EXPORTER_ADDRESS)] +
                     [(job, SNMP_ADDRESS, "http://%s/snmp?module=%s&target=%s"
                       % (EXPORTER_ADDRESS, module,
                          urllib.parse.quote(SNMP_ADDRESS)))
                      for job, module in zip(JOBS, ("xen_vif",
                                                    "xen_switch_if"))]),
              "prometheus.yml's jobs scrape the dom0 through the exporter, "
              "the dom0 as instance")
        inst = {"job": "xen-vif", "instance": SNMP_ADDRESS}
        got = query(dom0, "xenVifHCInOctets")
        t.is_(got, {vif_labels(vm, d) | labels(__name__="xenVifHCInOctets",
                                                **inst):
                    float(kernel[(vm.name, d)]["rx_bytes"])
                    for vm, d in vifs(web, db)},
              "Prometheus stores the kernel's counts, labelled per VM")

        expected_alerts = {
            ("XenVifVmQuotaWarning", vm_labels(web, severity="warning",
                                               **inst), "firing"),
            ("XenVifVmQuotaExceeded", vm_labels(db, severity="critical",
                                                **inst), "firing")}

        def alerts():
            return {(a["labels"]["alertname"], frozenset(
                (k, v) for k, v in a["labels"].items() if k != "alertname"),
                a["state"]) for a in api(dom0, "alerts")["alerts"]}
        t.is_(settle(alerts, expected_alerts, 30, "the quota alerts"),
              expected_alerts, "alerts: web1's quota warning and "
              "db1's quota exceeded fire, and nothing else is pending")

        want = {labels(xenVifVmName=vm.name, xenVifVmUuid=vm.uuid,
                       __name__="xen_vif_vm:bits:rate5m", **inst): 0.0
                for vm in (web, db)}
        t.is_(settle(lambda: query(dom0, "xen_vif_vm:bits:rate5m"), want, 30,
                     "the recording rules"), want,
              "recorded per-VM rates: one series per VM with the VM table's "
              "labels (0: no traffic while Prometheus ran)")

        check_dashboard_live(t, dom0)

        # The agent stops: snmpd answers, with nothing of it.  The
        # default context still answers sysUpTime; the switch's context
        # is the agent's own.
        dom0.stop_agent()
        got = fetch(dom0, "http://%s/snmp?target=%s&module=xen_vif"
                    % (EXPORTER_ADDRESS, SNMP_ADDRESS))
        series = parse_exposition(got[1])[0] if got else {}
        t.is_((got and got[0], sorted(n for n in series
                                      if not n.startswith("snmp_scrape"))),
              (200, ["sysUpTime"]), "agent stopped: the exporter still "
              "answers 200, with sysUpTime only (so up stays 1)")
        expr = alert_expr("XenVifAgentDown")
        want = {labels(__name__="up", job=job, instance=SNMP_ADDRESS): 1.0
                for job in JOBS}
        got = settle(lambda: query(dom0, expr), want, 30,
                     "XenVifAgentDown's expression")
        t.is_(got, want, "XenVifAgentDown's expression names the dom0 in "
              "both jobs once the agent is gone (it fires after 5 minutes)")

        # snmpd stops too: the exporter answers 500, up is 0.
        dom0.stop_snmpd()
        expr = alert_expr("XenVifSnmpUnreachable")
        want = {labels(__name__="up", job=job, instance=SNMP_ADDRESS): 0.0
                for job in JOBS}
        got = settle(lambda: query(dom0, expr), want, 30,
                     "XenVifSnmpUnreachable's expression")
        t.is_(got, want, "XenVifSnmpUnreachable's expression names the dom0 "
              "in both jobs once snmpd is gone")
        got = query(dom0, alert_expr("XenVifAgentDown"))
        t.is_(got, {}, "while XenVifAgentDown's no longer does")
    finally:
        status = server.stop(30)
    t.is_(status, 0, "Prometheus stopped cleanly")


def check_live(t):
    exporter = tool(t, "prometheus-snmp-exporter", "the exporter scrapes a "
                    "simulated dom0")
    if not exporter:
        return
    with Dom0() as dom0:
        web, db = add_switch_vms(dom0)
        dom0.start_snmpd()
        dom0.start_agent(CONFIG)
        # Traffic once the classifier counts every vif: all of it split.
        split = ["%s.%d" % (SPLIT_OBJECT, index_of(vm, d))
                 for vm, d in vifs(web, db)]
        try:
            wait_until(lambda: not any(v.is_exception
                                       for v in dom0.snmpget(*split)), 10,
                       "the classifier to count the vifs")
        except TimeoutError:
            pass
        t.ok(not any(v.is_exception for v in dom0.snmpget(*split)),
             "the classifier counts the three vifs", diag=dom0.agent.log())
        for (name, devid), (count, size) in FROM_GUEST.items():
            dom0.send_from_guest({"web1": web, "db1": db}[name], devid,
                                 count=count, size=size)
        for (name, devid), (count, size) in TO_GUEST.items():
            dom0.send_to_guest({"web1": web, "db1": db}[name], devid,
                               count=count, size=size)
        for (name, devid), (count, size) in FLOODED.items():
            dom0.network.send(dom0.ns, {"web1": web, "db1": db}[name].ifname(
                devid), count, size, UNKNOWN_MAC)
        kernel = {(vm.name, d): dom0.vif_stats(vm, d)
                  for vm, d in vifs(web, db)}

        seen = {}

        def settled():
            """The agent shows the kernel's counts, the period's usage
            and, a refresh after the traffic, rates of 0."""
            for vm, d in vifs(web, db):
                got = row(dom0, index_of(vm, d), ("xenVifHCInOctets",
                                                  "xenVifHCOutOctets"))
                seen[(vm.name, d)] = (int(got["xenVifHCInOctets"]),
                                      int(got["xenVifHCOutOctets"]))
            for vm in (web, db):
                got = vm_row(dom0, vm_index(vm), (
                    "xenVifVmPeriodInOctets", "xenVifVmInBitRate",
                    "xenVifVmOutBitRate", "xenVifVmVcpus",
                    "xenVifVmPeriodOutForeignOctets"))
                seen[vm.name] = {k: v.value for k, v in got.items()}
            return seen == dict(
                {(vm.name, d): (kernel[(vm.name, d)]["rx_bytes"],
                                kernel[(vm.name, d)]["tx_bytes"])
                 for vm, d in vifs(web, db)},
                web1={"xenVifVmPeriodInOctets": 6000, "xenVifVmInBitRate": 0,
                      "xenVifVmOutBitRate": 0, "xenVifVmVcpus": 1,
                      "xenVifVmPeriodOutForeignOctets": 0},
                db1={"xenVifVmPeriodInOctets": 2000, "xenVifVmInBitRate": 0,
                     "xenVifVmOutBitRate": 0, "xenVifVmVcpus": 1,
                     "xenVifVmPeriodOutForeignOctets": 800})
        try:
            ready = wait_until(settled, 30, "the agent to count the traffic")
        except TimeoutError:
            ready = False
        t.ok(ready, "the agent serves the kernel's counts, the period's "
             "usage and what was flooded, rates of 0 and the VMs' "
             "resources",
             diag=lambda: "kernel: %r\nagent: %r" % (kernel, seen))

        config = dom0.path("snmp.yml")
        installed_config(config)
        daemon = Daemon("prometheus-snmp-exporter", dom0.path("exporter.log"))
        daemon.start(in_ns(dom0.ns, [
            exporter, "--config.file=" + config,
            "--web.listen-address=" + EXPORTER_ADDRESS]), env=dict(os.environ))
        try:
            def answers():
                if not daemon.running:
                    raise AssertionError("the exporter exited:\n"
                                         + dom0_log(dom0))
                return fetch(dom0, "http://%s/" % EXPORTER_ADDRESS)
            wait_until(answers, 30, "the exporter to answer")
            check_vm_scrape(t, dom0, web, db, kernel)
            check_switch_scrape(t, dom0, web, db, kernel)
            t.is_({(vm.name, d): dom0.vif_stats(vm, d)
                   for vm, d in vifs(web, db)}, kernel,
                  "no traffic meanwhile: the values compared held still")
            check_prometheus(t, dom0, web, db, kernel)
        finally:
            status = daemon.stop(30)
        # Go's default for SIGTERM: exit by the signal.
        t.ok(status in (0, -15), "the exporter stopped on SIGTERM",
             diag="exit status %r" % status)


def main(t):
    tap.require_root(t)
    if yaml is None:
        t.fail("PyYAML for reading the YAML files",
               diag="python3-yaml is not installed (Debian package "
               "python3-yaml)")
        return
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        check_generator(t)
        check_upstream_layout(t)
        check_dry_run(t, workdir)
        check_promtool(t)
        check_dashboard(t, workdir)
    check_live(t)
    t.diag("%.0f s" % (time.monotonic() - started))


def regenerate():
    """Writes snmp.yml (the generator's) and snmp.upstream.yml."""
    generator = shutil.which("prometheus-snmp-generator")
    if not generator or not erlang_mibs() or yaml is None:
        sys.exit("needs prometheus-snmp-generator (prometheus-snmp-exporter), "
                 "erlang-snmp and python3-yaml")
    with tempfile.TemporaryDirectory() as workdir:
        res, out = generate(generator, workdir)
        if res.returncode != 0:
            sys.exit(res.stderr)
        shutil.copy(out, poller_file("snmp.yml"))
    text = upstream_layout(read(poller_file("snmp.yml")).decode(),
                           load_yaml(poller_file("generator.upstream.yml"))[
                               "auths"])
    with open(poller_file("snmp.upstream.yml"), "w") as handle:
        handle.write(text)
    print("wrote %s and %s" % (poller_file("snmp.yml"),
                               poller_file("snmp.upstream.yml")))


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
    else:
        tap.run(main)
