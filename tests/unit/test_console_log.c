// SOURCES: tools/console_log.c
/* SPDX-License-Identifier: MIT */
/* Host tests of a guest's console log: the size cap and its rotation, the flood budget, the last lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/console_log.h"

static char dir[] = "/tmp/domus-console-log-XXXXXX";
static char path[300], old[310];

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/guest.log", dir);
	snprintf(old, sizeof(old), "%s/guest.log.1", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[320];

	unlink(path);
	unlink(old);
	snprintf(p, sizeof(p), "%s/guest.log.2", dir);
	unlink(p);
	rmdir(dir);
	strcpy(dir, "/tmp/domus-console-log-XXXXXX");
	return 0;
}

/* The file's contents (NUL-terminated, to be freed), and its size; NULL if absent. */
static char *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = 0;
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* Line i of what the test guest prints. */
static size_t line(char *out, size_t i)
{
	return (size_t)sprintf(out, "line %06zu of the guest's console output\n", i);
}

/*
 * 97 MB after 50,000 events, before: now the log and the one before it hold
 * at most twice the cap, and together they are the newest output, in order.
 */
static void test_capped_and_rotated(void **state)
{
	struct console_log l;
	size_t cap = 16 * 1024, n1, n0, total = 0;
	char *a, *b, buf[64], p2[320];
	uint64_t now = 1000;

	assert_int_equal(console_log_open(&l, path, cap, now), 0);
	for (size_t i = 0; i < 20000; i++) {
		size_t n = line(buf, i);

		now += 2; /* slowly enough that the budget never runs out */
		console_log_write(&l, buf, n, now);
		total += n;
	}
	console_log_close(&l);
	a = slurp(old, &n1);
	b = slurp(path, &n0);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(n1 <= cap && n0 <= cap);
	assert_true(n1 + n0 > cap);
	snprintf(p2, sizeof(p2), "%s/guest.log.2", dir);
	assert_int_equal(access(p2, F_OK), -1);
	/* the last line is the last printed, and the files join without a gap */
	line(buf, 19999);
	assert_string_equal(b + n0 - strlen(buf), buf);
	assert_null(strstr(a, "line 000000")); /* the oldest are gone */
	{
		char *joined = malloc(n1 + n0 + 1);
		size_t first;

		memcpy(joined, a, n1);
		memcpy(joined + n1, b, n0 + 1);
		assert_int_equal(sscanf(strchr(joined, 'l'), "line %zu", &first), 1);
		for (size_t i = first + 1, off = (size_t)(strchr(joined, '\n') - joined) + 1;
		     i < 20000; i++) {
			size_t n = line(buf, i);

			assert_memory_equal(joined + off, buf, n);
			off += n;
		}
		free(joined);
	}
	free(a);
	free(b);
	/* a new guest of the same name starts with no old log */
	assert_int_equal(console_log_open(&l, path, cap, now), 0);
	assert_int_equal(access(old, F_OK), -1);
	console_log_close(&l);
}

/*
 * A flood: the first CONSOLE_LOG_BURST bytes are logged, the rest dropped;
 * when the guest goes quiet the log says how much went and ends with the
 * last lines it printed (here, its last words before a crash).
 */
static void test_flood_dropped_last_lines_kept(void **state)
{
	struct console_log l;
	char buf[64], *log, *marker;
	size_t n, printed = 0, lines = 40000;
	unsigned long long dropped;
	uint64_t now = 5000;

	assert_int_equal(console_log_open(&l, path, 64 << 20, now), 0);
	for (size_t i = 0; i < lines; i++) {
		n = line(buf, i);
		console_log_write(&l, buf, n, now); /* all at once */
		printed += n;
	}
	console_log_write(&l, "Kernel panic - not syncing: oops\n", 33, now);
	printed += 33;
	console_log_tick(&l, now + 100); /* not quiet long enough yet */
	log = slurp(path, &n);
	assert_int_equal(n, CONSOLE_LOG_BURST);
	free(log);
	console_log_tick(&l, now + CONSOLE_LOG_QUIET_MS);
	console_log_close(&l);
	log = slurp(path, &n);
	marker = strstr(log, "[domus: the guest printed too fast: ");
	assert_non_null(marker);
	assert_true(marker - log >= CONSOLE_LOG_BURST); /* after what fitted... */
	assert_true(marker == log + CONSOLE_LOG_BURST || marker == log + CONSOLE_LOG_BURST + 1);
	assert_int_equal(sscanf(marker, "[domus: the guest printed too fast: %llu", &dropped), 1);
	/* ...then the last lines, whole */
	assert_string_equal(log + n - 33, "Kernel panic - not syncing: oops\n");
	line(buf, lines - 1);
	assert_non_null(strstr(marker, buf));
	assert_true(n < CONSOLE_LOG_BURST + CONSOLE_LOG_TAIL + 200);
	assert_int_equal(n - (size_t)(strchr(marker, '\n') + 1 - log) + CONSOLE_LOG_BURST + dropped,
			 printed);
	free(log);
}

/*
 * A guest that never stops: over a minute at 1 MiB/s the log takes about
 * CONSOLE_LOG_RATE a second, in bursts each with a marker, not the 60 MiB.
 */
static void test_steady_flood_held_to_the_rate(void **state)
{
	struct console_log l;
	char chunk[2048], *log, *p;
	uint64_t now = 0;
	size_t n, markers = 0;

	memset(chunk, 'x', sizeof(chunk));
	chunk[sizeof(chunk) - 1] = '\n';
	assert_int_equal(console_log_open(&l, path, 64 << 20, now), 0);
	for (int i = 0; i < 30000; i++) { /* 2 KiB every 2 ms */
		now += 2;
		console_log_write(&l, chunk, sizeof(chunk), now);
		if (i % 100 == 0)
			console_log_tick(&l, now);
	}
	console_log_close(&l);
	log = slurp(path, &n);
	assert_true(n < CONSOLE_LOG_BURST + 60 * (CONSOLE_LOG_RATE + CONSOLE_LOG_TAIL));
	assert_true(n > 60 * CONSOLE_LOG_RATE / 2);
	for (p = log; (p = strstr(p, "bytes dropped here]")); p++)
		markers++;
	assert_true(markers >= 5);
	free(log);
}

static void test_parse_size(void **state)
{
	assert_int_equal(console_log_parse_size("1M"), 1 << 20);
	assert_int_equal(console_log_parse_size("512K"), 512 << 10);
	assert_int_equal(console_log_parse_size("65536"), 65536);
	assert_int_equal(console_log_parse_size("2g"), 2ULL << 30);
	assert_int_equal(console_log_parse_size(""), 0);
	assert_int_equal(console_log_parse_size("-1"), 0);
	assert_int_equal(console_log_parse_size("1X"), 0);
	assert_int_equal(console_log_parse_size("99999999999999999999"), 0);
	assert_int_equal(console_log_parse_size(NULL), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_capped_and_rotated),
		T(test_flood_dropped_last_lines_kept),
		T(test_steady_flood_held_to_the_rate),
		cmocka_unit_test(test_parse_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
