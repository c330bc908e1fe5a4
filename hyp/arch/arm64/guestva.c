/* SPDX-License-Identifier: MIT */
/* Translating a guest's virtual addresses through its own stage 1, as hypercall pointers need. */
#include <domus/arch.h>
#include <domus/errno.h>
#include <domus/vcpu.h>

#include "sysreg.h"

#define PAR_F BIT(0)
#define PAR_PA_MASK 0x0000fffffffff000ULL

/*
 * The vCPU's EL1 translation registers are live on this pCPU while it traps,
 * so AT S1E1R/W walks its tables. PAR_EL1 is the guest's register: keep it.
 * AT S1E1{R,W} ignore PSTATE.PAN, which is what we want: privcmd hands us user
 * addresses with the kernel's uaccess window open.
 */
int arch_gva_to_ipa(struct vcpu *v, vaddr_t va, bool write, ipa_t *ipa)
{
	u64 saved = read_sysreg(par_el1), par;

	if (write)
		asm volatile("at s1e1w, %0" : : "r"(va));
	else
		asm volatile("at s1e1r, %0" : : "r"(va));
	isb();
	par = read_sysreg(par_el1);
	write_sysreg(par_el1, saved);
	if (par & PAR_F)
		return -EFAULT;
	*ipa = ipa_init((par & PAR_PA_MASK) | (va & 0xfff));
	return 0;
}
