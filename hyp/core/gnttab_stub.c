#include <domus/domain.h>
#include <domus/errno.h>
struct vcpu;
int evtchn_send_virq(struct domain *d, u32 virq);
int evtchn_send_virq(struct domain *d, u32 virq) { return 0; }
long evtchn_op_size(int cmd);
long evtchn_op_size(int cmd) { return -38; }
long evtchn_op(struct vcpu *v, int cmd, void *arg);
long evtchn_op(struct vcpu *v, int cmd, void *arg) { return -38; }
void evtchn_dump(struct domain *d);
void evtchn_dump(struct domain *d) { }
