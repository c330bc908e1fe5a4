// SOURCES: tools/console_filter.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the filter between a guest's console output and an administrator's terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/console_filter.h"

#define E "\033"

static const struct {
	const char *what, *in, *out;
} cases[] = {
	/* what a shell and an editor need passes */
	{ "text", "hello, world\r\n", "hello, world\r\n" },
	{ "tab, backspace, bell", "a\tb\bc\a\v\f", "a\tb\bc\a\v\f" },
	{ "colours", E "[1;31mred" E "[0m " E "[38;5;208mo" E "[48;2;1;2;3m" E "[m",
	  E "[1;31mred" E "[0m " E "[38;5;208mo" E "[48;2;1;2;3m" E "[m" },
	{ "cursor and erase", E "[2J" E "[H" E "[10;20H" E "[K" E "[3A" E "[2C" E "[5G" E "[1;24r",
	  E "[2J" E "[H" E "[10;20H" E "[K" E "[3A" E "[2C" E "[5G" E "[1;24r" },
	{ "insert, delete, scroll", E "[4@" E "[2P" E "[3L" E "[M" E "[2S" E "[T" E "[5X",
	  E "[4@" E "[2P" E "[3L" E "[M" E "[2S" E "[T" E "[5X" },
	{ "modes", E "[?1049h" E "[?25l" E "[?2004h" E "[4h" E "[?1h" E "=" E "[?1049l",
	  E "[?1049h" E "[?25l" E "[?2004h" E "[4h" E "[?1h" E "=" E "[?1049l" },
	{ "status queries", E "[6n" E "[c" E "[>c" E "[5n" E "[?6n",
	  E "[6n" E "[c" E "[>c" E "[5n" E "[?6n" },
	{ "cursor style, soft reset", E "[2 q" E "[!p", E "[2 q" E "[!p" },
	{ "save, restore, index", E "7x" E "8" E "M" E "D" E "E" E "[s" E "[u" E "c",
	  E "7x" E "8" E "M" E "D" E "E" E "[s" E "[u" E "c" },
	{ "line drawing", E "(0lqqk" E "(B" E ")0", E "(0lqqk" E "(B" E ")0" },
	{ "UTF-8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\xa0" },

	/* strings go, whole, whatever ends them */
	{ "OSC title, BEL", E "]0;pwned\aafter", "after" },
	{ "OSC 52 clipboard, ST", E "]52;c;cm0gLXJmIH4K" E "\\after", "after" },
	{ "OSC 8 hyperlink", E "]8;;http://x/" E "\\link" E "]8;;" E "\\", "link" },
	{ "DCS (DECRQSS)", E "P$qm" E "\\x", "x" },
	{ "SOS, PM, APC", E "Xs" E "\\1" E "^p" E "\\2" E "_a" E "\\3", "123" },
	{ "an unterminated OSC ends at the line", E "]0;evil\nvisible", "\nvisible" },
	{ "CAN cancels a string", E "]0;x\030shown", "shown" },
	{ "ESC in a string ends it and starts anew", E "]0;t" E "[31mx", E "[31mx" },

	/* CSI the terminal could answer with words of the guest's, or act on outside itself */
	{ "title report", E "[21t" E "[20t" E "[19t", "" },
	{ "window ops", E "[8;999;999t" E "[2t" E "[3;0;0t" E "[9;1t", "" },
	{ "printing", E "[5i" E "[4i" E "[?5i" E "[0i", "" },
	{ "key modifiers", E "[>4;2m" E "[>1u" E "[?u" E "[<u", "" },
	{ "other finals", E "[1;2;3;4$t" E "[2x" E "[y" E "[3~" E "[1$}", "" },
	{ "too long a CSI", E "[" "111111111111111111111111111111111111111111111111111111111111111111111"
			    "111111111111111111111111111111111m" "ok", "ok" },
	{ "a CSI cut by a newline", E "[31\nx", "\nx" },
	{ "a CSI cut by CAN", E "[31\030x", "x" },
	{ "a CSI cut by ESC", E "[31" E "[32mx", E "[32mx" },

	/* controls and bytes no terminal needs from a guest */
	{ "NUL, ENQ, SO, SI, DEL", "a\000b\005c\016d\017e\177f", "abcdef" },
	{ "8-bit CSI, OSC, DCS", "\x9b" "31m\x9d" "0;t\x07\x90q", "31m0;t\x07q" },
	{ "C1 in UTF-8", "\xc2\x9b" "2J\xc2\x9d", "2J" },
	{ "malformed UTF-8", "\xc0\xaf\xe0\x80\xaf\xed\xa0\x80\xf5\x80x\xc3", "x" },
	{ "other ESC sequences", E "k" E "]" "\a" E "#8" E "%G" E " F", E "#8" E "%G" },
};

