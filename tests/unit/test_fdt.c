// SOURCES: hyp/lib/fdt.c hyp/lib/fdt_write.c tests/unit/fixture.c
/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the device tree reader and writer, against blobs built by dtc.
 *
 * Fixtures are tests/unit/fixtures/NAME.dts, compiled on demand (when the
 * .dtb is missing or older) with
 *     dtc -q -I dts -O dtb -o build/unit/fixtures/NAME.dtb tests/unit/fixtures/NAME.dts
 * The writer's output is checked by decompiling it with dtc -I dtb -O dts.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <domus/errno.h>
#include <domus/fdt.h>
#include <domus/fdt_write.h>

#include "fixture.h"


/* Header field offsets. */
#define H_TOTALSIZE 4
#define H_OFF_STRUCT 8
#define H_OFF_STRINGS 12
#define H_OFF_RSVMAP 16
#define H_VERSION 20
#define H_LAST_COMP 24
#define H_BOOT_CPU 28
#define H_SIZE_STRINGS 32
#define H_SIZE_STRUCT 36

static struct blob virt, small;

static void put32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int setup_fixtures(void **state)
{
	virt = load_fixture("virt");
	small = load_fixture("small");
	return 0;
}

static int teardown_fixtures(void **state)
{
	free(virt.data);
	free(small.data);
	return 0;
}

static struct fdt open_blob(const struct blob *b)
{
	struct fdt fdt;

	assert_int_equal(fdt_init(&fdt, b->data, b->len), 0);
	return fdt;
}

/* Runs a dtc command line, returning its stdout (NUL-terminated) or NULL if it failed. */
static char *run_capture(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t cap = 4096, len = 0, n;
	char *out = malloc(cap);

	assert_non_null(p);
	while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2)
			out = realloc(out, cap *= 2);
	}
	out[len] = 0;
	if (pclose(p) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* dtc's decompilation of a blob. */
static char *dtc_decompile(const void *blob, size_t len, const char *tag)
{
	char path[256], cmd[512];

	snprintf(path, sizeof(path), FIXTURE_OUT "/%s.dtb", tag);
	write_file(path, blob, len);
	snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts %s", path);
	return run_capture(cmd);
}

/* dtc's normalisation of a source text, to compare with a decompiled blob. */
static char *dtc_normalise(const char *dts_text, const char *tag)
{
	char path[256], cmd[512];

	snprintf(path, sizeof(path), FIXTURE_OUT "/%s.dts", tag);
	write_file(path, dts_text, strlen(dts_text));
	/* Through a blob, so that both sides are decompiled the same way. */
	snprintf(cmd, sizeof(cmd), "dtc -q -I dts -O dtb %s | dtc -q -I dtb -O dts -", path);
	return run_capture(cmd);
}

/* ---- reader ---- */

static void test_init_accepts_dtc_blobs_and_reports_totalsize(void **state)
{
	struct fdt fdt;

	assert_int_equal(fdt_init(&fdt, virt.data, virt.len), 0);
	assert_int_equal(fdt.totalsize, virt.len);
	assert_int_equal(fdt_totalsize(virt.data), virt.len);
	assert_int_equal(fdt_init(&fdt, small.data, small.len), 0);
	/* A larger max_size than the blob is fine: totalsize wins. */
	assert_int_equal(fdt_init(&fdt, virt.data, virt.len + 4096), 0);
	assert_int_equal(fdt.totalsize, virt.len);
	assert_int_equal(fdt_totalsize("\0\0\0\0\0\0\0\0"), 0);
}

static void test_path_finds_nodes_by_full_name_or_name_without_unit(void **state)
{
	static const struct {
		const char *path;
		const char *name; /* NULL: expect err */
		int err;
	} cases[] = {
		{ "/", "", 0 },
		{ "/cpus", "cpus", 0 },
		{ "/cpus/", "cpus", 0 },
		{ "//cpus//cpu@1", "cpu@1", 0 },
		{ "/cpus/cpu@1", "cpu@1", 0 },
		{ "/cpus/cpu", "cpu@0", 0 }, /* first match */
		{ "/cpus/cpu-map/socket0/cluster0/core1", "core1", 0 },
		{ "/memory", "memory@40000000", 0 },
		{ "/memory@40000000", "memory@40000000", 0 },
		{ "/intc/its", "its@8080000", 0 },
		{ "/intc@8000000/its@8080000", "its@8080000", 0 },
		{ "/virtio_mmio", "virtio_mmio@a000000", 0 },
		{ "/virtio_mmio@a000600", "virtio_mmio@a000600", 0 },
		{ "/chosen/module@4b000000", "module@4b000000", 0 },
		{ "/pl011@9000000", "pl011@9000000", 0 },
		{ "/cpu", NULL, -ENOENT }, /* "cpus" is not "cpu" */
		{ "/cpus/cpu@2", NULL, -ENOENT },
		{ "/memory@4", NULL, -ENOENT }, /* a unit must match exactly */
		{ "/nothing", NULL, -ENOENT },
		{ "/timer/deeper", NULL, -ENOENT },
		{ "cpus", NULL, -EINVAL },
		{ "", NULL, -EINVAL },
	};
	struct fdt fdt = open_blob(&virt);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n = fdt_path(&fdt, cases[i].path);

		if (!cases[i].name) {
			if (n != cases[i].err)
				fail_msg("%s: got %d, want %d", cases[i].path, n, cases[i].err);
			continue;
		}
		if (n < 0)
			fail_msg("%s: error %d", cases[i].path, n);
		assert_string_equal(fdt_node_name(&fdt, n), cases[i].name);
	}
	assert_int_equal(fdt_path(&fdt, "/"), 0);
}

