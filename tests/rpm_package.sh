#!/bin/sh
# SPDX-License-Identifier: ISC
# The RPM package for XCP-ng and XenServer dom0s (rpm/xen-vif-agent.spec),
# built here as far as Debian's rpm can: make dist makes the release
# tarball from a copy of the tree (the files git tracks, as they are in
# the work tree; or, outside git, the whole source tree but its build
# directories), and rpmbuild -ta builds the source and binary packages
# from it as XCP-ng's build environment would (CentOS 7: %rhel 7, no
# build-id links, gzip payloads), but against Debian's libraries and
# without checking the build dependencies, which no rpm database here
# knows (--nodeps; rpm/README.md).  Then the binary package holds
# exactly the expected files, the configuration a %config(noreplace),
# requires net-snmp, iproute and systemd and links only libc, net-snmp's
# two libraries, libxenstore and libxenstat, runs systemd's scriptlets,
# and carries the unit as systemd 219 reads it; the source package holds
# the tarball and the spec.  Nothing is installed.
#
# Needs rpm (rpmbuild, rpm2archive) and the build dependencies of the
# Debian package (autoconf, automake, libtool, libsnmp-dev, libxen-dev).
# It takes a minute or two: with XVA_SKIP_SLOW=1 (tools/run-tests
# --fast, make distcheck) it reports itself skipped.
if [ "${XVA_SKIP_SLOW:-}" = 1 ]; then
	echo "1..0 # SKIP slow package build (XVA_SKIP_SLOW=1)"
	exit 0
fi
srcdir=${XVA_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
plan=9
echo "1..$plan"
. "$srcdir/tests/tap.sh"
# 0 and nothing, or 1 and the difference: expected (a file) against got.
same() { # EXPECTED-FILE GOT-FILE
	diff -u "$1" "$2" >"$tmp/diff" 2>&1 && return 0
	sed -e '1,2d' "$tmp/diff"
	return 1
}

missing=""
for tool in rpmbuild:rpm rpm2archive:rpm autoreconf:autoconf; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] || bail "rpmbuild and rpm2archive are installed" \
	"missing Debian packages:$missing (tools/install-deps installs them)"
result 0 "rpmbuild and rpm2archive are installed"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM

# Nothing of the make that may run this test reaches the builds below:
# its MAKEFLAGS would carry this make check's TESTS into the package's
# own make check.  XVA_SKIP_SLOW=1 keeps the package tests out of it.
clean_env() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u GNUMAKEFLAGS \
		-u XVA_SRCDIR -u XVA_BUILDDIR XVA_SKIP_SLOW=1 "$@"
}

# ---- 2: the release tarball ----------------------------------------------
mkdir "$tmp/src"
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$srcdir" && git ls-files -z | xargs -0 tar -cf - --no-recursion) |
		tar -C "$tmp/src" -xf -
else
	tar -C "$srcdir" --exclude='./build*' --exclude=./autom4te.cache \
		--exclude='./xen-vif-agent-*' --exclude=./_build --exclude=./_inst \
		-cf - . | tar -C "$tmp/src" -xf -
	chmod -R u+w "$tmp/src"
fi
if ! (cd "$tmp/src" && clean_env sh -c \
	'autoreconf -fi && ./configure && make dist') >"$tmp/dist.log" 2>&1; then
	bail "make dist makes the release tarball" "$(tail -n 30 "$tmp/dist.log")"
fi
version=$(sed -n "s/^PACKAGE_VERSION='\(.*\)'$/\1/p" "$tmp/src/configure")
tarball=$tmp/src/xen-vif-agent-$version.tar.gz
spec_version=$(tar -xOzf "$tarball" "xen-vif-agent-$version/rpm/xen-vif-agent.spec" 2>/dev/null |
	sed -n 's/^Version:[[:space:]]*//p')
