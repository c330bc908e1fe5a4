/* SPDX-License-Identifier: MIT */
/*
 * `domus save` and `domus restore` (docs/SAVE-RESTORE.md). The guest does
 * its half through Linux's own Xen suspend path: asked through
 * control/shutdown = "suspend", it quiesces its devices and makes
 * SCHEDOP_shutdown(SHUTDOWN_suspend); its memory, vCPUs and the state
 * Domus keeps for it then go to the file in this order:
 *
 *   header | DOMAIN (+ config) | PAGES, ZERO_PAGES ... | DOMAIN_STATE | VCPU x n | END
 *
 * PAGES name all-zero pages only (SAVE_ZERO_PAGES). A restore checks each
 * record before it acts on it and builds a new domain in the same order, so
 * that the guest's counter starts just before its vCPUs do; anything refused
 * destroys what it had built.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <public/domus_ctl.h>
#include <public/sched.h>
#include <public/xen.h>

#include "domstore.h"
#include "errmsg.h"
#include "guestnodes.h"
#include "handover.h"
#include "libdomus.h"
#include "save.h"
#include "savefile.h"

#define PAGE 4096ULL
#define SUSPEND_WAIT_MS 30000 /* Linux freezes its tasks and devices first: seconds under TCG */
#define SUSPEND_POLL_MS 2
/* After the request is withdrawn: how long a guest that had taken it up may take to suspend. */
#define SUSPEND_GRACE_MS 5000

static void kept_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s.cfg", KEPT_CONFIG_DIR, name);
}

/* Writes len bytes to path by way of a temporary file: 0 or -errno. */
static int write_file(const char *path, const void *text, size_t len)
{
	char tmp[320];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	mkdir(KEPT_CONFIG_DIR, 0755);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		rc = -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

/* A whole (small) file: NULL with errno set on failure. */
static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < SAVE_SMALL_MAX / 2 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = 0;
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
		errno = errno ? errno : EIO;
	}
	fclose(f);
	return buf;
}

/* Writes c's kept file, over an old one or (exclusive) only where there is none. */
static int keep(const struct domu_config *c, bool exclusive, char *err, size_t errlen)
{
	char path[300], tmp[310];
	FILE *f;
	int bad;

	kept_path(path, sizeof(path), c->name);
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	mkdir(KEPT_CONFIG_DIR, 0755);
	f = fopen(tmp, "w");
	if (!f)
		return fail_with(err, errlen, "%s: %s", tmp, strerror(errno));
	bad = config_write(c, f);
	errno = 0;
	/* link(), unlike rename(), fails if the name is there: two commands never get one name. */
	if (fclose(f) || bad || (exclusive ? link(tmp, path) : rename(tmp, path))) {
		int e = errno ? errno : EIO;

		unlink(tmp);
		if (exclusive && e == EEXIST)
			return 1;
		return fail_with(err, errlen, "%s: %s", path, strerror(e));
	}
	if (exclusive)
		unlink(tmp);
	return 0;
}

int config_keep(const struct domu_config *c, char *err, size_t errlen)
{
	return keep(c, false, err, errlen);
}

int config_keep_new(const struct domu_config *c, char *err, size_t errlen)
{
	return keep(c, true, err, errlen);
}

void config_forget(const char *name)
{
	char path[300];

	kept_path(path, sizeof(path), name);
	unlink(path);
}

static long domain_info(uint16_t domid, struct domus_ctl_domaininfo *info)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_getdomaininfo, .domid = domid };
	long rc = domus_ctl(&ctl);

	if (rc)
		return rc;
	if (ctl.domid != domid)
		return -ESRCH;
	*info = ctl.u.domaininfo;
	return 0;
}

static void on_stop_signal(int sig)
{
	save_interrupted = sig;
}

void save_catch_signals(void)
{
	/* No SA_RESTART: a write or a read it interrupts returns at once. */
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void save_ignore_signals(void)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
}

int save_check_interrupted(char *err, size_t errlen)
{
	if (!save_interrupted)
		return 0;
	return fail_with(err, errlen, "interrupted by %s", save_interrupted == SIGINT ? "SIGINT" :
			 save_interrupted == SIGTERM ? "SIGTERM" : "SIGHUP");
}

