/* SPDX-License-Identifier: ISC */
/*
 * The classifier's programs as tc filters on a device's clsact qdisc
 * (classifier_hooks.h): the way on every kernel with clsact (4.5).
 *
 * Our filters have one fixed place on every hook, handle XV_TC_HANDLE at
 * priority XV_TC_PRIORITY, and are attached with BPF_TC_F_REPLACE: an
 * agent started again after a crash replaces the filters it left (whose
 * programs it can no longer reach) instead of adding a second, and
 * anyone can tell them from others (tc filter show dev vif1.0 egress).
 * The priority is below tc's default for filters added without one
 * (49152 and down), so we see the frames before a filter an operator
 * added can drop or redirect them; "XV" in ASCII.  The filters hold the
 * programs: nothing of these is pinned.
 */
#include "classifier_hooks.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xenvif/log.h"
#include "xenvif/netlink.h"

#define XV_TC_HANDLE 0x58564946u  /* "XVIF" */
#define XV_TC_PRIORITY 0x5856u    /* "XV": tc's pref 22614 */

static const enum bpf_tc_attach_point hook_points[2] = {BPF_TC_INGRESS, BPF_TC_EGRESS};
static const char *const hook_names[2] = {"ingress", "egress"};

/* Does this message end a dump's answer?  *r: 1 at its end, -errno on
 * the kernel's refusal. */
static bool dump_ends(const struct nlmsghdr *nh, int *r)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);

	if (nh->nlmsg_type == NLMSG_DONE) {
		*r = 1;
		return true;
	}
	if (nh->nlmsg_type != NLMSG_ERROR)
		return false;
	*r = nh->nlmsg_len < NLMSG_LENGTH(sizeof *e) || e->error >= 0 ? -EPROTO : e->error;
	return true;
}

/* One message of a filter dump: 1 at its end, -errno on a refusal. */
struct filter_count {
	__u32 seq;
	int n;
};

static int count_filter_msg(void *ctx, const struct nlmsghdr *nh)
{
	struct filter_count *fc = ctx;
	int r;

	if (nh->nlmsg_seq != fc->seq)
		return 0;
	if (dump_ends(nh, &r))
		return r;
	if (nh->nlmsg_type == RTM_NEWTFILTER)
		fc->n++;
	return 0;
}

/*
 * Sends one rtnetlink request and walks what the kernel answers with
 * fn (xv_netlink_walk) until fn says it is done: fn's non-zero value,
 * or -errno.
 */
static int ask_kernel(const struct nlmsghdr *req,
		      int (*fn)(void *ctx, const struct nlmsghdr *nh), void *ctx)
{
	struct timeval tv = {.tv_sec = 5};
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, r = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* The kernel answers at once; a bound on the wait all the same. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		r = -errno;
	while (r == 0) {
		ssize_t got = recv(fd, buf, sizeof buf, 0);

		if (got < 0)
			r = -errno;
		else if (got == 0)
			r = -EPROTO;
		else
			r = xv_netlink_walk(buf, (size_t)got, fn, ctx);
	}
	close(fd);
	return r;
}

/*
 * A dump of tc's objects of one kind (RTM_GETTFILTER, RTM_GETQDISC): of
 * a device's hook, or (ifindex 0) of every device; request seq 1, its
 * answers walked with fn as ask_kernel does.
 */
static int dump_tc(__u16 type, int ifindex, __u32 parent,
		   int (*fn)(void *ctx, const struct nlmsghdr *nh), void *ctx)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
			.nlmsg_type = type,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.tc = {
			.tcm_family = AF_UNSPEC,
			.tcm_ifindex = ifindex,
			.tcm_parent = parent,
		},
	};

	return ask_kernel(&req.nh, fn, ctx);
}

/*
 * How many filters a hook of the device holds (any kind, any chain),
 * from an RTM_GETTFILTER dump; -errno if it cannot tell.  A dump gives
 * a message per priority and one per filter: any message means the
 * hook is in use.
 */
static int count_filters(int ifindex, __u32 parent)
{
	struct filter_count fc = {.seq = 1};
	int r = dump_tc(RTM_GETTFILTER, ifindex, parent, count_filter_msg, &fc);

	return r < 0 ? r : fc.n;
}

/* The answer to a qdisc's get: 1 for the qdisc (or the kernel's ack
 * of the get, which it gives only for a qdisc found), -errno on a
 * refusal. */
static int qdisc_answer_msg(void *ctx, const struct nlmsghdr *nh)
{
	const __u32 *seq = ctx;

	if (nh->nlmsg_seq != *seq)
		return 0;
	if (nh->nlmsg_type == RTM_NEWQDISC)
		return 1;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *e) || e->error > 0)
			return -EPROTO;
		return e->error == 0 ? 1 : e->error;
	}
	return 0;
}