# One maintainer for both packages: debian/control's, in debian/changelog
# and the spec's changelog.
maintainer=$(sed -n 's/^Maintainer: //p' "$tmp/src/debian/control")
deb_changelog=$(sed -n 's/^ -- \(.*>\)  .*$/\1/p' "$tmp/src/debian/changelog" | sort -u)
spec_changelog=$(sed -n 's/^\* [A-Z][a-z][a-z] [A-Z][a-z][a-z] [0-9][0-9] [0-9]\{4\} \(.*>\) - .*$/\1/p' \
	"$tmp/src/rpm/xen-vif-agent.spec" | sort -u)
if [ -n "$version" ] && [ "$spec_version" = "$version" ] && [ -n "$maintainer" ] &&
	[ "$deb_changelog" = "$maintainer" ] && [ "$spec_changelog" = "$maintainer" ]; then
	result 0 "make dist makes xen-vif-agent-$version.tar.gz; its rpm/xen-vif-agent.spec is of version $version, by $maintainer as debian/ is"
else
	result 1 "make dist makes the release tarball; its spec is of configure's version, by debian/control's Maintainer" \
		"configure: '$version', the tarball's spec: '$spec_version'
debian/control: '$maintainer'; debian/changelog: '$deb_changelog'; the spec's changelog: '$spec_changelog'"
fi

# ---- 3: the build --------------------------------------------------------
# __brp_compress: Debian's rpm runs brp-compress, a bash script, with
# #!/bin/sh, dash, which fails on it and leaves the man pages as they
# are; on CentOS /bin/sh is bash.
if (cd "$tmp" && clean_env rpmbuild -ta --nodeps \
	--define "_topdir $tmp/rpmbuild" \
	--define 'rhel 7' \
	--define '_build_id_links none' \
	--define '__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}' \
	--define '_source_payload w9.gzdio' \
	--define '_binary_payload w9.gzdio' \
	"$tarball") >"$tmp/build.log" 2>&1; then
	result 0 "rpmbuild -ta builds the source and binary packages"
else
	bail "rpmbuild -ta builds the source and binary packages" "$(tail -n 30 "$tmp/build.log")"
