/* SPDX-License-Identifier: MIT */
/*
 * Guest consoles: the back end of Xen's console ring, in dom0. The guest
 * writes its output into the ring's "out" half and signals its port; we copy
 * it to the log and to whoever is attached, advance out_cons and signal back
 * (Linux's hvc_xen waits for that when the ring is full). Typed input goes
 * into the "in" half the other way.
 *
 * Nothing the guest prints is trusted: it passes console_filter() before it
 * is logged or sent to a terminal; the log is capped, rotated and budgeted
 * (console_log.c); and the ring is read at READ_RATE at most, each wake-up
 * costing WAKE_COST of it whether it brought data or not, so that a guest
 * that floods, or only rings its port, gets the ring back at that pace (its
 * console waits) and cannot keep dom0's CPU busy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

typedef uint16_t domid_t;
#include <xen/evtchn.h>

#include <public/sched.h>

#include "console.h"
#include "console_filter.h"
#include "console_log.h"
#include "domstore.h"
#include "libdomus.h"
#include "save.h"

/* Xen's struct xencons_interface (public/io/console.h). */
struct xencons_interface {
	char in[1024];
	char out[2048];
	uint32_t in_cons, in_prod;
	uint32_t out_cons, out_prod;
};


#define READ_RATE (256 * 1024) /* bytes a second taken from a guest's ring, at most */
#define READ_BURST (64 * 1024)
#define WAKE_COST 1024 /* what one wake-up counts against READ_RATE */
#define STATE_CHECK_MS 250 /* how often we ask the hypervisor how the domain is */

static volatile sig_atomic_t told_to_stop;

static void on_term(int sig)
{
	(void)sig;
	told_to_stop = 1;
}

static void sock_path(const char *name, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s.sock", CONSOLE_SOCK_DIR, name);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void notify(int evfd, uint32_t port)
{
	struct ioctl_evtchn_notify n = { .port = port };

	ioctl(evfd, IOCTL_EVTCHN_NOTIFY, &n);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* What we may still take from the guest's ring: READ_RATE a second, up to READ_BURST. */
struct read_budget {
	long left;
	uint64_t at;
};

static void budget_refill(struct read_budget *b, uint64_t now)
{
	long add = (long)((now - b->at) * READ_RATE / 1000);

	if (add > 0) {
		b->left = b->left + add > READ_BURST ? READ_BURST : b->left + add;
		b->at = now;
	}
}

/* Milliseconds until the budget is positive again. */
static int budget_wait(const struct read_budget *b)
{
	long ms = (1 - b->left) * 1000 / READ_RATE + 1;

	return ms < 5 ? 5 : ms > STATE_CHECK_MS ? STATE_CHECK_MS : (int)ms;
}

/* The output side of one console: what the guest printed, made safe, to the log and the client. */
struct output {
	struct console_filter filter;
	struct console_log log;
	int client;
};

/* Takes whatever the guest wrote; returns how many bytes of the ring that was. */
static uint32_t drain(volatile struct xencons_interface *r, struct output *o)
{
	char buf[2048], safe[sizeof(buf) + CONSOLE_FILTER_SLACK];
	uint32_t cons = r->out_cons, prod = r->out_prod, n = 0;
	size_t m;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > sizeof(r->out))
		cons = prod - sizeof(r->out); /* a guest's bogus indices: take the last ring-full */
	while (cons != prod)
		buf[n++] = r->out[cons++ % sizeof(r->out)];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->out_cons = cons;
	if (!n)
		return 0;
	m = console_filter(&o->filter, buf, n, safe);
	console_log_write(&o->log, safe, m, now_ms());
	if (o->client >= 0)
		write_all(o->client, safe, m);
	return n;
}

/* A client attaching sees the log so far: the older file, then the current one. */
static void replay(const struct console_log *log, int client)
{
	char old[sizeof(log->path) + 2], buf[4096];
	const char *files[2] = { old, log->path };
	ssize_t n;

	snprintf(old, sizeof(old), "%s.1", log->path);
	for (int i = 0; i < 2; i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);

		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			write_all(client, buf, (size_t)n);
		if (fd >= 0)
			close(fd);
	}
}

/* Puts typed bytes into the guest's input half; returns how many fitted. */
static size_t feed(volatile struct xencons_interface *r, const char *p, size_t n)
{
	uint32_t cons = r->in_cons, prod = r->in_prod;
	size_t done = 0;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	while (done < n && prod - cons < sizeof(r->in))
		r->in[prod++ % sizeof(r->in)] = p[done++];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->in_prod = prod;
	return done;
}

