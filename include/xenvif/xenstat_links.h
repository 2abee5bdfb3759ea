/* SPDX-License-Identifier: ISC */
/*
 * The second counter collector: libxenstat's network statistics made
 * into the links the vif table reconciles, as rtnetlink would give them.
 *
 * libxenstat reports each vif by domain and device id, with counters,
 * but without its name, ifindex or state: the collector finds the
 * devices the backend's metadata names (vifname or vifD.N, and the
 * HVM tap NAME-emu) and asks the kernel for those.  Where libxenstat's
 * readings and the devices found do not pair up one to one (a device
 * came or went between the two looks), the devices are listed without
 * counters: their rows keep what they have until the next refresh.
 *
 * What libxenstat cannot see, this collector cannot count: a device
 * whose name does not start vifD.N and that has no sysfs nodename (a
 * custom vifname on anything but netback), and a deleted device's last
 * counters.
 */
#ifndef XENVIF_XENSTAT_LINKS_H
#define XENVIF_XENSTAT_LINKS_H

#include <stdbool.h>

#include "xenvif/netlink.h"
#include "xenvif/resources.h"
#include "xenvif/xsmeta.h"

/*
 * Looks a device up by name: fills ifindex, flags, operstate and, if
 * want_master, the ifindex and name of its bridge (master_name, "" if
 * none).  Returns false if there is no such device.
 */
typedef bool xv_device_probe_fn(void *ctx, const char *name, bool want_master,
				struct xv_link *out, char *master_name,
				size_t master_namesz);

/*
 * Replaces *out with the links of the vifs meta describes, counters from
 * readings (which may be reordered), bridges that only the kernel names
 * included.  0 or -ENOMEM.
 */
int xv_xenstat_links(struct xv_vif_readings *readings, const struct xv_meta *meta,
		     xv_device_probe_fn *probe, void *probe_ctx,
		     struct xv_linkset *out);

/*
 * Withholds the counters of every link in links that was not in before
 * (the same collector's look just before libxenstat read) under the same
 * name and ifindex: a device replaced under its name between
 * libxenstat's read and the kernel's answer would otherwise be credited
 * with the old device's counters.  Returns how many were withheld.
 */
size_t xv_xenstat_links_confirm(struct xv_linkset *links,
				const struct xv_linkset *before);

/* The kernel's answer: ioctls on a socket the caller keeps open (-1:
 * one is opened), sysfs under sysfs_root for the bridge. */
struct xv_kernel_probe {
	int fd;
	const char *sysfs_root;
};

xv_device_probe_fn xv_kernel_probe;

/*
 * One refresh of the collector: the devices meta names looked up in the
 * kernel, libxenstat's readings, the devices looked up again, and *out
 * replaced with the links, confirmed against the first look (*withheld:
 * how many lost their counters to it).  0, or a negative errno with err
 * set; libxenstat's stderr goes to chatter as for xv_xenstat_networks().
 */
int xv_xenstat_read_links(struct xv_xenstat *x, const struct xv_meta *meta,
			  struct xv_kernel_probe *probe, struct xv_linkset *out,
			  size_t *withheld, char *err, size_t errlen,
			  char *chatter, size_t chattersz);

#endif
