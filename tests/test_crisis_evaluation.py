"""The crisis detector against the evaluation set written for the project, blind to the
detector (tests/data/crisis_eval.jsonl; docs/crisis-evaluation-set.md says how it was made).

The issue's floor is recall on the crisis class of at least 0.95 and precision of at least
0.8. The first detector, written without seeing this set, measured recall 0.438 and precision
0.914. The detector was then widened category by category after looking at what it missed
here, so this set is now a *development* set: it measures recall 1.000 and precision 1.000
on it (docs/crisis-evaluation-set.md), and those numbers overstate how the detector does on
messages it has not seen. This test asserts the issue's floor, and also fails if either
number falls below the measurement (a ratchet).

The second set (tests/data/crisis_eval_holdout.jsonl; docs/crisis-holdout-set.md) was written
blind to the detector and measured once, blind: recall 0.727, precision 0.965. The detector was
then tuned on the kinds of phrasing it missed there, so that set is no longer held out either;
it is evaluated here with the same floor and its own ratchet. Whether the floor holds on new
messages is for a third set, written blind to both rounds of tuning, to say. This is a safety
net, not a clinical assessment.

The sensitive tier (decision 0015), which flags risk vocabulary unless an everyday reading
is recognised in its clause, left both sets at recall 1.000 and precision 1.000, so the
ratchets below are unchanged.

The learned tier (decision 0015, ``safety/crisis_model.py``) is a linear model trained on all
of these sets (``tools/train_crisis_model.py``), so every number here, the third and fourth
sets' included, is a number on training data. What it does on unseen wording is measured by
leave-one-set-out evaluation (``tests/test_crisis_model.py``) and by the fifth blind set, which
no test or tool here reads.

The fourth set (docs/crisis-blind4-set.md) was measured blind once, with the first learned tier:
recall 0.706, precision 0.923 (0.686 / 0.921 with the rules alone). It then became training data
of the learned tier, with four training sets written blind to the detector; with the retrained
tier it measures 0.732 / 0.926 (held out in the leave-one-set-out evaluation, 0.725 / 0.925).

Recall first (decision 0015, "The learned tier"): the threshold is now chosen for held-out
recall (0.7, with a short-message gate of 8 words), no longer so that the tier flags none of
the unit tests' hard negatives. The recall ratchets below moved up to the new measurements;
precision may go down, but never below the issue's floor of 0.8 on any set (the threshold rule
refuses a threshold that would).

Retrained with three more training sets written blind to the detector (``crisis_train_young``,
``crisis_train_formal``, ``crisis_train_pairs``; C = 30, threshold 0.75, gate 8 words), the
first two sets stay at 1.000 / 1.000 and the third and fourth ratchets moved up again.

Retrained on fourteen sets (``crisis_train_terse``, ``crisis_train_means``,
``crisis_train_everyday`` added; the rules widened on what they missed or wrongly flagged in
the training sets; C = 30, features seen three times, threshold 0.65, scheduling block, gate 8
words), every ratchet moved up: the third and fourth sets (training data), and the fifth, sixth
and seventh blind sets and the inbox set, measured once on that configuration, fixed before.

Session 11: the rules were widened on two more blind-written sets (voices, long context) and
the fourteen-set tier retrained on the new normalisation; a sixteen-set tier lost the fifth and
sixth sets' ratchets and was not shipped (decision 0015, "Sixteen sets"). The eighth blind set,
measured on it, joins the ratchets; the hard-negative ratchet tightened (30 to 29).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from quietline.safety.crisis import assess, assess_by_words

EVALUATION_SET = Path(__file__).parent / "data" / "crisis_eval.jsonl"
# The second set (docs/crisis-holdout-set.md). It was written blind and measured once, blind:
# recall 0.727, precision 0.965. The detector was then tuned on the kinds of phrasing it
# missed there, so it is now a second development set, not a held-out one, and its numbers
# below overstate how the detector does on wording nobody has seen.
HOLDOUT_SET = Path(__file__).parent / "data" / "crisis_eval_holdout.jsonl"
ISSUE_FLOOR_RECALL = 0.95  # issue 4
ISSUE_FLOOR_PRECISION = 0.8
MIN_RECALL = 1.0  # measured after tuning on this set (a development-set number)
# 1.000 until session 13; the meaning tier (decision 0022) flags 3 of its negatives.
MIN_PRECISION = 121 / 124  # 0.976
HOLDOUT_MIN_RECALL = 1.0  # measured after tuning on the second set (a development-set number)
HOLDOUT_MIN_PRECISION = 150 / 151  # 0.993; 1.000 until the meaning tier (1 more flag)


@dataclass(frozen=True)
class Labeled:
    text: str
    crisis: bool
    category: str


def load(path: Path = EVALUATION_SET) -> list[Labeled]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
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


def measure(rows: list[Labeled]) -> tuple[float, float, str, str]:
    """Recall and precision on the crisis class, and the misses and false alarms to show."""
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
    missed_text = summary + "\nmissed:\n" + "\n".join(missed)
    false_text = summary + "\nfalse alarms:\n" + "\n".join(false_alarms)
    return recall, precision, missed_text, false_text


def test_recall_and_precision_meet_the_floor() -> None:
    recall, precision, missed_text, false_text = measure(load())
    assert recall >= ISSUE_FLOOR_RECALL, missed_text
    assert precision >= ISSUE_FLOOR_PRECISION, false_text
    assert recall >= MIN_RECALL, missed_text
    assert precision >= MIN_PRECISION, false_text


def test_the_second_set_is_the_one_documented() -> None:
    rows = load(HOLDOUT_SET)
    assert len(rows) == 356
    assert sum(r.crisis for r in rows) == 150
    assert len({r.text.lower() for r in rows}) == len(rows), "duplicate messages"
    labels: dict[str, set[bool]] = {}
    for r in rows:
        labels.setdefault(r.category, set()).add(r.crisis)
    assert all(len(v) == 1 for v in labels.values()), "a category with both labels"


def test_second_set_recall_and_precision_meet_the_floor() -> None:
    """The second set, now a development set too: the issue's floor and a ratchet."""
    recall, precision, missed_text, false_text = measure(load(HOLDOUT_SET))
    assert recall >= ISSUE_FLOOR_RECALL, missed_text
    assert precision >= ISSUE_FLOOR_PRECISION, false_text
    assert recall >= HOLDOUT_MIN_RECALL, missed_text
    assert precision >= HOLDOUT_MIN_PRECISION, false_text


