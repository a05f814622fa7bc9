"""Speed of the crisis detector: ``assess()`` over 10,000 messages.

    python -m benchmarks.crisis_speed [--messages 10000]

The messages are generated from short templates written for this benchmark (ordinary
scheduling and check-in messages, idioms, and some crisis wording), with random filler so
that lengths vary from a few words to a few hundred characters. Prints messages per second
for the rules alone (``assess_rules``), for words alone (rules and the linear tier,
``assess_by_words``) and for the whole detector with its meaning tier (``assess``: the
sentence encoder on one thread, decision 0022), measured the same way one after the other.
``--meaning-messages`` (default 1,000) sizes the last run: it is about a hundred times slower.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from quietline.safety.crisis import assess, assess_by_words, assess_rules

_TEMPLATES = (
    "Can we move Thursday's session to 3pm? {filler}",
    "this traffic is killing me, running 10 min late. {filler}",
    "Thanks for today, the breathing exercise helped. {filler}",
    "I used to cut in high school but I'm doing better now. {filler}",
    "I don't want to be here anymore. {filler}",
    "My boss is going to kill me lol {filler}",
    "im so tired of everything, idk what to do {filler}",
    "I won't be around next week, I'm on vacation. {filler}",
    "I keep thinking about hurting myself. {filler}",
    "We watched a documentary about suicide prevention in class. {filler}",
)
_FILLER = (
    "the kids were loud",
    "work was long",
    "I slept badly",
    "my sister called",
    "the bus was late again",
    "I tried the journaling prompt",
    "see you soon",
)


def _messages(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        filler = ", ".join(rng.choice(_FILLER) for _ in range(rng.randint(0, 8)))
        out.append(rng.choice(_TEMPLATES).format(filler=filler))
    return out


def _run(name: str, check: Callable[[str], bool], messages: list[str]) -> None:
    for text in messages[:100]:  # warm-up (and the model's weights are read once)
        check(text)
    start = time.perf_counter()
    flagged = sum(check(text) for text in messages)
    elapsed = time.perf_counter() - start
    rate = len(messages) / elapsed
    print(f"{name}: {len(messages)} messages in {elapsed:.3f} s: {rate:,.0f} messages/s")
    print(f"{name}: flagged as crisis: {flagged}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--meaning-messages", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    messages = _messages(args.messages, args.seed)
    _run("rules alone", lambda text: assess_rules(text).assessment.crisis, messages)
    _run("words alone", lambda text: assess_by_words(text).crisis, messages)
    _run(
        "with the meaning tier",
        lambda text: assess(text).crisis,
        messages[: args.meaning_messages],
    )


if __name__ == "__main__":
    main()
