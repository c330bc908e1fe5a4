/* SPDX-License-Identifier: MIT */
/* event_channel_op: the guest's struct in and out; evtchn.c does the work. */
#include <domus/errno.h>
#include <domus/event_channel_op.h>
#include <domus/evtchn.h>
#include <domus/guest_access.h>
#include <domus/printk.h>

/* Room for the largest struct of event_channel_op (evtchn.c's table gives each one's size). */
#define OP_BUF_SIZE 64

long do_event_channel_op(struct vcpu *v, int cmd, vaddr_t arg)
{
	u64 buf[OP_BUF_SIZE / 8];
	long size = evtchn_op_size(cmd), rc;

	if (size < 0)
		return size;
	BUG_ON(size > (long)sizeof(buf)); /* the table's sizes are Domus', not the guest's */
	if (copy_from_guest(v, buf, arg, (u64)size))
		return -EFAULT;
	rc = evtchn_op(v, cmd, buf);
	if (rc == 0 && copy_to_guest(v, arg, buf, (u64)size))
		return -EFAULT;
	return rc;
}
