/* SPDX-License-Identifier: MIT */
/* A guest's console output, made safe for a terminal: a small state machine (see console_filter.h). */
#include <stdbool.h>
#include <string.h>

#include "console_filter.h"

enum {
	TEXT,
	ESC, /* ESC seen */
	ESC_INTER, /* ESC and intermediate bytes: ESC ( 0 */
	CSI, /* ESC [ and what follows */
	CSI_SKIP, /* a CSI too long to hold: dropped up to its final byte */
	STR, /* an OSC, DCS, SOS, PM or APC string: dropped */
	STR_ESC, /* ESC inside one: ST, or the end of it anyway */
};

#define STR_MAX 4096

/*
 * CSI final bytes that do what a shell or an editor needs and cannot make
 * the terminal write anything but fixed-format replies: cursor movement
 * (A-H, `, a, d, e, f, I, Z), editing (@, J, K, L, M, P, X, b), scrolling (S,
 * T, r), tabs (g), modes (h, l), attributes and colours (m), status queries
 * (n, c), cursor save/restore (s, u), soft reset and mode queries (p),
 * cursor style (q). Not t (window operations, title reports typed back as
 * input) nor i (media copy, a printer command), nor anything else.
 */
static const char csi_ok[] = "@ABCDEFGHIJKLMPSTXZ`abcdefghlmnpqrsu";

/* A private marker (first parameter byte <=>?) is fine with these finals only. */
static bool marker_ok(char marker, char final)
{
	switch (marker) {
	case '?':
		return strchr("hlnrsJKp", final) != NULL; /* DEC modes, DSR, selective erase */
	case '>':
		return final == 'c' || final == 'q'; /* DA2, XTVERSION */
	case '=':
		return final == 'c'; /* DA3 */
	default:
		return false;
	}
}

/* The held CSI (ESC [ params intermediates) with this final byte: may it pass? */
static bool csi_allowed(const struct console_filter *f, char final)
{
	bool inter = false;

	if (!strchr(csi_ok, final))
		return false;
	if (f->seq_len > 2 && strchr("<=>?", f->seq[2]) && !marker_ok(f->seq[2], final))
		return false;
	for (size_t i = 2; i < f->seq_len; i++)
		inter |= f->seq[i] >= 0x20 && f->seq[i] <= 0x2f;
	/* Intermediates: DECSCUSR (SP q), DECSTR (! p), DECRQM ($ p), DECSCL/DECSCA (" p/q). */
	return !inter || final == 'p' || final == 'q';
}

static size_t emit(char *out, size_t o, const char *p, size_t n)
{
	memcpy(out + o, p, n);
	return o + n;
}

/* Starts a UTF-8 sequence at lead byte c; false if c cannot begin one we pass. */
static bool utf8_start(struct console_filter *f, unsigned char c)
{
	static const struct {
		unsigned char first, last, need, lo, hi;
	} leads[] = {
		/* the well-formed sequences of Unicode 3.9 (no overlongs, surrogates, >U+10FFFF) */
		{ 0xc2, 0xdf, 1, 0x80, 0xbf }, { 0xe0, 0xe0, 2, 0xa0, 0xbf },
		{ 0xe1, 0xec, 2, 0x80, 0xbf }, { 0xed, 0xed, 2, 0x80, 0x9f },
		{ 0xee, 0xef, 2, 0x80, 0xbf }, { 0xf0, 0xf0, 3, 0x90, 0xbf },
		{ 0xf1, 0xf3, 3, 0x80, 0xbf }, { 0xf4, 0xf4, 3, 0x80, 0x8f },
	};

	for (size_t i = 0; i < sizeof(leads) / sizeof(leads[0]); i++) {
		if (c >= leads[i].first && c <= leads[i].last) {
			f->utf8[0] = (char)c;
			f->utf8_len = 1;
			f->utf8_need = leads[i].need;
			f->utf8_lo = leads[i].lo;
			f->utf8_hi = leads[i].hi;
			return true;
		}
	}
	return false; /* 8-bit C1 controls, stray continuations, C0/C1/F5..FF leads */
}

