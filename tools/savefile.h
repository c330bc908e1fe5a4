/* SPDX-License-Identifier: MIT */
/*
 * The save file: what `domus save` writes and `domus restore` reads, a
 * header and then typed, length-prefixed, checksummed records
 * (docs/SAVE-RESTORE.md). This layer knows the framing and each record's
 * size rules; what a record's body means is the saver's and restorer's.
 */
#ifndef TOOLS_SAVEFILE_H
#define TOOLS_SAVEFILE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define SAVE_MAGIC "DOMUSAV\n" /* 8 bytes, no terminator on disk */
#define SAVE_VERSION 1
#define SAVE_ARCH_AARCH64 0xaa64
#define SAVE_PAGE_SHIFT 12
#define SAVE_PAGE_SIZE (1u << SAVE_PAGE_SHIFT)

/* On disk, little-endian (both ends are arm64 Linux): 32 bytes. */
struct save_header {
	char magic[8];
	uint32_t version;
	uint32_t arch;
	uint32_t page_shift;
	uint32_t flags; /* SAVE_FLAG_*; a stream with any other set is refused */
	uint64_t cpu; /* MIDR_EL1 of the machine that wrote it (save_cpu_model); 0: not known */
};
_Static_assert(sizeof(struct save_header) == 32, "on-disk layout");

/*
 * This machine's CPU model as its kernel tells it (MIDR_EL1: implementer,
 * part, variant, revision), 0 where it does not. A guest's kernel chose its
 * errata workarounds and CPU features for the model it booted on: a file or
 * stream written on another is refused (docs/SAVE-RESTORE.md).
 */
uint64_t save_cpu_model(void);

/*
 * A live migration's stream (docs/MIGRATION.md): pages come in rounds, so a
 * gfn may come again (the later copy is the one), and the domain record's
 * nr_pages is 0 (not known before the end). Read only from a connection.
 */
#define SAVE_FLAG_LIVE 1u

/* Before each record's body; the body is then padded with zeros to 8 bytes. */
struct save_record_header {
	uint32_t type;
	uint32_t crc; /* CRC-32 (IEEE) of the body, padding excluded */
	uint64_t length; /* of the body, padding excluded */
};
_Static_assert(sizeof(struct save_record_header) == 16, "on-disk layout");

enum save_record_type {
	SAVE_END = 0, /* empty; the last record */
	SAVE_DOMAIN = 1, /* struct save_domain, then config_len bytes of its configuration */
	SAVE_PAGES = 2, /* struct save_pages, count gfns (u64), then count pages */
	SAVE_VCPU = 3, /* struct domus_vcpu_state */
	SAVE_DOMAIN_STATE = 4, /* struct domus_ctl_domainstate: its counter, its shared_info gfn */
	SAVE_ZERO_PAGES = 5, /* struct save_pages, count gfns (u64): pages all zero, not stored */
	SAVE_XENSTORE = 6, /* struct save_xs, then count entries: the nodes the guest wrote */
	/* A live stream's only, for a migration the guest takes no part in (docs/MIGRATION.md): */
	SAVE_DOMAIN_ID = 7, /* struct save_domain_id, second: the id the target keeps if it can */
	SAVE_PORTS = 8, /* struct domus_port[]: its event channels, as getports gave them */
	SAVE_GRANT_FRAME = 9, /* struct save_grant_frame, then the frame's page */
	SAVE_WATCHES = 10, /* its XenStore watches: "path\0token\0" pairs */
	SAVE_NR_TYPES
};

#define SAVE_PAGES_MAX 512u /* pages in one SAVE_PAGES record: 2 MiB */
#define SAVE_ZERO_PAGES_MAX 65536u /* gfns in one SAVE_ZERO_PAGES record: 512 KiB of them */
#define SAVE_SMALL_MAX (1u << 20) /* any record but SAVE_PAGES */

struct save_domain {
	char name[32];
	uint32_t nr_vcpus;
	uint32_t flags; /* DOMUS_CTL_CDF_* it was created with */
	uint64_t max_mem_kib;
	uint64_t nr_pages; /* SAVE_PAGES and SAVE_ZERO_PAGES records name this many in all */
	uint64_t config_len; /* the text that follows */
};

/*
 * The XenStore nodes under the directories a guest may write in (data,
 * drivers, feature, attr, error, control/feature-*, control/sysrq), as it
 * left them: each entry a path relative to its /local/domain/ID, its value
 * and its permissions as XS_GET_PERMS gives them ("n5\0r0\0": owner first).
 */
struct save_xs {
	uint16_t domid; /* the guest's id where it was written: its permissions name it */
	uint16_t pad; /* 0 */
	uint32_t count;
};
struct save_xs_entry {
	uint16_t path_len, value_len, perms_len; /* then that many bytes of each, in that order */
	uint16_t pad; /* 0 */
};

struct save_domain_id {
	uint16_t domid;
	uint16_t pad[3]; /* 0 */
};

