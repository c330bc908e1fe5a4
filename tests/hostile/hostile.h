/* SPDX-License-Identifier: MIT */
/*
 * The hostile guest's framework: hypercall and PSCI calls, per-vCPU state
 * and exception records, the mailbox that hands work to secondary vCPUs,
 * the console and XenStore ring clients, and the case reporter.
 *
 * The guest runs with its MMU off: pointers are guest-physical addresses and
 * every data access is Device memory (no unaligned accesses; -mstrict-align).
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen_abi.h"

/* Everything is in this one image: reach it PC-relative, never through a GOT the loader would fill. */
#pragma GCC visibility push(hidden)

/* ---- Guest-physical layout (RAM from 0x40000000; the image, then its device tree) ---- */

#define RAM_BASE 0x40000000UL
#define RAM_GFN(off) ((RAM_BASE >> 12) + (off))
/* 16 MiB of RAM for big arrays (add_to_physmap_batch's 65535 entries). */
#define SCRATCH_BASE 0x41000000UL
/* Pages the memory and grant cases give away, move or map over: the top 16 MiB. */
#define VICTIM_BASE 0x43000000UL
#define VICTIM(n) (VICTIM_BASE + (u64)(n) * PAGE_SIZE)
/* Where nothing is mapped: above a 64 MiB guest's RAM, and below all RAM. */
#define HOLE_MAP_BASE 0x48000000UL /* grant mappings land here */
#define HOLE_POPULATE_BASE 0x50000000UL /* populate_physmap tries to fill here */
#define NOWHERE 0x20000000UL /* data and instruction aborts */
#define BAD_PTR 0xdead0000UL /* hypercall pointers that point nowhere */
/* Where shared_info ends up (memory.c), for the event channel cases' pending bits. */
#define SHARED_INFO_GFN ((HOLE_MAP_BASE >> 12) + 0x800)

/* ---- Calls into the hypervisor ---- */

long hypercall5(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4);
#define hypercall(nr, a0, a1, a2) hypercall5((nr), (u64)(a0), (u64)(a1), (u64)(a2), 0, 0)

/* SMCCC over HVC #0: x0..x3 in, x0..x3 out. */
struct smccc_res {
	u64 a0, a1, a2, a3;
};
struct smccc_res smccc(u64 fid, u64 a1, u64 a2, u64 a3);
static inline s64 psci(u64 fid, u64 a1, u64 a2, u64 a3)
{
	return (s64)smccc(fid, a1, a2, a3).a0;
}

/* ---- Per-vCPU state ---- */

#define MAX_CPUS 4
#define STACK_SIZE 16384

/* What the exception vectors record about a synchronous exception. */
struct trap_rec {
	u64 esr, far, elr;
};

