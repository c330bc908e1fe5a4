/* SPDX-License-Identifier: MIT */
/* vm_assist: the guest turns on the runstate update flag, the one assist Arm has. */
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/vm_assist.h>
#include <public/xen.h>

long do_vm_assist(struct vcpu *v, u64 cmd, u64 type)
{
	if (type != VMASST_TYPE_runstate_update_flag)
		return -EINVAL;
	if (cmd == VMASST_CMD_enable)
		v->dom->vm_assist |= BIT(type);
	else if (cmd == VMASST_CMD_disable)
		v->dom->vm_assist &= ~BIT(type);
	else
		return -ENOSYS;
	return 0;
}
