/* SPDX-License-Identifier: ISC */
/*
 * The state file, as xv_state_load_stream reads it: the input as it
 * is, and sealed (its end line made to match, state_input.h).
 *
 * Properties: a refused file leaves every table empty and says why,
 * under the name given; a file accepted can be written back (the
 * project's promise), that writing loads again into the same tables,
 * and writing those gives the same bytes.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "state_input.h"
#include "xenvif/state_file.h"

/* The seeds hold this boot and others: devices kept and dropped. */
#define BOOT "boot-a"

struct state {
	struct xv_vif_table t;
	struct xv_vm_table vms;
	struct xv_switch sw;
	struct xv_state_info info;
};

static void state_init(struct state *s)
{
	xv_vif_table_init(&s->t);
	xv_vm_table_init(&s->vms);
	xv_switch_init(&s->sw);
}

static void state_free(struct state *s)
{
	xv_switch_free(&s->sw);
	xv_vm_table_free(&s->vms);
	xv_vif_table_free(&s->t);
}

static int load(struct state *s, const void *buf, size_t len, char *err,
		size_t errlen)
{
	/* fmemopen wants at least one byte: an empty file is one line
	 * short of anything. */
	FILE *f = fmemopen((void *)(len ? buf : "\n"), len ? len : 1, "r");
	int rc;

	if (!f)
		return -ENOMEM;
	rc = xv_state_load_stream(f, "fuzz", &s->t, &s->vms, &s->sw, BOOT, &s->info,
				  err, errlen);
	fclose(f);
	return rc;
}

/* What the agent would save: a heap block, *len bytes. */
static char *save(const struct state *s, size_t *len)
{
	char *mem = NULL, err[256];
	FILE *f = open_memstream(&mem, len);
	int rc;

	if (!f)
		return NULL;
	rc = xv_state_write(f, "fuzz", &s->t, &s->vms, &s->sw, &s->info, err, sizeof err);
	fclose(f);
	FUZZ_ASSERT(rc == 0, "a file accepted cannot be written back: %s", err);
	return mem;
}

static void check(const void *buf, size_t len)
{
	struct state a, b;
	char err[512] = "";
	char *first = NULL, *second = NULL, *desc_a = NULL, *desc_b = NULL;
	size_t first_len = 0, second_len = 0;
	int rc;

	state_init(&a);
	state_init(&b);
	rc = load(&a, buf, len, err, sizeof err);
	if (rc < 0) {
		FUZZ_ASSERT(rc == -EINVAL || rc == -ENOMEM, "load: %d", rc);
		FUZZ_ASSERT(strncmp(err, "fuzz", 4) == 0, "refused as '%s'", err);
		FUZZ_ASSERT(a.t.rows.n == 0 && a.vms.vms.n == 0 && a.vms.nnotices == 0 &&
			    a.sw.ports.n == 0, "half-loaded after '%s'", err);
		goto out;
	}
	if (!(first = save(&a, &first_len)))
		goto out;
	rc = load(&b, first, first_len, err, sizeof err);
	if (rc == -ENOMEM)
		goto out;
	FUZZ_ASSERT(rc == 0, "what was written back is refused: %s", err);
	desc_a = state_describe(&a.t, &a.vms, &a.sw, &a.info);
	desc_b = state_describe(&b.t, &b.vms, &b.sw, &b.info);
	if (desc_a && desc_b)
		FUZZ_ASSERT(strcmp(desc_a, desc_b) == 0,
			    "loaded again, the tables differ:\n%s---\n%s", desc_a, desc_b);
	if ((second = save(&b, &second_len)))
		FUZZ_ASSERT(first_len == second_len &&
			    memcmp(first, second, first_len) == 0,
			    "saved again, the bytes differ:\n%.*s---\n%.*s", (int)first_len,
			    first, (int)second_len, second);
out:
	free(first);
	free(second);
	free(desc_a);
	free(desc_b);
	state_free(&a);
	state_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	char *sealed;

	check(data, size);
	if ((sealed = state_input_sealed(data, size, &len))) {
		check(sealed, len);
		free(sealed);
	}
	return 0;
}
