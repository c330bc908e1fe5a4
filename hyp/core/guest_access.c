/* SPDX-License-Identifier: MIT */
/* Hypercall pointer arguments: guest VA -> IPA (stage 1) -> host frame (stage 2). */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/p2m.h>

static int copy_guest(struct vcpu *v, vaddr_t va, void *buf, u64 len, bool to_guest)
{
	if (va + len < va)
		return -EFAULT;
	while (len) {
		u64 chunk = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		ipa_t ipa;

		if (arch_gva_to_ipa(v, va, to_guest, &ipa) ||
		    p2m_copy(v->dom, ipa, buf, chunk, to_guest))
			return -EFAULT;
		va += chunk;
		buf = (char *)buf + chunk;
		len -= chunk;
	}
	return 0;
}

int copy_from_guest(struct vcpu *v, void *dst, vaddr_t src, u64 len)
{
	return copy_guest(v, src, dst, len, false);
}

int copy_to_guest(struct vcpu *v, vaddr_t dst, const void *src, u64 len)
{
	return copy_guest(v, dst, (void *)src, len, true);
}
