/* SPDX-License-Identifier: ISC */
/* The switch view: ports that come with their rows and stay when their
 * VM stops, numbers, names, the forwarding table, the clock, link
 * notices, and the state file round trip. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "xenvif/state_file.h"
#include "xenvif/switch_view.h"

static struct xv_vif_table t;
static struct xv_switch sw;
static struct xv_switch_config cfg;
static int64_t now = 1000000;
static uint32_t ticks = 100;

static struct xv_vif_row *add_row(uint32_t index, const char *name, uint32_t devid,
			      uint8_t mac_last)
{
	struct xv_vif_row *r;
	char key[64];

	snprintf(key, sizeof key, "vm%u/%u", index, devid);
	if (xv_vif_table_add(&t, index, key, &r) < 0)
		return NULL;
	r->entry.active = true;
	r->live = true;
	r->oper_up = true;
	r->domain_name = strdup(name);
	r->devid = devid;
	snprintf(r->uuid, sizeof r->uuid, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a%02u",
		 index % 100);
	r->has_mac = mac_last != 0;
	memcpy(r->mac, "\x00\x16\x3e\x00\x00", 5);
	r->mac[5] = mac_last;
	return r;
}

static int update(void)
{
	struct xv_switch_input in = {&t, &cfg, now, ticks, "host1", "Linux 6.1 x86_64"};

	xv_registry_rebuild_view(&t.rows);
	return xv_switch_update(&sw, &in);
}

static const struct xv_port *port(uint32_t index)
{
	return xv_switch_find(&sw, index);
}

static void test_ports(void)
{
	struct xv_vif_row *a = add_row(30, "web1", 0, 0x01);

	add_row(10, "db1", 0, 0x02);
	add_row(20, "db1", 1, 0x03);
	a->rate_bps = 20000000;
	tap_is_u64(update(), XV_SAVE_NOW, "update: new ports must be saved");
	tap_is_u64(sw.ports.nactive, 3, "a port per served row");
	tap_ok(sw.ports.active[0]->index == 10 && sw.ports.active[1]->index == 20 &&
		       sw.ports.active[2]->index == 30, "by ifIndex");
	tap_ok(port(10)->number == 1 && port(20)->number == 2 && port(30)->number == 3,
	       "numbered 1..3 in ifIndex order");
	tap_is_str(port(30)->name, "web1.0", "ifName: VM name and device id");
	tap_is_str(port(20)->descr, "db1 vif 1", "ifDescr");
	tap_is_str(port(20)->alias, "db1", "ifAlias: the VM's name");
	tap_is_u64(xv_port_speed(port(30), &cfg), 20000000, "speed: the rate limit");
	tap_is_u64(xv_port_speed(port(10), &cfg), 10000000000ULL, "else portSpeed");
	tap_is_u64(sw.last_change, 100, "ifTableLastChange: when they came");
	tap_is_u64(port(10)->last_change, 100, "ifLastChange too");
	tap_is_str(sw.sys_name, "xen.host1", "sysName: context.host");
	tap_ok(strstr(sw.sys_descr, "Xen virtual switch of dom0 host1: xen-vif-agent ") &&
		       strstr(sw.sys_descr, ", Linux 6.1 x86_64"), "sysDescr");
	tap_is_u64(sw.nfdb, 3, "three MACs learned");
	tap_ok(sw.fdb[0]->entry.index == 30 && sw.fdb[1]->entry.index == 10 && sw.fdb[2]->entry.index == 20,
	       "by MAC");
	tap_is_u64(update(), XV_SAVE_LATER, "nothing changed: nothing to save at once");

	/* A second row with web1's MAC (a misconfiguration): one port per MAC. */
	struct xv_vif_row *d = add_row(40, "clone", 0, 0x01);
	update();
	tap_is_u64(sw.nfdb, 3, "a MAC is on one port only");
	tap_ok(sw.fdb[0]->entry.index == 30, "the lower port number keeps it");
	d->entry.active = false;
	d->live = false;
	cfg.port_retention = 0;
	now += 1;
	update();
	tap_ok(!port(40)->entry.active, "retention 0: a stopped VM's port leaves at once");
	cfg.port_retention = 3600;
}

