#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds dom0's kernel and busybox initramfs in OUTDIR from Debian's stock arm64 packages.
#
#   guest/build.sh OUTDIR
#
# Downloads (with apt-get download, into a cache outside git)
#   ${DOMUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/domus}/debs
# the real kernel package that linux-image-arm64:arm64 points at, and busybox-static:arm64,
# extracts them there with dpkg-deb -x, and writes:
#
#   OUTDIR/vmlinuz         the kernel exactly as Debian ships it (/boot/vmlinuz-*).  Note: in
#                          bookworm this is an uncompressed, EFI-signed arm64 Image (PE/"MZ"
#                          header, "ARMd" magic at 0x38), not a gzip file.
#   OUTDIR/Image           the raw arm64 Image (vmlinuz, gunzipped if it ever is gzip).
#   OUTDIR/Image.gz        Image, gzip -9: exercises a hypervisor's Xen-style gzip kernel loading.
#   OUTDIR/initrd.img      dom0's: gzip'ed newc cpio: busybox-static with all its applets, the
#                          virtio-mmio block/net and Xen device modules (decompressed .ko), /init
#                          and the tools; then an uncompressed cpio with what a guest domain
#                          boots (/boot/domu: Image.gz, initrd.img), /etc/domus/guest.cfg and,
#                          with the hostile guest among the domU files, /etc/domus/hostile.cfg.
#   OUTDIR/initrd-domu.img the first part alone: the guest domain's initramfs.
#   OUTDIR/kernel-version  e.g. 6.1.0-56-arm64
#
# Environment:
#   DOMUS_CACHE            cache directory (see above)
#   DOMUS_KERNEL_PKG       pin a kernel package, e.g. linux-image-6.1.0-56-arm64 (default: what
#                          linux-image-arm64 depends on now)
#   DOMUS_GUEST_TOOLS      a directory of static arm64 programs to put in the initramfs's /bin
#                          (the Makefile passes build/tools: domus, domus-selftest)
#   DOMUS_GUEST_DOMU_FILES more files for dom0's /boot/domu (the Makefile passes the hostile
#                          test guest, build/hostile/hostile.img)
#   DOMUS_GUEST_MODULES    modules to put in the initramfs and load at boot (names; their
#                          dependencies are added from modules.dep)
#
# Incremental: every step is skipped when its output is newer than its inputs.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
OUT=$1
SELF=$(readlink -f "$0")
# CACHE, DEBS, ROOTS; fetch PKG VERSION and extract DEB (scripts/arm64-debs.sh).
DEBS_WHO=guest
. "$(dirname "$SELF")/../scripts/arm64-debs.sh"
MODULES=${DOMUS_GUEST_MODULES:-virtio_mmio virtio_blk virtio_net failover net_failover \
	xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc xen_wdt loop xen-blkback xen-blkfront \
	crc32c_generic ext4 bridge xen-netback xen-netfront}
# Applets the init script, the tests and the benchmarks rely on: the build fails without them.
REQUIRED_APPLETS="sh ash mount umount ls cat echo dd md5sum sha256sum devmem poweroff reboot halt
	ip ifconfig udhcpc ping nproc uname dmesg insmod modprobe mkdir mknod sleep grep head tail
	hexdump od seq true false test [ wc sync free ps kill cut tr sed awk xxd date uptime env vi
	stty setsid cttyhack getty login chmod ln cp mv rm find printf top watch time timeout nc wget watchdog
	brctl mke2fs stat taskset"

mkdir -p "$OUT"
OUT=$(readlink -f "$OUT")

for tool in apt-get apt-cache dpkg-deb depmod python3 gzip xz file; do
	if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ] && ! [ -x "/sbin/$tool" ]; then
		echo "guest: $tool is missing: run 'bash scripts/deps.sh' (or 'make deps')" >&2
		exit 1
	fi
done
DEPMOD=$(command -v depmod || echo /usr/sbin/depmod)

# --- Kernel: resolve the metapackage to the versioned package it depends on. One apt-cache
# call (each costs about a second) gives that package, its version and busybox's version.
KPKG=${DOMUS_KERNEL_PKG:-}
INFO=$(apt-cache show --no-all-versions linux-image-arm64:arm64 busybox-static:arm64 \
	${KPKG:+$KPKG:arm64} 2>/dev/null || true)
