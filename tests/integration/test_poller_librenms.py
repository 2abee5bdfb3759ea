#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""pollers/librenms: the OS xen-vif-switch for LibreNMS (not in Debian,
so no LibreNMS runs here).

Without the rig: both YAML files load, are valid against LibreNMS's own
JSON schemas (os_schema.json, discovery_schema.json) when they are found
(see schema_dir()), have the shape LibreNMS's YAML discovery reads, and
every OID in them is the XEN-VIF-MIB object it names (snmptranslate
with erlang-snmp's base MIBs and mib/), each state sensor's states being
the object's enumeration and each class's unit the object's UNITS.

On the rig: the switch context answers the detection's sysObjectID (dom0's
own context does not); the os module's sysDescr regex finds the agent's
version; then the switch is walked as LibreNMS's YAML discovery walks it
(snmpbulkwalk -OteQUS -Ih of each definition's oid) and the sensors it
would create are worked out from the definitions, compared one by one
with the VMs, quotas, rate alarms and domain states set up, and polled
at their num_oid as LibreNMS's poller does: quota percentages exactly
what the traffic sent makes of each quota, states mapped to the declared
states and generic levels, bit rates 0 at rest and above the threshold
while a rate alarm is raised.

python3-yaml and python3-jsonschema (Debian 12: 4.10, draft 2020-12) are
required: without them the test fails and says so."""

import glob
import json
import os
import re
import subprocess
import tempfile
import time

from common import (FAST, SWITCH_OBJECT_ID, SWITCH_V2C, Dom0, Vif, tap,
                    add_switch_vms, vm_index, vm_row, wait_until)
from dom0 import BUILDDIR, SNMP_ADDRESS, SRCDIR

try:
    import yaml
except ImportError as err:
    yaml, YAML_ERROR = None, err
try:
    import jsonschema
    import jsonschema.validators
except ImportError as err:
    jsonschema, JSONSCHEMA_ERROR = None, err

HERE = os.path.join(SRCDIR, "pollers", "librenms")
DETECTION = os.path.join(HERE, "os_detection", "xen-vif-switch.yaml")
DISCOVERY = os.path.join(HERE, "os_discovery", "xen-vif-switch.yaml")
OS_NAME = "xen-vif-switch"
MIB = "XEN-VIF-MIB"
MIB_ROOT = ".1.3.6.1.4.1.8072.9999.98"
SCHEMA_FILES = ("os_schema.json", "discovery_schema.json")

# LibreNMS's sensor classes (doc/Developing/os/Health-Information.md)
# and the UNITS of XEN-VIF-MIB each class wants.
SENSOR_CLASSES = {
    "airflow", "ber", "bitrate", "charge", "chromatic_dispersion", "cooling",
    "count", "current", "dbm", "delay", "eer", "fanspeed", "frequency",
    "humidity", "load", "loss", "percent", "power", "power_consumed",
    "power_factor", "pressure", "quality_factor", "runtime", "signal",
    "signal_loss", "snr", "state", "temperature", "tv_signal", "voltage",
    "waterflow"}
CLASS_UNITS = {"bitrate": "bits per second", "percent": "percent",
               "count": None, "state": None}
# LibreNMS's generic states: OK, Warning, Critical, Unknown.
GENERIC = {0, 1, 2, 3}
NUM_OID_RE = re.compile(r"^((?:\.\d+)+)\.\{\{ \$index \}\}$")
TEMPLATE_RE = re.compile(r"\{\{ \$?([A-Za-z0-9\-.:]+) \}\}")

# The rig: four VMs, a quota in each direction and none, a rate alarm.
QUOTAS = {"web1": (10000, "in", 50), "db1": (3000, "total", 80),
          "app1": (1000000, "out", 80)}
CONFIG = FAST + ("resourceInterval 1", "quota web1 10K in warn 50",
                 "quota db1 3K total", "quota app1 1M out",
                 "rateAlarm db1 in 16K 2")
RATE_THRESHOLD = 16000
STATES = {"web1": ("running", 1), "db1": ("blocked", 2),
          "app1": ("paused", 3), "idle1": ("crashed", 5)}
# (vm, devid): ((frames from the guest, size), (frames to it, size))
TRAFFIC = {("web1", 0): ((6, 1000), (0, 0)),
           ("db1", 0): ((1, 1000), (0, 0)),
           ("db1", 1): ((0, 0), (2, 1200)),
           ("app1", 0): ((0, 0), (3, 500)),
           ("idle1", 0): ((0, 0), (0, 0))}


# ---- the files --------------------------------------------------------------

def load_yaml(t, path, what):
    try:
        with open(path) as handle:
            doc = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as err:
        t.fail("%s loads as YAML" % what, diag=str(err))
        return None
    t.ok(isinstance(doc, dict), "%s loads as YAML, a mapping" % what)
    return doc if isinstance(doc, dict) else None


def sensor_entries(discovery):
    """[(class, entry)] of the discovery file's sensors, in order."""
    return [(cls, entry)
            for cls, group in discovery["modules"]["sensors"].items()
            for entry in group["data"]]


# ---- LibreNMS's schemas -----------------------------------------------------

def schema_dir():
    """(directory, where from) holding LibreNMS's os_schema.json and
    discovery_schema.json, or (None, the places looked at).  They are
    LibreNMS's (GPL-3.0-or-later) and not part of this project:
    XVA_LIBRENMS_SCHEMAS names the directory; else a LibreNMS checkout
    (XVA_LIBRENMS) or install (/opt/librenms), tests/vendor/librenms,
    or shared/librenms/schema beside the source tree."""
    explicit = os.environ.get("XVA_LIBRENMS_SCHEMAS")
    if explicit:
        return explicit, "XVA_LIBRENMS_SCHEMAS"
    places = []
    if os.environ.get("XVA_LIBRENMS"):
        places.append(os.path.join(os.environ["XVA_LIBRENMS"], "resources",
                                   "definitions", "schema"))
    places += [os.path.join(SRCDIR, "tests", "vendor", "librenms"),
               os.path.join(os.path.dirname(SRCDIR), "shared", "librenms",
                            "schema"),
               "/opt/librenms/resources/definitions/schema"]
    for place in places:
        if all(os.path.isfile(os.path.join(place, f)) for f in SCHEMA_FILES):
            return place, place
    return None, ", ".join(places)


def schema_errors(validator, doc):
    return ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "(top)",
                        e.message)
            for e in sorted(validator.iter_errors(doc),
                            key=lambda e: list(map(str, e.absolute_path)))]


