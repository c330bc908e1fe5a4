/* SPDX-License-Identifier: MIT */
/*
 * PSCI and SMCCC over HVC #0 and SMC #0 (arch/arm/vpsci.c, vsmc.c): the
 * versions and features, CPU_ON with bad MPIDRs and entry points,
 * AFFINITY_INFO edges, the other vCPUs brought in, then races: two vCPUs
 * turning a third on at the same moment (exactly one succeeds, the other is
 * told ALREADY_ON), and CPU_OFF/CPU_ON loops between vCPUs. SYSTEM_OFF is
 * the guest's last act (main.c). With "race" on the command line the race
 * runs until the domain is destroyed (the system test pauses, unpauses and
 * destroys it meanwhile).
 */
#include "hostile.h"

#define RACE_ROUNDS 30
#define LOOP_ROUNDS 20

static volatile u64 race_go;

static long read_mpidr(long unused)
{
	u64 v;

	(void)unused;
	asm volatile("mrs %0, mpidr_el1" : "=r"(v));
	return (long)v;
}

/* Waits (5 s) until AFFINITY_INFO says vCPU cpu is off. */
static bool wait_off(unsigned int cpu)
{
	u64 deadline = now_ns() + 5000000000UL;

	while (psci(PSCI_AFFINITY_INFO, mpidr_of(cpu), 0, 0) != PSCI_AFF_OFF) {
		if (now_ns() > deadline)
			return false;
		yield();
	}
	return true;
}

/* On vCPU 2: waits for the start signal of round r, then turns vCPU 1 on. */
static long racer(long r)
{
	while (race_go != (u64)r)
		;
	return psci(PSCI_CPU_ON, mpidr_of(1), (u64)secondary_entry, 1);
}

/* On vCPU 2: turns vCPU 1 on n times, waiting each time until it has turned itself off. */
static long looper(long n)
{
	long ok = 0;

	for (long i = 0; i < n; i++) {
		if (!wait_off(1))
			break;
		ok += psci(PSCI_CPU_ON, mpidr_of(1), (u64)secondary_entry, 1) == PSCI_SUCCESS;
	}
	return ok;
}

