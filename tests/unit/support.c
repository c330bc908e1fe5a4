/* SPDX-License-Identifier: MIT */
/* The rest of Domus, as a host test of one file needs it (support.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <domus/arch.h>
#include <domus/mm.h>
#include <domus/printk.h>

#include "support.h"

char support_log[16384];
static size_t log_len;
long support_pages_held;
int support_alloc_fail_in = -1;
bool support_alloc_fails;

void support_reset(void)
{
	log_len = 0;
	support_log[0] = 0;
	support_alloc_fail_in = -1;
	support_alloc_fails = false;
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_len += vsnprintf(support_log + log_len, sizeof(support_log) - log_len, fmt, ap);
	va_end(ap);
	if (log_len >= sizeof(support_log))
		log_len = sizeof(support_log) - 1;
}

/* A bug in the code under test: say what, and end the program. */
void panic(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "PANIC: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

void arch_cpu_relax(void)
{
}

/* Zeroed, page-aligned and counted, as the hypervisor heap's. */
void *mm_alloc_pages(u64 npages)
{
	void *p;

	if (support_alloc_fails || (support_alloc_fail_in >= 0 && support_alloc_fail_in-- == 0))
		return NULL;
	p = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	if (p) {
		memset(p, 0, npages * PAGE_SIZE);
		support_pages_held += (long)npages;
	}
	return p;
}

void mm_free_pages(void *va, u64 npages)
{
	free(va);
	support_pages_held -= (long)npages;
}

void *mm_zalloc(size_t size)
{
	return mm_alloc_pages(ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
}

void mm_free(void *p, size_t size)
{
	if (p)
		mm_free_pages(p, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
}
