/* SPDX-License-Identifier: MIT */
/* The console: log lines prefixed "(domus)", a ring of them, and input routing. */
#include <domus/arch.h>
#include <domus/console.h>
#include <domus/domain.h>
#include <domus/keyhandler.h>
#include <domus/printk.h>
#include <domus/sched.h>
#include <domus/spinlock.h>
#include <domus/string.h>
#include <public/xen.h>
#include <domus/evtchn.h>
#include <domus/uart.h>
#include <stdarg.h>

#define LOG_RING_SIZE 65536 /* Domus' lines and guests' UART lines (vpl011's quota is a burst of 64 KiB) */

static spinlock_t console_lock = SPINLOCK_INIT;
static char log_ring[LOG_RING_SIZE];
static u64 log_pos;
static bool at_line_start = true;
static struct domain *input_domain;
static bool input_to_domus;
static unsigned int escapes_seen;

static void emit(char c)
{
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
	at_line_start = (c == '\n');
}

/*
 * Logged text: each line on a line of its own (even after a guest's prompt),
 * with a prefix (in the log too if log_prefix: the log is Domus' unless it
 * says otherwise); end_line ends the last one if the text did not.
 */
static void write_logged(const char *prefix, bool log_prefix, const char *s, size_t len,
			 bool end_line)
{
	spin_lock(&console_lock);
	if (!at_line_start && len)
		emit('\n');
	for (size_t i = 0; i < len; i++) {
		if (at_line_start) {
			for (const char *p = prefix; *p; p++) {
				if (log_prefix)
					log_ring[log_pos++ % LOG_RING_SIZE] = *p;
				emit(*p);
			}
		}
		log_ring[log_pos++ % LOG_RING_SIZE] = s[i];
		emit(s[i]);
	}
	if (end_line && !at_line_start) {
		log_ring[log_pos++ % LOG_RING_SIZE] = '\n';
		emit('\n');
	}
	spin_unlock(&console_lock);
}

void console_write(const char *s, size_t len)
{
	write_logged("(domus) ", false, s, len, false);
}

void console_domain_line(struct domain *d, const char *s, size_t len)
{
	char prefix[12];

	snprintf(prefix, sizeof(prefix), "(d%u) ", d->id);
	write_logged(prefix, true, s, len, true);
}

u64 console_read_log(char *buf, u64 len, u64 *index)
{
	u64 n = 0;

	spin_lock(&console_lock);
	/* Older text has been overwritten: continue from the oldest still there. */
	if (log_pos > LOG_RING_SIZE && *index < log_pos - LOG_RING_SIZE)
		*index = log_pos - LOG_RING_SIZE;
	while (n < len && *index < log_pos)
		buf[n++] = log_ring[(*index)++ % LOG_RING_SIZE];
	spin_unlock(&console_lock);
	return n;
}

void console_guest_write(struct domain *d, const char *s, size_t len)
{
	spin_lock(&console_lock);
	for (size_t i = 0; i < len; i++) {
		/* The guest's own line discipline already sends \r\n. */
		uart_putc(s[i]);
		at_line_start = (s[i] == '\n');
	}
	spin_unlock(&console_lock);
}

void printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	console_write(buf, n);
}

#define GUEST_LOG_BURST 10
#define GUEST_LOG_PER_SECOND 10

void guest_printk(struct vcpu *v, const char *fmt, ...)
{
	struct domain *d = v->dom;
	u64 now = arch_counter(), interval = arch_counter_freq() / GUEST_LOG_PER_SECOND;
	char buf[400];
	va_list ap;
	u32 suppressed;
	int n;

	spin_lock(&d->lock);
	if (!d->log_stamp) {
		d->log_tokens = GUEST_LOG_BURST;
		d->log_stamp = now;
	}
	while (d->log_tokens < GUEST_LOG_BURST && now - d->log_stamp >= interval) {
		d->log_tokens++;
		d->log_stamp += interval;
	}
	if (d->log_tokens == GUEST_LOG_BURST)
		d->log_stamp = now;
	if (!d->log_tokens) {
		d->log_suppressed++;
		spin_unlock(&d->lock);
		return;
	}
	d->log_tokens--;
	suppressed = d->log_suppressed;
	d->log_suppressed = 0;
	spin_unlock(&d->lock);

	if (suppressed)
		printk("d%u: %u more messages suppressed\n", d->id, suppressed);
	n = snprintf(buf, sizeof(buf), VCPU_LOG, VCPU_ARGS(v));
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	console_write(buf, strnlen(buf, sizeof(buf)));
}

void console_set_input_domain(struct domain *d)
{
	input_domain = d;
}

/* Typed input waiting for CONSOLEIO_read; a full ring drops new input. */
#define INPUT_RING_SIZE 4096
static char input_ring[INPUT_RING_SIZE];
static u32 input_prod, input_cons;
static spinlock_t input_lock = SPINLOCK_INIT;

size_t console_peek_input(char *buf, size_t len)
{
	size_t n = 0;

	spin_lock(&input_lock);
	while (n < len && input_cons + n != input_prod) {
		buf[n] = input_ring[(input_cons + n) % INPUT_RING_SIZE];
		n++;
	}
	spin_unlock(&input_lock);
	return n;
}

void console_consume_input(size_t n)
{
	spin_lock(&input_lock);
	if (n > input_prod - input_cons)
		n = input_prod - input_cons;
	input_cons += (u32)n;
	spin_unlock(&input_lock);
}

static void deliver(char c)
{
	if (input_to_domus) {
		keyhandler_key(c);
	} else if (input_domain) {
		spin_lock(&input_lock);
		if (input_prod - input_cons < INPUT_RING_SIZE)
			input_ring[input_prod++ % INPUT_RING_SIZE] = c;
		spin_unlock(&input_lock);
		evtchn_send_virq(input_domain, VIRQ_CONSOLE);
	}
}

static void handle_input(char c)
{
	if (c == CONSOLE_ESCAPE) {
		if (++escapes_seen == 3) {
			escapes_seen = 0;
			input_to_domus = !input_to_domus || !input_domain;
			if (input_to_domus)
				printk("console input to Domus ('h' for help, Ctrl-a x3 to return)\n");
			else
				printk("console input to d%u\n", input_domain->id);
		}
		return;
	}
	/* Fewer than three escapes were meant for the guest. */
	for (; escapes_seen; escapes_seen--)
		deliver(CONSOLE_ESCAPE);
	deliver(c);
}

void console_rx_interrupt(void)
{
	int c;

	while ((c = uart_getc()) >= 0)
		handle_input((char)c);
}

/* A bug in Domus itself (never a guest's doing): say what, then the arch shows where and stops. */
void panic(const char *fmt, ...)
{
	struct pcpu *p = arch_this_pcpu();
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The arch's dump is taken in arch_panic_halt: the caller is named here. */
	printk("PANIC on CPU %u: %s (called from %p)\n", p ? p->id : 0, msg,
	       __builtin_return_address(0));
	arch_panic_halt(msg);
}
