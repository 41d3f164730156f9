"""Makes the compression fixtures of the ImageIO tests (Tests/ImageIOTests/Fixtures/deflate/).

How it was made: run once from the package root as

    python3 Tests/ImageIOTests/Fixtures/make_deflate_fixture.py

with Python 3's zlib, gzip and NumPy 2.x. Nothing from ../shared is used.

Writes:
  payload.bin            ~48 KB of test data: English-like text, NumPy random bytes (seed 3),
                         byte runs, and a 9 KB block repeated ~20 KB later (long match distances).
  payload-stored.zlib    zlib.compress(payload, level=0): stored blocks only.
  payload-fixed.zlib     zlib.compressobj(level=6, strategy=Z_FIXED): fixed-Huffman blocks.
  payload-dynamic.zlib   zlib.compress(payload, level=9): dynamic-Huffman blocks.
  payload-flags.gz       a gzip member built by hand with every optional header field (FEXTRA with
                         4 bytes, FNAME "payload.bin", FCOMMENT "test", FHCRC = low 16 bits of the
                         header's CRC-32), raw deflate at level 6, CRC-32 and ISIZE trailer.
  payload-multi.gz       gzip.compress of the first 20,000 bytes followed by gzip.compress of the
                         rest: two members whose concatenation is the payload.
"""
import gzip
import os
import struct
import zlib

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "deflate")


def payload():
    text = ("The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. " * 90).encode()
    noise = np.random.default_rng(3).integers(0, 256, size=12000, dtype=np.uint8).tobytes()
    runs = b"".join(bytes([v]) * (50 + v % 200) for v in range(0, 256, 7))
    block = bytes((i * i + 7 * i) % 251 for i in range(9000))
    return text + block + noise + runs + block + text[:3000]


def main():
    os.makedirs(OUT, exist_ok=True)
    data = payload()
    p = lambda name: os.path.join(OUT, name)
    open(p("payload.bin"), "wb").write(data)
    open(p("payload-stored.zlib"), "wb").write(zlib.compress(data, 0))
    c = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_FIXED)
    open(p("payload-fixed.zlib"), "wb").write(c.compress(data) + c.flush())
    open(p("payload-dynamic.zlib"), "wb").write(zlib.compress(data, 9))

    flags = 0x02 | 0x04 | 0x08 | 0x10  # FHCRC, FEXTRA, FNAME, FCOMMENT
    header = bytes([0x1F, 0x8B, 8, flags]) + struct.pack("<I", 0) + bytes([0, 3])
    header += struct.pack("<H", 4) + b"ab\x02\x00" + b"payload.bin\x00" + b"test\x00"
    header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = raw.compress(data) + raw.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    open(p("payload-flags.gz"), "wb").write(header + body + trailer)
    open(p("payload-multi.gz"), "wb").write(gzip.compress(data[:20000]) + gzip.compress(data[20000:]))


if __name__ == "__main__":
    main()