static void test_props_read_strings_cells_and_empty_values(void **state)
{
	struct fdt fdt = open_blob(&virt);
	int chosen = fdt_path(&fdt, "/chosen"), intc = fdt_path(&fdt, "/intc");
	const u8 *v;
	u32 len, x;

	assert_string_equal(fdt_prop_str(&fdt, 0, "compatible"), "linux,dummy-virt");
	assert_string_equal(fdt_prop_str(&fdt, chosen, "stdout-path"), "/pl011@9000000");
	assert_string_equal(fdt_prop_str(&fdt, chosen, "xen,xen-bootargs"),
			    "console=dtuart dom0_mem=512M");
	/* A string list reads as its first string. */
	assert_string_equal(fdt_prop_str(&fdt, fdt_path(&fdt, "/psci"), "compatible"), "arm,psci-1.0");
	/* Bytes without a NUL are not a string. */
	assert_null(fdt_prop_str(&fdt, chosen, "rng-seed"));
	v = fdt_prop(&fdt, chosen, "rng-seed", &len);
	assert_non_null(v);
	assert_int_equal(len, 8);
	assert_memory_equal(v, "\xde\xad\xbe\xef\x01\x02\x03\x04", 8);

	assert_int_equal(fdt_prop_u32(&fdt, intc, "#interrupt-cells", &x), 0);
	assert_int_equal(x, 3);
	assert_int_equal(fdt_prop_u32(&fdt, intc, "#redistributor-regions", &x), 0);
	assert_int_equal(x, 1);
	assert_int_equal(fdt_prop_u32(&fdt, intc, "reg", &x), -EINVAL); /* not one cell */
	assert_int_equal(fdt_prop_u32(&fdt, intc, "absent", &x), -ENOENT);

	/* Empty properties exist, with length 0. */
	len = 99;
	assert_non_null(fdt_prop(&fdt, intc, "interrupt-controller", &len));
	assert_int_equal(len, 0);
	assert_null(fdt_prop_str(&fdt, intc, "interrupt-controller"));
	assert_null(fdt_prop(&fdt, intc, "interrupt", NULL)); /* no prefix matching */
	assert_null(fdt_prop(&fdt, -ENOENT, "reg", NULL));
}

static void test_prop_iteration_visits_properties_in_order(void **state)
{
	static const char *const want[] = { "migrate", "cpu_on", "cpu_off", "cpu_suspend",
					    "method", "compatible" };
	struct fdt fdt = open_blob(&virt);
	int psci = fdt_path(&fdt, "/psci"), i = 0, p;

	for (p = fdt_first_prop(&fdt, psci); p >= 0; p = fdt_next_prop(&fdt, p), i++) {
		const char *name;
		u32 len;

		assert_true(i < (int)ARRAY_SIZE(want));
		assert_non_null(fdt_prop_at(&fdt, p, &name, &len));
		assert_string_equal(name, want[i]);
	}
	assert_int_equal(p, -ENOENT);
	assert_int_equal(i, ARRAY_SIZE(want));
	/* A node without properties. */
	assert_int_equal(fdt_first_prop(&fdt, fdt_path(&fdt, "/cpus/cpu-map")), -ENOENT);
	/* A node handle is not a property handle, and vice versa. */
	assert_null(fdt_prop_at(&fdt, psci, NULL, NULL));
	assert_int_equal(fdt_next_prop(&fdt, psci), -EINVAL);
	assert_int_equal(fdt_first_prop(&fdt, fdt_first_prop(&fdt, psci)), -EINVAL);
}

