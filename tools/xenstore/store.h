/* SPDX-License-Identifier: MIT */
/* The in-memory XenStore tree of our xenstored: nodes, permissions, transactions, watches, quotas. */
#ifndef DOMUS_XS_STORE_H
#define DOMUS_XS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Everything lives in one struct xs_store, so tests can make as many as they
 * like and the daemon links this file unchanged. No sockets, no rings: the
 * daemon decodes a request, calls one function here, and turns the negative
 * errno it gets back into Xen's error name.
 *
 * Paths may be absolute ("/local/domain/3/name") or relative to the caller's
 * home ("name" is /local/domain/<domid>/name). tx is 0 outside a transaction.
 *
 * Watches and transactions belong to a connection as well as to a domain:
 * dom0 has its kernel's ring and a socket per tool, and each must hear only
 * its own events and lose only its own state when it closes. The daemon
 * names connections: a guest's ring is conn == domid, other connections
 * take ids from XS_CONN_LOCAL up. The functions without _conn use conn = dom.
 */

#define XS_CONN_LOCAL 0x10000

#define XS_ABS_PATH_MAX 3072
#define XS_REL_PATH_MAX 2048
#define XS_VALUE_MAX 4096 /* XENSTORE_PAYLOAD_MAX */
#define XS_TOKEN_MAX 4096

typedef uint32_t xs_domid_t;

struct xs_quota {
	unsigned int nodes; /* owned by one domain */
	unsigned int watches;
	unsigned int transactions; /* open at once */
	unsigned int value_size;
	unsigned int trans_nodes; /* nodes one transaction may touch (read, write or remove) */
	unsigned int memory; /* bytes of nodes, transactions, watches and queued events */
	unsigned int perms; /* entries one SET_PERMS may give a node */
};

/*
 * Xen's defaults (xenstored -h; quota-nodes-per-transaction for trans_nodes,
 * the hard quota-memory-per-domain for memory): dom0 is never held to them.
 * Xen checks the watch and transaction counts before counting the new one,
 * so a domain may have one more than each quota says (129 watches, 11
 * transactions); the others are hard limits.
 * What each refusal returns, as Xen's: nodes ENOSPC, watches E2BIG,
 * transactions ENOSPC, value_size ENOSPC, trans_nodes ENOSPC, memory ENOMEM
 * (and a watch event that would not fit is dropped), perms ENOSPC. A
 * transaction that an op left half-changed commits with ENOMEM.
 */
#define XS_QUOTA_DEFAULT                                                                        \
	{ .nodes = 1000, .watches = 128, .transactions = 10, .value_size = 2048,                \
	  .trans_nodes = 1024, .memory = 2560 * 1024, .perms = 5 }

struct xs_event {
	xs_domid_t domid; /* who to send XS_WATCH_EVENT to */
	uint32_t conn; /* over which of its connections */
	char path[XS_ABS_PATH_MAX + 1]; /* relative if the watch was registered relative */
	char token[XS_TOKEN_MAX + 1];
};

struct xs_store;

/* A store holding "/" (owned by dom0, "n0"); q may be NULL for the defaults. */
struct xs_store *xs_store_new(const struct xs_quota *q);
void xs_store_free(struct xs_store *s);

/*
 * An absolute path for domid's path into out: relative paths get the
 * /local/domain/<domid>/ prefix. 0, or -EINVAL if either is not a valid node path.
 */
int xs_canonical(xs_domid_t domid, const char *path, char out[XS_ABS_PATH_MAX + 1]);
bool xs_path_valid(const char *abs);

/* The value's length, copied into val; -E2BIG if cap is smaller. */
int xs_read(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path, void *val,
	    size_t cap);
int xs_write(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path, const void *val,
	     size_t len);
int xs_mkdir(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path);
int xs_rm(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path);
/* The children's names, sorted, as "a\0b\0" into buf; returns the length used. */
int xs_directory(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path, char *buf,
		 size_t cap);
/* Xen's text form, "b1\0r0\0": the owner with everyone's access, then per-domain entries. */
int xs_get_perms(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path, char *buf,
		 size_t cap);
int xs_set_perms(struct xs_store *s, xs_domid_t dom, uint32_t tx, const char *path,
		 const char *perms, size_t len);

int xs_transaction_start(struct xs_store *s, xs_domid_t dom, uint32_t *tx);
int xs_transaction_start_conn(struct xs_store *s, xs_domid_t dom, uint32_t conn, uint32_t *tx);
/* Whether dom has transaction tx open. */
bool xs_transaction_open(const struct xs_store *s, xs_domid_t dom, uint32_t tx);
/*
 * commit: 0, -EAGAIN when someone else changed what the transaction used, or
 * -ENOMEM when one of its ops was refused half-way (a quota). Either way it ends.
 */
int xs_transaction_end(struct xs_store *s, xs_domid_t dom, uint32_t tx, bool commit);

/*
 * A new watch fires once at once. path may also be "@<anything>": such a watch
 * fires only when xs_fire_special names it ("@introduceDomain", "@releaseDomain").
 */
int xs_watch(struct xs_store *s, xs_domid_t dom, const char *path, const char *token);
int xs_watch_conn(struct xs_store *s, xs_domid_t dom, uint32_t conn, const char *path,
		  const char *token);
int xs_unwatch(struct xs_store *s, xs_domid_t dom, const char *path, const char *token);
int xs_unwatch_conn(struct xs_store *s, xs_domid_t dom, uint32_t conn, const char *path,
		    const char *token);
/* Drops conn's watches only. */
void xs_reset_watches(struct xs_store *s, uint32_t conn);
/* Queues name's event for dom0's watches on it. */
void xs_fire_special(struct xs_store *s, const char *name);
/* Takes the oldest pending event; false when there is none. */
bool xs_next_event(struct xs_store *s, struct xs_event *ev);

/*
 * The domain went away: its watches, open transactions and queued events go
 * with it; its nodes stay, owned by dom0 now, and its id leaves every
 * node's permissions, so that the next domain with its id inherits nothing.
 */
void xs_release_domain(struct xs_store *s, xs_domid_t dom);
/* A connection closed (or sent RESET_WATCHES): its watches, transactions and pending events go. */
void xs_release_conn(struct xs_store *s, uint32_t conn);
/*
 * For a guest that migrates without its help (docs/MIGRATION.md): conn's
 * watches as "path\0token\0" pairs into buf, each path as it was given
 * (relative ones relative): the length, or -E2BIG. And whether conn has a
 * transaction open or an event not yet handed to it: then it cannot move.
 */
int xs_conn_watches(const struct xs_store *s, uint32_t conn, char *buf, size_t cap);
bool xs_conn_busy(const struct xs_store *s, uint32_t conn);

size_t xs_node_count(const struct xs_store *s);
/* Nodes dom owns, as its quota counts them. */
unsigned int xs_domain_nodes(const struct xs_store *s, xs_domid_t dom);
/* The bytes dom's memory quota counts, and the watch events it lost to that quota. */
size_t xs_domain_memory(const struct xs_store *s, xs_domid_t dom);
unsigned long xs_domain_events_dropped(const struct xs_store *s, xs_domid_t dom);

#endif
