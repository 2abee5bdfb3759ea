/* SPDX-License-Identifier: ISC */
/* XEN-VIF-MIB's vif table and its scalars, served from the engine. */
#ifndef XV_MIB_VIF_H
#define XV_MIB_VIF_H

#include "mib_table.h"
#include "xenvif/switch_view.h"
#include "xenvif/vif_table.h"
#include "xenvif/vm_table.h"

/* What the vif objects are served from.  The same objects are served
 * in the default context and in the switch's, whose TimeStamps are in
 * the switch's clock (clock set) instead of the master agent's. */
struct xv_mib_vif_ctx {
	const struct xv_vif_table *vifs;
	const struct xv_vm_table *vms; /* resolves xenVifVmRef */
	const struct xv_switch *clock; /* NULL: the master agent's clock */
};

/*
 * The value of a column of a vif row: the one source of vif values for
 * GET, GETNEXT and notifications.  False if the row has no instance of
 * it (no well-formed MAC) or the column is not readable.
 */
bool xv_mib_vif_column(const struct xv_mib_vif_ctx *ctx, const struct xv_vif_row *row,
		       int column, struct xv_mib_value *out);

/* The table's description, for the handler and for tests. */
void xv_mib_vif_describe(struct xv_mib_table *t, const struct xv_mib_vif_ctx *ctx);

#define XV_MIB_VIF_OBJECTS 3
/* The table and its scalars, into out[XV_MIB_VIF_OBJECTS], ready to be
 * registered; ctx must outlive them. */
size_t xv_mib_vif_objects(struct xv_mib_table *out, const struct xv_mib_vif_ctx *ctx);

#endif
