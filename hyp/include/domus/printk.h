/* SPDX-License-Identifier: MIT */
/* Formatted output: the hypervisor log, panics and always-on checks. */
#ifndef DOMUS_PRINTK_H
#define DOMUS_PRINTK_H

#include <domus/types.h>
#include <stdarg.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct vcpu;
/*
 * A log line about something a guest did, prefixed "dNvM: ". Rate limited
 * per domain (a burst of 10, then 10 a second) so a guest cannot flood the
 * console; suppressed lines are counted and reported.
 */
void guest_printk(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Only for Domus' own invariants, never for guest input. */
#define BUG_ON(cond)                                                           \
	do {                                                                   \
		if (unlikely(cond))                                            \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#endif
