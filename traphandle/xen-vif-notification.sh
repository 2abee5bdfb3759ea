# SPDX-License-Identifier: ISC
# shellcheck shell=sh disable=SC2034 # the XV_ variables are for the callers
# Reading a XEN-VIF-MIB notification as snmptrapd hands it to a
# traphandle program, for xen-vif-shape and xen-vif-cutoff (sourced).
#
# snmptrapd writes the sender's host name, its address, then one
# "OID VALUE" line per varbind.  OIDs may be numeric (snmptrapd -On) or
# named (with XEN-VIF-MIB loaded); both are understood.  Nothing read
# here is trusted: device names are checked before any use.

XV_ROOT=.1.3.6.1.4.1.8072.9999.98
XV_KIND=""        # warning exceeded cleared rate ratecleared
XV_DEVICES=""     # checked device names, space-separated
XV_VM=""          # the VM's name, for the log only
XV_IN_ALARM=""    # "alarm" if the in rate alarm is raised
XV_OUT_ALARM=""
XV_ALLOW="vif*"   # shell pattern every device name must match

xv_log() {
	if command -v logger >/dev/null 2>&1; then
		logger -t "$XV_PROG" -- "$*" 2>/dev/null || :
	fi
	if [ -n "${XV_LOGFILE:-}" ]; then
		printf '%s: %s\n' "$XV_PROG" "$*" >>"$XV_LOGFILE"
	else
		printf '%s: %s\n' "$XV_PROG" "$*" >&2
	fi
}

# The notification's kind, from the snmpTrapOID.0 value.
xv_kind_of() {
	case "$1" in
	*"$XV_ROOT.0.1" | *xenVifQuotaWarning) echo warning ;;
	*"$XV_ROOT.0.2" | *xenVifQuotaExceeded) echo exceeded ;;
	*"$XV_ROOT.0.3" | *xenVifQuotaCleared) echo cleared ;;
	*"$XV_ROOT.0.4" | *xenVifRateAlarm) echo rate ;;
	*"$XV_ROOT.0.5" | *xenVifRateAlarmCleared) echo ratecleared ;;
	*) echo other ;;
	esac
}

# A string value without its quotes (and without escapes: a device
# list never has any, and anything else is refused below).
xv_unquote() {
	v=$1
	v=${v#\"}
	v=${v%\"}
	printf '%s' "$v"
}

# Is the argument a name a vif may have, matching the allowed pattern?
xv_valid_device() {
	case "$1" in
	"" | *[!A-Za-z0-9_.-]* | . | ..) return 1 ;;
	esac
	[ "${#1}" -le 15 ] || return 1
	# shellcheck disable=SC2254 # the pattern is meant to match
	case "$1" in
	$XV_ALLOW) return 0 ;;
	esac
	return 1
}

xv_read_notification() {
	n=0
	devices=""
	while IFS= read -r line; do
		n=$((n + 1))
		[ "$n" -le 2 ] && continue
		oid=${line%% *}
		value=${line#* }
		case "$oid" in
		*.1.3.6.1.6.3.1.1.4.1.0 | *snmpTrapOID.0)
			XV_KIND=$(xv_kind_of "$value") ;;
		*"$XV_ROOT.1.5.1.19."* | *xenVifVmDevices.*)
			devices=$(xv_unquote "$value") ;;
		*"$XV_ROOT.1.5.1.3."* | *xenVifVmName.*)
			XV_VM=$(xv_unquote "$value" | tr -cd 'A-Za-z0-9_.:@+-' | cut -c1-64) ;;
		*"$XV_ROOT.1.5.1.17."* | *xenVifVmInRateAlarm.*)
			case "$value" in 3 | alarm*) XV_IN_ALARM=alarm ;; esac ;;
		*"$XV_ROOT.1.5.1.18."* | *xenVifVmOutRateAlarm.*)
			case "$value" in 3 | alarm*) XV_OUT_ALARM=alarm ;; esac ;;
		esac
	done
	XV_DEVICES=""
	# Words, not patterns: a name like '*' must not become file names.
	set -f
	for dev in $devices; do
		if xv_valid_device "$dev"; then
			XV_DEVICES="$XV_DEVICES${XV_DEVICES:+ }$dev"
		else
			xv_log "refusing device name '$(printf '%s' "$dev" | tr -cd '[:print:]' | cut -c1-32)' (not like $XV_ALLOW)"
		fi
	done
	set +f
}

# Does the device exist here now?
xv_device_exists() {
	ip link show dev "$1" >/dev/null 2>&1
}

# The device's ifindex: a device recreated under the same name (a
# reboot with a custom vifname) is another device.
xv_ifindex() {
	ip -o link show dev "$1" 2>/dev/null | cut -d: -f1
}

# Causes (quota, rate) a device is acted on for, kept in a directory so
# that one cause clearing does not undo another's action.  A file is
# DEVICE@IFINDEX@CAUSE ('@' is in no valid device name); files of an
# earlier device of the same name are stale and removed.
xv_cause_file() {
	printf '%s/%s@%s@%s' "$XV_STATE" "$1" "$(xv_ifindex "$1")" "$2"
}

xv_forget_stale() {
	now=$(xv_ifindex "$1")
	for f in "$XV_STATE/$1"@*; do
		[ -e "$f" ] || continue
		case "$f" in
		"$XV_STATE/$1@$now@"*) ;;
		*) rm -f "$f" ;;
		esac
	done
}

xv_add_cause() {
	mkdir -p "$XV_STATE" && xv_forget_stale "$1" && : >"$(xv_cause_file "$1" "$2")"
}

xv_drop_cause() {
	xv_forget_stale "$1"
	rm -f "$(xv_cause_file "$1" "$2")"
}

xv_has_causes() {
	for f in "$XV_STATE/$1@$(xv_ifindex "$1")@"*; do
		[ -e "$f" ] && return 0
	done
	return 1
}
