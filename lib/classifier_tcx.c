/* SPDX-License-Identifier: ISC */
/*
 * The classifier's programs as tcx links (classifier_hooks.h): Linux 6.6
 * and later, where a device's ingress and egress hooks call a list of
 * programs directly.  Against a tc filter it saves the filter chain's
 * walk and cls_bpf's call, about two thirds of what a tc program costs a
 * packet (bench/classifier.md).
 *
 * A link lives as long as something holds it; ours are pinned in the
 * pin directory, beside the maps (xv_link_IFINDEX_in, _out), so that
 * they keep counting while the agent is down, and an agent started
 * again takes them over: it swaps its programs into them in place
 * (BPF_LINK_UPDATE: no frame goes uncounted, none is counted twice).
 * Removing the pin detaches the link.  A device deleted takes its links
 * off itself; their pins are then defunct, and go at the next follow.
 *
 * Ours go first on each hook (BPF_F_BEFORE), so that we see every frame
 * before another program can drop or redirect it; they always return
 * TCX_NEXT (TC_ACT_UNSPEC), so what follows, tcx programs and a clsact
 * qdisc's filters alike, runs as it would without them.
 */
#include "classifier_hooks.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xenvif/log.h"

/* Linux 6.6's uapi (the headers may be older than the kernel). */
#define XV_BPF_TCX_INGRESS 46
#define XV_BPF_TCX_EGRESS 47
#define XV_BPF_F_BEFORE (1U << 3)

static const int tcx_types[2] = {XV_BPF_TCX_INGRESS, XV_BPF_TCX_EGRESS};
static const char *const dir_suffix[2] = {"in", "out"};
static const char *const hook_names[2] = {"ingress", "egress"};

int xv_cls_tcx_supported(void)
{
	__u32 count = 0;
	int r = bpf_prog_query(1, (enum bpf_attach_type)XV_BPF_TCX_INGRESS, 0, NULL,
			       NULL, &count);

	/* A kernel without tcx knows no such attach type. */
	return r == 0 ? 1 : r == -EINVAL ? 0 : r;
}

static int pin_path(const struct cls_hook_ctx *h, int ifindex, int dir,
		    char buf[PATH_MAX])
{
	int n = snprintf(buf, PATH_MAX, "%s/xv_link_%d_%s", h->pin_dir, ifindex,
			 dir_suffix[dir]);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Our program on one hook: an earlier run's link taken over, else a new
 * link, pinned.  0 or -errno. */
static int attach_one(const struct cls_hook_ctx *h, int ifindex, int dir)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XV_BPF_F_BEFORE);
	char path[PATH_MAX];
	int fd, r;

	r = pin_path(h, ifindex, dir, path);
	if (r < 0)
		return r;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		r = bpf_link_update(fd, h->prog_fd[dir], NULL);
		close(fd);
		if (r == 0)
			return 0;
		/* Defunct (its device deleted, the ifindex since reused) or
		 * not a link at all: made anew. */
		if (unlink(path) != 0 && errno != ENOENT)
			return -errno;
	}
	fd = bpf_link_create(h->prog_fd[dir], ifindex,
			     (enum bpf_attach_type)tcx_types[dir], &opts);
	if (fd < 0)
		return fd;
	/* Unpinned, the link goes with the descriptor. */
	r = bpf_obj_pin(fd, path);
	close(fd);
	return r;
}

/* One hook's pin removed (the link goes with it); 0, or -errno (none
 * there: 0). */
static int detach_one(const struct cls_hook_ctx *h, int ifindex, int dir)
{
	char path[PATH_MAX];
	int r = pin_path(h, ifindex, dir, path);

	if (r < 0)
		return r;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

static int tcx_attach(const struct cls_hook_ctx *h, int ifindex, const char **what)
{
	for (int dir = 0; dir < 2; dir++) {
		int r = attach_one(h, ifindex, dir);

		if (r < 0) {
			*what = dir == 0 ? "cannot attach the ingress tcx link"
					 : "cannot attach the egress tcx link";
			if (dir == 1)
				detach_one(h, ifindex, 0);
			return r;
		}
	}
	return 0;
}

static void tcx_detach(const struct cls_hook_ctx *h, int ifindex)
{
	char name[IF_NAMESIZE + 16];

	for (int dir = 0; dir < 2; dir++) {
		int r = detach_one(h, ifindex, dir);

		if (r < 0)
			xv_say(h->log, XV_LOG_WARNING, "eBPF classifier: cannot take "
			       "the %s link off %s: %s", hook_names[dir],
			       xv_cls_dev_name(ifindex, name), strerror(-r));
	}
}

/* The links an earlier run pinned, of devices not to keep, unpinned:
 * detached, or (their device gone) forgotten. */
static void tcx_clean_earlier(const struct cls_hook_ctx *h,
			      bool (*keep)(void *ctx, int ifindex), void *keep_ctx)
{
	DIR *d = opendir(h->pin_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char suffix[4], extra, name[IF_NAMESIZE + 16];
		int ifindex;
		bool found = false;

		if (sscanf(e->d_name, "xv_link_%d_%3[a-z]%c", &ifindex, suffix,
			   &extra) != 2 || ifindex <= 0 ||
		    (strcmp(suffix, "in") != 0 && strcmp(suffix, "out") != 0))
			continue;
		if (keep && keep(keep_ctx, ifindex))
			continue;
		/* Both of the device's at once: said once. */
		for (int dir = 0; dir < 2; dir++) {
			char path[PATH_MAX];

			if (pin_path(h, ifindex, dir, path) == 0 && unlink(path) == 0)
				found = true;
		}
		if (found)
			xv_say(h->log, XV_LOG_NOTICE, "eBPF classifier: took the links "
			       "an earlier run left on %s",
			       xv_cls_dev_name(ifindex, name));
	}
	closedir(d);
}

const struct cls_hooks xv_cls_tcx_hooks = {
	.what = "tcx links",
	.attach = tcx_attach,
	.detach = tcx_detach,
	.clean_earlier = tcx_clean_earlier,
};
