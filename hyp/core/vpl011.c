/* SPDX-License-Identifier: MIT */
/* Emulated PL011 UART: guest output to Domus' console, console input to the guest. */
#include <domus/console.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/string.h>
#include <domus/vgic.h>
#include <domus/vpl011.h>

#define DR 0x000
#define RSR 0x004
#define FR 0x018
#define ILPR 0x020
#define IBRD 0x024
#define FBRD 0x028
#define LCR_H 0x02c
#define CR 0x030
#define IFLS 0x034
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define ICR 0x044
#define DMACR 0x048

#define FR_RXFE (1u << 4)
#define FR_TXFE (1u << 7)
#define FR_RXFF (1u << 6)
#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)
#define INT_ALL 0x7ff

/* PrimeCell identification: PL011 r1p5, read by Linux's amba bus. */
static const u8 pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

/* Level-sensitive line: asserted while any unmasked interrupt is raised. */
static void update_irq(struct vpl011 *u)
{
	vgic_set_level(u->dom, NULL, u->intid, (u->ris & u->imsc) != 0);
}

int vpl011_init(struct vpl011 *u, struct domain *d, ipa_t base, u32 intid)
{
	memset(u, 0, sizeof(*u));
	spin_lock_init(&u->lock);
	u->dom = d;
	u->intid = intid;
	u->cr = 0x300;
	u->ifls = 0x12;
	d->vuart = u;
	return domain_add_mmio(d, base, 0x1000, vpl011_access, u);
}

bool vpl011_receive(struct vpl011 *u, u8 c)
{
	bool ok = false;

	spin_lock(&u->lock);
	if (u->rx_count < VPL011_FIFO) {
		u->rx[(u->rx_head + u->rx_count) % VPL011_FIFO] = c;
		u->rx_count++;
		u->ris |= INT_RX | INT_RT;
		ok = true;
		update_irq(u);
	}
	spin_unlock(&u->lock);
	return ok;
}

int vpl011_access(struct vcpu *v, ipa_t ipa, u32 size, bool write, u64 *val, void *ctx)
{
	struct vpl011 *u = ctx;
	u64 off = ipa & 0xfff;
	u32 r = 0;
	int rc = 0;

	if (size > 4 || (off & 3))
		return -EINVAL;
	spin_lock(&u->lock);
	if (write) {
		u32 w = (u32)*val;

		switch (off) {
		case DR: {
			char c = (char)w;

			spin_unlock(&u->lock);
			console_guest_write(u->dom, &c, 1);
			spin_lock(&u->lock);
			/* The transmit FIFO drains at once: TX stays below its level. */
			u->ris |= INT_TX;
			break;
		}
		case RSR: break;
		case ILPR: break;
		case IBRD: u->ibrd = w & 0xffff; break;
		case FBRD: u->fbrd = w & 0x3f; break;
		case LCR_H: u->lcr_h = w & 0xff; break;
		case CR: u->cr = w & 0xff87; break;
		case IFLS: u->ifls = w & 0x3f; break;
		case IMSC: u->imsc = w & INT_ALL; break;
		case ICR: u->ris &= ~w; break;
		case DMACR: u->dmacr = w & 7; break;
		default: rc = -EINVAL;
		}
	} else {
		switch (off) {
		case DR:
			if (u->rx_count) {
				r = u->rx[u->rx_head];
				u->rx_head = (u->rx_head + 1) % VPL011_FIFO;
				u->rx_count--;
			}
			if (!u->rx_count)
				u->ris &= ~(INT_RX | INT_RT);
			break;
		case RSR: r = 0; break;
		case FR:
			r = FR_TXFE | (u->rx_count ? 0 : FR_RXFE) |
			    (u->rx_count == VPL011_FIFO ? FR_RXFF : 0);
			break;
		case ILPR: r = 0; break;
		case IBRD: r = u->ibrd; break;
		case FBRD: r = u->fbrd; break;
		case LCR_H: r = u->lcr_h; break;
		case CR: r = u->cr; break;
		case IFLS: r = u->ifls; break;
		case IMSC: r = u->imsc; break;
		case RIS: r = u->ris; break;
		case MIS: r = u->ris & u->imsc; break;
		case DMACR: r = u->dmacr; break;
		default:
			if (off >= 0xfe0)
				r = pl011_id[(off - 0xfe0) / 4];
			else
				rc = -EINVAL;
		}
		*val = r;
	}
	if (!rc)
		update_irq(u);
	spin_unlock(&u->lock);
	return rc;
}
