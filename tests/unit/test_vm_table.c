/* SPDX-License-Identifier: ISC */
/* Per-VM period accounting, quota levels, rate alarms and the notices
 * they queue. */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xenvif/vm_table.h"

#define U1 "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
#define U2 "11111111-2222-3333-4444-555555555555"
/* 2026-11-22 12:00:00 UTC, in November's monthly period */
#define NOW 1795348800
#define DEC1 1796083200

static struct xv_vif_row *row(struct xv_vif_table *t, const char *key, uint32_t domid,
			  const char *name, const char *dev)
{
	struct xv_vif_row *r = xv_vif_table_find_key(t, key);
	struct xv_counters zero = {{0}};

	if (!r) {
		xv_vif_table_add(t, xv_registry_new_index(&t->rows, key), key, &r);
		xv_vif_row_add_source(r, 100 + (int)t->rows.n, false, dev, &zero);
	}
	r->entry.active = true;
	r->domid = domid;
	snprintf(r->uuid, sizeof r->uuid, "%.36s", key);
	free(r->domain_name);
	r->domain_name = strdup(name);
	memset(&r->moved, 0, sizeof r->moved);
	return r;
}

static void moved(struct xv_vif_table *t, const char *key, uint64_t in, uint64_t out)
{
	struct xv_vif_row *r = xv_vif_table_find_key(t, key);

	r->moved.v[XV_IN_OCTETS] = in;
	r->moved.v[XV_OUT_OCTETS] = out;
}

static void clear_moved(struct xv_vif_table *t)
{
	for (size_t i = 0; i < t->rows.n; i++)
		memset(&xv_vif_table_row(t, i)->moved, 0, sizeof xv_vif_table_row(t, i)->moved);
}

/* The notices queued, as "kind kind ..." for comparison. */
static const char *notices(struct xv_vm_table *vt)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < vt->nnotices; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%d",
			 i ? " " : "", vt->notices[i].kind);
	xv_vm_table_sent(vt, vt->nnotices);
	return buf;
}

static void cfg_line(struct xv_config *cfg, const char *token, const char *value)
{
	char err[256];

	if (xv_config_set(cfg, token, value, err, sizeof err) < 0)
		tap_diag("config %s %s: %s", token, value, err);
}