/*
 * Is the qdisc on the device's ingress side, where clsact goes, a
 * clsact (1) or another (0: the older "ingress" qdisc an operator's
 * policing may use, or none)?  -errno if the kernel cannot tell.  An
 * RTM_GETQDISC for that place naming the kind "clsact": the kernel
 * answers with the qdisc if it is of that kind, refuses with EINVAL
 * if it is of another, with ENOENT if there is none.
 */
static int clsact_there(int ifindex)
{
	static const char kind[] = "clsact";
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
		struct rtattr kind_attr;
		char kind[8];
	} req = {
		.nh = {
			.nlmsg_len = sizeof req,
			.nlmsg_type = RTM_GETQDISC,
			/* Echo: kernels before 6.10 send the qdisc to
			 * the asker only so; ack: the end of the answer. */
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ECHO | NLM_F_ACK,
			.nlmsg_seq = 1,
		},
		.tc = {
			.tcm_family = AF_UNSPEC,
			.tcm_ifindex = ifindex,
			.tcm_parent = TC_H_CLSACT,
		},
		.kind_attr = {
			.rta_len = RTA_LENGTH(sizeof kind),
			.rta_type = TCA_KIND,
		},
	};
	__u32 seq = 1;
	int r;

	_Static_assert(sizeof req == NLMSG_LENGTH(sizeof(struct tcmsg)) +
		       RTA_SPACE(sizeof kind), "the request is one tcmsg and "
		       "one attribute");
	memcpy(req.kind, kind, sizeof kind);
	r = ask_kernel(&req.nh, qdisc_answer_msg, &seq);
	if (r == 1)
		return 1;
	return r == -EINVAL || r == -ENOENT ? 0 : r;
}

/*
 * Once our filters are off a device, its clsact qdisc goes too if
 * nothing else uses it, so that a stopped agent leaves the device as
 * it found it (if it had no clsact).  One that holds other filters
 * stays, whoever made it.  (Between the dump and the delete someone
 * could add a filter; tc's own tools have the same window.)
 */
static void remove_clsact_if_empty(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)) != 0 ||
	    count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)) != 0)
		return;
	bpf_tc_hook_destroy(&hook);
}

/* A dump of the qdiscs: which of the devices listed have a clsact. */
struct clsact_scan {
	__u32 seq;
	const int *ifindexes; /* ascending */
	size_t n;
	bool *on;
};

static int compare_ifindex(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int clsact_scan_msg(void *ctx, const struct nlmsghdr *nh)
{
	static const char kind[] = "clsact";
	struct clsact_scan *scan = ctx;
	const struct tcmsg *tc = NLMSG_DATA(nh);
	const int *at;
	size_t off;
	int r;

	if (nh->nlmsg_seq != scan->seq)
		return 0;
	if (dump_ends(nh, &r))
		return r;
	if (nh->nlmsg_type != RTM_NEWQDISC || nh->nlmsg_len < NLMSG_LENGTH(sizeof *tc) ||
	    tc->tcm_parent != TC_H_CLSACT)
		return 0;
	at = bsearch(&tc->tcm_ifindex, scan->ifindexes, scan->n, sizeof *at,
		     compare_ifindex);
	if (!at)
		return 0;
	/* Its kind, from the attributes after the tcmsg. */
	for (off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof *tc)); off + sizeof(struct rtattr) <= nh->nlmsg_len;) {
		const struct rtattr *a = (const void *)((const char *)nh + off);

		if (a->rta_len < sizeof *a || off + a->rta_len > nh->nlmsg_len)
			break;
		if (a->rta_type == TCA_KIND && RTA_PAYLOAD(a) >= sizeof kind &&
		    memcmp(RTA_DATA(a), kind, sizeof kind) == 0)
			scan->on[at - scan->ifindexes] = true;
		off += RTA_ALIGN(a->rta_len);
	}
	return 0;
}

/*
 * Our filters go with the device's clsact qdisc when someone deletes it
 * (tc qdisc del dev vif1.0 clsact, a shaping script starting afresh):
 * the devices listed without one have surely lost them.  One dump of
 * every device's qdiscs a follow.
 */
static int tc_still_on(const int *ifindexes, size_t n, bool *on)
{
	struct clsact_scan scan = {.seq = 1, .ifindexes = ifindexes, .n = n, .on = on};
	int r;

	for (size_t i = 0; i < n; i++)
		on[i] = false;
	r = dump_tc(RTM_GETQDISC, 0, 0, clsact_scan_msg, &scan);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			on[i] = true;
		return r;
	}
	return 0;
}

/* Takes our filter off one hook; 0, or -errno (none there: 0). */
static int detach_one(int ifindex, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = hook_points[dir]);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XV_TC_HANDLE,
		    .priority = XV_TC_PRIORITY);
	int r = bpf_tc_detach(&hook, &opts);

	/* No such filter, no clsact, no device: nothing of ours there. */
	if (r == -ENOENT || r == -EINVAL || r == -ENODEV)
		return 0;
	return r;
}

