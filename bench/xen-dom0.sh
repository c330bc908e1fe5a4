#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds a dom0 initramfs for Xen 4.17 that can start guest domains with Xen's own toolstack,
# for the domain-creation benchmark (bench/README.md, `create.*`).
#
#   bench/xen-dom0.sh BASE_INITRD OUT
#
# BASE_INITRD is guest/build.sh's dom0 initramfs (build/guest/initrd.img: busybox, the Xen
# modules, /boot/domu/{Image.gz,initrd.img}, /etc/domus/guest.cfg). OUT is BASE_INITRD with
# one more cpio archive appended (Linux unpacks concatenated archives, later files win):
#
#   /init                   the base's init plus what Debian's xencommons does: xenstored,
#                           xen-init-dom0 (Domain-0's XenStore nodes), xenconsoled
#   /etc/xen/guest.cfg      the same file as /etc/domus/guest.cfg (its keys are xl's)
#   /etc/xen/scripts/{block,vif-bridge}  hotplug scripts of ours for xl (phy: disks, bridged vifs)
#   /usr/lib/xen-4.17/bin/{xl,xenstored,xenconsoled,xenconsole,xen-init-dom0}, xenstore-*
#   the shared libraries they need (their ELF DT_NEEDED closure; ld.so included)
#
# Those come from Debian bookworm's arm64 xen-utils-4.17, xen-utils-common, xenstore-utils and
# the library packages they depend on (apt-cache depends, followed through lib* and zlib* packages
# only: not python3, udev or perl, which this dom0 does not run), downloaded with
# apt-get download into ${DOMUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/domus}/debs and
# extracted with dpkg-deb -x under xen-dom0/ there. Nothing of Xen's is written into the tree.
#
# Environment:
#   DOMUS_CACHE        cache directory (see above)
#   XEN_XENSTORED      xenstored (the C one, default) or oxenstored (Debian's default daemon)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 BASE_INITRD OUT" >&2
	exit 2
fi
BASE=$1
OUT=$2
SELF=$(readlink -f "$0")
CACHE=${DOMUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/domus}
DEBS=$CACHE/debs
WORK=$CACHE/xen-dom0
XENSTORED=${XEN_XENSTORED:-xenstored}
XENBIN=usr/lib/xen-4.17/bin
TOP_PKGS="xen-utils-4.17 xen-utils-common xenstore-utils"
READELF=${CROSS:-aarch64-linux-gnu-}readelf
case $XENSTORED in xenstored|oxenstored) ;; *) echo "xen-dom0: XEN_XENSTORED: xenstored or oxenstored" >&2; exit 2 ;; esac
[ -s "$BASE" ] || { echo "xen-dom0: $BASE missing: run 'make guest'" >&2; exit 1; }
command -v "$READELF" >/dev/null || { echo "xen-dom0: $READELF missing: run 'bash scripts/deps.sh'" >&2; exit 1; }
mkdir -p "$DEBS" "$WORK"

# Up to date: newer than its inputs, packages resolved before (rm OUT to look for newer ones).
if [ "$OUT" -nt "$BASE" ] && [ "$OUT" -nt "$SELF" ] && [ "$OUT" -nt "$WORK/root/.debs" ] &&
   [ "$(cat "$OUT.xenstored" 2>/dev/null)" = "$XENSTORED" ]; then
	echo "xen-dom0: $OUT is up to date" >&2
	exit 0
fi

APT_OPTS=()
[ "$(id -u)" -eq 0 ] && APT_OPTS=(-o APT::Sandbox::User=root)