def check_schemas(t, detection, discovery):
    where, looked = schema_dir()
    if where is None:
        t.skip("the files are valid against LibreNMS's schemas",
               "LibreNMS's os_schema.json and discovery_schema.json not "
               "found (set XVA_LIBRENMS_SCHEMAS; looked in %s)" % looked)
        return
    schemas = {}
    for name in SCHEMA_FILES:
        try:
            with open(os.path.join(where, name)) as handle:
                schemas[name] = json.load(handle)
        except (OSError, ValueError) as err:
            t.fail("LibreNMS's %s loads as JSON (%s)" % (name, where),
                   diag=str(err))
            return
    validators = {}
    version = jsonschema_version()
    for name, schema in schemas.items():
        cls = jsonschema.validators.validator_for(schema, default=None)
        if not t.ok(cls is not None, "python3-jsonschema %s knows %s's "
                    "draft" % (version, name), diag=schema.get("$schema")):
            return
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as err:
            t.fail("%s is a valid %s schema" % (name, cls.__name__),
                   diag=str(err))
            return
        t.ok(True, "%s (from %s): a valid %s schema for "
             "python3-jsonschema %s" % (name, where, cls.__name__, version))
        validators[name] = cls(schema)
    t.is_(schema_errors(validators["os_schema.json"], detection), [],
          "os_detection/%s.yaml is valid against os_schema.json" % OS_NAME)
    t.is_(schema_errors(validators["discovery_schema.json"], discovery), [],
          "os_discovery/%s.yaml is valid against discovery_schema.json"
          % OS_NAME)
    # Classes the schema does not list are let through unchecked: check
    # them against its generic sensor definition, as the listed ones are.
    schema = schemas["discovery_schema.json"]
    listed = (schema["properties"]["modules"]["properties"]["sensors"]
              .get("properties", {}))
    extra = sorted(set(discovery["modules"]["sensors"]) - set(listed))
    if extra and "sensor" in schema.get("$defs", {}):
        generic = validators["discovery_schema.json"].evolve(schema={
            "$schema": schema["$schema"], "$defs": schema["$defs"],
            "$ref": "#/$defs/sensor"})
        t.is_({cls: schema_errors(generic, discovery["modules"]["sensors"][
            cls]) for cls in extra}, {cls: [] for cls in extra},
            "the classes it does not list (%s) are valid against its "
            "$defs/sensor" % ", ".join(extra))


