/* SPDX-License-Identifier: MIT */
/* Error messages for the caller's buffer: how the toolstack's builders say what went wrong. */
#ifndef TOOLS_ERRMSG_H
#define TOOLS_ERRMSG_H

#include <stddef.h>

/* Writes the message into err (errlen bytes, always terminated) and returns -1. */
int fail_with(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