/* One byte in TEXT state. */
static size_t text(struct console_filter *f, unsigned char c, char *out, size_t o)
{
	if (f->utf8_need) {
		if (c >= f->utf8_lo && c <= f->utf8_hi) {
			f->utf8[f->utf8_len++] = (char)c;
			f->utf8_lo = 0x80;
			f->utf8_hi = 0xbf;
			if (--f->utf8_need)
				return o;
			/* U+0080..U+009F are the C1 controls again (CSI is U+009B): not those. */
			if (f->utf8_len == 2 && (unsigned char)f->utf8[0] == 0xc2 &&
			    (unsigned char)f->utf8[1] <= 0x9f)
				return o;
			return emit(out, o, f->utf8, f->utf8_len);
		}
		f->utf8_need = 0; /* malformed: what was held goes, c starts afresh */
	}
	if (c == 0x1b) {
		f->state = ESC;
		f->seq[0] = (char)c;
		f->seq_len = 1;
		return o;
	}
	if (c < 0x20)
		/* BEL, BS, TAB, LF, VT, FF, CR; not NUL, ENQ (answerback), SO/SI, CAN... */
		return c >= 0x07 && c <= 0x0d ? emit(out, o, (const char *)&c, 1) : o;
	if (c < 0x7f)
		return emit(out, o, (const char *)&c, 1);
	if (c >= 0x80)
		utf8_start(f, c);
	return o; /* DEL; or a lead byte, held */
}

/* One byte, in whatever state f is: returns the new length of out. */
static size_t step(struct console_filter *f, unsigned char c, char *out, size_t o)
{
	switch (f->state) {
	case TEXT:
		o = text(f, c, out, o);
		break;
	case ESC:
		if (c == '[') {
			f->seq[f->seq_len++] = (char)c;
			f->state = CSI;
		} else if (strchr("]PX^_", c) && c) {
			f->state = STR; /* OSC, DCS, SOS, PM, APC */
			f->str_len = 0;
		} else if (c >= 0x20 && c <= 0x2f) {
			f->seq[f->seq_len++] = (char)c;
			f->state = ESC_INTER;
		} else if (c && strchr("78=>MDEHcNOZ", c)) {
			f->seq[f->seq_len++] = (char)c;
			o = emit(out, o, f->seq, f->seq_len);
			f->state = TEXT;
		} else {
			/* anything else: the ESC goes; a control or a new ESC still counts */
			f->state = TEXT;
			if (c < 0x20 || c >= 0x80)
				o = text(f, c, out, o);
		}
		break;
	case ESC_INTER:
		if (c >= 0x20 && c <= 0x2f && f->seq_len < sizeof(f->seq) - 1) {
			f->seq[f->seq_len++] = (char)c;
		} else if (c >= 0x30 && c <= 0x7e) {
			/* character sets G0..G3 (ESC ( 0), DEC line sizes and tests (ESC # 8), UTF-8 (ESC % G) */
			f->seq[f->seq_len++] = (char)c;
			if (strchr("()*+-./#%", f->seq[1]))
				o = emit(out, o, f->seq, f->seq_len);
			f->state = TEXT;
		} else {
			f->state = TEXT;
			if (c < 0x20 || c >= 0x80)
				o = text(f, c, out, o);
		}
		break;
	case CSI:
	case CSI_SKIP:
		if (c >= 0x20 && c <= 0x3f) {
			if (f->state == CSI && f->seq_len < sizeof(f->seq) - 1)
				f->seq[f->seq_len++] = (char)c;
			else
				f->state = CSI_SKIP; /* too long to be anything we pass */
		} else if (c >= 0x40 && c <= 0x7e) {
			if (f->state == CSI && csi_allowed(f, (char)c)) {
				f->seq[f->seq_len++] = (char)c;
				o = emit(out, o, f->seq, f->seq_len);
			}
			f->state = TEXT;
		} else {
			/* a control (CAN, SUB, ESC, LF...) or a byte no CSI holds ends it, unsent */
			f->state = TEXT;
			if (c != 0x18 && c != 0x1a && c != 0x7f)
				o = text(f, c, out, o);
		}
		break;
	case STR:
		if (c == 0x1b) {
			f->state = STR_ESC;
		} else if (c == 0x07 || c == 0x18 || c == 0x1a) {
			f->state = TEXT; /* BEL ends an OSC; CAN and SUB cancel any */
		} else if (c == '\n' || ++f->str_len > STR_MAX) {
			/* never terminated: what follows is shown, the string never is */
			f->state = TEXT;
			if (c == '\n')
				o = text(f, c, out, o);
		}
		break;
	case STR_ESC:
		f->state = TEXT;
		if (c != '\\') { /* not ST: the string ended anyway, and this ESC begins anew */
			o = step(f, 0x1b, out, o);
			o = step(f, c, out, o);
		}
		break;
	}
	return o;
}

size_t console_filter(struct console_filter *f, const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		o = step(f, (unsigned char)in[i], out, o);
	return o;
}
