/* SPDX-License-Identifier: ISC */
#include "xenvif/switch_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/text.h"
#include "xenvif/search.h"

void xv_switch_init(struct xv_switch *sw)
{
	memset(sw, 0, sizeof *sw);
	xv_registry_init(&sw->ports);
	sw->rebuild = true;
}

static void port_free(struct xv_entry *e)
{
	struct xv_port *p = xv_port_of(e);

	free(p->entry.key);
	free(p->vm_name);
	free(p);
}

void xv_switch_free(struct xv_switch *sw)
{
	xv_registry_free(&sw->ports, port_free);
	free(sw->numbered);
	free(sw->fdb);
	free(sw->notices);
	memset(sw, 0, sizeof *sw);
}

/* ---- the clock ----------------------------------------------------- */

void xv_switch_follow_master(struct xv_switch *sw, int64_t master_origin_ms)
{
	sw->offset_ticks = (master_origin_ms - sw->origin_ms) / 10;
}

void xv_switch_start_clock(struct xv_switch *sw, int64_t master_origin_ms,
			   uint32_t master_now, int64_t now_ms)
{
	if (sw->origin_ms == 0)
		sw->origin_ms = now_ms;
	xv_switch_follow_master(sw, master_origin_ms);
	/* The wall clock went back while the agent was away: the switch
	 * must not look rebooted for it. */
	int64_t uptime = (int64_t)master_now + sw->offset_ticks;
	if (uptime < (int64_t)sw->saved_uptime) {
		sw->origin_ms -= ((int64_t)sw->saved_uptime - uptime) * 10;
		xv_switch_follow_master(sw, master_origin_ms);
	}
}

uint32_t xv_switch_uptime(const struct xv_switch *sw, uint32_t master_ticks)
{
	int64_t t = (int64_t)master_ticks + sw->offset_ticks;

	/* TimeTicks wrap after 497 days, as any switch's do. */
	return t <= 0 ? 0 : (uint32_t)(t & 0xffffffff);
}

uint32_t xv_switch_stamp(const struct xv_switch *sw, uint32_t master_stamp)
{
	if (master_stamp == 0)
		return 0;
	uint32_t t = xv_switch_uptime(sw, master_stamp);
	return t ? t : 1;
}

/* ---- ports --------------------------------------------------------- */

struct xv_port *xv_switch_find(const struct xv_switch *sw, uint32_t index)
{
	struct xv_entry *e = xv_registry_find_index(&sw->ports, index);

	return e ? xv_port_of(e) : NULL;
}

/* A port for a row, under the row's index and key. */
static int insert_port(struct xv_switch *sw, struct xv_vif_row *row,
		       struct xv_port **out)
{
	struct xv_port *p = calloc(1, sizeof *p);
	int rc;

	if (!p || !(p->vm_name = strdup("")) ||
	    !(p->entry.key = strdup(row->entry.key))) {
		if (p)
			free(p->vm_name);
		free(p);
		return -ENOMEM;
	}
	p->entry.index = row->entry.index;
	p->row = row;
	if ((rc = xv_registry_add(&sw->ports, &p->entry)) < 0) {
		port_free(&p->entry);
		return rc;
	}
	*out = p;
	return 0;
}

int xv_switch_add(struct xv_switch *sw, const struct xv_vif_table *table,
		  uint32_t index, struct xv_port **out)
{
	struct xv_vif_row *row = xv_vif_table_find_index(table, index);

	if (!row)
		return -ENOENT;
	sw->rebuild = true;
	return insert_port(sw, row, out);
}

uint64_t xv_port_speed(const struct xv_port *p, const struct xv_switch_config *cfg)
{
	return p->rate_bps ? p->rate_bps : cfg->port_speed;
}

/* ---- what a port shows ------------------------------------------- */

