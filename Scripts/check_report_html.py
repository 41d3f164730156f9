#!/usr/bin/env python3
"""Checks what headless Chromium made of report.html (see check-report-html.sh).

usage: check_report_html.py REPORT.html DOM.html REPORT.json SCREENSHOT.png WIDTH HEIGHT

- the DOM Chromium built holds the page (its <h1>), each of the four fixed charts once, one
  histogram chart `hist-<value id>` per layer of report.json, and exactly that many <svg>
  elements, the same number as the file itself;
- every thumbnail is an inline PNG (data URI) and nothing refers to the network;
- the screenshot is a PNG of WIDTH x HEIGHT that is not blank and shows the charts' float blue
  and int8 orange (so the SVGs were drawn, not just parsed).
Standard library only (the PNG is decoded here).
"""
import json
import re
import struct
import sys
import zlib

FIXED = ["chart-sqnr", "chart-drop", "chart-classes", "chart-confusion"]
BLUE, ORANGE = (0x4C, 0x78, 0xA8), (0xF5, 0x85, 0x18)


def fail(msg):
    print("FAIL: report.html: " + msg, file=sys.stderr)
    sys.exit(1)


def decode_png(path):
    """Width, height, channels and the unfiltered rows of an 8-bit non-interlaced PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        fail(f"{path} has no IHDR")
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace != 0:
        fail(f"{path}: unexpected PNG format (depth {depth}, colour type {color}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + (left + prev[i]) // 2) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = prev[i], prev[i - channels] if i >= channels else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif kind != 0:
            fail(f"{path}: bad filter type {kind} in row {y}")
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def main():
    html_path, dom_path, json_path, png_path = sys.argv[1:5]
    want_w, want_h = int(sys.argv[5]), int(sys.argv[6])
    source = open(html_path, encoding="utf-8").read()
    dom = open(dom_path, encoding="utf-8").read()
    report = json.load(open(json_path, encoding="utf-8"))

    if "<h1>Int8 report:" not in dom:
        fail("Chromium's DOM does not hold the page (no <h1>Int8 report:)")
    hist_ids = [f"hist-{layer['valueId']}" for layer in report["layers"]]
    for element in FIXED + hist_ids:
        n = dom.count(f'id="{element}"')
        if n != 1:
            fail(f"element id {element} appears {n} times in the DOM, expected once")
    expected = len(FIXED) + len(hist_ids)
    svgs, source_svgs = len(re.findall(r"<svg\b", dom)), len(re.findall(r"<svg\b", source))
    if svgs != expected or source_svgs != expected:
        fail(f"{svgs} <svg> elements in the DOM and {source_svgs} in the file, expected {expected}")
    images = re.findall(r'<img [^>]*src="([^"]*)"', dom)
    if len(images) != min(48, report["disagreements"]):
        fail(f"{len(images)} thumbnails, expected {min(48, report['disagreements'])}")
    if any(not src.startswith("data:image/png;base64,") for src in images):
        fail("a thumbnail is not an inline PNG")
    if re.search(r'(src|href)="(https?:)?//', source) or "<script" in source.lower() or "@import" in source:
        fail("the page refers to the network or runs a script")

    width, height, channels, rows = decode_png(png_path)
    if (width, height) != (want_w, want_h):
        fail(f"screenshot is {width}x{height}, expected {want_w}x{want_h}")
    if channels < 3:
        fail("screenshot is not in colour")
    non_white, colours, blue, orange = 0, set(), 0, 0
    for row in rows[::2]:
        for x in range(0, width * channels, channels * 2):
            px = tuple(row[x:x + 3])
            colours.add(px)
            if px != (255, 255, 255):
                non_white += 1
            if all(abs(p - q) <= 8 for p, q in zip(px, BLUE)):
                blue += 1
            if all(abs(p - q) <= 8 for p, q in zip(px, ORANGE)):
                orange += 1
    sampled = (height + 1) // 2 * ((width + 1) // 2)
    if non_white < sampled // 50 or len(colours) < 50:
        fail(f"screenshot looks blank ({non_white} of {sampled} sampled pixels not white, {len(colours)} colours)")
    if blue < 500 or orange < 500:
        fail(f"screenshot lacks the charts' colours ({blue} float-blue and {orange} int8-orange sampled pixels)")
    print(f"ok: report.html in Chromium: {svgs} charts ({len(hist_ids)} histograms), {len(images)} thumbnails; "
          f"screenshot {width}x{height}, {len(colours)} colours, {100 * non_white / sampled:.1f}% not white")


if __name__ == "__main__":
    main()
