# SPDX-License-Identifier: MIT
# Arm64 Debian packages in the download cache, for guest/build.sh and scripts/arm64-dev-lib.sh (sourced).
#   fetch PKG VERSION   prints the path of PKG's arm64 .deb in $DEBS, downloading it unless cached;
#                       offline (no VERSION: apt knows no candidate), the newest cached .deb of PKG
#   extract DEB         prints the directory under $ROOTS that DEB is unpacked in (dpkg-deb -x)
# It sets CACHE (DOMUS_CACHE, or ~/.cache/domus), DEBS and ROOTS under it, and makes them; the
# caller sets DEBS_WHO (the name its messages begin with) first.

CACHE=${DOMUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/domus}
DEBS=$CACHE/debs
ROOTS=$CACHE/root
mkdir -p "$DEBS" "$ROOTS"

# apt-get download drops privileges to _apt, who may not be able to write to $DEBS.
APT_OPTS=()
[ "$(id -u)" -eq 0 ] && APT_OPTS=(-o APT::Sandbox::User=root)

# deb_file PKG VERSION: the file name apt-get download gives it.
deb_file() {
	local ver=${2//:/%3a}
	echo "$DEBS/${1%:arm64}_${ver}_arm64.deb"
}

# fetch PKG VERSION: prints the path of PKG's arm64 .deb, downloading it unless cached.
# Offline (no VERSION: apt knows no candidate), falls back to the newest cached .deb of PKG.
fetch() {
	local pkg=$1 ver=$2 f
	if [ -z "$ver" ]; then
		f=$(ls -v "$DEBS/${pkg}"_*_arm64.deb 2>/dev/null | tail -n 1 || true)
		if [ -n "$f" ]; then
			echo "$DEBS_WHO: apt knows no $pkg:arm64 (no arm64 package lists?); using cached $(basename "$f")" >&2
			echo "$f"
			return
		fi
		echo "$DEBS_WHO: cannot find $pkg:arm64 in apt's lists: run 'bash scripts/deps.sh' (adds arm64, apt-get update)" >&2
		exit 1
	fi
	f=$(deb_file "$pkg" "$ver")
	if [ ! -s "$f" ]; then
		echo "$DEBS_WHO: downloading $pkg:arm64 $ver from Debian into $DEBS" >&2
		if ! (cd "$DEBS" && apt-get "${APT_OPTS[@]}" -q download "$pkg:arm64=$ver" >&2) || [ ! -s "$f" ]; then
			# Stale package lists name a version the archive no longer has, or no network.
			local old
			old=$(ls -v "$DEBS/${pkg}"_*_arm64.deb 2>/dev/null | tail -n 1 || true)
			if [ -z "$old" ]; then
				echo "$DEBS_WHO: cannot download $pkg:arm64 $ver: try 'apt-get update'" >&2
				exit 1
			fi
			echo "$DEBS_WHO: cannot download $pkg:arm64 $ver; using cached $(basename "$old")" >&2
			f=$old
		fi
	fi
	echo "$f"
}

# extract DEB: prints the directory DEB is extracted to (dpkg-deb -x), extracting unless done.
extract() {
	local deb=$1 dir
	dir=$ROOTS/$(basename "$deb" .deb)
	if [ ! -e "$dir/.extracted" ] || [ "$deb" -nt "$dir/.extracted" ]; then
		echo "$DEBS_WHO: extracting $(basename "$deb")" >&2
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir"
		touch "$dir/.extracted"
	fi
	echo "$dir"
}

