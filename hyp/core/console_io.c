/* SPDX-License-Identifier: MIT */
/* console_io: the privileged domain writes to and reads from Domus' console. */
#include <domus/console.h>
#include <domus/console_io.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/hypercall.h>
#include <public/xen.h>

#define CONSOLEIO_CHUNK 128
/* Bytes a console write prints between two preemption points. */
#define CONSOLEIO_BATCH 4096

long do_console_io(struct vcpu *v, int cmd, u64 count, vaddr_t buf)
{
	char chunk[CONSOLEIO_CHUNK];
	u64 done = 0;

	/* The hypervisor console belongs to the privileged domain, as in Xen. */
	if (!v->dom->privileged)
		return -EPERM;
	switch (cmd) {
	case CONSOLEIO_write:
		if (count > INT32_MAX)
			return -EINVAL;
		while (done < count) {
			u64 n = MIN(count - done, sizeof(chunk));

			if (done == CONSOLEIO_BATCH) {
				hypercall_set_arg(v, 1, count - done);
				hypercall_set_arg(v, 2, buf + done);
				return -ERESTART;
			}
			if (copy_from_guest(v, chunk, buf + done, n))
				return -EFAULT;
			console_guest_write(v->dom, chunk, n);
			done += n;
		}
		return 0;
	case CONSOLEIO_read:
		if (count > INT32_MAX)
			return -EINVAL;
		while (done < count) {
			u64 n = console_peek_input(chunk, MIN(count - done, sizeof(chunk)));

			if (!n)
				break;
			/* Input leaves the ring only once it is in the guest's buffer. */
			if (copy_to_guest(v, buf + done, chunk, n))
				return done ? (long)done : -EFAULT;
			console_consume_input(n);
			done += n;
		}
		return (long)done;
	}
	return -ENOSYS;
}