int domu_suspend(uint16_t domid, char *err, size_t errlen)
{
	struct domus_ctl_domaininfo info;
	long rc = domstore_request_shutdown(domid, "suspend");

	if (rc)
		return fail_with(err, errlen, "cannot ask it to suspend: %s", strerror((int)-rc));
	/* Often: the guest is stopped from here on, and a migration's downtime counts each ms. */
	for (int ms = 0; ms < SUSPEND_WAIT_MS; ms += SUSPEND_POLL_MS) {
		rc = domain_info(domid, &info);
		if (rc)
			return fail_with(err, errlen, "it went away while suspending");
		if (info.state == DOMUS_DOMAIN_SHUTDOWN && info.shutdown_reason == SHUTDOWN_suspend)
			return 0;
		if (info.state == DOMUS_DOMAIN_SHUTDOWN || info.state == DOMUS_DOMAIN_DYING)
			return fail_with(err, errlen, "it shut down (reason %u) instead of suspending",
					 info.shutdown_reason);
		if (save_interrupted)
			break;
		usleep(SUSPEND_POLL_MS * 1000);
	}
	/* Not taken up (a kernel without Xen's suspend support, or one too busy), or stopped. */
	domstore_request_shutdown(domid, "");
	/*
	 * One that took it up before that (its kernel clears the node as it
	 * starts) suspends all the same, in well under a second: the caller
	 * resumes it then.
	 */
	for (int ms = 0; ms <= SUSPEND_GRACE_MS; ms += SUSPEND_POLL_MS) {
		if (domain_info(domid, &info) == 0 && info.state == DOMUS_DOMAIN_SHUTDOWN &&
		    info.shutdown_reason == SHUTDOWN_suspend)
			return 0;
		usleep(SUSPEND_POLL_MS * 1000);
	}
	if (save_check_interrupted(err, errlen))
		return -1;
	return fail_with(err, errlen, "it did not suspend within %d s", SUSPEND_WAIT_MS / 1000);
}


/* Pages collected for the next records: those with data, and those all zero (named only). */
struct page_batch {
	struct save_pages data_hdr, zero_hdr;
	uint64_t data_gfns[SAVE_PAGES_MAX], zero_gfns[SAVE_ZERO_PAGES_MAX];
	struct iovec iov[SAVE_RECORD_IOV_MAX]; /* its header, its gfns, its pages */
	uint64_t total, zero;
};

static int flush_data(struct save_writer *w, struct page_batch *b, char *err, size_t errlen)
{
	uint32_t n = b->data_hdr.count;
	int rc;

	if (!n)
		return 0;
	b->iov[0] = (struct iovec){ &b->data_hdr, sizeof(b->data_hdr) };
	b->iov[1] = (struct iovec){ b->data_gfns, n * sizeof(b->data_gfns[0]) };
	rc = save_write_record(w, SAVE_PAGES, b->iov, 2 + (int)n, err, errlen);
	b->data_hdr.count = 0;
	return rc;
}

static int flush_zero(struct save_writer *w, struct page_batch *b, char *err, size_t errlen)
{
	uint32_t n = b->zero_hdr.count;

	if (!n)
		return 0;
	b->zero_hdr.count = 0;
	return save_write_record(w, SAVE_ZERO_PAGES,
				 (struct iovec[]){ { &(struct save_pages){ .count = n }, 8 },
						   { b->zero_gfns, n * sizeof(b->zero_gfns[0]) } },
				 2, err, errlen);
}

static bool all_zero(const uint64_t *p)
{
	for (size_t i = 0; i < PAGE / 8; i++)
		if (p[i])
			return false;
	return true;
}

/* Copies of up to DOMUS_READPAGES_MAX of the guest's frames; missing[i] for those not its RAM. */
static long read_pages(uint16_t domid, const uint64_t *gfns, uint32_t n, void *buf, uint8_t *missing)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_readpages, .domid = domid };

	ctl.u.readpages = (struct domus_ctl_readpages){ .gfns = (uintptr_t)gfns,
							.buffer = (uintptr_t)buf,
							.missing = (uintptr_t)missing, .count = n };
	return domus_ctl(&ctl);
}

/*
 * The frames at list[0..n) (any n) that are the guest's RAM now (not
 * ballooned out, not its shared_info or a grant frame): their contents, or
 * only their gfns if all zero (restore's populate gives zeroed frames).
 * Domus copies the frames into our buffer (DOMUS_CTL_readpages): no
 * mapping of them into dom0, which would change dom0's stage 2 twice a page.
 */
static int send_pages(uint16_t domid, const uint64_t *list, uint64_t n, struct save_writer *w,
		      struct page_batch *b, char *err, size_t errlen)
{
	static uint8_t missing[DOMUS_READPAGES_MAX];
	static char buf[DOMUS_READPAGES_MAX * PAGE];
	static bool locked;

	if (!locked) {
		/*
		 * Domus writes into these through dom0's page tables: they must be
		 * there (touched) and stay (locked), or the call fails with -EFAULT.
		 */
		memset(buf, 0, sizeof(buf));
		memset(missing, 0, sizeof(missing));
		mlock(buf, sizeof(buf));
		mlock(missing, sizeof(missing));
		locked = true;
	}
	for (uint64_t done = 0; done < n;) {
		uint32_t k = (uint32_t)(n - done < DOMUS_READPAGES_MAX ? n - done : DOMUS_READPAGES_MAX);
		const uint64_t *gfns = list + done;
		long rc;

		if (save_check_interrupted(err, errlen))
			return -1;
		rc = read_pages(domid, gfns, k, buf, missing);
		if (rc)
			return fail_with(err, errlen, "cannot read its memory at gfn %#llx: %s",
					 (unsigned long long)gfns[0], strerror((int)-rc));
		for (uint32_t i = 0; !rc && i < k; i++) {
			const char *page = buf + i * PAGE;

			if (missing[i])
				continue;
			b->total++;
			if (all_zero((const uint64_t *)page)) {
				b->zero++;
				b->zero_gfns[b->zero_hdr.count++] = gfns[i];
				if (b->zero_hdr.count == SAVE_ZERO_PAGES_MAX)
					rc = flush_zero(w, b, err, errlen);
				continue;
			}
			b->data_gfns[b->data_hdr.count] = gfns[i];
			b->iov[2 + b->data_hdr.count++] = (struct iovec){ (void *)page, PAGE };
		}
		/* The data iovecs point into the buffer: written before it is used again. */
		if (rc || flush_data(w, b, err, errlen))
			return -1;
		done += k;
	}
	/*
	 * Zero pages go before the next call's pages: in a live stream a page
	 * zero now may have data in the next round, and must not be zeroed after.
	 */
	return w->stream ? flush_zero(w, b, err, errlen) : 0;
}