static void test_reg_decodes_entries_with_the_parents_cell_sizes(void **state)
{
	static const struct {
		const struct blob *blob;
		const char *path;
		int index;
		int err;
		u64 addr, size;
	} cases[] = {
		/* 2 address + 2 size cells at the root of virt. */
		{ &virt, "/memory", 0, 0, 0x40000000, 0x80000000 },
		{ &virt, "/memory", 1, -ENOENT, 0, 0 },
		{ &virt, "/intc", 0, 0, 0x8000000, 0x10000 },
		{ &virt, "/intc", 1, 0, 0x80a0000, 0xf60000 },
		{ &virt, "/intc/its", 0, 0, 0x8080000, 0x20000 },
		{ &virt, "/chosen/module@49000000", 0, 0, 0x49000000, 0x1e00000 },
		/* /cpus: 1 address cell, no size. */
		{ &virt, "/cpus/cpu@1", 0, 0, 1, 0 },
		{ &virt, "/timer", 0, -ENOENT, 0, 0 },
		{ &virt, "/memory", -1, -ENOENT, 0, 0 },
		/* 1 + 1 cells at the root of small. */
		{ &small, "/memory", 0, 0, 0x80000000, 0x10000000 },
		{ &small, "/memory", 1, 0, 0xa0000000, 0x08000000 },
		{ &small, "/memory", 2, -ENOENT, 0, 0 },
		{ &small, "/soc/uart", 0, 0, 0x101c28000ull, 0x400 },
		/* Three address cells do not fit a u64. */
		{ &small, "/cells-none/wide@0", 0, -EINVAL, 0, 0 },
		{ &small, "/empty", 0, -ENOENT, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fdt fdt = open_blob(cases[i].blob);
		int node = fdt_path(&fdt, cases[i].path);
		u64 addr = ~0ull, size = ~0ull;
		int rc;

		assert_true(node >= 0);
		rc = fdt_reg(&fdt, node, cases[i].index, &addr, &size);
		if (rc != cases[i].err)
			fail_msg("%s[%d]: got %d, want %d", cases[i].path, cases[i].index, rc,
				 cases[i].err);
		if (rc == 0 && (addr != cases[i].addr || size != cases[i].size))
			fail_msg("%s[%d]: got %#llx+%#llx", cases[i].path, cases[i].index,
				 (unsigned long long)addr, (unsigned long long)size);
	}
}

static void test_reg_count_and_cells_defaults(void **state)
{
	struct fdt fdt = open_blob(&virt), s = open_blob(&small);
	int cpus = fdt_path(&fdt, "/cpus"), timer = fdt_path(&fdt, "/timer");

	assert_int_equal(fdt_reg_count(&fdt, fdt_path(&fdt, "/intc")), 2);
	assert_int_equal(fdt_reg_count(&s, fdt_path(&s, "/memory")), 2);
	assert_int_equal(fdt_reg_count(&fdt, timer), -ENOENT);
	assert_int_equal(fdt_address_cells(&fdt, 0), 2);
	assert_int_equal(fdt_size_cells(&fdt, 0), 2);
	assert_int_equal(fdt_address_cells(&fdt, cpus), 1);
	assert_int_equal(fdt_size_cells(&fdt, cpus), 0);
	/* Absent: the defaults 2 and 1. */
	assert_int_equal(fdt_address_cells(&fdt, timer), 2);
	assert_int_equal(fdt_size_cells(&fdt, timer), 1);
	assert_int_equal(fdt_address_cells(&fdt, -ENOENT), 2);
	assert_int_equal(fdt_address_cells(&s, 0), 1);
	assert_int_equal(fdt_size_cells(&s, 0), 1);
}

static void test_find_compatible_walks_all_matches_in_tree_order(void **state)
{
	static const struct {
		const char *compat;
		const char *names[5];
	} cases[] = {
		{ "virtio,mmio",
		  { "virtio_mmio@a000000", "virtio_mmio@a000200", "virtio_mmio@a000400",
		    "virtio_mmio@a000600" } },
		{ "multiboot,module", { "module@49000000", "module@4b000000" } },
		{ "multiboot,kernel", { "module@49000000" } },
		{ "arm,gic-v3", { "intc@8000000" } },
		{ "arm,armv7-timer", { "timer" } }, /* not the first string */
		{ "arm,primecell", { "pl031@9010000", "pl011@9000000" } },
		{ "linux,dummy-virt", { "" } }, /* the root itself */
		{ "arm", { NULL } },
		{ "virtio", { NULL } },
	};
	struct fdt fdt = open_blob(&virt);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n = -1;
		size_t k = 0;

		while ((n = fdt_find_compatible(&fdt, n, cases[i].compat)) >= 0) {
			assert_true(k < 5 && cases[i].names[k]);
			assert_string_equal(fdt_node_name(&fdt, n), cases[i].names[k]);
			assert_true(fdt_is_compatible(&fdt, n, cases[i].compat));
			k++;
		}
		assert_int_equal(n, -ENOENT);
		assert_true(k == 5 || !cases[i].names[k]);
	}
	assert_false(fdt_is_compatible(&fdt, fdt_path(&fdt, "/cpus"), "cpus"));
	assert_int_equal(fdt_find_compatible(&fdt, 5, "virtio,mmio"), -EINVAL);
}

static void test_find_phandle_returns_the_owning_node(void **state)
{
	static const struct {
		u32 phandle;
		const char *path;
	} cases[] = {
		{ 0x8000, "/apb-pclk" }, { 0x8002, "/intc" }, { 0x8003, "/intc/its" },
		{ 0x8004, "/cpus/cpu@0" }, { 0x8005, "/cpus/cpu@1" }, { 0x8001, NULL },
		{ 0, NULL },		    { 0xffffffff, NULL },
	};
	struct fdt fdt = open_blob(&virt), s = open_blob(&small);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n = fdt_find_phandle(&fdt, cases[i].phandle);

		if (cases[i].path)
			assert_int_equal(n, fdt_path(&fdt, cases[i].path));
		else
			assert_int_equal(n, -ENOENT);
	}
	assert_int_equal(fdt_find_phandle(&s, 7), fdt_path(&s, "/soc/uart"));
}

static void test_parent_of_nodes_at_every_depth(void **state)
{
	static const struct {
		const char *node, *parent;
	} cases[] = {
		{ "/cpus", "/" },
		{ "/chosen", "/" },
		{ "/cpus/cpu@0", "/cpus" },
		{ "/cpus/cpu@1", "/cpus" },
		{ "/intc/its", "/intc" },
		{ "/cpus/cpu-map/socket0/cluster0/core1", "/cpus/cpu-map/socket0/cluster0" },
		{ "/chosen/module@4b000000", "/chosen" },
	};
	struct fdt fdt = open_blob(&virt);
	int psci = fdt_path(&fdt, "/psci");

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(fdt_parent(&fdt, fdt_path(&fdt, cases[i].node)),
				 fdt_path(&fdt, cases[i].parent));
	assert_int_equal(fdt_parent(&fdt, 0), -ENOENT);
	/* Not node handles: unaligned, a property, past the end, an error. */
	assert_int_equal(fdt_parent(&fdt, 2), -EINVAL);
	assert_int_equal(fdt_parent(&fdt, fdt_first_prop(&fdt, psci)), -EINVAL);
	assert_int_equal(fdt_parent(&fdt, (int)fdt.structs_size), -EINVAL);
	assert_int_equal(fdt_parent(&fdt, -ENOENT), -ENOENT);
}

