/* SPDX-License-Identifier: ISC */
/*
 * The VM table: per VM, its traffic in the current accounting period,
 * its quota and rates, and the notifications they call for.  The
 * table owns usage and alarm state; the vif table feeds it what each
 * reconcile counted, so reboots, migrations and agent restarts within
 * a period keep adding to the same VM.
 *
 * Notifications are not sent here: each crossing queues a notice,
 * which the agent sends with values read from this table.  What was
 * announced is part of the saved state, so a restart does not repeat it.
 */
#ifndef XENVIF_VM_TABLE_H
#define XENVIF_VM_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "xenvif/config.h"
#include "xenvif/registry.h"
#include "xenvif/resources.h"
#include "xenvif/save.h"
#include "xenvif/vif_table.h"

/* Values as XEN-VIF-MIB's xenVifVmQuotaStatus. */
enum xv_quota_status {
	XV_QUOTA_NONE = 1,
	XV_QUOTA_OK = 2,
	XV_QUOTA_WARNING = 3,
	XV_QUOTA_EXCEEDED = 4,
};

/* Values as xenVifVmInRateAlarm / xenVifVmOutRateAlarm. */
enum xv_alarm_status { XV_ALARM_NONE = 1, XV_ALARM_OK = 2, XV_ALARM_ON = 3 };

/* The notification's number under xenVifNotifications. */
enum xv_notice_kind {
	XV_NOTICE_QUOTA_WARNING = 1,
	XV_NOTICE_QUOTA_EXCEEDED = 2,
	XV_NOTICE_QUOTA_CLEARED = 3,
	XV_NOTICE_RATE_ALARM = 4,
	XV_NOTICE_RATE_CLEARED = 5,
	XV_NOTICE_FLOOD_ALARM = 6,
	XV_NOTICE_FLOOD_CLEARED = 7,
};
#define XV_NOTICE_LAST XV_NOTICE_FLOOD_CLEARED

/* What a VM's Out usage was counted as in this period: values as
 * xenVifVmOutAccounting (none: nothing counted yet). */
enum xv_out_mode {
	XV_OUT_MODE_NONE = 0,
	XV_OUT_MODE_ALL = 1,
	XV_OUT_MODE_ADDRESSED = 2,
	XV_OUT_MODE_MIXED = 3,
};

struct xv_notice {
	enum xv_notice_kind kind;
	uint32_t vm_index;
};

/* A set of devices by kernel ifindex: sorted, each once, as many as
 * there are. */
struct xv_id_set {
	int *v;
	size_t n, cap;
};

void xv_id_set_free(struct xv_id_set *s);
/* Adds id (once).  0 or -ENOMEM. */
int xv_id_set_add(struct xv_id_set *s, int id);
/* Makes to equal from.  0 or -ENOMEM (to unchanged). */
int xv_id_set_copy(struct xv_id_set *to, const struct xv_id_set *from);
/* Does now hold an id that before does not? */
bool xv_id_set_has_new(const struct xv_id_set *now, const struct xv_id_set *before);

/* The rates a VM is sampled for: what it sent, what it received, and
 * the part of that addressed to others (flooded to it). */
enum { XV_RATE_IN, XV_RATE_OUT, XV_RATE_FLOOD, XV_NRATES };

struct xv_rate_state {
	uint64_t bits_per_second;  /* over the last sample */
	uint64_t threshold;        /* 0: no alarm configured */
	unsigned int seconds;
	bool alarm;                /* raised; saved */
	int64_t above_since_ms;    /* monotonic; 0: not above */
	int64_t below_since_ms;    /* monotonic; 0: not below while raised */
	uint64_t octets;           /* since the last sample */
};

struct xv_vm {
	/* xenVifVmIndex; key: what the VM's vif keys start with (its
	 * UUID, else "name:NAME"); active: a vif of it is served. */
	struct xv_entry entry;

	/* Saved in the state file. */
	int64_t period_start, period_end; /* [start, end), seconds since the epoch */
	uint64_t period_in, period_out;   /* octets; out as accountingOut says */
	uint64_t period_out_foreign;      /* octets flooded to it (classified) */
	enum xv_out_mode out_mode;        /* what period_out counted */
	enum xv_quota_status announced;   /* the level last announced */
	/* The devices (ifindexes) a condition was last announced with:
	 * new devices of a VM still over quota or in a rate alarm (after a
	 * reboot or migration) are announced again. */
	struct xv_id_set quota_devices, rate_devices;
	char *name;                       /* known even while it is stopped */
	char uuid[37];
	struct xv_rate_state rate[XV_NRATES];
	/* CPU time, continuous across the VM's domains (reboots) as a
	 * Counter64 must be: the total, and the domain last read. */
	uint64_t cpu_total_ns;
	uint32_t cpu_domid;
	uint64_t cpu_last_ns;

