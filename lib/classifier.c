/* SPDX-License-Identifier: ISC */
/*
 * The classifier (classifier.h) with libbpf: the programs of
 * bpf/xv_classify.bpf.c, embedded by bpftool gen skeleton, on the
 * ingress and egress hooks of each served device, as tcx links or tc
 * filters (classifier_hooks.h: where they sit is that seam's business;
 * what they count and where, this file's).
 *
 * The maps are pinned by name under the pin directory, so the counts
 * outlive the agent's process: a restart, or a crash and a restart,
 * goes on counting from them.
 */
#include "xenvif/classifier.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "classifier_hooks.h"
#include "xenvif/growth.h"
#include "xenvif/search.h"
#include "xv_classify.h"
#include "xv_classify.skel.h"

_Static_assert(XV_CLS_MACS == XV_CLASSIFIER_MACS,
	       "the programs' MAC table is classifier.h's");
_Static_assert(XV_CLS_NCOUNTS == XV_SPLIT_END - XV_NKERNEL_COUNTERS,
	       "one count per split counter");
_Static_assert(XV_CLS_OUT_FOREIGN_OCTETS == XV_OUT_FOREIGN_OCTETS - XV_NKERNEL_COUNTERS &&
	       XV_CLS_OUT_FOREIGN_PKTS == XV_OUT_FOREIGN_PKTS - XV_NKERNEL_COUNTERS &&
	       XV_CLS_OUT_BCAST_PKTS == XV_OUT_BCAST_PKTS - XV_NKERNEL_COUNTERS &&
	       XV_CLS_OUT_MCAST_PKTS == XV_OUT_MCAST_PKTS - XV_NKERNEL_COUNTERS &&
	       XV_CLS_IN_FOREIGN_SRC_OCTETS == XV_IN_FOREIGN_SRC_OCTETS - XV_NKERNEL_COUNTERS &&
	       XV_CLS_IN_FOREIGN_SRC_PKTS == XV_IN_FOREIGN_SRC_PKTS - XV_NKERNEL_COUNTERS &&
	       XV_CLS_IN_BCAST_PKTS == XV_IN_BCAST_PKTS - XV_NKERNEL_COUNTERS &&
	       XV_CLS_IN_MCAST_PKTS == XV_IN_MCAST_PKTS - XV_NKERNEL_COUNTERS,
	       "the counts are in the order of the split counters");

#define XV_NO_PRIVILEGE "no privilege (CAP_BPF and CAP_NET_ADMIN, or root)"

/* A per-CPU value's room in what the kernel reads and writes: each
 * CPU's rounded up to 8 bytes. */
#define COUNTS_STRIDE ((sizeof(struct xv_cls_counts) + 7) & ~(size_t)7)

/* A device being followed: counted once all three of configured,
 * hooked and has_counts hold (and it has MACs). */
struct cls_dev {
	int ifindex;
	struct xv_cls_config cfg; /* cfg.slot1: its counts' slot (+1), or 0 */
	bool configured; /* cfg is in the programs' maps */
	bool hooked;     /* ours are on both its hooks */
	bool has_counts; /* its entry in the counts map is made */
	bool failed;     /* a failure was said (and not its end yet) */
};

/* One device's counts, summed over the CPUs (and over its slot and its
 * hash entry, should it have both). */
struct cls_reading {
	__u32 ifindex;
	__u32 slot1;  /* read from this slot (+1), or 0 */
	bool in_hash; /* read from the hash */
	__u64 v[XV_CLS_NCOUNTS];
};

struct xv_classifier {
	struct xv_classify_bpf *skel;
	struct xv_log log;
	char *pin_dir;
	int config_fd, config_hi_fd, slots_fd, counts_fd;
	void *zero_counts;       /* a per-CPU value of zeros */
	/* The ifindex whose counts each slot holds, or 0: a device's from
	 * when it is first followed until read() forgets it. */
	int slot_owner[XV_CLS_SLOTS];
	const struct cls_hooks *hooks;       /* where the programs sit */
	const struct cls_hooks *other_hooks; /* the other kind, if the kernel
					      * has it: an earlier run's leftovers */
	struct cls_hook_ctx hook_ctx;
	int ncpus;
	struct cls_dev *devs;    /* sorted by ifindex */
	size_t ndevs;
	bool followed;           /* the first follow (leftovers) was done */
	bool no_batch;           /* the kernel cannot read hash maps in batches */
	bool counts_reused;      /* the counts map is an earlier run's */
	unsigned int budget_ms;  /* a follow's time for hooking devices */
	size_t waiting;          /* devices the last follow left unhooked */
	struct timespec backlog_since; /* when devices began to wait */
	size_t backlog_hooked;   /* devices hooked since */
	struct timespec lost_checked; /* when hooks were last looked for */
	struct cls_reading *readings;
	size_t nreadings, readings_cap;
};

/* ---- libbpf's messages --------------------------------------------------- */