# The third set, written blind to every version of the detector (docs/crisis-blind3-set.md).
# Measured at 0.725/0.943 with the phrase rules alone, then 0.848/0.893 after the sensitive
# tier, which was designed without seeing it (only its per-category miss counts were known).
# The issue's floor is NOT met here: this is a ratchet at the measurement, so a change that
# makes the detector miss more on unseen wording fails. Issue 4 stays open until a blind
# measurement meets 0.95/0.8.
# The set is now TRAINING data of the learned tier, so it is no longer blind: with the tier
# it measures 0.855/0.894 (the model, having seen the set, adds one crisis message; held out,
# it adds none: decision 0015's fold table). The ratchet follows the measurement upward.
BLIND3_SET = Path(__file__).parent / "data" / "crisis_eval_blind3.jsonl"
# Recall first (threshold 0.7, gate 8): 0.920/0.894. Trained on eleven sets (C = 30, threshold
# 0.75, gate 8): 0.964/0.905. Fourteen sets (threshold 0.65, scheduling block): 0.986/0.925.
# With the meaning tier (session 13, decision 0022; the set is its training data): 1.000/0.914.
BLIND3_MIN_RECALL = 138 / 138  # 1.000
BLIND3_MIN_PRECISION = 0.8  # the issue's floor (measured 0.925; 0.914 with the meaning tier)


