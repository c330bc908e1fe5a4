/* SPDX-License-Identifier: MIT */
/*
 * domus: the toolstack's command line in dom0. Its commands, their arguments
 * and their help are in one table, `commands` below: `domus help` lists them,
 * `domus help CMD` shows one, and a command given the wrong arguments says
 * its own usage.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <unistd.h>

#include "build.h"
#include "clone.h"
#include "config.h"
#include "console.h"
#include "devices.h"
#include "domstore.h"
#include "guestnodes.h"
#include "handover.h"
#include "libdomus.h"
#include "save.h"
#include "savefile.h"
#include "vif.h"

#include <public/sched.h>
#include <public/version.h>
#include <public/xen.h>

static const char *const domain_states[] = {
	[DOMUS_DOMAIN_BUILDING] = "building", [DOMUS_DOMAIN_RUNNING] = "running",
	[DOMUS_DOMAIN_PAUSED] = "paused",     [DOMUS_DOMAIN_SHUTDOWN] = "shutdown",
	[DOMUS_DOMAIN_DYING] = "dying",
};
static const char *const vcpu_states[] = {
	[DOMUS_VCPU_OFFLINE] = "offline", [DOMUS_VCPU_RUNNABLE] = "runnable",
	[DOMUS_VCPU_RUNNING] = "running", [DOMUS_VCPU_BLOCKED] = "blocked",
	[DOMUS_VCPU_PAUSED] = "paused",
};

/* A state's name, or "?" for one this build does not know (a newer hypervisor's). */
#define STATE_NAME(names, n) ((n) < sizeof(names) / sizeof(names[0]) && names[n] ? names[n] : "?")

struct command {
	const char *name;
	const char *args; /* what follows the name, for its usage line */
	const char *help;
	int min_args, max_args;
	int (*run)(int argc, char **argv);
};

static const struct command *find_command(const char *name);
static int usage_of(const char *name);

static int fail(const char *what, long rc)
{
	fprintf(stderr, "domus: %s: %s\n", what, strerror((int)-rc));
	return 1;
}

static int cmd_version(int argc, char **argv)
{
	char extra[16] = { 0 };
	long v = domus_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);

	if (v < 0)
		return fail("xen_version", v);
	domus_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, (uintptr_t)extra, 0, 0, 0);
	extra[15] = 0;
	printf("Xen interface %ld.%ld%s\n", v >> 16, v & 0xffff, extra);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getdomaininfo };
	long rc;

	printf("%-20s %5s %8s %5s %-9s %10s %10s\n", "Name", "ID", "Mem(MiB)", "VCPUs", "State",
	       "Time(s)", "Shared(MiB)");
	for (c.domid = 0; (rc = domus_ctl(&c)) == 0; c.domid++) {
		struct domus_ctl_domaininfo *i = &c.u.domaininfo;

		/* Shut down by a crash, or by its watchdog: crashed. */
		bool crashed = i->state == DOMUS_DOMAIN_SHUTDOWN &&
			       (i->shutdown_reason == SHUTDOWN_crash ||
				i->shutdown_reason == SHUTDOWN_watchdog);

		printf("%-20s %5u %8llu %5u %-9s %10.1f %10.1f\n", i->name, c.domid,
		       (unsigned long long)(i->mem_pages >> 8), i->nr_vcpus,
		       crashed ? "crashed" : STATE_NAME(domain_states, i->state),
		       i->cpu_time_ns / 1e9, i->shared_pages / 256.0);
		c.cmd = DOMUS_CTL_getdomaininfo;
	}
	return rc == -ESRCH ? 0 : fail("getdomaininfo", rc);
}

static int cmd_vcpu_list(int argc, char **argv)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getdomaininfo };
	uint16_t only = 0;
	long rc;

	if (argc > 0 && domus_find_domain(argv[0], &only, NULL)) {
		fprintf(stderr, "domus: no domain '%s'\n", argv[0]);
		return 1;
	}
	printf("%-20s %5s %5s %5s %-9s %10s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)");
	for (c.domid = only; (rc = domus_ctl(&c)) == 0; c.domid++) {
		struct domus_ctl_domaininfo info = c.u.domaininfo;
		uint16_t id = c.domid;

		if (argc > 0 && id != only)
			break;
		for (uint32_t n = 0; n < info.nr_vcpus; n++) {
			struct domus_ctl v = { .cmd = DOMUS_CTL_getvcpuinfo, .domid = id };

			v.u.vcpuinfo.vcpu = n;
			rc = domus_ctl(&v);
			if (rc)
				return fail("getvcpuinfo", rc);
			printf("%-20s %5u %5u %5u %-9s %10.1f\n", info.name, id, n, v.u.vcpuinfo.pcpu,
			       STATE_NAME(vcpu_states, v.u.vcpuinfo.state),
			       v.u.vcpuinfo.cpu_time_ns / 1e9);
		}
		c.cmd = DOMUS_CTL_getdomaininfo;
	}
	return rc == -ESRCH || argc > 0 ? 0 : fail("getdomaininfo", rc);
}

static int pause_or_unpause(const char *arg, uint32_t cmd)
{
	struct domus_ctl c = { .cmd = cmd };
	long rc;

	if (domus_find_domain(arg, &c.domid, NULL)) {
		fprintf(stderr, "domus: no domain '%s'\n", arg);
		return 1;
	}
	rc = domus_ctl(&c);
	return rc ? fail(cmd == DOMUS_CTL_pausedomain ? "pause" : "unpause", rc) : 0;
}

static int cmd_pause(int argc, char **argv)
{
	return pause_or_unpause(argv[0], DOMUS_CTL_pausedomain);
}

static int cmd_unpause(int argc, char **argv)
{
	return pause_or_unpause(argv[0], DOMUS_CTL_unpausedomain);
}