static void test_children_and_siblings_in_order(void **state)
{
	static const char *const cpus_children[] = { "cpu-map", "cpu@0", "cpu@1" };
	struct fdt fdt = open_blob(&virt);
	int n, i = 0;

	for (n = fdt_first_child(&fdt, fdt_path(&fdt, "/cpus")); n >= 0;
	     n = fdt_next_sibling(&fdt, n), i++) {
		assert_true(i < 3);
		assert_string_equal(fdt_node_name(&fdt, n), cpus_children[i]);
	}
	assert_int_equal(n, -ENOENT);
	assert_int_equal(i, 3);
	assert_int_equal(fdt_first_child(&fdt, fdt_path(&fdt, "/timer")), -ENOENT);
	assert_int_equal(fdt_next_sibling(&fdt, 0), -ENOENT); /* the root has none */
	assert_int_equal(fdt_next_sibling(&fdt, fdt_path(&fdt, "/chosen")), -ENOENT);
	assert_int_equal(fdt_first_child(&fdt, 1), -EINVAL);
	assert_null(fdt_node_name(&fdt, 4));
}

static void test_next_node_tracks_depth_through_the_whole_tree(void **state)
{
	static const struct {
		const char *name;
		int depth;
	} want[] = {
		{ "memory@80000000", 1 }, { "soc", 1 },	  { "uart@101c28000", 2 },
		{ "cells-none", 1 },	  { "wide@0", 2 }, { "empty", 1 },
	};
	struct fdt fdt = open_blob(&small);
	int depth = 0, n = 0, i = 0, max_depth = 0, count = 0;

	while ((n = fdt_next_node(&fdt, n, &depth)) >= 0) {
		assert_true(i < (int)ARRAY_SIZE(want));
		assert_string_equal(fdt_node_name(&fdt, n), want[i].name);
		assert_int_equal(depth, want[i].depth);
		i++;
	}
	assert_int_equal(n, -ENOENT);
	assert_int_equal(i, ARRAY_SIZE(want));

	/* virt: core0 is five levels down; every node is reached once. */
	fdt = open_blob(&virt);
	depth = 0;
	for (n = 0; n >= 0; n = fdt_next_node(&fdt, n, &depth), count++) {
		if (!strcmp(fdt_node_name(&fdt, n), "core0"))
			assert_int_equal(depth, 5);
		if (depth > max_depth)
			max_depth = depth;
		if (depth == 1)
			assert_int_equal(fdt_parent(&fdt, n), 0);
	}
	assert_int_equal(max_depth, 5);
	assert_int_equal(count, 25);
	assert_int_equal(fdt_next_node(&fdt, 8, NULL), -EINVAL);
}

static void test_cell_helpers_read_big_endian_at_any_alignment(void **state)
{
	static const u8 bytes[] = { 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };

	assert_int_equal(fdt_be32(bytes + 1), 0x01020304);
	assert_int_equal(fdt_be64(bytes + 1), 0x0102030405060708ull);
	assert_int_equal(fdt_read_cells(bytes + 1, 1), 0x01020304);
	assert_int_equal(fdt_read_cells(bytes + 1, 2), 0x0102030405060708ull);
	assert_int_equal(fdt_read_cells(bytes + 1, 0), 0);
}

/* ---- malformed blobs ---- */

/* fdt_init on an exact-size heap copy, so ASan catches any read past it. */
static int init_copy(const void *data, size_t len)
{
	u8 *copy = malloc(len ? len : 1);
	struct fdt fdt;
	int rc;

	memcpy(copy, data, len);
	rc = fdt_init(&fdt, copy, len);
	free(copy);
	return rc;
}

static void test_init_rejects_bad_headers(void **state)
{
	static const struct {
		const char *what;
		u32 field, value;
	} cases[] = {
		{ "bad magic", 0, 0xd00dfeee },
		{ "version 15", H_VERSION, 15 },
		{ "last_comp_version 18", H_LAST_COMP, 18 },
		{ "totalsize past the buffer", H_TOTALSIZE, 0 /* len + 1 */ },
		{ "totalsize smaller than the header", H_TOTALSIZE, 39 },
		{ "struct offset past the end", H_OFF_STRUCT, 0x10000 },
		{ "struct offset inside the header", H_OFF_STRUCT, 8 },
		{ "struct size past the end", H_SIZE_STRUCT, 0x10000 },
		{ "struct size huge", H_SIZE_STRUCT, 0xfffffff0 },
		{ "strings offset past the end", H_OFF_STRINGS, 0x10000 },
		{ "strings size past the end", H_SIZE_STRINGS, 0x10000 },
		{ "strings size huge", H_SIZE_STRINGS, 0xffffffff },
		{ "rsvmap offset past the end", H_OFF_RSVMAP, 0x10000 },
		{ "rsvmap offset at the very end", H_OFF_RSVMAP, 0 /* len - 8 */ },
	};
	u8 *b = malloc(virt.len);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 v = cases[i].value;

		memcpy(b, virt.data, virt.len);
		if (cases[i].field == H_TOTALSIZE && !v)
			v = virt.len + 1;
		if (cases[i].field == H_OFF_RSVMAP && !v)
			v = virt.len - 8;
		put32(b + cases[i].field, v);
		if (init_copy(b, virt.len) != -EINVAL)
			fail_msg("%s: accepted", cases[i].what);
	}
	free(b);
	/* Header cut short, and max_size smaller than totalsize. */
	for (size_t n = 0; n < 64; n++)
		assert_int_equal(init_copy(virt.data, n), -EINVAL);
	assert_int_equal(init_copy(virt.data, virt.len - 1), -EINVAL);
}

