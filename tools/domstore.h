/* SPDX-License-Identifier: MIT */
/*
 * A guest's life as the toolstack sees it beyond the hypervisor: its
 * XenStore records (written as libxl writes them), its introduction to
 * xenstored, the control/shutdown requests it answers, and its end.
 */
#ifndef DOMUS_DOMSTORE_H
#define DOMUS_DOMSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "config.h"

/*
 * Writes /local/domain/ID (name, domid, memory, vCPUs, control, console,
 * store, and the directories the guest may write in) in one transaction and
 * introduces the domain to xenstored. 0, or -1 with a reason in err.
 */
int domstore_introduce(const struct domu_config *c, const struct domu_built *b, char *err,
		       size_t errlen);
/*
 * Its two halves: the records and the devices' back ends (hotplug included),
 * which a migration's target sets up from the stream's first record, before
 * the guest stops at the source; and the introduction to xenstored, which
 * maps the guest's XenStore page, so only once its last contents are in.
 */
int domstore_records(const struct domu_config *c, const struct domu_built *b, char *err,
		     size_t errlen);
int domstore_announce(const struct domu_built *b, char *err, size_t errlen);

/* The directories under /local/domain/ID the guest may write in (owned by it). */
#define DOMSTORE_GUEST_DIRS 10
extern const char *const domstore_guest_dirs[DOMSTORE_GUEST_DIRS];

/* Asks the guest to "poweroff" or "reboot" through control/shutdown: 0 or -errno. */
int domstore_request_shutdown(uint16_t domid, const char *how);
/*
 * `domus introduce`, as Xen's init-dom0less: each guest Domus started at boot
 * with xen,enhanced = "enabled" (its HVM_PARAM_STORE_PFN still ~0) gets its
 * XenStore page at Xen's magic gfn, its records (name, memory, vCPUs,
 * store), the page's address in HVM_PARAM_STORE_PFN, and is introduced to
 * xenstored, which tells it through its port. Each one introduced or failed
 * is said on a line. 0, or -1 if any failed.
 */
int domstore_introduce_boot_guests(void);

/*
 * Ends a guest: xenstored lets go of its ring (RELEASE), its records go,
 * and the hypervisor destroys it and takes its memory back. 0 or -errno.
 */
long domain_end(uint16_t domid);

#endif
