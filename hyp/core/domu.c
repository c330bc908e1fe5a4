/* SPDX-License-Identifier: MIT */
/*
 * Guest domains, as the toolstack in dom0 asks for them. Domus gives a new
 * domain only what is mechanism: its vCPUs, its vGIC at Xen's guest
 * addresses, event channels and a grant table, and a memory limit. Dom0
 * fills its memory (populate_physmap), loads it through foreign mappings,
 * writes its device tree, sets the first vCPU going and unpauses it.
 */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/domu.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <public/xen.h>

#define DOMU_MAX_VCPUS (GUEST_GICV3_GICR0_SIZE / GUEST_GICV3_RDIST_STRIDE)
/* SPIs a guest's vGIC has unless it asks (none are wired to devices yet; Xen's default). */
#define DOMU_NR_SPIS 32
#define DOMU_MAX_SPIS 960 /* INTIDs 32..1019 */
/* Stage-2 table pages beyond one per 2 MiB of RAM: upper levels, grant and foreign maps. */
#define DOMU_S2_TABLES_FIXED 256

int domu_create(const struct domu_params *p, domid_t *id)
{
	u32 nr_vcpus = p->nr_vcpus, nr_spis = p->nr_spis ? p->nr_spis : DOMU_NR_SPIS;
	u64 max_pages = p->max_pages;
	bool vuart = p->vuart;
	struct domain *d;
	domid_t new_id;

	if (nr_vcpus < 1 || nr_vcpus > DOMU_MAX_VCPUS || nr_spis > DOMU_MAX_SPIS)
		return -EINVAL;
	/* RAM lives in Xen's first guest bank (3 GiB); a request beyond it is refused. */
	if (max_pages < 1 || max_pages > (GUEST_RAM0_SIZE >> PAGE_SHIFT))
		return -EINVAL;
	if (max_pages > mm_free_count())
		return -ENOMEM;
	if (p->id >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	if (p->id && domain_by_id_any(p->id))
		return -EEXIST;
	new_id = p->id ? p->id : domain_free_id();
	if (new_id == DOMID_INVALID)
		return -ENOSPC;
	d = domain_create(new_id, p->name, nr_vcpus, nr_spis);
	if (!d)
		return -ENOMEM;
	d->max_pages = max_pages;
	/*
	 * Enough stage-2 table pages to map all its RAM page by page, and its
	 * grant and privcmd mappings besides; not one more. A table page maps
	 * 2 MiB at the last level.
	 */
	d->s2_table_limit = DOMU_S2_TABLES_FIXED + max_pages / 512;
	arch_vgic_setup(d, ipa_init(GUEST_GICV3_GICD_BASE), ipa_init(GUEST_GICV3_GICR0_BASE));
	domain_init_vcpus(d);
	/* A new domain has no MMIO handler yet: the UART's is the first, and cannot be refused. */
	if (vuart) {
		BUG_ON(arch_vuart_init(d));
		d->vuart = true;
	}
	domain_publish(d);
	printk("d%u: created \"%s\": %u vCPUs, up to %lu MiB%s\n", d->id, d->name, nr_vcpus,
	       max_pages >> 8, vuart ? ", an SBSA UART" : "");
	*id = d->id;
	return 0;
}

int domu_set_vcpu_context(struct domain *d, u32 vcpu, u64 pc, u64 x0)
{
	if (d->state != DOMAIN_BUILDING)
		return -EBUSY; /* only before it first runs: a running vCPU is the guest's */
	if (vcpu >= d->nr_vcpus)
		return -ENOENT;
	arch_vcpu_reset(d->vcpus[vcpu], pc, x0);
	return 0;
}

int domu_start(struct domain *d)
{
	int rc = domain_start(d);

	if (!rc)
		printk("d%u: running\n", d->id);
	return rc;
}