/*
 * libbpf says what it does through one function per process; a process
 * has one classifier.  Its messages go to the debug log, and the last
 * warning (a verifier's complaint, a kernel's refusal) is kept to be
 * quoted when opening fails.
 */
static const struct xv_log *libbpf_log;
static char libbpf_last_warning[256];

static int libbpf_say(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	vsnprintf(msg, sizeof msg, fmt, ap);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	if (level == LIBBPF_WARN && len > 0)
		snprintf(libbpf_last_warning, sizeof libbpf_last_warning, "%s", msg);
	if (libbpf_log && level != LIBBPF_DEBUG)
		xv_say(libbpf_log, XV_LOG_DEBUG, "%s", msg);
	return 0;
}

/* ---- opening --------------------------------------------------------------- */

/* What a failure's errno likely means, as a suffix to the message. */
static const char *likely_cause(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return "; " XV_NO_PRIVILEGE;
	case ENOSYS:
		return "; the kernel has no eBPF (CONFIG_BPF_SYSCALL)";
	case ENOMEM:
		return "; out of memory (or RLIMIT_MEMLOCK too low on kernels before 5.11)";
	default:
		return "";
	}
}

static bool on_bpffs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && (unsigned long)fs.f_type == BPF_FS_MAGIC;
}

/*
 * Makes pin_dir (and its missing parents) on a bpf filesystem.  The
 * nearest directory that exists must be on one: else no pin could be
 * made there, and it is best said before anything is loaded.
 */
static int make_pin_dir(const char *pin_dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t len = strlen(pin_dir);
	char *slash;
	int e;

	if (pin_dir[0] != '/' || len >= sizeof path) {
		snprintf(err, errlen, "eBPF classifier: '%s' is not an absolute path "
			 "of at most %zu characters", pin_dir, sizeof path - 1);
		return -EINVAL;
	}
	memcpy(path, pin_dir, len + 1);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	/* The nearest existing ancestor. */
	for (;;) {
		struct stat st;

		if (stat(path, &st) == 0)
			break;
		slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (!on_bpffs(path)) {
		snprintf(err, errlen, "eBPF classifier: %s is not on a bpf filesystem "
			 "(mount -t bpf bpf /sys/fs/bpf), so its maps cannot be pinned "
			 "under %s", path, pin_dir);
		return -ENOENT;
	}
	/* Make what is missing, one level at a time. */
	memcpy(path, pin_dir, strlen(pin_dir) + 1);
	for (char *p = path + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			e = errno;
			snprintf(err, errlen, "eBPF classifier: cannot make %s: %s%s", path,
				 strerror(e), likely_cause(e));
			return -e;
		}
		if (last)
			break;
		*p = '/';
	}
	return 0;
}

/*
 * A map pinned by an earlier run is reused if it is laid out as ours;
 * if not (an agent of another version left it, or something else has
 * the name), libbpf would refuse to load, so it is removed and made
 * again, its counts lost, and that is said.
 */
static int check_pinned_map(struct xv_classifier *c, struct bpf_map *map,
			    char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct bpf_map_info info;
	__u32 len = sizeof info;
	const char *why = NULL;
	int fd, e;

	if (snprintf(path, sizeof path, "%s/%s", c->pin_dir, bpf_map__name(map)) >=
	    (int)sizeof path) {
		snprintf(err, errlen, "eBPF classifier: %s: path too long", c->pin_dir);
		return -ENAMETOOLONG;
	}
	fd = bpf_obj_get(path);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return 0;
		if (e == EPERM || e == EACCES) {
			snprintf(err, errlen, "eBPF classifier: cannot open %s: %s%s", path,
				 strerror(e), likely_cause(e));
			return -e;
		}
		why = "it is not a bpf object";
	} else {
		memset(&info, 0, sizeof info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
			why = "it is not a map";
		else if (info.type != bpf_map__type(map) ||
			 info.key_size != bpf_map__key_size(map) ||
			 info.value_size != bpf_map__value_size(map) ||
			 info.max_entries != bpf_map__max_entries(map) ||
			 info.map_flags != bpf_map__map_flags(map))
			why = "it has another layout";
		close(fd);
	}
	if (!why) {
		xv_say(&c->log, XV_LOG_INFO, "eBPF classifier: counts go on from %s "
		       "(left by an earlier run)", path);
		if (map == c->skel->maps.xv_counts)
			c->counts_reused = true;
		return 0;
	}
	if (unlink(path) != 0) {
		e = errno;
		snprintf(err, errlen, "eBPF classifier: cannot remove %s (%s): %s%s",
			 path, why, strerror(e), likely_cause(e));
		return -e;
	}
	xv_say(&c->log, XV_LOG_NOTICE, "eBPF classifier: removed %s (%s: left by "
	       "another version?); it is made again and its counts start from zero",
	       path, why);
	return 0;
}

enum xv_classifier_hooks xv_classifier_hooks(const struct xv_classifier *c)
{
	return c->hooks == &xv_cls_tcx_hooks ? XV_HOOKS_TCX : XV_HOOKS_TC;
}

