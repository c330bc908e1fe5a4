/* SPDX-License-Identifier: MIT */
/* A connection's output: the replies and watch events xenstored holds until the reader takes them. */
#ifndef DOMUS_XS_OUTQ_H
#define DOMUS_XS_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/*
 * Whatever a connection does not read stays here, so each kind is bounded:
 *
 *   replies  a guest may have XS_OUTSTANDING_MAX of them not yet taken
 *            (Xen's quota-outstanding); at that count xenstored reads no
 *            more of its requests, so the guest waits, not the daemon.
 *            dom0 (its kernel and tools) is held only to XS_OUT_SOFT bytes.
 *   events   up to XS_EVENTS_MAX events or XS_EVENT_BYTES_MAX bytes wait
 *            for one connection. One identical to an event still waiting
 *            (same path and token) adds nothing, as in Xen; past the bounds
 *            an event is dropped and counted, and the reader, which missed
 *            it, re-reads what it watches at the next one.
 */
#define XS_OUTSTANDING_MAX 20
#define XS_OUT_SOFT (4 * (XS_HEADER_SIZE + XS_PAYLOAD_MAX))
#define XS_EVENTS_MAX 1024
#define XS_EVENT_BYTES_MAX (256 * 1024)

struct xs_outmsg;

struct xs_outq {
	struct xs_outmsg *head, *tail;
	size_t bytes; /* queued, not yet written */
	unsigned int replies; /* replies not yet wholly written */
	unsigned int events;
	size_t event_bytes;
	unsigned long events_dropped;
};

/* Queues a reply to req: 0, -E2BIG (a payload over 4096 bytes) or -ENOMEM. */
int xs_outq_reply(struct xs_outq *q, const struct xs_header *req, uint32_t type,
		  const void *payload, size_t len);
/* Queues a watch event: 0, 1 (the same one was waiting), -ENOSPC (dropped), -E2BIG, -ENOMEM. */
int xs_outq_event(struct xs_outq *q, const char *path, const char *token);
/* Whether the connection's next request may be handled now; guest: an unprivileged domain. */
bool xs_outq_may_read(const struct xs_outq *q, bool guest);
/* The next bytes to write (0 if none), and how many of them the ring or socket took. */
size_t xs_outq_peek(const struct xs_outq *q, const void **p);
void xs_outq_consume(struct xs_outq *q, size_t n);
void xs_outq_free(struct xs_outq *q);

#endif
