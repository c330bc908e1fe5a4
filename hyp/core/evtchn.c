/* SPDX-License-Identifier: MIT */
/* Xen 2-level event channels: binding ports, and raising them in the guest's shared_info. */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/evtchn.h>
#include <domus/mm.h>
#include <domus/p2m.h>
#include <domus/printk.h>
#include <domus/string.h>
#include <domus/upcall.h>
#include <public/domus_ctl.h>
#include <public/event_channel.h>

/*
 * A port's life (every change under its domain's lock):
 *
 *          alloc_unbound(R)              bind_interdomain by R
 *   FREE --------------------> UNBOUND -----------------------> INTERDOMAIN
 *    | ^                         ^                                  |
 *    | |                         +------- the peer closes its end --+
 *    | +-- close, from any state (pending bit cleared, back to vCPU 0)
 *    +---- bind_virq ---> VIRQ
 *    +---- bind_ipi ----> IPI (a send raises the port itself, on its vCPU)
 *
 * Locks, in the order taken:
 *   1. link_lock, global. Held by whatever reaches another domain's ports other
 *      than through a connected pair: bind_interdomain, close (the port may be
 *      half of a pair), alloc_unbound and status (they may name another
 *      domain) and destroy. So pairs are made and broken, and tables freed,
 *      only under it.
 *   2. The evtchn lock of the domain with the lower id, 3. the other one.
 * (domain_by_id's list lock is taken under 1, never under 2 or 3.)
 * Everything else takes its own domain's lock only. Send reaches the peer of
 * a pair holding just the sender's lock: the pair cannot break without that
 * lock, so the peer's table stays valid, and raising a port is atomic bit
 * work on the peer's shared_info that the guest does lock-free anyway. Two
 * domains sending to each other hold one lock each and never wait on each
 * other.
 */
static spinlock_t link_lock = SPINLOCK_INIT;

#define NR_PORTS EVTCHN_2L_NR_CHANNELS

/* Bit n of a bitmap the guest shares: full barriers, as Xen's guest bitops. */
static bool bit_test_and_set(u64 *map, u32 n)
{
	return __atomic_fetch_or(&map[n / 64], 1ULL << (n % 64), __ATOMIC_SEQ_CST) >> (n % 64) & 1;
}

static bool bit_test_and_clear(u64 *map, u32 n)
{
	return __atomic_fetch_and(&map[n / 64], ~(1ULL << (n % 64)), __ATOMIC_SEQ_CST) >> (n % 64) & 1;
}

static bool bit_test(u64 *map, u32 n)
{
	return __atomic_load_n(&map[n / 64], __ATOMIC_SEQ_CST) >> (n % 64) & 1;
}

/* Everything but these four is global: bound on vCPU 0, movable by bind_vcpu. */
static bool virq_is_global(u32 virq)
{
	return virq != VIRQ_TIMER && virq != VIRQ_DEBUG && virq != VIRQ_XENOPROF &&
	       virq != VIRQ_XENPMU;
}

/* Second half of delivery: the vCPU's selector bit for the port's word, then the upcall. */
static void upcall(struct vcpu *v, u32 port)
{
	struct vcpu_info *vi;

	/*
	 * No vcpu_info: the pending bit waits in shared_info. Registering a
	 * vcpu_info sets every selector bit and the upcall, as Xen does, so it is
	 * found then. A selector bit already set means an upcall is on its way.
	 */
	if (!v || !(vi = READ_ONCE(v->vcpu_info)) ||
	    bit_test_and_set(&vi->evtchn_pending_sel, port / 64))
		return;
	__atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	evtchn_notify_vcpu(v);
}

static struct vcpu *notify_vcpu(struct domain *d, struct evtchn_domain *ed, u32 port)
{
	/* Read without the owner's lock when a peer sends: either value is fine. */
	return d->vcpus[READ_ONCE(ed->port[port].notify_vcpu)];
}

static void set_pending(struct domain *d, struct evtchn_domain *ed, struct shared_info *si,
			u32 port)
{
	if (bit_test_and_set(si->evtchn_pending, port) || bit_test(si->evtchn_mask, port))
		return;
	upcall(notify_vcpu(d, ed, port), port);
}

/* d's shared_info, or NULL; events raised before it existed are moved into it first. */
static struct shared_info *shared_info(struct domain *d, struct evtchn_domain *ed)
{
	struct shared_info *si = __atomic_load_n(&d->shared_info, __ATOMIC_SEQ_CST);

