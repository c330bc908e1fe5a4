#!/bin/bash
# SPDX-License-Identifier: MIT
# A Debian arm64 library's headers and static archive, for the dom0 tools to link statically:
#   scripts/arm64-dev-lib.sh PKG ARCHIVE OUTDIR HEADER...
#     -> OUTDIR/ARCHIVE and OUTDIR/include/HEADER...
# e.g. scripts/arm64-dev-lib.sh zlib1g-dev libz.a build/zlib zlib.h zconf.h
# The .deb is downloaded into the same cache as the guest's packages and unpacked there, not
# installed: some (libfdt-dev) are not Multi-Arch, so installing the arm64 one would remove a
# host one.
set -euo pipefail

if [ $# -lt 4 ]; then
	echo "usage: $0 PKG ARCHIVE OUTDIR HEADER..." >&2
	exit 2
fi
PKG=$1 ARCHIVE=$2 OUT=$3
shift 3
SELF=$(readlink -f "$0")
DEBS_WHO=$PKG
. "$(dirname "$SELF")/arm64-debs.sh"
mkdir -p "$OUT/include"

VER=$(apt-cache show --no-all-versions "$PKG:arm64" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
ROOT=$(extract "$(fetch "$PKG" "$VER")")
LIB=$ROOT/usr/lib/aarch64-linux-gnu/$ARCHIVE
for f in "$LIB" "${@/#/$ROOT/usr/include/}"; do
	if [ ! -s "$f" ]; then
		echo "$PKG: $(basename "$ROOT") has no ${f#"$ROOT"/}" >&2
		exit 1
	fi
done
cp "${@/#/$ROOT/usr/include/}" "$OUT/include/"
cp "$LIB" "$OUT/$ARCHIVE"
echo "$PKG: $(basename "$ROOT") in $OUT" >&2
