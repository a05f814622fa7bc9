"""Train the learned tier of the crisis detector and choose its settings (decision 0015).

    python -m tools.train_crisis_model           # write src/quietline/safety/crisis_model.json
    python -m tools.train_crisis_model --check   # exit 1 if the shipped file is not what it makes
    python -m tools.train_crisis_model --folds   # the leave-one-set-out table for CHOSEN
    python -m tools.train_crisis_model --thresholds  # thresholds 0.5-0.96 and gates 4-8
    python -m tools.train_crisis_model --select  # the whole model-selection grid (hours)
    python -m tools.train_crisis_model --select --features w+b --jobs 2  # one feature set

Needs the ``dev`` extra (scikit-learn); the server itself only reads the JSON file
(:mod:`quietline.safety.crisis_model`).

**Data.** Fourteen labelled sets, listed by name, never globbed (the fifth, sixth and seventh
blind sets, ``crisis_eval_blind5.jsonl``, ``crisis_eval_blind6.jsonl`` and
``crisis_eval_blind7.jsonl``, the eighth, ``crisis_eval_blind8.jsonl``, the ninth,
``crisis_eval_blind9.jsonl``, the tenth, ``crisis_eval_blind10.jsonl``, the eleventh,
``crisis_eval_blind11.jsonl`` (all written in session 12), the twelfth,
``crisis_eval_blind12.jsonl`` (session 13), and the inbox evaluation set
``crisis_eval_inbox.jsonl`` must never be read here, and :func:`_data_file` refuses any name
containing ``blind5`` to ``blind12`` or ``eval_inbox``; ``tools/train_crisis_meaning.py`` reads
through it too): the
four evaluation sets (``tests/data/crisis_eval.jsonl``, ``crisis_eval_holdout.jsonl``,
``crisis_eval_blind3.jsonl``, ``crisis_eval_blind4.jsonl``; blind4 was measured blind once and
then became training data) and the ten training sets written blind to the detector
(``crisis_train_indirect``, ``crisis_train_harm``, ``crisis_train_hardneg``,
``crisis_train_logistics``, ``crisis_train_young``, ``crisis_train_formal``,
``crisis_train_pairs``, and ``crisis_train_terse``: short texts, slang, passive death wishes
and indirect intent, 620; ``crisis_train_means``: plans and means, final arrangements,
self-harm relapse, harm to others and crisis inside logistics, 640; ``crisis_train_everyday``:
a practice's ordinary inbox, 450 negatives, with 150 crisis messages in the same register,
600). Each is its own fold. Two more sets written blind, ``crisis_train_voices`` (older
adults, teenagers, parents, veterans, non-native English, formal writers, fragments,
voice-to-text and run-ons, 604, half crisis) and ``crisis_train_context`` (long messages whose
meaning turns across sentences, a late reveal, a denial that takes itself back, a past story
with or without a present, quoted or reported speech and dark humour in logistics, 560, 260
crisis), widened the rules in session 11 but are not training data (:data:`RULES_ONLY_SETS`).
``crisis_train_inbox`` (ordinary client inbox messages, all negative, from templates:
:data:`NEGATIVE_SETS`) is training data of every model and never a fold.
Messages of ``tests/data/clinical_eval.jsonl`` are added as negatives only from the categories
in :data:`CLINICAL_NEGATIVE_CATEGORIES`; the categories that talk about risk, self-harm, relapse
or other people's crises are left out
(:data:`CLINICAL_EXCLUDED_CATEGORIES`).

**Model.** Binary features of the detector's own normalised text
(:func:`quietline.safety.crisis_model.features`), scaled by one over the square root of their
number, a vocabulary of the features seen at least ``min_df`` times in the training messages,
and an L2-regularised logistic regression (liblinear, deterministic). Weights are rounded to
six decimals; the evaluation below scores with the same plain-Python code as the server.

**Selection** (``--select``). Leave one set out over the fourteen sets: train on the other 13
plus the clinical negatives, test on the one left out, for every candidate in the grid whose
weights file stays under :data:`MAX_FILE_BYTES`. For each candidate and each block mode (which
of the rules' readings the model may not override), the threshold is the one that maximises
the mean held-out recall of rules-or-model over the :data:`SELECTION_FOLDS`
(the eleven sets the rules were never tuned on set by set: on the other three the rules'
numbers are development-set numbers; the rules were since adjusted on kinds of phrasing they
missed or wrongly flagged across all the training sets, decision 0015, so every rules column
is partly a development number), recall first, subject to (a) a mean held-out precision there
of at least 0.85, (b) held-out false alarms on the plain logistics of :data:`PLAIN_LOGISTICS` of at
most 1%, (c) every words-only recall ratchet of ``tests/test_crisis_evaluation.py``
(``WORDS_MIN_RECALL``) and (d) the issue's
precision floor of 0.8 on every evaluation set, both with the all-data model (those sets are
training data: a constraint, not a measure), and (e) none of the ordinary short practice texts
of the unit tests (``SHORT_PRACTICE_TEXTS``) flagged by the detector with the all-data model,
and (f) none of their ordinary cancellations and apologies (``ORDINARY_CANCELLATIONS``), and
(g) no more of the unit tests' hard negatives flagged than their ratchet
(``WORDS_ONLY_HARD_NEGATIVE_ALARMS``, words alone since session 13; added in session 11: the
top pick had twice been a block that let the model override the rules' everyday readings and
flagged far more of them).
The short-message gate (``min_words``) is chosen
with it, among :data:`GATES`. Rules and model are combined by the server's own
:func:`quietline.safety.crisis.combine`. Candidates are ranked by the mean held-out recall of
rules-or-model at that threshold, then by the model's own mean held-out recall, then by
precision, then by the number of weights (fewer is better). ``--thresholds`` prints the
threshold table and the gate table of decision 0015.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import itertools
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from quietline.safety.crisis import RulesOutcome, assess_rules, combine
from quietline.safety.crisis_model import (
    BLOCK_MODES,
    FORMAT,
    CrisisModel,
    FeatureConfig,
    features,
    model_from_dict,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MODEL_PATH = ROOT / "src" / "quietline" / "safety" / "crisis_model.json"
UNIT_TESTS = ROOT / "tests" / "test_crisis_detector.py"
EVALUATION_TESTS = ROOT / "tests" / "test_crisis_evaluation.py"

# The labelled crisis sets, by name (never a glob: the blind5, blind6 and blind7 sets must not be
# read).
# The evaluation sets: the detector's rules were tuned on the first three, never on the fourth.
EVAL_SETS: tuple[str, ...] = (
    "crisis_eval",
    "crisis_eval_holdout",
    "crisis_eval_blind3",
    "crisis_eval_blind4",
)
# Training data written blind to the detector by ten writers (each its own kinds of message).
TRAIN_SETS: tuple[str, ...] = (
    "crisis_train_indirect",
    "crisis_train_harm",
    "crisis_train_hardneg",
    "crisis_train_logistics",
    "crisis_train_young",
    "crisis_train_formal",
    "crisis_train_pairs",
    "crisis_train_terse",
    "crisis_train_means",
    "crisis_train_everyday",
)
# Written blind like the training sets (session 10) and used in session 11 to widen the RULES,
# but not training data of the learned tier: the model selected on all sixteen sets measured
# worse on the fifth and sixth blind sets (156 and 160 caught against 158 and 165) than the
# fourteen-set model with the same rules (decision 0015, "Sixteen sets"). To try again, move
# them into TRAIN_SETS and run --select.
RULES_ONLY_SETS: tuple[str, ...] = ("crisis_train_voices", "crisis_train_context")
# Every set is a fold of the leave-one-set-out evaluation and training data of the shipped model.
CRISIS_SETS: tuple[str, ...] = EVAL_SETS + TRAIN_SETS
# The sets the rules were tuned on: their rules columns are development-set numbers.
RULES_TUNED_ON: frozenset[str] = frozenset(EVAL_SETS[:3])
# tests/data/crisis_eval_blind5.jsonl (the never-trained ratchet, read by the tests only),
# crisis_eval_blind6.jsonl and crisis_eval_blind7.jsonl (the lead's measurements), the eighth
# (crisis_eval_blind8.jsonl, written in session 10, measured in session 11), the ninth
# (crisis_eval_blind9.jsonl, session 12), the tenth (crisis_eval_blind10.jsonl, session 12),
# the eleventh (crisis_eval_blind11.jsonl, session 12, measured once in session 13), the
# twelfth (crisis_eval_blind12.jsonl, session 13, kept unmeasured) and the inbox evaluation set:
# this script (and tools/train_crisis_meaning.py, which reads through it) refuses them.
NEVER_READ: tuple[str, ...] = (
    "blind5",
    "blind6",
    "blind7",
    "blind8",
    "blind9",
    "blind10",
    "blind11",
    "blind12",
    "eval_inbox",
)
# Training negatives only, never a fold: ordinary client inbox messages (cancellations,
# apologies, running late ...) written from about 190 templates, so full of near-duplicates that
# would make held-out numbers meaningless. Every fold's model and the all-data model train on it.
NEGATIVE_SETS: tuple[str, ...] = ("crisis_train_inbox",)
CLINICAL_SET = "clinical_eval"
# clinical_eval categories used as extra negatives: staff messages certainly not a crisis.
CLINICAL_NEGATIVE_CATEGORIES = frozenset(
    {
        "logistics",
        "running_late",
        "rooms_facilities",
        "billing_admin",
        "tech_telehealth",
        "staff_coordination",
        "pleasantries",
        "ambiguous_words",
        "medication",
        "diagnosis",
        "test_results",
        "treatment_plan",
        "symptoms",
        "session_content",
    }
)
# Left out: risk talk, another client's suicidal ideation or self-harm, "if the suicidal
# thoughts come back", relapse and pills. A new category must be put in one list or the other.
CLINICAL_EXCLUDED_CATEGORIES = frozenset(
    {"risk", "third_party_clinical", "mixed_logistics", "substance_use"}
)
# The plain practice-logistics negatives of each crisis set (scheduling, billing, forms ...), by
# category, listed per file. Their false alarms are counted on their own in the fold table and
# bound the threshold (LOGISTICS_MAX_ALARM_RATE). Categories written to look risky
# ("logistics_risky_word", "event_logistics", "medical_logistics") are not plain logistics, nor
# are categories with idioms or risk words mixed in (young: "forms_portal" asks about "thoughts of
# death", "spanglish_logistics" has "me muero", "medication_routine" is medical; formal:
# "billing_complaint" has "the death of me", "medical_logistics"; pairs:
# "nonnative_benign_logistics" has "dead tooth" and "hang the painting", "..._med_logistics").
PLAIN_LOGISTICS: dict[str, frozenset[str]] = {
    "crisis_eval": frozenset({"logistics"}),
    "crisis_eval_holdout": frozenset({"logistics"}),
    "crisis_eval_blind3": frozenset({"logistics"}),
    "crisis_eval_blind4": frozenset({"logistics"}),
    "crisis_train_indirect": frozenset(
        {
            "logistics_benign",
            "scheduling_benign",
            "cancel_benign",
            "billing_benign",
            "forms_benign",
            "insurance_benign",
            "records_benign",
        }
    ),
    "crisis_train_harm": frozenset({"logistics"}),
    "crisis_train_hardneg": frozenset(),
    "crisis_train_logistics": frozenset(
        {
            "appointment_confirm",
            "reschedule",
            "billing_insurance",
            "forms_paperwork",
            "telehealth_tech",
            "running_late",
            "practice_questions",
            "parking_directions",
            "did_you_get_message",
            "superbill",
            "weather_closure",
            "privacy_hipaa",
            "refill_prescriber",
        }
    ),
    "crisis_train_young": frozenset(
        {"insurance_parents", "school_logistics", "short_logistics", "telehealth_dorm"}
    ),
    "crisis_train_formal": frozenset({"appointment_logistics"}),
    "crisis_train_pairs": frozenset({"codeswitch_benign_logistics"}),
    # terse: "short_benign" is short texts full of idioms ("dead tired", "leaving for good...
    # for the weekend lol"); means: "logistics_with_feelings" has feelings, "means_benign" knives
    # and pills. everyday: "cancel_family" has deaths, funerals and hospitals, "away_next_week"
    # and "slot_release" are written as look-alikes of their risky twins ("I'll be gone for a
    # while", "give my spot to someone who needs it more"), "refills_prescriber" is medical.
    "crisis_train_terse": frozenset(),
    "crisis_train_means": frozenset(),
    "crisis_train_everyday": frozenset(
        {
            "cancel_sick",
            "cancel_work_travel",
            "cancel_money",
            "insurance_billing",
            "telehealth_tech",
            "frustrated_logistics",
        }
    ),
    # voices: each voice's plain logistics (confirming, running late, billing, forms ...).
    # context: its logistics are all written with dark humour ("the pavement wants me dead").
    "crisis_train_voices": frozenset(
        {
            "older_adult_logistics",
            "teen_logistics",
            "parent_logistics",
            "veteran_logistics",
            "nonnative_logistics",
            "formal_logistics",
            "fragment_logistics",
            "voice_to_text_logistics",
            "runon_logistics",
        }
    ),
    "crisis_train_context": frozenset(),
}

SEED = 0
DECIMALS = 6
PRECISION_TARGET = 0.85  # (a) mean held-out precision the threshold must keep (issue: 0.8)
LOGISTICS_MAX_ALARM_RATE = 0.01  # (b) held-out false alarms on plain logistics, all folds
PRECISION_FLOOR = 0.8  # (d) the floor: every evaluation set, with the all-data model
# The short-message gate (crisis.combine): the fewest words the learned tier looks at.
# Chosen with the threshold, by the same rule, among GATES; 0 (no gate) is reported only.
MIN_WORDS_CHOICES: tuple[int, ...] = (0, 4, 5, 6, 7, 8)
GATES: tuple[int, ...] = (4, 5, 6, 7, 8)
# The folds whose means choose the threshold: those whose rules column is honest (the rules were
# never tuned on them). The three sets the rules were tuned on are still folds (reported).
SELECTION_FOLDS: tuple[str, ...] = tuple(n for n in CRISIS_SETS if n not in RULES_TUNED_ON)
MAX_FILE_BYTES = 1_000_000  # the weights file stays small (it is read at start-up)
# The sets whose words-only recall ratchet (tests/test_crisis_evaluation.py's WORDS_MIN_RECALL:
# the rules and this tier, without the meaning tier) a retrain must keep.
RATCHETS: tuple[str, ...] = (
    "crisis_eval",
    "crisis_eval_holdout",
    "crisis_eval_blind3",
    "crisis_eval_blind4",
)
THRESHOLDS: tuple[float, ...] = (
    *(round(0.30 + 0.05 * i, 2) for i in range(14)),
    0.96,
    0.97,
    0.98,
    0.99,
    0.995,
    0.999,
)


@dataclass(frozen=True)
class Candidate:
    """The trainable settings: features, regularisation, class weights, vocabulary cut."""

    features: FeatureConfig
    c: float
    class_weight: str | None
    min_df: int

    def label(self) -> str:
        f = self.features
        parts = [p for p, on in (("w", f.words), ("b", f.bigrams)) if on]
        if f.char_min:
            parts.append(f"c{f.char_min}-{f.char_max}")
        weight = "balanced" if self.class_weight else "none"
        return f"{'+'.join(parts)} C={self.c:g} cw={weight} min_df={self.min_df}"


@dataclass(frozen=True)
class Choice:
    """A candidate with its decision threshold, block mode and short-message gate."""

    candidate: Candidate
    threshold: float
    block: str
    min_words: int = 0


# Chosen with --select on the fourteen sets (decision 0015, "Fourteen sets", has the tables);
# the test checks the shipped file is exactly what these settings produce. Over the whole grid
# the rule (a)-(f) ranks block "nothing" first (C = 30, min count 2, 0.70: selection folds
# 0.891 / 0.887, but 44 unit hard negatives flagged), then "negation_idiom": both let the model
# override the everyday readings the rules recognise (a negation, the past, someone else), a
# change of this decision's design that its tests forbid. Among the blocks that keep those
# readings, the rule picks block everyday_or_scheduling, C = 30, balanced, min count 3,
# threshold 0.65, gate 8. In session 11 the rules were widened (voices and context sets) and
# the model retrained with these settings on the same fourteen sets; the sixteen-set selection
# (C = 30, min count 2, 0.60) was measured and not shipped (RULES_ONLY_SETS). Since then the
# rule also has (g), the unit hard-negative ratchet, so the excluded blocks cannot rank first.
CHOSEN = Choice(
    Candidate(FeatureConfig(words=True, bigrams=True, char_min=0, char_max=0), 30.0, "balanced", 3),
    threshold=0.65,
    block="everyday_or_scheduling",
    min_words=8,
)


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    text: str
    crisis: bool
    category: str


def _data_file(stem: str) -> Path:
    if any(name in stem.lower() for name in NEVER_READ):
        raise ValueError(
            "the fifth to twelfth blind sets and the inbox evaluation set are never read by the "
            "training scripts"
        )
    return DATA / f"{stem}.jsonl"


def _read(stem: str) -> list[dict[str, Any]]:
    lines = _data_file(stem).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@cache
def crisis_sets() -> dict[str, tuple[Example, ...]]:
    """The labelled crisis sets (evaluation and training), by name."""
    return {
        stem: tuple(Example(r["text"], bool(r["crisis"]), r["category"]) for r in _read(stem))
        for stem in CRISIS_SETS
    }


@cache
def inbox_negatives() -> tuple[Example, ...]:
    """The training-only negative sets (:data:`NEGATIVE_SETS`): every message is no crisis."""
    rows = [row for stem in NEGATIVE_SETS for row in _read(stem)]
    if any(r["crisis"] for r in rows):
        raise ValueError("the training-only negative sets hold negatives only")
    return tuple(Example(r["text"], False, r["category"]) for r in rows)


@cache
def clinical_negatives() -> tuple[Example, ...]:
    """Messages of the clinical set that are certainly not a crisis, as negatives."""
    rows = _read(CLINICAL_SET)
    unknown = {r["category"] for r in rows} - CLINICAL_NEGATIVE_CATEGORIES
    unknown -= CLINICAL_EXCLUDED_CATEGORIES
    if unknown:
        raise ValueError(f"clinical categories neither used nor excluded: {sorted(unknown)}")
    return tuple(
        Example(r["text"], False, r["category"])
        for r in rows
        if r["category"] in CLINICAL_NEGATIVE_CATEGORIES
    )


def training_examples(held_out: str | None = None) -> list[Example]:
    """The crisis sets (all, or all but *held_out*), the training-only inbox negatives and the
    clinical negatives."""
    out = [ex for name, rows in crisis_sets().items() if name != held_out for ex in rows]
    return out + list(inbox_negatives()) + list(clinical_negatives())


@cache
def rules(text: str) -> RulesOutcome:
    return assess_rules(text)


def flagged(text: str, probability: float, choice: Choice) -> bool:
    """Whether the detector flags *text* when the model gives it *probability*: the server's
    own combination of rules and model (:func:`quietline.safety.crisis.combine`)."""
    outcome = rules(text)
    return combine(
        outcome, lambda _: probability, choice.threshold, choice.block, choice.min_words
    ).crisis


@cache
def _features(text: str, config: FeatureConfig) -> frozenset[str]:
    return frozenset(features(rules(text).normalised, config))


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


def _matrix(texts: Sequence[str], config: FeatureConfig, vocab: dict[str, int]) -> csr_matrix:
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for text in texts:
        feats = _features(text, config)
        scale = 1.0 / math.sqrt(len(feats)) if feats else 0.0
        cols = sorted(vocab[f] for f in feats if f in vocab)
        indices += cols
        data += [scale] * len(cols)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(texts), len(vocab)))


def fit(
    examples: Sequence[Example], candidate: Candidate
) -> tuple[LogisticRegression, dict[str, int], csr_matrix]:
    """Fit the logistic regression: the classifier, its vocabulary and the training matrix."""
    texts = [ex.text for ex in examples]
    counts = Counter(f for text in texts for f in _features(text, candidate.features))
    kept = sorted(f for f, n in counts.items() if n >= candidate.min_df)
    vocab = {f: i for i, f in enumerate(kept)}
    x = _matrix(texts, candidate.features, vocab)
    y = np.array([int(ex.crisis) for ex in examples])
    clf = LogisticRegression(
        C=candidate.c,
        solver="liblinear",
        class_weight=candidate.class_weight,
        random_state=SEED,
        max_iter=1000,
    )
    clf.fit(x, y)
    return clf, vocab, x


def train(examples: Sequence[Example], candidate: Candidate) -> tuple[dict[str, float], float]:
    """The weights (rounded, zeros dropped) and the bias of the fitted model."""
    clf, vocab, _ = fit(examples, candidate)
    coef = clf.coef_[0]
    weights = {f: round(float(coef[i]), DECIMALS) for f, i in vocab.items()}
    return {f: w for f, w in weights.items() if w != 0.0}, round(float(clf.intercept_[0]), DECIMALS)


def model_file(choice: Choice = CHOSEN) -> dict[str, Any]:
    """The contents of the weights file: the model trained on all the data with *choice*."""
    examples = training_examples()
    weights, bias = train(examples, choice.candidate)
    return {
        "format": FORMAT,
        "made_by": "tools/train_crisis_model.py (python -m tools.train_crisis_model)",
        "features": choice.candidate.features.as_dict(),
        "training": {
            "crisis_sets": list(CRISIS_SETS),
            "clinical_negatives": len(clinical_negatives()),
            "negative_sets": list(NEGATIVE_SETS),
            "negative_set_messages": len(inbox_negatives()),
            "messages": len(examples),
            "crisis_messages": sum(ex.crisis for ex in examples),
            "c": choice.candidate.c,
            "class_weight": choice.candidate.class_weight,
            "min_df": choice.candidate.min_df,
            "solver": "liblinear",
        },
        "threshold": choice.threshold,
        "block": choice.block,
        "min_words": choice.min_words,
        "bias": bias,
        "weights": dict(sorted(weights.items())),
    }


def render(data: dict[str, Any]) -> str:
    """The weights file's text: sorted keys, one weight a line, so diffs are readable."""
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _model(candidate: Candidate, examples: Sequence[Example]) -> CrisisModel:
    weights, bias = train(examples, candidate)
    data = {
        "format": FORMAT,
        "features": candidate.features.as_dict(),
        "threshold": 1.0,
        "block": "nothing",
        "min_words": 0,
        "bias": bias,
        "weights": weights,
    }
    return model_from_dict(data)


