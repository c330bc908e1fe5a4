#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages Domus needs to build, run and test (or, with "host", only the host unit-test ones).
#
#   scripts/deps.sh         everything: cross toolchain, QEMU, guest-image tools, test runners,
#                           and the arm64 foreign architecture (to download arm64 .debs for dom0)
#   scripts/deps.sh host    only what the host unit tests need
#
# A fast no-op when everything is present: it asks dpkg-query and does not touch the network.
set -euo pipefail

mode=${1:-all}
export DEBIAN_FRONTEND=noninteractive

case $mode in
host)
	pkgs=(gcc libc6-dev libcmocka-dev device-tree-compiler clang libclang-rt-dev)
	need_arm64=0
	;;
all)
	pkgs=(gcc libc6-dev make qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
	      device-tree-compiler libcmocka-dev clang libclang-rt-dev python3-pytest python3-pexpect
	      cpio gzip xz-utils file kmod)
	need_arm64=1
	;;
*)
	echo "usage: $0 [host]" >&2
	exit 2
	;;
esac

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

# Packages whose dpkg status is not "installed".
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

updated=0
apt_update() {
	if [ $updated -eq 0 ]; then
		$SUDO apt-get update -q
		updated=1
	fi
}

if [ $need_arm64 -eq 1 ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		echo "deps: adding the arm64 foreign architecture (guest/build.sh downloads Debian's arm64 kernel and busybox)"
		$SUDO dpkg --add-architecture arm64
		apt_update
	elif ! compgen -G '/var/lib/apt/lists/*_binary-arm64_Packages*' >/dev/null; then
		echo "deps: arm64 package lists are missing; running apt-get update (guest/build.sh downloads arm64 .debs)"
		apt_update
	fi
fi

if [ ${#missing[@]} -gt 0 ]; then
	why="to build, boot and test Domus"
	[ "$mode" = host ] && why="for the host unit tests"
	echo "deps: installing ${missing[*]} ($why)"
	apt_update
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
