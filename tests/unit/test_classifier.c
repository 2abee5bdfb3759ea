/* SPDX-License-Identifier: ISC */
/*
 * The eBPF classifier on real devices (root only; skipped otherwise,
 * or where the kernel will not load it).
 *
 * The test runs in network and mount namespaces of its own: its
 * namespace is dom0, with a Linux bridge (flooding on, as by default)
 * and three veth pairs whose dom0 ends (the "vifs") are bridge ports;
 * each peer is in a guest's namespace, held by a child process, with
 * the guest's MAC.  The bpf filesystem is a fresh instance mounted on
 * /sys/fs/bpf in the private mount namespace (so it is there even where
 * the machine has none mounted, and no pin outlives the test).  Nothing
 * is left behind however the test ends: the namespaces go with their
 * processes.
 *
 * Everything runs twice where the kernel has tcx hooks (Linux 6.6):
 * with the programs as tc filters, then as tcx links; and an earlier
 * run's hooks of one kind are taken over by a run on the other.
 *
 * Exact frames go out of a guest through an AF_PACKET socket; every
 * phase says what each vif's counters (the kernel's rx/tx, and the
 * classifier's split) must have moved by, waits (with a deadline) until
 * they have, and checks that they moved by exactly that.
 */
#define _GNU_SOURCE /* setns, unshare */
#ifndef HAVE_CLASSIFIER
#include <stdio.h>

int main(void)
{
	printf("1..0 # SKIP built without the eBPF classifier "
	       "(configure --enable-classifier)\n");
	return 0;
}
#else
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "tap.h"
#include "xenvif/classifier.h"
#include "xenvif/netlink.h"

#define NGUESTS 3
#define BPFFS "/sys/fs/bpf"
#define PIN_DIR BPFFS "/xen-vif-agent"
#define OUR_HANDLE "handle 0x58564946"
#define DEADLINE_MS 5000
#define TCX_INGRESS 46 /* Linux 6.6's BPF_TCX_INGRESS; egress is 47 */

/* The kind of hooks the classifier is opened with (each run of the suite). */
static enum xv_classifier_hooks hooks_under_test = XV_HOOKS_TC;

static const char *const vif_names[NGUESTS] = {"vifA", "vifB", "vifC"};
static const uint8_t guest_mac[NGUESTS][6] = {
	{0x02, 0, 0, 0, 0x0a, 0x01},
	{0x02, 0, 0, 0, 0x0b, 0x01},
	{0x02, 0, 0, 0, 0x0c, 0x01},
};
static const uint8_t unknown_mac[6] = {0x02, 0, 0, 0, 0xee, 0x01};
static const uint8_t forged_mac[6] = {0x02, 0, 0, 0, 0xf0, 0x01};
static const uint8_t mcast_mac[6] = {0x01, 0x00, 0x5e, 0x7f, 0x00, 0x01};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static pid_t guest_pid[NGUESTS];
static int vif_ifindex[NGUESTS];
static struct xv_netlink nl;

/* ---- the log, kept to be searched ------------------------------------- */

static char logbuf[16384];

static void say(void *ctx, enum xv_log_level level, const char *msg)
{
	size_t len = strlen(logbuf);

	(void)ctx;
	if (level == XV_LOG_DEBUG)
		return;
	snprintf(logbuf + len, sizeof logbuf - len, "%s\n", msg);
}

static const struct xv_log test_log = {.say = say};

/* ---- commands ------------------------------------------------------------ */

static void enter_netns(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0)
		_exit(126);
	close(fd);
}

/* Runs a shell command in dom0 (pid 0) or in a guest's namespace; its
 * exit status, or -1.  Output goes to the test's diagnostics only when
 * asked for with out (then captured there, up to outsz - 1 bytes). */
