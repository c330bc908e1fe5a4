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

#endif
