/* SPDX-License-Identifier: ISC */
/* XEN-VIF-MIB's VM table and xenVifVmNumber, served from the engine. */
#ifndef XV_MIB_VM_H
#define XV_MIB_VM_H

#include "mib_table.h"
#include "xenvif/vm_table.h"

/*
 * The value of a column of a VM: the one source of VM values for GET,
 * GETNEXT and notifications.
 */
bool xv_mib_vm_column(const struct xv_vm *vm, int column, struct xv_mib_value *out);

void xv_mib_vm_describe(struct xv_mib_table *t, const struct xv_vm_table *vms);

#define XV_MIB_VM_OBJECTS 2
/* The table and xenVifVmNumber, into out[XV_MIB_VM_OBJECTS]. */
size_t xv_mib_vm_objects(struct xv_mib_table *out, const struct xv_vm_table *vms);

#endif
