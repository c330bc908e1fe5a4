/* SPDX-License-Identifier: MIT */
/* gzip / DEFLATE decompression, for gzip-compressed guest kernels. */
#ifndef DOMUS_INFLATE_H
#define DOMUS_INFLATE_H

#include <domus/types.h>

bool gzip_is_gzip(const void *src, size_t len);
/* Uncompressed size from the gzip trailer (ISIZE, modulo 2^32). */
u32 gzip_isize(const void *src, size_t len);
/*
 * Decompresses one gzip member from src into dst. Returns the number of bytes
 * written, -EINVAL for corrupt input (bad header, bad code, CRC mismatch),
 * -ENOSPC if dst is too small. Never reads or writes outside the buffers.
 */
long gunzip(const void *src, size_t srclen, void *dst, size_t dstcap);
/* Raw DEFLATE stream; *consumed gets the input bytes used. */
long inflate_raw(const void *src, size_t srclen, void *dst, size_t dstcap, size_t *consumed);
u32 crc32_update(u32 crc, const void *buf, size_t len);

#endif
