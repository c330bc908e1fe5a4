// SOURCES: hyp/arch/arm64/vgic.c hyp/arch/arm64/affinity.c tests/unit/support.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the virtual GICv3: register state as hardware shows it, and the LR flow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/mm.h>
#include <arm64/affinity.h>

#include "support.h"
#include <arm64/vgic.h>
#include <stdlib.h>
#include <string.h>

/* ---- fakes for what vgic.c calls ---- */
#define NR_LRS 4
static u64 lrs[NR_LRS];
static bool underflow;
static int kicks[4];
static bool hw_enabled[1024];

u32 arch_vgic_nr_lrs(void) { return NR_LRS; }
static unsigned int lr_reads;
u64 arch_vgic_read_lr(u32 n) { return lr_reads++, lrs[n]; }
void arch_vgic_write_lr(u32 n, u64 v) { lrs[n] = v; }
void arch_vgic_set_underflow(bool on) { underflow = on; }
u32 arch_vgic_empty_lrs(void)
{
	u32 empty = 0;

	for (u32 i = 0; i < NR_LRS; i++)
		if (vgic_lr_empty(lrs[i]))
			empty |= BIT(i);
	return empty;
}
void arch_hw_irq_enable(u32 intid, bool en) { hw_enabled[intid] = en; }
static int hw_route[256]; /* the pCPU each physical SPI was last routed to, -1: never */
void arch_hw_irq_route(u32 intid, unsigned int pcpu) { hw_route[intid] = (int)pcpu; }
void vcpu_kick(struct vcpu *v) { kicks[v->id]++; }

static struct domain dom;
static struct vcpu vcpus[3];
static struct vcpu *vcpu_ptrs[3];
static struct vgic_irq spis[64];

#define GICD 0x08000000ULL
#define GICR 0x080a0000ULL
#define LR_PENDING (1ULL << 62)
#define LR_ACTIVE (1ULL << 63)
#define LR_HW (1ULL << 61)
#define LR_EOI (1ULL << 41)

static int setup(void **state)
{
	memset(&dom, 0, sizeof(dom));
	memset(vcpus, 0, sizeof(vcpus));
	memset(lrs, 0, sizeof(lrs));
	memset(kicks, 0, sizeof(kicks));
	memset(hw_route, 0xff, sizeof(hw_route));
	underflow = false;
	dom.nr_vcpus = 3;
	dom.vcpus = vcpu_ptrs;
	for (int i = 0; i < 3; i++) {
		vcpus[i].id = i;
		vcpus[i].dom = &dom;
		vcpus[i].arch.mpidr = vcpu_affinity(i);
		vcpu_ptrs[i] = &vcpus[i];
		vgic_cpu_init(&vcpus[i]);
	}
	dom.arch.vgic.spis = spis;
	dom.arch.vgic.nr_spis = ARRAY_SIZE(spis);
	arch_vgic_setup(&dom, ipa_init(GICD), ipa_init(GICR));
	return 0;
}

static u64 dread(u64 off, u32 size)
{
	u64 v = 0xdeadbeef;

	assert_int_equal(vgic_dist_access(&vcpus[0], off, size, false, &v), 0);
	return v;
}

static void dwrite(u64 off, u32 size, u64 v)
{
	assert_int_equal(vgic_dist_access(&vcpus[0], off, size, true, &v), 0);
}

static u64 rread(int cpu, u64 off, u32 size)
{
	u64 v = 0xdeadbeef;

	assert_int_equal(vgic_rdist_access(&vcpus[0], &vcpus[cpu], off, size, false, &v), 0);
	return v;
}

static void rwrite(int cpu, u64 off, u32 size, u64 v)
{
	assert_int_equal(vgic_rdist_access(&vcpus[0], &vcpus[cpu], off, size, true, &v), 0);
}

static void test_distributor_identifies_as_gicv3_with_its_spi_count(void **state)
{
	assert_int_equal(dread(0xffe8, 4) & 0xf0, 0x30);
	/* 64 SPIs + 32 private = 96 INTIDs: ITLinesNumber 2; 10 ID bits. */
	assert_int_equal(dread(0x4, 4) & 0x1f, 2);
	assert_int_equal((dread(0x4, 4) >> 19) & 0x1f, 9);
	/* Affinity routing and a single security state are always on. */
	assert_true(dread(0x0, 4) & (1 << 4));
	assert_true(dread(0x0, 4) & (1 << 6));
}

