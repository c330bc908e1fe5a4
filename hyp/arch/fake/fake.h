/* SPDX-License-Identifier: MIT */
/*
 * The fake arch as a host test drives it: a machine of host threads standing
 * in for pCPUs, RAM at a fixed host address (a pointer is its physical
 * address), and a hook that runs a vCPU's guest until it traps.
 *
 *   test thread          pCPU threads (one each)            guest programs
 *   fake_machine_init    sched_start -> schedule()          (the test's, run by
 *   fake_machine_start   arch_guest_enter: loop {           ops->run until they
 *   ...                    flush LRs, ops->run(v) ------->   trap: HVC, SMC,
 *   fake_machine_stop      sync LRs, handle the trap <----   MMIO, WFI, WFE)
 *   fake_become_pcpu       take kicks and timer, sched_check }
 *   fake_pcpu_drain
 */
#ifndef FAKE_FAKE_H
#define FAKE_FAKE_H

#include <domus/types.h>

struct vcpu;

/* RAM lives here in the host's address space (QEMU virt's RAM base; low enough for ASan, TSan). */
#define FAKE_RAM_BASE 0x40000000ULL
#define FAKE_RAM_MAX MiB(512)
#define FAKE_MAX_CPUS 8
/* The counter runs at QEMU virt's 62.5 MHz: one tick is 16 ns of CLOCK_MONOTONIC. */
#define FAKE_COUNTER_FREQ 62500000ULL
#define FAKE_NS_PER_TICK 16
#define FAKE_NR_LRS 4
/* The host GIC's SPIs, as dom0's builder asks them. */
#define FAKE_NR_SPIS 64

/*
 * The allocation that many allocations from now fails with -ENOMEM, whoever
 * asks (-1: none; each allocation counts it down). For tests of failure paths.
 */
extern int fake_palloc_fail_in;

struct fake_guest_ops {
	/*
	 * Runs v's guest on the calling pCPU thread's behalf until it traps:
	 * returns with v->arch.trap and v->arch.regs describing the trap.
	 */
	void (*run)(struct vcpu *v);
};

enum fake_power { FAKE_POWER_ON, FAKE_POWER_OFF, FAKE_POWER_RESET };

/*
 * A fresh machine: mem_bytes of RAM (all of it the hypervisor's heap, every
 * page free and, under ASan, poisoned until allocated), nr_cpus pCPUs set up
 * but not started, pcpus/nr_pcpus set, the power on.
 */
void fake_machine_init(u64 mem_bytes, unsigned int nr_cpus, const struct fake_guest_ops *ops);
/* One host thread per pCPU, each marked online and entering sched_start(). */
void fake_machine_start(void);
/*
 * Asks every pCPU thread to leave at its next safe point (idle, or between
 * two traps: never inside a hypercall) and waits for them. false if one did
 * not leave within timeout_ms (it is stuck in the core: a hang).
 */
bool fake_machine_stop(unsigned int timeout_ms);
/* Marks every pCPU offline (after fake_machine_stop), so sched_quiesce waits for none. */
void fake_machine_offline(void);
/* Releases the RAM's pages to the host (and unpoisons them); the next init starts clean. */
void fake_machine_fini(void);

/*
 * Makes the calling thread pCPU cpu for arch_this_pcpu (or nothing: -1), to
 * set up or tear down the machine while no pCPU thread runs it.
 */
void fake_become_pcpu(int cpu);
/*
 * Runs schedule() on the adopted pCPU until it has nothing to run, so that
 * its vCPU is switched out. false if it found a vCPU to run (something was
 * not paused).
 */
bool fake_pcpu_drain(void);

/* Whether a kick (SGI_KICK) is pending for pCPU cpu; takes it. For tests of who is kicked. */
bool fake_kick_take(unsigned int cpu);

enum fake_power fake_power_state(void);
/*
 * TLB maintenance the page-table code asks of one domain's stage 2 (there
 * are no TLBs here, but a test can see what would be invalidated when):
 * counting starts afresh for domain id; the counts since.
 */
void fake_s2_tlb_count(u16 id);
void fake_s2_tlb_counts(u64 *invalidations, u64 *flushes);
/* A pCPU's list register, as the guest running there sees it. */
u64 fake_lr_read(unsigned int cpu, u32 n);
void fake_lr_write(unsigned int cpu, u32 n, u64 val);

/*
 * Something a real CPU would never let happen, seen by the fake arch.
 * Reported on stderr (the first few of each kind) and counted by kind; the
 * harness fails the test on any it does not tolerate.
 */
enum fake_violation_kind {
	FAKE_LOADED_TWICE, /* a vCPU loaded on a second pCPU: its state in two register files */
	FAKE_RESET_WHILE_LOADED, /* reset (CPU_ON) while a pCPU still holds its state */
	FAKE_SWITCH_MISMATCH, /* switched out of a pCPU it was not loaded on */
	FAKE_VIOLATION_KINDS
};
void fake_violation(enum fake_violation_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
unsigned int fake_violation_count(enum fake_violation_kind kind);

/* Each pCPU's state, the trap it is handling and every vCPU's, for a hang report. */
void fake_dump_state(void);
/* Keys typed on the console: pCPU 0 takes them as the UART's interrupt, at its next exit. */
void fake_uart_type(const char *s, size_t len);
bool fake_uart_typed(void);

#endif
