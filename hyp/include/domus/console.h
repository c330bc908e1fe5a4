/* SPDX-License-Identifier: MIT */
/* Domus' console: the log ring, the physical UART, and who gets typed input. */
#ifndef DOMUS_CONSOLE_H
#define DOMUS_CONSOLE_H

#include <domus/types.h>

struct domain;
struct vcpu;

void console_write(const char *s, size_t len);
/* Raw output from a domain (dom0's console_io writes), shown as it is. */
void console_guest_write(struct domain *d, const char *s, size_t len);
/*
 * A line of a domain's own UART output (an emulated one's): logged, and shown
 * if show, as Domus' lines are, prefixed "(dN) " instead of "(domus) ", as Xen
 * shows a domU's. A newline is added if it has none.
 */
void console_domain_line(struct domain *d, const char *s, size_t len, bool show);
/* Drains the UART; called from its interrupt. */
void console_rx_interrupt(void);
/* Copies log text from position *index on (advancing it); returns the bytes copied. */
u64 console_read_log(char *buf, u64 len, u64 *index);
/*
 * Typed input for the input domain (CONSOLEIO_read): peek copies up to len
 * bytes without taking them; consume takes n once they reached the guest.
 */
size_t console_peek_input(char *buf, size_t len);
void console_consume_input(size_t n);
/* Dom0 is there and has the input (it reads it with CONSOLEIO_read). */
void console_set_input_domain(struct domain *d);
/*
 * With no dom0, the input goes to the first guest with an emulated UART, if
 * any (a dom0less machine): call once the boot-time guests exist.
 */
void console_focus_first_uart_guest(void);
/* Whether d has the input now: its UART's output then goes to the terminal as it comes. */
bool console_has_input(const struct domain *d);

/* The hypervisor log. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A log line about something a guest did, prefixed "dNvM: ". Rate limited
 * per domain (a burst of 10, then 10 a second) so a guest cannot flood the
 * console; suppressed lines are counted and reported.
 */
void guest_printk(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define CONSOLE_ESCAPE 0x01 /* Ctrl-a, three times, as Xen's */

#endif
