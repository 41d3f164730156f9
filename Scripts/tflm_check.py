#!/usr/bin/env python3
"""TensorFlow Lite Micro as the oracle of the .tflite files the toolkit writes and reads.

    python3 Scripts/tflm_check.py DIR [DIR ...] [--q8run Targets/build/q8run] [--jobs N] [--limit N]

Each DIR holds one model's check, written by the Swift tests (ExportTests/TFLiteParityTests):
  model.tflite   the file TFLM runs
  inputs.raw     N int8 input tensors, exactly what the model's input tensor receives
  logits.raw     N x classes int8 logits of the Swift engine (IntEngine) on those inputs
  model.q8       (optional) the blob; with --q8run the C runtime's host runner runs it too, on
                 the inputs as uint8 pixels (int8 + 128: the blob's input is pixel - 128), or as
                 they are when info.json says "input_is_pixels": false (a model imported from a
                 .tflite: q8run reads its file as the int8 input tensors)
  info.json      name, images, our arena bytes (the memory plan of the blob), input_is_pixels

For every DIR the script runs the .tflite in TFLM's reference interpreter (the `tflite-micro`
Python package: numpy + tflite_micro.python.tflite_micro.runtime) on every input and compares
its int8 output with logits.raw (and q8run's output) byte for byte; it reports TFLM's own arena
figure (RecordingMicroAllocator: total = planned activations + persistent structures) beside ours.
A model using RELU_0_TO_1 (the TFLite converter's hard-sigmoid; TFLM has no kernel for it) runs
as a copy with RELU in its place: on the converter's grids (zero point -128 on the output) the
two are identical. Exit status 1 when any byte differs or any step fails.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np


def relu0to1_as_relu(data):
    """The model with every RELU_0_TO_1 operator code (152) turned into RELU (19); None if it has none."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema
    model = schema.ModelT.InitFromPackedBuf(data, 0)
    changed = False
    for code in model.operatorCodes:
        if max(code.builtinCode, code.deprecatedBuiltinCode) == 152:
            code.builtinCode = 19
            code.deprecatedBuiltinCode = 19
            code.version = 1
            changed = True
    if not changed:
        return None
    builder = flatbuffers.Builder(len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def arena_figures(interpreter):
    """TFLM's RecordingMicroAllocator figures (printed by the C++ side on stderr): total, head, tail."""
    figures = {}
    with tempfile.TemporaryFile(mode="w+b") as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            interpreter.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        for line in capture.read().decode("utf-8", "replace").splitlines():
            for key in ("total", "head", "tail"):
                marker = "Arena allocation %s " % key
                if marker in line:
                    figures[key] = int(line.split(marker)[1].split()[0])
    return figures


def check(folder, q8run=None, limit=None):
    from tflite_micro.python.tflite_micro import runtime
    info = json.load(open(os.path.join(folder, "info.json")))
    data = open(os.path.join(folder, "model.tflite"), "rb").read()
    note = ""
    replaced = relu0to1_as_relu(data)
    if replaced is not None:
        data = replaced
        note = "RELU_0_TO_1 run as RELU"
    interpreter = runtime.Interpreter.from_bytes(data)
    inp = interpreter.get_input_details(0)
    shape = tuple(int(d) for d in inp["shape"])
    size = int(np.prod(shape))
    inputs = np.fromfile(os.path.join(folder, "inputs.raw"), dtype=np.int8)
    expected = np.fromfile(os.path.join(folder, "logits.raw"), dtype=np.int8)
    if inputs.size % size != 0:
        raise SystemExit("%s: inputs.raw holds %d bytes, not a whole number of %s inputs" % (folder, inputs.size, shape))
    n = inputs.size // size
    if expected.size % n != 0:
        raise SystemExit("%s: logits.raw holds %d bytes for %d images" % (folder, expected.size, n))
    classes = expected.size // n
    if limit is not None and limit < n:  # the first `limit` images only
        inputs, expected, n = inputs[:limit * size], expected[:limit * classes], limit
    outputs = []
    for i in range(n):
        interpreter.set_input(inputs[i * size:(i + 1) * size].reshape(shape), 0)
        interpreter.invoke()
        outputs.append(np.asarray(interpreter.get_output(0), dtype=np.int8).reshape(-1))
    tflm = np.concatenate(outputs)
    result = {
        "name": info.get("name", os.path.basename(folder)), "folder": folder, "images": n, "classes": classes,
        "tflm_size": tflm.size, "differing_vs_swift": int(np.count_nonzero(tflm != expected)) if tflm.size == expected.size else -1,
        "arena_ours": info.get("arena"), "tflm_arena": arena_figures(interpreter), "note": note,
    }
    blob = os.path.join(folder, "model.q8")
    if q8run and os.path.exists(blob):
        with tempfile.TemporaryDirectory() as tmp:
            pixels = os.path.join(tmp, "pixels.raw")
            if info.get("input_is_pixels", True):
                (inputs.view(np.uint8) ^ 0x80).tofile(pixels)
            else:
                inputs.tofile(pixels)
            out = os.path.join(tmp, "out.raw")
            subprocess.run([q8run, blob, pixels, out], check=True, stderr=subprocess.DEVNULL)
            c = np.fromfile(out, dtype=np.int8)
            result["differing_vs_q8run"] = int(np.count_nonzero(c != tflm)) if c.size == tflm.size else -1
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--q8run", help="the host runner (Targets/build/q8run) to compare as well")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--limit", type=int, help="only the first N images of each folder (CI runs all)")
    args = parser.parse_args()
    failed = False
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(check, f, args.q8run, args.limit) for f in args.folders]
        print("| model | images | logit bytes | differing vs Swift | differing vs q8run | TFLM arena (head + tail) | our arena |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for f in futures:
            r = f.result()
            a = r["tflm_arena"]
            vs_c = r.get("differing_vs_q8run", "—")
            bad = r["differing_vs_swift"] != 0 or (vs_c not in ("—", 0))
            failed |= bad
            print("| %s | %d | %d | %s | %s | %s (%s + %s) | %s |%s%s" % (
                r["name"], r["images"], r["tflm_size"], r["differing_vs_swift"], vs_c, a.get("total", "?"),
                a.get("head", "?"), a.get("tail", "?"), r["arena_ours"], " FAIL" if bad else "",
                (" (" + r["note"] + ")") if r["note"] else ""))
    if failed:
        print("FAIL: TFLM's logits differ", file=sys.stderr)
        return 1
    print("ok: TFLM reproduces every logit byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
