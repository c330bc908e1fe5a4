/* SPDX-License-Identifier: MIT */
/*
 * The fake UART: the console goes to stderr when DOMUS_CONSOLE is set; what a
 * test types (fake_uart_type) is read by pCPU 0, as the real UART's interrupt.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <domus/arch.h>
#include <domus/console.h>
#include <domus/uart.h>

#include "fake.h"

#define TYPED_MAX 4096
static pthread_mutex_t typed_lock = PTHREAD_MUTEX_INITIALIZER;
static char typed[TYPED_MAX];
static unsigned int typed_head, typed_tail;

static int echo = -1;

void uart_init(paddr_t base)
{
}

/* The core's log ring (console_read_log) keeps the text either way. */
void uart_putc(char c)
{
	if (echo < 0)
		echo = getenv("DOMUS_CONSOLE") != NULL;
	if (echo && c != '\r')
		fputc(c, stderr);
}

int uart_getc(void)
{
	int c = -1;

	pthread_mutex_lock(&typed_lock);
	if (typed_head != typed_tail)
		c = (unsigned char)typed[typed_head++ % TYPED_MAX];
	pthread_mutex_unlock(&typed_lock);
	return c;
}

void fake_uart_type(const char *s, size_t len)
{
	pthread_mutex_lock(&typed_lock);
	for (size_t i = 0; i < len && typed_tail - typed_head < TYPED_MAX; i++)
		typed[typed_tail++ % TYPED_MAX] = s[i];
	pthread_mutex_unlock(&typed_lock);
	arch_send_kick(0); /* the interrupt: an idle pCPU 0 wakes to take it */
}

bool fake_uart_typed(void)
{
	bool any;

	pthread_mutex_lock(&typed_lock);
	any = typed_head != typed_tail;
	pthread_mutex_unlock(&typed_lock);
	return any;
}

void uart_rx_irq_enable(void)
{
}