static int cmd_dmesg(int argc, char **argv)
{
	static char buf[4096];
	struct domus_ctl c = { .cmd = DOMUS_CTL_readconsole };
	long rc;

	c.u.readconsole.index = 0;
	for (;;) {
		c.cmd = DOMUS_CTL_readconsole;
		c.u.readconsole.buffer = (uintptr_t)buf;
		c.u.readconsole.size = sizeof(buf);
		rc = domus_ctl(&c);
		if (rc)
			return fail("readconsole", rc);
		if (!c.u.readconsole.count)
			return 0;
		fwrite(buf, 1, c.u.readconsole.count, stdout);
	}
}

/*
 * Starts the console daemon of guest domid (detached: init adopts it), and
 * waits until it has bound the ring, so that no output is lost: 0 or -1.
 */
static int start_console_daemon(const struct domu_config *c, uint16_t domid, uint64_t gfn,
				uint32_t port)
{
	int pipefd[2];
	char ready;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		/*
		 * Not what this command was doing with signals: a migration's
		 * target blocks SIGTERM once it has the go, and a daemon that
		 * inherited that could not be stopped before its guest goes.
		 */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		close(pipefd[0]);
		setsid();
		if (fork() != 0) /* detach fully: init adopts the daemon */
			_exit(0);
		freopen("/dev/null", "r", stdin);
		freopen("/dev/null", "w", stdout);
		_exit(consoled_run(c, domid, gfn, port, pipefd[1]));
	}
	close(pipefd[1]);
	waitpid(pid, NULL, 0);
	if (read(pipefd[0], &ready, 1) != 1) {
		close(pipefd[0]);
		return -1;
	}
	close(pipefd[0]);
	return 0;
}

static void stop_console_daemon(const char *name);

/* A domain built (or restored) and paused: its XenStore records, its console, and off it goes. */
/*
 * What a migration's target asks before it unpauses (migrate_in): true to run
 * the guest. NULL: no one to ask. With a gate, its console daemon starts
 * once the guest runs, after start_gate_passed: the source waits for that
 * word, and the guest's output meanwhile waits in its ring.
 */
typedef bool (*start_gate)(void);
static void start_gate_passed(void);

static int start_built_gated(const struct domu_config *c, const struct domu_built *b, bool attach,
			     const char *how, start_gate gate);

static int start_built(const struct domu_config *c, const struct domu_built *b, bool attach,
		       const char *how)
{
	return start_built_gated(c, b, attach, how, NULL);
}

/* When start_built_gated's steps ended (save_seconds()): a migration's target reports them. */
static struct {
	double store, nodes, console, gate, unpause;
} started_at;

static int start_built_gated(const struct domu_config *c, const struct domu_built *b, bool attach,
			     const char *how, start_gate gate)
{
	struct domus_ctl ctl;
	char err[512];
	long rc;

	if (b->records_ready ? domstore_announce(b, err, sizeof(err))
			     : domstore_introduce(c, b, err, sizeof(err))) {
		fprintf(stderr, "domus: %s: %s\n", c->name, err);
		domain_end(b->domid);
		config_forget(c->name);
		return 1;
	}
	started_at.store = save_seconds();
	/* The nodes it wrote itself before a save, a migration or its cloning (guestnodes.h). */
	if ((b->guest_nodes &&
	     guestnodes_write(b->domid, b->handover ? GUESTNODES_BUT_STATES : GUESTNODES_OWN,
			      b->guest_nodes, b->guest_nodes_len, err, sizeof(err))) ||
	    (b->handover && handover_watches_in(b->domid, b->watches, b->watches_len, err,
						 sizeof(err)))) {
		fprintf(stderr, "domus: %s: %s\n", c->name, err);
		domain_end(b->domid);
		config_forget(c->name);
		return 1;
	}
	started_at.nodes = save_seconds();
	if (!gate && start_console_daemon(c, b->domid, b->console_gfn, b->console_port)) {
		fprintf(stderr, "domus: %s: the console daemon did not start\n", c->name);
		domain_end(b->domid);
		config_forget(c->name);
		return 1;
	}
	started_at.console = save_seconds();
	if (gate && !gate()) {
		domain_end(b->domid);
		config_forget(c->name);
		return 1;
	}
	started_at.gate = save_seconds();
	/*
	 * Its front ends' states only now: the back ends here attach to its rings
	 * as soon as they see them, and must not while the source may still take
	 * the guest back and its own back ends do the same requests.
	 */
	if (b->handover && b->guest_nodes &&
	    guestnodes_write(b->domid, GUESTNODES_STATES, b->guest_nodes, b->guest_nodes_len, err,
			     sizeof(err)))
		fprintf(stderr, "domus: %s: runs, but its devices will not come back: %s\n", c->name,
			err);
	ctl = (struct domus_ctl){ .cmd = DOMUS_CTL_unpausedomain, .domid = b->domid };
	rc = domus_ctl(&ctl);
	started_at.unpause = save_seconds();
	if (rc) {
		if (!gate)
			stop_console_daemon(c->name);
		domain_end(b->domid);
		config_forget(c->name);
		return fail("unpause", rc);
	}
	if (gate)
		start_gate_passed();
	/* Arrived from elsewhere: its bridges forget where they saw it (vif.h). */
	for (unsigned int i = 0; b->restored && i < c->nr_vifs; i++)
		if (vif_bridge_forget(b->domid, &c->vifs[i], err, sizeof(err)) < 0)
			fprintf(stderr, "domus: %s: %s\n", c->name, err);
	if (gate) {
		/* It runs here now: without a console daemon it still runs, and says so. */
		if (start_console_daemon(c, b->domid, b->console_gfn, b->console_port))
			fprintf(stderr, "domus: %s: runs, but its console daemon did not start\n",
				c->name);
		started_at.console = save_seconds();
	}
	printf("domus: %s '%s' as domain %u (%llu MiB, %u vCPUs)\n", how, c->name, b->domid,
	       (unsigned long long)c->memory_mib, c->vcpus);
	fflush(stdout);
	return attach ? console_attach(c->name) : 0;
}

