/* SPDX-License-Identifier: MIT */
/*
 * Building a guest domain: the toolstack's half of domain creation, as
 * libxl does it on Arm. Domus creates an empty, paused domain; we fill its
 * RAM (populate_physmap), copy the kernel, initramfs and a device tree in
 * through foreign mappings, give it a console page and port (HVM params),
 * and point its first vCPU at the kernel.
 *
 * Guest-physical layout (Xen's): RAM from 0x40000000; the kernel at the start
 * of RAM (plus its text_offset), then the device tree and the initramfs on
 * 2 MiB boundaries; the console page at the start of the magic region.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libfdt.h>
#include <zlib.h>
#include <public/grant_table.h>
#include <public/sched.h>
#include <public/xen.h>

#include "build.h"
#include "errmsg.h"
#include "libdomus.h"

#define PAGE 4096ULL
#define MIB (1ULL << 20)
#define EXTENT_ORDER 9 /* 2 MiB */
#define FDT_SIZE (64 * 1024)
#define MAP_CHUNK_PAGES 1024 /* 4 MiB of the guest mapped at a time */
#define ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))
/*
 * Free RAM a guest needs above its initramfs for Linux to unpack it and reach
 * user space: with it, Debian's kernel and the busybox initramfs boot to a
 * shell in 64 MiB (tests/system/test_domu.py). Less is refused with the size
 * that would do, rather than left to die of out-of-memory half-way.
 */
#define KERNEL_ROOM (16 * MIB)

/* A whole file into memory, as it is. */
static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	char *buf = NULL;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && (buf = malloc(st.st_size ? (size_t)st.st_size : 1)) &&
	    fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	fclose(f);
	if (buf)
		*len = (size_t)st.st_size;
	return buf;
}

/* Fills len bytes at dst, the next ones of whatever ctx is: 0 or a negative errno. */
typedef int fill_fn(void *dst, size_t len, void *ctx);

/* Writes len bytes into the guest from addr on, through foreign mappings, as fill makes them. */
static int write_guest(uint16_t dom, uint64_t addr, size_t len, fill_fn *fill, void *ctx)
{
	while (len) {
		uint64_t gfn = addr / PAGE, off = addr % PAGE;
		size_t pages = (size_t)((off + len + PAGE - 1) / PAGE);
		size_t chunk;
		char *m;
		int r;

		if (pages > MAP_CHUNK_PAGES)
			pages = MAP_CHUNK_PAGES;
		chunk = pages * PAGE - off;
		if (chunk > len)
			chunk = len;
		m = domus_map_foreign(dom, gfn, pages);
		if (!m)
			return -errno;
		r = fill(m + off, chunk, ctx);
		domus_unmap_foreign(m, pages);
		if (r)
			return r;
		addr += chunk;
		len -= chunk;
	}
	return 0;
}

static int fill_copy(void *dst, size_t len, void *ctx)
{
	const char **src = ctx;

	memcpy(dst, *src, len);
	*src += len;
	return 0;
}

static int copy_in(uint16_t dom, uint64_t addr, const void *src, size_t len)
{
	return write_guest(dom, addr, len, fill_copy, &src);
}

/*
 * The kernel: an arm64 Image, as it is or gzip'd (Debian's vmlinuz), which
 * Linux on arm64 cannot inflate itself. A gzip'd one is inflated with zlib
 * straight into the guest's RAM, as Xen's libxenguest inflates it, but
 * without holding the 30-odd MiB in dom0 first (busybox gunzip through a
 * pipe was half of `domus create`'s time).
 */
struct kernel {
	unsigned char *file;
	size_t file_len;
	bool gz;
	z_stream z;
	unsigned char head[64]; /* the Image's header */
	size_t len; /* the Image's length (a gzip'd one: ISIZE, from the trailer) */
};

/* The next len bytes of the inflated Image; -EBADMSG if the stream is corrupt or ends early. */
static int fill_inflate(void *dst, size_t len, void *ctx)
{
	z_stream *z = ctx;

	z->next_out = dst;
	z->avail_out = (uInt)len;
	while (z->avail_out) {
		int r = inflate(z, Z_NO_FLUSH);

		if (r == Z_STREAM_END && z->avail_out)
			return -EBADMSG; /* shorter than the trailer says */
		if (r != Z_OK && r != Z_STREAM_END)
			return -EBADMSG;
	}
	return 0;
}

