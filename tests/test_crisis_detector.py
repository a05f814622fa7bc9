"""Unit tests for the rule-based crisis detector (issue 4).

Every example here was written for these tests; none comes from the evaluation set.
"""

from __future__ import annotations

import dataclasses

import pytest

from quietline.safety.crisis import CATEGORIES, CrisisAssessment, assess, normalise

SUICIDE = "suicide"
SELF_HARM = "self_harm"
OTHERS = "harm_to_others"

CRISIS: list[tuple[str, str]] = [
    # explicit suicidal ideation
    ("I want to kill myself", SUICIDE),
    ("i wanna kms", SUICIDE),
    ("im gonna unalive myself", SUICIDE),
    ("i'm gonna k1ll mys3lf", SUICIDE),
    ("I'm going to end it all tonight", SUICIDE),
    ("I've decided to end my life", SUICIDE),
    ("i'm suicidal", SUICIDE),
    ("i feel so suicidal tonight", SUICIDE),
    ("i keep thinking about suicide", SUICIDE),
    ("i wish i was dead", SUICIDE),
    ("Why do I want to die?", SUICIDE),
    ("I'm not okay, I want to die", SUICIDE),
    ("I can't stop thinking about killing myself", SUICIDE),
    # implicit ideation
    ("I don't want to be alive anymore", SUICIDE),
    ("I don't want to live anymore", SUICIDE),
    ("I d0nt w4nt to l1ve", SUICIDE),
    ("i dont want to be here anymore", SUICIDE),
    ("everyone would be better off without me", SUICIDE),
    ("no one would miss me if i was gone", SUICIDE),
    ("there's no reason to live", SUICIDE),
    ("what's the point of living", SUICIDE),
    ("life isn't worth living", SUICIDE),
    ("I'm so tired of being alive", SUICIDE),
    ("I can't go on like this", SUICIDE),
    ("I'm not sure I can keep going", SUICIDE),
    ("i can't do this anymore", SUICIDE),
    ("I hope I don't wake up tomorrow", SUICIDE),
    ("Honestly I just want to disappear forever", SUICIDE),
    ("I won't be alive by Friday", SUICIDE),
    ("I'm not going to be around by next week", SUICIDE),
    # method and plan
    ("I'm going to take all my pills tonight", SUICIDE),
    ("I took a whole bottle of sleeping pills", SUICIDE),
    ("the pills are ready", SUICIDE),
    ("I've been saving up my pills", SUICIDE),
    ("I'm thinking about overdosing", SUICIDE),
    ("I'm going to jump off the bridge", SUICIDE),
    ("im going to hang myself", SUICIDE),
    ("i have a plan and the rope is ready", SUICIDE),
    # goodbye messages
    ("This is goodbye. Thank you for everything.", SUICIDE),
    ("Thank you for everything, I'm sorry it ended this way. Goodbye.", SUICIDE),
    ("I won't need the appointment on Thursday.", SUICIDE),
    ("By the time you read this I'll be gone", SUICIDE),
    ("my suicide note is written", SUICIDE),
    # a past cue that comes back, a negated cue followed by "but i think about it"
    ("I tried to kill myself last night", SUICIDE),
    ("I won't kill myself but I think about it every day", SUICIDE),
    ('My mind keeps saying "just end it"', SUICIDE),
    # self-harm
    ("I've been cutting again", SELF_HARM),
    ("i cut myself last night", SELF_HARM),
    ("I want to burn myself", SELF_HARM),
    ("I keep wanting to hurt myself", SELF_HARM),
    ("I've been self harming every day", SELF_HARM),
    ("i used to cut but I've started again", SELF_HARM),
    ("I relapsed and cut myself again", SELF_HARM),
    ("the urge to cut is so strong tonight", SELF_HARM),
    # harm to others
    ("I'm going to kill him", OTHERS),
    ("I will stab my stepdad when he gets home", OTHERS),
    ("I want to shoot them all", OTHERS),
    ("I could kill her and I mean it", OTHERS),
    ("I'm scared I might hurt my baby", OTHERS),
    ("I keep having thoughts of stabbing my husband", OTHERS),
    ("i wanna shoot up the school", OTHERS),
    ("I want him dead", OTHERS),
    ("I'm going to hurt my ex", OTHERS),
]

