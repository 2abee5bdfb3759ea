#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Cacti from Debian polls XEN-VIF-MIB with the template that
pollers/cacti/ ships.  In a private MariaDB loaded with Cacti's schema,
import_template.php takes cacti_host_template_xen_vif_agent.xml; the rig's
dom0 becomes a device of its device template, whose two data queries
(xen_vif.xml, xen_vif_vm.xml) find every vif and every VM, indexed by
xenVifIndex and xenVifVmIndex; add_graphs.php makes each graph of the
data queries' mappings for each of them, with titles naming the VM (and
the vif).  After each of two runs of Cacti's poller, every RRD file's
last update holds exactly the counters the kernel counted (vifs) and the
figures the agent serves (VMs), and after the second rrdtool has taken
the counters' differences over the time between the polls as the rates.
Cacti draws one graph with its own code.

The shipped export must be what build_template.php makes in a fresh
Cacti with Cacti's own export code: the test builds it again in a
second database and compares.

XVA_CACTI_PNG=FILE: the graph worth showing (pollers/cacti/example-graph.png),
from PNG_POLLS more polls a minute apart, about a quarter of an hour.

Cacti, MariaDB, PHP and rrdtool must be installed (tools/install-deps);
without them the test fails.  XVA_SKIP_SLOW=1 skips it."""

import difflib
import os
import re
import shutil
import signal
import subprocess
import time

from common import (skip_unless_slow_wanted, Dom0, tap, wait_until,
                    add_switch_vms, index_of, vm_index, vm_row, counters,
                    FAST)
from dom0 import (SNMP_ADDRESS, COMMUNITY, SRCDIR, Daemon, RigError, in_ns,
                  run)
from processes import die_with_parent

skip_unless_slow_wanted()

POLLERS = os.path.join(SRCDIR, "pollers", "cacti")
TEMPLATE = os.path.join(POLLERS, "cacti_host_template_xen_vif_agent.xml")
QUERIES = ("xen_vif.xml", "xen_vif_vm.xml")
CACTI = "/usr/share/cacti"
SCHEMA = os.path.join(CACTI, "conf_templates", "cacti.sql")
# What each missing program or file means is not installed.
NEEDED = (("/usr/sbin/mariadbd", "mariadb-server"),
          ("/usr/bin/mariadb-install-db", "mariadb-server"),
          ("/usr/bin/mariadb", "mariadb-client-core"),
          ("/usr/bin/php", "php-cli"),
          ("/usr/bin/rrdtool", "rrdtool"),
          (os.path.join(CACTI, "site", "poller.php"), "cacti"),
          (os.path.join(CACTI, "cli", "import_template.php"), "cacti"),
          (SCHEMA, "cacti"))

# Frames (count, size) from and to each guest, per round: different on
# every vif, direction and round, so a value from the wrong row, column
# or poll shows.
ROUNDS = ({("web1", 0): ((7, 1000), (3, 300)),
           ("db1", 0): ((5, 600), (4, 250)),
           ("db1", 1): ((3, 1400), (2, 700))},
          {("web1", 0): ((9, 1200), (5, 400)),
           ("db1", 0): ((2, 900), (6, 350)),
           ("db1", 1): ((4, 1100), (3, 500))})
# web1 has a quota of what it sends: 7000 octets of 20000, then 17800.
AGENT_CONFIG = FAST + ("quota web1 20K in",)

# The data query's output columns, by data source (RRD) name.
VIF_SOURCES = {"traffic_in": "xenVifHCInOctets",
               "traffic_out": "xenVifHCOutOctets",
               "pkts_in": "xenVifHCInPkts", "pkts_out": "xenVifHCOutPkts",
               "discards_in": "xenVifInDiscards",
               "discards_out": "xenVifOutDiscards",
               "errors_in": "xenVifInErrors", "errors_out": "xenVifOutErrors"}
VM_SOURCES = {"period_in": "xenVifVmPeriodInOctets",
              "period_out": "xenVifVmPeriodOutOctets",
              "quota": "xenVifVmQuotaOctets",
              "quota_used": "xenVifVmQuotaUsedPercent"}
# Cacti as installed: a poller run every 5 minutes (cron's and the
# poller's interval) and the default data source profile, of 300-second
# steps.  With XVA_CACTI_PNG=FILE, the test draws a graph worth showing
# into FILE: it polls every minute with cacti.sql's 1 Minute Collection
# profile, PNG_POLLS times, which takes that many minutes.
PNG = os.environ.get("XVA_CACTI_PNG")
STEP = 60 if PNG else 300
PNG_POLLS = 12
DB_USER, DB_PASSWORD = "cacti", "xva-cacti-test"


def missing_packages():
    return sorted({package for path, package in NEEDED
                   if not os.path.exists(path)})


class MariaDB:
    """A private MariaDB: its own data directory and socket under root,
    no network, stopped by stop() whatever happened."""

    def __init__(self, root):
        self.root = root
        self.datadir = os.path.join(root, "data")
        self.socket = os.path.join(root, "mysqld.sock")
        self.daemon = Daemon("mariadbd", os.path.join(root, "mariadbd.out"))

    def start(self, timeout=120):
        os.makedirs(self.root, exist_ok=True)
        run(["mariadb-install-db", "--no-defaults", "--user=root",
             "--datadir=" + self.datadir, "--skip-test-db",
             "--auth-root-authentication-method=socket"], timeout=timeout)
        self.daemon.start([
            "/usr/sbin/mariadbd", "--no-defaults", "--user=root",
            "--datadir=" + self.datadir, "--socket=" + self.socket,
            "--pid-file=" + os.path.join(self.root, "mariadbd.pid"),
            "--skip-networking", "--innodb-buffer-pool-size=32M",
            "--log-error=" + os.path.join(self.root, "mariadbd.err")],
            env=dict(os.environ))

        def ready():
            if not self.daemon.running:
                raise RigError("mariadbd exited with %s:\n%s" % (
                    self.daemon.proc.returncode, self.log()))
            return os.path.exists(self.socket) and run(
                self.client(["-e", "SELECT 1"]), check=False).returncode == 0
        wait_until(ready, timeout, "MariaDB to accept connections")

    def log(self):
        path = os.path.join(self.root, "mariadbd.err")
        return open(path).read()[-3000:] if os.path.exists(path) else ""

    def client(self, args, database=None):
        return (["mariadb", "--no-defaults", "--socket=" + self.socket,
                 "--user=root", "--batch", "--skip-column-names"]
                + list(args) + ([database] if database else []))

    def execute(self, statements, database=None, timeout=120):
        run(self.client([], database), input=statements, timeout=timeout)

    def query(self, sql, database):
        """Rows (tuples of strings) of a SELECT."""
        out = run(self.client(["-e", sql], database)).stdout
        return [tuple(line.split("\t")) for line in out.splitlines()]

    def stop(self):
        """Shut down; raises RigError if it had to be killed."""
        return self.daemon.stop(timeout=60)


class Cacti:
    """Debian's Cacti, copied under root so that its configuration, RRD
    files, logs and data queries are the test's: include/config.php names
    database on the private MariaDB."""

    def __init__(self, root, db, database):
        self.root = root
        self.db = db
        self.database = database
        self.site = os.path.join(root, "site")
        self.cli = os.path.join(root, "cli")
        self.rra = os.path.join(self.site, "rra")
        self.log = os.path.join(self.site, "log", "cacti.log")
        self.queries = os.path.join(root, "resource", "snmp_queries")

    def install(self):
        os.makedirs(self.root)
        for part in ("site", "cli", "resource"):
            shutil.copytree(os.path.join(CACTI, part),
                            os.path.join(self.root, part), symlinks=True)
        # Debian's links to /etc/cacti, /var/lib/cacti and /var/log/cacti
        # become the test's own.
        for link in ("include/config.php", "rra", "log", "cache",
                     "resource"):
            os.unlink(os.path.join(self.site, link))
        for sub in ("rra", "log", "cache"):
            os.makedirs(os.path.join(self.site, sub))
        os.symlink("../resource", os.path.join(self.site, "resource"))
        for sub in ("snmp-persist", "snmpconf"):
            os.makedirs(os.path.join(self.root, sub))
        with open(os.path.join(self.site, "include", "config.php"), "w") as f:
            f.write("""<?php