	if (!si || !__atomic_exchange_n(&ed->early, false, __ATOMIC_SEQ_CST))
		return si;
	for (u32 w = 0; w < ARRAY_SIZE(ed->early_pending); w++) {
		u64 bits = __atomic_exchange_n(&ed->early_pending[w], 0, __ATOMIC_SEQ_CST);

		for (; bits; bits &= bits - 1)
			set_pending(d, ed, si, w * 64 + (u32)__builtin_ctzll(bits));
	}
	return si;
}

/* Make port pending in d and, unless the guest masked it, tell the bound vCPU. */
static void raise(struct domain *d, u32 port)
{
	struct evtchn_domain *ed = d->evtchn;
	struct shared_info *si = shared_info(d, ed);

	if (si) {
		set_pending(d, ed, si, port);
		return;
	}
	/* Xen's shared_info always exists; ours comes with the guest. Keep the bit. */
	bit_test_and_set(ed->early_pending, port);
	__atomic_store_n(&ed->early, true, __ATOMIC_SEQ_CST);
	/* The page may have arrived since the load above. */
	shared_info(d, ed);
}

static int alloc_port(struct evtchn_domain *ed)
{
	for (u32 p = 1; p < NR_PORTS; p++)
		if (ed->port[p].state == EVTCHN_FREE)
			return (int)p;
	return -ENOSPC;
}

static void free_port(struct domain *d, struct evtchn_domain *ed, u32 port)
{
	struct shared_info *si = READ_ONCE(d->shared_info);

	/* A stale pending bit would fire on whatever is bound here next. */
	bit_test_and_clear(ed->early_pending, port);
	if (si)
		bit_test_and_clear(si->evtchn_pending, port);
	ed->port[port] = (struct evtchn){ .state = EVTCHN_FREE };
}

/* The domain a guest names: DOMID_SELF is the caller. Needs link_lock for others. */
static struct domain *lookup(struct domain *self, domid_t id)
{
	struct domain *d;

	if (id == DOMID_SELF || id == self->id)
		return self;
	d = domain_by_id(id);
	return d && d->evtchn ? d : NULL;
}

static void lock_two(struct domain *a, struct domain *b)
{
	if (a->id > b->id) {
		struct domain *t = a;

		a = b;
		b = t;
	}
	spin_lock(&a->evtchn->lock);
	if (b != a)
		spin_lock(&b->evtchn->lock);
}

static void unlock_two(struct domain *a, struct domain *b)
{
	spin_unlock(&a->evtchn->lock);
	if (b != a)
		spin_unlock(&b->evtchn->lock);
}

static long alloc_unbound(struct domain *d, domid_t remote, evtchn_port_t *port)
{
	struct evtchn_domain *ed = d->evtchn;
	int p;

	spin_lock(&ed->lock);
	p = alloc_port(ed);
	if (p > 0)
		ed->port[p] = (struct evtchn){ .state = EVTCHN_UNBOUND, .remote_id = remote };
	spin_unlock(&ed->lock);
	if (p < 0)
		return p;
	*port = (u32)p;
	return 0;
}

static long op_alloc_unbound(struct domain *cur, void *arg)
{
	struct evtchn_alloc_unbound *a = arg;
	/* Like Xen, any remote id is accepted: it only names who may bind later. */
	domid_t remote = a->remote_dom == DOMID_SELF ? cur->id : a->remote_dom;
	struct domain *d;
	long rc;

	spin_lock(&link_lock);
	d = lookup(cur, a->dom);
	if (!d)
		rc = -ESRCH;
	else if (d != cur && !cur->privileged)
		rc = -EPERM;
	else
		rc = alloc_unbound(d, remote, &a->port);
	spin_unlock(&link_lock);
	return rc;
}

