#!/bin/sh
# Runs the m4run firmware on QEMU's mps2-an386 (Cortex-M4) with semihosting and deterministic
# instruction counting (-icount shift=7: every instruction takes 128 ns of virtual time, which
# insn_counter.c relies on).
#
#   run_qemu.sh M4RUN_ELF IMAGES OUT
#
# IMAGES: raw uint8 HWC images back to back (the model's input size each); OUT: the int8 logits
# are written there, one vector per image. The firmware's console (semihosting, which QEMU writes
# to stderr) is sent to standard output. Exit status: the firmware's (0 = every image ran).
# Paths may not contain spaces or commas (they travel on the semihosting command line).
# M4_TIMEOUT (seconds, default 1800) bounds the emulation.
set -eu

if [ "$#" -ne 3 ]; then
    echo "usage: $0 M4RUN_ELF IMAGES OUT" >&2
    exit 64
fi
elf=$1
images=$2
out=$3
for path in "$elf" "$images" "$out"; do
    case "$path" in
    *[\ ,]*)
        echo "run_qemu: path may not contain spaces or commas: $path" >&2
        exit 64
        ;;
    esac
done
if [ ! -f "$elf" ]; then
    echo "run_qemu: no firmware at $elf" >&2
    exit 66
fi
if [ ! -f "$images" ]; then
    echo "run_qemu: no image file at $images" >&2
    exit 66
fi
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

exec 2>&1
exec timeout "${M4_TIMEOUT:-1800}" qemu-system-arm -M mps2-an386 \
    -display none -monitor none -serial none \
    -icount shift=7 \
    -semihosting-config "enable=on,target=native,arg=m4run,arg=$(absolute "$images"),arg=$(absolute "$out")" \
    -kernel "$elf" </dev/null
