// SOURCES: hyp/lib/inflate.c
/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the gzip / DEFLATE decoder. Compressed vectors are made at
 * test time by the host's gzip (gzip -c -LEVEL, fed through a file under
 * build/unit/inflate/), so they cover what real tools emit: stored, fixed and
 * dynamic blocks. Corrupt inputs are derived from them. Run from the
 * repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <domus/errno.h>
#include <domus/inflate.h>

#define TMPDIR "build/unit/inflate"

struct buf {
	u8 *data;
	size_t len;
};

static u32 rng_state;

static u32 rng(void)
{
	/* xorshift32: reproducible data without libc's rand(). */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* ---- test data ---- */

enum kind { EMPTY, ONE_BYTE, RANDOM, TEXT, LONG_MATCHES, ZEROS, ALL_BYTES, SHORT_TEXT };

static struct buf make_data(enum kind kind)
{
	static const char *const words[] = { "the ",  "hypervisor ", "boots ", "a ",	   "kernel ",
					     "from ", "memory ",	 "and ",   "traps\n", "GIC ",
					     "timer ", "vcpu ",	 "0x4000 ", "domain, " };
	struct buf b = { NULL, 0 };

	rng_state = 0x12345678 + kind;
	switch (kind) {
	case EMPTY:
		break;
	case ONE_BYTE:
		b.len = 1;
		break;
	case RANDOM:
		b.len = 100 * 1024;
		break;
	case TEXT:
		b.len = 1024 * 1024;
		break;
	case LONG_MATCHES:
		b.len = 300 * 1024;
		break;
	case ZEROS:
		b.len = 200 * 1024;
		break;
	case ALL_BYTES:
		b.len = 256 * 8;
		break;
	case SHORT_TEXT:
		b.len = 60;
		break;
	}
	b.data = malloc(b.len ? b.len : 1);
	switch (kind) {
	case EMPTY:
		break;
	case ONE_BYTE:
		b.data[0] = 'x';
		break;
	case RANDOM:
		for (size_t i = 0; i < b.len; i++)
			b.data[i] = (u8)(rng() >> 11);
		break;
	case TEXT:
		for (size_t i = 0; i < b.len;) {
			const char *w = words[rng() % ARRAY_SIZE(words)];
			size_t n = strlen(w);

			n = n < b.len - i ? n : b.len - i;
			memcpy(b.data + i, w, n);
			i += n;
		}
		break;
	case LONG_MATCHES:
		/* A 4 KiB random chunk repeated with rare changes: 258-byte matches at long distances. */
		for (size_t i = 0; i < 4096; i++)
			b.data[i] = (u8)rng();
		for (size_t i = 4096; i < b.len; i++)
			b.data[i] = rng() % 5000 ? b.data[i - 4096 + (i / 65536) * 7 % 8] : (u8)rng();
		break;
	case ZEROS:
		memset(b.data, 0, b.len);
		break;
	case ALL_BYTES:
		for (size_t i = 0; i < b.len; i++)
			b.data[i] = (u8)(i * 7 + i / 256);
		break;
	case SHORT_TEXT:
		memcpy(b.data, "hello, hello, hello world; the world says hello back, hello", 60);
		break;
	}
	return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static struct buf run_capture(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	struct buf b = { malloc(4096), 0 };
	size_t cap = 4096, n;

	assert_non_null(p);
	while ((n = fread(b.data + b.len, 1, cap - b.len, p)) > 0) {
		b.len += n;
		if (b.len == cap)
			b.data = realloc(b.data, cap *= 2);
	}
	assert_int_equal(pclose(p), 0);
	return b;
}

/*
 * gzip's compression of data at a level. With by_name the file is named on
 * the command line, so gzip records its name (FNAME); otherwise it reads stdin.
 */
static struct buf gzip_data(const struct buf *data, int level, bool by_name)
{
	char path[128], cmd[256];
	struct buf out;

	snprintf(path, sizeof(path), TMPDIR "/input.bin");
	write_file(path, data->data, data->len);
	snprintf(cmd, sizeof(cmd), by_name ? "gzip -c -%d %s" : "gzip -c -n -%d < %s", level, path);
	out = run_capture(cmd);
	return out;
}

static int setup(void **state)
{
	return system("mkdir -p " TMPDIR) == 0 ? 0 : -1;
}

/* Copies into an exact-size heap buffer, so ASan sees reads past the input. */
static u8 *exact_copy(const void *src, size_t len)
{
	u8 *p = malloc(len ? len : 1);

	memcpy(p, src, len);
	return p;
}

static long gunzip_exact(const void *src, size_t len, u8 *dst, size_t cap)
{
	u8 *in = exact_copy(src, len);
	long n = gunzip(in, len, dst, cap);

	free(in);
	return n;
}

/* ---- round trips ---- */

static void test_gunzip_matches_gzip_output_for_all_kinds_and_levels(void **state)
{
	static const struct {
		enum kind kind;
		const char *name;
	} kinds[] = {
		{ EMPTY, "empty" },	 { ONE_BYTE, "one byte" },	   { RANDOM, "random 100 KiB" },
		{ TEXT, "text 1 MiB" },	 { LONG_MATCHES, "long matches" }, { ZEROS, "zeros" },
		{ ALL_BYTES, "all bytes" }, { SHORT_TEXT, "short text" },
	};
	static const int levels[] = { 1, 6, 9 };

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct buf data = make_data(kinds[k].kind);
		/* Exact-size output buffer: a write past the end would be caught. */
		u8 *out = malloc(data.len ? data.len : 1);

		for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
			struct buf gz = gzip_data(&data, levels[l], false);
			long n = gunzip_exact(gz.data, gz.len, out, data.len);

			if (n != (long)data.len)
				fail_msg("%s, gzip -%d: got %ld, want %zu", kinds[k].name, levels[l], n,
					 data.len);
			assert_memory_equal(out, data.data, data.len);
			assert_true(gzip_is_gzip(gz.data, gz.len));
			assert_int_equal(gzip_isize(gz.data, gz.len), data.len);
			free(gz.data);
		}
		free(out);
		free(data.data);
	}
}

