/*
 * The agent's own settings and the words that set them in
 * xen-vif-agent.conf.  Parsing lives here, apart from net-snmp's
 * config reader, so every rule has a unit test; the agent feeds each
 * line to xv_config_set() and reports the error it returns with the
 * file and line.
 */
#ifndef XENVIF_CONFIG_H
#define XENVIF_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct xv_config {
	unsigned int refresh_interval;    /* seconds between counter reads */
	unsigned int state_save_interval; /* seconds between state saves */
	uint32_t backend_domid;           /* the domain whose backends we serve */
	char state_file[PATH_MAX];        /* "" = in net-snmp's persistent dir */
	char sysfs_root[PATH_MAX];        /* where class/net/IF/device lives */
};

struct xv_config_token {
	const char *name;
	const char *usage; /* for -H */
	const char *help;
};

extern const struct xv_config_token xv_config_tokens[];

void xv_config_defaults(struct xv_config *cfg);

/*
 * Applies one configuration line: token and the rest of the line.
 * Returns 0, or -1 with a message in err (without file and line).
 */
int xv_config_set(struct xv_config *cfg, const char *token, const char *value,
		  char *err, size_t errlen);

#endif
