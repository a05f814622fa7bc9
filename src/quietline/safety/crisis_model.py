"""The learned tier of the crisis detector: a small linear text classifier (decision 0015).

A logistic regression over binary text features of the detector's own normalised text
(:func:`quietline.safety.crisis.normalise`): word unigrams and bigrams, and optionally
character n-grams inside word boundaries (the weights file says which; the shipped model uses
words and bigrams). The weights are trained by ``tools/train_crisis_model.py``
(scikit-learn, at development time only) and shipped in ``crisis_model.json`` beside this
module; a test retrains and checks that the shipped file is exactly what the script
produces. Inference is plain Python: a sum of the weights of the features present, scaled by
one over the square root of the number of features (so long messages do not score high just
by being long), plus a bias, through a sigmoid.

The tier does not run on short messages: below ``min_words`` words (:func:`word_count` of the
normalised text; stored in the weights file beside the threshold) a message is left to the
rules. Short texts in a practice inbox are logistics ("I won't be there", "idk", "tonight?"),
and a few words give a linear model too little to go on. The gate is applied by
:func:`quietline.safety.crisis.combine`, the one function that puts rules and model together
for both the server and the training script's evaluation.

The weights file names features by their strings (n-grams of the training messages), which
makes the model inspectable: :func:`contributions` lists what pushed a message up or down, for
debugging only. Nothing derived from a feature string may go into reasons, logs or audit
details, because features are words of the message.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any

__all__ = [
    "BLOCK_MODES",
    "CrisisModel",
    "FeatureConfig",
    "contributions",
    "features",
    "load_model",
    "model_from_dict",
    "probability",
    "word_count",
]

MODEL_FILE = "crisis_model.json"
FORMAT = 1
# Which of the rules' readings the model may not override (crisis.learned_tier_blocked).
BLOCK_MODES = (
    "nothing",
    "negation_idiom",
    "everyday_reading",
    "everyday_or_scheduling",
    "any_set_aside",
)

# A word: letters and digits with inner apostrophes ("i'm", "can't"); sentences break at
# . ! ? ; and line breaks, and no bigram crosses a sentence.
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
_SENTENCE = re.compile(r"[.!?;\n]+")


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Which features to compute. Stored in the weights file, so training and inference match."""

    words: bool = True  # word unigrams "w:kill"
    bigrams: bool = True  # word bigrams "b:kill myself" (within a sentence)
    char_min: int = 3  # character n-grams "c: kil" inside " word " (0 = none)
    char_max: int = 5

    def as_dict(self) -> dict[str, Any]:
        return {
            "words": self.words,
            "bigrams": self.bigrams,
            "char_min": self.char_min,
            "char_max": self.char_max,
        }


def word_count(norm: str) -> int:
    """How many words *norm* (a message already passed through ``normalise``) has."""
    return len(_WORD.findall(norm))


def features(norm: str, config: FeatureConfig) -> set[str]:
    """The binary features of *norm*, a message already passed through ``normalise``."""
    out: set[str] = set()
    seen: set[str] = set()
    for sentence in _SENTENCE.split(norm):
        words = _WORD.findall(sentence)
        if not words:
            continue
        seen.update(words)
        if config.words:
            out.update(["w:" + word for word in words])
        if config.bigrams:
            out.update([f"b:{a} {b}" for a, b in pairwise(words)])
    if config.char_min:
        low, high = config.char_min, config.char_max
        for word in seen:  # each distinct word once
            if len(word) <= _MEMO_WORD_LENGTH:
                out.update(_memo_char_grams(word, low, high))
            else:
                out.update(_char_grams(word, low, high))
    return out


# Ordinary words repeat from message to message, so their n-grams are memoised; a long
# "word" (a link, a run of digits) is not, which keeps the memory of the memo small.
_MEMO_WORD_LENGTH = 20


def _char_grams(word: str, low: int, high: int) -> tuple[str, ...]:
    """The character n-grams of `` word `` (the word between two spaces)."""
    padded = f" {word} "
    size = len(padded)
    if size <= low:
        return ("c:" + padded,)
    return tuple(
        "c:" + padded[i : i + n]
        for n in range(low, min(high, size) + 1)
        for i in range(size - n + 1)
    )


_memo_char_grams = lru_cache(maxsize=8192)(_char_grams)


@dataclass(frozen=True, slots=True)
class CrisisModel:
    """A trained model: its features, weights, bias, decision threshold, block mode and the
    fewest words a message needs for the model to be asked (the short-message gate)."""

    config: FeatureConfig
    weights: dict[str, float]
    bias: float
    threshold: float
    block: str
    min_words: int

    def score(self, norm: str) -> float:
        """The model's probability that the normalised message *norm* is a crisis message."""
        feats = features(norm, self.config)
        if not feats:
            return _sigmoid(self.bias)
        get = self.weights.get
        total = sum(get(f, 0.0) for f in feats)
        return _sigmoid(self.bias + total / math.sqrt(len(feats)))


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def model_from_dict(data: dict[str, Any]) -> CrisisModel:
    """Build a model from the contents of a weights file (checks the format version)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unsupported crisis model format: {data.get('format')!r}")
    cfg = data["features"]
    config = FeatureConfig(
        words=bool(cfg["words"]),
        bigrams=bool(cfg["bigrams"]),
        char_min=int(cfg["char_min"]),
        char_max=int(cfg["char_max"]),
    )
    block = str(data["block"])
    if block not in BLOCK_MODES:
        raise ValueError(f"unknown learned-tier block mode: {block!r}")
    min_words = int(data["min_words"])
    if min_words < 0:
        raise ValueError(f"negative learned-tier minimum word count: {min_words}")
    weights = {str(k): float(v) for k, v in data["weights"].items()}
    return CrisisModel(
        config, weights, float(data["bias"]), float(data["threshold"]), block, min_words
    )


@cache
def load_model() -> CrisisModel:
    """The model shipped with the package (read once, then cached)."""
    text = resources.files(__package__).joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return model_from_dict(json.loads(text))


def probability(norm: str) -> float:
    """The shipped model's probability for the normalised message *norm*."""
    return load_model().score(norm)


def contributions(norm: str, model: CrisisModel | None = None) -> list[tuple[str, float]]:
    """For debugging only: the features of *norm* with a weight, largest effect first.

    The strings are words of the message: never log them, audit them or put them in reasons.
    """
    m = model or load_model()
    feats = features(norm, m.config)
    scale = 1.0 / math.sqrt(len(feats)) if feats else 0.0
    found = [(f, m.weights[f] * scale) for f in feats if f in m.weights]
    return sorted(found, key=lambda item: (-abs(item[1]), item[0]))
