// SPDX-License-Identifier: MIT
/*
 * The guest's SBSA UART (arm64/vpl011.h). It behaves as a PL011 whose
 * transmit FIFO drains at once: FR says TX empty and never full or busy, the
 * transmit interrupt is raised whenever it is unmasked (the FIFO is always at
 * or below its trigger level). Its 32-byte receive FIFO is the head of the
 * input buffer: RXFE while that is empty, RXFF while it holds 32 bytes or
 * more; the receive interrupt is raised at half full (16) and the receive
 * timeout interrupt on any byte received, each cleared by ICR, and by reads
 * that take the FIFO below its level (RX) or empty it (RT), as a PL011's.
 * Registers the SBSA subset does not have (baud rate, line and control,
 * FIFO levels, DMA) read as 0 and ignore writes, so a full PL011 driver that
 * programs them does not fault; the identification registers read as a
 * PL011's. The interrupt is level-sensitive: MIS != 0.
 */
#include <domus/arch.h>
#include <domus/console.h>
#include <domus/domain.h>
#include <domus/errno.h>
#include <domus/printf.h>
#include <domus/string.h>
#include <public/xen.h>
#include <arm64/vgic.h>
#include <arm64/vpl011.h>

#define UART_DR 0x000
#define UART_RSR 0x004
#define UART_FR 0x018
#define UART_IMSC 0x038
#define UART_RIS 0x03c
#define UART_MIS 0x040
#define UART_ICR 0x044
#define UART_ID 0xfe0 /* 8 words: peripheral then PrimeCell ids */

#define FR_RXFE BIT(4)
#define FR_RXFF BIT(6)
#define FR_TXFE BIT(7)
#define INT_RX BIT(4)
#define INT_TX BIT(5)
#define INT_RT BIT(6)
#define INT_ALL 0x7ff

#define FIFO_SIZE 32
#define FIFO_LEVEL 16 /* the receive interrupt's trigger: half full, the reset value of IFLS */

u32 vpl011_rate = VPL011_RATE;

