/* SPDX-License-Identifier: ISC */
/*
 * xapi's layout of xenstore (xenopsd: XCP-ng, XenServer), and the
 * layout that finds out which toolstack wrote the tree.
 *
 * xenopsd's backend vif directories hold no bridge, device name, MTU
 * or addresses: those are under /xapi/UUID, which only dom0 can read
 * (a guest cannot even list it), so everything read there is dom0's
 * word.  An HVM guest's emulated NIC is tapD.N.
 *
 * A migrating VM runs as two domains for a while.  The incoming one is
 * made under a temporary UUID whose /vm record holds final-uuid, the
 * outgoing one is renamed to another whose record holds origin-uuid:
 * both are known by the real UUID, so the VM keeps one row per vif.
 */
#include "xenvif/xsmeta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int xapi_identity(const struct xv_store *store, struct xv_domain_meta *dom)
{
	static const char *const real[] = {"final-uuid", "origin-uuid"};
	char named[37], path[128], *raw;
	size_t len;
	int rc = xv_store_read_vm_uuid(store, dom->domid, named);

	memcpy(dom->uuid, named, sizeof dom->uuid);
	if (rc < 0 || !named[0])
		return rc;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "/vm/%s/%s", named, real[i]);
		if ((rc = xv_store_read_node(store, path, &raw, &len)) < 0)
			return rc;
		bool found = raw && xv_parse_uuid(raw, len, dom->uuid);
		free(raw);
		if (found)
			return 0;
	}
	memcpy(dom->uuid, named, sizeof dom->uuid);
	return 0;
}

/* A text node of the VM's vif under /xapi/UUID; *out NULL if absent. */
static int read_private(const struct xv_store *store,
			const struct xv_domain_meta *dom, uint32_t devid,
			const char *key, char **out)
{
	char path[192];

	snprintf(path, sizeof path, "/xapi/%s/private/vif/%u/%s", dom->uuid, devid, key);
	return xv_store_read_text(store, path, XV_TEXT_ASCII, out);
}

/* The addresses a locked vif may use, as xapi enforces them; none
 * otherwise (the guest's own word on its addresses is never read). */
static int locked_addresses(const struct xv_store *store,
			    const struct xv_domain_meta *dom,
			    struct xv_vif_meta *vif)
{
	char *mode = NULL, *v4 = NULL, *v6 = NULL;
	int rc;

	if ((rc = read_private(store, dom, vif->devid, "locking-mode", &mode)) < 0)
		return rc;
	if (mode && strcmp(mode, "locked") == 0 &&
	    (rc = read_private(store, dom, vif->devid, "ipv4-allowed", &v4)) == 0)
		rc = read_private(store, dom, vif->devid, "ipv6-allowed", &v6);
	free(mode);
	if (rc == 0 && ((v4 && v4[0]) || (v6 && v6[0]))) {
		size_t n = (v4 ? strlen(v4) : 0) + (v6 ? strlen(v6) : 0) + 2;

		if (!(vif->ips = malloc(n))) {
			rc = -ENOMEM;
		} else {
			snprintf(vif->ips, n, "%s%s%s", v4 ? v4 : "",
				 v4 && v4[0] && v6 && v6[0] ? " " : "", v6 ? v6 : "");
			/* xapi separates them with commas; the column, with
			 * spaces. */
			for (char *p = vif->ips; *p; p++)
				if (*p == ',')
					*p = ' ';
		}
	}
	free(v4);
	free(v6);
	return rc;
}

static int xapi_vif(const struct xv_store *store, const char *dir,
		    const struct xv_domain_meta *dom, struct xv_vif_meta *vif)
{
	char path[192], emu[32];
	int rc;

	(void)dir;
	snprintf(emu, sizeof emu, "tap%u.%u", dom->domid, vif->devid);
	if (!(vif->emu_name = strdup(emu)))
		return -ENOMEM;
	if (!dom->uuid[0])
		return 0; /* no VM record: only what the backend says */
	snprintf(path, sizeof path, "/xapi/%s/hotplug/%u/vif/%u/vif", dom->uuid,
		 dom->domid, vif->devid);
	if ((rc = xv_store_read_text(store, path, XV_TEXT_ASCII, &vif->vifname)) < 0)
		return rc;
	if (vif->vifname && !vif->vifname[0]) {
		free(vif->vifname);
		vif->vifname = NULL;
	}
	/* The network's bridge: for a VLAN, its own (fake) bridge, which
	 * is what the VM's network is called on the host. */
	if ((rc = read_private(store, dom, vif->devid, "bridge", &vif->bridge)) < 0)
		return rc;
	if (vif->bridge)
		xv_bridge_name(vif->bridge, false);
	snprintf(path, sizeof path, "/xapi/%s/private/vif/%u/MTU", dom->uuid, vif->devid);
	if ((rc = xv_store_read_mtu(store, path, &vif->mtu)) < 0)
		return rc;
	return locked_addresses(store, dom, vif);
}

static const struct xv_domain_reader xapi_reader = {xapi_identity, xapi_vif};

static int xapi_scan_domain(struct xv_meta *meta, const struct xv_store *store,
			    uint32_t domid)
{
	return xv_meta_scan_domain_by(meta, store, domid, &xapi_reader);
}

static int xapi_scan_all(struct xv_meta *meta, const struct xv_store *store)
{
	meta->found = &xv_xapi_layout;
	return xv_meta_scan_listed_by(meta, store, true, &xapi_reader);
}

static int xapi_scan_new(struct xv_meta *meta, const struct xv_store *store)
{
	return xv_meta_scan_listed_by(meta, store, false, &xapi_reader);
}

