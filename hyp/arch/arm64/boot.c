/* SPDX-License-Identifier: MIT */
/* Bringing up the machine: memory, EL2 state, the GIC, every pCPU, then dom0 and boot-time guests. */
#include <domus/arch.h>
#include <domus/console.h>
#include <domus/dom0.h>
#include <domus/dom0less.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <domus/platform.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/string.h>
#include <domus/uart.h>
#include "arm64.h"
#include "sysreg.h"

#define STACK_PAGES 4

extern char _start_header[], _end[], el2_vectors[], secondary_entry[];
static struct palloc heap;

static void reserve(paddr_t base, u64 size)
{
	u64 b = ALIGN_DOWN(pa_addr(base), PAGE_SIZE);
	u64 e = ALIGN_UP(pa_addr(base) + size, PAGE_SIZE);
	u64 heap_lo = pa_addr(heap.base);

	if (size && b >= heap_lo && e <= heap_lo + heap.npages * PAGE_SIZE)
		palloc_reserve_force(&heap, pa_init(b), (e - b) / PAGE_SIZE);
}

static void memory_init(paddr_t dtb, paddr_t load)
{
	u64 lo = ~0ULL, hi = 0, bitmap, image_bytes;
	u64 npages, words;

	for (u32 i = 0; i < platform.nr_ram; i++) {
		u64 base = pa_addr(platform.ram[i].base);

		lo = MIN(lo, ALIGN_UP(base, PAGE_SIZE));
		hi = MAX(hi, ALIGN_DOWN(base + platform.ram[i].size, PAGE_SIZE));
	}
	npages = (hi - lo) / PAGE_SIZE;
	words = palloc_bitmap_words(npages);
	/* The bitmap goes right after our image (bss included). */
	bitmap = ALIGN_UP(pa_addr(va_to_pa(_end)), PAGE_SIZE);
	palloc_init(&heap, pa_init(lo), npages, pa_to_va(pa_init(bitmap)));
	for (u32 i = 0; i < platform.nr_ram; i++) {
		u64 base = pa_addr(platform.ram[i].base);
		u64 b = ALIGN_UP(base, PAGE_SIZE);
		u64 e = ALIGN_DOWN(base + platform.ram[i].size, PAGE_SIZE);

		palloc_add_free(&heap, pa_init(b), (e - b) / PAGE_SIZE);
	}
	image_bytes = bitmap + words * 8 - pa_addr(load);
	reserve(load, image_bytes);
	reserve(dtb, fdt_totalsize(pa_to_va(dtb)));
	reserve(platform.kernel.base, platform.kernel.size);
	reserve(platform.initrd.base, platform.initrd.size);
	for (u32 i = 0; i < platform.nr_boot_domains; i++) {
		reserve(platform.boot_domains[i].kernel.base, platform.boot_domains[i].kernel.size);
		reserve(platform.boot_domains[i].ramdisk.base,
			platform.boot_domains[i].ramdisk.size);
	}
	mm_init(&heap);
	printk("memory: %lu MiB RAM, %lu MiB free after Domus (%lu KiB) and boot modules\n",
	       npages * PAGE_SIZE >> 20, palloc_free_count(&heap) * PAGE_SIZE >> 20,
	       image_bytes >> 10);
}

static void cpu_el2_init(struct pcpu *p)
{
	write_sysreg(tpidr_el2, p);
	write_sysreg(vbar_el2, el2_vectors);
	write_sysreg(hcr_el2, HCR_IDLE); /* no guest yet: interrupts to EL2, stage 2 off */
	/*
	 * FP/SIMD not trapped; trace registers trapped (TTA), and the activity
	 * monitors (TAM) where the CPU has them: their state is not switched, and
	 * the ID registers say neither is there (idregs.c).
	 */
	write_sysreg(cptr_el2, 0x33ff | BIT(20) |
			       (((read_sysreg(id_aa64pfr0_el1) >> 44) & 0xf) ? BIT(30) : 0));
	write_sysreg(cnthctl_el2, BIT(0)); /* EL1 reads the counter; its physical timer traps */
	write_sysreg(cntvoff_el2, 0);
	write_sysreg(cnthp_ctl_el2, 0);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(hstr_el2, 0);
	isb();
	vdebug_cpu_init(); /* MDCR_EL2: debug and PMU traps */
}

