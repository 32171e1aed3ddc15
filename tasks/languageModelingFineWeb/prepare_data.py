"""Data for languageModelingFineWeb: ``prepare_data.py --out DIR [--full]``.

Token shards in the FineWeb-GPT-2 format (as in modded-nanogpt's ``fineweb10B`` files): a header of 256
little-endian int32 (magic 20240520, version 1, token count, zeros) followed by the tokens as uint16.
Documents are GPT-2 BPE tokens, each preceded by <|endoftext|> (50256).

  DIR/public/fineweb_train_*.bin   training tokens       DIR/public/fineweb_dev_000000.bin  a dev split
  DIR/public/meta.json             profile, vocabulary, evaluation context, sources
  DIR/private/fineweb_val_000000.bin  the held-out tokens the evaluation scores (never in the workspace)
  DIR/private/meta.json            the evaluation context, for the judge (the workspace's copy is the agent's)

Offline (default): real English text that ships offline — Jane Austen's six novels (Debian package
``r-cran-janeaustenr``; ``JANEAUSTENR_DIR`` points at another copy of its ``data/`` folder), split into
chapters, tokenised with the GPT-2 BPE. The BPE rank file comes from the ``openai-whisper`` sdist on PyPI
(``whisper/assets/gpt2.tiktoken``), fetched once with pip and cached.

Full (``--full``): the real FineWeb shards. ``FINEWEB_DIR`` names a local folder holding
``fineweb_train_*.bin`` and ``fineweb_val_*.bin``; without it the shards are downloaded from the Hugging Face
dataset ``FINEWEB_REPO`` (default ``kjj0/fineweb10B-gpt2``). ``FINEWEB_TRAIN_SHARDS`` (default 8, 100M
tokens each) limits the training shards; the first ``FINEWEB_VAL_TOKENS`` (default 10,485,760) tokens of
the validation shard are scored, the next 1,048,576 are the public dev split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

import numpy as np

MAGIC, VERSION, HEADER_INTS = 20240520, 1, 256
EOT = 50256
VOCAB_SIZE = 50257
JANEAUSTENR_DATA = "/usr/lib/R/site-library/janeaustenr/data"
NOVELS = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion"]
WHISPER_SDIST = "openai-whisper==20250625"
GPT2_TIKTOKEN_SHA256 = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
DEFAULT_REPO = "kjj0/fineweb10B-gpt2"


# -- the shard format -----------------------------------------------------------------------------------
def write_shard(path: Path, tokens: np.ndarray) -> None:
    """Write ``tokens`` (< 65536) as one shard."""
    tokens = np.asarray(tokens)
    if tokens.size and (tokens.min() < 0 or tokens.max() >= 2**16):
        raise ValueError("token ids must fit in uint16")
    header = np.zeros(HEADER_INTS, dtype="<i4")
    header[:3] = [MAGIC, VERSION, len(tokens)]
    with path.open("wb") as f:
        f.write(header.tobytes())
        f.write(tokens.astype("<u2").tobytes())


def read_shard(path: Path, limit: int | None = None) -> np.ndarray:
    """The tokens of one shard (the first ``limit`` of them), checking its header."""
    header = np.fromfile(path, dtype="<i4", count=HEADER_INTS)
    if len(header) < 3 or header[0] != MAGIC or header[1] != VERSION:
        raise SystemExit(f"{path}: not a FineWeb token shard (bad magic or version in the header)")
    n = int(header[2]) if limit is None else min(int(header[2]), limit)
    tokens = np.fromfile(path, dtype="<u2", count=n, offset=HEADER_INTS * 4)
    if len(tokens) != n:
        raise SystemExit(f"{path}: truncated: the header promises {n} tokens, the file holds {len(tokens)}")
    return tokens


# -- offline: Jane Austen with the GPT-2 BPE ---------------------------------------------------------------
def cache_root() -> Path:
    base = os.environ.get("MLGYM_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mlgym-tui"


def gpt2_ranks_file() -> Path:
    """``gpt2.tiktoken`` from the openai-whisper sdist (pip download once; cached)."""
    target = cache_root() / "assets" / "gpt2.tiktoken"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--disable-pip-version-check", "-q", "-d", tmp, WHISPER_SDIST],
            capture_output=True, text=True,
        )
        sdists = list(Path(tmp).glob("openai_whisper-*.tar.gz")) + list(Path(tmp).glob("openai-whisper-*.tar.gz"))
        if proc.returncode != 0 or not sdists:
            tail = "\n".join(proc.stderr.strip().splitlines()[-3:])
            raise SystemExit(f"could not fetch the GPT-2 BPE ranks ({WHISPER_SDIST} from PyPI):\n{tail}")
        with tarfile.open(sdists[0]) as tar:
            member = next((m for m in tar.getmembers() if m.name.endswith("whisper/assets/gpt2.tiktoken")), None)
            if member is None:
                raise SystemExit(f"{sdists[0].name} holds no whisper/assets/gpt2.tiktoken")
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
    if hashlib.sha256(data).hexdigest() != GPT2_TIKTOKEN_SHA256:
        raise SystemExit("gpt2.tiktoken from the openai-whisper sdist has an unexpected checksum")
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.rename(target)
    return target


def gpt2_encoding():
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    ranks = load_tiktoken_bpe(str(gpt2_ranks_file()), expected_hash=GPT2_TIKTOKEN_SHA256)
    return tiktoken.Encoding(
        name="gpt2", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": EOT}
    )


def read_novel(data_dir: Path, name: str) -> list[str]:
    """One novel's lines from janeaustenr's lazy-load database (``Rdata.rdx`` index + ``Rdata.rdb``)."""
    import rdata

    index = rdata.read_rds(data_dir / "Rdata.rdx")
    offset, length = (int(x) for x in index["variables"][name])
    with (data_dir / "Rdata.rdb").open("rb") as f:
        f.seek(offset)
        blob = f.read(length)
    # Each object: 4-byte big-endian uncompressed length, then a zlib stream of R's serialisation.
    payload = zlib.decompress(blob[4:])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = rdata.parser.parse_data(payload)
    return [str(line) for line in rdata.conversion.convert(parsed)]


_CHAPTER = re.compile(r"^(CHAPTER|Chapter)\s+[0-9IVXLC]+\.?\s*$")


def chapters(lines: list[str]) -> list[str]:
    """Split a novel into chapters; each chapter's paragraphs unwrapped, separated by blank lines."""
    found: list[list[str]] = [[]]
    for line in lines:
        if _CHAPTER.match(line.strip()):
            found.append([line.strip()])
        else:
            found[-1].append(line)
    texts = []
    for chunk in found[1:] or found:
        paragraphs = re.split(r"\n\s*\n", "\n".join(chunk))
        text = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
        if text:
            texts.append(text)
    return texts


