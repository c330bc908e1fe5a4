/* SPDX-License-Identifier: MIT */
/*
 * Device-tree fixtures for host tests: tests/unit/fixtures/NAME.dts, compiled
 * with dtc into build/unit/fixtures/NAME.dtb when that is missing or older.
 * Tests run from the repository root.
 */
#ifndef TESTS_FIXTURE_H
#define TESTS_FIXTURE_H

#include <stddef.h>

#include <domus/types.h>

#define FIXTURE_SRC "tests/unit/fixtures"
#define FIXTURE_OUT "build/unit/fixtures" /* also where tests write their own blobs */

struct blob {
	u8 *data;
	size_t len;
};

/* The whole file, malloc'ed; NULL if it cannot be read. */
u8 *read_file(const char *path, size_t *len);
/* The compiled fixture (exits the test program with a message if it cannot). */
struct blob load_fixture(const char *name);

#endif