/*
 * Rebuilds virt with the structure or the strings block moved to the end and
 * cut at every length: any read past a cut block is a read past the buffer.
 */
static void test_init_rejects_every_truncation_of_either_block(void **state)
{
	const u8 *d = virt.data;
	u32 st_off = fdt_be32(d + H_OFF_STRUCT), st_len = fdt_be32(d + H_SIZE_STRUCT);
	u32 str_off = fdt_be32(d + H_OFF_STRINGS), str_len = fdt_be32(d + H_SIZE_STRINGS);
	u8 *b = malloc(56 + st_len + str_len);

	for (int which = 0; which < 2; which++) {
		u32 keep_len = which ? st_len : str_len, cut_len = which ? str_len : st_len;
		const u8 *keep = d + (which ? st_off : str_off), *cut = d + (which ? str_off : st_off);

		for (u32 n = 0; n <= cut_len; n++) {
			u32 total = 56 + keep_len + n;

			memcpy(b, d, 40);
			memset(b + 40, 0, 16);
			memcpy(b + 56, keep, keep_len);
			memcpy(b + 56 + keep_len, cut, n);
			put32(b + H_TOTALSIZE, total);
			put32(b + H_OFF_RSVMAP, 40);
			put32(b + (which ? H_OFF_STRUCT : H_OFF_STRINGS), 56);
			put32(b + (which ? H_OFF_STRINGS : H_OFF_STRUCT), 56 + keep_len);
			put32(b + (which ? H_SIZE_STRINGS : H_SIZE_STRUCT), n);
			if (n == cut_len)
				assert_int_equal(init_copy(b, total), 0); /* the rebuild itself is sound */
			else if (init_copy(b, total) != -EINVAL)
				fail_msg("%s cut at %u of %u accepted", which ? "strings" : "struct", n,
					 cut_len);
		}
	}
	free(b);
}

/* A blob from raw structure words and a strings block, laid out as dtc does. */
static size_t raw_blob(u8 *b, const u32 *words, size_t nwords, const void *strings, size_t slen)
{
	size_t st = 4 * nwords, total = 56 + st + slen;

	memset(b, 0, 56);
	put32(b, 0xd00dfeed);
	put32(b + H_TOTALSIZE, total);
	put32(b + H_OFF_STRUCT, 56);
	put32(b + H_OFF_STRINGS, 56 + st);
	put32(b + H_OFF_RSVMAP, 40);
	put32(b + H_VERSION, 17);
	put32(b + H_LAST_COMP, 16);
	put32(b + H_SIZE_STRINGS, slen);
	put32(b + H_SIZE_STRUCT, st);
	for (size_t i = 0; i < nwords; i++)
		put32(b + 56 + 4 * i, words[i]);
	memcpy(b + 56 + st, strings, slen);
	return total;
}

#define BEGIN 1
#define END_NODE 2
#define PROP 3
#define NOP 4
#define END 9
#define NAME_AB 0x61620000 /* "ab\0\0" */
#define NAME_ABCD 0x61626364 /* "abcd", no NUL */

static void test_init_rejects_malformed_structure_blocks(void **state)
{
	static const struct {
		const char *what;
		u32 words[12];
		size_t n;
		int ok;
	} cases[] = {
		{ "minimal tree", { BEGIN, 0, END_NODE, END }, 4, 1 },
		{ "NOPs and a property", { BEGIN, 0, NOP, PROP, 4, 0, 0x12345678, END_NODE, NOP, END }, 10, 1 },
		{ "empty", { 0 }, 0, 0 },
		{ "no root", { END }, 1, 0 },
		{ "no END", { BEGIN, 0, END_NODE }, 3, 0 },
		{ "unclosed root", { BEGIN, 0, END }, 3, 0 },
		{ "extra END_NODE", { BEGIN, 0, END_NODE, END_NODE, END }, 5, 0 },
		{ "two roots", { BEGIN, 0, END_NODE, BEGIN, 0, END_NODE, END }, 7, 0 },
		{ "property outside the root", { BEGIN, 0, END_NODE, PROP, 0, 0, END }, 7, 0 },
		{ "unknown token", { BEGIN, 0, 7, END_NODE, END }, 5, 0 },
		{ "unterminated name at the end", { BEGIN, NAME_ABCD }, 2, 0 },
		{ "child with unterminated name", { BEGIN, NAME_AB, BEGIN, NAME_ABCD, NAME_ABCD }, 5, 0 },
		{ "property header cut", { BEGIN, 0, PROP, 4 }, 4, 0 },
		{ "property value one byte past the block", { BEGIN, 0, PROP, 5, 0, 0 }, 6, 0 },
		{ "property length huge", { BEGIN, 0, PROP, 0xfffffffc, 0, END_NODE, END }, 7, 0 },
		{ "property name offset past strings", { BEGIN, 0, PROP, 0, 100, END_NODE, END }, 7, 0 },
		{ "property name unterminated", { BEGIN, 0, PROP, 0, 4, END_NODE, END }, 7, 0 },
		{ "property name at the last NUL", { BEGIN, 0, PROP, 0, 3, END_NODE, END }, 7, 1 },
	};
	/* "reg\0" then "xyz" without its NUL at the very end. */
	static const char strings[] = { 'r', 'e', 'g', 0, 'x', 'y', 'z' };
	u8 b[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = raw_blob(b, cases[i].words, cases[i].n, strings, sizeof(strings));
		int rc = init_copy(b, len);

		if (cases[i].ok ? rc != 0 : rc != -EINVAL)
			fail_msg("%s: got %d", cases[i].what, rc);
	}
}