def jsonschema_version():
    try:
        from importlib.metadata import version
        return version("jsonschema")
    except Exception:                   # noqa: BLE001 - only for messages
        return "?"


# ---- the shape LibreNMS's YAML discovery reads ------------------------------

def check_shape(t, detection, discovery):
    t.is_((detection.get("os"), sorted(k for k in ("os", "text", "type",
                                                    "discovery")
                                       if k in detection)),
          (OS_NAME, ["discovery", "os", "text", "type"]),
          "detection: os %s with text, type and discovery" % OS_NAME)
    oids = [oid for item in detection["discovery"]
            for oid in item.get("sysObjectID", [])]
    t.is_(oids, [SWITCH_OBJECT_ID],
          "detected by one sysObjectID, the switch's (xenVifSwitch)")
    entries = sensor_entries(discovery)
    t.is_(sorted(set(cls for cls, _ in entries) - SENSOR_CLASSES), [],
          "every sensor class is one LibreNMS has")
    problems = []
    seen = set()
    for cls, e in entries:
        where = "%s %s" % (cls, e.get("index"))
        for key in ("oid", "num_oid", "index", "descr"):
            if not isinstance(e.get(key), str):
                problems.append("%s: no %s" % (where, key))
        if not NUM_OID_RE.match(e.get("num_oid", "")):
            problems.append("%s: num_oid is not numeric.{{ $index }}" % where)
        key = (cls, e.get("state_name"), e.get("index"))
        if key in seen:
            problems.append("%s: index not unique" % where)
        seen.add(key)
        if cls != "state":
            continue
        states = e.get("states") or []
        if not e.get("state_name"):
            problems.append("%s: no state_name" % where)
        for s in states:
            if sorted(s) != ["descr", "generic", "graph", "value"] or not (
                    isinstance(s["value"], int) and s["generic"] in GENERIC
                    and isinstance(s["graph"], int)):
                problems.append("%s: state %r" % (where, s))
        if len({s.get("value") for s in states}) != len(states):
            problems.append("%s: a state value twice" % where)
    names = [e["state_name"] for cls, e in entries if cls == "state"]
    if len(set(names)) != len(names):
        problems.append("state_name used twice: %r" % names)
    t.is_(problems, [], "every sensor has oid, num_oid (numeric, then "
          "{{ $index }}), a unique index and a descr; every state sensor "
          "its own state_name and states with value, descr, graph and a "
          "generic level 0-3")


# ---- OIDs against the MIB ---------------------------------------------------

class Mib:
    """snmptranslate with erlang-snmp's base modules and mib/, loading
    XEN-VIF-MIB only, under an empty configuration."""

    def __init__(self, base, tmp):
        self.path = "%s:%s" % (base, os.path.join(SRCDIR, "mib"))
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("MIBS", "MIBDIRS")}
        self.env.update(SNMPCONFPATH=tmp, SNMP_PERSISTENT_DIR=tmp, HOME=tmp)

    def run(self, *args):
        res = subprocess.run(["snmptranslate", "-M", self.path, "-m", MIB]
                             + list(args), capture_output=True, text=True,
                             env=self.env, timeout=60)
        return res.stdout.strip() if res.returncode == 0 else None

    def numeric(self, name):
        return self.run("-On", name)

    def name(self, numeric):
        return self.run(numeric)

    def describe(self, name):
        """{SYNTAX, UNITS, MAX-ACCESS, ...: text} of -Td."""
        text = self.run("-Td", name) or ""
        out = {}
        for line in text.splitlines():
            key, _, value = line.strip().partition("\t")
            if key in ("SYNTAX", "UNITS", "MAX-ACCESS"):
                out[key] = value.strip()
        return out


def enum_of(syntax):
    """{label: number} of 'INTEGER {none(1), ok(2)}'."""
    return {label: int(n) for label, n in
            re.findall(r"([A-Za-z][\w-]*)\((\d+)\)", syntax or "")}


def mib_names(entry):
    """Every MIB-qualified name an entry refers to."""
    names = set()
    for key, value in entry.items():
        if key in ("states", "num_oid", "index"):
            continue
        if key == "skip_values":
            names.update(s["oid"] for s in value if isinstance(s, dict))
        elif isinstance(value, str):
            names.update(n for n in TEMPLATE_RE.findall(value) if "::" in n)
            if "::" in value and "{{" not in value:
                names.add(value)
    return names


