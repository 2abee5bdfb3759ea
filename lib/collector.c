/* SPDX-License-Identifier: ISC */
#include "xenvif/collector.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- libxenstat's handle ------------------------------------------- */

struct xv_xenstat *xv_hypervisor_xenstat(struct xv_hypervisor *h)
{
	if (!h->xenstat)
		h->xenstat = xv_xenstat_new();
	return h->xenstat;
}

void xv_hypervisor_heard(struct xv_hypervisor *h, const char *chatter)
{
	if (chatter[0] && strcmp(chatter, h->chatter) != 0) {
		xv_say(h->log, XV_LOG_NOTICE, "libxenstat: %s", chatter);
		snprintf(h->chatter, sizeof h->chatter, "%s", chatter);
	}
}

void xv_hypervisor_renew(struct xv_hypervisor *h)
{
	xv_xenstat_free(h->xenstat);
	h->xenstat = NULL;
}

/* ---- rtnetlink ------------------------------------------------------ */

static int netlink_open(void *src, char *err, size_t errlen)
{
	return xv_netlink_open(src, err, errlen);
}

static void netlink_close(void *src)
{
	xv_netlink_close(src);
}

static int netlink_fd(const void *src)
{
	return ((const struct xv_netlink *)src)->event_fd;
}

static int netlink_drain(void *src, struct xv_link_events *ev, char *err,
			 size_t errlen)
{
	return xv_netlink_drain(src, ev, err, errlen);
}

static int netlink_read(void *src, const struct xv_meta *meta,
			struct xv_linkset *out, char *err, size_t errlen)
{
	(void)meta; /* the kernel's dump has every link */
	return xv_netlink_dump(src, out, err, errlen);
}

const struct xv_collector_ops xv_netlink_collector = {
	.what = "kernel",
	.open = netlink_open,
	.close = netlink_close,
	.fd = netlink_fd,
	.drain = netlink_drain,
	.read = netlink_read,
};

/* ---- libxenstat ----------------------------------------------------- */

static int xenstat_open(void *src, char *err, size_t errlen)
{
	(void)src, (void)err, (void)errlen;
	return 0; /* opened on first use, shared with the VM resources */
}

static void xenstat_close(void *src)
{
	struct xv_xenstat_counters *x = src;

	if (x->probe.fd >= 0)
		close(x->probe.fd);
	x->probe.fd = -1;
}

static int xenstat_fd(const void *src)
{
	(void)src;
	return -1; /* no notifications */
}

static int xenstat_drain(void *src, struct xv_link_events *ev, char *err,
			 size_t errlen)
{
	(void)src, (void)ev, (void)err, (void)errlen;
	return 0;
}

static int xenstat_read(void *src, const struct xv_meta *meta,
			struct xv_linkset *out, char *err, size_t errlen)
{
	struct xv_xenstat_counters *x = src;
	struct xv_xenstat *handle = xv_hypervisor_xenstat(x->hypervisor);
	char chatter[sizeof x->hypervisor->chatter];
	size_t withheld;
	int rc;

	if (!handle) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = xv_xenstat_read_links(handle, meta, &x->probe, out, &withheld, err,
				   errlen, chatter, sizeof chatter);
	xv_hypervisor_heard(x->hypervisor, chatter);
	if (withheld)
		xv_say(x->log, XV_LOG_DEBUG, "%zu device(s) replaced while libxenstat "
		       "read: their counters wait for the next refresh", withheld);
	return rc;
}

const struct xv_collector_ops xv_xenstat_collector = {
	.what = "libxenstat's",
	.open = xenstat_open,
	.close = xenstat_close,
	.fd = xenstat_fd,
	.drain = xenstat_drain,
	.read = xenstat_read,
};
