/* SPDX-License-Identifier: ISC */
#include "mib_table.h"

#include <stdlib.h>
#include <string.h>

#include "netsnmp_compat.h"
#include "xenvif/search.h"

void xv_mib_set_u32(struct xv_mib_value *v, u_char type, uint32_t x)
{
	v->type = type;
	v->buf.ul = x;
	v->data = &v->buf.ul;
	v->len = sizeof v->buf.ul;
}

void xv_mib_set_c64(struct xv_mib_value *v, uint64_t x)
{
	v->type = ASN_COUNTER64;
	v->buf.c64.high = (u_long)(x >> 32);
	v->buf.c64.low = (u_long)(x & 0xffffffffU);
	v->data = &v->buf.c64;
	v->len = sizeof v->buf.c64;
}

void xv_mib_set_text(struct xv_mib_value *v, const char *s)
{
	v->type = ASN_OCTET_STR;
	v->data = s ? s : "";
	v->len = s ? strlen(s) : 0;
}

void xv_mib_set_octets(struct xv_mib_value *v, const void *p, size_t len)
{
	v->type = ASN_OCTET_STR;
	v->data = p;
	v->len = len;
}

void xv_mib_set_oid(struct xv_mib_value *v, const oid *o, size_t len)
{
	if (len > OID_LENGTH(v->buf.oids))
		len = OID_LENGTH(v->buf.oids);
	memcpy(v->buf.oids, o, len * sizeof *o);
	v->type = ASN_OBJECT_ID;
	v->data = v->buf.oids;
	v->len = len * sizeof *o;
}

void xv_mib_table_init(struct xv_mib_table *t, const char *name, const oid *entry,
		       size_t len, int first_column, int last_column,
		       xv_mib_rows_fn *rows, const void *rows_ctx,
		       xv_mib_index_fn *index, size_t index_len,
		       xv_mib_column_fn *column, const void *ctx)
{
	memset(t, 0, sizeof *t);
	t->name = name;
	memcpy(t->entry, entry, len * sizeof *entry);
	t->entry_len = len;
	memcpy(t->root, entry, (len - 1) * sizeof *entry);
	t->root_len = len - 1;
	t->first_column = first_column;
	t->last_column = last_column;
	t->rows = rows;
	t->rows_ctx = rows_ctx;
	t->index = index;
	t->index_len = index_len;
	t->column = column;
	t->ctx = ctx;
}

static size_t registry_rows(const void *ctx, const void *const **rows)
{
	const struct xv_registry *r = ctx;

	*rows = (const void *const *)r->active;
	return r->nactive;
}

static void registry_index(const void *row, oid *out)
{
	out[0] = ((const struct xv_entry *)row)->index;
}

void xv_mib_table_init_registry(struct xv_mib_table *t, const char *name,
				const oid *entry, size_t len, int first_column,
				int last_column, const struct xv_registry *reg,
				xv_mib_column_fn *column, const void *ctx)
{
	xv_mib_table_init(t, name, entry, len, first_column, last_column,
			  registry_rows, reg, registry_index, 1, column, ctx);
}

/* A scalar's one row: its pointer is never looked at. */
static const void *const scalar_row[1] = {scalar_row};

static size_t scalar_rows(const void *ctx, const void *const **rows)
{
	(void)ctx;
	*rows = scalar_row;
	return 1;
}

static void scalar_index(const void *row, oid *out)
{
	(void)row;
	out[0] = 0;
}

void xv_mib_scalar_init(struct xv_mib_table *t, const char *name,
			const oid *group, size_t len, int column,
			xv_mib_column_fn *value, const void *ctx)
{
	xv_mib_table_init(t, name, group, len, column, column, scalar_rows, NULL,
			  scalar_index, 1, value, ctx);
	memcpy(t->root, group, len * sizeof *group);
	t->root[len] = (oid)column;
	t->root_len = len + 1;
}