# --- Packages: the three, then their Depends that are lib* (or zlib*) packages, transitively. One
# apt-cache call per level of the graph (4 or 5 calls).
resolve() {
	local todo=$TOP_PKGS seen=" " next p
	while [ -n "$todo" ]; do
		for p in $todo; do seen="$seen$p "; done
		next=$(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
			--no-replaces --no-enhances $(printf '%s:arm64 ' $todo) 2>/dev/null |
			sed -n 's/^ *|\{0,1\}Depends: \(z\{0,1\}lib[^ <>]*\)$/\1/p' | sed 's/:arm64$//' | sort -u)
		todo=
		for p in $next; do
			case $seen in *" $p "*) ;; *) todo="$todo $p" ;; esac
		done
	done
	echo $seen
}

PKGS=$(resolve)
# `apt-get download --print-uris` names each .deb without downloading it: 'URI' FILE SIZE HASH
# (in an empty directory: it leaves out the files already in the current one).
URIS=$(cd "$WORK" && mkdir -p empty && cd empty && apt-get "${APT_OPTS[@]}" -q download --print-uris \
	$(printf '%s:arm64 ' $PKGS) 2>/dev/null || true)
FILES=()
if [ -z "$URIS" ] || [ "$PKGS" = "$TOP_PKGS" ]; then
	# Offline or without arm64 package lists: whatever an earlier run left in the cache.
	list=$WORK/debs.list
	[ -s "$list" ] || { echo "xen-dom0: apt cannot resolve $TOP_PKGS for arm64: run 'bash scripts/deps.sh'" >&2; exit 1; }
	echo "xen-dom0: apt cannot resolve the packages; using the cached ones of the last run" >&2
	mapfile -t FILES < "$list"