struct save_grant_frame {
	uint32_t idx; /* below SAVE_GRANT_FRAMES_MAX */
	uint32_t pad; /* 0 */
	uint64_t gfn; /* where the guest placed it, ~0 for nowhere */
	/* then the frame: SAVE_PAGE_SIZE bytes */
};

#define SAVE_GRANT_FRAMES_MAX 64 /* Domus' grant-table frames a domain may have */
#define SAVE_PORTS_MAX 4096 /* the 2-level ABI's ports */
#define SAVE_WATCHES_MAX 4064 /* what one XenStore CONTROL message carries (XS_WATCHES_MAX) */

struct save_pages {
	uint32_t count;
	uint32_t pad; /* 0 */
	/* uint64_t gfn[count]; then count pages */
};

/* A record as read: its body stays valid until the next read. */
struct save_record {
	uint32_t type;
	uint64_t length;
	const void *body;
};

struct save_reader {
	int fd;
	bool live; /* SAVE_FLAG_LIVE */
	uint64_t offset; /* of the next record, for messages */
	void *buf;
	size_t buf_size;
	bool ended;
};

/*
 * Opens path and checks its header. 0, or -1 with a one-line reason in err
 * (not a save file, another version, architecture or page size).
 */
int save_reader_open(struct save_reader *r, const char *path, char *err, size_t errlen);
/* The same over an open connection (taken over: closed by save_reader_close), named name. */
int save_reader_open_fd(struct save_reader *r, int fd, const char *name, bool allow_live, char *err,
			size_t errlen);
/*
 * The next record: 1 with *rec, 0 after SAVE_END (which must be the file's
 * last bytes), or -1 with a reason: truncated, corrupted (checksum, padding,
 * a length its type cannot have), or of a type this Domus does not know.
 */
int save_reader_next(struct save_reader *r, struct save_record *rec, char *err, size_t errlen);
void save_reader_close(struct save_reader *r);

/*
 * Reads a whole file and checks what the framing cannot: one SAVE_DOMAIN
 * first, then the pages (as many as it says), one SAVE_DOMAIN_STATE, each
 * vCPU once and below its nr_vcpus, SAVE_END last: save_check_record's
 * checks over a whole file, building nothing. 0 with *dom, or -1 with a
 * reason.
 */
int save_verify(const char *path, struct save_domain *dom, char *err, size_t errlen);

/*
 * The same checks record by record, for a reader that acts as it goes
 * (restore): start zeroed; each record in turn, then save_check_end after
 * SAVE_END. 0, or -1 with a reason (the path is not named).
 */
struct save_check {
	bool live; /* set before the first record: pages may repeat, nr_pages is 0 */
	bool have_domain, have_state, have_xenstore, have_id, have_ports, have_watches;
	uint64_t grant_frames; /* a bit per frame given */
	struct save_domain dom;
	uint64_t pages;
	uint8_t seen[128]; /* vCPUs */
};
int save_check_record(struct save_check *k, const struct save_record *rec, char *err,
		      size_t errlen);
int save_check_end(struct save_check *k, char *err, size_t errlen);

/*
 * Writes to a temporary name beside path; finish renames it into place, so
 * a save that fails halfway leaves no file that looks whole.
 */
struct save_writer {
	int fd;
	bool stream; /* a connection: no temporary file, no rename, no rewrite */
	uint64_t offset; /* where the next record goes */
	char path[4096], tmp[4100];
};

/*
 * The signal that asked the command to stop (save_catch_signals, save.h), or
 * 0: a write it interrupts gives up instead of trying again.
 */
extern volatile sig_atomic_t save_interrupted;

int save_writer_open(struct save_writer *w, const char *path, char *err, size_t errlen);
/* A live stream (SAVE_FLAG_LIVE) over an open connection, named name in messages; not closed here. */
int save_writer_open_stream(struct save_writer *w, int fd, const char *name, char *err,
			    size_t errlen);
/* One record whose body is the iovecs, in order (at most this many). 0, or -1 with a reason. */
#define SAVE_RECORD_IOV_MAX (2 + SAVE_PAGES_MAX) /* a SAVE_PAGES record: its header, gfns, pages */
int save_write_record(struct save_writer *w, uint32_t type, const struct iovec *iov, int iovcnt,
		      char *err, size_t errlen);
/*
 * Writes a record again where an earlier one of the same type and length
 * is (at: the writer's offset before it), when what it says is known only
 * later (a page count). 0, or -1 with a reason.
 */
int save_rewrite_record(struct save_writer *w, uint64_t at, uint32_t type, const struct iovec *iov,
			int iovcnt, char *err, size_t errlen);
/* Writes SAVE_END, syncs and renames into place. 0, or -1 (the file is removed). */
int save_writer_finish(struct save_writer *w, char *err, size_t errlen);
/* Removes the partial file. */
void save_writer_abort(struct save_writer *w);

/* CRC-32 (IEEE 802.3, as zlib's and gzip's) of n bytes, continuing from crc (0 to start). */
uint32_t save_crc32(uint32_t crc, const void *p, size_t n);

#endif
