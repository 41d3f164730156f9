"""Makes the JPEG fixtures of the ImageIO tests (Tests/ImageIOTests/Fixtures/jpeg/).

How it was made: run once from the package root, with ../shared beside it, as

    pip install pillow numpy && apt-get install libjpeg-turbo-progs   # cjpeg, for the 4:4:0 file
    python3 Tests/ImageIOTests/Fixtures/make_jpeg_fixture.py

with Python 3, Pillow 13.0.0 (bundling libjpeg-turbo 3.x) and NumPy 2.x. Pillow decodes with
libjpeg's defaults (accurate integer IDCT, fancy upsampling); those decodes are the reference.

Writes:
  pillow-sums.csv         for EVERY JPEG in ../shared/datasets/cifar10/jpeg-sample/ and
                          ../shared/datasets/imagenet-sample/val224/: path relative to datasets/,
                          width, height and the per-channel sums of Pillow's RGB pixels.
  pillow-imagenet3.npy    Pillow's pixels (uint8, 3x224x224x3) of val224/0000_*.jpg, 0001_*, 0002_*.
  pillow-cifar10.npy      Pillow's pixels (uint8, 10x32x32x3) of jpeg-sample/<class>/0000.jpg, classes sorted.
  synth-*.jpg / .npy      a synthetic 61x45 test picture (gradients, disc, stripes, noise; numpy seed 7;
                          odd size so edge MCUs are partial) saved by Pillow as baseline JPEG with
                          subsampling 4:4:4 (0), 4:2:2 (1), 4:2:0 (2), grayscale, 4:2:0 with
                          restart_marker_blocks=3 (DRI: a restart every 3 MCUs) and 4:2:2 with
                          restart_marker_rows=1 (a restart every MCU row), and by cjpeg -sample 1x2
                          (Debian's libjpeg-turbo-progs) as 4:4:0;
                          each .npy is Pillow's decode of the .jpg beside it.
  synth-progressive.jpg   the same picture saved progressive=True: the decoder must refuse it.
"""
import glob
import os
import subprocess

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "jpeg")
DATASETS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "datasets"))


def pillow_rgb(path):
    with Image.open(path) as im:
        im.load()
        return np.asarray(im)


def synthetic_picture():
    h, w = 45, 61
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / (w - 1)
    g = 255 * y / (h - 1)
    b = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 5.0)
    disc = (x - 40) ** 2 + (y - 20) ** 2 < 120
    r[disc], g[disc], b[disc] = 230, 40, 60
    stripes = (x.astype(int) // 2) % 2 == 0
    g[(y > 32) & stripes] = 250
    noise = np.random.default_rng(7).normal(0, 12, size=(h, w, 3))
    rgb = np.stack([r, g, b], axis=-1) + noise
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def main():
    os.makedirs(OUT, exist_ok=True)
    files = sorted(glob.glob(os.path.join(DATASETS, "cifar10/jpeg-sample/*/*.jpg")))
    files += sorted(glob.glob(os.path.join(DATASETS, "imagenet-sample/val224/*.jpg")))
    assert len(files) == 1100, len(files)
    with open(os.path.join(OUT, "pillow-sums.csv"), "w") as f:
        f.write("file,width,height,sum_r,sum_g,sum_b\n")
        for p in files:
            a = pillow_rgb(p).astype(np.int64)
            s = a.reshape(-1, 3).sum(axis=0)
            f.write(f"{os.path.relpath(p, DATASETS)},{a.shape[1]},{a.shape[0]},{s[0]},{s[1]},{s[2]}\n")
    imagenet = sorted(glob.glob(os.path.join(DATASETS, "imagenet-sample/val224/*.jpg")))[:3]
    np.save(os.path.join(OUT, "pillow-imagenet3.npy"), np.stack([pillow_rgb(p) for p in imagenet]))
    cifar = sorted(glob.glob(os.path.join(DATASETS, "cifar10/jpeg-sample/*/0000.jpg")))
    assert len(cifar) == 10
    np.save(os.path.join(OUT, "pillow-cifar10.npy"), np.stack([pillow_rgb(p) for p in cifar]))

    pic = synthetic_picture()
    variants = {
        "synth-444": dict(quality=90, subsampling=0),
        "synth-422": dict(quality=85, subsampling=1),
        "synth-420": dict(quality=75, subsampling=2),
        "synth-420-restart": dict(quality=75, subsampling=2, restart_marker_blocks=3),
        "synth-422-restart-rows": dict(quality=80, subsampling=1, restart_marker_rows=1),
    }
    for name, options in variants.items():
        pic.save(os.path.join(OUT, name + ".jpg"), "JPEG", **options)
    pic.convert("L").save(os.path.join(OUT, "synth-gray.jpg"), "JPEG", quality=85)
    ppm = os.path.join(OUT, "synth.ppm")
    pic.save(ppm)
    subprocess.run(["cjpeg", "-quality", "80", "-sample", "1x2", "-outfile", os.path.join(OUT, "synth-440.jpg"), ppm], check=True)
    os.remove(ppm)
    for jpg in sorted(glob.glob(os.path.join(OUT, "synth-*.jpg"))):
        np.save(jpg[:-4] + ".npy", pillow_rgb(jpg))
    pic.save(os.path.join(OUT, "synth-progressive.jpg"), "JPEG", quality=75, progressive=True)


if __name__ == "__main__":
    main()