/* Everything the reader offers, run over a whole tree (for the fuzz test). */
static void exercise(const struct fdt *fdt)
{
	int depth = 0;

	for (int n = 0; n >= 0; n = fdt_next_node(fdt, n, &depth)) {
		u64 a, s;
		u32 x;

		(void)fdt_node_name(fdt, n);
		(void)fdt_parent(fdt, n);
		(void)fdt_first_child(fdt, n);
		(void)fdt_next_sibling(fdt, n);
		(void)fdt_reg(fdt, n, 0, &a, &s);
		(void)fdt_reg_count(fdt, n);
		(void)fdt_prop_str(fdt, n, "compatible");
		(void)fdt_prop_u32(fdt, n, "phandle", &x);
		(void)fdt_is_compatible(fdt, n, "virtio,mmio");
		for (int p = fdt_first_prop(fdt, n); p >= 0; p = fdt_next_prop(fdt, p))
			(void)fdt_prop_at(fdt, p, NULL, NULL);
	}
	(void)fdt_path(fdt, "/cpus/cpu@1");
	(void)fdt_find_compatible(fdt, -1, "nothing");
	(void)fdt_find_phandle(fdt, 0x8003);
}

static void test_random_corruption_never_reads_out_of_bounds(void **state)
{
	u32 seed = 12345, accepted = 0;
	u8 *b = malloc(virt.len);

	for (int iter = 0; iter < 3000; iter++) {
		struct fdt fdt;

		memcpy(b, virt.data, virt.len);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245 + 12345;
			/* Mostly the structure block, where the interesting tokens are. */
			b[(seed >> 8) % virt.len] ^= 1u << (seed >> 28) % 8;
		}
		if (fdt_init(&fdt, b, virt.len) == 0) {
			accepted++;
			exercise(&fdt);
		}
	}
	free(b);
	/* Flips in values and names still parse: the walk above did run. */
	assert_true(accepted > 100);
}

static void test_bad_handles_return_errors(void **state)
{
	static const int handles[] = { -1, -EINVAL, 1, 2, 3, 5, 0x7ffffffc, 0x7fffffff };
	struct fdt fdt = open_blob(&virt);
	u64 a, s;
	u32 len, x;

	for (size_t i = 0; i < ARRAY_SIZE(handles); i++) {
		int h = handles[i];

		assert_null(fdt_node_name(&fdt, h));
		assert_true(fdt_first_child(&fdt, h) < 0);
		assert_true(fdt_next_sibling(&fdt, h) < 0);
		assert_true(fdt_parent(&fdt, h) < 0);
		assert_true(fdt_next_node(&fdt, h, NULL) < 0);
		assert_true(fdt_first_prop(&fdt, h) < 0);
		assert_true(fdt_next_prop(&fdt, h) < 0);
		assert_null(fdt_prop_at(&fdt, h, NULL, &len));
		assert_null(fdt_prop(&fdt, h, "reg", &len));
		assert_true(fdt_prop_u32(&fdt, h, "reg", &x) < 0);
		assert_true(fdt_reg(&fdt, h, 0, &a, &s) < 0);
		assert_true(fdt_reg_count(&fdt, h) < 0);
		assert_false(fdt_is_compatible(&fdt, h, "virtio,mmio"));
	}
}

/* ---- writer ---- */

/* The tree the writer tests build, and the source text dtc should decompile it to. */
static const char expected_dts[] =
	"/dts-v1/;\n"
	"/ {\n"
	"	#address-cells = <2>;\n"
	"	#size-cells = <2>;\n"
	"	compatible = \"domus,test\";\n"
	"	cpus {\n"
	"		#address-cells = <1>;\n"
	"		#size-cells = <0>;\n"
	"		cpu@0 { device_type = \"cpu\"; reg = <0>; enable-method = \"psci\"; };\n"
	"		cpu@1 { device_type = \"cpu\"; reg = <1>; enable-method = \"psci\"; };\n"
	"	};\n"
	"	memory@40000000 {\n"
	"		device_type = \"memory\";\n"
	"		reg = <0x0 0x40000000 0x0 0x20000000>;\n"
	"	};\n"
	"	psci {\n"
	"		compatible = \"arm,psci-1.0\", \"arm,psci-0.2\";\n"
	"		method = \"hvc\";\n"
	"	};\n"
	"	chosen {\n"
	"		bootargs = \"console=hvc0\";\n"
	"		linux,initrd-start = <0x0 0x48000000>;\n"
	"		linux,initrd-end = <0x1 0x48800000>;\n"
	"		rng-seed = [01 02 03];\n"
	"		dma-coherent;\n"
	"	};\n"
	"};\n";

