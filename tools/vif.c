/* SPDX-License-Identifier: MIT */
/* Guests' network interfaces: records of both ends and the bridge hotplug (see vif.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "devices.h"
#include "errmsg.h"
#include "vif.h"

/* netback makes the interface as soon as it sees the records: this is slack for a busy dom0. */
#define VIF_APPEAR_MS 10000

void vif_choose_mac(struct vif_config *v)
{
	uint8_t r[3] = { 0 };

	if (v->mac[0] | v->mac[1] | v->mac[2] | v->mac[3] | v->mac[4] | v->mac[5])
		return;
	if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
		/* No entropy yet: time is unique enough among one dom0's guests. */
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		r[0] = (uint8_t)(t.tv_nsec >> 8), r[1] = (uint8_t)(t.tv_nsec >> 16);
		r[2] = (uint8_t)(t.tv_sec ^ getpid());
	}
	v->mac[0] = 0x00, v->mac[1] = 0x16, v->mac[2] = 0x3e;
	v->mac[3] = r[0] & 0x7f, v->mac[4] = r[1], v->mac[5] = r[2];
}

static void backend_path(char *out, size_t cap, uint16_t domid, unsigned int devid)
{
	snprintf(out, cap, "/local/domain/0/backend/vif/%u/%u", domid, devid);
}

int vif_write_records(struct xsc *h, uint32_t tx, uint16_t domid, const struct vif_config *v)
{
	char be[96], fe[96], mac[18];
	int rc = 0;

	backend_path(be, sizeof(be), domid, v->devid);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", domid, v->devid);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1],
		 v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
	/* The back end's, dom0's: the guest may read it. */
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "", "%s", "");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "frontend", "%s", fe);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "frontend-id", "%u", domid);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "online", "1");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "handle", "%u", v->devid);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "mac", "%s", mac);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "bridge", "%s", v->bridge);
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "type", "vif");
	/* netback refuses a back end without one; it only passes it on in its uevents. */
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "script", "domus");
	rc = rc ?: xsc_put(h, tx, 0, domid, be, "state", "1");
	/* The front end's, the guest's: dom0 reads it. */
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "", "%s", "");
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "backend", "%s", be);
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "backend-id", "0");
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "handle", "%u", v->devid);
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "mac", "%s", mac);
	rc = rc ?: xsc_put(h, tx, domid, 0, fe, "state", "1");
	return rc;
}

/* Sets IFF_UP on name through socket s: 0 or -errno. */
static int link_up(int s, const char *name)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) ? -errno : 0;
}