/* Reads the kernel and its Image header: 0, or -errno with err written. */
static int kernel_open(struct kernel *k, const char *path, char *err, size_t errlen)
{
	k->file = read_file(path, &k->file_len);
	if (!k->file)
		return fail_with(err, errlen, "kernel %s: %s", path, strerror(errno));
	k->gz = k->file_len >= 18 && k->file[0] == 0x1f && k->file[1] == 0x8b;
	if (!k->gz) {
		k->len = k->file_len;
		if (k->len >= sizeof(k->head))
			memcpy(k->head, k->file, sizeof(k->head));
	} else {
		const unsigned char *t = k->file + k->file_len - 4;

		k->len = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
		/* 16 + MAX_WBITS: a gzip wrapper, whose CRC and length zlib checks at the end. */
		if (inflateInit2(&k->z, 16 + MAX_WBITS) != Z_OK)
			return fail_with(err, errlen, "kernel %s: out of memory", path);
		k->z.next_in = k->file;
		k->z.avail_in = (uInt)k->file_len;
		if (k->len >= sizeof(k->head) && fill_inflate(k->head, sizeof(k->head), &k->z))
			return fail_with(err, errlen, "kernel %s: corrupt gzip data", path);
	}
	/* The arm64 Image header: "ARM\x64" at 56, text_offset at 8, image_size at 16. */
	if (k->len < sizeof(k->head) || memcmp(k->head + 56, "ARM\x64", 4))
		return fail_with(err, errlen, "kernel %s: not an arm64 Linux Image", path);
	return 0;
}

/* Loads the kernel at addr: 0 or a negative errno (-EBADMSG: corrupt gzip data). */
static int kernel_load(struct kernel *k, uint16_t dom, uint64_t addr)
{
	unsigned char end;
	int r;

	if (!k->gz)
		return copy_in(dom, addr, k->file, k->len);
	r = copy_in(dom, addr, k->head, sizeof(k->head));
	if (!r)
		r = write_guest(dom, addr + sizeof(k->head), k->len - sizeof(k->head), fill_inflate,
				&k->z);
	/* Every byte written: the stream must end here, its CRC and length checked. */
	k->z.next_out = &end;
	k->z.avail_out = 1;
	if (!r && inflate(&k->z, Z_FINISH) != Z_STREAM_END)
		r = -EBADMSG;
	return r;
}

static void kernel_close(struct kernel *k)
{
	if (k->gz)
		inflateEnd(&k->z);
	free(k->file);
}

/*
 * The guest's device tree is written with Debian's libfdt (its sequential
 * writer). Each call gives 0 or a negative FDT_ERR_*; DT keeps the first.
 */
#define DT(call) (err = err ? err : (call))

/* A property of 32-bit cells, given in host order. */
static int prop_cells(void *fdt, const char *name, const uint32_t *cells, int n)
{
	fdt32_t be[12];

	if (n > (int)(sizeof(be) / sizeof(be[0])))
		return -FDT_ERR_NOSPACE;
	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, be, n * (int)sizeof(be[0]));
}

static int prop_cells2(void *fdt, const char *name, uint64_t a, uint64_t b)
{
	uint32_t cells[4] = { (uint32_t)(a >> 32), (uint32_t)a, (uint32_t)(b >> 32), (uint32_t)b };

	return prop_cells(fdt, name, cells, 4);
}

