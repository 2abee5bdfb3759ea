/* SPDX-License-Identifier: ISC */
#include "netsnmp_compat.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "mib_table.h" /* XV_MIB_ENTRY_MAX */

extern netsnmp_session *main_session;

netsnmp_session *xv_compat_master_session(void)
{
	return main_session;
}

/* transportDomainLocal (RFC 3419): net-snmp's unix-domain transport. */
static const oid local_domain[] = {1, 3, 6, 1, 2, 1, 100, 1, 13};

static int (*unix_recv)(netsnmp_transport *, void *, int, void **, int *);

static int recv_unless_failing(netsnmp_transport *t, void *buf, int size,
			       void **opaque, int *olength)
{
	char byte;
	ssize_t n;

	/* A pending error is reported, and cleared, by this read as it
	 * would have been by net-snmp's; data and the stream's end stay
	 * for net-snmp to read. */
	do
		n = recv(t->sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* What net-snmp's read returns then, errno included. */
		*opaque = NULL;
		*olength = 0;
		return -1;
	}
	return unix_recv(t, buf, size, opaque, olength);
}

void xv_compat_guard_master_recv(netsnmp_session *session)
{
	void *sp = session ? snmp_sess_pointer(session) : NULL;
	netsnmp_transport *t = sp ? snmp_sess_transport(sp) : NULL;

	if (!t || !t->f_recv || t->f_recv == recv_unless_failing ||
	    netsnmp_oid_equals(t->domain, t->domain_length, local_domain,
			       OID_LENGTH(local_domain)) != 0)
		return;
	/* Every unix-domain transport has the same read function. */
	if (unix_recv && t->f_recv != unix_recv)
		return;
	unix_recv = t->f_recv;
	t->f_recv = recv_unless_failing;
}

void xv_compat_unregister(netsnmp_handler_registration *reg, const char *context)
{
	oid root[XV_MIB_ENTRY_MAX + 1];
	char name[XV_MIB_CONTEXT_MAX + 1];
	size_t len = reg->rootoid_len;

	if (len > OID_LENGTH(root))
		len = OID_LENGTH(root);
	memcpy(root, reg->rootoid, len * sizeof *root);
	snprintf(name, sizeof name, "%s", context ? context : "");
	unregister_mib_context(root, len, reg->priority, reg->range_subid,
			       reg->range_ubound, name[0] ? name : NULL);
}

void xv_compat_prepare_context(const char *context)
{
	static const oid ccitt[] = {0};

	/* Registering a root node creates the context with all three;
	 * this one is then a duplicate, refused and freed by net-snmp. */
	netsnmp_register_null_context(snmp_duplicate_objid(ccitt, 1), 1, context);
}

static const char *const v1_chatter[] = {
	"send_trap: v1 traps can't carry Counter64 varbinds",
	"send_trap: failed to convert v2->v1 template PDU",
};

#define XV_HELD_MAX 32
static struct held_handler {
	netsnmp_log_handler *logh;
	int (*handler)(netsnmp_log_handler *, int, const char *);
} held[XV_HELD_MAX];
static size_t nheld;

static int filtered(netsnmp_log_handler *self, int priority, const char *msg)
{
	for (size_t i = 0; i < sizeof v1_chatter / sizeof *v1_chatter; i++)
		if (strncmp(msg, v1_chatter[i], strlen(v1_chatter[i])) == 0)
			return 1;
	for (size_t i = 0; i < nheld; i++)
		if (held[i].logh == self)
			return held[i].handler(self, priority, msg);
	return 1;
}

void xv_compat_send_in_snmpd(netsnmp_variable_list *vars, const char *context)
{
	nheld = 0;
	for (netsnmp_log_handler *h = get_logh_head(); h && nheld < XV_HELD_MAX;
	     h = h->next) {
		if (!h->handler || h->handler == filtered)
			continue;
		held[nheld].logh = h;
		held[nheld++].handler = h->handler;
		h->handler = filtered;
	}
	/* It copies vars; with a context, its SNMPv3 sinks get it. */
	send_v3trap(vars, context);
	for (size_t i = 0; i < nheld; i++)
		held[i].logh->handler = held[i].handler;
	nheld = 0;
}

void xv_compat_stop_loghandler(netsnmp_log_handler *h)
{
	if (h)
		netsnmp_disable_this_loghandler(h);
}
