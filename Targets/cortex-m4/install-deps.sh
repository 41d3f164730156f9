#!/bin/sh
# Installs the Debian packages the Cortex-M4 port needs, and only those that are missing:
#   gcc-arm-none-eabi        arm-none-eabi-gcc, binutils (nm, objdump, size)
#   libnewlib-arm-none-eabi  newlib's libc.a (memcpy/memset only are linked) for the thumb/v7e-m/nofp multilib
#   qemu-system-arm          the mps2-an386 board model (Cortex-M4)
#   make                     drives the build (Makefile)
# Runs as root, or through sudo when that is available. Safe to call repeatedly.
set -eu

missing=""
for package in gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm make; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm and make are installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "install-deps: need root (or sudo) to install:$missing" >&2
    exit 1
fi

echo "install-deps: installing$missing"
$as_root apt-get update
# shellcheck disable=SC2086 # the package list is meant to be split into words
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing
