"""Scores submission.csv against the private reference captions; prints {"BLEU": ..., ...}.

BLEU is corpus-level BLEU-4 (uniform weights over 1- to 4-grams, brevity penalty) from
nltk.translate.bleu_score, which needs no downloads; every test image counts once, with all its reference
captions. Captions are compared in lower case, as words of letters and digits (punctuation dropped).
Runs with the workspace as its current folder; the references are in
$MLGYM_PRIVATE_DATA/test_references.json. An invalid submission exits 1 with the reason on stderr.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import warnings
from pathlib import Path

from nltk.translate.bleu_score import corpus_bleu


def fail(reason: str) -> None:
    """Exit 1 with the reason as the last line of stderr (only that line, cut short, reaches the agent)."""
    print(f"invalid submission: {' '.join(reason.split())}"[:290], file=sys.stderr)
    sys.exit(1)


def tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def read_submission(path: Path, expected: set[str]) -> dict[str, str]:
    if not path.is_file():
        fail(f"{path.name} not found in the workspace (run the captioning script to write it)")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not {"image_id", "caption"} <= {c.strip() for c in reader.fieldnames}:
            fail(f"{path.name} must have the columns image_id and caption")
        captions: dict[str, str] = {}
        for line, row in enumerate(reader, start=2):
            image_id = (row.get("image_id") or "").strip()
            if image_id not in expected:
                fail(f"{path.name} line {line}: {image_id!r} is not a test image id (see data/test_ids.json)")
            if image_id in captions:
                fail(f"{path.name} line {line}: image {image_id} is captioned twice")
            captions[image_id] = row.get("caption") or ""
    missing = expected - captions.keys()
    if missing:
        fail(f"{path.name} lacks captions for {len(missing)} test images (e.g. {sorted(missing)[0]})")
    return captions


def main() -> None:
    refs_path = Path(os.environ.get("MLGYM_PRIVATE_DATA", "")) / "test_references.json"
    if not refs_path.is_file():
        print(f"evaluation error: references not found at {refs_path}", file=sys.stderr)
        sys.exit(2)
    references = json.loads(refs_path.read_text())
    captions = read_submission(Path.cwd() / "submission.csv", set(references))
    ids = sorted(references)
    refs = [[tokenize(r) for r in references[i]] for i in ids]
    hyps = [tokenize(captions[i]) for i in ids]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns when some n-gram order has no match; BLEU is then 0
        bleu4 = corpus_bleu(refs, hyps)
        bleu1 = corpus_bleu(refs, hyps, weights=(1.0,))
    print(json.dumps({"BLEU": round(float(bleu4), 6), "BLEU-1": round(float(bleu1), 6)}))


if __name__ == "__main__":
    main()
