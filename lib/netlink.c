/* SPDX-License-Identifier: ISC */
#include "xenvif/netlink.h"

#include <errno.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xenvif/growth.h"
#include "xenvif/search.h"

/* Large enough for any message the kernel packs into one dump read. */
#define XV_NETLINK_BUFSZ (64 * 1024)
/* Room for a burst of notifications when many vifs come and go. */
#define XV_NETLINK_EVENT_RCVBUF (4 * 1024 * 1024)

void xv_linkset_clear(struct xv_linkset *set)
{
	set->n = 0;
}

void xv_linkset_free(struct xv_linkset *set)
{
	free(set->links);
	*set = (struct xv_linkset){0};
}

struct xv_link *xv_linkset_append(struct xv_linkset *set)
{
	struct xv_link *links = xv_grow(set->links, &set->cap, set->n,
					sizeof *links, 64);

	if (!links)
		return NULL;
	set->links = links;
	memset(&set->links[set->n], 0, sizeof *set->links);
	return &set->links[set->n++];
}

static int compare_ifindex(const void *a, const void *b)
{
	const struct xv_link *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

void xv_linkset_sort(struct xv_linkset *set)
{
	if (set->n > 1)
		qsort(set->links, set->n, sizeof *set->links, compare_ifindex);
}

const struct xv_link *xv_linkset_find(const struct xv_linkset *set, int ifindex)
{
	struct xv_link key = {.ifindex = ifindex};

	if (set->n == 0)
		return NULL;
	return xv_find_sorted(set->links, set->n, sizeof key, &key, compare_ifindex);
}

bool xv_link_is_up(const struct xv_link *link)
{
	/* Taps report "unknown" while passing traffic, so that counts. */
	return (link->flags & IFF_UP) && (link->operstate == IF_OPER_UP ||
					  link->operstate == IF_OPER_UNKNOWN);
}

static void copy_attr_string(char *dst, size_t dstsz, const struct rtattr *rta)
{
	size_t len = RTA_PAYLOAD(rta);
	const char *src = RTA_DATA(rta);

	len = strnlen(src, len);
	if (len >= dstsz)
		len = dstsz - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void stats64_to_counters(const struct rtnl_link_stats64 *s,
				struct xv_counters *c)
{
	c->v[XV_IN_OCTETS] = s->rx_bytes;
	c->v[XV_IN_PKTS] = s->rx_packets;
	c->v[XV_IN_DISCARDS] = s->rx_dropped;
	c->v[XV_IN_ERRORS] = s->rx_errors;
	c->v[XV_OUT_OCTETS] = s->tx_bytes;
	c->v[XV_OUT_PKTS] = s->tx_packets;
	c->v[XV_OUT_DISCARDS] = s->tx_dropped;
	c->v[XV_OUT_ERRORS] = s->tx_errors;
}

bool xv_link_parse(const void *msg, size_t len, struct xv_link *out)
{
	const struct nlmsghdr *nlh = msg;
	const struct ifinfomsg *ifi;
	const struct rtattr *rta;
	int attrlen;

	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof *ifi) ||
	    (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK))
		return false;
	ifi = NLMSG_DATA(nlh);
	/* Bridge port notifications (AF_BRIDGE) share the message types
	 * but describe a port, not a link coming or going. */
	if (ifi->ifi_family != AF_UNSPEC)
		return false;
	memset(out, 0, sizeof *out);
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	rta = IFLA_RTA(ifi);
	attrlen = (int)IFLA_PAYLOAD(nlh);
	for (; RTA_OK(rta, attrlen); rta = RTA_NEXT(rta, attrlen)) {
		size_t plen = RTA_PAYLOAD(rta);

		switch (rta->rta_type) {
		case IFLA_IFNAME:
			copy_attr_string(out->name, sizeof out->name, rta);
			break;
		case IFLA_OPERSTATE:
			if (plen >= 1)
				out->operstate = *(const unsigned char *)RTA_DATA(rta);
			break;
		case IFLA_MASTER:
			if (plen >= 4)
				memcpy(&out->master, RTA_DATA(rta), 4);
			break;
		case IFLA_MTU:
			if (plen >= 4)
				memcpy(&out->mtu, RTA_DATA(rta), 4);
			break;
		case IFLA_PARENT_DEV_NAME:
			copy_attr_string(out->parent_dev, sizeof out->parent_dev, rta);
			break;
		case IFLA_PARENT_DEV_BUS_NAME:
			copy_attr_string(out->parent_bus, sizeof out->parent_bus, rta);
			break;
		case IFLA_STATS64: {
			/* Older kernels send a shorter struct: copy what came. */
			struct rtnl_link_stats64 s = {0};

			memcpy(&s, RTA_DATA(rta), plen < sizeof s ? plen : sizeof s);
			stats64_to_counters(&s, &out->stats);
			break;
		}
		default:
			break;
		}
	}
	return out->ifindex > 0 && out->name[0] != '\0';
}

