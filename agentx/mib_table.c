#include "mib_table.h"

#include <stdlib.h>
#include <string.h>

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

void xv_mib_table_init(struct xv_mib_table *t, const char *name, const oid *entry,
		       size_t len, int first_column, int last_column,
		       const struct xv_registry *reg, xv_mib_column_fn *column,
		       const void *ctx)
{
	memset(t, 0, sizeof *t);
	t->name = name;
	memcpy(t->entry, entry, len * sizeof *entry);
	t->entry_len = len;
	t->first_column = first_column;
	t->last_column = last_column;
	t->reg = reg;
	t->column = column;
	t->ctx = ctx;
}

/* The first instance (column, entry) with a value at or after column
 * and the first served entry whose index is >= min_index. */
static bool first_instance_from(const struct xv_mib_table *t, int column,
				uint64_t min_index, const struct xv_entry **entry,
				int *column_out, struct xv_mib_value *value)
{
	const struct xv_registry *r = t->reg;

	for (; column <= t->last_column; column++, min_index = 0) {
		if (min_index > XV_INDEX_MAX)
			continue;
		for (size_t i = xv_registry_active_from(r, (uint32_t)min_index);
		     i < r->nactive; i++) {
			if (t->column(t->ctx, r->active[i], column, value)) {
				*entry = r->active[i];
				*column_out = column;
				return true;
			}
		}
	}
	return false;
}

/* The instance that follows name in the table, if any. */
static bool next_instance(const struct xv_mib_table *t, const oid *name,
			  size_t len, const struct xv_entry **entry, int *column,
			  struct xv_mib_value *value)
{
	size_t e = t->entry_len;
	int cmp = snmp_oid_ncompare(name, len, t->entry, e, e);

	if (cmp < 0 || len <= e) /* before or at the entry */
		return cmp <= 0 && first_instance_from(t, t->first_column, 0, entry,
						       column, value);
	if (cmp > 0) /* past the table */
		return false;
	if (name[e] < (oid)t->first_column)
		return first_instance_from(t, t->first_column, 0, entry, column, value);
	if (name[e] > (oid)t->last_column)
		return false;
	/* Within a column: entries after the index given, if one is. */
	uint64_t min_index = len > e + 1 ? (uint64_t)name[e + 1] + 1 : 0;
	return first_instance_from(t, (int)name[e], min_index, entry, column, value);
}

/* The entry a GET names exactly, with the column's value. */
static int exact_instance(const struct xv_mib_table *t, const oid *name,
			  size_t len, struct xv_mib_value *value)
{
	size_t e = t->entry_len;
	const struct xv_registry *r = t->reg;

	if (len < e + 1 || snmp_oid_ncompare(name, len, t->entry, e, e) != 0 ||
	    name[e] < (oid)t->first_column || name[e] > (oid)t->last_column)
		return SNMP_NOSUCHOBJECT;
	if (len != e + 2 || name[e + 1] == 0 || name[e + 1] > XV_INDEX_MAX)
		return SNMP_NOSUCHINSTANCE;
	size_t i = xv_registry_active_from(r, (uint32_t)name[e + 1]);
	if (i >= r->nactive || r->active[i]->index != name[e + 1] ||
	    !t->column(t->ctx, r->active[i], (int)name[e], value))
		return SNMP_NOSUCHINSTANCE;
	return SNMP_ERR_NOERROR;
}

int xv_mib_table_resolve(const struct xv_mib_table *t, bool getnext,
			 bool inclusive, const oid *name, size_t len, oid *out,
			 size_t *outlen, struct xv_mib_value *value)
{
	const struct xv_entry *entry;
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
	if (!next_instance(t, name, len, &entry, &column, value))
		return SNMP_ENDOFMIBVIEW;
	memcpy(out, t->entry, t->entry_len * sizeof *out);
	out[t->entry_len] = (oid)column;
	out[t->entry_len + 1] = entry->index;
	*outlen = t->entry_len + 2;
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
		oid name[XV_MIB_ENTRY_MAX + 2];
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

int xv_mib_table_register(struct xv_mib_table *t)
{
	netsnmp_mib_handler *h = netsnmp_create_handler(t->name, table_handler);

	if (!h)
		return MIB_REGISTRATION_FAILED;
	h->myvoid = t;
	t->registration = netsnmp_handler_registration_create(
		t->name, h, t->entry, t->entry_len - 1, HANDLER_CAN_RONLY);
	if (!t->registration) {
		netsnmp_handler_free(h);
		return MIB_REGISTRATION_FAILED;
	}
	return netsnmp_register_handler(t->registration);
}

void xv_mib_table_unregister(struct xv_mib_table *t)
{
	if (t->registration)
		netsnmp_unregister_handler(t->registration);
	t->registration = NULL;
}

struct scalar {
	u_char type;
	xv_mib_scalar_fn *value;
	const void *ctx;
};

static int scalar_handler(netsnmp_mib_handler *handler,
			  netsnmp_handler_registration *reginfo,
			  netsnmp_agent_request_info *reqinfo,
			  netsnmp_request_info *requests)
{
	const struct scalar *s = handler->myvoid;

	(void)reginfo;
	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	for (netsnmp_request_info *req = requests; req; req = req->next) {
		u_long v = s->value(s->ctx);

		snmp_set_var_typed_value(req->requestvb, s->type, &v, sizeof v);
	}
	return SNMP_ERR_NOERROR;
}

static void free_scalar(void *p)
{
	free(p);
}

netsnmp_handler_registration *xv_mib_scalar_register(const char *name,
						     const oid *o, size_t len,
						     u_char type,
						     xv_mib_scalar_fn *value,
						     const void *ctx)
{
	struct scalar *s = calloc(1, sizeof *s);
	netsnmp_mib_handler *h;
	netsnmp_handler_registration *reg;

	if (!s)
		return NULL;
	*s = (struct scalar){type, value, ctx};
	if (!(h = netsnmp_create_handler(name, scalar_handler))) {
		free(s);
		return NULL;
	}
	h->myvoid = s;
	h->data_free = free_scalar;
	reg = netsnmp_handler_registration_create(name, h, o, len, HANDLER_CAN_RONLY);
	if (!reg) {
		netsnmp_handler_free(h);
		return NULL;
	}
	if (netsnmp_register_read_only_scalar(reg) != MIB_REGISTERED_OK)
		return NULL;
	return reg;
}