int xv_classifier_open(struct xv_classifier **out, const char *pin_dir,
		       enum xv_classifier_hooks hooks, const struct xv_log *log,
		       char *err, size_t errlen)
{
	struct xv_classifier *c;
	struct bpf_map *map;
	int tcx_here, r;
	bool tcx;

	*out = NULL;
	c = calloc(1, sizeof *c);
	if (!c || !(c->pin_dir = strdup(pin_dir))) {
		free(c);
		snprintf(err, errlen, "eBPF classifier: out of memory");
		return -ENOMEM;
	}
	c->log = *log;
	c->budget_ms = UINT_MAX;
	c->config_fd = c->config_hi_fd = c->slots_fd = c->counts_fd = -1;
	/* tcx where asked for or where it can be: the hook calls the
	 * program directly, where tc walks a filter chain to it.  Where it
	 * cannot be told (no CAP_NET_ADMIN), auto takes tc's hooks, which
	 * say plainly why they cannot be used. */
	tcx_here = xv_cls_tcx_supported();
	if (hooks == XV_HOOKS_TCX && tcx_here == 0) {
		snprintf(err, errlen, "eBPF classifier: this kernel has no tcx hooks "
			 "(Linux 6.6 and later); classifierHooks tc or auto uses tc's");
		free(c->pin_dir);
		free(c);
		return -EOPNOTSUPP;
	}
	tcx = hooks == XV_HOOKS_TCX || (hooks == XV_HOOKS_AUTO && tcx_here == 1);
	c->hooks = tcx ? &xv_cls_tcx_hooks : &xv_cls_tc_hooks;
	/* The other kind, where the kernel has it: an earlier run's
	 * leftovers (an agent configured otherwise) are looked for there. */
	c->other_hooks = tcx ? &xv_cls_tc_hooks
		       : tcx_here == 1 ? &xv_cls_tcx_hooks : NULL;
	libbpf_log = &c->log;
	libbpf_last_warning[0] = '\0';
	libbpf_set_print(libbpf_say);

	r = make_pin_dir(pin_dir, err, errlen);
	if (r < 0)
		goto fail;
	{
		LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = c->pin_dir);

		c->skel = xv_classify_bpf__open_opts(&opts);
	}
	if (!c->skel) {
		r = -errno;
		snprintf(err, errlen, "eBPF classifier: cannot open its object: %s",
			 strerror(-r));
		goto fail;
	}
	bpf_object__for_each_map(map, c->skel->obj) {
		r = check_pinned_map(c, map, err, errlen);
		if (r < 0)
			goto fail;
	}
	r = xv_classify_bpf__load(c->skel);
	if (r < 0) {
		if (r == -EPERM || r == -EACCES || !libbpf_last_warning[0])
			snprintf(err, errlen, "eBPF classifier: cannot load the programs: "
				 "%s%s", strerror(-r), likely_cause(-r));
		else
			snprintf(err, errlen, "eBPF classifier: cannot load the programs: "
				 "%s%s (libbpf: %s)", strerror(-r), likely_cause(-r),
				 libbpf_last_warning);
		goto fail;
	}
	c->config_fd = bpf_map__fd(c->skel->maps.xv_config);
	c->config_hi_fd = bpf_map__fd(c->skel->maps.xv_config_hi);
	c->slots_fd = bpf_map__fd(c->skel->maps.xv_slots);
	c->counts_fd = bpf_map__fd(c->skel->maps.xv_counts);
	c->hook_ctx.log = &c->log;
	c->hook_ctx.pin_dir = c->pin_dir;
	c->hook_ctx.prog_fd[0] = bpf_program__fd(c->skel->progs.xv_ingress);
	c->hook_ctx.prog_fd[1] = bpf_program__fd(c->skel->progs.xv_egress);
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus < 1) {
		r = c->ncpus < 0 ? c->ncpus : -EINVAL;
		snprintf(err, errlen, "eBPF classifier: cannot tell the number of "
			 "CPUs: %s", strerror(-r));
		goto fail;
	}
	c->zero_counts = calloc((size_t)c->ncpus, COUNTS_STRIDE);
	if (!c->zero_counts) {
		r = -ENOMEM;
		snprintf(err, errlen, "eBPF classifier: out of memory");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	/* What this open made stays: pins of an earlier run still count. */
	xv_classify_bpf__destroy(c->skel);
	if (libbpf_log == &c->log)
		libbpf_log = NULL;
	free(c->pin_dir);
	free(c);
	return r;
}

/* A device's MACs and slot (a device without MACs is skipped by the
 * programs), or nothing (cfg NULL: no longer followed); in the array or
 * the hash, by its ifindex (xv_classify.h).  0 or -errno (the hash
 * full, no memory). */
