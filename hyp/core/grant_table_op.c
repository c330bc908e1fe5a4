/* SPDX-License-Identifier: MIT */
/* grant_table_op: a batch of elements in and out, continued; gnttab.c does the work. */
#include <domus/errno.h>
#include <domus/gnttab.h>
#include <domus/grant_table_op.h>
#include <domus/guest_access.h>
#include <domus/printk.h>
#include <domus/hypercall.h>
#include <public/grant_table.h>

/* Largest per-element struct of grant_table_op (gnttab_copy: 40 bytes). */
#define OP_BUF_SIZE 64

/*
 * Elements of a grant-table batch handled between two preemption points; a
 * cache flush may look through all of a domain's 16,384 mapping records for
 * its frame, so it goes a few at a time.
 */
#define GNTTAB_BATCH 128
#define GNTTAB_FLUSH_BATCH 4

/* An array of count elements, each copied in, handled and copied back with its status. */
long do_grant_table_op(struct vcpu *v, u32 cmd, vaddr_t uop, u64 count)
{
	u64 buf[OP_BUF_SIZE / 8];
	long size, rc;

	/* As Xen (common/grant_table.c): the count must also be a non-negative int... */
	if (count > INT32_MAX)
		return -EINVAL;
	/* ...and only cache_flush may carry bits above the op (its progress). */
	if ((cmd & ~GNTTABOP_CMD_MASK) && (cmd & GNTTABOP_CMD_MASK) != GNTTABOP_cache_flush)
		return -EINVAL;
	cmd &= GNTTABOP_CMD_MASK;
	switch (cmd) {
	case GNTTABOP_query_size:
	case GNTTABOP_setup_table:
	case GNTTABOP_get_status_frames:
		if (count != 1)
			return -EINVAL;
		break;
	case GNTTABOP_set_version:
	case GNTTABOP_get_version:
		count = 1; /* one struct, whatever the count says */
		break;
	case GNTTABOP_transfer:
		return -EOPNOTSUPP; /* no page transfer but for x86 PV guests */
	}
	size = gnttab_op_size((int)cmd);
	if (size < 0)
		return size;
	BUG_ON(size > (long)sizeof(buf)); /* the table's sizes are Domus', not the guest's */
	for (u64 i = 0; i < count; i++) {
		vaddr_t at = uop + i * (u64)size;

		if (i == (cmd == GNTTABOP_cache_flush ? GNTTAB_FLUSH_BATCH : GNTTAB_BATCH)) {
			/* The rest: the same op on the elements not done yet. */
			hypercall_set_arg(v, 1, at);
			hypercall_set_arg(v, 2, count - i);
			return -ERESTART;
		}
		if (copy_from_guest(v, buf, at, (u64)size))
			return -EFAULT;
		rc = gnttab_op(v, (int)cmd, buf);
		if (rc)
			return rc;
		if (copy_to_guest(v, at, buf, (u64)size))
			return -EFAULT;
	}
	return 0;
}
