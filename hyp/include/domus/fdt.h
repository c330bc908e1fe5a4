/* SPDX-License-Identifier: MIT */
/* Flattened device tree: a bounds-checked reader and a sequential writer. */
#ifndef DOMUS_FDT_H
#define DOMUS_FDT_H

#include <domus/types.h>

/*
 * Reader. Node and property handles are byte offsets into the structure
 * block; the root node is offset 0. Every function checks offsets and lengths
 * against the blob, so a malformed tree yields errors, never a wild read.
 * Negative return values are -errno (-ENOENT: not found, -EINVAL: malformed).
 */
struct fdt {
	const u8 *blob;
	u32 totalsize;
	const u8 *structs; /* structure block */
	u32 structs_size;
	const char *strings; /* strings block */
	u32 strings_size;
};

int fdt_init(struct fdt *fdt, const void *blob, size_t max_size);
u32 fdt_totalsize(const void *blob); /* header field, 0 if no FDT magic */

const char *fdt_node_name(const struct fdt *fdt, int node);
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);
int fdt_parent(const struct fdt *fdt, int node);
/* "/", "/chosen", "/cpus/cpu@0"; a component without "@unit" matches any unit. */
int fdt_path(const struct fdt *fdt, const char *path);
/* Depth-first successor of node (children first), -ENOENT at the end. */
int fdt_next_node(const struct fdt *fdt, int node, int *depth);

int fdt_first_prop(const struct fdt *fdt, int node);
int fdt_next_prop(const struct fdt *fdt, int prop);
const void *fdt_prop_at(const struct fdt *fdt, int prop, const char **name, u32 *len);
const void *fdt_prop(const struct fdt *fdt, int node, const char *name, u32 *len);
int fdt_prop_u32(const struct fdt *fdt, int node, const char *name, u32 *out);
/* NUL-terminated string property, NULL if absent or not terminated. */
const char *fdt_prop_str(const struct fdt *fdt, int node, const char *name);

bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat);
/* Next node after `from` (-1: from the start) compatible with compat. */
int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat);
int fdt_find_phandle(const struct fdt *fdt, u32 phandle);

/* #address-cells / #size-cells that apply to node's children (defaults 2/1). */
u32 fdt_address_cells(const struct fdt *fdt, int node);
u32 fdt_size_cells(const struct fdt *fdt, int node);
/* Entry index of node's "reg", decoded with its parent's cell sizes. */
int fdt_reg(const struct fdt *fdt, int node, int index, u64 *addr, u64 *size);
int fdt_reg_count(const struct fdt *fdt, int node);

u32 fdt_be32(const void *p);
u64 fdt_be64(const void *p);
/* Reads `cells` (1 or 2) big-endian cells. */
u64 fdt_read_cells(const void *p, u32 cells);

/*
 * Writer: builds a tree in one pass into a caller's buffer. Errors stick:
 * after the first failure every call is a no-op and fdtw_finish reports it.
 */
struct fdt_writer {
	u8 *buf;
	size_t cap;
	size_t struct_off; /* where the next structure token goes */
	size_t strings_len; /* strings are kept at the end of buf, growing down */
	int depth;
	int error;
};

void fdtw_init(struct fdt_writer *w, void *buf, size_t cap);
void fdtw_begin_node(struct fdt_writer *w, const char *name);
void fdtw_end_node(struct fdt_writer *w);
void fdtw_prop(struct fdt_writer *w, const char *name, const void *val, u32 len);
void fdtw_prop_u32(struct fdt_writer *w, const char *name, u32 val);
void fdtw_prop_u64(struct fdt_writer *w, const char *name, u64 val);
void fdtw_prop_str(struct fdt_writer *w, const char *name, const char *s);
/* Host-order cells, written big-endian. */
void fdtw_prop_cells(struct fdt_writer *w, const char *name, const u32 *cells, u32 n);
void fdtw_prop_empty(struct fdt_writer *w, const char *name);
/* Finishes the blob in place; returns its total size or -errno. */
int fdtw_finish(struct fdt_writer *w);

#endif