def offline(out: Path) -> dict:
    data_dir = Path(os.environ.get("JANEAUSTENR_DIR", JANEAUSTENR_DATA))
    if not (data_dir / "Rdata.rdb").is_file():
        raise SystemExit(
            f"Jane Austen's novels not found in {data_dir}: install the Debian package r-cran-janeaustenr "
            "(bash scripts/setup-data-part2.sh) or set JANEAUSTENR_DIR to a copy of its data/ folder"
        )
    enc = gpt2_encoding()
    split: dict[str, list[np.ndarray]] = {"train": [], "dev": [], "val": []}
    n_chapters = 0
    for novel in NOVELS:
        for i, text in enumerate(chapters(read_novel(data_dir, novel))):
            part = "val" if i % 10 == 4 else "dev" if i % 20 == 9 else "train"
            split[part].append(np.array([EOT, *enc.encode_ordinary(text)], dtype=np.int64))
            n_chapters += 1
    public, private = out / "public", out / "private"
    public.mkdir(parents=True)
    private.mkdir(parents=True)
    write_shard(public / "fineweb_train_000001.bin", np.concatenate(split["train"]))
    write_shard(public / "fineweb_dev_000000.bin", np.concatenate(split["dev"]))
    write_shard(private / "fineweb_val_000000.bin", np.concatenate(split["val"]))
    return {
        "source": f"Jane Austen's six novels ({n_chapters} chapters; Debian r-cran-janeaustenr), GPT-2 BPE",
        "stand_in": False,
        "eval_seq_len": 256,
        "tokens": {k: int(sum(len(a) for a in v)) for k, v in split.items()},
    }