static void test_stop_and_return(void)
{
	struct xv_vif_row *b = xv_vif_table_find_index(&t, 10);

	b->total.v[XV_IN_OCTETS] = 5000;
	b->entry.active = false;
	ticks = 200;
	now += 10;
	int verdict = update();
	const struct xv_port *p = port(10);
	tap_ok(p->entry.active && !p->up, "the VM stopped: its port stays, down");
	tap_is_u64(p->left, now, "since now");
	tap_is_u64(p->last_change, 200, "ifLastChange moved");
	tap_is_u64(sw.last_change, 100, "no port left: ifTableLastChange stays");
	tap_is_u64(verdict, XV_SAVE_NOW, "when it left must be saved");
	tap_is_u64(sw.nfdb, 2, "its MAC left the forwarding table");
	tap_is_u64(p->row->total.v[XV_IN_OCTETS], 5000, "counters held");

	/* The metadata of a row that is not served is not taken. */
	free(b->domain_name);
	b->domain_name = strdup("someone-else");
	update();
	tap_is_str(port(10)->alias, "db1", "a stopped port keeps what it showed");

	now += 3599;
	update();
	tap_ok(port(10)->entry.active, "within the retention it stays");
	now += 1;
	ticks = 300;
	update();
	tap_ok(!port(10)->entry.active, "then it leaves");
	tap_is_u64(sw.ports.nactive, 2, "two ports now");
	tap_is_u64(sw.last_change, 300, "ifTableLastChange moved");
	tap_is_u64(port(10)->number, 1, "its number is kept as a preference");

	/* A new VM takes the smallest free number... */
	add_row(50, "new1", 0, 0x05);
	update();
	tap_is_u64(port(50)->number, 1, "a new port takes the smallest free number");
	/* ...so the old one, back, takes another, and nobody else moves. */
	b->entry.active = true;
	update();
	tap_ok(port(10)->entry.active && port(10)->up, "the VM back: its port is back");
	tap_is_u64(port(10)->number, 4, "its number was taken: the next free one");
	tap_ok(port(50)->number == 1 && port(20)->number == 2 && port(30)->number == 3,
	       "ports in the switch keep theirs");
	tap_is_str(port(10)->alias, "someone-else", "and shows its VM now");
	tap_is_u64(port(10)->left, 0, "not leaving any more");

	/* The wall clock set back: the retention counts from now. */
	b->entry.active = false;
	update();
	now -= 7200;
	update();
	tap_ok(port(10)->entry.active && port(10)->left == now,
	       "a clock set back never keeps a port for ever");
	now += 7200;
	b->entry.active = true;
	update();
}

static void test_names(void)
{
	struct xv_vif_row *x = add_row(60, "twin", 0, 0x06);
	struct xv_vif_row *y = add_row(70, "twin", 0, 0x07);
	struct xv_vif_row *z = add_row(80, "evil\x1b[31m name/with:odd chars and a very long tail", 2, 0x08);

	(void)y;
	update();
	tap_is_str(port(60)->name, "twin.0", "two VMs of one name: the first "
		   "has the name");
	tap_is_str(port(70)->name, "twin.0#6", "the other is told apart by its "
		   "port number");
	/* The first one stops and leaves the switch: the other keeps its
	 * name, so that pollers keyed on it keep their series. */
	x->entry.active = false;
	cfg.port_retention = 0;
	update();
	tap_ok(!port(60)->entry.active, "the first left");
	tap_is_str(port(70)->name, "twin.0#6", "the other's name stays");
	/* A third VM of the name takes the free plain name; the first,
	 * back, finds it taken. */
	struct xv_vif_row *w = add_row(90, "twin", 0, 0x09);
	update();
	tap_is_str(port(90)->name, "twin.0", "a newcomer takes the free name");
	x->entry.active = true;
	update();
	tap_is_u64(port(90)->number, 5, "the newcomer took the free number too");
	char told[32];
	snprintf(told, sizeof told, "twin.0#%u", port(60)->number);
	tap_ok(port(60)->number > 7, "the first back, with the next free number");
	tap_is_str(port(60)->name, told, "its name taken: told apart");
	tap_is_str(port(90)->name, "twin.0", "the newcomer keeps the name");
	w->entry.active = false;
	update();
	cfg.port_retention = 3600;
	tap_is_str(port(80)->name, "evil__31m_name_with_odd_.2",
		   "hostile names: safe characters, cut at 24");
	free(z->domain_name);
	/* 70 octets of two-byte characters: ifAlias cut at 64 octets, on a
	 * character boundary. */
	z->domain_name = malloc(141);
	for (int i = 0; i < 70; i++)
		memcpy(z->domain_name + 2 * i, "\xc3\xa9", 2);
	z->domain_name[140] = '\0';
	update();
	tap_is_u64(strlen(port(80)->alias), 64, "ifAlias at most 64 octets");
	tap_ok((unsigned char)port(80)->alias[63] == 0xa9, "on a character boundary");
	tap_ok(strlen(port(80)->descr) < sizeof port(80)->descr &&
		       strstr(port(80)->descr, " vif 2"), "ifDescr bounded, device id kept");
	z->domain_name[0] = '\0';
	update();
	tap_ok(strncmp(port(80)->name, z->uuid, 8) == 0 && strcmp(port(80)->alias, z->uuid) == 0,
	       "no name: the UUID stands in");

	/* The device goes down first, then the VM stops. */
	size_t learned = sw.nfdb;
	x->oper_up = false;
	update();
	tap_is_u64(sw.nfdb, learned, "a port down keeps its MAC while its VM runs");
	x->entry.active = false;
	update();
	tap_is_u64(sw.nfdb, learned - 1, "the VM stopped: its MAC leaves");
	x->entry.active = true;
	x->oper_up = true;
	update();
}