/* The guest's device tree, as Xen's toolstack writes it for an Arm domU: its size, or < 0. */
static int make_fdt(const struct domu_config *c, void *fdt, uint64_t initrd, uint64_t initrd_len)
{
	static const char root_compat[] = "xen,xenvm-4.17\0xen,xenvm";
	static const char hyp_compat[] = "xen,xen-4.17\0xen,xen";
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
	enum { GIC_PHANDLE = 1 };
	uint32_t gic_reg[8] = { 0, (uint32_t)GUEST_GICV3_GICD_BASE, 0, (uint32_t)GUEST_GICV3_GICD_SIZE,
				0, (uint32_t)GUEST_GICV3_GICR0_BASE, 0,
				(uint32_t)(c->vcpus * GUEST_GICV3_RDIST_STRIDE) };
	/* Secure and non-secure physical, and virtual timers, as Xen lists them: level-low PPIs. */
	uint32_t timer_irqs[9] = { 1, 13, 0xf08, 1, 14, 0xf08, 1, 11, 0xf08 };
	uint32_t evtchn_irq[3] = { 1, GUEST_EVTCHN_PPI - 16, 0xf08 };
	char node[40];
	int err = 0;

	DT(fdt_create(fdt, FDT_SIZE));
	DT(fdt_finish_reservemap(fdt));
	DT(fdt_begin_node(fdt, ""));
	DT(fdt_property(fdt, "compatible", root_compat, sizeof(root_compat)));
	DT(fdt_property_u32(fdt, "#address-cells", 2));
	DT(fdt_property_u32(fdt, "#size-cells", 2));
	DT(fdt_property_u32(fdt, "interrupt-parent", GIC_PHANDLE));

	DT(fdt_begin_node(fdt, "chosen"));
	DT(fdt_property_string(fdt, "bootargs", c->extra));
	if (initrd_len) {
		DT(fdt_property_u64(fdt, "linux,initrd-start", initrd));
		DT(fdt_property_u64(fdt, "linux,initrd-end", initrd + initrd_len));
	}
	DT(fdt_end_node(fdt));

	DT(fdt_begin_node(fdt, "cpus"));
	DT(fdt_property_u32(fdt, "#address-cells", 1));
	DT(fdt_property_u32(fdt, "#size-cells", 0));
	for (uint32_t i = 0; i < c->vcpus; i++) {
		/* Xen's vCPU affinity: Aff0 = id % 16, Aff1 = id / 16. */
		uint32_t mpidr = ((i / 16) << 8) | (i % 16);

		snprintf(node, sizeof(node), "cpu@%x", mpidr);
		DT(fdt_begin_node(fdt, node));
		DT(fdt_property_string(fdt, "device_type", "cpu"));
		DT(fdt_property_string(fdt, "compatible", "arm,armv8"));
		DT(fdt_property_u32(fdt, "reg", mpidr));
		DT(fdt_property_string(fdt, "enable-method", "psci"));
		DT(fdt_end_node(fdt));
	}
	DT(fdt_end_node(fdt));

	DT(fdt_begin_node(fdt, "psci"));
	DT(fdt_property(fdt, "compatible", psci_compat, sizeof(psci_compat)));
	DT(fdt_property_string(fdt, "method", "hvc"));
	DT(fdt_property_u32(fdt, "cpu_off", 0x84000002));
	DT(fdt_property_u32(fdt, "cpu_on", 0xc4000003));
	DT(fdt_end_node(fdt));

	snprintf(node, sizeof(node), "memory@%llx", (unsigned long long)GUEST_RAM0_BASE);
	DT(fdt_begin_node(fdt, node));
	DT(fdt_property_string(fdt, "device_type", "memory"));
	DT(prop_cells2(fdt, "reg", GUEST_RAM0_BASE, c->memory_mib * MIB));
	DT(fdt_end_node(fdt));

	snprintf(node, sizeof(node), "interrupt-controller@%llx",
		 (unsigned long long)GUEST_GICV3_GICD_BASE);
	DT(fdt_begin_node(fdt, node));
	DT(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	DT(fdt_property_u32(fdt, "#interrupt-cells", 3));
	DT(fdt_property_u32(fdt, "#address-cells", 0));
	DT(fdt_property(fdt, "interrupt-controller", NULL, 0));
	DT(fdt_property_u32(fdt, "#redistributor-regions", 1));
	DT(prop_cells(fdt, "reg", gic_reg, 8));
	DT(fdt_property_u32(fdt, "phandle", GIC_PHANDLE));
	DT(fdt_end_node(fdt));

	DT(fdt_begin_node(fdt, "timer"));
	DT(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	DT(prop_cells(fdt, "interrupts", timer_irqs, 9));
	DT(fdt_property(fdt, "always-on", NULL, 0));
	DT(fdt_end_node(fdt));

	if (c->vuart) {
		/* Xen's vpl011: an SBSA UART, SPI 0 (GUEST_VPL011_SPI), level-high. */
		uint32_t uart_irq[3] = { 0, GUEST_VPL011_SPI - 32, 4 };

		snprintf(node, sizeof(node), "sbsa-uart@%llx", (unsigned long long)GUEST_PL011_BASE);
		DT(fdt_begin_node(fdt, node));
		DT(fdt_property_string(fdt, "compatible", "arm,sbsa-uart"));
		DT(prop_cells2(fdt, "reg", GUEST_PL011_BASE, GUEST_PL011_SIZE));
		DT(prop_cells(fdt, "interrupts", uart_irq, 3));
		DT(fdt_property_u32(fdt, "current-speed", 115200));
		DT(fdt_end_node(fdt));
	}

	DT(fdt_begin_node(fdt, "hypervisor"));
	DT(fdt_property(fdt, "compatible", hyp_compat, sizeof(hyp_compat)));
	DT(prop_cells2(fdt, "reg", GUEST_GNTTAB_BASE, GUEST_GNTTAB_SIZE));
	DT(prop_cells(fdt, "interrupts", evtchn_irq, 3));
	DT(fdt_end_node(fdt));

	DT(fdt_end_node(fdt));
	DT(fdt_finish(fdt));
	return err ? err : (int)fdt_totalsize(fdt);
}

static long seed_grant(uint16_t dom, uint32_t ref, uint64_t gfn)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_seedgrant, .domid = dom };

	ctl.u.seedgrant.ref = ref;
	ctl.u.seedgrant.grantee = 0;
	ctl.u.seedgrant.gfn = gfn;
	return domus_ctl(&ctl);
}

