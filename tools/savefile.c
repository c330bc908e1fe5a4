/* SPDX-License-Identifier: MIT */
/* The save file's framing: header, records, checksums, and the checks restore runs first. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <public/domus_ctl.h>

#include "errmsg.h"
#include "savefile.h"

uint32_t save_crc32(uint32_t crc, const void *p, size_t n)
{
	static uint32_t table[256];
	const uint8_t *b = p;

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
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

static int write_full(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p = (const char *)p + r;
		n -= r;
	}
	return 0;
}

int save_reader_open(struct save_reader *r, const char *path, char *err, size_t errlen)
{
	struct save_header h;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return fail_with(err, errlen, "%s: %s", path, strerror(errno));
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
	} else if (h.flags || h.reserved) {
		fail_with(err, errlen, "%s: header flags %#x this Domus does not know", path, h.flags);
	} else {
		r->offset = sizeof(h);
		return 0;
	}
	close(r->fd);
	r->fd = -1;
	return -1;
}

/* The largest body a record of this type may have. */
static uint64_t max_length(uint32_t type)
{
	if (type == SAVE_END)
		return 0;
	if (type == SAVE_PAGES)
		return sizeof(struct save_pages) + SAVE_PAGES_MAX * (8ULL + SAVE_PAGE_SIZE);
	return SAVE_SMALL_MAX;
}

/* The layout a body of its type must have, once read; NULL if it has it. */
static const char *bad_layout(uint32_t type, const void *body, uint64_t len)
{
	if (type == SAVE_PAGES) {
		struct save_pages p;

		if (len < sizeof(p))
			return "a page record shorter than its header";
		memcpy(&p, body, sizeof(p));
		if (!p.count || p.count > SAVE_PAGES_MAX || p.pad)
			return "a page record with a bad count";
		if (len != sizeof(p) + p.count * (8ULL + SAVE_PAGE_SIZE))
			return "a page record whose length does not match its count";
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
		n = read_full(r->fd, &extra, 1);
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

#define VERIFY_VCPUS_MAX 128 /* more than any domain Domus creates */

int save_verify(const char *path, struct save_domain *dom, char *err, size_t errlen)
{
	struct save_reader r;
	struct save_record rec;
	bool have_domain = false, have_state = false, seen[VERIFY_VCPUS_MAX] = { 0 };
	uint64_t pages = 0;
	int rc;

	if (save_reader_open(&r, path, err, errlen))
		return -1;
	while ((rc = save_reader_next(&r, &rec, err, errlen)) > 0) {
		if (!have_domain && rec.type != SAVE_DOMAIN) {
			rc = fail_with(err, errlen, "%s: the first record is not the domain's", path);
			break;
		}
		if (rec.type == SAVE_DOMAIN) {
			if (have_domain) {
				rc = fail_with(err, errlen, "%s: two domain records", path);
				break;
			}
			memcpy(dom, rec.body, sizeof(*dom));
			if (!dom->nr_vcpus || dom->nr_vcpus > VERIFY_VCPUS_MAX || !dom->max_mem_kib ||
			    dom->nr_pages > dom->max_mem_kib / (SAVE_PAGE_SIZE / 1024)) {
				rc = fail_with(err, errlen, "%s: a domain of %u vCPUs and %llu pages in %llu KiB",
					       path, dom->nr_vcpus, (unsigned long long)dom->nr_pages,
					       (unsigned long long)dom->max_mem_kib);
				break;
			}
			have_domain = true;
		} else if (rec.type == SAVE_PAGES) {
			/* Memory before the domain's state: restore starts its counter after the copy. */
			if (have_state) {
				rc = fail_with(err, errlen, "%s: pages after the domain's state", path);
				break;
			}
			pages += ((const struct save_pages *)rec.body)->count;
		} else if (rec.type == SAVE_DOMAIN_STATE) {
			if (have_state) {
				rc = fail_with(err, errlen, "%s: two domain-state records", path);
				break;
			}
			have_state = true;
		} else if (rec.type == SAVE_VCPU) {
			uint32_t id;

			if (!have_state) {
				rc = fail_with(err, errlen, "%s: a vCPU before the domain's state", path);
				break;
			}
			memcpy(&id, rec.body, sizeof(id));
			if (id >= dom->nr_vcpus || seen[id]) {
				rc = fail_with(err, errlen, "%s: vCPU %u %s", path, id,
					       id >= dom->nr_vcpus ? "beyond the domain's" : "twice");
				break;
			}
			seen[id] = true;
		}
	}
	save_reader_close(&r);
	if (rc)
		return -1;
	if (!have_domain || !have_state)
		return fail_with(err, errlen, "%s: no domain%s record", path, have_domain ? "-state" : "");
	if (pages != dom->nr_pages)
		return fail_with(err, errlen, "%s: %llu pages where the domain has %llu", path,
				 (unsigned long long)pages, (unsigned long long)dom->nr_pages);
	for (uint32_t i = 0; i < dom->nr_vcpus; i++)
		if (!seen[i])
			return fail_with(err, errlen, "%s: no state for vCPU %u", path, i);
	return 0;
}

int save_writer_open(struct save_writer *w, const char *path, char *err, size_t errlen)
{
	struct save_header h = { .version = SAVE_VERSION, .arch = SAVE_ARCH_AARCH64,
				 .page_shift = SAVE_PAGE_SHIFT };

	memcpy(h.magic, SAVE_MAGIC, sizeof(h.magic));
	w->fd = -1;
	if (snprintf(w->path, sizeof(w->path), "%s", path) >= (int)sizeof(w->path))
		return fail_with(err, errlen, "%s: path too long", path);
	snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", path);
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
	if (write_full(w->fd, &h, sizeof(h))) {
		fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
		save_writer_abort(w);
		return -1;
	}
	return 0;
}

int save_write_record(struct save_writer *w, uint32_t type, const struct iovec *iov, int iovcnt,
		      char *err, size_t errlen)
{
	static const uint8_t zeros[8];
	struct save_record_header h = { .type = type };

	for (int i = 0; i < iovcnt; i++) {
		h.crc = save_crc32(h.crc, iov[i].iov_base, iov[i].iov_len);
		h.length += iov[i].iov_len;
	}
	if (write_full(w->fd, &h, sizeof(h)))
		return fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
	for (int i = 0; i < iovcnt; i++)
		if (write_full(w->fd, iov[i].iov_base, iov[i].iov_len))
			return fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
	if (write_full(w->fd, zeros, padded(h.length) - h.length))
		return fail_with(err, errlen, "%s: %s", w->tmp, strerror(errno));
	return 0;
}

int save_writer_finish(struct save_writer *w, char *err, size_t errlen)
{
	if (save_write_record(w, SAVE_END, NULL, 0, err, errlen))
		goto fail;
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
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	unlink(w->tmp);
}
