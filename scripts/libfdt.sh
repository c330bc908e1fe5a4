#!/bin/bash
# SPDX-License-Identifier: MIT
# Debian's libfdt for arm64 (libfdt-dev:arm64), for the dom0 tools to link statically:
#   scripts/libfdt.sh OUTDIR    ->  OUTDIR/include/{libfdt.h,fdt.h,libfdt_env.h}, OUTDIR/libfdt.a
# The .deb is downloaded into the same cache as the guest's packages and unpacked there, not
# installed: libfdt-dev is not Multi-Arch, so installing the arm64 one would remove a host one.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
OUT=$1
SELF=$(readlink -f "$0")
DEBS_WHO=libfdt
. "$(dirname "$SELF")/arm64-debs.sh"
mkdir -p "$OUT/include"

VER=$(apt-cache show --no-all-versions libfdt-dev:arm64 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
ROOT=$(extract "$(fetch libfdt-dev "$VER")")
LIB=$ROOT/usr/lib/aarch64-linux-gnu/libfdt.a
if [ ! -s "$LIB" ] || [ ! -s "$ROOT/usr/include/libfdt.h" ]; then
	echo "libfdt: $(basename "$ROOT") has no libfdt.a or libfdt.h" >&2
	exit 1
fi
cp "$ROOT"/usr/include/{libfdt.h,fdt.h,libfdt_env.h} "$OUT/include/"
cp "$LIB" "$OUT/libfdt.a"
echo "libfdt: $(basename "$ROOT") in $OUT" >&2
