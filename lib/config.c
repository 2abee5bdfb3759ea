#include "xenvif/config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xenvif/text.h"

const struct xv_config_token xv_config_tokens[] = {
	{"refreshInterval", "SECONDS",
	 "how often the kernel counters are read (1-3600, default 5)"},
	{"stateSaveInterval", "SECONDS",
	 "how often the state file is written (5-3600, default 60)"},
	{"backendDomain", "DOMID",
	 "the domain whose backend vifs are served (default 0, dom0)"},
	{"stateFile", "PATH",
	 "state file (default xen-vif-agent.state in the persistent directory)"},
	{"sysfsRoot", "PATH", "where sysfs is mounted (default /sys)"},
	{NULL, NULL, NULL},
};

void xv_config_defaults(struct xv_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->refresh_interval = 5;
	cfg->state_save_interval = 60;
	cfg->backend_domid = 0;
	snprintf(cfg->sysfs_root, sizeof cfg->sysfs_root, "/sys");
}

/* The single word of value, without surrounding blanks. */
static int one_word(const char *value, char *out, size_t outsz, char *err,
		    size_t errlen)
{
	size_t start = strspn(value, " \t"), len = strcspn(value + start, " \t\r\n");

	if (len == 0) {
		snprintf(err, errlen, "missing value");
		return -1;
	}
	if (value[start + len + strspn(value + start + len, " \t\r\n")] != '\0') {
		snprintf(err, errlen, "expected one value, got more");
		return -1;
	}
	if (len >= outsz) {
		snprintf(err, errlen, "value too long");
		return -1;
	}
	memcpy(out, value + start, len);
	out[len] = '\0';
	return 0;
}

static int set_number(const char *value, uint32_t min, uint32_t max,
		      uint32_t *out, char *err, size_t errlen)
{
	char word[32];

	if (one_word(value, word, sizeof word, err, errlen) < 0)
		return -1;
	if (!xv_parse_u32(word, min, max, out)) {
		snprintf(err, errlen, "'%s' is not a whole number from %u to %u",
			 word, min, max);
		return -1;
	}
	return 0;
}

static int set_path(const char *value, char *out, size_t outsz, char *err,
		    size_t errlen)
{
	char word[PATH_MAX];

	if (one_word(value, word, sizeof word, err, errlen) < 0)
		return -1;
	if (word[0] != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path", word);
		return -1;
	}
	snprintf(out, outsz, "%s", word);
	return 0;
}

int xv_config_set(struct xv_config *cfg, const char *token, const char *value,
		  char *err, size_t errlen)
{
	uint32_t n;

	if (!value)
		value = "";
	if (strcasecmp(token, "refreshInterval") == 0) {
		if (set_number(value, 1, 3600, &n, err, errlen) < 0)
			return -1;
		cfg->refresh_interval = n;
	} else if (strcasecmp(token, "stateSaveInterval") == 0) {
		if (set_number(value, 5, 3600, &n, err, errlen) < 0)
			return -1;
		cfg->state_save_interval = n;
	} else if (strcasecmp(token, "backendDomain") == 0) {
		if (set_number(value, 0, 0x7fef, &n, err, errlen) < 0)
			return -1;
		cfg->backend_domid = n;
	} else if (strcasecmp(token, "stateFile") == 0) {
		return set_path(value, cfg->state_file, sizeof cfg->state_file,
				err, errlen);
	} else if (strcasecmp(token, "sysfsRoot") == 0) {
		return set_path(value, cfg->sysfs_root, sizeof cfg->sysfs_root,
				err, errlen);
	} else {
		snprintf(err, errlen, "unknown token '%s'", token);
		return -1;
	}
	return 0;
}
