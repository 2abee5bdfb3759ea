/*
 * XEN-VIF-MIB's vif table and scalars, served from the engine's table.
 * Requests are answered from memory with a binary search over the rows
 * sorted by index: a GET costs O(log n), a walk O(n log n).
 */
#ifndef XV_MIB_VIF_H
#define XV_MIB_VIF_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdbool.h>

#include "xenvif/vif_table.h"

/* One object's value, ready for snmp_set_var_typed_value(). */
struct xv_mib_value {
	u_char type;
	const void *data;
	size_t len;
	union {
		u_long ul;
		long l;
		struct counter64 c64;
	} buf;
};

/*
 * The value of a column for a row.  False if the row has no instance
 * of that column (no well-formed MAC) or the column is not readable.
 * The only source of vif values: GET, GETNEXT and notifications.
 */
bool xv_mib_vif_column(const struct xv_row *row, int column,
		       struct xv_mib_value *out);

/*
 * Answers one varbind of xenVifTable.  GET: name must be an instance.
 * GETNEXT: the first instance after name, or name itself if inclusive
 * (AgentX's "include" flag).  Fills out (its length in *outlen, room
 * for XV_MIB_VIF_INSTANCE_LEN) and value; returns 0, or the exception:
 * SNMP_NOSUCHOBJECT or SNMP_NOSUCHINSTANCE for GET, SNMP_ENDOFMIBVIEW
 * when nothing follows in the table.
 */
#define XV_MIB_VIF_INSTANCE_LEN 14
int xv_mib_vif_resolve(const struct xv_table *t, bool getnext, bool inclusive,
		       const oid *name, size_t len, oid *out, size_t *outlen,
		       struct xv_mib_value *value);

/* Registers the vif objects, served from *table.  0 or an MIB_ error. */
int xv_mib_vif_register(const struct xv_table *table);
void xv_mib_vif_unregister(void);

#endif
