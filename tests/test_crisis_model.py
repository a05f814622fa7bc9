"""The learned tier of the crisis detector (decision 0015, ``safety/crisis_model.py``).

The shipped weights must be exactly what ``tools/train_crisis_model.py`` makes from the data,
so nobody can edit them by hand: the test retrains (a few seconds) and compares the text of
the file. The leave-one-set-out numbers of the chosen settings are pinned too: they are what
decision 0015 reports for the recall-first threshold and short-message gate.
"""

from __future__ import annotations

import json
import math
import re
from importlib import resources

import pytest
from tools import train_crisis_model as trainer

from quietline.safety import crisis_model
from quietline.safety.crisis import (
    CONFIDENT_SECOND_SIGN,
    assess,
    assess_by_words,
    assess_rules,
    combine,
    learned_tier_blocked,
    normalise,
    ordinary_scheduling,
    second_sign_missing,
)
from quietline.safety.crisis_model import (
    BLOCK_MODES,
    MODEL_FILE,
    FeatureConfig,
    contributions,
    features,
    load_model,
    model_from_dict,
)


@pytest.fixture(scope="module")
def shipped_text() -> str:
    return trainer.MODEL_PATH.read_text(encoding="utf-8")


# liblinear's weights differ in their last decimals between machines and numpy/scipy builds:
# the same code and data gave bias -3.561317 on session 11's machine and -3.561347 on session
# 12's, and weights up to 0.00078 apart. The tolerance is ten times that: a hand edit, other
# data or other settings move weights by far more, and the decisions the tests below pin
# (held-out counts, ratchets) do not move within it.
WEIGHT_DRIFT = 0.01


def test_the_shipped_weights_are_what_the_script_makes(shipped_text: str) -> None:
    made = trainer.model_file()
    shipped = json.loads(shipped_text)
    hint = (
        "crisis_model.json is not what tools/train_crisis_model.py makes: "
        "run `python -m tools.train_crisis_model` (never edit the weights by hand)"
    )
    assert trainer.render(shipped) == shipped_text, hint  # the script's own layout
    assert {k: v for k, v in made.items() if k not in ("weights", "bias")} == {
        k: v for k, v in shipped.items() if k not in ("weights", "bias")
    }, hint
    assert made["weights"].keys() == shipped["weights"].keys(), hint
    drift = max(
        abs(made["bias"] - shipped["bias"]),
        *(abs(w - shipped["weights"][f]) for f, w in made["weights"].items()),
    )
    assert drift <= WEIGHT_DRIFT, hint


def test_the_package_loads_the_file_the_script_writes(shipped_text: str) -> None:
    packaged = resources.files("quietline.safety").joinpath(MODEL_FILE).read_text("utf-8")
    assert packaged == shipped_text
    data = json.loads(shipped_text)
    model = load_model()
    assert model.threshold == data["threshold"] == trainer.CHOSEN.threshold
    assert model.block == data["block"] == trainer.CHOSEN.block
    assert model.min_words == data["min_words"] == trainer.CHOSEN.min_words
    assert model.config == trainer.CHOSEN.candidate.features
    assert len(model.weights) == len(data["weights"]) > 1000
    assert len(shipped_text.encode()) < trainer.MAX_FILE_BYTES


def test_plain_python_inference_matches_scikit_learn() -> None:
    examples = trainer.training_examples()
    clf, _, x = trainer.fit(examples, trainer.CHOSEN.candidate)
    expected = clf.predict_proba(x)[:, 1]
    model = model_from_dict(trainer.model_file())  # this machine's fit, not the shipped drift
    for ex, p in zip(examples, expected, strict=True):
        assert math.isclose(model.score(normalise(ex.text)), float(p), abs_tol=1e-4), ex.category


def test_training_is_deterministic() -> None:
    candidate = trainer.CHOSEN.candidate
    examples = trainer.training_examples(held_out="crisis_eval")
    assert trainer.train(examples, candidate) == trainer.train(examples, candidate)


