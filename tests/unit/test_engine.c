/* SPDX-License-Identifier: ISC */
/* The engine driven with an in-memory xenstore and a counter collector
 * of the test's: domains coming and going, xenstore lost and back, the
 * collector failing and recovering, and when the state is saved.  No
 * root, no sockets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_store.h"
#include "tap.h"
#include "xenvif/engine.h"

#define U3 "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
#define U4 "3c9b1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"

/* ---- a xenstore connection over the fake store ------------------------ */

struct fake_conn {
	struct fake_store fs;
	bool open, refuse, ping_fails;
	char *events[16];
	size_t nevents;
	unsigned int opens;
	char watched[512]; /* what the layout asked for, last time */
};

static int conn_open(void *c, char *err, size_t errlen)
{
	struct fake_conn *fc = c;

	if (fc->refuse) {
		snprintf(err, errlen, "cannot connect to xenstore: %s",
			 strerror(ECONNREFUSED));
		return -ECONNREFUSED;
	}
	fc->open = true;
	fc->opens++;
	return 0;
}

static void conn_close(void *c)
{
	((struct fake_conn *)c)->open = false;
	((struct fake_conn *)c)->watched[0] = '\0';
}

static bool conn_is_open(const void *c)
{
	return ((const struct fake_conn *)c)->open;
}

static int conn_fd(const void *c)
{
	return ((const struct fake_conn *)c)->open ? 99 : -1;
}

static char *conn_next_event(void *c, int *rc)
{
	struct fake_conn *fc = c;
	char *path;

	*rc = 0;
	if (!fc->nevents)
		return NULL;
	path = fc->events[0];
	memmove(fc->events, fc->events + 1, --fc->nevents * sizeof *fc->events);
	return path;
}

static int conn_watch(void *c, const struct xv_watch_set *paths)
{
	struct fake_conn *fc = c;

	fc->watched[0] = '\0';
	for (size_t i = 0; i < paths->n; i++)
		snprintf(fc->watched + strlen(fc->watched),
			 sizeof fc->watched - strlen(fc->watched), "%s%s",
			 i ? " " : "", paths->paths[i]);
	return 0;
}

static int conn_ping(void *c)
{
	return ((struct fake_conn *)c)->ping_fails ? -EPIPE : 0;
}

static struct xv_store conn_store(void *c)
{
	return fake_api(&((struct fake_conn *)c)->fs);
}

static const struct xv_xs_conn_ops fake_conn_ops = {
	conn_open, conn_close, conn_is_open, conn_fd, conn_next_event,
	conn_watch, conn_ping, conn_store,
};

static void event(struct fake_conn *fc, const char *path)
{
	fc->events[fc->nevents++] = strdup(path);
}

/* ---- a collector of the test's ---------------------------------------- */

struct fake_links {
	struct xv_linkset now;
	int fail; /* read fails with it when set */
	unsigned int reads;
};

static int links_open(void *src, char *err, size_t errlen)
{
	(void)src, (void)err, (void)errlen;
	return 0;
}

static void links_close(void *src)
{
	(void)src;
}

static int links_fd(const void *src)
{
	(void)src;
	return -1;
}

static int links_drain(void *src, struct xv_link_events *ev, char *err,
		       size_t errlen)
{
	(void)src, (void)ev, (void)err, (void)errlen;
	return 0;
}

static int links_read(void *src, const struct xv_meta *meta,
		      struct xv_linkset *out, char *err, size_t errlen)
{
	struct fake_links *fl = src;

	(void)meta;
	fl->reads++;
	if (fl->fail) {
		snprintf(err, errlen, "reading links: %s", strerror(fl->fail));
		return -fl->fail;
	}
	xv_linkset_clear(out);
	for (size_t i = 0; i < fl->now.n; i++) {
		struct xv_link *l = xv_linkset_append(out);

		if (!l)
			return -ENOMEM;
		*l = fl->now.links[i];
	}
	xv_linkset_sort(out);
	return 0;
}

static const struct xv_collector_ops fake_collector = {
	"test", links_open, links_close, links_fd, links_drain, links_read,
};

static struct xv_link *add_link(struct fake_links *fl, int ifindex, const char *name,
			    uint32_t domid, uint32_t devid)
{
	struct xv_link *l = xv_linkset_append(&fl->now);

	l->ifindex = ifindex;
	snprintf(l->name, sizeof l->name, "%s", name);
	l->flags = 0x1 | 0x40; /* IFF_UP | IFF_RUNNING */
	l->operstate = 6;      /* IF_OPER_UP */
	snprintf(l->parent_bus, sizeof l->parent_bus, "xen-backend");
	snprintf(l->parent_dev, sizeof l->parent_dev, "vif-%u-%u", domid, devid);
	return l;
}

