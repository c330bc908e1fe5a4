// SOURCES: hyp/core/boot_domains.c hyp/lib/fdt.c tests/unit/fixture.c tests/unit/support.c
/* SPDX-License-Identifier: MIT */
/* Host tests of reading boot-time (dom0less) guests from the host device tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <domus/boot_domains.h>
#include <domus/fdt.h>

#include "fixture.h"
#include "support.h"

static struct boot_domain doms[BOOT_DOMAINS_MAX];
static u32 count;

static int parse_fixture(void **state)
{
	static struct blob b;
	static struct fdt fdt;

	b = load_fixture("dom0less");
	assert_int_equal(fdt_init(&fdt, b.data, b.len), 0);
	support_reset();
	count = boot_domains_parse(&fdt, doms, BOOT_DOMAINS_MAX);
	return 0;
}

static const struct boot_domain *find(const char *name)
{
	for (u32 i = 0; i < count; i++)
		if (!strcmp(doms[i].name, name))
			return &doms[i];
	return NULL;
}

static void test_right_nodes_are_read_with_their_own_or_inherited_cells(void **state)
{
	const struct boot_domain *g1 = find("guest1"), *g2 = find("guest2");

	assert_int_equal(count, 3); /* guest1, guest2, guest3; dom0's module is not a guest */
	assert_non_null(g1);
	assert_int_equal(g1->mem_kib, 0x20000);
	assert_int_equal(g1->cpus, 2);
	assert_true(g1->vpl011);
	assert_int_equal(g1->enhanced, BOOT_ENHANCED_FULL);
	assert_int_equal(pa_addr(g1->kernel.base), 0x60000000);
	assert_int_equal(g1->kernel.size, 0x200000);
	assert_int_equal(pa_addr(g1->ramdisk.base), 0x62000000);
	assert_int_equal(g1->ramdisk.size, 0x1000);
	assert_string_equal(g1->bootargs, "console=ttyAMA0");
	/* No cells of its own: the root's 2/2 decode its kernel's reg. */
	assert_non_null(g2);
	assert_int_equal(pa_addr(g2->kernel.base), 0x64000000);
	assert_int_equal(g2->kernel.size, 0x300000);
	assert_int_equal(g2->ramdisk.size, 0);
	assert_null(g2->bootargs);
	assert_false(g2->vpl011);
	assert_int_equal(g2->enhanced, BOOT_ENHANCED_NO_XENSTORE);
	assert_int_equal(find("guest3")->enhanced, BOOT_ENHANCED_FULL);
}

static void test_unknown_properties_are_named_and_the_guest_still_starts(void **state)
{
	assert_non_null(strstr(support_log, "dom0less: /chosen/guest2: colour: unknown property; "
					    "ignored\n"));
	assert_non_null(strstr(support_log, "/chosen/guest2: domain-cpupool: has no meaning in "
					    "Domus; ignored\n"));
	assert_non_null(find("guest2"));
}

static void test_each_wrong_node_is_skipped_with_a_line_naming_node_and_property(void **state)
{
	static const char *const lines[] = {
		"/chosen/short-memory: memory: must be two cells (64-bit KiB); not started",
		"/chosen/no-cpus: cpus: missing, not one cell, or 0; not started",
		"/chosen/no-kernel: no \"multiboot,kernel\" module; not started",
		"/chosen/odd-enhanced: xen,enhanced: not \"enabled\", \"no-xenstore\" or "
		"\"disabled\"; not started",
		"/chosen/direct: direct-map: Domus does not support it; not started",
		"/chosen/bad-reg: kernel: reg: missing, empty or not in this node's",
		"/chosen/passthrough: dtb: a partial device tree (passthrough): Domus has none; "
		"not started",
	};
	static const char *const skipped[] = { "short-memory", "no-cpus", "no-kernel",
					       "odd-enhanced", "direct", "bad-reg", "passthrough" };

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		if (!strstr(support_log, lines[i]))
			fail_msg("no line \"%s\" in:\n%s", lines[i], support_log);
	}
	for (size_t i = 0; i < ARRAY_SIZE(skipped); i++)
		assert_null(find(skipped[i]));
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_right_nodes_are_read_with_their_own_or_inherited_cells),
		cmocka_unit_test(test_unknown_properties_are_named_and_the_guest_still_starts),
		cmocka_unit_test(test_each_wrong_node_is_skipped_with_a_line_naming_node_and_property),
	};

	return cmocka_run_group_tests_name("boot_domains", tests, parse_fixture, NULL);
}