/* All of the guest's memory (domu_ram_ranges), as send_pages sends it. */
static int send_all_pages(uint16_t domid, const struct domu_config *c, struct save_writer *w,
			  struct page_batch *b, char *err, size_t errlen)
{
	static uint64_t gfns[DOMUS_READPAGES_MAX];
	struct ram_range r[2];

	domu_ram_ranges(c, r);
	for (int k = 0; k < 2; k++)
		for (uint64_t done = 0; done < r[k].count;) {
			uint32_t n = (uint32_t)(r[k].count - done < DOMUS_READPAGES_MAX ?
						r[k].count - done : DOMUS_READPAGES_MAX);

			for (uint32_t i = 0; i < n; i++)
				gfns[i] = r[k].gfn + done + i;
			if (send_pages(domid, gfns, n, w, b, err, errlen))
				return -1;
			done += n;
		}
	return 0;
}

static int save_pages(uint16_t domid, const struct domu_config *c, struct save_writer *w,
		      struct save_stats *st, char *err, size_t errlen)
{
	static struct page_batch b;

	b.total = b.zero = 0;
	if (send_all_pages(domid, c, w, &b, err, errlen))
		return -1;
	st->pages = b.total;
	st->zero_pages = b.zero;
	return flush_zero(w, &b, err, errlen);
}

static int save_state(uint16_t domid, uint32_t nr_vcpus, bool devices, struct save_writer *w,
		      char *err, size_t errlen)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_getdomainstate, .domid = domid };
	struct domus_vcpu_state s;
	long rc = domus_ctl(&ctl);
	char *nodes;
	size_t len;

	/* The XenStore nodes it wrote (it is suspended: they hold still), then its state. */
	if (guestnodes_read(domid, devices, &nodes, &len, err, errlen))
		return -1;
	rc = save_write_record(w, SAVE_XENSTORE, (struct iovec[]){ { nodes, len } }, 1, err, errlen);
	free(nodes);
	if (rc)
		return -1;
	rc = domus_ctl(&ctl);

	if (rc)
		return fail_with(err, errlen, "cannot read its domain state: %s", strerror((int)-rc));
	if (save_write_record(w, SAVE_DOMAIN_STATE,
			      (struct iovec[]){ { &ctl.u.domainstate, sizeof(ctl.u.domainstate) } }, 1,
			      err, errlen))
		return -1;
	for (uint32_t i = 0; i < nr_vcpus; i++) {
		ctl = (struct domus_ctl){ .cmd = DOMUS_CTL_getvcpustate, .domid = domid };
		ctl.u.vcpustate = (struct domus_ctl_vcpustate){ .vcpu = i, .size = sizeof(s),
								.buffer = (uintptr_t)&s };
		rc = domus_ctl(&ctl);
		if (rc)
			return fail_with(err, errlen, "cannot read vCPU %u: %s", i, strerror((int)-rc));
		if (save_write_record(w, SAVE_VCPU, (struct iovec[]){ { &s, sizeof(s) } }, 1, err, errlen))
			return -1;
	}
	return 0;
}

double save_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int domu_save(uint16_t domid, const struct domu_config *c, const char *path,
	      struct save_stats *st, char *err, size_t errlen)
{
	double t0 = save_seconds();
	struct save_domain d = { .nr_vcpus = c->vcpus, .flags = c->vuart ? DOMUS_CTL_CDF_VPL011 : 0,
				 .max_mem_kib = domu_max_mem_kib(c) };
	struct save_writer w;
	uint64_t at;
	size_t len;
	char *text = read_text(c->path, &len);
	int rc = -1;

