/* SPDX-License-Identifier: MIT */
/*
 * What a host test of one hypervisor file links in place of the rest of Domus
 * (tests/unit/support.c): the log, panics, spinning, and the page allocator.
 * Tests of the whole core link hyp/arch/fake instead (core_harness.h).
 */
#ifndef TESTS_SUPPORT_H
#define TESTS_SUPPORT_H

#include <domus/types.h>

/* printk's lines since the last support_reset, one string. */
extern char support_log[16384];
/* Pages handed out and not yet freed by mm_alloc_pages, mm_zalloc and their frees. */
extern long support_pages_held;
/* The allocation that many allocations from now fails (-1: none); each counts it down. */
extern int support_alloc_fail_in;
/* While set, every allocation fails. */
extern bool support_alloc_fails;

/* Empties the log and ends any failure injection (the held count stays: leaks show). */
void support_reset(void);

#endif
