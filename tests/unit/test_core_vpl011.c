// SOURCES: @core tests/unit/core_harness.c
/* SPDX-License-Identifier: MIT */
/* The emulated SBSA UART (arm64's vpl011.c) on the fake machine, as a guest's driver sees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <domus/errno.h>

#include "core_harness.h"
#include <arm64/vpl011.h>

#define UART(off) (GUEST_PL011_BASE + (off))
#define FR 0x018
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define ICR 0x044
#define RX BIT(4)
#define TX BIT(5)
#define RT BIT(6)
#define RXFE BIT(4)
#define RXFF BIT(6)
/* The distributor's pending bits of INTIDs 32..63: the UART's SPI is bit 0. */
#define SPI_PENDING (GUEST_GICV3_GICD_BASE + 0x204)

static u64 seen[8];

static void domu_drives_its_uart(struct guest *g)
{
	u64 s[8];
	const char *text = "hello\r\n\x1b[2Jfrom a\tdomU\a";

	s[0] = guest_mmio(g, UART(FR), 4, false, 0);
	s[1] = guest_mmio(g, UART(0xfe0), 4, false, 0); /* UARTPeriphID0: a PL011 */
	for (const char *c = text; *c; c++)
		guest_mmio(g, UART(0), 4, true, (u8)*c);
	/* Transmit interrupt unmasked: the FIFO is always empty, so it is raised, level. */
	guest_mmio(g, UART(IMSC), 4, true, TX);
	s[2] = guest_mmio(g, UART(MIS), 4, false, 0);
	s[3] = guest_mmio(g, SPI_PENDING, 4, false, 0) & 1;
	guest_mmio(g, UART(IMSC), 4, true, 0);
	s[4] = guest_mmio(g, SPI_PENDING, 4, false, 0) & 1;
	s[5] = guest_mmio(g, UART(RIS), 4, false, 0) & TX;
	/* Registers the SBSA subset lacks read 0 and take writes: a full PL011 driver is fine. */
	guest_mmio(g, UART(0x048), 4, true, 7); /* DMACR */
	s[6] = guest_mmio(g, UART(0x030), 4, false, 0); /* CR */
	guest_mmio(g, UART(0), 1, true, '\n'); /* a byte write ends the line */
	s[7] = 1;
	for (int i = 0; i < 8; i++)
		__atomic_store_n(&seen[i], s[i], __ATOMIC_RELEASE);
}

/* Dom0's buffer for Domus' log: taken once per machine (dom0 programs reset it). */
static u64 log_page;

static bool log_has(struct guest *g, const char *want)
{
	u64 page = log_page ? log_page : (log_page = guest_alloc_pages(g, 17));
	struct domus_ctl c = { .cmd = DOMUS_CTL_readconsole };
	char *text = guest_mem(g, page);

	c.u.readconsole.buffer = page;
	c.u.readconsole.size = 17 * PAGE_SIZE - 1;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	text[c.u.readconsole.count] = 0;
	return strstr(text, want) != NULL;
}

static void dom0_gives_a_domu_a_uart(struct guest *g)
{
	char want[80];
	long id;

	log_page = 0;

	memset(seen, 0, sizeof(seen));
	id = guest_domu_create(g, &(struct domu_spec){ .name = "uart",
						       .flags = DOMUS_CTL_CDF_VPL011 },
			       domu_drives_its_uart, 0);
	GUEST_EXPECT(g, id > 0);
	while (guest_vcpu_state(g, (domid_t)id, 0) != DOMUS_VCPU_OFFLINE)
		guest_yield(g);
	GUEST_EXPECT_EQ(g, __atomic_load_n(&seen[7], __ATOMIC_ACQUIRE), 1);
	GUEST_EXPECT_EQ(g, seen[0], 0x90); /* TX empty, RX empty */
	GUEST_EXPECT_EQ(g, seen[1], 0x11);
	GUEST_EXPECT_EQ(g, seen[2], TX);
	GUEST_EXPECT_EQ(g, seen[3], 1);
	GUEST_EXPECT_EQ(g, seen[4], 0);
	GUEST_EXPECT_EQ(g, seen[5], TX);
	GUEST_EXPECT_EQ(g, seen[6], 0);
	/* Whole lines, prefixed with the domain; control bytes (CR, ESC, BEL) dropped. */
	snprintf(want, sizeof(want), "(d%ld) hello\n(d%ld) [2Jfrom a\tdomU\n", id, id);
	GUEST_EXPECT(g, log_has(g, want));
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_a_domus_uart_sends_whole_lines_and_raises_its_spi_while_unmasked(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_gives_a_domu_a_uart });
}