def check_mib(t, detection, discovery):
    base = sorted(glob.glob("/usr/lib/erlang/lib/snmp-*/mibs"))
    if not t.ok(base, "erlang-snmp's base MIBs are installed (Debian: "
                "erlang-snmp)"):
        return
    with tempfile.TemporaryDirectory() as tmp:
        mib = Mib(base[-1], tmp)
        oid = detection["discovery"][0]["sysObjectID"][0]
        t.is_(mib.name(oid), MIB + "::xenVifSwitch",
              "the detection's sysObjectID is XEN-VIF-MIB's xenVifSwitch")

        entries = sensor_entries(discovery)
        names = sorted(set().union(*(mib_names(e) for _, e in entries)))
        numeric = {n: mib.numeric(n) for n in names}
        t.is_([n for n, o in numeric.items()
               if not (o and o.startswith(MIB_ROOT + "."))], [],
              "every name the definitions use is an object of %s: %s"
              % (MIB, ", ".join(n.split("::")[1] for n in names)))

        wrong, units, outside, states = [], [], [], []
        for cls, e in entries:
            column = e.get("value", e["oid"])
            match = NUM_OID_RE.match(e.get("num_oid", ""))
            prefix = match.group(1) if match else e.get("num_oid")
            got = mib.name(prefix) if match else None
            if got != column:
                wrong.append((cls, e["index"], prefix, got, column))
            desc = mib.describe(column)
            if (desc.get("MAX-ACCESS") != "read-only"
                    or desc.get("UNITS", "").strip('"') != (
                        CLASS_UNITS.get(cls) or "")):
                units.append((cls, column, desc))
            if e["oid"].endswith("Table"):
                entry_oid = numeric.get(e["oid"]) or mib.numeric(e["oid"])
                outside += [(e["index"], n) for n in mib_names(e)
                            if n != e["oid"] and not (numeric[n] or "")
                            .startswith(entry_oid + ".1.")]
            if cls == "state":
                declared = {s["descr"]: s["value"] for s in e["states"]}
                defined = enum_of(desc.get("SYNTAX"))
                if declared != defined:
                    states.append((column, declared, defined))
            limit = e.get("warn_limit")
            if isinstance(limit, str) and "::" in limit:
                got = mib.describe(limit).get("UNITS", "").strip('"')
                if got != CLASS_UNITS.get(cls):
                    units.append((cls, limit, got))
        t.is_(wrong, [], "every num_oid is the column (or scalar) of its "
              "value, followed by the row's index")
        t.is_(units, [], "every value is read-only, with the UNITS its "
              "class wants (bitrate: bits per second; percent: percent), "
              "and so is the percent sensor's warning limit")
        t.is_(outside, [], "every column an entry reads is a column of "
              "the table it walks")
        t.is_(states, [], "every state sensor's states are its object's "
              "enumeration, label for label")
        regex = php_regex(discovery["modules"]["os"]["sysDescr_regex"])
        t.ok(regex is not None and {"version", "features"} <= set(
            regex.groupindex), "the os module's sysDescr_regex compiles, "
             "naming version and features")


def php_regex(text):
    """A Python re of a PHP (PCRE) '/.../' pattern, or None."""
    match = re.match(r"^/(.*)/([a-z]*)$", text or "", re.S)
    if not match or match.group(2):
        return None
    try:
        return re.compile(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<",
                                 match.group(1)))
    except re.error:
        return None


# ---- LibreNMS's walk and discovery, on the rig ------------------------------

def librenms_walk(dom0, oid):
    """{index: {MIB::column: value}} as LibreNMS's YAML discovery caches a
    walk of oid: snmpbulkwalk -OteQUS -Ih (enums and time ticks as
    numbers, MIB-qualified names, no units), in the switch context."""
    res = dom0.snmp_tool("snmpbulkwalk", ["-OteQUS", "-Ih", SNMP_ADDRESS,
                                          oid], auth=SWITCH_V2C)
    rows = {}
    for line in res.stdout.splitlines():
        name, sep, value = line.partition(" = ")
        column, dot, index = name.partition(".")
        if not sep or not dot:
            raise AssertionError("walk of %s: %r" % (oid, line))
        rows.setdefault(index, {})[column] = value.strip().strip('"')
    return rows


