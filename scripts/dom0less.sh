#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guests started at boot (dom0less), without hand-editing a device tree: as Xen users do with
# ImageBuilder, a short description becomes QEMU's device tree (its own, dumped, with Xen
# 4.17's "xen,domain" nodes added under /chosen) and the loader devices that put each kernel
# and ramdisk where those nodes say.
#
#   scripts/dom0less.sh DESCRIPTION          writes build/dom0less/NAME.dtb, prints the QEMU command
#   scripts/dom0less.sh --args DESCRIPTION   the same, printing only QEMU's arguments, one a line
#                                            (what `make run DOM0LESS=FILE` and the tests use)
#
# The description is a bash file that sets these (ImageBuilder's names where it has them):
#   DOM0_KERNEL=build/guest/vmlinuz     dom0's kernel; leave it empty for no dom0 at all
#   DOM0_RAMDISK=build/guest/initrd.img
#   DOM0_CMD="console=hvc0"
#   NUM_DOMUS=2
#   DOMU_NAME[0]=alpha                  the domain's name (default domU0, domU1, ...)
#   DOMU_KERNEL[0]=build/guest/Image.gz an arm64 Image, or a gzip'ed one
#   DOMU_RAMDISK[0]=build/guest/initrd-domu.img   (optional)
#   DOMU_MEM[0]=256                     MiB
#   DOMU_VCPUS[0]=1
#   DOMU_CMD[0]="console=ttyAMA0"       its kernel's command line
#   DOMU_VPL011[0]=1                    an SBSA UART (default 1)
#   DOMU_ENHANCED[0]=0                  1: Xen interfaces and XenStore from dom0 (needs dom0);
#                                       no-xenstore: Xen interfaces only; 0: none (default)
# The machine is QEMU's virt as `make run` makes it: SMP, MEM and CPU from the environment
# (defaults 2, 2048, cortex-a57); its device tree depends on them, so use the same values
# when booting.
# shellcheck disable=SC2034 # the description's variables are read indirectly
set -euo pipefail

cd "$(dirname "$0")/.."
B=build
OUT=$B/dom0less
SMP=${SMP:-2}
MEM=${MEM:-2048}
CPU=${CPU:-cortex-a57}
QEMU=${QEMU:-qemu-system-aarch64}
MODULES_AT=$((0x60000000)) # boot-time guests' modules, past dom0's (QEMU's RAM starts at 1 GiB)
DOM0_KERNEL_AT=$((0x49000000))
DOM0_RAMDISK_AT=$((0x50000000))

die() { echo "dom0less: $*" >&2; exit 1; }

args_only=0
if [ "${1:-}" = --args ]; then
	args_only=1
	shift
