/* SPDX-License-Identifier: ISC */
/* Parsing of rtnetlink link messages as the kernel sends them. */
#include <net/if.h> /* before linux/if.h, which then defers to it */
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "xenvif/netlink.h"

struct msg {
	union {
		struct nlmsghdr nlh;
		char buf[2048];
	};
};

static void start(struct msg *m, int type, int family, int ifindex, unsigned flags)
{
	struct ifinfomsg *ifi;

	memset(m, 0, sizeof *m);
	m->nlh.nlmsg_type = (unsigned short)type;
	m->nlh.nlmsg_len = NLMSG_LENGTH(sizeof *ifi);
	ifi = NLMSG_DATA(&m->nlh);
	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
}

static void attr(struct msg *m, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));

	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static void netback_vif(struct msg *m)
{
	struct rtnl_link_stats64 st = {0};
	unsigned char up = IF_OPER_UP;
	int master = 4;

	start(m, RTM_NEWLINK, AF_UNSPEC, 17, IFF_UP | IFF_RUNNING);
	attr(m, IFLA_IFNAME, "vif5.0", 7);
	attr(m, IFLA_OPERSTATE, &up, 1);
	attr(m, IFLA_MASTER, &master, 4);
	attr(m, IFLA_PARENT_DEV_BUS_NAME, "xen-backend", 12);
	attr(m, IFLA_PARENT_DEV_NAME, "vif-5-0", 8);
	st.rx_bytes = 5000000000ULL; /* above 32 bits */
	st.rx_packets = 11;
	st.rx_dropped = 1;
	st.rx_errors = 2;
	st.tx_bytes = 77;
	st.tx_packets = 3;
	st.tx_dropped = 4;
	st.tx_errors = 5;
	attr(m, IFLA_STATS64, &st, sizeof st);
}

static int count_message(void *ctx, const struct nlmsghdr *nlh)
{
	(void)nlh;
	++*(int *)ctx;
	return 0;
}

/* A last message whose length is not a multiple of 4 ends the
 * datagram: what lies beyond (stale bytes of an earlier, larger one) is
 * never read. */
static void test_walk_bounds(void)
{
	static struct msg m, stale;
	static char buf[4096];
	struct xv_link_events ev = {0};
	char err[128];
	int n = 0;

	start(&stale, RTM_DELLINK, AF_UNSPEC, 8, 0);
	attr(&stale, IFLA_IFNAME, "vif8.0", 7);
	memcpy(buf + 20, &stale, stale.nlh.nlmsg_len);
	memset(&m, 0, sizeof m);
	m.nlh.nlmsg_len = 17;
	m.nlh.nlmsg_type = RTM_NEWLINK;
	memcpy(buf, &m, 17);
	tap_is_u64(xv_netlink_walk(buf, 17, count_message, &n), 0, "walk of 17 bytes");
	tap_is_u64(n, 1, "one message, nothing past the datagram");
	tap_is_u64(xv_netlink_event_datagram(buf, 17, &ev, err, sizeof err), 0,
		   "17 bytes of notifications");
	tap_ok(!ev.changed && ev.gone.n == 0,
	       "the stale deletion beyond the datagram is not taken");
	/* Lengths that lie: more than is there, less than a header. */
	n = 0;
	((struct nlmsghdr *)buf)->nlmsg_len = 4000;
	xv_netlink_walk(buf, 64, count_message, &n);
	tap_is_u64(n, 0, "a length beyond the datagram ends the walk");
	((struct nlmsghdr *)buf)->nlmsg_len = 8;
	xv_netlink_walk(buf, 64, count_message, &n);
	tap_is_u64(n, 0, "a length below the header ends it too");
	xv_link_events_free(&ev);
}

static int dump_error(int value)
{
	static struct msg m;
	struct xv_linkset out = {0};
	struct nlmsgerr *e;
	bool interrupted = false;
	char err[128];
	int rc;

	memset(&m, 0, sizeof m);
	m.nlh.nlmsg_type = NLMSG_ERROR;
	m.nlh.nlmsg_seq = 7;
	m.nlh.nlmsg_len = NLMSG_LENGTH(sizeof *e);
	e = NLMSG_DATA(&m.nlh);
	e->error = value;
	rc = xv_netlink_dump_datagram(&m, m.nlh.nlmsg_len, 7, &out, &interrupted,
				      err, sizeof err);
	xv_linkset_free(&out);
	return rc;
}