def test_the_training_data_is_the_fourteen_sets_the_inbox_and_clinical_negatives() -> None:
    assert trainer.CRISIS_SETS == (
        "crisis_eval",
        "crisis_eval_holdout",
        "crisis_eval_blind3",
        "crisis_eval_blind4",
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
    # The fifth blind set is the never-trained ratchet, the sixth, the seventh and the inbox
    # evaluation set the lead's measurements: the script refuses to open any of them.
    for stem in (
        "crisis_eval_blind5",
        "crisis_eval_BLIND5",
        "crisis_eval_blind6",
        "Blind6",
        "crisis_eval_blind7",
        "BLIND7",
        "crisis_eval_blind8",
        "Blind8",
        "crisis_eval_blind9",
        "bLiNd9",
        "crisis_eval_blind10",
        "crisis_eval_BLIND11",
        "crisis_eval_blind12",
        "crisis_eval_inbox",
        "Crisis_Eval_Inbox",
    ):
        with pytest.raises(ValueError, match="fifth to twelfth blind sets"):
            trainer._data_file(stem)
    names = trainer.CRISIS_SETS + trainer.NEGATIVE_SETS
    assert not any(bad in name for bad in trainer.NEVER_READ for name in names)
    # The inbox training set is negatives only and never a fold (near-duplicate templates).
    assert trainer.NEGATIVE_SETS == ("crisis_train_inbox",)
    assert not set(trainer.NEGATIVE_SETS) & set(trainer.CRISIS_SETS)
    inbox = trainer.inbox_negatives()
    assert len(inbox) == 1168
    assert not any(ex.crisis for ex in inbox)
    assert set(trainer.PLAIN_LOGISTICS) == set(trainer.CRISIS_SETS + trainer.RULES_ONLY_SETS)
    assert not set(trainer.RULES_ONLY_SETS) & set(trainer.CRISIS_SETS)
    assert set(trainer.SELECTION_FOLDS) == set(trainer.CRISIS_SETS) - trainer.RULES_TUNED_ON
    assert set(trainer.EVAL_SETS[:3]) == trainer.RULES_TUNED_ON
    negatives = trainer.clinical_negatives()
    assert not any(ex.crisis for ex in negatives)
    categories = {ex.category for ex in negatives}
    assert categories <= trainer.CLINICAL_NEGATIVE_CATEGORIES
    assert not trainer.CLINICAL_NEGATIVE_CATEGORIES & trainer.CLINICAL_EXCLUDED_CATEGORIES
    assert "risk" in trainer.CLINICAL_EXCLUDED_CATEGORIES
    data = json.loads(trainer.MODEL_PATH.read_text(encoding="utf-8"))
    sizes = 322 + 356 + 331 + 383 + 663 + 645 + 639 + 761 + 649 + 667 + 626 + 620 + 640 + 600
    assert data["training"]["messages"] == sizes + len(inbox) + len(negatives)
    assert data["training"]["negative_set_messages"] == len(inbox)


def test_the_leave_one_set_out_numbers_are_the_documented_ones() -> None:
    """Decision 0015's fold table for the chosen settings: the model's own held-out counts
    (exact: they depend only on the data and the script), the detector's on the fourth set, and
    the selection rule: best mean held-out recall over the eleven selection folds with (a) their
    mean precision at least 0.85, (b) at most 1% false alarms on plain logistics held out,
    (c) every recall ratchet, (d) the issue's precision floor on every evaluation set and
    (e) none of the unit tests' short practice texts flagged, (f) none of their ordinary
    cancellations flagged and (g) no more of their hard negatives flagged than their ratchet."""
    choice = trainer.CHOSEN
    scores = trainer.fold_scores(choice.candidate)
    rows = trainer.folds(scores, choice)
    model = {f.held_out: (f.model.tp, f.model.fp, f.model.fn) for f in rows}
    assert model == {
        "crisis_eval": (108, 4, 13),
        "crisis_eval_holdout": (127, 10, 23),
        "crisis_eval_blind3": (124, 10, 14),
        "crisis_eval_blind4": (143, 5, 10),
        "crisis_train_indirect": (270, 11, 124),
        "crisis_train_harm": (264, 13, 58),
        "crisis_train_hardneg": (121, 9, 9),
        "crisis_train_logistics": (183, 9, 48),
        "crisis_train_young": (234, 29, 40),
        "crisis_train_formal": (230, 38, 37),
        "crisis_train_pairs": (264, 28, 26),
        "crisis_train_terse": (267, 23, 43),
        "crisis_train_means": (284, 20, 36),
        "crisis_train_everyday": (146, 24, 4),
    }
    combined = {f.held_out: (f.combined.tp, f.combined.fp, f.combined.fn) for f in rows}
    assert combined["crisis_eval_blind4"] == (142, 8, 11)  # 0.928 / 0.947 held out
    recall, precision = trainer.selection_means(rows)
    assert (round(recall, 3), round(precision, 3)) == (0.872, 0.894)
    assert precision >= trainer.PRECISION_TARGET
    assert trainer.logistics_alarms(rows) == (7, 847)
    assert all(f.combined.recall >= f.rules.recall for f in rows)
    assert trainer.ratchets_hold(scores, choice)
    assert trainer.unit_false_alarms(scores, choice) == 29 == trainer.unit_alarm_ratchet()
    assert trainer.short_texts_flagged(scores, choice) == 0
    assert trainer.cancellations_flagged(scores, choice) == 0
    # The same candidate with the older block (everyday readings only) flags an ordinary
    # cancellation: (f) fails, which is why the scheduling block is shipped (decision 0015).
    everyday = trainer.Choice(choice.candidate, choice.threshold, "everyday_reading", 8)
    assert trainer.cancellations_flagged(scores, everyday) == 1
    selected = trainer.select_gate(scores, choice.block)
    assert selected is not None, "no threshold and gate satisfy (a)-(g)"
    assert selected.choice == choice


def test_the_short_message_gate_is_applied_where_rules_and_model_meet() -> None:
    """The gate lives in crisis.combine, which assess and the script's evaluation both use."""
    model = load_model()
    assert model.min_words == 8
    short = "doesnt matter after tonight"  # 4 words; the model alone scores it high
    outcome = assess_rules(short)
    assert not outcome.assessment.crisis
    assert model.score(outcome.normalised) >= model.threshold
    assert not assess_by_words(short).crisis
    assert combine(outcome, model.score, model.threshold, model.block, 0).crisis
    asked: list[str] = []

    def score(norm: str) -> float:
        asked.append(norm)
        return 1.0

    combine(outcome, score, 0.5, "nothing", 8)
    assert asked == []  # a short message is not even scored
    assert trainer.flagged(short, 0.99, trainer.CHOSEN) is False


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("I swallowed the pills", True),
        ("have dads gun. im done", True),
        ("last text ever. pills taken.", True),
        # Too few words, or not confident enough: the gate stands.
        ("pills", False),
        ("gun", False),
        ("picked up my pills", False),
        ("pills taken", False),
        # An everyday reading is no missing sign: the model may not override it.
        ("took my pills already", False),
        ("are my pills ready for pickup?", False),
    ],
)
def test_a_confident_model_is_the_second_sign_a_short_message_lacks(
    text: str, flagged: bool
) -> None:
    """Below the gate, the model is asked only when the rules set a cue aside for want of a
    second sign, and flags at CONFIDENT_SECOND_SIGN (decision 0015)."""
    outcome = assess_rules(text)
    assert not outcome.assessment.crisis
    assert crisis_model.word_count(outcome.normalised) < load_model().min_words
    result = assess_by_words(text)
    assert result.crisis is flagged, (text, result.reasons)
    if flagged:
        assert second_sign_missing(outcome)
        assert re.fullmatch(r"model\.p\d+", result.reasons[0]), result.reasons


