/* SPDX-License-Identifier: MIT */
/* xl-style domain configuration files: key = value lines. */
#ifndef DOMUS_CONFIG_H
#define DOMUS_CONFIG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_DISKS 8
#define MAX_VIFS 8

/* One entry of `disk = [ 'file:/var/lib/domus/web.img,xvda,w', 'phy:/dev/vda,xvdb,r' ]`. */
struct disk_config {
	char target[256]; /* the image file or block device in dom0 */
	int is_file; /* file: (a loop device is made for it) or phy: */
	char vdev[8]; /* xvda .. xvdz, as the guest names it */
	unsigned int devid; /* Xen's virtual-device number: 202 << 8 | index << 4 */
	int readonly;
};

/* Parses one disk spec: 0, or -1 with why in err. */
int disk_parse(const char *spec, struct disk_config *d, char *err, size_t errlen);

/* One entry of `vif = [ 'bridge=xenbr0,mac=00:16:3e:01:02:03' ]`. */
struct vif_config {
	char bridge[16]; /* dom0's bridge the vif joins: xenbr0 unless named */
	uint8_t mac[6]; /* the guest's; all zero until chosen (domus picks 00:16:3e:xx:xx:xx) */
	unsigned int devid; /* its place in the list: vif<domid>.<devid> in dom0, eth<devid> inside */
};

/* Parses one vif spec (keys bridge= and mac=, both optional): 0, or -1 with why in err. */
int vif_parse(const char *spec, struct vif_config *v, char *err, size_t errlen);

struct domu_config {
	char name[32];
	uint64_t memory_mib;
	uint32_t vcpus;
	char kernel[256];
	char ramdisk[256];
	char extra[1024];
	char on_poweroff[16]; /* destroy, restart, preserve */
	char on_reboot[16];
	char on_crash[16];
	bool vuart; /* vuart = "sbsa_uart": an emulated SBSA UART (ttyAMA0) */
	char path[256]; /* the file it came from */
	struct disk_config disks[MAX_DISKS];
	unsigned int nr_disks;
	struct vif_config vifs[MAX_VIFS];
	unsigned int nr_vifs;
};

/*
 * Reads a config file. 0, or -1 with a one-line message in err naming the
 * file and line ("guest.cfg:3: memory: not a number").
 */
int config_load(const char *path, struct domu_config *c, char *err, size_t errlen);
/* Writes c back as a config file config_load reads to the same c (path aside): 0 or -1. */
int config_write(const struct domu_config *c, FILE *f);

#endif
