/* SPDX-License-Identifier: MIT */
/* Flattened device tree reader: validates a blob once, then walks it with every access bounds-checked. */
#include <domus/errno.h>
#include <domus/fdt.h>
#include <domus/string.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

/* Header field offsets (all big-endian u32). */
#define HDR_MAGIC 0
#define HDR_TOTALSIZE 4
#define HDR_OFF_STRUCT 8
#define HDR_OFF_STRINGS 12
#define HDR_OFF_RSVMAP 16
#define HDR_VERSION 20
#define HDR_LAST_COMP 24
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT 36
#define HDR_LEN_V16 36
#define HDR_LEN_V17 40

/* Byte-wise so that blobs at any alignment work with -mstrict-align. */
u32 fdt_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

u64 fdt_be64(const void *p)
{
	return (u64)fdt_be32(p) << 32 | fdt_be32((const u8 *)p + 4);
}

u64 fdt_read_cells(const void *p, u32 cells)
{
	const u8 *b = p;
	u64 v = 0;

	/* More than two cells keeps the low 64 bits, as a u64 can hold no more. */
	for (u32 i = 0; i < cells; i++)
		v = v << 32 | fdt_be32(b + 4 * i);
	return v;
}

u32 fdt_totalsize(const void *blob)
{
	if (fdt_be32((const u8 *)blob + HDR_MAGIC) != FDT_MAGIC)
		return 0;
	return fdt_be32((const u8 *)blob + HDR_TOTALSIZE);
}

static inline u32 align4(u32 x)
{
	return (x + 3) & ~3u;
}

/* The token at off, or 0 (not a valid token) if off is not a readable, aligned offset. */
static u32 tag_at(const struct fdt *fdt, int off)
{
	if (off < 0 || (off & 3) || (u32)off + 4 > fdt->structs_size)
		return 0;
	return fdt_be32(fdt->structs + off);
}

/*
 * Name of the property at off (whose header next_token() has checked), or NULL
 * if its name offset is not a terminated string inside the strings block.
 */
static const char *prop_name(const struct fdt *fdt, int off)
{
	u32 nameoff = fdt_be32(fdt->structs + off + 8);

	if (nameoff >= fdt->strings_size ||
	    strnlen(fdt->strings + nameoff, fdt->strings_size - nameoff) == fdt->strings_size - nameoff)
		return NULL;
	return fdt->strings + nameoff;
}

/*
 * Offset of the token after the one at off, -EINVAL if the token is malformed
 * or runs past the structure block. The returned offset may equal the block's
 * size; tag_at() then reports it as unreadable.
 */
static int next_token(const struct fdt *fdt, int off, u32 *tag)
{
	u32 t = tag_at(fdt, off), pos = (u32)off + 4, len;

	*tag = t;
	switch (t) {
	case FDT_BEGIN_NODE:
		len = strnlen((const char *)fdt->structs + pos, fdt->structs_size - pos);
		if (len == fdt->structs_size - pos)
			return -EINVAL; /* name not terminated */
		pos = align4(pos + len + 1);
		break;
	case FDT_PROP:
		if (pos + 8 > fdt->structs_size)
			return -EINVAL;
		len = fdt_be32(fdt->structs + pos);
		if (len > fdt->structs_size - (pos + 8))
			return -EINVAL;
		pos = align4(pos + 8 + len);
		break;
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return -EINVAL;
	}
	if (pos > fdt->structs_size)
		return -EINVAL;
	return (int)pos;
}

/* Skips NOPs starting at off; returns the offset of the first other token. */
static int skip_nops(const struct fdt *fdt, int off, u32 *tag)
{
	while (off >= 0 && tag_at(fdt, off) == FDT_NOP)
		off = next_token(fdt, off, tag);
	if (off >= 0)
		*tag = tag_at(fdt, off);
	return off;
}

/* The first token after node's own properties: a child's BEGIN_NODE or node's END_NODE. */
static int after_props(const struct fdt *fdt, int node, u32 *tag)
{
	int off;

	if (node < 0)
		return node;
	if (tag_at(fdt, node) != FDT_BEGIN_NODE)
		return -EINVAL;
	off = next_token(fdt, node, tag);
	while ((off = skip_nops(fdt, off, tag)) >= 0 && *tag == FDT_PROP)
		off = next_token(fdt, off, tag);
	return off;
}