static int cmd_create(int argc, char **argv)
{
	bool attach = argc > 0 && !strcmp(argv[0], "-c");
	const char *path = argc > (attach ? 1 : 0) ? argv[attach ? 1 : 0] : NULL;
	struct domu_config c;
	struct domu_built b;
	char err[512];
	uint16_t other;

	if (!path || argc > (attach ? 2 : 1))
		return usage_of("create");
	if (config_load(path, &c, err, sizeof(err))) {
		fprintf(stderr, "domus: %s\n", err);
		return 1;
	}
	if (domus_find_domain(c.name, &other, NULL) == 0) {
		fprintf(stderr, "domus: a domain named '%s' exists already (id %u)\n", c.name, other);
		return 1;
	}
	/* Kept for `domus save`, which puts it in the file for restore: MACs chosen once. */
	for (unsigned int i = 0; i < c.nr_vifs; i++)
		vif_choose_mac(&c.vifs[i]);
	if (config_keep(&c, err, sizeof(err))) {
		fprintf(stderr, "domus: %s: %s\n", c.name, err);
		return 1;
	}
	if (domu_build(&c, &b, err, sizeof(err))) {
		fprintf(stderr, "domus: %s: %s\n", c.name, err);
		config_forget(c.name);
		return 1;
	}
	return start_built(&c, &b, attach, "started");
}

/* Whether process pid is gone (or a zombie init will reap: its files closed) within ms. */
static bool gone_within(int pid, int ms)
{
	for (int waited = 0; kill(pid, 0) == 0; waited += 10) {
		if (waited >= ms)
			return false;
		usleep(10000);
	}
	return true;
}

/* Asks the guest's console daemon to let go of its ring, and waits (up to 5 s) until it has. */
static void stop_console_daemon(const char *name)
{
	char path[300];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/%s.pid", CONSOLE_SOCK_DIR, name);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 1 || kill(pid, SIGTERM))
		return;
	if (!gone_within(pid, 5000)) {
		/* Still there, and still holding the guest's port: a new daemon could not bind it. */
		fprintf(stderr, "domus: %s: its console daemon (pid %d) did not stop within 5 s: "
				"killed\n", name, pid);
		kill(pid, SIGKILL);
		gone_within(pid, 1000);
	}
}

/*
 * A guest suspended for a save or a migration that failed: it runs on where
 * it was (its suspend call returning 1) and gets its console daemon back.
 * true if it does.
 */
static bool resume_suspended(const struct domu_config *c, uint16_t id)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_resumedomain, .domid = id };
	uint64_t gfn, port;
	long rc;

	stop_console_daemon(c->name);
	rc = domus_ctl(&ctl);
	if (rc) {
		fprintf(stderr, "domus: %s: cannot resume it: %s\n", c->name, strerror((int)-rc));
		return false;
	}
	if (domus_get_param(id, HVM_PARAM_CONSOLE_PFN, &gfn) ||
	    domus_get_param(id, HVM_PARAM_CONSOLE_EVTCHN, &port) ||
	    start_console_daemon(c, id, gfn, (uint32_t)port))
		fprintf(stderr, "domus: %s: runs, but its console daemon did not start\n", c->name);
	fprintf(stderr, "domus: %s: resumed\n", c->name);
	return true;
}

/*
 * Guest NAME (not dom0) and the configuration the toolstack kept for it, for
 * a command that will leave it `verbed`: 0, or 1 with the reason said.
 */
static int kept_guest(const char *name, const char *verbed, uint16_t *id,
		      struct domus_ctl_domaininfo *info, struct domu_config *c)
{
	char err[512], kept[300];

	if (domus_find_domain(name, id, info)) {
		fprintf(stderr, "domus: no domain '%s'\n", name);
		return 1;
	}
	if (*id == 0) {
		fprintf(stderr, "domus: dom0 cannot be %s\n", verbed);
		return 1;
	}
	snprintf(kept, sizeof(kept), "%s/%s.cfg", KEPT_CONFIG_DIR, info->name);
	if (config_load(kept, c, err, sizeof(err))) {
		fprintf(stderr, "domus: %s: no configuration kept for it (only guests `domus create`, "
				"`domus restore` or `domus clone` started can be %s): %s\n", info->name,
			verbed, err);
		return 1;
	}
	return 0;
}

/* `domus save NAME FILE`: the guest suspended into FILE, its memory back to Domus. */
static int cmd_save(int argc, char **argv)
{
	struct domus_ctl_domaininfo info;
	struct save_stats st = { 0 };
	struct domu_config c;
	char err[512];
	uint16_t id;

	if (kept_guest(argv[0], "saved", &id, &info, &c))
		return 1;
	save_catch_signals();
	if (domu_save(id, &c, argv[1], &st, err, sizeof(err))) {
		save_ignore_signals();
		save_check_interrupted(err, sizeof(err)); /* the reason, over what it made fail */
		fprintf(stderr, "domus: %s: not saved: %s\n", c.name, err);
		/* If it never stopped, its console daemon still serves it. */
		if (st.suspended)
			resume_suspended(&c, id);
		return 1;
	}
	save_ignore_signals(); /* it is in the file: the rest is the end of this copy */
	stop_console_daemon(c.name);
	if (domain_end(id)) {
		fprintf(stderr, "domus: %s: saved to %s, but could not be destroyed\n", c.name, argv[1]);
		return 1;
	}
	config_forget(c.name);
	printf("domus: saved '%s' to %s: %llu MiB of RAM (%llu MiB of it zero, not stored) in %.2f s, "
	       "%.2f s of them the guest's suspend\n", c.name, argv[1],
	       (unsigned long long)(st.pages >> 8), (unsigned long long)(st.zero_pages >> 8),
	       st.total_s, st.suspend_s);
	return 0;
}

/* `domus restore [-c] FILE`: a saved guest runs again, as a new domain. */
static int cmd_restore(int argc, char **argv)
{
	bool attach = argc == 2 && !strcmp(argv[0], "-c");
	const char *path = argv[argc - 1];
	struct domu_config c;
	struct domu_built b;
	char err[512];

	if (argc == 2 && !attach)
		return usage_of("restore");
	if (domu_restore(path, &c, &b, err, sizeof(err))) {
		fprintf(stderr, "domus: %s: not restored: %s\n", path, err);
		return 1;
	}
	return start_built(&c, &b, attach, "restored");
}

