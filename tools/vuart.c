/* SPDX-License-Identifier: MIT */
/*
 * `domus console -t vuart NAME` (as `xl console -t vuart`): a guest's emulated
 * SBSA UART on this terminal. Its backend is in Domus, for guests started at
 * boot and by `domus create` alike, so this reads and writes it through
 * DOMUS_CTL_vuart, polling: output from where Domus' kept history starts,
 * filtered as a PV console's is (console_filter.h), typed bytes to the
 * guest, until Ctrl-] or the guest is gone. While it is attached, Domus stops
 * showing the guest's lines on its own console.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "console_filter.h"
#include "libdomus.h"

#define POLL_MS 20 /* how often an idle UART is looked at: below what a typist notices */

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);

		if (w <= 0 && errno != EINTR)
			return;
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
	}
}

/* One exchange: output shown, typed bytes sent (*pending shrinks by what was taken). */
static long exchange(uint16_t id, uint64_t *index, struct console_filter *f, char *typed,
		     size_t *pending)
{
	char out[DOMUS_VUART_MAX_IO], shown[DOMUS_VUART_MAX_IO + CONSOLE_FILTER_SLACK];
	struct domus_ctl c = { .cmd = DOMUS_CTL_vuart, .domid = id };
	long rc;

	c.u.vuart.out_buffer = (uint64_t)(uintptr_t)out;
	c.u.vuart.out_size = sizeof(out);
	c.u.vuart.index = *index;
	c.u.vuart.in_buffer = (uint64_t)(uintptr_t)typed;
	c.u.vuart.in_count = (uint32_t)*pending;
	rc = domus_ctl(&c);
	if (rc)
		return rc;
	*index = c.u.vuart.index;
	if (c.u.vuart.lost) {
		char note[64];
		int n = snprintf(note, sizeof(note), "\r\n[%llu bytes of its output were lost]\r\n",
				 (unsigned long long)c.u.vuart.lost);

		write_all(note, (size_t)n);
	}
	memmove(typed, typed + c.u.vuart.in_taken, *pending - c.u.vuart.in_taken);
	*pending -= c.u.vuart.in_taken;
	write_all(shown, console_filter(f, out, c.u.vuart.out_count, shown));
	return c.u.vuart.out_count;
}

int vuart_attach(uint16_t id, const char *name)
{
	struct console_filter filter = { 0 };
	char typed[DOMUS_VUART_MAX_IO];
	size_t pending = 0;
	uint64_t index = 0; /* from the oldest output Domus still keeps */
	struct termios saved;
	bool tty, gone = false;
	long rc = exchange(id, &index, &filter, typed, &pending);

	if (rc < 0) {
		fprintf(stderr, "domus: '%s' has %s\n", name,
			rc == -ENODEV ? "no SBSA UART (vuart = \"sbsa_uart\")" : strerror((int)-rc));
		return 1;
	}
	tty = console_term_raw(&saved);
	for (;;) {
		struct pollfd p = { 0, POLLIN, 0 };
		bool detach = false;

		/* The keyboard is looked at every time, without waiting while output keeps coming. */
		if (poll(&p, 1, rc > 0 ? 0 : POLL_MS) < 0 && errno != EINTR)
			break;
		if (p.revents & (POLLIN | POLLHUP)) {
			char ch;

			/* A byte at a time: what follows Ctrl-] is dom0's shell's (as console_attach). */
			if (read(0, &ch, 1) != 1 || ch == DETACH_KEY)
				detach = true;
			else if (pending < sizeof(typed))
				typed[pending++] = ch;
		}
		if (detach)
			break;
		rc = exchange(id, &index, &filter, typed, &pending);
		if (rc < 0) {
			gone = true;
			break;
		}
	}
	console_term_restore(tty, &saved);
	printf(gone ? "\r\ndomus: the UART of '%s' closed\n" : "\r\ndomus: left the UART of '%s'\n",
	       name);
	fflush(stdout);
	return 0;
}