static long op_bind_interdomain(struct domain *ld, void *arg)
{
	struct evtchn_bind_interdomain *b = arg;
	struct domain *rd;
	struct evtchn *rchn;
	long rc = 0;
	int lport;

	spin_lock(&link_lock);
	rd = lookup(ld, b->remote_dom);
	if (!rd) {
		spin_unlock(&link_lock);
		return -ESRCH;
	}
	lock_two(ld, rd);
	rchn = b->remote_port < NR_PORTS ? &rd->evtchn->port[b->remote_port] : NULL;
	lport = alloc_port(ld->evtchn);
	if (!rchn || rchn->state != EVTCHN_UNBOUND || rchn->remote_id != ld->id) {
		rc = -EINVAL;
	} else if (lport < 0) {
		rc = lport;
	} else {
		ld->evtchn->port[lport] = (struct evtchn){ .state = EVTCHN_INTERDOMAIN,
							    .remote = rd,
							    .remote_id = rd->id,
							    .remote_port = (u16)b->remote_port };
		rchn->state = EVTCHN_INTERDOMAIN;
		rchn->remote = ld;
		rchn->remote_port = (u16)lport;
		/* Sends to the unbound end were dropped: a spurious event beats a lost one. */
		raise(ld, (u32)lport);
		b->local_port = (u32)lport;
	}
	unlock_two(ld, rd);
	spin_unlock(&link_lock);
	return rc;
}

static long op_bind_virq(struct domain *d, void *arg)
{
	struct evtchn_bind_virq *b = arg;
	struct evtchn_domain *ed = d->evtchn;
	int port;

	if (b->virq >= NR_VIRQS || (virq_is_global(b->virq) && b->vcpu != 0))
		return -EINVAL;
	if (b->vcpu >= ed->nr_vcpus || !d->vcpus[b->vcpu])
		return -ENOENT;
	spin_lock(&ed->lock);
	port = ed->virq_port[b->vcpu][b->virq] ? -EEXIST : alloc_port(ed);
	if (port > 0) {
		ed->port[port] = (struct evtchn){ .state = EVTCHN_VIRQ,
						  .virq = (u8)b->virq,
						  .notify_vcpu = (u16)b->vcpu };
		ed->virq_port[b->vcpu][b->virq] = (u16)port;
		b->port = (u32)port;
	}
	spin_unlock(&ed->lock);
	return port < 0 ? port : 0;
}

static long op_bind_vcpu(struct domain *d, void *arg)
{
	struct evtchn_bind_vcpu *b = arg;
	struct evtchn_domain *ed = d->evtchn;
	struct evtchn *chn;
	bool movable;

	if (b->vcpu >= ed->nr_vcpus || !d->vcpus[b->vcpu])
		return -ENOENT;
	if (b->port >= NR_PORTS)
		return -EINVAL;
	spin_lock(&ed->lock);
	chn = &ed->port[b->port];
	/* A per-vCPU VIRQ belongs to its vCPU; free ports have nowhere to go. */
	movable = chn->state == EVTCHN_UNBOUND || chn->state == EVTCHN_INTERDOMAIN ||
		  (chn->state == EVTCHN_VIRQ && virq_is_global(chn->virq));
	if (movable)
		WRITE_ONCE(chn->notify_vcpu, (u16)b->vcpu);
	spin_unlock(&ed->lock);
	return movable ? 0 : -EINVAL;
}

static long op_send(struct domain *d, void *arg)
{
	u32 port = ((struct evtchn_send *)arg)->port;
	struct evtchn_domain *ed = d->evtchn;
	struct evtchn *chn;
	long rc = 0;

	if (port >= NR_PORTS)
		return -EINVAL;
	spin_lock(&ed->lock);
	chn = &ed->port[port];
	if (chn->state == EVTCHN_INTERDOMAIN)
		raise(chn->remote, chn->remote_port);
	else if (chn->state == EVTCHN_IPI)
		raise(d, port);
	else if (chn->state != EVTCHN_UNBOUND) /* unbound: nobody listens, dropped as in Xen */
		rc = -EINVAL;
	spin_unlock(&ed->lock);
	return rc;
}

/* Close one port of d; link_lock held. */
static long close_port(struct domain *d, u32 port)
{
	struct evtchn_domain *ed = d->evtchn;
	struct evtchn *chn = &ed->port[port];
	struct domain *rd = d;
	long rc = 0;

	/* Only link_lock holders make or break pairs, so the peer seen here stays. */
	spin_lock(&ed->lock);
	if (chn->state == EVTCHN_INTERDOMAIN)
		rd = chn->remote;
	spin_unlock(&ed->lock);
	lock_two(d, rd);
	switch (chn->state) {
	case EVTCHN_FREE:
		rc = -EINVAL;
		break;
	case EVTCHN_VIRQ:
		ed->virq_port[virq_is_global(chn->virq) ? 0 : chn->notify_vcpu][chn->virq] = 0;
		break;
	case EVTCHN_INTERDOMAIN: {
		struct evtchn *peer = &rd->evtchn->port[chn->remote_port];

		/* The far end waits for us to connect again, as in Xen. */
		peer->state = EVTCHN_UNBOUND;
		peer->remote = NULL;
		peer->remote_id = d->id;
		break;
	}
	}
	if (!rc)
		free_port(d, ed, port);
	unlock_two(d, rd);
	return rc;
}

