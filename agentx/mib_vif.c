#include "mib_vif.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <string.h>

#include "mib_oids.h"

static const oid entry_oid[] = {XV_OID_VIF_ENTRY};
#define ENTRY_LEN OID_LENGTH(entry_oid)
#define INSTANCE_LEN (ENTRY_LEN + 2)
_Static_assert(INSTANCE_LEN == XV_MIB_VIF_INSTANCE_LEN, "instance length");

static netsnmp_handler_registration *table_reg, *number_reg, *last_change_reg;

static void set_u32(struct xv_mib_value *v, u_char type, uint32_t x)
{
	v->type = type;
	v->buf.ul = x;
	v->data = &v->buf.ul;
	v->len = sizeof v->buf.ul;
}

static void set_c64(struct xv_mib_value *v, uint64_t x)
{
	v->type = ASN_COUNTER64;
	v->buf.c64.high = (u_long)(x >> 32);
	v->buf.c64.low = (u_long)(x & 0xffffffffU);
	v->data = &v->buf.c64;
	v->len = sizeof v->buf.c64;
}

static void set_text(struct xv_mib_value *v, const char *s)
{
	v->type = ASN_OCTET_STR;
	v->data = s ? s : "";
	v->len = s ? strlen(s) : 0;
}

bool xv_mib_vif_column(const struct xv_row *row, int column,
		       struct xv_mib_value *out)
{
	static const enum xv_counter counter_of[] = {
		[XV_COL_HC_IN_OCTETS] = XV_IN_OCTETS,
		[XV_COL_HC_IN_PKTS] = XV_IN_PKTS,
		[XV_COL_IN_DISCARDS] = XV_IN_DISCARDS,
		[XV_COL_IN_ERRORS] = XV_IN_ERRORS,
		[XV_COL_HC_OUT_OCTETS] = XV_OUT_OCTETS,
		[XV_COL_HC_OUT_PKTS] = XV_OUT_PKTS,
		[XV_COL_OUT_DISCARDS] = XV_OUT_DISCARDS,
		[XV_COL_OUT_ERRORS] = XV_OUT_ERRORS,
	};

	switch (column) {
	case XV_COL_DOMAIN_ID:
		set_u32(out, ASN_UNSIGNED, row->domid);
		return true;
	case XV_COL_DOMAIN_NAME:
		set_text(out, row->domain_name);
		return true;
	case XV_COL_DOMAIN_UUID:
		set_text(out, row->uuid);
		return true;
	case XV_COL_DEVICE_ID:
		set_u32(out, ASN_UNSIGNED, row->devid);
		return true;
	case XV_COL_NAME:
		set_text(out, row->ifname);
		return true;
	case XV_COL_IFINDEX:
		set_u32(out, ASN_INTEGER, (uint32_t)row->ifindex);
		return true;
	case XV_COL_MAC:
		if (!row->has_mac)
			return false;
		out->type = ASN_OCTET_STR;
		out->data = row->mac;
		out->len = sizeof row->mac;
		return true;
	case XV_COL_BRIDGE:
		set_text(out, row->bridge);
		return true;
	case XV_COL_IP_ADDRESSES:
		set_text(out, row->ips);
		return true;
	case XV_COL_OPER_STATUS:
		set_u32(out, ASN_INTEGER, row->oper_up ? 1 : 2);
		return true;
	case XV_COL_HC_IN_OCTETS:
	case XV_COL_HC_IN_PKTS:
	case XV_COL_IN_DISCARDS:
	case XV_COL_IN_ERRORS:
	case XV_COL_HC_OUT_OCTETS:
	case XV_COL_HC_OUT_PKTS:
	case XV_COL_OUT_DISCARDS:
	case XV_COL_OUT_ERRORS:
		set_c64(out, row->total.v[counter_of[column]]);
		return true;
	case XV_COL_DISCONTINUITY_TIME:
		set_u32(out, ASN_TIMETICKS, row->discontinuity);
		return true;
	default:
		return false;
	}
}