/* Each set/clear register pair reads back what was written, as hardware does. */
static void test_set_clear_registers_read_back(void **state)
{
	static const struct {
		u64 set, clear;
	} pairs[] = { { 0x100, 0x180 }, { 0x200, 0x280 }, { 0x300, 0x380 } };

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		dwrite(pairs[i].set + 4, 4, 0x80000005);
		assert_int_equal(dread(pairs[i].set + 4, 4), 0x80000005);
		assert_int_equal(dread(pairs[i].clear + 4, 4), 0x80000005);
		dwrite(pairs[i].clear + 4, 4, 0x00000001);
		assert_int_equal(dread(pairs[i].set + 4, 4), 0x80000004);
		dwrite(pairs[i].clear + 4, 4, ~0u);
		assert_int_equal(dread(pairs[i].set + 4, 4), 0);
	}
}

static void test_private_interrupts_are_raz_wi_in_the_distributor(void **state)
{
	dwrite(0x100, 4, ~0u);
	assert_int_equal(dread(0x100, 4), 0);
	assert_false(vcpus[0].arch.vgic.priv[27].enabled);
}

static void test_spis_beyond_the_domain_read_as_zero(void **state)
{
	dwrite(0x100 + 12, 4, ~0u); /* INTIDs 96..127: none exist */
	assert_int_equal(dread(0x100 + 12, 4), 0);
}

static void test_priority_is_byte_accessible_with_five_bits(void **state)
{
	dwrite(0x400 + 40, 1, 0xff);
	assert_int_equal(dread(0x400 + 40, 1), 0xf8);
	dwrite(0x400 + 44, 4, 0x10203040);
	assert_int_equal(dread(0x400 + 44, 4), 0x10203040 & 0xf8f8f8f8);
	assert_int_equal(spis[44 - 32].priority, 0x40); /* lowest byte, lowest INTID */
}

static void test_config_sgis_are_always_edge(void **state)
{
	rwrite(0, 0x10000 + 0xc00, 4, 0);
	assert_int_equal(rread(0, 0x10000 + 0xc00, 4), 0xaaaaaaaa);
	rwrite(0, 0x10000 + 0xc04, 4, 0x00000008); /* PPI 17 edge */
	assert_int_equal(rread(0, 0x10000 + 0xc04, 4), 0x00000008);
	dwrite(0xc00 + 8, 4, 0x2); /* SPI 32 edge */
	assert_int_equal(dread(0xc00 + 8, 4), 0x2);
}

static void test_bad_widths_and_alignment_are_refused(void **state)
{
	u64 v = 0;

	assert_int_equal(vgic_dist_access(&vcpus[0], 0x100, 2, false, &v), -EINVAL);
	assert_int_equal(vgic_dist_access(&vcpus[0], 0x102, 2, true, &v), -EINVAL);
	assert_int_equal(vgic_dist_access(&vcpus[0], 0xc00, 1, false, &v), -EINVAL);
	assert_int_equal(vgic_dist_access(&vcpus[0], 0x6000 + 8 * 40, 2, false, &v), -EINVAL);
	assert_int_equal(vgic_rdist_access(&vcpus[0], &vcpus[1], 0x14, 8, false, &v), -EINVAL);
}

static void test_irouter_keeps_64_bit_and_32_bit_halves(void **state)
{
	dwrite(0x6000 + 8 * 40, 8, 0x0000000000000102ULL);
	assert_int_equal(dread(0x6000 + 8 * 40, 8), 0x102);
	dwrite(0x6000 + 8 * 40 + 4, 4, 0x7);
	assert_int_equal(dread(0x6000 + 8 * 40, 8), 0x0000000700000102ULL);
	/* Reserved bits do not stick. */
	dwrite(0x6000 + 8 * 41, 8, ~0ULL);
	assert_int_equal(dread(0x6000 + 8 * 41, 8), 0xff80ffffffULL);
}

static void test_redistributor_typer_names_each_vcpu_and_the_last(void **state)
{
	u64 t1 = rread(1, 0x8, 8), t2 = rread(2, 0x8, 8);

	assert_int_equal(t1 >> 32, 1);
	assert_int_equal((t1 >> 8) & 0xffff, 1);
	assert_false(t1 & (1 << 4));
	assert_true(t2 & (1 << 4));
	assert_int_equal(rread(2, 0xc, 4), 2);
	assert_non_null(vgic_rdist_vcpu(&dom, ipa_init(GICR + 2 * VGIC_RDIST_STRIDE + 0x10), &(u64){ 0 }));
	assert_null(vgic_rdist_vcpu(&dom, ipa_init(GICR + 3 * VGIC_RDIST_STRIDE), &(u64){ 0 }));
}