def resolve(spec, row, index):
    """A field as LibreNMS's YAML discovery makes it for one row: {{ }}
    templates replaced, a column's name replaced by its value."""
    if not isinstance(spec, str):
        return spec
    if "{{" in spec:
        def value_of(match):
            key = match.group(1)
            if key == "index":
                return index
            return row.get(key, row.get("%s::%s" % (MIB, key), ""))
        return TEMPLATE_RE.sub(value_of, spec)
    return row.get(spec, spec)


def skipped(entry, row):
    for skip in entry.get("skip_values", []):
        have = row.get(skip["oid"])
        if have is None:
            continue
        same = float(have) == float(skip["value"])
        if same == (skip["op"] in ("=", "==")):
            return True
    return False


def discover(discovery, walks):
    """{(class, state_name, index): sensor} LibreNMS's YAML discovery would
    create, each {descr, num_oid, value, warn_limit, high_limit, states}."""
    sensors = {}
    for cls, e in sensor_entries(discovery):
        column = e.get("value", e["oid"])
        for index, row in sorted(walks[e["oid"]].items()):
            if column not in row or skipped(e, row):
                continue
            sensor = {k: resolve(e.get(k), row, index)
                      for k in ("descr", "num_oid", "warn_limit",
                                "high_limit", "group")}
            sensor["value"] = float(row[column])
            for limit in ("warn_limit", "high_limit"):
                if sensor[limit] is not None:
                    sensor[limit] = float(sensor[limit])
            sensor["states"] = {s["value"]: (s["descr"], s["generic"])
                                for s in e.get("states", [])}
            sensors[(cls, e.get("state_name"),
                     resolve(e["index"], row, index))] = sensor
    return sensors


def poll(dom0, sensors):
    """{key: value} of each sensor's num_oid, by GET in the switch context
    (numeric OIDs, as LibreNMS's poller asks)."""
    keys = sorted(sensors)
    values = []
    for i in range(0, len(keys), 20):
        oids = [sensors[k]["num_oid"] for k in keys[i:i + 20]]
        values += dom0.snmpget(*oids, auth=SWITCH_V2C)
    return {k: (None if v.is_exception else float(int(v)))
            for k, v in zip(keys, values)}


def expected_sensors(vms, used, nvifs):
    """What the sensors must be, from what the rig set up."""
    out = {}
    entry = MIB_ROOT + ".1.5.1"

    def add(cls, state_name, column, n, vm, descr, value, **extra):
        idx = vm_index(vm)
        out[(cls, state_name, "%s.%d" % (column, idx))] = dict(
            descr=descr % vm.name, num_oid="%s.%d.%d" % (entry, n, idx),
            value=float(value), **extra)

    for vm in vms:
        add("bitrate", None, "xenVifVmInBitRate", 13, vm, "%s sent (In)", 0)
        add("bitrate", None, "xenVifVmOutBitRate", 14, vm,
            "%s received (Out)", 0)
        quota = QUOTAS.get(vm.name)
        status = ("none", 1)
        if quota:
            amount, direction, warn = quota
            spent = {"in": used[vm.name][0], "out": used[vm.name][1],
                     "total": sum(used[vm.name])}[direction]
            percent = spent * 100 // amount
            status = (("exceeded", 4) if percent >= 100 else
                      ("warning", 3) if percent >= warn else ("ok", 2))
            add("percent", None, "xenVifVmQuotaUsedPercent", 10, vm,
                "%s quota used", percent, warn_limit=float(warn),
                high_limit=100.0)
        add("state", "xenVifVmQuotaStatus", "xenVifVmQuotaStatus", 11, vm,
            "%s quota", status[1], state=status[0])
        alarm = ("ok", 2) if vm.name == "db1" else ("none", 1)
        add("state", "xenVifVmInRateAlarm", "xenVifVmInRateAlarm", 17, vm,
            "%s sending rate (In)", alarm[1], state=alarm[0])
        add("state", "xenVifVmOutRateAlarm", "xenVifVmOutRateAlarm", 18, vm,
            "%s receiving rate (Out)", 1, state="none")
        add("state", "xenVifVmState", "xenVifVmState", 20, vm,
            "%s domain state", STATES[vm.name][1], state=STATES[vm.name][0])
    for column, n, descr, value in (
            ("xenVifVmNumber", 4, "VMs with a vif", len(vms)),
            ("xenVifNumber", 1, "VM network devices", nvifs)):
        out[("count", None, column + ".0")] = dict(
            descr=descr, num_oid="%s.1.%d.0" % (MIB_ROOT, n),
            value=float(value))
    return out


