/* SPDX-License-Identifier: ISC */
/* The agent's configuration tokens: values accepted and errors said. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "xenvif/config.h"

static char err[512];

static int set(struct xv_config *cfg, const char *token, const char *value)
{
	err[0] = '\0';
	return xv_config_set(cfg, token, value, err, sizeof err);
}

static void test_amounts(void)
{
	static const struct {
		const char *text;
		uint64_t value;
	} good[] = {
		{"0", 0}, {"1000", 1000}, {"5K", 5000}, {"5Ki", 5120},
		{"2M", 2000000}, {"2Mi", 2097152}, {"500G", 500000000000ULL},
		{"1Gi", 1073741824ULL}, {"1.5T", 1500000000000ULL},
		{"1.5Ti", 1649267441664ULL}, {"0.001K", 1}, {"0.5Ki", 512},
		{"16777215Ti", 18446742974197923840ULL},
	};
	static const char *const bad[] = {
		"", "K", "5k", "5KB", "5 K", "-5", "1.5", "1.", ".5G", "1.2345G",
		"18446744073709551616", "16777216Ti", "0x10", "5Gi ",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		tap_ok(xv_parse_amount(good[i].text, &v) && v == good[i].value,
		       "amount %s = %llu", good[i].text,
		       (unsigned long long)good[i].value);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tap_ok(!xv_parse_amount(bad[i], &v), "amount '%s' refused", bad[i]);
}

static void test_policies(void)
{
	struct xv_config cfg;

	xv_config_defaults(&cfg);
	tap_ok(cfg.period.kind == XV_PERIOD_MONTHLY && cfg.period.day == 1 &&
		       strcmp(cfg.period.tz, "UTC") == 0,
	       "period defaults to monthly 1 UTC");
	tap_ok(set(&cfg, "accountingPeriod", "monthly 15 Europe/Berlin") == 0 &&
		       cfg.period.kind == XV_PERIOD_MONTHLY && cfg.period.day == 15 &&
		       strcmp(cfg.period.tz, "Europe/Berlin") == 0,
	       "monthly 15 Europe/Berlin");
	tap_ok(set(&cfg, "accountingPeriod", "weekly Mon") == 0 &&
		       cfg.period.kind == XV_PERIOD_WEEKLY && cfg.period.day == 1 &&
		       strcmp(cfg.period.tz, "UTC") == 0,
	       "weekly Mon, zone back to UTC");
	tap_ok(set(&cfg, "accountingPeriod", "daily") == 0 &&
		       cfg.period.kind == XV_PERIOD_DAILY, "daily");
	tap_ok(set(&cfg, "accountingPeriod", "hourly Asia/Kolkata") == 0 &&
		       cfg.period.kind == XV_PERIOD_HOURLY, "hourly Asia/Kolkata");
	tap_ok(set(&cfg, "accountingPeriod", "monthly 29") < 0, "monthly 29 refused");
	tap_is_str(err, "'29' is not a day of the month from 1 to 28", "and said why");
	tap_ok(set(&cfg, "accountingPeriod", "monthly") < 0, "monthly alone refused");
	tap_is_str(err, "monthly needs a DAY from 1 to 28", "and said why");
	tap_ok(set(&cfg, "accountingPeriod", "weekly funday") < 0, "bad day name refused");
	tap_is_str(err, "'funday' is not a day of the week", "and said why");
	tap_ok(set(&cfg, "accountingPeriod", "daily Mars/Olympus") < 0,
	       "unknown zone refused");
	tap_is_str(err, "unknown time zone 'Mars/Olympus' (no "
		   "/usr/share/zoneinfo/Mars/Olympus)", "and said why");
	tap_ok(set(&cfg, "accountingPeriod", "daily ../../etc/passwd") < 0,
	       "a path for a zone refused");
	tap_is_str(err, "'../../etc/passwd' is not a time zone name", "and said why");
	tap_ok(set(&cfg, "accountingPeriod", "daily Europe") < 0,
	       "a directory of zones is no zone");
	tap_is_str(err, "'Europe' is not a time zone (/usr/share/zoneinfo/Europe "
		   "is no zone file)", "and said why");
	tap_ok(set(&cfg, "accountingPeriod", "daily zone.tab") < 0,
	       "nor a file of the database that is not a zone");
	tap_ok(set(&cfg, "accountingPeriod", "yearly") < 0, "yearly refused");
	tap_is_str(err, "'yearly': expected monthly, weekly, daily or hourly",
		   "and said why");
	tap_ok(set(&cfg, "accountingPeriod", "daily UTC extra") < 0, "trailing word refused");

	tap_ok(set(&cfg, "quota", "web1 500G") == 0 && cfg.nquotas == 1 &&
		       cfg.quotas[0].vm.kind == XV_MATCH_NAME &&
		       cfg.quotas[0].octets == 500000000000ULL &&
		       cfg.quotas[0].dir == XV_DIR_TOTAL && cfg.quotas[0].warn_percent == 80,
	       "quota web1 500G: total, warn 80 by default");
	tap_ok(set(&cfg, "quota", "6F1C2A9E-0D3B-4C8E-9A51-3B2F7D0E4A11 1Ti in warn 90") == 0 &&
		       cfg.quotas[1].vm.kind == XV_MATCH_UUID &&
		       strcmp(cfg.quotas[1].vm.text,
			      "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11") == 0 &&
		       cfg.quotas[1].dir == XV_DIR_IN && cfg.quotas[1].warn_percent == 90,
	       "quota by UUID (normalised), in, warn 90");
	tap_ok(set(&cfg, "quota", "* 100G out") == 0 &&
		       cfg.quotas[2].vm.kind == XV_MATCH_ANY && cfg.quotas[2].dir == XV_DIR_OUT,
	       "quota * 100G out");
	tap_ok(set(&cfg, "quota", "web1 1G") < 0, "a second quota for a VM refused");
	tap_is_str(err, "a quota for web1 is already set", "and said why");
	tap_ok(set(&cfg, "quota", "db 0") < 0, "a zero quota refused");
	tap_ok(set(&cfg, "quota", "db 5GB") < 0, "a bad unit refused");
	tap_is_str(err, "'5GB' is not an amount of bytes above zero (a number with K, "
		   "M, G, T, Ki, Mi, Gi or Ti)", "and said why");
	tap_ok(set(&cfg, "quota", "db 5G sideways") < 0, "a bad direction refused");
	tap_is_str(err, "'sideways': expected in, out, total or warn PERCENT",
		   "and said why");
	tap_ok(set(&cfg, "quota", "db 5G warn 101") < 0, "warn above 100 refused");
	tap_is_str(err, "warn needs a percentage from 1 to 100", "and said why");
	tap_ok(set(&cfg, "quota", "db 5G warn") < 0, "warn without a number refused");
	tap_ok(set(&cfg, "quota", "db") < 0, "quota without amount refused");
	tap_is_str(err, "too few values", "and said why");

	const char *U = "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11";
	tap_ok(xv_config_quota(&cfg, U, "web1") == &cfg.quotas[1],
	       "a UUID rule wins over a name rule");
	tap_ok(xv_config_quota(&cfg, "", "web1") == &cfg.quotas[0], "a name rule");
	tap_ok(xv_config_quota(&cfg, "", "other") == &cfg.quotas[2], "else '*'");

	tap_ok(set(&cfg, "rateAlarm", "web1 in 100M 60") == 0 && cfg.nrates == 1 &&
		       cfg.rates[0].dir == XV_DIR_IN &&
		       cfg.rates[0].bits_per_second == 100000000ULL &&
		       cfg.rates[0].seconds == 60,
	       "rateAlarm web1 in 100M 60");
	tap_ok(set(&cfg, "rateAlarm", "web1 out 1G 10") == 0, "and out, same VM");
	tap_ok(set(&cfg, "rateAlarm", "web1 in 1G 10") < 0, "a second one for in refused");
	tap_is_str(err, "a rate alarm for web1 in is already set", "and said why");
	tap_ok(set(&cfg, "rateAlarm", "web1 total 1G 10") < 0, "total refused for rates");
	tap_is_str(err, "'total': expected in or out", "and said why");
	tap_ok(set(&cfg, "rateAlarm", "x in 1G 0") < 0, "zero seconds refused");
	tap_is_str(err, "'0' is not a whole number of seconds from 1 to 86400",
		   "and said why");
	tap_ok(set(&cfg, "rateAlarm", "x in 1G") < 0, "missing seconds refused");
	tap_ok(xv_config_rate(&cfg, "", "web1", XV_DIR_OUT) == &cfg.rates[1] &&
		       xv_config_rate(&cfg, "", "db", XV_DIR_IN) == NULL,
	       "rate rules by VM and direction");
	/* Listed least close first: the closest wins wherever it stands. */
	tap_ok(set(&cfg, "rateAlarm", "* in 10M 5") == 0 &&
		       set(&cfg, "rateAlarm", "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11 "
				  "in 2G 5") == 0, "rate rules for * and a UUID");
	tap_ok(xv_config_rate(&cfg, U, "web1", XV_DIR_IN) == &cfg.rates[3],
	       "a UUID rate rule wins over a name rule");
	tap_ok(xv_config_rate(&cfg, "", "web1", XV_DIR_IN) == &cfg.rates[0],
	       "a name rate rule over '*'");
	tap_ok(xv_config_rate(&cfg, "", "db", XV_DIR_IN) == &cfg.rates[2] &&
		       xv_config_rate(&cfg, "", "db", XV_DIR_OUT) == NULL,
	       "else '*', in its direction");

	/* Flood alarms: one per VM, '*' when none is named. */
	tap_ok(set(&cfg, "floodAlarm", "10M 30") == 0 && cfg.nfloods == 1 &&
		       cfg.floods[0].vm.kind == XV_MATCH_ANY &&
		       cfg.floods[0].bits_per_second == 10000000ULL &&
		       cfg.floods[0].seconds == 30,
	       "floodAlarm 10M 30: every VM");
	tap_ok(set(&cfg, "floodAlarm", "web1 1M 5") == 0 && cfg.nfloods == 2 &&
		       cfg.floods[1].vm.kind == XV_MATCH_NAME,
	       "floodAlarm web1 1M 5");
	tap_ok(set(&cfg, "floodAlarm", "* 2M 5") < 0, "a second one for * refused");
	tap_is_str(err, "a flood alarm for * is already set", "and said why");
	tap_ok(set(&cfg, "floodAlarm", "web2 0 5") < 0, "a zero rate refused");
	tap_is_str(err, "'0' is not a rate in bits per second above zero (a number "
		   "with K, M, G, T, Ki, Mi, Gi or Ti)", "and said why");
	tap_ok(set(&cfg, "floodAlarm", "web2 1M 90000") < 0, "too long refused");
	tap_is_str(err, "'90000' is not a whole number of seconds from 1 to 86400",
		   "and said why");
	tap_ok(set(&cfg, "floodAlarm", "1M") < 0, "missing seconds refused");
	tap_ok(xv_config_flood(&cfg, "", "web1") == &cfg.floods[1] &&
		       xv_config_flood(&cfg, "", "db") == &cfg.floods[0],
	       "flood rules: the VM's, else '*'");
	xv_config_free(&cfg);
	tap_ok(cfg.nquotas == 0 && cfg.quotas == NULL && cfg.nfloods == 0 &&
		       cfg.floods == NULL, "freed");
}

