/* SPDX-License-Identifier: ISC */
/*
 * bench/classifier's hands on the classifier: opens it with the pin
 * directory given, follows the devices given (each with its VM's MAC),
 * says "ready" on stdout, and holds them until stdin closes; then prints
 * each device's counts ("IFNAME COUNT..." in the order of counters.h's
 * split) and closes it, taking the hooks off.  Meanwhile a line "off" on
 * stdin takes the hooks off (the agent's follow with no device), "on"
 * puts them back (its follow with them all); each is answered with the
 * same word once done, so that the cost can be measured with and without
 * them in one stream of traffic.
 *
 * Usage: classifier_hold [--hooks auto|tcx|tc] PIN_DIR IFNAME=MAC...
 */
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xenvif/classifier.h"
#include "xenvif/text.h"

static void say(void *ctx, enum xv_log_level level, const char *msg)
{
	(void)ctx;
	if (level <= XV_LOG_NOTICE)
		fprintf(stderr, "classifier_hold: %s\n", msg);
}

static int by_ifindex(const void *a, const void *b)
{
	const struct xv_classified *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

int main(int argc, char **argv)
{
	struct xv_log log = {.say = say};
	struct xv_classifier *c;
	struct xv_classified *devs;
	struct xv_linkset links = {0};
	enum xv_classifier_hooks hooks = XV_HOOKS_AUTO;
	char err[512], line[64];
	int n, r;

	if (argc > 2 && strcmp(argv[1], "--hooks") == 0) {
		if (strcmp(argv[2], "tcx") == 0)
			hooks = XV_HOOKS_TCX;
		else if (strcmp(argv[2], "tc") == 0)
			hooks = XV_HOOKS_TC;
		else if (strcmp(argv[2], "auto") != 0) {
			fprintf(stderr, "classifier_hold: --hooks auto, tcx or tc\n");
			return 2;
		}
		argv += 2;
		argc -= 2;
	}
	n = argc - 2;
	if (argc < 3) {
		fprintf(stderr, "usage: classifier_hold [--hooks auto|tcx|tc] PIN_DIR "
			"IFNAME=MAC...\n");
		return 2;
	}
	devs = calloc((size_t)n, sizeof *devs);
	if (!devs)
		return 1;
	for (int i = 0; i < n; i++) {
		char *eq = strchr(argv[i + 2], '=');

		if (!eq || !xv_parse_mac(eq + 1, strlen(eq + 1), devs[i].macs[0])) {
			fprintf(stderr, "classifier_hold: %s: expected IFNAME=MAC\n",
				argv[i + 2]);
			return 2;
		}
		*eq = '\0';
		devs[i].ifindex = (int)if_nametoindex(argv[i + 2]);
		devs[i].nmacs = 1;
		if (devs[i].ifindex == 0) {
			fprintf(stderr, "classifier_hold: %s: no such device\n", argv[i + 2]);
			return 2;
		}
	}
	qsort(devs, (size_t)n, sizeof *devs, by_ifindex);
	r = xv_classifier_open(&c, argv[1], hooks, &log, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "classifier_hold: %s\n", err);
		return 1;
	}
	if (xv_classifier_follow(c, devs, (size_t)n) < 0) {
		fprintf(stderr, "classifier_hold: out of memory\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct xv_link *l = xv_linkset_append(&links);

		if (!l)
			return 1;
		l->ifindex = devs[i].ifindex;
		if (!xv_classifier_counts(c, l->ifindex))
			fprintf(stderr, "classifier_hold: ifindex %d not counted\n",
				l->ifindex);
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		bool on = strcmp(line, "on\n") == 0;

		if (!on && strcmp(line, "off\n") != 0) {
			fprintf(stderr, "classifier_hold: %s: expected on or off\n",
				line);
			return 2;
		}
		if (xv_classifier_follow(c, on ? devs : NULL, on ? (size_t)n : 0) < 0) {
			fprintf(stderr, "classifier_hold: out of memory\n");
			return 1;
		}
		printf("%s", line);
		fflush(stdout);
	}
	r = xv_classifier_read(c, &links, NULL, err, sizeof err);
	if (r < 0)
		fprintf(stderr, "classifier_hold: %s\n", err);
	for (size_t i = 0; r == 0 && i < links.n; i++) {
		char name[IF_NAMESIZE] = "?";

		if_indextoname((unsigned int)links.links[i].ifindex, name);
		printf("%s", name);
		for (int x = XV_NKERNEL_COUNTERS; x < XV_NCOUNTERS; x++)
			printf(" %llu", (unsigned long long)links.links[i].stats.v[x]);
		printf("\n");
	}
	xv_classifier_close(c);
	xv_linkset_free(&links);
	free(devs);
	return r < 0;
}