static void write_test_tree(struct fdt_writer *w)
{
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
	static const u32 mem[] = { 0, 0x40000000, 0, 0x20000000 };

	fdtw_begin_node(w, "");
	fdtw_prop_u32(w, "#address-cells", 2);
	fdtw_prop_u32(w, "#size-cells", 2);
	fdtw_prop_str(w, "compatible", "domus,test");
	fdtw_begin_node(w, "cpus");
	fdtw_prop_u32(w, "#address-cells", 1);
	fdtw_prop_u32(w, "#size-cells", 0);
	for (u32 i = 0; i < 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu@%u", i);
		fdtw_begin_node(w, name);
		fdtw_prop_str(w, "device_type", "cpu");
		fdtw_prop_u32(w, "reg", i);
		fdtw_prop_str(w, "enable-method", "psci");
		fdtw_end_node(w);
	}
	fdtw_end_node(w);
	fdtw_begin_node(w, "memory@40000000");
	fdtw_prop_str(w, "device_type", "memory");
	fdtw_prop_cells(w, "reg", mem, 4);
	fdtw_end_node(w);
	fdtw_begin_node(w, "psci");
	fdtw_prop(w, "compatible", psci_compat, sizeof(psci_compat));
	fdtw_prop_str(w, "method", "hvc");
	fdtw_end_node(w);
	fdtw_begin_node(w, "chosen");
	fdtw_prop_str(w, "bootargs", "console=hvc0");
	fdtw_prop_u64(w, "linux,initrd-start", 0x48000000);
	fdtw_prop_u64(w, "linux,initrd-end", 0x148800000ull);
	fdtw_prop(w, "rng-seed", "\x01\x02\x03", 3);
	fdtw_prop_empty(w, "dma-coherent");
	fdtw_end_node(w);
	fdtw_end_node(w);
}

static void test_writer_output_reads_back_and_decompiles_as_expected(void **state)
{
	u8 *buf = malloc(4096);
	struct fdt_writer w;
	struct fdt fdt;
	char *got, *want;
	u64 addr, size;
	u32 len;
	int total;

	memset(buf, 0xa5, 4096); /* padding must not leak old bytes */
	fdtw_init(&w, buf, 4096);
	write_test_tree(&w);
	total = fdtw_finish(&w);
	assert_true(total > 0);

	/* Header: v17, last compatible 16, boot CPU 0, empty reservation map. */
	assert_int_equal(fdt_be32(buf), 0xd00dfeed);
	assert_int_equal(fdt_be32(buf + H_TOTALSIZE), total);
	assert_int_equal(fdt_be32(buf + H_VERSION), 17);
	assert_int_equal(fdt_be32(buf + H_LAST_COMP), 16);
	assert_int_equal(fdt_be32(buf + H_BOOT_CPU), 0);
	assert_memory_equal(buf + fdt_be32(buf + H_OFF_RSVMAP), "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
			    16);
	/* Contiguous: structure then strings, ending the blob. */
	assert_int_equal(fdt_be32(buf + H_OFF_STRINGS),
			 fdt_be32(buf + H_OFF_STRUCT) + fdt_be32(buf + H_SIZE_STRUCT));
	assert_int_equal(fdt_be32(buf + H_OFF_STRINGS) + fdt_be32(buf + H_SIZE_STRINGS), total);

	assert_int_equal(fdt_init(&fdt, buf, total), 0);
	assert_int_equal(fdt_reg(&fdt, fdt_path(&fdt, "/memory"), 0, &addr, &size), 0);
	assert_int_equal(addr, 0x40000000);
	assert_int_equal(size, 0x20000000);
	assert_int_equal(fdt_reg(&fdt, fdt_path(&fdt, "/cpus/cpu@1"), 0, &addr, NULL), 0);
	assert_int_equal(addr, 1);
	assert_string_equal(fdt_prop_str(&fdt, fdt_path(&fdt, "/chosen"), "bootargs"), "console=hvc0");
	assert_int_equal(fdt_be64(fdt_prop(&fdt, fdt_path(&fdt, "/chosen"), "linux,initrd-end", &len)),
			 0x148800000ull);
	assert_int_equal(len, 8);
	assert_true(fdt_is_compatible(&fdt, fdt_path(&fdt, "/psci"), "arm,psci-0.2"));

	got = dtc_decompile(buf, total, "writer");
	want = dtc_normalise(expected_dts, "writer-expected");
	assert_non_null(got);
	assert_non_null(want);
	assert_string_equal(got, want);
	free(got);
	free(want);
	free(buf);
}

static void copy_subtree(struct fdt_writer *w, const struct fdt *fdt, int node)
{
	fdtw_begin_node(w, fdt_node_name(fdt, node));
	for (int p = fdt_first_prop(fdt, node); p >= 0; p = fdt_next_prop(fdt, p)) {
		const char *name;
		u32 len;
		const void *val = fdt_prop_at(fdt, p, &name, &len);

		fdtw_prop(w, name, val, len);
	}
	for (int c = fdt_first_child(fdt, node); c >= 0; c = fdt_next_sibling(fdt, c))
		copy_subtree(w, fdt, c);
	fdtw_end_node(w);
}

static void test_writer_copy_of_a_dtc_tree_decompiles_identically(void **state)
{
	struct fdt fdt = open_blob(&virt);
	size_t cap = virt.len + 1024;
	u8 *buf = malloc(cap);
	struct fdt_writer w;
	char *orig, *copy;
	int total;

	fdtw_init(&w, buf, cap);
	copy_subtree(&w, &fdt, 0);
	total = fdtw_finish(&w);
	assert_true(total > 0);
	/* dtc also shares names between properties, so the sizes agree too. */
	assert_int_equal(fdt_be32(buf + H_SIZE_STRINGS), fdt_be32(virt.data + H_SIZE_STRINGS));
	orig = dtc_decompile(virt.data, virt.len, "virt-orig");
	copy = dtc_decompile(buf, total, "virt-copy");
	assert_non_null(orig);
	assert_non_null(copy);
	assert_string_equal(copy, orig);
	free(orig);
	free(copy);
	free(buf);
}