/* Offset just past node's matching END_NODE. */
static int subtree_end(const struct fdt *fdt, int node)
{
	int depth = 0, off = node;
	u32 tag;

	if (tag_at(fdt, node) != FDT_BEGIN_NODE)
		return -EINVAL;
	do {
		off = next_token(fdt, off, &tag);
		if (off < 0)
			return off;
		if (tag == FDT_BEGIN_NODE)
			depth++;
		else if (tag == FDT_END_NODE)
			depth--;
		else if (tag == FDT_END || tag == 0)
			return -EINVAL;
	} while (depth > 0);
	return off;
}

/* Walks the whole structure block once so that a malformed tree is refused up front. */
static int validate(const struct fdt *fdt)
{
	int off = 0, depth = 0;
	bool root_done = false;
	u32 tag;

	if (tag_at(fdt, 0) != FDT_BEGIN_NODE)
		return -EINVAL;
	for (;;) {
		int next = next_token(fdt, off, &tag);

		if (next < 0)
			return next;
		switch (tag) {
		case FDT_BEGIN_NODE:
			if (root_done)
				return -EINVAL; /* a second root */
			depth++;
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return -EINVAL;
			if (--depth == 0)
				root_done = true;
			break;
		case FDT_PROP:
			if (depth == 0 || !prop_name(fdt, off))
				return -EINVAL;
			break;
		case FDT_END:
			return root_done ? 0 : -EINVAL;
		}
		off = next;
	}
}

int fdt_init(struct fdt *fdt, const void *blob, size_t max_size)
{
	const u8 *b = blob;
	u32 total, version, hdr_len, off_struct, off_strings, size_struct, size_strings, off_rsv;

	memset(fdt, 0, sizeof(*fdt));
	if (!blob || max_size < HDR_LEN_V16 || fdt_be32(b + HDR_MAGIC) != FDT_MAGIC)
		return -EINVAL;
	version = fdt_be32(b + HDR_VERSION);
	if (version < 16 || fdt_be32(b + HDR_LAST_COMP) > 17)
		return -EINVAL;
	hdr_len = version >= 17 ? HDR_LEN_V17 : HDR_LEN_V16;
	total = fdt_be32(b + HDR_TOTALSIZE);
	/* Handles are ints, so the blob must stay below 2 GiB. */
	if (max_size < hdr_len || total < hdr_len || total > max_size || total > 0x7fffffffu)
		return -EINVAL;
	off_struct = fdt_be32(b + HDR_OFF_STRUCT);
	off_strings = fdt_be32(b + HDR_OFF_STRINGS);
	off_rsv = fdt_be32(b + HDR_OFF_RSVMAP);
	size_strings = fdt_be32(b + HDR_SIZE_STRINGS);
	if (off_struct < hdr_len || off_struct > total || off_strings < hdr_len ||
	    off_strings > total || size_strings > total - off_strings)
		return -EINVAL;
	/* Version 16 has no structure size: assume it runs to the end of the blob. */
	size_struct = version >= 17 ? fdt_be32(b + HDR_SIZE_STRUCT) : total - off_struct;
	if (size_struct > total - off_struct)
		return -EINVAL;
	/* Room for at least the reservation map's terminating entry. */
	if (off_rsv < hdr_len || off_rsv > total || total - off_rsv < 16)
		return -EINVAL;

	fdt->blob = b;
	fdt->totalsize = total;
	fdt->structs = b + off_struct;
	fdt->structs_size = size_struct;
	fdt->strings = (const char *)b + off_strings;
	fdt->strings_size = size_strings;
	if (validate(fdt) < 0) {
		memset(fdt, 0, sizeof(*fdt));
		return -EINVAL;
	}
	return 0;
}

const char *fdt_node_name(const struct fdt *fdt, int node)
{
	u32 tag;

	if (next_token(fdt, node, &tag) < 0 || tag != FDT_BEGIN_NODE)
		return NULL;
	return (const char *)fdt->structs + node + 4;
}

int fdt_first_child(const struct fdt *fdt, int node)
{
	u32 tag;
	int off = after_props(fdt, node, &tag);

	if (off < 0)
		return off;
	if (tag == FDT_BEGIN_NODE)
		return off;
	return tag == FDT_END_NODE ? -ENOENT : -EINVAL;
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
	u32 tag = 0;
	int off;

	if (node < 0)
		return node;
	off = skip_nops(fdt, subtree_end(fdt, node), &tag);
	if (off < 0)
		return off;
	if (tag == FDT_BEGIN_NODE)
		return off;
	/* Past the parent's last child, or past the root. */
	return tag == FDT_END_NODE || tag == FDT_END ? -ENOENT : -EINVAL;
}