static long op_close(struct domain *d, void *arg)
{
	u32 port = ((struct evtchn_close *)arg)->port;
	long rc;

	if (port >= NR_PORTS)
		return -EINVAL;
	spin_lock(&link_lock);
	rc = close_port(d, port);
	spin_unlock(&link_lock);
	return rc;
}

static long op_status(struct domain *cur, void *arg)
{
	static const u32 stat[] = { [EVTCHN_FREE] = EVTCHNSTAT_closed,
				    [EVTCHN_UNBOUND] = EVTCHNSTAT_unbound,
				    [EVTCHN_INTERDOMAIN] = EVTCHNSTAT_interdomain,
				    [EVTCHN_VIRQ] = EVTCHNSTAT_virq,
				    [EVTCHN_IPI] = EVTCHNSTAT_ipi };
	struct evtchn_status *s = arg;
	struct domain *d;
	long rc = 0;

	spin_lock(&link_lock);
	d = lookup(cur, s->dom);
	if (!d) {
		rc = -ESRCH;
	} else if (d != cur && !cur->privileged) {
		rc = -EPERM;
	} else if (s->port >= NR_PORTS) {
		rc = -EINVAL;
	} else {
		struct evtchn *chn = &d->evtchn->port[s->port];

		spin_lock(&d->evtchn->lock);
		s->status = stat[chn->state];
		s->vcpu = chn->notify_vcpu;
		memset(&s->u, 0, sizeof(s->u));
		if (chn->state == EVTCHN_UNBOUND) {
			s->u.unbound.dom = chn->remote_id;
		} else if (chn->state == EVTCHN_INTERDOMAIN) {
			s->u.interdomain.dom = chn->remote_id;
			s->u.interdomain.port = chn->remote_port;
		} else if (chn->state == EVTCHN_VIRQ) {
			s->u.virq = chn->virq;
		}
		spin_unlock(&d->evtchn->lock);
	}
	spin_unlock(&link_lock);
	return rc;
}

static long op_unmask(struct domain *d, void *arg)
{
	u32 port = ((struct evtchn_unmask *)arg)->port;
	struct evtchn_domain *ed = d->evtchn;
	struct shared_info *si;

	if (port >= NR_PORTS)
		return -EINVAL;
	spin_lock(&ed->lock);
	/* Any valid port, bound or not, as in Xen: the mask is the guest's. */
	si = shared_info(d, ed);
	if (si && bit_test_and_clear(si->evtchn_mask, port) && bit_test(si->evtchn_pending, port))
		upcall(notify_vcpu(d, ed, port), port);
	spin_unlock(&ed->lock);
	return 0;
}

static long op_bind_ipi(struct domain *d, void *arg)
{
	struct evtchn_bind_ipi *b = arg;
	struct evtchn_domain *ed = d->evtchn;
	int port;

	if (b->vcpu >= ed->nr_vcpus || !d->vcpus[b->vcpu])
		return -ENOENT;
	spin_lock(&ed->lock);
	port = alloc_port(ed);
	if (port > 0)
		ed->port[port] = (struct evtchn){ .state = EVTCHN_IPI, .notify_vcpu = (u16)b->vcpu };
	spin_unlock(&ed->lock);
	if (port < 0)
		return port;
	b->port = (u32)port;
	return 0;
}

/* Domus gives no domain a physical IRQ: every pirq is out of its range (Xen: -EINVAL). */
static long op_bind_pirq(struct domain *d, void *arg)
{
	return -EINVAL;
}

/*
 * Closes every port of a domain (common/event_channel.c evtchn_reset): the
 * caller's own, or, for dom0, one the toolstack has paused (else -EINVAL).
 */
