// SOURCES: tools/config.c
/* SPDX-License-Identifier: MIT */
/* Host tests of the toolstack's disk specs: 'file:PATH,xvdX,w' and 'phy:DEVICE,xvdX,r'. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../tools/config.h"

static const struct {
	const char *spec;
	int ok, is_file, readonly;
	const char *target, *vdev;
	unsigned int devid;
} cases[] = {
	{ "file:/var/lib/domus/web.img,xvda,w", 1, 1, 0, "/var/lib/domus/web.img", "xvda", 51712 },
	{ "phy:/dev/vda,xvdb,r", 1, 0, 1, "/dev/vda", "xvdb", 51728 },
	{ "phy:/dev/vda,xvdz,ro", 1, 0, 1, "/dev/vda", "xvdz", (202 << 8) | (25 << 4) },
	{ "file:/a,xvdc,rw", 1, 1, 0, "/a", "xvdc", 51744 },
	{ "/a,xvda,w", 0, 0, 0, NULL, NULL, 0 },		/* no file: or phy: */
	{ "file:a.img,xvda,w", 0, 0, 0, NULL, NULL, 0 },	/* relative */
	{ "file:/a,sda,w", 0, 0, 0, NULL, NULL, 0 },		/* not an xvd name */
	{ "file:/a,xvdA,w", 0, 0, 0, NULL, NULL, 0 },
	{ "file:/a,xvdaa,w", 0, 0, 0, NULL, NULL, 0 },
	{ "file:/a,xvda,x", 0, 0, 0, NULL, NULL, 0 },	/* access */
	{ "file:/a,xvda", 0, 0, 0, NULL, NULL, 0 },
	{ "file:/a,xvda,w,extra", 0, 0, 0, NULL, NULL, 0 },
	{ "", 0, 0, 0, NULL, NULL, 0 },
};

static void test_disk_specs_parse_or_are_refused_with_a_reason(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct disk_config d;
		char err[300] = "";
		int rc = disk_parse(cases[i].spec, &d, err, sizeof(err));

		if (!cases[i].ok) {
			if (rc != -1 || !strstr(err, "disk: "))
				fail_msg("'%s' was accepted (rc %d, err '%s')", cases[i].spec, rc, err);
			continue;
		}
		if (rc)
			fail_msg("'%s' refused: %s", cases[i].spec, err);
		assert_int_equal(d.is_file, cases[i].is_file);
		assert_int_equal(d.readonly, cases[i].readonly);
		assert_string_equal(d.target, cases[i].target);
		assert_string_equal(d.vdev, cases[i].vdev);
		assert_int_equal(d.devid, cases[i].devid);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_specs_parse_or_are_refused_with_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
