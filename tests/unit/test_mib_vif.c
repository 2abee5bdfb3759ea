/* Lookups of xenVifTable as GET and GETNEXT see them. */
#include <string.h>

#include "../../agentx/mib_oids.h"
#include "../../agentx/mib_vif.h"
#include "tap.h"
#include "xenvif/vm_table.h"

static const oid entry[] = {XV_OID_VIF_ENTRY};
#define E OID_LENGTH(entry)

static struct xv_vif_table t;
static struct xv_vm_table vms;
static struct xv_mib_table desc;
static const struct xv_mib_vif_ctx ctx = {&t, &vms, NULL};

static void add_row(uint32_t index, bool has_mac)
{
	struct xv_vif_row *r;
	char key[32];

	snprintf(key, sizeof key, "vm%u/0", index);
	xv_vif_table_add(&t, index, key, &r);
	r->entry.active = true;
	r->domid = index * 10;
	r->domain_name = strdup("vm");
	r->ifname = strdup("vif");
	r->bridge = strdup("");
	r->ips = strdup("");
	r->has_mac = has_mac;
	r->total.v[XV_IN_OCTETS] = 5000000000ULL + index;
	xv_registry_rebuild_view(&t.rows);
}

static int resolve(bool getnext, bool inclusive, const oid *name, size_t len,
		   oid *out, size_t *outlen, struct xv_mib_value *v)
{
	return xv_mib_table_resolve(&desc, getnext, inclusive, name, len, out,
				    outlen, v);
}

static int next(const oid *name, size_t len, oid *out, size_t *outlen,
		struct xv_mib_value *v)
{
	return resolve(true, false, name, len, out, outlen, v);
}

static bool is_instance(const oid *o, size_t len, int column, uint32_t index)
{
	return len == E + 2 && memcmp(o, entry, sizeof entry) == 0 &&
	       o[E] == (oid)column && o[E + 1] == index;
}

