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

/* Asks the guest to "poweroff" or "reboot" through control/shutdown: 0 or -errno. */
int domstore_request_shutdown(uint16_t domid, const char *how);

/*
 * Ends a guest: xenstored lets go of its ring (RELEASE), its records go,
 * and the hypervisor destroys it and takes its memory back. 0 or -errno.
 */
long domain_end(uint16_t domid);

#endif