/* The type of a gzip member's first DEFLATE block (no optional header fields). */
static int first_block_type(const struct buf *gz)
{
	return (gz->data[10] >> 1) & 3;
}

static void test_vectors_cover_stored_fixed_and_dynamic_blocks(void **state)
{
	static const struct {
		enum kind kind;
		int type;
	} cases[] = { { RANDOM, 0 }, { SHORT_TEXT, 1 }, { TEXT, 2 } };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf data = make_data(cases[i].kind);
		struct buf gz = gzip_data(&data, 9, false);

		assert_int_equal(first_block_type(&gz), cases[i].type);
		free(gz.data);
		free(data.data);
	}
}

static void test_gunzip_skips_the_file_name_gzip_records(void **state)
{
	struct buf data = make_data(TEXT);
	struct buf gz = gzip_data(&data, 6, true);
	u8 *out = malloc(data.len);

	assert_int_equal(gz.data[3] & 0x08, 0x08); /* FNAME */
	assert_string_equal((char *)gz.data + 10, "input.bin");
	assert_int_equal(gunzip_exact(gz.data, gz.len, out, data.len), data.len);
	assert_memory_equal(out, data.data, data.len);
	free(out);
	free(gz.data);
	free(data.data);
}

/* Reference CRC-32, bit by bit, independent of the table-driven one. */
static u32 crc32_bitwise(const u8 *p, size_t len)
{
	u32 crc = 0xffffffff;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320 : crc >> 1;
	}
	return ~crc;
}

/* Rewrites gzip's plain 10-byte header with FEXTRA, FNAME, FCOMMENT and FHCRC. */
static struct buf with_all_header_fields(const struct buf *gz, bool good_hcrc)
{
	static const u8 extra[] = { 6, 0, 'D', 'x', 2, 0, 0xab, 0xcd };
	static const char name[] = "vmlinux", comment[] = "a comment";
	struct buf b = { malloc(gz->len + 64), 0 };
	u32 crc;

	memcpy(b.data, gz->data, 10);
	b.data[3] = 0x04 | 0x08 | 0x10 | 0x02;
	b.len = 10;
	memcpy(b.data + b.len, extra, sizeof(extra));
	b.len += sizeof(extra);
	memcpy(b.data + b.len, name, sizeof(name));
	b.len += sizeof(name);
	memcpy(b.data + b.len, comment, sizeof(comment));
	b.len += sizeof(comment);
	crc = crc32_bitwise(b.data, b.len) ^ (good_hcrc ? 0 : 1);
	b.data[b.len++] = (u8)crc;
	b.data[b.len++] = (u8)(crc >> 8);
	memcpy(b.data + b.len, gz->data + 10, gz->len - 10);
	b.len += gz->len - 10;
	return b;
}

static void test_gunzip_handles_extra_comment_and_header_crc(void **state)
{
	struct buf data = make_data(SHORT_TEXT);
	struct buf gz = gzip_data(&data, 9, false);
	struct buf good = with_all_header_fields(&gz, true), bad = with_all_header_fields(&gz, false);
	u8 out[64];

	assert_int_equal(gunzip_exact(good.data, good.len, out, sizeof(out)), data.len);
	assert_memory_equal(out, data.data, data.len);
	assert_int_equal(gunzip_exact(bad.data, bad.len, out, sizeof(out)), -EINVAL);
	/* Cut inside each optional field: extra, name, comment, header CRC. */
	for (size_t n = 10; n < 10 + 8 + 8 + 10 + 2; n++)
		assert_int_equal(gunzip_exact(good.data, n, out, sizeof(out)), -EINVAL);
	free(good.data);
	free(bad.data);
	free(gz.data);
	free(data.data);
}

static void test_crc32_matches_the_standard_check_value_and_chains(void **state)
{
	static const char check[] = "123456789";
	struct buf data = make_data(RANDOM);

	assert_int_equal(crc32_update(0, check, 9), 0xcbf43926);
	assert_int_equal(crc32_update(crc32_update(0, check, 4), check + 4, 5), 0xcbf43926);
	assert_int_equal(crc32_update(0, NULL, 0), 0);
	assert_int_equal(crc32_update(0, data.data, data.len), crc32_bitwise(data.data, data.len));
	free(data.data);
}

/* ---- corrupt input ---- */

static void test_truncation_at_every_point_is_an_error(void **state)
{
	struct buf data = make_data(TEXT);
	struct buf gz;
	u8 *out = malloc(data.len);

	data.len = 16 * 1024; /* a few KiB compressed: every cut point is affordable */
	for (int level = 1; level <= 9; level += 8) {
		gz = gzip_data(&data, level, false);
		for (size_t n = 0; n < gz.len; n++) {
			long rc = gunzip_exact(gz.data, n, out, data.len);

			if (rc != -EINVAL)
				fail_msg("gzip -%d cut at %zu of %zu: got %ld", level, n, gz.len, rc);
		}
		assert_int_equal(gunzip_exact(gz.data, gz.len, out, data.len), data.len);
		free(gz.data);
	}
	free(out);
	free(data.data);
}

static void test_truncated_stored_blocks_are_errors(void **state)
{
	struct buf data = make_data(RANDOM);
	struct buf gz = gzip_data(&data, 9, false);
	u8 *out = malloc(data.len);

	for (size_t n = 0; n < gz.len; n += n < 64 || gz.len - n < 64 ? 1 : 997)
		assert_int_equal(gunzip_exact(gz.data, n, out, data.len), -EINVAL);
	free(out);
	free(gz.data);
	free(data.data);
}

static void test_bit_flips_are_errors_or_decode_identically(void **state)
{
	static const enum kind kinds[] = { TEXT, LONG_MATCHES, RANDOM, SHORT_TEXT };
	u32 errors = 0, same = 0;

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct buf data = make_data(kinds[k]);
		struct buf gz;
		u8 *out = malloc(data.len + 1024), *in;

		if (data.len > 32 * 1024)
			data.len = 32 * 1024;
		gz = gzip_data(&data, 9, false);
		in = malloc(gz.len);
		rng_state = 99 + k;
		/* Every bit of the DEFLATE data and trailer, or 3000 random ones. */
		for (u32 i = 0; i < 3000 && i < 8 * (gz.len - 10); i++) {
			u32 bit = gz.len - 10 <= 375 ? i : rng() % (8 * (u32)(gz.len - 10));
			long rc;

			memcpy(in, gz.data, gz.len);
			in[10 + bit / 8] ^= 1u << (bit % 8);
			/* More room than needed, so a flip that lengthens the output is not -ENOSPC. */
			rc = gunzip(in, gz.len, out, data.len + 1024);
			if (rc < 0) {
				assert_true(rc == -EINVAL || rc == -ENOSPC);
				errors++;
			} else {
				/* Only a flip in bits nobody reads (the last byte's padding) decodes. */
				assert_int_equal(rc, data.len);
				assert_memory_equal(out, data.data, data.len);
				same++;
			}
		}
		free(in);
		free(out);
		free(gz.data);
		free(data.data);
	}
	print_message("%u flips rejected, %u harmless\n", errors, same);
	assert_true(errors > 1000);
	assert_true(same < errors / 20);
}

static void test_small_output_buffer_is_no_space(void **state)
{
	static const enum kind kinds[] = { TEXT, RANDOM, ZEROS, ONE_BYTE };

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct buf data = make_data(kinds[k]);
		struct buf gz = gzip_data(&data, 6, false);
		size_t caps[] = { 0, 1, data.len / 2, data.len - 1 };

		for (size_t c = 0; c < ARRAY_SIZE(caps); c++) {
			u8 *out = malloc(caps[c] ? caps[c] : 1);

			if (caps[c] < data.len)
				assert_int_equal(gunzip_exact(gz.data, gz.len, out, caps[c]), -ENOSPC);
			free(out);
		}
		free(gz.data);
		free(data.data);
	}
}

static void test_bad_headers_and_trailers_are_rejected(void **state)
{
	static const struct {
		const char *what;
		int offset; /* negative: from the end */
		u8 xor;
	} cases[] = {
		{ "magic byte 1", 0, 0x01 },
		{ "magic byte 2", 1, 0x80 },
		{ "method not deflate", 2, 0x01 },
		{ "reserved flag 0x20", 3, 0x20 },
		{ "reserved flag 0x80", 3, 0x80 },
		{ "FEXTRA without the field", 3, 0x04 },
		{ "FCOMMENT without a terminator", 3, 0x10 },
		{ "FHCRC with a wrong CRC", 3, 0x02 },
		{ "CRC32", -8, 0x01 },
		{ "ISIZE", -4, 0x01 },
		{ "ISIZE high byte", -1, 0x80 },
	};
	struct buf data = make_data(SHORT_TEXT);
	struct buf gz = gzip_data(&data, 9, false);
	u8 out[128], *in = malloc(gz.len);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t off = cases[i].offset < 0 ? gz.len + cases[i].offset : (size_t)cases[i].offset;
		long rc;

		memcpy(in, gz.data, gz.len);
		in[off] ^= cases[i].xor;
		rc = gunzip_exact(in, gz.len, out, sizeof(out));
		if (rc != -EINVAL)
			fail_msg("%s: got %ld", cases[i].what, rc);
	}
	/* Unchecked fields (MTIME, XFL, OS) and trailing bytes after the member are fine. */
	memcpy(in, gz.data, gz.len);
	in[4] ^= 0xff;
	in[9] = 255;
	assert_int_equal(gunzip_exact(in, gz.len, out, sizeof(out)), data.len);
	assert_false(gzip_is_gzip(gz.data, 17));
	assert_int_equal(gzip_isize(gz.data, 17), 0);
	free(in);
	free(gz.data);
	free(data.data);
}

/* ---- hand-made DEFLATE streams ---- */

struct bitw {
	u8 b[64];
	size_t bit;
};

