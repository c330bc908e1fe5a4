/* SPDX-License-Identifier: MIT */
/* Driver for the host's PL011 UART, which Domus keeps for its own console. */
#include <domus/console.h>
#include <domus/uart.h>

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_IMSC 0x38
#define UART_ICR 0x44
#define UART_CR 0x30
#define FR_TXFF (1u << 5)
#define FR_RXFE (1u << 4)
#define IMSC_RX (1u << 4)
#define IMSC_RT (1u << 6)

static volatile u32 *uart;

static inline u32 rd(u32 off)
{
	return uart[off / 4];
}

static inline void wr(u32 off, u32 val)
{
	uart[off / 4] = val;
}

void uart_init(paddr_t base)
{
	/* The firmware (or QEMU) left it configured; keep its baud rate. */
	uart = (volatile u32 *)(uintptr_t)pa_addr(base);
}

void uart_putc(char c)
{
	if (!uart)
		return;
	while (rd(UART_FR) & FR_TXFF)
		;
	wr(UART_DR, (u8)c);
}

int uart_getc(void)
{
	if (!uart || (rd(UART_FR) & FR_RXFE))
		return -1;
	return rd(UART_DR) & 0xff;
}

void uart_rx_irq_enable(void)
{
	if (!uart)
		return;
	wr(UART_ICR, 0x7ff);
	wr(UART_IMSC, IMSC_RX | IMSC_RT);
}
