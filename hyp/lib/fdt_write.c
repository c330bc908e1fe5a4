/* SPDX-License-Identifier: MIT */
/* Flattened device tree writer: builds a version 17 blob in one pass into a caller's buffer. */
#include <domus/errno.h>
#include <domus/fdt.h>
#include <domus/fdt_write.h>
#include <domus/string.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_END 9

/*
 * Layout while writing: header and an empty reservation map first, then the
 * structure block growing up from STRUCT_START; the strings block grows down
 * from the end of the buffer, since its final place is only known when the
 * structure is complete. fdtw_finish() moves the strings down behind the
 * structure and rewrites the properties' name offsets.
 */
#define HDR_LEN 40
#define RSVMAP_OFF HDR_LEN
#define STRUCT_START (RSVMAP_OFF + 16)

static void put_be32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

static void fail(struct fdt_writer *w, int err)
{
	if (!w->error)
		w->error = err;
}

/* Reserves n bytes (padded to 4) in the structure block; NULL and a sticky error if full. */
static u8 *reserve(struct fdt_writer *w, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;
	u8 *p;

	if (w->error)
		return NULL;
	if (padded < n || padded > w->cap - w->strings_len - w->struct_off) {
		fail(w, -ENOSPC);
		return NULL;
	}
	p = w->buf + w->struct_off;
	/* Zero the padding: the blob's bytes must not depend on what the buffer held. */
	memset(p + n, 0, padded - n);
	w->struct_off += padded;
	return p;
}

void fdtw_init(struct fdt_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->struct_off = STRUCT_START;
	w->strings_len = 0;
	w->depth = 0;
	w->error = (buf && cap >= STRUCT_START) ? 0 : -ENOSPC;
}

void fdtw_begin_node(struct fdt_writer *w, const char *name)
{
	size_t len;
	u8 *p;

	if (w->error)
		return;
	/* One root only: nothing may follow its END_NODE. */
	if (!name || (w->depth == 0 && w->struct_off != STRUCT_START)) {
		fail(w, -EINVAL);
		return;
	}
	len = strlen(name);
	p = reserve(w, 4 + len + 1);
	if (!p)
		return;
	put_be32(p, FDT_BEGIN_NODE);
	memcpy(p + 4, name, len + 1);
	w->depth++;
}

void fdtw_end_node(struct fdt_writer *w)
{
	u8 *p;

	if (w->error)
		return;
	if (w->depth <= 0) {
		fail(w, -EINVAL);
		return;
	}
	p = reserve(w, 4);
	if (!p)
		return;
	put_be32(p, FDT_END_NODE);
	w->depth--;
}

/*
 * Finds or adds name in the strings block. Until fdtw_finish() a name is
 * identified by its distance from the end of the buffer, which stays fixed
 * as the block grows down. Any earlier string ending in name is reused.
 */
static u32 string_ref(struct fdt_writer *w, const char *name)
{
	size_t len = strlen(name) + 1;
	const u8 *base = w->buf + w->cap - w->strings_len;

	for (size_t i = 0; i + len <= w->strings_len; i++)
		if (!memcmp(base + i, name, len))
			return (u32)(w->strings_len - i);
	if (len > w->cap - w->struct_off - w->strings_len) {
		fail(w, -ENOSPC);
		return 0;
	}
	w->strings_len += len;
	memcpy(w->buf + w->cap - w->strings_len, name, len);
	return (u32)w->strings_len;
}

void fdtw_prop(struct fdt_writer *w, const char *name, const void *val, u32 len)
{
	u32 ref;
	u8 *p;

	if (w->error)
		return;
	if (w->depth <= 0 || !name || (!val && len)) {
		fail(w, -EINVAL);
		return;
	}
	ref = string_ref(w, name);
	p = reserve(w, 12 + (size_t)len);
	if (!p)
		return;
	put_be32(p, FDT_PROP);
	put_be32(p + 4, len);
	put_be32(p + 8, ref);
	if (len)
		memcpy(p + 12, val, len);
}

void fdtw_prop_u32(struct fdt_writer *w, const char *name, u32 val)
{
	fdtw_prop_cells(w, name, &val, 1);
}

void fdtw_prop_u64(struct fdt_writer *w, const char *name, u64 val)
{
	u32 cells[2] = { (u32)(val >> 32), (u32)val };

	fdtw_prop_cells(w, name, cells, 2);
}

void fdtw_prop_str(struct fdt_writer *w, const char *name, const char *s)
{
	if (!s) {
		fail(w, -EINVAL);
		return;
	}
	fdtw_prop(w, name, s, (u32)strlen(s) + 1);
}

void fdtw_prop_cells(struct fdt_writer *w, const char *name, const u32 *cells, u32 n)
{
	u8 *p;

	/* Write the header with an empty value, then convert the cells in place. */
	if (w->error)
		return;
	if (n > 0x3fffffffu || (!cells && n)) {
		fail(w, -EINVAL);
		return;
	}
	p = w->buf + w->struct_off;
	fdtw_prop(w, name, NULL, 0);
	if (w->error || !reserve(w, 4 * (size_t)n))
		return;
	put_be32(p + 4, 4 * n);
	for (u32 i = 0; i < n; i++)
		put_be32(p + 12 + 4 * i, cells[i]);
}

void fdtw_prop_empty(struct fdt_writer *w, const char *name)
{
	fdtw_prop(w, name, NULL, 0);
}

/* Ends the writer: call it once, the strings block has moved afterwards. */
int fdtw_finish(struct fdt_writer *w)
{
	size_t struct_size, total, off;
	u8 *p;

	if (!w->error && (w->depth != 0 || w->struct_off == STRUCT_START))
		fail(w, -EINVAL); /* unclosed nodes, or no root at all */
	p = reserve(w, 4);
	if (w->error)
		return w->error;
	put_be32(p, FDT_END);
	struct_size = w->struct_off - STRUCT_START;
	total = w->struct_off + w->strings_len;
	if (total > 0x7fffffffu) {
		fail(w, -ENOSPC);
		return w->error;
	}
	memmove(w->buf + w->struct_off, w->buf + w->cap - w->strings_len, w->strings_len);

	/* Name references become offsets from the start of the strings block. */
	for (off = STRUCT_START; off < w->struct_off;) {
		const u8 *t = w->buf + off;

		switch (fdt_be32(t)) {
		case FDT_BEGIN_NODE:
			off += (4 + strlen((const char *)t + 4) + 1 + 3) & ~(size_t)3;
			break;
		case FDT_PROP:
			put_be32(w->buf + off + 8, (u32)(w->strings_len - fdt_be32(t + 8)));
			off += (12 + (size_t)fdt_be32(t + 4) + 3) & ~(size_t)3;
			break;
		default:
			off += 4;
			break;
		}
	}

	p = w->buf;
	memset(p, 0, STRUCT_START); /* also the reservation map's terminating entry */
	put_be32(p + 0, FDT_MAGIC);
	put_be32(p + 4, (u32)total);
	put_be32(p + 8, STRUCT_START); /* off_dt_struct */
	put_be32(p + 12, (u32)w->struct_off); /* off_dt_strings */
	put_be32(p + 16, RSVMAP_OFF); /* off_mem_rsvmap */
	put_be32(p + 20, 17); /* version */
	put_be32(p + 24, 16); /* last_comp_version */
	put_be32(p + 28, 0); /* boot_cpuid_phys */
	put_be32(p + 32, (u32)w->strings_len);
	put_be32(p + 36, (u32)struct_size);
	return (int)total;
}
