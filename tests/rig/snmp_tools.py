# SPDX-License-Identifier: ISC
"""net-snmp's command line tools run in the simulated dom0 against its
snmpd (udp:SNMP_ADDRESS): snmpget and snmpwalk giving Values
(snmp_values.py), MIB names translated to numeric OIDs, and the
credentials that reach the default context and the switch's."""

from processes import SnmpError, SnmpTimeout, run, in_ns
from snmp_values import NUMERIC_OID_RE, parse_varbinds

SNMP_ADDRESS = "127.0.0.1:1161"
COMMUNITY = "public"
# The switch view's context, and how snmpd lets pollers into it: a v2c
# community mapped to the context, and an SNMPv3 authPriv user.
SWITCH_CONTEXT = "xen"
SWITCH_COMMUNITY = "xenswitch"
SWITCH_USER = ("xenv3", "xenauthpass1", "xenprivpass1")
SWITCH_V2C = ("-v2c", "-c", SWITCH_COMMUNITY)
SWITCH_V3 = ("-v3", "-l", "authPriv", "-u", SWITCH_USER[0], "-a", "SHA",
             "-A", SWITCH_USER[1], "-x", "AES", "-X", SWITCH_USER[2],
             "-n", SWITCH_CONTEXT)


class SnmpTools:
    """The tools in namespace ns with the MIBs and private configuration
    of workdir (a Workdir)."""

    # What the tools send when not told otherwise.
    DEFAULT_AUTH = ("-v2c", "-c", COMMUNITY)

    def __init__(self, ns, workdir):
        self.ns = ns
        self.workdir = workdir
        self._oid_cache = {}
        # The credentials used when a call names none: DEFAULT_AUTH, or
        # what snmpd was started with instead (Snmpd.start_with_config).
        self.auth = self.DEFAULT_AUTH

    def snmp_tool(self, tool, args, mibs=True, timeout=2, retries=1,
                  check=True, auth=None):
        """Run a net-snmp tool in dom0 against our snmpd; returns the
        CompletedProcess.  mibs=False loads no MIB at all, so output is
        shaped by the wire types only (no DISPLAY-HINTs, no enums).
        auth: the version and credentials (default .auth: v2c, COMMUNITY,
        the default context; SWITCH_V2C or SWITCH_V3 for the switch)."""
        cmd = [tool] + list(auth or self.auth) + [
            "-t", str(timeout), "-r", str(retries)]
        cmd += (["-M", self.workdir.mib_dir, "-m", "ALL"] if mibs
                else ["-M", self.workdir.path("nomibs"), "-m", ""])
        cmd += list(args)
        res = run(in_ns(self.ns, cmd), check=False,
                  env=self.workdir.snmp_env(),
                  timeout=max(30, (timeout * (retries + 1)) * 20))
        if check and res.returncode != 0:
            err = SnmpTimeout if "Timeout" in res.stderr else SnmpError
            raise err(cmd, res.returncode, res.stderr or res.stdout)
        return res

    def translate(self, *names):
        """Numeric OIDs ('.1.3...') for names like 'SNMPv2-MIB::sysUpTime.0'
        or 'xenVifHCInOctets'; numeric input passes through."""
        todo = [n for n in names if not NUMERIC_OID_RE.match(n)
                and n not in self._oid_cache]
        if todo:
            # -IR: plain names like "sysUpTime.0" need no module prefix.
            res = run(["snmptranslate", "-M", self.workdir.mib_dir, "-m",
                       "ALL", "-IR", "-On"] + todo,
                      env=self.workdir.snmp_env(), check=False)
            lines = res.stdout.split()
            if res.returncode != 0 or len(lines) != len(todo):
                raise SnmpError(["snmptranslate"] + todo, res.returncode,
                                res.stderr)
            self._oid_cache.update(zip(todo, lines))
        return [("." + n.lstrip(".")) if NUMERIC_OID_RE.match(n)
                else self._oid_cache[n] for n in names]

    def snmpget(self, *oids, timeout=2, retries=1, auth=None):
        """[Value] for oids, in order (exceptions such as NO_SUCH_OBJECT
        are Values too).  SnmpError on any tool failure."""
        numeric = self.translate(*oids)
        res = self.snmp_tool("snmpget", ["-On", "-Ox", "-Oe", "-OU",
                                         SNMP_ADDRESS] + numeric,
                             mibs=False, timeout=timeout, retries=retries,
                             auth=auth)
        pairs = parse_varbinds(res.stdout)
        if [oid for oid, _ in pairs] != numeric:
            raise SnmpError(["snmpget"] + numeric, res.returncode,
                            "answer does not match the request:\n"
                            + res.stdout + res.stderr)
        return [value for _, value in pairs]

    def snmpwalk(self, oid, timeout=2, retries=1, auth=None):
        """[(oid, Value)] below oid, by GETBULK.  Exceptions are left out,
        so an empty subtree gives []."""
        root = self.translate(oid)[0]
        res = self.snmp_tool("snmpbulkwalk", ["-On", "-Ox", "-Oe", "-OU",
                                              SNMP_ADDRESS, root],
                             mibs=False, timeout=timeout, retries=retries,
                             auth=auth)
        return [(o, v) for o, v in parse_varbinds(res.stdout)
                if not v.is_exception]

    def snmptable(self, table, args=()):
        """snmptable's text output for a table (for humans and logs)."""
        return self.snmp_tool("snmptable", list(args) + [
            SNMP_ADDRESS, table]).stdout

    def snmptranslate(self, *args):
        """snmptranslate with our MIBs; returns stdout."""
        return run(["snmptranslate", "-M", self.workdir.mib_dir, "-m", "ALL"]
                   + list(args), env=self.workdir.snmp_env()).stdout