static long op_reset(struct domain *cur, void *arg)
{
	struct domain *d;
	long rc = 0;

	spin_lock(&link_lock);
	d = lookup(cur, ((struct evtchn_reset *)arg)->dom);
	if (!d)
		rc = -ESRCH;
	else if (d != cur && !cur->privileged)
		rc = -EPERM;
	else if (d != cur && READ_ONCE(d->state) != DOMAIN_PAUSED)
		rc = -EINVAL;
	for (u32 p = 1; !rc && p < NR_PORTS; p++)
		if (d->evtchn->port[p].state != EVTCHN_FREE)
			close_port(d, p);
	spin_unlock(&link_lock);
	return rc;
}

/*
 * The FIFO ABI is not offered: init_control is refused after Xen's own checks
 * (common/event_fifo.c), so a guest that would be refused there hears the
 * same, and one that would not falls back to 2-level (-ENOSYS, as Linux
 * expects of a hypervisor without FIFO); without FIFO, expand_array is
 * -EOPNOTSUPP and set_priority of a port -ENOSYS.
 */
static long op_init_control(struct domain *d, void *arg)
{
	struct evtchn_init_control *c = arg;
	enum p2m_type type;
	paddr_t pa;

	if (c->vcpu >= d->nr_vcpus || !d->vcpus[c->vcpu])
		return -ENOENT;
	if (c->offset > PAGE_SIZE - EVTCHN_FIFO_CONTROL_BLOCK_SIZE || !IS_ALIGNED(c->offset, 8))
		return -EINVAL;
	if (p2m_lookup(d, c->control_gfn, &pa, &type) || type != P2M_RAM)
		return -EINVAL;
	return -ENOSYS;
}

static long op_expand_array(struct domain *d, void *arg)
{
	return -EOPNOTSUPP;
}

static long op_set_priority(struct domain *d, void *arg)
{
	return ((struct evtchn_set_priority *)arg)->port < NR_PORTS ? -ENOSYS : -EINVAL;
}

/* Indexed by EVTCHNOP_*; a hole is an op Xen does not have either. */
static const struct {
	long size;
	long (*fn)(struct domain *d, void *arg);
} ops[] = {
	[EVTCHNOP_bind_interdomain] = { sizeof(struct evtchn_bind_interdomain), op_bind_interdomain },
	[EVTCHNOP_bind_virq] = { sizeof(struct evtchn_bind_virq), op_bind_virq },
	[EVTCHNOP_close] = { sizeof(struct evtchn_close), op_close },
	[EVTCHNOP_send] = { sizeof(struct evtchn_send), op_send },
	[EVTCHNOP_status] = { sizeof(struct evtchn_status), op_status },
	[EVTCHNOP_alloc_unbound] = { sizeof(struct evtchn_alloc_unbound), op_alloc_unbound },
	[EVTCHNOP_bind_vcpu] = { sizeof(struct evtchn_bind_vcpu), op_bind_vcpu },
	[EVTCHNOP_unmask] = { sizeof(struct evtchn_unmask), op_unmask },
	[EVTCHNOP_bind_ipi] = { sizeof(struct evtchn_bind_ipi), op_bind_ipi },
	[EVTCHNOP_bind_pirq] = { sizeof(struct evtchn_bind_pirq), op_bind_pirq },
	[EVTCHNOP_reset] = { sizeof(struct evtchn_reset), op_reset },
	[EVTCHNOP_init_control] = { sizeof(struct evtchn_init_control), op_init_control },
	[EVTCHNOP_expand_array] = { sizeof(struct evtchn_expand_array), op_expand_array },
	[EVTCHNOP_set_priority] = { sizeof(struct evtchn_set_priority), op_set_priority },
};

long evtchn_op_size(int cmd)
{
	if (cmd < 0 || (unsigned int)cmd >= ARRAY_SIZE(ops) || !ops[cmd].fn)
		return -ENOSYS;
	return ops[cmd].size;
}

long evtchn_op(struct vcpu *v, int cmd, void *arg)
{
	if (evtchn_op_size(cmd) < 0 || !v->dom->evtchn)
		return -ENOSYS;
	return ops[cmd].fn(v->dom, arg);
}

static int send_virq(struct domain *d, u32 vcpu, u32 virq)
{
	struct evtchn_domain *ed = d->evtchn;
	u16 port;

	if (!ed || virq >= NR_VIRQS || vcpu >= ed->nr_vcpus)
		return -EINVAL;
	spin_lock(&ed->lock);
	port = ed->virq_port[virq_is_global(virq) ? 0 : vcpu][virq];
	if (port)
		raise(d, port);
	spin_unlock(&ed->lock);
	return port ? 0 : -ENOENT;
}

