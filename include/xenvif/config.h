/* SPDX-License-Identifier: ISC */
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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/classifier.h"

/* Which traffic: values as XEN-VIF-MIB's XenVifQuotaDirection. */
enum xv_direction { XV_DIR_IN = 1, XV_DIR_OUT = 2, XV_DIR_TOTAL = 3 };

/* Which VMs a rule is for: one UUID, one name, or every VM ('*'). */
enum xv_match_kind { XV_MATCH_ANY, XV_MATCH_UUID, XV_MATCH_NAME };
struct xv_vm_match {
	enum xv_match_kind kind;
	char text[256];
};

struct xv_quota_rule {
	struct xv_vm_match vm;
	uint64_t octets;
	enum xv_direction dir;
	unsigned int warn_percent;
};

struct xv_rate_rule {
	struct xv_vm_match vm;
	enum xv_direction dir; /* in or out */
	uint64_t bits_per_second;
	unsigned int seconds;
};

enum xv_period_kind {
	XV_PERIOD_MONTHLY,
	XV_PERIOD_WEEKLY,
	XV_PERIOD_DAILY,
	XV_PERIOD_HOURLY,
};

struct xv_period {
	enum xv_period_kind kind;
	unsigned int day; /* monthly: 1-28; weekly: 0 (Sunday) - 6 */
	char tz[64];      /* IANA time zone name */
};

/* Where the vif counters come from. */
enum xv_counter_source {
	XV_COUNTERS_NETLINK, /* rtnetlink: one dump, link events, final counters */
	XV_COUNTERS_XENSTAT, /* libxenstat's network statistics */
};

/* What a VM's Out usage (and its quotas) counts. */
enum xv_out_accounting {
	XV_ACCOUNT_ADDRESSED, /* only frames addressed to it (the classifier's) */
	XV_ACCOUNT_ALL,       /* everything the vif carried, floods too */
};

/* Which toolstack laid out xenstore. */
enum xv_toolstack {
	XV_TOOLSTACK_AUTO,  /* found out from what xenstore holds */
	XV_TOOLSTACK_LIBXL, /* xl, libvirt's libxl driver */
	XV_TOOLSTACK_XAPI,  /* xenopsd: XCP-ng, XenServer */
};

/* The switch view: dom0 served as a switch, the VMs' vifs its ports, in
 * an SNMP context of its own. */
#define XV_CONTEXT_MAX 32 /* octets of an SNMP context name */
struct xv_switch_config {
	char context[XV_CONTEXT_MAX + 1]; /* "" = no switch view */
	uint64_t port_speed;      /* bits/s of a port without a rate limit */
	uint32_t port_retention;  /* seconds a stopped VM's port stays */
	char name[256];           /* sysName; "" = CONTEXT.HOSTNAME */
	char contact[256];        /* sysContact */
	char location[256];       /* sysLocation */
	bool link_notifications;  /* linkUp/linkDown for the ports */
};

struct xv_config {
	unsigned int refresh_interval;    /* seconds between counter reads */
	unsigned int state_save_interval; /* seconds between state saves */
	unsigned int resource_interval;   /* seconds between hypervisor reads; 0: none */
	uint32_t backend_domid;           /* the domain whose backends we serve */
	enum xv_counter_source counter_source;
	enum xv_toolstack toolstack;
	char state_file[PATH_MAX];        /* "" = in net-snmp's persistent dir */
	char sysfs_root[PATH_MAX];        /* where class/net/IF/device lives */

	struct xv_period period;
	struct xv_quota_rule *quotas;
	size_t nquotas, capquotas;
	struct xv_rate_rule *rates;
	size_t nrates, caprates;
	/* floodAlarm: foreign unicast Out rates (dir is XV_DIR_OUT). */
	struct xv_rate_rule *floods;
	size_t nfloods, capfloods;

	enum xv_out_accounting out_accounting;
	bool classifier;                    /* try the eBPF classifier */
	char classifier_pins[PATH_MAX];     /* its maps, in a bpf filesystem */
	enum xv_classifier_hooks classifier_hooks; /* where its programs sit */

	struct xv_switch_config sw;
};

/* Whether a reload (SIGHUP) applies a token, or only a restart. */
enum xv_token_reload { XV_RELOAD_APPLIES, XV_RELOAD_RESTART };

/* One token of xen-vif-agent.conf: the one description that parsing,
 * -H, reloads and the module in snmpd all use. */
struct xv_config_token {
	const char *name;
	const char *usage; /* for -H */
	const char *help;
	/* Applies one line's value: 0, or -1 with a message in err. */
	int (*set)(struct xv_config *cfg, const char *value, char *err,
		   size_t errlen);
	enum xv_token_reload reload;
	/* Each line adds a rule (quota, rateAlarm, floodAlarm): a second
	 * line for the same VM is refused, not a new value. */
	bool adds_rule;
	/* Restart tokens: the setting's place in struct xv_config, and
	 * whether it is a NUL-terminated text. */
	size_t offset, size;
	bool is_text;
};

extern const struct xv_config_token xv_config_tokens[];

/* The token of this name (any case), or NULL. */
const struct xv_config_token *xv_config_token(const char *name);

void xv_config_defaults(struct xv_config *cfg);
void xv_config_free(struct xv_config *cfg);

/*
 * Applies one configuration line: token and the rest of the line.
 * Returns 0, or -1 with a message in err (without file and line).
 */
int xv_config_set(struct xv_config *cfg, const char *token, const char *value,
		  char *err, size_t errlen);

/*
 * A reload: the settings only a restart changes keep their running
 * values in fresh; changed(ctx, token) is called for each that the new
 * file would have changed.
 */
void xv_config_keep_fixed(struct xv_config *fresh, const struct xv_config *running,
			  void (*changed)(void *ctx, const char *token), void *ctx);

/* The rules for a VM: its UUID's, else its name's, else '*''s; NULL if
 * none.  uuid and name may be "". */
const struct xv_quota_rule *xv_config_quota(const struct xv_config *cfg,
					    const char *uuid, const char *name);
const struct xv_rate_rule *xv_config_rate(const struct xv_config *cfg,
					  const char *uuid, const char *name,
					  enum xv_direction dir);
const struct xv_rate_rule *xv_config_flood(const struct xv_config *cfg,
					   const char *uuid, const char *name);

/* "90", "90s", "15m", "12h", "35d": seconds, at most max. */
bool xv_parse_duration(const char *word, uint32_t max, uint32_t *out);

/* "500G", "1.5Ti", "1000": a whole number of units, K M G T (powers of
 * 1000) or Ki Mi Gi Ti (powers of 1024). */
bool xv_parse_amount(const char *word, uint64_t *out);

#endif