/* The error a dump answer carries: only a negative errno is one. */
static void test_dump_errors(void)
{
	tap_is_u64((uint64_t)dump_error(-ENOBUFS), (uint64_t)-ENOBUFS,
		   "a kernel error ends the dump with it");
	tap_is_u64((uint64_t)dump_error(INT_MIN), (uint64_t)-EPROTO,
		   "INT_MIN is no errno: EPROTO, not an overflow");
	tap_is_u64((uint64_t)dump_error(5), (uint64_t)-EPROTO,
		   "a positive value is EPROTO, not a finished dump");
	tap_is_u64((uint64_t)dump_error(0), (uint64_t)-EPROTO,
		   "an acknowledgement is no answer to a dump");
}

/* Any process may send to the agent's netlink sockets: only the
 * kernel (port id 0) is believed. */
static void test_sender(void)
{
	struct xv_netlink nl;
	struct xv_link_events ev = {0};
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	socklen_t tolen = sizeof to;
	static struct msg m;
	char err[256];
	int forger = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (xv_netlink_open(&nl, err, sizeof err) < 0 || forger < 0 ||
	    getsockname(nl.event_fd, (struct sockaddr *)&to, &tolen) < 0) {
		tap_ok(false, "netlink sockets to test with: %s", err);
		return;
	}
	start(&m, RTM_DELLINK, AF_UNSPEC, 77, 0);
	attr(&m, IFLA_IFNAME, "vif77.0", 8);
	tap_ok(sendto(forger, &m, m.nlh.nlmsg_len, 0, (struct sockaddr *)&to,
		      sizeof to) == (ssize_t)m.nlh.nlmsg_len,
	       "a forged deletion sent to the agent's socket");
	tap_is_u64(xv_netlink_drain(&nl, &ev, err, sizeof err), 0, "drained");
	tap_ok(ev.gone.n == 0 && ev.readings.n == 0,
	       "a message from another process is not believed");
	xv_link_events_free(&ev);
	xv_netlink_close(&nl);
	close(forger);
}

