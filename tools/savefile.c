/* SPDX-License-Identifier: MIT */
/* The save file's framing: header, records, checksums, and the checks restore runs first. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <public/domus_ctl.h>
#include <public/xen.h>

#include "errmsg.h"
#include "savefile.h"

/*
 * Eight bytes a step through eight tables ("slicing by 8"): the same CRC as
 * a byte at a time, with an eighth of the loop. Under TCG the loop is most
 * of a save's and a restore's own time.
 */
uint32_t save_crc32(uint32_t crc, const void *p, size_t n)
{
	static uint32_t t[8][256];
	const uint8_t *b = p;

	if (!t[0][1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			t[0][i] = c;
		}
		for (uint32_t i = 0; i < 256; i++)
			for (int k = 1; k < 8; k++)
				t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
	}
	crc = ~crc;
	for (; n >= 8; n -= 8, b += 8) {
		uint32_t lo = crc ^ (b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24);

		crc = t[7][lo & 0xff] ^ t[6][lo >> 8 & 0xff] ^ t[5][lo >> 16 & 0xff] ^ t[4][lo >> 24] ^
		      t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]];
	}
	while (n--)
		crc = t[0][(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint64_t padded(uint64_t n)
{
	return (n + 7) & ~7ULL;
}

/* Reads up to n bytes, retrying short reads: how many there were, or -1. */
static ssize_t read_full(int fd, void *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, (char *)p + done, n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

volatile sig_atomic_t save_interrupted;

/*
 * All of iov (cnt parts; it is changed): 0, or -1 with errno. A signal that
 * stops the command (save_interrupted) ends it even when it came in the
 * middle and a write returned a part: the next would block.
 */
static int writev_full(int fd, struct iovec *iov, int cnt)
{
	for (;;) {
		ssize_t r;

		for (; cnt && !iov->iov_len; iov++) /* nothing to write there */
			cnt--;
		if (!cnt)
			return 0;
		r = save_interrupted ? (errno = EINTR, -1) : writev(fd, iov, cnt);
		if (r < 0 && errno == EINTR && !save_interrupted)
			continue;
		if (r <= 0)
			return -1;
		for (; cnt && (size_t)r >= iov->iov_len; iov++, cnt--)
			r -= (ssize_t)iov->iov_len;
		if (cnt) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
}

static int write_full(int fd, const void *p, size_t n)
{
	return writev_full(fd, &(struct iovec){ (void *)p, n }, 1);
}

int save_reader_open_fd(struct save_reader *r, int fd, const char *path, bool allow_live, char *err,
			size_t errlen)
{
	struct save_header h;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	n = read_full(r->fd, &h, sizeof(h));
	if (n < 0) {
		fail_with(err, errlen, "%s: %s", path, strerror(errno));
	} else if (n < (ssize_t)sizeof(h) || memcmp(h.magic, SAVE_MAGIC, sizeof(h.magic))) {
		fail_with(err, errlen, "%s: not a Domus save file", path);
	} else if (h.version != SAVE_VERSION) {
		fail_with(err, errlen, "%s: save format version %u; this Domus reads version %u", path,
			  h.version, SAVE_VERSION);
	} else if (h.arch != SAVE_ARCH_AARCH64) {
		fail_with(err, errlen, "%s: saved on another architecture (%#x); this is aarch64 (%#x)",
			  path, h.arch, SAVE_ARCH_AARCH64);
	} else if (h.page_shift != SAVE_PAGE_SHIFT) {
		fail_with(err, errlen, "%s: saved with %llu-byte pages; this Domus uses %u", path,
			  h.page_shift < 64 ? 1ULL << h.page_shift : 0, SAVE_PAGE_SIZE);
	} else if (h.flags & ~(allow_live ? SAVE_FLAG_LIVE : 0)) {
		fail_with(err, errlen, "%s: header flags %#x %s", path, h.flags,
			  h.flags == SAVE_FLAG_LIVE ? "(a migration stream, not a file to restore)"
						    : "this Domus does not know");
	} else if (h.cpu && save_cpu_model() && h.cpu != save_cpu_model()) {
		fail_with(err, errlen, "%s: written on another CPU model (MIDR %#llx; this machine's "
			  "is %#llx): the guest's kernel chose its errata workarounds and features for "
			  "that one", path, (unsigned long long)h.cpu,
			  (unsigned long long)save_cpu_model());
	} else {
		r->live = h.flags & SAVE_FLAG_LIVE;
		r->offset = sizeof(h);
		return 0;
	}
	close(r->fd);
	r->fd = -1;
	return -1;
}

int save_reader_open(struct save_reader *r, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		memset(r, 0, sizeof(*r));
		r->fd = -1;
		return fail_with(err, errlen, "%s: %s", path, strerror(errno));
	}
	return save_reader_open_fd(r, fd, path, false, err, errlen);
}

/* The largest body a record of this type may have. */
static uint64_t max_length(uint32_t type)
{
	if (type == SAVE_END)
		return 0;
	if (type == SAVE_PAGES)
		return sizeof(struct save_pages) + SAVE_PAGES_MAX * (8ULL + SAVE_PAGE_SIZE);
	if (type == SAVE_ZERO_PAGES)
		return sizeof(struct save_pages) + SAVE_ZERO_PAGES_MAX * 8ULL;
	return SAVE_SMALL_MAX;
}

/* The layout a body of its type must have, once read; NULL if it has it. */
static const char *bad_layout(uint32_t type, const void *body, uint64_t len)
{
	if (type == SAVE_PAGES || type == SAVE_ZERO_PAGES) {
		uint64_t each = type == SAVE_PAGES ? 8ULL + SAVE_PAGE_SIZE : 8;
		struct save_pages p;

		if (len < sizeof(p))
			return "a page record shorter than its header";
		memcpy(&p, body, sizeof(p));
		if (!p.count || p.count > (type == SAVE_PAGES ? SAVE_PAGES_MAX : SAVE_ZERO_PAGES_MAX) ||
		    p.pad)
			return "a page record with a bad count";
		if (len != sizeof(p) + p.count * each)
			return "a page record whose length does not match its count";
	} else if (type == SAVE_XENSTORE) {
		struct save_xs x;
		struct save_xs_entry e;
		uint64_t at = sizeof(x);

		if (len < sizeof(x))
			return "a XenStore record shorter than its header";
		memcpy(&x, body, sizeof(x));
		if (x.pad)
			return "a XenStore record with a bad header";
		for (uint32_t i = 0; i < x.count; i++) {
			if (len - at < sizeof(e))
				return "a XenStore record shorter than its entries";
			memcpy(&e, (const char *)body + at, sizeof(e));
			at += sizeof(e);
			if (e.pad || !e.path_len || !e.perms_len ||
			    len - at < (uint64_t)e.path_len + e.value_len + e.perms_len)
				return "a XenStore record with a bad entry";
			at += (uint64_t)e.path_len + e.value_len + e.perms_len;
			/* Permissions are NUL-ended strings: the last one ends inside its entry. */
			if (((const char *)body)[at - 1])
				return "a XenStore record with a bad entry";
		}
		if (at != len)
			return "a XenStore record whose length does not match its entries";
	} else if (type == SAVE_DOMAIN_ID) {
		struct save_domain_id d;

		if (len != sizeof(d))
			return "a domain-id record of the wrong size";
		memcpy(&d, body, sizeof(d));
		if (!d.domid || d.domid >= DOMID_FIRST_RESERVED || d.pad[0] || d.pad[1] || d.pad[2])
			return "a domain-id record with a bad id";
	} else if (type == SAVE_PORTS) {
		if (!len || len % sizeof(struct domus_port) ||
		    len / sizeof(struct domus_port) > SAVE_PORTS_MAX)
			return "a ports record of a bad length";
	} else if (type == SAVE_GRANT_FRAME) {
		struct save_grant_frame g;

		if (len != sizeof(g) + SAVE_PAGE_SIZE)
			return "a grant-frame record of the wrong size";
		memcpy(&g, body, sizeof(g));
		if (g.idx >= SAVE_GRANT_FRAMES_MAX || g.pad)
			return "a grant-frame record with a bad index";
	} else if (type == SAVE_WATCHES) {
		/* Strings in pairs, each ending in a NUL inside the record. */
		const char *p = body, *end = p + len;
		int n = 0;

		if (len > SAVE_WATCHES_MAX || (len && end[-1]))
			return "a watches record of a bad length";
		for (; p < end; p += strlen(p) + 1)
			n++;
		if (n % 2)
			return "a watches record with a path and no token";
	} else if (type == SAVE_VCPU) {
		if (len != sizeof(struct domus_vcpu_state))
			return "a vCPU record of the wrong size";
	} else if (type == SAVE_DOMAIN_STATE) {
		if (len != sizeof(struct domus_ctl_domainstate))
			return "a domain-state record of the wrong size";
	} else if (type == SAVE_DOMAIN) {
		struct save_domain d;

		if (len < sizeof(d))
			return "a domain record shorter than its header";
		memcpy(&d, body, sizeof(d));
		if (d.config_len != len - sizeof(d))
			return "a domain record whose length does not match its configuration";
		if (!memchr(d.name, 0, sizeof(d.name)))
			return "a domain record whose name has no end";
		/* config_load's rule: it names files (/run/domus/NAME.cfg), so no '/' and no "..". */
		if (!*d.name || strspn(d.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789-_.") != strlen(d.name) ||
		    !strcmp(d.name, ".") || !strcmp(d.name, ".."))
			return "a domain record whose name is not letters, digits, - _ .";
	}
	return NULL;
}

int save_reader_next(struct save_reader *r, struct save_record *rec, char *err, size_t errlen)
{
	struct save_record_header h;
	uint64_t at = r->offset, len;
	const char *bad;
	ssize_t n;
	char extra;

	if (r->ended)
		return 0;
	n = read_full(r->fd, &h, sizeof(h));
	if (n < 0)
		return fail_with(err, errlen, "reading at byte %llu: %s", (unsigned long long)at,
				 strerror(errno));
	if (n < (ssize_t)sizeof(h))
		return fail_with(err, errlen, "truncated: the file ends at byte %llu, before its end record",
				 (unsigned long long)(at + n));
	if (h.type >= SAVE_NR_TYPES)
		return fail_with(err, errlen, "record type %u at byte %llu is unknown to this Domus", h.type,
				 (unsigned long long)at);
	if (h.length > max_length(h.type))
		return fail_with(err, errlen, "corrupted: record type %u at byte %llu claims %llu bytes",
				 h.type, (unsigned long long)at, (unsigned long long)h.length);
	len = padded(h.length);
	if (len > r->buf_size) {
		void *b = realloc(r->buf, len);

		if (!b)
			return fail_with(err, errlen, "out of memory for a record of %llu bytes",
					 (unsigned long long)len);
		r->buf = b;
		r->buf_size = len;
	}
	n = read_full(r->fd, r->buf, len);
	if (n < 0)
		return fail_with(err, errlen, "reading at byte %llu: %s", (unsigned long long)at,
				 strerror(errno));
	if ((uint64_t)n < len)
		return fail_with(err, errlen, "truncated: the file ends inside the record at byte %llu",
				 (unsigned long long)at);
	for (uint64_t i = h.length; i < len; i++)
		if (((const uint8_t *)r->buf)[i])
			return fail_with(err, errlen, "corrupted: padding of the record at byte %llu",
					 (unsigned long long)at);
	if (save_crc32(0, r->buf, h.length) != h.crc)
		return fail_with(err, errlen, "corrupted: checksum of the record at byte %llu (type %u)",
				 (unsigned long long)at, h.type);
	bad = bad_layout(h.type, r->buf, h.length);
	if (bad)
		return fail_with(err, errlen, "corrupted: %s at byte %llu", bad, (unsigned long long)at);
	r->offset = at + sizeof(h) + len;
	if (h.type == SAVE_END) {
		/* A stream's sender waits for an answer after it: only a file must end there. */
		n = r->live ? 0 : read_full(r->fd, &extra, 1);
		if (n != 0)
			return fail_with(err, errlen, "%s after the end record at byte %llu",
					 n < 0 ? strerror(errno) : "bytes", (unsigned long long)at);
		r->ended = true;
		return 0;
	}
	rec->type = h.type;
	rec->length = h.length;
	rec->body = r->buf;
	return 1;
}

void save_reader_close(struct save_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	r->fd = -1;
	r->buf = NULL;
}

int save_check_record(struct save_check *k, const struct save_record *rec, char *err,
		      size_t errlen)
{
	uint32_t id;

	if (!k->have_domain && rec->type != SAVE_DOMAIN)
		return fail_with(err, errlen, "the first record is not the domain's");
	switch (rec->type) {
	case SAVE_DOMAIN:
		if (k->have_domain)
			return fail_with(err, errlen, "two domain records");
		memcpy(&k->dom, rec->body, sizeof(k->dom));
		if (!k->dom.nr_vcpus || k->dom.nr_vcpus > sizeof(k->seen) || !k->dom.max_mem_kib ||
		    k->dom.nr_pages > k->dom.max_mem_kib / (SAVE_PAGE_SIZE / 1024) ||
		    (k->live && k->dom.nr_pages))
			return fail_with(err, errlen, "a domain of %u vCPUs and %llu pages in %llu KiB",
					 k->dom.nr_vcpus, (unsigned long long)k->dom.nr_pages,
					 (unsigned long long)k->dom.max_mem_kib);
		k->have_domain = true;
		return 0;
	case SAVE_PAGES:
	case SAVE_ZERO_PAGES:
		/* Memory before the domain's state: restore starts its counter after the copy. */
		if (k->have_state)
			return fail_with(err, errlen, "pages after the domain's state");
		k->pages += ((const struct save_pages *)rec->body)->count;
		if (k->live)
			return 0; /* rounds: a page may come again (the domain bounds its memory) */
		if (k->pages > k->dom.nr_pages)
			return fail_with(err, errlen, "more pages than the domain's %llu",
					 (unsigned long long)k->dom.nr_pages);
		return 0;
	case SAVE_DOMAIN_STATE:
		if (k->have_state)
			return fail_with(err, errlen, "two domain-state records");
		if (!k->live && k->pages != k->dom.nr_pages)
			return fail_with(err, errlen, "%llu pages where the domain has %llu",
					 (unsigned long long)k->pages, (unsigned long long)k->dom.nr_pages);
		k->have_state = true;
		return 0;
	case SAVE_XENSTORE:
		if (k->have_xenstore)
			return fail_with(err, errlen, "two XenStore records");
		k->have_xenstore = true;
		return 0;
	case SAVE_DOMAIN_ID:
		if (!k->live || k->have_id || k->pages || k->have_state)
			return fail_with(err, errlen, "a domain id that is not a live stream's second record");
		k->have_id = true;
		return 0;
	case SAVE_PORTS:
	case SAVE_WATCHES:
		if (!k->live || !k->have_state)
			return fail_with(err, errlen, "%s outside a live stream's state",
					 rec->type == SAVE_PORTS ? "ports" : "watches");
		if (rec->type == SAVE_PORTS ? k->have_ports : k->have_watches)
			return fail_with(err, errlen, "two %s records",
					 rec->type == SAVE_PORTS ? "ports" : "watches");
		if (rec->type == SAVE_PORTS)
			k->have_ports = true;
		else
			k->have_watches = true;
		return 0;
	case SAVE_GRANT_FRAME:
		memcpy(&id, rec->body, sizeof(id));
		if (!k->live || !k->have_state)
			return fail_with(err, errlen, "a grant frame outside a live stream's state");
		if (k->grant_frames & (1ULL << id))
			return fail_with(err, errlen, "grant frame %u twice", id);
		k->grant_frames |= 1ULL << id;
		return 0;
	case SAVE_VCPU:
		if (!k->have_state)
			return fail_with(err, errlen, "a vCPU before the domain's state");
		memcpy(&id, rec->body, sizeof(id));
		if (id >= k->dom.nr_vcpus || k->seen[id])
			return fail_with(err, errlen, "vCPU %u %s", id,
					 id >= k->dom.nr_vcpus ? "beyond the domain's" : "twice");
		k->seen[id] = 1;
		return 0;
	}
	return fail_with(err, errlen, "record type %u where none belongs", rec->type);
}

int save_check_end(struct save_check *k, char *err, size_t errlen)
{
	if (!k->have_domain || !k->have_state)
		return fail_with(err, errlen, "no domain%s record", k->have_domain ? "-state" : "");
	/* Carried without the guest's help: all of it, or the guest would find a hole. */
	if ((k->have_ports || k->have_watches || k->grant_frames) &&
	    (!k->have_ports || !k->have_watches || !k->grant_frames))
		return fail_with(err, errlen, "a stream with %s but no %s",
				 k->have_ports ? "ports" : k->have_watches ? "watches" : "grant frames",
				 !k->have_ports ? "ports" : !k->have_watches ? "watches" : "grant frames");
	for (uint32_t i = 0; i < k->dom.nr_vcpus; i++)
		if (!k->seen[i])
			return fail_with(err, errlen, "no state for vCPU %u", i);
	return 0;
}

int save_verify(const char *path, struct save_domain *dom, char *err, size_t errlen)
{
	struct save_check k = { 0 };
	struct save_reader r;
	struct save_record rec;
	char why[256];
	int rc;

	if (save_reader_open(&r, path, err, errlen))
		return -1;
	while ((rc = save_reader_next(&r, &rec, err, errlen)) > 0)
		if (save_check_record(&k, &rec, why, sizeof(why))) {
			rc = fail_with(err, errlen, "%s: %s", path, why);
			break;
		}
	save_reader_close(&r);
	if (rc)
		return -1;
	if (save_check_end(&k, why, sizeof(why)))
		return fail_with(err, errlen, "%s: %s", path, why);
	*dom = k.dom;
	return 0;
}

uint64_t save_cpu_model(void)
{
	static uint64_t midr;
	static bool read_once;

	if (!read_once) {
		FILE *f = fopen("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1", "r");
		unsigned long long v;

		if (f && fscanf(f, "%llx", &v) == 1)
			midr = v;
		if (f)
			fclose(f);
		read_once = true;
	}
	return midr;
}

int save_writer_open(struct save_writer *w, const char *path, char *err, size_t errlen)
{
	struct save_header h = { .version = SAVE_VERSION, .arch = SAVE_ARCH_AARCH64,
				 .page_shift = SAVE_PAGE_SHIFT, .cpu = save_cpu_model() };

	memcpy(h.magic, SAVE_MAGIC, sizeof(h.magic));
	w->fd = -1;
	w->stream = false;
	w->offset = sizeof(h);
	if (snprintf(w->path, sizeof(w->path), "%s", path) >= (int)sizeof(w->path))
		return fail_with(err, errlen, "%s: path too long", path);
	snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", path);
	w->fd = open(w->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
	if (write_full(w->fd, &h, sizeof(h))) {
		fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
		save_writer_abort(w);
		return -1;
	}
	return 0;
}

int save_writer_open_stream(struct save_writer *w, int fd, const char *name, char *err,
			    size_t errlen)
{
	struct save_header h = { .version = SAVE_VERSION, .arch = SAVE_ARCH_AARCH64,
				 .page_shift = SAVE_PAGE_SHIFT, .flags = SAVE_FLAG_LIVE,
				 .cpu = save_cpu_model() };

	memcpy(h.magic, SAVE_MAGIC, sizeof(h.magic));
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->stream = true;
	w->offset = sizeof(h);
	/* Messages name the file being written: here, the connection. */
	snprintf(w->tmp, sizeof(w->tmp), "%s", name);
	if (write_full(w->fd, &h, sizeof(h)))
		return fail_with(err, errlen, "%s: %s", name, strerror(errno));
	return 0;
}

/* The record header for a body of iovecs. */
static struct save_record_header record_header(uint32_t type, const struct iovec *iov, int iovcnt)
{
	struct save_record_header h = { .type = type };

	for (int i = 0; i < iovcnt; i++) {
		h.crc = save_crc32(h.crc, iov[i].iov_base, iov[i].iov_len);
		h.length += iov[i].iov_len;
	}
	return h;
}

int save_write_record(struct save_writer *w, uint32_t type, const struct iovec *iov, int iovcnt,
		      char *err, size_t errlen)
{
	static const uint8_t zeros[8];
	struct save_record_header h = record_header(type, iov, iovcnt);
	struct iovec all[SAVE_RECORD_IOV_MAX + 2];

	if (iovcnt < 0 || (unsigned int)iovcnt > SAVE_RECORD_IOV_MAX)
		return fail_with(err, errlen, "%s: a record in %d parts", w->tmp, iovcnt);
	/*
	 * One write a record: on a migration's connection (TCP_NODELAY) each
	 * write may be a packet of its own, and the stop's last records are small.
	 */
	all[0] = (struct iovec){ &h, sizeof(h) };
	if (iovcnt)
		memcpy(all + 1, iov, (size_t)iovcnt * sizeof(*iov));
	all[iovcnt + 1] = (struct iovec){ (void *)zeros, padded(h.length) - h.length };
	if (writev_full(w->fd, all, iovcnt + 2))
		return fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
	w->offset += sizeof(h) + padded(h.length);
	return 0;
}

int save_rewrite_record(struct save_writer *w, uint64_t at, uint32_t type, const struct iovec *iov,
			int iovcnt, char *err, size_t errlen)
{
	struct save_record_header h = record_header(type, iov, iovcnt), was;
	uint64_t pos = at + sizeof(h);

	if (w->stream)
		return fail_with(err, errlen, "%s: a stream cannot be rewritten", w->tmp);
	if (pread(w->fd, &was, sizeof(was), (off_t)at) != sizeof(was) || was.type != type ||
	    was.length != h.length)
		return fail_with(err, errlen, "%s: no record of type %u and %llu bytes at byte %llu",
				 w->tmp, type, (unsigned long long)h.length, (unsigned long long)at);
	if (pwrite(w->fd, &h, sizeof(h), (off_t)at) != sizeof(h))
		return fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
	for (int i = 0; i < iovcnt; pos += iov[i].iov_len, i++)
		if (pwrite(w->fd, iov[i].iov_base, iov[i].iov_len, (off_t)pos) != (ssize_t)iov[i].iov_len)
			return fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
	return 0;
}

int save_writer_finish(struct save_writer *w, char *err, size_t errlen)
{
	if (save_write_record(w, SAVE_END, NULL, 0, err, errlen))
		goto fail;
	if (w->stream)
		return 0;
	if (fsync(w->fd) || close(w->fd)) {
		w->fd = -1;
		fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	w->fd = -1;
	if (rename(w->tmp, w->path)) {
		fail_with(err, errlen, "%s: %s", w->path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	save_writer_abort(w);
	return -1;
}

void save_writer_abort(struct save_writer *w)
{
	if (w->stream)
		return; /* the connection is its owner's to close */
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	unlink(w->tmp);
}
