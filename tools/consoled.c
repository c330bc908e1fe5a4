/* SPDX-License-Identifier: MIT */
/*
 * Guest consoles: the back end of Xen's console ring, in dom0. The guest
 * writes its output into the ring's "out" half and signals its port; we copy
 * it to the log and to whoever is attached, advance out_cons and signal back
 * (Linux's hvc_xen waits for that when the ring is full). Typed input goes
 * into the "in" half the other way.
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
#include <unistd.h>

typedef uint16_t domid_t;
#include <xen/evtchn.h>

#include "console.h"
#include "domstore.h"
#include "libdomus.h"

/* Xen's struct xencons_interface (public/io/console.h). */
struct xencons_interface {
	char in[1024];
	char out[2048];
	uint32_t in_cons, in_prod;
	uint32_t out_cons, out_prod;
};

#define DETACH_KEY 0x1d /* Ctrl-] */

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

/* Copies whatever the guest wrote; true if anything was consumed. */
static bool drain(volatile struct xencons_interface *r, int logfd, int client)
{
	char buf[2048];
	uint32_t cons = r->out_cons, prod = r->out_prod, n = 0;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > sizeof(r->out))
		cons = prod - sizeof(r->out); /* a guest's bogus indices: take the last ring-full */
	while (cons != prod)
		buf[n++] = r->out[cons++ % sizeof(r->out)];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->out_cons = cons;
	if (!n)
		return false;
	write_all(logfd, buf, n);
	if (client >= 0)
		write_all(client, buf, n);
	return true;
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
	if (!strcmp(what, "preserve"))
		return; /* left shut down, for a look at it; `domus destroy` ends it */
	domain_end(domid);
	if (!strcmp(what, "restart"))
		execl("/proc/self/exe", "domus", "create", c->path, (char *)NULL);
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
	struct sockaddr_un addr;
	char path[300], pidpath[300];
	int pidfd, evfd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC), lfd, logfd, client = -1, local;
	bool stopped = false;
	/* Typed bytes read from the attached client that the guest's ring had no room for. */
	char input[1024];
	size_t pending = 0, input_off = 0;

	mkdir_p(CONSOLE_LOG_DIR);
	mkdir_p(CONSOLE_SOCK_DIR);
	snprintf(path, sizeof(path), "%s/%s.log", CONSOLE_LOG_DIR, c->name);
	logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!ring)
		return daemon_fail(c->name, "mapping its ring");
	if (evfd < 0)
		return daemon_fail(c->name, "/dev/xen/evtchn");
	if (logfd < 0)
		return daemon_fail(c->name, path);
	local = ioctl(evfd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &binding);
	if (local < 0)
		return daemon_fail(c->name, "binding its port");
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sock_path(c->name, &addr);
	unlink(addr.sun_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 1))
		return daemon_fail(c->name, addr.sun_path);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
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
				       { client, pending ? 0 : POLLIN, 0 } };
		struct domus_ctl_domaininfo info;
		uint16_t id;
		char buf[1024];

		poll(p, client >= 0 ? 3 : 2, 250);
		if (told_to_stop)
			break; /* `domus destroy`: let go of the ring before the domain goes */
		if (p[0].revents & POLLIN) {
			uint32_t fired;

			if (read(evfd, &fired, sizeof(fired)) == sizeof(fired))
				write_all(evfd, (char *)&fired, sizeof(fired)); /* unmask */
		}
		if (drain(ring, logfd, client))
			notify(evfd, (uint32_t)local);
		if (p[1].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				int old = open(path, O_RDONLY | O_CLOEXEC);
				ssize_t n;

				if (client >= 0)
					close(client); /* the newest attach wins, as with xl */
				client = fd;
				while (old >= 0 && (n = read(old, buf, sizeof(buf))) > 0)
					write_all(client, buf, (size_t)n);
				if (old >= 0)
					close(old);
			}
		}
		/* Input the guest had no room for yet: as its ring empties, in it goes. */
		if (pending) {
			size_t n = feed(ring, input + input_off, pending);

			input_off += n;
			pending -= n;
			if (n)
				notify(evfd, (uint32_t)local);
		}
		if (client >= 0 && !pending && (p[2].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(client, input, sizeof(input));

			if (n <= 0) {
				close(client);
				client = -1;
			} else {
				input_off = feed(ring, input, (size_t)n);
				pending = (size_t)n - input_off;
				if (input_off)
					notify(evfd, (uint32_t)local);
			}
		}
		/* The domain's state, as the hypervisor has it. */
		if (domus_find_domain(c->name, &id, &info) || id != domid)
			break; /* destroyed by someone */
		if (info.state == DOMUS_DOMAIN_SHUTDOWN && !stopped) {
			drain(ring, logfd, client);
			stopped = true;
			/* Our view of its memory goes first: a destroy would take it anyway. */
			domus_unmap_foreign((void *)ring, 1);
			ring = NULL;
			unlink(addr.sun_path);
			unlink(pidpath);
			if (client >= 0)
				close(client);
			apply_action(c, domid, info.shutdown_reason);
			return 0;
		}
	}
	if (client >= 0)
		close(client);
	if (ring)
		domus_unmap_foreign((void *)ring, 1);
	unlink(addr.sun_path);
	unlink(pidpath);
	return 0;
}

int console_attach(const char *name)
{
	struct sockaddr_un addr;
	struct termios saved, raw;
	bool tty = isatty(0) && tcgetattr(0, &saved) == 0, remote_closed = false;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sock_path(name, &addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "domus: no console for '%s' (is it running?)\n", name);
		return 1;
	}
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
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
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
	close(fd);
	/* Say why we are back: the guest stopped, or the user detached. */
	if (remote_closed)
		printf("\r\ndomus: the console of '%s' closed\n", name);
	else
		printf("\r\ndomus: left the console of '%s'\n", name);
	fflush(stdout);
	return 0;
}