/*
 * xenopsd never renames a running domain, and a migrating one is
 * known by its real UUID whatever its vm node says: domains coming and
 * going, the backend tree and xenopsd's own tree (a VIF moved to
 * another network, locked to other addresses) are all there is to
 * watch.  Only xenopsd writes under /xapi, so no guest can flood the
 * agent with events there.  A driver domain cannot read /xapi: it
 * watches the first three.  A fixed number of watches either way keeps
 * within oxenstored's quota however many guests there are.
 */
static int xapi_watches(const struct xv_meta *meta, struct xv_watch_set *out)
{
	int rc = xv_watch_set_add(out, "@introduceDomain");

	if (rc == 0)
		rc = xv_watch_set_add(out, "@releaseDomain");
	if (rc == 0)
		rc = xv_watch_set_add(out, meta->backend_dir);
	if (rc == 0 && meta->backend_domid == 0)
		rc = xv_watch_set_add(out, "/xapi");
	return rc;
}

/* The domain running the VM of this UUID; if two do (a migration),
 * the newer, whose records matter: the older is about to go. */
static bool domain_of_vm(const struct xv_meta *meta, const char *uuid,
			 size_t len, uint32_t *domid)
{
	bool found = false;

	for (size_t i = 0; i < meta->n; i++)
		if (strlen(meta->doms[i].uuid) == len &&
		    memcmp(meta->doms[i].uuid, uuid, len) == 0) {
			*domid = meta->doms[i].domid;
			found = true;
		}
	return found;
}

/* /xapi/UUID/hotplug/D/... concerns domain D; the rest of /xapi/UUID
 * the domain running that VM, if one does here. */
static enum xv_watch_scope xapi_watch_scope(const struct xv_meta *meta,
					    const char *path, uint32_t *domid)
{
	const char *uuid, *rest;
	uint32_t d;

	if (strncmp(path, "/xapi/", 6) != 0)
		return strcmp(path, "/xapi") == 0 ? XV_WATCH_ALL
						  : xv_meta_watch_scope(meta, path, domid);
	uuid = path + 6;
	rest = strchr(uuid, '/');
	if (!rest)
		rest = uuid + strlen(uuid);
	if (strncmp(rest, "/hotplug/", 9) == 0) {
		char digits[8];
		size_t n = strcspn(rest + 9, "/");

		if (n == 0 || n >= sizeof digits)
			return XV_WATCH_NONE;
		memcpy(digits, rest + 9, n);
		digits[n] = '\0';
		if (!xv_parse_u32(digits, 1, 0x7fef, &d))
			return XV_WATCH_NONE;
		*domid = d;
		return XV_WATCH_DOMAIN;
	}
	if (!domain_of_vm(meta, uuid, (size_t)(rest - uuid), &d))
		return XV_WATCH_NONE;
	*domid = d;
	return XV_WATCH_DOMAIN;
}

const struct xv_layout xv_xapi_layout = {
	.name = "xapi",
	.scan_all = xapi_scan_all,
	.scan_domain = xapi_scan_domain,
	.scan_new = xapi_scan_new,
	.prune = xv_meta_prune,
	.watches = xapi_watches,
	.watch_scope = xapi_watch_scope,
};

/* ---- which one ------------------------------------------------------ */

/* xapi keeps its tree at /xapi; libxl has none.  A store that cannot
 * be listed there (a driver domain may not) is taken as libxl's. */
static int detect(struct xv_meta *meta, const struct xv_store *store)
{
	unsigned int num = 0;
	char **names;

	errno = 0;
	names = store->directory(store->ctx, "/xapi", &num);
	if (!names && errno != ENOENT && errno != EACCES && errno != 0)
		return -errno;
	meta->found = names ? &xv_xapi_layout : &xv_libxl_layout;
	free(names);
	return 0;
}

static const struct xv_layout *found(const struct xv_meta *meta)
{
	return meta->found ? meta->found : &xv_libxl_layout;
}

static int auto_scan_all(struct xv_meta *meta, const struct xv_store *store)
{
	const struct xv_layout *before = meta->found;
	int rc = detect(meta, store);

	if (rc < 0)
		return rc;
	/* Another toolstack's records are read anew. */
	if (before && before != meta->found)
		xv_meta_free(meta);
	rc = found(meta)->scan_all(meta, store);
	return rc == 0 && before != meta->found ? 1 : rc;
}

static int auto_scan_domain(struct xv_meta *meta, const struct xv_store *store,
			    uint32_t domid)
{
	return found(meta)->scan_domain(meta, store, domid);
}

static int auto_scan_new(struct xv_meta *meta, const struct xv_store *store)
{
	return found(meta)->scan_new(meta, store);
}

static int auto_prune(struct xv_meta *meta, const struct xv_store *store)
{
	return found(meta)->prune(meta, store);
}

/* Under libxl, /xapi too, so that xapi starting is seen (dom0 only:
 * a driver domain cannot read it). */
static int auto_watches(const struct xv_meta *meta, struct xv_watch_set *out)
{
	int rc = found(meta)->watches(meta, out);

	return rc == 0 && meta->backend_domid == 0 ? xv_watch_set_add(out, "/xapi")
						   : rc;
}

static enum xv_watch_scope auto_watch_scope(const struct xv_meta *meta,
					    const char *path, uint32_t *domid)
{
	if (meta->found != &xv_xapi_layout && strncmp(path, "/xapi", 5) == 0 &&
	    (path[5] == '\0' || path[5] == '/'))
		return XV_WATCH_ALL;
	return found(meta)->watch_scope(meta, path, domid);
}

const struct xv_layout xv_auto_layout = {
	.name = "auto",
	.scan_all = auto_scan_all,
	.scan_domain = auto_scan_domain,
	.scan_new = auto_scan_new,
	.prune = auto_prune,
	.watches = auto_watches,
	.watch_scope = auto_watch_scope,
};
