#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""etc/snmpd-v3.conf.example as snmpd's whole configuration, with only
its addresses made the rig's: its authPriv user reads XEN-VIF-MIB (and
the system group) in the default context and dom0 as a switch in the
context "xen", and nothing else; noAuthNoPriv, authNoPriv, a wrong
passphrase, a wrong protocol and an unknown user are refused, v1 and v2c
get no answer.  Then what the example says of net-snmp's persistent
file: the user saved there wins over the createUser line, and a
createUser line put there is consumed."""

import os
import re

from common import (FAST, IF_NUMBER, NO_SUCH_OBJECT, SWITCH_COMMUNITY,
                    SWITCH_CONTEXT, SYSTEM, XEN_VIF_NUMBER, Dom0,
                    add_switch_vms, if_oid, index_of, row, tap, wait_until)
from dom0 import SNMP_ADDRESS, SRCDIR

EXAMPLE = os.path.join(SRCDIR, "etc", "snmpd-v3.conf.example")
XEN_VIF_MIB = ".1.3.6.1.4.1.8072.9999.98"
# What snmpd serves itself in the default context, outside the example's
# views: UCD-SNMP-MIB's memTotalReal, HOST-RESOURCES-MIB's hrSystemUptime,
# its own IF-MIB's ifNumber, SNMP-FRAMEWORK-MIB's snmpEngineID, and the
# SNMPv3 users (usmUserTable's first column, walked).
OUTSIDE = {
    "UCD-SNMP-MIB memTotalReal": ".1.3.6.1.4.1.2021.4.5.0",
    "HOST-RESOURCES-MIB hrSystemUptime": ".1.3.6.1.2.1.25.1.1.0",
    "snmpd's own IF-MIB ifNumber": IF_NUMBER,
    "snmpEngineID": ".1.3.6.1.6.3.10.2.1.1.0",
}
USM_USER_TABLE = ".1.3.6.1.6.3.15.1.2.2"
SWITCH_ROOTS = {SYSTEM, ".1.3.6.1.2.1.2", ".1.3.6.1.2.1.17",
                ".1.3.6.1.2.1.31", XEN_VIF_MIB}
DEFAULT_ROOTS = {SYSTEM, XEN_VIF_MIB}
# Tokens that give v1 or v2c access (snmpd.conf(5)).
COMMUNITY_TOKENS = {"rocommunity", "rwcommunity", "rocommunity6",
                    "rwcommunity6", "com2sec", "com2sec6", "com2secunix"}

# What snmpd logs when all is well: starting, and each request's source.
QUIET = re.compile(r"(NET-SNMP version \S+|Turning on AgentX master support\."
                   r"|Connection from UDP: .*|)$")
TIMEOUT = "Timeout: No Response from %s.\n" % SNMP_ADDRESS
NOT_AUTHORIZED = ("Error in packet\nReason: authorizationError "
                  "(access denied to that object)\n")
AUTH_FAILURE = ("snmpget: Authentication failure (incorrect password, "
                "community or key)\n")
UNKNOWN_USER = "snmpget: Unknown user name\n"


def read_example():
    with open(EXAMPLE) as handle:
        return handle.read()


def directives(text):
    """[(token, rest of the line)] of the lines that are not comments."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            token, _, rest = line.partition(" ")
            out.append((token, rest.strip()))
    return out


def the_user(text):
    """(name, auth protocol, auth passphrase, priv protocol, priv
    passphrase) of the example's createUser line."""
    found = re.findall(r'^createUser\s+(\S+)\s+(\S+)\s+"([^"]+)"\s+(\S+)\s+'
                       r'"([^"]+)"\s*$', text, re.M)
    assert len(found) == 1, "one createUser line in %s: %r" % (EXAMPLE, found)
    return found[0]


def for_the_rig(text, dom0):
    """The example with the rig's addresses: snmpd on udp:SNMP_ADDRESS,
    AgentX on the work dir's socket.  Each line is replaced exactly once,
    so the test fails if the example changes shape."""
    swaps = {"agentAddress": "udp:%s" % SNMP_ADDRESS,
             "agentXSocket": "unix:%s" % dom0.work.agentx_socket}
    for token, value in swaps.items():
        text, n = re.subn(r"^%s .*$" % token, "%s %s" % (token, value),
                          text, flags=re.M)
        assert n == 1, "%s: %d %s lines" % (EXAMPLE, n, token)
    return text


def authpriv(user, auth_pass=None, priv_pass=None, auth_proto=None):
    name, a_proto, a_pass, x_proto, x_pass = user
    return ("-v3", "-l", "authPriv", "-u", name,
            "-a", auth_proto or a_proto, "-A", auth_pass or a_pass,
            "-x", x_proto, "-X", priv_pass or x_pass)


def switch(auth):
    return tuple(auth) + ("-n", SWITCH_CONTEXT)