/* What the toolstack does when the domain stops: on_poweroff, on_reboot, on_crash. */
static void apply_action(const struct domu_config *c, uint16_t domid, uint32_t reason)
{
	/* A watchdog that fired means a guest that hung or crashed without saying so. */
	const char *what = reason == 0 ? c->on_poweroff : reason == 1 ? c->on_reboot :
		reason == 3 || reason == 4 ? c->on_crash : "destroy";
	if (reason == SHUTDOWN_suspend)
		return; /* `domus save` asked for it: the guest is its to save, or resume */
	if (!strcmp(what, "preserve"))
		return; /* left shut down, for a look at it; `domus destroy` ends it */
	domain_end(domid);
	if (!strcmp(what, "restart")) /* from the config kept at create (or restore), again kept */
		execl("/proc/self/exe", "domus", "create", c->path, (char *)NULL);
	config_forget(c->name);
}

static void mkdir_p(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static int daemon_fail(const char *name, const char *what)
{
	fprintf(stderr, "domus: console of '%s': %s: %s\n", name, what, strerror(errno));
	return 1;
}

int consoled_run(const struct domu_config *c, uint16_t domid, uint64_t gfn, uint32_t port,
		 int ready_fd)
{
	struct ioctl_evtchn_bind_interdomain binding = { .remote_domain = domid, .remote_port = port };
	volatile struct xencons_interface *ring = domus_map_foreign(domid, gfn, 1);
	static struct output out = { .client = -1 }; /* (the log's tail: not on the stack) */
	struct read_budget budget = { READ_BURST, now_ms() };
	struct sockaddr_un addr;
	char path[300], pidpath[300];
	int pidfd, evfd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC), lfd, local, rc;
	uint64_t checked = 0;
	uint32_t masked = 0; /* its port, left masked while the budget is spent (0: none) */
	/* Typed bytes read from the attached client that the guest's ring had no room for. */
	char input[1024];
	size_t pending = 0, input_off = 0;

	mkdir_p(CONSOLE_LOG_DIR);
	mkdir_p(CONSOLE_SOCK_DIR);
	snprintf(path, sizeof(path), "%s/%s.log", CONSOLE_LOG_DIR, c->name);
	rc = console_log_open(&out.log, path,
			      console_log_parse_size(getenv("DOMUS_CONSOLE_LOG_SIZE")), now_ms());
	if (!ring)
		return daemon_fail(c->name, "mapping its ring");
	if (evfd < 0)
		return daemon_fail(c->name, "/dev/xen/evtchn");
	if (rc) {
		errno = -rc;
		return daemon_fail(c->name, path);
	}
	local = ioctl(evfd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &binding);
	if (local < 0)
		return daemon_fail(c->name, "binding its port");
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sock_path(c->name, &addr);
	unlink(addr.sun_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 1))
		return daemon_fail(c->name, addr.sun_path);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Not restarted: a write to an attached client that stopped reading
	 * must give up when we are told to stop, or the port stays ours.
	 */
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_term }, NULL);
	snprintf(pidpath, sizeof(pidpath), "%s/%s.pid", CONSOLE_SOCK_DIR, c->name);
	pidfd = open(pidpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (pidfd >= 0) {
		dprintf(pidfd, "%d\n", (int)getpid());
		close(pidfd);
	}
	write_all(ready_fd, "R", 1);
	close(ready_fd);
	for (;;) {
		/* Typed input is read only when what came before it is in the ring. */
		struct pollfd p[3] = { { evfd, POLLIN, 0 }, { lfd, POLLIN, 0 },
				       { out.client, pending ? 0 : POLLIN, 0 } };
		struct domus_ctl_domaininfo info;
		uint64_t now = now_ms();
		uint16_t id;
		uint32_t n;

		budget_refill(&budget, now);
		if (masked && budget.left > 0) {
			write_all(evfd, (char *)&masked, sizeof(masked)); /* its events may come again */
			masked = 0;
		}
		poll(p, out.client >= 0 ? 3 : 2, budget.left > 0 ? STATE_CHECK_MS : budget_wait(&budget));
		if (told_to_stop)
			break; /* `domus destroy`: let go of the ring before the domain goes */
		now = now_ms();
		budget_refill(&budget, now);
		if (p[0].revents & POLLIN) {
			uint32_t fired;

			if (read(evfd, &fired, sizeof(fired)) == sizeof(fired)) {
				budget.left -= WAKE_COST;
				if (budget.left > 0)
					write_all(evfd, (char *)&fired, sizeof(fired)); /* unmask */
				else
					masked = fired; /* until the budget is back: no wake-ups meanwhile */
			}
		}
		if (budget.left > 0 && (n = drain(ring, &out))) {
			budget.left -= (long)n;
			notify(evfd, (uint32_t)local);
		}
		console_log_tick(&out.log, now);
		if (p[1].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				if (out.client >= 0)
					close(out.client); /* the newest attach wins, as with xl */
				out.client = fd;
				replay(&out.log, fd);
			}
		}
		/* Input the guest had no room for yet: as its ring empties, in it goes. */
		if (pending) {
			size_t fed = feed(ring, input + input_off, pending);

			input_off += fed;
			pending -= fed;
			if (fed)
				notify(evfd, (uint32_t)local);
		}
		if (out.client >= 0 && !pending && (p[2].revents & (POLLIN | POLLHUP))) {
			ssize_t got = read(out.client, input, sizeof(input));

			if (got <= 0) {
				close(out.client);
				out.client = -1;
			} else {
				input_off = feed(ring, input, (size_t)got);
				pending = (size_t)got - input_off;
				if (input_off)
					notify(evfd, (uint32_t)local);
			}
		}
		/* The domain's state, as the hypervisor has it (a walk of every domain: not each wake-up). */
		if (now - checked < STATE_CHECK_MS)
			continue;
		checked = now;
		if (domus_find_domain(c->name, &id, &info) || id != domid)
			break; /* destroyed by someone */
		if (info.state == DOMUS_DOMAIN_SHUTDOWN) {
			drain(ring, &out);
			console_log_close(&out.log);
			/* Our view of its memory goes first: a destroy would take it anyway. */
			domus_unmap_foreign((void *)ring, 1);
			ring = NULL;
			/*
			 * Its port too, before the pid file goes: whoever finds no pid
			 * file binds the port next (a failed save resumes the guest
			 * and starts our successor at once), and would be refused
			 * while we still hold it.
			 */
			close(evfd);
			unlink(addr.sun_path);
			unlink(pidpath);
			if (out.client >= 0)
				close(out.client);
			apply_action(c, domid, info.shutdown_reason);
			return 0;
		}
	}
	console_log_close(&out.log);
	if (out.client >= 0)
		close(out.client);
	if (ring)
		domus_unmap_foreign((void *)ring, 1);
	close(evfd); /* as above: let go of everything before the pid file goes */
	unlink(addr.sun_path);
	unlink(pidpath);
	return 0;
}

