/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE /* memfd_create */
#include "xenvif/resources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenstat.h>

#include "xenvif/growth.h"
#include "xenvif/search.h"

struct xv_xenstat {
	xenstat_handle *h;
};

void xv_resource_set_free(struct xv_resource_set *set)
{
	free(set->doms);
	memset(set, 0, sizeof *set);
}

static int order_domid(const void *key, const void *item)
{
	return xv_order_u32(*(const uint32_t *)key,
			    ((const struct xv_domain_resources *)item)->domid);
}

const struct xv_domain_resources *xv_resource_set_find(const struct xv_resource_set *set,
						       uint32_t domid)
{
	return xv_find_sorted(set->doms, set->n, sizeof *set->doms, &domid,
			      order_domid);
}

enum xv_domain_state xv_domain_state_of(bool dying, bool crashed, bool shutdown,
					bool paused, bool running)
{
	/* The most telling first: a dying domain may still show paused. */
	if (dying)
		return XV_DOMAIN_DYING;
	if (crashed)
		return XV_DOMAIN_CRASHED;
	if (shutdown)
		return XV_DOMAIN_SHUTDOWN;
	if (paused)
		return XV_DOMAIN_PAUSED;
	return running ? XV_DOMAIN_RUNNING : XV_DOMAIN_BLOCKED;
}

struct xv_xenstat *xv_xenstat_new(void)
{
	return calloc(1, sizeof(struct xv_xenstat));
}

void xv_xenstat_free(struct xv_xenstat *x)
{
	if (!x)
		return;
	if (x->h)
		xenstat_uninit(x->h);
	free(x);
}

/* ---- stderr, caught ------------------------------------------------ */

struct catch {
	int saved, mem;
};

static void catch_begin(struct catch *c)
{
	c->saved = c->mem = -1;
	fflush(stderr);
	c->mem = memfd_create("xenstat-stderr", MFD_CLOEXEC);
	if (c->mem < 0)
		return;
	c->saved = dup(STDERR_FILENO);
	if (c->saved < 0 || dup2(c->mem, STDERR_FILENO) < 0) {
		if (c->saved >= 0)
			close(c->saved);
		close(c->mem);
		c->saved = c->mem = -1;
	}
}

/* Puts stderr back and returns its first line (cleaned) in out. */
static void catch_end(struct catch *c, char *out, size_t outsz)
{
	ssize_t n = 0;

	if (outsz)
		out[0] = '\0';
	if (c->mem < 0)
		return;
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	if (outsz > 1 && lseek(c->mem, 0, SEEK_SET) == 0)
		n = read(c->mem, out, outsz - 1);
	close(c->mem);
	if (n <= 0)
		return;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
}

/* ---- reading ------------------------------------------------------- */

static int append(struct xv_resource_set *set, const struct xv_domain_resources *r)
{
	struct xv_domain_resources *v = xv_grow(set->doms, &set->cap, set->n,
						 sizeof *v, 64);

	if (!v)
		return -ENOMEM;
	set->doms = v;
	set->doms[set->n++] = *r;
	return 0;
}

static int compare_domid(const void *a, const void *b)
{
	const struct xv_domain_resources *x = a, *y = b;

	return (x->domid > y->domid) - (x->domid < y->domid);
}

static int read_node(xenstat_node *node, struct xv_resource_set *out)
{
	unsigned int n = xenstat_node_num_domains(node);

	out->n = 0;
	for (unsigned int i = 0; i < n; i++) {
		xenstat_domain *d = xenstat_node_domain_by_index(node, i);
		unsigned long long max;
		struct xv_domain_resources r;

		if (!d)
			continue;
		max = xenstat_domain_max_mem(d);
		r.domid = xenstat_domain_id(d);
		r.state = xv_domain_state_of(xenstat_domain_dying(d),
					     xenstat_domain_crashed(d),
					     xenstat_domain_shutdown(d),
					     xenstat_domain_paused(d),
					     xenstat_domain_running(d));
		r.vcpus = xenstat_domain_num_vcpus(d);
		r.mem_kb = xenstat_domain_cur_mem(d) / 1024;
		/* libxenstat turns "no limit" into all ones */
		r.max_mem_kb = max >= (unsigned long long)UINT64_MAX / 2 ? 0 : max / 1024;
		r.cpu_ns = xenstat_domain_cpu_ns(d);
		if (append(out, &r) < 0)
			return -ENOMEM;
	}
	if (out->n > 1)
		qsort(out->doms, out->n, sizeof *out->doms, compare_domid);
	/* libxenstat may list a domain twice past its first 256: keep one */
	size_t keep = 0;
	for (size_t i = 0; i < out->n; i++)
		if (keep == 0 || out->doms[keep - 1].domid != out->doms[i].domid)
			out->doms[keep++] = out->doms[i];
	out->n = keep;
	return 0;
}

