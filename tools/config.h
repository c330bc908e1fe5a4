/* SPDX-License-Identifier: MIT */
/* xl-style domain configuration files: key = value lines. */
#ifndef DOMUS_CONFIG_H
#define DOMUS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

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
	char path[256]; /* the file it came from */
};

/*
 * Reads a config file. 0, or -1 with a one-line message in err naming the
 * file and line ("guest.cfg:3: memory: not a number").
 */
int config_load(const char *path, struct domu_config *c, char *err, size_t errlen);

#endif
