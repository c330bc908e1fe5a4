#include <domus/domain.h>
#include <domus/errno.h>
int gnttab_get_frame(struct domain *d, u32 idx, paddr_t *pa);
int gnttab_get_frame(struct domain *d, u32 idx, paddr_t *pa) { return -ENOSYS; }
struct vcpu;
int evtchn_send_virq(struct domain *d, u32 virq);
int evtchn_send_virq(struct domain *d, u32 virq) { return 0; }
void evtchn_notify_vcpu(struct vcpu *v);
void evtchn_notify_vcpu(struct vcpu *v) { }