/* Takes our filters off a device, and its clsact if it is then empty.
 * A device gone meanwhile took them with it. */
static void tc_detach(const struct cls_hook_ctx *h, int ifindex)
{
	char name[IF_NAMESIZE + 16];
	int r;

	for (int dir = 0; dir < 2; dir++) {
		r = detach_one(ifindex, dir);
		if (r < 0)
			xv_say(h->log, XV_LOG_WARNING, "eBPF classifier: cannot take "
			       "the %s filter off %s: %s", hook_names[dir],
			       xv_cls_dev_name(ifindex, name), strerror(-r));
	}
	remove_clsact_if_empty(ifindex);
}

/* Puts our filters on a device's hooks (replacing ours of an earlier
 * run); 0 or -errno, with nothing of ours left on failure. */
static int tc_attach(const struct cls_hook_ctx *h, int ifindex, const char **what)
{
	LIBBPF_OPTS(bpf_tc_hook, qdisc, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int r;

	*what = "cannot add a clsact qdisc";
	r = bpf_tc_hook_create(&qdisc);
	if (r == -EEXIST) {
		/* A qdisc is there already: a clsact (ours of an earlier
		 * run, or someone's) takes our filters beside its own.  The
		 * older "ingress" qdisc must not: it has one filter block,
		 * which both our places would name, so the egress program
		 * would replace the ingress one and count what the guest
		 * sends as sent to it. */
		r = clsact_there(ifindex);
		if (r == 0) {
			*what = "its ingress side holds an ingress qdisc, not "
				"clsact (an operator's policing?), and tc filters "
				"need clsact (tcx links, Linux 6.6, do not)";
			return -EBUSY;
		}
		if (r < 0) {
			*what = "cannot tell its ingress side's qdisc";
			return r;
		}
	} else if (r < 0) {
		return r;
	}
	for (int dir = 0; dir < 2; dir++) {
		LIBBPF_OPTS(bpf_tc_hook, point, .ifindex = ifindex,
			    .attach_point = hook_points[dir]);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XV_TC_HANDLE,
			    .priority = XV_TC_PRIORITY, .prog_fd = h->prog_fd[dir],
			    .flags = BPF_TC_F_REPLACE);

		r = bpf_tc_attach(&point, &opts);
		if (r < 0) {
			*what = dir == 0 ? "cannot attach the ingress filter"
					 : "cannot attach the egress filter";
			if (dir == 1)
				detach_one(ifindex, 0);
			remove_clsact_if_empty(ifindex);
			return r;
		}
	}
	return 0;
}


/* Is the program of this id one of ours (by its name)?  Filters at our
 * place are ours by construction; the name guards against a stranger
 * who chose the same handle and priority.  Reaching a program by its id
 * takes CAP_SYS_ADMIN: an agent with only CAP_BPF and CAP_NET_ADMIN
 * goes by the place alone. */
static bool prog_is_ours(__u32 id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof info;
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours;

	if (fd < 0)
		return fd == -EPERM || fd == -EACCES;
	memset(&info, 0, sizeof info);
	ours = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	       (strcmp(info.name, "xv_ingress") == 0 ||
		strcmp(info.name, "xv_egress") == 0);
	close(fd);
	return ours;
}


/*
 * At a run's first follow: an earlier run that crashed left its filters
 * on devices.  Those of devices to keep are replaced by tc_attach();
 * every other device of the namespace (if_nameindex: the kernel's list,
 * whatever the agent's collector serves) loses ours.
 */
static void tc_clean_earlier(const struct cls_hook_ctx *h,
			     bool (*keep)(void *ctx, int ifindex), void *keep_ctx)
{
	struct if_nameindex *ifs = if_nameindex();

	for (struct if_nameindex *i = ifs; i && i->if_index; i++) {
		int ifindex = (int)i->if_index;
		bool found = false;

		if (keep && keep(keep_ctx, ifindex))
			continue;
		for (int dir = 0; dir < 2; dir++) {
			LIBBPF_OPTS(bpf_tc_hook, point, .ifindex = ifindex,
				    .attach_point = hook_points[dir]);
			LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XV_TC_HANDLE,
				    .priority = XV_TC_PRIORITY);

			if (bpf_tc_query(&point, &opts) == 0 && prog_is_ours(opts.prog_id) &&
			    detach_one(ifindex, dir) == 0)
				found = true;
		}
		if (found) {
			remove_clsact_if_empty(ifindex);
			xv_say(h->log, XV_LOG_NOTICE, "eBPF classifier: took the filters "
			       "an earlier run left off %s", i->if_name);
		}
	}
	if (ifs)
		if_freenameindex(ifs);
}

const struct cls_hooks xv_cls_tc_hooks = {
	.what = "tc filters",
	.attach = tc_attach,
	.detach = tc_detach,
	.clean_earlier = tc_clean_earlier,
	.still_on = tc_still_on,
};
