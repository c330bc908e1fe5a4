/* SPDX-License-Identifier: MIT */
/*
 * xl-style domain configuration files. Each line is `key = value`, where a
 * value is a number, a 'single' or "double" quoted string, or a [ list ] of
 * strings (accepted and ignored until disks and networks exist); # starts a
 * comment. Unknown keys are errors, so a typo does not pass silently.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAX_VCPUS 128

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* A quoted string into out; 0, or -1 (unterminated, too long). */
static int unquote(const char *v, char *out, size_t cap)
{
	size_t n = strlen(v);

	if (n < 2 || (v[0] != '"' && v[0] != '\'') || v[n - 1] != v[0] || n - 2 >= cap)
		return -1;
	memcpy(out, v + 1, n - 2);
	out[n - 2] = 0;
	return 0;
}

static int number(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || errno || n > max)
		return -1;
	*out = n;
	return 0;
}

static int action(const char *v, char *out, size_t cap)
{
	if (unquote(v, out, cap))
		return -1;
	return strcmp(out, "destroy") && strcmp(out, "restart") && strcmp(out, "preserve") ? -1 : 0;
}

int config_load(const char *path, struct domu_config *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	int lineno = 0;
	uint64_t n;

	memset(c, 0, sizeof(*c));
	c->vcpus = 1;
	snprintf(c->on_poweroff, sizeof(c->on_poweroff), "destroy");
	snprintf(c->on_reboot, sizeof(c->on_reboot), "restart");
	snprintf(c->on_crash, sizeof(c->on_crash), "destroy");
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *hash, *eq, *key, *val;
		const char *bad = NULL;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			bad = "line too long";
			goto fail;
		}
		/* A # inside quotes is part of the value. */
		for (hash = line; *hash; hash++) {
			if (*hash == '"' || *hash == '\'') {
				char *close = strchr(hash + 1, *hash);

				if (!close)
					break;
				hash = close;
			} else if (*hash == '#') {
				*hash = 0;
				break;
			}
		}
		key = trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			bad = "expected key = value";
			goto fail;
		}
		*eq = 0;
		key = trim(key);
		val = trim(eq + 1);
		if (!strcmp(key, "name")) {
			if (unquote(val, c->name, sizeof(c->name)) || !*c->name)
				bad = "name: a quoted string of 1 to 31 characters";
			else if (strspn(c->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(c->name))
				bad = "name: letters, digits, - _ . only";
		} else if (!strcmp(key, "memory")) {
			if (number(val, 3 * 1024, &n) || n < 16)
				bad = "memory: a number of MiB from 16 to 3072";
			c->memory_mib = n;
		} else if (!strcmp(key, "vcpus")) {
			if (number(val, MAX_VCPUS, &n) || n < 1)
				bad = "vcpus: a number from 1 to 128";
			c->vcpus = (uint32_t)n;
		} else if (!strcmp(key, "kernel")) {
			if (unquote(val, c->kernel, sizeof(c->kernel)))
				bad = "kernel: a quoted path";
		} else if (!strcmp(key, "ramdisk")) {
			if (unquote(val, c->ramdisk, sizeof(c->ramdisk)))
				bad = "ramdisk: a quoted path";
		} else if (!strcmp(key, "extra")) {
			if (unquote(val, c->extra, sizeof(c->extra)))
				bad = "extra: a quoted string";
		} else if (!strcmp(key, "on_poweroff")) {
			if (action(val, c->on_poweroff, sizeof(c->on_poweroff)))
				bad = "on_poweroff: 'destroy', 'restart' or 'preserve'";
		} else if (!strcmp(key, "on_reboot")) {
			if (action(val, c->on_reboot, sizeof(c->on_reboot)))
				bad = "on_reboot: 'destroy', 'restart' or 'preserve'";
		} else if (!strcmp(key, "on_crash")) {
			if (action(val, c->on_crash, sizeof(c->on_crash)))
				bad = "on_crash: 'destroy', 'restart' or 'preserve'";
		} else if (!strcmp(key, "disk") || !strcmp(key, "vif")) {
			if (val[0] != '[' || val[strlen(val) - 1] != ']')
				bad = "a [ list ] of quoted strings";
			else if (strcmp(trim(val + 1), "]"))
				bad = "disks and networks are not supported yet: use an empty list";
		} else {
			bad = "unknown key";
		}
		if (bad) {
fail:
			snprintf(err, errlen, "%s:%d: %s", path, lineno, bad);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (!*c->name || !c->memory_mib || !*c->kernel) {
		snprintf(err, errlen, "%s: name, memory and kernel are required", path);
		return -1;
	}
	return 0;
}