/* A PL011 (r1p5) as the ID registers name it: part 0x011, designer ARM, then the PrimeCell id. */
static const u8 uart_id[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

/*
 * Whether n more bytes fit the quota (taking them if so): Domus' console and
 * log are shared by every domain, and a guest must not drown the others (or
 * Domus' own lines) by writing its UART in a loop. What it costs: each line
 * logged (shown on the terminal with it, or after its bytes were), each byte
 * shown as it is written, and each note saying what was dropped.
 */
static bool take_budget(struct vpl011 *u, u64 n)
{
	u64 now = arch_counter(), freq = arch_counter_freq();
	u64 earned = (now - u->refilled) / (freq / 1000) * vpl011_rate / 1000;

	if (earned) {
		u->budget = MIN(VPL011_BURST, u->budget + earned);
		u->refilled = now;
	}
	if (n > u->budget)
		return false;
	u->budget -= n;
	return true;
}

/*
 * A whole line to the log, and to the terminal unless its bytes went there
 * already (shown, and paid for then: a line some of whose bytes could not be
 * shown is not logged either). Over the quota it is dropped, and the next line
 * through is preceded by a note of how much went.
 */
static void send_line(struct domain *d, struct vpl011 *u, bool shown)
{
	char note[80];
	int n = u->dropped ? snprintf(note, sizeof(note),
				      "[%lu bytes dropped: over its UART quota]", u->dropped)
			   : 0;

	if ((shown && u->line_unpaid) || !take_budget(u, (u64)n + (shown ? 0 : u->line_len))) {
		u->dropped += u->line_len;
		return;
	}
	if (n)
		console_domain_line(d, note, (size_t)n, true);
	u->dropped = 0;
	console_domain_line(d, u->line, u->line_len, !shown);
}

/* Whether dom0 has read the UART within the last second: its reader shows the output then. */
static bool dom0_reading(const struct vpl011 *u)
{
	return u->dom0_read_at && arch_counter() - u->dom0_read_at < arch_counter_freq();
}

/*
 * What of a guest's output may reach Domus' terminal as it is written: text,
 * and the controls a shell's line editing needs to look right (CR, BS). Not
 * ESC: a guest's escape sequences could make the terminal answer, and the
 * answer would come back as typed input (Ctrl-a three times, say).
 */
static bool terminal_safe(char c)
{
	return c == '\n' || c == '\t' || c == '\r' || c == '\b' || (c >= 0x20 && c != 0x7f);
}

static void transmit(struct domain *d, struct vpl011 *u, char c)
{
	/*
	 * Shown already: dom0 reads it, or the operator is typing to this guest
	 * here (its echo and prompts show at once, not a line later).
	 */
	bool dom0 = dom0_reading(u), shown = dom0 || console_has_input(d);

	u->kept[u->kept_pos++ % VPL011_KEPT] = c;
	if (!dom0 && shown) {
		if (!take_budget(u, 1))
			u->line_unpaid++;
		else if (terminal_safe(c))
			console_guest_write(d, &c, 1);
	}
	/*
	 * Only printable text and tabs reach the log, and the terminal line by
	 * line. Carriage returns go too: the line goes out with Domus' own line
	 * ending.
	 */
	if (c != '\n' && c != '\t' && (c < 0x20 || c == 0x7f))
		return;
	u->line[u->line_len++] = c;
	if (c == '\n' || u->line_len == VPL011_LINE) {
		send_line(d, u, shown);
		u->line_len = 0;
		u->line_unpaid = 0;
	}
}

static u32 rx_count(const struct vpl011 *u)
{
	return u->in_prod - u->in_cons;
}

/* DR read: the oldest byte received; the receive interrupts fall as a PL011's do. */
static u8 take_byte(struct vpl011 *u)
{
	u8 c;

	if (!rx_count(u))
		return 0;
	c = (u8)u->in[u->in_cons++ % VPL011_IN];
	if (rx_count(u) < FIFO_LEVEL)
		u->ris &= ~INT_RX;
	if (!rx_count(u))
		u->ris &= ~INT_RT;
	return c;
}

/* The SPI follows MIS. The TX interrupt is raw whenever the (empty) FIFO is below its level. */
static void update_line(struct domain *d, struct vpl011 *u)
{
	bool level;

	u->ris |= INT_TX;
	level = (u->ris & u->imsc) != 0;
	if (level != u->level) {
		u->level = level;
		vgic_set_level(d, NULL, GUEST_VPL011_SPI, level);
	}
}

/* A register read: what a PL011 with an always empty TX FIFO shows. */
static u64 read_reg(struct vpl011 *u, u64 off)
{
	switch (off) {
	case UART_DR:
		return take_byte(u);
	case UART_FR:
		return FR_TXFE | (rx_count(u) ? 0 : FR_RXFE) | (rx_count(u) >= FIFO_SIZE ? FR_RXFF : 0);
	case UART_IMSC:
		return u->imsc;
	case UART_RIS:
		return u->ris;
	case UART_MIS:
		return u->ris & u->imsc;
	}
	/* Write-only ICR, and what the SBSA subset lacks: 0. */
	return off >= UART_ID ? uart_id[(off - UART_ID) / 4] : 0;
}

int vpl011_access(struct vcpu *v, struct vpl011 *u, u64 off, u32 size, bool write, u64 *val)
{
	struct domain *d = v->dom;

	/* The SBSA UART's registers are 32 bits wide; DR may also be written a byte at a time. */
	if (size == 8 || (size != 4 && !(off == UART_DR && write)) || (off & 3))
		return -EINVAL;
	spin_lock(&u->lock);
	if (!write)
		*val = read_reg(u, off);
	else if (off == UART_DR)
		transmit(d, u, (char)*val);
	else if (off == UART_IMSC)
		u->imsc = (u32)*val & INT_ALL;
	else if (off == UART_ICR)
		u->ris &= ~(u32)*val; /* TX comes straight back: the FIFO is still empty */
	/* Writes elsewhere (baud rate, line and control, FIFO levels, DMA) change nothing. */
	update_line(d, u);
	spin_unlock(&u->lock);
	return 0;
}

static int mmio(struct vcpu *v, ipa_t ipa, u32 size, bool write, u64 *val, void *ctx)
{
	return vpl011_access(v, ctx, ipa_offset(ipa, ipa_init(GUEST_PL011_BASE)), size, write, val);
}

static int push_input(struct vpl011 *u, char c)
{
	if (rx_count(u) == VPL011_IN)
		return -ENOSPC; /* the guest is not reading: as a real UART, input overruns */
	u->in[u->in_prod++ % VPL011_IN] = c;
	u->ris |= INT_RT | (rx_count(u) >= FIFO_LEVEL ? INT_RX : 0);
	return 0;
}

int vpl011_receive(struct domain *d, struct vpl011 *u, char c)
{
	int rc;

	spin_lock(&u->lock);
	rc = push_input(u, c);
	update_line(d, u);
	spin_unlock(&u->lock);
	return rc;
}

u32 vpl011_dom0_io(struct domain *d, struct vpl011 *u, char *out, u32 out_size, u64 *index,
		   u64 *lost, const char *in, u32 in_count, u32 *in_taken)
{
	u64 oldest;
	u32 n = 0;

	spin_lock(&u->lock);
	u->dom0_read_at = arch_counter() ?: 1;
	oldest = u->kept_pos > VPL011_KEPT ? u->kept_pos - VPL011_KEPT : 0;
	*lost = 0;
	if (*index < oldest) {
		*lost = oldest - *index;
		*index = oldest;
	}
	if (*index > u->kept_pos) /* a position not reached yet: from now on */
		*index = u->kept_pos;
	while (n < out_size && *index < u->kept_pos)
		out[n++] = u->kept[(*index)++ % VPL011_KEPT];
	for (*in_taken = 0; *in_taken < in_count && !push_input(u, in[*in_taken]); (*in_taken)++)
		;
	if (in_count)
		update_line(d, u);
	spin_unlock(&u->lock);
	return n;
}

void arch_vuart_receive(struct domain *d, char c)
{
	vpl011_receive(d, &d->arch.vpl011, c);
}

u32 arch_vuart_dom0_io(struct domain *d, char *out, u32 out_size, u64 *index, u64 *lost,
		       const char *in, u32 in_count, u32 *in_taken)
{
	return vpl011_dom0_io(d, &d->arch.vpl011, out, out_size, index, lost, in, in_count,
			      in_taken);
}

int arch_vuart_init(struct domain *d)
{
	d->arch.vpl011.budget = VPL011_BURST;
	d->arch.vpl011.refilled = arch_counter();
	return domain_add_mmio(d, ipa_init(GUEST_PL011_BASE), GUEST_PL011_SIZE, mmio,
			       &d->arch.vpl011);
}
