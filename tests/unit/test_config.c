/* The agent's configuration tokens: values accepted and errors said. */
#include <string.h>

#include "tap.h"
#include "xenvif/config.h"

static char err[512];

static int set(struct xv_config *cfg, const char *token, const char *value)
{
	err[0] = '\0';
	return xv_config_set(cfg, token, value, err, sizeof err);
}

int main(void)
{
	struct xv_config cfg;

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
	tap_ok(set(&cfg, "stateSaveInterval", "300") == 0 && cfg.state_save_interval == 300,
	       "stateSaveInterval 300");
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
	tap_ok(set(&cfg, "refreshIntervall", "5") < 0, "misspelt token refused");
	tap_is_str(err, "unknown token 'refreshIntervall'", "and named");

	int n = 0;
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++) {
		char e[512];
		/* Every listed token is one the parser knows. */
		if (xv_config_set(&cfg, t->name, "", e, sizeof e) < 0 &&
		    strstr(e, "unknown token") == NULL)
			n++;
	}
	tap_is_u64(n, 5, "every token listed for -H is parsed");
	return tap_done();
}