int fdt_parent(const struct fdt *fdt, int node)
{
	int parent = 0;

	if (node < 0)
		return node;
	if (tag_at(fdt, node) != FDT_BEGIN_NODE)
		return -EINVAL;
	if (node == 0)
		return -ENOENT;
	/* No back links: descend from the root into the child whose subtree holds node. */
	for (;;) {
		int c, end = -ENOENT;

		for (c = fdt_first_child(fdt, parent); c >= 0; c = fdt_next_sibling(fdt, c)) {
			if (c == node)
				return parent;
			end = subtree_end(fdt, c);
			if (end < 0)
				return end;
			if (node > c && node < end)
				break;
		}
		if (c < 0)
			return c == -ENOENT ? -EINVAL : c; /* not the start of any node */
		parent = c;
	}
}

/* Does a node named `name` match the path component comp[0..len)? */
static bool name_matches(const char *name, const char *comp, size_t len)
{
	if (strncmp(name, comp, len))
		return false;
	if (name[len] == '\0')
		return true;
	if (name[len] != '@')
		return false;
	/* "cpu" matches "cpu@0", but "cpu@1" must match the unit exactly. */
	for (size_t i = 0; i < len; i++)
		if (comp[i] == '@')
			return false;
	return true;
}

int fdt_path(const struct fdt *fdt, const char *path)
{
	int node = 0;

	if (!path || path[0] != '/')
		return -EINVAL;
	if (tag_at(fdt, 0) != FDT_BEGIN_NODE)
		return -EINVAL;
	while (*path) {
		const char *end;
		size_t len;
		int c;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		end = strchr(path, '/');
		len = end ? (size_t)(end - path) : strlen(path);
		for (c = fdt_first_child(fdt, node); c >= 0; c = fdt_next_sibling(fdt, c)) {
			const char *name = fdt_node_name(fdt, c);

			if (name && name_matches(name, path, len))
				break;
		}
		if (c < 0)
			return c;
		node = c;
		path += len;
	}
	return node;
}

int fdt_next_node(const struct fdt *fdt, int node, int *depth)
{
	u32 tag;
	int off;

	if (node < 0)
		return node;
	if (tag_at(fdt, node) != FDT_BEGIN_NODE)
		return -EINVAL;
	off = next_token(fdt, node, &tag);
	for (;;) {
		if (off < 0)
			return off;
		switch (tag_at(fdt, off)) {
		case FDT_BEGIN_NODE:
			if (depth)
				(*depth)++;
			return off;
		case FDT_END_NODE:
			if (depth)
				(*depth)--;
			break;
		case FDT_END:
			return -ENOENT;
		}
		off = next_token(fdt, off, &tag);
	}
}

static int prop_first_or_next(const struct fdt *fdt, int off)
{
	u32 tag;

	off = skip_nops(fdt, off, &tag);
	if (off < 0)
		return off;
	return tag == FDT_PROP ? off : -ENOENT;
}

int fdt_first_prop(const struct fdt *fdt, int node)
{
	u32 tag;

	if (node < 0)
		return node;
	if (tag_at(fdt, node) != FDT_BEGIN_NODE)
		return -EINVAL;
	return prop_first_or_next(fdt, next_token(fdt, node, &tag));
}

int fdt_next_prop(const struct fdt *fdt, int prop)
{
	u32 tag;

	if (prop < 0)
		return prop;
	if (tag_at(fdt, prop) != FDT_PROP)
		return -EINVAL;
	return prop_first_or_next(fdt, next_token(fdt, prop, &tag));
}

const void *fdt_prop_at(const struct fdt *fdt, int prop, const char **name, u32 *len)
{
	u32 tag;
	const char *n;

	/* next_token() checks that the value lies inside the structure block. */
	if (next_token(fdt, prop, &tag) < 0 || tag != FDT_PROP || !(n = prop_name(fdt, prop)))
		return NULL;
	if (name)
		*name = n;
	if (len)
		*len = fdt_be32(fdt->structs + prop + 4);
	return fdt->structs + prop + 12;
}

const void *fdt_prop(const struct fdt *fdt, int node, const char *name, u32 *len)
{
	for (int p = fdt_first_prop(fdt, node); p >= 0; p = fdt_next_prop(fdt, p)) {
		const char *n;
		const void *val = fdt_prop_at(fdt, p, &n, len);

		if (val && !strcmp(n, name))
			return val;
	}
	return NULL;
}

