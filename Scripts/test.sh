#!/usr/bin/env bash
# The project's test command (README.md): Swift tests in release mode (the end-to-end accuracy
# and parity checks are heavy), then the C runtime's own tests (gcc and clang, ASan/UBSan) and
# the emulated Cortex-M4 parity check when its toolchain is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release
swift test -c release -Xswiftc -enable-testing
if [ -f Targets/Makefile ]; then make -C Targets test; fi
if [ -f Targets/cortex-m4/Makefile ] && command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then
    make -C Targets/cortex-m4 check
fi