static void test_quota(void)
{
	struct xv_vif_table t;
	struct xv_vm_table vt;
	struct xv_config cfg;
	struct xv_vm *vm;

	xv_vif_table_init(&t);
	xv_vm_table_init(&vt);
	xv_config_defaults(&cfg);
	cfg_line(&cfg, "quota", "web 1000 total warn 80");

	row(&t, U1 "/0", 3, "web", "vif3.0");
	row(&t, U1 "/1", 3, "web", "vif3.1");
	row(&t, U2 "/0", 4, "db", "vif4.0");
	moved(&t, U1 "/0", 300, 100);
	moved(&t, U1 "/1", 50, 50);
	moved(&t, U2 "/0", 7, 9);
	tap_is_u64(xv_vm_table_update(&vt, &t, &cfg, NOW), XV_SAVE_NOW,
		   "new VMs are saved at once");
	vm = xv_vm_table_find_key(&vt, U1);
	tap_ok(vm && vm->entry.active, "a VM row for the VM's vifs");
	tap_is_u64(vm ? vm->period_in : 0, 350, "in summed over its vifs");
	tap_is_u64(vm ? vm->period_out : 0, 150, "out summed over its vifs");
	tap_is_u64(vm ? (uint64_t)vm->period_start : 0, 1793491200,
		   "period started on the 1st, 00:00 UTC");
	tap_is_str(vm ? vm->devices : NULL, "vif3.0 vif3.1", "its devices");
	tap_is_u64(vt.vms.nactive, 2, "two VMs served");
	tap_is_u64(vm ? vm->status : 0, XV_QUOTA_OK, "500 of 1000: ok");
	tap_is_u64(vm ? vm->used_percent : 0, 50, "50 percent");
	tap_is_str(notices(&vt), "", "nothing to announce");
	struct xv_vm *db = xv_vm_table_find_key(&vt, U2);
	tap_is_u64(db ? db->status : 0, XV_QUOTA_NONE, "no quota for db: none");

	clear_moved(&t);
	moved(&t, U1 "/0", 300, 0);
	tap_is_u64(xv_vm_table_update(&vt, &t, &cfg, NOW + 5), XV_SAVE_NOW,
		   "an announcement is saved at once");
	tap_is_u64(vm->status, XV_QUOTA_WARNING, "800 of 1000: warning");
	tap_is_str(notices(&vt), "1", "xenVifQuotaWarning, once");
	clear_moved(&t);
	tap_is_u64(xv_vm_table_update(&vt, &t, &cfg, NOW + 10), XV_SAVE_LATER,
		   "usage alone waits for the periodic save");
	tap_is_str(notices(&vt), "", "not again on the next refresh");
	moved(&t, U1 "/1", 0, 200);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 15);
	tap_is_u64(vm->status, XV_QUOTA_EXCEEDED, "1000 of 1000: exceeded");
	tap_is_str(notices(&vt), "2", "xenVifQuotaExceeded, once");
	clear_moved(&t);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 20);
	tap_is_str(notices(&vt), "", "not again");

	/* A reboot: new devices while exceeded are announced again, even
	 * under the same name (a custom vifname). */
	xv_vif_table_find_key(&t, U1 "/0")->sources[0].ifindex = 900;
	xv_vm_table_update(&vt, &t, &cfg, NOW + 25);
	tap_ok(vm->device_ids.n == 2 && vm->device_ids.v[0] == 102 &&
		       vm->device_ids.v[1] == 900, "devices known by ifindex");
	tap_is_str(notices(&vt), "2", "exceeded again, for the new device");
	xv_vm_table_update(&vt, &t, &cfg, NOW + 26);
	tap_is_str(notices(&vt), "", "once");
	struct xv_vif_row *r1 = xv_vif_table_find_key(&t, U1 "/1");
	r1->nsources = 0;
	xv_vm_table_update(&vt, &t, &cfg, NOW + 27);
	tap_is_str(notices(&vt), "", "a device going away is nothing to announce");
	r1->nsources = 1;

	/* The quota raised: below the warning level again. */
	xv_config_free(&cfg);
	xv_config_defaults(&cfg);
	cfg_line(&cfg, "quota", "web 10000");
	xv_vm_table_update(&vt, &t, &cfg, NOW + 30);
	tap_is_u64(vm->status, XV_QUOTA_OK, "quota raised: ok");
	tap_is_str(notices(&vt), "3", "xenVifQuotaCleared");
	xv_config_free(&cfg);
	xv_config_defaults(&cfg);
	cfg_line(&cfg, "quota", "* 1000 out warn 10");
	xv_vm_table_update(&vt, &t, &cfg, NOW + 35);
	tap_is_u64(vm->quota_dir, XV_DIR_OUT, "a '*' quota on out applies");
	tap_is_u64(vm->status, XV_QUOTA_WARNING, "350 out of 1000 is over 10%%: warning");
	tap_is_str(notices(&vt), "1", "warned");
	tap_is_u64(db->status, XV_QUOTA_OK, "db too, at 9 of 1000: ok");
	xv_config_free(&cfg);
	xv_config_defaults(&cfg);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 40);
	tap_is_str(notices(&vt), "3", "quota removed: the warned VM is cleared");
	tap_is_u64(db->status, XV_QUOTA_NONE, "no quota: none, nothing to say");

	/* From ok straight past the quota. */
	cfg_line(&cfg, "quota", U2 " 100 in");
	moved(&t, U2 "/0", 500, 0);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 45);
	tap_is_str(notices(&vt), "1 2", "a jump past both levels: warning, then exceeded");

	/* The period ends: usage from zero, exceeded cleared. */
	clear_moved(&t);
	moved(&t, U2 "/0", 10, 0);
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 1);
	tap_is_u64(db->period_in, 0, "new period: usage from zero");
	tap_is_u64(db->period_start, DEC1, "starting December 1st");
	tap_is_str(notices(&vt), "3", "and the exceeded VM is cleared");
	moved(&t, U2 "/0", 10, 0);
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 6);
	tap_is_u64(db->period_in, 10, "counting again");

	/* A VM that is not running is told when it comes back. */
	moved(&t, U2 "/0", 200, 0);
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 10);
	tap_is_str(notices(&vt), "1 2", "exceeded again");
	xv_vif_table_find_key(&t, U2 "/0")->entry.active = false;
	clear_moved(&t);
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 11);
	tap_ok(!db->entry.active && vt.vms.nactive == 1, "a stopped VM leaves the table");
	xv_config_free(&cfg);
	xv_config_defaults(&cfg);
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 12);
	tap_is_str(notices(&vt), "", "nothing said while it is stopped");
	row(&t, U2 "/0", 12, "db", "vif4.0");
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 13);
	tap_is_str(notices(&vt), "3", "cleared when it is back");
	tap_is_u64(db->domid, 12, "with its new domid");

	/* A reload that changes the period's zone keeps the usage. */
	moved(&t, U2 "/0", 0, 0);
	uint64_t before = db->period_in;
	xv_config_free(&cfg);
	xv_config_defaults(&cfg);
	cfg_line(&cfg, "accountingPeriod", "monthly 1 Europe/Berlin");
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 20);
	tap_is_u64(db->period_in, before, "a new zone: usage kept");
	tap_is_u64(db->period_start, DEC1 - 3600, "the bounds follow the new zone");
	xv_config_free(&cfg);
	xv_config_defaults(&cfg);
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 30);
	tap_is_u64(db->period_in, before, "and back: kept");

	/* A clock set back keeps the period; its end resets it. */
	xv_vm_table_update(&vt, &t, &cfg, NOW);
	tap_is_u64(db->period_in, before, "a clock set back a month: usage kept");
	tap_is_u64(db->period_start, DEC1, "and the period too");
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 40);
	tap_is_u64(db->period_in, before, "back to December: still kept");
	notices(&vt);

	xv_vm_table_free(&vt);
	xv_vif_table_free(&t);
	xv_config_free(&cfg);
}

