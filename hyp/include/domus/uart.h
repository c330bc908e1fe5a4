/* SPDX-License-Identifier: MIT */
/* The host UART: an interface each UART driver implements (hyp/drivers/pl011.c). */
#ifndef DOMUS_UART_H
#define DOMUS_UART_H

#include <domus/types.h>

void uart_init(paddr_t base);
void uart_putc(char c);
int uart_getc(void); /* -1 if nothing waiting */
void uart_rx_irq_enable(void);

#endif
