"""Fashion-MNIST (Zalando, 70,000 28x28 greyscale images of 10 clothing classes) for the workspace.

``prepare_data.py --out DIR [--full]`` writes DIR/public/train.npz (60,000 images with labels),
DIR/public/test.npz (10,000 images, no labels) and DIR/private/answer.csv (the test labels).

Sources, first found wins:
1. the idx files of Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``;
   ``FASHION_MNIST_DIR`` points elsewhere, e.g. at the four ``.gz`` files from Zalando's GitHub);
2. Hugging Face's ``zalando-datasets/fashion_mnist`` through the ``datasets`` package (needs
   ``pip install datasets`` and network access or a warm Hugging Face cache).
Both hold the same official split in the same order. ``--full`` changes nothing: the data set is small
enough to use whole everywhere.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from pathlib import Path

import numpy as np

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
HF_DATASET = "zalando-datasets/fashion_mnist"
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SIZES = {"train": 60_000, "test": 10_000}


def read_idx(path: Path) -> np.ndarray:
    """An idx file (gzipped or not) as an array: big-endian header, then unsigned bytes."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an idx file of unsigned bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_idx(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {split: (read_idx(folder / images), read_idx(folder / labels))
            for split, (images, labels) in IDX_FILES.items()}


def load_hugging_face() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    try:
        from datasets import load_dataset
    except ImportError:
        sys.exit("prepare_data: no Fashion-MNIST idx files found and the `datasets` package is not installed.\n"
                 "Install Debian's dataset-fashion-mnist (scripts/setup-data.sh), set FASHION_MNIST_DIR to "
                 "a folder with the four idx .gz files, or `pip install datasets` in the task environment.")
    out = {}
    for split in ("train", "test"):
        ds = load_dataset(HF_DATASET, split=split)
        # Images decode to PIL images (28x28, mode L); np.asarray turns each into its bytes.
        images = np.stack([np.asarray(image, dtype=np.uint8) for image in ds["image"]])
        out[split] = (images, np.asarray(ds["label"], dtype=np.uint8))
    return out


def load() -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    folder = Path(os.environ.get("FASHION_MNIST_DIR") or DEBIAN_DIR)
    if all((folder / name).is_file() for pair in IDX_FILES.values() for name in pair):
        return load_idx(folder), f"idx files in {folder}"
    return load_hugging_face(), f"Hugging Face {HF_DATASET}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="accepted; the whole data set is always used")
    args = parser.parse_args()
    splits, source = load()
    for split, (images, labels) in splits.items():
        if images.shape != (SIZES[split], 28, 28) or labels.shape != (SIZES[split],) or labels.max() > 9:
            sys.exit(f"prepare_data: unexpected {split} data from {source}: {images.shape}, {labels.shape}")
    public, private = args.out / "public", args.out / "private"
    public.mkdir(parents=True)
    private.mkdir(parents=True)
    train_images, train_labels = splits["train"]
    test_images, test_labels = splits["test"]
    np.savez(public / "train.npz", images=train_images, labels=train_labels)
    np.savez(public / "test.npz", images=test_images)
    lines = ["id,label"] + [f"{i},{label}" for i, label in enumerate(test_labels)]
    (private / "answer.csv").write_text("\n".join(lines) + "\n")
    print(f"Fashion-MNIST from {source}: {len(train_labels)} train, {len(test_labels)} test images")


if __name__ == "__main__":
    main()
