/* SPDX-License-Identifier: MIT */
/* Guest consoles in dom0: a daemon per domain serving its ring, and the client that attaches. */
#ifndef DOMUS_CONSOLE_H
#define DOMUS_CONSOLE_H

#include <stdint.h>

#include "config.h"

#define CONSOLE_LOG_DIR "/var/log/domus"
#define CONSOLE_SOCK_DIR "/run/domus"

/*
 * The daemon for one domain, run in a child of `domus create`: maps the
 * console page, binds the port, keeps the guest's output in
 * CONSOLE_LOG_DIR/NAME.log (and NAME.log.1 before it, each at most 1 MiB or
 * DOMUS_CONSOLE_LOG_SIZE, e.g. "4M"; a guest that floods has the excess
 * dropped, see console_log.h), all of it first made safe for a terminal
 * (console_filter.h), serves one attached client at a time on
 * CONSOLE_SOCK_DIR/NAME.sock, and applies on_poweroff/on_reboot/on_crash
 * when the domain stops. ready_fd gets one byte once the console is bound.
 * Returns when the domain is gone.
 */
int consoled_run(const struct domu_config *c, uint16_t domid, uint64_t gfn, uint32_t port,
		 int ready_fd);
/* `domus console NAME`: shows the log so far, then relays until Ctrl-] or the domain ends. */
int console_attach(const char *name);

#endif
