/* SPDX-License-Identifier: MIT */
/* A connection's queued replies and watch events, and the bounds on them (see outq.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "outq.h"

/* One message, header and payload, as it will go out; off is how much went already. */
struct xs_outmsg {
	struct xs_outmsg *next;
	size_t len, off;
	bool event;
	uint32_t hash; /* of an event's payload: finds a duplicate without comparing each */
	char data[];
};

static struct xs_outmsg *msg_new(const struct xs_header *req, uint32_t type, const void *payload,
				 size_t len)
{
	struct xs_outmsg *m;

	if (len > XS_PAYLOAD_MAX)
		return NULL;
	m = malloc(sizeof(*m) + XS_HEADER_SIZE + len);
	if (!m)
		return NULL;
	m->next = NULL;
	m->off = 0;
	m->event = false;
	m->hash = 0;
	m->len = (size_t)xs_wire_reply(m->data, XS_HEADER_SIZE + len, req, type, payload, len);
	return m;
}

static void push(struct xs_outq *q, struct xs_outmsg *m)
{
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->bytes += m->len;
}

int xs_outq_reply(struct xs_outq *q, const struct xs_header *req, uint32_t type,
		  const void *payload, size_t len)
{
	struct xs_outmsg *m;

	if (len > XS_PAYLOAD_MAX)
		return -E2BIG;
	if (!(m = msg_new(req, type, payload, len)))
		return -ENOMEM;
	push(q, m);
	q->replies++;
	return 0;
}

/* FNV-1a */
static uint32_t hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

int xs_outq_event(struct xs_outq *q, const char *path, const char *token)
{
	static const struct xs_header none = { .type = XS_WATCH_EVENT };
	char payload[XS_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	struct xs_outmsg *m;
	uint32_t h;

	if (pl + tl > sizeof(payload))
		return -E2BIG; /* Xen does not send those either */
	memcpy(payload, path, pl);
	memcpy(payload + pl, token, tl);
	h = hash(payload, pl + tl);
	/*
	 * The same event still waiting, not begun: this one would tell the reader
	 * nothing more. "@..." events are each told, as in Xen.
	 */
	if (path[0] != '@') {
		for (m = q->head; m; m = m->next)
			if (m->event && !m->off && m->hash == h &&
			    m->len == XS_HEADER_SIZE + pl + tl &&
			    !memcmp(m->data + XS_HEADER_SIZE, payload, pl + tl))
				return 1;
	}
	if (q->events >= XS_EVENTS_MAX || q->event_bytes + XS_HEADER_SIZE + pl + tl > XS_EVENT_BYTES_MAX) {
		q->events_dropped++;
		return -ENOSPC;
	}
	if (!(m = msg_new(&none, XS_WATCH_EVENT, payload, pl + tl)))
		return -ENOMEM;
	m->event = true;
	m->hash = h;
	push(q, m);
	q->events++;
	q->event_bytes += m->len;
	return 0;
}

bool xs_outq_may_read(const struct xs_outq *q, bool guest)
{
	return guest ? q->replies < XS_OUTSTANDING_MAX : q->bytes < XS_OUT_SOFT;
}

size_t xs_outq_peek(const struct xs_outq *q, const void **p)
{
	if (!q->head)
		return 0;
	*p = q->head->data + q->head->off;
	return q->head->len - q->head->off;
}

void xs_outq_consume(struct xs_outq *q, size_t n)
{
	while (n && q->head) {
		struct xs_outmsg *m = q->head;
		size_t take = m->len - m->off < n ? m->len - m->off : n;

		m->off += take;
		q->bytes -= take;
		n -= take;
		if (m->off < m->len)
			break;
		q->head = m->next;
		if (!q->head)
			q->tail = NULL;
		if (m->event) {
			q->events--;
			q->event_bytes -= m->len;
		} else {
			q->replies--;
		}
		free(m);
	}
}

void xs_outq_free(struct xs_outq *q)
{
	while (q->head) {
		struct xs_outmsg *m = q->head;

		q->head = m->next;
		free(m);
	}
	*q = (struct xs_outq){ 0 };
}
