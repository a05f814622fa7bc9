"""The clinical-content guard against its evaluation set, written blind to the guard
(tests/data/clinical_eval.jsonl; docs/clinical-guard-evaluation-set.md says how it was made
and reports the results per category).

First (blind) measurement: recall 0.844 on the clinical class, precision 0.944. The issue sets
no floor for the guard (it is a warning aid; staff stay responsible); this test is a ratchet
at that measurement, so a change that makes the guard miss more or nag more fails here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from quietline.safety.clinical import assess_clinical

EVALUATION_SET = Path(__file__).parent / "data" / "clinical_eval.jsonl"
MIN_RECALL = 0.843
MIN_PRECISION = 0.944


def load() -> list[tuple[str, bool, str]]:
    rows = []
    for line in EVALUATION_SET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append((item["text"], bool(item["clinical"]), item["category"]))
    return rows


def test_the_set_is_big_enough_with_hard_negatives() -> None:
    rows = load()
    assert len(rows) >= 300
    assert len({text.lower() for text, _, _ in rows}) == len(rows), "duplicate messages"
    assert 100 <= sum(clinical for _, clinical, _ in rows) <= len(rows) - 150
    negatives = Counter(category for _, clinical, category in rows if not clinical)
    assert negatives["ambiguous_words"] >= 15, negatives


def test_recall_and_precision_do_not_get_worse() -> None:
    tp = fp = fn = 0
    missed: list[str] = []
    false_alarms: list[str] = []
    for text, clinical, category in load():
        found = assess_clinical(text).clinical
        if found and clinical:
            tp += 1
        elif found:
            fp += 1
            false_alarms.append(f"[{category}] {text}")
        elif clinical:
            fn += 1
            missed.append(f"[{category}] {text}")
    recall = tp / (tp + fn)
    precision = tp / (tp + fp)
    summary = f"recall {recall:.3f}, precision {precision:.3f} ({tp} tp, {fp} fp, {fn} fn)"
    assert recall >= MIN_RECALL, summary + "\nmissed:\n" + "\n".join(missed)
    assert precision >= MIN_PRECISION, summary + "\nfalse alarms:\n" + "\n".join(false_alarms)