def seen(sensors):
    """The parts of discovered sensors expected_sensors() gives."""
    out = {}
    for key, s in sensors.items():
        got = dict(descr=s["descr"], num_oid=s["num_oid"], value=s["value"])
        if s["warn_limit"] is not None or s["high_limit"] is not None:
            got.update(warn_limit=s["warn_limit"], high_limit=s["high_limit"])
        if key[0] == "state":
            got["state"] = s["states"].get(int(s["value"]), ("?",))[0]
        out[key] = got
    return out


GENERIC_OF = {"none": 0, "ok": 0, "warning": 1, "exceeded": 2, "alarm": 2,
              "running": 0, "blocked": 0, "paused": 1, "shutdown": 1,
              "crashed": 2, "dying": 1}


def package_version():
    """PACKAGE_VERSION of the build (config.h), else configure.ac's."""
    for path, pattern in (
            (os.path.join(BUILDDIR, "config.h"),
             r'#define PACKAGE_VERSION "([^"]+)"'),
            (os.path.join(SRCDIR, "configure.ac"),
             r"AC_INIT\(\[[^]]*\], \[([^]]+)\]")):
        try:
            with open(path) as handle:
                match = re.search(pattern, handle.read())
        except OSError:
            continue
        if match:
            return match.group(1)
    return None


