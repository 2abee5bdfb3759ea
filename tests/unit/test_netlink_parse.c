/* Parsing of rtnetlink link messages as the kernel sends them. */
#include <net/if.h> /* before linux/if.h, which then defers to it */
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
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

	/* Notifications as the event socket delivers them: the deletion
	 * notice of a veth reports rx 0, the link-down before it the truth. */
	int sv[2];
	struct xv_netlink nl = {.buf = malloc(65536), .bufsz = 65536};
	struct xv_link_events ev = {0};
	char err[128];
	struct rtnl_link_stats64 st = {.rx_bytes = 1000, .tx_bytes = 70};

	socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv);
	nl.event_fd = sv[0];
	start(&m, RTM_NEWLINK, AF_UNSPEC, 5, 0);
	attr(&m, IFLA_IFNAME, "vif5.0", 7);
	attr(&m, IFLA_STATS64, &st, sizeof st);
	send(sv[1], &m, m.nlh.nlmsg_len, 0);
	start(&m, RTM_DELLINK, AF_BRIDGE, 5, 0);
	attr(&m, IFLA_IFNAME, "vif5.0", 7);
	send(sv[1], &m, m.nlh.nlmsg_len, 0);
	tap_is_u64(xv_netlink_drain(&nl, &ev, err, sizeof err), 0, "drain");
	tap_ok(ev.changed && ev.gone.n == 0, "link down is a change, a port leaving no deletion");
	st.rx_bytes = 0;
	st.tx_bytes = 75;
	start(&m, RTM_DELLINK, AF_UNSPEC, 5, 0);
	attr(&m, IFLA_IFNAME, "vif5.0", 7);
	attr(&m, IFLA_STATS64, &st, sizeof st);
	send(sv[1], &m, m.nlh.nlmsg_len, 0);
	xv_netlink_drain(&nl, &ev, err, sizeof err);
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
	send(sv[1], &m, m.nlh.nlmsg_len, 0);
	xv_netlink_drain(&nl, &ev, err, sizeof err);
	tap_ok(ev.gone.links[0].stats.v[XV_IN_OCTETS] == 1000 && ev.readings.n == 1 &&
		       ev.readings.links[0].stats.v[XV_IN_OCTETS] == 5,
	       "a new device with the same ifindex starts its own reading");
	xv_link_events_clear(&ev);
	tap_ok(ev.gone.n == 0 && ev.readings.n == 0 && !ev.changed, "cleared");
	xv_link_events_free(&ev);
	close(sv[0]);
	close(sv[1]);
	free(nl.buf);

	struct xv_linkset set = {0};
	struct xv_link links[3] = {{.ifindex = 2}, {.ifindex = 5}, {.ifindex = 9}};
	set.links = links;
	set.n = 3;
	tap_ok(xv_linkset_find(&set, 5) == &links[1], "find by ifindex");
	tap_ok(xv_linkset_find(&set, 6) == NULL, "missing ifindex");
	return tap_done();
}