static void unlink_index(struct fake_links *fl, int ifindex)
{
	for (size_t i = 0; i < fl->now.n; i++)
		if (fl->now.links[i].ifindex == ifindex) {
			fl->now.links[i] = fl->now.links[--fl->now.n];
			return;
		}
}

/* ---- the host ----------------------------------------------------------- */

static char logged[8192];
static uint32_t ticks = 100;

static uint32_t now(void *ctx)
{
	(void)ctx;
	return ticks;
}

static int64_t origin_ms = 1700000000000LL;

static int64_t origin(void *ctx)
{
	(void)ctx;
	return origin_ms;
}

static void say(void *ctx, enum xv_log_level level, const char *msg)
{
	(void)ctx;
	if (level != XV_LOG_DEBUG)
		snprintf(logged + strlen(logged), sizeof logged - strlen(logged),
			 "%s\n", msg);
}

static unsigned int count(const char *what)
{
	unsigned int n = 0;

	for (const char *p = logged; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static struct fake_conn xs;
static struct fake_links kernel;

static struct xv_vif_row *row_of(struct xv_engine *e, const char *uuid)
{
	char key[64];

	snprintf(key, sizeof key, "%s/0", uuid);
	return xv_vif_table_find_key(xv_engine_vifs(e), key);
}

int main(void)
{
	char dir[] = "/tmp/xv-engine-test-XXXXXX", path[128], err[512];
	struct xv_engine_hooks hooks = {now, origin, say, NULL, &fake_conn_ops, &xs,
					{&fake_collector, &kernel}};
	struct xv_config cfg;
	struct xv_engine *e;
	struct stat st;

	tap_ok(mkdtemp(dir) != NULL, "a directory for the state file");
	snprintf(path, sizeof path, "%s/state", dir);
	fake_init(&xs.fs);
	fake_add_vm(&xs.fs, 3, "web1", U3, 0, "00:16:3e:00:00:03", "xenbr0");
	add_link(&kernel, 7, "vif3.0", 3, 0)->stats.v[XV_IN_OCTETS] = 1000;

	/* Start: the row, its counters; the state written only when told. */
	xv_config_defaults(&cfg);
	/* The host's devices are not the fake kernel's: hook none. */
	xv_config_set(&cfg, "classifier", "no", err, sizeof err);
	xv_config_set(&cfg, "quota", "* 1G", err, sizeof err);
	xv_config_set(&cfg, "refreshInterval", "7", err, sizeof err);
	e = xv_engine_start(&cfg, path, &hooks, err, sizeof err);
	tap_ok(e != NULL, "started");
	tap_ok(cfg.quotas == NULL && cfg.nquotas == 0 &&
		       xv_engine_config(e)->nquotas == 1 &&
		       xv_engine_schedule(e).refresh == 7,
	       "the engine took the configuration, the caller's is cleared");
	struct xv_vif_row *web = row_of(e, U3);
	tap_ok(web && web->entry.active && web->domid == 3 &&
		       web->total.v[XV_IN_OCTETS] == 1000, "web1's row, with its counters");
	tap_ok(stat(path, &st) < 0, "no state file written yet");
	tap_is_str(xs.watched, "/local/domain/0/backend/vif /local/domain/3/name "
		   "/xapi @introduceDomain @releaseDomain",
		   "watched: the backend tree, the domain's name, domains coming and "
		   "going, and /xapi should xapi start");
	tap_is_u64(xv_engine_save_pending(e), 0, "the new row saved when asked");
	tap_ok(stat(path, &st) == 0, "now there is one");

	/* A domain comes: its row appears on the watch event. */
	fake_add_vm(&xs.fs, 4, "db1", U4, 0, NULL, "xenbr0");
	add_link(&kernel, 8, "vif4.0", 4, 0)->stats.v[XV_OUT_OCTETS] = 50;
	event(&xs, "@introduceDomain");
	event(&xs, "/local/domain/0/backend/vif/4/0");
	unlink(path);
	xv_engine_xenstore_ready(e);
	struct xv_vif_row *db = row_of(e, U4);
	tap_ok(db && db->entry.active && db->total.v[XV_OUT_OCTETS] == 50,
	       "a new domain's row on its watch event");
	tap_ok(strstr(xs.watched, "/local/domain/4/name") != NULL,
	       "its name watched from then on");
	tap_ok(stat(path, &st) == 0, "a new row is saved at once");
	unsigned int reads = kernel.reads;
	xv_engine_xenstore_ready(e);
	tap_is_u64(kernel.reads, reads, "no event, no work");

	/* Counters move at each refresh. */
	kernel.now.links[0].stats.v[XV_IN_OCTETS] = 1500;
	xv_engine_refresh(e);
	tap_is_u64(web->total.v[XV_IN_OCTETS], 1500, "counters at the refresh");

	/* A domain goes: its row leaves, its counters are kept. */
	fake_rm(&xs.fs, "/local/domain/0/backend/vif/4");
	fake_set_live(&xs.fs, 4, false);
	unlink_index(&kernel, 8);
	event(&xs, "@releaseDomain");
	xv_engine_xenstore_ready(e);
	tap_ok(!db->entry.active && db->total.v[XV_OUT_OCTETS] == 50,
	       "a released domain's row leaves, counters kept");
	tap_ok(strstr(xs.watched, "/local/domain/4/name") == NULL,
	       "its name no longer watched");

	/* xenstore lost: said once, the table stands, back said once. */
	xs.ping_fails = true;
	xs.refuse = true;
	xv_engine_refresh(e);
	xv_engine_refresh(e);
	tap_is_u64(count("lost xenstore"), 1, "xenstore lost: said once");
	tap_ok(web->entry.active, "the last table is served meanwhile");
	kernel.now.links[0].stats.v[XV_IN_OCTETS] = 1700;
	xv_engine_refresh(e);
	tap_is_u64(web->total.v[XV_IN_OCTETS], 1700, "and counters still move");
	xs.ping_fails = xs.refuse = false;
	xv_engine_refresh(e);
	tap_is_u64(count("connected to xenstore again"), 1, "back: said once");
	tap_is_u64(xs.opens, 2, "one new connection");

	/* The collector fails: the last counters stand, said once. */
	kernel.fail = EIO;
	xv_engine_refresh(e);
	xv_engine_refresh(e);
	tap_is_u64(count("keeping the last counters"), 1, "collector failing: "
		   "said once");
	tap_is_u64(web->total.v[XV_IN_OCTETS], 1700, "counters kept");
	kernel.fail = 0;
	kernel.now.links[0].stats.v[XV_IN_OCTETS] = 1800;
	xv_engine_refresh(e);
	tap_is_u64(count("reading test counters again"), 1, "recovered: said once");
	tap_is_u64(web->total.v[XV_IN_OCTETS], 1800, "counting again");

	/* A quota crossed: its notices wait, saved at once; once sent,
	 * the engine forgets them and saves that too. */
	kernel.now.links[0].stats.v[XV_OUT_OCTETS] = 2000000000;
	unlink(path);
	xv_engine_refresh(e);
	tap_is_u64(xv_engine_vms(e)->nnotices, 2, "warning and exceeded wait");
	tap_ok(stat(path, &st) == 0, "waiting notices are saved at once");
	unlink(path);
	xv_engine_notices_sent(e, 1, 0);
	tap_is_u64(xv_engine_vms(e)->nnotices, 1, "the one sent is forgotten");
	tap_ok(stat(path, &st) == 0, "and that is saved at once");
	unlink(path);
	xv_engine_notices_sent(e, 0, 0);
	tap_ok(stat(path, &st) < 0, "nothing sent: no save");

	/* The master's clock: the same master jitters; a master that
	 * started 10 s earlier moves every TimeStamp 10 s on. */
	uint32_t last_change = xv_engine_vifs(e)->last_change;
	origin_ms += 400;
	xv_engine_master_connected(e);
	tap_is_u64(xv_engine_vifs(e)->last_change, last_change,
		   "within a second: the same master, TimeStamps stay");
	origin_ms -= 10400;
	xv_engine_master_connected(e);
	tap_is_u64(xv_engine_vifs(e)->last_change, last_change + 1000,
		   "an older master: TimeStamps move by its head start");
	origin_ms += 60000;
	xv_engine_master_connected(e);
	tap_is_u64(xv_engine_vifs(e)->last_change, 0,
		   "a newer master: what fell before its start is 0");
	origin_ms -= 50000;

	/* Stopping saves; a new engine goes on from the file. */
	xv_engine_stop(e);
	xv_config_defaults(&cfg);
	/* The host's devices are not the fake kernel's: hook none. */
	xv_config_set(&cfg, "classifier", "no", err, sizeof err);
	kernel.now.links[0].stats.v[XV_IN_OCTETS] = 1900;
	e = xv_engine_start(&cfg, path, &hooks, err, sizeof err);
	tap_ok(e != NULL, "started again");
	web = row_of(e, U3);
	tap_ok(web && web->total.v[XV_IN_OCTETS] == 1900 &&
		       row_of(e, U4)->total.v[XV_OUT_OCTETS] == 50,
	       "from the state file: counters go on, the gone row kept");
	xv_engine_stop(e);

	unlink(path);
	rmdir(dir);
	fake_free(&xs.fs);
	xv_linkset_free(&kernel.now);
	return tap_done();
}
