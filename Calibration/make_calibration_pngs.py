#!/usr/bin/env python3
"""Writes the default calibration images: the first 256 of ../shared/datasets/fashion-mnist/
heldout-images-idx3-ubyte.gz (Fashion-MNIST training images 36000-36255, never seen by the
shipped model) as 8-bit grayscale PNG files Calibration/fashion-NNNNN.png (NNNNN = index in the
official training file). Standard library only (gzip, zlib, struct).

usage (from the package root): python3 Calibration/make_calibration_pngs.py [count]
"""
import gzip, struct, sys, zlib

count = int(sys.argv[1]) if len(sys.argv) > 1 else 256
raw = gzip.open('../shared/datasets/fashion-mnist/heldout-images-idx3-ubyte.gz').read()
magic, n, h, w = struct.unpack('>IIII', raw[:16])
assert magic == 0x803 and count <= n

def chunk(kind, data):
    body = kind + data
    return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xffffffff)

for i in range(count):
    px = raw[16 + i * h * w: 16 + (i + 1) * h * w]
    rows = b''.join(b'\x00' + px[y * w:(y + 1) * w] for y in range(h))
    png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0))
           + chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b''))
    open(f'Calibration/fashion-{36000 + i:05d}.png', 'wb').write(png)