/* The first instance (column, row) with a value at or after column
 * and the first row whose index is >= min_index. */
static bool first_instance_from(const struct xv_table *t, int column,
				uint64_t min_index, const struct xv_row **row_out,
				int *column_out, struct xv_mib_value *value)
{
	for (; column <= XV_COL_LAST; column++, min_index = 0) {
		if (min_index > XV_INDEX_MAX)
			continue;
		for (size_t i = xv_registry_active_from(&t->rows, (uint32_t)min_index);
		     i < t->rows.nactive; i++) {
			if (xv_mib_vif_column(xv_table_served(t, i), column, value)) {
				*row_out = xv_table_served(t, i);
				*column_out = column;
				return true;
			}
		}
	}
	return false;
}

/* The instance that follows name in the table, if any. */
static bool next_instance(const struct xv_table *t, const oid *name, size_t len,
			  const struct xv_row **row, int *column,
			  struct xv_mib_value *value)
{
	int cmp = snmp_oid_ncompare(name, len, entry_oid, ENTRY_LEN, ENTRY_LEN);

	if (cmp < 0 || len <= ENTRY_LEN) /* before or at the entry */
		return cmp <= 0 &&
		       first_instance_from(t, XV_COL_FIRST_READABLE, 0, row, column, value);
	if (cmp > 0) /* past the table */
		return false;
	if (name[ENTRY_LEN] < XV_COL_FIRST_READABLE)
		return first_instance_from(t, XV_COL_FIRST_READABLE, 0, row, column, value);
	if (name[ENTRY_LEN] > XV_COL_LAST)
		return false;
	/* Within a column: rows after the index given, if one is. */
	uint64_t min_index = len > ENTRY_LEN + 1 ? (uint64_t)name[ENTRY_LEN + 1] + 1 : 0;
	return first_instance_from(t, (int)name[ENTRY_LEN], min_index, row, column,
				   value);
}

/* The row a GET names exactly, with the column's value. */
static int exact_instance(const struct xv_table *t, const oid *name, size_t len,
			  struct xv_mib_value *value)
{
	if (len < ENTRY_LEN + 1 ||
	    snmp_oid_ncompare(name, len, entry_oid, ENTRY_LEN, ENTRY_LEN) != 0 ||
	    name[ENTRY_LEN] < XV_COL_FIRST_READABLE || name[ENTRY_LEN] > XV_COL_LAST)
		return SNMP_NOSUCHOBJECT;
	if (len != INSTANCE_LEN || name[ENTRY_LEN + 1] == 0 ||
	    name[ENTRY_LEN + 1] > XV_INDEX_MAX)
		return SNMP_NOSUCHINSTANCE;
	size_t i = xv_registry_active_from(&t->rows, (uint32_t)name[ENTRY_LEN + 1]);
	if (i >= t->rows.nactive ||
	    xv_table_served(t, i)->entry.index != name[ENTRY_LEN + 1] ||
	    !xv_mib_vif_column(xv_table_served(t, i), (int)name[ENTRY_LEN], value))
		return SNMP_NOSUCHINSTANCE;
	return SNMP_ERR_NOERROR;
}

int xv_mib_vif_resolve(const struct xv_table *t, bool getnext, bool inclusive,
		       const oid *name, size_t len, oid *out, size_t *outlen,
		       struct xv_mib_value *value)
{
	const struct xv_row *row;
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
	memcpy(out, entry_oid, sizeof entry_oid);
	out[ENTRY_LEN] = (oid)column;
	out[ENTRY_LEN + 1] = row->entry.index;
	*outlen = INSTANCE_LEN;
	return 0;
}