def answer(dom0, auth, oid):
    """(exit status, everything snmpget printed) for one OID, at once:
    one try of a second."""
    res = dom0.snmp_tool("snmpget", ["-On", SNMP_ADDRESS, oid], mibs=False,
                         timeout=1, retries=0, check=False, auth=auth)
    return res.returncode, res.stdout + res.stderr


def roots(walked, candidates):
    """The candidates that hold an OID walked, and the OIDs in none."""
    held = {r for r in candidates for o, _ in walked
            if o.startswith(r + ".")}
    stray = [o for o, _ in walked
             if not any(o.startswith(r + ".") for r in candidates)]
    return held, stray


def persistent_lines(dom0, token):
    """The persistent snmpd.conf's lines of a token."""
    path = os.path.join(dom0.snmpd.persist_dir, "snmpd.conf")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [ln for ln in handle.read().splitlines()
                if ln.split()[:1] == [token]]


def saved_users(dom0, name):
    return [ln for ln in persistent_lines(dom0, "usmUser")
            if '"%s"' % name in ln]


def check_example_text(t, text):
    t.ok(text.startswith("# SPDX-License-Identifier: ISC\n"),
         "the example starts with its SPDX line")
    tokens = [tok.lower() for tok, _ in directives(text)]
    t.is_(sorted(set(tokens) & COMMUNITY_TOKENS), [],
          "the example gives no community (no v1/v2c access)")
    access = [rest.split() for tok, rest in directives(text)
              if tok == "access"]
    t.is_(sorted((a[1], a[2], a[3], a[4]) for a in access),
          [('""', "usm", "priv", "exact"),
           (SWITCH_CONTEXT, "usm", "priv", "exact")],
          "access: the default context and the switch's, usm, priv, exact")
    t.ok('"CHANGE-ME' in text and "CHANGE BOTH PASSPHRASES" in text,
         "the placeholder passphrases are marked to change")