/* Clones of one guest at a time; each is a domain with its own vCPUs and console daemon. */
#define CLONES_MAX 64

/* start_built_gated's gate for a clone: its parent's devices closed before it runs. */
static struct {
	const char *name;
	struct clone_devices devs; /* the parent's front ends, in each clone's kernel too */
	uint16_t clone;
} closing;

static bool close_parent_devices(void)
{
	char err[256];

	if (clone_close_parent_devices(closing.clone, &closing.devs, err, sizeof(err)) == 0)
		return true;
	fprintf(stderr, "domus: %s: %s\n", closing.name, err);
	return false;
}

/*
 * Names clone c NAME-K, the first K from 1 that no domain has and no kept
 * configuration claims, and keeps c's configuration under it (claimed for
 * good: a second `domus clone` at the same time takes the next). 0, or -1.
 */
static int clone_name(const char *parent, struct domu_config *c, char *err, size_t errlen)
{
	for (unsigned int k = 1; k < 10000; k++) {
		uint16_t other;
		int rc;

		if ((size_t)snprintf(c->name, sizeof(c->name), "%s-%u", parent, k) >= sizeof(c->name))
			break;
		if (domus_find_domain(c->name, &other, NULL) == 0)
			continue;
		rc = config_keep_new(c, err, errlen);
		if (rc <= 0)
			return rc;
	}
	snprintf(err, errlen, "no free name for a clone");
	return -1;
}

/*
 * `domus clone NAME [COUNT]` (docs/CLONE.md): COUNT copies of a running
 * guest, NAME-1, NAME-2, ..., sharing its memory copy-on-write. The guest
 * stops (its own suspend) while its clones are built, then runs on.
 */
static int cmd_clone(int argc, char **argv)
{
	struct domu_config c, clones[CLONES_MAX];
	struct domu_built built[CLONES_MAX];
	struct domus_ctl_domaininfo info;
	struct clone_stats st = { 0 };
	char err[512], *end, *nodes = NULL; /* the guest's own XenStore nodes, for each clone */
	size_t nodes_len = 0;
	long count = 1;
	int made = 0, rc = 1;
	double t0, stopped;
	uint16_t id;

	if (argc == 2) {
		count = strtol(argv[1], &end, 10);
		if (*end || count < 1 || count > CLONES_MAX) {
			fprintf(stderr, "domus: clone: COUNT must be 1 to %d\n", CLONES_MAX);
			return 1;
		}
	}
	if (kept_guest(argv[0], "cloned", &id, &info, &c))
		return 1;
	if (c.vuart) {
		fprintf(stderr, "domus: %s: a guest with vuart = \"sbsa_uart\" cannot be cloned yet\n",
			c.name);
		return 1;
	}
	if (info.flags & DOMUS_DOMINFO_LOG_DIRTY) {
		fprintf(stderr, "domus: %s: it is migrating (its writes are logged); clone it after\n",
			c.name);
		return 1;
	}
	/* Names first: nothing is stopped for a request that cannot be met. */
	for (long i = 0; i < count; i++) {
		clones[i] = c;
		clones[i].nr_disks = clones[i].nr_vifs = 0; /* docs/CLONE.md: a clone has no devices */
		if (clone_name(c.name, &clones[i], err, sizeof(err))) {
			fprintf(stderr, "domus: %s: %s\n", c.name, err);
			count = i;
			goto forget;
		}
	}
	t0 = save_seconds();
	save_catch_signals();
	if (domu_suspend(id, err, sizeof(err))) {
		save_ignore_signals();
		fprintf(stderr, "domus: %s: not cloned: %s\n", c.name, err);
		goto forget;
	}
	/* Its front ends as its kernel has them now (hotplugged ones too): each clone's. */
	bool listed = clone_parent_devices(id, &closing.devs, err, sizeof(err)) == 0 &&
		      guestnodes_read(id, false, &nodes, &nodes_len, err, sizeof(err)) == 0;

	if (!listed)
		fprintf(stderr, "domus: %s: not cloned: %s\n", c.name, err);
	for (; listed && made < count; made++) {
		if (domu_clone(id, &clones[made], &built[made], &st, err, sizeof(err))) {
			fprintf(stderr, "domus: %s: not cloned as '%s': %s\n", c.name,
				clones[made].name, err);
			break;
		}
		built[made].guest_nodes = nodes;
		built[made].guest_nodes_len = nodes_len;
	}
	stopped = save_seconds() - t0;
	save_ignore_signals(); /* the parent resumes, the clones start: no stopping half-way */
	if (save_check_interrupted(err, sizeof(err))) { /* asked to stop: the clones built go too */
		fprintf(stderr, "domus: %s: not cloned: %s\n", c.name, err);
		for (int i = 0; i < made; i++)
			domain_end(built[i].domid);
		made = 0;
	}
	if (!resume_suspended(&c, id))
		fprintf(stderr, "domus: %s: still suspended: `domus resume %s` or `domus destroy %s`\n",
			c.name, c.name, c.name);
	rc = made == count ? 0 : 1;
	closing.name = c.name;
	for (int i = 0; i < made; i++) {
		closing.clone = built[i].domid;
		if (start_built_gated(&clones[i], &built[i], false, "cloned", close_parent_devices))
			rc = 1, built[i].domid = 0;
	}
	for (int i = 0; i < made; i++)
		if (built[i].domid && clone_unplug_parent_devices(built[i].domid, &closing.devs))
			fprintf(stderr, "domus: %s: did not close its copies of %s's devices in 30 s: "
					"they stay, unusable\n", clones[i].name, c.name);
	if (made)
		printf("domus: cloned '%s' %d time%s in %.3f s (the guest stopped for them): "
		       "%llu pages shared, %llu copied\n", c.name, made, made == 1 ? "" : "s",
		       stopped, (unsigned long long)st.shared, (unsigned long long)st.copied);
forget:
	for (long i = made; i < count; i++)
		config_forget(clones[i].name);
	free(nodes);
	return rc;
}

