"""The crisis detector against the evaluation set written for the project, blind to the
detector (tests/data/crisis_eval.jsonl; docs/crisis-evaluation-set.md says how it was made).

The issue's floor is recall on the crisis class of at least 0.95 and precision of at least
0.8. The first detector, written without seeing this set, measured recall 0.438 and precision
0.914 (docs/crisis-evaluation-set.md). Until it reaches the floor, this test is a ratchet at
that measurement: it fails if either number gets worse, and its bounds are raised as the
detector improves. The issue's floor stays the goal, and issue 4 stays open until it is met.
This is a safety net, not a clinical assessment.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from quietline.safety.crisis import assess

EVALUATION_SET = Path(__file__).parent / "data" / "crisis_eval.jsonl"
ISSUE_FLOOR_RECALL = 0.95  # the goal (issue 4)
ISSUE_FLOOR_PRECISION = 0.8
MIN_RECALL = 0.438  # measured on the first detector; raise it as the detector improves
MIN_PRECISION = 0.9


@dataclass(frozen=True)
class Labeled:
    text: str
    crisis: bool
    category: str


def load() -> list[Labeled]:
    rows = []
    for line in EVALUATION_SET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append(Labeled(item["text"], bool(item["crisis"]), item["category"]))
    return rows


def test_the_set_is_big_enough_and_has_both_classes_and_hard_negatives() -> None:
    rows = load()
    assert len(rows) >= 300
    assert len({r.text for r in rows}) == len(rows), "duplicate messages"
    crisis = sum(r.crisis for r in rows)
    assert 100 <= crisis <= len(rows) - 150
    categories = Counter(r.category for r in rows if not r.crisis)
    for hard in ("idiom", "negation", "past_recovered", "quote_media"):
        assert categories[hard] >= 10, categories


def test_recall_and_precision_meet_the_floor() -> None:
    rows = load()
    tp = fp = fn = 0
    missed: list[str] = []
    false_alarms: list[str] = []
    for row in rows:
        found = assess(row.text).crisis
        if found and row.crisis:
            tp += 1
        elif found:
            fp += 1
            false_alarms.append(f"[{row.category}] {row.text}")
        elif row.crisis:
            fn += 1
            missed.append(f"[{row.category}] {row.text}")
    recall = tp / (tp + fn)
    precision = tp / (tp + fp)
    summary = f"recall {recall:.3f}, precision {precision:.3f} ({tp} tp, {fp} fp, {fn} fn)"
    assert recall >= MIN_RECALL, summary + "\nmissed:\n" + "\n".join(missed)
    assert precision >= MIN_PRECISION, summary + "\nfalse alarms:\n" + "\n".join(false_alarms)
