// SOURCES: tools/savefile.c tools/errmsg.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the save file: a round trip, and every kind of bad file refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <public/domus_ctl.h>
#include <public/xen.h>

#include "../../tools/savefile.h"

static char dir[] = "/tmp/domus-savefile-XXXXXX";
static char path[300], copy[310];
static char err[256];

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/guest.save", dir);
	snprintf(copy, sizeof(copy), "%s/bad.save", dir);
	return 0;
}

static int teardown(void **state)
{
	char tmp[320];

	unlink(path);
	unlink(copy);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

static const char config[] = "name = \"web\"\nmemory = 64\n";
static uint8_t page_a[SAVE_PAGE_SIZE], page_b[SAVE_PAGE_SIZE];

/* A guest of 2 vCPUs and 2 pages, one record of each kind that matters, in order. */
static void write_good(const char *to, uint32_t nr_vcpus, uint64_t nr_pages, bool vcpu1_twice)
{
	struct save_domain d = { .name = "web", .nr_vcpus = nr_vcpus, .max_mem_kib = 65536,
				 .nr_pages = nr_pages, .config_len = sizeof(config) - 1 };
	struct save_pages p = { .count = 2 };
	uint64_t gfns[2] = { 0x40000, 0x40007 };
	struct domus_vcpu_state vcpu[2] = { { .vcpu = 0, .pc = 0x1000 }, { .vcpu = 1, .pc = 0x2000 } };
	struct domus_ctl_domainstate state = { .counter = 12345, .shared_info_gfn = 0x40100 };
	struct save_writer w;

	memset(page_a, 0xa5, sizeof(page_a));
	for (size_t i = 0; i < sizeof(page_b); i++)
		page_b[i] = (uint8_t)(i * 7);
	assert_int_equal(save_writer_open(&w, to, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN,
					   (struct iovec[]){ { &d, sizeof(d) },
							     { (void *)config, sizeof(config) - 1 } },
					   2, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_PAGES,
					   (struct iovec[]){ { &p, sizeof(p) }, { gfns, sizeof(gfns) },
							     { page_a, sizeof(page_a) },
							     { page_b, sizeof(page_b) } },
					   4, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN_STATE,
					   (struct iovec[]){ { &state, sizeof(state) } }, 1, err,
					   sizeof(err)), 0);
	for (int i = 0; i < (vcpu1_twice ? 3 : 2); i++)
		assert_int_equal(save_write_record(&w, SAVE_VCPU,
						   (struct iovec[]){ { &vcpu[i < 2 ? i : 1], sizeof(vcpu[0]) } },
						   1, err, sizeof(err)), 0);
	assert_int_equal(save_writer_finish(&w, err, sizeof(err)), 0);
}

/* A good file with `times` XENSTORE records of body xs (len bytes) after its domain's. */
static void write_with_nodes(const char *to, const void *xs, size_t len, int times)
{
	struct save_domain d = { .name = "web", .nr_vcpus = 1, .max_mem_kib = 65536,
				 .config_len = sizeof(config) - 1 };
	struct domus_vcpu_state vcpu = { .vcpu = 0, .pc = 0x1000 };
	struct domus_ctl_domainstate state = { .counter = 1 };
	struct save_writer w;

	assert_int_equal(save_writer_open(&w, to, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN,
					   (struct iovec[]){ { &d, sizeof(d) },
							     { (void *)config, sizeof(config) - 1 } },
					   2, err, sizeof(err)), 0);
	for (int i = 0; i < times; i++)
		assert_int_equal(save_write_record(&w, SAVE_XENSTORE,
						   (struct iovec[]){ { (void *)xs, len } }, 1, err,
						   sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN_STATE,
					   (struct iovec[]){ { &state, sizeof(state) } }, 1, err,
					   sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_VCPU, (struct iovec[]){ { &vcpu, sizeof(vcpu) } },
					   1, err, sizeof(err)), 0);
	assert_int_equal(save_writer_finish(&w, err, sizeof(err)), 0);
}

static uint8_t *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	uint8_t *b;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*n = ftell(f);
	rewind(f);
	b = malloc(*n + 1);
	assert_int_equal(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

static void spill(const char *p, const uint8_t *b, size_t n)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void test_a_saved_file_reads_back_record_by_record(void **state)
{
	struct save_reader r;
	struct save_record rec;
	struct save_domain d;
	struct stat st;
	char tmp[320];

	write_good(path, 2, 2, false);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_not_equal(stat(tmp, &st), 0); /* renamed into place */
	assert_int_equal(save_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(save_reader_next(&r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, SAVE_DOMAIN);
	/* An odd length: padded on disk, not in the body. */
	assert_int_equal(rec.length, sizeof(struct save_domain) + sizeof(config) - 1);
	assert_memory_equal((const char *)rec.body + sizeof(struct save_domain), config,
			    sizeof(config) - 1);
	assert_int_equal(save_reader_next(&r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, SAVE_PAGES);
	assert_int_equal(((const uint64_t *)((const char *)rec.body + 8))[1], 0x40007);
	assert_memory_equal((const char *)rec.body + 24 + SAVE_PAGE_SIZE, page_b, SAVE_PAGE_SIZE);
	assert_int_equal(save_reader_next(&r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, SAVE_DOMAIN_STATE);
	assert_int_equal(((const struct domus_ctl_domainstate *)rec.body)->counter, 12345);
	assert_int_equal(save_reader_next(&r, &rec, err, sizeof(err)), 1);
	assert_int_equal(rec.type, SAVE_VCPU);
	assert_int_equal(((const struct domus_vcpu_state *)rec.body)->pc, 0x1000);
	assert_int_equal(save_reader_next(&r, &rec, err, sizeof(err)), 1);
	assert_int_equal(save_reader_next(&r, &rec, err, sizeof(err)), 0);
	assert_int_equal(save_reader_next(&r, &rec, err, sizeof(err)), 0);
	save_reader_close(&r);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), 0);
	assert_string_equal(d.name, "web");
	assert_int_equal(d.nr_pages, 2);
}

static void test_a_file_cut_anywhere_is_refused_as_truncated_or_not_a_save_file(void **state)
{
	struct save_domain d;
	size_t n;
	uint8_t *b;

	write_good(path, 2, 2, false);
	b = slurp(path, &n);
	for (size_t cut = 0; cut < n; cut++) {
		spill(copy, b, cut);
		assert_int_equal(save_verify(copy, &d, err, sizeof(err)), -1);
		if (cut >= sizeof(struct save_header) && !strstr(err, "truncated"))
			fail_msg("cut at %zu: %s", cut, err);
	}
	free(b);
}

static void test_any_flipped_bit_is_refused(void **state)
{
	struct save_domain d;
	size_t n;
	uint8_t *b;

	write_good(path, 2, 2, false);
	b = slurp(path, &n);
	for (size_t i = 0; i < n; i++) {
		/*
		 * The header's cpu field is checked against this machine's CPU model,
		 * which a host that is not arm64 Linux does not know (save_cpu_model
		 * 0): its refusal is shown by tests/system/test_save_restore.py.
		 */
		if (i >= offsetof(struct save_header, cpu) && i < sizeof(struct save_header))
			continue;
		b[i] ^= 1u << (i % 8);
		spill(copy, b, n);
		if (save_verify(copy, &d, err, sizeof(err)) != -1)
			fail_msg("bit %zu of byte %zu flipped: accepted", i % 8, i);
		b[i] ^= 1u << (i % 8);
	}
	free(b);
}

/* A header field changed to value, and the words the refusal must have. */
static void refuse_header(size_t offset, uint32_t value, const char *words)
{
	struct save_domain d;
	size_t n;
	uint8_t *b;

	write_good(path, 2, 2, false);
	b = slurp(path, &n);
	memcpy(b + offset, &value, sizeof(value));
	spill(copy, b, n);
	free(b);
	assert_int_equal(save_verify(copy, &d, err, sizeof(err)), -1);
	if (!strstr(err, words))
		fail_msg("expected \"%s\" in: %s", words, err);
}

static void test_another_version_architecture_or_page_size_is_named_in_the_refusal(void **state)
{
	refuse_header(0, 0x464c457f, "not a Domus save file");
	refuse_header(8, 2, "version 2; this Domus reads version 1");
	refuse_header(12, 0x8664, "another architecture (0x8664)");
	refuse_header(16, 16, "65536-byte pages");
	refuse_header(20, 1, "flags");
}

static void test_an_unknown_record_type_or_a_huge_length_is_refused_before_reading_it(void **state)
{
	struct save_domain d;
	size_t n;
	uint8_t *b;
	uint64_t huge = 1ULL << 62;

	write_good(path, 2, 2, false);
	b = slurp(path, &n);
	b[32] = 77; /* the first record's type */
	spill(copy, b, n);
	assert_int_equal(save_verify(copy, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "type 77"));
	b[32] = SAVE_DOMAIN;
	memcpy(b + 40, &huge, sizeof(huge));
	spill(copy, b, n);
	assert_int_equal(save_verify(copy, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "claims"));
	free(b);
}

static void test_bytes_after_the_end_record_are_refused(void **state)
{
	struct save_domain d;
	size_t n;
	uint8_t *b;

	write_good(path, 2, 2, false);
	b = slurp(path, &n);
	b[n] = 0;
	spill(copy, b, n + 1);
	assert_int_equal(save_verify(copy, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "after the end record"));
	free(b);
}

static void test_records_that_disagree_with_the_domain_are_refused(void **state)
{
	struct save_domain d;

	write_good(path, 3, 2, false);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no state for vCPU 2"));
	write_good(path, 1, 2, false);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vCPU 1 beyond"));
	write_good(path, 2, 2, true);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vCPU 1 twice"));
	write_good(path, 2, 3, false);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "2 pages where the domain has 3"));
}

static void test_an_abandoned_save_leaves_no_file(void **state)
{
	struct save_writer w;
	struct stat st;

	unlink(path);
	assert_int_equal(save_writer_open(&w, path, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN, (struct iovec[]){ { page_a, 64 } }, 1, err,
					   sizeof(err)), 0);
	save_writer_abort(&w);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_not_equal(stat(w.tmp, &st), 0);
}

/* Zero pages named, not stored; the domain record written first and its count set at the end. */
static void test_zero_pages_and_a_count_known_only_at_the_end(void **state)
{
	struct save_domain d = { .name = "z", .nr_vcpus = 1, .max_mem_kib = 65536 };
	struct save_pages zp = { .count = 3 }, one = { .count = 1 };
	uint64_t zeros[3] = { 0x40001, 0x40002, 0x40003 }, gfn = 0x40000, at;
	struct domus_ctl_domainstate st = { 0 };
	struct domus_vcpu_state v = { .vcpu = 0 };
	struct save_domain got;
	struct save_writer w;

	assert_int_equal(save_writer_open(&w, path, err, sizeof(err)), 0);
	at = w.offset;
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN, (struct iovec[]){ { &d, sizeof(d) } }, 1,
					   err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_ZERO_PAGES,
					   (struct iovec[]){ { &zp, sizeof(zp) }, { zeros, sizeof(zeros) } },
					   2, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_PAGES,
					   (struct iovec[]){ { &one, sizeof(one) }, { &gfn, 8 },
							     { page_a, sizeof(page_a) } },
					   3, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN_STATE, (struct iovec[]){ { &st, sizeof(st) } },
					   1, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_VCPU, (struct iovec[]){ { &v, sizeof(v) } }, 1, err,
					   sizeof(err)), 0);
	/* Another length, or another type, is not the record that was there. */
	assert_int_equal(save_rewrite_record(&w, at, SAVE_VCPU, (struct iovec[]){ { &d, sizeof(d) } },
					     1, err, sizeof(err)), -1);
	d.nr_pages = 4;
	assert_int_equal(save_rewrite_record(&w, at, SAVE_DOMAIN, (struct iovec[]){ { &d, sizeof(d) } },
					     1, err, sizeof(err)), 0);
	assert_int_equal(save_writer_finish(&w, err, sizeof(err)), 0);
	assert_int_equal(save_verify(path, &got, err, sizeof(err)), 0);
	assert_int_equal(got.nr_pages, 4);
}