static int open_socket(int type_flags, unsigned int groups, int rcvbuf,
		       char *err, size_t errlen)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | type_flags,
			NETLINK_ROUTE);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "rtnetlink socket: %s", strerror(e));
		return -e;
	}
	/* As root the buffer may exceed net.core.rmem_max; otherwise take
	 * what is allowed.  A smaller buffer only overruns sooner. */
	if (rcvbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) {
		/* The default buffer then. */
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;

		snprintf(err, errlen, "rtnetlink bind: %s", strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int xv_netlink_open(struct xv_netlink *nl, char *err, size_t errlen)
{
	memset(nl, 0, sizeof *nl);
	nl->dump_fd = nl->event_fd = -1;
	nl->bufsz = XV_NETLINK_BUFSZ;
	nl->buf = malloc(nl->bufsz);
	if (!nl->buf) {
		snprintf(err, errlen, "rtnetlink: out of memory");
		return -ENOMEM;
	}
	int fd = open_socket(0, 0, 0, err, errlen);
	if (fd < 0) {
		xv_netlink_close(nl);
		return fd;
	}
	nl->dump_fd = fd;
	fd = open_socket(SOCK_NONBLOCK, RTMGRP_LINK, XV_NETLINK_EVENT_RCVBUF,
			 err, errlen);
	if (fd < 0) {
		xv_netlink_close(nl);
		return fd;
	}
	nl->event_fd = fd;
	return 0;
}

void xv_netlink_close(struct xv_netlink *nl)
{
	if (nl->dump_fd >= 0)
		close(nl->dump_fd);
	if (nl->event_fd >= 0)
		close(nl->event_fd);
	free(nl->buf);
	memset(nl, 0, sizeof *nl);
	nl->dump_fd = nl->event_fd = -1;
}

static int send_dump_request(struct xv_netlink *nl, char *err, size_t errlen)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
	} req = {
		.nlh = {.nlmsg_len = sizeof req,
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = ++nl->seq},
		.ifi = {.ifi_family = AF_UNSPEC},
	};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	while (sendto(nl->dump_fd, &req, sizeof req, 0, (struct sockaddr *)&kernel,
		      sizeof kernel) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		snprintf(err, errlen, "rtnetlink dump request: %s", strerror(e));
		return -e;
	}
	return 0;
}

int xv_netlink_walk(const void *buf, size_t len, xv_nlmsg_fn *fn, void *ctx)
{
	size_t off = 0;

	/* Lengths are checked against what is left before anything is
	 * read or skipped: NLMSG_NEXT on an unaligned last message would
	 * wrap the count and walk on into stale bytes. */
	while (len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh =
			(const struct nlmsghdr *)((const char *)buf + off);
		int rc;

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - off)
			break;
		if ((rc = fn(ctx, nlh)) != 0)
			return rc;
		if (NLMSG_ALIGN(nlh->nlmsg_len) >= len - off)
			break;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return 0;
}

/* The errno an NLMSG_ERROR carries: the kernel sends a negative one;
 * anything else (an acknowledgement, a positive or unrepresentable
 * value) is not an answer to a dump. */
static int error_of(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof *e) || e->error >= 0 ||
	    e->error == INT_MIN)
		return EPROTO;
	return -e->error;
}

struct dump_part {
	uint32_t seq;
	struct xv_linkset *out;
	bool *interrupted;
	char *err;
	size_t errlen;
};

static int dump_message(void *ctx, const struct nlmsghdr *nlh)
{
	struct dump_part *d = ctx;

	if (nlh->nlmsg_seq != d->seq)
		return 0; /* an answer to an earlier, abandoned dump */
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		*d->interrupted = true;
	if (nlh->nlmsg_type == NLMSG_DONE)
		return 1;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		int code = error_of(nlh);

		snprintf(d->err, d->errlen, "rtnetlink dump: %s", strerror(code));
		return -code;
	}
	struct xv_link *link = xv_linkset_append(d->out);
	if (!link) {
		snprintf(d->err, d->errlen, "rtnetlink dump: out of memory");
		return -ENOMEM;
	}
	if (!xv_link_parse(nlh, nlh->nlmsg_len, link))
		d->out->n--;
	return 0;
}

int xv_netlink_dump_datagram(const void *buf, size_t len, uint32_t seq,
			     struct xv_linkset *out, bool *interrupted,
			     char *err, size_t errlen)
{
	struct dump_part d = {seq, out, interrupted, err, errlen};

	return xv_netlink_walk(buf, len, dump_message, &d);
}

/* One datagram from the kernel into nl->buf: its length, 0 for one to
 * ignore (from another sender), or -errno. */
