/*
 * A read-only conceptual table served from a registry: GET and GETNEXT
 * answered from memory with a binary search over the served entries,
 * which are sorted by index.  A GET costs O(log n), a walk O(n log n).
 * Each table supplies its entry OID, its columns and one function that
 * gives a column's value; GET, GETNEXT and notifications all use it.
 */
#ifndef XV_MIB_TABLE_H
#define XV_MIB_TABLE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdbool.h>

#include "xenvif/registry.h"

/* One object's value, ready for snmp_set_var_typed_value(). */
struct xv_mib_value {
	u_char type;
	const void *data;
	size_t len;
	union {
		u_long ul;
		long l;
		struct counter64 c64;
		uint8_t octets[16];
	} buf;
};

void xv_mib_set_u32(struct xv_mib_value *v, u_char type, uint32_t x);
void xv_mib_set_c64(struct xv_mib_value *v, uint64_t x);
void xv_mib_set_text(struct xv_mib_value *v, const char *s);
void xv_mib_set_octets(struct xv_mib_value *v, const void *p, size_t len);

/* A column's value for an entry; false if it has no such instance. */
typedef bool xv_mib_column_fn(const void *ctx, const struct xv_entry *e,
			      int column, struct xv_mib_value *out);

#define XV_MIB_ENTRY_MAX 16

struct xv_mib_table {
	const char *name;
	oid entry[XV_MIB_ENTRY_MAX]; /* the entry's OID: table.1 */
	size_t entry_len;
	int first_column, last_column;
	const struct xv_registry *reg;
	xv_mib_column_fn *column;
	const void *ctx;
	netsnmp_handler_registration *registration;
};

/* Fills t for a table whose entry OID is entry (len sub-ids). */
void xv_mib_table_init(struct xv_mib_table *t, const char *name, const oid *entry,
		       size_t len, int first_column, int last_column,
		       const struct xv_registry *reg, xv_mib_column_fn *column,
		       const void *ctx);

/*
 * Answers one varbind.  GET: name must be an instance.  GETNEXT: the
 * first instance after name, or name itself if inclusive (AgentX's
 * "include" flag).  Fills out (its length in *outlen; room for
 * entry_len + 2) and value; returns 0, or the exception:
 * SNMP_NOSUCHOBJECT or SNMP_NOSUCHINSTANCE for GET, SNMP_ENDOFMIBVIEW
 * when nothing follows in the table.
 */
int xv_mib_table_resolve(const struct xv_mib_table *t, bool getnext,
			 bool inclusive, const oid *name, size_t len, oid *out,
			 size_t *outlen, struct xv_mib_value *value);

/* Registers the table's subtree (entry without its last sub-id). */
int xv_mib_table_register(struct xv_mib_table *t);
void xv_mib_table_unregister(struct xv_mib_table *t);

/* A read-only scalar whose value a function gives. */
typedef u_long xv_mib_scalar_fn(const void *ctx);
netsnmp_handler_registration *xv_mib_scalar_register(const char *name,
						     const oid *o, size_t len,
						     u_char type,
						     xv_mib_scalar_fn *value,
						     const void *ctx);

#endif
