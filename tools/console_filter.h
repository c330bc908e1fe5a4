/* SPDX-License-Identifier: MIT */
/* What of a guest's console output may reach an administrator's terminal. */
#ifndef DOMUS_CONSOLE_FILTER_H
#define DOMUS_CONSOLE_FILTER_H

#include <stddef.h>
#include <stdint.h>

/*
 * `domus console NAME` puts a guest's output on a terminal in dom0, and a
 * terminal obeys what it is sent: set the clipboard (OSC 52), set a window
 * title and then type it back as input (OSC 2 + CSI 21 t), reprogram keys,
 * print to a pipe. So the guest's output passes this filter once, in the
 * console daemon, before it is logged or sent to anyone (the log is what an
 * attach replays, and what `cat` shows):
 *
 *   passes   printable ASCII, valid UTF-8 (but not the C1 controls
 *            U+0080..U+009F), TAB, LF, CR, BS, BEL, VT, FF, and the escape
 *            sequences a shell or an editor needs: CSI cursor movement,
 *            erasing, scrolling, colours and attributes, modes, and the
 *            fixed-format status queries (CSI n, CSI c); ESC 7/8, = and >,
 *            M D E H, c, and character-set designations (ESC ( 0).
 *   dropped  OSC, DCS, SOS, PM and APC strings whole (to their BEL/ST, a
 *            newline, CAN/SUB, another ESC, or 4096 bytes, so that an
 *            unterminated one cannot hide what follows); CSI t (window
 *            operations and reports), CSI i (printing) and any CSI with
 *            another final byte or over 64 bytes long; other ESC
 *            sequences; the other C0 controls (ENQ answerback, SO/SI...)
 *            and DEL; 8-bit C1 bytes and malformed UTF-8.
 *
 * The filter keeps its state between calls, so a sequence split across
 * reads of the ring is seen whole.
 */
struct console_filter {
	uint8_t state;
	uint8_t utf8_need; /* continuation bytes still expected */
	uint8_t utf8_len; /* bytes held in utf8[] */
	uint8_t utf8_lo, utf8_hi; /* the range the next continuation byte must be in */
	char utf8[4];
	char seq[64]; /* the CSI or ESC sequence being read, held until it is judged */
	size_t seq_len;
	size_t str_len; /* bytes of the string being dropped */
};

/*
 * Filters n bytes of in into out (which has room for n: nothing is ever
 * added, but bytes held from an earlier call may come out now, so give it
 * n + sizeof(f->seq) + sizeof(f->utf8)). Returns the bytes written to out.
 */
size_t console_filter(struct console_filter *f, const char *in, size_t n, char *out);

#define CONSOLE_FILTER_SLACK (sizeof(((struct console_filter *)0)->seq) + 4)

#endif