static ssize_t receive(int fd, struct xv_netlink *nl)
{
	struct sockaddr_nl from;
	socklen_t fromlen = sizeof from;
	ssize_t got = recvfrom(fd, nl->buf, nl->bufsz, 0, (struct sockaddr *)&from,
			       &fromlen);

	if (got < 0)
		return -errno;
	/* Only the kernel's word: any local process may send to us. */
	if (fromlen < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0)
		return 0;
	return got;
}

/* Returns 1 when the dump is complete, 0 to read on, -errno on error,
 * -EAGAIN if the kernel says the dump was inconsistent. */
static int read_dump_part(struct xv_netlink *nl, struct xv_linkset *out,
			  bool *interrupted, char *err, size_t errlen)
{
	ssize_t got = receive(nl->dump_fd, nl);

	if (got < 0) {
		if (got == -EINTR)
			return 0;
		snprintf(err, errlen, "rtnetlink dump read: %s", strerror((int)-got));
		return (int)got;
	}
	return xv_netlink_dump_datagram(nl->buf, (size_t)got, nl->seq, out,
					interrupted, err, errlen);
}

int xv_netlink_dump(struct xv_netlink *nl, struct xv_linkset *out, char *err,
		    size_t errlen)
{
	/* A link changing during the dump makes the kernel flag it as
	 * inconsistent; a few retries get a clean one. */
	for (int attempt = 0; attempt < 5; attempt++) {
		bool interrupted = false;
		int rc = send_dump_request(nl, err, errlen);

		xv_linkset_clear(out);
		while (rc == 0)
			rc = read_dump_part(nl, out, &interrupted, err, errlen);
		if (rc < 0)
			return rc;
		if (!interrupted) {
			xv_linkset_sort(out);
			return 0;
		}
	}
	snprintf(err, errlen, "rtnetlink dump: links kept changing");
	return -EAGAIN;
}

static struct xv_link *find_unsorted(struct xv_linkset *set, int ifindex)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->links[i].ifindex == ifindex)
			return &set->links[i];
	return NULL;
}

/* Keeps, per link, the highest value each counter showed. */
static struct xv_link *record_reading(struct xv_link_events *ev,
				      const struct xv_link *link)
{
	struct xv_link *r = find_unsorted(&ev->readings, link->ifindex);

	if (!r) {
		if (!(r = xv_linkset_append(&ev->readings)))
			return NULL;
		*r = *link;
		return r;
	}
	for (int i = 0; i < XV_NCOUNTERS; i++)
		if (link->stats.v[i] > r->stats.v[i])
			r->stats.v[i] = link->stats.v[i];
	return r;
}

static int record_gone(struct xv_link_events *ev, struct xv_link *reading)
{
	struct xv_link *slot = find_unsorted(&ev->gone, reading->ifindex);

	if (!slot && !(slot = xv_linkset_append(&ev->gone)))
		return -ENOMEM;
	*slot = *reading;
	/* A device that reuses the ifindex later starts its own reading. */
	*reading = ev->readings.links[--ev->readings.n];
	return 0;
}

void xv_link_events_clear(struct xv_link_events *ev)
{
	xv_linkset_clear(&ev->gone);
	xv_linkset_clear(&ev->readings);
	ev->changed = ev->overrun = false;
}

void xv_link_events_free(struct xv_link_events *ev)
{
	xv_linkset_free(&ev->gone);
	xv_linkset_free(&ev->readings);
	ev->changed = ev->overrun = false;
}

static int event_message(void *ctx, const struct nlmsghdr *nlh)
{
	struct xv_link_events *ev = ctx;
	struct xv_link link, *reading;

	if (!xv_link_parse(nlh, nlh->nlmsg_len, &link))
		return 0;
	ev->changed = true;
	reading = record_reading(ev, &link);
	if (!reading || (nlh->nlmsg_type == RTM_DELLINK &&
			 record_gone(ev, reading) < 0))
		return -ENOMEM;
	return 0;
}

int xv_netlink_event_datagram(const void *buf, size_t len,
			      struct xv_link_events *ev, char *err, size_t errlen)
{
	int rc = xv_netlink_walk(buf, len, event_message, ev);

	if (rc < 0)
		snprintf(err, errlen, "rtnetlink: out of memory");
	xv_linkset_sort(&ev->gone);
	return rc;
}

int xv_netlink_drain(struct xv_netlink *nl, struct xv_link_events *ev,
		     char *err, size_t errlen)
{
	for (;;) {
		ssize_t got = receive(nl->event_fd, nl);

		if (got == -EINTR)
			continue;
		if (got == -EAGAIN || got == -EWOULDBLOCK)
			break;
		if (got == -ENOBUFS) {
			ev->overrun = ev->changed = true;
			continue;
		}
		if (got < 0) {
			snprintf(err, errlen, "rtnetlink notification read: %s",
				 strerror((int)-got));
			return (int)got;
		}
		int rc = xv_netlink_event_datagram(nl->buf, (size_t)got, ev, err,
						   errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}
