"""Data for naturalLanguageInferenceMNLI: ``prepare_data.py --out DIR [--full]``.

Writes, whatever the source (labels: 0 entailment, 1 neutral, 2 contradiction, as in MultiNLI):
  DIR/public/train.jsonl        {"premise", "hypothesis", "label", "genre"} per line
  DIR/public/validation.jsonl   {"premise", "hypothesis", "genre"} per line (labels hidden)
  DIR/public/meta.json          source, profile, label names
  DIR/private/validation_labels.json  [label, ...] in the order of validation.jsonl

Offline (default): WordNet-NLI, a generated STAND-IN. No MNLI-like data ships offline, so premise and
hypothesis pairs are written from templates over WordNet 3.0 (Debian package ``wordnet-base``; ``WORDNET_DIR``
points at another copy of its database files): hypernyms and hyponyms in positive and negated contexts
(monotonicity), "the only ..." exclusivity between sibling concepts, and adjective antonyms. The "genre" is
the WordNet domain (animals, vehicles, ...). Scores on it are not comparable with published MultiNLI or
MLGym-Bench numbers.

Full (``--full``): MultiNLI through Hugging Face ``datasets``. ``MNLI_SOURCE`` names it: a hub id (default
``nyu-mll/multi_nli``), a local folder of its data files, or a folder written by ``save_to_disk``. Train is
``train``; the scored split is ``validation_matched``. Pairs without a gold label (-1) are dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

WORDNET_DIR = "/usr/share/wordnet"
SEED = 20240612
OFFLINE_TRAIN = 40_000
OFFLINE_VALIDATION = 4_000
ADJ_LEAST = 10  # adjectives (for antonym pairs) must be this frequent in WordNet's tagged corpus
LABELS = ["entailment", "neutral", "contradiction"]
DEFAULT_SOURCE = "nyu-mll/multi_nli"

NAMES = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kira", "Liam",
         "Maya", "Noah", "Olga", "Pablo", "Rosa", "Sam", "Tara", "Victor"]
# domain: (WordNet 3.0 noun offset of its root, verbs as (past, base), places)
DOMAINS = {
    "animals": ("00015388", [("saw", "see"), ("photographed", "photograph"), ("fed", "feed")],
                ["in the park", "near the river", "at the farm", "in the garden"]),
    "vehicles": ("04524313", [("saw", "see"), ("bought", "buy"), ("rented", "rent")],
                 ["in town", "at the station", "near the harbour"]),
    "food": ("07555863", [("ate", "eat"), ("bought", "buy"), ("cooked", "cook")],
             ["at the market", "at home", "in the kitchen"]),
    "fruit": ("07705931", [("ate", "eat"), ("picked", "pick"), ("bought", "buy")],
              ["at the market", "in the orchard", "at home"]),
    "instruments": ("03800933", [("played", "play"), ("bought", "buy"), ("tuned", "tune")],
                    ["at the concert", "in the studio", "at school"]),
    "tools": ("04451818", [("used", "use"), ("found", "find"), ("bought", "buy")],
              ["in the shed", "at the workshop", "in the garage"]),
    "furniture": ("03405725", [("painted", "paint"), ("bought", "buy"), ("moved", "move")],
                  ["in the living room", "at the shop", "in the attic"]),
    "buildings": ("02913152", [("visited", "visit"), ("photographed", "photograph"), ("saw", "see")],
                  ["in the city", "near the square", "in the village"]),
    "containers": ("03094503", [("filled", "fill"), ("found", "find"), ("carried", "carry")],
                   ["in the attic", "at the office", "in the kitchen"]),
    "flowers": ("11669921", [("picked", "pick"), ("planted", "plant"), ("saw", "see")],
                ["in the garden", "by the road", "in the meadow"]),
}


# -- WordNet ----------------------------------------------------------------------------------------------
def _frequencies(root: Path) -> dict[str, int]:
    """Tagged-corpus counts per sense key (cntlist.rev: ``sense_key sense_number tag_cnt``)."""
    counts: dict[str, int] = {}
    path = root / "cntlist.rev"
    if path.is_file():
        for line in path.read_text(encoding="latin-1").splitlines():
            parts = line.split()
            if len(parts) == 3:
                counts[parts[0]] = int(parts[2])
    return counts


def _records(path: Path):
    for line in path.read_text(encoding="latin-1").splitlines():
        if not line or line.startswith("  "):
            continue  # the licence header
        fields = line.split(" | ")[0].split()
        offset, lex_filenum, ss_type = fields[0], int(fields[1]), fields[2]
        n_words = int(fields[3], 16)
        words = [(fields[4 + 2 * i], int(fields[5 + 2 * i], 16)) for i in range(n_words)]
        p_at = 4 + 2 * n_words
        n_ptrs = int(fields[p_at])
        ptrs = [(fields[p_at + 1 + 4 * i], fields[p_at + 2 + 4 * i], fields[p_at + 3 + 4 * i], fields[p_at + 4 + 4 * i])
                for i in range(n_ptrs)]
        yield offset, lex_filenum, ss_type, words, ptrs


def _common(word: str, lex_id: int, ss: int, lex_filenum: int, counts: dict[str, int], least: int = 1) -> bool:
    """A lemma in this sense occurs ``least`` times in the tagged corpus, is lower case, at most two words."""
    if not word.islower() or word.count("_") > 1 or not word.replace("_", "").isalpha():
        return False
    return counts.get(f"{word.lower()}%{ss}:{lex_filenum:02d}:{lex_id:02d}::", 0) >= least


class WordNet:
    def __init__(self, root: Path) -> None:
        counts = _frequencies(root)
        self.lemmas: dict[str, list[str]] = {}
        self.hyponyms: dict[str, list[str]] = defaultdict(list)
        for offset, lex_filenum, _, words, ptrs in _records(root / "data.noun"):
            self.lemmas[offset] = [w.replace("_", " ") for w, lid in words if _common(w, lid, 1, lex_filenum, counts)]
            self.hyponyms[offset] = [target for sym, target, pos, _ in ptrs if sym == "~" and pos == "n"]
        self.antonyms: list[tuple[str, str]] = []
        for _, lex_filenum, ss_type, words, ptrs in _records(root / "data.adj"):
            if ss_type != "a":
                continue
            for sym, target, pos, src_tgt in ptrs:
                if sym != "!" or pos != "a":
                    continue
                src = int(src_tgt[:2], 16)
                word, lid = words[src - 1] if src else words[0]
                if _common(word, lid, 3, lex_filenum, counts, ADJ_LEAST) and "_" not in word:
                    self.antonyms.append((word, target))
        # Resolve antonym targets to their first common lemma.
        adj_first: dict[str, str] = {}
        for offset, lex_filenum, ss_type, words, _ in _records(root / "data.adj"):
            common = [w for w, lid in words if _common(w, lid, 3, lex_filenum, counts, ADJ_LEAST) and "_" not in w]
            if ss_type == "a" and common:
                adj_first[offset] = common[0]
        self.antonyms = sorted({(a, adj_first[t]) for a, t in self.antonyms if t in adj_first and a != adj_first[t]})


class Domain:
    """A WordNet subtree with usable (common) words: parents, descendants and siblings among them."""

    def __init__(self, wn: WordNet, name: str, root: str, verbs: list, places: list[str]) -> None:
        self.name, self.verbs, self.places = name, verbs, places
        self.root_word = wn.lemmas[root][0] if wn.lemmas[root] else name.rstrip("s")
        self.words: dict[str, list[str]] = {}
        self.parent: dict[str, str] = {}  # usable node -> nearest usable ancestor
        stack = [(root, None, 0)]
        seen = set()
        while stack:
            node, usable_parent, depth = stack.pop()
            if node in seen or depth > 8:
                continue
            seen.add(node)
            if wn.lemmas.get(node):
                self.words[node] = wn.lemmas[node]
                if usable_parent is not None:
                    self.parent.setdefault(node, usable_parent)
                usable_parent = node
            for child in wn.hyponyms.get(node, []):
                stack.append((child, usable_parent, depth + 1))
        self.root = root
        self.children: dict[str, list[str]] = defaultdict(list)
        for child, parent in sorted(self.parent.items()):
            self.children[parent].append(child)
        self.nodes = sorted(n for n in self.words if n != root)

    def ancestors(self, node: str) -> list[str]:
        out = []
        while node in self.parent:
            node = self.parent[node]
            out.append(node)
        return out

    def descendants(self, node: str) -> list[str]:
        out, stack = [], list(self.children.get(node, []))
        while stack:
            n = stack.pop()
            out.append(n)
            stack.extend(self.children.get(n, []))
        return out


def article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


# Each surface form occurs with several labels; which one depends on the lexical relation between the
# two nouns (Y an ancestor, descendant, sibling of X, or a synonym of it), on adjective antonymy, or on
# word order, so surface cues alone do not give the label away.
E, N, C = 0, 1, 2
NOUN_FORMS = {  # form: {relation of Y to X: label}
    "pos_pos": {"up": E, "same": E, "down": N, "sib": N},
    "only": {"up": E, "same": E, "down": N, "sib": C},
    "neg_neg": {"down": E, "same": E, "up": N, "sib": N},
    "pos_neg": {"up": C, "same": C, "down": N, "sib": N},
    "neg_pos": {"up": C, "same": C, "down": N, "sib": N},
}
ADJ_FORMS = {  # form: {adjective B relative to A: label}
    "is": {"same": E, "antonym": C, "other": N},
    "is_not": {"antonym": E, "same": C, "other": N},
}
ROLE_FORMS = {  # premise "G gave R an X."; whose name comes first decides
    "active_same": E, "active_swapped": N, "passive": E, "passive_swapped": N,
    "negated": C, "negated_swapped": N, "negated_passive": C,
}
BUT_NOT_FORMS = {  # premise "P saw an X but not a Z." (X, Z siblings): which noun is negated decides
    "kept": E, "dropped": C, "neg_dropped": E, "neg_kept": C, "other": N,
}
FAMILY_WEIGHTS = {"noun": 0.35, "but_not": 0.3, "role": 0.25, "adj": 0.1}
GIVE_VERBS = [("gave", "given", "give"), ("showed", "shown", "show"), ("sent", "sent", "send"),
              ("sold", "sold", "sell"), ("lent", "lent", "lend")]


class Generator:
    def __init__(self, wn: WordNet, rng: random.Random) -> None:
        self.rng = rng
        self.domains = [Domain(wn, name, *spec) for name, spec in DOMAINS.items()]
        self.domains = [d for d in self.domains if len(d.nodes) >= 10]
        self.antonyms = wn.antonyms
        self.adjectives = sorted({a for pair in wn.antonyms for a in pair})
        # family -> label -> [(form, relation)]
        self.choices: dict[str, dict[int, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
        for family, forms in (("noun", NOUN_FORMS), ("adj", ADJ_FORMS)):
            for form, table in forms.items():
                for relation, label in table.items():
                    self.choices[family][label].append((form, relation))
        for family, forms in (("role", ROLE_FORMS), ("but_not", BUT_NOT_FORMS)):
            for form, label in forms.items():
                self.choices[family][label].append((form, ""))

    def word(self, d: Domain, node: str) -> str:
        return self.rng.choice(d.words[node])

    def related(self, d: Domain, relation: str) -> tuple[str, str]:
        """Words for a node X and a node Y that is its ancestor (up), descendant (down), sibling, or X
        itself under another name where it has one (same)."""
        for _ in range(200):
            x = self.rng.choice(d.nodes)
            if relation == "same":
                words = d.words[x]
                return (tuple(self.rng.sample(words, 2)) if len(words) > 1 else (words[0], words[0]))  # type: ignore[return-value]
            if relation == "up":
                options = [a for a in d.ancestors(x)[:3] if a != d.root]
            elif relation == "down":
                options = d.descendants(x)
            else:
                parent = d.parent.get(x)
                kin = set(d.ancestors(x)) | set(d.descendants(x))
                options = [s for s in d.children.get(parent, []) if s != x and s not in kin] if parent else []
            if options:
                y = self.rng.choice(options)
                wx, wy = self.word(d, x), self.word(d, y)
                if wx != wy:
                    return wx, wy
        raise LookupError(f"no {relation} relation in {d.name}")

    def pair(self, label: int) -> tuple[str, str, str]:
        """One (premise, hypothesis, genre) with the given label, from a form drawn at random."""
        families = [f for f in FAMILY_WEIGHTS if self.choices[f][label]]
        for _ in range(100):
            family = self.rng.choices(families, weights=[FAMILY_WEIGHTS[f] for f in families])[0]
            form, relation = self.rng.choice(self.choices[family][label])
            try:
                return self._pair(family, form, relation, self.rng.choice(self.domains))
            except LookupError:  # this domain has no pair of the drawn kind (e.g. a flat subtree)
                continue
        raise RuntimeError(f"could not generate a pair with label {label}")

    def _pair(self, group: str, form: str, relation: str, d: Domain) -> tuple[str, str, str]:
        r = self.rng
        name = r.choice(NAMES)
        past, base = r.choice(d.verbs)
        place = r.choice(d.places)
        if group == "but_not":
            x, z = self.related(d, "sib")
            others = [w for n in d.nodes for w in d.words[n] if w not in (x, z)]
            w = r.choice(others)
            premise = f"{name} {past} {article(x)} but not {article(z)} {place}."
            hypothesis = {
                "kept": f"{name} {past} {article(x)} {place}.",
                "dropped": f"{name} {past} {article(z)} {place}.",
                "neg_dropped": f"{name} did not {base} any {z} {place}.",
                "neg_kept": f"{name} did not {base} any {x} {place}.",
                "other": f"{name} {past} {article(w)} {place}.",
            }[form]
            return premise, hypothesis, d.name
        if group == "noun":
            wx, wy = self.related(d, relation)
            pos_x, pos_y = f"{name} {past} {article(wx)} {place}.", f"{name} {past} {article(wy)} {place}."
            neg_x, neg_y = f"{name} did not {base} any {wx} {place}.", f"{name} did not {base} any {wy} {place}."
            if form == "pos_pos":
                return pos_x, pos_y, d.name
            if form == "only":
                return (f"The only {d.root_word} {name} {past} was {article(wx)}.",
                        f"The only {d.root_word} {name} {past} was {article(wy)}.", d.name)
            if form == "neg_neg":
                return neg_x, neg_y, d.name
            if form == "pos_neg":
                return pos_x, neg_y, d.name
            return neg_y, pos_x, d.name  # neg_pos: no Y at all, yet an X
        if group == "adj":
            a, antonym = r.choice(self.antonyms)
            b = {"same": a, "antonym": antonym}.get(relation)
            while b is None:  # another adjective, neither A nor its antonym
                b = r.choice(self.adjectives)
                b = None if b in (a, antonym) else b
            wx = self.word(d, r.choice(d.nodes))
            subject = f"The {wx} {name} {past}"
            return f"{subject} was {a}.", f"{subject} was {'not ' if form == 'is_not' else ''}{b}.", d.name
        giver, receiver = r.sample(NAMES, 2)
        gave, given, give = r.choice(GIVE_VERBS)
        obj = article(self.word(d, r.choice(d.nodes)))
        premise = f"{giver} {gave} {receiver} {obj}."
        hypothesis = {
            "active_same": f"{giver} {gave} {obj} to {receiver}.",
            "active_swapped": f"{receiver} {gave} {obj} to {giver}.",
            "passive": f"{receiver} was {given} {obj} by {giver}.",
            "passive_swapped": f"{giver} was {given} {obj} by {receiver}.",
            "negated": f"{giver} did not {give} {receiver} anything.",
            "negated_swapped": f"{receiver} did not {give} {giver} anything.",
            "negated_passive": f"{receiver} was not {given} anything by {giver}.",
        }[form]
        return premise, hypothesis, d.name


def offline(out: Path, n_train: int, n_validation: int) -> dict:
    root = Path(os.environ.get("WORDNET_DIR", WORDNET_DIR))
    if not (root / "data.noun").is_file():
        raise SystemExit(
            f"WordNet not found in {root}: install the Debian package wordnet-base "
            "(bash scripts/setup-data-part2.sh) or set WORDNET_DIR to a folder with its database files"
        )
    rng = random.Random(SEED)
    gen = Generator(WordNet(root), rng)
    seen: set[tuple[str, str]] = set()

    def draw(n: int) -> list[dict]:
        rows = []
        while len(rows) < n:
            label = len(rows) % 3
            premise, hypothesis, genre = gen.pair(label)
            if (premise, hypothesis) in seen:
                continue
            seen.add((premise, hypothesis))
            rows.append({"premise": premise, "hypothesis": hypothesis, "label": label, "genre": genre})
        rng.shuffle(rows)
        return rows

    validation = draw(n_validation)  # drawn first, so the training pairs never repeat one of them
    train = draw(n_train)
    write(out, train, validation)
    return {"source": f"WordNet-NLI (generated from WordNet 3.0 in {root}; stand-in for MultiNLI)",
            "stand_in": True, "domains": [d.name for d in gen.domains]}


# -- full data: MultiNLI -----------------------------------------------------------------------------------
def load_multinli(source: str):
    import datasets

    path = Path(source)
    if path.is_dir() and (path / "dataset_dict.json").is_file():
        return datasets.load_from_disk(str(path))
    return datasets.load_dataset(source)


def rows_of(split) -> list[dict]:
    genres = split["genre"] if "genre" in split.column_names else [""] * len(split)
    return [
        {"premise": p, "hypothesis": h, "label": int(lab), "genre": g}
        for p, h, lab, g in zip(split["premise"], split["hypothesis"], split["label"], genres, strict=True)
        if int(lab) in (0, 1, 2)
    ]


def full(out: Path) -> dict:
    source = os.environ.get("MNLI_SOURCE", DEFAULT_SOURCE)
    try:
        dsd = load_multinli(source)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the data set is one user-facing error
        raise SystemExit(
            f"cannot load MultiNLI from {source!r} ({type(exc).__name__}: {exc}); set MNLI_SOURCE to a hub "
            "id or a local copy (see the task README)"
        ) from exc
    if "train" not in dsd or "validation_matched" not in dsd:
        raise SystemExit(f"{source}: expected 'train' and 'validation_matched' splits, found {sorted(dsd)}")
    write(out, rows_of(dsd["train"]), rows_of(dsd["validation_matched"]))
    return {"source": f"MultiNLI ({source}), scored on validation_matched", "stand_in": False}


def write(out: Path, train: list[dict], validation: list[dict]) -> None:
    public, private = out / "public", out / "private"
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    with (public / "train.jsonl").open("w") as f:
        f.writelines(json.dumps(row) + "\n" for row in train)
    with (public / "validation.jsonl").open("w") as f:
        f.writelines(json.dumps({k: row[k] for k in ("premise", "hypothesis", "genre")}) + "\n" for row in validation)
    (private / "validation_labels.json").write_text(json.dumps([row["label"] for row in validation]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="MultiNLI (MNLI_SOURCE)")
    parser.add_argument("--train-size", type=int, default=OFFLINE_TRAIN, help="offline: training pairs")
    parser.add_argument("--validation-size", type=int, default=OFFLINE_VALIDATION, help="offline: scored pairs")
    args = parser.parse_args(argv)
    meta = full(args.out) if args.full else offline(args.out, args.train_size, args.validation_size)
    meta.update({"profile": "full" if args.full else "offline", "labels": LABELS})
    (args.out / "public" / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {meta['source']} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
