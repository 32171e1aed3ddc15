"""Data for imageClassificationCifar10: ``prepare_data.py --out DIR [--full]``.

Writes, whatever the source:
  DIR/public/train_images.npy  uint8 (N, 32, 32, 3)    DIR/public/train_labels.npy  int64 (N,)
  DIR/public/test_images.npy   uint8 (M, 32, 32, 3)    DIR/public/meta.json         classes, source, profile
  DIR/private/test_labels.npy  int64 (M,)              (only the evaluation sees it)

Offline (default): SynthShapes-10, a generated STAND-IN. No CIFAR-like data ships offline, so each image
is one of ten shapes drawn at a random position, size, angle and colour on a random gradient, with
clutter and noise. Scores on it are not comparable with published CIFAR-10 numbers.

Full (``--full``): the real CIFAR-10 through Hugging Face ``datasets``. ``CIFAR10_SOURCE`` names it: a hub
id (default ``uoft-cs/cifar10``), a local folder of its data files (e.g. ``plain_text/train-*.parquet``)
or a folder written by ``DatasetDict.save_to_disk``. Columns ``img`` (image) and ``label`` (0-9).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

SEED = 20240610
OFFLINE_TRAIN = 20_000
OFFLINE_TEST = 5_000
SHAPES = ["disc", "square", "triangle", "ring", "plus", "bar", "star", "crescent", "pair", "frame"]
CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
]
DEFAULT_SOURCE = "uoft-cs/cifar10"


# -- offline stand-in --------------------------------------------------------------------------------
def _shape_masks(u: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
    """Boolean masks of the ten shapes in unit coordinates (u, v); index = class."""
    r = np.hypot(u, v)
    phi = np.arctan2(v, u)
    a, b = np.abs(u), np.abs(v)
    return [
        r < 0.9,                                                        # disc
        np.maximum(a, b) < 0.72,                                        # square
        (v > -0.55) & (v < 0.95 - 1.75 * a),                            # triangle
        (r > 0.55) & (r < 0.95),                                        # ring
        ((a < 0.28) & (b < 0.95)) | ((b < 0.28) & (a < 0.95)),          # plus
        (a < 0.98) & (b < 0.26),                                        # bar
        r < 0.38 + 0.6 * ((np.cos(5 * phi) + 1) / 2) ** 2,              # star
        (r < 0.95) & (np.hypot(u - 0.5, v) > 0.75),                     # crescent
        (np.hypot(u - 0.55, v) < 0.36) | (np.hypot(u + 0.55, v) < 0.36),  # pair of dots
        (np.maximum(a, b) < 0.9) & (np.maximum(a, b) > 0.58),           # frame
    ]


def generate(n: int, rng: np.random.Generator, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images of SynthShapes-10 with balanced labels, in a shuffled order."""
    labels = rng.permutation(np.arange(n) % len(SHAPES))
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    for start in range(0, n, 2000):
        lab = labels[start : start + 2000]
        k = len(lab)
        scale = rng.uniform(5.0, 12.5, k).astype(np.float32)
        cx = rng.uniform(scale * 0.8, size - scale * 0.8)
        cy = rng.uniform(scale * 0.8, size - scale * 0.8)
        theta = rng.uniform(0, 2 * np.pi, k)
        stretch = rng.uniform(0.8, 1.25, k)
        dx = (xs[None] - cx[:, None, None]) / scale[:, None, None]
        dy = (ys[None] - cy[:, None, None]) / scale[:, None, None]
        c, s = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
        u = (c * dx + s * dy) * stretch[:, None, None]
        v = (-s * dx + c * dy) / stretch[:, None, None]
        masks = np.stack(_shape_masks(u, v), axis=1)  # (k, 10, H, W)
        mask = masks[np.arange(k), lab].astype(np.float32)
        # Background: a random colour with a linear gradient in a random direction.
        bg0 = rng.uniform(0, 255, (k, 1, 1, 3))
        bg1 = rng.uniform(0, 255, (k, 1, 1, 3))
        g_angle = rng.uniform(0, 2 * np.pi, k)
        t = (np.cos(g_angle)[:, None, None] * xs + np.sin(g_angle)[:, None, None] * ys) / size
        t = (t - t.min(axis=(1, 2), keepdims=True))[..., None] / np.ptp(t, axis=(1, 2), keepdims=True)[..., None]
        background = bg0 * (1 - t) + bg1 * t
        # Foreground: a colour at least somewhat different from the background's mean, sometimes textured.
        fg = rng.uniform(0, 255, (k, 1, 1, 3))
        close = np.abs(fg - background.mean(axis=(1, 2), keepdims=True)).sum(-1, keepdims=True) < 120
        fg = np.where(close, 255 - fg, fg)
        stripes = (np.sin(xs * rng.uniform(0.5, 2.0, (k, 1, 1)) + rng.uniform(0, 6, (k, 1, 1))) > 0)
        textured = rng.random((k, 1, 1)) < 0.3
        shade = np.where(textured & stripes, 0.6, 1.0)[..., None]
        image = background * (1 - mask[..., None]) + fg * shade * mask[..., None]
        # Clutter: a few small specks of random colour; then pixel noise.
        for _ in range(3):
            px = rng.integers(0, size - 2, k)
            py = rng.integers(0, size - 2, k)
            col = rng.uniform(0, 255, (k, 3))
            on = rng.random(k) < 0.5
            for j in np.nonzero(on)[0]:
                image[j, py[j] : py[j] + 2, px[j] : px[j] + 2] = col[j]
        image += rng.normal(0, rng.uniform(4, 30, (k, 1, 1, 1)), image.shape)
        images[start : start + k] = np.clip(image, 0, 255).astype(np.uint8)
    return images, labels.astype(np.int64)