static void test_waker_handshake_follows_processor_sleep(void **state)
{
	assert_int_equal(rread(1, 0x14, 4), 6);
	rwrite(1, 0x14, 4, 0);
	assert_int_equal(rread(1, 0x14, 4), 0);
}

static void enable_spi(u32 intid, u8 prio)
{
	dwrite(0x0, 4, 2); /* group 1 on */
	dwrite(0x400 + intid, 1, prio);
	dwrite(0x100 + (intid / 32) * 4, 4, 1u << (intid % 32));
}

static void test_injected_spi_goes_to_lr_and_retires_after_eoi(void **state)
{
	enable_spi(40, 0xa0);
	arch_irq_inject(&dom, NULL, 40);
	assert_int_equal(kicks[0], 1);
	assert_true(arch_vcpu_irq_deliverable(&vcpus[0]));
	vgic_flush_lrs(&vcpus[0]);
	assert_int_equal(lrs[0] & 0xffffffff, 40);
	assert_true(lrs[0] & LR_PENDING);
	assert_int_equal((lrs[0] >> 48) & 0xff, 0xa0);
	assert_false(underflow);
	/* The guest acknowledges and EOIs: the LR goes invalid. */
	lrs[0] &= ~(LR_PENDING | LR_ACTIVE);
	vgic_sync_lrs(&vcpus[0]);
	assert_false(spis[8].pending);
	assert_false(spis[8].active);
	vgic_flush_lrs(&vcpus[0]);
	assert_null(vcpus[0].arch.vgic.ap_list);
	assert_int_equal(vcpus[0].arch.vgic.used_lrs, 0);
}

/*
 * After an exit, an LR the guest has finished with (no state, no EOI
 * maintenance to come) is known from the empty-LR summary alone, without
 * reading it: one read of ICH_ELRSR_EL2 instead of two accesses per LR.
 * One still owed an EOI exit (a level interrupt) is read and cleared.
 */
static void test_sync_reads_only_the_lrs_the_guest_has_not_finished(void **state)
{
	enable_spi(40, 0xa0);
	enable_spi(33, 0x80);
	dwrite(0xc00 + 8, 4, 1u << 17); /* 40: edge; 33: level */
	arch_irq_inject(&dom, NULL, 40);
	vgic_set_level(&dom, NULL, 33, true);
	vgic_flush_lrs(&vcpus[0]);
	assert_int_equal(vcpus[0].arch.vgic.used_lrs, 2);
	/* The guest takes and EOIs both; the line of 33 has gone low meanwhile. */
	vgic_set_level(&dom, NULL, 33, false);
	for (int i = 0; i < 2; i++)
		lrs[i] &= ~(LR_PENDING | LR_ACTIVE);
	lr_reads = 0;
	vgic_sync_lrs(&vcpus[0]);
	assert_int_equal(lr_reads, 1); /* only the level one's, with its EOI bit */
	for (int i = 0; i < 2; i++) {
		struct vgic_irq *irq = &spis[i ? 33 - 32 : 40 - 32];

		assert_false(irq->pending || irq->active || irq->in_lr);
		if ((lrs[i] & 0xffffffff) == 33)
			assert_int_equal(lrs[i], 0); /* cleared: no maintenance left to come */
	}
	assert_int_equal(vcpus[0].arch.vgic.used_lrs, 0);
}

static void test_disabled_interrupt_stays_pending_without_kick(void **state)
{
	dwrite(0x0, 4, 2);
	arch_irq_inject(&dom, NULL, 41);
	assert_int_equal(kicks[0], 0);
	assert_false(arch_vcpu_irq_deliverable(&vcpus[0]));
	assert_int_equal(dread(0x200 + 4, 4), 1u << 9);
	enable_spi(41, 0x80);
	assert_int_equal(kicks[0], 1);
}

static void test_unacknowledged_edge_survives_sync(void **state)
{
	enable_spi(42, 0x80);
	arch_irq_inject(&dom, NULL, 42);
	vgic_flush_lrs(&vcpus[0]);
	vgic_sync_lrs(&vcpus[0]); /* LR still pending: guest never saw it */
	assert_true(spis[10].pending);
	vgic_flush_lrs(&vcpus[0]);
	assert_true(lrs[0] & LR_PENDING);
}

