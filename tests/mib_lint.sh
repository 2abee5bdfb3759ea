#!/bin/sh
# SPDX-License-Identifier: ISC
# XEN-VIF-MIB passes smilint -l 6 with no message at all, against the
# base modules Debian's erlang-snmp ships.
srcdir=${XVA_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
smilint=${SMILINT:-smilint}
base=$(ls -d /usr/lib/erlang/lib/snmp-*/mibs 2>/dev/null | head -n 1)
echo "1..2"
if ! command -v "$smilint" >/dev/null 2>&1 || [ -z "$base" ]; then
	echo "not ok 1 - smilint and erlang-snmp's MIBs are installed"
	echo "not ok 2 # SKIP nothing to lint with"
	exit 1
fi
echo "ok 1 - smilint and erlang-snmp's MIBs are installed"
out=$(SMIPATH="$base" "$smilint" -l 6 "$srcdir/mib/XEN-VIF-MIB.txt" 2>&1)
if [ -z "$out" ]; then
	echo "ok 2 - smilint -l 6 reports nothing"
else
	echo "not ok 2 - smilint -l 6 reports nothing"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi
