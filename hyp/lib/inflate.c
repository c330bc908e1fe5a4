/* SPDX-License-Identifier: MIT */
/* DEFLATE (RFC 1951) decoder and gzip (RFC 1952) wrapper, decompressing into a flat buffer. */
#include <domus/errno.h>
#include <domus/inflate.h>
#include <domus/string.h>

#define MAXBITS 15 /* longest Huffman code */
#define FASTBITS 9 /* codes up to this long decode with one table lookup */
#define NLITLEN 288
#define NDIST 32

/*
 * A canonical Huffman code. fast[] is indexed by the next FASTBITS input bits
 * (in stream order, so bit-reversed codes) and holds (length << 12 | symbol),
 * or 0 when the code there is longer; those go through count[] / symbol[].
 */
struct huff {
	u16 fast[1 << FASTBITS];
	u16 count[MAXBITS + 1];
	u16 symbol[NLITLEN];
};

/* Input bit reader. Hot loops keep a copy in locals, so it must not alias the output. */
struct bitin {
	const u8 *in;
	size_t len, pos;
	u64 bits; /* next bit in bit 0 */
	u32 n; /* bits held */
};

struct inflate {
	struct bitin br;
	u8 *out;
	size_t out_cap, out_pos;
	struct huff lit, dist;
};

/* Base values and extra bits for length symbols 257..285 and distance symbols 0..29. */
static const u16 len_base[29] = { 3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
				  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const u8 len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
				  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const u16 dist_base[30] = { 1,   2,   3,    4,    5,    7,    9,    13,    17,    25,
				   33,  49,  65,   97,   129,  193,  257,  385,   513,   769,
				   1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const u8 dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
				   6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

/* Tops the bit buffer up a byte at a time; at the end of input it simply stays short. */
static inline void refill(struct bitin *b)
{
	while (b->n <= 56 && b->pos < b->len) {
		b->bits |= (u64)b->in[b->pos++] << b->n;
		b->n += 8;
	}
}

/* n <= 32 bits, or -EINVAL (as a negative s64) if the input ends first. */
static inline s64 getbits(struct bitin *b, u32 n)
{
	u32 v;

	if (b->n < n) {
		refill(b);
		if (b->n < n)
			return -EINVAL;
	}
	v = (u32)(b->bits & ((1ull << n) - 1));
	b->bits >>= n;
	b->n -= n;
	return v;
}

/*
 * Builds the decoding tables from code lengths. An over-subscribed set is
 * invalid; an incomplete one is allowed (a single distance code is legal),
 * its unused codes fail when met.
 */
static int build(struct huff *h, const u8 *lengths, u32 n)
{
	u16 offs[MAXBITS + 2];
	u32 code = 0;
	s32 left = 1;

	memset(h->count, 0, sizeof(h->count));
	memset(h->fast, 0, sizeof(h->fast));
	for (u32 i = 0; i < n; i++)
		h->count[lengths[i]]++;
	for (u32 len = 1; len <= MAXBITS; len++) {
		left = left * 2 - h->count[len];
		if (left < 0)
			return -EINVAL;
	}
	offs[1] = 0;
	for (u32 len = 1; len <= MAXBITS; len++)
		offs[len + 1] = offs[len] + h->count[len];
	/* Symbols sorted by code length, then by value: the canonical order. */
	for (u32 i = 0; i < n; i++)
		if (lengths[i])
			h->symbol[offs[lengths[i]]++] = (u16)i;

	/* Walk the codes in canonical order to fill the fast table. */
	for (u32 len = 1, idx = 0; len <= MAXBITS; len++, code <<= 1) {
		for (u32 k = 0; k < h->count[len]; k++, code++, idx++) {
			u32 rev = 0;

			if (len > FASTBITS)
				continue;
			for (u32 b = 0; b < len; b++)
				rev |= ((code >> b) & 1) << (len - 1 - b);
			for (u32 f = rev; f < (1u << FASTBITS); f += 1u << len)
				h->fast[f] = (u16)(len << 12 | h->symbol[idx]);
		}
	}
	return 0;
}

/* Slow path for codes longer than FASTBITS: canonical decoding a bit at a time. */
static int decode_slow(const struct huff *h, u64 bits, u32 nbits, u32 *used)
{
	u32 code = 0, first = 0, index = 0;

	for (u32 len = 1; len <= MAXBITS && len <= nbits; len++) {
		u32 count = h->count[len];

		code |= (bits >> (len - 1)) & 1;
		if (code - first < count) {
			*used = len;
			return h->symbol[index + code - first];
		}
		index += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return -EINVAL; /* unused code, or input ended inside the code */
}

static inline int decode(struct bitin *b, const struct huff *h)
{
	u32 e, len;
	int sym;

	if (b->n < MAXBITS)
		refill(b);
	e = h->fast[b->bits & ((1u << FASTBITS) - 1)];
	len = e >> 12;
	if (len && len <= b->n) {
		sym = e & 0xfff;
	} else {
		sym = decode_slow(h, b->bits, b->n, &len);
		if (sym < 0)
			return sym;
	}
	b->bits >>= len;
	b->n -= len;
	return sym;
}

/* Decodes one block's literal/length and distance symbols until end-of-block. */
static int codes(struct inflate *s)
{
	/* Locals, not *s: byte stores to the output would force reloads of s's fields. */
	struct bitin br = s->br;
	u8 *out = s->out;
	size_t pos = s->out_pos, cap = s->out_cap;
	int rc;

	for (;;) {
		int sym = decode(&br, &s->lit);
		s64 extra;
		u32 len, dist;

		if (sym < 256) {
			if (sym < 0 || pos == cap) {
				rc = sym < 0 ? sym : -ENOSPC;
				break;
			}
			out[pos++] = (u8)sym;
			continue;
		}
		rc = -EINVAL;
		if (sym == 256) {
			rc = 0;
			break;
		}
		sym -= 257;
		if (sym >= 29 || (extra = getbits(&br, len_extra[sym])) < 0)
			break;
		len = len_base[sym] + (u32)extra;
		sym = decode(&br, &s->dist);
		if (sym < 0 || sym >= 30 || (extra = getbits(&br, dist_extra[sym])) < 0)
			break;
		dist = dist_base[sym] + (u32)extra;

		/* The whole output is the window: a reference may not reach before it. */
		if (dist > pos)
			break;
		if (len > cap - pos) {
			rc = -ENOSPC;
			break;
		}
		if (dist >= len) {
			memcpy(out + pos, out + pos - dist, len);
		} else {
			/* Overlapping copy repeats the last dist bytes: must go forwards. */
			for (u32 i = 0; i < len; i++)
				out[pos + i] = out[pos + i - dist];
		}
		pos += len;
	}
	s->br = br;
	s->out_pos = pos;
	return rc;
}

static int stored(struct inflate *s)
{
	struct bitin *b = &s->br;
	u32 len, nlen;

	/* Drop the partial byte; hand the whole buffered bytes back to the input. */
	b->pos -= b->n / 8;
	b->bits = 0;
	b->n = 0;
	if (b->len - b->pos < 4)
		return -EINVAL;
	len = b->in[b->pos] | (u32)b->in[b->pos + 1] << 8;
	nlen = b->in[b->pos + 2] | (u32)b->in[b->pos + 3] << 8;
	b->pos += 4;
	if (len != (~nlen & 0xffff) || len > b->len - b->pos)
		return -EINVAL;
	if (len > s->out_cap - s->out_pos)
		return -ENOSPC;
	memcpy(s->out + s->out_pos, b->in + b->pos, len);
	b->pos += len;
	s->out_pos += len;
	return 0;
}

static int fixed(struct inflate *s)
{
	u8 lengths[NLITLEN + NDIST];
	u32 i = 0;

	for (; i < 144; i++)
		lengths[i] = 8;
	for (; i < 256; i++)
		lengths[i] = 9;
	for (; i < 280; i++)
		lengths[i] = 7;
	for (; i < NLITLEN; i++)
		lengths[i] = 8;
	memset(lengths + NLITLEN, 5, NDIST);
	if (build(&s->lit, lengths, NLITLEN) || build(&s->dist, lengths + NLITLEN, NDIST))
		return -EINVAL;
	return codes(s);
}

static int dynamic(struct inflate *s)
{
	/* The order code length code lengths are sent in (RFC 1951 3.2.7). */
	static const u8 order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
	u8 lengths[NLITLEN + NDIST];
	s64 v;
	u32 nlen, ndist, ncode, i;
	int sym;

	if ((v = getbits(&s->br, 14)) < 0)
		return (int)v;
	nlen = (v & 31) + 257;
	ndist = ((v >> 5) & 31) + 1;
	ncode = ((v >> 10) & 15) + 4;
	if (nlen > 286 || ndist > 30)
		return -EINVAL;

	memset(lengths, 0, 19);
	for (i = 0; i < ncode; i++) {
		if ((v = getbits(&s->br, 3)) < 0)
			return (int)v;
		lengths[order[i]] = (u8)v;
	}
	/* The code length code uses the literal table's storage for now. */
	if (build(&s->lit, lengths, 19))
		return -EINVAL;

	for (i = 0; i < nlen + ndist;) {
		u32 repeat, value = 0;

		if ((sym = decode(&s->br, &s->lit)) < 0)
			return sym;
		if (sym < 16) {
			lengths[i++] = (u8)sym;
			continue;
		}
		if (sym == 16) {
			if (i == 0)
				return -EINVAL; /* nothing to repeat */
			value = lengths[i - 1];
			v = getbits(&s->br, 2);
			repeat = 3;
		} else if (sym == 17) {
			v = getbits(&s->br, 3);
			repeat = 3;
		} else {
			v = getbits(&s->br, 7);
			repeat = 11;
		}
		if (v < 0)
			return (int)v;
		repeat += (u32)v;
		if (repeat > nlen + ndist - i)
			return -EINVAL;
		memset(lengths + i, (int)value, repeat);
		i += repeat;
	}
	if (lengths[256] == 0)
		return -EINVAL; /* no end-of-block code */
	if (build(&s->lit, lengths, nlen) || build(&s->dist, lengths + nlen, ndist))
		return -EINVAL;
	return codes(s);
}

long inflate_raw(const void *src, size_t srclen, void *dst, size_t dstcap, size_t *consumed)
{
	struct inflate st, *s = &st; /* about 3.3 KiB, mostly decoding tables */
	s64 hdr;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->br.in = src;
	s->br.len = srclen;
	s->out = dst;
	s->out_cap = dstcap;
	do {
		if ((hdr = getbits(&s->br, 3)) < 0)
			return (long)hdr;
		switch (hdr >> 1) {
		case 0:
			rc = stored(s);
			break;
		case 1:
			rc = fixed(s);
			break;
		case 2:
			rc = dynamic(s);
			break;
		default:
			rc = -EINVAL;
		}
		if (rc)
			return rc;
	} while (!(hdr & 1));
	if (consumed)
		*consumed = s->br.pos - s->br.n / 8;
	return (long)s->out_pos;
}

/* Filled on first use (entry 1 is non-zero once filled); decompression runs at boot, on one CPU. */
static u32 crc_table[256];

u32 crc32_update(u32 crc, const void *buf, size_t len)
{
	const u8 *p = buf;

	if (!crc_table[1]) {
		for (u32 i = 0; i < 256; i++) {
			u32 c = i;

			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (c & 1 ? 0xedb88320u : 0);
			crc_table[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static u32 le32(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

#define GZ_FHCRC 0x02
#define GZ_FEXTRA 0x04
#define GZ_FNAME 0x08
#define GZ_FCOMMENT 0x10
#define GZ_FRESERVED 0xe0
#define GZ_HEADER 10
#define GZ_TRAILER 8

bool gzip_is_gzip(const void *src, size_t len)
{
	const u8 *p = src;

	return len >= GZ_HEADER + GZ_TRAILER && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

u32 gzip_isize(const void *src, size_t len)
{
	return len >= GZ_HEADER + GZ_TRAILER ? le32((const u8 *)src + len - 4) : 0;
}

/* Skips a NUL-terminated header field at *pos; false if it runs off the input. */
static bool skip_string(const u8 *p, size_t len, size_t *pos)
{
	while (*pos < len)
		if (p[(*pos)++] == 0)
			return true;
	return false;
}

long gunzip(const void *src, size_t srclen, void *dst, size_t dstcap)
{
	const u8 *p = src;
	size_t pos = GZ_HEADER, used;
	u8 flags;
	long n;

	if (!gzip_is_gzip(src, srclen))
		return -EINVAL;
	flags = p[3];
	if (flags & GZ_FRESERVED)
		return -EINVAL;
	if (flags & GZ_FEXTRA) {
		size_t xlen;

		if (srclen - pos < 2)
			return -EINVAL;
		xlen = p[pos] | (size_t)p[pos + 1] << 8;
		pos += 2;
		if (xlen > srclen - pos)
			return -EINVAL;
		pos += xlen;
	}
	if ((flags & GZ_FNAME) && !skip_string(p, srclen, &pos))
		return -EINVAL;
	if ((flags & GZ_FCOMMENT) && !skip_string(p, srclen, &pos))
		return -EINVAL;
	if (flags & GZ_FHCRC) {
		if (srclen - pos < 2)
			return -EINVAL;
		if ((crc32_update(0, p, pos) & 0xffff) != (p[pos] | (u32)p[pos + 1] << 8))
			return -EINVAL;
		pos += 2;
	}

	n = inflate_raw(p + pos, srclen - pos, dst, dstcap, &used);
	if (n < 0)
		return n;
	pos += used;
	if (srclen - pos < GZ_TRAILER)
		return -EINVAL;
	if (le32(p + pos) != crc32_update(0, dst, (size_t)n) || le32(p + pos + 4) != (u32)n)
		return -EINVAL;
	return n;
}