# -- full: the real FineWeb shards -------------------------------------------------------------------------
def fineweb_files(train_shards: int) -> tuple[list[Path], Path]:
    """Local paths of the training shards and the validation shard (downloaded when no FINEWEB_DIR)."""
    local = os.environ.get("FINEWEB_DIR")
    if local:
        root = Path(local)
        train = sorted(root.glob("fineweb_train_*.bin"))[:train_shards]
        val = sorted(root.glob("fineweb_val_*.bin"))
        if not train or not val:
            raise SystemExit(f"FINEWEB_DIR={root}: expected fineweb_train_*.bin and fineweb_val_*.bin files")
        return train, val[0]
    repo = os.environ.get("FINEWEB_REPO", DEFAULT_REPO)
    try:
        from huggingface_hub import hf_hub_download

        def get(name: str) -> Path:
            return Path(hf_hub_download(repo_id=repo, filename=name, repo_type="dataset"))

        val = get("fineweb_val_000000.bin")
        train = [get(f"fineweb_train_{i:06d}.bin") for i in range(1, train_shards + 1)]
    except Exception as exc:  # noqa: BLE001 - any failure to reach the hub is one user-facing error
        raise SystemExit(
            f"cannot download FineWeb shards from {repo} ({type(exc).__name__}: {exc}); set FINEWEB_DIR to a "
            "local folder of shards (see the task README)"
        ) from exc
    return train, val


def full(out: Path) -> dict:
    train_shards = int(os.environ.get("FINEWEB_TRAIN_SHARDS", "8"))
    val_tokens = int(os.environ.get("FINEWEB_VAL_TOKENS", str(10 * 2**20)))
    dev_tokens = 2**20
    train, val = fineweb_files(train_shards)
    public, private = out / "public", out / "private"
    public.mkdir(parents=True)
    private.mkdir(parents=True)
    for shard in train:
        read_shard(shard, limit=0)  # checks the header
        shutil.copyfile(shard, public / shard.name)
    tokens = read_shard(val, limit=val_tokens + dev_tokens)
    scored, dev = tokens[:val_tokens], tokens[val_tokens:]
    write_shard(private / "fineweb_val_000000.bin", scored)
    write_shard(public / "fineweb_dev_000000.bin", dev)
    return {
        "source": f"FineWeb GPT-2 token shards ({os.environ.get('FINEWEB_DIR') or os.environ.get('FINEWEB_REPO', DEFAULT_REPO)})",
        "stand_in": False,
        "eval_seq_len": 1024,
        "tokens": {"train": int(sum(int(np.fromfile(s, "<i4", 3)[2]) for s in train)), "dev": len(dev),
                   "val": len(scored)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="the real FineWeb shards (FINEWEB_DIR or the hub)")
    args = parser.parse_args(argv)
    meta = full(args.out) if args.full else offline(args.out)
    meta.update({"profile": "full" if args.full else "offline", "vocab_size": VOCAB_SIZE, "eot": EOT})
    (args.out / "public" / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    judge_meta = {"profile": meta["profile"], "eval_seq_len": meta["eval_seq_len"]}
    (args.out / "private" / "meta.json").write_text(json.dumps(judge_meta) + "\n")
    print(f"wrote {meta['source']}: {meta['tokens']} tokens", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