/* Runs in through a fresh filter, n bytes at a time. */
static size_t run(const char *in, size_t len, size_t chunk, char *out)
{
	struct console_filter f = { 0 };
	size_t o = 0;

	for (size_t i = 0; i < len; i += chunk) {
		size_t n = len - i < chunk ? len - i : chunk;

		o += console_filter(&f, in + i, n, out + o);
	}
	return o;
}

static void test_cases(void **state)
{
	static const size_t chunks[] = { 1000, 1, 2, 3, 7 };
	char out[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* (NUL inside "NUL, ENQ..." counts: lengths come from the literal) */
		size_t len = strlen(cases[i].in), want = strlen(cases[i].out);

		if (!strcmp(cases[i].what, "NUL, ENQ, SO, SI, DEL"))
			len = 12;
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			size_t got = run(cases[i].in, len, chunks[c], out);

			if (got != want || memcmp(out, cases[i].out, want))
				fail_msg("%s (in pieces of %zu): got \"%.*s\"", cases[i].what, chunks[c],
					 (int)got, out);
		}
	}
}

/* An OSC that never ends swallows 4096 bytes at most: the rest is shown. */
static void test_unterminated_string_is_bounded(void **state)
{
	static char in[6000], out[6000 + CONSOLE_FILTER_SLACK];
	size_t n;

	memcpy(in, E "]0;", 4);
	memset(in + 4, 'a', sizeof(in) - 5);
	in[sizeof(in) - 1] = 'b';
	n = run(in, sizeof(in), 512, out);
	assert_true(n > 1000 && n < 2000);
	assert_int_equal(out[n - 1], 'b');
	assert_null(memchr(out, 0x1b, n));
}

/* Whatever comes in, nothing a terminal would obey but the allowed CSI, and no more bytes than came. */
static void test_random_bytes(void **state)
{
	static char in[1 << 16], out[sizeof(in) + CONSOLE_FILTER_SLACK];
	unsigned int seed = 1;
	size_t n;

	for (size_t i = 0; i < sizeof(in); i++) {
		seed = seed * 1103515245 + 12345;
		/* ESC, '[', ']', digits and controls often, to make sequences of every kind */
		in[i] = (char)("\033\033[]P_^X;0129tmhi\a\n\030\x9b\xc2\x9d"[(seed >> 16) % 24]);
		if ((seed >> 8) % 5 == 0)
			in[i] = (char)(seed >> 20);
	}
	n = run(in, sizeof(in), 333, out);
	assert_true(n <= sizeof(in));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		assert_false(c < 0x20 && !strchr("\a\b\t\n\v\f\r\033", c));
		assert_false(c == 0x7f);
		if (c >= 0x80) {
			/* whole, well-formed UTF-8, and not U+0080..U+009F */
			size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

			assert_true(c >= 0xc2 && c <= 0xf4 && i + len <= n);
			for (size_t k = 1; k < len; k++)
				assert_true(((unsigned char)out[i + k] & 0xc0) == 0x80);
			assert_false(c == 0xc2 && (unsigned char)out[i + 1] <= 0x9f);
			i += len - 1;
			continue;
		}
		if (c == 0x1b && i + 1 < n)
			assert_true(strchr("[78=>MDEHcNOZ()*+-./#%", out[i + 1]) != NULL);
		if (c == 0x1b && out[i + 1] == '[') {
			size_t j = i + 2;

			while (j < n && (unsigned char)out[j] >= 0x20 && (unsigned char)out[j] <= 0x3f)
				j++;
			assert_true(j < n);
			assert_true(out[j] != 't' && out[j] != 'i');
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_unterminated_string_is_bounded),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
