/* SPDX-License-Identifier: MIT */
/* Hypercall pointer arguments: guest VA -> IPA (stage 1) -> host frame (stage 2). */
#include <domus/arch.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/guest_access.h>
#include <domus/p2m.h>
#include <domus/string.h>

static void *guest_page(struct vcpu *v, vaddr_t va, bool write)
{
	ipa_t ipa;
	paddr_t pa;
	enum p2m_type type;

	if (arch_gva_to_ipa(v, va, write, &ipa) ||
	    p2m_lookup(v->dom, ipa >> PAGE_SHIFT, &pa, &type))
		return NULL;
	switch (type) {
	case P2M_RAM:
	case P2M_SHARED:
	case P2M_FOREIGN_RW:
		break;
	case P2M_FOREIGN_RO:
		if (write)
			return NULL;
		break;
	default: /* MMIO is not memory */
		return NULL;
	}
	return (char *)p2m_frame_va(pa) + (ipa & (PAGE_SIZE - 1));
}

static int copy_guest(struct vcpu *v, vaddr_t va, void *buf, u64 len, bool to_guest)
{
	if (va + len < va)
		return -EFAULT;
	while (len) {
		u64 chunk = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		void *p = guest_page(v, va, to_guest);

		if (!p)
			return -EFAULT;
		if (to_guest)
			memcpy(p, buf, chunk);
		else
			memcpy(buf, p, chunk);
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
