/* SPDX-License-Identifier: MIT */
/*
 * domus: the toolstack's command line in dom0.
 *   domus version          the hypervisor and the interface it speaks
 *   domus info             CPUs and memory, total and free (MiB), as `xl info`
 *   domus list             domains: name, id, memory, vCPUs, state, CPU time
 *   domus vcpu-list [ID]   vCPUs: domain, id, pCPU, state, CPU time
 *   domus pause ID / unpause ID
 *   domus dmesg            the hypervisor's console log
 *   domus create [-c] CFG  build and start a guest from an xl-style config file
 *   domus console NAME     attach to a guest's console (Ctrl-] detaches)
 *   domus shutdown [-w] NAME / reboot [-w] NAME
 *                          ask the guest to power off or reboot (control/shutdown);
 *                          -w waits until it has stopped
 *   domus destroy NAME     end a guest at once; its memory goes back to Domus
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "config.h"
#include "console.h"
#include "devices.h"
#include "domstore.h"
#include "libdomus.h"

#define __HYPERVISOR_xen_version 17

static const char *const domain_states[] = { "building", "running", "paused", "shutdown",
					     "dying" };
static const char *const vcpu_states[] = { "offline", "runnable", "running", "blocked",
					   "paused" };

static int fail(const char *what, long rc)
{
	fprintf(stderr, "domus: %s: %s\n", what, strerror((int)-rc));
	return 1;
}

static int cmd_version(void)
{
	char extra[16] = { 0 };
	long v = domus_hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0);

	if (v < 0)
		return fail("xen_version", v);
	domus_hypercall(__HYPERVISOR_xen_version, 1, (uintptr_t)extra, 0, 0, 0);
	extra[15] = 0;
	printf("Xen interface %ld.%ld%s\n", v >> 16, v & 0xffff, extra);
	return 0;
}

static int cmd_list(void)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_getdomaininfo };
	long rc;

	printf("%-20s %5s %8s %5s %-9s %10s\n", "Name", "ID", "Mem(MiB)", "VCPUs", "State",
	       "Time(s)");
	for (c.domid = 0; (rc = domus_ctl(&c)) == 0; c.domid++) {
		struct domus_ctl_domaininfo *i = &c.u.domaininfo;

		/* Shut down by a crash, or by its watchdog (SHUTDOWN_crash, _watchdog): crashed. */
		bool crashed = i->state == DOMUS_DOMAIN_SHUTDOWN &&
			       (i->shutdown_reason == 3 || i->shutdown_reason == 4);

		printf("%-20s %5u %8llu %5u %-9s %10.1f\n", i->name, c.domid,
		       (unsigned long long)(i->mem_pages >> 8), i->nr_vcpus,
		       crashed ? "crashed" : i->state < 5 ? domain_states[i->state] : "?",
		       i->cpu_time_ns / 1e9);
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
			       v.u.vcpuinfo.state < 5 ? vcpu_states[v.u.vcpuinfo.state] : "?",
			       v.u.vcpuinfo.cpu_time_ns / 1e9);
		}
		c.cmd = DOMUS_CTL_getdomaininfo;
	}
	return rc == -ESRCH || argc > 0 ? 0 : fail("getdomaininfo", rc);
}

static int cmd_pause(const char *arg, uint32_t cmd)
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

static int cmd_dmesg(void)
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

static int cmd_create(int argc, char **argv)
{
	bool attach = argc > 0 && !strcmp(argv[0], "-c");
	const char *path = argc > (attach ? 1 : 0) ? argv[attach ? 1 : 0] : NULL;
	struct domu_config c;
	struct domu_built b;
	struct domus_ctl ctl;
	char err[512], ready;
	int pipefd[2];
	uint16_t other;
	pid_t pid;
	long rc;

	if (!path) {
		fprintf(stderr, "usage: domus create [-c] CONFIG\n");
		return 2;
	}
	if (config_load(path, &c, err, sizeof(err))) {
		fprintf(stderr, "domus: %s\n", err);
		return 1;
	}
	if (domus_find_domain(c.name, &other, NULL) == 0) {
		fprintf(stderr, "domus: a domain named '%s' exists already (id %u)\n", c.name, other);
		return 1;
	}
	if (domu_build(&c, &b, err, sizeof(err))) {
		fprintf(stderr, "domus: %s: %s\n", c.name, err);
		return 1;
	}
	if (domstore_introduce(&c, &b, err, sizeof(err))) {
		fprintf(stderr, "domus: %s: %s\n", c.name, err);
		domain_end(b.domid);
		return 1;
	}
	/* The console daemon binds the ring before the guest runs, so no output is lost. */
	if (pipe(pipefd))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		setsid();
		if (fork() != 0) /* detach fully: init adopts the daemon */
			_exit(0);
		freopen("/dev/null", "r", stdin);
		freopen("/dev/null", "w", stdout);
		_exit(consoled_run(&c, b.domid, b.console_gfn, b.console_port, pipefd[1]));
	}
	close(pipefd[1]);
	waitpid(pid, NULL, 0);
	if (read(pipefd[0], &ready, 1) != 1) {
		fprintf(stderr, "domus: %s: the console daemon did not start\n", c.name);
		domain_end(b.domid);
		return 1;
	}
	close(pipefd[0]);
	ctl = (struct domus_ctl){ .cmd = DOMUS_CTL_unpausedomain, .domid = b.domid };
	rc = domus_ctl(&ctl);
	if (rc)
		return fail("unpause", rc);
	printf("domus: started '%s' as domain %u (%llu MiB, %u vCPUs)\n", c.name, b.domid,
	       (unsigned long long)c.memory_mib, c.vcpus);
	fflush(stdout);
	return attach ? console_attach(c.name) : 0;
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
	for (int i = 0; i < 500 && kill(pid, 0) == 0; i++)
		usleep(10000);
}