static void test_notices(void)
{
	struct xv_vif_row *w = xv_vif_table_find_index(&t, 30);

	cfg.link_notifications = false;
	w->oper_up = false;
	update();
	tap_is_u64(sw.nnotices, 0, "notices off: none");
	cfg.link_notifications = true;
	w->oper_up = true;
	update();
	tap_ok(sw.nnotices == 1 && sw.notices[0].kind == XV_PORT_UP &&
		       sw.notices[0].index == 30, "link up");
	w->oper_up = false;
	update();
	tap_ok(sw.nnotices == 2 && sw.notices[1].kind == XV_PORT_DOWN, "link down");
	update();
	tap_is_u64(sw.nnotices, 2, "nothing new, no notice");
	xv_switch_sent(&sw, 2);
	tap_is_u64(sw.nnotices, 0, "sent");
	for (int i = 0; i < XV_PORT_NOTICE_BACKLOG + 5; i++) {
		w->oper_up = !w->oper_up;
		update();
	}
	tap_is_u64(sw.nnotices, XV_PORT_NOTICE_BACKLOG, "at most the backlog waits");
	tap_is_u64(sw.dropped, 5, "the rest counted as dropped");
	xv_switch_sent(&sw, sw.nnotices);
	w->oper_up = true;
	update();
	xv_switch_sent(&sw, sw.nnotices);
	cfg.link_notifications = false;
}

static void test_clock(void)
{
	struct xv_switch c;

	xv_switch_init(&c);
	/* master origin at 1,000,000,000 ms, its uptime 500 ticks now. */
	xv_switch_start_clock(&c, 1000000000, 500, 1000005000);
	tap_is_u64(c.origin_ms, 1000005000, "no saved origin: switched on now");
	tap_is_u64(xv_switch_uptime(&c, 500), 0, "uptime 0 now");
	tap_is_u64(xv_switch_uptime(&c, 800), 300, "and runs with the master's");
	tap_is_u64(xv_switch_stamp(&c, 0), 0, "a TimeStamp of 0 stays 0");
	tap_is_u64(xv_switch_stamp(&c, 400), 1, "one before the switch began: 1");
	tap_is_u64(xv_switch_stamp(&c, 900), 400, "master TimeStamps moved");
	/* A new master, started 2 s after the old one: same switch time. */
	xv_switch_follow_master(&c, 1000002000);
	tap_is_u64(xv_switch_uptime(&c, 600), 300, "a new master: the clock goes on");
	/* Restart with a saved clock, the wall clock set back 100 s. */
	c.saved_uptime = 50000;
	xv_switch_start_clock(&c, 1000000000 - 100000, 10, 0);
	tap_is_u64(xv_switch_uptime(&c, 10), 50000,
		   "never below what was saved, even with the clock set back");
	tap_is_u64(xv_switch_uptime(&c, 110), 50100, "and runs on from there");
	xv_switch_free(&c);
}

/* A restart with the wall clock near 1970 (a dead RTC, no NTP yet):
 * the switch's uptime must not fall, so its origin moves before the
 * epoch; the state file saved then must load again. */
static void test_clock_near_epoch(void)
{
	struct xv_vif_table t0;
	struct xv_vm_table vms0;
	struct xv_switch c, back;
	struct xv_state_info info = {.saved = 1}, got;
	char *mem = NULL, err[512] = "";
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	xv_vif_table_init(&t0);
	xv_vm_table_init(&vms0);
	xv_switch_init(&c);
	c.origin_ms = 1699990000000LL;
	c.saved_uptime = 360000;
	/* The master started at the epoch; 10 s of uptime now. */
	xv_switch_start_clock(&c, 0, 1000, 10000);
	tap_is_u64(xv_switch_uptime(&c, 1000), 360000, "uptime kept near 1970");
	tap_ok(c.origin_ms < 0, "its origin before the epoch");
	tap_is_u64(xv_state_write(f, "memory", &t0, &vms0, &c, &info, err, sizeof err),
		   0, "saved");
	fclose(f);
	xv_switch_init(&back);
	f = fmemopen(mem, len, "r");
	tap_is_u64(xv_state_load_stream(f, "memory", &t0, &vms0, &back, "b", &got, err,
					sizeof err), 0, "and loads again (%s)", err);
	fclose(f);
	tap_ok(back.origin_ms == c.origin_ms, "with that origin");
	free(mem);
	xv_switch_free(&back);
	xv_switch_free(&c);
	xv_vm_table_free(&vms0);
	xv_vif_table_free(&t0);
}