	if (!text)
		return fail_with(err, errlen, "its configuration %s: %s", c->path, strerror(errno));
	if (c->vuart) { /* the SBSA UART's registers, FIFOs and interrupt are not carried yet */
		free(text);
		return fail_with(err, errlen, "a guest with vuart = \"sbsa_uart\" cannot be saved yet");
	}
	snprintf(d.name, sizeof(d.name), "%s", c->name);
	d.config_len = len;
	if (save_writer_open(&w, path, err, errlen))
		goto out;
	at = w.offset;
	/* The domain's record first, its page count set once the pages are out. */
	if (domu_suspend(domid, err, errlen) ||
	    (st->suspended = true, st->suspend_s = save_seconds() - t0, false) ||
	    save_write_record(&w, SAVE_DOMAIN, (struct iovec[]){ { &d, sizeof(d) }, { text, len } }, 2,
			      err, errlen) ||
	    save_pages(domid, c, &w, st, err, errlen) || (d.nr_pages = st->pages, false) ||
	    save_rewrite_record(&w, at, SAVE_DOMAIN,
				(struct iovec[]){ { &d, sizeof(d) }, { text, len } }, 2, err, errlen) ||
	    save_state(domid, c->vcpus, false, &w, err, errlen) || save_writer_finish(&w, err, errlen)) {
		save_writer_abort(&w);
		goto out;
	}
	rc = 0;
	st->total_s = save_seconds() - t0;
out:
	free(text);
	return rc;
}

/* ---- live migration's sending half ---- */

static long log_dirty(uint16_t domid, uint32_t op, uint64_t gfn, uint32_t count, uint64_t *bitmap)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_logdirty, .domid = domid };

	ctl.u.logdirty = (struct domus_ctl_logdirty){ .op = op, .gfn = gfn, .count = count,
						      .bitmap = (uintptr_t)bitmap };
	return domus_ctl(&ctl);
}

/*
 * Takes write rights from all of the guest's memory again and lists in
 * *list (grown as needed) each page written since the last time: the count,
 * or -1 with a reason.
 */
static long collect_dirty(uint16_t domid, const struct domu_config *c, uint64_t **list,
			  uint64_t *cap, char *err, size_t errlen)
{
	static uint64_t bitmap[DOMUS_LOGDIRTY_MAX / 64];
	static bool locked;
	struct ram_range r[2];
	uint64_t n = 0;

	if (!locked) { /* Domus writes it through dom0's page tables: there, and kept there */
		memset(bitmap, 0, sizeof(bitmap));
		mlock(bitmap, sizeof(bitmap));
		locked = true;
	}

	domu_ram_ranges(c, r);
	for (int k = 0; k < 2; k++) {
		uint64_t count = (r[k].count + 63) & ~63ULL;

		for (uint64_t done = 0; done < count; done += DOMUS_LOGDIRTY_MAX) {
			uint32_t m = (uint32_t)(count - done < DOMUS_LOGDIRTY_MAX ? count - done
										  : DOMUS_LOGDIRTY_MAX);
			long rc = log_dirty(domid, DOMUS_LOGDIRTY_CLEAN, r[k].gfn + done, m, bitmap);

			if (rc < 0)
				return fail_with(err, errlen, "cannot log its dirty pages: %s%s",
						 strerror((int)-rc), rc == -EOPNOTSUPP ?
						 " (Domus maps its RAM in blocks: stage2_blocks=on)" : "");
			if (n + (uint64_t)rc > *cap) {
				uint64_t *more = realloc(*list, (n + (uint64_t)rc) * 2 * sizeof(**list));

				if (!more)
					return fail_with(err, errlen, "out of memory for a dirty list");
				*list = more;
				*cap = (n + (uint64_t)rc) * 2;
			}
			for (uint32_t i = 0; i < m; i++)
				if (bitmap[i / 64] & (1ULL << (i % 64)) && done + i < r[k].count)
					(*list)[n++] = r[k].gfn + done + i;
		}
	}
	return (long)n;
}

int migrate_read_line(int fd, char *buf, size_t len, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };
	size_t n = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			break;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return n ? (int)n : -1;
}

void migrate_peer_says(char *err, size_t errlen, const char *peer, char *line)
{
	for (char *p = line; *p; p++) /* the peer's text, never its terminal codes */
		if (*p < ' ' || *p == 0x7f)
			*p = '?';
	snprintf(err, errlen, "%.100s says: %.380s", peer, line);
}

/*
 * The target's word on how the guest may stop, sent as soon as it has made
 * the domain: 'T' (it kept the guest's id: the guest need not suspend, its
 * devices are handed over), 'C' (another id: the guest suspends itself), or
 * 'E' and why it refused. One line, read here before the stop. The mode's
 * letter, or -1 with a reason.
 */
static int target_mode(int fd, const char *peer, char *err, size_t errlen)
{
	char line[512];

	if (migrate_read_line(fd, line, sizeof(line), 30) < 0)
		return fail_with(err, errlen, "%s said nothing of the domain it makes", peer);
	if (line[0] == 'T' || line[0] == 'C')
		return line[0];
	migrate_peer_says(err, errlen, peer, line[0] == 'E' ? line + 1 : line);
	return -1;
}

/* Bytes still queued for the link, the guest running, past which the stop waits no longer. */
#define LINK_DRAINED (64 * 1024)
#define LINK_DRAIN_MS 60000
#define LINK_DRAIN_POLL_MS 2

/* Waits until the connection's send queue (SIOCOUTQ: not yet acknowledged) is nearly empty. */
static int link_drain(int fd, char *err, size_t errlen)
{
	for (int waited = 0; waited < LINK_DRAIN_MS; waited += LINK_DRAIN_POLL_MS) {
		int queued;

		if (save_check_interrupted(err, errlen))
			return -1;
		if (ioctl(fd, SIOCOUTQ, &queued) || queued < LINK_DRAINED)
			return 0;
		usleep(LINK_DRAIN_POLL_MS * 1000);
	}
	return fail_with(err, errlen, "the link carried nothing for %d s", LINK_DRAIN_MS / 1000);
}