# --------------------------------------------------------------------------------------
# Leave-one-set-out evaluation
# --------------------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


@dataclass
class Fold:
    """One held-out set: (a) rules alone, (b) model alone, (c) rules or model."""

    held_out: str
    rules: Counts = field(default_factory=Counts)
    model: Counts = field(default_factory=Counts)
    combined: Counts = field(default_factory=Counts)
    logistics: int = 0
    logistics_model_alarms: int = 0  # model-alone false alarms on plain logistics messages
    logistics_added_alarms: int = 0  # false alarms the learned tier adds to the rules there
    logistics_alarms: int = 0  # the detector's (rules or model) false alarms there


@dataclass(frozen=True)
class FoldScores:
    """The held-out probabilities of one candidate, per set, and its all-data model."""

    candidate: Candidate
    probabilities: dict[str, tuple[float, ...]]
    full_model: CrisisModel
    unit_probabilities: tuple[float, ...]  # the all-data model on the unit hard negatives
    short_probabilities: tuple[float, ...]  # and on the unit tests' short practice texts
    cancellation_probabilities: tuple[float, ...]  # and on their ordinary cancellations
    ratchet_probabilities: dict[str, tuple[float, ...]]  # and on the ratcheted sets


def fold_scores(candidate: Candidate) -> FoldScores:
    probabilities: dict[str, tuple[float, ...]] = {}
    for name, rows in crisis_sets().items():
        model = _model(candidate, training_examples(held_out=name))
        probabilities[name] = tuple(model.score(rules(ex.text).normalised) for ex in rows)
    full = _model(candidate, training_examples())
    unit = tuple(full.score(rules(text).normalised) for text in unit_hard_negatives())
    short = tuple(full.score(rules(text).normalised) for text in unit_short_texts())
    cancellations = tuple(full.score(rules(text).normalised) for text in unit_cancellations())
    ratcheted = {
        name: tuple(full.score(rules(ex.text).normalised) for ex in crisis_sets()[name])
        for name in RATCHETS
    }
    return FoldScores(candidate, probabilities, full, unit, short, cancellations, ratcheted)