static void test_state_file(void)
{
	char dir[] = "/tmp/xv-switch-test-XXXXXX", path[128], err[512];
	struct xv_state_info info = {.saved = 1, .uptime_origin = 2};
	struct xv_vif_table t2;
	struct xv_vm_table vms, vms2;
	struct xv_switch sw2;
	struct xv_state_info got;

	tap_ok(mkdtemp(dir) != NULL, "temporary directory");
	snprintf(path, sizeof path, "%s/state", dir);
	xv_vm_table_init(&vms);
	sw.origin_ms = 1699999000123LL;
	sw.saved_uptime = 4242;
	tap_is_u64(xv_state_save(path, &t, &vms, &sw, &info, err, sizeof err), 0,
		   "saved with the switch");
	xv_vif_table_init(&t2);
	xv_vm_table_init(&vms2);
	xv_switch_init(&sw2);
	tap_is_u64(xv_state_load(path, &t2, &vms2, &sw2, "b", &got, err, sizeof err), 0,
		   "loaded");
	tap_is_u64(sw2.ports.n, sw.ports.n, "every port");
	tap_ok(sw2.origin_ms == sw.origin_ms && sw2.saved_uptime == 4242 &&
		       sw2.last_change == sw.last_change, "the clock and ifTableLastChange");
	bool same = true;
	for (size_t i = 0; i < sw.ports.n; i++) {
		const struct xv_port *a = xv_switch_port(&sw, i), *b = xv_switch_port(&sw2, i);

		same = same && a->entry.index == b->entry.index &&
		       strcmp(a->entry.key, b->entry.key) == 0 &&
		       a->entry.active == b->entry.active &&
		       a->up == b->up && a->number == b->number &&
		       a->last_change == b->last_change && a->left == b->left &&
		       a->devid == b->devid && a->has_mac == b->has_mac &&
		       memcmp(a->mac, b->mac, a->has_mac ? 6 : 0) == 0 &&
		       a->rate_bps == b->rate_bps && a->mtu == b->mtu &&
		       strcmp(a->uuid, b->uuid) == 0 &&
		       strcmp(a->vm_name, b->vm_name) == 0 &&
		       b->row == xv_vif_table_find_index(&t2, b->entry.index);
	}
	tap_ok(same, "each port as it was, tied to its row");
	xv_switch_free(&sw2);
	xv_vif_table_free(&t2);
	xv_vm_table_free(&vms2);

	/* A damaged port record names its line; nothing is half-loaded. */
	FILE *f = fopen(path, "r");
	char text[65536];
	size_t len = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[len] = '\0';
	char *p = strstr(text, "\nport ");
	tap_ok(p != NULL, "a port record is there");
	unsigned int line = 2;
	for (char *q = text; q < p; q++)
		line += *q == '\n';
	/* "port INDEX IN_VIEW": make IN_VIEW 7 (the CRC then fails too, but
	 * the record is read first). */
	char *field = strchr(p + 6, ' ') + 1;
	*field = '7';
	f = fopen(path, "w");
	fwrite(text, 1, len, f);
	fclose(f);
	xv_vif_table_init(&t2);
	xv_vm_table_init(&vms2);
	xv_switch_init(&sw2);
	tap_is_u64(xv_state_load(path, &t2, &vms2, &sw2, "b", &got, err, sizeof err),
		   (uint64_t)-EINVAL, "damaged port record refused");
	char expect[600];
	snprintf(expect, sizeof expect, "%s:%u: port: bad state, number, TimeStamps "
		 "or leaving time", path, line);
	tap_is_str(err, expect, "with file and line");
	tap_ok(t2.rows.n == 0 && sw2.ports.n == 0, "nothing half-loaded");
	unlink(path);
	rmdir(dir);
	xv_vm_table_free(&vms);
}

int main(void)
{
	xv_vif_table_init(&t);
	xv_switch_init(&sw);
	struct xv_config defaults;
	xv_config_defaults(&defaults);
	cfg = defaults.sw;
	cfg.port_retention = 3600;
	test_ports();
	test_stop_and_return();
	test_names();
	test_notices();
	test_clock_near_epoch();
	test_clock();
	test_state_file();
	xv_switch_free(&sw);
	xv_vif_table_free(&t);
	return tap_done();
}