struct cpu {
	u64 id;
	/* Exceptions: count, the last one, and where to resume (0: the next instruction). */
	volatile u64 traps;
	volatile struct trap_rec last;
	volatile u64 resume_at;
	volatile u64 unexpected; /* traps taken outside a probe */
	volatile u64 probing;
	/* Mailbox: the primary posts fn/arg and bumps seq; the vCPU runs it and sets done = seq. */
	long (*volatile fn)(long);
	volatile long arg;
	volatile long result;
	volatile u64 seq, done;
	volatile u64 online; /* set by the vCPU itself when it enters */
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned int nr_cpus;

static inline struct cpu *this_cpu(void)
{
	u64 p;

	asm volatile("mrs %0, tpidr_el1" : "=r"(p));
	return (struct cpu *)p;
}

static inline void barrier_full(void)
{
	asm volatile("dmb sy" ::: "memory");
}

/* ---- Probing instructions that may trap ---- */

/*
 * A probe runs one instruction that may take a synchronous exception; the
 * vector records it and resumes after the instruction (or at resume_at).
 */
struct probe {
	bool trapped;
	u64 esr, far;
};

void probe_begin(void);
struct probe probe_end(void);

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_UNKNOWN 0x00
#define EC_IABT_CUR 0x21
#define EC_DABT_CUR 0x25

/* ---- Time ---- */

u64 now_ns(void);
void yield(void);

/* ---- Report ---- */

void con_init(u64 ring_gfn, u32 port);
void con_write(const char *s, size_t n);
void con_puts(const char *s);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void con_flush(void);
extern volatile void *con_ring;

/* Each check is one case and one line: "ok|FAIL <name>: <got> (want <want>)". */
bool check(const char *name, long got, long want);
bool check_hex(const char *name, u64 got, u64 want);
bool check_true(const char *name, bool ok, const char *got, const char *want);
bool check_undef(const char *name, struct probe p);
bool check_dabt(const char *name, struct probe p, u64 far);
bool check_no_trap(const char *name, struct probe p);
/* A case whose result is described by fmt; want says in words what Xen gives. */
bool checkf(const char *name, bool ok, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
extern unsigned int cases, failed;

/* ---- SMP ---- */

s64 smp_start(unsigned int cpu);
bool smp_stop(unsigned int cpu);
long smp_call(unsigned int cpu, long (*fn)(long), long arg);
void smp_post(unsigned int cpu, long (*fn)(long), long arg);
bool smp_wait(unsigned int cpu, long *result, u64 timeout_ns);
u64 mpidr_of(unsigned int cpu);
extern void secondary_entry(void);
extern char vectors[];
bool xenstore_read_domid(u16 *domid);
extern volatile bool race_forever, race_bounce;
extern volatile u64 race_round, race_release, race_entries;
void psci_race_forever(void) __attribute__((noreturn));

/* ---- XenStore over its ring ---- */

struct xs_reply {
	u32 type;
	u32 tx;
	u32 len;
	char body[4097];
};

bool xs_init(u64 ring_gfn, u32 port);
/* One request; the reply in r. false if xenstored never answered. */
bool xs_request(u32 type, u32 tx, const void *payload, u32 len, struct xs_reply *r);
/* Raw: a header claiming len, then sent bytes of payload. */
void xs_send_raw(u32 type, u32 tx, u32 len, const void *payload, u32 sent);
bool xs_read_reply(struct xs_reply *r, u64 timeout_ns);
u32 xs_ring_error(void);
u32 xs_req_offset(void);
extern unsigned int xs_watch_events;

/* ---- Small helpers ---- */

size_t str_len(const char *s);
bool str_eq(const char *a, const char *b);
bool mem_eq(const void *a, const void *b, size_t n);
void mem_set(void *p, int c, size_t n);
void mem_copy(void *d, const void *s, size_t n);
int fmt_buf(char *buf, size_t size, const char *fmt, __builtin_va_list ap);
int snfmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
long parse_long(const char *s);

/* Read and write guest memory at a physical address (MMU off: Device memory, aligned only). */
static inline u32 rd32(u64 pa)
{
	return *(volatile u32 *)pa;
}
static inline void wr32(u64 pa, u32 v)
{
	*(volatile u32 *)pa = v;
}
static inline u64 rd64(u64 pa)
{
	return *(volatile u64 *)pa;
}
static inline void wr64(u64 pa, u64 v)
{
	*(volatile u64 *)pa = v;
}
void fill_page(u64 pa, u32 seed);
bool page_has(u64 pa, u32 seed);
/* A load from pa: trapped or not. */
struct probe probe_read64(u64 pa, u64 *val);

/* ---- Device tree (what the toolstack says about this domain) ---- */

struct dt_info {
	u64 ram_base, ram_size;
	unsigned int cpus;
	const char *bootargs;
};
bool dt_parse(u64 fdt, struct dt_info *out);

/* ---- Facts gathered at start, used by the areas ---- */

struct env {
	u16 domid; /* our own id (XenStore "domid") */
	/* Domus maps our RAM with blocks (stage2_blocks=on; the command line says so), not pages. */
	bool stage2_blocks;
	u64 ram_pages;
	u32 console_port, store_port;
	u64 console_gfn, store_gfn;
};
extern struct env env;

/* ---- The areas, in the order main.c runs them ---- */

void cases_hypercall_numbers(void);
void cases_version(void);
void cases_privileged(void);
void cases_memory_stat(void);
void cases_memory(void);
void cases_memory_over_shared(u64 vcpu_info_gfn);
void cases_grant(void);
void cases_evtchn(u64 shared_info_gfn);
u64 cases_vcpu(void); /* returns the gfn of vCPU 0's vcpu_info */
void cases_sched(void);
void cases_sched_last(void);
void cases_psci(void);
void cases_psci_last(void);
void cases_sysreg(void);
void cases_mmio(void);
void cases_console(void);
void cases_console_last(void);
void cases_xenstore(void);
void cases_xenstore_last(void);
/* Stage-2 tables run out, then a split; p2m changes racing grant maps from two vCPUs. */
void cases_stage2(void);
/* "fuzz seed=S calls=N" on the command line: random hypercalls instead of the cases. */
void fuzz_main(const char *bootargs);

/* Shared between areas: grant table frame 0 mapped (grant.c), its entries writable. */
#define GNTTAB_GFN (0x38000000UL >> 12)
volatile struct grant_entry_v1 *gnttab_entries(void);
void grant_own(u32 ref, u64 gfn, u16 flags);
s16 grant_map(u32 ref, domid_t dom, u32 flags, u64 host, u32 *handle);
s16 grant_unmap(u32 handle, u64 host);
/* Grant refs other areas use for their own pages. */
#define REF_OVER_SHARED 16
#define REF_VCPU_INFO 17
#define REF_RUNSTATE 18

#pragma GCC visibility pop

#endif