def folds(scores: FoldScores, choice: Choice) -> list[Fold]:
    """Each set held out: rules alone, model alone, and the detector (rules or model, through
    the server's :func:`~quietline.safety.crisis.combine`, short-message gate included)."""
    out = []
    for name, rows in crisis_sets().items():
        fold = Fold(name)
        for ex, p in zip(rows, scores.probabilities[name], strict=True):
            by_rules = rules(ex.text).assessment.crisis
            by_model = p >= choice.threshold
            detected = flagged(ex.text, p, choice)
            fold.rules.add(by_rules, ex.crisis)
            fold.model.add(by_model, ex.crisis)
            fold.combined.add(detected, ex.crisis)
            if ex.category in PLAIN_LOGISTICS[name] and not ex.crisis:
                fold.logistics += 1
                fold.logistics_model_alarms += by_model
                fold.logistics_added_alarms += detected and not by_rules
                fold.logistics_alarms += detected
        out.append(fold)
    return out


def logistics_alarms(rows: Sequence[Fold]) -> tuple[int, int]:
    """The detector's held-out false alarms on plain logistics, over all folds, and of how many."""
    return sum(f.logistics_alarms for f in rows), sum(f.logistics for f in rows)


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items)


def _load_test_module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # a dataclass in the module looks itself up there
    spec.loader.exec_module(module)
    return module