static void test_edge_arriving_while_in_lr_is_not_lost(void **state)
{
	enable_spi(43, 0x80);
	dwrite(0xc08, 4, 1u << 23); /* edge */
	arch_irq_inject(&dom, NULL, 43);
	vgic_flush_lrs(&vcpus[0]);
	lrs[0] = (lrs[0] & ~LR_PENDING) | LR_ACTIVE; /* guest acked */
	arch_irq_inject(&dom, NULL, 43); /* a second edge from the device */
	vgic_sync_lrs(&vcpus[0]);
	assert_true(spis[11].active);
	assert_true(spis[11].pending);
}

/*
 * The event-channel upcall: a one-shot inject of a level-configured PPI. One
 * that arrives after the guest acknowledged the last (its handler has already
 * looked at evtchn_upcall_pending) must fire again after EOI, or that vCPU
 * never hears of an event again: the selector bits stay set.
 */
static void test_one_shot_level_inject_while_acknowledged_is_not_lost(void **state)
{
	struct vgic_irq *ppi = &vcpus[1].arch.vgic.priv[31];

	dwrite(0x0, 4, 2); /* group 1 on */
	rwrite(1, 0x10000 + 0x100, 4, 1u << 31); /* enable PPI 31, level by reset */
	assert_false(ppi->edge);
	arch_irq_inject(&dom, &vcpus[1], 31);
	vgic_flush_lrs(&vcpus[1]);
	assert_true(lrs[0] & LR_PENDING);
	lrs[0] = (lrs[0] & ~LR_PENDING) | LR_ACTIVE; /* guest acked */
	arch_irq_inject(&dom, &vcpus[1], 31); /* a new event from another pCPU */
	vgic_sync_lrs(&vcpus[1]);
	assert_true(ppi->active);
	assert_true(ppi->pending);
	/* Acknowledged and not injected again: nothing left pending. */
	vgic_flush_lrs(&vcpus[1]);
	lrs[0] = (lrs[0] & ~LR_PENDING) | LR_ACTIVE;
	vgic_sync_lrs(&vcpus[1]);
	assert_false(ppi->pending);
	vgic_flush_lrs(&vcpus[1]);
	lrs[0] = 0; /* guest EOId */
	vgic_sync_lrs(&vcpus[1]);
	assert_false(ppi->active);
	/* Not yet acknowledged when the vCPU exits: still pending. */
	arch_irq_inject(&dom, &vcpus[1], 31);
	vgic_flush_lrs(&vcpus[1]);
	vgic_sync_lrs(&vcpus[1]);
	assert_true(ppi->pending);
	vgic_flush_lrs(&vcpus[1]);
	assert_true(lrs[0] & LR_PENDING);
}

static void test_level_interrupt_follows_its_line_and_asks_for_eoi_exit(void **state)
{
	enable_spi(33, 0x80);
	dwrite(0xc00 + 8, 4, 0); /* level */
	vgic_set_level(&dom, NULL, 33, true);
	vgic_flush_lrs(&vcpus[0]);
	assert_true(lrs[0] & LR_PENDING);
	assert_true(lrs[0] & LR_EOI);
	lrs[0] = (lrs[0] & ~LR_PENDING) | LR_ACTIVE;
	vgic_sync_lrs(&vcpus[0]);
	/* Still high: pending again while active. */
	assert_int_equal(dread(0x200 + 4, 4) & 2, 2);
	vgic_set_level(&dom, NULL, 33, false);
	assert_int_equal(dread(0x200 + 4, 4) & 2, 0);
}

static void test_sgi_reaches_listed_targets_only(void **state)
{
	for (int c = 0; c < 3; c++)
		rwrite(c, 0x10000 + 0x100, 4, 1u << 3);
	dwrite(0x0, 4, 2);
	/* SGI 3 to Aff0 2 (target list bit 2). */
	vgic_send_sgi(&vcpus[0], (3ULL << 24) | (1 << 2), false);
	assert_false(vcpus[1].arch.vgic.priv[3].pending);
	assert_true(vcpus[2].arch.vgic.priv[3].pending);
	assert_int_equal(kicks[2], 1);
	/* IRM: everyone but the sender. */
	vgic_send_sgi(&vcpus[1], (3ULL << 24) | (1ULL << 40), false);
	assert_true(vcpus[0].arch.vgic.priv[3].pending);
	assert_false(vcpus[1].arch.vgic.priv[3].pending);
}