static int populate_ram(uint16_t dom, uint64_t mib)
{
	uint64_t n = mib * MIB >> (12 + EXTENT_ORDER), done = 0;
	uint64_t *gfns = calloc(n, sizeof(*gfns));
	uint64_t magic[DOMU_MAGIC_PAGES];
	long rc;

	if (!gfns)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		gfns[i] = (GUEST_RAM0_BASE >> 12) + (i << EXTENT_ORDER);
	while (done < n) {
		rc = domus_populate(dom, gfns + done, n - done, EXTENT_ORDER);
		if (rc <= 0)
			break;
		done += (uint64_t)rc;
	}
	free(gfns);
	if (done < n)
		return -ENOMEM;
	for (int i = 0; i < DOMU_MAGIC_PAGES; i++)
		magic[i] = (GUEST_MAGIC_BASE >> 12) + (uint64_t)i;
	return domus_populate(dom, magic, DOMU_MAGIC_PAGES, 0) == DOMU_MAGIC_PAGES ? 0 : -ENOMEM;
}

uint64_t domu_max_mem_kib(const struct domu_config *c)
{
	return c->memory_mib * 1024 + DOMU_MAGIC_PAGES * 4;
}

void domu_ram_ranges(const struct domu_config *c, struct ram_range r[2])
{
	r[0] = (struct ram_range){ GUEST_RAM0_BASE >> 12, c->memory_mib * MIB >> 12 };
	r[1] = (struct ram_range){ GUEST_MAGIC_BASE >> 12, DOMU_MAGIC_PAGES };
}

int domu_connect_magic(uint16_t dom, struct domu_built *out, char *err, size_t errlen)
{
	long r;

	out->domid = dom;
	out->records_ready = false;
	out->restored = false;
	out->guest_nodes = NULL;
	out->guest_nodes_len = 0;
	out->handover = false;
	out->watches = NULL;
	out->watches_len = 0;
	/* The console: a page at the start of the magic region and a port dom0 binds to. */
	out->console_gfn = (GUEST_MAGIC_BASE >> 12) + GUEST_CONSOLE_PFN_OFFSET;
	if ((r = domus_evtchn_alloc_unbound(dom, 0, &out->console_port)) ||
	    (r = domus_set_param(dom, HVM_PARAM_CONSOLE_PFN, out->console_gfn)) ||
	    (r = domus_set_param(dom, HVM_PARAM_CONSOLE_EVTCHN, out->console_port)))
		return fail_with(err, errlen, "cannot set up the console: %s", strerror((int)-r));
	/* XenStore: the page after the console's, and a port xenstored binds when introduced. */
	out->store_gfn = (GUEST_MAGIC_BASE >> 12) + GUEST_XENSTORE_PFN_OFFSET;
	if ((r = domus_evtchn_alloc_unbound(dom, 0, &out->store_port)) ||
	    (r = domus_set_param(dom, HVM_PARAM_STORE_PFN, out->store_gfn)) ||
	    (r = domus_set_param(dom, HVM_PARAM_STORE_EVTCHN, out->store_port)))
		return fail_with(err, errlen, "cannot set up its XenStore page: %s", strerror((int)-r));
	/* Grants of both pages to dom0, as libxc seeds them: xenstored maps ref 1. */
	if ((r = seed_grant(dom, GNTTAB_RESERVED_CONSOLE, out->console_gfn)) ||
	    (r = seed_grant(dom, GNTTAB_RESERVED_XENSTORE, out->store_gfn)))
		return fail_with(err, errlen, "cannot seed its grant table: %s", strerror((int)-r));
	return 0;
}