int fdt_prop_u32(const struct fdt *fdt, int node, const char *name, u32 *out)
{
	u32 len;
	const void *val = fdt_prop(fdt, node, name, &len);

	if (!val)
		return -ENOENT;
	if (len != 4)
		return -EINVAL;
	*out = fdt_be32(val);
	return 0;
}

const char *fdt_prop_str(const struct fdt *fdt, int node, const char *name)
{
	u32 len;
	const char *val = fdt_prop(fdt, node, name, &len);

	if (!val || len == 0 || strnlen(val, len) == len)
		return NULL;
	return val;
}

bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
	u32 len;
	const char *list = fdt_prop(fdt, node, "compatible", &len);
	size_t want = strlen(compat);

	while (list && len > 0) {
		size_t n = strnlen(list, len);

		if (n == len)
			break; /* an unterminated last entry does not count */
		if (n == want && !memcmp(list, compat, n))
			return true;
		list += n + 1;
		len -= (u32)n + 1;
	}
	return false;
}

int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat)
{
	int node = from == -1 ? 0 : fdt_next_node(fdt, from, NULL);

	if (tag_at(fdt, 0) != FDT_BEGIN_NODE)
		return -EINVAL;
	for (; node >= 0; node = fdt_next_node(fdt, node, NULL))
		if (fdt_is_compatible(fdt, node, compat))
			return node;
	return node;
}

int fdt_find_phandle(const struct fdt *fdt, u32 phandle)
{
	int node;

	if (phandle == 0 || phandle == 0xffffffffu)
		return -ENOENT;
	if (tag_at(fdt, 0) != FDT_BEGIN_NODE)
		return -EINVAL;
	for (node = 0; node >= 0; node = fdt_next_node(fdt, node, NULL)) {
		u32 v;

		if ((fdt_prop_u32(fdt, node, "phandle", &v) == 0 ||
		     fdt_prop_u32(fdt, node, "linux,phandle", &v) == 0) && v == phandle)
			return node;
	}
	return node;
}

static u32 cells_prop(const struct fdt *fdt, int node, const char *name, u32 dflt)
{
	u32 v;

	if (node < 0 || fdt_prop_u32(fdt, node, name, &v) < 0)
		return dflt;
	return v;
}

u32 fdt_address_cells(const struct fdt *fdt, int node)
{
	return cells_prop(fdt, node, "#address-cells", 2);
}

u32 fdt_size_cells(const struct fdt *fdt, int node)
{
	return cells_prop(fdt, node, "#size-cells", 1);
}

/*
 * Finds node's "reg" and its entry geometry from the parent's cell counts;
 * returns the number of whole entries or -errno.
 */
static int reg_prop(const struct fdt *fdt, int node, const u8 **reg, u32 *ac, u32 *sc)
{
	int parent;
	u32 len;

	if (node < 0)
		return node;
	if (tag_at(fdt, node) != FDT_BEGIN_NODE)
		return -EINVAL;
	parent = fdt_parent(fdt, node);
	if (parent < 0 && parent != -ENOENT)
		return parent;
	/* The root has no parent: it gets the defaults. */
	*ac = fdt_address_cells(fdt, parent);
	*sc = fdt_size_cells(fdt, parent);
	if (*ac < 1 || *ac > 2 || *sc > 2)
		return -EINVAL; /* addresses wider than 64 bits */
	*reg = fdt_prop(fdt, node, "reg", &len);
	if (!*reg)
		return -ENOENT;
	return (int)(len / (4 * (*ac + *sc)));
}

int fdt_reg(const struct fdt *fdt, int node, int index, u64 *addr, u64 *size)
{
	u32 ac, sc;
	const u8 *reg;
	int count = reg_prop(fdt, node, &reg, &ac, &sc);

	if (count < 0)
		return count;
	if (index < 0 || index >= count)
		return -ENOENT;
	reg += (u32)index * 4 * (ac + sc);
	if (addr)
		*addr = fdt_read_cells(reg, ac);
	if (size)
		*size = fdt_read_cells(reg + 4 * ac, sc);
	return 0;
}

int fdt_reg_count(const struct fdt *fdt, int node)
{
	u32 ac, sc;
	const u8 *reg;

	return reg_prop(fdt, node, &reg, &ac, &sc);
}