@cache
def unit_hard_negatives() -> tuple[str, ...]:
    """The hard negatives of the detector's unit tests (loaded from the test module)."""
    module = _load_test_module(UNIT_TESTS, "_crisis_unit_examples")
    lists = ("NOT_CRISIS", "MORE_NOT_CRISIS", "FAMILY_NOT_CRISIS", "SENSITIVE_NOT_CRISIS")
    return tuple(text for name in lists for text in getattr(module, name))


@cache
def unit_short_texts() -> tuple[str, ...]:
    """The ordinary short practice texts the unit tests hold at no flag."""
    module = _load_test_module(UNIT_TESTS, "_crisis_unit_examples")
    return tuple(module.SHORT_PRACTICE_TEXTS)


@cache
def unit_cancellations() -> tuple[str, ...]:
    """The ordinary cancellations and apologies the unit tests hold at no flag."""
    module = _load_test_module(UNIT_TESTS, "_crisis_unit_examples")
    return tuple(module.ORDINARY_CANCELLATIONS)


@cache
def unit_alarm_ratchet() -> int:
    """(g): how many unit-test hard negatives words alone may flag (the unit tests' ratchet)."""
    module = _load_test_module(UNIT_TESTS, "_crisis_unit_examples")
    return int(module.WORDS_ONLY_HARD_NEGATIVE_ALARMS)


