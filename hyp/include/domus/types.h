/* SPDX-License-Identifier: MIT */
/* Fixed-width types and the address-space typedefs used throughout Domus. */
#ifndef DOMUS_TYPES_H
#define DOMUS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/*
 * Host-physical and guest-physical (IPA) addresses are one-member structs, so
 * that the compiler refuses to pass one where the other (or a plain number) is
 * meant: dom0's 1:1 map would hide such a mix-up until a domU met it. They
 * cost nothing: a one-member struct travels in a register like its u64.
 * Hypervisor-virtual addresses stay plain numbers.
 */
typedef struct {
	u64 pa;
} paddr_t;
typedef struct {
	u64 ipa;
} ipa_t;
typedef u64 vaddr_t;

typedef u16 domid_t;
typedef u32 vcpuid_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((u64)(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define BIT(n) (1UL << (n))
#define KiB(x) ((u64)(x) << 10)
#define MiB(x) ((u64)(x) << 20)
#define GiB(x) ((u64)(x) << 30)

static inline paddr_t pa_init(u64 addr)
{
	return (paddr_t){ addr };
}

static inline u64 pa_addr(paddr_t pa)
{
	return pa.pa;
}

static inline paddr_t pa_add(paddr_t pa, u64 offset)
{
	return (paddr_t){ pa.pa + offset };
}

static inline ipa_t ipa_init(u64 addr)
{
	return (ipa_t){ addr };
}

static inline u64 ipa_addr(ipa_t ipa)
{
	return ipa.ipa;
}

static inline ipa_t ipa_add(ipa_t ipa, u64 offset)
{
	return (ipa_t){ ipa.ipa + offset };
}

/* Bytes from base to addr (addr >= base); whether addr is in [base, base + size). */
static inline u64 ipa_offset(ipa_t addr, ipa_t base)
{
	return addr.ipa - base.ipa;
}

static inline bool ipa_in_range(ipa_t addr, ipa_t base, u64 size)
{
	return addr.ipa >= base.ipa && addr.ipa - base.ipa < size;
}

/* Frame numbers: a guest's (gfn) and the machine's (mfn) are plain numbers. */
static inline u64 ipa_gfn(ipa_t ipa)
{
	return ipa.ipa >> PAGE_SHIFT;
}

static inline ipa_t gfn_ipa(u64 gfn)
{
	return (ipa_t){ gfn << PAGE_SHIFT };
}

static inline u64 pa_mfn(paddr_t pa)
{
	return pa.pa >> PAGE_SHIFT;
}

static inline paddr_t mfn_pa(u64 mfn)
{
	return (paddr_t){ mfn << PAGE_SHIFT };
}

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely(x) __builtin_expect(!!(x), 1)

#endif