/* One libxenstat query: a node with what flags asks for, or NULL with
 * err set.  Whatever libxenstat writes to stderr meanwhile is caught. */
static xenstat_node *query(struct xv_xenstat *x, unsigned int flags, int *rc,
			   char *err, size_t errlen, char *chatter,
			   size_t chattersz)
{
	struct catch c;
	xenstat_node *node = NULL;
	int e;

	*rc = 0;
	catch_begin(&c);
	if (!x->h) {
		errno = 0;
		x->h = xenstat_init();
		if (!x->h) {
			e = errno ? errno : EIO;
			snprintf(err, errlen, "libxenstat cannot reach the hypervisor: %s",
				 strerror(e));
			*rc = -e;
		}
	}
	if (x->h) {
		errno = 0;
		node = xenstat_get_node(x->h, flags);
		if (!node) {
			e = errno ? errno : EIO;
			snprintf(err, errlen, "libxenstat query failed: %s", strerror(e));
			*rc = -e;
			/* A fresh handle next time: the hypervisor may be back. */
			xenstat_uninit(x->h);
			x->h = NULL;
		}
	}
	catch_end(&c, chatter, chattersz);
	return node;
}

int xv_xenstat_resources(struct xv_xenstat *x, struct xv_resource_set *out,
			 char *err, size_t errlen, char *chatter, size_t chattersz)
{
	int rc;
	/* Domains only: no vcpu, network or block device queries. */
	xenstat_node *node = query(x, 0, &rc, err, errlen, chatter, chattersz);

	if (!node)
		return rc;
	rc = read_node(node, out);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	xenstat_free_node(node);
	return rc;
}

void xv_vif_readings_free(struct xv_vif_readings *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}

static int add_reading(struct xv_vif_readings *r, uint32_t domid,
		       xenstat_network *net)
{
	struct xv_vif_reading *v = xv_grow(r->v, &r->cap, r->n, sizeof *v, 64);

	if (!v)
		return -ENOMEM;
	r->v = v;
	v = &r->v[r->n++];
	v->domid = domid;
	v->devid = xenstat_network_id(net);
	/* libxenstat reads the dom0 device's own receive and transmit
	 * columns: received is what the guest sent, In. */
	v->stats.v[XV_IN_OCTETS] = xenstat_network_rbytes(net);
	v->stats.v[XV_IN_PKTS] = xenstat_network_rpackets(net);
	v->stats.v[XV_IN_DISCARDS] = xenstat_network_rdrop(net);
	v->stats.v[XV_IN_ERRORS] = xenstat_network_rerrs(net);
	v->stats.v[XV_OUT_OCTETS] = xenstat_network_tbytes(net);
	v->stats.v[XV_OUT_PKTS] = xenstat_network_tpackets(net);
	v->stats.v[XV_OUT_DISCARDS] = xenstat_network_tdrop(net);
	v->stats.v[XV_OUT_ERRORS] = xenstat_network_terrs(net);
	return 0;
}

int xv_xenstat_networks(struct xv_xenstat *x, struct xv_vif_readings *out,
			char *err, size_t errlen, char *chatter, size_t chattersz)
{
	int rc;
	xenstat_node *node = query(x, XENSTAT_NETWORK, &rc, err, errlen,
				   chatter, chattersz);
	unsigned int ndoms;

	if (!node)
		return rc;
	out->n = 0;
	ndoms = xenstat_node_num_domains(node);
	for (unsigned int i = 0; i < ndoms && rc == 0; i++) {
		xenstat_domain *d = xenstat_node_domain_by_index(node, i);
		unsigned int nnets = d ? xenstat_domain_num_networks(d) : 0;

		for (unsigned int j = 0; j < nnets && rc == 0; j++) {
			xenstat_network *net = xenstat_domain_network(d, j);

			if (net)
				rc = add_reading(out, xenstat_domain_id(d), net);
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	xenstat_free_node(node);
	return rc;
}