/* Takes the row's metadata; true if anything shown changed. */
static bool snapshot(struct xv_port *p, const struct xv_vif_row *row, bool *nomem)
{
	const char *name = row->domain_name ? row->domain_name : "";
	bool changed = false;

	if (strcmp(p->vm_name, name) != 0) {
		char *copy = strdup(name);

		if (!copy) {
			*nomem = true;
		} else {
			free(p->vm_name);
			p->vm_name = copy;
			changed = true;
		}
	}
	if (strcmp(p->uuid, row->uuid) != 0 || p->devid != row->devid ||
	    p->has_mac != row->has_mac ||
	    (row->has_mac && memcmp(p->mac, row->mac, 6) != 0) ||
	    p->rate_bps != row->rate_bps || p->mtu != row->mtu)
		changed = true;
	memcpy(p->uuid, row->uuid, sizeof p->uuid);
	p->devid = row->devid;
	p->has_mac = row->has_mac;
	memcpy(p->mac, row->mac, 6);
	p->rate_bps = row->rate_bps;
	p->mtu = row->mtu;
	return changed;
}

/* Who the port is for, in words: the VM's name, else its UUID. */
static const char *owner(const struct xv_port *p, char *buf, size_t bufsz)
{
	if (p->vm_name[0])
		return p->vm_name;
	if (p->uuid[0])
		return p->uuid;
	snprintf(buf, bufsz, "port %u", p->entry.index);
	return buf;
}

/* ifName before it is made unique: the VM's name in characters every
 * poller and file name takes, and the device id. */
static void base_name(const struct xv_port *p, char *out, size_t outsz)
{
	char clean[XV_TEXT_MAX + 1], who[32];
	size_t len;

	if (p->vm_name[0])
		xv_text_clean(clean, sizeof clean, p->vm_name, strlen(p->vm_name),
			      XV_TEXT_ASCII);
	else if (p->uuid[0])
		snprintf(clean, sizeof clean, "%.8s", p->uuid);
	else
		snprintf(clean, sizeof clean, "%s", owner(p, who, sizeof who));
	for (char *c = clean; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			*c = '_';
	len = strlen(clean);
	if (len > 24)
		clean[24] = '\0';
	snprintf(out, outsz, "%s.%u", clean, p->devid);
}

static void describe(struct xv_port *p)
{
	char who[32];
	const char *o = owner(p, who, sizeof who);

	/* At most 64 octets (IF-MIB's ifAlias), on a character boundary. */
	xv_text_clean(p->alias, sizeof p->alias, o, strlen(o), XV_TEXT_UTF8);
	xv_text_clean(p->descr, sizeof p->descr - 16, o, strlen(o), XV_TEXT_UTF8);
	snprintf(p->descr + strlen(p->descr), 16, " vif %u", p->devid);
}

/* ---- the switch's views ----------------------------------------------- */

static int compare_number(const void *a, const void *b)
{
	const struct xv_port *x = *(struct xv_port *const *)a;
	const struct xv_port *y = *(struct xv_port *const *)b;

	return (x->number > y->number) - (x->number < y->number);
}

/* Port numbers: those in the switch keep theirs; one coming (back)
 * takes the one it had if it is free, else the smallest free. */
static int number_ports(struct xv_switch *sw, enum xv_save *save)
{
	size_t cap = (XV_PORT_NUMBER_MAX + 1 + 63) / 64;
	uint64_t *taken = calloc(cap, sizeof *taken);
	uint32_t next = 1;

	if (!taken)
		return -ENOMEM; /* numbers stay as they were until next time */
#define TAKEN(n) (taken[(n) / 64] >> ((n) % 64) & 1)
#define TAKE(n) (taken[(n) / 64] |= 1ULL << ((n) % 64))
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sw->ports.nactive; i++) {
			struct xv_port *p = xv_switch_served(sw, i);

			if (p->settled != (pass == 0) || !p->number)
				continue;
			if (TAKEN(p->number))
				p->number = 0;
			else
				TAKE(p->number);
		}
	}
	for (size_t i = 0; i < sw->ports.nactive; i++) {
		struct xv_port *p = xv_switch_served(sw, i);

		if (p->number)
			continue;
		while (next <= XV_PORT_NUMBER_MAX && TAKEN(next))
			next++;
		if (next > XV_PORT_NUMBER_MAX)
			break; /* more ports than BRIDGE-MIB can number */
		p->number = next;
		TAKE(next);
		*save = XV_SAVE_NOW;
	}
#undef TAKEN
#undef TAKE
	free(taken);
	return 0;
}

