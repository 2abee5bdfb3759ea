#include "xenvif/vm_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/period.h"
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
	free(vm->announced_devices);
	free(vm->name);
	free(vm->devices);
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
	uint64_t pct;

	*used_percent = 0;
	if (quota == 0)
		return XV_QUOTA_NONE;
	/* used * 100 / quota without overflowing 64 bits */
	pct = used / quota * 100 + used % quota * 100 / quota;
	*used_percent = pct > UINT32_MAX ? UINT32_MAX : (uint32_t)pct;
	if (used >= quota)
		return XV_QUOTA_EXCEEDED;
	return pct >= warn_percent ? XV_QUOTA_WARNING : XV_QUOTA_OK;
}

/* ---- notices ------------------------------------------------------- */

static void queue(struct xv_vm_table *t, struct xv_vm *vm, enum xv_notice_kind kind)
{
	if (t->nnotices == t->capnotices) {
		size_t cap = t->capnotices ? t->capnotices * 2 : 16;
		struct xv_notice *n = realloc(t->notices, cap * sizeof *n);

		if (!n)
			return; /* the state still changes: it will be seen */
		t->notices = n;
		t->capnotices = cap;
	}
	t->notices[t->nnotices++] = (struct xv_notice){kind, vm->entry.index};
}

struct xv_notice *xv_vm_table_take_notices(struct xv_vm_table *t, size_t *n)
{
	struct xv_notice *v = t->notices;

	*n = t->nnotices;
	t->notices = NULL;
	t->nnotices = t->capnotices = 0;
	return v;
}

/* Remembers which devices a VM's conditions were announced with. */
static void announced_with(struct xv_vm *vm)
{
	char *copy = strdup(vm->devices ? vm->devices : "");

	if (copy) {
		free(vm->announced_devices);
		vm->announced_devices = copy;
	}
}

static int quota_level(enum xv_quota_status s)
{
	return s == XV_QUOTA_EXCEEDED ? 2 : s == XV_QUOTA_WARNING ? 1 : 0;
}

static bool devices_changed(const struct xv_vm *vm)
{
	return vm->devices && vm->devices[0] &&
	       strcmp(vm->devices, vm->announced_devices ? vm->announced_devices : "") != 0;
}

/* Each crossing of a level is announced once.  A VM whose conditions
 * were announced and whose devices changed since (it rebooted or
 * migrated, and its new devices are not shaped yet) is announced again. */
