/* SPDX-License-Identifier: MIT */
/* String and memory functions: the C library's in a host program, hyp/lib/string.c at EL2. */
#ifndef DOMUS_STRING_H
#define DOMUS_STRING_H

#include <domus/types.h>

#if __STDC_HOSTED__
#include <string.h> /* a host program (tests, tools) has the C library's */
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

#endif
