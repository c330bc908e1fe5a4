/* SPDX-License-Identifier: MIT */
/* Formatted output: the hypervisor log (console.h), formatting (printf.h), and always-on checks. */
#ifndef DOMUS_PRINTK_H
#define DOMUS_PRINTK_H

#include <domus/console.h>
#include <domus/printf.h>


/* Only for Domus' own invariants, never for guest input. */
#define BUG_ON(cond)                                                           \
	do {                                                                   \
		if (unlikely(cond))                                            \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#endif