static int table_handler(netsnmp_mib_handler *handler,
			 netsnmp_handler_registration *reginfo,
			 netsnmp_agent_request_info *reqinfo,
			 netsnmp_request_info *requests)
{
	const struct xv_table *t = handler->myvoid;
	bool getnext = reqinfo->mode == MODE_GETNEXT;

	(void)reginfo;
	if (reqinfo->mode != MODE_GET && !getnext)
		return SNMP_ERR_NOERROR;
	for (netsnmp_request_info *req = requests; req; req = req->next) {
		netsnmp_variable_list *vb = req->requestvb;
		struct xv_mib_value value;
		oid name[INSTANCE_LEN];
		size_t len;
		int rc;

		if (req->processed)
			continue;
		rc = xv_mib_vif_resolve(t, getnext, req->inclusive, vb->name,
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

static int scalar_reply(netsnmp_agent_request_info *reqinfo,
			netsnmp_request_info *requests, u_char type, u_long value)
{
	if (reqinfo->mode == MODE_GET)
		for (netsnmp_request_info *req = requests; req; req = req->next)
			snmp_set_var_typed_value(req->requestvb, type, &value,
						 sizeof value);
	return SNMP_ERR_NOERROR;
}

static int number_handler(netsnmp_mib_handler *handler,
			  netsnmp_handler_registration *reginfo,
			  netsnmp_agent_request_info *reqinfo,
			  netsnmp_request_info *requests)
{
	const struct xv_table *t = handler->myvoid;

	(void)reginfo;
	return scalar_reply(reqinfo, requests, ASN_UNSIGNED, (u_long)t->rows.nactive);
}

static int last_change_handler(netsnmp_mib_handler *handler,
			       netsnmp_handler_registration *reginfo,
			       netsnmp_agent_request_info *reqinfo,
			       netsnmp_request_info *requests)
{
	const struct xv_table *t = handler->myvoid;

	(void)reginfo;
	return scalar_reply(reqinfo, requests, ASN_TIMETICKS, (u_long)t->last_change);
}

static netsnmp_handler_registration *make_reg(const char *name,
					      Netsnmp_Node_Handler *fn,
					      const oid *o, size_t len,
					      const struct xv_table *t)
{
	netsnmp_mib_handler *h = netsnmp_create_handler(name, fn);
	netsnmp_handler_registration *reg;

	if (!h)
		return NULL;
	h->myvoid = (void *)t;
	reg = netsnmp_handler_registration_create(name, h, o, len, HANDLER_CAN_RONLY);
	if (!reg)
		netsnmp_handler_free(h);
	return reg;
}

int xv_mib_vif_register(const struct xv_table *table)
{
	static const oid table_oid[] = {XV_OID_VIF_TABLE};
	static const oid number_oid[] = {XV_OID_VIF_NUMBER};
	static const oid last_change_oid[] = {XV_OID_VIF_TABLE_LAST_CHANGE};
	int rc;

	table_reg = make_reg("xenVifTable", table_handler, table_oid,
			     OID_LENGTH(table_oid), table);
	number_reg = make_reg("xenVifNumber", number_handler, number_oid,
			      OID_LENGTH(number_oid), table);
	last_change_reg = make_reg("xenVifTableLastChange", last_change_handler,
				   last_change_oid, OID_LENGTH(last_change_oid), table);
	if (!table_reg || !number_reg || !last_change_reg)
		return MIB_REGISTRATION_FAILED;
	if ((rc = netsnmp_register_handler(table_reg)) != MIB_REGISTERED_OK ||
	    (rc = netsnmp_register_read_only_scalar(number_reg)) != MIB_REGISTERED_OK ||
	    (rc = netsnmp_register_read_only_scalar(last_change_reg)) != MIB_REGISTERED_OK)
		return rc;
	return MIB_REGISTERED_OK;
}

void xv_mib_vif_unregister(void)
{
	netsnmp_handler_registration **regs[] = {&table_reg, &number_reg,
						 &last_change_reg};

	for (size_t i = 0; i < 3; i++) {
		if (*regs[i])
			netsnmp_unregister_handler(*regs[i]);
		*regs[i] = NULL;
	}
}