/* What the source did to stop a guest without its help, for undoing it (domu_migrate_abandon). */
static struct handover handover;

/* Pre-copy ends when a round leaves this few pages dirty, or after this many rounds. */
#define MIGRATE_FEW_DIRTY 256
#define MIGRATE_MAX_ROUNDS 10
/* The rounds after the link drained, before the stop, while each still finds many pages. */
#define MIGRATE_SETTLE_ROUNDS 4

int domu_migrate_send(uint16_t domid, const struct domu_config *c, int fd, const char *peer,
		      struct migrate_stats *st, char *err, size_t errlen)
{
	static struct page_batch b;
	struct save_domain d = { .nr_vcpus = c->vcpus, .max_mem_kib = domu_max_mem_kib(c) };
	struct save_writer w;
	uint64_t *list = NULL, cap = 0;
	double t0 = save_seconds();
	size_t len;
	char *text = read_text(c->path, &len);
	long n, rc = -1;
	int mode;

	memset(st, 0, sizeof(*st));
	st->start = t0;
	if (!text)
		return fail_with(err, errlen, "its configuration %s: %s", c->path, strerror(errno));
	if (c->vuart) {
		free(text);
		return fail_with(err, errlen, "a guest with vuart = \"sbsa_uart\" cannot migrate yet");
	}
	snprintf(d.name, sizeof(d.name), "%s", c->name);
	d.config_len = len;
	b.total = b.zero = 0;
	if (save_writer_open_stream(&w, fd, peer, err, errlen) ||
	    save_write_record(&w, SAVE_DOMAIN, (struct iovec[]){ { &d, sizeof(d) }, { text, len } }, 2,
			      err, errlen) ||
	    save_write_record(&w, SAVE_DOMAIN_ID,
			      (struct iovec[]){ { &(struct save_domain_id){ .domid = domid },
						  sizeof(struct save_domain_id) } }, 1, err, errlen))
		goto out;
	rc = log_dirty(domid, DOMUS_LOGDIRTY_ENABLE, 0, 0, NULL);
	if (rc) {
		fail_with(err, errlen, "Domus cannot log its writes: %s", strerror((int)-rc));
		rc = -1;
		goto out;
	}
	st->logging = true;
	rc = -1;
	/* Round 0: everything, with the log armed first so that what changes meanwhile comes again. */
	if (collect_dirty(domid, c, &list, &cap, err, errlen) < 0 ||
	    send_all_pages(domid, c, &w, &b, err, errlen))
		goto out;
	st->rounds = 1;
	for (;;) {
		n = collect_dirty(domid, c, &list, &cap, err, errlen);
		if (n < 0)
			goto out;
		/* Sent even when few: the log forgot them at the clean that found them. */
		if (send_pages(domid, list, (uint64_t)n, &w, &b, err, errlen))
			goto out;
		st->rounds++;
		if (n <= MIGRATE_FEW_DIRTY || st->rounds >= MIGRATE_MAX_ROUNDS)
			break;
	}
	/*
	 * Pre-copy writes faster than a link carries: what it queued would be
	 * carried while the guest is stopped. So the link drains first, the
	 * guest running; then what it wrote meanwhile goes, and the link drains
	 * again. Its stop then carries only what it writes in that last wait.
	 * A guest that writes in bursts may be caught in one: while such a
	 * round finds many pages, another, a few times at most.
	 */
	if (link_drain(fd, err, errlen))
		goto out;
	for (int settle = 1;; settle++) {
		n = collect_dirty(domid, c, &list, &cap, err, errlen);
		if (n < 0 || send_pages(domid, list, (uint64_t)n, &w, &b, err, errlen) ||
		    link_drain(fd, err, errlen))
			goto out;
		st->rounds++;
		if (n <= MIGRATE_FEW_DIRTY || settle >= MIGRATE_SETTLE_ROUNDS)
			break;
	}
	/*
	 * Stop and copy. Where the target kept the guest's id, the guest is
	 * stopped without its help (handover.c): its back ends here let go of
	 * it and it is paused; else, or if that cannot be, it suspends itself
	 * (its devices quiesced). Then what it wrote since the last round, the
	 * pages Domus and dom0 write behind the log (console and XenStore
	 * rings, each vCPU's vcpu_info) and the pages of the last round (sent
	 * while it ran) go, then its state.
	 */
	mode = target_mode(fd, peer, err, errlen);
	if (mode < 0)
		goto out;
	st->downtime_start = save_seconds();
	if (mode == 'T') {
		char why[256];

		if (handover_stop(domid, c, &handover, why, sizeof(why)) == 0) {
			st->handover = true;
			st->downtime_start = handover.paused_at;
			st->unbound_at = handover.unbound_at;
		} else {
			fprintf(stderr, "domus: %s: it suspends itself instead: %s\n", c->name, why);
		}
	}
	if (!st->handover) {
		if (domu_suspend(domid, err, errlen))
			goto out;
		st->suspended = true;
	}
	st->suspended_at = save_seconds();
	n = collect_dirty(domid, c, &list, &cap, err, errlen);
	if (n < 0 || send_pages(domid, list, (uint64_t)n, &w, &b, err, errlen))
		goto out;
	{
		struct ram_range r[2];
		uint64_t extra[DOMU_MAGIC_PAGES + 128];
		uint64_t k = 0;

		domu_ram_ranges(c, r);
		for (uint64_t i = 0; i < r[1].count && k < DOMU_MAGIC_PAGES; i++)
			extra[k++] = r[1].gfn + i;
		for (uint32_t i = 0; i < c->vcpus && i < 128; i++) {
			struct domus_ctl ctl = { .cmd = DOMUS_CTL_getvcpustate, .domid = domid };
			struct domus_vcpu_state s;

			ctl.u.vcpustate = (struct domus_ctl_vcpustate){ .vcpu = i, .size = sizeof(s),
									.buffer = (uintptr_t)&s };
			if (domus_ctl(&ctl) == 0 && s.vcpu_info_gfn != ~0ULL)
				extra[k++] = s.vcpu_info_gfn;
		}
		if (send_pages(domid, extra, k, &w, &b, err, errlen))
			goto out;
	}
	if (flush_zero(&w, &b, err, errlen) ||
	    save_state(domid, c->vcpus, st->handover, &w, err, errlen) ||
	    (st->handover && handover_write(domid, &handover, &w, err, errlen)) ||
	    save_writer_finish(&w, err, errlen))
		goto out;
	st->pages = b.total;
	st->final_pages = (uint64_t)n;
	st->sent = save_seconds();
	rc = 0;
out:
	free(list);
	free(text);
	return rc ? -1 : 0;
}

