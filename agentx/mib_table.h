/* SPDX-License-Identifier: ISC */
/*
 * A read-only conceptual table served from a sorted array of rows: GET
 * and GETNEXT answered from memory with a binary search over the rows,
 * which their owner keeps sorted by index.  A GET costs O(log n), a
 * walk O(n log n).  Each table supplies its entry OID, its columns,
 * where its rows are, how a row's index reads as sub-identifiers, and
 * one function that gives a column's value; GET, GETNEXT and
 * notifications all use that one.
 *
 * A group of scalars is the same thing with one row of index 0: each
 * scalar is registered as a table of that one column (its OID is the
 * group's, the column, then 0).
 *
 * Every object can be registered in the default context or in another
 * (the switch view): registration is apart from description.
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
		oid oids[16];
	} buf;
};

void xv_mib_set_u32(struct xv_mib_value *v, u_char type, uint32_t x);
void xv_mib_set_c64(struct xv_mib_value *v, uint64_t x);
void xv_mib_set_text(struct xv_mib_value *v, const char *s);
void xv_mib_set_octets(struct xv_mib_value *v, const void *p, size_t len);
/* An OBJECT IDENTIFIER of at most 16 sub-ids, copied. */
void xv_mib_set_oid(struct xv_mib_value *v, const oid *o, size_t len);

/* A column's value for a row; false if it has no such instance. */
typedef bool xv_mib_column_fn(const void *ctx, const void *row, int column,
			      struct xv_mib_value *out);
/* The rows now, sorted by index: their number, and the array in *rows. */
typedef size_t xv_mib_rows_fn(const void *rows_ctx, const void *const **rows);
/* A row's index as index_len sub-ids. */
typedef void xv_mib_index_fn(const void *row, oid *out);

#define XV_MIB_ENTRY_MAX 16
#define XV_MIB_INDEX_MAX 8
#define XV_MIB_CONTEXT_MAX 32

struct xv_mib_table {
	const char *name;
	oid entry[XV_MIB_ENTRY_MAX]; /* the entry's OID: table.1, or a group */
	size_t entry_len;
	oid root[XV_MIB_ENTRY_MAX + 1]; /* the subtree registered */
	size_t root_len;
	int first_column, last_column;
	size_t index_len;
	xv_mib_rows_fn *rows;
	const void *rows_ctx;
	xv_mib_index_fn *index;
	xv_mib_column_fn *column;
	const void *ctx;
	char context[XV_MIB_CONTEXT_MAX + 1]; /* "" = the default */
	netsnmp_handler_registration *registration;
};

/* A table whose rows are given by rows(rows_ctx) with indexes of
 * index_len sub-ids; registered as the table (entry without its last
 * sub-id). */
void xv_mib_table_init(struct xv_mib_table *t, const char *name, const oid *entry,
		       size_t len, int first_column, int last_column,
		       xv_mib_rows_fn *rows, const void *rows_ctx,
		       xv_mib_index_fn *index, size_t index_len,
		       xv_mib_column_fn *column, const void *ctx);

/* A table of a registry's served entries, indexed by their index. */
void xv_mib_table_init_registry(struct xv_mib_table *t, const char *name,
				const oid *entry, size_t len, int first_column,
				int last_column, const struct xv_registry *reg,
				xv_mib_column_fn *column, const void *ctx);

/* One scalar: group.column.0, its value column(ctx, NULL, column). */
void xv_mib_scalar_init(struct xv_mib_table *t, const char *name,
			const oid *group, size_t len, int column,
			xv_mib_column_fn *value, const void *ctx);

/*
 * Answers one varbind.  GET: name must be an instance.  GETNEXT: the
 * first instance after name, or name itself if inclusive (AgentX's
 * "include" flag).  Fills out (its length in *outlen; room for
 * entry_len + 1 + XV_MIB_INDEX_MAX) and value; returns 0, or the
 * exception: SNMP_NOSUCHOBJECT or SNMP_NOSUCHINSTANCE for GET,
 * SNMP_ENDOFMIBVIEW when nothing follows in the table.
 */
int xv_mib_table_resolve(const struct xv_mib_table *t, bool getnext,
			 bool inclusive, const oid *name, size_t len, oid *out,
			 size_t *outlen, struct xv_mib_value *value);

/* Registers the object in context ("" or NULL: the default). */
int xv_mib_table_register(struct xv_mib_table *t, const char *context);
void xv_mib_table_unregister(struct xv_mib_table *t);

/* Registers n objects; if one fails, none stays registered.
 * MIB_REGISTERED_OK or the failure. */
int xv_mib_register_all(struct xv_mib_table *t, size_t n, const char *context);
void xv_mib_unregister_all(struct xv_mib_table *t, size_t n);

#endif
