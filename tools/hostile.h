/* SPDX-License-Identifier: MIT */
/* Hostile hypercalls from dom0 user space: a table of bad arguments and the errors they must get. */
#ifndef HOSTILE_H
#define HOSTILE_H

/* Runs every case; prints one line each and a summary. 0 if all behaved. */
int hostile_run(void);

#endif