else
	missing=()
	while read -r _ file _; do
		FILES+=("$file")
		[ -s "$DEBS/$file" ] || missing+=("$(cut -d_ -f1 <<<"$file"):arm64=$(cut -d_ -f2 <<<"$file" | sed 's/%3a/:/g')")
	done <<<"$URIS"
	if [ ${#missing[@]} -gt 0 ]; then
		echo "xen-dom0: downloading ${#missing[@]} arm64 packages into $DEBS: ${missing[*]}" >&2
		(cd "$DEBS" && apt-get "${APT_OPTS[@]}" -q download "${missing[@]}" >&2)
	fi
	printf '%s\n' "${FILES[@]}" > "$WORK/debs.list.tmp" && mv "$WORK/debs.list.tmp" "$WORK/debs.list"
fi

# --- Extract them all into one tree, again only when the set of .debs changed.
ROOT=$WORK/root
if ! cmp -s "$WORK/debs.list" "$ROOT/.debs" 2>/dev/null; then
	echo "xen-dom0: extracting ${#FILES[@]} packages into $ROOT" >&2
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	for f in "${FILES[@]}"; do
		[ -s "$DEBS/$f" ] || { echo "xen-dom0: $DEBS/$f missing" >&2; exit 1; }
		dpkg-deb -x "$DEBS/$f" "$ROOT"
	done
	cp "$WORK/debs.list" "$ROOT/.debs"
fi

# --- The overlay: the programs, their libraries, /init.
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/xen-dom0.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
PROGS="$XENBIN/xl $XENBIN/$XENSTORED $XENBIN/xenconsoled $XENBIN/xenconsole $XENBIN/xen-init-dom0
	usr/bin/xenstore"
mkdir -p "$STAGE/$XENBIN" "$STAGE/usr/lib/aarch64-linux-gnu" "$STAGE/etc/xen" "$STAGE/var/lib/xen" \
	"$STAGE/var/lib/xenstored" "$STAGE/var/log/xen" "$STAGE/xenbin" "$STAGE/bin"
ln -s ../run "$STAGE/var/run"
ln -s ../run/lock "$STAGE/var/lock"
for p in $PROGS; do
	[ -x "$ROOT/$p" ] || { echo "xen-dom0: $p is not in the packages" >&2; exit 1; }
	cp "$ROOT/$p" "$STAGE/xenbin/"
done
mv "$STAGE"/xenbin/* "$STAGE/$XENBIN/"
rmdir "$STAGE/xenbin"
# xenstore-utils' commands are one program that looks at its name; on dom0's PATH (/bin).
for c in read write ls list rm exists chmod watch; do
	ln -s "../$XENBIN/xenstore" "$STAGE/bin/xenstore-$c"
done
# Debian's xl.conf (all defaults, commented out: xl complains when it is missing).
cp "$ROOT/etc/xen/xl.conf" "$STAGE/etc/xen/"
[ "$XENSTORED" = oxenstored ] && cp "$ROOT/etc/xen/oxenstored.conf" "$STAGE/etc/xen/"

# Library closure: each DT_NEEDED name is looked up where Debian's ld.so looks, the file it
# names is copied with its links.
LIBDIRS="lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu usr/lib/xen-4.17/lib/aarch64-linux-gnu"
needed() { "$READELF" -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# Plus libgcc_s.so.1, which glibc dlopen()s for pthread_cancel: xl create without -c (a
# daemon that cancels its threads) aborts without it.
todo=$( (for p in $PROGS; do needed "$ROOT/$p"; done; echo libgcc_s.so.1) | sort -u)
done_libs=" "
while [ -n "$todo" ]; do
	next=
	for lib in $todo; do
		case $done_libs in *" $lib "*) continue ;; esac
		done_libs="$done_libs$lib "
		found=
		for d in $LIBDIRS; do
			if [ -e "$ROOT/$d/$lib" ]; then found=$d/$lib; break; fi
		done
		[ -n "$found" ] || { echo "xen-dom0: $lib: in none of the packages (a dependency apt-cache did not name?)" >&2; exit 1; }
		mkdir -p "$STAGE/$(dirname "$found")"
		cp -P "$ROOT/$found" "$STAGE/$found"
		real=$(readlink -f "$ROOT/$found")
		cp "$real" "$STAGE/$(dirname "$found")/"
		next="$next $(needed "$real")"
	done
	todo=$next
done
# The program interpreter.
interp=$("$READELF" -lW "$ROOT/$XENBIN/xl" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
if [ ! -e "$STAGE$interp" ]; then
	mkdir -p "$STAGE$(dirname "$interp")"
	cp -P "$ROOT$interp" "$STAGE$interp"
	cp "$(readlink -f "$ROOT$interp")" "$STAGE/lib/aarch64-linux-gnu/" 2>/dev/null || true
fi
echo "xen-dom0: libraries: $done_libs" >&2

ln -s ../domus/guest.cfg "$STAGE/etc/xen/guest.cfg"

# xl runs a hotplug script for each disk and vif (xl.conf's run_hotplug_scripts, on by default)
# and waits for it: /etc/xen/scripts/block and vif-bridge. Xen's are bash with udev around them;
# these are ours, for busybox, and do what the benchmark's devices need: a block device's
# major:minor as blkback's physical-device, a vif on its bridge, then hotplug-status. libxl
# passes the backend's XenStore path (relative to dom0's home) in XENBUS_PATH and, for a vif,
# its name in $vif; the first argument is add/remove (disks) or online/offline (vifs).
mkdir -p "$STAGE/etc/xen/scripts"
cat > "$STAGE/etc/xen/scripts/block" <<'EOF'
#!/bin/sh
# xl's disk hotplug, for phy: block devices only (a file would need a loop device).
case $1 in
add)
	dev=$(xenstore-read "$XENBUS_PATH/params")
	if [ ! -b "$dev" ]; then
		xenstore-write "$XENBUS_PATH/hotplug-error" "$dev is not a block device" \
			"$XENBUS_PATH/hotplug-status" error
		exit 1
	fi
	xenstore-write "$XENBUS_PATH/physical-device" "$(stat -L -c '%t:%T' "$dev")" \
		"$XENBUS_PATH/hotplug-status" connected
	;;
esac
exit 0
EOF
cat > "$STAGE/etc/xen/scripts/vif-bridge" <<'EOF'
#!/bin/sh
# xl's vif hotplug: the vif joins the bridge its record names.
case $1 in
online|add)
	br=$(xenstore-read "$XENBUS_PATH/bridge")
	if ! brctl addif "$br" "$vif" || ! ip link set "$vif" up; then
		xenstore-write "$XENBUS_PATH/hotplug-error" "cannot add $vif to $br" \
			"$XENBUS_PATH/hotplug-status" error
		exit 1
	fi
	xenstore-write "$XENBUS_PATH/hotplug-status" connected
	;;
offline|remove)
	br=$(xenstore-read "$XENBUS_PATH/bridge" 2>/dev/null)
	[ -n "$br" ] && brctl delif "$br" "$vif" 2>/dev/null
	;;
esac
exit 0
EOF
chmod 755 "$STAGE/etc/xen/scripts/block" "$STAGE/etc/xen/scripts/vif-bridge"

cat > "$STAGE/init" <<EOF
#!/bin/sh
# Xen 4.17 dom0 init for Domus' benchmarks (generated by bench/xen-dom0.sh): the dom0 init of
# guest/build.sh plus the part of Debian's xencommons that \`xl create\` needs.
XENBIN=/$XENBIN
XENSTORED=$XENSTORED
EOF
cat >> "$STAGE/init" <<'EOF'
KVER=$(ls /lib/modules)
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:$XENBIN HOME=/root TERM=${TERM:-vt100}
mount -t proc proc /proc
# The kernel's boot ends here, the same on every machine: what follows is this machine's own
# setup (a dom0's drivers and daemons). bench/ times the boot to this line.
echo "DOMUS-INIT $(cat /proc/uptime)"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev || echo "init: cannot mount devtmpfs"
mkdir -p /dev/pts /dev/shm /run/lock /run/xen /run/xenstored
mount -t devpts devpts /dev/pts
hostname -F /etc/hostname

while read -r m; do
	insmod "/lib/modules/$KVER/$m" || echo "init: insmod $m failed"
done < /etc/modules.load
mount -t xenfs xenfs /proc/xen || echo "init: cannot mount xenfs"
ip link set lo up

# xencommons, the part that matters here: XenStore, Domain-0's nodes, the console daemon.
$XENBIN/$XENSTORED --pid-file /run/xen/xenstored.pid || echo "init: $XENSTORED failed"
i=0
while [ ! -s /run/xen/xenstored.pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
$XENBIN/xen-init-dom0 || echo "init: xen-init-dom0 failed"
$XENBIN/xenconsoled --pid-file=/run/xen/xenconsoled.pid || echo "init: xenconsoled failed"
# Networking as the Domus dom0 has it (guest/build.sh): the NIC bridged as xenbr0, by DHCP.
if [ -e /sys/class/net/eth0 ]; then
	brctl addbr xenbr0 && brctl addif xenbr0 eth0 && ip link set eth0 up &&
		ip link set xenbr0 up && udhcpc -b -q -i xenbr0 -s /etc/udhcpc.script -t 10 -T 1 -A 2 >/dev/null 2>&1 &
fi
echo "XEN-DOM0: $XENSTORED $(cat /run/xen/xenstored.pid 2>/dev/null), xenconsoled $(cat /run/xen/xenconsoled.pid 2>/dev/null)"

echo "DOMUS-GUEST-READY $(cat /proc/uptime)"
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

# Root-owned entries with fixed times; padded so the kernel finds the archive at a 4-byte boundary.
find "$STAGE" -mindepth 1 -exec touch -h -d @0 {} +
cp "$BASE" "$OUT.tmp"
pad=$(( (4 - $(stat -c %s "$OUT.tmp") % 4) % 4 ))
head -c "$pad" /dev/zero >> "$OUT.tmp"
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9n >> "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$XENSTORED" > "$OUT.xenstored"
echo "xen-dom0: $OUT: $(stat -c %s "$OUT") bytes (the base's $(stat -c %s "$BASE") + Xen's tools, $XENSTORED)" >&2
