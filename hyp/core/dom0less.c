/* SPDX-License-Identifier: MIT */
/*
 * Boot-time guests (dom0less): Domus builds each guest the host device tree
 * declares (boot_domains.h) as the toolstack builds one for `domus create`,
 * on the same guest layout: RAM from GUEST_RAM0_BASE, the kernel at its
 * start (plus its text_offset), then the device tree and the ramdisk on
 * 2 MiB boundaries. A guest that cannot be built is said so and left out;
 * the others start.
 *
 * xen,enhanced guests get what Xen 4.17 gives them: the hypervisor node
 * (grant table, event channels), and for XenStore an unbound port toward
 * dom0 in HVM_PARAM_STORE_EVTCHN with HVM_PARAM_STORE_PFN at ~0 ("not yet"):
 * dom0's `domus introduce` later gives it its page and introduces it to
 * xenstored, as Xen's init-dom0less does. Domus seeds grant ref 1 for that
 * page now, since afterwards the grant table is the running guest's.
 */
#include <domus/arch.h>
#include <domus/boot_domains.h>
#include <domus/console.h>
#include <domus/dom0less.h>
#include <domus/domain.h>
#include <domus/domu.h>
#include <domus/domu_fdt.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/inflate.h>
#include <domus/memory_op.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/string.h>
#include <public/grant_table.h>
#include <public/xen.h>

#define IMAGE_MAGIC 0x644d5241 /* "ARM\x64" at byte 56 of an arm64 Image */
#define FDT_SIZE KiB(64)
#define SLACK MiB(32) /* RAM the kernel needs past its ramdisk to come up at all */
#define STORE_GFN ((GUEST_MAGIC_BASE >> PAGE_SHIFT) + GUEST_XENSTORE_PFN_OFFSET)