@cache
def ratchet_floors() -> dict[str, float]:
    """The minimum words-only recall tests/test_crisis_evaluation.py holds each set to."""
    module = _load_test_module(EVALUATION_TESTS, "_crisis_evaluation_ratchets")
    floors: dict[str, float] = module.WORDS_MIN_RECALL
    return {name: float(floors[name]) for name in RATCHETS}


def evaluation_counts(scores: FoldScores, choice: Choice) -> dict[str, Counts]:
    """The detector with the all-data model on each evaluation set (what the tests measure)."""
    out: dict[str, Counts] = {}
    for name in RATCHETS:
        counts = Counts()
        for ex, p in zip(crisis_sets()[name], scores.ratchet_probabilities[name], strict=True):
            counts.add(flagged(ex.text, p, choice), ex.crisis)
        out[name] = counts
    return out


def ratchets_hold(scores: FoldScores, choice: Choice) -> bool:
    """(c) and (d): the detector with the all-data model keeps every recall ratchet of the
    evaluation tests, and precision at least the issue's floor on every evaluation set.

    These sets are training data, so this is no measure of quality; it keeps a retrained model
    from making a development-set recall go down (the recall ratchets only go up; precision may
    go down to the floor, recall first).
    """
    floors = ratchet_floors()
    for name, counts in evaluation_counts(scores, choice).items():
        if counts.recall < floors[name] or counts.precision < PRECISION_FLOOR:
            return False
    return True


