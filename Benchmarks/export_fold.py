#!/usr/bin/env python3
"""How the batch-norm fold of a shared ONNX export relates to its checkpoint, channel by channel.

    python3 Benchmarks/export_fold.py NAME [EPS]     # e.g. mobilenet_v2-cifar10, mobilenet_v3_small-cifar10 0.001

Reads ../shared/models/NAME.safetensors and ../shared/models/onnx/NAME.float.onnx (torchvision key
layouts where each conv `...K.weight` is followed by its batch norm `...K+1`, in key order:
MobileNetV1/V2/V3), folds every batch norm in float32 the way torch.onnx.export's eval peephole
writes it (s = gamma / sqrt(var + eps), W' = W * s, each operation rounded to float32) and counts
the output channels whose folded weights equal the export's bit for bit. For every other channel
it looks for a float32 scale within +-3 ulps of s that gives the export's weights, and for a
single gamma or var moved by 1-3 ulps that does. numpy and onnx only; a benchmark, not the product.
"""
import json, os, re, struct, sys
from collections import Counter
import numpy as np
import onnx
from onnx import numpy_helper

f32 = np.float32

def safetensors(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    out = {}
    for key, info in header.items():
        if key == '__metadata__' or info['dtype'] != 'F32':
            continue
        a, b = info['data_offsets']
        out[key] = np.frombuffer(data[a:b], dtype=f32).reshape(info['shape'])
    return out

def ulps(x, k):
    x = f32(x)
    for _ in range(abs(k)):
        x = np.nextafter(x, f32(np.inf if k > 0 else -np.inf), dtype=f32)
    return x

def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    name, eps = sys.argv[1], f32(float(sys.argv[2]) if len(sys.argv) == 3 else 1e-5)
    ckpt, export = f'../shared/models/{name}.safetensors', f'../shared/models/onnx/{name}.float.onnx'
    for path in (ckpt, export):
        if not os.path.isfile(path):
            sys.exit(f'error: {path}: no such file (run from the package root, beside ../shared)')
    sd, model = safetensors(ckpt), onnx.load(export)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    convs = [n for n in model.graph.node if n.op_type == 'Conv']
    natural = lambda k: [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', k)]
    weights = sorted((k for k, v in sd.items() if k.endswith('.weight') and v.ndim == 4), key=natural)
    if len(weights) != len(convs):
        sys.exit(f'error: {name}: {len(weights)} conv weights in the checkpoint, {len(convs)} Conv nodes in the export')
    fold = lambda g, v: f32(g / np.sqrt(f32(v + eps)))
    count = Counter()
    for node, key in zip(convs, weights):
        parts = re.split(r'(\d+)', key[:-len('.weight')])
        last = max(i for i, t in enumerate(parts) if t.isdigit())
        bn = ''.join(parts[:last]) + str(int(parts[last]) + 1) + ''.join(parts[last + 1:]) + '.'
        w, exported = sd[key], inits[node.input[1]]
        if bn + 'running_var' not in sd:  # a conv without batch norm (an SE layer): exported as it is
            if key[:-len('weight')] + 'bias' not in sd:
                sys.exit(f'error: {name}: no batch norm {bn}running_var after {key}, and no bias')
            count['convs without batch norm, weights identical' if np.array_equal(w, exported) else 'convs without batch norm, weights differ'] += 1
            continue
        gamma, var = sd[bn + 'weight'], sd[bn + 'running_var']
        for c in range(len(w)):
            count['channels'] += 1
            s = fold(gamma[c], var[c])
            same = lambda scale: np.array_equal(f32(w[c] * scale), exported[c])
            if same(s):
                count['exact'] += 1
                continue
            k = next((k for k in (1, -1, 2, -2, 3, -3) if same(ulps(s, k))), None)
            count[f'scale {k:+d} ulp' if k else 'no scale within 3 ulps'] += 1
            moved = [(dv, dg) for dv in range(-3, 4) for dg in range(-3, 4)
                     if (dv or dg) and same(fold(ulps(gamma[c], dg), ulps(var[c], dv)))]
            best = min((abs(dv) + abs(dg) for dv, dg in moved), default=None)
            count['one parameter 1 ulp away' if best == 1 else 'parameters further away' if moved else 'no parameter within 3 ulps'] += 1
    total = count.pop('channels')
    print(f'{name}: {total} output channels of convs with batch norm, {count.pop("exact")} folded bit for bit; the others (and the convs without batch norm):')
    for k, v in sorted(count.items()):
        print(f'  {k}: {v}')

if __name__ == '__main__':
    main()
