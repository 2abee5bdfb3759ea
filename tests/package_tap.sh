# SPDX-License-Identifier: ISC
# TAP for the package tests (tests/debian_package.sh, tests/rpm_package.sh),
# sourced once the script has set plan (how many checks) and said
# "1..$plan".  result counts and prints a check; bail prints a failed
# check whose failure stops the script, and the rest as skipped.
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