def unit_false_alarms(scores: FoldScores, choice: Choice) -> int:
    """How many unit-test hard negatives the detector with the all-data model flags."""
    pairs = zip(unit_hard_negatives(), scores.unit_probabilities, strict=True)
    return sum(flagged(text, p, choice) for text, p in pairs)


def short_texts_flagged(scores: FoldScores, choice: Choice) -> int:
    """(e): how many of the unit tests' short practice texts the detector with the all-data
    model flags ("I won't be there", "I can't make it" ...; the tests require none)."""
    pairs = zip(unit_short_texts(), scores.short_probabilities, strict=True)
    return sum(flagged(text, p, choice) for text, p in pairs)


def cancellations_flagged(scores: FoldScores, choice: Choice) -> int:
    """(f): how many of the unit tests' ordinary cancellations and apologies the detector with
    the all-data model flags ("Sorry I won't be able to make it to my appointment tomorrow"
    ...; the tests require none)."""
    pairs = zip(unit_cancellations(), scores.cancellation_probabilities, strict=True)
    return sum(flagged(text, p, choice) for text, p in pairs)


@dataclass(frozen=True)
class Selected:
    choice: Choice
    recall: float  # mean held-out recall of the detector over the selection folds
    precision: float
    model_recall: float
    model_precision: float
    weights: int
    logistics_alarms: int  # held-out false alarms on plain logistics, all folds
    logistics: int
    unit_alarms: int  # unit-test hard negatives the detector with the all-data model flags


def selection_means(rows: Sequence[Fold]) -> tuple[float, float]:
    """Mean recall and precision of rules-or-model over the selection folds."""
    chosen = [f for f in rows if f.held_out in SELECTION_FOLDS]
    return mean(f.combined.recall for f in chosen), mean(f.combined.precision for f in chosen)


def allowed(scores: FoldScores, choice: Choice, rows: Sequence[Fold]) -> bool:
    """The constraints of the threshold rule: (a) mean held-out precision over the selection
    folds at least PRECISION_TARGET, (b) held-out false alarms on plain logistics at most
    LOGISTICS_MAX_ALARM_RATE of them, (c) and (d) :func:`ratchets_hold`, (e) no short
    practice text of the unit tests flagged (:func:`short_texts_flagged`), (f) none of their
    ordinary cancellations flagged (:func:`cancellations_flagged`), (g) no more of their hard
    negatives flagged than their ratchet allows (:func:`unit_alarm_ratchet`)."""
    alarms, total = logistics_alarms(rows)
    return (
        selection_means(rows)[1] >= PRECISION_TARGET
        and alarms <= LOGISTICS_MAX_ALARM_RATE * total
        and ratchets_hold(scores, choice)
        and short_texts_flagged(scores, choice) == 0
        and cancellations_flagged(scores, choice) == 0
        and unit_false_alarms(scores, choice) <= unit_alarm_ratchet()
    )