$database_type     = 'mysql';
$database_default  = '%s';
$database_hostname = '%s';
$database_username = '%s';
$database_password = '%s';
$database_port     = '3306';
$database_retries  = 2;
$database_ssl      = false;
$database_ssl_key  = '';
$database_ssl_cert = '';
$database_ssl_ca   = '';
$database_persist  = false;
$poller_id = 1;
$url_path = '/cacti/';
$cacti_session_name = 'Cacti';
$cacti_db_session = false;
$disable_log_rotation = true;
$path_csrf_secret = '%s';
""" % (self.database, self.db.socket, DB_USER, DB_PASSWORD,
       os.path.join(self.root, "csrf-secret.php")))
        rrd_version = run(["rrdtool", "--version"]).stdout.split()[1]
        major_minor = ".".join(rrd_version.split(".")[:2])
        self.db.execute("""
CREATE DATABASE %(db)s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '%(user)s'@'localhost' IDENTIFIED BY '%(password)s';
GRANT ALL ON %(db)s.* TO '%(user)s'@'localhost';
""" % {"db": self.database, "user": DB_USER, "password": DB_PASSWORD})
        with open(SCHEMA) as schema:
            self.db.execute(schema.read(), self.database)
        # What Debian's postinst does for a database it made: the version,
        # the rrdtool in use; and the test's own paths.
        version = open(os.path.join(self.site, "include",
                                    "cacti_version")).read().strip()
        self.db.execute("""
