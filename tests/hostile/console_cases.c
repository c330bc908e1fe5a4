/* SPDX-License-Identifier: MIT */
/*
 * Our console ring as a weapon against dom0's administrator: a flood of
 * output (dom0's console daemon must keep draining it) and terminal escape
 * sequences (OSC: window title, clipboard; DCS; their 8-bit forms) that must
 * not reach the terminal of whoever is attached raw. The guest only emits
 * them: the system test checks what `domus console` shows.
 */
#include "hostile.h"

#define EMIT(s) con_write((s), sizeof(s) - 1)

void cases_console(void)
{
	volatile u32 *idx = (volatile u32 *)((u64)con_ring + 3072);
	char line[80];
	u64 t0 = now_ns();

	for (int i = 0; i < 1024; i++) {
		snfmt(line, sizeof(line), "flood %d abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN\n", i);
		con_puts(line);
	}
	con_flush();
	checkf("console flood of 64 KiB: every byte taken by dom0", idx[2] == idx[3], "out_cons == out_prod",
	       "%u of the ring's bytes left after %lu ms", idx[3] - idx[2], (now_ns() - t0) / 1000000);
	con_puts("hostile: escapes follow [");
	EMIT("\x1b]0;HOSTILE-TITLE\x07");
	EMIT("\x1b]52;c;SE9TVElMRQ==\x07");
	EMIT("\x1bP1$qHOSTILE-DCS\x1b\\");
	EMIT("\x9d" "0;HOSTILE-C1-OSC\x9c");
	EMIT("\x90" "HOSTILE-C1-DCS\x9c");
	con_puts("] escapes done\n");
	con_flush();
}

/* After everything else: dom0 (its console daemon) still takes what we write. */
void cases_console_last(void)
{
	volatile u32 *idx = (volatile u32 *)((u64)con_ring + 3072);

	con_puts("hostile: is dom0 still draining this ring?\n");
	con_flush();
	checkf("dom0 still drains our console ring after all the cases", idx[2] == idx[3], "out_cons == out_prod",
	       "%u bytes not taken", idx[3] - idx[2]);
}