/* ---- the output quota ---- */

#define FLOOD_LINES 1000 /* of 100 bytes: 100,000 bytes, past the 64 KiB burst */
static bool flood_done;
static int flood_go, flood_end;

static void domu_floods_its_uart(struct guest *g)
{
	double t;

	while (!__atomic_load_n(&flood_go, __ATOMIC_ACQUIRE))
		guest_yield(g);
	for (int l = 0; l < FLOOD_LINES; l++) {
		for (int i = 0; i < 99; i++)
			guest_mmio(g, UART(0), 4, true, 'x');
		guest_mmio(g, UART(0), 4, true, '\n');
	}
	__atomic_store_n(&flood_end, 1, __ATOMIC_RELEASE);
	/* A while later it has earned some again: its next line is let through. */
	t = machine_seconds();
	while (machine_seconds() - t < 1.2)
		guest_yield(g);
	for (const char *c = "after the flood\n"; *c; c++)
		guest_mmio(g, UART(0), 4, true, (u8)*c);
	__atomic_store_n(&flood_done, true, __ATOMIC_RELEASE);
}

static bool flood_with_the_keyboard;

/* How many bytes Domus' log has taken in all (its position). */
static u64 log_position(struct guest *g)
{
	u64 page = log_page ? log_page : (log_page = guest_alloc_pages(g, 17));
	struct domus_ctl c = { .cmd = DOMUS_CTL_readconsole };

	c.u.readconsole.buffer = page;
	c.u.readconsole.size = 17 * PAGE_SIZE - 1;
	GUEST_EXPECT_EQ(g, guest_domus_ctl(g, &c), 0);
	return c.u.readconsole.index;
}

static void dom0_lets_a_domu_flood(struct guest *g)
{
	char want[80];
	u64 pos0, pos1;
	double t0, t1;
	long id;

	log_page = 0;

	flood_done = false;
	flood_go = flood_end = 0;
	id = guest_domu_create(g, &(struct domu_spec){ .name = "flood",
						       .flags = DOMUS_CTL_CDF_VPL011 },
			       domu_floods_its_uart, 0);
	GUEST_EXPECT(g, id > 0);
	/* Given the keyboard first, it floods the terminal as it writes: the quota is the same. */
	if (flood_with_the_keyboard) {
		fake_uart_type("\x01\x01\x01\x01\x01\x01", 6);
		while (fake_uart_typed())
			guest_yield(g);
	}
	pos0 = log_position(g);
	t0 = machine_seconds();
	__atomic_store_n(&flood_go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&flood_end, __ATOMIC_ACQUIRE))
		guest_yield(g);
	t1 = machine_seconds();
	pos1 = log_position(g);
	/* What reached the log: the burst, what it earned meanwhile, and a few notes. */
	if (pos1 - pos0 > VPL011_BURST + (u64)(vpl011_rate * (t1 - t0 + 0.1)) + 4096)
		guest_fail(g, __FILE__, __LINE__, "%lu bytes logged in %.2f s", pos1 - pos0,
			   t1 - t0);
	while (guest_vcpu_state(g, (domid_t)id, 0) != DOMUS_VCPU_OFFLINE)
		guest_yield(g);
	GUEST_EXPECT(g, __atomic_load_n(&flood_done, __ATOMIC_ACQUIRE));
	/*
	 * Past the burst, lines go only as fast as it earns them back; the
	 * others are dropped, and the next line let through comes after a note
	 * of how many bytes went: one of the flood's if the budget grew back to
	 * a line and a note before the flood ended, else the one after it (how
	 * fast the flood goes depends on the machine).
	 */
	snprintf(want, sizeof(want), " bytes dropped: over its UART quota]\n(d%ld) ", id);
	GUEST_EXPECT(g, log_has(g, want));
	snprintf(want, sizeof(want), "(d%ld) after the flood\n", id);
	GUEST_EXPECT(g, log_has(g, want));
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

/*
 * The guest earns 256 bytes a second back, not 8 KiB: its flood, one trap a
 * byte, then outruns the refill even on a slow or busy test machine.
 */
#define TEST_RATE 256

