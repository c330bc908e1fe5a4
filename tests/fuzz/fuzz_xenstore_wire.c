/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the XenStore message parser: any bytes a guest can put
 * on its ring go through framing and argument splitting without a crash, an
 * out-of-bounds access (ASan) or undefined behaviour (UBSan), and a reply to
 * whatever parsed fits.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../tools/xenstore/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t reply[XS_HEADER_SIZE + XS_PAYLOAD_MAX];

	while (size) {
		struct xs_msg m;
		long n = xs_wire_parse(data, size, &m);

		if (n == 0)
			break;
		if (n < 0) {
			/* As the daemon does: an oversized length ends the stream. */
			if (m.hdr.len <= XS_PAYLOAD_MAX)
				__builtin_trap(); /* refused what could be framed */
			break;
		}
		if (!xs_wire_known(m.hdr.type)) {
			xs_wire_reply(reply, sizeof(reply), &m.hdr, XS_ERROR, "ENOSYS", 7);
		} else if (xs_wire_args(&m) == 0) {
			for (unsigned int i = 0; i < m.argc; i++)
				if (m.argv[i] < (const char *)data || m.argv[i] + m.arglen[i] > (const char *)data + n)
					__builtin_trap();
			xs_wire_reply(reply, sizeof(reply), &m.hdr, m.hdr.type, m.payload, m.hdr.len);
		} else {
			const char *e = xs_errno_name(22);

			xs_wire_reply(reply, sizeof(reply), &m.hdr, XS_ERROR, e, strlen(e) + 1);
		}
		data += n;
		size -= (size_t)n;
	}
	return 0;
}