int evtchn_send_virq(struct domain *d, u32 virq)
{
	return send_virq(d, 0, virq);
}

int evtchn_send_vcpu_virq(struct vcpu *v, u32 virq)
{
	return send_virq(v->dom, v->id, virq);
}

int evtchn_alloc_unbound_port(struct domain *d, domid_t remote, u32 *port)
{
	long rc = -ESRCH;

	spin_lock(&link_lock);
	if (d->evtchn)
		rc = alloc_unbound(d, remote, port);
	spin_unlock(&link_lock);
	return (int)rc;
}

void evtchn_shared_info_ready(struct domain *d)
{
	if (!d->evtchn)
		return;
	spin_lock(&d->evtchn->lock);
	shared_info(d, d->evtchn);
	spin_unlock(&d->evtchn->lock);
}

bool evtchn_port_pending(struct domain *d, u32 port)
{
	return port < NR_PORTS && d->shared_info && bit_test(d->shared_info->evtchn_pending, port);
}

/* Our states and the public ones differ only in name: checked here, once. */
_Static_assert(EVTCHN_UNBOUND == DOMUS_PORT_UNBOUND && EVTCHN_INTERDOMAIN == DOMUS_PORT_INTERDOMAIN &&
		       EVTCHN_VIRQ == DOMUS_PORT_VIRQ && EVTCHN_IPI == DOMUS_PORT_IPI,
	       "port states");

u32 evtchn_ports_get(struct domain *d, u32 first, struct domus_port *out, u32 n, u32 *next)
{
	struct evtchn_domain *ed = d->evtchn;
	struct shared_info *si = d->shared_info;
	u32 got = 0, p;

	spin_lock(&ed->lock);
	/* Events raised before the guest placed its shared_info are in it from now on. */
	shared_info(d, ed);
	for (p = first ? first : 1; p < NR_PORTS && got < n; p++) {
		const struct evtchn *chn = &ed->port[p];

		if (chn->state == EVTCHN_FREE)
			continue;
		out[got++] = (struct domus_port){
			.port = p,
			.state = chn->state,
			.virq = chn->virq,
			.flags = (u8)((si && bit_test(si->evtchn_pending, p) ? DOMUS_PORT_PENDING : 0) |
				      (si && bit_test(si->evtchn_mask, p) ? DOMUS_PORT_MASKED : 0)),
			.notify_vcpu = chn->notify_vcpu,
			.remote_dom = chn->remote_id,
			.remote_port = chn->state == EVTCHN_INTERDOMAIN ? chn->remote_port : 0,
		};
	}
	/* Full, but none of the rest bound: said now, not by one more call. */
	while (p < NR_PORTS && ed->port[p].state == EVTCHN_FREE)
		p++;
	spin_unlock(&ed->lock);
	*next = p < NR_PORTS ? p : 0;
	return got;
}

