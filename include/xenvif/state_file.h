/* SPDX-License-Identifier: ISC */
/*
 * The state file keeps what must survive an agent restart: every
 * row's index, identity and counters, the kernel counters last read
 * from each device, so that after a restart (even after kill -9) the
 * counters continue exactly for every device that still exists; and
 * every VM's period usage and what was announced about it.
 *
 * It is text, one record per line, ending with a line holding the
 * record count and a CRC-32 of everything before it: a truncated or
 * damaged file is recognised and never half-loaded.  It is written to
 * a temporary file, synced and renamed over the old one.
 */
#ifndef XENVIF_STATE_FILE_H
#define XENVIF_STATE_FILE_H

#include <stdint.h>
#include <stdio.h>

#include "xenvif/switch_view.h"
#include "xenvif/vif_table.h"
#include "xenvif/vm_table.h"

struct xv_state_info {
	char boot_id[40];      /* the kernel boot the counters belong to */
	int64_t saved;         /* when written, seconds since the epoch */
	int64_t uptime_origin; /* when TimeStamp 0 was, ms since the epoch */
};

/*
 * Loads path into t, vms and sw (if not NULL), which must be empty.  Sources are dropped if the
 * file is from another kernel boot (boot_id differs): their devices
 * cannot exist any more.  Returns 0; -ENOENT if there is no file;
 * -EINVAL if it is damaged (err says "PATH:LINE: what"); another -errno
 * (-ENOMEM included) if it cannot be read.  Both stay empty on failure.
 */
int xv_state_load(const char *path, struct xv_vif_table *t, struct xv_vm_table *vms,
		  struct xv_switch *sw, const char *boot_id,
		  struct xv_state_info *info, char *err, size_t errlen);

/* The same from an open stream (a file, or memory for tests and
 * fuzzers); name stands for it in messages.  Returns as above (no
 * -ENOENT: there is a stream). */
int xv_state_load_stream(FILE *f, const char *name, struct xv_vif_table *t,
			 struct xv_vm_table *vms, struct xv_switch *sw,
			 const char *boot_id, struct xv_state_info *info,
			 char *err, size_t errlen);

/* Writes the tables (and the switch, if sw is not NULL) crash-safely.
 * 0, or -errno with err set. */
int xv_state_save(const char *path, const struct xv_vif_table *t,
		  const struct xv_vm_table *vms, const struct xv_switch *sw,
		  const struct xv_state_info *info, char *err, size_t errlen);

/* What xv_state_save writes, to f and flushed, not synced: 0, or
 * -errno with err set (name stands for f in it). */
int xv_state_write(FILE *f, const char *name, const struct xv_vif_table *t,
		   const struct xv_vm_table *vms, const struct xv_switch *sw,
		   const struct xv_state_info *info, char *err, size_t errlen);

/* Renames a damaged file to PATH.damaged-YYYYMMDDTHHMMSS so it is kept
 * for inspection; the new name goes to aside.  0 or -errno. */
int xv_state_set_aside(const char *path, char *aside, size_t asidesz);

/* The current kernel boot id, or "" if unknown. */
void xv_state_boot_id(char out[40]);

#endif
