// SOURCES: tools/config.c
/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the toolstack's device specs: disks ('file:PATH,xvdX,w',
 * 'phy:DEVICE,xvdX,r'), network interfaces ('bridge=xenbr0,mac=...'), and
 * the config lists that hold them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static const struct {
	const char *spec;
	int ok;
	const char *bridge;
	uint8_t mac[6];
} vifs[] = {
	{ "bridge=xenbr0,mac=00:16:3e:01:02:03", 1, "xenbr0", { 0x00, 0x16, 0x3e, 1, 2, 3 } },
	{ "mac=00:16:3E:aa:bb:cc", 1, "xenbr0", { 0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc } },
	{ "bridge=br-lan", 1, "br-lan", { 0 } },
	{ "", 1, "xenbr0", { 0 } }, /* all defaults: xenbr0, a mac chosen at create */
	{ "bridge=", 0, NULL, { 0 } },
	{ "bridge=a/b", 0, NULL, { 0 } },
	{ "bridge=averyverylongname0", 0, NULL, { 0 } }, /* longer than IFNAMSIZ */
	{ "mac=00:16:3e:01:02", 0, NULL, { 0 } },
	{ "mac=00:16:3e:01:02:03:04", 0, NULL, { 0 } },
	{ "mac=00:16:3e:01:02:0g", 0, NULL, { 0 } },
	{ "mac=01:00:5e:00:00:01", 0, NULL, { 0 } }, /* multicast */
	{ "mac=00:00:00:00:00:00", 0, NULL, { 0 } },
	{ "ip=10.0.0.2", 0, NULL, { 0 } }, /* unknown key: refused, not ignored */
	{ "xenbr0", 0, NULL, { 0 } },
};

static void test_vif_specs_parse_or_are_refused_with_a_reason(void **state)
{
	for (size_t i = 0; i < sizeof(vifs) / sizeof(vifs[0]); i++) {
		struct vif_config v;
		char err[300] = "";
		int rc = vif_parse(vifs[i].spec, &v, err, sizeof(err));

		if (!vifs[i].ok) {
			if (rc != -1 || !strstr(err, "vif: "))
				fail_msg("'%s' was accepted (rc %d, err '%s')", vifs[i].spec, rc, err);
			continue;
		}
		if (rc)
			fail_msg("'%s' refused: %s", vifs[i].spec, err);
		assert_string_equal(v.bridge, vifs[i].bridge);
		assert_memory_equal(v.mac, vifs[i].mac, 6);
	}
}

/* Writes the required keys and then text to a temporary config file (text starts on line 4)
 * and loads it. */
static int load(const char *text, struct domu_config *c, char *err, size_t errlen)
{
	char path[] = "/tmp/domus-config-XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	fputs("name = \"a\"\nmemory = 64\nkernel = \"/k\"\n", f);
	fputs(text, f);
	fclose(f);
	rc = config_load(path, c, err, errlen);
	unlink(path);
	return rc;
}

static void test_config_lists_number_vifs_in_order_and_refuse_what_a_real_setup_would_trip_on(
	void **state)
{
	static struct domu_config c;
	char err[400] = "";

	assert_int_equal(load("disk = [ 'file:/a.img,xvda,w', \"phy:/dev/vdb,xvdb,r\" ]\n"
			      "vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:01', '' , 'bridge=br1' ]\n",
			      &c, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_int_equal(c.nr_disks, 2);
	assert_int_equal(c.nr_vifs, 3);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(c.vifs[i].devid, i);
	assert_string_equal(c.vifs[2].bridge, "br1");
	assert_int_equal(load("vif = [ ]\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nr_vifs, 0);

	assert_int_equal(load("vif = [ 'mac=00:16:3e:00:00:01', 'mac=00:16:3e:00:00:01' ]\n", &c,
			      err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, ":4: vif: the same mac twice"));
	assert_int_equal(load("vif = [ 'bridge=x' 'bridge=y' ]\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "separated by commas"));
	assert_int_equal(load("vif = 'bridge=xenbr0'\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vif: a [ list ]"));
	assert_int_equal(load("disk = [ 'file:/a,xvda,w', 'file:/b,xvda,w' ]\n", &c, err,
			      sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "the same xvdX twice"));
	assert_int_equal(load("vif = [ '', '', '', '', '', '', '', '', '' ]\n", &c, err,
			      sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "at most 8"));
}

/* What save keeps of a guest's configuration reads back the same, every field. */
static void test_a_written_config_loads_back_as_it_was(void **state)
{
	static struct domu_config c, again;
	char err[400] = "", path[] = "/tmp/domus-config-XXXXXX";
	int fd;
	FILE *f;

	assert_int_equal(load("vcpus = 2\nramdisk = \"/r.img\"\n"
			      "extra = 'console=hvc0 quiet init=\"/sbin/x\"'\n"
			      "on_crash = \"preserve\"\nvuart = \"sbsa_uart\"\n"
			      "disk = [ 'file:/a.img,xvda,w', \"phy:/dev/vdb,xvdb,r\" ]\n"
			      "vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:01', "
			      "'bridge=br1,mac=00:16:3e:0a:0b:0c' ]\n",
			      &c, err, sizeof(err)),
			 0);
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(config_write(&c, f), 0);
	fclose(f);
	assert_int_equal(config_load(path, &again, err, sizeof(err)), 0);
	unlink(path);
	memset(c.path, 0, sizeof(c.path));
	memset(again.path, 0, sizeof(again.path));
	assert_memory_equal(&c, &again, sizeof(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_specs_parse_or_are_refused_with_a_reason),
		cmocka_unit_test(test_vif_specs_parse_or_are_refused_with_a_reason),
		cmocka_unit_test(
			test_config_lists_number_vifs_in_order_and_refuse_what_a_real_setup_would_trip_on),
		cmocka_unit_test(test_a_written_config_loads_back_as_it_was),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