static void test_switch(void)
{
	static const struct {
		const char *text;
		uint32_t seconds;
	} durations[] = {{"0", 0}, {"90", 90}, {"90s", 90}, {"15m", 900},
			 {"12h", 43200}, {"35d", 3024000}, {"3650d", 315360000}};
	static const char *const bad_durations[] = {"", "d", "s", "m", "h", "5w",
						    "-1", "1.5d", "3651d", "05m",
						    "1dd", "5ms", "1ds", "5 d"};
	struct xv_config cfg;
	uint32_t secs;

	for (size_t i = 0; i < sizeof durations / sizeof *durations; i++)
		tap_ok(xv_parse_duration(durations[i].text, 3650U * 86400U, &secs) &&
			       secs == durations[i].seconds,
		       "duration %s = %u s", durations[i].text, durations[i].seconds);
	for (size_t i = 0; i < sizeof bad_durations / sizeof *bad_durations; i++)
		tap_ok(!xv_parse_duration(bad_durations[i], 3650U * 86400U, &secs),
		       "duration '%s' refused", bad_durations[i]);

	xv_config_defaults(&cfg);
	tap_is_str(cfg.sw.context, "xen", "switchContext defaults to xen");
	tap_is_u64(cfg.sw.port_speed, 10000000000ULL, "portSpeed defaults to 10G");
	tap_is_u64(cfg.sw.port_retention, 35 * 86400, "portRetention defaults to 35d");
	tap_ok(!cfg.sw.link_notifications && !cfg.sw.name[0] && !cfg.sw.contact[0] &&
		       !cfg.sw.location[0], "no link notifications, names from the host");
	tap_ok(set(&cfg, "switchContext", "vswitch") == 0 &&
		       strcmp(cfg.sw.context, "vswitch") == 0, "switchContext vswitch");
	tap_ok(set(&cfg, "switchContext", "cccccccccccccccccccccccccccccccc") == 0,
	       "32 octets: the longest context name");
	tap_ok(set(&cfg, "switchContext", "ccccccccccccccccccccccccccccccccc") < 0,
	       "33 refused");
	tap_is_str(err, "'ccccccccccccccccccccccccccccccccc' is longer than the 32 "
		   "octets of an SNMP context name", "and said why");
	tap_ok(set(&cfg, "switchContext", "\"\"") < 0, "the default context refused");
	tap_ok(set(&cfg, "switchContext", "xen\x01") < 0, "control characters refused");
	tap_is_str(err, "a context name is printable ASCII", "and said why");
	tap_ok(set(&cfg, "switchContext", "NONE") == 0 && cfg.sw.context[0] == '\0',
	       "none: no switch view");
	tap_ok(set(&cfg, "portSpeed", "2.5G") == 0 && cfg.sw.port_speed == 2500000000ULL,
	       "portSpeed 2.5G");
	tap_ok(set(&cfg, "portSpeed", "4294967295M") == 0, "the largest ifHighSpeed");
	tap_ok(set(&cfg, "portSpeed", "4294967296M") < 0, "more refused");
	tap_ok(set(&cfg, "portSpeed", "0") < 0, "0 refused (pollers ignore such ports)");
	tap_ok(set(&cfg, "portRetention", "0") == 0 && cfg.sw.port_retention == 0,
	       "portRetention 0: a stopped VM's port leaves at once");
	tap_ok(set(&cfg, "portRetention", "40d") == 0 &&
		       cfg.sw.port_retention == 40 * 86400, "portRetention 40d");
	tap_ok(set(&cfg, "portLinkNotifications", "yes") == 0 &&
		       cfg.sw.link_notifications, "portLinkNotifications yes");
	tap_ok(set(&cfg, "portLinkNotifications", "off") == 0 &&
		       !cfg.sw.link_notifications, "and off");
	tap_ok(set(&cfg, "switchContact", "  NOC <noc@example.net>, +1 555 0100 ") == 0 &&
		       strcmp(cfg.sw.contact, "NOC <noc@example.net>, +1 555 0100") == 0,
	       "switchContact: the rest of the line, trimmed");
	tap_ok(set(&cfg, "switchLocation", "") == 0 && cfg.sw.location[0] == '\0',
	       "an empty switchLocation");
	tap_ok(set(&cfg, "switchName", "tab\there") < 0, "control characters refused");
	tap_is_str(err, "control characters are not allowed", "and said why");
	char long_text[300];
	memset(long_text, 'a', 256);
	long_text[256] = '\0';
	tap_ok(set(&cfg, "switchName", long_text) < 0, "256 octets refused");
	tap_is_str(err, "longer than 255 octets", "and said why");
	xv_config_free(&cfg);
}

