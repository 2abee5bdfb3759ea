/* SPDX-License-Identifier: ISC */
#include "xenvif/classified.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/growth.h"
#include "xenvif/search.h"
#include "xenvif/text.h"

/* A MAC of a VM, by the VM's index. */
struct vm_mac {
	uint32_t vm;
	uint8_t mac[6];
};

static int compare_vm_mac(const void *a, const void *b)
{
	const struct vm_mac *x = a, *y = b;

	if (x->vm != y->vm)
		return xv_order_u32(x->vm, y->vm);
	return memcmp(x->mac, y->mac, sizeof x->mac);
}

static int order_vm(const void *key, const void *item)
{
	return xv_order_u32(*(const uint32_t *)key, ((const struct vm_mac *)item)->vm);
}

static int compare_ifindex(const void *a, const void *b)
{
	const struct xv_classified *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

/* The VM index of a served row; 0 if the VM table has not seen it. */
static uint32_t vm_of(const struct xv_vm_table *vms, const struct xv_vif_row *row)
{
	char key[XV_TEXT_MAX + 64];
	const struct xv_vm *vm;

	if (!xv_vm_key_of_row(row->entry.key, key, sizeof key) ||
	    !(vm = xv_vm_table_find_key(vms, key)))
		return 0;
	return vm->entry.index;
}

/* Every served row's MAC, by VM, sorted, each once. */
static struct vm_mac *gather_macs(const struct xv_vif_table *vifs,
				  const struct xv_vm_table *vms, size_t *n)
{
	struct vm_mac *macs = malloc((vifs->rows.nactive + 1) * sizeof *macs);
	size_t k = 0;

	if (!macs)
		return NULL;
	for (size_t i = 0; i < vifs->rows.nactive; i++) {
		const struct xv_vif_row *row = xv_vif_table_served(vifs, i);
		uint32_t vm = vm_of(vms, row);

		if (!row->has_mac || !vm)
			continue;
		macs[k].vm = vm;
		memcpy(macs[k].mac, row->mac, 6);
		k++;
	}
	qsort(macs, k, sizeof *macs, compare_vm_mac);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (*n == 0 || compare_vm_mac(&macs[*n - 1], &macs[i]) != 0)
			macs[(*n)++] = macs[i];
	return macs;
}

int xv_classified_list(struct xv_classified_list *list, const struct xv_vif_table *vifs,
		       const struct xv_vm_table *vms, const struct xv_linkset *links)
{
	size_t nmacs;
	struct vm_mac *macs = gather_macs(vifs, vms, &nmacs);

	list->n = 0;
	if (!macs)
		return -ENOMEM;
	for (size_t i = 0; i < vifs->rows.nactive; i++) {
		const struct xv_vif_row *row = xv_vif_table_served(vifs, i);
		uint32_t vm = vm_of(vms, row);
		size_t first = xv_lower_bound(macs, nmacs, sizeof *macs, &vm, order_vm);

		if (!vm || first == nmacs || macs[first].vm != vm)
			continue;
		for (size_t j = 0; j < row->nsources; j++) {
			const struct xv_source *s = &row->sources[j];
			struct xv_classified *d, *grown;

			if (!xv_linkset_find(links, s->ifindex))
				continue; /* gone: nothing to hook */
			grown = xv_grow(list->v, &list->cap, list->n, sizeof *list->v, 16);
			if (!grown) {
				free(macs);
				list->n = 0;
				return -ENOMEM;
			}
			list->v = grown;
			d = &list->v[list->n++];
			memset(d, 0, sizeof *d);
			d->ifindex = s->ifindex;
			for (size_t m = first; m < nmacs && macs[m].vm == vm &&
					       d->nmacs < XV_CLASSIFIER_MACS;
			     m++)
				memcpy(d->macs[d->nmacs++], macs[m].mac, 6);
		}
	}
	free(macs);
	if (list->n > 1)
		qsort(list->v, list->n, sizeof *list->v, compare_ifindex);
	return 0;
}

void xv_classified_free(struct xv_classified_list *list)
{
	free(list->v);
	memset(list, 0, sizeof *list);
}