static int sh(pid_t in, char *out, size_t outsz, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int sh(pid_t in, char *out, size_t outsz, const char *fmt, ...)
{
	char cmd[1024];
	int pipefd[2] = {-1, -1}, status;
	size_t got = 0;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (out && pipe(pipefd) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (in)
			enter_netns(in);
		dup2(out ? pipefd[1] : null, 1);
		dup2(null, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (out) {
		ssize_t n;

		close(pipefd[1]);
		while ((n = read(pipefd[0], out + got, outsz - 1 - got)) > 0)
			got += (size_t)n;
		out[got] = '\0';
		close(pipefd[0]);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* tc's lines about the filters of a vif's hook ("ingress"/"egress"). */
static int filter_lines(int vif, const char *hook, const char *needle, char *text,
			size_t textsz)
{
	sh(0, text, textsz, "tc filter show dev %s %s", vif_names[vif], hook);
	return count_lines(text, needle);
}

static bool has_qdisc(int vif, const char *kind)
{
	char text[2048], needle[64];

	sh(0, text, sizeof text, "tc qdisc show dev %s", vif_names[vif]);
	snprintf(needle, sizeof needle, "qdisc %s ", kind);
	return strstr(text, needle) != NULL;
}

/* ---- namespaces ---------------------------------------------------------- */

/* A child in a network namespace of its own, until killed (or the test
 * dies: PR_SET_PDEATHSIG). */
static pid_t make_guest(void)
{
	int p[2];
	pid_t parent = getpid(), pid;
	char c;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent || unshare(CLONE_NEWNET) != 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

static const char *mac_text(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
	return buf;
}

/* IPv6 off before any device is made, so that no device sends anything
 * by itself (router solicitations, MLD, DAD would spoil exact counts). */
#define SILENCE "if [ -d /proc/sys/net/ipv6 ]; then sysctl -q -w " \
	"net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; fi"

/* Guest g's vif, the dom0 end of a veth pair whose peer (eth0, with
 * the guest's MAC) is in the guest's namespace; 0 or -1. */
static int make_vif(int g)
{
	char mac[18];

	/* As netback's vifs: every dom0 end has fe:ff:ff:ff:ff:ff.  C's
	 * ifindex is one a dom0 reaches after making 20000 devices: its
	 * MACs are in the programs' hash, not their array. */
	if (sh(0, NULL, 0, "ip link add %s %s address fe:ff:ff:ff:ff:ff type "
	       "veth peer name eth0 address %s netns %d && ip link set %s "
	       "master br0 up", vif_names[g], g == 2 ? "index 20000" : "",
	       mac_text(guest_mac[g], mac), (int)guest_pid[g], vif_names[g]) != 0 ||
	    sh(guest_pid[g], NULL, 0, "ip link set eth0 up") != 0)
		return -1;
	vif_ifindex[g] = (int)if_nametoindex(vif_names[g]);
	return 0;
}

/* dom0's network; a reason it cannot be made, or NULL. */
static const char *make_network(char *why, size_t whylen)
{
	if (sh(0, NULL, 0, SILENCE) != 0 || sh(0, NULL, 0, "ip link set lo up") != 0)
		return "cannot set up the test's network namespace (ip, sysctl)";
	if (sh(0, NULL, 0, "ip link add br0 address 02:00:00:00:00:fe type bridge "
	       "stp_state 0 forward_delay 0 mcast_snooping 0 mcast_querier 0 && "
	       "ip link set br0 up") != 0)
		return "cannot make a Linux bridge (ip link add type bridge)";
	for (int g = 0; g < NGUESTS; g++) {
		guest_pid[g] = make_guest();
		if (guest_pid[g] < 0)
			return "cannot make a guest's namespace";
		if (sh(guest_pid[g], NULL, 0, SILENCE) != 0)
			return "cannot silence a guest's namespace";
		if (make_vif(g) != 0) {
			snprintf(why, whylen, "cannot make the veth pair %s",
				 vif_names[g]);
			return why;
		}
	}
	return NULL;
}

static void kill_guests(void)
{
	for (int g = 0; g < NGUESTS; g++) {
		if (guest_pid[g] > 0) {
			kill(guest_pid[g], SIGKILL);
			waitpid(guest_pid[g], NULL, 0);
			guest_pid[g] = 0;
		}
	}
}

/*
 * count frames of size bytes out of guest g's eth0 to dst, from src
 * (NULL: the guest's own MAC), ethertype 0x88b5 (local experimental:
 * no stack takes them).  0 when every one was sent.
 */
static int send_frames(int g, const uint8_t dst[6], const uint8_t *src, int count,
		       int size)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6};
		uint8_t frame[1514];
		int s;

		enter_netns(guest_pid[g]);
		s = socket(AF_PACKET, SOCK_RAW, 0);
		to.sll_ifindex = (int)if_nametoindex("eth0");
		if (s < 0 || to.sll_ifindex == 0)
			_exit(1);
		memcpy(to.sll_addr, dst, 6);
		memset(frame, 0x5a, sizeof frame);
		memcpy(frame, dst, 6);
		memcpy(frame + 6, src ? src : guest_mac[g], 6);
		frame[12] = 0x88;
		frame[13] = 0xb5;
		for (int i = 0; i < count; i++) {
			frame[14] = (uint8_t)i;
			if (sendto(s, frame, (size_t)size, 0, (struct sockaddr *)&to,
				   sizeof to) != size)
				_exit(1);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- counters ---------------------------------------------------------- */

/* What a phase looks at per vif: the kernel's four, the split's eight. */
static const int watched[] = {
	XV_IN_OCTETS, XV_IN_PKTS, XV_OUT_OCTETS, XV_OUT_PKTS,
	XV_OUT_FOREIGN_OCTETS, XV_OUT_FOREIGN_PKTS, XV_OUT_BCAST_PKTS,
	XV_OUT_MCAST_PKTS, XV_IN_FOREIGN_SRC_OCTETS, XV_IN_FOREIGN_SRC_PKTS,
	XV_IN_BCAST_PKTS, XV_IN_MCAST_PKTS,
};
#define NWATCHED (sizeof watched / sizeof watched[0])
static const char *const watched_names[NWATCHED] = {
	"in octets", "in pkts", "out octets", "out pkts",
	"out foreign octets", "out foreign pkts", "out bcast", "out mcast",
	"in foreign-src octets", "in foreign-src pkts", "in bcast", "in mcast",
};

struct snap {
	struct xv_link link[NGUESTS];
	bool ok;
};

/* The vifs' counters now: one rtnetlink dump, one classifier read. */
static struct snap snapshot(struct xv_classifier *c)
{
	struct xv_linkset links = {0};
	struct snap s = {.ok = false};
	char err[256];

	if (xv_netlink_dump(&nl, &links, err, sizeof err) != 0) {
		tap_diag("dump: %s", err);
		goto out;
	}
	if (c && xv_classifier_read(c, &links, NULL, err, sizeof err) != 0) {
		tap_diag("read: %s", err);
		goto out;
	}
	s.ok = true;
	for (int g = 0; g < NGUESTS; g++) {
		const struct xv_link *l = xv_linkset_find(&links, vif_ifindex[g]);

		if (l)
			s.link[g] = *l;
		else
			s.ok = false;
	}
out:
	xv_linkset_free(&links);
	return s;
}

/* A phase's expected moves: per vif, per watched counter. */
struct moves {
	uint64_t d[NGUESTS][NWATCHED];
};

static int watched_index(int counter)
{
	for (size_t i = 0; i < NWATCHED; i++)
		if (watched[i] == counter)
			return (int)i;
	return -1;
}

static void move(struct moves *m, int g, int counter, uint64_t by)
{
	m->d[g][watched_index(counter)] += by;
}

/* Frames from guest g (their count and size) leaving through the bridge
 * to the vifs in to (a bit per vif): the kernel's part of the moves. */
static void through(struct moves *m, int from, unsigned int to, uint64_t n, uint64_t size)
{
	move(m, from, XV_IN_PKTS, n);
	move(m, from, XV_IN_OCTETS, n * size);
	for (int g = 0; g < NGUESTS; g++) {
		if (to & (1u << g)) {
			move(m, g, XV_OUT_PKTS, n);
			move(m, g, XV_OUT_OCTETS, n * size);
		}
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits (up to DEADLINE_MS) until every counter has moved at least as
 * much as m says since base, then checks that each moved by exactly
 * that: one test per vif.  A counter that moves too far fails at once
 * and is not waited for.
 */
static void expect(struct xv_classifier *c, const char *phase, const struct snap *base,
		   const struct moves *m)
{
	long long deadline = now_ms() + DEADLINE_MS;
	struct snap s;

	for (;;) {
		bool reached = true;

		s = snapshot(c);
		for (int g = 0; s.ok && g < NGUESTS; g++)
			for (size_t i = 0; i < NWATCHED; i++)
				if (s.link[g].stats.v[watched[i]] -
				    base->link[g].stats.v[watched[i]] < m->d[g][i])
					reached = false;
		if ((s.ok && reached) || now_ms() > deadline)
			break;
		usleep(5000);
	}
	for (int g = 0; g < NGUESTS; g++) {
		bool same = s.ok && (!c || s.link[g].split_known);

		for (size_t i = 0; same && i < NWATCHED; i++)
			same = s.link[g].stats.v[watched[i]] -
			       base->link[g].stats.v[watched[i]] == m->d[g][i];
		tap_ok(same, "%s: %s's counters moved exactly as expected", phase,
		       vif_names[g]);
		if (same)
			continue;
		if (!s.link[g].split_known)
			tap_diag("  split not known");
		for (size_t i = 0; i < NWATCHED; i++)
			tap_diag("  %-22s moved %llu, expected %llu", watched_names[i],
				 (unsigned long long)(s.link[g].stats.v[watched[i]] -
						      base->link[g].stats.v[watched[i]]),
				 (unsigned long long)m->d[g][i]);
	}
}

/* ---- the classifier ------------------------------------------------------- */

static void classified(struct xv_classified devs[NGUESTS], unsigned int mask)
{
	memset(devs, 0, NGUESTS * sizeof *devs);
	for (int g = 0; g < NGUESTS; g++) {
		devs[g].ifindex = vif_ifindex[g];
		memcpy(devs[g].macs[0], guest_mac[g], 6);
		devs[g].nmacs = mask & (1u << g) ? 1 : 0;
	}
}

/* follow with the vifs in mask (all with MACs); the list is sorted. */
static int follow(struct xv_classifier *c, unsigned int mask)
{
	struct xv_classified devs[NGUESTS], listed[NGUESTS];
	size_t n = 0;

	classified(devs, 0x7);
	for (int g = 0; g < NGUESTS; g++)
		if (mask & (1u << g))
			listed[n++] = devs[g];
	return xv_classifier_follow(c, listed, n);
}

/* Our programs on hook h (0 ingress, 1 egress) of vif g as tcx links
 * (by their names, from the kernel's list of the hook's programs); the
 * id of the last in *id. */
static int tcx_ours(int g, int h, int *id)
{
	__u32 ids[64], count = 64;
	int n = 0;

	if (bpf_prog_query(vif_ifindex[g], (enum bpf_attach_type)(TCX_INGRESS + h), 0,
			   NULL, ids, &count) != 0)
		return 0;
	for (__u32 i = 0; i < count; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof info;
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		memset(&info, 0, sizeof info);
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strcmp(info.name, h ? "xv_egress" : "xv_ingress") == 0) {
			n++;
			*id = (int)ids[i];
		}
		if (fd >= 0)
			close(fd);
	}
	return n;
}

/* Ours on hook h of vif g: [0] as tc filters, [1] as tcx links; the
 * program's id in *id. */
static void ours_on(int g, int h, int n[2], int *id, char *text, size_t textsz)
{
	const char *at;

	*id = 0;
	n[0] = filter_lines(g, h ? "egress" : "ingress", OUR_HANDLE, text, textsz);
	at = strstr(text, " id ");
	if (n[0] && at)
		*id = atoi(at + 4);
	n[1] = tcx_ours(g, h, id);
}

/* Exactly one of ours on each hook of vif g, of the kind under test,
 * nothing of the other kind. */
static void check_hooked(int g, const char *when)
{
	char text[4096];
	int k = hooks_under_test == XV_HOOKS_TCX, id;

	for (int h = 0; h < 2; h++) {
		const char *hook = h ? "egress" : "ingress";
		int n[2];

		ours_on(g, h, n, &id, text, sizeof text);
		tap_ok(n[k] == 1 && n[!k] == 0, "%s: one %s of ours on %s %s", when,
		       k ? "tcx link" : "filter", vif_names[g], hook);
		if (n[k] != 1 || n[!k] != 0)
			tap_diag("filters %d, tcx links %d: %s", n[0], n[1], text);
	}
}

static void check_unhooked(int g, const char *when, bool clsact_stays)
{
	char text[4096];
	int id;

	for (int h = 0; h < 2; h++) {
		const char *hook = h ? "egress" : "ingress";
		int n[2];

		ours_on(g, h, n, &id, text, sizeof text);
		tap_ok(n[0] == 0 && n[1] == 0, "%s: nothing of ours on %s %s", when,
		       vif_names[g], hook);
		if (n[0] != 0 || n[1] != 0)
			tap_diag("filters %d, tcx links %d: %s", n[0], n[1], text);
	}
	tap_ok(has_qdisc(g, "clsact") == clsact_stays, "%s: %s's clsact qdisc %s",
	       when, vif_names[g], clsact_stays ? "stays (other filters on it)"
					       : "is gone");
}

static bool dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- the phases ------------------------------------------------------------ */

/* Frames on the bridge, each kind; counted by c (not NULL). */
static void traffic(struct xv_classifier *c, const char *tag)
{
	struct snap base;
	struct moves m;
	char phase[128];
	enum { A, B, C };

	/* Each guest says hello to all: the bridge learns their MACs. */
	base = snapshot(c);
	memset(&m, 0, sizeof m);
	for (int g = 0; g < NGUESTS; g++) {
		tap_ok(send_frames(g, bcast_mac, NULL, 1, 100) == 0,
		       "%s: %s sends a broadcast", tag, vif_names[g]);
		through(&m, g, 0x7 & ~(1u << g), 1, 100);
		move(&m, g, XV_IN_BCAST_PKTS, 1);
		for (int o = 0; o < NGUESTS; o++)
			if (o != g)
				move(&m, o, XV_OUT_BCAST_PKTS, 1);
	}
	snprintf(phase, sizeof phase, "%s: broadcasts", tag);
	expect(c, phase, &base, &m);

	/* To a MAC the bridge does not know: flooded to B and C, whose
	 * Out foreign counts it byte for byte. */
	base = snapshot(c);
	memset(&m, 0, sizeof m);
	tap_ok(send_frames(A, unknown_mac, NULL, 10, 200) == 0,
	       "%s: A sends 10 frames to an unknown MAC", tag);
	through(&m, A, 1u << B | 1u << C, 10, 200);
	move(&m, B, XV_OUT_FOREIGN_PKTS, 10);
	move(&m, B, XV_OUT_FOREIGN_OCTETS, 2000);
	move(&m, C, XV_OUT_FOREIGN_PKTS, 10);
	move(&m, C, XV_OUT_FOREIGN_OCTETS, 2000);
	snprintf(phase, sizeof phase, "%s: flooded unicast", tag);
	expect(c, phase, &base, &m);

	/* To B's MAC, which the bridge learned: B alone, not foreign.
	 * (A flood would have reached C in the same pass over the ports
	 * that reached B, before B's counters moved.) */
	base = snapshot(c);
	memset(&m, 0, sizeof m);
	tap_ok(send_frames(A, guest_mac[B], NULL, 7, 300) == 0,
	       "%s: A sends 7 frames to B", tag);
	through(&m, A, 1u << B, 7, 300);
	snprintf(phase, sizeof phase, "%s: unicast to B", tag);
	expect(c, phase, &base, &m);

	/* Multicast: flooded (no snooping), counted apart. */
	base = snapshot(c);
	memset(&m, 0, sizeof m);
	tap_ok(send_frames(A, mcast_mac, NULL, 5, 120) == 0,
	       "%s: A sends 5 multicast frames", tag);
	through(&m, A, 1u << B | 1u << C, 5, 120);
	move(&m, A, XV_IN_MCAST_PKTS, 5);
	move(&m, B, XV_OUT_MCAST_PKTS, 5);
	move(&m, C, XV_OUT_MCAST_PKTS, 5);
	snprintf(phase, sizeof phase, "%s: multicast", tag);
	expect(c, phase, &base, &m);

	/* A forging its source: In foreign source on A's vif, to B (known:
	 * not foreign for B) and a broadcast (B and C: broadcast). */
	base = snapshot(c);
	memset(&m, 0, sizeof m);
	tap_ok(send_frames(A, guest_mac[B], forged_mac, 4, 150) == 0 &&
	       send_frames(A, bcast_mac, forged_mac, 1, 64) == 0,
	       "%s: A sends 5 frames with a forged source MAC", tag);
	through(&m, A, 1u << B, 4, 150);
	through(&m, A, 1u << B | 1u << C, 1, 64);
	move(&m, A, XV_IN_FOREIGN_SRC_PKTS, 5);
	move(&m, A, XV_IN_FOREIGN_SRC_OCTETS, 4 * 150 + 64);
	move(&m, A, XV_IN_BCAST_PKTS, 1);
	move(&m, B, XV_OUT_BCAST_PKTS, 1);
	move(&m, C, XV_OUT_BCAST_PKTS, 1);
	snprintf(phase, sizeof phase, "%s: forged source", tag);
	expect(c, phase, &base, &m);

	/* The other way, B to A: addressed, nothing of the split. */
	base = snapshot(c);
	memset(&m, 0, sizeof m);
	tap_ok(send_frames(B, guest_mac[A], NULL, 3, 1514) == 0,
	       "%s: B sends 3 full-size frames to A", tag);
	through(&m, B, 1u << A, 3, 1514);
	snprintf(phase, sizeof phase, "%s: unicast to A", tag);
	expect(c, phase, &base, &m);
}

/* Flooded frames only: B and C count them foreign (c NULL: the kernel's
 * counters only, when no agent runs). */
static void flood(struct xv_classifier *c, const char *phase, int n, int size)
{
	struct snap base = snapshot(c);
	struct moves m;

	memset(&m, 0, sizeof m);
	tap_ok(send_frames(0, unknown_mac, NULL, n, size) == 0,
	       "%s: A sends %d frames to an unknown MAC", phase, n);
	through(&m, 0, 0x6, (uint64_t)n, (uint64_t)size);
	for (int g = 1; c && g < NGUESTS; g++) {
		move(&m, g, XV_OUT_FOREIGN_PKTS, (uint64_t)n);
		move(&m, g, XV_OUT_FOREIGN_OCTETS, (uint64_t)n * (uint64_t)size);
	}
	expect(c, phase, &base, &m);
}

/* Every split counter of the three vifs is zero (and known). */
static void check_zero(struct xv_classifier *c, const char *when)
{
	struct snap s = snapshot(c);
	bool zero = s.ok;

	for (int g = 0; zero && g < NGUESTS; g++) {
		zero = s.link[g].split_known;
		for (int x = XV_NKERNEL_COUNTERS; zero && x < XV_NCOUNTERS; x++)
			zero = s.link[g].stats.v[x] == 0;
	}
	tap_ok(zero, "%s: every split counter is zero", when);
}

static struct xv_classifier *open_ok(const char *when)
{
	struct xv_classifier *c = NULL;
	char err[512] = "";
	int r = xv_classifier_open(&c, PIN_DIR, hooks_under_test, &test_log, err,
				   sizeof err);

	tap_ok(r == 0 && c && xv_classifier_hooks(c) == hooks_under_test,
	       "%s: open (on %s hooks)", when, xv_classifier_hooks_name(hooks_under_test));
	if (r != 0)
		tap_diag("%s", err);
	return c;
}

/* The foreign counts of B, with the classifier's read. */
static uint64_t b_foreign(struct xv_classifier *c)
{
	struct snap s = snapshot(c);

	return s.ok && s.link[1].split_known ? s.link[1].stats.v[XV_OUT_FOREIGN_PKTS]
					       : UINT64_MAX;
}

/* An agent that dies without closing: open (with the hooks given) and
 * follow in a child that then _exits. */
static bool crash_after_follow(unsigned int mask, enum xv_classifier_hooks hooks)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct xv_classifier *c;
		char err[512];

		if (xv_classifier_open(&c, PIN_DIR, hooks, &test_log, err, sizeof err) != 0 ||
		    follow(c, mask) != 0)
			_exit(1);
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static int compare_classified(const void *a, const void *b)
{
	const struct xv_classified *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

#define NIFBS 1024 /* as many as the programs' slots */

/* The ifb devices' names, a set each run (they go with the namespace). */
static const char *ifb_prefix(void)
{
	return hooks_under_test == XV_HOOKS_TCX ? "xt" : "xd";
}

/* follow the ifb devices (but the one of index skip, or none: -1) and the vifs
 * of mask, sorted. */
static int follow_many(struct xv_classifier *c, const int *ifbs, int skip,
		       unsigned int mask)
{
	static struct xv_classified devs[NIFBS + NGUESTS];
	struct xv_classified vifs[NGUESTS];
	size_t n = 0;

	memset(devs, 0, sizeof devs);
	for (int i = 0; i < NIFBS; i++) {
		if (i == skip)
			continue;
		devs[n].ifindex = ifbs[i];
		devs[n].macs[0][0] = 0x02;
		devs[n].macs[0][1] = 0x01;
		devs[n].macs[0][4] = (uint8_t)(i >> 8);
		devs[n].macs[0][5] = (uint8_t)i;
		devs[n++].nmacs = 1;
	}
	classified(vifs, 0x7);
	for (int g = 0; g < NGUESTS; g++)
		if (mask & (1u << g))
			devs[n++] = vifs[g];
	qsort(devs, n, sizeof *devs, compare_classified);
	return xv_classifier_follow(c, devs, n);
}

/*
 * A dom0 serving more devices than the programs have slots for counts
 * (1024 ifb devices, then the vifs): the vifs' counts go to the per-CPU
 * hash, and are as exact; a slot freed (a device deleted and forgotten)
 * is taken by a vif listed again, whose counts go on (its hash entry
 * and its slot summed).
 */
static void many_devices(void)
{
	static int ifbs[NIFBS];
	struct xv_classifier *c;
	char path[] = "/tmp/xv-test-classifier-XXXXXX";
	int fd = mkstemp(path), made = 0, follows = 0, r = 0;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	const char *p;
	bool all = true;
	uint64_t before;

	for (int i = 0; f && i < NIFBS; i++)
		fprintf(f, "link add %s%d type ifb\n", ifb_prefix(), i);
	if (f)
		fclose(f);
	tap_ok(f && sh(0, NULL, 0, "ip -batch %s", path) == 0,
	       "%d ifb devices made", NIFBS);
	unlink(path);
	for (int i = 0; i < NIFBS; i++) {
		char name[IF_NAMESIZE];

		snprintf(name, sizeof name, "%s%d", ifb_prefix(), i);
		ifbs[i] = (int)if_nametoindex(name);
		made += ifbs[i] != 0;
	}
	if (made != NIFBS)
		return;
	c = open_ok("many devices");
	if (!c)
		return;
	/* As the agent does: a follow spends at most 100 ms hooking, the
	 * next goes on (on tcx, 2048 links take about 25 s). */
	xv_classifier_set_budget(c, 100);
	logbuf[0] = '\0';
	do {
		r = follow_many(c, ifbs, -1, 0);
	} while (r == 0 && xv_classifier_waiting(c) > 0 && ++follows < NIFBS);
	tap_ok(r == 0 && xv_classifier_waiting(c) == 0, "follow the ifb devices: "
	       "%d follows", follows + 1);
	if ((p = strstr(logbuf, "every device is hooked now")) != NULL)
		tap_diag("%.*s", (int)strcspn(p, "\n"), p);
	xv_classifier_set_budget(c, UINT_MAX);
	for (int i = 0; i < NIFBS; i++)
		all = all && xv_classifier_counts(c, ifbs[i]);
	tap_ok(all, "every ifb device is counted (every slot taken)");
	tap_ok(follow_many(c, ifbs, -1, 0x7) == 0 &&
	       xv_classifier_counts(c, vif_ifindex[0]) &&
	       xv_classifier_counts(c, vif_ifindex[1]) &&
	       xv_classifier_counts(c, vif_ifindex[2]),
	       "and the vifs, counted in the hash");
	flood(c, "no slot left", 5, 300);

	/* A slot freed: xd0 deleted, followed without, forgotten. */
	tap_ok(sh(0, NULL, 0, "ip link del %s0", ifb_prefix()) == 0 &&
	       follow_many(c, ifbs, 0, 0x7) == 0, "xd0 deleted and left out");
	snapshot(c); /* forgets it */
	/* B left out and listed again: it takes the free slot. */
	before = b_foreign(c);
	tap_ok(follow_many(c, ifbs, 0, 0x5) == 0 && !xv_classifier_counts(
		       c, vif_ifindex[1]), "B left out");
	snapshot(c);
	tap_ok(follow_many(c, ifbs, 0, 0x7) == 0, "B listed again");
	tap_is_u64(b_foreign(c), before, "B's count is what it was (hash and slot)");
	flood(c, "B in a slot", 2, 100);
	tap_is_u64(b_foreign(c), before + 2, "and goes on");
	xv_classifier_close(c);
	check_unhooked(0, "many closed", false);
	{
		char text[4096];

		sh(0, text, sizeof text, "tc qdisc show dev %s%d", ifb_prefix(), NIFBS - 1);
		tap_ok(!strstr(text, "clsact"), "the last ifb device's clsact is gone");
	}
}

/*
 * open in a child with only the capabilities of caps (a mask; still uid
 * 0), and if it opens, follow the vifs of mask and close: its err, or
 * "counted" when every vif of mask was counted.
 */
static void open_with_caps(uint64_t caps, const char *pin_dir, unsigned int mask,
			   char *err, size_t errlen)
{
	int p[2];
	pid_t pid;
	ssize_t got;

	err[0] = '\0';
	if (pipe(p) != 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct d[2];
		struct xv_classifier *c;
		char e[512] = "";

		memset(d, 0, sizeof d);
		d[0].effective = d[0].permitted = (uint32_t)caps;
		d[1].effective = d[1].permitted = (uint32_t)(caps >> 32);
		for (int cap = 0; cap <= 63; cap++)
			if (!(caps >> cap & 1))
				prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
		if (syscall(SYS_capset, &h, d) != 0) {
			snprintf(e, sizeof e, "capset: %s", strerror(errno));
		} else if (xv_classifier_open(&c, pin_dir, hooks_under_test, &test_log, e,
					      sizeof e) == 0) {
			bool all = follow(c, mask) == 0;

			for (int g = 0; g < NGUESTS; g++)
				if (mask & (1u << g))
					all = all && xv_classifier_counts(c, vif_ifindex[g]);
			snprintf(e, sizeof e, all ? "counted" : "opened, not counted");
			xv_classifier_close(c);
		}
		if (write(p[1], e, strlen(e)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	got = pid > 0 ? read(p[0], err, errlen - 1) : -1;
	err[got > 0 ? got : 0] = '\0';
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* Every phase, on the hooks under test. */
static void run_suite(void)
{
	struct xv_classifier *c;
	struct xv_classified devs[NGUESTS];
	char err[512], text[4096];
	int r;

	/* ---- the three vifs followed ---- */
	c = open_ok("first");
	if (!c)
		return;
	tap_ok(vif_ifindex[0] < 16384 && vif_ifindex[2] == 20000,
	       "A's MACs go to the programs' array, C's (ifindex %d) to their hash",
	       vif_ifindex[2]);
	tap_ok(dir_exists(PIN_DIR), "open makes the pin directory");
	tap_ok(follow(c, 0x7) == 0, "follow the three vifs");
	for (int g = 0; g < NGUESTS; g++) {
		tap_ok(xv_classifier_counts(c, vif_ifindex[g]), "%s is counted",
		       vif_names[g]);
		check_hooked(g, "followed");
	}
	/* The verifier resolved every map lookup to its map and inlined
	 * the array's (bpf/xv_classify.bpf.c, config_of): no generic helper
	 * call, no call of the array's lookup. */
	for (int h = 0; h < 2; h++) {
		char xlated[16384];
		int n[2], id;

		ours_on(0, h, n, &id, text, sizeof text);
		sh(0, xlated, sizeof xlated, "bpftool prog dump xlated id %d", id);
		tap_ok(strstr(xlated, "call") &&
		       !strstr(xlated, "call bpf_map_lookup_elem") &&
		       !strstr(xlated, "call array_map_lookup_elem"),
		       "the %s program's lookups are resolved, the array's inlined",
		       h ? "egress" : "ingress");
	}
	tap_ok(follow(c, 0x7) == 0, "follow the same list again");
	check_hooked(1, "followed twice");
	check_zero(c, "before any traffic");
	traffic(c, "bridge");

	/* ---- a vif without MACs, a vif no longer listed ---- */
	classified(devs, 0x3);
	tap_ok(xv_classifier_follow(c, devs, NGUESTS) == 0 &&
	       !xv_classifier_counts(c, vif_ifindex[2]),
	       "a vif listed without MACs is not counted");
	{
		struct snap s = snapshot(c);

		tap_ok(s.ok && !s.link[2].split_known && s.link[0].split_known,
		       "and its split is not known");
	}
	tap_ok(follow(c, 0x3) == 0, "follow A and B only");
	check_unhooked(2, "C no longer listed", false);
	tap_ok(follow(c, 0x7) == 0 && xv_classifier_counts(c, vif_ifindex[2]),
	       "C listed again is counted");
	check_hooked(2, "C listed again");

	/* ---- beside tc's shaping and other filters ---- */
	tap_ok(sh(0, NULL, 0, "tc qdisc add dev vifB root handle 1: htb default 10 && "
		  "tc qdisc replace dev vifB clsact && "
		  "tc class add dev vifB parent 1: classid 1:10 htb rate 1gbit && "
		  "tc qdisc add dev vifC root tbf rate 1gbit burst 256kb latency 50ms && "
		  "tc filter add dev vifB egress pref 30000 protocol all u32 "
		  "match u32 0 0") == 0,
	       "htb on B, tbf on C, a u32 filter on B's egress after ours");
	flood(c, "shaped", 6, 400);
	tap_ok(has_qdisc(1, "htb") && has_qdisc(2, "tbf"), "the root qdiscs stay");
	tap_ok(filter_lines(1, "egress", "u32", text, sizeof text) > 0,
	       "the u32 filter stays");

	/* ---- beside an operator's ingress qdisc (policing) ---- */
	tap_ok(follow(c, 0x3) == 0 && !has_qdisc(2, "clsact"),
	       "follow A and B only: C has no clsact");
	tap_ok(sh(0, NULL, 0, "tc qdisc add dev vifC ingress && tc filter add dev "
		  "vifC parent ffff: pref 40000 protocol all u32 match u32 0 0") == 0,
	       "an ingress qdisc on C, with a filter of the operator's");
	logbuf[0] = '\0';
	tap_ok(follow(c, 0x7) == 0 && xv_classifier_counts(c, vif_ifindex[0]) &&
	       xv_classifier_counts(c, vif_ifindex[1]),
	       "follow the three again: A and B are counted");
	if (hooks_under_test == XV_HOOKS_TC) {
		/* Its one block would take both our filters: refused. */
		static const char why[] = "eBPF classifier: vifC: its ingress side "
			"holds an ingress qdisc, not clsact (an operator's policing?), "
			"and tc filters need clsact (tcx links, Linux 6.6, do not): "
			"Device or resource busy; its traffic is not split until it "
			"can be (tried again at each follow)";

		tap_ok(!xv_classifier_counts(c, vif_ifindex[2]),
		       "on tc filters C is not counted");
		tap_is_u64((uint64_t)count_lines(logbuf, why), 1,
			   "the log says why, once");
		if (count_lines(logbuf, why) != 1)
			tap_diag("log: %s", logbuf);
		for (int h = 0; h < 2; h++) {
			int n[2], id;

			ours_on(2, h, n, &id, text, sizeof text);
			tap_ok(n[0] == 0 && n[1] == 0, "nothing of ours on C's %s",
			       h ? "egress" : "ingress");
		}
		tap_ok(follow(c, 0x7) == 0 && !xv_classifier_counts(c, vif_ifindex[2]) &&
		       count_lines(logbuf, why) == 1,
		       "a follow later: tried again, not counted, nothing more said");
		tap_ok(sh(0, NULL, 0, "tc qdisc del dev vifC ingress") == 0,
		       "the operator takes the ingress qdisc off");
		tap_ok(follow(c, 0x7) == 0 && xv_classifier_counts(c, vif_ifindex[2]),
		       "the next follow counts C");
		tap_is_u64((uint64_t)count_lines(logbuf, "eBPF classifier: vifC is "
						 "counted now"), 1, "and says so");
		check_hooked(2, "C, the ingress qdisc gone");
	} else {
		tap_ok(xv_classifier_counts(c, vif_ifindex[2]),
		       "on tcx links C is counted beside it");
		tap_ok(strstr(logbuf, "vifC") == NULL, "nothing is said of C");
		check_hooked(2, "C beside an ingress qdisc");
	}
	flood(c, "C counted again", 3, 300);
	if (hooks_under_test == XV_HOOKS_TCX) {
		tap_ok(has_qdisc(2, "ingress") &&
		       filter_lines(2, "ingress", "pref 40000 u32", text, sizeof text) > 0,
		       "the operator's ingress qdisc and filter stay");
		sh(0, NULL, 0, "tc qdisc del dev vifC ingress");
	}

	/* ---- tc filters taken off by someone: put back ---- */
	if (hooks_under_test == XV_HOOKS_TC) {
		static const char lost[] = "eBPF classifier: vifA: our tc filters "
			"were taken off (its clsact qdisc deleted?); putting them back";
		long long deadline = now_ms() + 5000;
		int n[2][2], id;

		logbuf[0] = '\0';
		tap_ok(sh(0, NULL, 0, "tc qdisc del dev vifA clsact") == 0,
		       "someone deletes A's clsact qdisc, our filters with it");
		/* Looked for at most once a second: follows until then. */
		do {
			follow(c, 0x7);
			for (int h = 0; h < 2; h++)
				ours_on(0, h, n[h], &id, text, sizeof text);
		} while (!(n[0][0] == 1 && n[1][0] == 1) && now_ms() < deadline &&
			 usleep(100000) == 0);
		tap_ok(n[0][0] == 1 && n[1][0] == 1 && xv_classifier_counts(c, vif_ifindex[0]),
		       "a follow puts them back on A");
		tap_is_u64((uint64_t)count_lines(logbuf, lost), 1, "the log says so, once");
		if (count_lines(logbuf, lost) != 1)
			tap_diag("log: %s", logbuf);
		flood(c, "A's filters put back", 2, 500);
	}

	/* ---- a clean stop ---- */
	xv_classifier_close(c);
	tap_ok(!dir_exists(PIN_DIR), "close removes the pins and their directory");
	check_unhooked(0, "closed", false);
	check_unhooked(1, "closed", true);
	check_unhooked(2, "closed", false);
	tap_ok(has_qdisc(1, "htb") && has_qdisc(2, "tbf"), "closed: the root qdiscs stay");
	tap_ok(filter_lines(1, "egress", "u32", text, sizeof text) > 0,
	       "closed: the u32 filter stays");

	/* ---- open again: nothing of the last run ---- */
	c = open_ok("after close");
	if (!c)
		return;
	tap_ok(follow(c, 0x7) == 0, "follow again");
	check_zero(c, "after close and open");
	for (int g = 0; g < NGUESTS; g++)
		check_hooked(g, "opened again");
	flood(c, "opened again", 3, 100);
	xv_classifier_close(c);

	/* ---- a crash: the hooks and the pins stay, the next run takes
	 * them over, without a second filter ---- */
	logbuf[0] = '\0';
	tap_ok(crash_after_follow(0x7, hooks_under_test),
	       "an agent dies after follow (no close)");
	tap_ok(dir_exists(PIN_DIR), "its pins stay");
	for (int g = 0; g < NGUESTS; g++)
		check_hooked(g, "after the crash");
	flood(NULL, "counted with no agent", 4, 250);
	c = open_ok("after the crash");
	if (!c)
		return;
	tap_ok(strstr(logbuf, "counts go on from " PIN_DIR "/xv_counts") != NULL,
	       "open says the counts go on from the pinned map");
	/* C is not listed now: the filters left on it go. */
	tap_ok(follow(c, 0x3) == 0, "follow A and B");
	check_hooked(0, "restarted");
	check_hooked(1, "restarted");
	check_unhooked(2, "restarted, C not listed", false);
	tap_ok(strstr(logbuf, hooks_under_test == XV_HOOKS_TCX
			      ? "took the links an earlier run left on vifC"
			      : "took the filters an earlier run left off vifC") != NULL,
	       "and says so");
	if (!strstr(logbuf, "took the"))
		tap_diag("log: %s", logbuf);
	tap_is_u64(b_foreign(c), 4, "B's foreign count goes on from the crashed run's");
	tap_ok(follow(c, 0x7) == 0, "follow C again");
	check_hooked(2, "C again");
	{
		struct snap base = snapshot(c);
		struct moves m;

		memset(&m, 0, sizeof m);
		tap_ok(send_frames(0, unknown_mac, NULL, 2, 100) == 0,
		       "A floods 2 more");
		through(&m, 0, 0x6, 2, 100);
		move(&m, 1, XV_OUT_FOREIGN_PKTS, 2);
		move(&m, 1, XV_OUT_FOREIGN_OCTETS, 200);
		move(&m, 2, XV_OUT_FOREIGN_PKTS, 2);
		move(&m, 2, XV_OUT_FOREIGN_OCTETS, 200);
		expect(c, "after the restart", &base, &m);
	}
	tap_is_u64(b_foreign(c), 6, "B: 4 + 2");

	/* ---- a device deleted: its last counts through gone, then
	 * forgotten; following without it is silent ---- */
	{
		struct xv_linkset links = {0}, gone = {0};
		struct xv_link *l = xv_linkset_append(&gone);

		logbuf[0] = '\0';
		tap_ok(l && sh(0, NULL, 0, "ip link set vifC down && ip link del vifC") == 0,
		       "delete vifC");
		if (l)
			l->ifindex = vif_ifindex[2];
		tap_ok(xv_netlink_dump(&nl, &links, err, sizeof err) == 0 &&
		       xv_classifier_read(c, &links, &gone, err, sizeof err) == 0,
		       "read with vifC gone");
		tap_ok(l && l->split_known, "vifC's last counts are read");
		tap_is_u64(l ? l->stats.v[XV_OUT_FOREIGN_PKTS] : 0, 6,
			   "vifC: 4 foreign with no agent, 2 since");
		xv_linkset_clear(&gone);
		tap_ok(xv_classifier_read(c, &links, &gone, err, sizeof err) == 0,
		       "read again, vifC in neither");
		/* Still followed (no follow without it yet): read in gone
		 * once more, its counts are zero. */
		l = xv_linkset_append(&gone);
		if (l)
			l->ifindex = vif_ifindex[2];
		tap_ok(l && xv_classifier_read(c, &links, &gone, err, sizeof err) == 0 &&
		       l->split_known && l->stats.v[XV_OUT_FOREIGN_PKTS] == 0 &&
		       l->stats.v[XV_OUT_FOREIGN_OCTETS] == 0,
		       "its counts are forgotten");
		tap_ok(follow(c, 0x3) == 0 && logbuf[0] == '\0',
		       "following without it says nothing");
		xv_linkset_free(&links);
		xv_linkset_free(&gone);
	}
	xv_classifier_close(c);
	tap_ok(make_vif(2) == 0, "vifC made again, at ifindex %d", vif_ifindex[2]);

	/* ---- a pinned map of another layout is made again ---- */
	{
		logbuf[0] = '\0';
		mkdir(PIN_DIR, 0700);
		tap_ok(sh(0, NULL, 0, "bpftool map create %s/xv_counts type hash key 4 "
			  "value 8 entries 16 name xv_counts", PIN_DIR) == 0,
		       "a map of another layout pinned as xv_counts");
		c = open_ok("over it");
		tap_ok(strstr(logbuf, "removed " PIN_DIR "/xv_counts (it has another "
			      "layout") != NULL, "says it removed it");
		if (!strstr(logbuf, "removed"))
			tap_diag("log: %s", logbuf);
		if (c) {
			tap_ok(follow(c, 0x3) == 0, "and follows");
			xv_classifier_close(c);
		}
	}

	/* ---- a crash, then a vif deleted and made again at its ifindex
	 * before the next run: what the crashed run left for it (a tcx link
	 * its device's deletion made defunct; tc's filter went with the
	 * device) gives way to a new hook, once ---- */
	tap_ok(crash_after_follow(0x7, hooks_under_test),
	       "a run dies with the three vifs hooked");
	tap_ok(sh(0, NULL, 0, "ip link del vifC") == 0 && make_vif(2) == 0 &&
	       vif_ifindex[2] == 20000, "vifC deleted and made again at ifindex 20000");
	c = open_ok("after it");
	if (c) {
		tap_ok(follow(c, 0x7) == 0 && xv_classifier_counts(c, vif_ifindex[2]),
		       "the new vifC is counted");
		for (int g = 0; g < NGUESTS; g++)
			check_hooked(g, "a vif made again");
		flood(c, "a vif made again", 2, 100);
		xv_classifier_close(c);
	}

	/* ---- where it cannot open ---- */
	c = NULL;
	r = xv_classifier_open(&c, "/proc/xv-no-bpffs/pins", hooks_under_test, &test_log,
			       err, sizeof err);
	tap_ok(r == -ENOENT && !c, "no bpf filesystem: -ENOENT");
	tap_is_str(err, "eBPF classifier: /proc is not on a bpf filesystem (mount -t "
		   "bpf bpf /sys/fs/bpf), so its maps cannot be pinned under "
		   "/proc/xv-no-bpffs/pins", "and says so");
	open_with_caps(0, BPFFS "/unprivileged", 0, err, sizeof err);
	tap_is_str(err, "eBPF classifier: cannot load the programs: Operation not "
		   "permitted; no privilege (CAP_BPF and CAP_NET_ADMIN, or root)",
		   "no capabilities: says so");
	open_with_caps(1ull << CAP_NET_ADMIN, BPFFS "/unprivileged", 0, err,
		       sizeof err);
	tap_is_str(err, "eBPF classifier: cannot load the programs: Operation not "
		   "permitted; no privilege (CAP_BPF and CAP_NET_ADMIN, or root)",
		   "CAP_NET_ADMIN alone: the same");
	/* What the message says is enough, is: with filters a crashed run
	 * left on A and B, an agent with CAP_BPF and CAP_NET_ADMIN only
	 * counts A and takes B's off (without CAP_SYS_ADMIN it cannot see
	 * the programs' names: it goes by their place). */
	tap_ok(crash_after_follow(0x3, hooks_under_test), "a run dies with A and B hooked");
	open_with_caps(1ull << CAP_BPF | 1ull << CAP_NET_ADMIN, PIN_DIR, 0x1, err,
		       sizeof err);
	tap_is_str(err, "counted", "CAP_BPF and CAP_NET_ADMIN: A counted");
	check_unhooked(0, "and closed", false);
	check_unhooked(1, "and closed", true); /* the u32 filter is still on B */
	tap_ok(!dir_exists(PIN_DIR), "and the pins are gone");

	/* ---- a follow's budget for hooking spent: the devices it did
	 * not reach wait, uncounted, for the next follows; changed MACs
	 * never wait ---- */
	c = open_ok("with a budget");
	if (c) {
		struct snap s;

		xv_classifier_set_budget(c, 0);
		logbuf[0] = '\0';
		tap_ok(follow(c, 0x7) == 0 && xv_classifier_waiting(c) == 2,
		       "budget 0: one device hooked a follow, two wait");
		s = snapshot(c);
		tap_ok(xv_classifier_counts(c, vif_ifindex[0]) &&
		       !xv_classifier_counts(c, vif_ifindex[1]) &&
		       !xv_classifier_counts(c, vif_ifindex[2]) && s.ok &&
		       s.link[0].split_known && !s.link[1].split_known &&
		       !s.link[2].split_known, "A is counted; B and C, waiting, not yet");
		check_hooked(0, "first of three");
		for (int h = 0; h < 2; h++) {
			int n[2], id;

			ours_on(1, h, n, &id, text, sizeof text);
			tap_ok(n[0] == 0 && n[1] == 0, "waiting: nothing of ours on "
			       "vifB %s", h ? "egress" : "ingress");
		}
		snprintf(text, sizeof text, "eBPF classifier: 2 devices wait for their %s "
			 "(each takes the kernel a while): hooked a few at a time, the "
			 "agent answering between; a device's traffic is split once it "
			 "is hooked", hooks_under_test == XV_HOOKS_TCX ? "tcx links"
								: "tc filters");
		tap_ok(strstr(logbuf, text) != NULL, "says two devices wait");
		if (!strstr(logbuf, text))
			tap_diag("log: %s", logbuf);
		classified(devs, 0x7);
		devs[0].macs[1][0] = 0x02;
		devs[0].nmacs = 2;
		tap_ok(xv_classifier_follow(c, devs, NGUESTS) == 0 &&
		       xv_classifier_waiting(c) == 1 &&
		       xv_classifier_counts(c, vif_ifindex[0]) &&
		       xv_classifier_counts(c, vif_ifindex[1]) &&
		       !xv_classifier_counts(c, vif_ifindex[2]),
		       "the next follow: A's new MACs stored (no wait), B hooked, C waits");
		tap_ok(!strstr(logbuf, "every device is hooked"), "not all hooked yet");
		tap_ok(follow(c, 0x7) == 0 && xv_classifier_waiting(c) == 0 &&
		       xv_classifier_counts(c, vif_ifindex[2]), "and the third hooks C");
		tap_ok(strstr(logbuf, "eBPF classifier: every device is hooked now, 3 of "
			      "them in ") != NULL, "says every device is hooked");
		for (int g = 0; g < NGUESTS; g++)
			check_hooked(g, "hooked over three follows");
		flood(c, "hooked over three follows", 2, 100);
		tap_ok(follow(c, 0x7) == 0 && xv_classifier_waiting(c) == 0,
		       "a follow with nothing to hook: nothing waits");
		xv_classifier_close(c);
		for (int g = 0; g < NGUESTS; g++) /* B: the u32 filter's clsact */
			check_unhooked(g, "closed", g == 1);
	}

	/* ---- more devices than slots (last: their 1024 devices go with the
	 * test's namespace, faster than one by one).  On tcx links it takes
	 * 45 s (a grace period a link, on and off), for code the tc run
	 * covers but the hooks: once, where slow tests run ---- */
	if (hooks_under_test == XV_HOOKS_TCX && getenv("XVA_SKIP_SLOW") &&
	    strcmp(getenv("XVA_SKIP_SLOW"), "1") == 0)
		tap_skip("1024 devices on tcx links", "slow (XVA_SKIP_SLOW=1)");
	else
		many_devices();

	/* What this run put on the vifs, off: the next starts as this did. */
	sh(0, NULL, 0, "tc qdisc del dev vifB root; tc qdisc del dev vifB clsact; "
	   "tc qdisc del dev vifC root");

}

/*
 * An earlier run's hooks of one kind, taken over by a run on the other
 * (an agent configured otherwise, or a kernel upgraded to tcx): the old
 * ones go, the new ones come, never both, and the counts go on.
 */
static void change_of_hooks(void)
{
	static const enum xv_classifier_hooks kinds[] = {XV_HOOKS_TC, XV_HOOKS_TCX};

	for (int i = 0; i < 2; i++) {
		const char *from = xv_classifier_hooks_name(kinds[i]);
		struct xv_classifier *c;

		logbuf[0] = '\0';
		tap_ok(crash_after_follow(0x7, kinds[i]), "a run on %s hooks dies", from);
		flood(NULL, "counted with no agent", 2, 100);
		hooks_under_test = kinds[!i];
		c = open_ok("the next run, on the other hooks");
		if (!c)
			return;
		tap_ok(follow(c, 0x7) == 0, "follows the three vifs");
		for (int g = 0; g < NGUESTS; g++)
			check_hooked(g, "hooks changed");
		tap_ok(strstr(logbuf, kinds[i] == XV_HOOKS_TC
				      ? "took the filters an earlier run left off vifA"
				      : "took the links an earlier run left on vifA") != NULL,
		       "says it took the %s hooks off", from);
		tap_is_u64(b_foreign(c), 2, "B's foreign count goes on");
		xv_classifier_close(c);
		for (int g = 0; g < NGUESTS; g++)
			check_unhooked(g, "closed", false);
		tap_ok(!dir_exists(PIN_DIR), "and the pins are gone");
	}
}

int main(void)
{
	struct xv_classifier *c;
	char err[512], why[256];
	const char *reason;
	bool tcx;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (network namespaces, eBPF, tc)\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
		printf("1..0 # SKIP cannot make namespaces: %s\n", strerror(errno));
		return 0;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("bpf", BPFFS, "bpf", 0, "mode=0700") != 0) {
		printf("1..0 # SKIP cannot mount a bpf filesystem on %s: %s\n", BPFFS,
		       strerror(errno));
		return 0;
	}
	reason = make_network(why, sizeof why);
	if (!reason && xv_netlink_open(&nl, err, sizeof err) != 0)
		reason = err;
	if (reason) {
		printf("1..0 # SKIP %s\n", reason);
		kill_guests();
		return 0;
	}
	r = xv_classifier_open(&c, PIN_DIR, XV_HOOKS_AUTO, &test_log, err, sizeof err);
	if (r != 0) {
		printf("1..0 # SKIP the eBPF classifier cannot load here: %s\n", err);
		kill_guests();
		return 0;
	}
	/* This kernel's tcx, told apart from the library's probe. */
	{
		__u32 count = 0;

		tcx = bpf_prog_query(1, (enum bpf_attach_type)TCX_INGRESS, 0, NULL, NULL,
				     &count) == 0;
	}
	tap_ok(xv_classifier_hooks(c) == (tcx ? XV_HOOKS_TCX : XV_HOOKS_TC),
	       "auto: %s hooks on this kernel", tcx ? "tcx" : "tc");
	xv_classifier_close(c);
	if (!tcx) {
		c = NULL;
		r = xv_classifier_open(&c, PIN_DIR, XV_HOOKS_TCX, &test_log, err,
				       sizeof err);
		tap_ok(r == -EOPNOTSUPP && !c, "tcx asked for: -EOPNOTSUPP");
		tap_is_str(err, "eBPF classifier: this kernel has no tcx hooks (Linux "
			   "6.6 and later); classifierHooks tc or auto uses tc's",
			   "and says so");
	}

	tap_diag("the programs as tc filters");
	hooks_under_test = XV_HOOKS_TC;
	run_suite();
	if (tcx) {
		tap_diag("the programs as tcx links");
		hooks_under_test = XV_HOOKS_TCX;
		run_suite();
		change_of_hooks();
	} else {
		tap_diag("this kernel has no tcx hooks: those runs are not made");
	}
	xv_netlink_close(&nl);
	kill_guests();
	return tap_done();
}
#endif /* HAVE_CLASSIFIER */