/* Live migration's default port (docs/MIGRATION.md). */
#define MIGRATE_PORT "8002"
/* How long the sender waits for the target's word once all is sent. */
#define MIGRATE_ANSWER_S 120

/*
 * HOST[:PORT] as an IPv4 address: 0, or -1 with a reason. Numbers only:
 * dom0's static tools have no resolver (glibc's would need its NSS modules).
 */
static int parse_target(const char *target, struct sockaddr_in *sa, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strchr(target, ':');
	unsigned long port = strtoul(MIGRATE_PORT, NULL, 10);
	char *end;

	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - target) : 63, target);
	if (colon) {
		port = strtoul(colon + 1, &end, 10);
		if (*end || !port || port > 65535)
			port = 0;
	}
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (!port || inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		snprintf(err, errlen, "'%s': give the host as an IPv4 address, a port after ':'", target);
		return -1;
	}
	return 0;
}

/*
 * The stream ends in small messages each side waits for (the last record,
 * 'R', 'G', 'K'): Nagle's algorithm held each until the previous segment's
 * ACK, which the peer delays by up to 40 ms. That was most of the "sender's
 * go" step of the downtime.
 */
static void no_delay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A TCP connection to HOST[:PORT]: the fd, or -1 with a reason. */
static int connect_to(const char *target, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	int fd;

	if (parse_target(target, &sa, err, errlen))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "%s: %s (is `domus migrate --receive` running there?)", target,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (fd < 0)
		snprintf(err, errlen, "socket: %s", strerror(errno));
	else
		no_delay(fd);
	return fd;
}

/* `domus migrate NAME HOST[:PORT]`: the guest moves to HOST while it runs. */
static int migrate_out(const char *name, const char *target)
{
	struct domus_ctl_domaininfo info;
	struct migrate_stats st;
	struct domu_config c;
	char err[512], answer[512];
	double done;
	uint16_t id;
	int fd, sent, got;

	if (kept_guest(name, "migrated", &id, &info, &c))
		return 1;
	fd = connect_to(target, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "domus: %s: not migrated: %s\n", c.name, err);
		return 1;
	}
	/* A target that stops reading for a minute fails the migration (the guest runs on here). */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){ .tv_sec = 60 },
		   sizeof(struct timeval));
	err[0] = 0;
	save_catch_signals();
	sent = domu_migrate_send(id, &c, fd, target, &st, err, sizeof(err));
	/*
	 * The target's word: ready to run it, paused ('R'), or why not ('E'),
	 * also when it hung up early. Then ours ('G'): from here on the guest is
	 * the target's, never resumed here, whatever comes ('K': it runs).
	 */
	got = migrate_read_line(fd, answer, sizeof(answer), sent ? 5 : MIGRATE_ANSWER_S);
	/* A sender that failed before the stop has not read the target's mode yet (save.c). */
	while (got > 0 && (answer[0] == 'T' || answer[0] == 'C'))
		got = migrate_read_line(fd, answer, sizeof(answer), 5);
	/* Past the go the guest is the target's: nothing may stop that half-way. */
	save_ignore_signals();
	if (!sent && got > 0 && answer[0] == 'R' && !save_interrupted) {
		got = dprintf(fd, "G\n") < 0 ? -1 : migrate_read_line(fd, answer, sizeof(answer),
								 MIGRATE_ANSWER_S);
		/* It says it could not run it, and destroyed what it built: it runs on here. */
		if (got > 0 && answer[0] == 'E')
			goto refused;
		if (got <= 0 || answer[0] != 'K') {
			close(fd);
			domu_migrate_done(&st);
			if (st.handover)
				fprintf(stderr, "domus: %s: %s was told to run it and has not said it "
						"does; it stays paused here, its back ends let go (see "
						"there; then `domus destroy %s` here)\n",
					c.name, target, c.name);
			else
				fprintf(stderr, "domus: %s: %s was told to run it and has not said it "
						"does; it stays suspended here (see there; then `domus "
						"resume %s` or `domus destroy %s` here)\n",
					c.name, target, c.name, c.name);
			return 1;
		}
		done = save_seconds();
		close(fd);
		domu_migrate_done(&st);
		stop_console_daemon(c.name);
		if (domain_end(id))
			fprintf(stderr, "domus: %s: runs on %s, but could not be destroyed here\n",
				c.name, target);
		config_forget(c.name);
		printf("domus: migrated '%s' to %s: %llu MiB sent in %u rounds and a last one of %llu "
		       "pages, %.2f s in all, the guest stopped for %.3f s (its %s %.3f, the last "
		       "round %.3f, the target's start %.3f)", c.name, target,
		       (unsigned long long)(st.pages >> 8), st.rounds,
		       (unsigned long long)st.final_pages, done - st.start, done - st.downtime_start,
		       st.handover ? "pause" : "suspend", st.suspended_at - st.downtime_start,
		       st.sent - st.suspended_at, done - st.sent);
		/* Without its help: its disks and network waited from the unbinding of its back ends. */
		if (st.handover)
			printf(", without its own suspend; its back ends let go %.3f s before",
			       st.downtime_start - st.unbound_at);
		printf("\n");
		return 0;
	}
refused:
	if (got > 0 && answer[0] == 'E')
		migrate_peer_says(err, sizeof(err), target, answer + 1);
	else if (!sent)
		snprintf(err, sizeof(err), "%s did not say it runs the guest", target);
	save_check_interrupted(err, sizeof(err)); /* the reason, over what it made fail */
	close(fd);
	domu_migrate_abandon(id, &c, &st);
	fprintf(stderr, "domus: %s: not migrated: %s\n", c.name, err);
	if (!st.suspended || resume_suspended(&c, id))
		fprintf(stderr, "domus: %s: runs on here\n", c.name);
	return 1;
}

static volatile int receiving_fd = -1;

