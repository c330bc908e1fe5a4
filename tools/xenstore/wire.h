/* SPDX-License-Identifier: MIT */
/*
 * The XenStore wire protocol (Xen's docs/misc/xenstore.txt): a 16-byte header
 * {type, req_id, tx_id, len} and up to 4096 bytes of payload, the same over a
 * shared ring and over dom0's local socket. Framing and argument splitting
 * only: what the requests do is the store's business.
 */
#ifndef XENSTORE_WIRE_H
#define XENSTORE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xs_type {
	XS_CONTROL = 0, XS_DIRECTORY = 1, XS_READ = 2, XS_GET_PERMS = 3, XS_WATCH = 4,
	XS_UNWATCH = 5, XS_TRANSACTION_START = 6, XS_TRANSACTION_END = 7, XS_INTRODUCE = 8,
	XS_RELEASE = 9, XS_GET_DOMAIN_PATH = 10, XS_WRITE = 11, XS_MKDIR = 12, XS_RM = 13,
	XS_SET_PERMS = 14, XS_WATCH_EVENT = 15, XS_ERROR = 16, XS_IS_DOMAIN_INTRODUCED = 17,
	XS_RESUME = 18, XS_SET_TARGET = 19, XS_RESET_WATCHES = 21, XS_DIRECTORY_PART = 22,
	XS_TYPE_COUNT
};

#define XS_HEADER_SIZE 16
#define XS_PAYLOAD_MAX 4096
/*
 * A guest's watches as one migrating guest carries them ("path\0token\0"...):
 * what fits one CONTROL "migrate-in\0DOMID\0" message's payload with them.
 */
#define XS_WATCHES_MAX (XS_PAYLOAD_MAX - 32)
#define XS_MAX_ARGS 10

struct xs_header {
	uint32_t type, req_id, tx_id, len;
};

struct xs_msg {
	struct xs_header hdr;
	const char *payload; /* hdr.len bytes, within the caller's buffer */
	/*
	 * Arguments split at NULs. For WRITE the last one is the value and may
	 * hold NULs; for SET_PERMS the last one is all the permissions, each
	 * ending in a NUL ("r1\0b2\0"), however many.
	 */
	unsigned int argc;
	const char *argv[XS_MAX_ARGS];
	size_t arglen[XS_MAX_ARGS];
};

/*
 * Parses one message from buf. Returns the bytes it took (header + payload),
 * 0 if buf does not hold a whole message yet, or -EINVAL, known from the
 * header alone, for a length over 4096 bytes: no message can be framed after
 * it, and Xen's xenstored answers it with nothing but the ring's error field.
 * Any type is framed; xs_wire_known says whether it is a request at all.
 */
long xs_wire_parse(const void *buf, size_t len, struct xs_msg *msg);
/* Whether type is a request Xen's xenstored handles (else ENOSYS, before anything else). */
bool xs_wire_known(uint32_t type);
/* Splits msg's payload into its arguments for its type; -EINVAL if malformed. */
int xs_wire_args(struct xs_msg *msg);
/*
 * Requests only dom0 may make (Xen's XS_FLAG_PRIV): the toolstack's, and
 * IS_DOMAIN_INTRODUCED and CONTROL. Anyone else gets EACCES, before their
 * arguments are even looked at.
 */
bool xs_wire_privileged(uint32_t type);
/* Xen's name of an error (EINVAL -> "EINVAL"); errno values outside the table are "EIO". */
const char *xs_errno_name(int err);
/* And back: the errno of an XS_ERROR payload (len bytes, no NUL needed); EIO if unknown. */
int xs_errno_from_name(const char *name, size_t len);
/*
 * Writes a reply into out (cap bytes): header echoing req_id and tx_id,
 * then payload. Returns its size, or -E2BIG if it does not fit.
 */
long xs_wire_reply(void *out, size_t cap, const struct xs_header *req, uint32_t type,
		   const void *payload, size_t len);

#endif
