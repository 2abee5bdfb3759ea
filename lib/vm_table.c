/* SPDX-License-Identifier: ISC */
#include "xenvif/vm_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/growth.h"
#include "xenvif/period.h"
#include "xenvif/search.h"
#include "xenvif/text.h"

void xv_vm_table_init(struct xv_vm_table *t)
{
	memset(t, 0, sizeof *t);
	xv_registry_init(&t->vms);
}

static void vm_free(struct xv_entry *e)
{
	struct xv_vm *vm = xv_vm_of(e);

	free(vm->entry.key);
	xv_id_set_free(&vm->quota_devices);
	xv_id_set_free(&vm->rate_devices);
	free(vm->name);
	free(vm->devices);
	xv_id_set_free(&vm->device_ids);
	free(vm->names_next);
	xv_id_set_free(&vm->ids_next);
	free(vm);
}

void xv_vm_table_free(struct xv_vm_table *t)
{
	xv_registry_free(&t->vms, vm_free);
	free(t->notices);
	memset(t, 0, sizeof *t);
}

struct xv_vm *xv_vm_table_find_key(const struct xv_vm_table *t, const char *key)
{
	struct xv_entry *e = xv_registry_find_key(&t->vms, key);

	return e ? xv_vm_of(e) : NULL;
}

struct xv_vm *xv_vm_table_find_index(const struct xv_vm_table *t, uint32_t index)
{
	struct xv_entry *e = xv_registry_find_index(&t->vms, index);

	return e ? xv_vm_of(e) : NULL;
}

int xv_vm_table_add(struct xv_vm_table *t, uint32_t index, const char *key,
		    struct xv_vm **out)
{
	struct xv_vm *vm = calloc(1, sizeof *vm);
	int rc;

	if (!vm || !(vm->entry.key = strdup(key))) {
		free(vm);
		return -ENOMEM;
	}
	vm->entry.index = index;
	vm->announced = XV_QUOTA_NONE;
	vm->status = XV_QUOTA_NONE;
	/* A UUID key is the UUID: a stopped VM keeps it. */
	if (!xv_parse_uuid(key, strlen(key), vm->uuid))
		vm->uuid[0] = '\0';
	if ((rc = xv_registry_add(&t->vms, &vm->entry)) < 0) {
		free(vm->entry.key);
		free(vm);
		return rc;
	}
	*out = vm;
	return 0;
}

bool xv_vm_key_of_row(const char *row_key, char *buf, size_t bufsz)
{
	const char *slash = strrchr(row_key, '/');
	size_t len = slash ? (size_t)(slash - row_key) : 0;

	if (len == 0 || len >= bufsz)
		return false;
	memcpy(buf, row_key, len);
	buf[len] = '\0';
	return true;
}

enum xv_quota_status xv_quota_evaluate(uint64_t used, uint64_t quota,
				       unsigned int warn_percent,
				       uint32_t *used_percent)
{
	unsigned __int128 pct;

	*used_percent = 0;
	if (quota == 0)
		return XV_QUOTA_NONE;
	pct = (unsigned __int128)used * 100 / quota;
	*used_percent = pct > UINT32_MAX ? UINT32_MAX : (uint32_t)pct;
	if (used >= quota)
		return XV_QUOTA_EXCEEDED;
	return pct >= warn_percent ? XV_QUOTA_WARNING : XV_QUOTA_OK;
}

/* ---- notices ------------------------------------------------------- */

void xv_vm_table_queue(struct xv_vm_table *t, enum xv_notice_kind kind,
		       uint32_t vm_index)
{
	if (t->nnotices == XV_NOTICE_BACKLOG) {
		memmove(t->notices, t->notices + 1, (t->nnotices - 1) * sizeof *t->notices);
		t->nnotices--;
		t->dropped++;
	}
	struct xv_notice *n = xv_grow(t->notices, &t->capnotices, t->nnotices,
				      sizeof *n, 16);

	if (!n) {
		t->dropped++;
		return;
	}
	t->notices = n;
	t->notices[t->nnotices++] = (struct xv_notice){kind, vm_index};
}

enum xv_save xv_vm_table_sent(struct xv_vm_table *t, size_t n)
{
	if (n > t->nnotices)
		n = t->nnotices;
	if (n == 0)
		return XV_SAVE_LATER;
	memmove(t->notices, t->notices + n, (t->nnotices - n) * sizeof *t->notices);
	t->nnotices -= n;
	return XV_SAVE_NOW;
}

