#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""snmptrapd traphandle that records each notification it is given.

snmptrapd feeds a handler the sender's host name, its address, then one
"OID VALUE" line per varbind.  This appends them, as one JSON object per
line, to the file named on the command line, so a test can read what
snmptrapd received.  The lock keeps concurrent handlers' lines whole.
"""

import fcntl
import json
import sys


def main():
    lines = sys.stdin.read().splitlines()
    record = {"host": lines[0] if lines else "",
              "address": lines[1] if len(lines) > 1 else "",
              "varbinds": []}
    for line in lines[2:]:
        oid, _, value = line.partition(" ")
        if oid:
            record["varbinds"].append([oid, value])
    with open(sys.argv[1], "a") as out:
        fcntl.flock(out, fcntl.LOCK_EX)
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