def select_for(scores: FoldScores, block: str, min_words: int) -> Selected | None:
    """The threshold rule of the module docstring, for one candidate, block mode and gate: the
    best mean held-out recall over the selection folds among the thresholds :func:`allowed`
    lets through (ties: the higher threshold)."""
    best: tuple[tuple[float, float], Choice, list[Fold]] | None = None
    for t in THRESHOLDS:
        choice = Choice(scores.candidate, t, block, min_words)
        rows = folds(scores, choice)
        if allowed(scores, choice, rows):
            key = (round(selection_means(rows)[0], 9), t)
            if best is None or key > best[0]:
                best = (key, choice, rows)
    if best is None:
        return None
    _, choice, rows = best
    model_rows = [f for f in rows if f.held_out in SELECTION_FOLDS]
    return Selected(
        choice,
        *selection_means(rows),
        mean(f.model.recall for f in model_rows),
        mean(f.model.precision for f in model_rows),
        len(scores.full_model.weights),
        *logistics_alarms(rows),
        unit_false_alarms(scores, choice),
    )


def select_gate(scores: FoldScores, block: str) -> Selected | None:
    """The gate and threshold together: the rule of :func:`select_for` over every gate of
    GATES (ties: the smaller gate, which leaves the model more messages)."""
    found = [s for g in GATES if (s := select_for(scores, block, g)) is not None]
    return max(found, key=lambda s: (round(s.recall, 9), -s.choice.min_words), default=None)


def weights_bytes(weights: dict[str, float]) -> int:
    """About the size of a weights file holding *weights* (the rest of the file is small)."""
    return len(render({"weights": dict(sorted(weights.items()))})) + 1000


def grid() -> list[Candidate]:
    configs = (
        FeatureConfig(words=True, bigrams=True, char_min=0, char_max=0),
        FeatureConfig(words=False, bigrams=False, char_min=3, char_max=5),
        FeatureConfig(words=True, bigrams=True, char_min=2, char_max=4),
        FeatureConfig(words=True, bigrams=True, char_min=3, char_max=5),
    )
    return [
        Candidate(config, c, weight, min_df)
        for config, c, weight, min_df in itertools.product(
            configs, (1.0, 3.0, 10.0, 30.0), (None, "balanced"), (2, 3)
        )
    ]


def _rank(s: Selected) -> tuple[float, float, float, int]:
    return (-round(s.recall, 9), -round(s.model_recall, 9), -round(s.precision, 9), s.weights)


def _evaluate(candidate: Candidate) -> tuple[int, list[Selected]]:
    """One candidate of the grid: its weights file size and, if it fits, the best threshold
    and gate of each block mode."""
    scores = fold_scores(candidate)
    size = weights_bytes(scores.full_model.weights)
    if size > MAX_FILE_BYTES:
        return size, []
    found = [select_gate(scores, block) for block in BLOCK_MODES]
    return size, [s for s in found if s is not None]


def select(features: str | None = None, jobs: int = 1) -> list[Selected]:
    """The grid, or only its candidates whose features are labelled *features* (``w+b``,
    ``c3-5``, ``w+b+c2-4`` ...). With *jobs* > 1 the candidates are evaluated in that many
    processes (each candidate is deterministic, so the result is the same)."""
    candidates = [c for c in grid() if features is None or c.label().split(" ")[0] == features]
    if not candidates:
        raise ValueError(f"no candidate has the features {features!r}")
    results: list[Selected] = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for candidate, (size, found) in zip(
            candidates, pool.map(_evaluate, candidates), strict=True
        ):
            results.extend(found)
            print(f"  {candidate.label()} ({size:,} bytes)", file=sys.stderr, flush=True)
    return sorted(results, key=_rank)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _rp(c: Counts) -> str:
    return f"{c.recall:.3f} / {c.precision:.3f}"


def fold_table(choice: Choice = CHOSEN, scores: FoldScores | None = None) -> str:
    """The leave-one-set-out table (Markdown) for *choice*."""
    scores = scores or fold_scores(choice.candidate)
    rows = folds(scores, choice)
    lines = [
        f"{choice.candidate.label()}, threshold {choice.threshold:g}, block {choice.block}, "
        f"min_words {choice.min_words}",
        "",
        "| held out | (a) rules R / P | (b) model R / P | (c) rules or model R / P "
        "| plain logistics: model alarms, detector alarms |",
        "|---|---|---|---|---|",
    ]
    for f in rows:
        lines.append(
            f"| {f.held_out} | {_rp(f.rules)} | {_rp(f.model)} | {_rp(f.combined)} | "
            f"{f.logistics_model_alarms}/{f.logistics}, {f.logistics_alarms}/{f.logistics} |"
        )
    for label, part in (
        (f"mean of the {len(SELECTION_FOLDS)} selection folds", SELECTION_FOLDS),
        (f"mean of all {len(rows)}", CRISIS_SETS),
    ):
        chosen = [f for f in rows if f.held_out in part]
        lines.append(
            f"| {label} | "
            + " | ".join(
                f"{mean(getattr(f, k).recall for f in chosen):.3f} / "
                f"{mean(getattr(f, k).precision for f in chosen):.3f}"
                for k in ("rules", "model", "combined")
            )
            + " | |"
        )
    lines.append("")
    lines.append(
        "unit-test hard negatives the detector with the all-data model flags: "
        f"{unit_false_alarms(scores, choice)} of {len(unit_hard_negatives())}"
    )
    return "\n".join(lines)