bool console_term_raw(struct termios *saved)
{
	struct termios raw;

	if (!isatty(0) || tcgetattr(0, saved))
		return false;
	raw = *saved;
	cfmakeraw(&raw);
	tcsetattr(0, TCSANOW, &raw);
	return true;
}

void console_term_restore(bool tty, const struct termios *saved)
{
	if (tty)
		tcsetattr(0, TCSANOW, saved);
	/*
	 * What the guest may have switched on that would still act in dom0's
	 * shell: mouse and focus reports and bracketed paste (bytes typed into
	 * it), application keys, a hidden cursor, line-drawing characters,
	 * colours. Back to normal.
	 */
	if (isatty(1))
		fputs("\033[0m\033(B\033)B\017\033[?25h\033[?1l\033>\033[?1000l\033[?1002l"
		      "\033[?1003l\033[?1004l\033[?1005l\033[?1006l\033[?2004l", stdout);
}

int console_attach(const char *name)
{
	struct sockaddr_un addr;
	struct termios saved;
	bool tty, remote_closed = false;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sock_path(name, &addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "domus: no console for '%s' (is it running?)\n", name);
		return 1;
	}
	tty = console_term_raw(&saved);
	for (;;) {
		struct pollfd p[2] = { { 0, POLLIN, 0 }, { fd, POLLIN, 0 } };
		char buf[1024];
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			break;
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0) {
				remote_closed = true;
				break;
			}
			write_all(1, buf, (size_t)n);
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			/*
			 * One byte at a time: what is typed after the detach key is
			 * for whoever reads this terminal next (dom0's shell), so it
			 * must stay unread in the terminal, not vanish with our buffer.
			 */
			char c;

			n = read(0, &c, 1);
			if (n <= 0)
				break;
			if (c == DETACH_KEY)
				break;
			write_all(fd, &c, 1);
		}
	}
	console_term_restore(tty, &saved);
	close(fd);
	/* Say why we are back: the guest stopped, or the user detached. */
	if (remote_closed)
		printf("\r\ndomus: the console of '%s' closed\n", name);
	else
		printf("\r\ndomus: left the console of '%s'\n", name);
	fflush(stdout);
	return 0;
}
