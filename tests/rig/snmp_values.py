# SPDX-License-Identifier: ISC
"""SNMP values as net-snmp's tools print them, made into Values a test
can compare exactly: Value, parse_value (snmpget/snmpwalk output with
-Ox and no MIB), parse_trap_value (snmptrapd's traphandle input),
parse_varbinds (a whole -On answer)."""

import re

INT_TYPES = ("INTEGER", "Gauge32", "Counter32", "Counter64", "Timeticks",
             "UInteger32", "NUMBER")
EXCEPTION_TYPES = ("noSuchObject", "noSuchInstance", "endOfMibView")


class Value:
    """One typed SNMP value as it came off the wire.

    .type is net-snmp's name of the BER type: "INTEGER", "Gauge32" (also
    Unsigned32), "Counter32", "Counter64", "Timeticks", "STRING" (any
    OCTET STRING), "OID", "IpAddress", "Opaque", "NULL", or one of the
    exceptions "noSuchObject", "noSuchInstance", "endOfMibView".
    .value is an int for the numeric types (Timeticks in hundredths of a
    second), bytes for STRING, the dotted text for OID ('.1.3.6...') and
    IpAddress, None for NULL and the exceptions.

    A Value equals another Value of the same type and value, and also a
    plain int (numeric types), bytes (STRING) or str (STRING as UTF-8,
    OID, IpAddress), so tests can write t.is_(value, 42, ...).
    """

    __slots__ = ("type", "value")

    def __init__(self, type_, value):
        self.type = type_
        self.value = value

    @property
    def is_exception(self):
        return self.type in EXCEPTION_TYPES

    @property
    def raw(self):
        """The exact octets of a STRING."""
        if self.type != "STRING":
            raise TypeError("%r is not an OCTET STRING" % self)
        return self.value

    @property
    def text(self):
        """A STRING decoded as UTF-8 (strict: bad UTF-8 raises)."""
        return self.raw.decode("utf-8")

    def __int__(self):
        if self.type not in INT_TYPES:
            raise TypeError("%r is not numeric" % self)
        return self.value

    __index__ = __int__

    def __eq__(self, other):
        if isinstance(other, Value):
            return (self.type, self.value) == (other.type, other.value)
        if isinstance(other, bool):
            return NotImplemented
        if isinstance(other, int):
            return self.type in INT_TYPES and self.value == other
        if isinstance(other, (bytes, bytearray)):
            return self.type == "STRING" and self.value == bytes(other)
        if isinstance(other, str):
            if self.type == "STRING":
                return self.value == other.encode("utf-8", "surrogateescape")
            if self.type == "OID":
                return self.value.lstrip(".") == other.lstrip(".")
            return self.type == "IpAddress" and self.value == other
        return NotImplemented

    def __hash__(self):
        return hash((self.type, self.value))

    def __repr__(self):
        if self.is_exception or self.type == "NULL":
            return self.type
        return "%s(%r)" % (self.type, self.value)


NO_SUCH_OBJECT = Value("noSuchObject", None)
NO_SUCH_INSTANCE = Value("noSuchInstance", None)
END_OF_MIB_VIEW = Value("endOfMibView", None)

_EXCEPTION_TEXTS = {
    "No Such Object available on this agent at this OID": NO_SUCH_OBJECT,
    "No Such Instance currently exists at this OID": NO_SUCH_INSTANCE,
    "No more variables left in this MIB View": END_OF_MIB_VIEW,
}
_VARBIND_RE = re.compile(r"^(\.[0-9]+(?:\.[0-9]+)*) = (.*)$")
NUMERIC_OID_RE = re.compile(r"^\.?[0-9]+(?:\.[0-9]+)*$")


def parse_value(text):
    """A Value from the text after 'OID = ' in net-snmp's output, printed
    with -Ox and no MIB loaded (so every OCTET STRING is a Hex-STRING)."""
    wrong = re.match(r"Wrong Type \(should be [^)]*\): (.*)", text, re.S)
    if wrong:
        text = wrong.group(1)
    for prefix, sentinel in _EXCEPTION_TEXTS.items():
        if text.startswith(prefix):
            return sentinel
    if text == '""':
        return Value("STRING", b"")
    if text == "NULL":
        return Value("NULL", None)
    type_, sep, rest = text.partition(": ")
    if not sep:
        raise ValueError("cannot parse SNMP value %r" % text)
    if type_ == "Hex-STRING":
        return Value("STRING", bytes.fromhex(rest))
    if type_ == "STRING":
        return Value("STRING", _unquote(rest).encode("utf-8",
                                                     "surrogateescape"))
    if type_ == "Timeticks":
        match = re.match(r"\((\d+)\)", rest)
        return Value(type_, int(match.group(1) if match else rest))
    if type_ in INT_TYPES:
        # "up(1)" when enum labels are printed; the number is in brackets.
        match = re.search(r"\((-?\d+)\)$", rest)
        return Value(type_, int(match.group(1) if match else rest))
    if type_ == "BITS":
        return Value("STRING", bytes.fromhex(re.sub(r"\s\S*\(.*", "",
                                                    rest)))
    return Value(type_, rest)


_TICKS_RE = re.compile(r"^(\d+):(\d+):(\d\d):(\d\d)\.(\d\d)$")
_HEX_RE = re.compile(r"^(?:[0-9A-Fa-f]{2} )+$")


def parse_trap_value(text):
    """A Value from snmptrapd's traphandle input, which carries no type
    names: a quoted string, hex octets, an OID, d:h:mm:ss.cc ticks, or a
    number (of whatever numeric type: "NUMBER")."""
    if text.startswith('"'):
        return Value("STRING", _unquote(text).encode("utf-8", "surrogateescape"))
    ticks = _TICKS_RE.match(text)
    if ticks:
        d, h, m, sec, cs = (int(x) for x in ticks.groups())
        return Value("Timeticks", (((d * 24 + h) * 60 + m) * 60 + sec) * 100 + cs)
    # net-snmp ends hex octets with a space: that tells "12 " from 12.
    if _HEX_RE.match(text):
        return Value("STRING", bytes.fromhex(text))
    text = text.strip()
    if NUMERIC_OID_RE.match(text) and text.startswith("."):
        return Value("OID", text)
    if re.match(r"^-?\d+$", text):
        return Value("NUMBER", int(text))
    return parse_value(text)


def _unquote(text):
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r'\\(.)', r"\1", text[1:-1])
    return text


def parse_varbinds(output):
    """[(oid, Value)] from net-snmp output with -On; a value may span lines
    (long Hex-STRINGs wrap every 16 octets)."""
    pairs = []
    for line in output.splitlines():
        match = _VARBIND_RE.match(line)
        if match:
            pairs.append([match.group(1), match.group(2)])
        elif pairs:
            pairs[-1][1] += "\n" + line
        elif line.strip():
            raise ValueError("unexpected SNMP output line %r" % line)
    return [(oid, parse_value(text.strip())) for oid, text in pairs]
