/* SPDX-License-Identifier: MIT */
/* Numbers in text (hyp/lib/parse.c). */
#ifndef DOMUS_PARSE_H
#define DOMUS_PARSE_H

#include <domus/types.h>

/* Parses an unsigned number (decimal, or hex after 0x) with an optional K/M/G suffix. */
int parse_size(const char *s, size_t len, u64 *out);

#endif