static char changed_tokens[256];

static void note_changed(void *ctx, const char *token)
{
	(void)ctx;
	snprintf(changed_tokens + strlen(changed_tokens),
		 sizeof changed_tokens - strlen(changed_tokens), "%s ", token);
}

/* A reload keeps what only a restart changes, and says which. */
static void test_reload(void)
{
	struct xv_config running, fresh;

	xv_config_defaults(&running);
	xv_config_defaults(&fresh);
	set(&running, "stateFile", "/var/lib/a-much-longer-name.state");
	set(&running, "stateFile", "/var/lib/a.state");
	set(&fresh, "stateFile", "/var/lib/a.state");
	set(&fresh, "refreshInterval", "9");
	set(&fresh, "quota", "* 1G");
	xv_config_keep_fixed(&fresh, &running, note_changed, NULL);
	tap_is_str(changed_tokens, "", "same values (whatever lies after the "
		   "text's end): nothing to say");
	tap_ok(fresh.refresh_interval == 9 && fresh.nquotas == 1,
	       "what a reload applies stays new");
	set(&fresh, "backendDomain", "7");
	set(&fresh, "counterSource", "xenstat");
	set(&fresh, "switchContext", "other");
	set(&fresh, "sysfsRoot", "/elsewhere");
	xv_config_keep_fixed(&fresh, &running, note_changed, NULL);
	tap_is_str(changed_tokens, "counterSource backendDomain sysfsRoot "
		   "switchContext ", "each change a reload cannot make is named");
	tap_ok(fresh.backend_domid == 0 && fresh.counter_source == XV_COUNTERS_NETLINK &&
		       strcmp(fresh.sw.context, "xen") == 0 &&
		       strcmp(fresh.sysfs_root, "/sys") == 0 &&
		       strcmp(fresh.state_file, "/var/lib/a.state") == 0,
	       "and keeps its running value");
	tap_ok(xv_config_token("REFRESHINTERVAL") == &xv_config_tokens[0] &&
		       xv_config_token("nope") == NULL, "tokens found in any case");
	xv_config_free(&fresh);
	xv_config_free(&running);
}

