#!/bin/sh
# SPDX-License-Identifier: ISC
# The notification handlers pass shellcheck and POSIX sh's syntax check.
srcdir=${XVA_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
dir=$srcdir/traphandle
echo "1..2"
if sh -n "$dir/xen-vif-shape" && sh -n "$dir/xen-vif-cutoff" &&
	sh -n "$dir/xen-vif-notification.sh"; then
	echo "ok 1 - the handlers parse as POSIX sh"
else
	echo "not ok 1 - the handlers parse as POSIX sh"
fi
if ! command -v shellcheck >/dev/null 2>&1; then
	echo "not ok 2 - shellcheck is installed (tools/install-deps installs it)"
	exit 1
fi
if out=$(shellcheck -x -s sh "$dir/xen-vif-shape" "$dir/xen-vif-cutoff" \
	"$dir/xen-vif-notification.sh" 2>&1); then
	echo "ok 2 - shellcheck reports nothing"
else
	echo "not ok 2 - shellcheck reports nothing"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi
