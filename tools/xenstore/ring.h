/* SPDX-License-Identifier: MIT */
/*
 * The XenStore ring a guest shares with xenstored (Xen's
 * xenstore_domain_interface): requests flow guest -> daemon in req[], replies
 * and watch events daemon -> guest in rsp[], with free-running indices that
 * the guest writes too and so must never be trusted.
 */
#ifndef XENSTORE_RING_H
#define XENSTORE_RING_H

#include <stddef.h>
#include <stdint.h>

#define XS_RING_SIZE 1024

struct xs_ring_page {
	char req[XS_RING_SIZE];
	char rsp[XS_RING_SIZE];
	uint32_t req_cons, req_prod;
	uint32_t rsp_cons, rsp_prod;
	uint32_t server_features;
	uint32_t connection;
	uint32_t error;
};

#define XS_CONNECTED 0
#define XS_RECONNECT 1
/* Why xenstored stopped listening to the ring (Xen's XENSTORE_ERROR_*): the connection is dead. */
#define XS_ERROR_NONE 0
#define XS_ERROR_COMM 1
#define XS_ERROR_RINGIDX 2 /* the guest's indices are impossible */
#define XS_ERROR_PROTO 3 /* a message longer than the protocol allows */

/*
 * Takes up to cap bytes of requests the guest produced. Returns the count,
 * or -EIO if the guest's indices are impossible (more than a ring's worth
 * outstanding); the caller then marks the page's error and drops the guest.
 */
long xs_ring_read(volatile struct xs_ring_page *r, void *buf, size_t cap);
/* Puts up to len bytes of reply into rsp[]; returns how many fitted, or -EIO as above. */
long xs_ring_write(volatile struct xs_ring_page *r, const void *buf, size_t len);

#endif