static void test_rate_and_quota_devices(void)
{
	struct xv_vif_table t;
	struct xv_vm_table vt;
	struct xv_config cfg;
	struct xv_vm *vm;
	int64_t ms = 5000000;

	xv_vif_table_init(&t);
	xv_vm_table_init(&vt);
	xv_config_defaults(&cfg);
	cfg_line(&cfg, "quota", "web 100");
	cfg_line(&cfg, "rateAlarm", "web in 1K 1");
	row(&t, U1 "/0", 3, "web", "vif3.0");
	xv_vm_table_update(&vt, &t, &cfg, NOW);
	xv_vm_table_sample(&vt, &cfg, ms);
	vm = xv_vm_table_find_key(&vt, U1);
	for (int i = 0; i < 3; i++) {
		moved(&t, U1 "/0", 5000, 0);
		xv_vm_table_update(&vt, &t, &cfg, NOW + i + 1);
		xv_vm_table_sample(&vt, &cfg, ms += 1000);
	}
	tap_is_str(notices(&vt), "1 2 4", "over quota and in a rate alarm");
	xv_vif_table_find_key(&t, U1 "/0")->sources[0].ifindex = 777;
	clear_moved(&t);
	moved(&t, U1 "/0", 5000, 0);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 10);
	xv_vm_table_sample(&vt, &cfg, ms += 1000);
	tap_is_str(notices(&vt), "2 4", "new device: both announced again");
	tap_ok(vm->rate[XV_RATE_IN].alarm, "alarm still on");
	xv_vm_table_free(&vt);
	xv_vif_table_free(&t);
	xv_config_free(&cfg);
}