static void test_writer_shares_repeated_property_names(void **state)
{
	u8 buf[512];
	struct fdt_writer w;
	struct fdt fdt;

	fdtw_init(&w, buf, sizeof(buf));
	fdtw_begin_node(&w, "");
	fdtw_prop_u32(&w, "reg", 1);
	fdtw_begin_node(&w, "a");
	fdtw_prop_u32(&w, "reg", 2);
	fdtw_prop_u32(&w, "g", 3); /* the tail of "reg" */
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	assert_true(fdtw_finish(&w) > 0);
	assert_int_equal(fdt_be32(buf + H_SIZE_STRINGS), 4); /* "reg\0" once */
	assert_int_equal(fdt_init(&fdt, buf, sizeof(buf)), 0);
	assert_int_equal(fdt_prop_u32(&fdt, fdt_path(&fdt, "/a"), "g", &(u32){ 0 }), 0);
}

static void test_writer_reports_no_space_at_every_short_capacity(void **state)
{
	struct fdt_writer w;
	u8 *ref = malloc(4096);
	int need;

	fdtw_init(&w, ref, 4096);
	write_test_tree(&w);
	need = fdtw_finish(&w);
	assert_true(need > 0);

	for (int cap = 0; cap <= need; cap++) {
		/* Exact-size heap buffers: ASan catches a write past cap. */
		u8 *buf = malloc(cap ? cap : 1);
		int rc;

		fdtw_init(&w, buf, cap);
		write_test_tree(&w);
		rc = fdtw_finish(&w);
		if (cap < need) {
			assert_int_equal(rc, -ENOSPC);
			assert_int_equal(w.error, -ENOSPC);
		} else {
			assert_int_equal(rc, need);
			assert_memory_equal(buf, ref, need);
		}
		free(buf);
	}
	free(ref);
}

static void test_writer_errors_are_sticky(void **state)
{
	u8 buf[256];
	struct fdt_writer w;
	size_t off;

	fdtw_init(&w, buf, sizeof(buf));
	fdtw_begin_node(&w, "");
	fdtw_prop(&w, "big", buf, 1000);
	assert_int_equal(w.error, -ENOSPC);
	off = w.struct_off;
	/* Later calls that would fit change nothing, and cannot clear the error. */
	fdtw_prop_u32(&w, "small", 1);
	fdtw_end_node(&w);
	fdtw_end_node(&w);
	assert_int_equal(w.struct_off, off);
	assert_int_equal(fdtw_finish(&w), -ENOSPC);
}

static void test_writer_rejects_unbalanced_trees(void **state)
{
	static const struct {
		const char *what;
		const char *ops; /* b: begin, e: end, p: property */
	} cases[] = {
		{ "nothing written", "" },
		{ "root left open", "b" },
		{ "child left open", "bbpe" },
		{ "end without begin", "e" },
		{ "one end too many", "bee" },
		{ "property before the root", "pbe" },
		{ "property after the root", "bep" },
		{ "second root", "bebe" },
	};
	u8 buf[256];
	struct fdt_writer w;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fdtw_init(&w, buf, sizeof(buf));
		for (const char *op = cases[i].ops; *op; op++) {
			if (*op == 'b')
				fdtw_begin_node(&w, op == cases[i].ops ? "" : "n");
			else if (*op == 'e')
				fdtw_end_node(&w);
			else
				fdtw_prop_u32(&w, "x", 1);
		}
		if (fdtw_finish(&w) != -EINVAL)
			fail_msg("%s: not rejected", cases[i].what);
	}
	/* The smallest valid tree. */
	fdtw_init(&w, buf, sizeof(buf));
	fdtw_begin_node(&w, "");
	fdtw_end_node(&w);
	/* Header and reservation map, BEGIN_NODE "" (8), END_NODE, END. */
	assert_int_equal(fdtw_finish(&w), 56 + 8 + 4 + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_accepts_dtc_blobs_and_reports_totalsize),
		cmocka_unit_test(test_path_finds_nodes_by_full_name_or_name_without_unit),
		cmocka_unit_test(test_props_read_strings_cells_and_empty_values),
		cmocka_unit_test(test_prop_iteration_visits_properties_in_order),
		cmocka_unit_test(test_reg_decodes_entries_with_the_parents_cell_sizes),
		cmocka_unit_test(test_reg_count_and_cells_defaults),
		cmocka_unit_test(test_find_compatible_walks_all_matches_in_tree_order),
		cmocka_unit_test(test_find_phandle_returns_the_owning_node),
		cmocka_unit_test(test_parent_of_nodes_at_every_depth),
		cmocka_unit_test(test_children_and_siblings_in_order),
		cmocka_unit_test(test_next_node_tracks_depth_through_the_whole_tree),
		cmocka_unit_test(test_cell_helpers_read_big_endian_at_any_alignment),
		cmocka_unit_test(test_init_rejects_bad_headers),
		cmocka_unit_test(test_init_rejects_every_truncation_of_either_block),
		cmocka_unit_test(test_init_rejects_malformed_structure_blocks),
		cmocka_unit_test(test_random_corruption_never_reads_out_of_bounds),
		cmocka_unit_test(test_bad_handles_return_errors),
		cmocka_unit_test(test_writer_output_reads_back_and_decompiles_as_expected),
		cmocka_unit_test(test_writer_copy_of_a_dtc_tree_decompiles_identically),
		cmocka_unit_test(test_writer_shares_repeated_property_names),
		cmocka_unit_test(test_writer_reports_no_space_at_every_short_capacity),
		cmocka_unit_test(test_writer_errors_are_sticky),
		cmocka_unit_test(test_writer_rejects_unbalanced_trees),
	};

	return cmocka_run_group_tests(tests, setup_fixtures, teardown_fixtures);
}
