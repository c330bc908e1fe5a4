/* SPDX-License-Identifier: MIT */
/* A guest's console log in dom0: two capped files, and a budget a flooding guest cannot exceed. */
#ifndef DOMUS_CONSOLE_LOG_H
#define DOMUS_CONSOLE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Dom0's root is in its RAM, so a guest must not be able to fill it by
 * printing. Its log is NAME.log, and NAME.log.1 before it: when NAME.log
 * would pass the cap it becomes NAME.log.1 (the older one goes) and a new
 * NAME.log starts, so the two together hold at most twice the cap
 * (CONSOLE_LOG_CAP, or DOMUS_CONSOLE_LOG_SIZE in the daemon's environment).
 *
 * And a guest that prints faster than CONSOLE_LOG_RATE bytes a second, once
 * CONSOLE_LOG_BURST are spent, has the rest dropped: the boot log before it
 * is not rotated away in seconds. While it floods, the newest
 * CONSOLE_LOG_TAIL bytes are kept; when it stops (or the budget has
 * refilled half way) the log gets a line saying how much was dropped and
 * then those last lines, so the last thing a guest said before it went
 * quiet, or crashed, is there.
 *
 * Time is passed in (milliseconds, any monotonic origin) so tests need no clock.
 */
#define CONSOLE_LOG_CAP (1024 * 1024)
#define CONSOLE_LOG_CAP_MIN (16 * 1024)
#define CONSOLE_LOG_RATE (32 * 1024)
#define CONSOLE_LOG_BURST (256 * 1024)
#define CONSOLE_LOG_TAIL (8 * 1024)
#define CONSOLE_LOG_QUIET_MS 1000

struct console_log {
	char path[256]; /* NAME.log */
	int fd;
	size_t size, cap;
	long budget; /* bytes it may write now; below 0 after a tail was written */
	uint64_t budget_ms, last_data_ms;
	bool dropping;
	unsigned long long dropped;
	char tail[CONSOLE_LOG_TAIL]; /* a ring of the newest bytes dropped */
	size_t tail_len, tail_at;
	bool at_line_start;
};

/* Starts path afresh (and removes an old path.1); 0 or -errno. cap 0: CONSOLE_LOG_CAP. */
int console_log_open(struct console_log *l, const char *path, size_t cap, uint64_t now_ms);
/* What the guest printed: written, or (flooding) kept in the tail and counted. */
void console_log_write(struct console_log *l, const char *p, size_t n, uint64_t now_ms);
/* Call now and then: ends a flood that has stopped. */
void console_log_tick(struct console_log *l, uint64_t now_ms);
void console_log_close(struct console_log *l);
/* "1M", "512K", "65536": bytes, or 0 if not a size. */
size_t console_log_parse_size(const char *s);

#endif