# The fourth set (docs/crisis-blind4-set.md), written blind to the detector. Measured blind once
# with the first learned tier: recall 0.706, precision 0.923. Then it became TRAINING data of the
# learned tier, so it is no longer blind: with the retrained tier it measures 0.732/0.926 (held
# out of training, 0.725/0.925: decision 0015's fold table). The issue's floor is NOT met here
# either; this is a ratchet at the measurement, like the third set's. Recall first (threshold
# 0.7, gate 8): 0.908/0.939 (held out of training, 0.856/0.923). Trained on eleven sets
# (C = 30, threshold 0.75, gate 8): 0.948/0.942 (held out of training, 0.908/0.933). Fourteen
# sets (threshold 0.65, scheduling block): 0.954/0.961 (held out of training, 0.928/0.940).
BLIND4_SET = Path(__file__).parent / "data" / "crisis_eval_blind4.jsonl"
# With the meaning tier (session 13, decision 0022; training data of it too): 0.980/0.955.
BLIND4_MIN_RECALL = 150 / 153  # 0.980
BLIND4_MIN_PRECISION = 0.8  # the issue's floor (measured 0.961; 0.955 with the meaning tier)


# The fifth set (docs/crisis-blind5-set.md), written blind to the detector, to its training
# data and to the other sets, and kept out of training (tools/train_crisis_model.py refuses
# it). Measured twice, each time on a configuration fixed before the measurement, with nothing
# tuned on it: the first learned tier 0.714/0.902 (rules alone 0.702/0.901), then the shipped
# recall-first tier 0.893/0.904. The issue's floor (0.95) is NOT met on it; this is a ratchet
# at the measurement. A new blind number needs a new set: this one has now been looked at.
# Later measurements (counts only): 0.940/0.898 with the scheduling block at 0.60, 0.940/0.908
# with the fourteen-set tier.
BLIND5_SET = Path(__file__).parent / "data" / "crisis_eval_blind5.jsonl"
# Session 13, with the meaning tier (never trained on this set; decision 0022): 0.994/0.888.
BLIND5_MIN_RECALL = 167 / 168  # 0.994, as measured in session 13
BLIND5_MIN_PRECISION = 0.8  # the issue's floor (measured 0.908; 0.888 with the meaning tier)


# The sixth set (docs/crisis-blind6-set.md): written blind, never trained on (the script refuses
# it). Measured three times, each on a configuration fixed before the measurement: 0.837/0.911
# with the eleven-set tier (threshold 0.75), 0.886/0.906 with the scheduling block at 0.60,
# 0.897/0.922 with the fourteen-set tier (0.65). The issue's floor (0.95) is NOT met; a
# ratchet at the measurement.
BLIND6_SET = Path(__file__).parent / "data" / "crisis_eval_blind6.jsonl"
# Session 13, with the meaning tier (never trained on this set): 0.967/0.927.
BLIND6_MIN_RECALL = 178 / 184  # 0.967, as measured in session 13
BLIND6_MIN_PRECISION = 0.8  # the issue's floor (measured 0.922; 0.927 with the meaning tier)


# The seventh set (docs/crisis-blind7-set.md): written blind, committed before any measurement,
# never trained on (the script refuses it), its texts never read. Measured on configurations
# fixed before each measurement: rules alone 0.740/0.887 and the scheduling block at 0.60
# 0.901/0.878 (before the fourteen-set retrain), the fourteen-set tier 0.917/0.889. The issue's
# floor (0.95) is NOT met; a ratchet at the measurement.
BLIND7_SET = Path(__file__).parent / "data" / "crisis_eval_blind7.jsonl"
# Session 13, with the meaning tier (never trained on this set): 0.974/0.874.
BLIND7_MIN_RECALL = 187 / 192  # 0.974, as measured in session 13
BLIND7_MIN_PRECISION = 0.8  # the issue's floor (measured 0.889; 0.874 with the meaning tier)