static u64 le64(const u8 *p)
{
	u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Whether a boot module lies in RAM that Domus maps (QEMU's loader may be told any address). */
static bool in_ram(const struct boot_module *m)
{
	for (u32 i = 0; i < platform.nr_ram; i++) {
		u64 b = pa_addr(platform.ram[i].base), e = b + platform.ram[i].size;

		if (pa_addr(m->base) >= b && pa_addr(m->base) < e && m->size <= e - pa_addr(m->base))
			return true;
	}
	return false;
}

/* Copies into the guest's RAM by guest-physical address, cleaned to memory (its MMU is off). */
static int load(struct domain *d, u64 ipa, const void *src, u64 len)
{
	const u8 *s = src;

	while (len) {
		u64 off = ipa & (PAGE_SIZE - 1), n = MIN(len, PAGE_SIZE - off);
		enum p2m_type type;
		paddr_t pa;
		u8 *dst;

		if (p2m_lookup(d, ipa >> PAGE_SHIFT, &pa, &type) || type != P2M_RAM)
			return -EFAULT;
		dst = (u8 *)pa_to_va(pa) + off;
		memcpy(dst, s, n);
		arch_cache_clean_range(dst, n);
		ipa += n;
		s += n;
		len -= n;
	}
	return 0;
}

/* RAM from GUEST_RAM0_BASE: 2 MiB extents, then pages for the rest. */
static int give_ram(struct domain *d, u64 pages)
{
	u64 gfn = GUEST_RAM0_BASE >> PAGE_SHIFT, end = gfn + pages;
	int rc = 0;

	while (gfn < end && !rc) {
		u32 order = end - gfn >= 512 ? 9 : 0;

		rc = memory_populate_extent(d, gfn, order);
		gfn += 1ULL << order;
	}
	return rc;
}

/*
 * The kernel as an Image in hypervisor memory: the module itself, or a
 * buffer it was unpacked into (*unpacked pages, to free). NULL: said why.
 */
static const u8 *kernel_image(const struct boot_domain *b, u64 *len, u64 *unpacked)
{
	const u8 *src = pa_to_va(b->kernel.base);
	u8 *buf;
	long n;

	*unpacked = 0;
	*len = b->kernel.size;
	if (gzip_is_gzip(src, b->kernel.size)) {
		u64 size = gzip_isize(src, b->kernel.size);

		*unpacked = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
		buf = mm_alloc_pages(*unpacked);
		if (!buf) {
			printk("dom0less: /chosen/%s: no memory to unpack its kernel (%lu KiB)\n", b->name,
			       size >> 10);
			return NULL;
		}
		n = gunzip(src, b->kernel.size, buf, *unpacked * PAGE_SIZE);
		if (n < 0) {
			printk("dom0less: /chosen/%s: kernel module is not a valid gzip file (error %ld)\n",
			       b->name, n);
			mm_free_pages(buf, *unpacked);
			return NULL;
		}
		src = buf;
		*len = (u64)n;
	}
	if (*len < 64 || (u32)le64(src + 56) != IMAGE_MAGIC) {
		printk("dom0less: /chosen/%s: kernel module is not an arm64 Linux Image\n", b->name);
		if (*unpacked)
			mm_free_pages((void *)src, *unpacked);
		return NULL;
	}
	return src;
}

/* The XenStore half of xen,enhanced: a port toward dom0, the page to come, its grant. */
static int prepare_xenstore(struct domain *d)
{
	u32 port;
	int rc = evtchn_alloc_unbound_port(d, 0, &port);

	if (rc)
		return rc;
	d->hvm_params[HVM_PARAM_STORE_EVTCHN] = port;
	d->hvm_params[HVM_PARAM_STORE_PFN] = ~0ULL; /* Linux waits on the port for it */
	return gnttab_seed(d, GNTTAB_RESERVED_XENSTORE, 0, STORE_GFN, false);
}

/* Kernel, ramdisk and device tree into d's RAM; vCPU 0 pointed at the kernel. */
static int load_guest(struct domain *d, const struct boot_domain *b, bool xenstore)
{
	u64 klen, unpacked, mem = b->mem_kib * KiB(1);
	const u8 *image = kernel_image(b, &klen, &unpacked);
	u64 text_offset, image_size, kaddr, dtb, initrd;
	struct domu_fdt_spec spec;
	void *fdt;
	int rc, size;

	if (!image)
		return -ENOEXEC;
	text_offset = le64(image + 8);
	image_size = le64(image + 16) ?: klen;
	kaddr = GUEST_RAM0_BASE + text_offset;
	dtb = ALIGN_UP(kaddr + image_size, MiB(2));
	initrd = dtb + MiB(2);
	if (initrd + ALIGN_UP(b->ramdisk.size, PAGE_SIZE) + SLACK > GUEST_RAM0_BASE + mem) {
		printk("dom0less: /chosen/%s: memory: %lu KiB is too small for this kernel and ramdisk "
		       "(about %lu MiB are needed)\n", b->name, b->mem_kib,
		       (u64)(initrd + b->ramdisk.size + SLACK - GUEST_RAM0_BASE) >> 20);
		rc = -ENOMEM;
		goto out;
	}
	spec = (struct domu_fdt_spec){ .mem_bytes = mem, .bootargs = b->bootargs,
				       .initrd_start = initrd, .initrd_size = b->ramdisk.size,
				       .vpl011 = b->vpl011,
				       .xen = b->enhanced != BOOT_ENHANCED_NONE };
	fdt = mm_zalloc(FDT_SIZE);
	rc = fdt ? 0 : -ENOMEM;
	size = fdt ? domu_make_fdt(d, &spec, fdt, FDT_SIZE) : -ENOMEM;
	if (size < 0)
		rc = size;
	rc = rc ?: load(d, kaddr, image, klen);
	rc = rc ?: load(d, dtb, fdt, (u64)size);
	if (b->ramdisk.size)
		rc = rc ?: load(d, initrd, pa_to_va(b->ramdisk.base), b->ramdisk.size);
	if (xenstore)
		rc = rc ?: prepare_xenstore(d);
	rc = rc ?: domu_set_vcpu_context(d, 0, kaddr, dtb);
	if (fdt)
		mm_free(fdt, FDT_SIZE);
	if (rc)
		printk("dom0less: /chosen/%s: cannot load it: error %d\n", b->name, rc);
out:
	if (unpacked)
		mm_free_pages((void *)image, unpacked);
	return rc;
}

/* Builds the guest b describes, paused: its id in *built. */
static int build_one(const struct boot_domain *b, bool have_dom0, domid_t *built)
{
	bool xenstore = b->enhanced == BOOT_ENHANCED_FULL;
	u64 pages = b->mem_kib / 4;
	struct domain *d;
	domid_t id;
	int rc;

	if (!in_ram(&b->kernel) || (b->ramdisk.size && !in_ram(&b->ramdisk))) {
		printk("dom0less: /chosen/%s: a module is not in RAM; not started\n", b->name);
		return -EINVAL;
	}
	if (xenstore && !have_dom0) {
		/* Only dom0 serves XenStore: what Xen refuses outright, Domus narrows. */
		printk("dom0less: /chosen/%s: xen,enhanced: no dom0 to serve XenStore; taken as "
		       "\"no-xenstore\"\n", b->name);
		xenstore = false;
	}
	/* One page more than its RAM when dom0 is to give it a XenStore page. */
	rc = domu_create(&(struct domu_params){ .name = b->name, .nr_vcpus = b->cpus,
						.max_pages = pages + xenstore, .vuart = b->vpl011,
						.nr_spis = b->nr_spis },
			 &id);
	if (rc) {
		printk("dom0less: /chosen/%s: cannot create it (%u vCPUs, %lu MiB): error %d\n", b->name,
		       b->cpus, b->mem_kib >> 10, rc);
		return rc;
	}
	d = domain_by_id(id);
	rc = give_ram(d, pages);
	if (rc)
		printk("dom0less: /chosen/%s: not enough free memory for %lu MiB\n", b->name,
		       b->mem_kib >> 10);
	rc = rc ?: load_guest(d, b, xenstore);
	if (rc) {
		domain_destroy(d);
		return rc;
	}
	*built = id;
	printk("d%u: \"%s\" built%s\n", id, b->name,
	       b->enhanced == BOOT_ENHANCED_NONE ? ""
	       : xenstore			 ? ", Xen interfaces, XenStore once dom0 introduces it"
						 : ", Xen interfaces without XenStore");
	return 0;
}

/*
 * The modules' memory goes back to the free pool once every guest is built
 * (as Xen discards its boot modules): the whole pages inside each, once for
 * modules given twice, and never a module that overlaps dom0's or overlaps
 * another in part.
 */
static bool keep_module(const struct boot_module *mods, u32 n, u32 i)
{
	u64 b = pa_addr(mods[i].base), e = b + mods[i].size;

	if (!mods[i].size || !in_ram(&mods[i]))
		return true;
	for (u32 j = 0; j < n; j++) {
		u64 ob = pa_addr(mods[j].base), oe = ob + mods[j].size;
		bool same = b == ob && e == oe;

		if (j == i || !mods[j].size || b >= oe || ob >= e)
			continue;
		if (j < 2 || !same || j < i) /* dom0's, a partial overlap, or freed already */
			return true;
	}
	return false;
}

static void release_modules(void)
{
	struct boot_module mods[2 * BOOT_DOMAINS_MAX + 2];
	u32 n = 0;

	/* Dom0's first: they stay. */
	mods[n++] = (struct boot_module){ platform.kernel.base, platform.kernel.size };
	mods[n++] = (struct boot_module){ platform.initrd.base, platform.initrd.size };
	for (u32 i = 0; i < platform.nr_boot_domains; i++) {
		mods[n++] = platform.boot_domains[i].kernel;
		mods[n++] = platform.boot_domains[i].ramdisk;
	}
	for (u32 i = 2; i < n; i++) {
		u64 b = ALIGN_UP(pa_addr(mods[i].base), PAGE_SIZE);
		u64 e = ALIGN_DOWN(pa_addr(mods[i].base) + mods[i].size, PAGE_SIZE);

		if (!keep_module(mods, n, i) && e > b)
			mm_free_pages(pa_to_va(pa_init(b)), (e - b) / PAGE_SIZE);
	}
}

void dom0less_build(bool have_dom0)
{
	domid_t ids[BOOT_DOMAINS_MAX];
	u32 built = 0, started = 0;

	for (u32 i = 0; i < platform.nr_boot_domains; i++)
		built += build_one(&platform.boot_domains[i], have_dom0, &ids[built]) == 0;
	/*
	 * Only once all are built: a guest that ended at once must not find
	 * itself the last one (and power the machine off), nor dom0's
	 * introduction miss one still being built.
	 */
	for (u32 i = 0; i < built; i++) {
		struct domain *d = domain_by_id(ids[i]);

		if (d && domu_start(d) == 0) {
			printk("d%u: \"%s\" started at boot\n", d->id, d->name);
			started++;
		}
	}
	if (platform.nr_boot_domains)
		printk("dom0less: %u of %u boot-time guests started%s\n", started,
		       platform.nr_boot_domains, have_dom0 ? "" : ", no dom0");
	release_modules();
	if (!have_dom0)
		console_focus_first_uart_guest();
}