static int set_config(struct xv_classifier *c, int ifindex,
		      const struct xv_cls_config *cfg)
{
	static const struct xv_cls_config none;
	__u32 key = (__u32)ifindex;
	int r;

	if (key < XV_CLS_DIRECT)
		return bpf_map_update_elem(c->config_fd, &key, cfg ? cfg : &none, BPF_ANY);
	if (cfg)
		return bpf_map_update_elem(c->config_hi_fd, &key, cfg, BPF_ANY);
	r = bpf_map_delete_elem(c->config_hi_fd, &key);
	return r == -ENOENT ? 0 : r;
}

/* The slot whose counts are this device's (+1), or 0. */
static __u32 slot_of(const struct xv_classifier *c, int ifindex)
{
	for (__u32 s = 0; s < XV_CLS_SLOTS; s++)
		if (c->slot_owner[s] == ifindex)
			return s + 1;
	return 0;
}

/* A free slot for a device, its counts zero (+1); 0 if none is free:
 * then its counts go to the hash. */
static __u32 take_slot(struct xv_classifier *c, int ifindex)
{
	for (__u32 s = 0; s < XV_CLS_SLOTS; s++) {
		if (c->slot_owner[s] != 0)
			continue;
		if (bpf_map_update_elem(c->slots_fd, &s, c->zero_counts, BPF_ANY) != 0)
			return 0;
		c->slot_owner[s] = ifindex;
		return s + 1;
	}
	return 0;
}

/*
 * What a listed device still lacks to be counted, done: its MACs (and
 * slot) in the maps, our programs on its hooks, its counts made (here
 * rather than by the first frame counted, in the datapath; those an
 * earlier run left are kept).  0, or -errno with *what saying which
 * step failed.
 */
static int bring_up(struct xv_classifier *c, struct cls_dev *d, const char **what)
{
	__u32 key = (__u32)d->ifindex;
	int r;

	if (!d->configured) {
		r = set_config(c, d->ifindex, &d->cfg);
		if (r < 0) {
			*what = "cannot store its MACs for the programs";
			return r;
		}
		d->configured = true;
	}
	if (!d->hooked) {
		r = c->hooks->attach(&c->hook_ctx, d->ifindex, what);
		if (r < 0)
			return r;
		d->hooked = true;
	}
	if (!d->has_counts) {
		/* A slot's counts were zeroed when it was taken, or are an
		 * earlier run's; without one, its entry in the hash. */
		r = d->cfg.slot1 ? 0 : bpf_map_update_elem(c->counts_fd, &key,
							    c->zero_counts, BPF_NOEXIST);
		if (r < 0 && r != -EEXIST) {
			*what = "cannot make its counts";
			return r;
		}
		d->has_counts = true;
	}
	return 0;
}

static int order_dev(const void *key, const void *item)
{
	return xv_order_u32((unsigned int)*(const int *)key,
			    (unsigned int)((const struct cls_dev *)item)->ifindex);
}

