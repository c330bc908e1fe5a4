/* SPDX-License-Identifier: MIT */
/*
 * The Xen 4.17 event-channel hypercall (__HYPERVISOR_event_channel_op) on
 * AArch64: sub-op numbers and argument layouts. Numbers and layouts are Xen's
 * (xen/include/public/event_channel.h); the text is Domus' own.
 */
#ifndef PUBLIC_EVENT_CHANNEL_H
#define PUBLIC_EVENT_CHANNEL_H

#include <public/xen.h>

#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_bind_pirq 2
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_alloc_unbound 6
#define EVTCHNOP_bind_ipi 7
#define EVTCHNOP_bind_vcpu 8
#define EVTCHNOP_unmask 9
#define EVTCHNOP_reset 10
#define EVTCHNOP_init_control 11 /* FIFO ABI */
#define EVTCHNOP_expand_array 12 /* FIFO ABI */
#define EVTCHNOP_set_priority 13 /* FIFO ABI */
#define EVTCHNOP_reset_cont 14 /* Xen-internal continuation of reset */

typedef uint32_t evtchn_port_t;

/* A new port in dom that only remote_dom may connect to. */
struct evtchn_alloc_unbound {
	domid_t dom; /* in */
	domid_t remote_dom; /* in */
	evtchn_port_t port; /* out */
};

/* Connect a new local port to remote_dom's unbound port that names us. */
struct evtchn_bind_interdomain {
	domid_t remote_dom; /* in */
	evtchn_port_t remote_port; /* in */
	evtchn_port_t local_port; /* out */
};

/* A new port raised when the hypervisor signals virq on vcpu. */
struct evtchn_bind_virq {
	uint32_t virq; /* in */
	uint32_t vcpu; /* in */
	evtchn_port_t port; /* out */
};

struct evtchn_close {
	evtchn_port_t port; /* in */
};

struct evtchn_send {
	evtchn_port_t port; /* in */
};

struct evtchn_unmask {
	evtchn_port_t port; /* in */
};

/* Deliver port's notifications to vcpu from now on. */
struct evtchn_bind_vcpu {
	evtchn_port_t port; /* in */
	uint32_t vcpu; /* in */
};

/* A port that raises itself on vcpu: the guest's own IPI. */
struct evtchn_bind_ipi {
	uint32_t vcpu; /* in */
	evtchn_port_t port; /* out */
};

struct evtchn_bind_pirq {
	uint32_t pirq; /* in */
	uint32_t flags; /* in */
	evtchn_port_t port; /* out */
};

/* Close every port of dom. */
struct evtchn_reset {
	domid_t dom;
};

/* FIFO ABI (Domus offers the 2-level one only). */
struct evtchn_init_control {
	uint64_t control_gfn;
	uint32_t offset;
	uint32_t vcpu;
	uint8_t link_bits; /* out */
	uint8_t pad[7];
};

struct evtchn_expand_array {
	uint64_t array_gfn;
};

struct evtchn_set_priority {
	evtchn_port_t port;
	uint32_t priority;
};

/* Bytes of the FIFO control block an init_control places in the guest's page. */
#define EVTCHN_FIFO_CONTROL_BLOCK_SIZE 72

#define EVTCHNSTAT_closed 0
#define EVTCHNSTAT_unbound 1
#define EVTCHNSTAT_interdomain 2
#define EVTCHNSTAT_pirq 3
#define EVTCHNSTAT_virq 4
#define EVTCHNSTAT_ipi 5

struct evtchn_status {
	domid_t dom; /* in */
	evtchn_port_t port; /* in */
	uint32_t status; /* out: EVTCHNSTAT_* */
	uint32_t vcpu; /* out: where notifications go */
	union { /* out, by status */
		struct {
			domid_t dom; /* who may connect */
		} unbound;
		struct {
			domid_t dom;
			evtchn_port_t port;
		} interdomain;
		uint32_t pirq;
		uint32_t virq;
	} u;
};

_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_alloc_unbound, remote_dom) == 2, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_alloc_unbound, port) == 4, "layout");
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_bind_interdomain, remote_port) == 4, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_bind_interdomain, local_port) == 8, "layout");
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_bind_virq, vcpu) == 4, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_bind_virq, port) == 8, "layout");
_Static_assert(sizeof(struct evtchn_close) == 4, "layout");
_Static_assert(sizeof(struct evtchn_send) == 4, "layout");
_Static_assert(sizeof(struct evtchn_unmask) == 4, "layout");
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_bind_vcpu, vcpu) == 4, "layout");
_Static_assert(sizeof(struct evtchn_status) == 24, "layout");
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "layout");
_Static_assert(sizeof(struct evtchn_bind_pirq) == 12, "layout");
_Static_assert(sizeof(struct evtchn_reset) == 2, "layout");
_Static_assert(sizeof(struct evtchn_init_control) == 24, "layout");
_Static_assert(sizeof(struct evtchn_expand_array) == 8, "layout");
_Static_assert(sizeof(struct evtchn_set_priority) == 8, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_status, port) == 4, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_status, status) == 8, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_status, vcpu) == 12, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_status, u) == 16, "layout");
_Static_assert(__builtin_offsetof(struct evtchn_status, u.interdomain.port) == 20, "layout");

#endif
