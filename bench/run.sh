#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Domus vs native Linux vs Xen 4.17 on the same QEMU, in one interleaved run (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${DOMUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/domus}
# Not under $cache/root: guest/build.sh prunes what it finds there (any worktree's, any time).
xen_dir=$cache/xen-hypervisor-4.17-arm64
if [ ! -f "$xen_dir/boot/xen-4.17-arm64" ]; then
	echo "bench: fetching Debian's xen-hypervisor-4.17-arm64 (the Xen 4.17 we compare with) into $cache"
	mkdir -p "$cache/debs" "$xen_dir"
	(cd "$cache/debs" && apt-get download -q xen-hypervisor-4.17-arm64:arm64)
	dpkg-deb -x "$(ls -t "$cache"/debs/xen-hypervisor-4.17-arm64_*_arm64.deb | head -1)" "$xen_dir"
fi
if ! command -v gnuplot >/dev/null; then
	echo "bench: installing gnuplot-nox to draw build/bench/results.png"
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q gnuplot-nox >/dev/null
fi
# The micro-benchmark guest is not part of `make all`: build it here (a no-op when up to date).
make -s build/bench/microbench.img
# --against REV: one more setup, Domus built at commit REV (in a scratch worktree), for an A/B of
# two commits in one interleaved run; everything but the hypervisor image is this tree's.
args=()
while [ $# -gt 0 ]; do
	if [ "$1" = --against ]; then
		rev=$(git rev-parse --short "$2^{commit}"); shift 2
		img=$cache/bench-domus-$rev.img
		if [ ! -f "$img" ]; then
			wt=$(mktemp -d /tmp/domus-against-XXXXXX)
			echo "bench: building Domus at $rev in $wt"
			git worktree add -q --detach "$wt" "$rev"
			make -s -C "$wt" build/domus.img >/dev/null
			cp "$wt/build/domus.img" "$img"
			git worktree remove --force "$wt"
		fi
		args+=(--domus-img "domus@$rev=$img")
	else
		args+=("$1"); shift
	fi
done
exec /usr/bin/python3 bench/bench.py --xen "$xen_dir/boot/xen-4.17-arm64" "${args[@]}"