fi
rpm=$(ls "$tmp"/rpmbuild/RPMS/*/xen-vif-agent-"$version"-1.*.rpm)
srpm=$(ls "$tmp"/rpmbuild/SRPMS/xen-vif-agent-"$version"-1.src.rpm)

# ---- 4: the files --------------------------------------------------------
doc=/usr/share/doc/xen-vif-agent
cat >"$tmp/files.expected" <<EOF
/etc/snmp/xen-vif-agent.conf
/usr/lib/systemd/system/xen-vif-agent.service
/usr/lib64/xen-vif-agent
/usr/lib64/xen-vif-agent/xen_vif_mib.so
/usr/libexec/xen-vif-agent
/usr/libexec/xen-vif-agent/xen-vif-cutoff
/usr/libexec/xen-vif-agent/xen-vif-notification.sh
/usr/libexec/xen-vif-agent/xen-vif-shape
/usr/sbin/xen-vif-agent
$doc
$doc/README.md
$doc/examples
$doc/examples/snmpd-module.service.conf
$doc/examples/snmpd-v3.conf.example
$doc/examples/snmpd.conf.example
$doc/examples/snmptrapd.conf.example
$doc/examples/xen-vif-agent.conf
$doc/examples/xen-vif-agent.service
$doc/pollers
$doc/pollers/cacti
$doc/pollers/cacti/build_template.php
$doc/pollers/cacti/cacti_host_template_xen_vif_agent.xml
$doc/pollers/cacti/example-graph.png
$doc/pollers/cacti/xen_vif.xml
$doc/pollers/cacti/xen_vif_vm.xml
$doc/pollers/librenms
$doc/pollers/librenms/README.md
$doc/pollers/librenms/os_detection
$doc/pollers/librenms/os_detection/xen-vif-switch.yaml
$doc/pollers/librenms/os_discovery
$doc/pollers/librenms/os_discovery/xen-vif-switch.yaml
$doc/pollers/mrtg
$doc/pollers/mrtg/xen-vif-vms.htp
$doc/pollers/prometheus
$doc/pollers/prometheus/generator.upstream.yml
$doc/pollers/prometheus/generator.yml
$doc/pollers/prometheus/grafana-xen-vif.json
$doc/pollers/prometheus/prometheus.yml
$doc/pollers/prometheus/promtool-tests.yml
$doc/pollers/prometheus/snmp-switch.yml
$doc/pollers/prometheus/snmp.upstream.yml
$doc/pollers/prometheus/snmp.yml
$doc/pollers/prometheus/xen-vif.rules.yml
$doc/pollers/telegraf
$doc/pollers/telegraf/xen-vif.conf
$doc/pollers/zabbix
$doc/pollers/zabbix/README.md
$doc/pollers/zabbix/xen-vif-agent.yaml
/usr/share/licenses/xen-vif-agent-$version
/usr/share/licenses/xen-vif-agent-$version/LICENSE
/usr/share/man/man5/xen-vif-agent.conf.5.gz
/usr/share/man/man8/xen-vif-agent.8.gz
/usr/share/man/man8/xen-vif-cutoff.8.gz
/usr/share/man/man8/xen-vif-shape.8.gz
/usr/share/snmp/mibs/XEN-VIF-MIB.txt
EOF
rpm -qlp "$rpm" >"$tmp/files" 2>&1
if out=$(same "$tmp/files.expected" "$tmp/files"); then
	result 0 "rpm -qlp: the daemon, module, handlers, MIB, configuration, unit, man pages, docs and licence, and nothing else"
else
	result 1 "rpm -qlp: the daemon, module, handlers, MIB, configuration, unit, man pages, docs and licence, and nothing else" "$out"
fi

# ---- 5: configuration, modes ---------------------------------------------
# Each file's flags (c: %config, n: noreplace, d: %doc, l: %license) and
# mode, but for the docs, which make install gives 0644 and 0755.
rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms}\n]' "$rpm" |
	grep -v "^${doc}[ /]" >"$tmp/flags" 2>&1
cat >"$tmp/flags.expected" <<EOF
/etc/snmp/xen-vif-agent.conf cn -rw-r--r--
/usr/lib/systemd/system/xen-vif-agent.service  -rw-r--r--
/usr/lib64/xen-vif-agent  drwxr-xr-x
/usr/lib64/xen-vif-agent/xen_vif_mib.so  -rwxr-xr-x
/usr/libexec/xen-vif-agent  drwxr-xr-x
/usr/libexec/xen-vif-agent/xen-vif-cutoff  -rwxr-xr-x
/usr/libexec/xen-vif-agent/xen-vif-notification.sh  -rw-r--r--
/usr/libexec/xen-vif-agent/xen-vif-shape  -rwxr-xr-x
/usr/sbin/xen-vif-agent  -rwxr-xr-x
/usr/share/licenses/xen-vif-agent-$version  drwxr-xr-x
/usr/share/licenses/xen-vif-agent-$version/LICENSE l -rw-r--r--
/usr/share/man/man5/xen-vif-agent.conf.5.gz d -rw-r--r--
/usr/share/man/man8/xen-vif-agent.8.gz d -rw-r--r--
/usr/share/man/man8/xen-vif-cutoff.8.gz d -rw-r--r--
/usr/share/man/man8/xen-vif-shape.8.gz d -rw-r--r--
/usr/share/snmp/mibs/XEN-VIF-MIB.txt  -rw-r--r--
EOF
if out=$(same "$tmp/flags.expected" "$tmp/flags"); then
	result 0 "/etc/snmp/xen-vif-agent.conf alone is %config(noreplace); programs 0755, the sourced xen-vif-notification.sh 0644"
else
	result 1 "/etc/snmp/xen-vif-agent.conf alone is %config(noreplace); programs 0755, the sourced xen-vif-notification.sh 0644" "$out"
fi

# ---- 6: requirements -----------------------------------------------------
# The libraries by name, without their versions (Debian's here, XCP-ng's
# there), and rpm's own features left out.
rpm -qp --requires "$rpm" 2>&1 | grep -v '^rpmlib(' |
	sed -e 's/^\(lib[a-z]*\)\.so\.[0-9.]*(.*$/\1 (library)/' -e 's/^rtld(.*$/rtld/' |
	LC_ALL=C sort -u >"$tmp/requires"
cat >"$tmp/requires.expected" <<EOF
/bin/sh
config(xen-vif-agent) = $version-1
iproute
libc (library)
libnetsnmp (library)
libnetsnmpagent (library)
libxenstat (library)
libxenstore (library)
net-snmp
rtld
systemd
EOF
if out=$(same "$tmp/requires.expected" "$tmp/requires"); then
	result 0 "rpm -qp --requires: net-snmp, iproute, systemd, /bin/sh; libc, libnetsnmp, libnetsnmpagent, libxenstore, libxenstat and no other library (no libbpf: no classifier)"
else
	result 1 "rpm -qp --requires: net-snmp, iproute, systemd, /bin/sh; libc, libnetsnmp, libnetsnmpagent, libxenstore, libxenstat and no other library (no libbpf: no classifier)" "$out"
fi

# ---- 7: scriptlets -------------------------------------------------------
rpm -qp --scripts "$rpm" >"$tmp/scripts" 2>&1
cat >"$tmp/scripts.expected" <<'EOF'
postinstall scriptlet (using /bin/sh):
if [ $1 -eq 1 ] ; then systemctl preset xen-vif-agent.service >/dev/null 2>&1 || : ; fi
preuninstall scriptlet (using /bin/sh):
if [ $1 -eq 0 ] ; then systemctl --no-reload disable xen-vif-agent.service >/dev/null 2>&1 || : ; systemctl stop xen-vif-agent.service >/dev/null 2>&1 || : ; fi
postuninstall scriptlet (using /bin/sh):
systemctl daemon-reload >/dev/null 2>&1 || : ; if [ $1 -ge 1 ] ; then systemctl try-restart xen-vif-agent.service >/dev/null 2>&1 || : ; fi
EOF
if out=$(same "$tmp/scripts.expected" "$tmp/scripts"); then
	result 0 "scriptlets: systemd's preset on install, disable and stop on removal, try-restart on upgrade"
else
	result 1 "scriptlets: systemd's preset on install, disable and stop on removal, try-restart on upgrade" "$out"
fi

# ---- 8: the unit, for systemd 219 ----------------------------------------
mkdir "$tmp/root"
rpm2archive - <"$rpm" | tar -C "$tmp/root" -xzf - ./usr/lib/systemd/system/xen-vif-agent.service
grep -v -e '^#' -e '^$' "$tmp/root/usr/lib/systemd/system/xen-vif-agent.service" \
	>"$tmp/unit" 2>&1
cat >"$tmp/unit.expected" <<'EOF'
[Unit]
Description=XEN-VIF-MIB AgentX subagent (per-VM vif counters for snmpd)
Documentation=man:xen-vif-agent(8) man:xen-vif-agent.conf(5)
Documentation=file:/usr/share/doc/xen-vif-agent/README.md
After=snmpd.service xenstored.service xen.service
Wants=snmpd.service
[Service]
Type=simple
ExecStart=/usr/sbin/xen-vif-agent -f -Lsd
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5
CapabilityBoundingSet=CAP_DAC_OVERRIDE
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=yes
PrivateTmp=yes
RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6
SystemCallArchitectures=native
UMask=0077
[Install]
WantedBy=multi-user.target
EOF
if out=$(same "$tmp/unit.expected" "$tmp/unit"); then
	result 0 "the unit runs /usr/sbin/xen-vif-agent with the hardening systemd 219 knows, ProtectSystem=full"
else
	result 1 "the unit runs /usr/sbin/xen-vif-agent with the hardening systemd 219 knows, ProtectSystem=full" "$out"
fi

# ---- 9: the source package -----------------------------------------------
rpm -qlp "$srpm" >"$tmp/srpm" 2>&1
printf '%s\n' "xen-vif-agent-$version.tar.gz" xen-vif-agent.spec >"$tmp/srpm.expected"
if out=$(same "$tmp/srpm.expected" "$tmp/srpm"); then
	result 0 "the source package holds the release tarball and the spec"
else
	result 1 "the source package holds the release tarball and the spec" "$out"
fi
exit $failed