static bool listed(const struct xv_classified *devs, size_t n, int ifindex)
{
	for (size_t lo = 0, hi = n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (devs[mid].ifindex == ifindex)
			return true;
		if (devs[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* A slot an earlier run gave a device is its own again. */
static void inherit_slot(struct xv_classifier *c, int ifindex, __u32 slot1)
{
	if (slot1 >= 1 && slot1 <= XV_CLS_SLOTS && c->slot_owner[slot1 - 1] == 0)
		c->slot_owner[slot1 - 1] = ifindex;
}

/*
 * The first follow of a run: an earlier run that crashed left its hooks
 * on devices and its MACs in the (pinned) config map.  Devices listed
 * now get theirs replaced when hooked; every other device loses ours,
 * and the config map keeps only the listed devices.  (Should the
 * earlier run have used the other kind of hook, all of those go.)
 * Counts stay: read() forgets those of devices gone.
 */
struct listing {
	const struct xv_classified *devs;
	size_t n;
};

static bool is_listed(void *ctx, int ifindex)
{
	const struct listing *l = ctx;

	return listed(l->devs, l->n, ifindex);
}

static void clean_up_after_earlier_run(struct xv_classifier *c,
				       const struct xv_classified *devs, size_t n)
{
	struct listing now = {devs, n};
	__u32 key, next;
	bool first = true;

	c->hooks->clean_earlier(&c->hook_ctx, is_listed, &now);
	if (c->other_hooks)
		c->other_hooks->clean_earlier(&c->hook_ctx, NULL, NULL);
	/* The earlier run's configs: the slots they name stay their
	 * devices' (listed devices count on in them; the others' counts
	 * are read until forgotten); those of devices not listed go (in
	 * the hash, a deleted key is never the walk's cursor: get_next_key
	 * on a key that is gone would start over). */
	for (__u32 k = 1; k < XV_CLS_DIRECT; k++) {
		struct xv_cls_config cfg;

		if (bpf_map_lookup_elem(c->config_fd, &k, &cfg) != 0 ||
		    (cfg.nmacs == 0 && cfg.slot1 == 0))
			continue;
		inherit_slot(c, (int)k, cfg.slot1);
		if (!listed(devs, n, (int)k))
			set_config(c, (int)k, NULL);
	}
	while (bpf_map_get_next_key(c->config_hi_fd, first ? NULL : &key, &next) == 0) {
		struct xv_cls_config cfg;

		if (bpf_map_lookup_elem(c->config_hi_fd, &next, &cfg) == 0)
			inherit_slot(c, (int)next, cfg.slot1);
		if (!listed(devs, n, (int)next) &&
		    bpf_map_delete_elem(c->config_hi_fd, &next) == 0)
			continue;
		key = next;
		first = false;
	}
}

/* Has this follow spent its time for hooking? */
static bool budget_spent(const struct xv_classifier *c, const struct timespec *start)
{
	struct timespec now;
	double ms;

	if (c->budget_ms == UINT_MAX)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - start->tv_sec) * 1e3 +
	     (double)(now.tv_nsec - start->tv_nsec) / 1e6;
	return ms >= (double)c->budget_ms;
}

/* Devices waiting to be hooked are said when they begin to wait, and
 * when the last of them is hooked, with how long that took: an agent
 * serving a thousand vifs on tcx takes about half a minute. */
static void say_backlog(struct xv_classifier *c, size_t waiting, size_t hooked,
			const struct timespec *start)
{
	struct timespec end;

	if (!c->waiting && !waiting)
		return;
	if (!c->waiting) {
		c->backlog_since = *start;
		c->backlog_hooked = 0;
		xv_say(&c->log, XV_LOG_INFO, "eBPF classifier: %zu devices wait for "
		       "their %s (each takes the kernel a while): hooked a few at a "
		       "time, the agent answering between; a device's traffic is "
		       "split once it is hooked", waiting, c->hooks->what);
	}
	c->backlog_hooked += hooked;
	c->waiting = waiting;
	if (waiting)
		return;
	clock_gettime(CLOCK_MONOTONIC, &end);
	xv_say(&c->log, XV_LOG_NOTICE, "eBPF classifier: every device is hooked "
	       "now, %zu of them in %.1f s", c->backlog_hooked,
	       (double)(end.tv_sec - c->backlog_since.tv_sec) +
		       (double)(end.tv_nsec - c->backlog_since.tv_nsec) / 1e9);
}

/*
 * Devices someone else took our programs off (tc filters go with a
 * clsact qdisc an operator deletes) are hooked again by this follow and
 * said: what they sent and received meanwhile went uncounted, so was
 * taken as addressed.  Looked for at most once a second, the hooks'
 * own way (a dump of every device's qdiscs for tc filters); tcx links,
 * which only we take off, are not looked for.
 */
static void notice_lost_hooks(struct xv_classifier *c, const struct timespec *now)
{
	char name[IF_NAMESIZE + 16];
	int *ifindexes = NULL;
	bool *on = NULL;
	size_t n = 0, k = 0;

	if (!c->hooks->still_on || !c->ndevs ||
	    (now->tv_sec - c->lost_checked.tv_sec) * 1000000000L +
			    (now->tv_nsec - c->lost_checked.tv_nsec) < 1000000000L)
		return;
	c->lost_checked = *now;
	ifindexes = malloc(c->ndevs * sizeof *ifindexes);
	on = malloc(c->ndevs * sizeof *on);
	if (!ifindexes || !on)
		goto out; /* looked for at the next follow */
	for (size_t i = 0; i < c->ndevs; i++)
		if (c->devs[i].hooked)
			ifindexes[n++] = c->devs[i].ifindex;
	if (!n || c->hooks->still_on(ifindexes, n, on) < 0)
		goto out;
	for (size_t i = 0; i < c->ndevs; i++) {
		struct cls_dev *d = &c->devs[i];

		if (!d->hooked || on[k++])
			continue;
		d->hooked = false;
		xv_say(&c->log, XV_LOG_WARNING, "eBPF classifier: %s: our %s were "
		       "taken off (its clsact qdisc deleted?); putting them back. "
		       "What it sent and received meanwhile was not split: it "
		       "counts as addressed", xv_cls_dev_name(d->ifindex, name),
		       c->hooks->what);
	}
out:
	free(ifindexes);
	free(on);
}

static int compare_classified(const void *a, const void *b)
{
	const struct xv_classified *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

int xv_classifier_follow(struct xv_classifier *c, const struct xv_classified *devs,
			 size_t n)
{
	struct xv_classified *sorted = NULL;
	struct cls_dev *next;
	struct timespec start;
	size_t i = 0, j = 0, k = 0, waiting = 0, hooked = 0;
	bool tried = false;

	/* The contract says sorted; a caller's slip costs a copy, not a
	 * device hooked twice. */
	for (size_t x = 1; x < n; x++) {
		if (devs[x - 1].ifindex >= devs[x].ifindex) {
			sorted = malloc(n * sizeof *sorted);
			if (!sorted)
				return -ENOMEM;
			memcpy(sorted, devs, n * sizeof *sorted);
			qsort(sorted, n, sizeof *sorted, compare_classified);
			devs = sorted;
			break;
		}
	}
	next = n ? calloc(n, sizeof *next) : NULL;
	if (n && !next) {
		free(sorted);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (!c->followed) {
		clean_up_after_earlier_run(c, devs, n);
		c->followed = true;
	}
	notice_lost_hooks(c, &start);
	/* Merge the devices followed with those listed now. */
	while (i < c->ndevs || j < n) {
		struct cls_dev *old = i < c->ndevs ? &c->devs[i] : NULL;
		const struct xv_classified *now = j < n ? &devs[j] : NULL;
		struct cls_dev *d;
		const char *what;
		char name[IF_NAMESIZE + 16];
		unsigned int nmacs;
		bool was_hooked;
		int r;

		if (old && (!now || old->ifindex < now->ifindex)) {
			/* No longer listed. */
			c->hooks->detach(&c->hook_ctx, old->ifindex);
			set_config(c, old->ifindex, NULL);
			i++;
			continue;
		}
		if (now && k > 0 && next[k - 1].ifindex == now->ifindex) {
			j++; /* listed twice: the first stands */
			continue;
		}
		d = &next[k++];
		if (old && old->ifindex == now->ifindex) {
			*d = *old;
			i++;
		} else {
			/* New: its config is written even if it has no MACs,
			 * over what an earlier run may have left at its index.
			 * Its slot: the one it had (followed before, by this
			 * run or by one that crashed), else a free one. */
			d->ifindex = now->ifindex;
			d->cfg.slot1 = slot_of(c, d->ifindex);
			if (!d->cfg.slot1)
				d->cfg.slot1 = take_slot(c, d->ifindex);
		}
		j++;
		nmacs = now->nmacs < XV_CLS_MACS ? now->nmacs : XV_CLS_MACS;
		if (d->cfg.nmacs != nmacs ||
		    memcmp(d->cfg.macs, now->macs, nmacs * 6) != 0) {
			memset(d->cfg.macs, 0, sizeof d->cfg.macs);
			memcpy(d->cfg.macs, now->macs, nmacs * 6);
			d->cfg.nmacs = nmacs;
			d->configured = false;
		}
		if (d->configured && d->hooked && d->has_counts)
			continue;
		if (!d->hooked) {
			/* Hooking is what takes time; at least one device a
			 * follow, whatever the budget, so that all get there. */
			if (tried && budget_spent(c, &start)) {
				waiting++;
				continue;
			}
			tried = true;
		}
		was_hooked = d->hooked;
		r = bring_up(c, d, &what);
		hooked += !was_hooked && d->hooked;
		if (r == 0) {
			if (d->failed)
				xv_say(&c->log, XV_LOG_NOTICE, "eBPF classifier: %s is "
				       "counted now", xv_cls_dev_name(d->ifindex, name));
			d->failed = false;
		} else if (r != -ENODEV && !d->failed) {
			/* Gone meanwhile (ENODEV) is no news: it leaves the list. */
			xv_say(&c->log, XV_LOG_WARNING, "eBPF classifier: %s: %s: %s; "
			       "its traffic is not split until it can be (tried again "
			       "at each follow)", xv_cls_dev_name(d->ifindex, name), what,
			       strerror(-r));
			d->failed = true;
		}
	}
	free(c->devs);
	c->devs = next;
	c->ndevs = k;
	free(sorted);
	say_backlog(c, waiting, hooked, &start);
	return 0;
}

void xv_classifier_set_budget(struct xv_classifier *c, unsigned int ms)
{
	c->budget_ms = ms;
}

size_t xv_classifier_waiting(const struct xv_classifier *c)
{
	return c->waiting;
}

bool xv_classifier_counts(const struct xv_classifier *c, int ifindex)
{
	const struct cls_dev *d;

	if (!c || c->ndevs == 0)
		return false;
	d = xv_find_sorted(c->devs, c->ndevs, sizeof *d, &ifindex, order_dev);
	return d && d->configured && d->hooked && d->has_counts && d->cfg.nmacs > 0;
}

/* ---- reading ------------------------------------------------------------ */

/* Sums the per-CPU values of one entry into a reading: of a slot
 * (slot1, its owner's) or of the hash (slot1 0, key ifindex). */
static int add_reading(struct xv_classifier *c, __u32 ifindex, __u32 slot1,
		       const void *percpu)
{
	const size_t stride = COUNTS_STRIDE;
	struct cls_reading *r;
	struct cls_reading *grown = xv_grow(c->readings, &c->readings_cap,
					    c->nreadings, sizeof *grown, 64);

	if (!grown)
		return -ENOMEM;
	c->readings = grown;
	r = &c->readings[c->nreadings++];
	memset(r, 0, sizeof *r);
	r->ifindex = ifindex;
	r->slot1 = slot1;
	r->in_hash = slot1 == 0;
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		struct xv_cls_counts v;

		memcpy(&v, (const char *)percpu + (size_t)cpu * stride, sizeof v);
		for (int x = 0; x < XV_CLS_NCOUNTS; x++)
			r->v[x] += v.v[x];
	}
	return 0;
}

/* One entry of either map, as read: the slots' only if owned. */
static int take_entry(struct xv_classifier *c, int fd, __u32 key, const void *percpu)
{
	if (fd == c->counts_fd)
		return add_reading(c, key, 0, percpu);
	if (key < XV_CLS_SLOTS && c->slot_owner[key] != 0)
		return add_reading(c, (__u32)c->slot_owner[key], key + 1, percpu);
	return 0;
}

/* Every entry of a map (the slots or the hash), a batch of many at a
 * time (kernel 5.6 and later); of the slots, those up to the highest
 * owned (slots are taken lowest first). */
static int read_batches(struct xv_classifier *c, int fd)
{
	__u32 left = UINT32_MAX;
	const size_t stride = COUNTS_STRIDE;
	/* Batches of about a megabyte of values, whatever the CPUs. */
	__u32 chunk = (__u32)(1048576 / ((size_t)c->ncpus * stride));
	__u32 in_batch = 0, out_batch = 0, count;
	__u32 *keys = NULL;
	void *values = NULL;
	bool first = true;
	int r = 0;

	if (chunk < 16)
		chunk = 16;
	if (fd == c->slots_fd) {
		left = 0;
		for (__u32 s = 0; s < XV_CLS_SLOTS; s++)
			if (c->slot_owner[s])
				left = s + 1;
	}
	while (left > 0) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);

		if (!keys) {
			keys = malloc(chunk * sizeof *keys);
			values = malloc((size_t)chunk * (size_t)c->ncpus * stride);
			if (!keys || !values) {
				r = -ENOMEM;
				break;
			}
		}
		count = chunk < left ? chunk : left;
		r = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys,
					 values, &count, &opts);
		if (r < 0 && r != -ENOENT) {
			if (r == -ENOSPC && count == 0) {
				/* One hash bucket holds more than a batch. */
				free(keys);
				free(values);
				keys = values = NULL;
				chunk *= 2;
				continue;
			}
			break;
		}
		for (__u32 x = 0; x < count; x++) {
			int e = take_entry(c, fd, keys[x],
					   (char *)values + (size_t)x * c->ncpus * stride);

			if (e < 0) {
				r = e;
				goto out;
			}
		}
		if (r == -ENOENT) {
			r = 0; /* the end */
			break;
		}
		if (left != UINT32_MAX)
			left -= count;
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(values);
	return r;
}

/* The same one key at a time (older kernels). */
static int read_keys(struct xv_classifier *c, int fd)
{
	const size_t stride = COUNTS_STRIDE;
	void *values = malloc((size_t)c->ncpus * stride);
	__u32 key, next;
	bool first = true;
	int r = 0;

	if (!values)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (fd == c->slots_fd && (key >= XV_CLS_SLOTS || !c->slot_owner[key]))
			continue;
		if (bpf_map_lookup_elem(fd, &key, values) != 0)
			continue; /* deleted meanwhile */
		r = take_entry(c, fd, key, values);
		if (r < 0)
			break;
	}
	free(values);
	return r;
}

static int order_reading(const void *key, const void *item)
{
	return xv_order_u32(*(const __u32 *)key,
			    ((const struct cls_reading *)item)->ifindex);
}

static int compare_readings(const void *a, const void *b)
{
	const struct cls_reading *x = a, *y = b;

	return xv_order_u32(x->ifindex, y->ifindex);
}

static struct xv_link *find_link(struct xv_linkset *set, int ifindex)
{
	return set ? (struct xv_link *)xv_linkset_find(set, ifindex) : NULL;
}

static void put_split(struct xv_link *link, const struct cls_reading *r)
{
	for (int x = 0; x < XV_CLS_NCOUNTS; x++)
		link->stats.v[XV_NKERNEL_COUNTERS + x] = r ? r->v[x] : 0;
	link->split_known = true;
}

/* Reads both maps, with batches where the kernel can. */
static int read_maps(struct xv_classifier *c)
{
	const int fds[2] = {c->slots_fd, c->counts_fd};
	int r = 0;

	c->nreadings = 0;
	for (int i = 0; i < 2 && r == 0; i++) {
		if (!c->no_batch) {
			r = read_batches(c, fds[i]);
			if (r == -EINVAL || r == -ENOTSUP || r == -EOPNOTSUPP) {
				/* A kernel before 5.6: no batches. */
				c->no_batch = true;
				c->nreadings = 0;
				i = -1;
				r = 0;
				xv_say(&c->log, XV_LOG_INFO, "eBPF classifier: the kernel "
				       "cannot read maps in batches; reading one device "
				       "at a time");
				continue;
			}
		} else {
			r = read_keys(c, fds[i]);
		}
	}
	return r;
}

/* The readings sorted by ifindex, a device's slot and hash entry (if it
 * has both: all slots were taken when it was first followed, one was
 * free later) summed into one. */
static void merge_readings(struct xv_classifier *c)
{
	size_t k = 0;

	if (c->nreadings > 1)
		qsort(c->readings, c->nreadings, sizeof *c->readings, compare_readings);
	for (size_t x = 0; x < c->nreadings; x++) {
		struct cls_reading *r = &c->readings[x];

		if (k > 0 && c->readings[k - 1].ifindex == r->ifindex) {
			struct cls_reading *into = &c->readings[k - 1];

			for (int v = 0; v < XV_CLS_NCOUNTS; v++)
				into->v[v] += r->v[v];
			into->slot1 = into->slot1 ? into->slot1 : r->slot1;
			into->in_hash = into->in_hash || r->in_hash;
			continue;
		}
		c->readings[k++] = *r;
	}
	c->nreadings = k;
}

/*
 * A device in neither set: its counts are forgotten (the slot zeroed,
 * and freed unless the device is still followed: the caller has not
 * followed without it yet; the hash entry deleted, made again at its
 * next follow), its config too if it is not followed.
 */
static void forget(struct xv_classifier *c, const struct cls_reading *r)
{
	int ifindex = (int)r->ifindex;
	__u32 key = r->ifindex, slot = r->slot1 - 1;
	struct cls_dev *d = c->ndevs ? xv_find_sorted(c->devs, c->ndevs, sizeof *c->devs,
						      &ifindex, order_dev) : NULL;

	if (r->in_hash) {
		bpf_map_delete_elem(c->counts_fd, &key);
		if (d && !d->cfg.slot1)
			d->has_counts = false;
	}
	if (r->slot1) {
		bpf_map_update_elem(c->slots_fd, &slot, c->zero_counts, BPF_ANY);
		if (!d || d->cfg.slot1 != r->slot1)
			c->slot_owner[slot] = 0;
	}
	if (!d)
		set_config(c, ifindex, NULL);
}

int xv_classifier_read(struct xv_classifier *c, struct xv_linkset *links,
		       struct xv_linkset *gone, char *err, size_t errlen)
{
	int r = read_maps(c);

	if (r < 0) {
		snprintf(err, errlen, "eBPF classifier: cannot read the counts: %s",
			 strerror(-r));
		return r;
	}
	merge_readings(c);

	for (size_t x = 0; links && x < links->n; x++) {
		struct xv_link *link = &links->links[x];
		__u32 key = (__u32)link->ifindex;

		if (xv_classifier_counts(c, link->ifindex)) {
			/* No entry: nothing of the split was seen. */
			put_split(link, c->nreadings ? xv_find_sorted(
				c->readings, c->nreadings, sizeof *c->readings, &key,
				order_reading) : NULL);
		} else {
			memset(&link->stats.v[XV_NKERNEL_COUNTERS], 0,
			       XV_CLS_NCOUNTS * sizeof link->stats.v[0]);
			link->split_known = false;
		}
	}
	for (size_t x = 0; gone && x < gone->n; x++) {
		struct xv_link *link = &gone->links[x];
		__u32 key = (__u32)link->ifindex;
		const struct cls_reading *rd = c->nreadings ? xv_find_sorted(
			c->readings, c->nreadings, sizeof *c->readings, &key,
			order_reading) : NULL;

		/* A deleted device's last counts: its entry, if it was
		 * counted (it may have left the followed list already). */
		if (rd || xv_classifier_counts(c, link->ifindex))
			put_split(link, rd);
	}
	/* Counts of devices in neither are forgotten: their devices are
	 * gone and their last counts were taken (or never will be). */
	for (size_t x = 0; x < c->nreadings; x++) {
		int ifindex = (int)c->readings[x].ifindex;

		if (!find_link(links, ifindex) && !find_link(gone, ifindex))
			forget(c, &c->readings[x]);
	}
	return 0;
}

/* ---- closing -------------------------------------------------------------- */

void xv_classifier_close(struct xv_classifier *c)
{
	struct bpf_map *map;

	if (!c)
		return;
	for (size_t i = 0; i < c->ndevs; i++)
		c->hooks->detach(&c->hook_ctx, c->devs[i].ifindex);
	if (c->skel) {
		bpf_object__for_each_map(map, c->skel->obj)
			bpf_map__unpin(map, NULL);
	}
	if (rmdir(c->pin_dir) != 0 && errno != ENOENT)
		xv_say(&c->log, XV_LOG_WARNING, "eBPF classifier: cannot remove %s: %s",
		       c->pin_dir, strerror(errno));
	xv_classify_bpf__destroy(c->skel);
	if (libbpf_log == &c->log)
		libbpf_log = NULL;
	free(c->devs);
	free(c->readings);
	free(c->zero_counts);
	free(c->pin_dir);
	free(c);
}

bool xv_classifier_counts_continue(const struct xv_classifier *c)
{
	return c->counts_reused;
}