static int cmd_destroy(const char *name)
{
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
	return rc ? fail("destroy", rc) : 0;
}

/* `domus shutdown|reboot [-w] NAME`: the guest's own orderly shutdown, as `xl shutdown`. */
static int cmd_shutdown(int argc, char **argv, const char *how)
{
	bool wait = argc > 1 && !strcmp(argv[0], "-w");
	const char *name = argc == 1 ? argv[0] : wait && argc == 2 ? argv[1] : NULL;
	struct domus_ctl_domaininfo info;
	uint16_t id, now;
	long rc;

	if (!name) {
		fprintf(stderr, "usage: domus %s [-w] NAME\n", how);
		return 2;
	}
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

static int cmd_console(const char *name)
{
	uint16_t id;

	if (domus_find_domain(name, &id, NULL)) {
		fprintf(stderr, "domus: no domain '%s'\n", name);
		return 1;
	}
	return console_attach(name);
}

/*
 * `domus block-attach NAME SPEC`, `block-detach [-f] NAME xvdX`,
 * `network-attach NAME [SPEC]`, `network-detach [-f] NAME N`.
 */
static int cmd_device(const char *cmd, int argc, char **argv)
{
	bool attach = strstr(cmd, "-attach"), disk = !strncmp(cmd, "block", 5);
	bool force = !attach && argc > 0 && !strcmp(argv[0], "-f");
	const char *name, *arg;
	char err[400];
	uint16_t id;
	int rc;

	if (force)
		argc--, argv++;
	if (argc != 2 && !(attach && !disk && argc == 1)) {
		fprintf(stderr, "usage: domus %s\n",
			attach ? (disk ? "block-attach NAME 'file:/PATH,xvdX,w'"
				       : "network-attach NAME ['bridge=xenbr0,mac=..']")
			       : (disk ? "block-detach [-f] NAME xvdX" : "network-detach [-f] NAME N"));
		return 2;
	}
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

static int cmd_info(void)
{
	struct domus_ctl c = { .cmd = DOMUS_CTL_physinfo };
	char extra[16] = { 0 };
	long v = domus_hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0), rc = domus_ctl(&c);

	if (rc)
		return fail("physinfo", rc);
	domus_hypercall(__HYPERVISOR_xen_version, 1, (uintptr_t)extra, 0, 0, 0);
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

static int usage(void)
{
	fprintf(stderr, "usage: domus version | info | list | vcpu-list [ID] | pause ID | unpause ID | dmesg |\n"
			"             create [-c] CONFIG | console NAME | shutdown [-w] NAME |\n"
			"             reboot [-w] NAME | destroy NAME |\n"
			"             block-attach NAME SPEC | block-detach [-f] NAME xvdX |\n"
			"             network-attach NAME [SPEC] | network-detach [-f] NAME N\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (argc < 2)
		return usage();
	if (domus_open())
		return 1;
	if (!strcmp(cmd, "version"))
		return cmd_version();
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (!strcmp(cmd, "info"))
		return cmd_info();
	if (!strcmp(cmd, "vcpu-list"))
		return cmd_vcpu_list(argc - 2, argv + 2);
	if (!strcmp(cmd, "pause") && argc == 3)
		return cmd_pause(argv[2], DOMUS_CTL_pausedomain);
	if (!strcmp(cmd, "unpause") && argc == 3)
		return cmd_pause(argv[2], DOMUS_CTL_unpausedomain);
	if (!strcmp(cmd, "dmesg"))
		return cmd_dmesg();
	if (!strcmp(cmd, "create"))
		return cmd_create(argc - 2, argv + 2);
	if (!strcmp(cmd, "console") && argc == 3)
		return cmd_console(argv[2]);
	if (!strcmp(cmd, "shutdown"))
		return cmd_shutdown(argc - 2, argv + 2, "poweroff");
	if (!strcmp(cmd, "reboot"))
		return cmd_shutdown(argc - 2, argv + 2, "reboot");
	if (!strcmp(cmd, "destroy") && argc == 3)
		return cmd_destroy(argv[2]);
	if (!strcmp(cmd, "block-attach") || !strcmp(cmd, "block-detach") ||
	    !strcmp(cmd, "network-attach") || !strcmp(cmd, "network-detach"))
		return cmd_device(cmd, argc - 2, argv + 2);
	return usage();
}