/* A queued notice must be saved at once: a crash must neither lose it
 * nor, once sent, repeat it. */
static enum xv_save queue(struct xv_vm_table *t, struct xv_vm *vm,
			  enum xv_notice_kind kind)
{
	xv_vm_table_queue(t, kind, vm->entry.index);
	return XV_SAVE_NOW;
}

/* ---- device sets ---------------------------------------------------- */

void xv_id_set_free(struct xv_id_set *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int order_id(const void *key, const void *item)
{
	int a = *(const int *)key, b = *(const int *)item;

	return (a > b) - (a < b);
}

int xv_id_set_add(struct xv_id_set *s, int id)
{
	int rc = xv_insert_sorted((void **)&s->v, &s->n, &s->cap, sizeof *s->v, &id,
				  order_id);

	return rc < 0 ? rc : 0;
}

int xv_id_set_copy(struct xv_id_set *to, const struct xv_id_set *from)
{
	if (to->cap < from->n) {
		int *v = realloc(to->v, from->n * sizeof *v);

		if (!v)
			return -ENOMEM;
		to->v = v;
		to->cap = from->n;
	}
	if (from->n)
		memcpy(to->v, from->v, from->n * sizeof *to->v);
	to->n = from->n;
	return 0;
}

bool xv_id_set_has_new(const struct xv_id_set *now, const struct xv_id_set *before)
{
	for (size_t i = 0; i < now->n; i++)
		if (!xv_find_sorted(before->v, before->n, sizeof *before->v, &now->v[i],
				    order_id))
			return true;
	return false;
}

/* What a notice was announced with: kept as it was if there is no
 * memory, which only repeats a notice for devices it had. */
static void announced_with(struct xv_id_set *devices, const struct xv_id_set *now)
{
	(void)xv_id_set_copy(devices, now);
}

static int quota_level(enum xv_quota_status s)
{
	return s == XV_QUOTA_EXCEEDED ? 2 : s == XV_QUOTA_WARNING ? 1 : 0;
}

/* Each crossing of a level is announced once.  A VM still over its
 * quota that has new devices (it rebooted or migrated: the old ones'
 * limits went with them) is announced again. */
static enum xv_save announce_quota(struct xv_vm_table *t, struct xv_vm *vm)
{
	int now = quota_level(vm->status), before = quota_level(vm->announced);

	if (now > before) {
		if (before < 1)
			queue(t, vm, XV_NOTICE_QUOTA_WARNING);
		if (now == 2)
			queue(t, vm, XV_NOTICE_QUOTA_EXCEEDED);
	} else if (now < before) {
		queue(t, vm, XV_NOTICE_QUOTA_CLEARED);
	} else if (now == 2 && xv_id_set_has_new(&vm->device_ids, &vm->quota_devices)) {
		queue(t, vm, XV_NOTICE_QUOTA_EXCEEDED);
	} else {
		if (vm->announced == vm->status)
			return XV_SAVE_LATER;
		vm->announced = vm->status; /* none <-> ok: nothing to say */
		return XV_SAVE_NOW;
	}
	vm->announced = vm->status;
	announced_with(&vm->quota_devices, &vm->device_ids);
	return XV_SAVE_NOW;
}

/* ---- update -------------------------------------------------------- */

static int set_text(char **field, const char *value)
{
	char *copy;

	if (*field && strcmp(*field, value) == 0)
		return 0;
	if (!(copy = strdup(value)))
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* Appends a word to the names being gathered, a blank before it. */
static int append_name(struct xv_vm *vm, const char *word)
{
	size_t need = vm->names_len + 1 + strlen(word) + 1;

	while (vm->names_cap < need) {
		char *grown = xv_grow(vm->names_next, &vm->names_cap, vm->names_cap, 1, 64);

		if (!grown)
			return -ENOMEM;
		vm->names_next = grown;
	}
	vm->names_len += (size_t)snprintf(vm->names_next + vm->names_len,
					  vm->names_cap - vm->names_len, "%s%s",
					  vm->names_len ? " " : "", word);
	return 0;
}

/* Adds a row's devices, by name and by ifindex, to the VM's sets being
 * gathered. */
static int add_devices(struct xv_vm *vm, const struct xv_vif_row *row)
{
	int rc = 0;

	for (size_t j = 0; j < row->nsources; j++) {
		char name[IF_NAMESIZE];

		xv_text_clean(name, sizeof name, row->sources[j].name,
			      strlen(row->sources[j].name), XV_TEXT_ASCII);
		if (append_name(vm, name) < 0 ||
		    xv_id_set_add(&vm->ids_next, row->sources[j].ifindex) < 0)
			rc = -ENOMEM;
	}
	return rc;
}

static void apply_rules(struct xv_vm *vm, const struct xv_config *cfg)
{
	const char *name = vm->name ? vm->name : "";
	const struct xv_quota_rule *q = xv_config_quota(cfg, vm->uuid, name);

	vm->quota = q ? q->octets : 0;
	vm->quota_dir = q ? q->dir : XV_DIR_TOTAL;
	vm->warn_percent = q ? q->warn_percent : 0;
	for (int d = XV_RATE_IN; d < XV_NRATES; d++) {
		const struct xv_rate_rule *r =
			d == XV_RATE_FLOOD ? xv_config_flood(cfg, vm->uuid, name)
					   : xv_config_rate(cfg, vm->uuid, name,
							    d == XV_RATE_IN ? XV_DIR_IN
									    : XV_DIR_OUT);

		vm->rate[d].threshold = r ? r->bits_per_second : 0;
		vm->rate[d].seconds = r ? r->seconds : 0;
	}
}

enum xv_out_mode xv_vm_out_mode(const struct xv_vm *vm)
{
	if (vm->out_mode != XV_OUT_MODE_NONE)
		return vm->out_mode;
	return vm->addressed_now ? XV_OUT_MODE_ADDRESSED : XV_OUT_MODE_ALL;
}

/*
 * A row's Out octets of this reconcile, as the VM's usage counts them:
 * with accountingOut addressed and the row classified, less what was
 * flooded to it.  The period says which way its Out was counted, mixed
 * if both.
 */
static uint64_t billable_out(struct xv_vm *vm, const struct xv_vif_row *row,
			     const struct xv_config *cfg)
{
	uint64_t out = row->moved.v[XV_OUT_OCTETS];
	uint64_t owed = row->moved.v[XV_OUT_FOREIGN_OCTETS] + vm->foreign_carry;
	bool addressed = cfg->out_accounting == XV_ACCOUNT_ADDRESSED && row->split;
	enum xv_out_mode mode = addressed ? XV_OUT_MODE_ADDRESSED : XV_OUT_MODE_ALL;

	if (out > 0)
		vm->out_mode = vm->out_mode == XV_OUT_MODE_NONE || vm->out_mode == mode
				       ? mode
				       : XV_OUT_MODE_MIXED;
	if (!addressed)
		return out;
	vm->foreign_carry = owed > out ? owed - out : 0;
	return owed > out ? 0 : out - owed;
}

static uint64_t quota_usage(const struct xv_vm *vm)
{
	switch (vm->quota_dir) {
	case XV_DIR_IN:
		return vm->period_in;
	case XV_DIR_OUT:
		return vm->period_out;
	default:
		return vm->period_in + vm->period_out;
	}
}

/* The VM a row's counts go to; created if the row is served or has
 * counted something.  A new VM is saved at once: after a crash it
 * must not get another index. */
static struct xv_vm *vm_of_row(struct xv_vm_table *t, const struct xv_vif_row *row,
			       int *rc, enum xv_save *save)
{
	char key[XV_TEXT_MAX + 64];
	struct xv_vm *vm;

	if (!xv_vm_key_of_row(row->entry.key, key, sizeof key))
		return NULL;
	vm = xv_vm_table_find_key(t, key);
	if (vm || (!row->entry.active && row->moved.v[XV_IN_OCTETS] == 0 &&
		   row->moved.v[XV_OUT_OCTETS] == 0))
		return vm;
	if (xv_vm_table_add(t, xv_registry_new_index(&t->vms, key), key, &vm) < 0) {
		*rc = -ENOMEM;
		return NULL;
	}
	*save = XV_SAVE_NOW;
	return vm;
}

/*
 * Moves a VM into the current period.  A period ends only when its own
 * end has passed.  A reload that changes the schedule keeps the usage
 * counted so far and only moves the bounds; a clock set back before
 * the period began changes nothing (the clock is wrong, not the period).
 */
static enum xv_save settle_period(struct xv_vm_table *t, struct xv_vm *vm,
				  const struct xv_period *p, time_t now)
{
	bool moved = false;

	if (vm->period_end != 0 && (int64_t)now >= vm->period_end) {
		vm->period_in = vm->period_out = vm->period_out_foreign = 0;
		vm->out_mode = XV_OUT_MODE_NONE;
		vm->foreign_carry = 0;
		moved = true;
	} else if (vm->period_end != 0 && (int64_t)now < vm->period_start) {
		goto out;
	}
	if (vm->period_start != (int64_t)t->period_start ||
	    vm->period_end != (int64_t)t->period_next) {
		vm->period_start = (int64_t)t->period_start;
		vm->period_end = (int64_t)t->period_next;
		moved = true;
	}
out:
	if (moved || strcmp(t->zone, p->tz) != 0)
		xv_period_date_and_time(p, (time_t)vm->period_start, vm->start_dt);
	return moved ? XV_SAVE_NOW : XV_SAVE_LATER;
}

int xv_vm_table_update(struct xv_vm_table *t, const struct xv_vif_table *vifs,
		       const struct xv_config *cfg, time_t now)
{
	enum xv_save save = XV_SAVE_LATER;
	int rc = 0;

	xv_period_bounds(&cfg->period, now, &t->period_start, &t->period_next);
	for (size_t i = 0; i < t->vms.n; i++) {
		struct xv_vm *vm = xv_vm_of(t->vms.by_index[i]);

		vm->live = false;
		vm->names_len = 0;
		if (vm->names_next)
			vm->names_next[0] = '\0';
		vm->ids_next.n = 0;
	}

	for (size_t i = 0; i < vifs->rows.n; i++) {
		const struct xv_vif_row *row = xv_vif_table_row(vifs, i);
		struct xv_vm *vm = vm_of_row(t, row, &rc, &save);

		if (!vm)
			continue;
		/* Counted before the period changed: the old period's.  (A
		 * period boundary passed while the agent was down puts the
		 * traffic of the gap in the period that ended.) */
		vm->period_in += row->moved.v[XV_IN_OCTETS];
		vm->period_out += billable_out(vm, row, cfg);
		vm->period_out_foreign += row->moved.v[XV_OUT_FOREIGN_OCTETS];
		vm->rate[XV_RATE_IN].octets += row->moved.v[XV_IN_OCTETS];
		vm->rate[XV_RATE_OUT].octets += row->moved.v[XV_OUT_OCTETS];
		vm->rate[XV_RATE_FLOOD].octets += row->moved.v[XV_OUT_FOREIGN_OCTETS];
		if (!row->entry.active)
			continue;
		vm->classified = (vm->live ? vm->classified : true) && row->split;
		/* Several rows share the VM's metadata; during a local
		 * migration the newer domain's wins. */
		if (!vm->live || row->domid >= vm->domid) {
			vm->domid = row->domid;
			if (row->uuid[0])
				memcpy(vm->uuid, row->uuid, sizeof vm->uuid);
			if (set_text(&vm->name, row->domain_name ? row->domain_name : "") < 0)
				rc = -ENOMEM;
		}
		vm->live = vm->seen_live = true;
		if (add_devices(vm, row) < 0)
			rc = -ENOMEM;
	}

	for (size_t i = 0; i < t->vms.n; i++) {
		struct xv_vm *vm = xv_vm_of(t->vms.by_index[i]);

		if (settle_period(t, vm, &cfg->period, now) == XV_SAVE_NOW)
			save = XV_SAVE_NOW;
		vm->entry.active = vm->live;
		if (set_text(&vm->devices, vm->names_len ? vm->names_next : "") < 0 ||
		    xv_id_set_copy(&vm->device_ids, &vm->ids_next) < 0)
			rc = -ENOMEM;
		/* Rules follow a VM's name and UUID, known once it ran. */
		if (!vm->seen_live)
			continue;
		apply_rules(vm, cfg);
		vm->addressed_now = cfg->out_accounting == XV_ACCOUNT_ADDRESSED &&
				    vm->classified;
		vm->status = xv_quota_evaluate(quota_usage(vm), vm->quota,
					       vm->warn_percent, &vm->used_percent);
		/* A VM that is not running is told about when it returns. */
		if (vm->live && announce_quota(t, vm) == XV_SAVE_NOW)
			save = XV_SAVE_NOW;
	}
	snprintf(t->zone, sizeof t->zone, "%s", cfg->period.tz);
	xv_registry_rebuild_view(&t->vms);
	return rc < 0 ? rc : (int)save;
}

/* ---- resources ----------------------------------------------------- */

void xv_vm_table_apply_resources(struct xv_vm_table *t,
				 const struct xv_resource_set *set)
{
	for (size_t i = 0; i < t->vms.n; i++) {
		struct xv_vm *vm = xv_vm_of(t->vms.by_index[i]);
		const struct xv_domain_resources *r =
			set && vm->live ? xv_resource_set_find(set, vm->domid) : NULL;

		vm->has_resources = r != NULL;
		if (!r)
			continue;
		vm->state = r->state;
		vm->vcpus = r->vcpus;
		vm->mem_kb = r->mem_kb;
		vm->max_mem_kb = r->max_mem_kb;
		/* A new domain (reboot, migration) starts its CPU time
		 * afresh: all it shows is new. */
		if (r->domid == vm->cpu_domid && r->cpu_ns >= vm->cpu_last_ns)
			vm->cpu_total_ns += r->cpu_ns - vm->cpu_last_ns;
		else
			vm->cpu_total_ns += r->cpu_ns;
		vm->cpu_domid = r->domid;
		vm->cpu_last_ns = r->cpu_ns;
	}
}

/* ---- rates --------------------------------------------------------- */

static enum xv_save rate_notice(struct xv_vm_table *t, struct xv_vm *vm,
			       enum xv_notice_kind kind)
{
	announced_with(&vm->rate_devices, &vm->device_ids);
	return queue(t, vm, kind);
}

/* A rate alarm's notices: a flood alarm has its own (it is the bridge's
 * trouble, not the VM's doing). */
static enum xv_save alarm_notice(struct xv_vm_table *t, struct xv_vm *vm, int d,
				 bool raised)
{
	if (d == XV_RATE_FLOOD)
		return queue(t, vm, raised ? XV_NOTICE_FLOOD_ALARM : XV_NOTICE_FLOOD_CLEARED);
	return rate_notice(t, vm, raised ? XV_NOTICE_RATE_ALARM : XV_NOTICE_RATE_CLEARED);
}

static enum xv_save sample_rate(struct xv_vm_table *t, struct xv_vm *vm, int d,
			int64_t start_ms, int64_t now_ms)
{
	struct xv_rate_state *r = &vm->rate[d];
	int64_t elapsed = now_ms - start_ms;

	r->bits_per_second = elapsed > 0 ? r->octets * 8000 / (uint64_t)elapsed : 0;
	r->octets = 0;
	if (r->threshold == 0) {
		r->above_since_ms = r->below_since_ms = 0;
		if (!r->alarm)
			return XV_SAVE_LATER;
		r->alarm = false; /* removed from the configuration */
		return alarm_notice(t, vm, d, false);
	}
	if (r->bits_per_second > r->threshold) {
		r->below_since_ms = 0;
		if (!r->above_since_ms)
			r->above_since_ms = start_ms;
		if (r->alarm || now_ms - r->above_since_ms < (int64_t)r->seconds * 1000)
			return XV_SAVE_LATER;
		r->alarm = true;
		return alarm_notice(t, vm, d, true);
	}
	r->above_since_ms = 0;
	if (!r->alarm)
		return XV_SAVE_LATER;
	/* It clears as it was raised: after as long at or below. */
	if (!r->below_since_ms)
		r->below_since_ms = start_ms;
	if (now_ms - r->below_since_ms < (int64_t)r->seconds * 1000)
		return XV_SAVE_LATER;
	r->alarm = false;
	r->below_since_ms = 0;
	return alarm_notice(t, vm, d, false);
}

enum xv_save xv_vm_table_sample(struct xv_vm_table *t, const struct xv_config *cfg,
				int64_t now_ms)
{
	int64_t start_ms = t->last_sample_ms;
	enum xv_save save = XV_SAVE_LATER;

	(void)cfg; /* the rules were applied by the last update */
	t->last_sample_ms = now_ms;
	for (size_t i = 0; i < t->vms.n; i++) {
		struct xv_vm *vm = xv_vm_of(t->vms.by_index[i]);

		/* The first sample only starts the clock; a VM not seen
		 * running since the start has no rules to go by yet. */
		if (start_ms == 0 || !vm->seen_live) {
			for (int d = XV_RATE_IN; d < XV_NRATES; d++)
				vm->rate[d].octets = 0;
			continue;
		}
		for (int d = XV_RATE_IN; d < XV_NRATES; d++)
			if (sample_rate(t, vm, d, start_ms, now_ms) == XV_SAVE_NOW)
				save = XV_SAVE_NOW;
		/* An alarm still on when the VM has new devices is announced
		 * again for them. */
		if ((vm->rate[XV_RATE_IN].alarm || vm->rate[XV_RATE_OUT].alarm) &&
		    xv_id_set_has_new(&vm->device_ids, &vm->rate_devices))
			save = rate_notice(t, vm, XV_NOTICE_RATE_ALARM);
	}
	return save;
}
