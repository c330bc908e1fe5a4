/* SPDX-License-Identifier: MIT */
/* String and memory helpers (libc's on the host, hyp/lib/string.c at EL2). */
#ifndef DOMUS_STRING_H
#define DOMUS_STRING_H

#include <domus/types.h>

#ifdef HOST_TEST
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#endif

/* Parses an unsigned number (decimal, or hex after 0x) with an optional K/M/G suffix. */
int parse_size(const char *s, size_t len, u64 *out);

#endif
