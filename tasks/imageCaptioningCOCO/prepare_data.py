"""Data for imageCaptioningCOCO: ``prepare_data.py --out DIR [--full]``.

Writes, whatever the source:
  DIR/public/train_images.npy    uint8 (N, S, S, 3)   DIR/public/train_captions.json  [[caption, ...], ...]
  DIR/public/test_images.npy     uint8 (M, S, S, 3)   DIR/public/test_ids.json        [image id, ...]
  DIR/public/meta.json           source, profile, image size
  DIR/private/test_references.json  {image id: [reference caption, ...]}  (only the evaluation sees it)

Offline (default): SynthScenes, a generated STAND-IN. No COCO-like data ships offline, so each 64×64 image
holds one or two coloured shapes on a plain background, and its five reference captions are written from
templates (several phrasings, as COCO has five captions by different people). Scores on it are not
comparable with published COCO or MLGym-Bench numbers.

Full (``--full``): MS-COCO captions from a local copy in the official layout, ``COCO_DIR`` with
``annotations/captions_{train,val}2017.json`` and the image folders ``train2017/``, ``val2017/``. Train is
train2017, test is val2017. ``COCO_IMAGE_SIZE`` (default 128) sets the square size images are resized to;
``COCO_MAX_TRAIN`` caps the training images (default: all).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

SEED = 20240611
OFFLINE_TRAIN = 8_000
OFFLINE_TEST = 1_000
OFFLINE_SIZE = 64

COLOURS = {
    "red": (220, 40, 40), "green": (40, 170, 60), "blue": (50, 80, 220), "yellow": (235, 215, 40),
    "purple": (140, 60, 180), "orange": (240, 140, 30), "white": (245, 245, 245), "black": (20, 20, 20),
}
BACKGROUNDS = {"grey": (128, 128, 128), "brown": (120, 85, 55), "teal": (40, 120, 120), "pink": (230, 170, 190)}
SHAPES = ["circle", "square", "triangle", "star", "ring", "cross"]
SIZES = {"small": (5.0, 7.0), "large": (10.0, 13.0)}
SYNONYMS = {"large": ["large", "big"], "small": ["small", "little"], "circle": ["circle", "disc"],
            "square": ["square", "box"], "cross": ["cross", "plus sign"]}
RELATIONS = {"left": ("to the left of", "to the right of"), "above": ("above", "below")}


# -- offline stand-in --------------------------------------------------------------------------------
def _mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    r = np.hypot(u, v)
    a, b = np.abs(u), np.abs(v)
    if shape == "circle":
        return r < 1.0
    if shape == "square":
        return np.maximum(a, b) < 0.85
    if shape == "triangle":
        return (v > -0.6) & (v < 1.0 - 1.8 * a)
    if shape == "star":
        return r < 0.4 + 0.6 * ((np.cos(5 * np.arctan2(u, v)) + 1) / 2) ** 2
    if shape == "ring":
        return (r > 0.6) & (r < 1.0)
    return ((a < 0.3) & (b < 1.0)) | ((b < 0.3) & (a < 1.0))  # cross


def _word(rng: np.random.Generator, word: str) -> str:
    options = SYNONYMS.get(word, [word])
    return options[rng.integers(len(options))]


def _phrase(rng: np.random.Generator, obj: dict, article: bool = True, size: bool = True) -> str:
    words = ([_word(rng, obj["size"])] if size else []) + [obj["colour"], _word(rng, obj["shape"])]
    text = " ".join(words)
    return ("an " if text[0] in "aeiou" else "a ") + text if article else text


def captions(rng: np.random.Generator, objects: list[dict], background: str, relation: str | None) -> list[str]:
    """Five reference captions for one scene, each from a different template."""
    out = []
    if len(objects) == 1:
        (o,) = objects
        templates = [
            lambda: f"{_phrase(rng, o)} on a {background} background",
            lambda: f"{_phrase(rng, o)}",
            lambda: f"there is {_phrase(rng, o)} in the picture",
            lambda: f"a picture of {_phrase(rng, o)} on {background}",
            lambda: f"{_phrase(rng, o, size=False)} shape that is {_word(rng, o['size'])}",
            lambda: f"one {_phrase(rng, o, article=False)} against a {background} background",
        ]
    else:
        first, second = objects
        near, far = RELATIONS[relation] if relation else ("next to", "next to")
        templates = [
            lambda: f"{_phrase(rng, first)} {near} {_phrase(rng, second)}",
            lambda: f"{_phrase(rng, second)} {far} {_phrase(rng, first)}",
            lambda: f"{_phrase(rng, first)} and {_phrase(rng, second)} on a {background} background",
            lambda: f"two shapes {_phrase(rng, first, size=False)} and {_phrase(rng, second, size=False)}",
            lambda: f"a picture with {_phrase(rng, first)} {near} {_phrase(rng, second)}",
            lambda: f"{_phrase(rng, second)} is {far} {_phrase(rng, first)}",
        ]
    for i in rng.permutation(len(templates))[:5]:
        out.append(templates[i]())
    return out


def generate(n: int, rng: np.random.Generator, size: int = OFFLINE_SIZE) -> tuple[np.ndarray, list[list[str]]]:
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    caps: list[list[str]] = []
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    colour_names, bg_names = list(COLOURS), list(BACKGROUNDS)
    for i in range(n):
        background = bg_names[rng.integers(len(bg_names))]
        image = np.broadcast_to(np.array(BACKGROUNDS[background], np.float32), (size, size, 3)).copy()
        count = 1 if rng.random() < 0.4 else 2
        relation = None
        objects: list[dict] = []
        if count == 2:
            relation = "left" if rng.random() < 0.5 else "above"
        for k in range(count):
            shape = SHAPES[rng.integers(len(SHAPES))]
            colour = colour_names[rng.integers(len(colour_names))]
            while objects and colour == objects[0]["colour"] and shape == objects[0]["shape"]:
                colour = colour_names[rng.integers(len(colour_names))]
            size_word = "small" if rng.random() < 0.5 else "large"
            radius = rng.uniform(*SIZES[size_word])
            if count == 1:
                cx, cy = rng.uniform(radius + 2, size - radius - 2, 2)
            else:  # first object left of (or above) the second, in its own half
                lo, hi = (radius + 1, size / 2 - 1) if k == 0 else (size / 2 + 1, size - radius - 1)
                main = rng.uniform(lo, max(lo + 0.1, hi))
                other = rng.uniform(radius + 2, size - radius - 2)
                cx, cy = (main, other) if relation == "left" else (other, main)
            angle = rng.uniform(-0.3, 0.3)
            c, s = np.cos(angle), np.sin(angle)
            dx, dy = (xs - cx) / radius, (ys - cy) / radius
            mask = _mask(shape, c * dx + s * dy, -s * dx + c * dy)
            image[mask] = COLOURS[colour]
            objects.append({"shape": shape, "colour": colour, "size": size_word})
        image += rng.normal(0, 6, image.shape)
        images[i] = np.clip(image, 0, 255).astype(np.uint8)
        caps.append(captions(rng, objects, background, relation))
    return images, caps


def offline(out: Path, n_train: int, n_test: int) -> dict:
    rng = np.random.default_rng(SEED)
    train_x, train_c = generate(n_train, rng)
    test_x, test_c = generate(n_test, rng)
    test_ids = list(range(1, n_test + 1))
    write(out, train_x, train_c, test_x, test_ids, test_c)
    return {"source": "SynthScenes (generated stand-in for MS-COCO captions)", "stand_in": True,
            "image_size": OFFLINE_SIZE}


# -- full data: MS-COCO captions ----------------------------------------------------------------------------
def load_coco_split(root: Path, split: str, size: int, limit: int | None) -> tuple[np.ndarray, list[int], list[list[str]]]:
    """Images (resized to size×size RGB), image ids and captions of one split in the official layout."""
    from PIL import Image

    annotation_file = root / "annotations" / f"captions_{split}.json"
    if not annotation_file.is_file():
        raise SystemExit(f"COCO_DIR={root}: {annotation_file.relative_to(root)} not found (see the task README)")
    ann = json.loads(annotation_file.read_text())
    by_image: dict[int, list[str]] = {}
    for a in ann["annotations"]:
        by_image.setdefault(a["image_id"], []).append(" ".join(a["caption"].split()))
    entries = sorted((im for im in ann["images"] if im["id"] in by_image), key=lambda im: im["id"])[:limit]
    images = np.empty((len(entries), size, size, 3), dtype=np.uint8)
    for i, entry in enumerate(entries):
        path = root / split / entry["file_name"]
        with Image.open(path) as im:
            images[i] = np.asarray(im.convert("RGB").resize((size, size), Image.BICUBIC))
    ids = [im["id"] for im in entries]
    return images, ids, [by_image[i] for i in ids]


def full(out: Path) -> dict:
    if not os.environ.get("COCO_DIR"):
        raise SystemExit("set COCO_DIR to a local MS-COCO copy (annotations/captions_train2017.json, "
                         "train2017/, val2017/; see the task README)")
    root = Path(os.environ["COCO_DIR"])
    size = int(os.environ.get("COCO_IMAGE_SIZE", "128"))
    limit = int(os.environ["COCO_MAX_TRAIN"]) if os.environ.get("COCO_MAX_TRAIN") else None
    train_x, _, train_c = load_coco_split(root, "train2017", size, limit)
    test_x, test_ids, test_c = load_coco_split(root, "val2017", size, None)
    write(out, train_x, train_c, test_x, test_ids, test_c)
    return {"source": f"MS-COCO 2017 captions ({root})", "stand_in": False, "image_size": size}


def write(out: Path, train_x, train_c, test_x, test_ids, test_c) -> None:
    public, private = out / "public", out / "private"
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    np.save(public / "train_images.npy", train_x)
    (public / "train_captions.json").write_text(json.dumps(train_c))
    np.save(public / "test_images.npy", test_x)
    (public / "test_ids.json").write_text(json.dumps(test_ids))
    (private / "test_references.json").write_text(json.dumps(dict(zip(map(str, test_ids), test_c, strict=True))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="MS-COCO captions from COCO_DIR")
    parser.add_argument("--train-size", type=int, default=OFFLINE_TRAIN, help="offline: training images")
    parser.add_argument("--test-size", type=int, default=OFFLINE_TEST, help="offline: test images")
    args = parser.parse_args(argv)
    meta = full(args.out) if args.full else offline(args.out, args.train_size, args.test_size)
    meta["profile"] = "full" if args.full else "offline"
    (args.out / "public" / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {meta['source']} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