static void version_cases(void)
{
	struct smccc_res r;

	check_hex("PSCI_VERSION is 1.1", (u64)psci(PSCI_VERSION, 0, 0, 0), 0x10001);
	check_hex("SMCCC_VERSION is 1.1", (u64)psci(SMCCC_VERSION, 0, 0, 0), 0x10001);
	check("PSCI_FEATURES of CPU_ON", psci(PSCI_FEATURES, PSCI_CPU_ON, 0, 0), 0);
	check("PSCI_FEATURES of SMCCC_VERSION", psci(PSCI_FEATURES, SMCCC_VERSION, 0, 0), 0);
	check("PSCI_FEATURES of SYSTEM_SUSPEND", psci(PSCI_FEATURES, PSCI_SYSTEM_SUSPEND, 0, 0), PSCI_NOT_SUPPORTED);
	check("PSCI_FEATURES of 0x12345678", psci(PSCI_FEATURES, 0x12345678, 0, 0), PSCI_NOT_SUPPORTED);
	check("MIGRATE_INFO_TYPE (no trusted OS to migrate)", psci(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
	check("standard service call 0x840000ff", psci(0x840000ffUL, 0, 0, 0), -1);
	check("SiP service call 0xc2000000", psci(0xc2000000UL, 0, 0, 0), -1);
	check("SMCCC_ARCH_FEATURES of 0x80001234", psci(SMCCC_ARCH_FEATURES, 0x80001234UL, 0, 0), -1);
	check("hypervisor service call count", psci(SMCCC_HYP_CALL_COUNT, 0, 0, 0), 3);
	r = smccc(SMCCC_HYP_CALL_UID, 0, 0, 0);
	checkf("hypervisor service UID is Xen's", r.a0 == 0xdc1218a7 && r.a1 == 0x694398c6 &&
	       r.a2 == 0xd179cf9a && r.a3 == 0x67e6de8d, "a71812dc-c698-4369-9acf-79d18ddee667",
	       "%x %x %x %x", (u32)r.a0, (u32)r.a1, (u32)r.a2, (u32)r.a3);
	r = smccc(SMCCC_HYP_REVISION, 0, 0, 0);
	checkf("hypervisor service revision 0.1", r.a0 == 0 && r.a1 == 1, "0.1", "%lu.%lu", r.a0, r.a1);
	{
		u64 x0 = 0;
		struct probe p;

		probe_begin();
		asm volatile("mov x0, %1; smc #0; nop; mov %0, x0" : "=r"(x0) : "r"(PSCI_VERSION)
			     : "x0", "x1", "x2", "x3", "memory");
		p = probe_end();
		check_no_trap("SMC #0 is a firmware call too", p);
		check_hex("PSCI_VERSION over SMC #0", x0, 0x10001);
	}
	/* A NOP after each: an undefined HVC may return after itself (ELR past the HVC), or at it. */
	probe_begin();
	asm volatile("mov x0, %0; smc #1; nop" : : "r"(PSCI_VERSION) : "x0", "x1", "x2", "x3", "memory");
	check_undef("SMC #1", probe_end());
	probe_begin();
	asm volatile("mov x0, %0; hvc #1; nop" : : "r"(PSCI_VERSION) : "x0", "x1", "x2", "x3", "memory");
	check_undef("HVC #1", probe_end());
	probe_begin();
	asm volatile("mov x16, #17; mov x0, #0; hvc #0xea2; nop" : : : "x0", "x1", "x2", "x3", "x4", "x16", "memory");
	check_undef("HVC #0xea2 (not Xen's tag)", probe_end());
}

static void cpu_on_cases(void)
{
	u64 entry = (u64)secondary_entry;

	check("CPU_ON of MPIDR nr_vcpus", psci(PSCI_CPU_ON, mpidr_of(nr_cpus), entry, 1), PSCI_INVALID_PARAMETERS);
	check("CPU_ON of MPIDR 0xff", psci(PSCI_CPU_ON, 0xff, entry, 1), PSCI_INVALID_PARAMETERS);
	check("CPU_ON of MPIDR ~0", psci(PSCI_CPU_ON, ~0UL, entry, 1), PSCI_INVALID_PARAMETERS);
	check("CPU_ON of itself", psci(PSCI_CPU_ON, mpidr_of(0), entry, 0), PSCI_ALREADY_ON);
	check("AFFINITY_INFO of vCPU 1 before it starts", psci(PSCI_AFFINITY_INFO, mpidr_of(1), 0, 0), PSCI_AFF_OFF);
	check("AFFINITY_INFO of a vCPU nobody has", psci(PSCI_AFFINITY_INFO, mpidr_of(nr_cpus), 0, 0),
	      PSCI_AFF_OFF);
	check("AFFINITY_INFO at level 4", psci(PSCI_AFFINITY_INFO, 0, 4, 0), PSCI_INVALID_PARAMETERS);
	check("AFFINITY_INFO of itself", psci(PSCI_AFFINITY_INFO, mpidr_of(0), 0, 0), PSCI_AFF_ON);
	check("AFFINITY_INFO of cluster 0 (level 1)", psci(PSCI_AFFINITY_INFO, 0, 1, 0), PSCI_AFF_ON);
	check("AFFINITY_INFO of cluster 1 (level 1, empty)", psci(PSCI_AFFINITY_INFO, 0x100, 1, 0), PSCI_AFF_OFF);

	for (unsigned int c = 1; c < nr_cpus; c++) {
		char name[48];

		snfmt(name, sizeof(name), "CPU_ON of vCPU %u", c);
		check(name, smp_start(c), PSCI_SUCCESS);
		snfmt(name, sizeof(name), "vCPU %u's MPIDR_EL1", c);
		check_hex(name, (u64)smp_call(c, read_mpidr, 0), 0x80000000UL | mpidr_of(c));
	}
	check("AFFINITY_INFO of vCPU 1 once started", psci(PSCI_AFFINITY_INFO, mpidr_of(1), 0, 0), PSCI_AFF_ON);
	check("CPU_ON of vCPU 1 while it runs", psci(PSCI_CPU_ON, mpidr_of(1), entry, 1), PSCI_ALREADY_ON);
}

static void race_cases(void)
{
	unsigned int good = 0, rounds = 0;
	long r0 = 0, r2 = 0;
	bool off;

	if (nr_cpus < 3) {
		check("the race needs 3 vCPUs", nr_cpus, 3);
		return;
	}
	race_bounce = true;
	race_release = race_round = 0;
	off = smp_stop(1);
	checkf("vCPU 1 turns itself off (CPU_OFF)", off, "AFFINITY_INFO says off", "%s", off ? "off" : "still on");
	for (u64 r = 1; r <= RACE_ROUNDS; r++) {
		if (!wait_off(1))
			break;
		race_round = r;
		barrier_full();
		smp_post(2, racer, (long)r);
		race_go = r;
		r0 = psci(PSCI_CPU_ON, mpidr_of(1), (u64)secondary_entry, 1);
		if (!smp_wait(2, &r2, 5000000000UL))
			break;
		rounds++;
		good += (r0 == PSCI_SUCCESS && r2 == PSCI_ALREADY_ON) || (r0 == PSCI_ALREADY_ON && r2 == PSCI_SUCCESS);
		race_release = r;
		barrier_full();
	}
	checkf("concurrent CPU_ON of vCPU 1 from vCPUs 0 and 2: one SUCCESS, one ALREADY_ON, every round",
	       rounds == RACE_ROUNDS && good == RACE_ROUNDS, "30 of 30 rounds",
	       "%u of %u rounds (last: %ld, %ld)", good, rounds, r0, r2);
	wait_off(1);
	race_release = race_round = ~0UL >> 1;
	check("CPU_OFF/CPU_ON loop: vCPU 2 turns vCPU 1 on 20 times as it turns itself off",
	      smp_call(2, looper, LOOP_ROUNDS), LOOP_ROUNDS);
	wait_off(1);
	race_bounce = false;
	check("vCPU 1 comes back into service", smp_start(1), PSCI_SUCCESS);
}

/*
 * Last acts (main.c): CPU_ON with an entry point of a Thumb (odd) address,
 * which a 64-bit domain may not have. If the hypervisor starts the vCPU
 * anyway it spins on faults at its vector table until the domain ends.
 */
void cases_psci_last(void)
{
	unsigned int cpu = nr_cpus - 1;

	check("CPU_ON with a Thumb entry point", psci(PSCI_CPU_ON, mpidr_of(cpu), (u64)secondary_entry | 1, cpu),
	      PSCI_INVALID_ADDRESS);
}

void cases_psci(void)
{
	version_cases();
	cpu_on_cases();
	race_cases();
}

/* On vCPU 2 in the endless race: turn vCPU 1 on, again and again. */
static long hammer(long unused)
{
	(void)unused;
	for (;;) {
		psci(PSCI_CPU_ON, mpidr_of(1), (u64)secondary_entry, 1);
		yield();
	}
	return 0;
}

/* "race" on the command line: the race, until the toolstack destroys us. */
void psci_race_forever(void)
{
	u64 last = 0;

	race_forever = true;
	race_bounce = true;
	if (nr_cpus >= 3) {
		smp_start(2);
		smp_post(2, hammer, 0);
	}
	con_puts("hostile: PSCI race phase\n");
	for (;;) {
		psci(PSCI_CPU_ON, mpidr_of(1), (u64)secondary_entry, 1);
		if (race_entries - last >= 100) {
			last = race_entries;
			con_printf("hostile: race round %lu\n", last);
		}
		yield();
	}
}
