/* SPDX-License-Identifier: ISC */
/*
 * rtnetlink datagrams, as the kernel (or anything able to send to the
 * agent's sockets) hands them over: the walk over the messages, the
 * dump's and the notifications' parsers, and one link message alone.
 *
 * Input: one datagram.  Properties: the walk hands out only whole
 * messages inside the datagram, in order, aligned; a dump's answer
 * ends, reads on or fails with a negative errno and says why, and
 * lists only links with an ifindex and a name; the notifications keep,
 * per link, the highest of each counter seen and hand those of a
 * deleted link over as it goes, as a model of that rule has them.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "fuzz.h"
#include "xenvif/netlink.h"

/* The dump request's sequence number, as the seeds carry it. */
#define SEQ 1

struct walk_check {
	const char *buf;
	size_t len, next; /* where the next message may start, at least */
	size_t count;
};

static int walked(void *ctx, const struct nlmsghdr *nlh)
{
	struct walk_check *w = ctx;
	size_t at = (size_t)((const char *)nlh - w->buf);

	FUZZ_ASSERT(at >= w->next && at % NLMSG_ALIGNTO == 0, "message at %zu", at);
	FUZZ_ASSERT(nlh->nlmsg_len >= NLMSG_HDRLEN && nlh->nlmsg_len <= w->len - at,
		    "message of %u at %zu in %zu", nlh->nlmsg_len, at, w->len);
	w->next = at + nlh->nlmsg_len;
	/* Stop now and then: the walk returns what the callback said. */
	return ++w->count == 1000 ? 7 : 0;
}

/* The rule for notifications, modelled: per ifindex, the highest of
 * each counter since the link was last deleted; a deletion hands that
 * over and starts afresh. */
struct model {
	struct xv_linkset readings, gone;
};

static struct xv_link *model_find(struct xv_linkset *set, int ifindex)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->links[i].ifindex == ifindex)
			return &set->links[i];
	return NULL;
}

static int modelled(void *ctx, const struct nlmsghdr *nlh)
{
	struct model *m = ctx;
	struct xv_link link, *r, *g;

	if (!xv_link_parse(nlh, nlh->nlmsg_len, &link))
		return 0;
	if (!(r = model_find(&m->readings, link.ifindex))) {
		if (!(r = xv_linkset_append(&m->readings)))
			return -ENOMEM;
		*r = link;
	}
	for (int i = 0; i < XV_NCOUNTERS; i++)
		if (link.stats.v[i] > r->stats.v[i])
			r->stats.v[i] = link.stats.v[i];
	if (nlh->nlmsg_type == RTM_DELLINK) {
		if (!(g = model_find(&m->gone, link.ifindex)) &&
		    !(g = xv_linkset_append(&m->gone)))
			return -ENOMEM;
		*g = *r;
		*r = m->readings.links[--m->readings.n];
	}
	return 0;
}

static void same_links(const struct xv_linkset *got, struct xv_linkset *want,
		       const char *what)
{
	FUZZ_ASSERT(got->n == want->n, "%s: %zu links, the model %zu", what, got->n,
		    want->n);
	for (size_t i = 0; i < want->n; i++) {
		const struct xv_link *w = &want->links[i];
		const struct xv_link *g = NULL;

		for (size_t j = 0; j < got->n && !g; j++)
			if (got->links[j].ifindex == w->ifindex)
				g = &got->links[j];
		FUZZ_ASSERT(g && memcmp(&g->stats, &w->stats, sizeof g->stats) == 0,
			    "%s: link %d: counters differ from the model", what,
			    w->ifindex);
	}
}

static void check_dump(const void *buf, size_t len)
{
	struct xv_linkset out = {0};
	bool interrupted = false;
	char err[256] = "";
	int rc = xv_netlink_dump_datagram(buf, len, SEQ, &out, &interrupted, err,
					  sizeof err);

	FUZZ_ASSERT(rc == 0 || rc == 1 || (rc < 0 && err[0]), "dump: %d '%s'", rc, err);
	for (size_t i = 0; i < out.n; i++) {
		const struct xv_link *l = &out.links[i];

		FUZZ_ASSERT(l->ifindex > 0 && l->name[0] &&
			    memchr(l->name, '\0', sizeof l->name) &&
			    memchr(l->parent_bus, '\0', sizeof l->parent_bus) &&
			    memchr(l->parent_dev, '\0', sizeof l->parent_dev),
			    "dump: a link without ifindex or name, or unterminated");
	}
	xv_linkset_free(&out);
}

static void check_events(const void *buf, size_t len)
{
	struct xv_link_events ev = {0};
	struct model m = {{0}, {0}};
	char err[256] = "";
	int rc = xv_netlink_event_datagram(buf, len, &ev, err, sizeof err);

	if (rc == 0 && xv_netlink_walk(buf, len, modelled, &m) == 0) {
		FUZZ_ASSERT(ev.changed == (ev.readings.n + ev.gone.n > 0),
			    "changed says %d with %zu links", ev.changed,
			    ev.readings.n + ev.gone.n);
		for (size_t i = 1; i < ev.gone.n; i++)
			FUZZ_ASSERT(ev.gone.links[i - 1].ifindex < ev.gone.links[i].ifindex,
				    "gone links not sorted");
		same_links(&ev.readings, &m.readings, "readings");
		same_links(&ev.gone, &m.gone, "gone");
	} else {
		FUZZ_ASSERT(rc == 0 || (rc == -ENOMEM && err[0]), "events: %d", rc);
	}
	xv_link_events_free(&ev);
	xv_linkset_free(&m.readings);
	xv_linkset_free(&m.gone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly its size, as the socket's buffer holds it:
	 * AddressSanitizer sees any read past it. */
	void *buf = malloc(size ? size : 1);
	struct walk_check w = {buf, size, 0, 0};
	struct xv_link link;
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = xv_netlink_walk(buf, size, walked, &w);
	FUZZ_ASSERT(rc == (w.count >= 1000 ? 7 : 0), "walk returned %d", rc);
	check_dump(buf, size);
	check_events(buf, size);
	if (xv_link_parse(buf, size, &link))
		FUZZ_ASSERT(link.ifindex > 0 && link.name[0] &&
			    memchr(link.name, '\0', sizeof link.name),
			    "a link without ifindex or name");
	free(buf);
	return 0;
}
