#!/usr/bin/env bash
# The project's test command (README.md):
#  1. Swift tests in release mode (the end-to-end accuracy and Swift-vs-C parity checks are heavy);
#  2. the C runtime's own tests (gcc and clang, ASan/UBSan, fuzzed blobs);
#  3. on the emulated Cortex-M4 (when arm-none-eabi-gcc and qemu-system-arm are installed:
#     Targets/cortex-m4/install-deps.sh): no soft-float helper in the runtime objects, and the
#     shipped model, quantized by the main command, gives the host's exact logits on 16 images.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release
swift test -c release -Xswiftc -enable-testing
make -C Targets test
if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then
    make -C Targets/cortex-m4 check-float
    out=.build/ci-default-model
    .build/release/quantize v3small --calib Calibration/ --eval-limit 1000 --out "$out" --quiet
    python3 -c "import gzip,sys; d=gzip.open('Evaluation/fashion-mnist/t10k-images-idx3-ubyte.gz').read(); sys.stdout.buffer.write(d[16:16+16*784])" > "$out/images16.raw"
    make -C Targets/cortex-m4 check BLOB="$PWD/$out/model.q8" IMAGES="$PWD/$out/images16.raw"
else
    echo "Cortex-M4 checks skipped: arm-none-eabi-gcc or qemu-system-arm missing (Targets/cortex-m4/install-deps.sh)" >&2
    exit 1
fi