/* Appends n bits, least significant first (header fields, extra bits). */
static void put_bits(struct bitw *w, u64 v, int n)
{
	for (int i = 0; i < n; i++, w->bit++)
		if (i < 64 && (v >> i & 1))
			w->b[w->bit / 8] |= 1u << (w->bit % 8);
}

/* Appends a Huffman code, most significant bit first. */
static void put_code(struct bitw *w, u32 code, int len)
{
	for (int i = len - 1; i >= 0; i--)
		put_bits(w, code >> i & 1, 1);
}

/* Fixed-code literal/length symbol. */
static void put_fixed(struct bitw *w, u32 sym)
{
	if (sym < 144)
		put_code(w, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(w, 0x190 + sym - 144, 9);
	else if (sym < 280)
		put_code(w, sym - 256, 7);
	else
		put_code(w, 0xc0 + sym - 280, 8);
}

static long inflate_exact(const struct bitw *w, u8 *out, size_t cap, size_t *used)
{
	size_t len = (w->bit + 7) / 8;
	u8 *in = exact_copy(w->b, len);
	long n = inflate_raw(in, len, out, cap, used);

	free(in);
	return n;
}

static void test_raw_fixed_block_with_overlapping_copy(void **state)
{
	struct bitw w = { { 0 }, 0 };
	u8 out[16];
	size_t used = 0;

	put_bits(&w, 1, 1); /* final */
	put_bits(&w, 1, 2); /* fixed */
	put_fixed(&w, 'a');
	put_fixed(&w, 'b');
	put_fixed(&w, 258); /* length 4 */
	put_code(&w, 1, 5); /* distance 2 */
	put_fixed(&w, 256);
	w.b[(w.bit + 7) / 8] = 0x77; /* a trailing byte that is not part of the stream */
	w.bit = ((w.bit + 7) / 8 + 1) * 8;
	assert_int_equal(inflate_exact(&w, out, sizeof(out), &used), 6);
	assert_memory_equal(out, "ababab", 6);
	assert_int_equal(used, w.bit / 8 - 1);
}

static void test_raw_stream_errors(void **state)
{
	static const struct {
		const char *what;
		int err;
	} cases[] = {
		{ "distance before the start of the output", -EINVAL },
		{ "length symbol 286", -EINVAL },
		{ "distance symbol 30", -EINVAL },
		{ "block type 3", -EINVAL },
		{ "stored LEN and NLEN disagree", -EINVAL },
		{ "stored block longer than the input", -EINVAL },
		{ "dynamic code over-subscribed", -EINVAL },
		{ "dynamic repeat with nothing before", -EINVAL },
		{ "dynamic lengths without end-of-block", -EINVAL },
		{ "no final block", -EINVAL },
	};
	u8 out[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bitw w = { { 0 }, 0 };
		long rc;

		switch (i) {
		case 0:
			put_bits(&w, 3, 3);
			put_fixed(&w, 'a');
			put_fixed(&w, 257);
			put_code(&w, 1, 5); /* distance 2, but one byte written */
			put_fixed(&w, 256);
			break;
		case 1:
			put_bits(&w, 3, 3);
			put_fixed(&w, 'a');
			put_fixed(&w, 286);
			put_fixed(&w, 256);
			break;
		case 2:
			put_bits(&w, 3, 3);
			put_fixed(&w, 'a');
			put_fixed(&w, 257);
			put_code(&w, 30, 5);
			put_fixed(&w, 256);
			break;
		case 3:
			put_bits(&w, 7, 3);
			put_bits(&w, 0, 16);
			break;
		case 4:
			put_bits(&w, 1, 3);
			w.bit = 8;
			put_bits(&w, 5, 16);
			put_bits(&w, 0xfffa ^ 1, 16);
			put_bits(&w, 0, 40);
			break;
		case 5:
			put_bits(&w, 1, 3);
			w.bit = 8;
			put_bits(&w, 5, 16);
			put_bits(&w, 0xfffa, 16);
			put_bits(&w, 0, 32);
			break;
		case 6:
			/* Code length code: four symbols of length 1. */
			put_bits(&w, 5, 3);
			put_bits(&w, 0, 5);
			put_bits(&w, 0, 5);
			put_bits(&w, 0, 4);
			for (int k = 0; k < 4; k++)
				put_bits(&w, 1, 3);
			put_bits(&w, 0, 32);
			break;
		case 7:
			/* Code length code: only 16 (repeat) and 0, repeat comes first. */
			put_bits(&w, 5, 3);
			put_bits(&w, 0, 5);
			put_bits(&w, 0, 5);
			put_bits(&w, 0, 4); /* 4 code length codes: 16, 17, 18, 0 */
			put_bits(&w, 1, 3);
			put_bits(&w, 0, 3);
			put_bits(&w, 0, 3);
			put_bits(&w, 1, 3);
			put_code(&w, 1, 1); /* symbol 16: code 1 (0 is symbol 0) */
			put_bits(&w, 0, 2);
			put_bits(&w, 0, 32);
			break;
		case 8:
			/* All 258 code lengths zero, via 18s: no code for symbol 256. */
			put_bits(&w, 5, 3);
			put_bits(&w, 0, 5); /* 257 literal/length codes */
			put_bits(&w, 0, 5); /* 1 distance code */
			put_bits(&w, 0, 4);
			put_bits(&w, 0, 3); /* 16 */
			put_bits(&w, 0, 3); /* 17 */
			put_bits(&w, 1, 3); /* 18 */
			put_bits(&w, 1, 3); /* 0 */
			for (int left = 258; left > 0; left -= 138) {
				int n = left > 138 ? 138 : left;

				put_code(&w, 1, 1); /* 18 sorts after 0: code 1 */
				put_bits(&w, n - 11, 7);
			}
			put_bits(&w, 0, 16);
			break;
		case 9:
			put_bits(&w, 2, 3); /* fixed, not final */
			put_fixed(&w, 'a');
			put_fixed(&w, 256);
			break;
		}
		rc = inflate_exact(&w, out, sizeof(out), NULL);
		if (rc != cases[i].err)
			fail_msg("%s: got %ld, want %d", cases[i].what, rc, cases[i].err);
	}
}

static void test_raw_stored_block_copies_and_reports_consumed(void **state)
{
	struct bitw w = { { 0 }, 0 };
	u8 out[8];
	size_t used;

	put_bits(&w, 0, 3); /* stored, not final */
	w.bit = 8;
	put_bits(&w, 3, 16);
	put_bits(&w, 0xfffc, 16);
	put_bits(&w, 'x' | 'y' << 8 | 'z' << 16, 24);
	put_bits(&w, 1, 3); /* stored, final, empty */
	w.bit = (w.bit + 7) & ~7u;
	put_bits(&w, 0, 16);
	put_bits(&w, 0xffff, 16);
	assert_int_equal(inflate_exact(&w, out, sizeof(out), &used), 3);
	assert_memory_equal(out, "xyz", 3);
	assert_int_equal(used, w.bit / 8);
	assert_int_equal(inflate_exact(&w, out, 2, &used), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gunzip_matches_gzip_output_for_all_kinds_and_levels),
		cmocka_unit_test(test_vectors_cover_stored_fixed_and_dynamic_blocks),
		cmocka_unit_test(test_gunzip_skips_the_file_name_gzip_records),
		cmocka_unit_test(test_gunzip_handles_extra_comment_and_header_crc),
		cmocka_unit_test(test_crc32_matches_the_standard_check_value_and_chains),
		cmocka_unit_test(test_truncation_at_every_point_is_an_error),
		cmocka_unit_test(test_truncated_stored_blocks_are_errors),
		cmocka_unit_test(test_bit_flips_are_errors_or_decode_identically),
		cmocka_unit_test(test_small_output_buffer_is_no_space),
		cmocka_unit_test(test_bad_headers_and_trailers_are_rejected),
		cmocka_unit_test(test_raw_fixed_block_with_overlapping_copy),
		cmocka_unit_test(test_raw_stream_errors),
		cmocka_unit_test(test_raw_stored_block_copies_and_reports_consumed),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
