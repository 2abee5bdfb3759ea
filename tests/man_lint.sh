#!/bin/sh
# SPDX-License-Identifier: ISC
# The manual pages format with no warning from groff -ww nor from
# mandoc -T lint, and xen-vif-agent.conf(5) lists exactly the tokens
# "xen-vif-agent -H" prints, saying "Reload: restart" exactly for those
# -H says a restart applies.
srcdir=${XVA_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${XVA_BUILDDIR:-$srcdir}
agent=$builddir/agentx/xen-vif-agent
pages="xen-vif-agent.8 xen-vif-agent.conf.5 xen-vif-shape.8 xen-vif-cutoff.8"
count=$(set -- $pages; echo $(($# * 2 + 3)))
echo "1..$count"
. "$srcdir/tests/tap.sh"

missing=""
command -v groff >/dev/null 2>&1 || missing="$missing groff"
command -v mandoc >/dev/null 2>&1 || missing="$missing mandoc"
if [ -n "$missing" ]; then
	result 1 "groff and mandoc are installed" \
		"missing:$missing (Debian packages groff and mandoc; tools/install-deps installs them)"
	while [ "$n" -lt "$count" ]; do
		n=$((n + 1))
		echo "not ok $n # SKIP nothing to check the pages with"
	done
	exit 1
fi
result 0 "groff and mandoc are installed"

for page in $pages; do
	out=$(groff -ww -man -Tutf8 -z "$srcdir/man/$page" 2>&1)
	result "$([ -z "$out" ] && echo 0 || echo 1)" "$page: groff -ww reports nothing" "$out"
	out=$(mandoc -T lint "$srcdir/man/$page" 2>&1)
	result "$([ -z "$out" ] && echo 0 || echo 1)" "$page: mandoc -T lint reports nothing" "$out"
done

# The agent's tokens: -H's first list, up to its first empty line.
# TOKEN restart|applied, one a line, sorted.
if ! help=$("$agent" -H 2>&1); then
	result 1 "xen-vif-agent.conf.5 lists the tokens of xen-vif-agent -H" \
		"$agent -H failed: $help"
	result 1 "xen-vif-agent.conf.5 says which tokens a reload applies"
	exit 1
fi
from_agent=$(printf '%s\n' "$help" | awk '
	/^Tokens of/ { on = 1; next }
	on && /^$/ { exit }
	on { print $1, (index($0, "a restart applies it") ? "restart" : "applied") }' |
	sort)
# The page's: in .SH TOKENS, the word after each .TP's macro, and the
# "Reload:" its paragraph says.
from_page=$(awk '
	function flush() { if (tok != "") print tok, reload; tok = "" }
	/^\.SH / { flush(); on = ($2 == "TOKENS"); next }
	!on { next }
	/^\.TP/ { flush(); want = 1; next }
	want { want = 0; w = $2; gsub(/"/, "", w); tok = w; reload = "?"; next }
	/Reload: restart\./ { reload = "restart" }
	/Reload: applied\./ { reload = "applied" }
	END { flush() }' "$srcdir/man/xen-vif-agent.conf.5" | sort)
names_agent=$(printf '%s\n' "$from_agent" | cut -d' ' -f1)
names_page=$(printf '%s\n' "$from_page" | cut -d' ' -f1)
if [ -n "$names_agent" ] && [ "$names_agent" = "$names_page" ]; then
	result 0 "xen-vif-agent.conf.5 lists the $(printf '%s\n' "$names_agent" | wc -l) tokens of xen-vif-agent -H, no more"
else
	only_agent=$(printf '%s\n' "$names_agent" | while read -r t; do
		printf '%s\n' "$names_page" | grep -qxF "$t" || echo "$t"; done)
	only_page=$(printf '%s\n' "$names_page" | while read -r t; do
		printf '%s\n' "$names_agent" | grep -qxF "$t" || echo "$t"; done)
	result 1 "xen-vif-agent.conf.5 lists the tokens of xen-vif-agent -H, no more" \
		"only in -H: $(echo $only_agent)
only in the page: $(echo $only_page)"
fi
if [ -n "$from_agent" ] && [ "$from_agent" = "$from_page" ]; then
	result 0 "xen-vif-agent.conf.5 says Reload: restart for exactly the tokens -H says a restart applies"
else
	result 1 "xen-vif-agent.conf.5 says Reload: restart for exactly the tokens -H says a restart applies" \
		"$(printf -- '-H says:\n%s\nthe page says:\n%s' "$from_agent" "$from_page")"
fi
exit $failed