fi
[ $# = 1 ] || die "usage: $0 [--args] DESCRIPTION"
desc=$1
[ -f "$desc" ] || die "$desc: no such file"
command -v dtc >/dev/null || die "dtc is missing: apt-get install device-tree-compiler"

DOM0_KERNEL=
DOM0_RAMDISK=
DOM0_CMD=console=hvc0
NUM_DOMUS=0
declare -a DOMU_NAME DOMU_KERNEL DOMU_RAMDISK DOMU_MEM DOMU_VCPUS DOMU_CMD DOMU_VPL011 DOMU_ENHANCED
# shellcheck source=/dev/null
. "$desc"

is_number() { [[ $1 =~ ^[0-9]+$ ]]; }
is_number "$NUM_DOMUS" || die "$desc: NUM_DOMUS=$NUM_DOMUS is not a number"
[ "$NUM_DOMUS" -gt 0 ] || [ -n "$DOM0_KERNEL" ] || die "$desc: no dom0 and no guests (NUM_DOMUS=0)"

# A file must exist; its size in bytes.
size_of() {
	[ -f "$1" ] || die "$desc: $2: $1: no such file"
	stat -c %s "$1"
}

# A string for a DTS: quotes and backslashes escaped.
dts_string() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

# reg = <address size> in 2 + 2 cells.
dts_reg() { printf '<0x%x 0x%x 0x%x 0x%x>' $(($1 >> 32)) $(($1 & 0xffffffff)) $(($2 >> 32)) $(($2 & 0xffffffff)); }

# A value inside a QEMU option list: commas are doubled.
opt() { printf '%s' "${1//,/,,}"; }

loaders=()
load() { loaders+=(-device "loader,file=$(opt "$1"),addr=$(printf '0x%x' "$2"),force-raw=on"); }

# module_node INDENT ADDR SIZE KIND [BOOTARGS]: a node as QEMU's guest-loader writes one.
module_node() {
	printf '%smodule@0x%08x {\n' "$1" "$2"
	printf '%s\tcompatible = "multiboot,module", "multiboot,%s";\n' "$1" "$4"
	printf '%s\treg = %s;\n' "$1" "$(dts_reg "$2" "$3")"
	[ -z "${5:-}" ] || printf '%s\tbootargs = %s;\n' "$1" "$(dts_string "$5")"
	printf '%s};\n' "$1"
}

nodes=""
if [ -n "$DOM0_KERNEL" ]; then
	size=$(size_of "$DOM0_KERNEL" DOM0_KERNEL)
	nodes+=$(module_node $'\t\t' $DOM0_KERNEL_AT "$size" kernel "$DOM0_CMD")$'\n'
	load "$DOM0_KERNEL" $DOM0_KERNEL_AT
	if [ -n "$DOM0_RAMDISK" ]; then
		size=$(size_of "$DOM0_RAMDISK" DOM0_RAMDISK)
		nodes+=$(module_node $'\t\t' $DOM0_RAMDISK_AT "$size" ramdisk)$'\n'
		load "$DOM0_RAMDISK" $DOM0_RAMDISK_AT
	fi
fi

at=$MODULES_AT
align2m() { echo $((($1 + 0x1fffff) & ~0x1fffff)); }
for ((i = 0; i < NUM_DOMUS; i++)); do
	name=${DOMU_NAME[$i]:-domU$i}
	[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$ ]] ||
		die "$desc: DOMU_NAME[$i]=$name: letters, digits, - and _ only, at most 31"
	kernel=${DOMU_KERNEL[$i]:-}
	[ -n "$kernel" ] || die "$desc: DOMU_KERNEL[$i] is not set"
	mem=${DOMU_MEM[$i]:-256}
	vcpus=${DOMU_VCPUS[$i]:-1}
	is_number "$mem" && [ "$mem" -ge 4 ] || die "$desc: DOMU_MEM[$i]=$mem: MiB, at least 4"
	is_number "$vcpus" && [ "$vcpus" -ge 1 ] || die "$desc: DOMU_VCPUS[$i]=$vcpus: at least 1"
	case ${DOMU_ENHANCED[$i]:-0} in
	0) enhanced= ;;
	1) enhanced=enabled ;;
	no-xenstore) enhanced=no-xenstore ;;
	*) die "$desc: DOMU_ENHANCED[$i]=${DOMU_ENHANCED[$i]}: 0, 1 or no-xenstore" ;;
	esac
	[ "$enhanced" != enabled ] || [ -n "$DOM0_KERNEL" ] ||
		die "$desc: DOMU_ENHANCED[$i]=1 needs a dom0 (XenStore lives there): use no-xenstore"
	nodes+=$'\t\t'"$name {"$'\n'
	nodes+=$'\t\t\tcompatible = "xen,domain";\n\t\t\t#address-cells = <0x2>;\n\t\t\t#size-cells = <0x2>;\n'
	nodes+=$(printf '\t\t\tmemory = <0x0 0x%x>;\n\t\t\tcpus = <%d>;' $((mem * 1024)) "$vcpus")$'\n'
	[ "${DOMU_VPL011[$i]:-1}" = 0 ] || nodes+=$'\t\t\tvpl011;\n'
	[ -z "$enhanced" ] || nodes+=$'\t\t\txen,enhanced = "'"$enhanced"$'";\n'
	size=$(size_of "$kernel" "DOMU_KERNEL[$i]")
	nodes+=$(module_node $'\t\t\t' "$at" "$size" kernel "${DOMU_CMD[$i]:-}")$'\n'
	load "$kernel" "$at"
	at=$(align2m $((at + size)))
	if [ -n "${DOMU_RAMDISK[$i]:-}" ]; then
		size=$(size_of "${DOMU_RAMDISK[$i]}" "DOMU_RAMDISK[$i]")
		nodes+=$(module_node $'\t\t\t' "$at" "$size" ramdisk)$'\n'
		load "${DOMU_RAMDISK[$i]}" "$at"
		at=$(align2m $((at + size)))
	fi
	nodes+=$'\t\t};\n'
done
ram_end=$((0x40000000 + MEM * 1024 * 1024))
[ "$at" -le "$ram_end" ] || die "the modules end at $(printf 0x%x "$at"), past the machine's RAM (MEM=$MEM MiB)"

# QEMU's own tree for this machine, then ours added to its /chosen.
mkdir -p "$OUT"
base=$(basename "$desc")
base=${base%.*}
dtb=$OUT/$base.dtb
machine=(-M "virt,gic-version=3,virtualization=on" -cpu "$CPU" -smp "$SMP" -m "$MEM")
"$QEMU" "${machine[@]}" -machine "dumpdtb=$OUT/$base.qemu.dtb" -nic none -nographic >/dev/null 2>&1 ||
	die "$QEMU could not dump its device tree for ${machine[*]}"
{
	dtc -q -I dtb -O dts "$OUT/$base.qemu.dtb"
	printf '\n/ {\n\tchosen {\n%s\t};\n};\n' "$nodes"
} >"$OUT/$base.dts"
dtc -q -I dts -O dtb -o "$dtb" "$OUT/$base.dts" || die "dtc refused $OUT/$base.dts"

args=(-dtb "$dtb" "${loaders[@]}")
if [ "$args_only" = 1 ]; then
	printf '%s\n' "${args[@]}"
else
	echo "dom0less: wrote $dtb: $NUM_DOMUS boot-time guest(s), $([ -n "$DOM0_KERNEL" ] && echo with || echo no) dom0" >&2
	printf '%q ' "$QEMU" "${machine[@]}" -nographic -echr 0x14 -kernel "$B/domus.img" \
		-append "${DOMUS_ARGS:-}" "${args[@]}"
	echo
fi