static void test_backlog(void)
{
	struct xv_vm_table vt;

	xv_vm_table_init(&vt);
	for (uint32_t i = 0; i < XV_NOTICE_BACKLOG + 10; i++)
		xv_vm_table_queue(&vt, XV_NOTICE_QUOTA_WARNING, i + 1);
	tap_is_u64(vt.nnotices, XV_NOTICE_BACKLOG, "the backlog is capped");
	tap_is_u64(vt.dropped, 10, "the oldest dropped, and counted");
	tap_is_u64(vt.notices[0].vm_index, 11, "oldest first");
	tap_is_u64(xv_vm_table_sent(&vt, 5), XV_SAVE_NOW, "sent: saved at once");
	tap_is_u64(vt.nnotices, XV_NOTICE_BACKLOG - 5, "sent ones forgotten");
	tap_is_u64(xv_vm_table_sent(&vt, 0), XV_SAVE_LATER, "none sent: nothing to save");
	tap_is_u64(vt.notices[0].vm_index, 16, "in order");
	xv_vm_table_free(&vt);
}

static void test_rates(void)
{
	struct xv_vif_table t;
	struct xv_vm_table vt;
	struct xv_config cfg;
	struct xv_vm *vm;
	int64_t ms = 1000000;

	xv_vif_table_init(&t);
	xv_vm_table_init(&vt);
	xv_config_defaults(&cfg);
	cfg_line(&cfg, "rateAlarm", "web in 8K 10");
	row(&t, U1 "/0", 3, "web", "vif3.0");
	xv_vm_table_update(&vt, &t, &cfg, NOW);
	xv_vm_table_sample(&vt, &cfg, ms); /* starts the clock */
	vm = xv_vm_table_find_key(&vt, U1);

	/* 5000 octets in 5 s = 8000 bit/s: not above 8K. */
	moved(&t, U1 "/0", 5000, 0);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 5);
	xv_vm_table_sample(&vt, &cfg, ms += 5000);
	tap_is_u64(vm->rate[XV_RATE_IN].bits_per_second, 8000, "8000 bit/s");
	tap_ok(!vm->rate[XV_RATE_IN].alarm, "at the threshold: no alarm");
	moved(&t, U1 "/0", 6000, 0);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 10);
	xv_vm_table_sample(&vt, &cfg, ms += 5000);
	tap_is_str(notices(&vt), "", "above for 5 s of 10: nothing yet");
	xv_vm_table_update(&vt, &t, &cfg, NOW + 15);
	tap_is_u64(xv_vm_table_sample(&vt, &cfg, ms += 5000), XV_SAVE_NOW,
		   "an alarm raised is saved at once");
	tap_ok(vm->rate[XV_RATE_IN].alarm, "above for 10 s: alarm");
	tap_is_str(notices(&vt), "4", "xenVifRateAlarm");
	xv_vm_table_update(&vt, &t, &cfg, NOW + 20);
	tap_is_u64(xv_vm_table_sample(&vt, &cfg, ms += 5000), XV_SAVE_LATER,
		   "an alarm that stays on: nothing new to save");
	tap_is_str(notices(&vt), "", "once");
	clear_moved(&t);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 25);
	xv_vm_table_sample(&vt, &cfg, ms += 5000);
	tap_ok(vm->rate[XV_RATE_IN].alarm, "below for 5 s: still on");
	xv_vm_table_update(&vt, &t, &cfg, NOW + 30);
	xv_vm_table_sample(&vt, &cfg, ms += 5000);
	tap_is_str(notices(&vt), "5", "below for 10 s: xenVifRateAlarmCleared");
	moved(&t, U1 "/0", 60000, 0);
	for (int i = 0; i < 3; i++) {
		xv_vm_table_update(&vt, &t, &cfg, NOW + 35 + 5 * i);
		xv_vm_table_sample(&vt, &cfg, ms += 5000);
	}
	tap_is_str(notices(&vt), "4", "raised again");
	xv_config_free(&cfg);
	xv_config_defaults(&cfg);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 50);
	xv_vm_table_sample(&vt, &cfg, ms += 5000);
	tap_is_str(notices(&vt), "5", "the alarm removed from the configuration: cleared");
	tap_is_u64(vm->rate[XV_RATE_IN].threshold, 0, "no threshold any more");
	xv_vm_table_free(&vt);
	xv_vif_table_free(&t);
	xv_config_free(&cfg);
}

