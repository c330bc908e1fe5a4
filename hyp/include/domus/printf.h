/* SPDX-License-Identifier: MIT */
/* Formatting into a buffer (hyp/lib/printf.c): the subset of printf the hypervisor uses. */
#ifndef DOMUS_PRINTF_H
#define DOMUS_PRINTF_H

#include <domus/types.h>
#include <stdarg.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
