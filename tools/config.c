/* SPDX-License-Identifier: MIT */
/*
 * xl-style domain configuration files. Each line is `key = value`, where a
 * value is a number, a 'single' or "double" quoted string, or a [ list ] of
 * quoted strings (disks, networks); # starts
 * a comment. Unknown keys are errors, so a typo does not pass silently.
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

int disk_parse(const char *spec, struct disk_config *d, char *err, size_t errlen)
{
	char buf[300], *target, *vdev, *access, *extra;

	memset(d, 0, sizeof(*d));
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "disk: spec too long");
		return -1;
	}
	strcpy(buf, spec);
	target = buf;
	vdev = strchr(target, ',');
	access = vdev ? strchr(vdev + 1, ',') : NULL;
	extra = access ? strchr(access + 1, ',') : NULL;
	if (!vdev || !access || extra) {
		snprintf(err, errlen, "disk: '%s': expected 'file:PATH,xvdX,w' or 'phy:DEVICE,xvdX,r'",
			 spec);
		return -1;
	}
	*vdev++ = 0;
	*access++ = 0;
	if (!strncmp(target, "file:", 5)) {
		d->is_file = 1;
		target += 5;
	} else if (!strncmp(target, "phy:", 4)) {
		target += 4;
	} else {
		snprintf(err, errlen, "disk: '%s': the target must start with file: or phy:", spec);
		return -1;
	}
	if (target[0] != '/' || strlen(target) >= sizeof(d->target)) {
		snprintf(err, errlen, "disk: '%s': an absolute path is needed", spec);
		return -1;
	}
	if (strlen(vdev) != 4 || strncmp(vdev, "xvd", 3) || vdev[3] < 'a' || vdev[3] > 'z') {
		snprintf(err, errlen, "disk: '%s': the guest's name must be xvda .. xvdz", spec);
		return -1;
	}
	if (!strcmp(access, "r") || !strcmp(access, "ro")) {
		d->readonly = 1;
	} else if (strcmp(access, "w") && strcmp(access, "rw")) {
		snprintf(err, errlen, "disk: '%s': access must be r or w", spec);
		return -1;
	}
	strcpy(d->target, target);
	strcpy(d->vdev, vdev);
	d->devid = 202 << 8 | (unsigned int)(vdev[3] - 'a') << 4;
	return 0;
}

int vif_parse(const char *spec, struct vif_config *v, char *err, size_t errlen)
{
	char buf[128], *save = NULL;

	memset(v, 0, sizeof(*v));
	strcpy(v->bridge, "xenbr0");
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "vif: spec too long");
		return -1;
	}
	strcpy(buf, spec);
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *val = strchr(kv, '=');
		unsigned int m[6];
		char tail;

		if (!val) {
			snprintf(err, errlen, "vif: '%s': '%s' is not key=value", spec, kv);
			return -1;
		}
		*val++ = 0;
		if (!strcmp(kv, "bridge")) {
			/* An interface name: what the kernel accepts (IFNAMSIZ, no '/' or space). */
			if (!*val || strlen(val) >= sizeof(v->bridge) || strpbrk(val, "/: \t")) {
				snprintf(err, errlen, "vif: '%s': bad bridge name '%s'", spec, val);
				return -1;
			}
			strcpy(v->bridge, val);
		} else if (!strcmp(kv, "mac")) {
			if (strlen(val) != 17 ||
			    sscanf(val, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4],
				   &m[5], &tail) != 6) {
				snprintf(err, errlen, "vif: '%s': mac must be xx:xx:xx:xx:xx:xx", spec);
				return -1;
			}
			/* A guest's own address: unicast, and not the all-zero "none chosen". */
			if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5])) {
				snprintf(err, errlen, "vif: '%s': mac must be a unicast address", spec);
				return -1;
			}
			for (int i = 0; i < 6; i++)
				v->mac[i] = (uint8_t)m[i];
		} else {
			snprintf(err, errlen, "vif: '%s': unknown key '%s' (bridge= and mac= are known)",
				 spec, kv);
			return -1;
		}
	}
	return 0;
}

/* One item of a quoted list, parsed into c: NULL, or the reason it is wrong. */
typedef const char *(*list_item_fn)(const char *item, struct domu_config *c, char *why,
				    size_t whylen);

static const char *add_disk(const char *item, struct domu_config *c, char *why, size_t whylen)
{
	if (c->nr_disks == MAX_DISKS)
		return "disk: at most 8 disks";
	if (disk_parse(item, &c->disks[c->nr_disks], why, whylen))
		return why;
	for (unsigned int i = 0; i < c->nr_disks; i++)
		if (c->disks[i].devid == c->disks[c->nr_disks].devid)
			return "disk: the same xvdX twice";
	c->nr_disks++;
	return NULL;
}