# The eighth set (docs/crisis-blind8-set.md): written blind in session 10 and committed before
# any measurement; the training script refuses it. First measured in session 11 on the retrain
# with the rules widened (voices and context sets): 177 of 192 (0.922), precision 0.898. It was
# looked at three times that session (a sixteen-set candidate, and twice while two rules
# regressions the fifth-to-seventh ratchets and the third set's found were fixed), always 177;
# no choice was made on it. A ratchet at the measurement.
BLIND8_SET = Path(__file__).parent / "data" / "crisis_eval_blind8.jsonl"
# Session 13, with the meaning tier (never trained on this set): 0.990/0.868.
BLIND8_MIN_RECALL = 190 / 192  # 0.990, as measured in session 13
BLIND8_MIN_PRECISION = 0.8  # the issue's floor (measured 0.898; 0.868 with the meaning tier)


# The ninth set (docs/crisis-blind9-set.md): written blind in session 12 and committed before any
# measurement; the training script refuses it; its texts never read. Measured twice, counts
# only, each on a configuration fixed before the measurement: the detector as session 12 found
# it 182 of 200 (0.910), precision 0.901; with session 12's changes (decided on the fifth to
# eighth sets and on Spanish, before this measurement) 183 of 200 (0.915), precision 0.901.
# The issue's floor (0.95) is NOT met on it. Then its misses and false alarms were read and the
# rules widened on their shapes (decision 0015, "Session 12"): 189 of 200, a development number.
BLIND9_SET = Path(__file__).parent / "data" / "crisis_eval_blind9.jsonl"
# Session 13, with the meaning tier (never trained on this set): 0.995/0.881.
BLIND9_MIN_RECALL = 199 / 200  # 0.995, with the meaning tier
BLIND9_MIN_PRECISION = 0.8  # the issue's floor (measured 0.901; 0.881 with the meaning tier)

# The tenth set (docs/crisis-blind10-set.md): written blind in session 12, committed unread, its
# texts never read. Measured twice, counts only, on configurations fixed before: 183 of 202
# (0.906), precision 0.897, both before and after the rules were widened on the ninth set's
# misses. The issue's floor (0.95) is NOT met; a ratchet at the measurement.
BLIND10_SET = Path(__file__).parent / "data" / "crisis_eval_blind10.jsonl"
# Session 13, counts only, with the meaning tier (decision 0022; its settings chosen by
# leave-one-set-out on its training folds, though this set's counts were looked at while
# deciding what to try): 194 of 202 (0.960), precision 0.874.
BLIND10_MIN_RECALL = 194 / 202  # 0.960, as measured
BLIND10_MIN_PRECISION = 0.8  # the issue's floor (measured 0.897; 0.874 with the meaning tier)

# What words alone decide (the rules and the linear tier, without the meaning tier:
# crisis.assess_by_words) on the sets the linear tier trains on, as measured in session 12.
# tools/train_crisis_model.py holds a retrain of the linear tier to these.
WORDS_MIN_RECALL = {
    "crisis_eval": 1.0,
    "crisis_eval_holdout": 1.0,
    "crisis_eval_blind3": 136 / 138,
    "crisis_eval_blind4": 146 / 153,
}


@pytest.mark.parametrize("name", sorted(WORDS_MIN_RECALL))
def test_words_alone_keep_their_recall(name: str) -> None:
    rows = load(Path(__file__).parent / "data" / f"{name}.jsonl")
    crisis_rows = [r for r in rows if r.crisis]
    found = sum(assess_by_words(r.text).crisis for r in crisis_rows)
    assert found / len(crisis_rows) >= WORDS_MIN_RECALL[name], f"{found} of {len(crisis_rows)}"


# The eleventh set (docs/crisis-blind11-set.md): written blind in session 12 (older, terse,
# second-language and religious voices), committed unread and measured once, counts only, in
# session 13 on the detector with the meaning tier, fixed before the measurement (decision
# 0022): 190 of 200 (0.950), precision 0.888: the first unseen set on which the issue's floors
# (0.95 and 0.8) hold. Its texts are still unread.
BLIND11_SET = Path(__file__).parent / "data" / "crisis_eval_blind11.jsonl"
BLIND11_MIN_RECALL = 190 / 200  # 0.950, as measured
BLIND11_MIN_PRECISION = 0.8  # the issue's floor (measured 0.888)

