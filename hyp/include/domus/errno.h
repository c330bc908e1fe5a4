/* SPDX-License-Identifier: MIT */
/* Error numbers: Linux's (and so Xen's) values, returned negated. */
#ifndef DOMUS_ERRNO_H
#define DOMUS_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define EDOM 33
#define ERANGE 34
#define ENOSYS 38
#define ENOTEMPTY 39
#define ENODATA 61
#define EOVERFLOW 75
#define EILSEQ 84
#define EOPNOTSUPP 95

/*
 * Internal, never returned to a guest: the handler did part of a long call and
 * left the rest in the vCPU's argument registers (see hypercall_dispatch).
 */
#define ERESTART 85

#endif