def offline(out: Path, n_train: int, n_test: int) -> dict:
    rng = np.random.default_rng(SEED)
    train_x, train_y = generate(n_train, rng)
    test_x, test_y = generate(n_test, rng)
    write(out, train_x, train_y, test_x, test_y)
    return {
        "source": "SynthShapes-10 (generated stand-in for CIFAR-10)",
        "stand_in": True,
        "classes": SHAPES,
    }


# -- full data: the real CIFAR-10 ---------------------------------------------------------------------
def load_cifar10(source: str):
    """The CIFAR-10 ``DatasetDict`` from a hub id, a local folder of its data files or a saved dataset."""
    import datasets

    path = Path(source)
    if path.is_dir() and (path / "dataset_dict.json").is_file():
        return datasets.load_from_disk(str(path))
    return datasets.load_dataset(source)


def to_arrays(split) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 N×32×32×3, labels int64) from a split with ``img`` and ``label`` columns."""
    image_column = "img" if "img" in split.column_names else "image"
    images = np.stack([np.asarray(im.convert("RGB"), dtype=np.uint8) for im in split[image_column]])
    if images.shape[1:] != (32, 32, 3):
        raise SystemExit(f"expected 32x32 RGB images, got {images.shape[1:]}")
    return images, np.asarray(split["label"], dtype=np.int64)


def full(out: Path) -> dict:
    source = os.environ.get("CIFAR10_SOURCE", DEFAULT_SOURCE)
    try:
        dsd = load_cifar10(source)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the data set is one user-facing error
        raise SystemExit(
            f"cannot load CIFAR-10 from {source!r} ({type(exc).__name__}: {exc}); set CIFAR10_SOURCE to a "
            "hub id or a local copy (see the task README)"
        ) from exc
    if "train" not in dsd or "test" not in dsd:
        raise SystemExit(f"{source}: expected 'train' and 'test' splits, found {sorted(dsd)}")
    train_x, train_y = to_arrays(dsd["train"])
    test_x, test_y = to_arrays(dsd["test"])
    write(out, train_x, train_y, test_x, test_y)
    names = dsd["train"].features["label"].names if hasattr(dsd["train"].features["label"], "names") else None
    return {"source": f"CIFAR-10 ({source})", "stand_in": False, "classes": names or CIFAR10_CLASSES}


def write(out: Path, train_x, train_y, test_x, test_y) -> None:
    public, private = out / "public", out / "private"
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    np.save(public / "train_images.npy", train_x)
    np.save(public / "train_labels.npy", train_y)
    np.save(public / "test_images.npy", test_x)
    np.save(private / "test_labels.npy", test_y)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="the real CIFAR-10 (CIFAR10_SOURCE)")
    parser.add_argument("--train-size", type=int, default=OFFLINE_TRAIN, help="offline: training images")
    parser.add_argument("--test-size", type=int, default=OFFLINE_TEST, help="offline: test images")
    args = parser.parse_args(argv)
    meta = full(args.out) if args.full else offline(args.out, args.train_size, args.test_size)
    meta["profile"] = "full" if args.full else "offline"
    meta["num_classes"] = 10
    (args.out / "public" / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {meta['source']} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