static void test_a_guest_flooding_its_uart_is_cut_to_its_quota_and_told_so(void **state)
{
	vpl011_rate = TEST_RATE;
	flood_with_the_keyboard = false;
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_lets_a_domu_flood });
}

static void test_a_guest_with_the_keyboard_has_the_same_uart_quota(void **state)
{
	vpl011_rate = TEST_RATE;
	flood_with_the_keyboard = true;
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_lets_a_domu_flood });
}

static void dom0_asks_for_flags_that_do_not_exist(struct guest *g)
{
	GUEST_EXPECT_EQ(g, guest_domu_build(g, &(struct domu_spec){ .name = "x", .flags = 2 }),
			-EINVAL);
}

static void test_unknown_createdomain_flags_are_refused(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_asks_for_flags_that_do_not_exist });
}

/* ---- typed input: the console switch and the receive FIFO ---- */

#define CTRL_A3 "\x01\x01\x01"

static struct {
	u64 fr_idle, ris_first, spi_first, ris_drained, spi_drained;
	char got[16];
	int ready, done;
} rx;

/* Reads its UART as Linux's pl011 driver does: interrupts on, then until RXFE, up to a newline. */
static void domu_reads_a_line(struct guest *g)
{
	u32 n = 0;

	rx.fr_idle = guest_mmio(g, UART(FR), 4, false, 0);
	guest_mmio(g, UART(IMSC), 4, true, RX | RT);
	__atomic_store_n(&rx.ready, 1, __ATOMIC_RELEASE);
	while (guest_mmio(g, UART(FR), 4, false, 0) & RXFE)
		guest_yield(g);
	rx.ris_first = guest_mmio(g, UART(RIS), 4, false, 0);
	rx.spi_first = guest_mmio(g, SPI_PENDING, 4, false, 0) & 1;
	while (n < sizeof(rx.got) - 1) {
		if (guest_mmio(g, UART(FR), 4, false, 0) & RXFE) {
			guest_yield(g);
			continue;
		}
		rx.got[n] = (char)guest_mmio(g, UART(0), 4, false, 0);
		if (rx.got[n++] == '\n')
			break;
	}
	rx.ris_drained = guest_mmio(g, UART(RIS), 4, false, 0);
	rx.spi_drained = guest_mmio(g, SPI_PENDING, 4, false, 0) & 1;
	__atomic_store_n(&rx.done, 1, __ATOMIC_RELEASE);
	/* Stays up (it has the input) until dom0 destroys it. */
	for (;;)
		guest_yield(g);
}

/* What CONSOLEIO_read gives dom0 now, as a string. */
static u64 dom0_reads_console(struct guest *g, char *out, u64 size)
{
	u64 page = log_page ? log_page : (log_page = guest_alloc_pages(g, 17));
	long n = guest_hypercall(g, __HYPERVISOR_console_io, CONSOLEIO_read, size - 1, page, 0, 0);

	GUEST_EXPECT(g, n >= 0);
	memcpy(out, guest_mem(g, page), n > 0 ? (size_t)n : 0);
	out[n > 0 ? n : 0] = 0;
	return n > 0 ? (u64)n : 0;
}