/* accountingOut: a VM's Out usage without what was flooded to it. */
static void test_addressed(void)
{
	struct xv_vif_table t;
	struct xv_vm_table vt;
	struct xv_config cfg;
	struct xv_vif_row *r;
	struct xv_vm *vm;
	int64_t ms = 1000000;

	xv_vif_table_init(&t);
	xv_vm_table_init(&vt);
	xv_config_defaults(&cfg);
	cfg_line(&cfg, "quota", "web 10K out");
	cfg_line(&cfg, "floodAlarm", "8K 10");
	r = row(&t, U1 "/0", 3, "web", "vif3.0");
	xv_vm_table_update(&vt, &t, &cfg, NOW);
	xv_vm_table_sample(&vt, &cfg, ms);
	vm = xv_vm_table_find_key(&vt, U1);
	tap_is_u64(xv_vm_out_mode(vm), XV_OUT_MODE_ALL,
		   "nothing classified, nothing counted: Out would count all");

	/* Classified: 3000 octets out, 1000 of them flooded. */
	r->split = true;
	moved(&t, U1 "/0", 0, 3000);
	r->moved.v[XV_OUT_FOREIGN_OCTETS] = 1000;
	xv_vm_table_update(&vt, &t, &cfg, NOW + 5);
	tap_is_u64(vm->period_out, 2000, "addressed: Out less the flooded part");
	tap_is_u64(vm->period_out_foreign, 1000, "the flooded part kept apart");
	tap_is_u64(xv_vm_out_mode(vm), XV_OUT_MODE_ADDRESSED, "counted as addressed");
	tap_is_u64(vm->used_percent, 20, "the quota sees the addressed part");

	/* The classifier saw more than the device sent this time (it
	 * counts first): the excess comes off the next interval. */
	moved(&t, U1 "/0", 0, 500);
	r->moved.v[XV_OUT_FOREIGN_OCTETS] = 800;
	xv_vm_table_update(&vt, &t, &cfg, NOW + 10);
	tap_is_u64(vm->period_out, 2000, "more flooded than sent: nothing billed");
	moved(&t, U1 "/0", 0, 1000);
	r->moved.v[XV_OUT_FOREIGN_OCTETS] = 0;
	xv_vm_table_update(&vt, &t, &cfg, NOW + 15);
	tap_is_u64(vm->period_out, 2700, "and the excess taken off the next");
	tap_is_u64(vm->period_out_foreign, 1800, "all flooded octets kept apart");

	/* The classifier gone: Out counts all, the period is mixed. */
	r->split = false;
	moved(&t, U1 "/0", 0, 100);
	xv_vm_table_update(&vt, &t, &cfg, NOW + 20);
	tap_is_u64(vm->period_out, 2800, "unclassified: all of Out");
	tap_is_u64(xv_vm_out_mode(vm), XV_OUT_MODE_MIXED, "the period is mixed");
	clear_moved(&t);
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 5);
	tap_is_u64(vm->period_out_foreign, 0, "a new period: nothing flooded yet");
	tap_is_u64(xv_vm_out_mode(vm), XV_OUT_MODE_ALL,
		   "and its mode is the one it would count in");

	/* accountingOut all: flooded frames are billed. */
	xv_vm_table_sample(&vt, &cfg, ms += 1000); /* the rates start afresh */
	cfg_line(&cfg, "accountingOut", "all");
	r->split = true;
	moved(&t, U1 "/0", 0, 3000);
	r->moved.v[XV_OUT_FOREIGN_OCTETS] = 1000;
	xv_vm_table_update(&vt, &t, &cfg, DEC1 + 10);
	tap_is_u64(vm->period_out, 3000, "accountingOut all: all of Out");
	tap_is_u64(vm->period_out_foreign, 1000, "the flooded part still kept apart");
	tap_is_u64(xv_vm_out_mode(vm), XV_OUT_MODE_ALL, "counted as all");

	/* The flood alarm: 1000 octets flooded in 1 s = 8000 bit/s is not
	 * above 8K; 2000 a second, for 10 s, is. */
	xv_vm_table_sample(&vt, &cfg, ms += 1000);
	tap_is_u64(vm->rate[XV_RATE_FLOOD].bits_per_second, 8000, "flood rate 8000 bit/s");
	tap_ok(!vm->rate[XV_RATE_FLOOD].alarm, "at the threshold: no flood alarm");
	tap_is_str(notices(&vt), "", "nothing queued");
	for (int i = 0; i < 3; i++) {
		moved(&t, U1 "/0", 0, 10000);
		r->moved.v[XV_OUT_FOREIGN_OCTETS] = 10000;
		xv_vm_table_update(&vt, &t, &cfg, DEC1 + 15 + 5 * i);
		xv_vm_table_sample(&vt, &cfg, ms += 5000);
	}
	tap_ok(vm->rate[XV_RATE_FLOOD].alarm && !vm->rate[XV_RATE_OUT].alarm,
	       "above for 10 s: the flood alarm, not a rate alarm");
	/* Billed as all, the floods also filled the 10K quota. */
	tap_is_str(notices(&vt), "1 2 6", "the quota crossed, and xenVifFloodAlarm");
	clear_moved(&t);
	for (int i = 0; i < 3; i++) {
		xv_vm_table_update(&vt, &t, &cfg, DEC1 + 30 + 5 * i);
		xv_vm_table_sample(&vt, &cfg, ms += 5000);
	}
	tap_is_str(notices(&vt), "7", "below for 10 s: xenVifFloodAlarmCleared");
	xv_vm_table_free(&vt);
	xv_vif_table_free(&t);
	xv_config_free(&cfg);
}