void domu_migrate_abandon(uint16_t domid, const struct domu_config *c,
			  const struct migrate_stats *st)
{
	if (st->logging)
		log_dirty(domid, DOMUS_LOGDIRTY_DISABLE, 0, 0, NULL);
	if (st->handover)
		handover_undo(domid, c, &handover);
}

void domu_migrate_done(const struct migrate_stats *st)
{
	if (st->handover)
		handover_unbound_wait(&handover);
}

/*
 * A live stream's pages come in rounds: which gfns the new domain has been
 * given already, so that a page sent again is only copied again.
 */
static struct {
	bool live;
	uint8_t *have; /* a bit per gfn below limit */
	uint64_t limit;
} given;

/* Domus copies pages in (DOMUS_CTL_writepages): no mapping into dom0. */
static long write_pages(uint16_t dom, const uint64_t *gfns, uint64_t count, const char *data,
			bool same_data, char *err, size_t errlen)
{
	for (uint64_t done = 0; done < count; done += DOMUS_READPAGES_MAX) {
		struct domus_ctl ctl = { .cmd = DOMUS_CTL_writepages, .domid = dom };
		uint32_t n = (uint32_t)(count - done < DOMUS_READPAGES_MAX ? count - done
									: DOMUS_READPAGES_MAX);
		long r;

		ctl.u.readpages = (struct domus_ctl_readpages){
			.gfns = (uintptr_t)(gfns + done),
			.buffer = (uintptr_t)(same_data ? data : data + done * PAGE), .count = n };
		r = domus_ctl(&ctl);
		if (r)
			return fail_with(err, errlen, "cannot copy its memory in at gfn %#llx: %s",
					 (unsigned long long)gfns[done], strerror((int)-r));
	}
	return 0;
}

static long restore_pages(uint16_t dom, const struct save_record *rec, char *err, size_t errlen)
{
	static uint64_t gfns[SAVE_ZERO_PAGES_MAX], fresh[SAVE_ZERO_PAGES_MAX], again[SAVE_ZERO_PAGES_MAX];
	static char zeros[DOMUS_READPAGES_MAX * PAGE];
	const struct save_pages *hdr = rec->body;
	uint64_t done = 0, nfresh = 0, nagain = 0;
	const char *data;
	long r;

	memcpy(gfns, (const char *)rec->body + sizeof(*hdr), hdr->count * sizeof(gfns[0]));
	data = (const char *)rec->body + sizeof(*hdr) + hdr->count * sizeof(gfns[0]);
	for (uint32_t i = 0; i < hdr->count; i++) {
		uint64_t g = gfns[i];

		if (given.live) {
			if (g >= given.limit)
				return fail_with(err, errlen, "a page at gfn %#llx, beyond the guest's memory",
						 (unsigned long long)g);
			if (given.have[g / 8] & (1u << (g % 8))) {
				again[nagain++] = g;
				continue;
			}
			given.have[g / 8] |= (uint8_t)(1u << (g % 8));
		}
		fresh[nfresh++] = g;
	}
	while (done < nfresh) { /* Domus may do a long list in parts */
		r = domus_populate(dom, fresh + done, nfresh - done, 0);
		if (r <= 0)
			return fail_with(err, errlen, "cannot give it memory at gfn %#llx: %s",
					 (unsigned long long)fresh[done], r < 0 ? strerror((int)-r) :
					 "refused (out of memory, or a page twice)");
		done += (uint64_t)r;
	}
	if (rec->type == SAVE_ZERO_PAGES) { /* populated frames are zeroed; pages sent before are not */
		static bool locked;

		if (!nagain)
			return 0;
		if (!locked) { /* Domus reads it through dom0's page tables: there, and kept there */
			memset(zeros, 0, sizeof(zeros));
			mlock(zeros, sizeof(zeros));
			locked = true;
		}
		return write_pages(dom, again, nagain, zeros, true, err, errlen);
	}
	return write_pages(dom, gfns, hdr->count, data, false, err, errlen);
}

