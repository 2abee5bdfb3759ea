/* SPDX-License-Identifier: ISC */
/*
 * MIB tests as tables of expected {OID, type, value}: each row is
 * asked of the same resolve that answers GET and GETNEXT (or read from
 * a notification's varbinds), and gives one TAP result.
 */
#ifndef XV_MIB_EXPECT_H
#define XV_MIB_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "../../agentx/mib_table.h"

/* Room for any OID the tests name or resolve answers. */
#define EXPECT_OID_MAX 32

/* How a row's value is written, and which field holds it. */
enum kind {
	INT,    /* number: INTEGER, Unsigned32, Gauge32, Counter32, TimeTicks */
	C64,    /* number: Counter64 */
	TEXT,   /* text: the octets as a string */
	OIDV,   /* text: an OBJECT IDENTIFIER, dotted */
	HEX,    /* text: the octets in hex; NULL: any six (a MAC) */
	ABSENT, /* number: the exception a GET gives (no type, no value) */
};

struct expect {
	const char *oid; /* numeric, without the leading dot */
	u_char type;
	enum kind kind;
	uint64_t number;
	const char *text;
};

#define EXPECT_ROWS(table) (sizeof(table) / sizeof *(table))

/* The sub-ids of a dotted OID (at most EXPECT_OID_MAX); their number. */
size_t expect_parse(const char *text, oid *out);

/* Is the answer (resolve's return, the instance it names and its
 * value) the one x expects?  If not, why says what it was. */
bool expect_matches(const struct expect *x, int rc, const oid *name, size_t len,
		    const struct xv_mib_value *v, char *why, size_t whysz);

/* The row of table for the OID text, or NULL. */
const struct expect *expect_find(const struct expect *table, size_t rows,
				 const char *oid);

/* A GET of the OID text through whichever of the n objects holds it:
 * resolve's return (SNMP_NOSUCHOBJECT where none does). */
int expect_get(const struct xv_mib_table *objects, size_t n, const char *text,
	       struct xv_mib_value *v);

/* A GET of every row of table, one TAP result each. */
void expect_check(const struct xv_mib_table *objects, size_t n,
		  const struct expect *table, size_t rows);

/* A walk of the table t by GETNEXT from its entry, one TAP result: it
 * gives the rows of table that are not ABSENT, in their order, each
 * with its value, and then endOfMibView.  Returns how many instances
 * the walk gave. */
size_t expect_walk(const struct xv_mib_table *t, const struct expect *table,
		   size_t rows);

/* The varbinds of a notification against table, in order, one TAP
 * result a row.  Returns how many varbinds there are. */
size_t expect_varbinds(const netsnmp_variable_list *vars,
		       const struct expect *table, size_t rows);

#endif