static void test_helpers(void)
{
	char key[64];
	uint32_t pct;

	tap_ok(xv_vm_key_of_row(U1 "/3", key, sizeof key) && strcmp(key, U1) == 0,
	       "VM key of a UUID row key");
	tap_ok(xv_vm_key_of_row("name:a/b/0", key, sizeof key) &&
		       strcmp(key, "name:a/b") == 0,
	       "a name with a slash keeps it");
	tap_ok(!xv_vm_key_of_row("nodevid", key, sizeof key), "no device id: no VM key");
	tap_is_u64(xv_quota_evaluate(UINT64_MAX, 1, 80, &pct), XV_QUOTA_EXCEEDED,
		   "huge usage: exceeded");
	tap_is_u64(pct, UINT32_MAX, "percentage capped, not wrapped");
	tap_is_u64(xv_quota_evaluate(799, 1000, 80, &pct), XV_QUOTA_OK, "79.9%%: ok");
	tap_is_u64(xv_quota_evaluate(800, 1000, 80, &pct), XV_QUOTA_WARNING, "80%%: warning");
	tap_is_u64(xv_quota_evaluate(5, 0, 80, &pct), XV_QUOTA_NONE, "no quota: none");
}

/* A VM with more devices than any fixed list would hold: all listed. */
static void test_many_devices(void)
{
	struct xv_vif_table t;
	struct xv_vm_table vt;
	struct xv_config cfg;
	char key[64], dev[16], want[1024] = "";

	xv_vif_table_init(&t);
	xv_vm_table_init(&vt);
	xv_config_defaults(&cfg);
	for (int n = 0; n < 40; n++) {
		snprintf(key, sizeof key, U2 "/%d", n);
		snprintf(dev, sizeof dev, "longname%d.%d", 7, n);
		row(&t, key, 7, "many", dev);
	}
	xv_registry_rebuild_view(&t.rows);
	xv_vm_table_update(&vt, &t, &cfg, NOW);
	struct xv_vm *vm = xv_vm_table_find_key(&vt, U2);
	/* The rows in index order, as the table keeps them. */
	for (size_t i = 0; i < t.rows.n; i++)
		snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
			 i ? " " : "", xv_vif_table_row(&t, i)->sources[0].name);
	tap_ok(strlen(want) > 256, "more than 256 octets of names");
	tap_is_str(vm ? vm->devices : NULL, want, "every device named, none cut");
	tap_is_u64(vm ? vm->device_ids.n : 0, 40, "and every ifindex known");
	xv_vm_table_free(&vt);
	xv_vif_table_free(&t);
	xv_config_free(&cfg);
}

int main(void)
{
	test_helpers();
	test_many_devices();
	test_quota();
	test_rate_and_quota_devices();
	test_backlog();
	test_rates();
	test_addressed();
	return tap_done();
}