def threshold_table(
    scores: FoldScores, block: str = CHOSEN.block, min_words: int = CHOSEN.min_words
) -> str:
    """Every threshold from 0.5 up with the numbers the threshold rule looks at (Markdown)."""
    lines = [
        "| threshold | selection folds mean R / P | blind4 held out R / P "
        "| plain-logistics alarms | eval sets all-data R / P ok | unit hard negatives "
        "| cancellations flagged | allowed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in THRESHOLDS:
        if not 0.5 <= t <= 0.96:
            continue
        choice = Choice(scores.candidate, t, block, min_words)
        rows = folds(scores, choice)
        recall, precision = selection_means(rows)
        blind4 = next(f for f in rows if f.held_out == "crisis_eval_blind4")
        alarms, total = logistics_alarms(rows)
        lowest = min(c.precision for c in evaluation_counts(scores, choice).values())
        ok = "yes" if ratchets_hold(scores, choice) else "no"
        lines.append(
            f"| {t:g} | {recall:.3f} / {precision:.3f} | {_rp(blind4.combined)} | "
            f"{alarms}/{total} | {ok} (lowest P {lowest:.3f}) | "
            f"{unit_false_alarms(scores, choice)} | {cancellations_flagged(scores, choice)} | "
            f"{'yes' if allowed(scores, choice, rows) else 'no'} |"
        )
    return "\n".join(lines)


def gate_table(
    scores: FoldScores, block: str = CHOSEN.block, threshold: float = CHOSEN.threshold
) -> str:
    """What each short-message gate costs and buys, at the threshold the rule picks with it,
    and at *threshold* (held-out catches, and the unit tests' short practice texts flagged)."""
    lines = [
        "| min words | threshold picked | selection folds mean R / P "
        "| held-out catches (all folds) | plain-logistics alarms | unit hard negatives "
        f"| at {threshold:g}: catches, short practice texts flagged |",
        "|---|---|---|---|---|---|---|",
    ]
    for min_words in MIN_WORDS_CHOICES:
        fixed = Choice(scores.candidate, threshold, block, min_words)
        at_fixed = (
            f"{sum(f.combined.tp for f in folds(scores, fixed))}, "
            f"{short_texts_flagged(scores, fixed)} |"
        )
        found = select_for(scores, block, min_words)
        if found is None:
            lines.append(f"| {min_words} | none allowed | | | | | {at_fixed}")
            continue
        rows = folds(scores, found.choice)
        catches = sum(f.combined.tp for f in rows)
        lines.append(
            f"| {min_words} | {found.choice.threshold:g} | {found.recall:.3f} / "
            f"{found.precision:.3f} | {catches} | {found.logistics_alarms}/{found.logistics} | "
            f"{found.unit_alarms} | {at_fixed}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare with the shipped file")
    mode.add_argument("--folds", action="store_true", help="leave-one-set-out table for CHOSEN")
    mode.add_argument("--thresholds", action="store_true", help="threshold and gate tables")
    mode.add_argument("--select", action="store_true", help="run the model-selection grid")
    parser.add_argument("--threshold", type=float, help="with --folds: another threshold")
    parser.add_argument("--block", choices=BLOCK_MODES, help="with --folds: another block mode")
    parser.add_argument("--min-words", type=int, help="with --folds/--thresholds: another gate")
    parser.add_argument(
        "--features", help="with --select: only these features (w+b, c3-5, w+b+c2-4, w+b+c3-5)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="with --select: processes to use")
    args = parser.parse_args(argv)
    if args.select:
        results = select(args.features, args.jobs)
        print("ranked by (c) rules-or-model recall at the threshold the rule picks:")
        print("candidate | block | threshold | (c) R / P | (b) R / P | weights | logistics | unit")
        for s in results[:25]:
            print(
                f"{s.choice.candidate.label()} | {s.choice.block} | {s.choice.threshold:g} | "
                f"{s.recall:.3f} / {s.precision:.3f} | "
                f"{s.model_recall:.3f} / {s.model_precision:.3f} | {s.weights} | "
                f"{s.logistics_alarms}/{s.logistics} | {s.unit_alarms}"
            )
        best = results[0]
        print("\nbest:", best.choice)
        print(fold_table(best.choice))
        return 0
    min_words = CHOSEN.min_words if args.min_words is None else args.min_words
    if args.thresholds:
        scores = fold_scores(CHOSEN.candidate)
        print(threshold_table(scores, args.block or CHOSEN.block, min_words))
        print()
        print(gate_table(scores, args.block or CHOSEN.block))
        return 0
    if args.folds:
        choice = Choice(
            CHOSEN.candidate,
            CHOSEN.threshold if args.threshold is None else args.threshold,
            args.block or CHOSEN.block,
            min_words,
        )
        print(fold_table(choice))
        return 0
    text = render(model_file())
    if args.check:
        same = MODEL_PATH.read_text(encoding="utf-8") == text
        print("the shipped weights are up to date" if same else f"{MODEL_PATH} differs")
        return 0 if same else 1
    MODEL_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
