/* SPDX-License-Identifier: MIT */
/* Guest consoles in dom0: a daemon per domain serving its ring, and the client that attaches. */
#ifndef DOMUS_CONSOLE_H
#define DOMUS_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <termios.h>

#include "config.h"

#define CONSOLE_LOG_DIR "/var/log/domus"
#define CONSOLE_SOCK_DIR "/run/domus"
#define DETACH_KEY 0x1d /* Ctrl-]: leaves an attached console */

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
/* `domus console -t vuart NAME`: the same for the guest's SBSA UART, through Domus. */
int vuart_attach(uint16_t id, const char *name);
/* The terminal raw for an attach (false: not a terminal), and back as it was, modes reset. */
bool console_term_raw(struct termios *saved);
void console_term_restore(bool tty, const struct termios *saved);

#endif