def main(t):
    tap.require_root(t)
    text = read_example()
    check_example_text(t, text)
    user = the_user(text)
    t.is_(user[1:2] + user[3:4], ("SHA-256", "AES"),
          "the user: SHA-256 and AES (AES-128)")
    v3 = authpriv(user)

    with Dom0() as dom0:
        web, db = add_switch_vms(dom0)
        web_i, db1_i = index_of(web), index_of(db, 1)
        conf = for_the_rig(text, dom0)
        dom0.start_snmpd_with_config(conf, v3)
        dom0.start_agent(FAST)
        said = [ln for ln in dom0.snmpd_log().splitlines()
                if not QUIET.match(ln)]
        t.is_(said, [], "snmpd takes the example without a word")

        # ---- what the user reads ----------------------------------------
        t.is_(dom0.snmpget(XEN_VIF_NUMBER, auth=v3)[0], 3,
              "authPriv: xenVifNumber.0 is 3 (web1's vif, db1's two)")
        t.is_(row(dom0, web_i, ("xenVifDomainName",))["xenVifDomainName"],
              "web1", "authPriv: xenVifDomainName of web1's vif")
        t.is_(dom0.snmpget(SYSTEM + ".3.0", auth=v3)[0].type, "Timeticks",
              "authPriv: sysUpTime, the clock of XEN-VIF-MIB's TimeStamps")
        got = dom0.snmpget(if_oid("ifName", web_i), if_oid("ifName", db1_i),
                           SYSTEM + ".5.0", auth=switch(v3))
        t.is_(got, ["web1.0", "db1.1", "xen." + os.uname().nodename],
              "the switch's context (-n xen): ifName of web1's and db1's "
              "ports, sysName")
        held, stray = roots(dom0.snmpwalk(".1", auth=v3), DEFAULT_ROOTS)
        t.is_((sorted(held), stray[:5]), (sorted(DEFAULT_ROOTS), []),
              "a walk of the default context: the system group and "
              "XEN-VIF-MIB, nothing else")
        held, stray = roots(dom0.snmpwalk(".1", auth=switch(v3)),
                            SWITCH_ROOTS)
        t.is_((sorted(held), stray[:5]), (sorted(SWITCH_ROOTS), []),
              "a walk of the switch's context: the system group, IF-MIB's "
              "interfaces and ifMIB, BRIDGE-MIB, XEN-VIF-MIB, nothing else")

        # ---- outside the views ------------------------------------------
        for what, oid in OUTSIDE.items():
            t.is_(dom0.snmpget(oid, auth=v3)[0], NO_SUCH_OBJECT,
                  "%s (%s): noSuchObject" % (what, oid))
        t.is_(dom0.snmpwalk(USM_USER_TABLE, auth=v3), [],
              "the users (usmUserTable) are not in the view")

        # ---- refused ------------------------------------------------------
        name, a_proto, a_pass = user[:3]
        no_auth = ("-v3", "-l", "noAuthNoPriv", "-u", name)
        auth_no_priv = ("-v3", "-l", "authNoPriv", "-u", name, "-a", a_proto,
                        "-A", a_pass)
        for level, auth in (("noAuthNoPriv", no_auth),
                            ("authNoPriv", auth_no_priv)):
            t.is_(answer(dom0, auth, XEN_VIF_NUMBER), (2, NOT_AUTHORIZED),
                  "%s: refused, authorizationError" % level)
            t.is_(answer(dom0, switch(auth), if_oid("ifName", web_i)),
                  (2, NOT_AUTHORIZED),
                  "%s in the switch's context: refused, authorizationError"
                  % level)
        t.is_(answer(dom0, authpriv(user, auth_pass="wrong auth passphrase"),
                     XEN_VIF_NUMBER), (1, AUTH_FAILURE),
              "a wrong auth passphrase: Authentication failure")
        t.is_(answer(dom0, authpriv(user, auth_proto="SHA"), XEN_VIF_NUMBER),
              (1, AUTH_FAILURE),
              "SHA (SHA-1) for a SHA-256 user: Authentication failure")
        # AES-CFB decrypts anything, to garbage that snmpd cannot parse:
        # it drops the request, as it must, without a report.
        t.is_(answer(dom0, authpriv(user, priv_pass="wrong priv passphrase"),
                     XEN_VIF_NUMBER), (1, TIMEOUT),
              "a wrong privacy passphrase: no answer")
        t.is_(answer(dom0, ("-v3", "-l", "authPriv", "-u", "nobody", "-a",
                            a_proto, "-A", a_pass, "-x", "AES", "-X",
                            user[4]), XEN_VIF_NUMBER),
              (1, UNKNOWN_USER), "an unknown user: Unknown user name")
        for version, community in (("-v2c", "public"),
                                   ("-v2c", SWITCH_COMMUNITY),
                                   ("-v1", "public")):
            t.is_(answer(dom0, (version, "-c", community), SYSTEM + ".3.0"),
                  (1, TIMEOUT), "%s, community %s: no answer"
                  % (version[1:], community))

        # ---- the persistent file ------------------------------------------
        dom0.stop_snmpd()
        t.is_(len(saved_users(dom0, name)), 1,
              "snmpd saved the user in its persistent file (usmUser)")
        new_a, new_x = "new auth passphrase 2", "new privacy passphrase 2"
        changed = conf.replace('"%s"' % a_pass, '"%s"' % new_a).replace(
            '"%s"' % user[4], '"%s"' % new_x)
        t.ok(changed != conf, "the passphrases changed in snmpd.conf")
        dom0.start_snmpd_with_config(changed, v3)
        dom0.wait_agent_registered()
        t.is_(dom0.snmpget(XEN_VIF_NUMBER, auth=v3)[0], 3,
              "after a restart the saved user still answers to the old "
              "passphrases")
        t.is_(answer(dom0, authpriv(user, new_a, new_x), XEN_VIF_NUMBER),
              (1, AUTH_FAILURE), "and not to snmpd.conf's new ones")

        # The way the example recommends: the createUser line in the
        # persistent file, with snmpd stopped and the saved user deleted.
        dom0.stop_snmpd()
        path = os.path.join(dom0.snmpd.persist_dir, "snmpd.conf")
        with open(path) as handle:
            kept = [ln for ln in handle.read().splitlines()
                    if not (ln.startswith("usmUser ") and '"%s"' % name in ln)]
        create = 'createUser %s %s "%s" %s "%s"' % (name, a_proto, new_a,
                                                    user[3], new_x)
        with open(path, "w") as handle:
            handle.write("\n".join(kept + [create]) + "\n")
        without = re.sub(r"^createUser ", "#createUser ", conf, flags=re.M)
        new_v3 = authpriv(user, new_a, new_x)
        dom0.start_snmpd_with_config(without, new_v3)
        dom0.wait_agent_registered()
        t.is_(dom0.snmpget(XEN_VIF_NUMBER, auth=new_v3)[0], 3,
              "a createUser line in the persistent file: the user answers "
              "to its passphrases")
        t.is_(answer(dom0, v3, XEN_VIF_NUMBER), (1, AUTH_FAILURE),
              "and not to the old ones")
        try:
            wait_until(lambda: not persistent_lines(dom0, "createUser")
                       and len(saved_users(dom0, name)) == 1, 10,
                       "the createUser line consumed")
            consumed = True
        except TimeoutError:
            consumed = False
        with open(path) as handle:
            saved = handle.read()
        t.ok(consumed and new_a not in saved and new_x not in saved,
             "snmpd consumed the createUser line: a usmUser line in its "
             "place, no passphrase left on disk",
             diag=persistent_lines(dom0, "createUser")
             + saved_users(dom0, name))

        # ---- the same snmpd serves what the views left out -----------------
        dom0.stop_snmpd()
        dom0.start_snmpd()
        values = dom0.snmpget(*OUTSIDE.values())
        t.ok(not any(v.is_exception for v in values),
             "with the rig's own configuration (a community, every OID) the "
             "same snmpd serves every OID the example kept out",
             diag=values)


tap.run(main)
