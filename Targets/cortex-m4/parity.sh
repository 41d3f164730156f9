#!/bin/sh
# Host-vs-Cortex-M4 parity: runs IMAGES through BLOB on the emulated Cortex-M4 (m4run under QEMU)
# and checks that the int8 logits are byte-for-byte those of the host. The host logits are
# EXPECTED when given, else they are computed here by Targets/host/q8run.c built with the host's
# C compiler (CC, default cc).
#
#   parity.sh BLOB IMAGES [EXPECTED]
#
# Prints the firmware's report and one verdict line; exit status 0 only when the bytes match.
set -eu

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
    echo "usage: $0 BLOB IMAGES [EXPECTED]" >&2
    exit 64
fi
here=$(cd "$(dirname "$0")" && pwd)
build="$here/build/parity"
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
blob=$(absolute "$1")
images=$(absolute "$2")
mkdir -p "$build"

if [ "$#" -eq 3 ]; then
    expected=$(absolute "$3")
else
    expected="$build/host.logits"
    ${CC:-cc} -O2 -std=c99 -Wall -Wextra -Werror -I"$here/../runtime/include" \
        "$here/../host/q8run.c" "$here"/../runtime/src/*.c -o "$build/host-q8run"
    "$build/host-q8run" "$blob" "$images" "$expected"
fi

make -s -C "$here" BUILD="$build" BLOB="$blob" "$build/m4run.elf" >/dev/null
"$here/run_qemu.sh" "$build/m4run.elf" "$images" "$build/m4.logits"
if cmp "$build/m4.logits" "$expected"; then
    echo "m4 parity: identical logits ($(wc -c <"$expected") bytes) on the Cortex-M4 and the host"
else
    echo "m4 parity: the Cortex-M4 logits differ from the host's ($expected)" >&2
    exit 1
fi
