"""The learned tier of the crisis detector (decision 0015, ``safety/crisis_model.py``).

The shipped weights must be exactly what ``tools/train_crisis_model.py`` makes from the data,
so nobody can edit them by hand: the test retrains (a few seconds) and compares the text of
the file. The leave-one-set-out numbers of the chosen settings are pinned too: they are what
decision 0015 reports, at the shipped threshold and at the one the folds chose before the
unit-test constraint raised it.
"""

from __future__ import annotations

import json
import math
import re
from importlib import resources

import pytest
from tools import train_crisis_model as trainer

from quietline.safety.crisis import assess, assess_rules, learned_tier_blocked, normalise
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


def test_the_shipped_weights_are_exactly_what_the_script_makes(shipped_text: str) -> None:
    made = trainer.render(trainer.model_file())
    assert made == shipped_text, (
        "crisis_model.json is not what tools/train_crisis_model.py makes: "
        "run `python -m tools.train_crisis_model` (never edit the weights by hand)"
    )


def test_the_package_loads_the_file_the_script_writes(shipped_text: str) -> None:
    packaged = resources.files("quietline.safety").joinpath(MODEL_FILE).read_text("utf-8")
    assert packaged == shipped_text
    data = json.loads(shipped_text)
    model = load_model()
    assert model.threshold == data["threshold"] == trainer.CHOSEN.threshold
    assert model.block == data["block"] == trainer.CHOSEN.block
    assert model.config == trainer.CHOSEN.candidate.features
    assert len(model.weights) == len(data["weights"]) > 1000
    assert len(shipped_text.encode()) < trainer.MAX_FILE_BYTES


def test_plain_python_inference_matches_scikit_learn() -> None:
    examples = trainer.training_examples()
    clf, _, x = trainer.fit(examples, trainer.CHOSEN.candidate)
    expected = clf.predict_proba(x)[:, 1]
    model = load_model()
    for ex, p in zip(examples, expected, strict=True):
        assert math.isclose(model.score(normalise(ex.text)), float(p), abs_tol=1e-4), ex.category


def test_training_is_deterministic() -> None:
    candidate = trainer.CHOSEN.candidate
    examples = trainer.training_examples(held_out="crisis_eval")
    assert trainer.train(examples, candidate) == trainer.train(examples, candidate)


def test_the_training_data_is_the_eight_sets_and_certain_clinical_negatives() -> None:
    assert trainer.CRISIS_SETS == (
        "crisis_eval",
        "crisis_eval_holdout",
        "crisis_eval_blind3",
        "crisis_eval_blind4",
        "crisis_train_indirect",
        "crisis_train_harm",
        "crisis_train_hardneg",
        "crisis_train_logistics",
    )
    # The fifth blind set is for the final measurement: the script refuses to open it.
    for stem in ("crisis_eval_blind5", "crisis_eval_BLIND5"):
        with pytest.raises(ValueError, match="fifth blind set"):
            trainer._data_file(stem)
    assert not any(trainer.NEVER_READ in name for name in trainer.CRISIS_SETS)
    assert set(trainer.SELECTION_FOLDS) == set(trainer.CRISIS_SETS) - trainer.RULES_TUNED_ON
    assert set(trainer.EVAL_SETS[:3]) == trainer.RULES_TUNED_ON
    negatives = trainer.clinical_negatives()
    assert not any(ex.crisis for ex in negatives)
    categories = {ex.category for ex in negatives}
    assert categories <= trainer.CLINICAL_NEGATIVE_CATEGORIES
    assert not trainer.CLINICAL_NEGATIVE_CATEGORIES & trainer.CLINICAL_EXCLUDED_CATEGORIES
    assert "risk" in trainer.CLINICAL_EXCLUDED_CATEGORIES
    data = json.loads(trainer.MODEL_PATH.read_text(encoding="utf-8"))
    sizes = 322 + 356 + 331 + 383 + 663 + 645 + 639 + 761
    assert data["training"]["messages"] == sizes + len(negatives)


def test_the_leave_one_set_out_numbers_are_the_documented_ones() -> None:
    """Decision 0015's fold table for the chosen settings: the model's own held-out counts
    (exact: they depend only on the data and the script), rules-or-model keeping the
    selection's precision target with no unit-test hard negative flagged, and what the
    unit-test constraint costs (the threshold the folds chose, and its numbers)."""
    choice = trainer.CHOSEN
    scores = trainer.fold_scores(choice.candidate)
    rows = trainer.folds(scores, choice.threshold, choice.block)
    model = {f.held_out: (f.model.tp, f.model.fp, f.model.fn) for f in rows}
    assert model == {
        "crisis_eval": (18, 0, 103),
        "crisis_eval_holdout": (25, 0, 125),
        "crisis_eval_blind3": (21, 0, 117),
        "crisis_eval_blind4": (35, 0, 118),
        "crisis_train_indirect": (46, 0, 348),
        "crisis_train_harm": (42, 0, 280),
        "crisis_train_hardneg": (36, 0, 94),
        "crisis_train_logistics": (31, 0, 200),
    }
    combined = {f.held_out: (f.combined.tp, f.combined.fp, f.combined.fn) for f in rows}
    assert combined["crisis_eval_blind4"] == (111, 9, 42)  # 0.725 / 0.925 held out
    assert trainer.selection_means(rows)[1] >= trainer.PRECISION_TARGET
    assert all(f.combined.recall >= f.rules.recall for f in rows)
    assert all(f.logistics_added_alarms == 0 for f in rows)
    assert trainer.unit_false_alarms(scores, choice.threshold, choice.block) == 0
    assert trainer.ratchets_hold(scores, choice.threshold, choice.block)
    # The selection: the folds alone choose 0.6; the unit-test hard negatives force 0.96.
    selected = trainer.select_for(scores, choice.block)
    assert selected is not None
    assert selected.choice == choice
    assert selected.selected_threshold == 0.6
    assert selected.unit_alarms_at_selected == 78
    assert round(selected.selected_recall, 3) == 0.799
    assert round(selected.selected_precision, 3) == 0.854
    assert round(selected.recall, 3) == 0.547
    assert round(selected.precision, 3) == 0.874
    at_selected = trainer.folds(scores, selected.selected_threshold, choice.block)
    blind4 = next(f for f in at_selected if f.held_out == "crisis_eval_blind4")
    assert (blind4.combined.tp, blind4.combined.fp, blind4.combined.fn) == (140, 13, 13)


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
    assert result.reasons == ("model.p95",)
    words = set(re.findall(r"[a-z]+", normalise(text)))
    assert not any(part in words for r in result.reasons for part in re.split(r"[.~]", r))


@pytest.mark.parametrize(
    ("text", "dampener"),
    [
        ("I don't want to hurt myself", "negated"),
        ("i'm going to end it with my boyfriend tonight", None),  # an idiom
        ("i won't be around anymore after june, moving to ohio, thanks for everything!", None),
    ],
)
def test_the_model_does_not_override_an_everyday_reading(text: str, dampener: str | None) -> None:
    """The model scores these above its threshold; the rules' reading stands."""
    outcome = assess_rules(text)
    assert load_model().score(outcome.normalised) >= load_model().threshold
    assert learned_tier_blocked("everyday_reading", outcome)
    assert not learned_tier_blocked("nothing", outcome)
    result = assess(text)
    assert not result.crisis
    assert result.reasons[-1] == "model.p95~set_aside"
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
        "any_set_aside": (True, True, True, False),
    }
    with pytest.raises(ValueError, match="block mode"):
        learned_tier_blocked("sometimes", plain)


def test_the_weights_file_is_checked_when_read() -> None:
    data = json.loads(trainer.MODEL_PATH.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="format"):
        model_from_dict({**data, "format": 99})
    with pytest.raises(ValueError, match="block mode"):
        model_from_dict({**data, "block": "sometimes"})


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
