/* SPDX-License-Identifier: MIT */
/*
 * The XenStore nodes a guest wrote itself (under the directories it may
 * write in), carried across save, restore, migration and cloning as one
 * SAVE_XENSTORE record body (savefile.h).
 */
#ifndef DOMUS_TOOLS_GUESTNODES_H
#define DOMUS_TOOLS_GUESTNODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reads guest domid's nodes into a new buffer (*body, *len; the caller frees
 * it): 0, or -1 with a reason. Meant for a guest that is suspended: what it
 * writes meanwhile would be missed. With devices, its front ends' own nodes
 * too (device/TYPE/ID/...), for a migration it takes no part in: they carry
 * its rings' grant references and ports.
 */
int guestnodes_read(uint16_t domid, bool devices, char **body, size_t *len, char *err,
		    size_t errlen);
/*
 * Writes them for guest domid (its records written, itself not yet running):
 * each node under a directory the guest may write in (others are refused),
 * its permissions with the old id turned into domid, dom0's kept, any other
 * domain's dropped (that domain is not this one's to name). 0, or -1.
 */
enum guestnodes_part {
	GUESTNODES_OWN, /* all of them; a front end's node is refused */
	/*
	 * A migration without the guest's help (handover.h), in two steps. Its
	 * back ends here read its front ends' nodes when they see a state
	 * change, so all but the states go first, before its watches come
	 * back: of the writes it did not make, only the states' fire them.
	 */
	GUESTNODES_BUT_STATES, /* all but its front ends' states (their other nodes allowed) */
	GUESTNODES_STATES, /* only those: its back ends connect then */
};
int guestnodes_write(uint16_t domid, enum guestnodes_part part, const char *body, size_t len,
		     char *err, size_t errlen);

#endif
