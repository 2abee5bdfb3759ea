#!/bin/sh
# SPDX-License-Identifier: ISC
# The Debian package: dpkg-buildpackage -us -uc -b builds it from a copy
# of the tree (the files git tracks, as they are in the work tree; or,
# outside git, the whole source tree but its build directories), lintian
# reports no error and no warning, and dpkg -i installs it on this
# machine: every file where it belongs, the configuration a conffile,
# the daemon runs.  dpkg -r, then dpkg -P, take it away again.
#
# Needs root (dpkg -i: without it the test reports itself skipped, as
# the integration tests do), debhelper, dpkg-dev and lintian, and the
# build dependencies of debian/control.  It refuses to run where xen-vif-agent
# is installed already, by dpkg or by make install, since it would
# replace that and purge it.  It takes minutes: with XVA_SKIP_SLOW=1
# (tools/run-tests --fast) it reports itself skipped.
if [ "${XVA_SKIP_SLOW:-}" = 1 ]; then
	echo "1..0 # SKIP slow package build (XVA_SKIP_SLOW=1)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (dpkg -i)"
	exit 0
fi
srcdir=${XVA_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
plan=9
echo "1..$plan"
n=0
failed=0
result() { # 0|1 DESCRIPTION [DETAILS]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
bail() { # DESCRIPTION DETAILS: this check failed, the rest cannot run
	result 1 "$1" "$2"
	while [ "$n" -lt "$plan" ]; do
		n=$((n + 1))
		echo "not ok $n # SKIP an earlier step failed"
	done
	exit 1
}

missing=""
for tool in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] || bail "the packaging tools are installed" \
	"missing Debian packages:$missing (tools/install-deps installs them)"
if dpkg-query -W -f='${Status}' xen-vif-agent 2>/dev/null | grep -q installed ||
	[ -e /usr/sbin/xen-vif-agent ] || [ -e /etc/snmp/xen-vif-agent.conf ]; then
	bail "the packaging tools are installed, and no xen-vif-agent is here" \
		"xen-vif-agent is installed here already (package, /usr/sbin/xen-vif-agent or /etc/snmp/xen-vif-agent.conf): this test would replace and purge it"
fi
result 0 "the packaging tools are installed, and no xen-vif-agent is here"

tmp=$(mktemp -d) || exit 1
installed=no
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	[ "$installed" = yes ] && dpkg -P xen-vif-agent >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# ---- 2: the build --------------------------------------------------------
mkdir "$tmp/src"
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$srcdir" && git ls-files -z | xargs -0 tar -cf - --no-recursion) |
		tar -C "$tmp/src" -xf -
else
	tar -C "$srcdir" --exclude='./build*' --exclude=./autom4te.cache \
		--exclude='./xen-vif-agent-*' -cf - . | tar -C "$tmp/src" -xf -
	chmod -R u+w "$tmp/src"
fi
[ -f "$tmp/src/debian/control" ] || bail "the copy of the tree has debian/" \
	"no debian/control in $srcdir"
# Nothing of the make that may run this test reaches the package's
# build: its MAKEFLAGS would carry this make check's TESTS into the
# build's own make check, which would run this test again, without end.
# XVA_SKIP_SLOW=1 makes sure of it.
if (cd "$tmp/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	-u GNUMAKEFLAGS -u XVA_SRCDIR -u XVA_BUILDDIR XVA_SKIP_SLOW=1 \
	dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	result 0 "dpkg-buildpackage -us -uc -b builds the package"
else
	bail "dpkg-buildpackage -us -uc -b builds the package" "$(tail -n 30 "$tmp/build.log")"
fi
changes=$(ls "$tmp"/xen-vif-agent_*.changes)
deb=$(ls "$tmp"/xen-vif-agent_*_*.deb)
version=$(dpkg-deb -f "$deb" Version)
upstream=${version%-*}

# ---- 3: lintian ----------------------------------------------------------
out=$(lintian "$changes" 2>&1 | grep -v '^running with root privileges is not recommended!$')
if [ -z "$out" ]; then
	result 0 "lintian reports no error and no warning"
else
	result 1 "lintian reports no error and no warning" "$out"
fi

# ---- 4-7: installed ------------------------------------------------------
installed=yes # or half: purged at exit either way
if out=$(dpkg -i "$deb" 2>&1); then
	result 0 "dpkg -i installs xen-vif-agent $version"
else
	bail "dpkg -i installs xen-vif-agent $version" "$out"
fi
wrong=""
for f in /usr/sbin/xen-vif-agent /usr/libexec/xen-vif-agent/xen-vif-shape \
	/usr/libexec/xen-vif-agent/xen-vif-cutoff; do
	[ -x "$f" ] || wrong="$wrong
not an executable: $f"
done
for f in /usr/lib/xen-vif-agent/xen_vif_mib.so \
	/usr/libexec/xen-vif-agent/xen-vif-notification.sh \
	/usr/share/snmp/mibs/XEN-VIF-MIB.txt \
	/etc/snmp/xen-vif-agent.conf \
	/lib/systemd/system/xen-vif-agent.service \
	/usr/share/man/man8/xen-vif-agent.8.gz \
	/usr/share/man/man5/xen-vif-agent.conf.5.gz \
	/usr/share/man/man8/xen-vif-shape.8.gz \
	/usr/share/man/man8/xen-vif-cutoff.8.gz \
	/usr/share/doc/xen-vif-agent/copyright \
	/usr/share/doc/xen-vif-agent/README.md \
	/usr/share/doc/xen-vif-agent/examples/snmpd-module.service.conf \
	/usr/share/doc/xen-vif-agent/examples/snmpd.conf.example \
	/usr/share/doc/xen-vif-agent/examples/snmptrapd.conf.example; do
	[ -f "$f" ] || wrong="$wrong
missing: $f"
done
grep -qx 'ExecStart=/usr/sbin/xen-vif-agent -f -Lsd' \
	/lib/systemd/system/xen-vif-agent.service 2>/dev/null ||
	wrong="$wrong
the unit's ExecStart is not /usr/sbin/xen-vif-agent -f -Lsd"
if [ -z "$wrong" ]; then
	result 0 "the daemon, module, MIB, handlers, man pages, unit, configuration and docs are in place"
else
	result 1 "the daemon, module, MIB, handlers, man pages, unit, configuration and docs are in place" "${wrong#?}"
fi
conffiles=$(dpkg-query -W -f='${Conffiles}' xen-vif-agent)
if printf '%s\n' "$conffiles" | grep -q '^ /etc/snmp/xen-vif-agent.conf '; then
	result 0 "/etc/snmp/xen-vif-agent.conf is a conffile"
else
	result 1 "/etc/snmp/xen-vif-agent.conf is a conffile" "conffiles: $conffiles"
fi
out=$(/usr/sbin/xen-vif-agent -v 2>&1)
if [ "$out" = "xen-vif-agent $upstream" ] &&
	/usr/libexec/xen-vif-agent/xen-vif-shape --help >/dev/null 2>&1 &&
	/usr/libexec/xen-vif-agent/xen-vif-cutoff --help >/dev/null 2>&1; then
	result 0 "xen-vif-agent -v says $out; the handlers' --help run"
else
	result 1 "xen-vif-agent -v says xen-vif-agent $upstream; the handlers' --help run" "-v: $out"
fi

# ---- 8-9: removed, purged ----------------------------------------------
if out=$(dpkg -r xen-vif-agent 2>&1) && [ ! -e /usr/sbin/xen-vif-agent ] &&
	[ ! -e /lib/systemd/system/xen-vif-agent.service ] &&
	[ -f /etc/snmp/xen-vif-agent.conf ]; then
	result 0 "dpkg -r removes it and keeps the configuration"
else
	result 1 "dpkg -r removes it and keeps the configuration" "$out"
fi
if out=$(dpkg -P xen-vif-agent 2>&1) && [ ! -e /etc/snmp/xen-vif-agent.conf ] &&
	! dpkg-query -W xen-vif-agent >/dev/null 2>&1; then
	installed=no
	result 0 "dpkg -P purges it, configuration and all"
else
	result 1 "dpkg -P purges it, configuration and all" "$out"
fi
exit $failed
