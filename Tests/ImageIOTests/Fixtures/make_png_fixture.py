"""Makes the PNG fixtures of the ImageIO tests (Tests/ImageIOTests/Fixtures/png/).

How it was made: run once from the package root as

    pip install pillow numpy
    python3 Tests/ImageIOTests/Fixtures/make_png_fixture.py

with Python 3, Pillow 13.0.0 and NumPy 2.x. Nothing from ../shared is used: the picture is
synthetic (37x29, gradients, a disc, noise; numpy seed 11; odd size so rows and Adam7 passes are
ragged).

Writes, for each NAME, NAME.png and NAME.npy (the pixels the decoder must return, uint8 HxWxC or HxW):
  gray, gray-alpha, rgb, rgba   saved by Pillow from modes L, LA, RGB, RGBA (8-bit; Pillow picks
                                the row filters); expected = Pillow's decode.
  palette8                      mode P, 200 colours (quantize) -> 8-bit palette; expected = convert("RGB").
  palette4-trns                 mode P, 12 colours -> 4-bit palette, with a tRNS chunk giving every
                                entry an alpha; expected = convert("RGBA").
  palette2                      mode P, 4 colours -> 2-bit palette; expected = convert("RGB").
  gray1                         mode "1" -> 1-bit gray; expected = convert("L") (0 or 255).
  gray16                        mode I;16 -> 16-bit gray; expected = high byte of each sample.
  filters-rgba                  written by this script: RGBA, row y uses filter type y % 5 (None, Sub,
                                Up, Average, Paeth), one zlib stream; expected = Pillow's decode.
  adam7-rgb, adam7-gray2        written by this script: Adam7-interlaced 8-bit RGB and 2-bit gray,
                                each pass row with filter (row % 5); expected = Pillow's decode.
Also resize-20x15.npy and resize-60x47.npy: rgb.npy resized by Pillow with
Image.resize((W, H), Image.BILINEAR), the reference for resizeBilinear (shrink and enlarge).
"""
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "png")


def picture():
    h, w = 29, 37
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / (w - 1)
    g = 255 * y / (h - 1)
    b = 128 + 120 * np.sin(x / 4.0) * np.cos(y / 3.0)
    disc = (x - 25) ** 2 + (y - 12) ** 2 < 60
    r[disc], g[disc], b[disc] = 20, 200, 90
    a = np.clip(255 - 6 * np.abs(x - 18), 0, 255)
    noise = np.random.default_rng(11).normal(0, 10, size=(h, w, 3))
    rgb = np.clip(np.stack([r, g, b], axis=-1) + noise, 0, 255).astype(np.uint8)
    return rgb, a.astype(np.uint8)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, prev, bpp):
    out = bytearray()
    for i, v in enumerate(row):
        left = row[i - bpp] if i >= bpp else 0
        up = prev[i] if prev is not None else 0
        up_left = prev[i - bpp] if prev is not None and i >= bpp else 0
        pred = [0, left, up, (left + up) // 2, paeth(left, up, up_left)][kind]
        out.append((v - pred) & 0xFF)
    return bytes([kind]) + bytes(out)


def pack_row(samples, bit_depth):
    """Packs one row of samples (ints) at 8 or fewer bits per sample, MSB first."""
    if bit_depth == 8:
        return bytes(samples)
    per_byte = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        byte = 0
        group = list(samples[i:i + per_byte]) + [0] * (per_byte - len(samples[i:i + per_byte]))
        for s in group:
            byte = (byte << bit_depth) | s
        out.append(byte)
    return bytes(out)


def write_png(path, array, color_type, bit_depth, interlace):
    """array: HxWxC samples (already reduced to bit_depth)."""
    h, w = array.shape[:2]
    channels = array.shape[2]
    bpp = max(1, channels * bit_depth // 8)
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] \
        if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        sub = array[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prev = None
        for r in range(sub.shape[0]):
            row = pack_row(sub[r].reshape(-1).tolist(), bit_depth)
            raw += filter_row(r % 5, row, prev, bpp)
            prev = row
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
                + chunk(b"IEND", b""))


def decoded(path, mode=None):
    with Image.open(path) as im:
        im.load()
        return np.asarray(im.convert(mode) if mode else im)


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb, alpha = picture()
    base = Image.fromarray(rgb, "RGB")
    p = lambda name: os.path.join(OUT, name)

    base.convert("L").save(p("gray.png"))
    np.save(p("gray.npy"), decoded(p("gray.png")))
    la = Image.merge("LA", (base.convert("L"), Image.fromarray(alpha, "L")))
    la.save(p("gray-alpha.png"))
    np.save(p("gray-alpha.npy"), decoded(p("gray-alpha.png")))
    base.save(p("rgb.png"))
    np.save(p("rgb.npy"), decoded(p("rgb.png")))
    rgba = base.copy()
    rgba.putalpha(Image.fromarray(alpha, "L"))
    rgba.save(p("rgba.png"))
    np.save(p("rgba.npy"), decoded(p("rgba.png")))

    base.quantize(200).save(p("palette8.png"))
    np.save(p("palette8.npy"), decoded(p("palette8.png"), "RGB"))
    q12 = base.quantize(12)
    q12.save(p("palette4-trns.png"), transparency=bytes(20 * i for i in range(12)))
    np.save(p("palette4-trns.npy"), decoded(p("palette4-trns.png"), "RGBA"))
    base.quantize(4).save(p("palette2.png"))
    np.save(p("palette2.npy"), decoded(p("palette2.png"), "RGB"))
    base.convert("1").save(p("gray1.png"))
    np.save(p("gray1.npy"), decoded(p("gray1.png"), "L"))
    wide = (rgb[:, :, 0].astype(np.uint16) * 257 + rgb[:, :, 1].astype(np.uint16) // 3)
    Image.fromarray(wide).save(p("gray16.png"))
    with Image.open(p("gray16.png")) as im:
        np.save(p("gray16.npy"), (np.asarray(im).astype(np.uint16) >> 8).astype(np.uint8))

    for w, h in [(20, 15), (60, 47)]:
        np.save(p(f"resize-{w}x{h}.npy"), np.asarray(base.resize((w, h), Image.BILINEAR)))

    write_png(p("filters-rgba.png"), np.asarray(rgba), color_type=6, bit_depth=8, interlace=False)
    np.save(p("filters-rgba.npy"), decoded(p("filters-rgba.png")))
    write_png(p("adam7-rgb.png"), rgb, color_type=2, bit_depth=8, interlace=True)
    np.save(p("adam7-rgb.npy"), decoded(p("adam7-rgb.png")))
    gray2 = (np.asarray(base.convert("L")) >> 6).reshape(29, 37, 1)
    write_png(p("adam7-gray2.png"), gray2, color_type=0, bit_depth=2, interlace=True)
    np.save(p("adam7-gray2.npy"), decoded(p("adam7-gray2.png")))


if __name__ == "__main__":
    main()