/* How long a target waits for the sender's go once it is ready. */
#define MIGRATE_GO_S 30

/*
 * The guest is built, paused, its devices, console and XenStore ready: the
 * sender's go ('G', the answer to our 'R') or nothing. Once it has said go,
 * the guest must run here: no signal may stop that any more.
 */
static bool sender_says_go(void)
{
	char answer[8];
	sigset_t block;

	if (migrate_read_line(receiving_fd, answer, sizeof(answer), MIGRATE_GO_S) <= 0 ||
	    answer[0] != 'G') {
		fprintf(stderr, "domus: not received: the sender did not say go\n");
		return false;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	return true;
}

/* The guest runs here: the sender may let go of its copy. */
static bool told_it_runs;

static void start_gate_passed(void)
{
	told_it_runs = dprintf(receiving_fd, "K\n") > 0;
	if (told_it_runs) { /* its console daemon, forked next, must not hold the link open */
		close(receiving_fd);
		receiving_fd = -1;
	}
}

/* Stopped midway: the stream ends here, so the restore fails and destroys what it built. */
static void interrupted(int sig)
{
	(void)sig;
	if (receiving_fd >= 0)
		shutdown(receiving_fd, SHUT_RDWR);
}

/* `domus migrate --receive [PORT]`: takes one guest from a `domus migrate` elsewhere. */
static int migrate_in(const char *port)
{
	/*
	 * Stopped midway (SIGTERM, SIGINT), the connection is shut: the read in
	 * progress (or the next) fails, and the half-built domain is destroyed.
	 */
	struct sigaction sa = { .sa_handler = interrupted };

	struct sockaddr_in addr;
	unsigned long p;
	char *end;
	struct domu_config c;
	struct domu_built b;
	char err[512];
	int lfd, fd, one = 1, rc;
	double stream_end;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	p = strtoul(port, &end, 10);
	if (*end || !p || p > 65535) {
		fprintf(stderr, "domus: '%s' is not a port\n", port);
		return 1;
	}
	addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)p),
				     .sin_addr.s_addr = htonl(INADDR_ANY) };
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd >= 0)
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 1)) {
		fprintf(stderr, "domus: cannot listen on port %s: %s\n", port, strerror(errno));
		return 1;
	}
	printf("domus: waiting for a guest on port %s\n", port);
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0) {
		fprintf(stderr, "domus: accept: %s\n", strerror(errno));
		return 1;
	}
	no_delay(fd);
	/* A sender gone silent for a minute ends the restore (and destroys what it built). */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 60 },
		   sizeof(struct timeval));
	receiving_fd = fd;
	printf("domus: receiving a guest\n");
	fflush(stdout);
	if (domu_restore_stream(fd, "the migration stream", &c, &b, err, sizeof(err))) {
		dprintf(fd, "E%s\n", err);
		close(fd);
		fprintf(stderr, "domus: not received: %s\n", err);
		return 1;
	}
	stream_end = save_seconds();
	/*
	 * Ready ('R') now, the guest built: the go comes back while xenstored
	 * takes the guest and its nodes. Whatever fails from here is said with an
	 * 'E' (below), and a source that gave its go takes the guest back on it.
	 */
	if (dprintf(fd, "R\n") < 0) {
		domain_end(b.domid);
		config_forget(c.name);
		close(fd);
		fprintf(stderr, "domus: not received: the sender went away\n");
		return 1;
	}
	rc = start_built_gated(&c, &b, false, "received", sender_says_go);
	if (!told_it_runs) { /* (else the connection is closed already) */
		dprintf(fd, rc ? "Eit did not start\n" : "K\n");
		close(fd);
	}
	/* Where the target's part of the downtime went, from the stream's last byte (ms). */
	if (!rc)
		printf("domus: %s: XenStore %.0f, its own nodes %.0f, the sender's go %.0f, (its "
		       "front ends' states and) unpause %.0f ms; then its console daemon %.0f ms\n", c.name,
		       (started_at.store - stream_end) * 1e3,
		       (started_at.nodes - started_at.store) * 1e3,
		       (started_at.gate - started_at.nodes) * 1e3,
		       (started_at.unpause - started_at.gate) * 1e3,
		       (started_at.console - started_at.unpause) * 1e3);
	return rc;
}

/* `domus resume NAME`: a guest left suspended (a migration that could not tell) runs on here. */
static int cmd_resume(int argc, char **argv)
{
	struct domus_ctl_domaininfo info;
	struct domu_config c;
	char err[512], kept[300];
	uint16_t id;

	(void)argc;
	if (domus_find_domain(argv[0], &id, &info) || id == 0) {
		fprintf(stderr, "domus: no guest '%s'\n", argv[0]);
		return 1;
	}
	/* A `domus migrate` that was killed leaves its dirty log on (docs/MIGRATION.md). */
	if (info.flags & DOMUS_DOMINFO_LOG_DIRTY) {
		struct domus_ctl ctl = { .cmd = DOMUS_CTL_logdirty, .domid = id };
		long rc;

		ctl.u.logdirty.op = DOMUS_LOGDIRTY_DISABLE;
		rc = domus_ctl(&ctl);
		if (rc) {
			fprintf(stderr, "domus: %s: cannot turn its dirty log off: %s\n", info.name,
				strerror((int)-rc));
			return 1;
		}
		fprintf(stderr, "domus: %s: dirty logging, left on by a migration that did not "
				"finish, is off\n", info.name);
	}
	snprintf(kept, sizeof(kept), "%s/%s.cfg", KEPT_CONFIG_DIR, info.name);
	if (config_load(kept, &c, err, sizeof(err))) {
		fprintf(stderr, "domus: %s: no configuration kept for it: %s\n", info.name, err);
		return 1;
	}
	/* Killed mid-handover (docs/MIGRATION.md): paused, its back ends unbound, its store frozen. */
	if (info.state != DOMUS_DOMAIN_SHUTDOWN &&
	    handover_recover(id, &c, info.state == DOMUS_DOMAIN_PAUSED)) {
		fprintf(stderr, "domus: %s: its back ends and XenStore connection, left by a "
				"migration that did not finish, are its own again; it runs on\n",
			info.name);
		return 0;
	}
	if (info.state != DOMUS_DOMAIN_SHUTDOWN || info.shutdown_reason != SHUTDOWN_suspend) {
		if (info.flags & DOMUS_DOMINFO_LOG_DIRTY)
			return 0;
		fprintf(stderr, "domus: %s is not suspended\n", info.name);
		return 1;
	}
	return resume_suspended(&c, id) ? 0 : 1;
}

