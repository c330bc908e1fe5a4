/* SPDX-License-Identifier: MIT */
/* Ticket spinlocks on compiler atomics (host-compilable). */
#ifndef DOMUS_SPINLOCK_H
#define DOMUS_SPINLOCK_H

#include <domus/arch.h>
#include <domus/types.h>

typedef struct {
	u16 owner;
	u16 next;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }


static inline void spin_lock_init(spinlock_t *l)
{
	l->owner = 0;
	l->next = 0;
}

static inline void spin_lock(spinlock_t *l)
{
	u16 ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, (u16)(l->owner + 1), __ATOMIC_RELEASE);
}

#endif
