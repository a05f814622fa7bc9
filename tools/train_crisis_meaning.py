"""Train the meaning tier's head and choose its threshold (decision 0022).

    python -m tools.train_crisis_meaning            # write src/quietline/safety/crisis_meaning.json
    python -m tools.train_crisis_meaning --check    # exit 1 if the shipped head drifted
    python -m tools.train_crisis_meaning --folds    # the leave-one-set-out table

Needs the ``dev`` extra (scikit-learn). The server reads only the JSON file and the pinned
encoder (:mod:`quietline.safety.crisis_meaning`).

**Data**: the linear tier's training data (``tools/train_crisis_model.py``: its fourteen
folds, the inbox negatives and the clinical negatives) and the two rules-only sets
(``crisis_train_voices``, ``crisis_train_context``), sixteen folds in all. The fifth to
twelfth blind sets and the inbox evaluation set are never read here (the same refusal as the
linear tier's script): they measure the detector.

**Features**: the encoder's vector of the message's first window (all but a handful of
messages fit in one) and the linear tier's log-odds. The log-odds of a message of the
fourteen folds is the one from the linear model trained without its set (out of fold), so the
head learns how far to trust the linear model on text it has not seen; on the other sets it is
the shipped linear model's.

**Head**: an L2-regularised logistic regression (lbfgs, C = :data:`C`, balanced classes).

**Threshold and gate**: leave one set out over the sixteen folds: for each, the head trained
on the other fifteen (and the negatives) scores the held-out set, through the server's own
:func:`~quietline.safety.crisis.combine`. The pair of a short-message gate (:data:`MIN_WORDS`)
and a threshold (:data:`THRESHOLDS`) is the one with the highest pooled held-out recall whose
pooled held-out precision is at least :data:`PRECISION_TARGET` and whose all-data head flags
none of the unit tests' ordinary short texts and cancellations; ties go to the higher
threshold, then the shorter gate.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from quietline.safety import crisis_meaning
from quietline.safety.crisis import combine
from quietline.safety.crisis_meaning import (
    ENCODER_SHA256,
    TOKENIZER_SHA256,
    MeaningHead,
    head_from_dict,
    load_encoder,
    logit,
)
from tools.train_crisis_model import (
    CHOSEN,
    RULES_ONLY_SETS,
    Counts,
    Example,
    FoldScores,
    _read,
    clinical_negatives,
    crisis_sets,
    fold_scores,
    inbox_negatives,
    rules,
    unit_cancellations,
    unit_hard_negatives,
    unit_short_texts,
)

ROOT = Path(__file__).resolve().parent.parent
HEAD_PATH = ROOT / "src" / "quietline" / "safety" / crisis_meaning.HEAD_FILE
C = 4.0
PRECISION_TARGET = 0.85
THRESHOLDS: tuple[float, ...] = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
MIN_WORDS: tuple[int, ...] = (3, 4, 5, 6, 7, 8)
# liblinear and lbfgs drift in the last decimals across machines; the check allows this much.
WEIGHT_DRIFT = 0.02


@dataclass(frozen=True)
class Row:
    text: str
    crisis: bool
    linear: float  # the linear tier's probability (out of fold where there is a fold)


@cache
def linear_scores() -> FoldScores:
    """The linear tier's held-out and all-data probabilities (its own script's folds)."""
    return fold_scores(CHOSEN.candidate)


@cache
def folds() -> dict[str, tuple[Row, ...]]:
    """The sixteen folds, with each message's linear probability."""
    linear = linear_scores()
    out: dict[str, tuple[Row, ...]] = {
        name: tuple(
            Row(ex.text, ex.crisis, p)
            for ex, p in zip(rows, linear.probabilities[name], strict=True)
        )
        for name, rows in crisis_sets().items()
    }
    for name in RULES_ONLY_SETS:
        out[name] = tuple(
            Row(r["text"], bool(r["crisis"]), linear.full_model.score(rules(r["text"]).normalised))
            for r in _read(name)
        )
    return out


