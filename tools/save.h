/* SPDX-License-Identifier: MIT */
/*
 * `domus save` and `domus restore`: a guest suspended into a file and its
 * memory given back, and a guest built again from such a file
 * (docs/SAVE-RESTORE.md; the file's framing is savefile.c's).
 */
#ifndef DOMUS_SAVE_H
#define DOMUS_SAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "config.h"

/* Where a guest's configuration is kept while it runs: what save puts in the file. */
#define KEPT_CONFIG_DIR "/run/domus"

/* Keeps c, as resolved (its vifs' MACs chosen), for a later save: 0, or -1 with a reason. */
int config_keep(const struct domu_config *c, char *err, size_t errlen);
/* The same where no file of that name is kept yet: 1 (nothing written) if one is. */
int config_keep_new(const struct domu_config *c, char *err, size_t errlen);
void config_forget(const char *name);

/*
 * Asks guest domid (running under the kept configuration c) to suspend,
 * waits until it has, and writes it to path. The guest is still there
 * afterwards, shut down for suspend: 0 (the caller ends it), or -1 with a
 * reason in err and no file left (the caller resumes the guest if
 * stats->suspended says it suspended).
 */
struct save_stats {
	uint64_t pages, zero_pages; /* RAM saved, and how much of it was only named */
	double suspend_s, total_s; /* the guest's suspend, and the whole save */
	bool suspended; /* the guest did suspend (a failure after it must resume the guest) */
};

int domu_save(uint16_t domid, const struct domu_config *c, const char *path,
	      struct save_stats *stats, char *err, size_t errlen);

/*
 * Asks guest domid to suspend itself (control/shutdown = "suspend", Linux's
 * own Xen suspend path) and waits until it has: 0, or -1 with a reason. Used
 * by save, migrate and clone; resume it with DOMUS_CTL_resumedomain.
 */
int domu_suspend(uint16_t domid, char *err, size_t errlen);

/*
 * SIGINT, SIGTERM and SIGHUP ask save, migrate and clone to stop where they
 * are and undo (the guest resumed, half-built domains destroyed, no file)
 * rather than end the process with the guest left suspended: the signal is
 * noted in save_interrupted (savefile.h), blocked calls return, and the
 * loops give up at their next step (save_check_interrupted). Once the guest is
 * another's (a migration's go) or being resumed, save_ignore_signals.
 */
void save_catch_signals(void);
void save_ignore_signals(void);
/* -1 with "interrupted by SIGNAL" in err if a signal asked to stop; else 0. */
int save_check_interrupted(char *err, size_t errlen);

/* CLOCK_MONOTONIC in seconds: the clock of save_stats and migrate_stats. */
double save_seconds(void);

/*
 * Live migration's sending half (docs/MIGRATION.md): guest domid's memory
 * goes to connection fd (peer names it) in rounds while Domus logs what the
 * guest writes, until few pages change; then the guest stops (paused
 * without its help where the target kept its id, handover.h; else it
 * suspends itself) and the rest and its state follow, as in a save file
 * flagged SAVE_FLAG_LIVE. 0 when all is sent (the caller waits for the
 * target's word); -1 with a reason. Either way the caller ends it with
 * domu_migrate_abandon (logging off, a handover undone) unless the guest is
 * to be destroyed; if stats->suspended, it must be resumed.
 */
struct migrate_stats {
	bool logging, suspended;
	bool handover; /* stopped without its help (handover.h): paused, its back ends let go */
	uint32_t rounds; /* of pre-copy */
	uint64_t pages, final_pages; /* sent in all; dirty in the last round */
	/* save_seconds(); downtime_start is its pause (or its suspend request) */
	double start, unbound_at, downtime_start, suspended_at, sent;
};

int domu_migrate_send(uint16_t domid, const struct domu_config *c, int fd, const char *peer,
		      struct migrate_stats *stats, char *err, size_t errlen);
/* A line the peer of a migration sent, read with a timeout: its length, or -1. */
int migrate_read_line(int fd, char *buf, size_t len, int seconds);
/* err gets "PEER says: LINE", the peer's control characters replaced (not its terminal codes). */
void migrate_peer_says(char *err, size_t errlen, const char *peer, char *line);
/* Before the target's go, what the migration did to the guest is undone: it runs on here. */
void domu_migrate_abandon(uint16_t domid, const struct domu_config *c,
			  const struct migrate_stats *stats);
/* Once the go is given (the guest the target's), before it is destroyed here. */
void domu_migrate_done(const struct migrate_stats *stats);

/*
 * Builds a paused domain from the file, each record checked before it is
 * acted on: its memory, its vCPUs and domain state, fresh console and
 * XenStore ports. c gets its
 * configuration (kept again, for the next save), b what domu_build gives.
 * 0, or -1 with a reason (nothing is left of a domain half-built).
 */
int domu_restore(const char *path, struct domu_config *c, struct domu_built *b, char *err,
		 size_t errlen);
/* The same from a live migration's stream on connection fd (closed when done), named name. */
int domu_restore_stream(int fd, const char *name, struct domu_config *c, struct domu_built *b,
			char *err, size_t errlen);

#endif