/* A request's index sub-ids, to order rows against. */
struct index_key {
	const struct xv_mib_table *t;
	const oid *suffix;
	size_t len;
	bool inclusive;  /* a row equal to the key is not before it */
};

static int order_row(const void *key, const void *item)
{
	const struct index_key *k = key;
	oid idx[XV_MIB_INDEX_MAX];
	int c;

	k->t->index(*(const void *const *)item, idx);
	c = snmp_oid_compare(k->suffix, k->len, idx, k->t->index_len);
	return c == 0 && !k->inclusive ? 1 : c;
}

/* The position of the first row whose index is after the sub-ids
 * given (at or after them if inclusive). */
static size_t first_from(const struct xv_mib_table *t, const void *const *rows,
			 size_t n, const oid *suffix, size_t slen, bool inclusive)
{
	struct index_key key = {t, suffix, slen, inclusive};

	return xv_lower_bound(rows, n, sizeof *rows, &key, order_row);
}

/* The first instance (column, row) with a value at or after column and
 * the index suffix given (strictly after it in that column). */
static bool first_instance_from(const struct xv_mib_table *t, int column,
				const oid *suffix, size_t slen,
				const void **row, int *column_out,
				struct xv_mib_value *value)
{
	const void *const *rows;
	size_t n = t->rows(t->rows_ctx, &rows);

	for (; column <= t->last_column; column++, slen = 0) {
		for (size_t i = slen ? first_from(t, rows, n, suffix, slen, false) : 0;
		     i < n; i++) {
			if (t->column(t->ctx, rows[i], column, value)) {
				*row = rows[i];
				*column_out = column;
				return true;
			}
		}
	}
	return false;
}

/* The instance that follows name in the table, if any. */
static bool next_instance(const struct xv_mib_table *t, const oid *name,
			  size_t len, const void **row, int *column,
			  struct xv_mib_value *value)
{
	size_t e = t->entry_len;
	int cmp = snmp_oid_ncompare(name, len, t->entry, e, e);

	if (cmp < 0 || len <= e) /* before or at the entry */
		return cmp <= 0 && first_instance_from(t, t->first_column, NULL, 0,
						       row, column, value);
	if (cmp > 0) /* past the table */
		return false;
	if (name[e] < (oid)t->first_column)
		return first_instance_from(t, t->first_column, NULL, 0, row, column,
					   value);
	if (name[e] > (oid)t->last_column)
		return false;
	/* Within a column: rows after the index given, if one is. */
	return first_instance_from(t, (int)name[e], name + e + 1, len - e - 1, row,
				   column, value);
}

/* The row a GET names exactly, with the column's value. */
static int exact_instance(const struct xv_mib_table *t, const oid *name,
			  size_t len, struct xv_mib_value *value)
{
	size_t e = t->entry_len;
	const void *const *rows;
	size_t n, i;
	oid idx[XV_MIB_INDEX_MAX];

	if (len < e + 1 || snmp_oid_ncompare(name, len, t->entry, e, e) != 0 ||
	    name[e] < (oid)t->first_column || name[e] > (oid)t->last_column)
		return SNMP_NOSUCHOBJECT;
	if (len != e + 1 + t->index_len)
		return SNMP_NOSUCHINSTANCE;
	n = t->rows(t->rows_ctx, &rows);
	i = first_from(t, rows, n, name + e + 1, t->index_len, true);
	if (i >= n)
		return SNMP_NOSUCHINSTANCE;
	t->index(rows[i], idx);
	if (snmp_oid_compare(idx, t->index_len, name + e + 1, t->index_len) != 0 ||
	    !t->column(t->ctx, rows[i], (int)name[e], value))
		return SNMP_NOSUCHINSTANCE;
	return SNMP_ERR_NOERROR;
}