@cache
def negatives() -> tuple[Row, ...]:
    full = linear_scores().full_model
    examples: list[Example] = [*inbox_negatives(), *clinical_negatives()]
    return tuple(Row(ex.text, False, full.score(rules(ex.text).normalised)) for ex in examples)


_vectors: dict[str, NDArray[np.float32]] = {}


def vectors(texts: Sequence[str]) -> NDArray[np.float32]:
    """First-window vectors, cached per text (training)."""
    missing = [t for t in dict.fromkeys(texts) if t not in _vectors]
    if missing:
        for text, vector in zip(missing, load_encoder().embed(missing), strict=True):
            _vectors[text] = vector
    return np.stack([_vectors[t] for t in texts])


def design(rows: Sequence[Row]) -> NDArray[np.float64]:
    logits = np.array([[logit(r.linear)] for r in rows])
    return np.hstack([vectors([r.text for r in rows]).astype(np.float64), logits])


def fit(rows: Sequence[Row], threshold: float = 0.5, min_words: int = 0) -> MeaningHead:
    x = design(rows)
    y = np.array([r.crisis for r in rows])
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(x, y)
    return MeaningHead(
        np.asarray(model.coef_[0], dtype=np.float32),
        float(model.intercept_[0]),
        threshold,
        min_words,
        {},
    )


def meaning_probability(head: MeaningHead, row: Row) -> float:
    """As the server computes it: every window of the message, the highest counts."""
    encoder = load_encoder()
    one = encoder.window_count(row.text) == 1
    windows = vectors([row.text]) if one else encoder.windows(row.text)
    return float(head.probabilities(windows, logit(row.linear)).max())


def detected(row: Row, meant: float, threshold: float, min_words: int) -> bool:
    return combine(
        rules(row.text),
        lambda _: row.linear,
        CHOSEN.threshold,
        CHOSEN.block,
        CHOSEN.min_words,
        lambda _: meant,
        threshold,
        min_words,
    ).crisis


@cache
def held_out() -> dict[str, tuple[float, ...]]:
    """Each fold's meaning probabilities from the head trained without it."""
    out = {}
    for name, rows in folds().items():
        training = [r for other, rs in folds().items() if other != name for r in rs]
        head = fit(training + list(negatives()))
        out[name] = tuple(meaning_probability(head, r) for r in rows)
    return out


def loso_counts(threshold: float, min_words: int) -> dict[str, tuple[Counts, Counts]]:
    """Per fold: (before the meaning tier, with it)."""
    out = {}
    for name, rows in folds().items():
        before, after = Counts(), Counts()
        for row, meant in zip(rows, held_out()[name], strict=True):
            before.add(detected(row, 0.0, 1.1, 0), row.crisis)
            after.add(detected(row, meant, threshold, min_words), row.crisis)
        out[name] = (before, after)
    return out


def pooled(counts: dict[str, tuple[Counts, Counts]], which: int) -> Counts:
    total = Counts()
    for pair in counts.values():
        c = pair[which]
        total.tp += c.tp
        total.fp += c.fp
        total.fn += c.fn
    return total


def ordinary_flagged(head: MeaningHead, threshold: float, min_words: int) -> int:
    return len(ordinary_alarms(head, threshold, min_words))


def ordinary_alarms(head: MeaningHead, threshold: float, min_words: int) -> list[str]:
    """How many of the unit tests' ordinary short texts and cancellations the head flags."""
    full = linear_scores().full_model
    texts = [*unit_short_texts(), *unit_cancellations()]
    rows = [Row(t, False, full.score(rules(t).normalised)) for t in texts]
    return [r.text for r in rows if detected(r, meaning_probability(head, r), threshold, min_words)]


def hard_negatives_flagged(head: MeaningHead) -> int:
    full = linear_scores().full_model
    rows = [Row(t, False, full.score(rules(t).normalised)) for t in unit_hard_negatives()]
    return sum(
        detected(r, meaning_probability(head, r), head.threshold, head.min_words) for r in rows
    )


def all_rows() -> list[Row]:
    return [r for rows in folds().values() for r in rows] + list(negatives())