def test_the_second_sign_threshold_is_applied_in_combine() -> None:
    outcome = assess_rules("I swallowed the pills")
    assert second_sign_missing(outcome)
    assert combine(
        outcome, lambda _: CONFIDENT_SECOND_SIGN, 0.65, "everyday_or_scheduling", 8
    ).crisis
    below = CONFIDENT_SECOND_SIGN - 0.01
    assert not combine(outcome, lambda _: below, 0.65, "everyday_or_scheduling", 8).crisis
    # Long enough for the gate: the ordinary threshold applies.
    assert combine(outcome, lambda _: below, 0.65, "everyday_or_scheduling", 4).crisis


def test_features_use_the_detectors_normalised_text() -> None:
    config = FeatureConfig(words=True, bigrams=True, char_min=2, char_max=4)
    sms = features(normalise("im gonna b ok tmrw"), config)
    plain = features(normalise("I'm going to be ok tomorrow"), config)
    assert sms == plain
    assert {"w:going", "b:going to", "c: g", "c:ing "} <= plain
    # No bigram crosses a sentence.
    assert "b:late i" not in features("running late. i am here", config)


def test_a_flag_from_the_model_alone_names_a_probability_bucket_not_words() -> None:
    text = "im so tired of everything, idk what to do"
    assert not assess_rules(text).assessment.crisis
    result = assess(text)
    assert result.crisis
    assert result.categories == ("suicide",)
    assert len(result.reasons) == 1
    assert re.fullmatch(r"model\.p\d\d", result.reasons[0]), result.reasons
    words = set(re.findall(r"[a-z]+", normalise(text)))
    assert not any(part in words for r in result.reasons for part in re.split(r"[.~]", r))