/* The guest's XenStore nodes from the stream, for start_built to write (domu_built.guest_nodes). */
static struct {
	char *body;
	size_t len;
} nodes;

/* A migration without the guest's help: whether it is one, and its watches for start_built. */
static struct {
	bool on;
	char watches[SAVE_WATCHES_MAX];
	size_t watches_len;
} handed;

/* Every record after the domain's, checked (k) and into domain dom: 0, or -1 with a reason. */
static int restore_records(uint16_t dom, const struct domu_built *b, struct save_reader *r,
			   struct save_check *k, char *err,
			   size_t errlen)
{
	struct save_record rec;
	struct domus_ctl ctl;
	int more;
	long rc = 0;

	while (!rc && (more = save_reader_next(r, &rec, err, errlen)) > 0) {
		if (save_check_record(k, &rec, err, errlen))
			return -1;
		ctl = (struct domus_ctl){ .domid = dom };
		switch (rec.type) {
		case SAVE_PAGES:
		case SAVE_ZERO_PAGES:
			if (restore_pages(dom, &rec, err, errlen))
				return -1;
			break;
		case SAVE_XENSTORE:
			free(nodes.body);
			nodes.body = malloc(rec.length);
			if (!nodes.body)
				return fail_with(err, errlen, "out of memory");
			memcpy(nodes.body, rec.body, rec.length);
			nodes.len = rec.length;
			break;
		case SAVE_DOMAIN_STATE:
			ctl.cmd = DOMUS_CTL_setdomainstate;
			memcpy(&ctl.u.domainstate, rec.body, sizeof(ctl.u.domainstate));
			rc = domus_ctl(&ctl);
			if (rc)
				return fail_with(err, errlen, "Domus refused its domain state: %s",
						 strerror((int)-rc));
			break;
		case SAVE_PORTS:
			/* Only where the guest kept its id: its front ends know their back ends by it. */
			if (!handed.on)
				return fail_with(err, errlen, "its event channels, for a guest whose id "
							      "was not kept");
			if (handover_ports_in(dom, rec.body, rec.length, b->console_port,
					      b->store_port, err, errlen))
				return -1;
			break;
		case SAVE_GRANT_FRAME:
			if (!handed.on)
				return fail_with(err, errlen, "its grant table, for a guest whose id "
							      "was not kept");
			if (handover_grant_frame_in(dom, rec.body, err, errlen))
				return -1;
			break;
		case SAVE_WATCHES:
			memcpy(handed.watches, rec.body, rec.length); /* at most SAVE_WATCHES_MAX */
			handed.watches_len = rec.length;
			break;
		case SAVE_VCPU: {
			const struct domus_vcpu_state *s = rec.body;

			ctl.cmd = DOMUS_CTL_setvcpustate;
			ctl.u.vcpustate = (struct domus_ctl_vcpustate){ .vcpu = s->vcpu, .size = sizeof(*s),
									.buffer = (uintptr_t)s };
			rc = domus_ctl(&ctl);
			if (rc)
				return fail_with(err, errlen, "Domus refused the state of vCPU %u: %s",
						 s->vcpu, strerror((int)-rc));
			break;
		}
		default:
			return fail_with(err, errlen, "a record of type %u where it does not belong",
					 rec.type);
		}
	}
	if (more < 0)
		return -1;
	if (save_check_end(k, err, errlen))
		return -1;
	/* Kept its id but suspended itself after all (it could not be stopped without its help). */
	if (!k->have_ports)
		handed.on = false;
	return 0;
}