field() { # field PACKAGE FIELD: FIELD of PACKAGE's record in $INFO
	awk -v p="$1" -v f="$2: " '/^Package: / { cur = $2 }
		cur == p && index($0, f) == 1 { print substr($0, length(f) + 1); exit }' <<<"$INFO"
}
if [ -z "$KPKG" ]; then
	# "Depends: linux-image-6.1.0-56-arm64 (= 6.1.192-2)"
	read -r KPKG KPKG_VER < <(field linux-image-arm64 Depends |
		sed -n 's/^\(linux-image-[0-9][^ ,]*\) (= \([^)]*\)).*/\1 \2/p') || true
else
	KPKG_VER=$(field "$KPKG" Version)
fi
if [ -z "$KPKG" ]; then
	# Offline: newest cached versioned kernel package, if any.
	f=$(ls -v "$DEBS"/linux-image-[0-9]*-arm64_*_arm64.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$f" ]; then
		echo "guest: cannot resolve linux-image-arm64:arm64: run 'bash scripts/deps.sh' (adds arm64, apt-get update)" >&2
		exit 1
	fi
	KPKG=$(basename "$f" | cut -d_ -f1)
fi
echo "guest: kernel package: linux-image-arm64:arm64 -> $KPKG:arm64 ${KPKG_VER:-(cached)}" >&2
KDEB=$(fetch "$KPKG" "${KPKG_VER:-}")
BDEB=$(fetch busybox-static "$(field busybox-static Version)")
KROOT=$(extract "$KDEB")
BROOT=$(extract "$BDEB")
# Keep only the extracted packages in use (a kernel takes some 350 MB); others' are not ours.
for d in "$ROOTS"/linux-image-* "$ROOTS"/busybox-static_*; do
	[ ! -e "$d" ] || [ "$d" = "$KROOT" ] || [ "$d" = "$BROOT" ] || rm -rf "$d"
done

KVMLINUZ=$(ls "$KROOT"/boot/vmlinuz-* | head -n 1)
KVER=${KVMLINUZ##*/vmlinuz-}
MODDIR=$KROOT/lib/modules/$KVER
BUSYBOX=$BROOT/bin/busybox
[ -d "$MODDIR" ] || { echo "guest: $MODDIR missing in $KDEB" >&2; exit 1; }
[ -x "$BUSYBOX" ] || { echo "guest: $BUSYBOX missing in $BDEB" >&2; exit 1; }

# Debian generates modules.dep at install time (postinst depmod); do the same in the cache.
if [ ! -s "$MODDIR/modules.dep" ] || [ "$KROOT/.extracted" -nt "$MODDIR/modules.dep" ]; then
	echo "guest: depmod $KVER (modules.dep is generated at install time, not shipped)" >&2
	"$DEPMOD" -b "$KROOT" "$KVER"
fi

# --- Kernel files.
if [ ! "$OUT/vmlinuz" -nt "$KROOT/.extracted" ]; then
	cp "$KVMLINUZ" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
	echo "guest: $OUT/vmlinuz: $(file -b "$OUT/vmlinuz")" >&2
fi
if [ ! "$OUT/Image" -nt "$OUT/vmlinuz" ]; then
	if [ "$(head -c 2 "$OUT/vmlinuz" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
		gzip -dc "$OUT/vmlinuz" > "$OUT/Image.tmp"
	else
		cp "$OUT/vmlinuz" "$OUT/Image.tmp"
	fi
	mv "$OUT/Image.tmp" "$OUT/Image"
fi
if [ ! "$OUT/Image.gz" -nt "$OUT/Image" ]; then
	gzip -9nc "$OUT/Image" > "$OUT/Image.gz.tmp" && mv "$OUT/Image.gz.tmp" "$OUT/Image.gz"
fi
echo "$KVER" > "$OUT/kernel-version.tmp"
cmp -s "$OUT/kernel-version.tmp" "$OUT/kernel-version" 2>/dev/null &&
	rm "$OUT/kernel-version.tmp" || mv "$OUT/kernel-version.tmp" "$OUT/kernel-version"

# --- Initramfs.
if [ "$OUT/initrd.img" -nt "$KROOT/.extracted" ] && [ "$OUT/initrd.img" -nt "$BROOT/.extracted" ] &&
   [ "$OUT/initrd.img" -nt "$SELF" ] && [ "$OUT/initrd.img" -nt "$MODDIR/modules.dep" ] &&
   ! { [ -n "${DOMUS_GUEST_TOOLS:-}" ] && [ -n "$(find "$DOMUS_GUEST_TOOLS" -type f -newer "$OUT/initrd.img")" ]; } &&
   ! { [ -n "${DOMUS_GUEST_DOMU_FILES:-}" ] && [ -n "$(find $DOMUS_GUEST_DOMU_FILES -newer "$OUT/initrd.img")" ]; }; then
	echo "guest: $OUT is up to date (kernel $KVER)" >&2
	exit 0
fi

STAGE=$OUT/.initrd-root
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,dev,etc,proc,sys,tmp,run,root,mnt,lib/modules/"$KVER"}
ln -s bin "$STAGE/sbin"
mkdir -p "$STAGE/usr"
ln -s ../bin "$STAGE/usr/bin"
ln -s ../bin "$STAGE/usr/sbin"
chmod 1777 "$STAGE/tmp"
chmod 700 "$STAGE/root"
cp "$BUSYBOX" "$STAGE/bin/busybox"
if [ -n "${DOMUS_GUEST_TOOLS:-}" ]; then
	for t in "$DOMUS_GUEST_TOOLS"/*; do
		[ -f "$t" ] && cp "$t" "$STAGE/bin/"
	done
	echo "guest: tools: $(ls "$DOMUS_GUEST_TOOLS" | tr '\n' ' ')" >&2
	# One XenStore client program under Xen's tool names (a guest has them too).
	if [ -f "$STAGE/bin/xenstore" ]; then
		for n in read write rm ls list exists chmod watch; do
			ln -s xenstore "$STAGE/bin/xenstore-$n"
		done
	fi
fi

# Applets: busybox is an arm64 binary and cannot run here, so read its applet name table
# (the sorted, NUL-separated list starting "[\0[[\0") from the binary itself.
APPLETS=$(python3 - "$BUSYBOX" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"[\0[[\0")
if start < 0:
    sys.exit("busybox applet table not found")
names = data[start:data.find(b"\0\0", start)].decode("ascii").split("\0")
if names != sorted(names) or len(names) < 50:
    sys.exit("busybox applet table looks wrong")
print(" ".join(n for n in names if n not in ("busybox", "linuxrc")))
PY
)
for a in $REQUIRED_APPLETS; do
	case " $APPLETS " in
	*" $a "*) ;;
	*) echo "guest: busybox-static lacks the applet '$a'" >&2; exit 1 ;;
	esac
done
n=0
for a in $APPLETS; do
	ln -s busybox "$STAGE/bin/$a"
	n=$((n + 1))
done
echo "guest: busybox: $n applets (devmem included)" >&2

# Modules: resolve names against modules.builtin / modules.dep, dependencies first.
python3 - "$MODDIR" "$STAGE/lib/modules/$KVER" $MODULES > "$STAGE/etc/modules.load" <<'PY'
import lzma, gzip, os, sys
moddir, dest, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]

def norm(path):
    """Module name of a modules.dep path: basename, no .ko*, '-' == '_'."""
    base = os.path.basename(path)
    return base[: base.index(".ko")].replace("-", "_")

deps, byname = {}, {}
for line in open(os.path.join(moddir, "modules.dep")):
    path, _, rest = line.partition(":")
    deps[path] = rest.split()
    byname[norm(path)] = path
builtin = {norm(l.strip()) for l in open(os.path.join(moddir, "modules.builtin")) if l.strip()}

order, seen = [], set()
def visit(path):
    if path in seen:
        return
    seen.add(path)
    for d in deps[path]:
        visit(d)
    order.append(path)

for name in wanted:
    n = name.replace("-", "_")
    if n in builtin:
        print(f"guest: module {name}: built into the kernel", file=sys.stderr)
    elif n in byname:
        visit(byname[n])
    else:
        sys.exit(f"guest: module {name}: neither in modules.dep nor modules.builtin")

out_paths = []
for path in order:
    src = os.path.join(moddir, path)
    if path.endswith(".ko.xz"):
        data, path = lzma.open(src).read(), path[:-3]
    elif path.endswith(".ko.gz"):
        data, path = gzip.open(src).read(), path[:-3]
    elif path.endswith(".ko"):
        data = open(src, "rb").read()
    else:
        sys.exit(f"guest: {path}: unsupported module compression")
    os.makedirs(os.path.dirname(os.path.join(dest, path)), exist_ok=True)
    open(os.path.join(dest, path), "wb").write(data)
    out_paths.append(path)
    print(path)

# A modules.dep for the modules we ship, so busybox modprobe works too.
with open(os.path.join(dest, "modules.dep"), "w") as f:
    strip = lambda p: p[:-3] if p.endswith((".xz", ".gz")) else p
    for path in order:
        f.write(f"{strip(path)}: {' '.join(strip(d) for d in deps[path])}\n".replace(": \n", ":\n"))
print("guest: modules: " + " ".join(norm(p) for p in out_paths), file=sys.stderr)
PY
cp "$MODDIR/modules.builtin" "$STAGE/lib/modules/$KVER/" 2>/dev/null || true

: > "$STAGE/etc/profile"
echo "root:x:0:0:root:/root:/bin/sh" > "$STAGE/etc/passwd"
echo "root:x:0:" > "$STAGE/etc/group"
echo domus-guest > "$STAGE/etc/hostname"

# udhcpc calls this with what the DHCP server said: the address goes on the interface.
cat > "$STAGE/etc/udhcpc.script" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface" ;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface" ;;
esac
exit 0
EOF
chmod 755 "$STAGE/etc/udhcpc.script"

cat > "$STAGE/init" <<EOF
#!/bin/sh
# Domus guest init (generated by guest/build.sh): mounts, loads modules, prints
# DOMUS-GUEST-READY and keeps an interactive shell on the console.
KVER=$KVER
EOF
cat >> "$STAGE/init" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=${TERM:-vt100}
mount -t proc proc /proc
# The kernel's boot ends here, the same on every machine: what follows is this machine's own
# setup (a dom0's drivers and daemons). bench/ times the boot to this line.
echo "DOMUS-INIT $(cat /proc/uptime)"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev || echo "init: cannot mount devtmpfs"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
hostname -F /etc/hostname

# Xen's drivers only where there is a Xen interface (sys-hypervisor is built in): on a bare
# machine each would fail, and a failed module load waits for RCU grace periods, about a
# second in all under TCG, which the native side of a boot benchmark should not pay.
xen=; [ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ] && xen=y
while read -r m; do
	case $m in *xen*) [ -n "$xen" ] || continue ;; esac
	insmod "/lib/modules/$KVER/$m" || echo "init: insmod $m failed"
done < /etc/modules.load
[ -d /proc/xen ] && mount -t xenfs xenfs /proc/xen 2>/dev/null
# Dom0 (only it has the xenbus backend device) serves XenStore to itself and its guests.
if [ -e /dev/xen/xenbus_backend ] && [ -x /bin/xenstored ]; then
	mkdir -p /var/log
	xenstored 2>>/var/log/xenstored.log || echo "init: xenstored did not start: $(tail -n 1 /var/log/xenstored.log)"
	# Guests Domus started at boot with Xen's interfaces wait for XenStore (Xen's init-dom0less).
	command -v domus >/dev/null && { domus introduce || echo "init: domus introduce failed"; }
fi

ip link set lo up
# Networking as a Xen host has it: dom0 bridges its NIC as xenbr0, where the guests' vifs
# join; a guest configures its (netfront) eth0. Both by DHCP, in the background.
if [ -e /dev/xen/xenbus_backend ] && [ -e /sys/class/net/eth0 ]; then
	# A new bridge has STP off: ports forward as soon as they are up.
	brctl addbr xenbr0 && brctl addif xenbr0 eth0 && ip link set eth0 up &&
		ip link set xenbr0 up && udhcpc -b -q -i xenbr0 -s /etc/udhcpc.script -t 10 -T 1 -A 2 >/dev/null 2>&1 &
elif [ -d /proc/xen ] && [ -e /sys/class/net/eth0 ]; then
	ip link set eth0 up
	udhcpc -b -q -i eth0 -s /etc/udhcpc.script -t 10 -T 1 -A 2 >/dev/null 2>&1 &
fi
echo "DOMUS-GUEST-READY $(cat /proc/uptime)"
# From here the console is a shell (dom0's or a guest's): only errors and worse from the
# kernel, as Debian's `quiet` has it, so that its info lines (links up, devices coming, a
# guest's front ends reconnecting after a restore or a migration) do not land in the middle
# of what a command prints. dmesg has them all.
echo 4 > /proc/sys/kernel/printk

# PID 1 gets busybox poweroff/reboot/halt's signals; only "wait" lets a trap run at once.
trap 'poweroff -f' USR2
trap 'reboot -f' TERM
trap 'halt -f' USR1
export PS1='~ # '
cd /root
while :; do
	setsid cttyhack sh &
	wait $!
	sleep 1
done
EOF
chmod 755 "$STAGE/init"

# newc cpio written here (not with cpio(1)) so that files are root-owned and /dev/console
# exists without needing root, with fixed mtimes for reproducible output.
# cpio ROOT [devnodes]: the archive of ROOT on stdout.
cpio() {
	python3 - "$1" "${SOURCE_DATE_EPOCH:-0}" "${2:-}" <<'PY'
import os, stat, sys
root, mtime, devnodes = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "devnodes"
out = sys.stdout.buffer
ino = 1

def entry(name, mode, data=b"", rdev=(0, 0)):
    global ino
    nameb = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, mtime, len(data),
        0, 0, rdev[0], rdev[1], len(nameb), 0))
    ino += 1
    out.write(hdr.encode() + nameb + b"\0" * (-(110 + len(nameb)) % 4))
    out.write(data + b"\0" * (-len(data) % 4))

for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    rel = os.path.relpath(dirpath, root)
    for name in sorted(dirnames + filenames):
        path = os.path.join(dirpath, name)
        arc = os.path.normpath(os.path.join(rel, name))
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            entry(arc, stat.S_IFLNK | 0o777, os.readlink(path).encode())
        elif stat.S_ISDIR(st.st_mode):
            entry(arc, stat.S_IFDIR | stat.S_IMODE(st.st_mode))
        else:
            entry(arc, stat.S_IFREG | stat.S_IMODE(st.st_mode), open(path, "rb").read())
if devnodes:
    entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    entry("dev/null", stat.S_IFCHR | 0o666, rdev=(1, 3))
entry("TRAILER!!!", 0)
PY
}
cpio "$STAGE" devnodes | gzip -9n > "$OUT/initrd.img.tmp"
# The same system for guest domains (domU); dom0's adds what it takes to start them.
cp "$OUT/initrd.img.tmp" "$OUT/initrd-domu.img"

# --- What dom0 carries to start a guest (`domus create /etc/domus/guest.cfg`): the same
# stock kernel and the domU initramfs. Appended as a second, uncompressed cpio archive (Linux
# unpacks concatenated archives): the kernel is gzip'ed already, and an uncompressed archive
# costs dom0's boot only a copy.
PAYLOAD=$OUT/.payload-root
rm -rf "$PAYLOAD"
mkdir -p "$PAYLOAD/boot/domu" "$PAYLOAD/etc/domus"
cp "$OUT/Image.gz" "$PAYLOAD/boot/domu/Image.gz"
cp "$OUT/initrd-domu.img" "$PAYLOAD/boot/domu/initrd.img"
for f in ${DOMUS_GUEST_DOMU_FILES:-}; do
	cp "$f" "$PAYLOAD/boot/domu/$(basename "$f")"
done
cat > "$PAYLOAD/etc/domus/guest.cfg" <<'CFG'
# A guest domain: Debian's stock arm64 kernel with a busybox initramfs.
# Start it with `domus create -c /etc/domus/guest.cfg`; Ctrl-] leaves its console.
name = "guest"
memory = 256
vcpus = 1
kernel = "/boot/domu/Image.gz"
ramdisk = "/boot/domu/initrd.img"
extra = "console=hvc0"
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "destroy"
CFG
# The hostile test guest (tests/hostile/, put in /boot/domu by DOMUS_GUEST_DOMU_FILES):
# `domus create -c /etc/domus/hostile.cfg` runs every case on its console.
if [ -f "$PAYLOAD/boot/domu/hostile.img" ]; then
	cat > "$PAYLOAD/etc/domus/hostile.cfg" <<'CFG'
# The hostile guest: attacks Domus from an unprivileged domain, one console line a case
# ("ok|FAIL <name>: <got> (want <want>)"), last "hostile: N cases, F failed", then powers off.
# Run it with `domus create -c /etc/domus/hostile.cfg`; three vCPUs for the PSCI races.
name = "hostile"
memory = 64
vcpus = 3
kernel = "/boot/domu/hostile.img"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
fi
# Linux looks for an uncompressed archive only at a 4-byte boundary; zeros in between are skipped.
pad=$(( (4 - $(stat -c %s "$OUT/initrd.img.tmp") % 4) % 4 ))
head -c "$pad" /dev/zero >> "$OUT/initrd.img.tmp"
cpio "$PAYLOAD" >> "$OUT/initrd.img.tmp"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
echo "guest: $OUT/initrd.img: $(stat -c %s "$OUT/initrd.img") bytes (kernel $KVER)" >&2
