/* SPDX-License-Identifier: MIT */
/* Domain 0: memory 1:1, the kernel and initramfs from the boot modules, its devices. */
#include <domus/arch.h>
#include <domus/console.h>
#include <domus/dom0.h>
#include <domus/dom0_fdt.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/inflate.h>
#include <domus/irq.h>
#include <domus/mm.h>
#include <domus/parse.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/string.h>

#define DOM0_MEM_DEFAULT MiB(512)
#define HYP_MEM_RESERVE MiB(32) /* left free for Domus' own tables and later domains */
#define BANK_ALIGN_PAGES 512 /* 2 MiB: block mappings, and the kernel's alignment */
#define IMAGE_MAGIC 0x644d5241 /* "ARM\x64" */
#define FDT_MAX_EXTRA KiB(64)

static void *gnttab_window;

static u64 le64(const u8 *p)
{
	u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static u64 option_size(const char *name, u64 dflt)
{
	size_t len;
	const char *s = platform_option(name, &len);
	u64 v;

	if (!s)
		return dflt;
	if (parse_size(s, len, &v)) {
		printk("ignoring %s=%.*s: not a size\n", name, (int)len, s);
		return dflt;
	}
	return v;
}

/* Dom0 is mapped 1:1: each of its guest-physical addresses is the host-physical one. */
static ipa_t direct_ipa(paddr_t pa)
{
	return ipa_init(pa_addr(pa));
}

/* Dom0's RAM, identity mapped, in as few 2 MiB aligned banks as memory allows. */
static int allocate_memory(struct domain *d, u64 want)
{
	u64 left = want;

	while (left) {
		paddr_t start;
		u64 pages = mm_largest_free(BANK_ALIGN_PAGES, &start);
		u64 chunk = ALIGN_DOWN(MIN(pages * PAGE_SIZE, left), MiB(2));
		paddr_t pa;
		int rc;

		if (!chunk || d->nr_banks == DOMAIN_MAX_BANKS)
			break;
		rc = mm_alloc_guest(d->id, chunk / PAGE_SIZE, BANK_ALIGN_PAGES, &pa);
		if (rc)
			return rc;
		rc = domain_add_memory(d, direct_ipa(pa), pa, chunk);
		if (rc)
			return rc;
		left -= chunk;
	}
	if (left == want)
		return -ENOMEM;
	if (left)
		printk("d0: only %lu MiB of the %lu MiB asked for could be given\n",
		       (want - left) >> 20, want >> 20);
	return 0;
}

/* The bank the kernel goes into: the largest, so kernel, DTB and initrd fit. */
static struct mem_bank *main_bank(struct domain *d)
{
	struct mem_bank *best = &d->banks[0];

	for (u32 i = 1; i < d->nr_banks; i++)
		if (d->banks[i].size > best->size)
			best = &d->banks[i];
	return best;
}

static int load_kernel(struct domain *d, struct mem_bank *b, u64 *entry, u64 *end)
{
	const u8 *src = pa_to_va(platform.kernel.base);
	u64 len = platform.kernel.size, text_offset, image_size;
	u8 *dst;
	long n;

	if (!len)
		return -ENOENT;
	*entry = ipa_addr(b->ipa);
	dst = domain_ipa_to_va(d, b->ipa, 64);
	if (gzip_is_gzip(src, len)) {
		n = gunzip(src, len, dst, b->size);
		if (n < 0) {
			printk("d0: kernel module is not a valid gzip file (error %ld)\n", n);
			return (int)n;
		}
	} else {
		if (len > b->size)
			return -ENOSPC;
		memcpy(dst, src, len);
		n = (long)len;
	}
	if (n < 64 || (u32)le64(dst + 56) != IMAGE_MAGIC) {
		printk("d0: kernel module is not an arm64 Linux Image\n");
		return -ENOEXEC;
	}
	text_offset = le64(dst + 8);
	image_size = le64(dst + 16);
	if (!image_size) /* kernels before 3.17 */
		image_size = MiB(16);
	if (text_offset) {
		/* Old kernels want text_offset past a 2 MiB boundary. */
		if (text_offset + n > b->size)
			return -ENOSPC;
		memmove(dst + text_offset, dst, n);
		*entry += text_offset;
	}
	*end = *entry + MAX((u64)n, image_size);
	if (*end > ipa_addr(b->ipa) + b->size)
		return -ENOSPC;
	arch_cache_clean_range(dst, *end - ipa_addr(b->ipa));
	printk("d0: kernel %lu KiB%s at %#lx\n", (u64)n >> 10,
	       gzip_is_gzip(src, len) ? " (unpacked)" : "", *entry);
	return 0;
}

static int passthrough_devices(struct domain *d)
{
	const struct fdt *fdt = &platform.fdt;
	int depth = 0, rc;
	extern bool dom0_device_passthrough(const struct fdt *, int);

	for (int n = fdt_first_child(fdt, 0); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const u8 *irqs;
		u32 len;
		u64 base, size;

		if (!dom0_device_passthrough(fdt, n))
			continue;
		for (int i = 0; fdt_reg(fdt, n, i, &base, &size) == 0; i++) {
			paddr_t b = pa_init(ALIGN_DOWN(base, PAGE_SIZE));
			u64 e = ALIGN_UP(base + size, PAGE_SIZE);

			rc = arch_s2_map(d, direct_ipa(b), b, e - pa_addr(b), S2_RW | S2_DEVICE);
			/* Several virtio-mmio devices share one page: mapped once is enough. */
			if (rc && rc != -EEXIST)
				return rc;
		}
		irqs = fdt_prop(fdt, n, "interrupts", &len);
		for (u32 off = 0; irqs && off + 12 <= len; off += 12) {
			u32 type = fdt_be32(irqs + off), num = fdt_be32(irqs + off + 4);

			if (type != 0) /* only SPIs belong to devices */
				continue;
			rc = irq_assign(num + 32, d);
			if (rc)
				return rc;
		}
	}
	(void)depth;
	return 0;
}

int dom0_build(void)
{
	u64 mem = option_size("dom0_mem", DOM0_MEM_DEFAULT);
	u64 nvcpus = option_size("dom0_max_vcpus", nr_pcpus);
	u64 avail = mm_free_count() * PAGE_SIZE;
	const char *bootargs = platform.dom0_bootargs ? platform.dom0_bootargs
						      : platform.kernel_bootargs;
	u32 nr_spis = arch_gic_nr_spis();
	struct domain *d;
	struct mem_bank *b;
	u64 entry = 0, kend = 0;
	ipa_t dtb_ipa, initrd_ipa = ipa_init(0);
	void *fdt_buf;
	int fdt_size, rc;

	if (!platform.kernel.size) {
		printk("no dom0 kernel: give one with -device guest-loader,kernel=...\n");
		return -ENOENT;
	}
	if (nvcpus < 1 || nvcpus > 128) {
		printk("dom0_max_vcpus=%lu out of range 1..128; using %u\n", nvcpus, nr_pcpus);
		nvcpus = nr_pcpus;
	}
	if (nvcpus > arch_vgic_vcpus_fit(platform.gicr.size)) {
		nvcpus = arch_vgic_vcpus_fit(platform.gicr.size);
		printk("d0: the GIC's redistributor region fits %lu vCPUs\n", nvcpus);
	}
	if (mem + HYP_MEM_RESERVE > avail) {
		u64 fit = avail > HYP_MEM_RESERVE + MiB(64) ? avail - HYP_MEM_RESERVE : 0;

		printk("d0: dom0_mem=%lu MiB does not fit; giving %lu MiB\n", mem >> 20, fit >> 20);
		mem = fit;
	}
	if (mem < MiB(64)) {
		printk("d0: not enough memory for dom0\n");
		return -ENOMEM;
	}
	d = domain_create(0, "Domain-0", (u32)nvcpus, nr_spis);
	if (!d)
		return -ENOMEM;
	d->direct_map = true;
	d->privileged = true;
	d->cntvoff = 0; /* dom0 sees the host's counter, as on Xen */
	arch_vgic_setup(d, direct_ipa(platform.gicd.base), direct_ipa(platform.gicr.base));
	domain_init_vcpus(d);
	rc = allocate_memory(d, ALIGN_UP(mem, MiB(2)));
	if (rc) {
		printk("d0: cannot allocate %lu MiB: error %d\n", mem >> 20, rc);
		return rc;
	}
	b = main_bank(d);
	rc = load_kernel(d, b, &entry, &kend);
	if (rc)
		return rc;
	dtb_ipa = ipa_init(ALIGN_UP(kend, MiB(2)));
	if (platform.initrd.size) {
		initrd_ipa = ipa_add(dtb_ipa, MiB(2));
		rc = domain_copy_to_guest(d, initrd_ipa, pa_to_va(platform.initrd.base),
					  platform.initrd.size);
		if (rc) {
			printk("d0: the initramfs (%lu KiB) does not fit in dom0's memory\n",
			       platform.initrd.size >> 10);
			return rc;
		}
	}
	fdt_buf = mm_zalloc(platform.fdt.totalsize + FDT_MAX_EXTRA);
	if (!fdt_buf)
		return -ENOMEM;
	rc = passthrough_devices(d);
	if (rc) {
		printk("d0: cannot pass devices through: error %d\n", rc);
		return rc;
	}
	/*
	 * As on Xen, the UART is the hypervisor's: dom0's console is hvc0, over
	 * console_io, with VIRQ_CONSOLE for input. The grant-table window is
	 * guest-physical space dom0 can never have as RAM: hypervisor pages.
	 */
	gnttab_window = mm_alloc_pages(GNTTAB_DEFAULT_MAX_FRAMES);
	if (!gnttab_window)
		return -ENOMEM;
	fdt_size = dom0_make_fdt(d, fdt_buf, platform.fdt.totalsize + FDT_MAX_EXTRA, initrd_ipa,
				 platform.initrd.size, bootargs,
				 direct_ipa(va_to_pa(gnttab_window)));
	if (fdt_size < 0) {
		printk("d0: cannot write its device tree: error %d\n", fdt_size);
		return fdt_size;
	}
	rc = domain_copy_to_guest(d, dtb_ipa, fdt_buf, fdt_size);
	mm_free(fdt_buf, platform.fdt.totalsize + FDT_MAX_EXTRA);
	if (rc)
		return rc;
	printk("d0: %lu MiB in %u bank%s from %#lx, %u vCPUs, initrd %lu KiB at %#lx, DTB at %#lx\n",
	       d->mem_pages * PAGE_SIZE >> 20, d->nr_banks, d->nr_banks > 1 ? "s" : "",
	       ipa_addr(d->banks[0].ipa), d->nr_vcpus, platform.initrd.size >> 10,
	       ipa_addr(initrd_ipa), ipa_addr(dtb_ipa));
	printk("d0: bootargs \"%s\"\n", bootargs ? bootargs : "");
	arch_vcpu_reset(d->vcpus[0], entry, ipa_addr(dtb_ipa));
	domain_publish(d);
	return 0;
}

void dom0_start(void)
{
	struct domain *d = domain_by_id(0);

	console_set_input_domain(d);
	d->state = DOMAIN_RUNNING;
	vcpu_start(d->vcpus[0]);
}