static void announce_quota(struct xv_vm_table *t, struct xv_vm *vm)
{
	int now = quota_level(vm->status), before = quota_level(vm->announced);

	if (now > before) {
		if (before < 1)
			queue(t, vm, XV_NOTICE_QUOTA_WARNING);
		if (now == 2)
			queue(t, vm, XV_NOTICE_QUOTA_EXCEEDED);
	} else if (now < before) {
		queue(t, vm, XV_NOTICE_QUOTA_CLEARED);
	} else if (now == 2 && devices_changed(vm)) {
		queue(t, vm, XV_NOTICE_QUOTA_EXCEEDED);
	} else {
		if (vm->announced != vm->status) {
			vm->announced = vm->status; /* none <-> ok: nothing to say */
			t->save_soon = true;
		}
		return;
	}
	vm->announced = vm->status;
	announced_with(vm);
	t->save_soon = true;
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

/* Appends a row's devices to the VM's list being built. */
static void add_devices(char *list, size_t size, const struct xv_row *row)
{
	for (size_t j = 0; j < row->nsources; j++) {
		char name[IF_NAMESIZE];
		size_t len = strlen(list);

		xv_text_clean(name, sizeof name, row->sources[j].name,
			      strlen(row->sources[j].name), XV_TEXT_ASCII);
		if (len + (len ? 1 : 0) + strlen(name) >= size)
			return;
		snprintf(list + len, size - len, "%s%s", len ? " " : "", name);
	}
}

static void apply_rules(struct xv_vm *vm, const struct xv_config *cfg)
{
	const struct xv_quota_rule *q = xv_config_quota(cfg, vm->uuid,
							vm->name ? vm->name : "");

	vm->quota = q ? q->octets : 0;
	vm->quota_dir = q ? q->dir : XV_DIR_TOTAL;
	vm->warn_percent = q ? q->warn_percent : 0;
	for (int d = XV_RATE_IN; d <= XV_RATE_OUT; d++) {
		const struct xv_rate_rule *r = xv_config_rate(
			cfg, vm->uuid, vm->name ? vm->name : "",
			d == XV_RATE_IN ? XV_DIR_IN : XV_DIR_OUT);

		vm->rate[d].threshold = r ? r->bits_per_second : 0;
		vm->rate[d].seconds = r ? r->seconds : 0;
	}
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
 * counted something. */
static struct xv_vm *vm_of_row(struct xv_vm_table *t, const struct xv_row *row,
			       int *rc)
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
	t->save_soon = true;
	return vm;
}

int xv_vm_table_update(struct xv_vm_table *t, const struct xv_table *vifs,
		       const struct xv_config *cfg, time_t now)
{
	int rc = 0;

	xv_period_bounds(&cfg->period, now, &t->period_start, &t->period_next);
	for (size_t i = 0; i < t->vms.n; i++) {
		struct xv_vm *vm = xv_vm_of(t->vms.by_index[i]);

		vm->live = false;
		vm->devices_next[0] = '\0';
	}

	for (size_t i = 0; i < vifs->rows.n; i++) {
		const struct xv_row *row = xv_table_row(vifs, i);
		struct xv_vm *vm = vm_of_row(t, row, &rc);

		if (!vm)
			continue;
		if (vm->period_start == 0)
			vm->period_start = (int64_t)t->period_start;
		/* Counted before the period changed: the old period's.  (A
		 * period boundary passed while the agent was down puts the
		 * traffic of the gap in the period that ended.) */
		vm->period_in += row->moved.v[XV_IN_OCTETS];
		vm->period_out += row->moved.v[XV_OUT_OCTETS];
		vm->rate[XV_RATE_IN].octets += row->moved.v[XV_IN_OCTETS];
		vm->rate[XV_RATE_OUT].octets += row->moved.v[XV_OUT_OCTETS];
		if (!row->entry.active)
			continue;
		/* Several rows share the VM's metadata; during a local
		 * migration the newer domain's wins. */
		if (!vm->live || row->domid >= vm->domid) {
			vm->domid = row->domid;
			memcpy(vm->uuid, row->uuid, sizeof vm->uuid);
			if (set_text(&vm->name, row->domain_name ? row->domain_name : "") < 0)
				rc = -ENOMEM;
		}
		vm->live = true;
		add_devices(vm->devices_next, sizeof vm->devices_next, row);
	}

	for (size_t i = 0; i < t->vms.n; i++) {
		struct xv_vm *vm = xv_vm_of(t->vms.by_index[i]);

		if (vm->period_start != 0 && vm->period_start < (int64_t)t->period_start) {
			vm->period_start = (int64_t)t->period_start;
			vm->period_in = vm->period_out = 0;
			t->save_soon = true;
		}
		vm->entry.active = vm->live;
		if (set_text(&vm->devices, vm->devices_next) < 0)
			rc = -ENOMEM;
		apply_rules(vm, cfg);
		vm->status = xv_quota_evaluate(quota_usage(vm), vm->quota,
					       vm->warn_percent, &vm->used_percent);
		/* A VM that is not running is told about when it returns. */
		if (vm->live)
			announce_quota(t, vm);
	}
	xv_registry_rebuild_view(&t->vms);
	return rc;
}

/* ---- rates --------------------------------------------------------- */

static void sample_rate(struct xv_vm_table *t, struct xv_vm *vm, int d,
			int64_t start_ms, int64_t now_ms)
{
	struct xv_rate_state *r = &vm->rate[d];
	int64_t elapsed = now_ms - start_ms;

	r->bits_per_second = elapsed > 0 ? r->octets * 8000 / (uint64_t)elapsed : 0;
	r->octets = 0;
	if (r->threshold == 0) {
		r->above_since_ms = r->below_since_ms = 0;
		if (r->alarm) { /* the alarm was removed from the configuration */
			r->alarm = false;
			queue(t, vm, XV_NOTICE_RATE_CLEARED);
			announced_with(vm);
			t->save_soon = true;
		}
		return;
	}
	if (r->bits_per_second > r->threshold) {
		r->below_since_ms = 0;
		if (!r->above_since_ms)
			r->above_since_ms = start_ms;
		if (!r->alarm && now_ms - r->above_since_ms >= (int64_t)r->seconds * 1000) {
			r->alarm = true;
			queue(t, vm, XV_NOTICE_RATE_ALARM);
			announced_with(vm);
			t->save_soon = true;
		}
		return;
	}
	r->above_since_ms = 0;
	if (!r->alarm)
		return;
	/* It clears as it was raised: after as long at or below. */
	if (!r->below_since_ms)
		r->below_since_ms = start_ms;
	if (now_ms - r->below_since_ms >= (int64_t)r->seconds * 1000) {
		r->alarm = false;
		r->below_since_ms = 0;
		queue(t, vm, XV_NOTICE_RATE_CLEARED);
		announced_with(vm);
		t->save_soon = true;
	}
}

void xv_vm_table_sample(struct xv_vm_table *t, const struct xv_config *cfg,
			int64_t now_ms)
{
	int64_t start_ms = t->last_sample_ms;

	(void)cfg; /* the rules were applied by the last update */
	t->last_sample_ms = now_ms;
	for (size_t i = 0; i < t->vms.n; i++) {
		struct xv_vm *vm = xv_vm_of(t->vms.by_index[i]);

		if (start_ms == 0) { /* the first sample only starts the clock */
			vm->rate[XV_RATE_IN].octets = vm->rate[XV_RATE_OUT].octets = 0;
			continue;
		}
		sample_rate(t, vm, XV_RATE_IN, start_ms, now_ms);
		sample_rate(t, vm, XV_RATE_OUT, start_ms, now_ms);
		/* An alarm still on when the VM's devices change is
		 * announced again for the new devices. */
		if ((vm->rate[XV_RATE_IN].alarm || vm->rate[XV_RATE_OUT].alarm) &&
		    devices_changed(vm)) {
			queue(t, vm, XV_NOTICE_RATE_ALARM);
			announced_with(vm);
			t->save_soon = true;
		}
	}
}