# Session 12 read the misses of the fifth to eighth sets (never trained on) and widened the
# rules on the shapes they shared: escalation ("used to be just thoughts, now ..."), means
# thrown away and bought anew, a pharmacy's "ready for pickup", and a confident model as the
# second sign of a short message (decision 0015, "Session 12"). From then on they are
# development sets for the rules, like the first four. The ninth set was measured unseen, then
# its misses read in turn; the tenth is the unseen one.

# The blind sets' ratchets, and the sizes their documents give. A set still unseen (its misses
# never read) names counts in a failure, not the messages.
BLIND_SETS = [
    # (set, documented size, crisis messages, min recall, min precision, unseen)
    (BLIND3_SET, 331, None, BLIND3_MIN_RECALL, BLIND3_MIN_PRECISION, False),
    (BLIND4_SET, 383, 153, BLIND4_MIN_RECALL, BLIND4_MIN_PRECISION, False),
    (BLIND5_SET, 422, 168, BLIND5_MIN_RECALL, BLIND5_MIN_PRECISION, False),
    (BLIND6_SET, 446, 184, BLIND6_MIN_RECALL, BLIND6_MIN_PRECISION, False),
    (BLIND7_SET, 472, 192, BLIND7_MIN_RECALL, BLIND7_MIN_PRECISION, False),
    (BLIND8_SET, 488, 192, BLIND8_MIN_RECALL, BLIND8_MIN_PRECISION, False),
    (BLIND9_SET, 496, 200, BLIND9_MIN_RECALL, BLIND9_MIN_PRECISION, False),
    (BLIND10_SET, 498, 202, BLIND10_MIN_RECALL, BLIND10_MIN_PRECISION, True),
    (BLIND11_SET, 500, 200, BLIND11_MIN_RECALL, BLIND11_MIN_PRECISION, True),
]


@pytest.mark.parametrize(
    ("path", "size", "crisis"),
    [b[:3] for b in BLIND_SETS],
    ids=lambda v: str(getattr(v, "stem", v)),
)
def test_the_blind_sets_are_the_ones_documented(path: Path, size: int, crisis: int | None) -> None:
    rows = load(path)
    assert len(rows) == size
    if crisis is not None:
        assert sum(r.crisis for r in rows) == crisis
    assert len({r.text.lower() for r in rows}) == len(rows), "duplicate messages"


@pytest.mark.parametrize(
    ("path", "min_recall", "min_precision", "unseen"),
    [(b[0], *b[3:]) for b in BLIND_SETS],
    ids=lambda v: str(getattr(v, "stem", v)),
)
def test_the_blind_sets_do_not_get_worse(
    path: Path, min_recall: float, min_precision: float, unseen: bool
) -> None:
    recall, precision, missed_text, false_text = measure(load(path))
    if unseen:
        missed_text = false_text = missed_text.split("\n", 1)[0]  # the counts only
    assert recall >= min_recall, missed_text
    assert precision >= min_precision, false_text


# Ordinary client inbox messages (docs/crisis-inbox-set.md): 420, none a crisis, written by hand
# and never trained on (the script refuses it). What a practice pays for recall: the rules
# alone flag 13 (3.1%), the scheduling block at 0.60 flagged 25 (6.0%), the fourteen-set tier
# 14 (3.3%), and with the meaning tier (session 13, decision 0022) 25 (6.0%): its price on
# ordinary traffic, for recall on unseen crisis text from about 0.91 to 0.95-0.96. A ratchet:
# a change may not add false alarms here; lower the bound when a change removes some.
INBOX_SET = Path(__file__).parent / "data" / "crisis_eval_inbox.jsonl"
INBOX_MAX_FALSE_ALARMS = 25


def test_ordinary_inbox_messages_rarely_raise_a_crisis() -> None:
    rows = load(INBOX_SET)
    assert len(rows) == 420
    assert not any(r.crisis for r in rows)
    flagged = [r for r in rows if assess(r.text).crisis]
    assert len(flagged) <= INBOX_MAX_FALSE_ALARMS, f"{len(flagged)} of {len(rows)} flagged"