static const char *add_vif(const char *item, struct domu_config *c, char *why, size_t whylen)
{
	struct vif_config *v = &c->vifs[c->nr_vifs];

	if (c->nr_vifs == MAX_VIFS)
		return "vif: at most 8 network interfaces";
	if (vif_parse(item, v, why, whylen))
		return why;
	v->devid = c->nr_vifs;
	for (unsigned int i = 0; i < c->nr_vifs; i++)
		if (v->mac[0] | v->mac[1] | v->mac[2] | v->mac[3] | v->mac[4] | v->mac[5] &&
		    !memcmp(c->vifs[i].mac, v->mac, sizeof(v->mac)))
			return "vif: the same mac twice";
	c->nr_vifs++;
	return NULL;
}

/* `[ 'a', "b" ]`: each item to add(); NULL, or the reason it is wrong. */
static const char *quoted_list(char *val, const char *key, list_item_fn add,
			       struct domu_config *c, char *why, size_t whylen)
{
	size_t n = strlen(val);
	const char *bad;
	char *p;

	snprintf(why, whylen, "%s: a [ list ] of quoted strings, separated by commas", key);
	if (n < 2 || val[0] != '[' || val[n - 1] != ']')
		return why;
	val[n - 1] = 0;
	p = trim(val + 1);
	while (*p) {
		char q = *p, *close = (q == '\'' || q == '"') ? strchr(p + 1, q) : NULL;

		if (!close)
			return why;
		*close = 0;
		bad = add(p + 1, c, why, whylen);
		if (bad)
			return bad;
		p = trim(close + 1);
		if (*p == ',') {
			p = trim(p + 1);
		} else if (*p) {
			snprintf(why, whylen, "%s: a [ list ] of quoted strings, separated by commas",
				 key);
			return why;
		}
	}
	return NULL;
}

int config_load(const char *path, struct domu_config *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[2048], why[400];
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
		} else if (!strcmp(key, "vuart")) {
			char kind[16];

			if (unquote(val, kind, sizeof(kind)) || strcmp(kind, "sbsa_uart"))
				bad = "vuart: \"sbsa_uart\" (the only kind there is)";
			c->vuart = true;
		} else if (!strcmp(key, "disk")) {
			bad = quoted_list(val, "disk", add_disk, c, why, sizeof(why));
		} else if (!strcmp(key, "vif")) {
			bad = quoted_list(val, "vif", add_vif, c, why, sizeof(why));
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

/* One value, quoted with whichever quote it does not hold (config_load reads either). */
static void put_quoted(FILE *f, const char *key, const char *val)
{
	char q = strchr(val, '"') ? '\'' : '"';

	if (*val)
		fprintf(f, "%s = %c%s%c\n", key, q, val, q);
}

int config_write(const struct domu_config *c, FILE *f)
{
	fprintf(f, "# As domus resolved it (a vif's mac chosen once, kept from now on)\n");
	put_quoted(f, "name", c->name);
	fprintf(f, "memory = %llu\nvcpus = %u\n", (unsigned long long)c->memory_mib, c->vcpus);
	put_quoted(f, "kernel", c->kernel);
	put_quoted(f, "ramdisk", c->ramdisk);
	put_quoted(f, "extra", c->extra);
	put_quoted(f, "on_poweroff", c->on_poweroff);
	put_quoted(f, "on_reboot", c->on_reboot);
	put_quoted(f, "on_crash", c->on_crash);
	if (c->vuart)
		fprintf(f, "vuart = \"sbsa_uart\"\n");
	for (unsigned int i = 0; i < c->nr_disks; i++) {
		const struct disk_config *d = &c->disks[i];

		fprintf(f, "%s'%s:%s,%s,%s'%s", i ? ", " : "disk = [ ", d->is_file ? "file" : "phy",
			d->target, d->vdev, d->readonly ? "r" : "w", i + 1 == c->nr_disks ? " ]\n" : "");
	}
	for (unsigned int i = 0; i < c->nr_vifs; i++) {
		const uint8_t *m = c->vifs[i].mac;

		fprintf(f, "%s'bridge=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x'%s", i ? ", " : "vif = [ ",
			c->vifs[i].bridge, m[0], m[1], m[2], m[3], m[4], m[5],
			i + 1 == c->nr_vifs ? " ]\n" : "");
	}
	return ferror(f) ? -1 : 0;
}
