/* SPDX-License-Identifier: ISC */
/*
 * The classifier where the build had no eBPF toolchain (configure
 * --enable-classifier=auto without clang's bpf target, bpftool or
 * libbpf): it cannot be opened, and the agent accounts without the
 * split, as it does where the kernel refuses the programs.
 */
#include "xenvif/classifier.h"

#include <errno.h>
#include <stdio.h>

int xv_classifier_open(struct xv_classifier **out, const char *pin_dir,
		       enum xv_classifier_hooks hooks, const struct xv_log *log,
		       char *err, size_t errlen)
{
	(void)pin_dir;
	(void)hooks;
	(void)log;
	*out = NULL;
	snprintf(err, errlen, "built without the eBPF classifier "
		 "(configure --enable-classifier)");
	return -ENOTSUP;
}

enum xv_classifier_hooks xv_classifier_hooks(const struct xv_classifier *c)
{
	(void)c;
	return XV_HOOKS_TC;
}

int xv_classifier_follow(struct xv_classifier *c, const struct xv_classified *devs,
			 size_t n)
{
	(void)c;
	(void)devs;
	(void)n;
	return 0;
}

void xv_classifier_set_budget(struct xv_classifier *c, unsigned int ms)
{
	(void)c;
	(void)ms;
}

size_t xv_classifier_waiting(const struct xv_classifier *c)
{
	(void)c;
	return 0;
}

int xv_classifier_read(struct xv_classifier *c, struct xv_linkset *links,
		       struct xv_linkset *gone, char *err, size_t errlen)
{
	(void)c;
	(void)links;
	(void)gone;
	snprintf(err, errlen, "built without the eBPF classifier "
		 "(configure --enable-classifier)");
	return -ENOTSUP;
}

bool xv_classifier_counts(const struct xv_classifier *c, int ifindex)
{
	(void)c;
	(void)ifindex;
	return false;
}

void xv_classifier_close(struct xv_classifier *c)
{
	(void)c;
}

bool xv_classifier_counts_continue(const struct xv_classifier *c)
{
	(void)c;
	return false;
}
