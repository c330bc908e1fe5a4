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
static unsigned int escapes_seen;

/*
 * Who typed input goes to. Ctrl-a three times moves it on, in this order:
 * dom0, Domus' own keys, then each guest with an emulated UART by id, and
 * back to dom0 (or to Domus when there is no dom0). A domain is held by id,
 * not by pointer: one destroyed while it has the input is noticed at the
 * next key. Written only from the UART's interrupt; read by vpl011 on any
 * pCPU to decide whether a guest's output goes straight to the terminal.
 */
#define FOCUS_DOMUS DOMID_INVALID
static domid_t focus = FOCUS_DOMUS;
static bool have_dom0;

static void set_focus(domid_t id)
{
	__atomic_store_n(&focus, id, __ATOMIC_RELAXED);
}

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
			 bool end_line, bool show)
{
	bool line_start = true;

	spin_lock(&console_lock);
	if (show && !at_line_start && len)
		emit('\n');
	for (size_t i = 0; i < len; i++) {
		if (line_start) {
			for (const char *p = prefix; *p; p++) {
				if (log_prefix)
					log_ring[log_pos++ % LOG_RING_SIZE] = *p;
				if (show)
					emit(*p);
			}
		}
		log_ring[log_pos++ % LOG_RING_SIZE] = s[i];
		if (show)
			emit(s[i]);
		line_start = s[i] == '\n';
	}
	if (end_line && len && !line_start) {
		log_ring[log_pos++ % LOG_RING_SIZE] = '\n';
		if (show)
			emit('\n');
	}
	spin_unlock(&console_lock);
}

void console_write(const char *s, size_t len)
{
	write_logged("(domus) ", false, s, len, false, true);
}

void console_domain_line(struct domain *d, const char *s, size_t len, bool show)
{
	char prefix[12];

	snprintf(prefix, sizeof(prefix), "(d%u) ", d->id);
	write_logged(prefix, true, s, len, true, show);
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
	have_dom0 = true;
	set_focus(d->id);
}

bool console_has_input(const struct domain *d)
{
	return __atomic_load_n(&focus, __ATOMIC_RELAXED) == d->id;
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

/* The running guest with an emulated UART and the lowest id above after, or NULL. */
static struct domain *next_uart_guest(domid_t after)
{
	struct domain *best = NULL;

	for (struct domain *d = domain_list(); d; d = d->next) {
		enum domain_state state;

		if (d->id <= after || !d->vuart || (best && d->id > best->id))
			continue;
		spin_lock(&d->lock); /* its state changes under it on other pCPUs */
		state = d->state;
		spin_unlock(&d->lock);
		if (state != DOMAIN_DYING && state != DOMAIN_SHUTDOWN)
			best = d;
	}
	return best;
}

static void say_focus(void)
{
	if (focus == FOCUS_DOMUS)
		printk("console input to Domus ('h' for help, Ctrl-a x3 to switch on)\n");
	else if (focus == 0)
		printk("console input to d0 (Ctrl-a x3 to switch)\n");
	else
		printk("console input to d%u's UART (Ctrl-a x3 to switch on)\n", focus);
}

/* Ctrl-a three times: the next in the cycle. */
static void switch_focus(void)
{
	struct domain *next = next_uart_guest(focus == FOCUS_DOMUS ? 0 : focus);

	if (focus == 0 && have_dom0)
		set_focus(FOCUS_DOMUS);
	else if (next)
		set_focus(next->id);
	else
		set_focus(have_dom0 ? 0 : FOCUS_DOMUS);
	say_focus();
}

void console_focus_first_uart_guest(void)
{
	struct domain *d = next_uart_guest(0);

	if (!have_dom0 && d) {
		set_focus(d->id);
		say_focus();
	}
}

static void deliver(char c)
{
	struct domain *d;

	if (focus == FOCUS_DOMUS) {
		keyhandler_key(c);
		return;
	}
	d = domain_by_id(focus);
	if (!d || (focus && !d->vuart)) {
		printk("d%u, which had the console input, is gone\n", focus);
		set_focus(have_dom0 ? 0 : FOCUS_DOMUS);
		say_focus();
		return;
	}
	if (focus) {
		arch_vuart_receive(d, c);
		return;
	}
	spin_lock(&input_lock);
	if (input_prod - input_cons < INPUT_RING_SIZE)
		input_ring[input_prod++ % INPUT_RING_SIZE] = c;
	spin_unlock(&input_lock);
	evtchn_send_virq(d, VIRQ_CONSOLE);
}

static void handle_input(char c)
{
	if (c == CONSOLE_ESCAPE) {
		if (++escapes_seen == 3) {
			escapes_seen = 0;
			switch_focus();
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