int main(void)
{
	struct msg m;
	struct xv_link l;

	netback_vif(&m);
	tap_ok(xv_link_parse(&m, m.nlh.nlmsg_len, &l), "netback link parses");
	tap_is_u64(l.ifindex, 17, "ifindex");
	tap_is_str(l.name, "vif5.0", "name");
	tap_is_u64(l.master, 4, "bridge ifindex");
	tap_is_str(l.parent_bus, "xen-backend", "parent bus");
	tap_is_str(l.parent_dev, "vif-5-0", "parent device");
	tap_is_u64(l.stats.v[XV_IN_OCTETS], 5000000000ULL, "rx_bytes is In, 64 bits");
	tap_is_u64(l.stats.v[XV_IN_PKTS], 11, "rx_packets is In");
	tap_is_u64(l.stats.v[XV_IN_DISCARDS], 1, "rx_dropped is InDiscards");
	tap_is_u64(l.stats.v[XV_IN_ERRORS], 2, "rx_errors is InErrors");
	tap_is_u64(l.stats.v[XV_OUT_OCTETS], 77, "tx_bytes is Out");
	tap_is_u64(l.stats.v[XV_OUT_PKTS], 3, "tx_packets is Out");
	tap_is_u64(l.stats.v[XV_OUT_DISCARDS], 4, "tx_dropped is OutDiscards");
	tap_is_u64(l.stats.v[XV_OUT_ERRORS], 5, "tx_errors is OutErrors");
	tap_ok(xv_link_is_up(&l), "up and running is up");

	tap_ok(!xv_link_parse(&m, m.nlh.nlmsg_len - 1, &l),
	       "a message longer than the buffer is refused");

	start(&m, RTM_DELLINK, AF_BRIDGE, 17, 0);
	attr(&m, IFLA_IFNAME, "vif5.0", 7);
	tap_ok(!xv_link_parse(&m, m.nlh.nlmsg_len, &l),
	       "a bridge port leaving its bridge is not a link going away");

	start(&m, RTM_NEWLINK, AF_UNSPEC, 9, IFF_UP);
	attr(&m, IFLA_IFNAME, "tap9.0-emu-and-a-very-long-name", 32);
	unsigned char unknown = IF_OPER_UNKNOWN;
	attr(&m, IFLA_OPERSTATE, &unknown, 1);
	uint64_t half[4] = {1, 2, 300, 400}; /* a kernel with a shorter struct */
	attr(&m, IFLA_STATS64, half, sizeof half);
	tap_ok(xv_link_parse(&m, m.nlh.nlmsg_len, &l), "short stats parse");
	tap_is_u64(strlen(l.name), IF_NAMESIZE - 1, "over-long name is cut to IFNAMSIZ");
	tap_is_u64(l.stats.v[XV_IN_OCTETS], 300, "fields present are taken");
	tap_is_u64(l.stats.v[XV_IN_ERRORS], 0, "missing fields are zero");
	tap_ok(xv_link_is_up(&l), "operstate unknown (a tap) counts as up");

	start(&m, RTM_NEWLINK, AF_UNSPEC, 9, 0);
	attr(&m, IFLA_IFNAME, "vif9.0", 7);
	tap_ok(xv_link_parse(&m, m.nlh.nlmsg_len, &l) && !xv_link_is_up(&l),
	       "administratively down is down");

	start(&m, RTM_NEWLINK, AF_UNSPEC, 9, IFF_UP);
	tap_ok(!xv_link_parse(&m, m.nlh.nlmsg_len, &l), "a link without a name is refused");
	start(&m, RTM_NEWROUTE, AF_UNSPEC, 9, IFF_UP);
	attr(&m, IFLA_IFNAME, "vif9.0", 7);
	tap_ok(!xv_link_parse(&m, m.nlh.nlmsg_len, &l), "other message types are refused");

	/* Notifications as the event socket delivers them, a datagram at a
	 * time: the deletion notice of a veth reports rx 0, the link-down
	 * before it the truth. */
	struct xv_link_events ev = {0};
	char err[128];
	struct rtnl_link_stats64 st = {.rx_bytes = 1000, .tx_bytes = 70};

	start(&m, RTM_NEWLINK, AF_UNSPEC, 5, 0);
	attr(&m, IFLA_IFNAME, "vif5.0", 7);
	attr(&m, IFLA_STATS64, &st, sizeof st);
	tap_is_u64(xv_netlink_event_datagram(&m, m.nlh.nlmsg_len, &ev, err, sizeof err),
		   0, "a datagram of notifications");
	start(&m, RTM_DELLINK, AF_BRIDGE, 5, 0);
	attr(&m, IFLA_IFNAME, "vif5.0", 7);
	xv_netlink_event_datagram(&m, m.nlh.nlmsg_len, &ev, err, sizeof err);
	tap_ok(ev.changed && ev.gone.n == 0, "link down is a change, a port leaving no deletion");
	st.rx_bytes = 0;
	st.tx_bytes = 75;
	start(&m, RTM_DELLINK, AF_UNSPEC, 5, 0);
	attr(&m, IFLA_IFNAME, "vif5.0", 7);
	attr(&m, IFLA_STATS64, &st, sizeof st);
	xv_netlink_event_datagram(&m, m.nlh.nlmsg_len, &ev, err, sizeof err);
	tap_is_u64(ev.gone.n, 1, "deletion recorded");
	tap_is_u64(ev.gone.links[0].stats.v[XV_IN_OCTETS], 1000,
		   "final rx: the highest notified, not the deletion notice's 0");
	tap_is_u64(ev.gone.links[0].stats.v[XV_OUT_OCTETS], 75,
		   "final tx: the deletion notice's, higher");
	/* The ifindex reused by a new device in the same burst. */
	st.rx_bytes = 5;
	start(&m, RTM_NEWLINK, AF_UNSPEC, 5, 0);
	attr(&m, IFLA_IFNAME, "vif9.0", 7);
	attr(&m, IFLA_STATS64, &st, sizeof st);
	xv_netlink_event_datagram(&m, m.nlh.nlmsg_len, &ev, err, sizeof err);
	tap_ok(ev.gone.links[0].stats.v[XV_IN_OCTETS] == 1000 && ev.readings.n == 1 &&
		       ev.readings.links[0].stats.v[XV_IN_OCTETS] == 5,
	       "a new device with the same ifindex starts its own reading");
	xv_link_events_clear(&ev);
	tap_ok(ev.gone.n == 0 && ev.readings.n == 0 && !ev.changed, "cleared");
	xv_link_events_free(&ev);

	test_walk_bounds();
	test_dump_errors();
	test_sender();

	struct xv_linkset set = {0};
	struct xv_link links[3] = {{.ifindex = 2}, {.ifindex = 5}, {.ifindex = 9}};
	set.links = links;
	set.n = 3;
	tap_ok(xv_linkset_find(&set, 5) == &links[1], "find by ifindex");
	tap_ok(xv_linkset_find(&set, 6) == NULL, "missing ifindex");
	return tap_done();
}
