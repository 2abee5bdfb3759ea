#!/bin/sh
# SPDX-License-Identifier: ISC
# The Debian package: dpkg-buildpackage -us -uc -b builds it from a copy
# of the tree (the files git tracks, as they are in the work tree; or,
# outside git, the whole source tree but its build directories), lintian
# reports no error and no warning, and dpkg -i installs it on this
# machine: every file where it belongs, the configuration a conffile,
# the daemon runs.  The installed daemon then serves the simulated dom0
# of the integration tests (tests/integration/installed_agent.py, with
# the rig's snmpd): exact values read through snmpd, and its state file
# written where the package's default puts it, /var/lib/snmp.  dpkg -r
# takes the programs away and keeps the configuration and the state;
# dpkg -P takes those too, and leaves nothing of the package: no file,
# and no directory that no other package owns.
#
# Needs root (dpkg -i: without it the test reports itself skipped, as
# the integration tests do), debhelper, dpkg-dev and lintian, the build
# dependencies of debian/control, and what the integration tests need.
# It refuses to run where xen-vif-agent is installed already, by dpkg or
# by make install, or has left its state in /var/lib/snmp, since it
# would replace that and purge it.  It takes minutes: with
# XVA_SKIP_SLOW=1 (tools/run-tests --fast) it reports itself skipped.
if [ "${XVA_SKIP_SLOW:-}" = 1 ]; then
	echo "1..0 # SKIP slow package build (XVA_SKIP_SLOW=1)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (dpkg -i)"
	exit 0
fi
srcdir=${XVA_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
state=/var/lib/snmp/xen-vif-agent.state
plan=11
echo "1..$plan"
. "$srcdir/tests/tap.sh"

missing=""
for tool in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] || bail "the packaging tools are installed" \
	"missing Debian packages:$missing (tools/install-deps installs them)"
if dpkg-query -W -f='${Status}' xen-vif-agent 2>/dev/null | grep -q installed ||
	[ -e /usr/sbin/xen-vif-agent ] || [ -e /etc/snmp/xen-vif-agent.conf ] ||
	ls "$state"* >/dev/null 2>&1; then
	bail "the packaging tools are installed, and no xen-vif-agent is here" \
		"xen-vif-agent is installed here already (package, /usr/sbin/xen-vif-agent, /etc/snmp/xen-vif-agent.conf or $state): this test would replace and purge it"
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
	/usr/share/doc/xen-vif-agent/examples/snmpd-v3.conf.example \
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

# ---- 8: the installed daemon on the simulated dom0 ------------------------
# The rig's snmpd, xenstore and guests, the package's daemon (XVA_AGENT),
# its state file where the package's default puts it.
if out=$(XVA_AGENT=/usr/sbin/xen-vif-agent XVA_SRCDIR="$srcdir" \
	python3 "$srcdir/tests/integration/installed_agent.py" "$state" 2>&1) &&
	printf '%s\n' "$out" | grep -qx '1\.\.7'; then
	result 0 "the installed daemon serves the simulated dom0 through snmpd: xenVifNumber 1, the VM's name, exactly the octets and packets its guest sent; it stops on SIGTERM and leaves $state"
else
	result 1 "the installed daemon serves the simulated dom0 through snmpd" "$out"
fi

# ---- 9-11: removed, purged -----------------------------------------------
dpkg -L xen-vif-agent >"$tmp/files" 2>&1
if out=$(dpkg -r xen-vif-agent 2>&1) && [ ! -e /usr/sbin/xen-vif-agent ] &&
	[ ! -e /lib/systemd/system/xen-vif-agent.service ] &&
	[ -f /etc/snmp/xen-vif-agent.conf ] && [ -f "$state" ]; then
	result 0 "dpkg -r removes it and keeps the configuration and $state"
else
	result 1 "dpkg -r removes it and keeps the configuration and $state" \
		"$out$(ls -l /usr/sbin/xen-vif-agent /etc/snmp/xen-vif-agent.conf "$state" 2>&1)"
fi
if out=$(dpkg -P xen-vif-agent 2>&1) && [ ! -e /etc/snmp/xen-vif-agent.conf ] &&
	! ls "$state"* >/dev/null 2>&1 &&
	! dpkg-query -W xen-vif-agent >/dev/null 2>&1; then
	installed=no
	result 0 "dpkg -P purges it, the configuration and the state file"
else
	result 1 "dpkg -P purges it, the configuration and the state file" \
		"$out$(ls -l /etc/snmp/xen-vif-agent.conf "$state"* 2>&1)"
fi
# Every path the package had: no file is left, and a directory only if
# another package owns it (/usr/share/snmp/mibs, /etc/snmp, ...; /lib
# too, which merged /usr makes a link to one).
left=""
while IFS= read -r path; do
	case $path in /.) continue ;; esac
	if [ -d "$path" ]; then
		dpkg-query -S "$path" >/dev/null 2>&1 ||
			left="$left
directory of no package: $path"
	elif [ -e "$path" ] || [ -L "$path" ]; then
		left="$left
file: $path"
	fi
done <"$tmp/files"
if [ -s "$tmp/files" ] && [ -z "$left" ]; then
	result 0 "nothing of the package is left: none of its $(wc -l <"$tmp/files") paths but directories of other packages"
else
	result 1 "nothing of the package is left" "${left#?}"
fi
exit $failed