def choose(full: MeaningHead) -> tuple[tuple[int, float], list[str]]:
    """The (min_words, threshold) the selection rule picks, and the table it looked at."""
    table = ["min words | threshold | held-out recall | precision | ordinary texts flagged"]
    best: tuple[float, float, int] | None = None  # (recall, threshold, min_words)
    for min_words in MIN_WORDS:
        for t in THRESHOLDS:
            c = pooled(loso_counts(t, min_words), 1)
            ordinary = ordinary_flagged(full, t, min_words)
            table.append(f"{min_words} | {t:g} | {c.recall:.3f} | {c.precision:.3f} | {ordinary}")
            if c.precision >= PRECISION_TARGET and ordinary == 0:
                key = (c.recall, t, -min_words)
                if best is None or key > (best[0], best[1], -best[2]):
                    best = (c.recall, t, min_words)
    if best is None:
        print("\n".join(table), file=sys.stderr)
        raise SystemExit("no setting meets the precision target and the ordinary texts")
    return (best[2], best[1]), table


def head_file() -> dict[str, Any]:
    full = fit(all_rows())
    (min_words, threshold), _ = choose(full)
    meta = {
        "encoder": crisis_meaning.ENCODER_PACKAGE + "/" + crisis_meaning.ENCODER_FILE,
        "encoder_sha256": ENCODER_SHA256,
        "tokenizer_sha256": TOKENIZER_SHA256,
        "features": "embedding[384] + linear_logit",
        "c": C,
        "trained_on": [*sorted(folds()), "crisis_train_inbox", "clinical_eval (negatives)"],
    }
    return MeaningHead(full.weights, full.bias, threshold, min_words, meta).as_dict()


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1) + "\n"


def drift(shipped: dict[str, Any], fresh: dict[str, Any]) -> float:
    """The largest difference between two heads' weights and bias (other fields must match)."""
    same = {k: v for k, v in shipped.items() if k not in {"weights", "bias"}} == {
        k: v for k, v in fresh.items() if k not in {"weights", "bias"}
    }
    if not same:
        return float("inf")
    a = np.array([*shipped["weights"], shipped["bias"]])
    b = np.array([*fresh["weights"], fresh["bias"]])
    return float(np.abs(a - b).max())


def fold_table() -> str:
    head = head_from_dict(json.loads(HEAD_PATH.read_text(encoding="utf-8")))
    counts = loso_counts(head.threshold, head.min_words)
    lines = [
        f"threshold {head.threshold:g}, from {head.min_words} words",
        "fold | crisis messages | before R / P | with meaning R / P",
    ]
    for name, (before, after) in counts.items():
        lines.append(
            f"{name} | {before.tp + before.fn} | {before.recall:.3f} / {before.precision:.3f} | "
            f"{after.recall:.3f} / {after.precision:.3f}"
        )
    b, a = pooled(counts, 0), pooled(counts, 1)
    lines.append(
        f"pooled | {b.tp + b.fn} | {b.recall:.3f} / {b.precision:.3f} | "
        f"{a.recall:.3f} / {a.precision:.3f}"
    )
    lines.append(f"unit hard negatives flagged: {hard_negatives_flagged(head)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare with the shipped head")
    mode.add_argument("--folds", action="store_true", help="leave-one-set-out table")
    mode.add_argument("--thresholds", action="store_true", help="the threshold table")
    args = parser.parse_args(argv)
    if args.folds:
        print(fold_table())
        return 0
    if args.thresholds:
        _, table = choose(fit(all_rows()))
        print("\n".join(table))
        return 0
    fresh = head_file()
    if args.check:
        shipped = json.loads(HEAD_PATH.read_text(encoding="utf-8"))
        gap = drift(shipped, fresh)
        ok = gap <= WEIGHT_DRIFT
        print("the shipped head is up to date" if ok else f"{HEAD_PATH} differs (by {gap})")
        return 0 if ok else 1
    HEAD_PATH.write_text(render(fresh), encoding="utf-8")
    print(f"wrote {HEAD_PATH} (threshold {fresh['threshold']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
