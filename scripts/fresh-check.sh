#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Proves that the README's two commands work the first time on a new machine: builds a minimal
# Debian 12 root with debootstrap, adds only git and make, puts a clean clone of HEAD in it and
# runs there, as root in a chroot, exactly what the README says.
#
#   scripts/fresh-check.sh [test|run|both]      (make fresh-check: both)
#
#   test   `make test` in a fresh root; its exit status is the check's.
#   run    `make run` in another fresh root, driven through a terminal: dom0's shell must come
#          up and answer, then `poweroff` must end QEMU.
#
# Nothing of this machine's packages or caches goes inside: the root comes from Debian's
# archive, the clone holds only what is committed (commit first), and the downloads that
# `make` caches land in the root's own ~/.cache. The roots stay in $FRESH_DIR for a look
# afterwards (each run starts by removing the previous one). Needs root (chroot, bind mounts)
# and Debian's archive; takes some 20 minutes. A developer tool, not part of CI.
#
# Environment:
#   FRESH_DIR=/var/tmp/domus-fresh     where the roots go (some 3 GB)
#   FRESH_MIRROR=http://deb.debian.org/debian
#   FRESH_SECURITY=http://deb.debian.org/debian-security
set -euo pipefail

what=${1:-both}
case $what in test|run|both) ;; *) echo "usage: $0 [test|run|both]" >&2; exit 2 ;; esac

SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=${FRESH_DIR:-/var/tmp/domus-fresh}
MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
SECURITY=${FRESH_SECURITY:-http://deb.debian.org/debian-security}
SUITE=bookworm

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
say() { echo "fresh-check: $*"; }

if ! command -v debootstrap >/dev/null && ! [ -x /usr/sbin/debootstrap ]; then
	say "installing debootstrap (to build a minimal Debian 12 root)"
	$SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends debootstrap
fi
if [ "$what" != test ] && ! /usr/bin/python3 -c 'import pexpect' 2>/dev/null; then
	say "installing python3-pexpect (drives make run's terminal from outside the root)"
	$SUDO apt-get install -y -q --no-install-recommends python3-pexpect
fi
if [ -n "$(git -C "$SRC" status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes are not checked, only HEAD ($(git -C "$SRC" rev-parse --short HEAD))"
fi

# The bind mounts of every root under $DIR, deepest first.
unmount_all() {
	local m
	for m in $(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		$SUDO umount -l "$m" 2>/dev/null || true
	done
}
trap unmount_all EXIT

unmount_all
$SUDO rm -rf "$DIR"
mkdir -p "$DIR"

# One debootstrap, kept as a tarball, gives each check a root of its own.
BASE=$DIR/base
say "debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes)"
$SUDO debootstrap --variant=minbase "$SUITE" "$BASE" "$MIRROR" > "$DIR/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$DIR/debootstrap.log"; say "debootstrap failed"; exit 1; }
# As a new Debian 12 install has it: the updates and security suites too.
$SUDO tee "$BASE/etc/apt/sources.list" >/dev/null <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
$SUDO cp /etc/resolv.conf "$BASE/etc/resolv.conf"
say "adding git and make, and nothing else"
$SUDO chroot "$BASE" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
	sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends git make' \
	> "$DIR/base-packages.log" 2>&1 ||
	{ tail -n 20 "$DIR/base-packages.log"; say "installing git and make failed"; exit 1; }
$SUDO rm -rf "$BASE/var/cache/apt/archives/"*.deb
$SUDO tar -C "$BASE" -czf "$DIR/base.tar.gz" .
$SUDO rm -rf "$BASE"

# new_root NAME: a root of its own from the tarball, with the clone in /root/domus and the
# kernel's file systems bound in; prints its path.
new_root() {
	local root=$DIR/$1
	mkdir -p "$root"
	$SUDO tar -C "$root" -xzf "$DIR/base.tar.gz"
	$SUDO git clone -q --no-hardlinks "$SRC" "$root/root/domus"
	for fs in proc sys dev dev/pts; do
		$SUDO mount --bind "/$fs" "$root/$fs"
	done
	echo "$root"
}

# in_root ROOT CMD: runs CMD as root's login would, in the clone, with nothing of our environment.
in_root() {
	$SUDO chroot "$1" /usr/bin/env -i HOME=/root TERM=xterm LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd /root/domus && $2"
}

rc=0
if [ "$what" != run ]; then
	root=$(new_root test)
	say "make test in $root (log: $DIR/make-test.log)"
	start=$(date +%s)
	if in_root "$root" "make test" > "$DIR/make-test.log" 2>&1; then
		say "make test passed the first time ($(( $(date +%s) - start )) s); its last lines:"
	else
		say "make test FAILED the first time ($(( $(date +%s) - start )) s); its last lines:"
		rc=1
	fi
	tail -n 15 "$DIR/make-test.log" | sed 's/^/  | /'
fi

if [ "$what" != test ]; then
	root=$(new_root run)
	say "make run in $root, driven through a terminal (log: $DIR/make-run.log)"
	if /usr/bin/python3 - "$root" "$DIR/make-run.log" "$SUDO" <<'EOF'; then
import sys, pexpect
root, log, sudo = sys.argv[1:4]
cmd = (f"{sudo} chroot {root} /usr/bin/env -i HOME=/root TERM=xterm LANG=C.UTF-8 "
       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
       "/bin/bash -c 'cd /root/domus && make run'").strip()
with open(log, "w", buffering=1) as f:  # line by line: the log shows where it waits
    c = pexpect.spawn("/bin/sh", ["-c", cmd], encoding="utf-8", codec_errors="replace",
                      logfile=f, timeout=1800, dimensions=(50, 200))
    c.expect(r"~ # ")                  # installs, builds, boots: dom0's shell
    c.sendline("cat /sys/hypervisor/type; domus list")
    c.expect(r"\nxen\r*\n")              # the console ends lines with \r\r\n
    c.expect(r"Domain-0|dom0")
    c.expect(r"~ # ", timeout=60)
    c.sendline("poweroff")
    c.expect(pexpect.EOF, timeout=120)
    c.close()
    sys.exit(c.exitstatus or 0)
EOF
		say "make run booted to dom0's shell, answered and powered off"
	else
		say "make run FAILED; its last lines:"
		rc=1
	fi
	tail -n 8 "$DIR/make-run.log" | tr -d '\r' | sed 's/^/  | /'
fi
exit $rc