@pytest.mark.parametrize(
    ("text", "dampener"),
    [
        ("I'm not suicidal and I don't want to end my life, I promise", "negated"),
        ("i'm going to end it with my boyfriend tonight", None),  # an idiom
        ("i won't be around anymore after june, moving to ohio, thanks for everything!", None),
    ],
)
def test_the_model_does_not_override_an_everyday_reading(text: str, dampener: str | None) -> None:
    """The model scores these above its threshold; the rules' reading stands (for the linear
    model: the meaning tier reads over everyday readings, decision 0022)."""
    outcome = assess_rules(text)
    assert load_model().score(outcome.normalised) >= load_model().threshold
    assert learned_tier_blocked("everyday_reading", outcome)
    assert not learned_tier_blocked("nothing", outcome)
    result = assess_by_words(text)
    assert not result.crisis
    assert re.fullmatch(r"model\.p\d+~set_aside", result.reasons[-1]), result.reasons
    if dampener:
        assert dampener in outcome.dampeners


def test_block_modes() -> None:
    negated = assess_rules("I don't want to hurt myself")
    idiom = assess_rules("this traffic is killing me")
    second_sign = assess_rules("he'll pay for that one day, whatever")
    plain = assess_rules("see you thursday")
    assert second_sign.dampeners == {"no_context"}
    table = {
        mode: tuple(learned_tier_blocked(mode, o) for o in (negated, idiom, second_sign, plain))
        for mode in BLOCK_MODES
    }
    assert table == {
        "nothing": (False, False, False, False),
        "negation_idiom": (True, True, False, False),
        "everyday_reading": (True, True, False, False),
        "everyday_or_scheduling": (True, True, False, False),
        "any_set_aside": (True, True, True, False),
    }
    with pytest.raises(ValueError, match="block mode"):
        learned_tier_blocked("sometimes", plain)


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        ("I can't make it to my session tomorrow, I have the flu", True),
        ("Sorry I won't be able to make it to my appointment tomorrow", True),
        ("I can't make it to group tonight, I'm stuck at the office", True),
        ("I feel bad cancelling again but I have a fever and don't want to spread it", True),
        # Logistics with the rules' ending words is not "ordinary".
        ("cancel my appointments, I won't be needing them after this week", False),
        # Neither an appointment nor a cancellation named.
        ("im so tired of everything tonight, idk what to do anymore", False),
    ],
)
def test_the_scheduling_block(text: str, blocked: bool) -> None:
    """Block ``everyday_or_scheduling``: the model may not flag ordinary scheduling (an
    appointment, session or cancellation with a near time or an ordinary reason) when the rules
    found no risk cue at all; whatever the model's probability, the rules' reading stands."""
    outcome = assess_rules(text)
    assert not outcome.assessment.crisis
    assert ordinary_scheduling(outcome) is blocked
    assert learned_tier_blocked("everyday_or_scheduling", outcome) is blocked
    result = combine(outcome, lambda _: 0.99, 0.75, "everyday_or_scheduling", 8)
    assert result.crisis is not blocked
    if blocked:
        assert result.reasons[-1] == "model.p99~set_aside"


@pytest.mark.parametrize(
    "text",
    [
        "I can't make it to group tonight, I don't want to kill myself though",
        "this traffic is killing me, I'll be late to my session today",
    ],
)
def test_scheduling_with_a_set_aside_cue_is_not_ordinary(text: str) -> None:
    """A cue the rules set aside (a negation, an idiom) means the message is not ordinary
    scheduling; the everyday reading itself still blocks the model, as in everyday_reading."""
    outcome = assess_rules(text)
    assert outcome.assessment.reasons or outcome.has_idiom()
    assert not ordinary_scheduling(outcome)
    assert learned_tier_blocked("everyday_or_scheduling", outcome)


def test_the_weights_file_is_checked_when_read() -> None:
    data = json.loads(trainer.MODEL_PATH.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="format"):
        model_from_dict({**data, "format": 99})
    with pytest.raises(ValueError, match="block mode"):
        model_from_dict({**data, "block": "sometimes"})
    with pytest.raises(ValueError, match="minimum word count"):
        model_from_dict({**data, "min_words": -1})


def test_contributions_explain_a_score_for_debugging() -> None:
    norm = normalise("im so tired of everything, idk what to do")
    model = load_model()
    found = contributions(norm)
    assert found
    assert all(f in model.weights for f, _ in found)
    assert abs(found[0][1]) >= abs(found[-1][1])
    total = model.bias + sum(v for _, v in found)
    assert math.isclose(1 / (1 + math.exp(-total)), model.score(norm), rel_tol=1e-9)


def test_an_empty_message_is_not_scored() -> None:
    assert assess("   ").reasons == ()
    assert not assess("").crisis