UPDATE version SET cacti = '%(version)s';
REPLACE INTO settings (name, value) VALUES
  ('rrdtool_version', 'rrd-%(rrd)s.x'), ('path_cactilog', '%(log)s'),
  ('path_rrdtool', '/usr/bin/rrdtool'), ('path_php_binary', '/usr/bin/php'),
  ('poller_type', '1'), ('poller_enabled', 'on'), ('log_verbosity', '2'),
  ('poller_interval', '%(step)d'), ('cron_interval', '%(step)d');
-- MariaDB's MEMORY engine, cacti.sql's for poller_output, kept rows that
-- the poller had deleted in every cycle here (Cacti then warns that
-- "Poller Output Table not Empty"); Cacti takes the table in InnoDB too.
ALTER TABLE poller_output ENGINE=InnoDB;
-- cacti.sql's example network, 192.168.1.0/24, would be scanned by the
-- poller's network discovery: none here.
DELETE FROM automation_networks;
""" % {"version": version, "rrd": major_minor, "log": self.log,
       "step": STEP},
                        self.database)
        for name in QUERIES:
            shutil.copy(os.path.join(POLLERS, name), self.queries)

    def env(self):
        """PHP's net-snmp keeps to the test's directories."""
        return dict(os.environ, LANG="C", LC_ALL="C",
                    SNMP_PERSISTENT_DIR=os.path.join(self.root,
                                                     "snmp-persist"),
                    SNMPCONFPATH=os.path.join(self.root, "snmpconf"))

    def php(self, script, args=(), ns=None, timeout=120):
        """Run a PHP script (a path, or one of Cacti's cli/ tools by
        name), in namespace ns if given; the CompletedProcess."""
        path = script if os.sep in script else os.path.join(self.cli, script)
        cmd = ["php", path] + list(args)
        proc = subprocess.Popen(
            in_ns(ns, cmd) if ns else cmd, env=self.env(), text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, errors="surrogateescape",
            preexec_fn=die_with_parent, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            # The poller's children (cmd.php, rrdtool) go with it.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)

    def sql(self, query):
        return self.db.query(query, self.database)

    def one(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def log_text(self):
        return open(self.log).read() if os.path.exists(self.log) else ""


def output(res):
    return "exit %d\n%s%s" % (res.returncode, res.stdout[-4000:],
                              res.stderr[-4000:])


# ---- the rig ----------------------------------------------------------------

def send_round(dom0, vms, traffic):
    for (name, devid), ((n_in, s_in), (n_out, s_out)) in traffic.items():
        dom0.send_from_guest(vms[name], devid, count=n_in, size=s_in)
        dom0.send_to_guest(vms[name], devid, count=n_out, size=s_out)


def kernel_counts(dom0, vms):
    """{(vm name, devid): {column: the kernel's count}} of every vif."""
    out = {}
    for (name, devid) in ROUNDS[0]:
        stats = dom0.vif_stats(vms[name], devid)
        out[(name, devid)] = {
            "xenVifHCInOctets": stats["rx_bytes"],
            "xenVifHCInPkts": stats["rx_packets"],
            "xenVifInDiscards": stats["rx_dropped"],
            "xenVifInErrors": stats["rx_errors"],
            "xenVifHCOutOctets": stats["tx_bytes"],
            "xenVifHCOutPkts": stats["tx_packets"],
            "xenVifOutDiscards": stats["tx_dropped"],
            "xenVifOutErrors": stats["tx_errors"]}
    return out


def settle(t, dom0, vms, what):
    """Wait until the agent serves the kernel's counts of every vif and
    the VM table's period figures agree with them; returns (vif counts,
    {vm name: VM table figures})."""
    want = kernel_counts(dom0, vms)

    def served():
        for (name, devid), expected in want.items():
            if counters(dom0, index_of(vms[name], devid)) != expected:
                return None
        figures = {}
        for name, vm in vms.items():
            row = vm_row(dom0, vm_index(vm), tuple(VM_SOURCES.values()))
            figures[name] = {c: int(v) for c, v in row.items()}
            sent = sum(c["xenVifHCInOctets"] for (n, _), c in want.items()
                       if n == name)
            if figures[name]["xenVifVmPeriodInOctets"] != sent:
                return None
        return figures
    try:
        figures = wait_until(served, 30, "the agent to serve the counts")
    except TimeoutError as err:
        t.fail("%s: the agent serves the kernel's counts" % what, str(err))
        raise
    return want, figures


# ---- Cacti's side -----------------------------------------------------------

def build_and_compare(t, db, root):
    """build_template.php in a fresh Cacti makes the shipped export."""
    scratch = Cacti(os.path.join(root, "build"), db, "cacti_build")
    scratch.install()
    made = os.path.join(root, "built.xml")
    res = scratch.php(os.path.join(POLLERS, "build_template.php"),
                      ["--cacti=" + scratch.site, "--output=" + made])
    t.ok(res.returncode == 0, "build_template.php built and exported the "
         "objects in a fresh Cacti", diag=lambda: output(res))
    built = open(made).read() if os.path.exists(made) else ""
    shipped = open(TEMPLATE).read()
    t.ok(built == shipped, "the shipped template is what Cacti exports from "
         "build_template.php's objects", diag=lambda: "\n".join(
             difflib.unified_diff(
                 shipped.splitlines(), built.splitlines(), "shipped",
                 "built", lineterm=""))[:4000])


def import_template(t, cacti):
    args = ["--filename=" + TEMPLATE]
    if PNG:
        args.append("--profile-id=" + cacti.one(
            "SELECT id FROM data_source_profiles WHERE step = %d" % STEP))
    res = cacti.php("import_template.php", args)
    lines = res.stdout.splitlines()
    t.ok(res.returncode == 0 and not [ln for ln in lines if "[fail]" in ln]
         and "[success] Xen dom0 (xen-vif-agent) [new]" in lines,
         "import_template.php took the template", diag=lambda: output(res))
    news = sorted(ln[len("[success] "):-len(" [new]")] for ln in lines
                  if ln.startswith("[success]") and ln.endswith("[new]"))
    t.is_(news, sorted([
        "Xen VIF - Traffic", "Xen VIF - Packets", "Xen VM - Period Usage",
        "Xen VM - Quota Used", "Xen VIF - Traffic (bits/sec)",
        "Xen VIF - Packets (packets/sec)", "Xen VM - Period Usage (bytes)",
        "Xen VM - Quota Used (percent)", "Xen VIF - Virtual Network Devices",
        "Xen VIF - VMs", "Xen dom0 (xen-vif-agent)"]),
        "new: 4 data templates, 4 graph templates, 2 data queries, "
        "1 device template")
    mapped = cacti.sql(
        "SELECT q.name, g.name, t.name FROM snmp_query_graph g "
        "JOIN snmp_query q ON q.id = g.snmp_query_id "
        "JOIN graph_templates t ON t.id = g.graph_template_id ")
    t.is_(sorted(mapped), [
        ("Xen VIF - VMs", "Period Usage (bytes)",
         "Xen VM - Period Usage (bytes)"),
        ("Xen VIF - VMs", "Quota Used (percent)",
         "Xen VM - Quota Used (percent)"),
        ("Xen VIF - Virtual Network Devices", "Packets, Discards and Errors",
         "Xen VIF - Packets (packets/sec)"),
        ("Xen VIF - Virtual Network Devices",
         "Traffic (bits/sec, 64-bit counters)",
         "Xen VIF - Traffic (bits/sec)")],
        "each data query maps its graphs to the graph templates")
    steps = cacti.sql("SELECT DISTINCT rrd_step FROM data_template_data "
                      "WHERE local_data_id = 0 AND data_template_id IN "
                      "(SELECT id FROM data_template WHERE name LIKE 'Xen %')")
    t.is_(steps, [(str(STEP),)],
          "the data templates have %d-second steps" % STEP)


def add_device(t, cacti, dom0):
    template = cacti.one("SELECT id FROM host_template "
                         "WHERE name = 'Xen dom0 (xen-vif-agent)'")
    host, port = SNMP_ADDRESS.split(":")
    res = cacti.php("add_device.php", [
        "--description=dom0", "--ip=" + host, "--template=" + template,
        "--version=2", "--community=" + COMMUNITY, "--port=" + port,
        "--avail=snmp", "--timeout=2000"], ns=dom0.ns)
    match = re.search(r"Success - new device-id: \((\d+)\)", res.stdout)
    t.ok(res.returncode == 0 and match, "add_device.php added the dom0 "
         "with the device template", diag=lambda: output(res))
    if not match:
        raise AssertionError("no device")
    host_id = match.group(1)
    queries = dict(cacti.sql(
        "SELECT q.name, q.id FROM host_snmp_query h JOIN snmp_query q "
        "ON q.id = h.snmp_query_id WHERE h.host_id = %s" % host_id))
    t.is_(sorted(queries), ["Xen VIF - VMs",
                            "Xen VIF - Virtual Network Devices"],
          "the device has the template's two data queries")
    return host_id, queries


def reindex(t, cacti, dom0, host_id):
    res = cacti.php("poller_reindex_hosts.php",
                    ["--id=" + host_id, "--qid=All", "--force"], ns=dom0.ns)
    t.ok(res.returncode == 0, "poller_reindex_hosts.php reindexed the dom0",
         diag=lambda: output(res))


def cache(cacti, host_id, query_id):
    """{snmp_index: {field: value}} of a data query's cache."""
    out = {}
    for index, field, value in cacti.sql(
            "SELECT snmp_index, field_name, field_value FROM host_snmp_cache "
            "WHERE host_id = %s AND snmp_query_id = %s" % (host_id, query_id)):
        out.setdefault(int(index), {})[field] = value
    return out


def check_indexes(t, cacti, host_id, queries, vms):
    vifs = cache(cacti, host_id, queries["Xen VIF - Virtual Network Devices"])
    want = {index_of(vms[name], devid): (name, devid)
            for name, devid in ROUNDS[0]}
    t.is_(sorted(vifs), sorted(want),
          "the vif data query found each vif, indexed by xenVifIndex")
    t.is_({i: (f.get("vmName"), f.get("vifDevice"), f.get("vmUuid"),
               f.get("vifIndex"))
           for i, f in vifs.items()},
          {i: (name, str(devid), vms[name].uuid, str(i))
           for i, (name, devid) in want.items()},
          "each vif's name, device id, UUID and index")
    vm_rows = cache(cacti, host_id, queries["Xen VIF - VMs"])
    t.is_({i: (f.get("vmName"), f.get("vmUuid")) for i, f in vm_rows.items()},
          {vm_index(vm): (name, vm.uuid) for name, vm in vms.items()},
          "the VM data query found each VM, indexed by xenVifVmIndex")
    sort = dict(cacti.sql(
        "SELECT q.name, h.sort_field FROM host_snmp_query h JOIN snmp_query q "
        "ON q.id = h.snmp_query_id WHERE h.host_id = %s" % host_id))
    t.is_(sort, {"Xen VIF - Virtual Network Devices": "vifIndex",
                 "Xen VIF - VMs": "vmIndex"},
          "graphs follow the index (the sort field), not a name")


def add_graphs(t, cacti, dom0, host_id, queries, vms):
    """Every graph of both data queries for every vif and VM; returns
    {local_data_id: (query graph name, snmp index)}."""
    wanted = []
    for query, field, indexes in (
            ("Xen VIF - Virtual Network Devices", "vifIndex",
             [index_of(vms[name], devid) for name, devid in ROUNDS[0]]),
            ("Xen VIF - VMs", "vmIndex",
             [vm_index(vm) for vm in vms.values()])):
        for graph_id, template_id, name in cacti.sql(
                "SELECT id, graph_template_id, name FROM snmp_query_graph "
                "WHERE snmp_query_id = %s" % queries[query]):
            for index in indexes:
                wanted.append((query, name, index))
                res = cacti.php("add_graphs.php", [
                    "--host-id=" + host_id, "--graph-type=ds",
                    "--graph-template-id=" + template_id,
                    "--snmp-query-id=" + queries[query],
                    "--snmp-query-type-id=" + graph_id,
                    "--snmp-field=" + field, "--snmp-value=%d" % index],
                    ns=dom0.ns)
                if res.returncode != 0 or "Graph Added" not in res.stdout:
                    t.fail("add_graphs.php: %s, %s of %d" % (query, name,
                                                              index),
                           output(res))
    graphs = cacti.sql(
        "SELECT q.name, g.name, l.snmp_index, gg.title_cache "
        "FROM graph_local l JOIN snmp_query q ON q.id = l.snmp_query_id "
        "JOIN snmp_query_graph g ON g.id = l.snmp_query_graph_id "
        "JOIN graph_templates_graph gg ON gg.local_graph_id = l.id "
        "WHERE l.host_id = %s" % host_id)
    t.is_(sorted((q, g, int(i)) for q, g, i, _ in graphs), sorted(wanted),
          "add_graphs.php made each graph of each data query for each "
          "vif and VM (%d graphs)" % len(wanted))
    names = {index_of(vms[name], devid): "%s vif %d" % (name, devid)
             for name, devid in ROUNDS[0]}
    names.update({vm_index(vm): name for name, vm in vms.items()})
    kind = {"Traffic (bits/sec, 64-bit counters)": "Traffic",
            "Packets, Discards and Errors": "Packets",
            "Period Usage (bytes)": "Period Usage",
            "Quota Used (percent)": "Quota Used"}
    t.is_(sorted(title for _, _, _, title in graphs),
          sorted("dom0 - %s - %s" % (kind[g], names[int(i)])
                 for _, g, i, _ in graphs),
          "each graph's title names its VM (and vif)")
    sources = {}
    for local_data_id, graph, index in cacti.sql(
            "SELECT DISTINCT d.id, g.name, d.snmp_index FROM data_local d "
            "JOIN graph_templates_item i ON i.local_graph_id > 0 "
            "JOIN data_template_rrd r ON r.id = i.task_item_id "
            "AND r.local_data_id = d.id "
            "JOIN graph_local l ON l.id = i.local_graph_id "
            "JOIN snmp_query_graph g ON g.id = l.snmp_query_graph_id "
            "WHERE d.host_id = %s" % host_id):
        sources[local_data_id] = (graph, int(index))
    t.is_(len(sources), len(wanted), "one data source per graph")
    return sources


def rrd_files(cacti, sources):
    """{(graph name, snmp index): RRD path}."""
    out = {}
    for local_data_id, path in cacti.sql(
            "SELECT local_data_id, data_source_path FROM data_template_data "
            "WHERE local_data_id IN (%s)" % ",".join(sources)):
        out[sources[local_data_id]] = path.replace("<path_rra>", cacti.rra)
    return out


def poll(t, cacti, dom0, what):
    res = cacti.php(os.path.join(cacti.site, "poller.php"), ["--force"],
                    ns=dom0.ns, timeout=300)
    t.ok(res.returncode == 0, "%s: Cacti's poller ran" % what,
         diag=lambda: output(res) + cacti.log_text()[-3000:])


def lastupdate(path):
    """(time, {ds: value}) of an RRD's last update; None without one."""
    if not os.path.exists(path):
        return None
    lines = run(["rrdtool", "lastupdate", path]).stdout.splitlines()
    names = lines[0].split()
    stamp, _, values = lines[-1].partition(":")
    return int(stamp), dict(zip(names, values.split()))


def expected_values(vifs, vms_figures, vms):
    """{(graph kind, index): {ds: value as int}}."""
    out = {}
    for (name, devid), counts in vifs.items():
        index = index_of(vms[name], devid)
        values = {ds: counts[column] for ds, column in VIF_SOURCES.items()}
        out[("Traffic (bits/sec, 64-bit counters)", index)] = {
            k: values[k] for k in ("traffic_in", "traffic_out")}
        out[("Packets, Discards and Errors", index)] = {
            k: v for k, v in values.items() if not k.startswith("traffic")}
    for name, figures in vms_figures.items():
        index = vm_index(vms[name])
        values = {ds: figures[column] for ds, column in VM_SOURCES.items()}
        out[("Period Usage (bytes)", index)] = {
            k: values[k] for k in ("period_in", "period_out", "quota")}
        out[("Quota Used (percent)", index)] = {
            "quota_used": values["quota_used"]}
    return out


def check_rrds(t, files, want, what):
    """Each RRD's last update is exactly what was served; returns
    {(graph, index): update time}."""
    got, stamps = {}, {}
    for key, path in files.items():
        last = lastupdate(path)
        if last:
            stamps[key] = last[0]
            got[key] = {ds: int(float(v)) if v not in ("U", "nan") else v
                        for ds, v in last[1].items()}
    t.is_(got, want, "%s: each RRD file's last update holds exactly the "
          "kernel's counters (vifs) and the agent's figures (VMs)" % what)
    return stamps


def rrd_info(path):
    """{key: value as printed} of rrdtool info."""
    out = {}
    for line in run(["rrdtool", "info", path]).stdout.splitlines():
        key, _, value = line.partition(" = ")
        out[key] = value.strip('"')
    return out


def check_rates(t, files, first, second, stamps1, stamps2):
    """What rrdtool made of the second update of every counter's data
    source (DERIVE): the counter's difference over the time between the
    polls as the rate, accumulated for the seconds of the current step
    since the first poll or the step's start."""
    bad = []
    for key, path in sorted(files.items()):
        if key[0] not in ("Traffic (bits/sec, 64-bit counters)",
                          "Packets, Discards and Errors"):
            continue
        t1, t2 = stamps1[key], stamps2[key]
        info = rrd_info(path)
        for ds in second[key]:
            rate = (second[key][ds] - first[key][ds]) / (t2 - t1)
            want = rate * (t2 - max(t1, t2 - t2 % STEP))
            got = float(info["ds[%s].value" % ds])
            if t2 <= t1 or abs(got - want) > 1e-9 * max(1.0, want):
                bad.append((key, ds, (t1, t2), want, got))
    t.ok(not bad, "rrdtool took the counters' differences over the time "
         "between the polls as the rates", diag=lambda: "\n".join(
             map(repr, bad)))


def render(t, cacti, host_id, index, start, end):
    """Cacti draws the traffic graph of one vif into a PNG; its path."""
    graph = cacti.one(
        "SELECT l.id FROM graph_local l JOIN snmp_query_graph g "
        "ON g.id = l.snmp_query_graph_id WHERE l.host_id = %s AND "
        "l.snmp_index = '%d' AND g.name LIKE 'Traffic%%'" % (host_id, index))
    png = os.path.join(cacti.root, "graph.png")
    script = os.path.join(cacti.root, "render.php")
    with open(script, "w") as f:
        f.write("""<?php
$_SERVER['argv'] = array('render.php');
require('%s/include/cli_check.php');
require_once($config['library_path'] . '/rrd.php');
$out = rrdtool_function_graph(%s, 0, array('export' => true,
    'export_filename' => '%s', 'graph_start' => %d, 'graph_end' => %d,
    'graph_height' => 120, 'graph_width' => 500));
print $out;
""" % (cacti.site, graph, png, start, end))
    res = cacti.php(script)
    made = (os.path.exists(png)
            and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n")
    t.ok(res.returncode == 0 and made, "Cacti drew the vif's traffic graph",
         diag=lambda: output(res))
    return png if made else None


# ---- the test ---------------------------------------------------------------

def main(t):
    tap.require_root(t)
    missing = missing_packages()
    if missing:
        t.fail("Cacti and what it needs are installed",
               "not installed: %s (tools/install-deps installs them)"
               % " ".join(missing))
        return
    with Dom0() as dom0:
        root = dom0.path("cacti")
        db = MariaDB(os.path.join(root, "mariadb"))
        try:
            run_test(t, dom0, db, root)
        finally:
            try:
                db.stop()
            except RigError as err:
                t.fail("MariaDB stopped", str(err))
        t.ok(not db.daemon.running, "MariaDB stopped")


def run_test(t, dom0, db, root):
    web, dbvm = add_switch_vms(dom0)
    vms = {"web1": web, "db1": dbvm}
    dom0.start_snmpd()
    dom0.start_agent(AGENT_CONFIG)
    send_round(dom0, vms, ROUNDS[0])
    vifs1, figures1 = settle(t, dom0, vms, "first round")

    db.start()
    build_and_compare(t, db, root)
    cacti = Cacti(os.path.join(root, "cacti"), db, "cacti")
    cacti.install()
    import_template(t, cacti)
    host_id, queries = add_device(t, cacti, dom0)
    reindex(t, cacti, dom0, host_id)
    check_indexes(t, cacti, host_id, queries, vms)
    sources = add_graphs(t, cacti, dom0, host_id, queries, vms)
    files = rrd_files(cacti, sources)

    if PNG:
        wait_for_minute()
    poll(t, cacti, dom0, "first poll")
    first = expected_values(vifs1, figures1, vms)
    stamps1 = check_rrds(t, files, first, "first poll")
    t.is_({k: v for k, v in first.items() if k[0].startswith("Quota")},
          {("Quota Used (percent)", vm_index(web)): {"quota_used": 35},
           ("Quota Used (percent)", vm_index(dbvm)): {"quota_used": 0}},
          "web1 used 35% of its quota, db1 has none")

    send_round(dom0, vms, ROUNDS[1])
    vifs2, figures2 = settle(t, dom0, vms, "second round")
    if PNG:
        wait_for_minute()
    else:
        # RRD updates need times that differ (in whole seconds).
        last = max(stamps1.values())
        wait_until(lambda: time.time() >= last + 1.5, 10,
                   "a second after the first poll")
    poll(t, cacti, dom0, "second poll")
    second = expected_values(vifs2, figures2, vms)
    stamps2 = check_rrds(t, files, second, "second poll")
    t.is_(second[("Quota Used (percent)", vm_index(web))],
          {"quota_used": 89}, "web1 used 89% of its quota")
    check_rates(t, files, first, second, stamps1, stamps2)

    end = max(stamps2.values())
    if PNG:
        end = more_polls(t, cacti, dom0, vms, files)

    noise = [ln for ln in cacti.log_text().splitlines()
             if re.search(r"ERROR|FATAL|Poller Output Table", ln)
             and "DEPRECATED" not in ln and "Backtrace" not in ln]
    t.is_(noise, [], "Cacti logged no error, and its poller left nothing "
          "behind")

    start = min(stamps1.values()) - STEP
    png = render(t, cacti, host_id, index_of(web, 0), start, end + STEP)
    if png and PNG:
        shutil.copy(png, PNG)
        t.diag("graph kept as %s" % PNG)


def wait_for_minute():
    """Until the first seconds of the next minute: one poll a step."""
    target = (time.time() // 60 + 1) * 60 + 2
    wait_until(lambda: time.time() >= target, 70, "the next minute")


def more_polls(t, cacti, dom0, vms, files):
    """PNG_POLLS more rounds of traffic, a poll a minute, with web1 busy
    in bursts: the graph's data.  Returns the last update's time."""
    last = 0
    for n in range(PNG_POLLS):
        burst = 1 + (n * 7) % 5
        send_round(dom0, vms, {
            ("web1", 0): ((40 * burst, 1400), (25 * burst, 1200)),
            ("db1", 0): ((30, 800), (60, 1000)),
            ("db1", 1): ((10, 400), (10, 400))})
        settle(t, dom0, vms, "round %d for the graph" % (n + 3))
        wait_for_minute()
        poll(t, cacti, dom0, "poll %d for the graph" % (n + 3))
        last = max(lastupdate(p)[0] for p in files.values())
    return last


if __name__ == "__main__":
    tap.run(main)
