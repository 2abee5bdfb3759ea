/* XEN-VIF-MIB's vif table and its scalars, served from the engine. */
#ifndef XV_MIB_VIF_H
#define XV_MIB_VIF_H

#include "mib_table.h"
#include "xenvif/vif_table.h"
#include "xenvif/vm_table.h"

/*
 * The value of a column of a vif row: the one source of vif values for
 * GET, GETNEXT and notifications.  False if the row has no instance of
 * it (no well-formed MAC) or the column is not readable.  vms resolves
 * xenVifVmRef.
 */
bool xv_mib_vif_column(const struct xv_vm_table *vms, const struct xv_row *row,
		       int column, struct xv_mib_value *out);

/* The table's description, for the handler and for tests. */
void xv_mib_vif_describe(struct xv_mib_table *t, const struct xv_table *vifs,
			 const struct xv_vm_table *vms);

/* Registers the vif table and scalars.  0 or an MIB_ error. */
int xv_mib_vif_register(const struct xv_table *vifs, const struct xv_vm_table *vms);
void xv_mib_vif_unregister(void);

#endif
