/* SPDX-License-Identifier: MIT */
/* The XenStore wire protocol: framing, argument splitting, error names, replies. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "wire.h"

long xs_wire_parse(const void *buf, size_t len, struct xs_msg *msg)
{
	if (len < XS_HEADER_SIZE)
		return 0;
	memcpy(&msg->hdr, buf, sizeof(msg->hdr));
	if (msg->hdr.len > XS_PAYLOAD_MAX)
		return -EINVAL; /* no frame to find after it: at once */
	if (len < XS_HEADER_SIZE + (size_t)msg->hdr.len)
		return 0;
	msg->payload = (const char *)buf + XS_HEADER_SIZE;
	msg->argc = 0;
	return XS_HEADER_SIZE + (long)msg->hdr.len;
}

enum { TAIL_NONE, TAIL_RAW, TAIL_STRINGS };

/*
 * How many NUL-terminated strings a request carries before its tail, and
 * what the tail is: nothing, raw bytes (a value), or any number of
 * NUL-terminated strings left whole for the store to read (permissions,
 * as many as the payload holds: Xen sets no other limit on them).
 */
static int fixed_args(uint32_t type, int *tail)
{
	*tail = TAIL_NONE;
	switch (type) {
	case XS_WRITE:
		*tail = TAIL_RAW; /* path\0value: the value is raw bytes */
		return 1;
	case XS_SET_PERMS:
		*tail = TAIL_STRINGS; /* path\0perm\0perm\0... */
		return 1;
	case XS_CONTROL:
		*tail = TAIL_STRINGS; /* command\0parameter\0... */
		return 1;
	case XS_WATCH:
	case XS_UNWATCH:
		return 2; /* path\0token\0 */
	case XS_INTRODUCE:
		return 3; /* domid\0gfn\0port\0 */
	case XS_SET_TARGET:
	case XS_DIRECTORY_PART:
		return 2; /* domid\0target\0, path\0offset\0 */
	case XS_TRANSACTION_START:
	case XS_RESET_WATCHES:
		return -1; /* "" or nothing at all */
	default:
		return 1; /* one string: a path, "T"/"F", a domid, or "" */
	}
}

int xs_wire_args(struct xs_msg *msg)
{
	const char *p = msg->payload, *end = msg->payload + msg->hdr.len;
	int tail, want = fixed_args(msg->hdr.type, &tail);

	msg->argc = 0;
	while (p < end && (want < 0 || (int)msg->argc < want)) {
		const char *nul = memchr(p, 0, (size_t)(end - p));

		if (!nul || msg->argc == XS_MAX_ARGS)
			return -EINVAL; /* every string argument is NUL-terminated */
		msg->argv[msg->argc] = p;
		msg->arglen[msg->argc++] = (size_t)(nul - p);
		p = nul + 1;
	}
	if (want >= 0 && (int)msg->argc < want)
		return -EINVAL;
	if (tail == TAIL_STRINGS && p < end && end[-1])
		return -EINVAL; /* its last string, too, ends in a NUL */
	if (tail != TAIL_NONE) {
		if (msg->argc == XS_MAX_ARGS)
			return -EINVAL;
		msg->argv[msg->argc] = p;
		msg->arglen[msg->argc++] = (size_t)(end - p);
	} else if (p != end) {
		return -EINVAL; /* trailing bytes after the last argument */
	}
	return 0;
}

bool xs_wire_known(uint32_t type)
{
	/* Xen's table has no handler for these (xenstored_core.c wire_funcs): replies, and RESTRICT. */
	return type < XS_TYPE_COUNT && type != XS_WATCH_EVENT && type != XS_ERROR && type != 20;
}

bool xs_wire_privileged(uint32_t type)
{
	switch (type) {
	case XS_CONTROL:
	case XS_INTRODUCE:
	case XS_RELEASE:
	case XS_IS_DOMAIN_INTRODUCED:
	case XS_RESUME:
	case XS_SET_TARGET:
		return true;
	default:
		return false;
	}
}

static const struct {
	int err;
	const char *name;
} errnames[] = {
	{ EINVAL, "EINVAL" }, { EACCES, "EACCES" }, { EEXIST, "EEXIST" }, { EISDIR, "EISDIR" },
	{ ENOENT, "ENOENT" }, { ENOMEM, "ENOMEM" }, { ENOSPC, "ENOSPC" }, { EIO, "EIO" },
	{ ENOTEMPTY, "ENOTEMPTY" }, { ENOSYS, "ENOSYS" }, { EROFS, "EROFS" }, { EBUSY, "EBUSY" },
	{ EAGAIN, "EAGAIN" }, { EISCONN, "EISCONN" }, { E2BIG, "E2BIG" }, { EPERM, "EPERM" },
};

const char *xs_errno_name(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return "EIO";
}

int xs_errno_from_name(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strlen(errnames[i].name) == len && !memcmp(errnames[i].name, name, len))
			return errnames[i].err;
	return EIO;
}

long xs_wire_reply(void *out, size_t cap, const struct xs_header *req, uint32_t type,
		   const void *payload, size_t len)
{
	struct xs_header h = { type, req->req_id, req->tx_id, (uint32_t)len };

	if (len > XS_PAYLOAD_MAX || XS_HEADER_SIZE + len > cap)
		return -E2BIG;
	memcpy(out, &h, sizeof(h));
	if (len)
		memcpy((char *)out + XS_HEADER_SIZE, payload, len);
	return (long)(XS_HEADER_SIZE + len);
}