NOT_CRISIS: list[str] = [
    # idioms
    "this traffic is killing me",
    "my feet are killing me",
    "work is literally killing me this week",
    "I'm dying to see that movie",
    "dead tired after work today",
    "kill two birds with one stone",
    "I killed it at my presentation",
    "I am going to kill it at my interview tomorrow",
    "I could die of embarrassment lol",
    "I'm so happy I could die",
    "I'd rather die than go to that party lol",
    "i'd kill for a coffee right now",
    "I need to cut myself some slack",
    "I'm killing myself at work this week",
    "I'm dead serious about quitting",
    "I wanna die my hair blue",
    "I'll shoot him a text",
    "I want to beat him at chess",
    "I hurt her feelings",
    "i want to end it with my boyfriend",
    "Kill the lights please",
    "my boss is going to kill me if I'm late",
    # joking hyperbole
    "My sister is going to kill me lol",
    "I'm going to kill my brother lol he ate my fries",
    "i could kill him for eating my leftovers",
    # negation, scoped to the clause
    "I don't want to hurt myself",
    "I would never kill myself",
    "I have no thoughts of suicide",
    "I'm not suicidal, just tired",
    "I don't want to die",
    "I don't want to hurt anyone",
    "I would never hurt my kids",
    "Thoughts of self-harm? None.",
    "I haven't cut since March",
    # past tense with recovery cues
    "I tried to kill myself years ago but I'm doing much better now",
    "I tried to kill myself in 2015 and I'm so glad I'm still here",
    "I used to self harm in high school",
    "I'm doing better, no urges to self harm this week",
    # quotes, media, third parties
    "I'm writing an essay on suicide prevention",
    "We watched a movie about a man who wants to die",
    "The book is about a girl who wants to end her life",
    'the song "I want to die" is stuck in my head',
    "My friend's dad died by suicide last year",
    "my brother tried to kill himself",
    "How do I know if someone is suicidal?",
    # accidents
    "I cut myself while cooking dinner",
    "I hurt myself at the gym",
    "I cut my finger chopping onions",
    # benign reasons, routines, ordinary goodbyes
    "I won't be around next week, I'm on vacation",
    "I won't need the appointment next week, I'm feeling much better",
    "Thank you for everything, see you next Tuesday!",
    "I have to remember to take all my pills every morning",
    "I can't go on the trip this weekend",
    "I don't want to be here at this party",
    "I don't want to live with my parents anymore",
    # screening questions and safety planning
    "the nurse asked if I wanted to hurt myself and I said no",
    "If I ever feel like hurting myself I will call the crisis line",
    # SMS spellings that are not crisis
    "I feel ill today",
    "ill call you tomorrow",
    "we jumped off the cliff into the lake",
    "",
]


@pytest.mark.parametrize(("text", "category"), CRISIS)
def test_crisis_messages_are_flagged(text: str, category: str) -> None:
    result = assess(text)
    assert result.crisis, result.reasons
    assert category in result.categories


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_non_crisis_messages_are_not_flagged(text: str) -> None:
    result = assess(text)
    assert not result.crisis, result.reasons
    assert result.categories == ()


def test_examples_are_many_and_distinct() -> None:
    texts = [t for t, _ in CRISIS] + NOT_CRISIS
    assert len(texts) >= 80
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(
    ("text", "dampener"),
    [
        ("I don't want to hurt myself", "negated"),
        ("I used to self harm in high school", "past"),
        ('the song "I want to die" is stuck in my head', "quoted"),
        ("My friend's dad died by suicide last year", "third_party"),
        ("I'm writing an essay on suicide prevention", "topic"),
        ("I cut myself while cooking dinner", "accident"),
        ("I'm going to kill my brother lol he ate my fries", "hyperbole"),
        ("I won't be around next week, I'm on vacation", "benign_reason"),
        ("Thank you for everything, see you next Tuesday!", "no_finality"),
    ],
)
def test_set_aside_cues_name_their_dampener(text: str, dampener: str) -> None:
    result = assess(text)
    assert not result.crisis
    assert any(r.endswith("~" + dampener) for r in result.reasons), result.reasons


def test_reasons_name_rules_and_never_quote_the_message() -> None:
    text = "Honestly, Jordan, I want to kill myself tonight."
    result = assess(text)
    assert result.crisis
    assert "suicide.kill_myself" in result.reasons
    words = {w.strip(",.").lower() for w in text.split()}
    for reason in result.reasons:
        assert all(part not in words for part in reason.replace("~", ".").split("."))


def test_several_categories_in_one_message() -> None:
    result = assess("I'm going to kill him. Then I'll kill myself.")
    assert result.categories == (SUICIDE, OTHERS)


def test_categories_come_from_the_fixed_list() -> None:
    for text, _ in CRISIS:
        assert set(assess(text).categories) <= set(CATEGORIES)


def test_assessment_is_frozen() -> None:
    result = assess("hello")
    assert result == CrisisAssessment(crisis=False, categories=(), reasons=())
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.crisis = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I\u2019M   Gonna", "i'm going to"),
        ("dont cant wont", "don't can't won't"),
        ("kms", "kill myself"),
        ("k1ll", "kill"),
        ("soooo", "so"),
        ("meet at 3pm", "meet at 3pm"),
        ("I feel ill", "i feel ill"),
        ("ill text you", "i'll text you"),
        ("ran 5 kms", "ran 5 km"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_long_input_is_handled() -> None:
    text = "I had a long day at work and the bus was late. " * 400
    assert not assess(text).crisis
    assert assess(text + " I want to kill myself.").crisis