static void cpu_irqs_init(unsigned int cpu)
{
	gic_cpu_init(cpu);
	gic_enable_private(SGI_KICK);
	gic_enable_private(platform.ppi_hyp_timer);
	gic_enable_private(platform.ppi_virt_timer);
	gic_enable_private(platform.ppi_maintenance);
}

static unsigned int boot_cpu_index(void)
{
	u64 me = read_sysreg(mpidr_el1) & 0xff00ffffffULL;

	for (unsigned int i = 0; i < platform.nr_cpus; i++)
		if (platform.cpu_mpidr[i] == me)
			return i;
	return 0;
}

static void pcpus_init(void)
{
	nr_pcpus = platform.nr_cpus;
	pcpus = mm_zalloc(nr_pcpus * sizeof(*pcpus));
	BUG_ON(!pcpus);
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		u8 *stack = mm_alloc_pages(STACK_PAGES);

		BUG_ON(!stack);
		pcpus[i].id = i;
		pcpus[i].hwid = platform.cpu_mpidr[i];
		pcpus[i].stack_top = pa_addr(va_to_pa(stack + STACK_PAGES * PAGE_SIZE));
		runq_init(&pcpus[i].rq);
	}
	exitstats_init();
}

static void start_secondaries(unsigned int boot)
{
	/* Secondaries start with caches off: make what they read visible. */
	arch_cache_clean_range(_start_header, _end - _start_header);
	arch_cache_clean_range(pcpus, nr_pcpus * sizeof(*pcpus));
	for (unsigned int i = 0; i < nr_pcpus; i++) {
		int rc;

		if (i == boot)
			continue;
		rc = psci_cpu_on(pcpus[i].hwid, pa_addr(va_to_pa(secondary_entry)),
				 pa_addr(va_to_pa(&pcpus[i])));
		if (rc) {
			printk("CPU %u (MPIDR %#lx) did not start: PSCI error %d\n", i,
			       pcpus[i].hwid, rc);
			continue;
		}
		for (u64 t = arch_counter() + arch_counter_freq();
		     !READ_ONCE(pcpus[i].online) && arch_counter() < t;)
			arch_cpu_relax();
		if (!READ_ONCE(pcpus[i].online))
			printk("CPU %u did not come online within a second\n", i);
	}
}

void secondary_main(struct pcpu *p)
{
	mmu_enable_this_cpu();
	cpu_el2_init(p);
	cpu_irqs_init(p->id);
	WRITE_ONCE(p->online, true);
	sched_start();
}

void boot_main(paddr_t dtb, paddr_t load)
{
	unsigned int boot;
	int rc;

	rc = platform_parse(&platform, pa_to_va(dtb)); /* sets up the console first */
	printk("Domus hypervisor, Xen 4.17 guest interface, loaded at %#lx\n", pa_addr(load));
	if (rc)
		panic("cannot use the device tree at %#lx: error %d", pa_addr(dtb), rc);
	platform_parse_boot_domains(&platform);
	memory_init(dtb, load);
	pcpus_init();
	boot = boot_cpu_index();
	rc = mmu_init();
	if (rc)
		panic("cannot build EL2 page tables: error %d", rc);
	mmu_enable_this_cpu();
	cpu_el2_init(&pcpus[boot]);
	rc = gic_init();
	if (rc)
		panic("cannot set up the GIC: error %d", rc);
	cpu_irqs_init(boot);
	pcpus[boot].online = true;
	if (platform.uart_intid) {
		gic_enable_spi(platform.uart_intid, true, boot);
		uart_rx_irq_enable();
	}
	printk("%u CPUs, GICv3 at %#lx, %u list registers; timer PPIs virt %u hyp %u\n",
	       nr_pcpus, pa_addr(platform.gicd.base), gic_nr_lrs, platform.ppi_virt_timer,
	       platform.ppi_hyp_timer);
	start_secondaries(boot);
	/* A dom0 kernel, or nothing at all declared (and dom0_build says what is missing). */
	if (platform.kernel.size || !platform.nr_boot_domains) {
		rc = dom0_build();
		if (rc)
			printk("no dom0: error %d. Domus' console stays up (Ctrl-a x3)\n", rc);
	} else {
		rc = -ENOENT;
		printk("dom0less: no dom0 kernel: only the boot-time guests run\n");
	}
	/* Everyone built before anyone runs: as Xen, they start together. */
	dom0less_build(rc == 0);
	if (rc == 0)
		dom0_start();
	sched_start();
}