int domu_build(const struct domu_config *c, struct domu_built *out, char *err, size_t errlen)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_createdomain };
	struct kernel k = { 0 };
	size_t rdlen = 0;
	void *ramdisk = NULL, *fdt = calloc(1, FDT_SIZE);
	uint64_t text_offset, image_size, kaddr, dtb, initrd = 0, ram_end;
	int fdt_len, rc = -1;
	uint16_t dom;
	long r;

	if (!fdt)
		return fail_with(err, errlen, "out of memory");
	if (kernel_open(&k, c->kernel, err, errlen))
		goto out_free;
	memcpy(&text_offset, k.head + 8, 8);
	memcpy(&image_size, k.head + 16, 8);
	if (image_size < k.len) /* 0 in old kernels; never less than what is loaded */
		image_size = k.len;
	if (*c->ramdisk) {
		ramdisk = read_file(c->ramdisk, &rdlen);
		if (!ramdisk) {
			fail_with(err, errlen, "ramdisk %s: %s", c->ramdisk, strerror(errno));
			goto out_free;
		}
	}
	kaddr = GUEST_RAM0_BASE + text_offset;
	dtb = ALIGN_UP(kaddr + image_size, 2 * MIB);
	initrd = dtb + 2 * MIB;
	ram_end = GUEST_RAM0_BASE + c->memory_mib * MIB;
	if (initrd + ALIGN_UP(rdlen, PAGE) + KERNEL_ROOM > ram_end) {
		fail_with(err, errlen, "memory = %llu MiB is too small for this kernel and ramdisk "
			 "(need at least %llu MiB)", (unsigned long long)c->memory_mib,
		     (unsigned long long)ALIGN_UP(initrd + ALIGN_UP(rdlen, PAGE) + KERNEL_ROOM -
						     GUEST_RAM0_BASE, MIB) / MIB);
		goto out_free;
	}

	snprintf(ctl.u.createdomain.name, sizeof(ctl.u.createdomain.name), "%s", c->name);
	ctl.u.createdomain.nr_vcpus = c->vcpus;
	ctl.u.createdomain.max_mem_kib = domu_max_mem_kib(c);
	ctl.u.createdomain.flags = c->vuart ? DOMUS_CTL_CDF_VPL011 : 0;
	r = domus_ctl(&ctl);
	if (r) {
		fail_with(err, errlen, "cannot create the domain: %s", r == -ENOMEM ?
		     "not enough free memory in the hypervisor" : strerror((int)-r));
		goto out_free;
	}
	dom = ctl.domid;
	out->domid = dom;
	if (populate_ram(dom, c->memory_mib)) {
		fail_with(err, errlen, "not enough free memory for %llu MiB",
		     (unsigned long long)c->memory_mib);
		goto out_destroy;
	}
	fdt_len = make_fdt(c, fdt, initrd, rdlen);
	if (fdt_len < 0) {
		fail_with(err, errlen, "cannot write its device tree: %s", fdt_strerror(fdt_len));
		goto out_destroy;
	}
	r = kernel_load(&k, dom, kaddr);
	if (r == -EBADMSG) {
		fail_with(err, errlen, "kernel %s: corrupt or truncated gzip data", c->kernel);
		goto out_destroy;
	}
	if (r || (r = copy_in(dom, dtb, fdt, (size_t)fdt_len)) ||
	    (rdlen && (r = copy_in(dom, initrd, ramdisk, rdlen)))) {
		fail_with(err, errlen, "cannot load the guest's memory: %s", strerror((int)-r));
		goto out_destroy;
	}
	if (domu_connect_magic(dom, out, err, errlen))
		goto out_destroy;
	ctl = (struct domus_ctl){ .cmd = DOMUS_CTL_setvcpucontext, .domid = dom };
	ctl.u.vcpucontext.vcpu = 0;
	ctl.u.vcpucontext.pc = kaddr;
	ctl.u.vcpucontext.x0 = dtb;
	r = domus_ctl(&ctl);
	if (r) {
		fail_with(err, errlen, "cannot set vCPU 0 going: %s", strerror((int)-r));
		goto out_destroy;
	}
	rc = 0;
	goto out_free;
out_destroy:
	ctl = (struct domus_ctl){ .cmd = DOMUS_CTL_destroydomain, .domid = dom };
	domus_ctl(&ctl);
out_free:
	kernel_close(&k);
	free(ramdisk);
	free(fdt);
	return rc;
}
