/* SPDX-License-Identifier: MIT */
/* A guest's console log: capped, rotated, and budgeted against floods (see console_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console_log.h"

static void older_path(const struct console_log *l, char *out, size_t cap)
{
	snprintf(out, cap, "%s.1", l->path);
}

static int reopen(struct console_log *l)
{
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	l->size = 0;
	return l->fd < 0 ? -errno : 0;
}

/* Writes to the file as it is, NAME.log becoming NAME.log.1 first if p would not fit. */
static void put(struct console_log *l, const char *p, size_t n)
{
	char old[sizeof(l->path) + 2];

	if (!n)
		return;
	if (l->size + n > l->cap && l->size) {
		older_path(l, old, sizeof(old));
		if (l->fd >= 0)
			close(l->fd);
		rename(l->path, old);
		reopen(l);
	}
	while (n && l->fd >= 0) {
		ssize_t w = write(l->fd, p, n);

		if (w <= 0)
			return; /* dom0's disk full: the guest's output is what gives */
		l->size += (size_t)w;
		p += w;
		n -= (size_t)w;
	}
	l->at_line_start = p[-1] == '\n';
}

static void refill(struct console_log *l, uint64_t now_ms)
{
	uint64_t ms = now_ms - l->budget_ms;

	if (now_ms < l->budget_ms)
		return;
	/* (whole milliseconds' worth only, so that frequent calls do not lose the fractions) */
	if (ms * CONSOLE_LOG_RATE / 1000) {
		long add = (long)(ms * CONSOLE_LOG_RATE / 1000);

		l->budget = l->budget + add > CONSOLE_LOG_BURST ? CONSOLE_LOG_BURST : l->budget + add;
		l->budget_ms = now_ms;
	}
}

/* The flood is over (or the budget is back): say what went, then the last lines. */
static void end_flood(struct console_log *l)
{
	char line[128], tail[CONSOLE_LOG_TAIL];
	size_t start = 0, n = l->tail_len;
	int len;

	/* oldest first; if the tail begins inside a line, from the next whole one */
	for (size_t i = 0; i < n; i++)
		tail[i] = l->tail[(l->tail_at + CONSOLE_LOG_TAIL - n + i) % CONSOLE_LOG_TAIL];
	if (l->dropped > n) {
		char *nl = memchr(tail, '\n', n);

		if (nl && (size_t)(nl - tail) + 1 < n)
			start = (size_t)(nl - tail) + 1;
	}
	if (l->dropped > n - start) {
		len = snprintf(line, sizeof(line),
			       "%s[domus: the guest printed too fast: %llu bytes dropped here]\n",
			       l->at_line_start ? "" : "\n", l->dropped - (n - start));
		put(l, line, (size_t)len);
		l->budget -= len;
	}
	put(l, tail + start, n - start);
	l->budget -= (long)(n - start);
	l->dropping = false;
	l->dropped = 0;
	l->tail_len = 0;
}

void console_log_write(struct console_log *l, const char *p, size_t n, uint64_t now_ms)
{
	refill(l, now_ms);
	if (n)
		l->last_data_ms = now_ms;
	if (l->dropping && l->budget >= CONSOLE_LOG_BURST / 2)
		end_flood(l); /* a budget half refilled: the flood goes on, but the log hears of it */
	if (!l->dropping && l->budget >= (long)n) {
		put(l, p, n);
		l->budget -= (long)n;
		return;
	}
	/* Over budget: what fits goes out, the rest into the tail. */
	if (!l->dropping && l->budget > 0) {
		size_t fit = (size_t)l->budget;

		put(l, p, fit);
		l->budget = 0;
		p += fit;
		n -= fit;
	}
	l->dropping = true;
	l->dropped += n;
	for (size_t i = 0; i < n; i++) {
		l->tail[l->tail_at] = p[i];
		l->tail_at = (l->tail_at + 1) % CONSOLE_LOG_TAIL;
	}
	l->tail_len = l->tail_len + n > CONSOLE_LOG_TAIL ? CONSOLE_LOG_TAIL : l->tail_len + n;
}

void console_log_tick(struct console_log *l, uint64_t now_ms)
{
	refill(l, now_ms);
	if (l->dropping && (now_ms - l->last_data_ms >= CONSOLE_LOG_QUIET_MS ||
			    l->budget >= CONSOLE_LOG_BURST / 2))
		end_flood(l);
}

int console_log_open(struct console_log *l, const char *path, size_t cap, uint64_t now_ms)
{
	char old[sizeof(l->path) + 2];

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (strlen(path) >= sizeof(l->path))
		return -ENAMETOOLONG;
	strcpy(l->path, path);
	l->cap = !cap ? CONSOLE_LOG_CAP : cap < CONSOLE_LOG_CAP_MIN ? CONSOLE_LOG_CAP_MIN : cap;
	l->budget = CONSOLE_LOG_BURST;
	l->budget_ms = l->last_data_ms = now_ms;
	l->at_line_start = true;
	older_path(l, old, sizeof(old));
	unlink(old); /* a guest of the same name before: its log went with it */
	return reopen(l);
}

void console_log_close(struct console_log *l)
{
	if (l->dropping)
		end_flood(l); /* its last lines, before the domain goes */
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

size_t console_log_parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end || v > (1ULL << 32))
		return 0;
	return (size_t)v;
}