int evtchn_port_set(struct domain *d, const struct domus_port *p)
{
	struct evtchn_domain *ed = d->evtchn;
	struct shared_info *si = d->shared_info;
	bool virq = p->state == DOMUS_PORT_VIRQ;
	/* A global VIRQ is recorded on vCPU 0 (op_bind_virq), whoever it notifies. */
	u32 virq_vcpu = virq && virq_is_global(p->virq) ? 0 : p->notify_vcpu;
	struct evtchn *chn;
	bool same;
	int rc = 0;

	if (!si || !p->port || p->port >= NR_PORTS || p->pad ||
	    (p->flags & ~(DOMUS_PORT_PENDING | DOMUS_PORT_MASKED)) ||
	    (p->state != DOMUS_PORT_UNBOUND && p->state != DOMUS_PORT_VIRQ &&
	     p->state != DOMUS_PORT_IPI) ||
	    p->notify_vcpu >= ed->nr_vcpus || !d->vcpus[p->notify_vcpu] ||
	    (virq ? p->virq >= NR_VIRQS : p->virq) ||
	    (p->state != DOMUS_PORT_UNBOUND && p->remote_dom) || p->remote_port)
		return -EINVAL;
	spin_lock(&ed->lock);
	chn = &ed->port[p->port];
	/*
	 * Free, or the toolstack's own console or XenStore port, made unbound
	 * for the same domain when the domain was created: that one keeps its
	 * binding and takes the bits. Anything else bound is refused.
	 */
	same = chn->state == EVTCHN_UNBOUND && p->state == DOMUS_PORT_UNBOUND &&
	       chn->remote_id == p->remote_dom;
	if ((chn->state != EVTCHN_FREE && !same) || (virq && ed->virq_port[virq_vcpu][p->virq])) {
		rc = -EEXIST;
	} else {
		*chn = (struct evtchn){ .state = p->state,
					.virq = p->virq,
					.notify_vcpu = p->notify_vcpu,
					.remote_id = p->remote_dom };
		if (virq)
			ed->virq_port[virq_vcpu][p->virq] = (u16)p->port;
		/*
		 * Bits only: the vCPU's selector and upcall flag are in its
		 * vcpu_info, which came with its RAM, and its upcall's latch
		 * with its interrupt state.
		 */
		if (p->flags & DOMUS_PORT_PENDING)
			bit_test_and_set(si->evtchn_pending, p->port);
		else
			bit_test_and_clear(si->evtchn_pending, p->port);
		if (p->flags & DOMUS_PORT_MASKED)
			bit_test_and_set(si->evtchn_mask, p->port);
		else
			bit_test_and_clear(si->evtchn_mask, p->port);
	}
	spin_unlock(&ed->lock);
	return rc;
}

static long evtchn_domain_size(u32 nr_vcpus)
{
	return sizeof(struct evtchn_domain) + nr_vcpus * sizeof(u16[NR_VIRQS]);
}

int evtchn_domain_init(struct domain *d)
{
	struct evtchn_domain *ed;

	if (d->evtchn)
		return -EEXIST;
	/* notify_vcpu is 16 bits wide. */
	if (!d->nr_vcpus || d->nr_vcpus > 0x10000)
		return -EINVAL;
	ed = mm_zalloc(evtchn_domain_size(d->nr_vcpus));
	if (!ed)
		return -ENOMEM;
	spin_lock_init(&ed->lock);
	ed->nr_vcpus = d->nr_vcpus;
	spin_lock(&link_lock);
	d->evtchn = ed;
	spin_unlock(&link_lock);
	return 0;
}

void evtchn_domain_close(struct domain *d)
{
	struct evtchn_domain *ed = d->evtchn;

	if (!ed)
		return;
	spin_lock(&link_lock);
	for (u32 p = 1; p < NR_PORTS; p++)
		if (ed->port[p].state != EVTCHN_FREE)
			close_port(d, p);
	spin_unlock(&link_lock);
}

void evtchn_domain_free(struct domain *d)
{
	struct evtchn_domain *ed = d->evtchn;

	if (!ed)
		return;
	spin_lock(&link_lock);
	d->evtchn = NULL;
	spin_unlock(&link_lock);
	mm_free(ed, evtchn_domain_size(ed->nr_vcpus));
}

void evtchn_dump(struct domain *d)
{
	struct evtchn_domain *ed = d->evtchn;
	struct shared_info *si = READ_ONCE(d->shared_info);

	if (!ed) {
		printk("d%u: no event channels\n", d->id);
		return;
	}
	spin_lock(&ed->lock);
	printk("d%u event channels (port, vCPU, P pending, M masked, binding):\n", d->id);
	for (u32 p = 1; p < NR_PORTS; p++) {
		struct evtchn *chn = &ed->port[p];
		char what[32];

		if (chn->state == EVTCHN_FREE)
			continue;
		if (chn->state == EVTCHN_UNBOUND)
			snprintf(what, sizeof(what), "unbound, for d%u", chn->remote_id);
		else if (chn->state == EVTCHN_INTERDOMAIN)
			snprintf(what, sizeof(what), "to d%u port %u", chn->remote_id, chn->remote_port);
		else if (chn->state == EVTCHN_VIRQ)
			snprintf(what, sizeof(what), "virq %u", chn->virq);
		else
			snprintf(what, sizeof(what), "ipi");
		printk("  %4u v%-3u %c%c %s\n", p, chn->notify_vcpu,
		       si && bit_test(si->evtchn_pending, p) ? 'P' : '-',
		       si && bit_test(si->evtchn_mask, p) ? 'M' : '-', what);
	}
	spin_unlock(&ed->lock);
}