int main(void)
{
	oid name[32], out[XV_MIB_ENTRY_MAX + 1 + XV_MIB_INDEX_MAX];
	size_t outlen;
	struct xv_mib_value v;

	xv_vif_table_init(&t);
	xv_vm_table_init(&vms);
	add_row(3, true);
	add_row(7, false);
	add_row(2147483647, true);
	struct xv_vm *vm;
	xv_vm_table_add(&vms, 555, "vm7", &vm);
	xv_mib_vif_describe(&desc, &ctx);
	memcpy(name, entry, sizeof entry);

	name[E] = XV_COL_DOMAIN_ID;
	name[E + 1] = 7;
	tap_is_u64(resolve(false, false, name, E + 2, out, &outlen, &v), 0,
		   "GET of an instance");
	tap_ok(v.type == ASN_UNSIGNED && v.buf.ul == 70, "its value");
	name[E] = XV_COL_HC_IN_OCTETS;
	resolve(false, false, name, E + 2, out, &outlen, &v);
	tap_ok(v.type == ASN_COUNTER64 && v.buf.c64.high == 1 &&
		       v.buf.c64.low == 705032704U + 7,
	       "Counter64 above 32 bits");
	name[E] = XV_COL_MAC;
	tap_is_u64(resolve(false, false, name, E + 2, out, &outlen, &v),
		   SNMP_NOSUCHINSTANCE, "no MAC: no instance");
	name[E] = XV_COL_DOMAIN_ID;
	name[E + 1] = 4;
	tap_is_u64(resolve(false, false, name, E + 2, out, &outlen, &v),
		   SNMP_NOSUCHINSTANCE, "GET of a missing row");
	tap_is_u64(resolve(false, false, name, E + 3, out, &outlen, &v),
		   SNMP_NOSUCHINSTANCE, "GET with a longer index");
	name[E] = XV_COL_VM_REF;
	name[E + 1] = 7;
	tap_is_u64(resolve(false, false, name, E + 2, out, &outlen, &v), 0,
		   "xenVifVmRef");
	tap_ok(v.type == ASN_UNSIGNED && v.buf.ul == 555, "the VM's xenVifVmIndex");
	name[E + 1] = 3;
	tap_is_u64(resolve(false, false, name, E + 2, out, &outlen, &v),
		   SNMP_NOSUCHINSTANCE, "no VM known yet: no instance");
	name[E] = 22;
	tap_is_u64(resolve(false, false, name, E + 2, out, &outlen, &v),
		   SNMP_NOSUCHOBJECT, "GET of a column that does not exist");
	name[E] = XV_COL_INDEX;
	tap_is_u64(resolve(false, false, name, E + 2, out, &outlen, &v),
		   SNMP_NOSUCHOBJECT, "the index column is not readable");

	tap_is_u64(next(entry, E - 1, out, &outlen, &v), 0, "GETNEXT of the table");
	tap_ok(is_instance(out, outlen, XV_COL_DOMAIN_ID, 3), "gives the first instance");
	name[E] = XV_COL_DOMAIN_ID;
	name[E + 1] = 3;
	next(name, E + 2, out, &outlen, &v);
	tap_ok(is_instance(out, outlen, XV_COL_DOMAIN_ID, 7), "then the next row");
	name[E + 1] = 2147483647;
	next(name, E + 2, out, &outlen, &v);
	tap_ok(is_instance(out, outlen, XV_COL_DOMAIN_NAME, 3),
	       "past the last row: next column");
	name[E] = XV_COL_MAC;
	name[E + 1] = 3;
	next(name, E + 2, out, &outlen, &v);
	tap_ok(is_instance(out, outlen, XV_COL_MAC, 2147483647),
	       "a row without a MAC is skipped in its column");
	name[E + 1] = 5;
	name[E + 2] = 99;
	next(name, E + 3, out, &outlen, &v);
	tap_ok(is_instance(out, outlen, XV_COL_MAC, 2147483647),
	       "a partial index between rows");
	name[E] = XV_COL_DOMAIN_ID;
	name[E + 1] = 4294967295U;
	next(name, E + 2, out, &outlen, &v);
	tap_ok(is_instance(out, outlen, XV_COL_DOMAIN_NAME, 3),
	       "an index beyond the range moves to the next column");
	name[E] = XV_COL_VM_REF;
	name[E + 1] = 7;
	tap_is_u64(next(name, E + 2, out, &outlen, &v), SNMP_ENDOFMIBVIEW,
		   "after the last instance: nothing");
	name[E] = 0;
	next(name, E + 1, out, &outlen, &v);
	tap_ok(is_instance(out, outlen, XV_COL_DOMAIN_ID, 3), "column 0: first instance");
	name[E] = 99;
	tap_is_u64(next(name, E + 1, out, &outlen, &v), SNMP_ENDOFMIBVIEW,
		   "column past the last: nothing");

	name[E] = XV_COL_DOMAIN_ID;
	name[E + 1] = 7;
	tap_is_u64(resolve(true, true, name, E + 2, out, &outlen, &v), 0,
		   "GETNEXT with AgentX include");
	tap_ok(is_instance(out, outlen, XV_COL_DOMAIN_ID, 7), "gives the instance itself");

	/* A full walk visits every instance once, in order. */
	size_t count = 0, len = E;
	oid cur[XV_MIB_ENTRY_MAX + 1 + XV_MIB_INDEX_MAX];
	memcpy(cur, entry, sizeof entry);
	while (next(cur, len, out, &outlen, &v) == 0) {
		if (snmp_oid_compare(out, outlen, cur, len) <= 0)
			break;
		memcpy(cur, out, outlen * sizeof *out);
		len = outlen;
		count++;
	}
	tap_is_u64(count, 19 * 3 - 1 + 1,
		   "a walk: 19 columns x 3 rows, one MAC missing, one VM known");

	t.rows.nactive = 0;
	tap_is_u64(next(entry, E, out, &outlen, &v), SNMP_ENDOFMIBVIEW, "empty table");
	xv_vif_table_free(&t);
	xv_vm_table_free(&vms);
	return tap_done();
}
