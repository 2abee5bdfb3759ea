#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Zabbix 6.0 from Debian reads XEN-VIF-MIB through our template,
pollers/zabbix/xen-vif-agent.yaml: imported through the frontend's API
(configuration.import), linked to a host at the rig's snmpd, it
discovers every VM (xenVifVmTable) and every vif (xenVifTable), keyed by
their indexes; the vif counters, each VM's period usage, quota, quota
used percent and status, rate alarm settings, what its usage counts
(addressed) and what was flooded to it, state, vcpus and memory are
exactly what the rig produced; the bit rate is the change of the
counter over Zabbix's own timestamps; the quota warning trigger fires at
the warning level and gives way to the quota exceeded trigger, and the
rate alarm, flood alarm and crashed VM triggers fire, the flooded
octets counted apart from the VM's usage.  A second host reads the same
template with the switch's community, in the context "xen"; a third,
with Debian's stock template Network Generic Device by SNMP, finds
every VM port of the switch (by ifDescr; that template reads the 32-bit
ifInOctets and ifOutOctets).

Everything is private to the test: a MariaDB in a temporary data dir
(on /dev/shm when it can, for speed) with its own socket and no network,
the schema Debian ships loaded into it, zabbix_server inside dom0's
network namespace (where snmpd listens), and the frontend's
api_jsonrpc.php served by `php -S` in a mount namespace of its own in
which /etc/zabbix holds a zabbix.conf.php naming the private database
(Debian's frontend reads only /etc/zabbix/zabbix.conf.php).

Needs Debian's zabbix-server-mysql, zabbix-frontend-php, mariadb-server,
php-cli and php-mysql: without them the test fails, naming what is
missing.  With XVA_SKIP_SLOW=1 it reports itself skipped."""

import gzip
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from common import (FAST, SWITCH_COMMUNITY, Dom0, add_switch_vms, index_of,
                    skip_unless_slow_wanted, tap, vm_index, vm_row,
                    wait_until)
from dom0 import COMMUNITY, SNMP_ADDRESS, SRCDIR, in_ns, run
from processes import Daemon, RigError, pid_alive, tail

TEMPLATE_FILE = os.path.join(SRCDIR, "pollers", "zabbix",
                             "xen-vif-agent.yaml")
TEMPLATE = "Xen VIF agent by SNMP"
STOCK_TEMPLATE = "Network Generic Device by SNMP"

ZABBIX_SERVER = "/usr/sbin/zabbix_server"
SCHEMA_DIR = "/usr/share/zabbix-server-mysql"
FRONTEND_DIR = "/usr/share/zabbix"
MARIADBD = "/usr/sbin/mariadbd"
MARIADB_INSTALL_DB = "/usr/bin/mariadb-install-db"
MARIADB = "/usr/bin/mariadb"
PHP = "/usr/bin/php"
UNSHARE = "/usr/bin/unshare"
PACKAGES = ("zabbix-server-mysql zabbix-frontend-php mariadb-server "
            "php-cli php-mysql")
DB_PASSWORD = "xva-zabbix"

# How often the test's hosts read values and discover (the template's
# defaults are 1m and 1h), through the template's own macros.
INTERVAL, LLD_INTERVAL = "2s", "5s"
# Deadlines: generous, for a loaded 2-core machine.
DISCOVERY_TIMEOUT = 90
VALUE_TIMEOUT = 60

# Frames (count, size) from and to each guest once the agent runs, so
# that they are this period's usage: different everywhere.
TRAFFIC = {("web1", 0): ((6, 1000), (3, 300)),
           ("db1", 0): ((5, 600), (4, 250)),
           ("db1", 1): ((3, 1400), (2, 700))}
AGENT_CONFIG = FAST + ("resourceInterval 1",
                       "quota web1 20K in warn 50",
                       "quota db1 1M",
                       "rateAlarm db1 out 8K 2",
                       "floodAlarm db1 8K 2")
WEB_RESOURCES = {"vcpus": 2, "mem_kb": 1048576, "max_mem_kb": 2097152}
QUOTA_NONE, QUOTA_OK, QUOTA_WARNING, QUOTA_EXCEEDED = 1, 2, 3, 4
ALARM_NONE, ALARM_OK, ALARM_ALARM = 1, 2, 3
ADDRESSED = 2                      # xenVifVmOutAccounting
UNKNOWN_MAC = "02:00:00:99:99:99"  # no port has it: what a bridge floods
IN, TOTAL = 1, 3
RUNNING, CRASHED = 1, 5
PROBLEM = "1"


def missing_packages():
    """What the test needs and this machine lacks, as sentences."""
    needed = ((ZABBIX_SERVER, "zabbix-server-mysql"),
              (os.path.join(SCHEMA_DIR, "schema.sql.gz"),
               "zabbix-server-mysql"),
              (os.path.join(FRONTEND_DIR, "api_jsonrpc.php"),
               "zabbix-frontend-php"),
              (MARIADBD, "mariadb-server"),
              (MARIADB_INSTALL_DB, "mariadb-server"),
              (MARIADB, "mariadb-client"),
              (PHP, "php-cli"),
              (UNSHARE, "util-linux"))
    missing = ["%s (Debian: %s)" % (path, package)
               for path, package in needed if not os.path.exists(path)]
    if os.path.exists(PHP):
        modules = run([PHP, "-m"], check=False).stdout.split()
        if "mysqli" not in modules:
            missing.append("PHP's mysqli module (Debian: php-mysql)")
    return missing


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def merged_inserts(path):
    """The SQL of a gzipped dump, each run of one-row INSERTs into one
    table merged into INSERTs of many rows: Debian's data.sql loads in
    seconds instead of a quarter of a minute.  Other lines pass as
    they are."""
    insert = re.compile(r"^(INSERT INTO `\w+` \([^)]*\) values )(\(.*\));$")
    out, prefix, rows, size = [], None, [], 0
    with gzip.open(path, "rt", encoding="utf-8") as dump:
        for line in dump:
            match = insert.match(line.rstrip("\n"))
            if match and match.group(1) == prefix and size < 1 << 20:
                rows.append(match.group(2))
                size += len(match.group(2))
                continue
            if rows:
                out.append(prefix + ",".join(rows) + ";\n")
            prefix, rows, size = None, [], 0
            if match:
                prefix, rows, size = (match.group(1), [match.group(2)],
                                      len(match.group(2)))
            else:
                out.append(line)
    if rows:
        out.append(prefix + ",".join(rows) + ";\n")
    return "".join(out)


DB_PREFIX = "xva-zabbix-db-"


def collect_stale_databases(base):
    """Remove the databases of runs of this test killed before they could
    (SIGKILL): their processes died with them, their data stays on
    /dev/shm, in memory."""
    for name in os.listdir(base):
        match = re.match(re.escape(DB_PREFIX) + r"(\d+)-", name)
        if match and not pid_alive(int(match.group(1))):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)


class ApiError(Exception):
    pass


class ServerDaemon(Daemon):
    """zabbix_server as the first process of a PID namespace of its own,
    under unshare --kill-child: should the test die even by SIGKILL,
    unshare dies with it (the rig's parent death signal), the server
    with unshare, and with the server every process it forked.  unshare
    ignores SIGTERM: stop() sends it to the server itself."""

    def stop(self, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return super().stop(timeout)
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) \
                    as handle:
                server = [int(pid) for pid in handle.read().split()]
        except OSError:
            server = []
        for pid in server:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RigError("zabbix_server did not stop within %gs on "
                           "SIGTERM; killed" % timeout) from None
        return self.proc.returncode


class Zabbix:
    """MariaDB, the frontend's API and zabbix_server, private to one
    dom0: configuration and logs in its work dir (kept when a test
    fails), the database in a temporary dir removed by close()."""

    def __init__(self, dom0):
        self.dom0 = dom0
        self.dir = dom0.path("zabbix")
        os.makedirs(self.dir)
        base = "/dev/shm"
        if not os.access(base, os.W_OK):
            base = tempfile.gettempdir()
        collect_stale_databases(base)
        self.dbdir = tempfile.mkdtemp(prefix="%s%d-" % (DB_PREFIX,
                                                        os.getpid()),
                                      dir=base)
        self.db_socket = os.path.join(self.dbdir, "mysqld.sock")
        self.server_log = os.path.join(self.dir, "zabbix_server.log")
        self.mariadbd = Daemon("mariadbd", self.path("mariadbd.out"))
        self.php = Daemon("php -S", self.path("php.log"))
        self.server = ServerDaemon("zabbix_server",
                                   self.path("zabbix_server.out"))
        self.url = None
        self.auth = None
        self._ids = itertools.count(1)

    def path(self, name):
        return os.path.join(self.dir, name)

    # -- the database --------------------------------------------------------

    def sql(self, statements, database=None, timeout=60):
        cmd = [MARIADB, "--no-defaults", "--socket=" + self.db_socket,
               "--user=root"] + ([database] if database else [])
        return run(cmd, input=statements, timeout=timeout)

    def start_database(self):
        data = os.path.join(self.dbdir, "data")
        run([MARIADB_INSTALL_DB, "--no-defaults", "--datadir=" + data,
             "--user=root", "--auth-root-authentication-method=socket",
             "--skip-test-db"], timeout=180)
        self.mariadbd.start([
            MARIADBD, "--no-defaults", "--datadir=" + data,
            "--socket=" + self.db_socket, "--skip-networking",
            "--pid-file=" + os.path.join(self.dbdir, "mysqld.pid"),
            "--log-error=" + self.path("mariadbd.err"), "--user=root",
            "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0"], os.environ)

        def answers():
            if not self.mariadbd.running:
                raise RigError("mariadbd exited:\n" + tail(
                    self.path("mariadbd.err")))
            return os.path.exists(self.db_socket) and self.sql("SELECT 1")
        wait_until(answers, 60, "MariaDB to answer", interval=0.2)
        self.sql("CREATE DATABASE zabbix CHARACTER SET utf8mb4 "
                 "COLLATE utf8mb4_bin;\n"
                 "CREATE USER zabbix@localhost IDENTIFIED BY '%s';\n"
                 "GRANT ALL ON zabbix.* TO zabbix@localhost;\n"
                 % DB_PASSWORD)
        for dump in ("schema", "images", "data"):
            self.sql(merged_inserts(os.path.join(
                SCHEMA_DIR, dump + ".sql.gz")), "zabbix", timeout=600)

    # -- the frontend's API --------------------------------------------------

    def start_frontend(self):
        """api_jsonrpc.php under php -S, with our zabbix.conf.php bound
        over /etc/zabbix in a mount namespace of its own."""
        conf = self.path("etc-zabbix")
        os.makedirs(conf)
        with open(os.path.join(conf, "zabbix.conf.php"), "w") as handle:
            handle.write("""<?php
$DB['TYPE'] = 'MYSQL';
$DB['SERVER'] = 'localhost';
$DB['PORT'] = '0';
$DB['DATABASE'] = 'zabbix';
$DB['USER'] = 'zabbix';
$DB['PASSWORD'] = '%s';
$DB['SCHEMA'] = '';
$DB['ENCRYPTION'] = false;
$DB['KEY_FILE'] = '';
$DB['CERT_FILE'] = '';
$DB['CA_FILE'] = '';
$DB['VERIFY_HOST'] = false;
$DB['CIPHER_LIST'] = '';
$DB['VAULT_URL'] = '';
$DB['VAULT_DB_PATH'] = '';
$DB['VAULT_TOKEN'] = '';
$DB['DOUBLE_IEEE754'] = true;
$ZBX_SERVER_NAME = 'xen-vif-agent test';
$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
""" % DB_PASSWORD)
        for attempt in range(3):
            address = "127.0.0.1:%d" % free_port()
            self.php.start([
                UNSHARE, "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$1" /etc/zabbix && exec "$2" -d '
                'mysqli.default_socket="$3" -S "$4" -t "$5"', "sh", conf,
                PHP, self.db_socket, address, FRONTEND_DIR], os.environ)
            self.url = "http://%s/api_jsonrpc.php" % address

            def answers():
                if not self.php.running:
                    return "exited"
                try:
                    return self.call("apiinfo.version", {})
                except OSError:
                    return None
            got = wait_until(answers, 30, "the frontend's API to answer",
                             interval=0.2)
            if got != "exited":
                break
            # Another process took the port between probe and bind.
            self.php.stop()
        else:
            raise RigError("php -S did not start:\n" + tail(
                self.path("php.log")))
        self.auth = self.call("user.login", {"username": "Admin",
                                             "password": "zabbix"})
        return got

    def call(self, method, params):
        """A call to the API: its result, ApiError for an error."""
        body = {"jsonrpc": "2.0", "method": method, "params": params,
                "id": next(self._ids)}
        if self.auth:
            body["auth"] = self.auth
        request = urllib.request.Request(
            self.url, json.dumps(body).encode(),
            {"Content-Type": "application/json-rpc"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=120) as answer:
            reply = json.load(answer)
        if "error" in reply:
            raise ApiError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    # -- the server ----------------------------------------------------------

    def start_server(self):
        """zabbix_server in dom0's namespace, where snmpd listens; few
        processes; the configuration cache synced every 2 s so that
        what discovery creates is polled at once."""
        conf = self.path("zabbix_server.conf")
        settings = {
            "LogType": "file", "LogFile": self.server_log,
            "LogFileSize": "0", "DebugLevel": "3",
            "PidFile": self.path("zabbix_server.pid"),
            "SocketDir": self.dir, "TmpDir": self.dir,
            "DBName": "zabbix", "DBUser": "zabbix",
            "DBPassword": DB_PASSWORD, "DBSocket": self.db_socket,
            # Debian 12's MariaDB 10.11 is newer than 6.0.14 knows.
            "AllowUnsupportedDBVersions": "1", "AllowRoot": "1",
            "ListenIP": "127.0.0.1", "StartPollers": "2",
            "StartPollersUnreachable": "1", "StartPreprocessors": "1",
            "StartHistoryPollers": "1", "StartTrappers": "1",
            "StartPingers": "0", "StartDiscoverers": "0",
            "StartHTTPPollers": "0", "StartTimers": "1",
            "StartEscalators": "1", "StartAlerters": "1",
            "StartLLDProcessors": "1", "StartODBCPollers": "0",
            "StartProxyPollers": "0", "StartDBSyncers": "1",
            "HousekeepingFrequency": "0", "CacheUpdateFrequency": "2",
            "UnreachablePeriod": "10", "UnreachableDelay": "2",
            "UnavailableDelay": "5", "Timeout": "4"}
        with open(conf, "w") as handle:
            handle.write("".join("%s=%s\n" % kv for kv in settings.items()))
        self.server.start(in_ns(self.dom0.ns, [
            UNSHARE, "--pid", "--fork", "--kill-child", ZABBIX_SERVER, "-f",
            "-c", conf]), os.environ)

        def started():
            if not self.server.running:
                raise RigError("zabbix_server exited:\n%s%s" % (
                    tail(self.server_log), self.server.log_tail()))
            return "server #0 started" in self.log()
        wait_until(started, 60, "zabbix_server to start", interval=0.2)

    def log(self):
        try:
            with open(self.server_log, errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    # -- cleaning up ---------------------------------------------------------

    def close(self):
        """Stop every process (a straggler of a process group gets
        SIGKILL) and remove the database; errors as a list."""
        errors = []
        for daemon in (self.server, self.php, self.mariadbd):
            if daemon.proc is None:
                continue
            try:
                daemon.stop(timeout=30)
            except RigError as err:
                errors.append(str(err))
            try:
                # Each started a session of its own: its id is the pid.
                os.killpg(daemon.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dbdir, ignore_errors=True)
        return errors

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        errors = self.close()
        current = tap.current()
        if errors and current is not None:
            current.fail("Zabbix's processes stopped cleanly",
                         "\n".join(errors))


# ---- the API's answers -----------------------------------------------------

def host_items(zbx, hostid):
    """{key: item} of a host's items, discovered ones included."""
    return {item["key_"]: item for item in zbx.call("item.get", {
        "hostids": [hostid], "output": ["itemid", "key_", "name",
                                        "lastvalue", "lastclock", "state",
                                        "error", "value_type", "flags"]})}


def host_triggers(zbx, hostid):
    """{description: trigger}: discovered triggers carry the VM's name."""
    return {trig["description"]: trig for trig in zbx.call("trigger.get", {
        "hostids": [hostid], "output": ["triggerid", "description", "value",
                                        "priority", "state", "error"]})}


def host_graphs(zbx, hostid):
    return sorted(g["name"] for g in zbx.call("graph.get", {
        "hostids": [hostid], "output": ["name"]}))


def history(zbx, item, limit=5):
    """The item's last values, newest first: [((clock, ns), value)]."""
    rows = zbx.call("history.get", {
        "itemids": [item["itemid"]], "history": int(item["value_type"]),
        "sortfield": "clock", "sortorder": "DESC", "limit": limit,
        "output": "extend"})
    rows.sort(key=lambda r: (int(r["clock"]), int(r["ns"])), reverse=True)
    return [((int(r["clock"]), int(r["ns"])), r["value"]) for r in rows]


def wait_values(zbx, hostid, want, what, timeout=VALUE_TIMEOUT):
    """Wait until every item of want ({key: value as str}) has it as its
    last value; returns {key: last value} of those items as they are at
    the end, for the caller to compare."""
    def got():
        items = host_items(zbx, hostid)
        return {key: items[key]["lastvalue"] if key in items else None
                for key in want}
    try:
        wait_until(lambda: got() == want, timeout, what, interval=0.5)
    except TimeoutError:
        pass
    return got()


def wait_trigger(zbx, hostid, description, value, timeout=VALUE_TIMEOUT):
    """Whether the trigger came to value ("1": problem, "0": OK)."""
    try:
        return wait_until(lambda: host_triggers(zbx, hostid).get(
            description, {}).get("value") == value, timeout,
            "%s to be %s" % (description, value), interval=0.5)
    except TimeoutError:
        return False


def drive_trigger(t, zbx, hostid, description, send, fires, resolves):
    """send() again and again until the trigger fires, which it must
    (checks fires), then stop and wait for it to resolve (resolves)."""
    def fired():
        send()
        return host_triggers(zbx, hostid)[description]["value"] == PROBLEM
    try:
        wait_until(fired, VALUE_TIMEOUT, description, interval=0.2)
    except TimeoutError:
        pass
    t.is_(host_triggers(zbx, hostid)[description]["value"], PROBLEM, fires)
    t.ok(wait_trigger(zbx, hostid, description, "0"), resolves)


def problems(zbx, hostid):
    return sorted(p["name"] for p in zbx.call("problem.get", {
        "hostids": [hostid], "output": ["name", "severity"]}))


# ---- what the rig produced -------------------------------------------------

def ports(web, db):
    return [(web, 0), (db, 0), (db, 1)]


def vif_octets(dom0, vm, devid):
    """(rx, tx) of the vif's dom0 end: xenVifHCIn/OutOctets."""
    stats = dom0.vif_stats(vm, devid)
    return stats["rx_bytes"], stats["tx_bytes"]


def vif_values(dom0, web, db):
    """{key: value} of the vif counters, from the kernel."""
    want = {}
    for vm, devid in ports(web, db):
        rx, tx = vif_octets(dom0, vm, devid)
        idx = index_of(vm, devid)
        want["xenvif.vif.in.octets[%d]" % idx] = str(rx)
        want["xenvif.vif.out.octets[%d]" % idx] = str(tx)
        want["xenvif.vif.status[%d]" % idx] = "1"
    return want


def sent(vm_name, column):
    """Octets the VM sent (column 0) or received (1) in TRAFFIC."""
    return sum(n * size for (name, _), frames in TRAFFIC.items()
               if name == vm_name for n, size in [frames[column]])


def vm_values(web, db):
    """{key: value} of the VM items, from what the test did."""
    web_in, web_out = sent("web1", 0), sent("web1", 1)
    db_in, db_out = sent("db1", 0), sent("db1", 1)
    rows = [
        (web, {"domid": web.domid, "devices": "vif3.0",
              "period.in": web_in, "period.out": web_out,
              "quota": 20000, "quota.direction": IN,
              "quota.used": web_in * 100 // 20000,
              "quota.status": QUOTA_OK,
              "rate.in.threshold": 0, "rate.out.threshold": 0,
              "rate.in.alarm": ALARM_NONE, "rate.out.alarm": ALARM_NONE,
              "flood.threshold": 0, "flood.alarm": ALARM_NONE}),
        (db, {"domid": db.domid, "devices": "vif4.0 vif4.1",
             "period.in": db_in, "period.out": db_out,
             "quota": 1000000, "quota.direction": TOTAL,
             "quota.used": (db_in + db_out) * 100 // 1000000,
             "quota.status": QUOTA_OK,
             "rate.in.threshold": 0, "rate.out.threshold": 8000,
             "rate.in.alarm": ALARM_NONE, "rate.out.alarm": ALARM_OK,
             "flood.threshold": 8000, "flood.alarm": ALARM_OK})]
    want = {}
    for vm, row in rows:
        # Nothing was flooded: what the VMs received was theirs.
        row.update({"out.accounting": ADDRESSED, "period.out.foreign": 0,
                    "flood.rate": 0})
        row.update({"state": RUNNING, "vcpus": vm.resources["vcpus"],
                    "memory": vm.resources["mem_kb"] * 1024,
                    "memory.max": vm.resources["max_mem_kb"] * 1024})
        for column, value in row.items():
            want["xenvif.vm.%s[%d]" % (column, vm_index(vm))] = str(value)
    return want


def served_vm_values(dom0, web, db):
    """The same, as snmpd serves them: what Zabbix read must be it."""
    columns = {"xenVifVmDomainId": "domid", "xenVifVmDevices": "devices",
               "xenVifVmPeriodInOctets": "period.in",
               "xenVifVmPeriodOutOctets": "period.out",
               "xenVifVmQuotaOctets": "quota",
               "xenVifVmQuotaDirection": "quota.direction",
               "xenVifVmQuotaUsedPercent": "quota.used",
               "xenVifVmQuotaStatus": "quota.status",
               "xenVifVmInRateThreshold": "rate.in.threshold",
               "xenVifVmOutRateThreshold": "rate.out.threshold",
               "xenVifVmInRateAlarm": "rate.in.alarm",
               "xenVifVmOutRateAlarm": "rate.out.alarm",
               "xenVifVmOutAccounting": "out.accounting",
               "xenVifVmPeriodOutForeignOctets": "period.out.foreign",
               "xenVifVmFloodBitRate": "flood.rate",
               "xenVifVmFloodRateThreshold": "flood.threshold",
               "xenVifVmFloodAlarm": "flood.alarm",
               "xenVifVmState": "state", "xenVifVmVcpus": "vcpus",
               "xenVifVmMemoryKBytes": "memory",
               "xenVifVmMaxMemoryKBytes": "memory.max"}
    out = {}
    for vm in (web, db):
        for column, value in vm_row(dom0, vm_index(vm), columns).items():
            if value.is_exception:
                value = value.type
            elif value.type == "STRING":
                value = value.text
            elif column in ("xenVifVmMemoryKBytes",
                            "xenVifVmMaxMemoryKBytes"):
                value = int(value) * 1024
            else:
                value = int(value)
            out["xenvif.vm.%s[%d]" % (columns[column], vm_index(vm))] = \
                str(value)
    return out


# ---- the checks ------------------------------------------------------------

def check_discovery(t, zbx, hostid, web, db, label):
    def discovered():
        keys = host_items(zbx, hostid)
        return all(k in keys for k in expected)
    expected = {}
    for vm in (web, db):
        idx = vm_index(vm)
        expected["xenvif.vm.quota.status[%d]" % idx] = \
            "VM %s: Quota status" % vm.name
        expected["xenvif.vm.period.in[%d]" % idx] = \
            "VM %s: Period usage, sent" % vm.name
    for vm, devid in ports(web, db):
        idx = index_of(vm, devid)
        expected["xenvif.vif.in.bits[%d]" % idx] = \
            "Vif %s.%d: Bits received from the VM" % (vm.name, devid)
        expected["xenvif.vif.out.octets[%d]" % idx] = \
            "Vif %s.%d: Octets sent to the VM" % (vm.name, devid)
    try:
        wait_until(discovered, DISCOVERY_TIMEOUT,
                   "%s: discovery of every VM and vif" % label, interval=1)
    except TimeoutError:
        pass
    items = host_items(zbx, hostid)
    t.is_({k: items[k]["name"] for k in expected if k in items}, expected,
          "%s: discovered every VM and vif, keyed by xenVifVmIndex and "
          "xenVifIndex, named by VM name and device id" % label)
    prototypes = {item["key_"].split("[")[0] for item in items.values()
                  if item["flags"] == "4"}
    return items, prototypes


def rates(zbx, hostid, idx):
    """[(got, expected, how)] for each bit rate Zabbix stored for web1.0's
    In with the counter's recent values: 8 times the counter's change
    over the two values' own timestamps (expected), and what it stored
    with the newer one (got: None if nothing).  Newest first."""
    items = host_items(zbx, hostid)
    raw = history(zbx, items["xenvif.vif.in.octets[%d]" % idx], 10)
    bits = dict(history(zbx, items["xenvif.vif.in.bits[%d]" % idx], 10))
    out = []
    for (t2, v2), (t1, v1) in zip(raw, raw[1:]):
        seconds = (t2[0] - t1[0]) + (t2[1] - t1[1]) / 1e9
        expected = 8 * (int(v2) - int(v1)) / seconds
        got = float(bits[t2]) if t2 in bits else None
        out.append((got, expected, "8 * (%s - %s) / %.9f" % (
            v2, v1, seconds)))
    return out


def check_rate(t, zbx, hostid, idx, what):
    """Wait for a rate over the traffic just sent (a change of the
    counter), then check every recent rate."""
    try:
        wait_until(lambda: any(got is not None and expected > 0 for
                               got, expected, _ in rates(zbx, hostid, idx)),
                   VALUE_TIMEOUT, "a rate of the counter's change",
                   interval=0.5)
    except TimeoutError:
        pass
    found = [r for r in rates(zbx, hostid, idx) if r[0] is not None]
    return t.ok(any(expected > 0 for _, expected, _ in found) and all(
        abs(got - expected) <= 1e-9 * max(expected, 1)
        for got, expected, _ in found), what, diag=found)


def add_stock_switch_host(zbx, group, address, port):
    """A host for the switch (its community, context xen) with Debian's
    stock template Network Generic Device by SNMP, whose interface
    discovery runs every hour: every 5 s in this test's database."""
    stock = zbx.call("template.get", {"filter": {"host": STOCK_TEMPLATE},
                                      "output": ["templateid"]})
    if not stock:
        return None
    for rule in zbx.call("discoveryrule.get", {
            "templateids": [stock[0]["templateid"]], "output": ["itemid"],
            "filter": {"key_": "net.if.discovery"}}):
        zbx.call("discoveryrule.update", {"itemid": rule["itemid"],
                                          "delay": LLD_INTERVAL})
    return zbx.call("host.create", {
        "host": "xen-dom0-switch-stock", "groups": [{"groupid": group}],
        "templates": [{"templateid": stock[0]["templateid"]}],
        "interfaces": [{"type": 2, "main": 1, "useip": 1, "ip": address,
                        "dns": "", "port": port,
                        "details": {"version": 2, "bulk": 1,
                                    "community": "{$SNMP_COMMUNITY}"}}],
        "macros": [{"macro": "{$SNMP_COMMUNITY}",
                    "value": SWITCH_COMMUNITY}]})["hostids"][0]


def check_stock_switch(t, zbx, hostid, web, db):
    """The stock template's interface discovery finds every VM port and
    nothing else, by ifIndex (= xenVifIndex) and ifDescr."""
    if hostid is None:
        return t.fail("Debian's data has " + STOCK_TEMPLATE)
    expected = {"net.if.in[ifInOctets.%d]" % index_of(vm, devid):
                "Interface %s vif %d: Bits received" % (vm.name, devid)
                for vm, devid in ports(web, db)}

    def found():
        return {k: i["name"] for k, i in host_items(zbx, hostid).items()
                if k.startswith("net.if.in[")}
    try:
        wait_until(lambda: found() == expected, DISCOVERY_TIMEOUT,
                   STOCK_TEMPLATE, interval=1)
    except TimeoutError:
        pass
    return t.is_(found(), expected, "the switch with Debian's stock %s: "
                 "one interface per VM port, by its ifIndex and ifDescr "
                 "(32-bit ifInOctets: the stock template reads no ifHC "
                 "counter)" % STOCK_TEMPLATE)


def main(t):
    tap.require_root(t)
    missing = missing_packages()
    if missing:
        t.fail("Zabbix, MariaDB and PHP are installed", "missing: %s\n"
               "install them (tools/install-deps): apt-get install "
               "--no-install-recommends %s php8.2-cgi" % (
                   "; ".join(missing), PACKAGES))
        return
    started = time.monotonic()
    with Dom0() as dom0, Zabbix(dom0) as zbx:
        web, db = add_switch_vms(dom0)
        dom0.set_resources(web, **WEB_RESOURCES)
        dom0.start_snmpd()
        dom0.start_agent(AGENT_CONFIG)
        for (name, devid), ((n_in, s_in), (n_out, s_out)) in TRAFFIC.items():
            vm = web if name == "web1" else db
            dom0.send_from_guest(vm, devid, count=n_in, size=s_in)
            dom0.send_to_guest(vm, devid, count=n_out, size=s_out)
        want_vms = vm_values(web, db)
        try:
            wait_until(lambda: served_vm_values(dom0, web, db) == want_vms,
                       20, "the agent to serve the usage", interval=0.2)
        except TimeoutError:
            pass
        t.is_(served_vm_values(dom0, web, db), want_vms,
              "the agent serves the usage, quotas and resources the rig "
              "produced")

        zbx.start_database()
        t.diag("the database loaded, %.0f s in" % (time.monotonic()
                                                   - started))
        version = zbx.start_frontend()
        t.ok(version.startswith("6.0."),
             "the frontend's API answers: Zabbix 6.0", diag=version)
        with open(TEMPLATE_FILE) as handle:
            source = handle.read()
        rules = {"groups": {"createMissing": True},
                 "templates": {"createMissing": True,
                               "updateExisting": True},
                 "valueMaps": {"createMissing": True,
                               "updateExisting": True}}
        for part in ("items", "discoveryRules", "triggers", "graphs"):
            rules[part] = {"createMissing": True, "updateExisting": True,
                           "deleteMissing": True}
        t.is_(zbx.call("configuration.import", {
            "format": "yaml", "source": source, "rules": rules}), True,
            "configuration.import accepts the template")
        template = zbx.call("template.get", {
            "filter": {"host": TEMPLATE}, "output": ["templateid"],
            "selectItems": "count", "selectDiscoveries": "count",
            "selectMacros": ["macro", "value"]})
        t.ok(len(template) == 1 and template[0]["items"] == "2"
             and template[0]["discoveries"] == "2",
             "the template: 2 items, 2 discovery rules", diag=template)

        # Debian's data has a host monitored by an agent nobody runs.
        for stock in zbx.call("host.get", {
                "output": ["hostid"], "filter": {"host": "Zabbix server"}}):
            zbx.call("host.update", {"hostid": stock["hostid"], "status": 1})
        group = zbx.call("hostgroup.create", {"name": "Xen dom0s"})[
            "groupids"][0]
        address, port = SNMP_ADDRESS.split(":")

        def add_host(name, community):
            return zbx.call("host.create", {
                "host": name, "groups": [{"groupid": group}],
                "templates": [{"templateid": template[0]["templateid"]}],
                "interfaces": [{"type": 2, "main": 1, "useip": 1,
                                "ip": address, "dns": "", "port": port,
                                "details": {"version": 2, "bulk": 1,
                                            "community":
                                            "{$SNMP_COMMUNITY}"}}],
                "macros": [{"macro": "{$SNMP_COMMUNITY}", "value": community},
                           {"macro": "{$XENVIF.INTERVAL}", "value": INTERVAL},
                           {"macro": "{$XENVIF.LLD.INTERVAL}",
                            "value": LLD_INTERVAL}]})["hostids"][0]
        host = add_host("xen-dom0", COMMUNITY)
        switch = add_host("xen-dom0-switch", SWITCH_COMMUNITY)
        stock_switch = add_stock_switch_host(zbx, group, address, port)
        zbx.start_server()
        t.diag("zabbix_server started, %.0f s in" % (time.monotonic()
                                                      - started))

        # Discovery.
        _, prototypes = check_discovery(t, zbx, host, web, db, "dom0")
        t.is_(prototypes, {
            "xenvif.vm." + k for k in (
                "domid", "devices", "period.in", "period.out", "quota",
                "quota.direction", "quota.used", "quota.status", "rate.in",
                "rate.out", "rate.in.threshold", "rate.out.threshold",
                "rate.in.alarm", "rate.out.alarm", "state", "vcpus",
                "memory", "memory.max", "cpu.util", "out.accounting",
                "period.out.foreign", "flood.rate", "flood.threshold",
                "flood.alarm")} | {
            "xenvif.vif." + k for k in (
                "status", "in.octets", "out.octets", "in.bits", "out.bits",
                "in.pkts", "out.pkts", "in.discards", "in.errors",
                "out.discards", "out.errors")},
            "every item prototype made items")

        t.diag("discovered, %.0f s in" % (time.monotonic() - started))
        # Exact values.
        want = dict(want_vms, **vif_values(dom0, web, db))
        want["xenvif.vm.count"] = "2"
        want["xenvif.vif.count"] = "3"
        t.is_(wait_values(zbx, host, want, "the values"), want,
              "every counter, usage, quota and resource as the rig made it")
        t.is_(served_vm_values(dom0, web, db), want_vms,
              "and as snmpd serves them")
        unsupported = {k: i["error"] for k, i in host_items(
            zbx, host).items() if i["state"] != "0"}
        t.is_(unsupported, {}, "no item is unsupported")
        graphs = host_graphs(zbx, host)
        t.is_(graphs, sorted(
            ["VM %s: %s" % (vm.name, g) for vm in (web, db)
             for g in ("Period usage", "Quota used", "Bit rate")]
            + ["Vif %s.%d: %s" % (vm.name, devid, g)
               for vm, devid in ports(web, db)
               for g in ("Traffic", "Packets")]), "graphs per VM and vif")
        triggers = host_triggers(zbx, host)
        t.is_({d: v["value"] for d, v in triggers.items()}, {
            "VM %s: %s" % (vm.name, what): "0" for vm in (web, db)
            for what in ("Traffic quota warning", "Traffic quota exceeded",
                         "Sending rate alarm", "Receiving rate alarm",
                         "Flooded", "Crashed")} | {
            "Vif %s.%d: Link down" % (vm.name, devid): "0"
            for vm, devid in ports(web, db)}, "triggers per VM and vif, OK")

        t.diag("values read, %.0f s in" % (time.monotonic() - started))
        # Traffic as a rate, and the quota's warning level: 12000 of
        # 20000 octets sent is 60 %.
        dom0.send_from_guest(web, 0, count=6, size=1000)
        widx = vm_index(web)
        rx = vif_octets(dom0, web, 0)[0]
        got = wait_values(zbx, host, {
            "xenvif.vif.in.octets[%d]" % index_of(web): str(rx),
            "xenvif.vm.period.in[%d]" % widx: "12000",
            "xenvif.vm.quota.used[%d]" % widx: "60",
            "xenvif.vm.quota.status[%d]" % widx: str(QUOTA_WARNING)},
            "web1's traffic")
        t.is_(got, {"xenvif.vif.in.octets[%d]" % index_of(web): str(rx),
                    "xenvif.vm.period.in[%d]" % widx: "12000",
                    "xenvif.vm.quota.used[%d]" % widx: "60",
                    "xenvif.vm.quota.status[%d]" % widx: str(QUOTA_WARNING)},
              "web1: 12000 octets sent, 60 % of its quota, warning")
        check_rate(t, zbx, host, index_of(web),
                   "web1.0: bits received from the VM, 8 times the octets' "
                   "change per second of Zabbix's own timestamps")
        warning = "VM web1: Traffic quota warning"
        exceeded = "VM web1: Traffic quota exceeded"
        t.ok(wait_trigger(zbx, host, warning, PROBLEM),
             "the quota warning trigger fires", diag=lambda: host_triggers(
                 zbx, host).get(warning))
        t.is_(problems(zbx, host), [warning], "one problem: web1's warning")

        # Over quota: 21000 octets.
        dom0.send_from_guest(web, 0, count=9, size=1000)
        t.ok(wait_trigger(zbx, host, exceeded, PROBLEM),
             "the quota exceeded trigger fires", diag=lambda: host_triggers(
                 zbx, host).get(exceeded))
        t.ok(wait_trigger(zbx, host, warning, "0"),
             "and the warning trigger resolves")
        t.is_(problems(zbx, host), [exceeded], "one problem: web1 exceeded")
        items = host_items(zbx, host)
        t.is_({k: items[k]["lastvalue"] for k in (
            "xenvif.vm.period.in[%d]" % widx,
            "xenvif.vm.quota.used[%d]" % widx,
            "xenvif.vm.quota.status[%d]" % widx)},
            {"xenvif.vm.period.in[%d]" % widx: "21000",
             "xenvif.vm.quota.used[%d]" % widx: "105",
             "xenvif.vm.quota.status[%d]" % widx: str(QUOTA_EXCEEDED)},
            "web1: 21000 octets, 105 %, exceeded")

        t.diag("quota triggers, %.0f s in" % (time.monotonic() - started))
        # A receiving rate above 8 kbit/s for 2 s: db1's rate alarm.
        alarm = "VM db1: Receiving rate alarm"

        drive_trigger(t, zbx, host, alarm,
                      lambda: dom0.send_to_guest(db, 0, count=4, size=1000),
                      "the receiving rate alarm trigger fires",
                      "and resolves once the traffic stops")

        # Frames addressed to others reaching db1 above 8 kbit/s for 2 s,
        # out of its vif as a bridge floods them: its flood alarm.  They
        # are counted apart, not in its usage (accounting addressed).
        flooded = "VM db1: Flooded"
        didx = vm_index(db)
        foreign = [0]
        usage = str(int(vm_row(dom0, didx, ("xenVifVmPeriodOutOctets",))[
            "xenVifVmPeriodOutOctets"]))

        def flood():
            dom0.network.send(dom0.ns, db.ifname(0), 4, 1000, UNKNOWN_MAC)
            foreign[0] += 4000
        drive_trigger(t, zbx, host, flooded, flood,
                      "the flood alarm trigger fires",
                      "and resolves once the flood stops")
        wait_trigger(zbx, host, alarm, "0")  # the flood was received too
        want = {"xenvif.vm.period.out.foreign[%d]" % didx: str(foreign[0]),
                "xenvif.vm.period.out[%d]" % didx: usage,
                "xenvif.vm.out.accounting[%d]" % didx: str(ADDRESSED),
                "xenvif.vm.flood.alarm[%d]" % didx: str(ALARM_OK)}
        t.is_(wait_values(zbx, host, want, "db1's flood"), want,
              "db1: %d octets flooded to it, counted apart; its usage "
              "did not move" % foreign[0])

        # A crash.
        dom0.set_resources(db, state="crashed")
        crashed = "VM db1: Crashed"
        t.ok(wait_trigger(zbx, host, crashed, PROBLEM),
             "the crashed VM trigger fires")
        t.is_(problems(zbx, host), sorted([exceeded, crashed]),
              "the problems: web1 exceeded, db1 crashed")

        t.diag("rate and crash triggers, %.0f s in" % (
            time.monotonic() - started))
        # The switch's context serves XEN-VIF-MIB too.
        check_discovery(t, zbx, switch, web, db, "the switch (context xen)")
        want = vif_values(dom0, web, db)
        want["xenvif.vm.quota.status[%d]" % widx] = str(QUOTA_EXCEEDED)
        t.is_(wait_values(zbx, switch, want, "the switch's values"), want,
              "the switch: the vif counters as the kernel counted them")

        check_stock_switch(t, zbx, stock_switch, web, db)
        t.diag("done, %.0f s in" % (time.monotonic() - started))


skip_unless_slow_wanted()
tap.run(main)