static void dom0_types_to_a_domu(struct guest *g)
{
	char want[80], got[16];
	double t0;
	long id;

	log_page = 0;

	memset(&rx, 0, sizeof(rx));
	id = guest_domu_create(g, &(struct domu_spec){ .name = "typed",
						       .flags = DOMUS_CTL_CDF_VPL011 },
			       domu_reads_a_line, 0);
	GUEST_EXPECT(g, id > 0);
	while (!__atomic_load_n(&rx.ready, __ATOMIC_ACQUIRE))
		guest_yield(g);
	/* dom0 -> Domus -> the guest's UART, a line to it, -> back to dom0 (the only such guest). */
	fake_uart_type(CTRL_A3 CTRL_A3 "hi\n" CTRL_A3 "x", 13);
	while (!__atomic_load_n(&rx.done, __ATOMIC_ACQUIRE))
		guest_yield(g);
	GUEST_EXPECT_EQ(g, rx.fr_idle, 0x90);
	GUEST_EXPECT_STR(g, rx.got, "hi\n");
	/* A byte in: receive timeout raised (below the half-full level: no RX), the SPI up. */
	GUEST_EXPECT_EQ(g, rx.ris_first & (RX | RT), RT);
	GUEST_EXPECT_EQ(g, rx.spi_first, 1);
	/* Read empty: both gone, the SPI down (TX is masked). */
	GUEST_EXPECT_EQ(g, rx.ris_drained & (RX | RT), 0);
	GUEST_EXPECT_EQ(g, rx.spi_drained, 0);
	/* Only the key typed after the switch back reached dom0. */
	t0 = machine_seconds();
	while (!dom0_reads_console(g, got, sizeof(got)) && machine_seconds() - t0 < 5)
		guest_yield(g);
	GUEST_EXPECT_STR(g, got, "x");
	GUEST_EXPECT(g, log_has(g, "console input to Domus ('h' for help"));
	snprintf(want, sizeof(want), "console input to d%ld's UART", id);
	GUEST_EXPECT(g, log_has(g, want));
	GUEST_EXPECT(g, log_has(g, "console input to d0"));
	/* Given the input again and then destroyed: the next key finds it gone and goes nowhere. */
	fake_uart_type(CTRL_A3 CTRL_A3, 6);
	while (fake_uart_typed())
		guest_yield(g);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
	fake_uart_type("z", 1);
	snprintf(want, sizeof(want), "d%ld, which had the console input, is gone", id);
	t0 = machine_seconds();
	while (!log_has(g, want) && machine_seconds() - t0 < 5)
		guest_yield(g);
	GUEST_EXPECT(g, log_has(g, want));
	GUEST_EXPECT_EQ(g, dom0_reads_console(g, got, sizeof(got)), 0);
}

static void test_ctrl_a_three_times_moves_console_input_to_a_guests_uart_and_back(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_types_to_a_domu });
}

static u64 full_fr, full_count, empty_fr;
static int full_go, full_done;

static void domu_reads_late(struct guest *g)
{
	while (!__atomic_load_n(&full_go, __ATOMIC_ACQUIRE))
		guest_yield(g);
	full_fr = guest_mmio(g, UART(FR), 4, false, 0);
	while (!(guest_mmio(g, UART(FR), 4, false, 0) & RXFE)) {
		guest_mmio(g, UART(0), 4, false, 0);
		full_count++;
	}
	empty_fr = guest_mmio(g, UART(FR), 4, false, 0);
	__atomic_store_n(&full_done, 1, __ATOMIC_RELEASE);
}

static void dom0_types_more_than_a_domu_reads(struct guest *g)
{
	static char keys[1200];
	long id;

	log_page = 0;

	full_go = 0;
	full_done = 0;
	full_count = 0;
	id = guest_domu_create(g, &(struct domu_spec){ .name = "slow",
						       .flags = DOMUS_CTL_CDF_VPL011 },
			       domu_reads_late, 0);
	GUEST_EXPECT(g, id > 0);
	memset(keys, 'k', sizeof(keys));
	fake_uart_type(CTRL_A3 CTRL_A3, 6);
	fake_uart_type(keys, sizeof(keys));
	while (fake_uart_typed())
		guest_yield(g);
	__atomic_store_n(&full_go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&full_done, __ATOMIC_ACQUIRE))
		guest_yield(g);
	/* The FIFO shows full; what did not fit the input buffer was dropped, the rest kept. */
	GUEST_EXPECT_EQ(g, full_fr & (RXFF | RXFE), RXFF);
	GUEST_EXPECT_EQ(g, full_count, 1024);
	GUEST_EXPECT_EQ(g, empty_fr & (RXFF | RXFE), RXFE);
	GUEST_EXPECT_EQ(g, guest_domu_destroy(g, (domid_t)id), 0);
}

static void test_input_a_guest_does_not_read_fills_its_buffer_and_the_rest_is_dropped(void **state)
{
	machine_run(&(struct machine_cfg){ .dom0_main = dom0_types_more_than_a_domu_reads });
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_domus_uart_sends_whole_lines_and_raises_its_spi_while_unmasked),
		cmocka_unit_test(test_a_guest_flooding_its_uart_is_cut_to_its_quota_and_told_so),
		cmocka_unit_test(test_a_guest_with_the_keyboard_has_the_same_uart_quota),
		cmocka_unit_test(test_unknown_createdomain_flags_are_refused),
		cmocka_unit_test(test_ctrl_a_three_times_moves_console_input_to_a_guests_uart_and_back),
		cmocka_unit_test(test_input_a_guest_does_not_read_fills_its_buffer_and_the_rest_is_dropped),
	};

	return harness_main(argc, argv, "core_vpl011", tests, ARRAY_SIZE(tests));
}