static void test_pages_after_the_domain_state_are_refused(void **state)
{
	struct save_check k = { 0 };
	struct save_domain d = { .name = "o", .nr_vcpus = 1, .max_mem_kib = 64, .nr_pages = 1 };
	struct save_pages p = { .count = 1 };
	struct domus_ctl_domainstate st = { 0 };

	assert_int_equal(save_check_record(&k, &(struct save_record){ SAVE_DOMAIN, sizeof(d), &d },
					   err, sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, &(struct save_record){ SAVE_DOMAIN_STATE, sizeof(st),
								       &st },
					   err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0 pages where the domain has 1"));
	k.pages = 1;
	assert_int_equal(save_check_record(&k, &(struct save_record){ SAVE_DOMAIN_STATE, sizeof(st),
								       &st },
					   err, sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, &(struct save_record){ SAVE_ZERO_PAGES, 16, &p }, err,
					   sizeof(err)), -1);
	assert_non_null(strstr(err, "pages after the domain's state"));
	assert_int_equal(save_check_end(&k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no state for vCPU 0"));
}

/* The name becomes a file's (/run/domus/NAME.cfg): a path in it is refused. */
static void test_a_domain_name_that_is_a_path_is_refused(void **state)
{
	struct save_domain d = { .name = "../../etc/x", .nr_vcpus = 1, .max_mem_kib = 64 };
	struct save_domain got;
	struct save_writer w;

	assert_int_equal(save_writer_open(&w, path, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN, (struct iovec[]){ { &d, sizeof(d) } }, 1,
					   err, sizeof(err)), 0);
	assert_int_equal(save_writer_finish(&w, err, sizeof(err)), 0);
	assert_int_equal(save_verify(path, &got, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "name is not letters"));
}

/* A live stream into fd: the domain, one page in three rounds, the state, one vCPU, the end. */
static void write_live_stream(int fd, const struct save_domain *d)
{
	struct save_pages p = { .count = 1 };
	uint64_t gfn = 0x40000;
	struct domus_vcpu_state vcpu = { .vcpu = 0 };
	struct domus_ctl_domainstate st = { .counter = 1 };
	struct save_writer w;

	assert_int_equal(save_writer_open_stream(&w, fd, "peer", err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN, (struct iovec[]){ { (void *)d, sizeof(*d) },
					   { (void *)config, sizeof(config) - 1 } }, 2, err, sizeof(err)), 0);
	for (int round = 0; round < 3; round++)
		assert_int_equal(save_write_record(&w, SAVE_PAGES, (struct iovec[]){ { &p, sizeof(p) },
						   { &gfn, 8 }, { page_a, sizeof(page_a) } }, 3, err,
						   sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_DOMAIN_STATE, (struct iovec[]){ { &st, sizeof(st) } },
					   1, err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, SAVE_VCPU, (struct iovec[]){ { &vcpu, sizeof(vcpu) } },
					   1, err, sizeof(err)), 0);
	/* A stream cannot be rewritten in place; finishing it neither closes nor renames. */
	assert_int_equal(save_rewrite_record(&w, 32, SAVE_DOMAIN,
					     (struct iovec[]){ { (void *)d, sizeof(*d) } }, 1, err,
					     sizeof(err)), -1);
	assert_int_equal(save_writer_finish(&w, err, sizeof(err)), 0);
}

/*
 * A live stream over a connection: its header says so, a page may come in
 * several rounds and the domain's page count is 0; the reader stops at the
 * end record without waiting for the sender to close (it waits for an
 * answer); a file with the flag is refused by a file's reader.
 */
static void test_a_live_stream_repeats_pages_and_ends_without_a_close(void **state)
{
	struct save_domain d = { .name = "web", .nr_vcpus = 1, .max_mem_kib = 65536,
				 .config_len = sizeof(config) - 1 };
	struct save_pages p = { .count = 1 };
	uint64_t gfn = 0x40000;
	uint8_t body[sizeof(p) + 8];
	struct save_check k = { 0 };
	struct save_reader r;
	struct save_record rec;
	int sv[2], n = 0, rc;

	/* A file's reader refuses it, naming it a migration stream. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	write_live_stream(sv[0], &d);
	assert_int_equal(save_reader_open_fd(&r, dup(sv[1]), "stream", false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "migration stream"));
	close(sv[0]);
	close(sv[1]);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	write_live_stream(sv[0], &d);
	assert_int_equal(save_reader_open_fd(&r, dup(sv[1]), "stream", true, err, sizeof(err)), 0);
	assert_true(r.live);
	k.live = r.live;
	/* sv[0] stays open: the reader must stop at the end record, not wait for a close. */
	while ((rc = save_reader_next(&r, &rec, err, sizeof(err))) > 0) {
		assert_int_equal(save_check_record(&k, &rec, err, sizeof(err)), 0);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 6);
	assert_int_equal(save_check_end(&k, err, sizeof(err)), 0);
	save_reader_close(&r);
	close(sv[0]);
	close(sv[1]);

	/* Without the flag, the same records are one page too many, twice over. */
	memset(&k, 0, sizeof(k));
	d.nr_pages = 1;
	rec = (struct save_record){ SAVE_DOMAIN, sizeof(d), &d };
	assert_int_equal(save_check_record(&k, &rec, err, sizeof(err)), 0);
	memcpy(body, &p, sizeof(p));
	memcpy(body + sizeof(p), &gfn, 8);
	rec = (struct save_record){ SAVE_PAGES, sizeof(body), body };
	assert_int_equal(save_check_record(&k, &rec, err, sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, &rec, err, sizeof(err)), -1);
	/* And a live stream's domain record must not claim a page count. */
	memset(&k, 0, sizeof(k));
	k.live = true;
	rec = (struct save_record){ SAVE_DOMAIN, sizeof(d), &d };
	assert_int_equal(save_check_record(&k, &rec, err, sizeof(err)), -1);
}

static void test_crc32_is_ieee(void **state)
{
	assert_int_equal(save_crc32(0, "123456789", 9), 0xcbf43926); /* the standard check value */
	assert_int_equal(save_crc32(save_crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
}

/* Two nodes: "data" (empty) and "data/answer" = "42", owned by the guest (id 7). */
static size_t good_nodes(uint8_t *buf)
{
	struct save_xs x = { .domid = 7, .count = 2 };
	size_t at = sizeof(x);
	static const struct {
		const char *path, *value, *perms;
		uint16_t perms_len;
	} nodes[2] = { { "data", "", "n7\0r0", 6 }, { "data/answer", "42", "n7", 3 } };

	memcpy(buf, &x, sizeof(x));
	for (int i = 0; i < 2; i++) {
		struct save_xs_entry e = { .path_len = (uint16_t)strlen(nodes[i].path),
					   .value_len = (uint16_t)strlen(nodes[i].value),
					   .perms_len = nodes[i].perms_len };

		memcpy(buf + at, &e, sizeof(e));
		at += sizeof(e);
		memcpy(buf + at, nodes[i].path, e.path_len);
		at += e.path_len;
		memcpy(buf + at, nodes[i].value, e.value_len);
		at += e.value_len;
		memcpy(buf + at, nodes[i].perms, e.perms_len);
		at += e.perms_len;
	}
	return at;
}

static void test_the_guests_xenstore_nodes_are_checked_entry_by_entry(void **state)
{
	uint8_t xs[256], bad[256] = { 0 };
	size_t len = good_nodes(xs);
	struct save_domain d;
	struct save_xs_entry e;

	write_with_nodes(path, xs, len, 1);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), 0);
	/* Twice. */
	write_with_nodes(path, xs, len, 2);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "two XenStore records"));
	/* A count beyond the entries, an entry running past the record, a padding word set. */
	memcpy(bad, xs, len);
	bad[4] = 3;
	write_with_nodes(path, bad, len, 1);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "shorter than its entries"));
	memcpy(bad, xs, len);
	memcpy(&e, bad + sizeof(struct save_xs), sizeof(e));
	e.value_len = 200;
	memcpy(bad + sizeof(struct save_xs), &e, sizeof(e));
	write_with_nodes(path, bad, len, 1);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a XenStore record with a bad entry"));
	memcpy(bad, xs, len);
	bad[2] = 1;
	write_with_nodes(path, bad, len, 1);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad header"));
	/* The last entry's permissions without their closing NUL: a reader would run off it. */
	memcpy(bad, xs, len);
	bad[len - 1] = 'x';
	write_with_nodes(path, bad, len, 1);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a XenStore record with a bad entry"));
	/* Bytes after the last entry. */
	memcpy(bad, xs, len);
	write_with_nodes(path, bad, len + 8, 1);
	assert_int_equal(save_verify(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not match its entries"));
}

/* One record of a live stream, as its reader takes it: 1, or -1 with err. */
static int read_one_live(uint32_t type, const void *body, size_t len)
{
	struct save_writer w;
	struct save_reader r;
	struct save_record rec;
	int sv[2], rc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(save_writer_open_stream(&w, sv[0], "peer", err, sizeof(err)), 0);
	assert_int_equal(save_write_record(&w, type, (struct iovec[]){ { (void *)body, len } }, 1, err,
					   sizeof(err)), 0);
	assert_int_equal(save_reader_open_fd(&r, dup(sv[1]), "stream", true, err, sizeof(err)), 0);
	rc = save_reader_next(&r, &rec, err, sizeof(err));
	save_reader_close(&r);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

/*
 * A migration without the guest's help adds records of its own: each one's
 * layout, its place in a live stream only, and all of them or none.
 */
static void test_a_handover_streams_records_are_checked_and_come_together(void **state)
{
	struct save_domain d = { .name = "h", .nr_vcpus = 1, .max_mem_kib = 64 };
	struct save_domain_id id = { .domid = 5 }, bad_id = { .domid = DOMID_FIRST_RESERVED };
	struct domus_ctl_domainstate st = { 0 };
	struct domus_vcpu_state vcpu = { .vcpu = 0 };
	struct domus_port ports[2] = { { .port = 1, .state = DOMUS_PORT_UNBOUND } };
	uint8_t frame[sizeof(struct save_grant_frame) + SAVE_PAGE_SIZE] = { 0 };
	struct save_grant_frame *f = (void *)frame;
	struct save_check k = { .live = true };
	const char watches[] = "device\0tok1\0control/shutdown\0tok2", odd[] = "device\0tok1\0x";
#define REC(t, b, n) (&(struct save_record){ (t), (n), (b) })

	/* Layouts, as the reader sees them. */
	assert_int_equal(read_one_live(SAVE_DOMAIN_ID, &id, sizeof(id)), 1);
	assert_int_equal(read_one_live(SAVE_DOMAIN_ID, &bad_id, sizeof(bad_id)), -1);
	assert_non_null(strstr(err, "bad id"));
	assert_int_equal(read_one_live(SAVE_PORTS, ports, sizeof(ports)), 1);
	assert_int_equal(read_one_live(SAVE_PORTS, ports, sizeof(ports) - 1), -1);
	assert_int_equal(read_one_live(SAVE_GRANT_FRAME, frame, sizeof(frame)), 1);
	f->idx = SAVE_GRANT_FRAMES_MAX;
	assert_int_equal(read_one_live(SAVE_GRANT_FRAME, frame, sizeof(frame)), -1);
	assert_non_null(strstr(err, "bad index"));
	f->idx = 0;
	assert_int_equal(read_one_live(SAVE_GRANT_FRAME, frame, sizeof(frame) - 8), -1);
	assert_int_equal(read_one_live(SAVE_WATCHES, watches, sizeof(watches)), 1);
	assert_int_equal(read_one_live(SAVE_WATCHES, watches, 0), 1); /* a guest with none */
	assert_int_equal(read_one_live(SAVE_WATCHES, odd, sizeof(odd)), -1);
	assert_non_null(strstr(err, "no token"));
	assert_int_equal(read_one_live(SAVE_WATCHES, watches, sizeof(watches) - 1), -1);

	/* Places: the id second, the rest after the state; each once. */
	assert_int_equal(save_check_record(&k, REC(SAVE_DOMAIN, &d, sizeof(d)), err, sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, REC(SAVE_PORTS, ports, sizeof(ports)), err,
					   sizeof(err)), -1);
	assert_non_null(strstr(err, "outside a live stream's state"));
	assert_int_equal(save_check_record(&k, REC(SAVE_DOMAIN_ID, &id, sizeof(id)), err, sizeof(err)),
			 0);
	assert_int_equal(save_check_record(&k, REC(SAVE_DOMAIN_ID, &id, sizeof(id)), err, sizeof(err)),
			 -1);
	assert_int_equal(save_check_record(&k, REC(SAVE_DOMAIN_STATE, &st, sizeof(st)), err,
					   sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, REC(SAVE_VCPU, &vcpu, sizeof(vcpu)), err, sizeof(err)),
			 0);
	assert_int_equal(save_check_record(&k, REC(SAVE_PORTS, ports, sizeof(ports)), err,
					   sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, REC(SAVE_PORTS, ports, sizeof(ports)), err,
					   sizeof(err)), -1);
	assert_int_equal(save_check_record(&k, REC(SAVE_GRANT_FRAME, frame, sizeof(frame)), err,
					   sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, REC(SAVE_GRANT_FRAME, frame, sizeof(frame)), err,
					   sizeof(err)), -1);
	assert_non_null(strstr(err, "grant frame 0 twice"));
	/* Ports and a grant table but no watches: the guest would find a hole. */
	assert_int_equal(save_check_end(&k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no watches"));
	assert_int_equal(save_check_record(&k, REC(SAVE_WATCHES, watches, sizeof(watches)), err,
					   sizeof(err)), 0);
	assert_int_equal(save_check_end(&k, err, sizeof(err)), 0);

	/* None of them in a file. */
	k = (struct save_check){ 0 };
	assert_int_equal(save_check_record(&k, REC(SAVE_DOMAIN, &d, sizeof(d)), err, sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, REC(SAVE_DOMAIN_ID, &id, sizeof(id)), err, sizeof(err)),
			 -1);
	assert_int_equal(save_check_record(&k, REC(SAVE_DOMAIN_STATE, &st, sizeof(st)), err,
					   sizeof(err)), 0);
	assert_int_equal(save_check_record(&k, REC(SAVE_WATCHES, watches, sizeof(watches)), err,
					   sizeof(err)), -1);
	assert_int_equal(save_check_record(&k, REC(SAVE_GRANT_FRAME, frame, sizeof(frame)), err,
					   sizeof(err)), -1);
#undef REC
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_is_ieee),
		cmocka_unit_test(test_a_saved_file_reads_back_record_by_record),
		cmocka_unit_test(test_a_file_cut_anywhere_is_refused_as_truncated_or_not_a_save_file),
		cmocka_unit_test(test_any_flipped_bit_is_refused),
		cmocka_unit_test(test_the_guests_xenstore_nodes_are_checked_entry_by_entry),
		cmocka_unit_test(test_another_version_architecture_or_page_size_is_named_in_the_refusal),
		cmocka_unit_test(test_an_unknown_record_type_or_a_huge_length_is_refused_before_reading_it),
		cmocka_unit_test(test_bytes_after_the_end_record_are_refused),
		cmocka_unit_test(test_records_that_disagree_with_the_domain_are_refused),
		cmocka_unit_test(test_an_abandoned_save_leaves_no_file),
		cmocka_unit_test(test_zero_pages_and_a_count_known_only_at_the_end),
		cmocka_unit_test(test_pages_after_the_domain_state_are_refused),
		cmocka_unit_test(test_a_domain_name_that_is_a_path_is_refused),
		cmocka_unit_test(test_a_live_stream_repeats_pages_and_ends_without_a_close),
		cmocka_unit_test(test_a_handover_streams_records_are_checked_and_come_together),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