/* What tells two ports of one base name apart: the port number. */
static void suffixed(const struct xv_port *p, char *out, size_t outsz)
{
	/* A base name is at most 24 characters, a dot and a device id. */
	snprintf(out, outsz, "%.32s#%u", p->base, p->number ? p->number : p->entry.index);
}

/* A port keeps its ifName while it is its base name, or the base name
 * with its own number. */
static bool keeps_name(const struct xv_port *p)
{
	char own[XV_PORT_NAME_MAX + 16];

	if (strcmp(p->name, p->base) == 0)
		return true;
	suffixed(p, own, sizeof own);
	return strcmp(p->name, own) == 0;
}

/* By name, the ports that were in the switch first, then by number:
 * of two that want one name, the one that had it keeps it. */
static int compare_claim(const void *a, const void *b, bool by_base)
{
	const struct xv_port *x = *(struct xv_port *const *)a;
	const struct xv_port *y = *(struct xv_port *const *)b;
	int c = by_base ? strcmp(x->base, y->base) : strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->settled != y->settled)
		return x->settled ? -1 : 1;
	return (x->number > y->number) - (x->number < y->number);
}

static int compare_by_name(const void *a, const void *b)
{
	return compare_claim(a, b, false);
}

static int compare_by_base(const void *a, const void *b)
{
	return compare_claim(a, b, true);
}

static int order_name(const void *key, const void *item)
{
	return strcmp(key, (*(struct xv_port *const *)item)->name);
}

static bool name_taken(struct xv_port *const *kept, size_t n, const char *name)
{
	return xv_find_sorted(kept, n, sizeof *kept, name, order_name) != NULL;
}

/* ifName: the base name where it is free, else the base name and the
 * port number.  A name once given stays while it is still right. */
static int name_ports(struct xv_switch *sw, enum xv_save *save)
{
	size_t n = sw->ports.nactive, nkept = 0, nnew = 0;
	struct xv_port **kept = sw->numbered; /* scratch, rebuilt after */
	struct xv_port **fresh = malloc((n ? n : 1) * sizeof *fresh);

	if (!fresh)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct xv_port *p = xv_switch_served(sw, i);

		base_name(p, p->base, sizeof p->base);
		if (keeps_name(p))
			kept[nkept++] = p;
		else
			fresh[nnew++] = p;
	}
	if (nkept > 1)
		qsort(kept, nkept, sizeof *kept, compare_by_name);
	/* Two ports with one plain name: a port back from retention and
	 * the new port that took its name meanwhile.  The one that was in
	 * the switch keeps it. */
	size_t k = 0;
	for (size_t i = 0; i < nkept; i++) {
		if (k > 0 && strcmp(kept[k - 1]->name, kept[i]->name) == 0)
			fresh[nnew++] = kept[i];
		else
			kept[k++] = kept[i];
	}
	nkept = k;
	if (nnew > 1)
		qsort(fresh, nnew, sizeof *fresh, compare_by_base);
	for (size_t i = 0; i < nnew; i++) {
		struct xv_port *p = fresh[i];
		bool first = i == 0 || strcmp(fresh[i - 1]->base, p->base) != 0;

		if (first && !name_taken(kept, nkept, p->base))
			snprintf(p->name, sizeof p->name, "%s", p->base);
		else
			suffixed(p, p->name, sizeof p->name);
		*save = XV_SAVE_NOW;
	}
	free(fresh);
	return 0;
}

static int compare_fdb(const void *a, const void *b)
{
	const struct xv_port *x = *(const struct xv_port *const *)a;
	const struct xv_port *y = *(const struct xv_port *const *)b;
	int c = memcmp(x->mac, y->mac, 6);

	if (c)
		return c;
	/* One port per MAC: an up port before a down one, then the lower
	 * number. */
	if (x->up != y->up)
		return x->up ? -1 : 1;
	return (x->number > y->number) - (x->number < y->number);
}