static int cmd_migrate(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); /* a link that drops is an error to report, not a death */
	if (!strcmp(argv[0], "--receive"))
		return migrate_in(argc > 1 ? argv[1] : MIGRATE_PORT);
	if (argc != 2)
		return usage_of("migrate");
	return migrate_out(argv[0], argv[1]);
}

static int cmd_destroy(int argc, char **argv)
{
	const char *name = argv[0];
	struct domus_ctl_domaininfo info;
	uint16_t id;
	long rc = domus_find_domain(name, &id, &info);

	if (rc) {
		fprintf(stderr, "domus: no domain '%s'\n", name);
		return 1;
	}
	if (id == 0) {
		fprintf(stderr, "domus: dom0 ends with the machine: use poweroff\n");
		return 1;
	}
	stop_console_daemon(info.name);
	rc = domain_end(id);
	if (!rc)
		config_forget(info.name);
	return rc ? fail("destroy", rc) : 0;
}

/* `domus shutdown|reboot [-w] NAME`: the guest's own orderly shutdown, as `xl shutdown`. */
static int shutdown_as(int argc, char **argv, const char *how)
{
	bool wait = argc > 1 && !strcmp(argv[0], "-w");
	const char *name = argc == 1 ? argv[0] : wait && argc == 2 ? argv[1] : NULL;
	struct domus_ctl_domaininfo info;
	uint16_t id, now;
	long rc;

	if (!name)
		return usage_of(strcmp(how, "reboot") ? "shutdown" : "reboot");
	if (domus_find_domain(name, &id, &info)) {
		fprintf(stderr, "domus: no domain '%s'\n", name);
		return 1;
	}
	if (id == 0) {
		fprintf(stderr, "domus: dom0 shuts down with the machine: use %s\n", how);
		return 1;
	}
	rc = domstore_request_shutdown(id, how);
	if (rc)
		return fail(how, rc);
	/* Up to a minute: the guest's own shutdown runs its init scripts. */
	for (int i = 0; wait && i < 600; i++) {
		if (domus_find_domain(name, &now, &info) || now != id ||
		    info.state == DOMUS_DOMAIN_SHUTDOWN || info.state == DOMUS_DOMAIN_DYING)
			return 0;
		usleep(100 * 1000);
	}
	if (wait) {
		fprintf(stderr, "domus: '%s' did not %s within 60 s\n", name, how);
		return 1;
	}
	return 0;
}

static int cmd_shutdown(int argc, char **argv)
{
	return shutdown_as(argc, argv, "poweroff");
}

static int cmd_reboot(int argc, char **argv)
{
	return shutdown_as(argc, argv, "reboot");
}

/* `domus console [-t pv|vuart] NAME`, as xl's. */
static int cmd_console(int argc, char **argv)
{
	const char *type = "pv", *name;
	uint16_t id;

	if (argc == 3 && !strcmp(argv[0], "-t")) {
		type = argv[1];
		argc -= 2, argv += 2;
	}
	if (argc != 1 || (strcmp(type, "pv") && strcmp(type, "vuart")))
		return usage_of("console");
	name = argv[0];
	if (domus_find_domain(name, &id, NULL)) {
		fprintf(stderr, "domus: no domain '%s'\n", name);
		return 1;
	}
	return strcmp(type, "vuart") ? console_attach(name) : vuart_attach(id, name);
}

static int cmd_introduce(int argc, char **argv)
{
	return domstore_introduce_boot_guests() ? 1 : 0;
}

/*
 * `domus block-attach NAME SPEC`, `block-detach [-f] NAME xvdX`,
 * `network-attach NAME [SPEC]`, `network-detach [-f] NAME N`.
 */
static int device_command(const char *cmd, int argc, char **argv)
{
	bool attach = strstr(cmd, "-attach"), disk = !strncmp(cmd, "block", 5);
	bool force = !attach && argc > 0 && !strcmp(argv[0], "-f");
	const char *name, *arg;
	char err[400];
	uint16_t id;
	int rc;

	if (force)
		argc--, argv++;
	if (argc != 2 && !(attach && !disk && argc == 1))
		return usage_of(cmd);
	name = argv[0];
	arg = argc == 2 ? argv[1] : "";
	if (domus_find_domain(name, &id, NULL)) {
		fprintf(stderr, "domus: no domain '%s'\n", name);
		return 1;
	}
	if (id == 0) {
		fprintf(stderr, "domus: dom0's devices are its own, not the toolstack's\n");
		return 1;
	}
	if (attach)
		rc = disk ? device_attach_disk(id, arg, err, sizeof(err))
			  : device_attach_vif(id, arg, err, sizeof(err));
	else
		rc = disk ? device_detach_disk(id, arg, force, err, sizeof(err))
			  : device_detach_vif(id, arg, force, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "domus: %s: %s\n", name, err);
		return 1;
	}
	return 0;
}

static int cmd_block_attach(int argc, char **argv)
{
	return device_command("block-attach", argc, argv);
}

static int cmd_block_detach(int argc, char **argv)
{
	return device_command("block-detach", argc, argv);
}

static int cmd_network_attach(int argc, char **argv)
{
	return device_command("network-attach", argc, argv);
}

static int cmd_network_detach(int argc, char **argv)
{
	return device_command("network-detach", argc, argv);
}

