#!/bin/sh
# Instructions per inference of the q8 runtime on the emulated Cortex-M4 (QEMU mps2-an386):
# builds m4run with BLOB linked into flash, runs every image of IMAGES under -icount (run_qemu.sh)
# and prints one line
#     m4 instructions_per_inference=N
# where N is the mean over the images, rounded, of the instructions executed by q8_run (counted
# exactly with the board's timers in virtual time, see insn_counter.h). The firmware's own report
# goes to standard error.
#
#   count_instructions.sh BLOB IMAGES
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 BLOB IMAGES" >&2
    exit 64
fi
here=$(cd "$(dirname "$0")" && pwd)
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
blob=$(absolute "$1")
images=$(absolute "$2")
build="$here/build/count"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make -s -C "$here" BUILD="$build" BLOB="$blob" "$build/m4run.elf" >&2
status=0
"$here/run_qemu.sh" "$build/m4run.elf" "$images" "$work/logits" >"$work/console" || status=$?
cat "$work/console" >&2
if [ "$status" -ne 0 ]; then
    echo "count_instructions: m4run failed (exit status $status)" >&2
    exit 1
fi
count=$(sed -n 's/^m4run: .*instructions_per_inference=\([0-9][0-9]*\).*$/\1/p' "$work/console")
if [ -z "$count" ]; then
    echo "count_instructions: m4run printed no instruction count" >&2
    exit 1
fi
echo "m4 instructions_per_inference=$count"
