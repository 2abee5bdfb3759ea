/* SPDX-License-Identifier: ISC */
/*
 * A fuzz input as a state file.  The file's end line carries a CRC-32
 * of the records, so almost every mutation would stop at the checksum:
 * the input is also tried "sealed", its end line made to match what
 * it holds, so that mutated records reach the parsers behind it.
 */
#ifndef XV_FUZZ_STATE_INPUT_H
#define XV_FUZZ_STATE_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "xenvif/state_file.h"

/* The input with its last line, if an end line, replaced by the one
 * that matches its records (a newline added after a cut last line).
 * A heap block of *len bytes; NULL if out of memory. */
char *state_input_sealed(const uint8_t *data, size_t size, size_t *len);

/* Everything the loader fills in, field by field, as text (a heap
 * string; NULL if out of memory): two loads are the same if these are.
 * Written apart from the state file's writer, so that it checks it. */
char *state_describe(const struct xv_vif_table *t, const struct xv_vm_table *vms,
		     const struct xv_switch *sw, const struct xv_state_info *info);

#endif
