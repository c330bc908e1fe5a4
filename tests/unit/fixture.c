/* SPDX-License-Identifier: MIT */
/* Device-tree fixtures for host tests (fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fixture.h"

u8 *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	u8 *buf = NULL;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Loads build/unit/fixtures/NAME.dtb, running dtc first if it is missing or stale. */
struct blob load_fixture(const char *name)
{
	char dts[256], dtb[256], cmd[768];
	struct stat s_src, s_bin;
	struct blob b;

	snprintf(dts, sizeof(dts), FIXTURE_SRC "/%s.dts", name);
	snprintf(dtb, sizeof(dtb), FIXTURE_OUT "/%s.dtb", name);
	if (stat(dts, &s_src) != 0) {
		fprintf(stderr, "missing %s: run the tests from the repository root\n", dts);
		exit(1);
	}
	if (stat(dtb, &s_bin) != 0 || s_bin.st_mtime < s_src.st_mtime) {
		snprintf(cmd, sizeof(cmd), "mkdir -p " FIXTURE_OUT " && dtc -q -I dts -O dtb -o %s %s",
			 dtb, dts);
		if (system(cmd) != 0) {
			fprintf(stderr, "failed: %s\n", cmd);
			exit(1);
		}
	}
	b.data = read_file(dtb, &b.len);
	if (!b.data) {
		fprintf(stderr, "cannot read %s\n", dtb);
		exit(1);
	}
	return b;
}

