/* SPDX-License-Identifier: ISC */
/*
 * Whether a change must reach the state file at once.  The modules
 * that keep saved state (the vif and VM tables, the switch) return it
 * from the calls that change them; the engine alone decides to save.
 * Usage that grows between saves is not such a change: the periodic
 * save records it.
 */
#ifndef XENVIF_SAVE_H
#define XENVIF_SAVE_H

enum xv_save {
	XV_SAVE_LATER = 0, /* the periodic save will do */
	XV_SAVE_NOW = 1,   /* a crash before a save would lose or repeat it */
};

#endif
