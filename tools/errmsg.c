/* SPDX-License-Identifier: MIT */
/* Error messages for the caller's buffer (errmsg.h). */
#include <stdarg.h>
#include <stdio.h>

#include "errmsg.h"

int fail_with(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
