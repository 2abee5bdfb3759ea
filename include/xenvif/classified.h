/* SPDX-License-Identifier: ISC */
/*
 * What the classifier is to count: every present device of every served
 * vif row, each with the MACs of the row's VM (a frame to any of the
 * VM's addresses is addressed to it, whichever of its vifs carries it).
 * Made from the tables after each reconcile; the classifier itself
 * (classifier.h) knows nothing of rows or VMs.
 */
#ifndef XENVIF_CLASSIFIED_H
#define XENVIF_CLASSIFIED_H

#include <stddef.h>

#include "xenvif/classifier.h"
#include "xenvif/netlink.h"
#include "xenvif/vif_table.h"
#include "xenvif/vm_table.h"

struct xv_classified_list {
	struct xv_classified *v;
	size_t n, cap;
};

/*
 * Replaces list's devices, sorted by ifindex.  A VM with no known MAC
 * has none of its devices listed (nothing could tell its traffic from
 * others'); past XV_CLASSIFIER_MACS a VM's further MACs are left out.
 * 0 or -ENOMEM (the list is then empty).
 */
int xv_classified_list(struct xv_classified_list *list, const struct xv_vif_table *vifs,
		       const struct xv_vm_table *vms, const struct xv_linkset *links);

void xv_classified_free(struct xv_classified_list *list);

#endif
