#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots Domus with dom0 in QEMU (or, with NATIVE=1, the same guest kernel alone) on this terminal.
#
# Environment:
#   SMP=2               physical CPUs of the QEMU machine
#   MEM=2048            its RAM in MiB
#   CPU=cortex-a57      QEMU CPU model (e.g. max)
#   DOM0_MEM=512M       dom0's memory (Domus's dom0_mem=)
#   DOMUS_ARGS=         more Domus command-line options (e.g. dom0_max_vcpus=4)
#   DOM0_ARGS=          more dom0 kernel options (after console=hvc0; natively console=ttyAMA0)
#   NATIVE=1            boot build/guest/vmlinuz + initrd.img without Domus (no virtualization=on)
#   KERNEL=build/guest/vmlinuz   dom0 kernel (build/guest/Image.gz: a gzip'ed one)
#   DISK=build/disk.img raw disk for the virtio-blk device (a 64 MiB one is made if missing)
#   QEMU_ECHR=0x14      QEMU's escape key (Ctrl-t): leaves Ctrl-a to Domus's console
#   EXTRA_QEMU_ARGS=    appended to QEMU's command line
#   DOM0LESS=FILE       guests started at boot, described as scripts/dom0less.sh says (with or
#                       without dom0: its DOM0_KERNEL decides, and KERNEL is then not used)
#
# Keys: QEMU -nographic multiplexes its monitor and the serial port on this terminal and by
# default takes Ctrl-a as its escape key, so three Ctrl-a (Domus's console switch, as Xen's)
# would reach the machine as one. QEMU_ECHR moves QEMU's escape to Ctrl-t: Ctrl-t x quits
# QEMU, Ctrl-t c toggles its monitor, Ctrl-t h lists the rest, Ctrl-t Ctrl-t sends Ctrl-t.
# shellcheck disable=SC2054 # commas inside array elements are QEMU's option syntax
set -euo pipefail

cd "$(dirname "$0")/.."
B=build
SMP=${SMP:-2}
MEM=${MEM:-2048}
CPU=${CPU:-cortex-a57}
DOM0_MEM=${DOM0_MEM:-512M}
DOMUS_ARGS=${DOMUS_ARGS:-}
DOM0_ARGS=${DOM0_ARGS:-}
DOM0LESS=${DOM0LESS:-}
NATIVE=${NATIVE:-0}
KERNEL=${KERNEL:-$B/guest/vmlinuz}
INITRD=$B/guest/initrd.img
DISK=${DISK:-$B/disk.img}
QEMU_ECHR=${QEMU_ECHR:-0x14}
EXTRA_QEMU_ARGS=${EXTRA_QEMU_ARGS:-}

need=("$KERNEL" "$INITRD")
[ "$NATIVE" = 1 ] || need+=("$B/domus.img")
for f in "${need[@]}"; do
	if [ ! -f "$f" ]; then
		echo "run: $f is missing: run 'make' and 'make guest' first" >&2
		exit 1
	fi
done
if [ ! -f "$DISK" ]; then
	mkdir -p "$(dirname "$DISK")"
	truncate -s 64M "$DISK"
	echo "run: created an empty 64 MiB disk image $DISK (dom0's /dev/vda)"
fi

# A value inside a QEMU option list: commas are doubled.
opt() { printf '%s' "${1//,/,,}"; }

args=(-cpu "$CPU" -smp "$SMP" -m "$MEM" -nographic -echr "$QEMU_ECHR"
      -netdev user,id=n0,restrict=on -device virtio-net-device,netdev=n0
      -drive "if=none,id=d0,format=raw,file=$(opt "$DISK")" -device virtio-blk-device,drive=d0)
if [ -n "$DOM0LESS" ]; then
	mapfile -t boot < <(SMP=$SMP MEM=$MEM CPU=$CPU bash scripts/dom0less.sh --args "$DOM0LESS")
	[ ${#boot[@]} -gt 0 ] || exit 1
	args=(-M virt,gic-version=3,virtualization=on "${args[@]}"
	      -kernel "$B/domus.img" -append "dom0_mem=$DOM0_MEM $DOMUS_ARGS" "${boot[@]}")
	what="Domus with the boot-time guests of $DOM0LESS"
elif [ "$NATIVE" = 1 ]; then
	args=(-M virt,gic-version=3 "${args[@]}"
	      -kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyAMA0 $DOM0_ARGS")
	what="the guest kernel natively (no Domus)"
else
	args=(-M virt,gic-version=3,virtualization=on "${args[@]}"
	      -kernel "$B/domus.img" -append "dom0_mem=$DOM0_MEM $DOMUS_ARGS"
	      -device "guest-loader,addr=0x49000000,kernel=$(opt "$KERNEL"),bootargs=$(opt "console=hvc0 $DOM0_ARGS")"
	      -device "guest-loader,addr=0x50000000,initrd=$(opt "$INITRD")")
	what="Domus + dom0"
fi
# shellcheck disable=SC2206 # EXTRA_QEMU_ARGS is split on spaces on purpose
args+=($EXTRA_QEMU_ARGS)

keyname=$(awk -v k=$((QEMU_ECHR)) 'BEGIN { if (k >= 1 && k <= 26) printf "Ctrl-%c", k + 96; else printf "char %d", k }')
echo "run: booting $what. Leave: 'poweroff' in dom0's shell, or $keyname x to kill QEMU ($keyname c: QEMU monitor)."
[ "$NATIVE" = 1 ] || echo "run: Domus console: press Ctrl-a three times to move the input on: dom0, Domus, each guest's UART."
exec qemu-system-aarch64 "${args[@]}"