int xv_mib_table_resolve(const struct xv_mib_table *t, bool getnext,
			 bool inclusive, const oid *name, size_t len, oid *out,
			 size_t *outlen, struct xv_mib_value *value)
{
	const void *row;
	int column;

	if (!getnext || inclusive) {
		int rc = exact_instance(t, name, len, value);

		if (rc == SNMP_ERR_NOERROR) {
			memcpy(out, name, len * sizeof *name);
			*outlen = len;
			return 0;
		}
		if (!getnext)
			return rc;
	}
	if (!next_instance(t, name, len, &row, &column, value))
		return SNMP_ENDOFMIBVIEW;
	memcpy(out, t->entry, t->entry_len * sizeof *out);
	out[t->entry_len] = (oid)column;
	t->index(row, out + t->entry_len + 1);
	*outlen = t->entry_len + 1 + t->index_len;
	return 0;
}

static int table_handler(netsnmp_mib_handler *handler,
			 netsnmp_handler_registration *reginfo,
			 netsnmp_agent_request_info *reqinfo,
			 netsnmp_request_info *requests)
{
	const struct xv_mib_table *t = handler->myvoid;
	bool getnext = reqinfo->mode == MODE_GETNEXT;

	(void)reginfo;
	if (reqinfo->mode != MODE_GET && !getnext)
		return SNMP_ERR_NOERROR;
	for (netsnmp_request_info *req = requests; req; req = req->next) {
		netsnmp_variable_list *vb = req->requestvb;
		struct xv_mib_value value;
		oid name[XV_MIB_ENTRY_MAX + 1 + XV_MIB_INDEX_MAX];
		size_t len;
		int rc;

		if (req->processed)
			continue;
		rc = xv_mib_table_resolve(t, getnext, req->inclusive, vb->name,
					  vb->name_length, name, &len, &value);
		if (rc == SNMP_ENDOFMIBVIEW)
			continue; /* stays NULL: the agent asks the next subtree */
		if (rc != 0) {
			netsnmp_set_request_error(reqinfo, req, rc);
			continue;
		}
		if (getnext)
			snmp_set_var_objid(vb, name, len);
		snmp_set_var_typed_value(vb, value.type, value.data, value.len);
	}
	return SNMP_ERR_NOERROR;
}

int xv_mib_table_register(struct xv_mib_table *t, const char *context)
{
	netsnmp_mib_handler *h = netsnmp_create_handler(t->name, table_handler);

	if (!h)
		return MIB_REGISTRATION_FAILED;
	h->myvoid = t;
	snprintf(t->context, sizeof t->context, "%s", context ? context : "");
	t->registration = netsnmp_handler_registration_create(
		t->name, h, t->root, t->root_len, HANDLER_CAN_RONLY);
	if (!t->registration) {
		netsnmp_handler_free(h);
		return MIB_REGISTRATION_FAILED;
	}
	/* Without its context the object would land in snmpd's default
	 * one: better not registered at all. */
	if (t->context[0] &&
	    !(t->registration->contextName = strdup(t->context))) {
		netsnmp_handler_registration_free(t->registration);
		t->registration = NULL;
		return MIB_REGISTRATION_FAILED;
	}
	int rc = netsnmp_register_handler(t->registration);
	if (rc != MIB_REGISTERED_OK)
		/* net-snmp has freed the registration. */
		t->registration = NULL;
	return rc;
}

void xv_mib_table_unregister(struct xv_mib_table *t)
{
	netsnmp_handler_registration *r = t->registration;

	if (!r)
		return;
	t->registration = NULL;
	xv_compat_unregister(r, t->context);
}

int xv_mib_register_all(struct xv_mib_table *t, size_t n, const char *context)
{
	for (size_t i = 0; i < n; i++) {
		int rc = xv_mib_table_register(&t[i], context);

		if (rc != MIB_REGISTERED_OK) {
			xv_mib_unregister_all(t, i);
			return rc;
		}
	}
	return MIB_REGISTERED_OK;
}

void xv_mib_unregister_all(struct xv_mib_table *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xv_mib_table_unregister(&t[i]);
}
