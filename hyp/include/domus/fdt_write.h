/* SPDX-License-Identifier: MIT */
/* Flattened device tree writer (hyp/lib/fdt_write.c). */
#ifndef DOMUS_FDT_WRITE_H
#define DOMUS_FDT_WRITE_H

#include <domus/types.h>

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
