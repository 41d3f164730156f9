#!/usr/bin/env python3
"""Writes a copy of a float model whose weights differ from the original in the last bits only,
the way two exporters' batch-norm folds differ (measured on the shared ONNX files: every channel's
folded scale within +-2 float32 ulps of a float32 fold of the checkpoint).

    python3 Benchmarks/ulp_noise.py IN.safetensors OUT.safetensors SEED   # BN running_var +-2 ulps
    python3 Benchmarks/ulp_noise.py IN.onnx OUT.onnx SEED                 # Conv/Gemm weight rows x (1 + d*2^-23), |d| <= 2

Quantizing the original and such copies gives the spread of int8 top-1 / agreement that last-bit
float differences alone cause: the noise floor of an ONNX-vs-checkpoint comparison (README).
numpy (and onnx for .onnx) only; a benchmark input generator, not part of the product.
"""
import json, struct, sys
import numpy as np

def perturb_safetensors(src, dst, rng):
    raw = bytearray(open(src, 'rb').read())
    n = struct.unpack('<Q', raw[:8])[0]
    header, base = json.loads(raw[8:8 + n]), 8 + n
    for key, info in header.items():
        if key == '__metadata__' or not key.endswith('running_var') or info['dtype'] != 'F32':
            continue
        a, b = info['data_offsets']
        x = np.frombuffer(bytes(raw[base + a:base + b]), dtype=np.float32).copy()
        steps = rng.integers(-2, 3, size=x.shape)
        for i, d in enumerate(steps):
            for _ in range(abs(int(d))):
                x[i] = np.nextafter(x[i], np.float32(np.inf if d > 0 else -np.inf), dtype=np.float32)
        raw[base + a:base + b] = x.tobytes()
    open(dst, 'wb').write(raw)

def perturb_onnx(src, dst, rng):
    import onnx
    from onnx import numpy_helper
    model = onnx.load(src)
    weights = {node.input[1] for node in model.graph.node if node.op_type in ('Conv', 'Gemm')}
    for i, init in enumerate(model.graph.initializer):
        if init.name not in weights:
            continue
        w = numpy_helper.to_array(init).astype(np.float32)
        d = rng.integers(-2, 3, size=(w.shape[0],) + (1,) * (w.ndim - 1)).astype(np.float64)
        w2 = (w.astype(np.float64) * (1 + d * 2.0 ** -23)).astype(np.float32)
        model.graph.initializer[i].CopyFrom(numpy_helper.from_array(w2, init.name))
    onnx.save(model, dst)

if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = np.random.default_rng(seed)
    (perturb_onnx if src.endswith('.onnx') else perturb_safetensors)(src, dst, rng)
    print(f'wrote {dst}')