/* Each running VM's MAC on its port. */
static int learn(struct xv_switch *sw)
{
	size_t n = 0;

	/* Room first: the table served stays whole if there is none. */
	if (sw->capfdb < sw->ports.nactive) {
		const struct xv_port **v = realloc(sw->fdb, sw->ports.nactive * sizeof *v);

		if (!v)
			return -ENOMEM;
		sw->fdb = v;
		sw->capfdb = sw->ports.nactive;
	}
	for (size_t i = 0; i < sw->ports.nactive; i++) {
		const struct xv_port *p = xv_switch_served(sw, i);

		if (p->has_mac && p->number && p->running)
			sw->fdb[n++] = p;
	}
	if (n > 1)
		qsort(sw->fdb, n, sizeof *sw->fdb, compare_fdb);
	sw->nfdb = 0;
	for (size_t i = 0; i < n; i++)
		if (sw->nfdb == 0 || memcmp(sw->fdb[sw->nfdb - 1]->mac, sw->fdb[i]->mac, 6))
			sw->fdb[sw->nfdb++] = sw->fdb[i];
	return 0;
}

static void notice(struct xv_switch *sw, const struct xv_switch_config *cfg,
		   enum xv_port_notice_kind kind, uint32_t index)
{
	if (!cfg->link_notifications)
		return;
	if (sw->nnotices == XV_PORT_NOTICE_BACKLOG) {
		sw->dropped++;
		return;
	}
	if (!sw->notices &&
	    !(sw->notices = calloc(XV_PORT_NOTICE_BACKLOG, sizeof *sw->notices))) {
		sw->dropped++;
		return;
	}
	sw->notices[sw->nnotices].kind = kind;
	sw->notices[sw->nnotices++].index = index;
}

void xv_switch_set_address(struct xv_switch *sw, const char *seed)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)seed; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	sw->address[0] = 0x02; /* locally administered, unicast */
	for (int i = 1; i < 6; i++)
		sw->address[i] = (uint8_t)(h >> (8 * (i - 1)));
}

void xv_switch_sent(struct xv_switch *sw, size_t n)
{
	if (n >= sw->nnotices) {
		sw->nnotices = 0;
		return;
	}
	memmove(sw->notices, sw->notices + n, (sw->nnotices - n) * sizeof *sw->notices);
	sw->nnotices -= n;
}

/* ---- following the table ---------------------------------------------- */

/* One port's state from its row: whether it is in the switch, up, and
 * what it shows.  Returns true if the port came or left; *shown if
 * anything the views are made from changed, *save if the state file
 * must know at once. */
static bool follow_row(struct xv_switch *sw, struct xv_port *p,
		       const struct xv_switch_input *in, bool *shown, bool *nomem,
		       enum xv_save *save)
{
	bool was_in = p->entry.active, was_up = p->up;
	struct xv_vif_row *row = p->row;

	/* Only a running VM's MAC is in the forwarding table. */
	if (p->running != row->entry.active)
		*shown = true;
	p->running = row->entry.active;
	/* A TimeStamp of the row's that changed: a new discontinuity, or
	 * the same moved to a new master's clock (the same time of the
	 * switch's).  One that fell to 0 fell before the new master
	 * started: the switch's clock did not restart, so it stays. */
	if (row->discontinuity != p->discontinuity_seen) {
		if (row->discontinuity)
			p->discontinuity = xv_switch_stamp(sw, row->discontinuity);
		p->discontinuity_seen = row->discontinuity;
	}
	if (row->entry.active) {
		if (snapshot(p, row, nomem)) {
			*shown = true;
			*save = XV_SAVE_NOW;
		}
		if (p->left)
			*save = XV_SAVE_NOW;
		p->entry.active = true;
		p->left = 0;
		p->up = row->oper_up;
	} else if (p->entry.active) {
		if (!p->left) {
			p->left = in->now;
			*save = XV_SAVE_NOW;
		}
		p->up = false;
		/* A clock set back must not keep a port for ever, nor one
		 * set forward drop it early: the retention counts from when
		 * the VM left, as long as that is not in the future. */
		if (p->left > in->now)
			p->left = in->now;
		if (in->now - p->left >= (int64_t)in->cfg->port_retention) {
			p->entry.active = false;
			*save = XV_SAVE_NOW;
		}
	}
	if (p->up != was_up || p->entry.active != was_in) {
		p->last_change = in->ticks;
		*shown = true;
	}
	if (p->entry.active && was_in && p->up != was_up)
		notice(sw, in->cfg, p->up ? XV_PORT_UP : XV_PORT_DOWN, p->entry.index);
	else if (p->entry.active && !was_in && p->up)
		notice(sw, in->cfg, XV_PORT_UP, p->entry.index);
	else if (!p->entry.active && was_in && was_up)
		notice(sw, in->cfg, XV_PORT_DOWN, p->entry.index);
	return p->entry.active != was_in;
}