int vif_hotplug(struct xsc *h, uint16_t domid, const struct vif_config *v, char *err,
		size_t errlen)
{
	struct ifreq ifr = { 0 };
	char name[IFNAMSIZ], be[96];
	unsigned int index = 0;
	int s, rc;

	snprintf(name, sizeof(name), "vif%u.%u", domid, v->devid);
	if (!if_nametoindex(v->bridge))
		return fail_with(err, errlen, "vif %u: dom0 has no bridge %s", v->devid, v->bridge);
	for (int waited = 0; !(index = if_nametoindex(name)) && waited < VIF_APPEAR_MS; waited += 20)
		usleep(20 * 1000);
	if (!index)
		return fail_with(err, errlen,
			    "vif %u: xen-netback did not make %s in %d s (is the module loaded?)",
			    v->devid, name, VIF_APPEAR_MS / 1000);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail_with(err, errlen, "vif %u: socket: %s", v->devid, strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", v->bridge);
	ifr.ifr_ifindex = (int)index;
	rc = ioctl(s, SIOCBRADDIF, &ifr) ? -errno : 0;
	if (rc)
		fail_with(err, errlen, "vif %u: cannot add %s to bridge %s: %s", v->devid, name, v->bridge,
		     strerror(-rc));
	else if ((rc = link_up(s, name)))
		fail_with(err, errlen, "vif %u: cannot bring %s up: %s", v->devid, name, strerror(-rc));
	close(s);
	if (rc)
		return -1;
	backend_path(be, sizeof(be), domid, v->devid);
	rc = xsc_put(h, 0, 0, domid, be, "hotplug-status", "connected");
	if (rc)
		return fail_with(err, errlen, "vif %u: cannot write hotplug-status: %s", v->devid,
			    strerror(-rc));
	return 0;
}

/*
 * Asks the bridge over nl (NETLINK_ROUTE) to drop its entry for mac on port
 * (an ifindex): 0, or -errno (-ENOENT: it has none there).
 */
static int fdb_delete(int nl, int port, const uint8_t mac[6])
{
	union {
		struct nlmsghdr h;
		char buf[NLMSG_SPACE(sizeof(struct ndmsg)) + RTA_SPACE(6)];
	} req = { 0 };
	union {
		struct nlmsghdr h;
		char buf[NLMSG_SPACE(sizeof(struct nlmsgerr)) + 256];
	} ack;
	struct ndmsg *nd = NLMSG_DATA(&req.h);
	struct rtattr *a = (struct rtattr *)(req.buf + NLMSG_SPACE(sizeof(*nd)));
	ssize_t n;

	*nd = (struct ndmsg){ .ndm_family = AF_BRIDGE, .ndm_ifindex = port, .ndm_flags = NTF_MASTER };
	a->rta_type = NDA_LLADDR;
	a->rta_len = RTA_LENGTH(6);
	memcpy(RTA_DATA(a), mac, 6);
	req.h.nlmsg_len = NLMSG_SPACE(sizeof(*nd)) + RTA_SPACE(6);
	req.h.nlmsg_type = RTM_DELNEIGH;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (send(nl, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(nl, &ack, sizeof(ack), 0);
	if (n < 0)
		return -errno;
	if ((size_t)n < NLMSG_SPACE(sizeof(struct nlmsgerr)) || ack.h.nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return ((struct nlmsgerr *)NLMSG_DATA(&ack.h))->error;
}

/*
 * Why: the bridge learned the MAC where the guest's frames came in while it
 * lived elsewhere, often the uplink, and would send frames for it there until
 * the guest speaks; a quiet guest (one that does not announce itself after a
 * move) would be out of reach from this side for the entry's age, 300 s.
 */
int vif_bridge_forget(const struct vif_config *v, char *err, size_t errlen)
{
	char dir[64];
	struct dirent *e;
	DIR *d;
	int nl, rc = 0, gone = 0;

	snprintf(dir, sizeof(dir), "/sys/class/net/%s/brif", v->bridge);
	d = opendir(dir);
	if (!d)
		return fail_with(err, errlen, "vif %u: bridge %s: %s", v->devid, v->bridge,
				 strerror(errno));
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0) {
		closedir(d);
		return fail_with(err, errlen, "vif %u: netlink: %s", v->devid, strerror(errno));
	}
	/* The entry is on one port at most: ask each; the others have none (-ENOENT). */
	while ((e = readdir(d)) && rc != -1) {
		unsigned int port = e->d_name[0] == '.' ? 0 : if_nametoindex(e->d_name);
		int r = port ? fdb_delete(nl, (int)port, v->mac) : -ENOENT;

		if (!r)
			gone++;
		else if (r != -ENOENT)
			rc = fail_with(err, errlen, "vif %u: bridge %s keeps where it saw the guest "
				       "(port %s): %s", v->devid, v->bridge, e->d_name, strerror(-r));
	}
	close(nl);
	closedir(d);
	return rc ? rc : gone;
}

bool vif_connected(struct xsc *h, uint16_t domid, unsigned int devid)
{
	char be[96];

	backend_path(be, sizeof(be), domid, devid);
	return device_state(h, be) == XENBUS_CONNECTED;
}

void vif_remove(struct xsc *h, uint16_t domid, unsigned int devid)
{
	char path[96];

	snprintf(path, sizeof(path), "/local/domain/%u/device/vif/%u", domid, devid);
	xsc_rm(h, 0, path);
	/* netback sees its directory go, disconnects and unregisters vif<domid>.<devid>. */
	backend_path(path, sizeof(path), domid, devid);
	xsc_rm(h, 0, path);
}
