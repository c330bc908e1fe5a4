/* SPDX-License-Identifier: MIT */
/*
 * A XenStore client spoken by hand over the domain's ring (Xen's struct
 * xenstore_domain_interface): a 16-byte header {type, req_id, tx_id, len}
 * and up to 4096 bytes of payload each way, notified over the store port.
 * Watch events that arrive while a reply is awaited are counted and skipped.
 */
#include "hostile.h"

struct xs_ring {
	char req[1024], rsp[1024];
	u32 req_cons, req_prod, rsp_cons, rsp_prod;
	u32 server_features, connection, error;
};

struct xs_hdr {
	u32 type, req_id, tx_id, len;
};

#define XS_READ 2
#define XS_WATCH_EVENT 15
#define REPLY_TIMEOUT_NS 5000000000UL

static volatile struct xs_ring *ring;
static u32 port;
static u32 next_req_id = 1;
/* Once xenstored has failed to answer, later requests fail at once rather than each waiting. */
static bool silent;
unsigned int xs_watch_events;

static void kick(void)
{
	struct evtchn_send s = { .port = port };

	hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &s, 0);
}

bool xs_init(u64 ring_gfn, u32 evtchn)
{
	ring = (volatile struct xs_ring *)(ring_gfn << 12);
	port = evtchn;
	return ring_gfn && evtchn;
}

/* Where in the request ring the next byte goes. */
u32 xs_req_offset(void)
{
	return ring ? ring->req_prod % sizeof(ring->req) : 0;
}

u32 xs_ring_error(void)
{
	return ring ? ring->error : 0;
}

static bool put(const void *p, u32 n)
{
	const char *c = p;
	u64 deadline = now_ns() + REPLY_TIMEOUT_NS;

	for (u32 i = 0; i < n; i++) {
		while (ring->req_prod - ring->req_cons >= sizeof(ring->req)) {
			kick();
			if (now_ns() > deadline)
				return false;
			yield();
		}
		ring->req[ring->req_prod % sizeof(ring->req)] = c[i];
		barrier_full();
		ring->req_prod++;
	}
	return true;
}

static bool get(void *p, u32 n, u64 deadline)
{
	char *c = p;

	for (u32 i = 0; i < n; i++) {
		bool told = false;

		while (ring->rsp_cons == ring->rsp_prod) {
			/* A reply longer than the ring comes in parts: say we took the last one. */
			if (!told)
				kick();
			told = true;
			if (now_ns() > deadline)
				return false;
			yield();
		}
		barrier_full();
		c[i] = ring->rsp[ring->rsp_cons % sizeof(ring->rsp)];
		barrier_full();
		ring->rsp_cons++;
	}
	kick();
	return true;
}

void xs_send_raw(u32 type, u32 tx, u32 len, const void *payload, u32 sent)
{
	struct xs_hdr h = { type, next_req_id++, tx, len };

	put(&h, sizeof(h));
	put(payload, sent);
	kick();
}

/* The next message that is not a watch event. */
bool xs_read_reply(struct xs_reply *r, u64 timeout_ns)
{
	u64 deadline = now_ns() + timeout_ns;

	for (;;) {
		struct xs_hdr h;

		if (!get(&h, sizeof(h), deadline) || h.len > 4096 || !get(r->body, h.len, deadline))
			return false;
		r->body[h.len] = 0;
		r->type = h.type;
		r->tx = h.tx_id;
		r->len = h.len;
		if (h.type != XS_WATCH_EVENT)
			return true;
		xs_watch_events++;
	}
}

bool xs_request(u32 type, u32 tx, const void *payload, u32 len, struct xs_reply *r)
{
	if (silent)
		return false;
	xs_send_raw(type, tx, len, payload, len);
	if (xs_read_reply(r, REPLY_TIMEOUT_NS))
		return true;
	silent = true;
	con_puts("hostile: xenstored stopped answering\n");
	return false;
}

/* Our domain id, as the toolstack wrote it in our home ("domid"). */
bool xenstore_read_domid(u16 *domid)
{
	static struct xs_reply r;

	if (!xs_request(XS_READ, 0, "domid", 6, &r) || r.type != XS_READ)
		return false;
	*domid = (u16)parse_long(r.body);
	return true;
}