/* Builds the domain from reader r (opened): 0, or -1 with a reason. r is closed either way. */
static int restore_from(struct save_reader *rp, struct domu_config *c, struct domu_built *b,
			char *err, size_t errlen)
{
	struct domus_ctl ctl = { .cmd = DOMUS_CTL_createdomain };
	static struct save_check k;
	struct save_reader r = *rp;
	struct save_record rec;
	struct save_domain d;
	struct save_domain_id wanted = { 0 };
	char kept[300], why[256];
	uint16_t other;
	long rc;

	/*
	 * One pass: each record is checked (save_check_record) before it is
	 * acted on, and anything refused destroys the domain half-built.
	 */
	memset(&k, 0, sizeof(k));
	k.live = r.live;
	free(nodes.body);
	nodes.body = NULL;
	nodes.len = 0;
	free(given.have);
	given = (typeof(given)){ .live = r.live };
	rc = save_reader_next(&r, &rec, err, errlen);
	if (rc == 0)
		fail_with(err, errlen, "no records");
	if (rc != 1 || save_check_record(&k, &rec, err, errlen))
		goto fail_reader;
	d = k.dom;
	/* A live stream's second record: the id the guest has at the source, kept here if free. */
	handed.on = false;
	if (r.live) {
		rc = save_reader_next(&r, &rec, err, errlen);
		if (rc == 1 && rec.type != SAVE_DOMAIN_ID)
			fail_with(err, errlen, "a live stream without the guest's id");
		if (rc != 1 || rec.type != SAVE_DOMAIN_ID || save_check_record(&k, &rec, err, errlen))
			goto fail_reader;
		memcpy(&wanted, rec.body, sizeof(wanted));
	}
	if (domus_find_domain(d.name, &other, NULL) == 0) {
		fail_with(err, errlen, "a domain named '%s' exists already (id %u)", d.name, other);
		goto fail_reader;
	}
	kept_path(kept, sizeof(kept), d.name);
	rc = write_file(kept, (const char *)rec.body + sizeof(d), d.config_len);
	if (rc) {
		fail_with(err, errlen, "%s: %s", kept, strerror((int)-rc));
		goto fail_reader;
	}
	if (config_load(kept, c, why, sizeof(why))) {
		fail_with(err, errlen, "its configuration: %s", why);
		goto fail_config;
	}
	if (strcmp(c->name, d.name) || c->vcpus != d.nr_vcpus) {
		fail_with(err, errlen, "its configuration names '%s' with %u vCPUs, the file '%s' with %u",
			  c->name, c->vcpus, d.name, d.nr_vcpus);
		goto fail_config;
	}
	snprintf(ctl.u.createdomain.name, sizeof(ctl.u.createdomain.name), "%s", d.name);
	ctl.u.createdomain.nr_vcpus = d.nr_vcpus;
	ctl.u.createdomain.max_mem_kib = d.max_mem_kib;
	ctl.u.createdomain.flags = d.flags;
	ctl.domid = wanted.domid;
	rc = domus_ctl(&ctl);
	if (rc == -EEXIST && wanted.domid) { /* taken here: it suspends itself and takes another */
		ctl.domid = 0;
		rc = domus_ctl(&ctl);
	} else if (!rc && wanted.domid) {
		handed.on = true;
	}
	if (!rc && r.live && dprintf(r.fd, "%c\n", handed.on ? 'T' : 'C') < 0) {
		fail_with(err, errlen, "cannot answer the sender: %s", strerror(errno));
		domain_end(ctl.domid);
		goto fail_config;
	}
	if (rc) {
		fail_with(err, errlen, "cannot create the domain: %s", rc == -ENOMEM ?
			  "not enough free memory in the hypervisor" : strerror((int)-rc));
		goto fail_config;
	}
	b->records_ready = false;
	if (given.live) {
		given.limit = GUEST_RAM0_BASE / PAGE + d.max_mem_kib / (PAGE / 1024);
		given.have = calloc(given.limit / 8 + 1, 1);
	}
	/*
	 * A migration's target sets up the guest's ports, XenStore records and
	 * device back ends now, while the guest still runs at the source: they
	 * are then off its downtime (netback's vif, its bridge). The back ends
	 * wait, Initialising, for the front ends the guest reconnects.
	 */
	if ((given.live && !given.have &&
	     fail_with(err, errlen, "out of memory for a map of %llu pages",
		       (unsigned long long)given.limit)) ||
	    (given.live && (domu_connect_magic(ctl.domid, b, err, errlen) ||
			    domstore_records(c, b, err, errlen) ||
			    (b->records_ready = true, false))) ||
	    restore_records(ctl.domid, b, &r, &k, err, errlen) ||
	    (!b->records_ready && domu_connect_magic(ctl.domid, b, err, errlen))) {
		domain_end(ctl.domid); /* its records and back ends too, if it had them */
		goto fail_config;
	}
	save_reader_close(&r);
	b->restored = true;
	b->guest_nodes = nodes.body;
	b->guest_nodes_len = nodes.len;
	b->handover = handed.on;
	b->watches = handed.watches;
	b->watches_len = handed.watches_len;
	return 0;
fail_config:
	unlink(kept);
fail_reader:
	save_reader_close(&r);
	return -1;
}

int domu_restore(const char *path, struct domu_config *c, struct domu_built *b, char *err,
		 size_t errlen)
{
	struct save_reader r;

	if (save_reader_open(&r, path, err, errlen))
		return -1;
	return restore_from(&r, c, b, err, errlen);
}

int domu_restore_stream(int fd, const char *name, struct domu_config *c, struct domu_built *b,
			char *err, size_t errlen)
{
	struct save_reader r;
	int own = dup(fd); /* the caller's fd stays open for its answer to the sender */

	if (own < 0)
		return fail_with(err, errlen, "%s: %s", name, strerror(errno));
	if (save_reader_open_fd(&r, own, name, true, err, errlen))
		return -1;
	return restore_from(&r, c, b, err, errlen);
}