static int cmd_info(int argc, char **argv)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_physinfo };
	char extra[16] = { 0 };
	long v = domus_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	long rc = domus_ctl(&c);

	if (rc)
		return fail("physinfo", rc);
	domus_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, (uintptr_t)extra, 0, 0, 0);
	extra[15] = 0;
	printf("hypervisor       : Domus (Xen interface %ld.%ld%s)\n", v >> 16, v & 0xffff, extra);
	printf("nr_cpus          : %u\n", c.u.physinfo.nr_cpus);
	printf("total_memory     : %llu\n", (unsigned long long)(c.u.physinfo.total_pages >> 8));
	printf("free_memory      : %llu\n", (unsigned long long)(c.u.physinfo.free_pages >> 8));
	printf("free_pages       : %llu\n", (unsigned long long)c.u.physinfo.free_pages);
	printf("nr_domains       : %u\n", c.u.physinfo.nr_domains);
	/* Dom0's stage-2 grows when it balloons pages out to map others': shown so that
	 * free memory can be accounted exactly. */
	{
		struct domus_ctl d0 = { .cmd = DOMUS_CTL_getdomaininfo, .domid = 0 };

		if (domus_ctl(&d0) == 0 && d0.domid == 0) {
			printf("dom0_p2m_pages   : %llu\n",
			       (unsigned long long)d0.u.domaininfo.p2m_table_pages);
			printf("dom0_maptrack_pages: %llu\n",
			       (unsigned long long)d0.u.domaininfo.maptrack_pages);
		}
	}
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "version", "", "the hypervisor and the Xen interface it speaks", 0, 0, cmd_version },
	{ "info", "", "CPUs and memory, total and free (MiB), as `xl info`", 0, 0, cmd_info },
	{ "list", "", "domains: name, id, memory, vCPUs, state, CPU time", 0, 0, cmd_list },
	{ "vcpu-list", "[NAME]", "vCPUs: domain, id, pCPU, state, CPU time", 0, 1, cmd_vcpu_list },
	{ "pause", "NAME", "stop a domain's vCPUs until unpause", 1, 1, cmd_pause },
	{ "unpause", "NAME", "let a paused domain run again", 1, 1, cmd_unpause },
	{ "dmesg", "", "the hypervisor's console log", 0, 0, cmd_dmesg },
	{ "create", "[-c] CONFIG", "build and start a guest from an xl config (-c: its console)",
	  1, 2, cmd_create },
	{ "console", "[-t pv|vuart] NAME",
	  "attach to a guest's console, or its SBSA UART (Ctrl-] detaches)", 1, 3, cmd_console },
	{ "introduce", "", "give XenStore to the guests Domus started at boot (xen,enhanced)", 0, 0,
	  cmd_introduce },
	{ "shutdown", "[-w] NAME", "ask the guest to power off (-w: wait until it has)", 1, 2,
	  cmd_shutdown },
	{ "reboot", "[-w] NAME", "ask the guest to reboot (-w: wait until it has stopped)", 1, 2,
	  cmd_reboot },
	{ "destroy", "NAME", "end a guest at once; its memory goes back to Domus", 1, 1,
	  cmd_destroy },
	{ "save", "NAME FILE", "suspend a guest into FILE; its memory goes back to Domus", 2, 2,
	  cmd_save },
	{ "restore", "[-c] FILE", "run a saved guest again (-c: its console)", 1, 2, cmd_restore },
	{ "migrate", "NAME HOST[:PORT] | --receive [PORT]",
	  "move a running guest to HOST, where `domus migrate --receive` waits", 1, 2, cmd_migrate },
	{ "resume", "NAME", "a guest a migration left suspended (or logged) runs on here", 1, 1,
	  cmd_resume },
	{ "clone", "NAME [COUNT]", "copies of a running guest, sharing its memory copy-on-write", 1,
	  2, cmd_clone },
	{ "block-attach", "NAME 'file:/PATH,xvdX,w'", "give a running guest a disk", 2, 2,
	  cmd_block_attach },
	{ "block-detach", "[-f] NAME xvdX", "take a disk away (-f: even if the guest holds it)", 2,
	  3, cmd_block_detach },
	{ "network-attach", "NAME ['bridge=xenbr0,mac=..']", "give a running guest a network card",
	  1, 2, cmd_network_attach },
	{ "network-detach", "[-f] NAME N", "take network interface N away", 2, 3,
	  cmd_network_detach },
	{ "help", "[COMMAND]", "these lines, or one command's", 0, 1, cmd_help },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_usage(FILE *f, const struct command *c)
{
	fprintf(f, "usage: domus %s%s%s\n", c->name, *c->args ? " " : "", c->args);
}

/* A command's usage line, on stderr: the answer to wrong arguments. */
static int usage_of(const char *name)
{
	print_usage(stderr, find_command(name));
	return 2;
}

static void print_all(FILE *f)
{
	fprintf(f, "usage: domus COMMAND [ARGS]\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		char line[80];

		snprintf(line, sizeof(line), "%s%s%s", c->name, *c->args ? " " : "", c->args);
		/* The help in a column, or under a line too long for it. */
		if (strlen(line) < 28)
			fprintf(f, "  %-28s %s\n", line, c->help);
		else
			fprintf(f, "  %s\n  %-28s %s\n", line, "", c->help);
	}
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c = argc ? find_command(argv[0]) : NULL;

	if (argc && !c) {
		fprintf(stderr, "domus: no command '%s'\n", argv[0]);
		print_all(stderr);
		return 2;
	}
	if (!c) {
		print_all(stdout);
		return 0;
	}
	print_usage(stdout, c);
	printf("  %s\n", c->help);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c = argc > 1 ? find_command(argv[1]) : NULL;

	if (!c) {
		if (argc > 1)
			fprintf(stderr, "domus: no command '%s'\n", argv[1]);
		print_all(stderr);
		return 2;
	}
	argc -= 2;
	argv += 2;
	if (argc < c->min_args || argc > c->max_args) {
		print_usage(stderr, c);
		return 2;
	}
	if (c->run != cmd_help && domus_open())
		return 1;
	return c->run(argc, argv);
}