def check_live(t, detection, discovery):
    with Dom0() as dom0:
        web, db = add_switch_vms(dom0)
        app = dom0.add_vm("app1", 5, vifs=[Vif(0)])
        idle = dom0.add_vm("idle1", 6, vifs=[Vif(0)])
        vms = [web, db, app, idle]
        for vm in vms:
            dom0.set_resources(vm, state=STATES[vm.name][0])
        dom0.start_snmpd()
        dom0.start_agent(CONFIG)

        # Detection: the switch answers the definition's sysObjectID,
        # dom0's own context another (it stays linux).
        switch_id, switch_descr = dom0.snmpget(
            ".1.3.6.1.2.1.1.2.0", ".1.3.6.1.2.1.1.1.0", auth=SWITCH_V2C)
        dom0_id = dom0.snmpget(".1.3.6.1.2.1.1.2.0")[0]
        item = detection["discovery"][0]
        t.ok(list(item) == ["sysObjectID"] and any(
            str(switch_id.value).startswith(o) for o in item["sysObjectID"]),
            "the switch's sysObjectID.0 (%s) matches the detection: "
            "LibreNMS makes it %s" % (switch_id.value, OS_NAME))
        t.ok(not any(str(dom0_id.value).startswith(o)
                     for o in item["sysObjectID"]),
             "dom0's own sysObjectID.0 (%s) does not: dom0 stays what it "
             "was" % dom0_id.value)
        found = php_regex(discovery["modules"]["os"]["sysDescr_regex"])
        found = found and found.search(switch_descr.text)
        uname = os.uname()
        t.is_(found and found.groupdict(),
              {"version": package_version(), "features": "%s %s %s" % (
                  uname.sysname, uname.release, uname.machine)},
              "os module: version and features from the switch's sysDescr")

        before = {k: dom0.vif_stats(next(v for v in vms if v.name == k[0]),
                                    k[1]) for k in TRAFFIC}
        for (name, devid), ((n_in, s_in), (n_out, s_out)) in TRAFFIC.items():
            vm = next(v for v in vms if v.name == name)
            if n_in:
                dom0.send_from_guest(vm, devid, count=n_in, size=s_in)
            if n_out:
                dom0.send_to_guest(vm, devid, count=n_out, size=s_out)
        used = {vm.name: [0, 0] for vm in vms}
        for (name, devid), stats in before.items():
            vm = next(v for v in vms if v.name == name)
            after = dom0.vif_stats(vm, devid)
            used[name][0] += after["rx_bytes"] - stats["rx_bytes"]
            used[name][1] += after["tx_bytes"] - stats["tx_bytes"]

        def settled():
            rows = {vm.name: vm_row(dom0, vm_index(vm), (
                "xenVifVmPeriodInOctets", "xenVifVmPeriodOutOctets",
                "xenVifVmInBitRate", "xenVifVmOutBitRate"))
                for vm in vms}
            return all([int(r["xenVifVmPeriodInOctets"]),
                        int(r["xenVifVmPeriodOutOctets"])] == used[n]
                       and int(r["xenVifVmInBitRate"]) == 0
                       and int(r["xenVifVmOutBitRate"]) == 0
                       for n, r in rows.items())
        t.ok(wait_until(settled, 15, "the period usage of the traffic sent"),
             "the agent counts the traffic sent in each VM's period (%s), "
             "and the rates are back to 0" % ", ".join(
                 "%s in %d out %d" % (n, i, o) for n, (i, o) in used.items()))

        walks = {oid: librenms_walk(dom0, oid) for oid in sorted(
            {e["oid"] for _, e in sensor_entries(discovery)})}
        sensors = discover(discovery, walks)
        want = expected_sensors(vms, used, 5)
        t.is_(seen(sensors), want, "LibreNMS's discovery of the switch "
              "finds each sensor of each VM, with its descr, num_oid, "
              "value, limits and state: quota percentages from the traffic "
              "sent (web1 in, db1 total, app1 out; none for idle1)")
        polled = poll(dom0, sensors)
        t.is_(polled, {k: s["value"] for k, s in sensors.items()},
              "polled at its num_oid, each sensor reads what discovery saw")
        t.is_({k: s["states"][int(polled[k])][1] for k, s in sensors.items()
               if k[0] == "state" and polled[k] is not None},
              {k: GENERIC_OF[w["state"]] for k, w in want.items()
               if k[0] == "state"},
              "each state maps to its LibreNMS generic level (warning 1, "
              "exceeded 2, paused 1, crashed 2, the rest 0)")

        # A rate alarm: db1 sends above 16 kbit/s until its sending-rate
        # sensor reads alarm; the bit rate read with it is above.
        key_alarm = ("state", "xenVifVmInRateAlarm",
                     "xenVifVmInRateAlarm.%d" % vm_index(db))
        key_rate = ("bitrate", None, "xenVifVmInBitRate.%d" % vm_index(db))
        key_out = ("bitrate", None, "xenVifVmOutBitRate.%d" % vm_index(db))
        pair = [sensors[k]["num_oid"] for k in (key_alarm, key_rate, key_out)]
        deadline = time.monotonic() + 30
        got = None
        while time.monotonic() < deadline:
            dom0.send_from_guest(db, 0, count=4, size=1000)   # ~64 kbit/s
            got = [int(v) for v in dom0.snmpget(*pair, auth=SWITCH_V2C)]
            if got[0] == 3:
                break
            time.sleep(0.3)
        t.is_(got and (sensors[key_alarm]["states"].get(got[0]), got[1] >
                       RATE_THRESHOLD, got[2]),
              (("alarm", 2), True, 0),
              "sustained sending: db1's sending-rate sensor reads alarm "
              "(Critical), its In bit rate above 16000 (%s), Out 0"
              % (got and got[1]))

        def cleared():
            return int(dom0.snmpget(pair[0], auth=SWITCH_V2C)[0]) == 2
        t.ok(wait_until(cleared, 15, "the rate alarm to clear"),
             "quiet for 2 s: it reads %s (generic %d) again"
             % sensors[key_alarm]["states"][2])
        t.is_(dom0.stop_agent(), 0, "clean exit")


def main(t):
    if not t.ok(yaml is not None, "python3-yaml is installed",
                diag=lambda: "import yaml: %s (Debian: apt-get install "
                "python3-yaml)" % YAML_ERROR):
        return
    t.ok(jsonschema is not None, "python3-jsonschema is installed",
         diag=lambda: "import jsonschema: %s (Debian: apt-get install "
         "python3-jsonschema)" % JSONSCHEMA_ERROR)
    detection = load_yaml(t, DETECTION, "os_detection/%s.yaml" % OS_NAME)
    discovery = load_yaml(t, DISCOVERY, "os_discovery/%s.yaml" % OS_NAME)
    if detection is None or discovery is None:
        return
    if jsonschema is not None:
        check_schemas(t, detection, discovery)
    check_shape(t, detection, discovery)
    check_mib(t, detection, discovery)
    if os.geteuid() != 0:
        t.skip("LibreNMS's discovery and polling of the switch on the rig",
               "needs root (network namespaces, snmpd)")
        return
    check_live(t, detection, discovery)


tap.run(main)