	/* Known while active. */
	bool seen_live;                   /* running since the agent started */
	uint32_t domid;
	char *devices;                    /* space-separated dom0 device names */
	struct xv_id_set device_ids;      /* their ifindexes */
	uint64_t quota;                   /* 0: none */
	enum xv_direction quota_dir;
	unsigned int warn_percent;
	enum xv_quota_status status;
	uint32_t used_percent;
	uint8_t start_dt[11];             /* period_start as DateAndTime */
	/* From the hypervisor, while known (a resource read found it). */
	bool has_resources;
	enum xv_domain_state state;
	uint32_t vcpus;
	uint64_t mem_kb, max_mem_kb;
	/* Flooded octets not yet taken off Out: the classifier counts a
	 * frame as it leaves the bridge, the device a little later (or
	 * never, if dropped), so an interval's foreign part may exceed
	 * its Out; the excess comes off the next. */
	uint64_t foreign_carry;
	/* Every served device of it is classified now; and with
	 * accountingOut addressed, so its Out would count as addressed. */
	bool classified, addressed_now;
	bool live;                        /* scratch */
	/* Scratch: the names and ifindexes being gathered. */
	char *names_next;
	size_t names_len, names_cap;
	struct xv_id_set ids_next;
};

/* Past this many waiting notices (the master away for long), the
 * oldest are dropped. */
#define XV_NOTICE_BACKLOG 4096

struct xv_vm_table {
	struct xv_registry vms;
	/* Notices not yet handed to the master, oldest first: saved with
	 * the state, so a restart neither loses nor repeats them. */
	struct xv_notice *notices;
	size_t nnotices, capnotices;
	size_t dropped;                   /* notices lost to the backlog cap */
	time_t period_start, period_next; /* the current period */
	char zone[64];                    /* start_dt is in this zone */
	int64_t last_sample_ms;
};

static inline struct xv_vm *xv_vm_of(struct xv_entry *e)
{
	return (struct xv_vm *)e; /* the entry is the first member */
}

static inline struct xv_vm *xv_vm_table_served(const struct xv_vm_table *t, size_t i)
{
	return xv_vm_of(t->vms.active[i]);
}

void xv_vm_table_init(struct xv_vm_table *t);
void xv_vm_table_free(struct xv_vm_table *t);

struct xv_vm *xv_vm_table_find_key(const struct xv_vm_table *t, const char *key);
struct xv_vm *xv_vm_table_find_index(const struct xv_vm_table *t, uint32_t index);
/* Adds a VM with this identity (for the state file loader too). */
int xv_vm_table_add(struct xv_vm_table *t, uint32_t index, const char *key,
		    struct xv_vm **out);

/* The VM part of a vif row key ("UUID/N" gives "UUID"). */
bool xv_vm_key_of_row(const char *row_key, char *buf, size_t bufsz);

/* What the VM's Out usage is counted as now: its period's mode, or if
 * nothing was counted yet, the mode it would be counted in. */
enum xv_out_mode xv_vm_out_mode(const struct xv_vm *vm);

/* The level a usage is at. */
enum xv_quota_status xv_quota_evaluate(uint64_t used, uint64_t quota,
				       unsigned int warn_percent,
				       uint32_t *used_percent);

/*
 * After a reconcile of the vif table: adds what each row counted to
 * its VM, settles each VM's metadata, rules and quota status, starts a
 * new period when now has passed it, and queues notices.
 * Returns XV_SAVE_NOW when a VM, a period or an announcement is new
 * (after a crash a VM must neither get another index nor be announced
 * twice), XV_SAVE_LATER, or -ENOMEM (what could be counted was).
 */
int xv_vm_table_update(struct xv_vm_table *t, const struct xv_vif_table *vifs,
		       const struct xv_config *cfg, time_t now);

/* What the hypervisor said of the domains: the resources of each
 * running VM, and its CPU time carried on.  set NULL: nothing known. */
void xv_vm_table_apply_resources(struct xv_vm_table *t,
				 const struct xv_resource_set *set);

/* A refresh: each VM's rates since the last sample, and its alarms.
 * XV_SAVE_NOW if an alarm was raised or cleared. */
enum xv_save xv_vm_table_sample(struct xv_vm_table *t, const struct xv_config *cfg,
				int64_t now_ms);

/* Adds a notice to the queue (also for the state file loader). */
void xv_vm_table_queue(struct xv_vm_table *t, enum xv_notice_kind kind,
		       uint32_t vm_index);

/* The first n notices were handed to the master: forget them.
 * XV_SAVE_NOW if there were any: a restart must not send them again. */
enum xv_save xv_vm_table_sent(struct xv_vm_table *t, size_t n);

#endif