int main(void)
{
	struct xv_config cfg;

	test_reload();
	test_amounts();
	test_policies();
	test_switch();

	xv_config_defaults(&cfg);
	tap_is_u64(cfg.refresh_interval, 5, "refresh interval defaults to 5 s");
	tap_is_u64(cfg.state_save_interval, 60, "state saved every 60 s by default");
	tap_is_u64(cfg.backend_domid, 0, "backend domain defaults to dom0");
	tap_is_str(cfg.state_file, "", "state file defaults to the persistent dir");
	tap_is_str(cfg.sysfs_root, "/sys", "sysfs root defaults to /sys");

	tap_ok(set(&cfg, "refreshInterval", "  10  ") == 0 && cfg.refresh_interval == 10,
	       "refreshInterval 10, blanks around it");
	tap_ok(set(&cfg, "REFRESHINTERVAL", "7") == 0 && cfg.refresh_interval == 7,
	       "tokens are case-insensitive, as net-snmp's");
	tap_ok(set(&cfg, "refreshInterval", "0") < 0, "refreshInterval 0 refused");
	tap_is_str(err, "'0' is not a whole number from 1 to 3600", "and said why");
	tap_ok(set(&cfg, "refreshInterval", "5s") < 0, "units refused");
	tap_is_str(err, "'5s' is not a whole number from 1 to 3600", "and said why");
	tap_ok(set(&cfg, "refreshInterval", "5 6") < 0, "two values refused");
	tap_is_str(err, "expected one value, got more", "and said why");
	tap_ok(set(&cfg, "refreshInterval", "") < 0, "missing value refused");
	tap_is_str(err, "missing value", "and said why");
	tap_ok(set(&cfg, "refreshInterval", NULL) < 0, "no value at all refused");
	tap_is_u64(cfg.refresh_interval, 7, "failed lines leave the setting alone");

	tap_ok(set(&cfg, "stateSaveInterval", "4") < 0, "stateSaveInterval below 5 refused");
	tap_ok(set(&cfg, "stateSaveInterval", "61") < 0,
	       "stateSaveInterval above a minute refused: usage reaches the disk "
	       "at least every minute");
	tap_ok(set(&cfg, "stateSaveInterval", "30") == 0 && cfg.state_save_interval == 30,
	       "stateSaveInterval 30");
	tap_ok(set(&cfg, "backendDomain", "5") == 0 && cfg.backend_domid == 5,
	       "backendDomain 5");
	tap_ok(set(&cfg, "backendDomain", "32753") < 0, "reserved domid refused");
	tap_is_str(err, "'32753' is not a whole number from 0 to 32751", "and said why");
	tap_ok(set(&cfg, "stateFile", "/var/lib/x/state") == 0 &&
		       strcmp(cfg.state_file, "/var/lib/x/state") == 0,
	       "stateFile");
	tap_ok(set(&cfg, "stateFile", "state") < 0, "relative stateFile refused");
	tap_is_str(err, "'state' is not an absolute path", "and said why");
	tap_ok(set(&cfg, "sysfsRoot", "/tmp/sys") == 0 &&
		       strcmp(cfg.sysfs_root, "/tmp/sys") == 0,
	       "sysfsRoot");
	tap_ok(cfg.counter_source == XV_COUNTERS_NETLINK, "counterSource netlink by default");
	tap_ok(set(&cfg, "counterSource", "xenstat") == 0 &&
		       cfg.counter_source == XV_COUNTERS_XENSTAT,
	       "counterSource xenstat");
	tap_ok(set(&cfg, "counterSource", "NetLink") == 0 &&
		       cfg.counter_source == XV_COUNTERS_NETLINK,
	       "counterSource netlink, in any case");
	tap_ok(set(&cfg, "counterSource", "procfs") < 0, "another source refused");
	tap_is_str(err, "'procfs': expected netlink or xenstat", "and said why");
	tap_ok(set(&cfg, "counterSource", "xenstat now") < 0, "trailing words refused");
	tap_ok(cfg.toolstack == XV_TOOLSTACK_AUTO, "toolstack auto by default");
	tap_ok(set(&cfg, "toolstack", "XAPI") == 0 && cfg.toolstack == XV_TOOLSTACK_XAPI,
	       "toolstack xapi, in any case");
	tap_ok(set(&cfg, "toolstack", "libxl") == 0 && cfg.toolstack == XV_TOOLSTACK_LIBXL,
	       "toolstack libxl");
	tap_ok(set(&cfg, "toolstack", "xend") < 0, "another toolstack refused");
	tap_is_str(err, "'xend': expected auto, libxl or xapi", "and said why");
	tap_ok(cfg.out_accounting == XV_ACCOUNT_ADDRESSED, "accountingOut addressed by default");
	tap_ok(set(&cfg, "accountingOut", "ALL") == 0 && cfg.out_accounting == XV_ACCOUNT_ALL,
	       "accountingOut all, in any case");
	tap_ok(set(&cfg, "accountingOut", "addressed") == 0 &&
		       cfg.out_accounting == XV_ACCOUNT_ADDRESSED, "accountingOut addressed");
	tap_ok(set(&cfg, "accountingOut", "unicast") < 0, "another mode refused");
	tap_is_str(err, "'unicast': expected addressed or all", "and said why");
	tap_ok(cfg.classifier && strcmp(cfg.classifier_pins, "/sys/fs/bpf/xen-vif-agent") == 0,
	       "the classifier on by default, pinned in /sys/fs/bpf/xen-vif-agent");
	tap_ok(set(&cfg, "classifier", "no") == 0 && !cfg.classifier, "classifier no");
	tap_ok(cfg.classifier_hooks == XV_HOOKS_AUTO, "classifierHooks auto by default");
	tap_ok(set(&cfg, "classifierHooks", "TCX") == 0 && cfg.classifier_hooks == XV_HOOKS_TCX,
	       "classifierHooks tcx, in any case");
	tap_ok(set(&cfg, "classifierHooks", "tc") == 0 && cfg.classifier_hooks == XV_HOOKS_TC,
	       "classifierHooks tc");
	tap_ok(set(&cfg, "classifierHooks", "xdp") < 0, "another kind of hooks refused");
	tap_is_str(err, "'xdp': expected auto, tcx or tc", "and said why");
	tap_ok(set(&cfg, "classifierHooks", "tc tcx") < 0, "trailing words refused");
	tap_ok(set(&cfg, "classifierPins", "bpf") < 0, "a relative pin path refused");
	tap_is_str(err, "'bpf' is not an absolute path", "and said why");
	tap_ok(set(&cfg, "refreshIntervall", "5") < 0, "misspelt token refused");
	tap_is_str(err, "unknown token 'refreshIntervall'", "and named");

	int n = 0;
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++) {
		char e[512];
		/* Every listed token is one the parser knows. */
		if (xv_config_set(&cfg, t->name, "", e, sizeof e) == 0 ||
		    strstr(e, "unknown token") == NULL)
			n++;
	}
	tap_is_u64(n, 23, "every token listed for -H is parsed");
	char rules[128] = "";
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++)
		if (t->adds_rule)
			snprintf(rules + strlen(rules), sizeof rules - strlen(rules), "%s%s",
				 rules[0] ? " " : "", t->name);
	tap_is_str(rules, "quota rateAlarm floodAlarm", "the tokens that add a rule a line");
	xv_config_free(&cfg);
	return tap_done();
}
