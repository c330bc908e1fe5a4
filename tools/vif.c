/* SPDX-License-Identifier: MIT */
/* Guests' network interfaces: records of both ends and the bridge hotplug (see vif.h). */
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

/* The interface netback makes for it in dom0: vif<domid>.<devid>. */
static void vif_ifname(char out[IFNAMSIZ], uint16_t domid, unsigned int devid)
{
	snprintf(out, IFNAMSIZ, "vif%u.%u", domid, devid);
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

	vif_ifname(name, domid, v->devid);
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

/* The kernel's answer to one request: an error (or ack) or one neighbour, ~100 bytes. */
union nl_answer {
	struct nlmsghdr h;
	char buf[512];
};

/* One request to the kernel over nl (NETLINK_ROUTE) and its one answer, into ans. */
static int nl_ask(int nl, const struct nlmsghdr *req, union nl_answer *ans)
{
	ssize_t n;

	if (send(nl, req, req->nlmsg_len, 0) < 0)
		return -errno;
	n = recv(nl, ans, sizeof(*ans), 0);
	if (n < 0)
		return -errno;
	if ((size_t)n < NLMSG_SPACE(sizeof(struct nlmsgerr)) || (size_t)n < ans->h.nlmsg_len)
		return -EPROTO;
	return 0;
}

/* An AF_BRIDGE neighbour request about mac: the header, mac, and master (if not 0). */
struct fdb_req {
	struct nlmsghdr h;
	struct ndmsg nd;
	char attrs[RTA_SPACE(6) + RTA_SPACE(sizeof(uint32_t))];
};

static void fdb_req_init(struct fdb_req *r, uint16_t type, uint16_t flags, int port,
			 const uint8_t mac[6], uint32_t master)
{
	struct rtattr *a = (struct rtattr *)r->attrs;

	memset(r, 0, sizeof(*r));
	r->nd = (struct ndmsg){ .ndm_family = AF_BRIDGE, .ndm_ifindex = port,
				.ndm_flags = port ? NTF_MASTER : 0 };
	a->rta_type = NDA_LLADDR;
	a->rta_len = RTA_LENGTH(6);
	memcpy(RTA_DATA(a), mac, 6);
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(r->nd)) + RTA_SPACE(6);
	if (master) {
		a = (struct rtattr *)(r->attrs + RTA_SPACE(6));
		a->rta_type = NDA_MASTER;
		a->rta_len = RTA_LENGTH(sizeof(master));
		memcpy(RTA_DATA(a), &master, sizeof(master));
		r->h.nlmsg_len += RTA_SPACE(sizeof(master));
	}
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = flags;
}

/*
 * The port (ifindex) on which bridge br learned mac: 0 if it has no entry for
 * it, or one it did not learn (a port's own address, an entry set by hand or
 * by a switch driver: those stay); -errno.
 */
static int fdb_learned_port(int nl, unsigned int br, const uint8_t mac[6])
{
	union nl_answer ans;
	struct fdb_req req;
	const struct ndmsg *nd;
	int rc;

	fdb_req_init(&req, RTM_GETNEIGH, NLM_F_REQUEST, 0, mac, br);
	rc = nl_ask(nl, &req.h, &ans);
	if (rc)
		return rc;
	if (ans.h.nlmsg_type == NLMSG_ERROR) {
		rc = ((const struct nlmsgerr *)NLMSG_DATA(&ans.h))->error;
		return rc == -ENOENT ? 0 : rc ? rc : -EPROTO;
	}
	if (ans.h.nlmsg_type != RTM_NEWNEIGH || ans.h.nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return -EPROTO;
	nd = NLMSG_DATA(&ans.h);
	if ((nd->ndm_state & (NUD_PERMANENT | NUD_NOARP)) || (nd->ndm_flags & NTF_EXT_LEARNED) ||
	    nd->ndm_ifindex <= 0 || (unsigned int)nd->ndm_ifindex == br)
		return 0;
	return nd->ndm_ifindex;
}

/*
 * Why: the bridge learned the MAC where the guest's frames came in while it
 * lived elsewhere, often the uplink, and would send frames for it there until
 * the guest speaks; a quiet guest (one that does not announce itself after a
 * move) would be out of reach from this side for the entry's age, 300 s.
 */
int vif_bridge_forget(uint16_t domid, const struct vif_config *v, char *err, size_t errlen)
{
	union nl_answer ans;
	char name[IFNAMSIZ];
	unsigned int br = if_nametoindex(v->bridge);
	struct fdb_req req;
	int nl, port, rc;

	vif_ifname(name, domid, v->devid);
	nl = br ? socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) : -1;
	port = nl < 0 ? -errno : fdb_learned_port(nl, br, v->mac);
	/* Learned on its own vif already: it has spoken here, and the bridge knows. */
	if (port > 0 && (unsigned int)port != if_nametoindex(name)) {
		fdb_req_init(&req, RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK, port, v->mac, 0);
		rc = nl_ask(nl, &req.h, &ans);
		if (!rc)
			rc = ans.h.nlmsg_type != NLMSG_ERROR ? -EPROTO :
			     ((const struct nlmsgerr *)NLMSG_DATA(&ans.h))->error;
		/* (gone meanwhile: the guest spoke, and the bridge moved it) */
		port = rc == -ENOENT ? 0 : rc ? rc : 1;
	} else if (port > 0) {
		port = 0;
	}
	if (nl >= 0)
		close(nl);
	if (port < 0)
		return fail_with(err, errlen, "vif %u: bridge %s cannot be made to forget where it "
				 "saw the guest's MAC (%s): from this side it may be out of reach "
				 "until it sends a frame", v->devid, v->bridge, strerror(-port));
	return port;
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
