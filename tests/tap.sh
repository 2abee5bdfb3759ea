# SPDX-License-Identifier: ISC
# TAP for the shell tests (tests/*.sh), sourced once the script has said
# its plan ("1..N"; plan=N where it bails).  result counts and prints a
# check; bail prints a failed check whose failure stops the script, and
# the rest of the plan as skipped.
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
