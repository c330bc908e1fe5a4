/* SPDX-License-Identifier: MIT */
/* The XenStore ring: reads and writes that survive whatever the guest does to its indices. */
#include <errno.h>

#include "ring.h"

/* Indices are read once each: the guest may change them under us. */
long xs_ring_read(volatile struct xs_ring_page *r, void *buf, size_t cap)
{
	uint32_t cons = r->req_cons, prod = r->req_prod, n = 0;
	char *out = buf;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > XS_RING_SIZE)
		return -EIO;
	while (cons != prod && n < cap)
		out[n++] = r->req[cons++ % XS_RING_SIZE];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->req_cons = cons;
	return n;
}

long xs_ring_write(volatile struct xs_ring_page *r, const void *buf, size_t len)
{
	uint32_t cons = r->rsp_cons, prod = r->rsp_prod, n = 0;
	const char *in = buf;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > XS_RING_SIZE)
		return -EIO;
	while (n < len && prod - cons < XS_RING_SIZE)
		r->rsp[prod++ % XS_RING_SIZE] = in[n++];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->rsp_prod = prod;
	return n;
}