static void system_texts(struct xv_switch *sw, const struct xv_switch_input *in)
{
	const char *host = in->host && in->host[0] ? in->host : "dom0";

	xv_text_clean(sw->host, sizeof sw->host, host, strlen(host), XV_TEXT_ASCII);
	if (in->cfg->name[0])
		snprintf(sw->sys_name, sizeof sw->sys_name, "%s", in->cfg->name);
	else
		/* Not the host name alone: that is dom0's own sysName, and
		 * pollers refuse a second device with it (LibreNMS). */
		snprintf(sw->sys_name, sizeof sw->sys_name, "%s.%.200s",
			 in->cfg->context[0] ? in->cfg->context : "xen", sw->host);
	snprintf(sw->sys_descr, sizeof sw->sys_descr,
		 "Xen virtual switch of dom0 %.100s: %s %s, %.100s", sw->host,
		 PACKAGE_NAME, PACKAGE_VERSION, in->system ? in->system : "");
}

int xv_switch_update(struct xv_switch *sw, const struct xv_switch_input *in)
{
	const struct xv_vif_table *t = in->table;
	bool came_or_left = false, shown = false, nomem = false;
	enum xv_save save = XV_SAVE_LATER;

	system_texts(sw, in);
	if (t->last_change != sw->vif_last_change_seen) {
		if (t->last_change)
			sw->vif_last_change = xv_switch_stamp(sw, t->last_change);
		sw->vif_last_change_seen = t->last_change;
	}
	/* A port for each row served that has none yet. */
	for (size_t i = 0; i < t->rows.nactive; i++) {
		struct xv_vif_row *row = xv_vif_table_served(t, i);
		struct xv_port *p = xv_switch_find(sw, row->entry.index);

		if (p) {
			p->row = row;
			continue;
		}
		if (insert_port(sw, row, &p) < 0) {
			nomem = true;
			continue;
		}
		save = XV_SAVE_NOW;
	}
	for (size_t i = 0; i < sw->ports.n; i++)
		if (follow_row(sw, xv_switch_port(sw, i), in, &shown, &nomem, &save))
			came_or_left = true;
	if (came_or_left)
		sw->last_change = in->ticks;
	/* The views change only with the ports: most refreshes only
	 * count. */
	if (!shown && !sw->rebuild)
		return nomem ? -ENOMEM : (int)save;
	/* Room to number and name every port; then which ports of the new
	 * view were in the old one, which the registry is about to replace. */
	if (sw->capnumbered < sw->ports.cap) {
		struct xv_port **a = realloc(sw->numbered, sw->ports.cap * sizeof *a);

		if (!a) {
			sw->rebuild = true;
			return -ENOMEM;
		}
		sw->numbered = a;
		sw->capnumbered = sw->ports.cap;
	}
	sw->rebuild = false;
	for (size_t i = 0; i < sw->ports.n; i++)
		xv_switch_port(sw, i)->settled = false;
	for (size_t i = 0; i < sw->ports.nactive; i++)
		xv_switch_served(sw, i)->settled = true;
	xv_registry_rebuild_view(&sw->ports);
	if (number_ports(sw, &save) < 0 || name_ports(sw, &save) < 0)
		nomem = true;
	sw->nnumbered = 0;
	for (size_t i = 0; i < sw->ports.nactive; i++) {
		struct xv_port *p = xv_switch_served(sw, i);

		describe(p);
		if (p->number)
			sw->numbered[sw->nnumbered++] = p;
	}
	if (sw->nnumbered > 1)
		qsort(sw->numbered, sw->nnumbered, sizeof *sw->numbered, compare_number);
	if (learn(sw) < 0)
		nomem = true;
	/* What could not be made is made again next time. */
	if (nomem)
		sw->rebuild = true;
	return nomem ? -ENOMEM : (int)save;
}