static void test_overflow_prefers_urgent_and_requests_underflow(void **state)
{
	static const u8 prios[] = { 0x80, 0x20, 0xa0, 0x40, 0x60, 0x10 };

	for (u32 i = 0; i < sizeof(prios); i++) {
		enable_spi(50 + i, prios[i]);
		arch_irq_inject(&dom, NULL, 50 + i);
	}
	vgic_flush_lrs(&vcpus[0]);
	assert_int_equal(vcpus[0].arch.vgic.used_lrs, NR_LRS);
	assert_true(underflow);
	assert_int_equal(lrs[0] & 0xffff, 55); /* 0x10 */
	assert_int_equal(lrs[1] & 0xffff, 51); /* 0x20 */
	assert_int_equal(lrs[2] & 0xffff, 53); /* 0x40 */
	assert_int_equal(lrs[3] & 0xffff, 54); /* 0x60 */
}

static void test_hw_interrupt_links_physical_and_is_never_pending_and_active(void **state)
{
	vcpus[0].arch.vgic.priv[27].hw = true;
	vcpus[0].arch.vgic.priv[27].pintid = 27;
	dwrite(0x0, 4, 2);
	rwrite(0, 0x10000 + 0x100, 4, 1u << 27);
	arch_irq_inject(&dom, &vcpus[0], 27);
	vgic_flush_lrs(&vcpus[0]);
	assert_true(lrs[0] & LR_HW);
	assert_int_equal((lrs[0] >> 32) & 0x1fff, 27);
	lrs[0] = (lrs[0] & ~LR_PENDING) | LR_ACTIVE;
	arch_irq_inject(&dom, &vcpus[0], 27);
	vgic_sync_lrs(&vcpus[0]);
	vgic_flush_lrs(&vcpus[0]);
	assert_true(lrs[0] & LR_ACTIVE);
	assert_false(lrs[0] & LR_PENDING);
}

static void test_enabling_a_passed_through_spi_enables_the_physical_one(void **state)
{
	assert_int_equal(arch_irq_passthrough(&dom, 48), 0);
	dwrite(0x100 + 4, 4, 1u << 16);
	assert_true(hw_enabled[48]);
	dwrite(0x180 + 4, 4, 1u << 16);
	assert_false(hw_enabled[48]);
	assert_int_equal(arch_irq_passthrough(&dom, 20), -EINVAL);
	assert_int_equal(arch_irq_passthrough(&dom, 200), -EINVAL);
}

static void test_physical_spis_follow_their_vcpu_to_another_pcpu(void **state)
{
	assert_int_equal(arch_irq_passthrough(&dom, 48), 0);
	assert_int_equal(arch_irq_passthrough(&dom, 49), 0);
	dwrite(0x6000 + 8 * 48, 8, vcpus[1].arch.mpidr);
	dwrite(0x6000 + 8 * 49, 8, vcpus[2].arch.mpidr);
	dwrite(0x6000 + 8 * 50, 8, vcpus[1].arch.mpidr); /* virtual only: no physical route */
	vcpus[1].pcpu = 5;
	arch_vcpu_moved(&vcpus[1]);
	assert_int_equal(hw_route[48], 5);
	assert_int_equal(hw_route[49], vcpus[2].pcpu); /* as its IROUTER write set it */
	assert_int_equal(hw_route[50], -1);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_distributor_identifies_as_gicv3_with_its_spi_count),
		T(test_set_clear_registers_read_back),
		T(test_private_interrupts_are_raz_wi_in_the_distributor),
		T(test_spis_beyond_the_domain_read_as_zero),
		T(test_priority_is_byte_accessible_with_five_bits),
		T(test_config_sgis_are_always_edge),
		T(test_bad_widths_and_alignment_are_refused),
		T(test_irouter_keeps_64_bit_and_32_bit_halves),
		T(test_redistributor_typer_names_each_vcpu_and_the_last),
		T(test_waker_handshake_follows_processor_sleep),
		T(test_injected_spi_goes_to_lr_and_retires_after_eoi),
		T(test_sync_reads_only_the_lrs_the_guest_has_not_finished),
		T(test_disabled_interrupt_stays_pending_without_kick),
		T(test_unacknowledged_edge_survives_sync),
		T(test_edge_arriving_while_in_lr_is_not_lost),
		T(test_one_shot_level_inject_while_acknowledged_is_not_lost),
	T(test_level_interrupt_follows_its_line_and_asks_for_eoi_exit),
		T(test_sgi_reaches_listed_targets_only),
		T(test_overflow_prefers_urgent_and_requests_underflow),
		T(test_hw_interrupt_links_physical_and_is_never_pending_and_active),
		T(test_enabling_a_passed_through_spi_enables_the_physical_one),
		T(test_physical_spis_follow_their_vcpu_to_another_pcpu),
	};

	return cmocka_run_group_tests_name("vgic", tests, NULL, NULL);
}
