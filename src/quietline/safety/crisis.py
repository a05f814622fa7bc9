"""Rule-based crisis detection for inbound client messages.

``assess(text)`` says whether a message may express suicidal intent, self-harm or intent to
harm others, which of those categories, and which rules fired. It is a *safety net* that
raises a message to a clinician's attention; it is not a clinical assessment (decision 0015).

How it works, in order:

1. **Normalise**: lowercase, one kind of apostrophe and quotation mark, common SMS spellings
   and misspellings (``kms``, ``sh``, ``unalive``, ``wanna``, ``im``, ``dont``, ``yrs``,
   ``w/``, ``want 2``, ``b``, "i want to dye" ...), digits and symbols used as letters
   (``k1ll``), a dropped final g on the verbs the rules use (``thinkin``), long letter runs
   (``soooo``) and whitespace.
2. **Split**: text in double quotation marks, or in single quotation marks around words, is
   set apart (it is analysed, but knowing it is quoted), then the rest is split into clauses
   at sentence punctuation, line breaks and ``but`` / ``however``.
3. **Idioms** (``this traffic is killing me``, ``dying to``, ``cut myself some slack``) are
   blanked out of each clause before any rule runs.
4. **Rules** (regular expressions, each with a stable name and a category) find candidate
   cues in each clause. They describe *kinds* of phrasing: a wish to die or not to wake up,
   being a burden, a deadline or "won't be around", a means or a place at hand, research into
   methods, a goodbye with another sign of finality, self-harm urges, wounds and hidden
   blades, and threats, intrusive thoughts, weapons and stalking with a target. A rule is
   only tried when the message contains one of the literal strings its pattern requires
   (worked out from the pattern itself when the module loads), which keeps this fast.
5. **Dampeners** decide, per cue, whether it is negated in its own clause, taken back in the
   next one ("but i won't"), historical with recovery cues, quoted or about a film, book or
   another person, an accident, joking hyperbole or an everyday annoyance, or has an
   ordinary reason (a trip, a move, a new therapist, hunting, a commute). Some cues need a
   second sign in the message (a goodbye needs finality, a weapon needs a threat or a fight).
   A cue stays a crisis unless a dampener clearly applies: recall matters more than
   precision for a safety net.

6. **The learned tier** (:mod:`quietline.safety.crisis_model`): when the rules (and the
   sensitive tier) flag nothing, a small logistic regression over the normalised text may still
   flag the message, if it has at least the model's minimum number of words (short practice
   texts are left to the rules), its probability reaches the shipped threshold and the rules
   did not recognise an everyday reading the model may not override (:func:`combine`). Its
   reason is a probability bucket (``model.p95``), never a feature.
7. **The meaning tier** (:mod:`quietline.safety.crisis_meaning`, decision 0022): when nothing
   above flagged, a pretrained sentence encoder reads the whole message and a small head over
   its vector (and the learned tier's log-odds) may flag it (``meaning.p90``).

Everything here is pure (the models are read once from files in the package and the pinned
encoder); no text leaves the function, and the ``reasons`` of an
assessment name rules, dampeners and probability buckets, never words of the message.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from quietline.safety import crisis_meaning, crisis_model
from quietline.safety.crisis_spanish import reads_as_spanish, spanish_cues

__all__ = [
    "CATEGORIES",
    "CrisisAssessment",
    "RulesOutcome",
    "assess",
    "assess_rules",
    "combine",
    "learned_tier_blocked",
    "normalise",
    "ordinary_scheduling",
]

SUICIDE = "suicide"
SELF_HARM = "self_harm"
HARM_TO_OTHERS = "harm_to_others"
CATEGORIES: tuple[str, ...] = (SUICIDE, SELF_HARM, HARM_TO_OTHERS)


@dataclass(frozen=True, slots=True)
class CrisisAssessment:
    """The outcome of :func:`assess`.

    ``categories`` are among :data:`CATEGORIES`, in that order. ``reasons`` name the rules
    that fired (``"suicide.kill_myself"``) and, for cues that were set aside, the rule and
    the dampener (``"suicide.kill_myself~negated"``). They never contain message text.
    """

    crisis: bool
    categories: tuple[str, ...]
    reasons: tuple[str, ...]


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

_APOSTROPHES = _c("[\u2018\u2019\u201b\u02bc\u02b9\u0060\u00b4\u2032]")
_QUOTES = _c("[\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033]")
_SPACES = _c(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_HYPHEN_WORDS = _c(r"(?<=[a-z])[-_](?=[a-z])")
_LEET_TOKEN = _c(r"[a-z0-9@$!]+")  # a run with no letter in it is left alone (_deleet)
_LEET_MAP = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                           "@": "a", "$": "s", "!": "i"})  # fmt: skip
_NOT_LEET = _c(r"\d+(?:[a-z]{1,3}|'?s)|[a-z]\d+|\d+[a-z]\d+")  # 3pm, 2nd, 90s, b12, 1x2
_VOWEL_RUNS = _c(r"([aeiouy])\1{2,}")
_CONSONANT_RUNS = _c(r"([b-df-hj-np-tv-z])\1{2,}")

# Whole-word replacements, applied before the leetspeak pass (some contain digits).
_SMS: dict[str, str] = {
    "kms": "kill myself",
    "kys": "kill yourself",
    "ctb": "end my life",  # "catch the bus"
    "unalive myself": "kill myself",
    "unaliving myself": "killing myself",
    "unalived myself": "killed myself",
    "unalived": "killed",
    "sewerslide": "suicide",
    "sewer slide": "suicide",
    "suicid3": "suicide",
    "wanna": "want to",
    "wana": "want to",
    "gonna": "going to",
    "gunna": "going to",
    "finna": "going to",
    "imma": "i'm going to",
    "ima": "i'm going to",
    "i'mma": "i'm going to",
    "gotta": "got to",
    "tryna": "trying to",
    "im": "i'm",
    "ive": "i've",
    "id": "i'd",
    "dont": "don't",
    "cant": "can't",
    "cannot": "can't",
    "can not": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "arent": "aren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "wouldnt": "wouldn't",
    "couldnt": "couldn't",
    "shouldnt": "shouldn't",
    "aint": "ain't",
    "thats": "that's",
    "theres": "there's",
    "whats": "what's",
    "youre": "you're",
    "do not": "don't",
    "does not": "doesn't",
    "did not": "didn't",
    "is not": "isn't",
    "are not": "aren't",
    "was not": "wasn't",
    "were not": "weren't",
    "have not": "haven't",
    "has not": "hasn't",
    "will not": "won't",
    "would not": "wouldn't",
    "could not": "couldn't",
    "i am": "i'm",
    "i will": "i'll",
    "i would": "i'd",
    "i have been": "i've been",
    "u": "you",
    "ur": "your",
    "ppl": "people",
    "rn": "right now",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrrw": "tomorrow",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "2nite": "tonight",
    "tonite": "tonight",
    "2day": "today",
    "b4": "before",
    "some1": "someone",
    "any1": "anyone",
    "every1": "everyone",
    "no1": "no one",
    "noone": "no one",
    "cuz": "because",
    "coz": "because",
    "bc": "because",
    "abt": "about",
    "idk": "i don't know",
    "idc": "i don't care",
    "ngl": "not going to lie",
    "tbh": "to be honest",
    "fr": "for real",
    "w": "with",
    "frfr": "for real",
    "pls": "please",
    "plz": "please",
    "od": "overdose",
    "oding": "overdosing",
    "od'd": "overdosed",
    "selfharm": "self harm",
    "selfharming": "self harming",
    "selfharmed": "self harmed",
    "anymore": "anymore",
    "any more": "anymore",
    # more SMS spellings and common misspellings of the words the rules look for
    "yrs": "years",
    "yr": "year",
    "wks": "weeks",
    "wk": "week",
    "hrs": "hours",
    "w/": "with",
    "w/o": "without",
    "nvm": "never mind",
    "prolly": "probably",
    "smth": "something",
    "sth": "something",
    "somethin": "something",
    "nothin": "nothing",
    "jus": "just",
    "bout": "about",
    "dnt": "don't",
    "wnt": "want",
    "kil": "kill",
    "killin": "killing",
    "dyin": "dying",
    "cuttin": "cutting",
    "hurtin": "hurting",
    "goin": "going",
    "tryin": "trying",
    "thru": "through",
    "til": "until",
    "sucidal": "suicidal",
    "suicidle": "suicidal",
    "suisidal": "suicidal",
    "suicdal": "suicidal",
    "sucide": "suicide",
    "suiside": "suicide",
    "suicde": "suicide",
    "myslef": "myself",
    "mysef": "myself",
    "myslf": "myself",
    "msyelf": "myself",
    "slef harm": "self harm",
    "s/h": "self harm",
    "toaster bath": "suicide",
    "wnat": "want",
    "whant": "want",
    "lyfe": "life",
    "dieing": "dying",
    "ded": "dead",
    "killmyself": "kill myself",
    "kilmyself": "kill myself",
    "mylife": "my life",
    "em": "them",
    "nite": "night",
    "lastnight": "last night",
    "lastnite": "last night",
    "relapsd": "relapsed",
    "relasped": "relapsed",
    "relpased": "relapsed",
    "relaped": "relapsed",
    "sewer slided": "attempted suicide",
    # "unalive" and "sewerslide" as adjectives: "unalive thoughts" are suicidal thoughts
    "unalive thoughts": "suicidal thoughts",
    "unalive urges": "suicidal urges",
    "unalive feelings": "suicidal feelings",
    "unaliving thoughts": "suicidal thoughts",
    "sewerslide thoughts": "suicidal thoughts",
    "sewerslidal": "suicidal",
    "kms thoughts": "suicidal thoughts",
    "kms urges": "suicidal urges",
}
# "its" before a word that cannot follow the possessive is "it's" ("its not your fault").
_ITS = _c(
    r"\bits(?= (?:not|been|over|time|fine|ok|okay|all|just|going|gonna|too|so|really|only|"
    r"never|almost|nearly|ready|done|hard|getting|like|because|no|my|your|a|the|finished|"
    r"happening|gotten|always|bad|worse|better)\b)"
)
# A dropped final "g" ("thinkin bout endin it"): only for verbs the rules look for, since
# many nouns and names end in "in" (insulin, cousin, kevin).
_DROPPED_G = _c(
    r"\b(think|end|feel|want|plann|hop|wish|pray|cry|say|do|be|tak|mak|tell|fall|jump|hang|"
    r"burn|bleed|sleep|wak|liv|breath|fight|hitt|punch|stabb|shoot|scratch|harm|start|stopp|"
    r"keep|gett|look|star|hold|sav|hid|writ|sitt|stand|driv|walk|talk|leav|giv|buy|us|hav|"
    r"cutt|kill|dy|hurt|go|try|relaps|slipp|strugg?l|wonder|drink|overdos|hoard|stockpil|"
    r"count|research|googl|search|wast|disappear|vanish|break|smash|slamm|bang|bit|pick|"
    r"carv|starv|purg|lov|miss|hat|beat|chok|strangl|poison|follow|watch|stalk|wait|fantasiz|"
    r"fantasis|imagin|pictur|dream|spiral|panick|freak|los|quitt)in'?(?![\w'])"
)
_SMS_RE = _c(
    r"(?<![\w'])("
    + "|".join(re.escape(k) for k in sorted(_SMS, key=len, reverse=True))
    + r")(?![\w'])"
)
# "odd" is "od'd" only as a verb ("i odd last night"), not "that sounds odd" (_SMS_RE).
_ODD = _c(r"(?<![\w'])(i|i've|just|almost|nearly|i just|i almost|i nearly) odd(?![\w'])")
# "ill" is "i'll" unless it is the adjective ("i feel ill", "mentally ill").
_ILL = _c(r"(?<![\w'])ill(?![\w'])")
_ILL_ADJECTIVE_BEFORE = frozenset(
    [
        "feel",
        "feeling",
        "feels",
        "felt",
        "am",
        "i'm",
        "was",
        "were",
        "is",
        "are",
        "be",
        "been",
        "being",
        "so",
        "very",
        "really",
        "too",
        "mentally",
        "terminally",
        "seriously",
        "chronically",
        "critically",
        "gravely",
        "fell",
        "falling",
        "look",
        "looks",
        "looking",
        "get",
        "got",
        "getting",
        "quite",
        "pretty",
        "become",
        "became",
        "an",
        "the",
        "of",
        "still",
        "bit",
        "little",
        "kinda",
        "kind",
        "sort",
        "sorta",
        "super",
        "fairly",
        "extremely",
    ]
)
_ILL_NOUN_AFTER = frozenset(
    ["health", "people", "person", "effects", "will", "feeling", "feelings"]
)
# "unalive him" is "kill him"; a bare "unalive" stays, for its own rule (it means oneself).
_UNALIVE_OTHER = _c(
    r"\bunaliv(e|ing)(?= (?:him|her|them|you|my|his|their|someone|somebody|people|everyone|the|"
    r"that|this|yourself)\b)"
)
# "i want to dye" (with nothing to dye) is a misspelling of "die".
_DYE = _c(
    r"\b(to|gonna|wanna|i'll|will|could|just|and|or) dye\b(?! (?:my|her|his|their|your|our|it|"
    r"them|the|a|some|hair|clothes|shirts?|fabric|eggs|easter|this|that|these|those|blue|red|"
    r"pink|purple|green|black|blonde|brown)\b)"
)
_KMS_DISTANCE = _c(r"(\d)\s*kill myself")  # "5 kms" is a distance
# "sh" is self-harm slang ("sh again", "i sh'd", "sh urges"); "sh*t" and "shed" are not.
_SH = _c(r"(?<![\w'*])sh('d|'ed|'?ing)?(?![\w'*!@#$%&^])")
_SH_FORMS = {"": "self harm", "'d": "self harmed", "'ed": "self harmed",
             "ing": "self harming", "'ing": "self harming"}  # fmt: skip
# "want 2 die", "gonna b here": digits and letters that stand for words after a verb.
_TWO = _c(
    r"\b(want|wanted|going|need|have|ready|trying|about|got|used|wish|like|decided|plan|"
    r"planning|tempted|urge|urges|deserve) 2 "
    r"(?!(?:kms?|miles?|mi|blocks?|hours?|mins?|minutes?|days?|weeks?|times|pm|am)\b)(?=[a-z])"
)
_BE = _c(
    r"\b(to|will|i'll|won't|can|could|should|would|might|not|never|just|even|wanna|gonna) "
    r"b(?![\w'])"
)


def _fix_ill(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        # Only the words next to it matter; looking at a bounded window keeps this linear.
        before = text[max(0, m.start() - 60) : m.start()].split()
        after = text[m.end() : m.end() + 60].split()
        prev = before[-1] if before else ""
        nxt = after[0] if after else ""
        if prev in _ILL_ADJECTIVE_BEFORE or nxt in _ILL_NOUN_AFTER or not nxt:
            return "ill"
        return "i'll"

    return _ILL.sub(repl, text)


def _deleet(m: re.Match[str]) -> str:
    token = m.group(0)
    if token.isalpha() or not any("a" <= ch <= "z" for ch in token):
        return token
    core = token.rstrip("!")
    tail = token[len(core) :]
    if _NOT_LEET.fullmatch(core):
        return token  # "3pm", "2nd", "10am": not leetspeak
    return core.translate(_LEET_MAP) + tail


def normalise(text: str) -> str:
    """Lowercase and canonicalise *text* for matching (exposed for tests and debugging)."""
    t = text.lower()
    t = _APOSTROPHES.sub("'", t)
    t = _QUOTES.sub('"', t)
    t = t.replace("\r\n", "\n").replace("\r", "\n")
    t = _HYPHEN_WORDS.sub(" ", t)
    t = _SH.sub(lambda m: _SH_FORMS[m.group(1) or ""], t)
    t = _DYE.sub(r"\1 die", t)
    t = _UNALIVE_OTHER.sub(lambda m: "killing" if m.group(1) == "ing" else "kill", t)
    t = _TWO.sub(r"\1 to ", t)
    t = _DROPPED_G.sub(r"\1ing", t)
    t = _SMS_RE.sub(lambda m: _SMS[m.group(1)], t)
    t = _ODD.sub(r"\1 overdosed", t)
    t = _ITS.sub("it's", t)
    t = _BE.sub(r"\1 be", t)
    t = _LEET_TOKEN.sub(_deleet, t)
    t = _SMS_RE.sub(lambda m: _SMS[m.group(1)], t)  # "k1ll" -> "kill", "su1c1de" -> ...
    t = _KMS_DISTANCE.sub(r"\1 km", t)
    t = _fix_ill(t)
    t = _VOWEL_RUNS.sub(r"\1", t)
    t = _CONSONANT_RUNS.sub(r"\1\1", t)
    t = _SPACES.sub(" ", t)
    return "\n".join(line.strip() for line in t.split("\n"))


# --------------------------------------------------------------------------------------
# Splitting
# --------------------------------------------------------------------------------------

# Double quotes, or single quotes that open before a word and close after one (the
# apostrophes of "i'm" and "kids'" are not quotation marks).
_QUOTED = _c(
    r'"([^"\n]{1,400})"'
    r"|(?<![\w'])'(?=\w)((?:[^'\n]|(?<=\w)'(?=\w)){1,300}?)'(?!\w)"
)
_QUOTE_MARK = " qqq "
_CLAUSE_SPLIT = _c(
    r"(?:[.!?;]+(?=\s|$|[\"'])|\n+|\s[-\u2013\u2014]+\s|\s*\.\.\.+\s*"
    r"|,?\s+\b(?:but(?! to\b)|however|although|though|whereas)\b)"
)


@dataclass(frozen=True, slots=True)
class _Clause:
    text: str
    quoted: bool
    host: str  # for quoted clauses: the clause the quotation sits in
    question: bool  # ended with "?" or ":"
    index: int


def _split(text: str) -> list[_Clause]:
    quotes: list[str] = []

    def pull(m: re.Match[str]) -> str:
        quotes.append(m.group(1) or m.group(2))
        return _QUOTE_MARK

    main = _QUOTED.sub(pull, text)
    clauses: list[_Clause] = []
    pos = 0
    hosts: list[str] = []
    for m in _CLAUSE_SPLIT.finditer(main):
        piece = main[pos : m.start()].strip()
        if piece:
            delim = m.group(0)
            question = "?" in delim or piece.endswith(":")
            clauses.append(_Clause(piece, False, "", question, len(clauses)))
        pos = m.end()
    tail = main[pos:].strip()
    if tail:
        clauses.append(_Clause(tail, False, "", False, len(clauses)))
    hosts = [c.text for c in clauses if "qqq" in c.text]
    whole_is_quote = not main.replace("qqq", "").strip(" .,!?;:\n")
    for i, quoted in enumerate(quotes):
        host = hosts[i] if i < len(hosts) else ""
        for raw in _CLAUSE_SPLIT.split(quoted):
            piece = raw.strip()
            if piece:
                clauses.append(_Clause(piece, not whole_is_quote, host, False, len(clauses)))
    return clauses


# --------------------------------------------------------------------------------------
# Idioms: blanked out of a clause before any rule runs
# --------------------------------------------------------------------------------------

_PERSON_NOUNS = (
    r"(?:boss|manager|supervisor|husband|wife|ex|ex husband|ex wife|partner|boyfriend|"
    r"girlfriend|bf|gf|fianc\w*|spouse|mom|mum|mother|dad|father|stepdad|stepmom|stepfather|"
    r"stepmother|parents?|brother|sister|siblings?|son|daughter|kids?|children|child|baby|"
    r"babies|newborn|toddler|roommate|flatmate|housemate|neighbou?r|coworker|co worker|"
    r"colleague|teacher|professor|classmates?|family|uncle|aunt|cousin|grandma|grandpa|"
    r"grandmother|grandfather|friend|friends|bully|bullies|abuser|rapist|landlord|"
    r"guy|man|woman|girl|boy|people|person|dude|students?|class|team|whole family|"
    r"(?:year|yr) olds?)"
)
_TARGET = (
    r"(?:him|her|them|you|someone|somebody|anyone|anybody|everyone|everybody|people|"
    r"all of (?:them|you)|them all|(?:my|his|her|their|our|your|that|this|the|those|these)"
    r"(?: own)?(?: \w+){0,2} " + _PERSON_NOUNS + r")"
)
_IDIOMS = _c(
    r"\b(?:die|dying|died|dead|death) (?:of|from) (?:embarrassment|shame|boredom|laughter|"
    r"laughing|cringe|cuteness|happiness|jealousy|envy|curiosity|thirst|hunger|excitement|"
    r"anticipation|suspense|heat|cold|exhaustion|the heat|the cold|old age)\b"
    r"|\b(?:die|dying|died) (?:laughing|happy)\b|"
    r"(?<!deserve )(?<!deserves )(?<!want )(?<!wanted )(?<!wanting )(?<!wants )\bto die for\b"
    # "to die for" is praise, not "wanting to die for two years"
    r"(?! (?:real|sure|good|certain|(?:\w+ )?(?:days?|weeks?|months?|years?|hours?|ages|"
    r"a while|so long|a long time))\b)"
    r"|\bdying to\b"
    r"|\b(?:died|dying|die) (?:up there|on stage|out there)\b"
    r"|\bend (?:it|things|the year|the session) on a (?:good|high|positive|nice|happy) note\b"
    r"|\bcut (?:them|it|the|these|those|my|each|a) (?:\w+ )?in (?:half|halves|two|quarters)\b"
    r"|\bdying for (?:a|an|some|the)\b|\bdying (?:my|her|his) hair\b"
    r"|\bdie (?:my|her|his|your) (?:hair|clothes|shirt|jeans)\b"
    r"|\bdead (?:tired|serious|on my feet|battery|phone|end|set on|set against)\b"
    r"|\bdeath warmed (?:up|over)\b|(?<!\bi )\b(?:has|had) a death wish\b"
    # "death by drill", "death by a thousand cuts": not a method
    r"|\bdeath by (?!suicide|overdose|hanging|drowning|gun|gunshot|cop|train|jumping|pills|"
    r"my own hand)\w+"
    # acting and play: "i get to fake stab myself in the play"
    r"|\b(?:fake|pretend(?:ing)? to|pretends to) (?:stab|kill|shoot|hang|poison|cut)\w* "
    r"(?:my ?self|him|her|them|each other)\b"
    # "it cut so deep": words that hurt
    r"|\b(?:it|that|this|which|what (?:he|she|they) said)(?: really)? cuts? (?:me )?(?:so |"
    r"really |pretty |very )?deep\b"
    r"|\b(?:bored|scared|worried|sick|tickled|freezing|frozen|loved|annoyed|stressed) to death\b"
    r"|\b(?:the )?death of me\b|\bover my dead body\b"
    r"|\b(?:rather|sooner) die than\b(?! (?:go through|live|keep|feel|spend another|face|deal with|"
    r"go back|be alive|be here|wake up|continue|suffer))"
    r"|\bkill(?:s|ed|ing)? (?:two birds|time|it|the vibe|the mood|the lights?|the engine|"
    r"the process|the power|a bottle|the bottle|my buzz|the buzz|the game|the conversation|"
    r"the competition|the pain|the bugs?|the weeds?|the spider|a spider|the mosquito|"
    r"the germs|the music|the (?:app|tab|program|server|job))\b"
    r"|\b(?:would|'d|could|i) kill for\b"
    r"|\b(?:is|are|was|were|'s|'re|keeps|keep) (?:literally |actually |just |really |slowly |"
    r"absolutely )?killing me\b|\bkilling me (?:softly|lol|haha)\b"
    r"|\bkill(?:ing)? myself (?:laughing|at work|at the gym|over (?:this|that|it|work)|"
    r"(?:with|for) (?:work|this|that|overtime|homework|studying|training|practice)|studying|"
    r"working|trying to|to (?:finish|make|get|meet|keep|please))\b"
    r"|\bshoot(?:ing)? myself in the foot\b"
    r"|\bcut(?:ting)? (?:myself|me) (?:some|a little|a|any) (?:slack|break)\b"
    r"|\bcut(?:ting)? myself (?:off|out)\b|\bburn(?:ed|t|ing)? (?:myself )?out\b"
    r"|\bhurt(?:ing)? myself laughing\b"
    r"|\bshoot (?:him|her|them|you|me|my \w+|\w+) (?:a|an) (?:quick )?(?:text|message|email|"
    r"note|line|dm|msg|reply|invite)\b|\bshoot (?:him|her|them|you) over\b"
    r"|\bhit (?:him|her|them|you|me|my \w+) up\b"
    r"|\bkill (?:him|her|them|you) with kindness\b"
    r"|\b(?:beat|beating|crush|crushing|kill|killing|destroy) (?:him|her|them|you|my \w+) "
    r"(?:at|in) (?:chess|cards|poker|tennis|pool|golf|scrabble|monopoly|mario ?kart|fortnite|"
    r"the (?:game|match|race|quiz)|games?|a race)\b"
    r"|\bhurt(?:ing)? (?:his|her|their|your|my \w+'s|\w+'s) (?:feelings|chances|pride|ego)\b"
    r"|\bend(?:ing)? (?:it|things) (?:with|between) (?:him|her|them|us|my (?:boyfriend|"
    r"girlfriend|partner|ex|bf|gf|husband|wife|fianc\w*|therapist|job|lease|contract)|"
    r"[a-z]+ and me)\b"
    r"|\b(?:overdos\w*) on (?:coffee|caffeine|sugar|candy|chocolate|netflix|tv|anime|work|"
    r"vitamin \w|cheese|carbs|sun|sunshine)\b"
    r"|\bwhat (?:does )?(?:kill myself|kill yourself|self harm|unalive|suicide) (?:means?|stands? "
    r"for)\b|\b(?:the word|the term|slang for|abbreviation for) (?:kill myself|kill yourself|"
    r"self harm|unalive)\b|\bend my life\s*(?:=|means\b|stands for\b|is short for\b)"
    r"|\bgoodbye for now\b|\bsay goodbye to (?:my|the|our) (?:old|\w+ )?(?:job|house|car|"
    r"apartment|hair|phone|couch)\b"
    r"|\bcut(?:ting)? it (?:close|fine)\b"
    r"|\b(?:hours|shifts?|pay|budget|funding|salary|benefits) (?:\w+ )?(?:got|were|was|have been|"
    r"has been|being|are being) cut\b"
    # Laughter: "i'm dead 💀", "still dead", "dead 😭 my grandma ..." (not "i want to be dead 😭").
    r"|(?:^|(?<=[\s,.!]))(?:i'm |im |i am |bro |lmao |omg |ok )?(?:so |literally |actually |"
    r"lowkey |still )?(?<!be )(?<!was )(?<!were )dead(?: af)? ?(?:💀|😭|😂|🤣|☠️?)"
    r"|\bstill dead\b(?=\W+(?:anyway|lol|lmao|haha))"
)


def _strip_idioms(clause: str) -> tuple[str, bool]:
    cleaned = _IDIOMS.sub(" ~ ", clause)
    return cleaned, cleaned != clause


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    category: str
    pattern: re.Pattern[str]
    # "match": negators before the cue and inside the matched text count;
    # "prefix": only before it (the rule has its own negation: "don't want to live");
    # "none": never negated.
    negation: str = "match"
    weak: bool = False  # a topic word: needs a first-person clause, no topic or third party
    subject_check: bool = False  # no "myself" in the cue: check it is not about someone else
    hyperbole: bool = False  # can be joking hyperbole ("i'm going to kill him lol")
    accident: bool = False  # can be an accident ("i cut myself cooking")
    absence: bool = False  # "won't be around": may be a trip
    schedule: bool = False  # "won't need the appointment": may be a benign reason
    meds_routine: bool = False  # "take all my pills": may be a routine
    needs_finality: bool = False  # "thank you for everything": only with goodbye cues
    needs_context: bool = False  # vague ("do it tonight"): only with other risk words
    needs_serious: bool = False  # "i could kill him": only "and i mean it"
    past_ok: bool = True  # historical + recovery cues may dampen it
    topic_ok: bool = False  # "lethal dose": may be coursework, a film, the news
    everyday: bool = False  # "i want to be done": may be about an exam, work, a chore
    farewell: bool = False  # a goodbye: set aside for an ordinary ending (moving, new therapist)
    needs_ending: bool = False  # "bye": only with another sign of a final goodbye
    permanent: bool = False  # "won't be around anymore": set aside only for a real reason
    needs_violence: bool = False  # "make him pay", "a bat": only with threat or weapon cues
    means: bool = False  # a weapon or a place: set aside for hunting, cooking, a commute
    needs_threat: bool = False  # a weapon: only with a threat or a fight in the message
    needs_second_sign: bool = False  # one arrangement ("wrote a will"): only with another sign
    needs_self_harm_context: bool = False  # "i relapsed": only if the message is about self-harm


# "i'm going to", "i'll", and with the subject dropped at the start of a clause, as texts
# often do ("gonna hurt him if ...").
_I_MODALS = (
    r"(?:\bi(?:'m|'ll|'d|'ve)?(?: (?:really|just|seriously|honestly|actually|literally|fucking|"
    r"so|finally|definitely|totally|probably|genuinely|still))*"
    r" ?(?:going to|about to|ready to|planning (?:on|to)|plan to|thinking (?:(?:seriously|really|a "
    r"lot|constantly) )?(?:about|of|to)|"
    r"tempted to|want to|want|wanted to|will|need to|have to|got to|might|may|swear i'll|"
    r"think i'll|think i might|feel like|keep thinking (?:about|of)|can't stop thinking about|"
    r"fantasi[sz]e about|fantasi[sz]ing about|dream about|am going to|'m going to|"
    r"been thinking (?:(?:seriously|really|a lot|constantly) )?(?:about|of)|gonna|intend to|"
    r"decided to|'ll|'m|)"
    r"|^(?:honestly |seriously |really |literally |just |so )?(?:going to|about to|ready to|"
    r"want to|planning (?:on|to)|tempted to|thinking (?:about|of)|might|will|need to|swear "
    r"i'll))"
    r"(?: (?:really|just|seriously|actually|literally|fucking|go and|go|finally|snap and|"
    r"lose it and|lose control and|end up|accidentally))*"
)
_OTHER_VERBS = (
    r"(?:kill(?:ing)?|murder(?:ing)?|hurt(?:ing)?|harm(?:ing)?|shoot(?:ing)?|stab(?:bing)?|"
    r"strangl(?:e|ing)|chok(?:e|ing)|beat(?:ing)?(?: up)?|punch(?:ing)?|attack(?:ing)?|"
    r"poison(?:ing)?|smother(?:ing)?|drown(?:ing)?|run over|running over|slit|burn(?:ing)?|"
    r"tortur(?:e|ing)|bash(?:ing)?|hit(?:ting)?|"
    r"slap(?:ping)?|strangle|suffocat(?:e|ing)|end(?:ing)?|shak(?:e|ing)|kick(?:ing)?|"
    r"throttl(?:e|ing)|maim(?:ing)?|cripple|crippling|curb ?stomp(?:ing)?|"
    r"beat (?:the (?:shit|crap|hell|life|living daylights) )out of)"
)
_TARGET_END = (
    r"(?!'s|s\b| up\b| (?:a|an) (?:text|message|email|note|line|dm)| out\b| off\b"
    r"| (?:to|for) (?:dinner|lunch|breakfast|a (?:walk|drive|movie|date))| awake\b"
    r"| (?:hands?|off|loose)\b)\b"
)
_PILLS = (
    r"(?:pills|meds|medications?|medicines?|tablets|sleeping pills|painkillers|pain killers|"
    r"antidepressants|insulin|tylenol|paracetamol|advil|ibuprofen|xanax|oxy\w*|opioids|"
    r"lithium|prescriptions?|bottle|drugs|medicine cabinet|cabinet|medicine drawer|pill bottles?|"
    r"pill organi[sz]er|"
    r"sleep aids?|benzos|klonopin|ativan|valium|seroquel|trazodone|ambien|melatonin|aspirin)"
)
# Harm to others where the target sits inside the phrase ("put him in the hospital").
_OTHER_PHRASES = (
    r"(?:put(?:ting)? " + _TARGET + r" (?:in (?:the|a) (?:hospital|ground|grave|morgue|icu|er|"
    r"emergency room|wheelchair|coma|body bag)|six feet under|through (?:a|the) (?:window|wall|"
    r"door|table|windshield))"
    r"|run(?:ning)? " + _TARGET + r" (?:over|down|off the road)"
    r"|(?:push|pushing|shove|shoving|throw|throwing) " + _TARGET + r" (?:down|off|out of|into|"
    r"in front of|over the|through|onto|under|out (?:the|a) window)"
    r"|poison(?:ing)? (?:his|her|their|" + _TARGET + r"'s) (?:coffee|food|drink|tea|meal|dinner|"
    r"lunch|water|wine|beer|meds|medicine)"
    r"|go(?:ing)? after " + _TARGET + _TARGET_END + r"|(?:burn(?:ing)?|torch(?:ing)?) (?:down )?"
    r"(?:his|her|their|" + _TARGET + r"'s) (?:house|"
    r"place|home|apartment|car|office|room)"
    r"|set fire to (?:his|her|their|" + _TARGET + r"'s) (?:house|place|home|apartment|car)"
    r"|beat(?:ing)? " + _TARGET + r" (?:up|to death|senseless|to a pulp|bloody|black and blue|"
    r"until)|knock(?:ing)? " + _TARGET + r" out"
    r"|break(?:ing)? (?:his|her|their|" + _TARGET + r"'s) (?:neck|legs?|arms?|face|jaw|nose|"
    r"skull|teeth)"
    r"|(?:slit|slash|cut)(?:ting)? (?:his|her|their|" + _TARGET + r"'s) throat"
    r"|put(?:ting)? (?:a|the|my) (?:\w+ )?(?:knife|blade) (?:in|into|through) " + _TARGET + r"\b"
    r"|(?:knock|kick|bash|cave|smash)(?:ing)? (?:his|her|their|" + _TARGET + r"'s) (?:teeth|"
    r"head|skull|face) in"
    r"|do (?:something|things|stuff) (?:bad |terrible |horrible |violent |awful )?to "
    + _TARGET
    + _TARGET_END
    + r")"
)
_TAKE_ALL = (
    r"(?:all|every one|the rest|a (?:whole )?bunch|(?:the|a) (?:whole )?bottle|"
    r"half (?:a|the) bottle|a handful|handfuls|"
    r"a lot|too many|all the|all of|enough|as many|everything|\d{2,3}|twenty|thirty|forty|"
    r"fifty|sixty|a hundred|dozens|way too many|a ton of|lots of|loads of|a lot of|"
    r"everything (?:in|from)|whatever(?:'s| is)? (?:in|left in)|all (?:the )?(?:stuff|meds) in|"
    r"a few bottles|bottles|(?:my|the|a|his|her) (?:whole|entire))"
)

# Putting one's affairs in order: one alone is ordinary, two or with other signs is not.
_ARRANGEMENTS = _c(
    r"\b(?:wrote|written|writing|made|updated|finished|signed|did) (?:a|my) will\b"
    r"|\b(?:gave|given|giving|give|rehomed|rehoming) (?:away )?my (?:dog|cat|pets?|bird|fish|"
    r"rabbit|bunny|hamster|plants)(?: away| to)\b"
    r"|\b(?:paid|paying) off (?:all )?my debts\b|\b(?:sold|selling) (?:all )?my (?:stuff|"
    r"things|belongings)\b|\b(?:put|putting|get|getting|got|sort|sorting|sorted) (?:out )?"
    r"(?:all )?my affairs(?: in order)?\b"
    r"|\b(?:cancel(?:led|ed|ing)?|closing|closed) (?:all )?my (?:accounts|subscriptions|"
    r"phone plan)\b|\b(?:deleted|deleting) (?:all )?my (?:accounts|social media|photos|"
    r"socials|instagram|tiktok|snapchat|facebook)\b"
    r"|\b(?:guardian|guardians|executor|beneficiary|beneficiaries) (?:in|of|on) my (?:will|"
    r"policy|life insurance)\b"
    r"|\b(?:made|making) (?:a )?list of (?:my )?passwords\b"
    r"|\b(?:left|leaving|wrote down|writing down|gave|giving|sent|sending|shared|sharing) "
    r"(?:\w+ )?(?:all )?(?:my|of my) (?:\w+ )?passwords\b(?! (?:for|to) (?:the|my|our) (?:\w+ )?"
    r"(?:portal|wifi|account|app|website|router|netflix|streaming|email|laptop|computer|phone|"
    r"tablet))"
)
_RULES: tuple[_Rule, ...] = (
    # ---- suicide: explicit -------------------------------------------------------------
    _Rule(
        "suicide.kill_myself",
        SUICIDE,
        _c(
            r"\b(?:kill(?:ing|ed|s)?|end(?:ing|ed)?|off(?:ing|ed)?|murder(?:ing)?) my ?self\b"
            r"|\bfinish(?:ing)? my ?self(?: off)?\b"
            # "i want to kill me tonight": non-native English for "myself"
            r"|\bi (?:want|really want|am going|'m going|need|plan|decided|will) (?:to )?kill me\b"
            r"(?! (?:when|if|because|lol)\b)"
        ),
        hyperbole=True,
    ),
    _Rule(
        "suicide.end_my_life",
        SUICIDE,
        _c(
            r"\b(?:end(?:ing|ed)?|take|taking|took|finish(?:ing)?(?: with)?) (?:my (?:own )?life|"
            r"it all)\b"
            # voice-to-text: "i'm going to and my life tonight"
            r"|\b(?:going to|gonna|want to|about to|ready to|i'll) (?:just )?and my (?:own )?life\b"
            r"|\bend it all\b|\bending it all\b"
        ),
    ),
    _Rule(
        "suicide.end_it",
        SUICIDE,
        _c(
            r"\b(?:want to|going to|i'll|ready to|plan to|planning to|thinking (?:about|of)|"
            r"think about|urge to|decided to|about to|should|could just|might|just|gonna|need to|"
            r"i'm|i am|i've been|been|i'll be|time to|tempted to|wish i could|i could|but to|"
            r"only (?:option|way|choice|answer|thing) (?:left )?(?:is )?to|no choice but to|"
            r"plans? (?:for|of|on|about) how to|plans? for|(?:figured|figuring|worked|working) "
            r"out how to|decided how to|know how i'll|when and how to|how and when to|where and "
            r"how to|planning how to|plan how to|planned how to|thinking about how to|"
            r"researching how to)"
            r" (?:just |finally |really )?end(?:ing)? (?:it|things|everything|this(?=\s*$| (?:now|"
            r"tonight|today|for good|forever|once and for all|soon|already|right now|life|pain|"
            r"weekend|week)\b))\b"
            r"(?! (?:with|between|there|here|now with|on a|at|early|off))"
        ),
        subject_check=True,
    ),
    _Rule(
        "suicide.suicidal",
        SUICIDE,
        _c(
            r"\b(?:i'm|i've been|been|feel|feeling|felt|getting|so|really|very|pretty|kinda|"
            r"actively|passively|i get|becoming|quite|extremely|super)(?: \w+)? suicidal\b"
            r"|\bsuicidal (?:thoughts|ideation|feelings|urges|again|today|tonight|right now"
            r"|lately)\b"
            r"|\b(?:commit(?:ting)?|attempt(?:ing)?) suicide\b"
            r"|\b(?:want to|going to|about to|ready to|tempted to|plan to|planning to|need to|"
            r"i'll|i might|might just|gonna|thinking (?:about|of)|urge to|i'm going to) (?:just )?"
            r"(?:suicide|commit)(?: myself)?\b(?! (?:to (?!be honest)|a|an|the|my|prevention|"
            r"awareness|hotline)\b)"
            r"|\bsuicide (?:thoughts|urges|ideation|feelings)\b"
            r"|\bsuicide (?:plan|note|letter|method|attempt)\b"
            r"|\bthinking (?:about|of) suicide\b|\bthoughts (?:of|about) suicide\b"
        ),
        subject_check=True,
    ),
    _Rule(
        "suicide.want_to_die",
        SUICIDE,
        _c(
            r"\b(?:want|wanted|wanting|wish|ready|prefer|longing|long|need"
            r"|going) to (?:just )?die\b"
            r"|\bwish(?:ing|ed)? (?:that )?i (?:was|were|could be|'d be) dead\b"
            r"|\bwant(?:ed)? to be dead\b|\bbetter off dead\b"
            r"|\bwant to (?:just )?(?:disappear|vanish) (?:forever|for good|permanently)\b"
            r"|\bi'?d rather (?:be dead|die)\b(?! than)"
            r"|\b(?:rather|sooner) (?:be dead|die) than (?:go through|live|keep|feel|spend another|"
            r"face|deal with|go back|be alive|be here|wake up|continue|suffer)\b"
            r"|\b(?:rather|sooner) (?:just )?(?:disappear|vanish|be gone|fade away) (?:forever|for "
            r"good|permanently|and never come back)\b(?! than (?!(?:go through|live|keep|feel|"
            r"spend another|face|deal with|go back|be alive|be here|wake up|continue|suffer)\b))"
            r"|\b(?:rather|sooner) (?:just )?(?:not (?:exist|be alive|wake up|be born)|stop "
            r"existing|never wake up|cease to exist)\b(?! than (?!(?:go through|live|keep|feel|"
            r"spend another|face|deal with|go back|be alive|be here|wake up|continue|suffer)\b))"
            r"|\bwish (?:that )?i(?: had|'d)? (?:never (?:been born|existed|woke up)|"
            r"wasn't born|weren't born|wasn't alive|didn't exist|could (?:just )?stop existing|"
            r"could (?:just )?(?:disappear|vanish) (?:forever|for good|permanently)|"
            r"could (?:just )?not exist|could cease to exist|wouldn't wake up|"
            r"didn't wake up|could (?:just )?sleep forever)"
            r"|\bi'll be dead (?:by|before|soon|tomorrow|tonight|in)\b"
            r"|\bi'm going to die (?:tonight|today|soon|by my own)\b"
            r"|\bwant (?:it|everything|it all|my life|life|this) (?:all )?to (?:end|be over)\b"
            r"|\bthoughts? (?:of|about) (?:dying|death|being dead|not being here|"
            r"not waking up|ending (?:it|my life|things))\b"
            r"|\bready to go\b(?= now|$| tonight| forever)"
            r"|\bi (?:\w+ )?(?:should|deserve to|need to|have to) (?:just )?(?:die|be dead)\b"
            r"|\b(?:hope|hoping|praying|pray) (?:that )?i (?:just )?(?:die|don't survive|"
            r"get killed)\b"
            r"|\b(?:wish|want) (?:i could|to) (?:just )?(?:die|stop existing|not exist|"
            r"cease to exist"
            r"|not be alive|stop being alive|stop living|stop breathing)\b"
            r"(?! (?:in|like|with|for (?:my|the|other)|at|paycheck)\b)"
            r"|\b(?:wish|want) (?:i could|to) (?:just )?(?:disappear|vanish|fade away|evaporate|"
            r"not "
            r"be (?:here|around)|be gone)\b"
            r"(?! (?:for (?:a|the|an|some)|to|into|from|until|on|off|at|in|with|under)\b)"
            r"|\bwant (?:it|this|everything|it all|my life) (?:all )?over\b(?= (?:now|already|for "
            r"good|permanently|forever)|\s*$)"
            r"|\b(?:going to|i'll|i will|about to|ready to|planning to|plan to|i'm going to|"
            r"i could) "
            r"(?:just )?(?:disappear|vanish) (?:forever|for good|permanently|and never come back)\b"
            r"|\bi want to not (?:exist|be here|be alive|wake up)\b"
            r"|\b(?:dying|death|suicide|ending it|ending my life|killing myself) (?:is|seems|feels "
            r"like|looks like) (?:the|my) only (?:option|way|answer|solution|choice|way out|thing "
            r"left)\b"
            r"|\bmight as well (?:just )?(?:die|be dead|end it|not exist|not be here|leave (?:this "
            r"world|this earth|it all))\b"
            r"|\b(?:want to|going to|ready to|about to|time to|planning to|thinking about|"
            r"decided to)"
            r" (?:just )?catch(?:ing)? the bus\b(?= (?:and never|for good|forever|permanently|"
            r"tonight "
            r"for good))"
        ),
        negation="prefix",
        subject_check=True,
        hyperbole=True,
    ),
    _Rule(
        "suicide.not_wake_up",
        SUICIDE,
        _c(
            r"\b(?:want|wish|hope|pray|like) to (?:just )?(?:go to )?sleep (?:and|&) (?:never|not) "
            r"wake up\b"
            r"|\b(?:hope[sd]?|hoping|wish(?:es|ed|ing)?|pray(?:s|ed|ing)?) (?:that )?i (?:just |"
            r"simply )?"
            r"(?:don't|won't|wouldn't|never|didn't|do not|will not) (?:ever )?wake up\b"
            r"|\b(?:sleep|asleep|go to bed) (?:and|&) (?:never|not|don't) (?:ever )?wake up\b"
            r"|\b(?:fine|okay|ok|nice|better|easier|a relief|good|glad|peaceful) (?:if i|"
            r"to) (?:just )?"
            r"(?:didn't|don't|never|wouldn't|not|did not) (?:ever )?wake up\b"
            r"|\bnot waking up (?:would be|sounds|seems|feels|is) (?:\w+ )?(?:nice|good|better|"
            r"easier|"
            r"peaceful|like a relief|okay|fine|appealing)\b"
            r"|\b(?:don't|never) want to wake up\b"
            r"|\brather (?:just )?(?:stay asleep|sleep) forever\b|\bstay asleep forever\b"
            r"|\b(?:fine|okay|ok|at peace|good) with (?:never |not )?(?:waking up|ever waking up)"
            r"\b(?! (?:early|at|before|in time|for)\b)"
            r"|\b(?:want|wish) to sleep forever\b|\bgo to sleep forever\b"
            r"|\b(?:wish i could|want to|i'd like to|i'd love to) (?:just )?(?:fall asleep|"
            r"go to sleep|"
            r"sleep|close my eyes) (?:forever|and never wake up|for good|permanently)\b"
        ),
        negation="prefix",
        subject_check=True,
    ),
    # ---- suicide: implicit -------------------------------------------------------------
    _Rule(
        "suicide.dont_want_to_live",
        SUICIDE,
        _c(
            r"\b(?:don't|no longer|never|do not|didn't|doesn't) (?:really |even |just )?"
            r"(?:want|wish|care) (?:more |any more |anymore )?to (?:live|be alive|exist|"
            r"keep living|"
            r"go on living|be around|"
            r"be here|stay alive|continue|keep going|go on)\b"
            r"(?:(?= anymore| any longer| on (?:this )?earth| in this world| like this"
            r"| no more(?!\W+(?:on|at|in|with|during|for) ))"
            r"|(?!\s*(?:with|near|there|here|at|on|by|close|far|together|in|alone|abroad|"
            r"downtown|anywhere|somewhere|under|for|if|when|until|past|to|tonight|today|"
            r"tomorrow|this (?:week|weekend)|and|through|without)\b))"
            r"|\b(?:don't|no longer|do not) (?:really |even |just )?want to (?:be alive|stay alive|"
            r"exist|keep living|keep existing)\b(?! (?:with|in (?:this|that) (?:house|job|city|"
            r"marriage|relationship))\b)"
            r"|\bi (?:shouldn't|should not|don't deserve to) (?:be alive|exist|be here|live|be "
            r"breathing)\b(?! (?:at|in|on|with|for|right now because)\b)"
            r"|\bwhy (?:am i|do i|did i|was i) (?:even |still ){0,3}(?:alive|exist|here|"
            r"born|survive|wake up|keep going|bother living)\b(?! (?:at|in|on|with|for|so early|"
            r"this early)\b)"
            r"|\b(?:don't know if|don't know whether|not sure (?:if |whether )?|unsure (?:if|"
            r"whether)"
            r"|no longer sure (?:if )?|questioning (?:if|whether)|wondering (?:if|whether)) i "
            r"(?:\w+ )?(?:want|wanna|can) (?:to )?(?:live|be alive|exist|keep living|go on living|"
            r"stay alive|keep going|be here anymore|be around anymore)\b"
            r"|\b(?:hate|hating) (?:being alive|living|existing|my existence|that i'm alive|"
            r"waking up every day)\b"
        ),
        negation="prefix",
        subject_check=True,
    ),
    _Rule(
        "suicide.tired_of_living",
        SUICIDE,
        _c(
            r"\b(?:tired|sick|exhausted|done) (?:of|with) (?:living|being alive|life|existing|"
            r"being here|it all|everything forever|waking up|being me|this life|my life|being "
            r"in pain|breathing)\b(?! (?:early|at|so early|for|to|in the)\b)"
            r"|\bdone with life\b|\bi'm done living\b"
            r"|\bwant (?:out|to get out) of (?:this|my) (?:life|world|body|existence)\b"
        ),
        subject_check=True,
    ),
    _Rule(
        "suicide.no_reason_to_live",
        SUICIDE,
        _c(
            r"\b(?:no|not (?:a|any|one)|don't have (?:a|any)|(?:can't|don't|do not|cannot) "
            r"(?:find|think of|see) (?:a|any)|"
            r"without (?:a|any)|lost (?:my|every|all|the)) (?:single )?(?:reason|point|purpose|"
            r"will) "
            r"(?:to|in|for|of) (?:keep )?(?:live|living|go on|going on|keep going|keep living|"
            r"be alive|"
            r"being alive|be here|being here|stay|staying|life|exist|existing|wake up|waking up|"
            r"carry on|carrying on)\b"
            r"|\bnothing (?:left )?to live for\b|\bno sense (?:in|to) (?:my )?(?:life|living)\b"
            r"|\b(?:don't|can't|do not|cannot|no longer) (?:really )?see (?:the|a|any) point "
            r"anymore\s*$"
            r"|\b(?:don't|can't|do not|cannot|no longer) see (?:the|a|any) point (?:in|of|to) "
            r"(?:living|life|going on|being alive|anything|existing|trying|waking up|carrying on|"
            r"it all|any of (?:this|it)|me being here)\b"
            r"|\b(?:life|living|my life) (?:isn't|is not|ain't|is no longer|not|isn't really) "
            r"worth (?:living|it|anything)\b"
            r"|\bwhat(?:'s| is) the point (?:of|in) (?:living|life|anything|being alive|"
            r"going on|existing|me|carrying on|waking up|any of (?:this|it)|all (?:of )?this|"
            r"it all|"
            r"trying|even trying|continuing|getting up|fighting)\b"
            r"|\bwhat(?:'s| is) (?:even )?the point(?: anymore| of it)?\s*$"
            r"|\bwhat(?:'s| is) (?:even )?the point anymore\b"
            r"|\b(?:there's|there is|i have|i've got|i see) no (?:future|hope|"
            r"way forward) (?:left )?"
            r"(?:for me|anymore|left)\b"
            r"|\b(?:lost|losing) all hope(?:\s*$| (?:in (?:life|myself|everything|living)|"
            r"for (?:me|my "
            r"life|the future)))"
            r"|\b(?:i )?(?:can't|don't) see (?:a|any) future(?: for me| anymore)?\s*$"
            r"|\bnothing (?:matters|is worth it) anymore\b"
            r"|\b(?:my )?life (?:is|feels) (?:so |completely |totally )?(?:pointless|meaningless|"
            r"not worth it|over)\b"
            r"|\bno point (?:anymore|in anything|to anything|to life|in life)\b"
            r"|\b(?:see|there's|there is|is) no (?:other )?way out\b|\bonly way out\b"
            r"|\bcan't see (?:a|any) way out\b"
        ),
        negation="prefix",
        subject_check=True,
    ),
    _Rule(
        "suicide.cant_go_on",
        SUICIDE,
        _c(
            r"\bcan't (?:go on|keep going|keep living|carry on|live like this|survive this|do life|"
            r"handle life|face life|"
            r"take (?:it|this|the pain|much more) anymore|do this anymore|do it anymore|"
            r"hold on (?:anymore|much longer|any longer)|keep fighting|fight (?:it|this) anymore)\b"
            r"(?! (?:the|a|an|my|your|his|her|their|with|to|at|that|this|vacation|holiday|trip|"
            r"tour|date|stage|air|leave|about|and on|without|working|job)\b)"
            r"|\bcouldn't (?:keep going|go on|hold on|keep fighting|do (?:this|it) anymore|"
            r"take (?:it|this|the pain) anymore|keep living|carry on)\b(?! (?:on|with|to|at)\b)"
            r"|\bcan't keep doing this(?: anymore)?\s*$"
            r"|\b(?:not sure|don't think|doubt|don't know if|don't know how much longer|"
            r"don't know how long) (?:if |whether |that )?i can (?:go on|keep going|do this|"
            r"survive|make it(?! (?:to|in|on|at|by|for|today|tonight|tomorrow|tmrw|tmr|this|next|"
            r"back|there|over|home|work|class|the|my|our|your|again|mon\w*|tue\w*|wed\w*|thu\w*|"
            r"fri\w*|sat\w*|sun\w*|\d)\b)|hold on|keep living|take (?:it|this)|carry on|"
            r"keep fighting)\b"
        ),
        negation="prefix",
        subject_check=True,
    ),
    _Rule(
        "suicide.better_off_without_me",
        SUICIDE,
        _c(
            r"\b(?:better|easier|lighter|happier|simpler|calmer|freer|more peaceful|less stressful)"
            r"(?: off)? (?:without me(?! (?:there|at|for|this|that|on|tonight|today|tomorrow)\b)|"
            r"if i (?:just |simply )?(?:was|were|wasn't|weren't|didn't|died|was gone|were gone|"
            r"left for good|never|disappeared|stopped existing)|with me gone|when i'm gone|"
            r"once i'm gone|"
            r"after i'm gone)\b"
            r"|\bwithout me (?:in it|around anymore|here anymore|alive)\b"
            r"|\bbetter (?:served|off) (?:by|with) my (?:absence|being gone|death)\b"
            r"|\b(?:make|making) (?:that|my|this|the) absence permanent\b"
            r"|\b(?:better|easier|happier|lighter|calmer|simpler|improve|relieved)(?: off)?(?: for "
            r"(?:everyone|everybody|them|you|my \w+))? if i (?:just |simply |finally )?(?:vanished|"
            r"disappeared|was gone|were gone|died|wasn't here|weren't here|wasn't around|weren't "
            r"around|wasn't alive|stopped existing|never existed|was dead|were dead)\b"
            r"|\b(?:fine|okay|ok|better|happier|easier) if i (?:just )?(?:wasn't|weren't|was not|"
            r"were not) (?:here|around|alive|in the picture)\b(?! (?:today|tomorrow|this|next|on|"
            r"at|"
            r"for)\b)"
            r"|\b(?:they|everyone|everybody|people|my family|you all|we all|my (?:kids|parents|"
            r"partner|wife|husband|friends))(?:'d| would)(?: all| honestly| probably| secretly)? "
            r"(?:be|feel) (?:so )?relieved\b(?! (?:if|when) (?:i|we) (?:cancel|resched|skip|don't "
            r"come|didn't come|come|came|leave|left|stay|stayed|move|moved))"
            r"|\b(?:would|will) (?:anyone|anybody) (?:even )?(?:notice|care|miss me)\b(?= if i|"
            r" when i"
            r"|\s*$)"
            r"|\b(?:no one|nobody) (?:would|will|'d|'ll) (?:even |really )?care if i (?:\w+ ){0,2}?"
            r"(?:died|dead|gone|disappeared|killed myself|wasn't here|weren't here|didn't wake up|"
            r"wasn't around|weren't around)\b"
            r"|\b(?:no one|nobody) (?:would|will|'d|'ll) (?:even )?(?:miss me|notice if i|"
            r"care if i (?:died|was gone|disappeared|killed|wasn't|weren't|didn't)|"
            r"notice i'm gone|care when i'm gone|notice when i'm gone)\b"
            r"|\bwon't be a burden (?:anymore|much longer|for long|to anyone)\b"
            r"|\bwon't have to (?:worry|deal) (?:about|with) me (?:anymore|much longer|for long|"
            r"after)\b"
        ),
        negation="none",
    ),
    _Rule(
        "suicide.wont_be_alive",
        SUICIDE,
        _c(
            r"\b(?:won't|will not|not going to|might not|may not|probably won't|wouldn't) "
            r"(?:even )?(?:be alive|be breathing|make it to|live to see|live past|survive)"
            r"(?! (?:the|a|an) (?:meeting|party|class|game|appointment|session|concert|show)\b)"
            r"|\b(?:won't|will not|not going to|might not|may not|probably won't) (?:even )?be "
            r"(?:around|here) (?:by|for|much longer|long|tomorrow|next|anymore|to see|after|"
            r"when|in a|any longer)\b"
            r"|\bnot be around by\b"
            r"|\b(?:not|don't|do not|never|no longer) (?:planning|plan|intending|intend|expecting|"
            r"expect|anticipating|anticipate) (?:on |to )?(?:still )?(?:being|be|staying|stay) "
            r"(?:alive|breathing|around (?:by|for|after|much))\b"
            r"|\b(?:don't|do not|won't|will not|never|not going to) (?:want to |plan to |"
            r"expect to )?"
            r"(?:see|make it to|live to see|be here for|be around for) (?:another|my next|the next|"
            r"next) (?:birthday|year|christmas|summer|new year|winter|spring|holiday|"
            r"thanksgiving)\b"
            r"(?! (?:party|parties|dinner|with|at|in)\b)"
            r"|\b(?:won't|will not|never going to|not going to) (?:live to )?see (?:\d{2}|thirty|"
            r"forty|twenty|my (?:next )?birthday|another birthday)\b(?! (?:people|clients|patients|"
            r"of|at|minutes|dollars|percent|party|parties)\b)"
            r"|\b(?:won't|will not|not going to|might not|may not|probably won't) (?:even )?be "
            r"(?:around|here|alive) to (?:pay|see|finish|read|get|deal|hear|watch|meet|come|make)\b"
            r"|\b(?:don't think|doubt|not sure|don't know|no idea|can't promise|unsure|who knows) "
            r"(?:that |if |whether )?"
            r"(?:i'll|i will|i'm going to|i'd) (?:even )?(?:still )?(?:be alive|be breathing|"
            r"be here|"
            r"be around|live|survive|"
            r"make it) (?:by|until|to|through|past|for|when|at|next|tomorrow|tonight|this|in|on)\b"
            r"(?! (?:the|a|an|my|our|your|tomorrow's|thursday's|friday's)\b)"
            r"|\b(?:make it|survive|last) (?:through|to|until|past) (?:tonight|tomorrow|the night|"
            r"the weekend|this weekend|this week|the week|morning|the morning|the end of the "
            r"(?:day|week)|next week)\b"
            r"(?!'s)"
            r"|\bi'll be gone (?:by|before|soon|tomorrow|tonight|forever|for good)\b"
            r"|\b(?:it|everything|all of this|the pain|this)(?:'ll| will) (?:all )?be over "
            r"(?:soon|tonight|tomorrow|for good|forever|by)\b"
            r"|\bby (?:\w+ )?(?:tonight|tomorrow|morning|sunday|monday|tuesday|wednesday|thursday|"
            r"friday|saturday|the weekend|next week) (?:it|everything|all of this|the pain)(?:'ll| "
            r"will) (?:all )?be (?:over|done|finished)\b"
        ),
        negation="none",
        absence=True,
        subject_check=True,
    ),
    # ---- suicide: method and plan --------------------------------------------------------
    _Rule(
        "suicide.method_pills",
        SUICIDE,
        _c(
            r"\b(?:take|taking|took|swallow|swallowing|swallowed|down|downing|downed) (?:like |"
            r"about |around |maybe |over |almost |at least |probably )?"
            + _TAKE_ALL
            + r" (?:of )?(?:my |the |these |those |her |his |their |mom's |dad's |\w+'s )?"
            + r"(?:\w+'s )?(?:\w+ )?"
            + _PILLS
            + r"\b"
            + r"|\b"
            + _PILLS
            # "my pills are ready": unless for the pharmacy ("ready for pickup")
            + r" (?:are |is )?(?:ready(?! (?:for (?:pick|collect|refill|me to pick)|to (?:be )?"
            r"(?:pick|collect)))|lined up|counted|laid out|set up|counted out|in front of me)\b"
            r"|\b(?:saving|saved|stockpil\w+|hoard\w*|collecting|collected|stash\w*|hid|hidden|"
            r"hiding|accumulat\w*) (?:up )?(?:all )?(?:my |the |some |enough )?(?:\w+ )?"
            + _PILLS
            + r"\b"
            # "stockpiled my prazosin and seroquel to take all at once"
            r"|\b(?:stockpil\w+|hoard(?:ed|ing)|stash(?:ed|ing)|"
            r"accumulat\w*) (?:up )?(?:all )?(?:of )?"
            r"my \w+\b(?=.{0,60}\b(?:take|swallow|at once|enough|worth|overdos\w*)\b)"
            r"|\b(?:i|i'm|i've|going to|want to|will|i'll|might|just|plan to|thinking about|"
            r"planning to|planning on|decided to|intend to|ready to|about to)"
            r" ?(?:just )?overdos(?:e|ed|ing)\b|\boverdos(?:e|ed|ing) (?:tonight|on (?:my|the|all|"
            r"sleeping|pain))\b|\ban overdose\b(?= tonight| of)"
            r"|\b(?:took|taken|swallowed|downed|take|taking) (?:\w+ ){0,3}"
            + _PILLS
            + r"\b(?: \w+){0,4} (?:on purpose|deliberately|intentionally|to (?:die|not wake up|"
            r"sleep forever|end it|make it stop|numb|disappear))\b"
            r"|\b(?:mixed|mixing|mix|took|taking|take|washed down|washing down|chased) (?:all )?"
            r"(?:of )?(?:my |the |these |those |a bunch of |a handful of )?(?:\w+ )?"
            + _PILLS
            + r" (?:with|and|down with) (?:vodka|alcohol|wine|whiskey|whisky|booze|beer|liquor|"
            r"tequila|rum|gin|a bottle|a fifth)\b"
            r"|\b(?:counted|counting|lined up|lining up|laid out|crushed|crushing|poured out|"
            r"emptied|dumped out) (?:out )?(?:all )?(?:of )?(?:my |the |these |those )?(?:\w+ )?"
            + _PILLS
            + r"\b"
            r"|\benough " + _PILLS + r"(?: \w+){0,3}? to (?:do it|die|end it|kill me|kill myself|"
            r"not wake up|overdose)\b"
            r"|\b" + _PILLS + r" (?:saved|stockpiled|hoarded|stashed|hidden)(?: up)?\b"
            r"|\b(?:stockpil\w+|stash(?:ing|ed)?)(?: them| it| up)?(?: all)?"
            r"(?= again\b|\W*$| (?:just in case|in case|for when|so i|to (?:take|swallow|use|"
            r"down)))"
            r"|\bhoard(?:ing|ed)? (?:them|it)(?= again\b|\W*$| (?:just in case|in case|for when|"
            r"so i|to (?:take|swallow|use|down)))"
            r"|\b(?:stockpil\w+|hoard\w*|stash\w*|sav(?:e|ed|ing)(?: up)?|collect\w*|keep\w*) "
            r"(?:them|these|those|it|some|extras?|enough)(?: up)? (?:to|so i can|so i could|and) "
            r"(?:take|swallow|down|use)(?: them| it)?(?: all)? (?:at once|in one go|at the same "
            r"time|together|all together)\b"
            r"|\b(?:got|have|put|took|laid|lined|set|poured|spread|dumped|tipped|emptied) (?:all )?"
            r"(?:of )?(?:the|my|all my|all the|a bottle of|a bunch of) (?:\w+ )?" + _PILLS + r" "
            r"out\b(?! of\b)(?= (?:on|in front of|next to|beside|by)\b|\W*$)"
            r"|\b" + _PILLS + r" (?:are |is )?(?:out )?(?:on|in front of|next to|beside) (?:me|my "
            r"(?:bed|desk|lap|nightstand|pillow)|the (?:counter|table|bed|desk|nightstand|floor|"
            r"sink))\b(?! (?:for|so|to remind|because)\b)"
            r"|\b(?:got|have|has|bought|grabbed|holding|with) (?:a |the |my |some )?(?:bottle of |"
            r"pack of |box of )?(?:pills|meds|tablets|painkillers|sleeping pills)\b(?: \S+){0,3}? "
            r"(?:and|with|plus|&) (?:a |the |some |my )?(?:bottle of |fifth of )?(?:vodka|alcohol|"
            r"whiskey|whisky|booze|liquor|tequila|rum|gin)\b"
            r"|\b(?:filled|refilled|picked up|got|requested|asked for) (?:my )?(?:\w+ )?(?:rx|"
            r"prescription|refill|meds|pills|script)s? early (?:so (?:i'd|i would|i can|i could|"
            r"i) (?:have|get) (?:extra|more|enough|a stash|a stockpile|a supply)|to (?:have|build "
            r"up|stock ?pile|save up|get) (?:extra|more|enough))\b"
            r"|\b(?:took|swallowed|downed) (?:extra|double|triple|more|a few extra) (?:of )?"
            r"(?:my |the )?(?:\w+ )?"
            + _PILLS
            + r"\b(?= .{0,100}\b(?:feel (?:weird|dizzy|sick|strange|funny|numb|sleepy|bad)|on "
            r"purpose|can't stay awake|heart|throwing up|(?:don't|won't|not) wake up))"
        ),
        meds_routine=True,
    ),
    _Rule(
        "suicide.method_jump",
        SUICIDE,
        _c(
            r"\bjump(?:ing)? (?:off|from) (?:a|the|this|that|my|our|\w+) (?:\w+ )?(?:bridge"
            r"|building|"
            r"roof|rooftop|cliff|balcony|overpass|ledge|tower|parking (?:garage|structure|deck)|"
            r"window|high rise|skyscraper|car park|multi ?stor(?:e)?y(?: car park)?|quarry|dam|"
            r"top floor)\b(?! into)"
            r"|\b(?:jump|jumping|step|stepping|throw myself|throwing myself|walk|walking|lie|lay) "
            r"(?:out )?in front of (?:a|the|an) (?:\w+ )?(?:train|bus|car|truck|subway|lorry"
            r"|traffic)\b"
            r"|\bthrow(?:ing)? myself (?:off|under)\b"
            r"|\b(?:platform|ledge|edge|bridge|roof|balcony|cliff|"
            r"tracks)\b(?: \S+){0,6}? (?:almost|"
            r"nearly) (?:stepped|jumped|leaned|let go|fell)\b"
            r"|\b(?:almost|nearly) (?:stepped|jumped|walked|drove|swerved) (?:off|onto|in front of|"
            r"into) (?:the|a) (?:platform|ledge|edge|bridge|roof|balcony|cliff|tracks|train|"
            r"traffic|"
            r"truck|bus|oncoming)\b"
            r"|\b(?:going to|about to|ready to|want to|i'll|i will|i'm) (?:just )?jump(?:ing)?\b"
            r"(?=\s*$| (?:tonight|now|right now|today|off|from))"
            r"|\b(?:think(?:ing)?|thought|thoughts|fantasi[sz]\w*|dream\w*|urges?|tempted|"
            r"obsess\w*|imagin\w*|pictur\w*|consider(?:ing)?|contemplat(?:e|ing)) (?:a lot |"
            r"constantly |so much |every day )?(?:about |of |to )?(?:whether |if )?(?:just )?"
            r"jump(?:ing)?\b(?=\W*$| (?:off|from|again|tonight|instead|would|out (?:of )?"
            r"(?:a|the|my) (?:window|building)|in front))"
            r"|\b(?:keep )?walk(?:ing)? into (?:the )?(?:sea|ocean|lake|river|traffic|water|waves|"
            r"pond)\b"
            r"|\bwalk(?:ing)? (?:in|into (?:it|the \w+))(?= and (?:not|never) (?:come|coming) "
            r"(?:back )?out\b)"
            r"|\b(?:think(?:ing)?|thought|tempted|urge|want|wanting) (?:about |of |to )?(?:just )?"
            r"(?:going|go|climbing|climb|stepping|step|falling|fall) out (?:of )?(?:it|"
            r"the (?:\w+ )?"
            r"window)\b"
            r"|\b(?:cliffs?|bridge|roof|rooftop|ledge|car park|tracks|balcony|quarry|top floor)\b"
            r"(?: \S+){0,6}? (?:to|and) jump\s*$"
        ),
        subject_check=True,
        hyperbole=True,
    ),
    _Rule(
        "suicide.method_other",
        SUICIDE,
        _c(
            r"\bhang(?:ing|ed)? my ?self\b|\bslit(?:ting)? my (?:wrists?|throat)\b"
            r"|\bshoot(?:ing)? my ?self\b|\b(?:gun|pistol|barrel) (?:to|in) my (?:head|mouth)\b"
            r"|\bblow(?:ing)? my (?:brains|head) out\b|\bdrown(?:ing)? my ?self\b"
            r"|\b(?:put|putting|shoot|shooting|send|sending) a bullet (?:in|into|through) my "
            r"(?:head|brain|skull|heart|mouth)\b"
            r"|\b(?:tie|tied|tying|made|make|making|bought|buy|have|got|tested) (?:a |the "
            r"|my )?noose\b"
            r"|\b(?:rope|noose) (?:is |are )?(?:ready|tied|up|hanging|set up|in place|secured|"
            r"attached)\b|\bsuffocat(?:e|ing) my ?self\b"
            r"|\bpoison(?:ing)? my ?self\b|\bstarve my ?self to death\b|\bset my ?self on fire\b"
            r"|\b(?:want|going|thinking about|think about|tempted|urge|planning|plan|keep thinking "
            r"about|fantasi[sz]e about) (?:to )?(?:just )?(?:drive|driving|crash|crashing|swerve|"
            r"swerving|steer|steering) (?:my car )?(?:into|off)\b"
            r"|\bcrash(?:ing)? my car on purpose\b"
            r"|\b(?:took|take|taking) my hands off the (?:steering )?wheel\b"
            r"|\baim(?:ed|ing)? (?:the car |my car )?(?:for|at) (?:the|a) (?:wall|tree|barrier|"
            r"bridge|pillar|lorry|truck|oncoming \w+)\b"
            r"|\b(?:want|going|thinking about|think about|thought about|tempted|urge|planning|plan|"
            r"keep thinking about|fantasi[sz]e about|imagin\w*|pictur\w*|wants?|wanting|tempted) "
            r"(?:to )?(?:just )?"
            r"(?:turn|turning|jerk|jerking|yank|yanking|swerve|swerving) (?:the|my) (?:steering )?"
            r"wheel (?:into|toward|towards|off|at)\b(?! (?:the|a) skid\b)"
            r"|\b(?:want|going|thinking about|think about|thought about|tempted|urge|planning|plan|"
            r"keep thinking about|fantasi[sz]e about|imagin\w*|pictur\w*|scared i'll|afraid i'll|"
            r"might|could) (?:to )?(?:just )?(?:use|using|turn|turning) (?:it|them|that|this|the "
            r"\w+|my \w+|a \w+|\w+'s \w+) on myself\b"
        ),
    ),
    _Rule(
        "suicide.plan_do_it",
        SUICIDE,
        _c(
            r"\b(?:how|when|where) (?:i'm|i am) going to do it\b"
            r"|\bi (?:know|'ve decided|decided|figured out|'ve figured out|'ve planned|planned|"
            r"'ve worked out|have a plan for) (?:exactly )?(?:how|when|where) (?:i'd|i'll"
            r"|i'm going "
            r"to|i would|i will|to) do it\b"
            r"|\b(?:going to|ready to|i'll|i will|about to) do it (?:tonight|tomorrow|today|soon|"
            r"this weekend|now|after)\b"
            r"|\b(?:bought|loaded|got|have) (?:a|the|my) (?:gun|rope|pistol|rifle)\b(?! (?:license|"
            r"permit|safe|lock|class|course|range|cabinet)\b)"
            r"|\bi (?:now |finally |actually )?have a plan\b(?! (?:for|to (?:pay|get|fix|talk|save|"
            r"study|finish|move|tell|ask|deal)|with)\b)|\bi've (?:got|made) a plan\b(?! for\b)"
            r"|\b(?:planning|plan|planned) (?:to|on) (?:do|doing) it\b"
            r"|\b(?:picked|chosen|chose|set) (?:a|the) (?:date|day|time|spot|place|method|beam|"
            r"tree|branch|rafter)\s*$"
            r"|\b(?:picked|chosen|chose|set|decided on) (?:\w+day|a date|a day|the day|the date|"
            r"tonight|tomorrow) (?:to|for) (?:take them|do it|end it|go|take the \w+)\b"
            r"|\b(?:not (?:leaving|going (?:home|back))|won't (?:leave|go home|come (?:back|"
            r"home))) "
            r"(?:here )?until (?:i've|i have|i) (?:done it|do it|finish(?:ed)? it|"
            r"go(?:ne)? through "
            r"with it)\b"
            r"|\btonight(?:'s| is) it\W*$"
            r"|\btonight(?:'s| is) the night\b"
            r"|\b(?:have|got|had) (?:it|everything) (?:all )?(?:planned|figured|worked) out\b"
        ),
        needs_context=True,
        means=True,
    ),
    # ---- suicide: goodbye --------------------------------------------------------------
    _Rule(
        "suicide.goodbye",
        SUICIDE,
        _c(
            r"\bthis is (?:my )?the end\b"
            r"|\b(?:my|this is my|this will be my|this as my) (?:last|final) (?:message|text|"
            r"goodbye|note|words|day|correspondence|letter|email|communication)\b"
            r"|\bgoodbye forever\b|\bgoodbye (?:everyone|world|cruel world)\b"
            r"|\byou won't (?:hear from|see) me (?:again|anymore|after)\b"
            r"|\b(?:if|in case|when) you (?:don't|never|stop|won't|"
            r"do not) (?:ever )?(?:hear(?:ing)? "
            r"from me|get(?:ting)? (?:a|any) (?:message|text|reply) from me) (?:again|anymore|"
            r"after (?:tonight|today|this)|ever again)\b"
            r"|\b(?:if|in case|when) you (?:don't|never|won't|do not) (?:ever )?get(?:ting)? "
            r"(?:another|one more|any more|anymore) (?:message|text|reply|email)s? from me\b"
            r"(?!,? (?:by|before|until|today|tonight|assume|then|just|it means|that means|means)\b)"
            r"|^(?:my |a |this is (?:a|the) )?(?:final|last) (?:message|words|goodbye|note)\s*:?$"
            r"|^(?:my |a |this is (?:a|the) )?(?:final|last) (?:message|words)\s*:\s*(?=i love|"
            r"i'm sorry|goodbye|bye|forgive|thank you for everything|don't blame)"
            r"|\b(?:been |i've been |i'm |started |start |finished |done )?saying my goodbyes\b"
            r"(?! (?:to (?:the|my|our) (?:old |\w+ )?(?:house|apartment|job|office|team|coworkers|"
            r"city|town|school|class|students|colleagues|place)|at (?:the|my) (?:party|airport|"
            r"station|leaving))\b)"
            r"|\bby the time you (?:read|see|get|open) this\b"
            r"|\bi've (?:made|said) (?:my )?(?:peace|goodbyes)\b"
            r"|\b(?:goodbye|suicide|farewell|final|last) (?:note|letter)s?\b"
            r"|\b(?:giving|gave|give|given) away (?:all |most |"
            r"some )?(?:of )?my (?:\w+ )?(?:things|stuff|"
            r"belongings|possessions|pets?|cat|dog|clothes|books|games|guitar|jewelry|plants|"
            r"savings|money)\b"
            r"|\b(?:giving|gave|give|given|been giving) (?:all |most |some )?(?:of )?my (?:\w+ )?"
            r"(?:things|stuff|belongings|possessions|valuables) (?:away|to (?:people|friends|"
            r"everyone))\b"
            r"|\b(?:left|wrote|written|writing|leaving|finished) (?:letters|notes|goodbye letters) "
            r"(?:for|to) (?:everyone|everybody|my (?:family|kids|parents|friends|wife|husband|"
            r"partner|mom|dad|sister|brother)|each of|all of)"
            r"|\b(?:wrote|written|writing|finished|left) my note\b(?! (?:to|for|on|about)\b)"
            r"|\b(?:my notes? (?:is|are)|(?:my |the )?note(?:'s| is)) (?:on|in|under|next to|by) "
            r"(?:my|the) (?:desk|bed|pillow|"
            r"table|nightstand|dresser|kitchen table|counter|fridge|laptop)\b"
            # "i didn't want them to be the ones to find my body", "i don't want to be found"
            r"|\b(?:to|will|won't|'ll|would|who|ones?|first to) find my body\b"
            r"|\b(?:don't|do not) want (?:anyone |anybody )?to (?:be found|find me)\b"
            r"|\b(?:wrote|written|writing|finished|left|leaving|sending|sent|recorded|recording) "
            r"(?:a |my |the )?(?:goodbye|final|last) (?:messages?|videos?|letters?|texts?|notes?|"
            r"emails?)\b(?! (?:to|for) (?:my|the|our) (?:class|team|coworkers|colleagues|students|"
            r"clients|group|landlord)\b)"
            r"|\b(?:take care of|look after|find a home for|feed|adopt|rehome) my (?:cat|dog|"
            r"kids|children|pets?|family|plants|babies|fish|bird|bunny|rabbit|hamster) (?:for me|"
            r"when i'm gone|after i'm gone|once i'm gone|if anyone asks|forever|from now on|if "
            r"anything happens|after (?:tonight|today))\b"
            r"|\bmy affairs (?:are )?in order\b"
            r"|\bplease (?:tell|let) (?:my \w+|everyone|them|"
            r"[a-z]+) (?:know )?(?:that )?(?:i (?:love|"
            r"loved|"
            r"am sorry)|i'm sorry|i never meant)\b(?!,? (?:i (?:missed|forgot|was late|can't|"
            r"couldn't make|won't make|need|have to|had to|double|overslept|cancel\w*)|i'm (?:late|"
            r"running|sick|not feeling)|i'll|i will|i can't|for (?:being late|the delay|missing|"
            r"the "
            r"mix|the confusion|cancel\w*|not (?:calling|texting|coming|showing))|about (?:the|"
            r"last|"
            r"this|that|yesterday|today|tonight|tomorrow)|but)\b)"
        ),
        negation="none",
        farewell=True,
    ),
    _Rule(
        "suicide.last_time",
        SUICIDE,
        _c(
            r"\b(?:decided|know|sure|promise|feel like) (?:that )?(?:tonight|today|this weekend|"
            r"this|it) (?:is|will be|'s) my last\b(?! (?:day|night|week|shift|session|time) "
            r"(?:at|of|in|with|before|working)\b)"
            r"|\bmy last (?:night|day|week|weekend|breath|sunset|morning) (?:alive|on earth|"
            r"on this "
            r"earth|living|breathing|here)\b"
            r"|\b(?:this|that) (?:will be|is|was) the last time (?:i (?:text|message|write|"
            r"reach out|"
            r"talk to you|bother you)|you(?:'ll| will) (?:hear from|see) me)\b"
            r"|\bthe (?:last|final) (?:thing|message|text|words?) (?:i'll|i will|you'll|you will) "
            r"ever (?:send|write|say|get|hear|read)\b"
            r"|\b(?:don't|do not|not) (?:plan|planning|intend|intending|expect|expecting) (?:on |"
            r"to )?"
            r"(?:wake|waking) up\b(?! (?:early|at|before|in time))"
            r"|\b(?:have|got|bought|gathered|collected|ready with) (?:everything|all|what) i need "
            r"(?:to|for) (?:end it|do it|die|kill myself|end my life|go through with it)\b"
        ),
        negation="none",
        farewell=True,
    ),
    _Rule(
        "suicide.provisions",
        SUICIDE,
        _c(
            r"\b(?:my|the) (?:family|kids|children|wife|husband|partner|parents|mom|dad|son|"
            r"daughter)(?: \w+)? (?:will|'ll|can|should) (?:get|have|use|collect) (?:the|"
            r"my) (?:life )?"
            r"insurance(?: money| payout| policy)?\b"
            r"|\b(?:life insurance|the policy) (?:will|'ll|should) (?:cover|take care of|pay for) "
            r"(?:them|everything|my (?:family|kids|funeral))\b"
            r"|\b(?:family|kids|children|wife|husband|partner|parents|they|everyone)(?: \w+)? "
            r"(?:would|'d|will|'ll) be (?:fine|better off|okay|ok|set|better) (?:with|on|"
            r"collecting|getting) (?:the|my) (?:life )?(?:insurance|benefits|pension|va benefits)\b"
        ),
        negation="none",
        farewell=True,
    ),
    _Rule(
        "suicide.goodbye_thanks",
        SUICIDE,
        _c(
            r"\bthank(?:s| you) (?:so much )?for (?:everything|all you've done|all you did|"
            r"trying|all your help)\b"
            r"|\b(?:it's|it is) not your fault\b|\byou did (?:everything|all|what) you could\b"
        ),
        negation="none",
        needs_finality=True,
        farewell=True,
    ),
    _Rule(
        "suicide.wont_need_appointment",
        SUICIDE,
        _c(
            r"\b(?:won't|will not|not going to|wouldn't) (?:be )?(?:need|needing) (?:the|my|our|"
            r"any more|anymore|another|next|any|that|thursday's|tomorrow's|this week's|a)? ?"
            r"(?:next |future |more |further )?(?:appointments?|sessions?|therapy)\b"
        ),
        negation="none",
        schedule=True,
    ),
    # ---- suicide: more indirect phrasings ---------------------------------------------
    _Rule(
        "suicide.want_it_to_stop",
        SUICIDE,
        _c(
            r"\b(?:want|need|wish|wishing|wanting) (?:it|everything|it all|all of (?:it|this)|"
            r"all this|the pain|this pain|my life|life|the hurting|the thoughts|this|"
            r"the noise in my "
            r"head) (?:all )?to (?:stop|end|be over)\b(?= (?:permanently|forever|for good|"
            r"for real)|"
            r"\s*$)"
        ),
        subject_check=True,
        everyday=True,
    ),
    _Rule(
        # Survival as a condition of the next appointment: "see you monday if i'm still
        # alive", "move it to friday? if i'm still here by then". "Here" and "around" only
        # with "by then": "if i'm still here at 5" is the office, "still around" a trip.
        "suicide.if_still_alive",
        SUICIDE,
        _c(
            r"\bif i(?:'m| am) still (?:alive|breathing)\b"
            r"|\bif i(?:'m| am) still (?:here|around) (?:by then|by that (?:day|time|point))\b"
        ),
        hyperbole=True,  # "if i'm still alive after this exam lol"
    ),
    _Rule(
        "suicide.passive",
        SUICIDE,
        _c(
            r"\bif i (?:\S+ ){0,5}?(?:died|die|dropped dead|got hit|get hit|was hit|got run over|"
            r"crashed|didn't wake up|don't wake up|never woke up|got killed|get killed|"
            r"disappeared|vanished|was gone|were gone|stopped existing|wasn't here|weren't here|"
            r"wasn't alive)\b(?: \S+){0,10}? (?:fine|okay|ok|relieved|relief|happy|happier|glad|"
            r"blessing|welcome it|mind|grateful|thankful|at peace|better|easier|improve)\b"
            r"|\b(?:wouldn't|would not|'d not|won't|don't) (?:even |really )?(?:mind|"
            r"care) (?:if i (?:died|"
            r"die|got hit|didn't wake up|never woke up|got killed|disappeared|don't wake up)|dying|"
            r"not waking up|getting hit|being dead|if (?:a|the) (?:bus|car|truck|train|plane) "
            r"(?:hit|hits|crashed))\b"
            r"|\b(?:hop(?:e|es|ed|ing)|wish(?:es|ed|ing)?|pray(?:s|ed|ing)?) (?:that )?(?:a|the|"
            r"some|this) (?:bus|car|truck|train|"
            r"plane|drunk driver) (?:would |will )?(?:just )?(?:hits?|ran over|takes? me out|runs? "
            r"me over|crash(?:es)? into me|runs? into me)\b"
            r"|\b(?:hop(?:e|es|ed|ing)|wish(?:es|ed|ing)?|pray(?:s|ed|ing)?) (?:that )?(?:the|my|"
            r"this|our) (?:plane|flight|bus|train|ferry|boat|ship|car|uber|taxi|cab|helicopter) "
            r"(?:i'm on |i take |i'm taking |i ride |i'm in )?(?:home |to work )?(?:would |will )?"
            r"(?:just )?(?:crash(?:es)?|goes "
            r"down|go down|falls? (?:out of the sky|apart)|blows? up|sinks?|flips?|explodes?|"
            r"(?:hits?|runs? into) something)\b(?! (?:into (?:the|a) (?:\w+ )?(?:party|game|"
            r"meeting)|lol))"
            r"|\b(?:plane|flight)\b(?: \S+){0,8}? (?:hop(?:e|ing)|wish(?:ing)?|pray(?:ing)?) "
            r"(?:that )?(?:it|we) (?:just )?(?:crash(?:es)?|goes down|go down|never lands?|falls? "
            r"out of the sky)\b"
            r"|\b(?:hop(?:e|es|ed|ing)|wish(?:es|ed|ing)?|pray(?:s|ed|ing)?) (?:that )?"
            r"i(?:'d|'ll| would| will)? (?:just )?(?:get|got|have|had) "
            r"(?:hit by|cancer|killed|in a "
            r"crash|in an accident|sick and die|a heart attack|a stroke|an aneurysm)\b"
            r"|\b(?:hop(?:e|es|ed|ing)|wish(?:es|ed|ing)?|pray(?:s|ed|ing)?) (?:that )?"
            r"(?:something|anything) (?:bad )?(?:will |would )?(?:just )?happens? to me\b"
            r"|\b(?:pray(?:s|ed|ing)?|hop(?:e|es|ed|ing)|ask(?:ing)?) (?:that )?(?:god|the lord|"
            r"jesus|allah) (?:will |would |to |would just |just )?takes? me\b"
            r"|\b(?:it'd|it would|would|it will|it'll) be (?:a |such a )?(?:relief|blessing|"
            r"easier|better|nice|peaceful|kinder) (?:for (?:everyone|everybody|them) )?if i "
            r"(?:just )?(?:died|didn't exist|did not exist|wasn't here|weren't here|was gone|"
            r"were gone|stopped existing|disappeared|didn't wake up|never woke up)\b"
            r"|\bwish(?:es|ed|ing)? (?:the|that|it|this) (?:\w+ )?(?:had|would have|"
            r"'d) (?:killed me|"
            r"finished "
            r"me(?: off)?|done (?:its|the|their) job|taken me)\b"
            # "i want it to finish me off": a wish that something would kill me
            r"|\b(?:want|wanting|hop(?:e|ing)|wish(?:ing)?|pray(?:ing)?) (?:that )?(?:it|this|"
            r"that|they|the \w+)(?: will| would| to)? (?:finally |just )?(?:finish me off|kill "
            r"me)\b"
            r"|\b(?:hop(?:e|es|ed|ing)|wish(?:es|ed|ing)?|pray(?:s|ed|ing)?) (?:that )?"
            r"i(?:'ll| will|'d| would)? (?:just )?"
            r"(?:crash|die|"
            r"don't make it home|"
            r"don't survive|never come back|get in (?:a|an) (?:crash|accident)|get into (?:a|an) "
            r"(?:crash|accident)|drop dead)\b"
            r"|\b(?:death|dying|being dead|not existing|not being here) (?:\w+ )?(?:sounds|seems|"
            r"feels|looks|"
            r"would be|would feel|is) (?:so |really |kind of |kinda |like )?(?:nice|peaceful|good|"
            r"better|easier|a relief|appealing|the only|freedom|rest|comforting|welcome)\b"
            r"|\bnot (?:afraid|scared) (?:of dying|to die|of death) anymore\b"
            r"|\b(?:think|thinking|thought) (?:a lot |so much |constantly |all the time |"
            r"every day )?"
            r"(?:about|of) (?:dying|being dead|not being (?:here|alive|around)|not existing|"
            r"killing myself|ending (?:it|things|my life)|my (?:own )?funeral|my (?:own )?death)\b"
            r"|\b(?:wonder\w*|imagin\w*|pictur\w*|think\w*|dream\w*|fantasi[sz]\w*) (?:about |of )?"
            r"(?:\w+ ){0,4}?my (?:own )?funeral\b"
            r"|\bwho (?:would|will|'d) (?:even )?(?:come|show up|go|cry) (?:to|at) my funeral\b"
            # joining the dead: "it's time i joined my husband", "go be with my mama in heaven"
            r"|\b(?:ready to|want to|going to|time to|time i|time for me to|i'll|i will|can't wait "
            r"to) (?:go )?(?:and )?(?:be with|join|joined|see) (?:my (?:\w+ )?\w+|him|her|them) "
            r"(?:again )?(?:in heaven|on the other side|up there|in the next life)\b"
            r"|\b(?:time (?:i|for me to)|i'm ready to) join(?:ed)? (?:my (?:late |dear )?\w+|him|"
            r"her|them)(?=\s*$|,| (?:now|soon|again)\b)"
            r"|\b(?:nobody|no one) (?:would|will|'d|'ll) (?:even )?(?:come|show up|go|cry|care) "
            r"(?:to|at|about) my funeral\b"
        ),
        negation="prefix",
        subject_check=True,
        hyperbole=True,
    ),
    _Rule(
        "suicide.burden",
        SUICIDE,
        _c(
            r"\b(?:i'm|i am|i feel like|i feel|feel like|i've become|i've been|i'm just|i'm such|"
            r"i'm only|i'm nothing but|i'm always|tired of being|sick of being|hate being|"
            r"i'm becoming) (?:\w+ )?(?:a |such a |the )?burden\b(?! (?:of|for asking|asking|by "
            r"asking|with (?:this|my|all)|to ask)\b)"
            r"|\b(?:i'm|i am|i feel like i'm|feel like i'm|i'm just|i'm only)(?: just| only)? "
            r"(?:taking up|wasting) (?:space|oxygen|air)\b"
            r"|\b(?:i'm|i am|i feel like|feel like) (?:just |such |nothing but |"
            r"only )?(?:a )?waste of "
            r"(?:space|air|oxygen|a life|skin)\b"
            r"|\bdeserves? (?:better|more) than (?:me|having me) (?:being |still )?(?:around|here|"
            r"alive|in (?:their|her|his|your) (?:life|lives)|existing)\b"
            r"|\b(?:removing|remove|erasing|erase) myself (?:\w+ ){0,4}?(?:fixes|solves|would fix|"
            r"would solve|will fix|will solve|is the (?:answer|solution|only way))\b"
            r"|\b(?:fix|solve) (?:everything|it all|everyone's problems) by (?:disappearing|dying|"
            r"removing myself|being gone|not being here)\b"
            r"|\b(?:a|such a|the) burden (?:to|on) (?:everyone|everybody|my family|all of you|them|"
            r"the people|my (?:kids|parents|partner|wife|husband|friends|mom|dad|family))\b"
        ),
        subject_check=True,
    ),
    _Rule(
        "suicide.not_a_problem_soon",
        SUICIDE,
        _c(
            r"\b(?:won't|will not|not going to|wouldn't|never going to) (?:\w+ )?(?:be|have to be) "
            r"(?:a|your|anyone's|everyone's|the) (?:problem|burden|bother|nuisance|worry|pain|"
            r"weight)(?: to| for| on)? (?:you |anyone |everyone |them )?(?:much longer|"
            r"for (?:much )?"
            r"longer|for long|anymore|any longer|for anyone|to anyone|on anyone|soon|after "
            r"(?:tonight|today))\b"
            r"|\b(?:won't|will not|not going to) (?:have to )?(?:deal with|put up with|feel|face|"
            r"live "
            r"with|suffer|endure|worry about|carry) (?:this|it|anything|any of (?:this|it)|"
            r"the pain|"
            r"life|my life|everything|me)(?: \w+){0,2}? (?:much longer|for (?:much )?longer|"
            r"for long|"
            r"after (?:tonight|today|this weekend))\b"
            r"|\bsoon (?:it|none of (?:it|this)|nothing|this|that)(?: (?:won't|will not|'ll|will|"
            r"doesn't|isn't going to))? (?:even )?matters?\b"
            r"|\b(?:won't|will not) matter (?:soon|after tonight|much longer|for long)\b"
            r"|\b(?:money|none of (?:it|this|that)|nothing|any of (?:it|this|that)|it all|bills|"
            r"debts?|my debts?|rent|the rent|my rent|grades|my job|the future|none of them) "
            r"(?:won't|will not|isn't going to|wouldn't|doesn't|will|'ll|is going to) (?:even |"
            r"really )?matter (?:soon|much longer|for long|anymore|where i'm "
            r"going|after (?:tonight|today|tomorrow|this (?:weekend|week)|the weekend|(?:this )?"
            r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))|by (?:then|tomorrow|"
            r"next week|the weekend|monday|friday))\b"
        ),
        negation="none",
        permanent=True,
    ),
    _Rule(
        "suicide.give_up",
        SUICIDE,
        _c(
            r"\b(?:time to|ready to|going to|want to|i'll|decided to|need to|about to|i'm|i just|"
            r"i'm just|so|i should) (?:just )?(?:stop|quit|done) fighting\b(?! (?:with|about|over|"
            r"for|the|my|it|this)\b)"
            r"|\b(?:tired|sick|exhausted) of (?:fighting|trying|being strong|surviving|holding on|"
            r"pretending i'm (?:okay|ok|fine))\s*$"
            r"|\b(?:don't|do not|can't) (?:want to )?(?:fight|try|hold on) (?:it |"
            r"this )?anymore\s*$"
            r"|\bi (?:just |finally )?give up\s*$|\bi give up on (?:life|everything|myself|living|"
            r"getting better|ever being okay)\b"
            r"|\b(?:giving|gave|i've given|given) up on (?:life|living|everything|myself|(?:ever )?"
            r"(?:getting|feeling|being) (?:better|okay|ok|happy))\b"
            r"|\bready to give up\s*$"
        ),
        negation="prefix",
        subject_check=True,
        hyperbole=True,
        everyday=True,
    ),
    _Rule(
        "suicide.done",
        SUICIDE,
        _c(
            r"\b(?:want|ready|need) to be done\s*$"
            r"|\b(?:want|ready|need) to be done (?:with (?:it all|everything|life|living|all of "
            r"(?:it|this)|existing|being alive|this life)|for good|forever|for real)\b"
            r"(?! (?:on|for|at|in|today|this|tonight|by)\b)"
            r"|\b(?:i'm|i am) (?:so |just |really )?done (?:with (?:it all|everything|life|living|"
            r"existing|being alive|this life|all of (?:it|this))|for good)\b"
            r"(?! (?:on|for|at|in|today|this|tonight|by)\b)"
            r"|\b(?:for real|completely|totally) done\s*$|\bdone done\b"
        ),
        subject_check=True,
        everyday=True,
        hyperbole=True,
    ),
    _Rule(
        "suicide.wont_be_around",
        SUICIDE,
        _c(
            r"\b(?:won't|will not|not going to|might not|may not|probably won't|don't think i'll|"
            r"don't think i will|doubt i'll) (?:even )?(?:still )?be (?:around|here|alive) "
            r"(?:anymore|any longer|much longer|for (?:much )?longer|for long|long|"
            r"after (?:tonight|"
            r"today|this weekend|tomorrow)|by (?:then|tomorrow|the weekend|next week|morning))\b"
            r"|\b(?:don't|can't|cannot) (?:really )?(?:see|picture|imagine) myself (?:being |"
            r"still )?"
            r"(?:around|alive|living|making it|lasting|surviving|getting older|growing old|"
            r"reaching \w+|turning \w+|being here much longer|here much longer|having a future)\b"
            r"|\b(?:can't|cannot|couldn't) (?:really )?(?:imagine|picture|see) (?:being (?:alive|"
            r"around)|living|making it|still being here) (?:next|in|by|past|to|at|for)\b"
            r"|\b(?:after|when|once) i'm (?:gone|dead|not here|not around)\b(?! (?:on|for|to|at|"
            r"from|"
            r"this|next|until|visiting)\b)"
            r"|\bi'll be gone (?:by|before|soon|tomorrow|tonight|forever|for good)\b"
            r"|\b(?:won't|will not|not going to|never going to) be (?:coming back|returning|back)\b"
            r"(?= (?:ever|again|for good|anymore)|\W*$)"
        ),
        negation="none",
        permanent=True,
        subject_check=True,
    ),
    _Rule(
        "suicide.care_ending",
        SUICIDE,
        _c(
            r"\b(?:won't|will not|not going to|wouldn't|don't think i'll|don't think i will|"
            r"probably won't|might not|may not|no longer) (?:\w+ )?(?:need|needing|have|make it to|"
            r"be at|be coming to|come to|be booking|book) (?:\w+ ){0,2}?(?:appointments?|sessions?|"
            r"therapy|appts?|visits?|slots?)(?: \w+){0,2}? (?:after (?:tonight|today|this weekend|"
            r"tomorrow)|ever again|anymore)\b"
            r"|\b(?:won't|will not|not going to|wouldn't|won't ever|"
            r"never going to) (?:\w+ )?(?:be at|"
            r"come to|make it to|attend|show up to|be coming to|need|be needing|book) (?:any ?more|"
            r"another|any other|no more) (?:appointments?|sessions?|appts?|visits?|therapy)\b"
            r"(?! (?:this|next|until|for a|for the|before|in)\b)"
            r"|\b(?:because|bc|cos|cause|since) i (?:won't|will not) be (?:here|around|alive)"
            r"(?: anymore)?\s*$"
            r"|\bthere(?: won't|'s not going to|s not going to| is not going to| isn't going to|"
            r" will "
            r"not| will never|'ll never|'s no) be (?:a|another|any) next (?:time|"
            r"session|appointment|week|visit)\b"
        ),
        negation="none",
        permanent=True,
    ),
    _Rule(
        "suicide.cancel_all_care",
        SUICIDE,
        _c(
            r"\bcancel (?:all|every|all of|the rest of) (?:my |the )?(?:future |remaining |"
            r"upcoming "
            r"|other )?(?:appointments?|sessions?|appts?)\b"
        ),
        negation="none",
        needs_ending=True,
        farewell=True,
        permanent=True,
    ),
    _Rule(
        "suicide.beyond_help",
        SUICIDE,
        _c(
            r"\b(?:i'm|i am|i feel) (?:\w+ )?(?:beyond|past) (?:help|saving|repair|fixing|hope)\b"
            r"|\b(?:i|me) (?:can't|cannot|won't ever|will never) be (?:helped|saved|fixed)\b"
            r"|\bsomeone (?:who|that|else who) can (?:still |actually )?be (?:helped|saved)\b"
            r"|\bi'm a lost cause\b|\bnothing (?:can|will|is going to) (?:help|save|fix) me\b"
            r"|\b(?:no one|nobody) can (?:help|save) me (?:now|anymore)\b"
        ),
        negation="prefix",
        subject_check=True,
        hyperbole=True,
        everyday=True,
    ),
    _Rule(
        "suicide.not_safe",
        SUICIDE,
        _c(
            r"\b(?:(?:i'm|i am|i feel|feeling|i'm feeling) (?:really |so |very |just |totally |"
            r"completely )?(?:not safe|unsafe)|(?:i don't|i do not|don't|i'm not|not) (?:really |"
            r"even )?"
            r"(?:feel|feeling) safe)\b"
            r"(?! (?:driving|to drive|at (?:home|work|school)|in (?:my|the|this|our) (?:house|home|"
            r"neighbou?rhood|area|apartment|relationship|building|car|city|town)|walking|around "
            r"(?:him|her|them|my \w+)|with (?:him|her|them|my \w+)|from (?:him|her|them|my \w+)|"
            r"here|"
            r"there|on (?:the|these) roads?|outside|at night|going)\b)"
            r"|\bcan't (?:keep|stay) (?:myself )?safe\b"
            r"|\bdon't trust myself (?:tonight|right now|alone|to be alone|anymore|with (?:the|my) "
            r"(?:pills|meds|knife|knives|gun|razor|car))\b"
            r"|\b(?:i'm|i am) a danger to myself\b"
            # A terse text: "not safe tonight", "pls call me. not safe", "cant promise im safe".
            r"|^(?:not safe|unsafe)(?: (?:tonight|rn|right now|now|anymore|at all))?\s*$"
            r"|\bnot safe (?:tonight|rn|right now)\b"
            r"|\bcan't (?:promise|say|guarantee) (?:that )?(?:i'm|i am|i'll be|i will be|i'll "
            r"stay) safe\b"
        ),
        negation="prefix",
    ),
    # Short texts the learned tier never sees (under its word gate): kinds of terse crisis
    # message, each a phrase that is not ordinary on its own.
    _Rule(
        "suicide.took_them_all",
        SUICIDE,
        _c(
            r"\b(?:took|taken|swallowed|downed|ate|popped) (?:them|em|'em|those|these|it|the "
            r"(?:pills|tablets|bottle)) all\b"
            r"|\b(?:take|taking|swallow|swallowing) (?:them|em|'em|those|these|the (?:pills|"
            r"tablets)) all (?:tonight|now|at once|today|tomorrow|in one go)\b"
            r"|^(?:sos|help) i (?:took|swallowed|drank) (?:stuff|something|things|pills|them)\b"
        ),
        past_ok=True,
    ),
    _Rule(
        "suicide.terse_intent",
        SUICIDE,
        _c(
            r"\b(?:tonight|today|now|tomorrow) i end (?:it|this|things|everything)\s*$"
            r"|\bi end (?:it|this|things|everything) (?:tonight|today|now|tomorrow)\b"
            r"|\b(?:the|my) plan is (?:set|ready|in place|final|happening)\b(?! (?:for|to) "
            r"(?:the|our|my|your|a|dinner|lunch|brunch|work|school|class|trip|party))"
            r"|\b(?:nobody|no one|nothing) (?:will|can|is going to|'s going to) stop me "
            r"(?:tonight|now|this time|anymore|from (?:doing|ending|killing))\b"
            r"|\bcan't (?:stay|keep being|keep staying|be) alive\b"
            r"|\b(?:car|engine)(?:'s| is) running in the (?:closed |shut |locked )?garage\b"
            r"|\brunning car in the (?:closed |shut |locked )?garage\b"
            r"|\b(?:want|wanna|going|gonna|thinking about|tempted|urge) (?:to )?(?:step|walk|jump|"
            r"run)(?:ing)? (?:out )?(?:into|in front of) "
            r"(?:traffic|a (?:car|bus|train|truck|lorry))\b"
            r"|\bself ?delet(?:e|ing|ion)\b"
            r"|🪦\W*(?:tonight|now|for good|bye)\b|\b(?:tonight|for good|i'm done|bye|sorry)\W*🪦"
        ),
        negation="prefix",
        hyperbole=True,
    ),
    _Rule(
        "self_harm.overdose_to_numb",
        SELF_HARM,
        _c(
            r"^(?=.*\b(?:took|taking|take|swallow\w*|doubled|pills|tablets|meds|klonopin|xann?\w*|"
            r"benadryl|ambien|gabapentin|antihistamines|sleeping (?:pills|tablets)|painkillers)\b)"
            r".*?\b(?:not|n't|no) (?:\w+ ){0,3}(?:die|dying|kill myself|a suicide thing|suicide|"
            r"suicidal)\b\W+(?:\w+ ){0,2}(?:i )?just (?:want|wanted|need|needed|to|so|trying)\b"
            r".{0,60}?\b(?:numb|nothing|quiet|unconscious|out of it|sleep|a break|stop feeling|"
            r"not feel|have to feel|feel today|awake|escape|forget)"
        ),
        negation="none",
        past_ok=False,
    ),
    _Rule(
        "self_harm.blade_beside_me",
        SELF_HARM,
        _c(
            r"\b(?:the |a |my )?(?:knife|blade|razor|razor blade|blades|scissors)(?:'s| is| are)? "
            r"(?:right )?(?:next to|beside|in front of|on the \w+ (?:next to|beside)) me\b"
            r"|\b(?:knife|blade|razor)(?:'s| is) (?:in my hand|on my (?:wrist|arm|leg|thigh))\b"
        ),
        accident=True,
    ),
    _Rule(
        "suicide.do_something",
        SUICIDE,
        _c(
            r"\b(?:going to|might|could|will|i'll|about to|afraid i'll|scared i'll|worried i'll|"
            r"before i|or i'll|or i|want to|tempted to) (?:end up |actually |finally )?do "
            r"(?:something|anything) (?:stupid|drastic|dangerous|bad|permanent|final|i (?:can't|"
            r"won't be able to) take back|crazy|dumb|reckless|irreversible)\b"
            r"(?! (?:with|to) (?:my|the|his|her) (?:hair|money|car|job|room|apartment|house|nails|"
            r"face|wardrobe|eyebrows|phone|savings)\b)(?! (?:to|at) (?:him|her|them|my \w+)\b)"
            r"|\b(?:scared|afraid|worried|terrified|frightened) (?:of )?what i(?:'ll| will| might| "
            r"could| would| may)(?: \w+)? do\b(?! (?:to (?!myself\b)|with|about|for|at|on|in|after|"
            r"next|now|instead|if (?:i (?:lose|don't get)|they|he|she))\b)"
            r"|\b(?:scared|afraid|worried|terrified|frightened) (?:of )?what i(?:'ll| will| might| "
            r"could| would| may)(?: \w+)? do to myself\b"
        ),
        negation="prefix",
        hyperbole=True,
        everyday=True,
    ),
    _Rule(
        "suicide.farewell",
        SUICIDE,
        _c(
            r"\b(?:say|said|saying) (?:my )?(?:goodbye|goodbyes|bye) (?:before i (?:go|leave|die|"
            r"do "
            r"it)\b(?! (?:to|on|for|back|out|home|away)\b)|to (?:everyone|everybody|you all|the "
            r"world)\b|for (?:the last time|good|real this time)\b)"
            r"|\balready said (?:my )?(?:goodbyes?|bye) to\b"
            r"|\bdon't (?:open|read) (?:it|this|the (?:letter|envelope|email|note|"
            r"package)) (?:until|"
            r"till|before) (?:tomorrow|after|later|i'm|the morning|tonight|i'm gone|it's over)\b"
            r"(?![^.!?]*\b(?:birthday|christmas|party|anniversary|surprise|gift|present)\b)"
            r"|\b(?:wanted|want|needed|need|had|have) to say (?:a )?(?:goodbye|bye)\b"
            r"(?! (?:to (?:my|our|the|her|his)|before (?:my|your|the|our) (?:trip|vacation|move|"
            r"leave)|and (?:see you|good luck))\b)"
            r"|\b(?:make sure|tell|let|please tell) (?:they|them|he|him|she|her|my \w+|everyone|"
            r"everybody|you) (?:\w+ )?knows? (?:that )?(?:it )?(?:wasn't|isn't|was not|is not|"
            r"won't "
            r"be) (?:their|his|her|your|anyone's|my \w+'s) fault\b"
            r"|\b(?:just |please )?know (?:that )?(?:none of (?:this|it)|this|it) (?:is|was) "
            r"(?:not )?(?:your|anyone's|their) fault\b"
            r"|\bsaid (?:everything|all) i (?:needed|wanted|had) to say\b"
            r"|\b(?:texted|called|messaged|wrote|told) (?:my \w+|everyone|everybody|them|her|him) "
            r"(?:a )?(?:goodbye|bye)\b(?= .{0,40}\b(?:turned off|location|phone off|forever|for "
            r"good|sorry|last)\b|\s*$)"
            r"|\b(?:it )?(?:wasn't|isn't|was not|is not|won't be) (?:their|your|anyone's) fault\b"
            r"(?= .{0,40}\b(?:goodbye|bye|i love|sorry|forgive|gone|decision)\b)"
            r"|\b(?:at peace|okay|ok|comfortable|made peace) with (?:my|the|this) decision\s*$"
            r"|\bdon't (?:try to |come |go |bother )?(?:find|look for|looking for|stop|save|rescue|"
            r"trying to find) me\b"
            r"|\b(?:don't|not) (?:be sad|cry|blame yourself|blame yourselves|miss me)\b"
            r"(?= .{0,40}\b(?:gone|goodbye|bye|when i'm|after i'm|my death|for what i)\b)"
            r"|\bi (?:love|loved) you all\b(?= .{0,40}\b(?:goodbye|bye|sorry|forgive|gone)\b)"
            r"|\bforgive me\s*$"
            r"|\bthis is (?:my )?(?:goodbye|good bye|farewell)\b"
            r"|\b(?:sorry|mad|forgive me|hate me|blame yourself|understand|angry)(?: at me|"
            r" with me)? "
            r"for what i(?:'m| am) (?:about to|going to) do\b"
        ),
        negation="none",
        farewell=True,
    ),
    _Rule(
        "suicide.farewell_with_ending",
        SUICIDE,
        _c(r"\b(?:goodbye|good bye|bye|farewell|so long)\b(?! for now)"),
        negation="none",
        needs_ending=True,
        farewell=True,
    ),
    _Rule(
        "suicide.unalive",
        SUICIDE,
        _c(
            r"\b(?:want to|going to|about to|might|will|'ll|thinking (?:about|of)|plan to|"
            r"planning to|ready to|urge to|urges to|tempted to|need to|i'm|keep thinking about) "
            r"(?:just |finally |really )?unaliv(?:e|ing)\b"
        ),
        subject_check=True,
        hyperbole=True,
    ),
    _Rule(
        "suicide.command_voices",
        SUICIDE,
        _c(
            r"\b(?:voices?|something in my head|my head|my brain) (?:\w+ ){0,3}?(?:telling|tell|"
            r"told|"
            r"tells|says|said|saying|ordering|orders|order|wants|"
            r"want) me to (?:just )?(?:kill myself|"
            r"die|end it|end my life|jump|overdose|drown myself|hang myself|do it)\b"
        ),
        negation="prefix",
    ),
    _Rule(
        "suicide.final_arrangements",
        SUICIDE,
        _ARRANGEMENTS,
        negation="prefix",
        needs_second_sign=True,
        farewell=True,
    ),
    # ---- suicide: more means, places and plans ---------------------------------------------
    _Rule(
        "suicide.method_research",
        SUICIDE,
        _c(
            r"\b(?:look(?:ed|ing)? up|googl(?:e|ed|ing)|research(?:ed|ing)?|search(?:ed|"
            r"ing)?(?: for)?|"
            r"read(?:ing)? (?:up )?(?:about|on)|watch(?:ed|ing)? videos (?:on|about)|"
            r"asked (?:chatgpt|"
            r"ai|google|siri)|been reading about) (?:\w+ ){0,2}?(?:ways to (?:die|kill myself|"
            r"end it|"
            r"end my life|do it|go)|how to (?:die|kill myself|end it|end my life|overdose|hang|"
            r"tie a "
            r"noose|slit|cut deeper|do it)|suicide methods|painless|(?:lethal|fatal|deadly) "
            r"(?:doses?|amounts?))"
            r"|\bhow (?:many|much) (?:of )?(?:my |the |these |those )?(?:\w+ )?"
            + _PILLS
            + r"(?: \w+){0,3}? (?:it would take|would (?:it )?take|it takes|does it take|i'd need|"
            r"i would need|to take|is (?:lethal|too much|deadly|fatal|enough))\b"
            r"|\bhow (?:many|much) (?:\w+ ){0,4}(?:would|does|will) (?:it )?take to (?:die|kill "
            r"(?:me|myself)|not wake up|overdose|end it)\b"
            r"|\b(?:lethal|fatal|deadly) (?:dose|doses|amount|amounts)\b"
            r"|\bpainless(?:ly)? (?:ways?|methods?|death|to die|way out)\b|\bways to die\b"
            r"|\b(?:whether|if|how) (?:jumping|hanging|drowning|overdosing|an overdose|the fall) "
            r"would (?:be (?:quick|painless|instant|fast)|hurt|kill me|work)\b"
            r"|\bdie painlessly\b"
            r"|\bhow (?:long|fast|quickly) (?:\w+ ){0,3}?(?:to bleed out|to die|to overdose|"
            r"until i "
            r"(?:die|bleed out|pass out))\b"
            r"|\b(?:want to|going to|let myself|could|wish i could|just) bleed out\b"
            r"|\b(?:quickest|easiest|best|fastest|least painful|most painless|surest|cleanest) "
            r"(?:way|ways|method|methods) to (?:die|kill myself|end it|end my life|do it|go)\b"
            r"(?! (?:to|home|back|there|about|in|out|on|with|for)\b)"
        ),
        topic_ok=True,
    ),
    _Rule(
        "suicide.method_place",
        SUICIDE,
        _c(
            r"\b(?:i'm|i am|standing|sitting|here|currently|right now|i've been|been|came|drove|"
            r"walked|walking|went|climbed|parked) (?:up |out |right |here )?(?:on|at|by|near|under|"
            r"onto|to|over|up to|on top of|along) (?:the|a|this|that) (?:edge of (?:the|a) )?"
            r"(?:bridge railings?|railings? of the bridge|quarry|dam|pier|multi ?stor(?:e)?y|"
            r"top floor of (?:the|a) (?:\w+ )?(?:car park|parking (?:garage|structure))|bridge|"
            r"ledge|"
            r"rooftop|train tracks|railway tracks|railroad tracks|tracks|railway|overpass|cliff|"
            r"cliff edge|roof of (?:the|a|my) (?:building|parking|garage|hospital|school|"
            r"apartment)|top of (?:the|a|my) (?:building|parking garage|parking structure|bridge|"
            r"cliff|tower)|platform edge)\b(?! (?:club|game|loan|card|crew|party|repair|repairs)\b)"
            r"|\b(?:going|heading|walking|driving|on my way|went|drove|walked) (?:back )?(?:to|up "
            r"to) (?:the|that) (?:bridge|tracks|train tracks|railway tracks|cliff|cliffs|ledge|"
            r"overpass|rooftop|top of the (?:building|parking garage))\b(?! (?:club|game|party|"
            r"tour)\b)(?= (?:after|tonight|now|right now|again|later|when|today|alone|one last|"
            r"this (?:afternoon|morning|evening)|to jump|to do it|near)"
            r"|\s*$)"
            r"|\b(?:i'll|i will|i'm going to) (?:go|walk|drive) (?:down |up |out )?to (?:the|that) "
            r"(?:bridge|tracks|train tracks|railway|cliffs?|ledge|overpass|rooftop|quarry)\b"
            r"|\b(?:climb|climbing|climbed) (?:back )?over (?:the )?(?:railing|edge|barrier|fence|"
            r"parapet)\b"
            r"|\b(?:tracks|railway|railroad|level crossing|platform)\b(?: \S+){0,8}? (?:wait|"
            r"waiting) "
            r"for (?:the|a) (?:\w+ )?train\b"
            r"|\b(?:the|that) (?:railing|ledge|edge|tracks|bridge|balcony|open window) (?:is|are) "
            r"(?:right )?(?:there|right there|right here|in front of me|calling (?:me|to me))\b"
            r"|\b(?:i'm|i am|standing|sitting) (?:on|at) (?:the|my|a) (?:\S+ ){0,2}(?:balcony|"
            r"rooftop|"
            r"roof|window ledge|ledge)\b(?= .{0,60}\b(?:railing|edge|jump|drop|down|right there|"
            r"high|floor)\b)"
            r"|\b(?:looking|staring) (?:down )?(?:at|into) the (?:water|river|drop|tracks|traffic) "
            r"(?:from|below)\b"
            r"|\bhow (?:high|far down|tall) (?:the|this|that) (?:bridge|building|drop|roof|cliff|"
            r"balcony|ledge) (?:is|would be)\b"
        ),
        subject_check=True,
        means=True,
    ),
    _Rule(
        "suicide.method_means",
        SUICIDE,
        _c(
            r"\b(?:car|engine|motor)(?: is)? (?:running|on|idling) in (?:the|a|my) (?:closed |"
            r"shut )?"
            r"garage\b|\bin (?:the|my|a) (?:closed |shut )?garage with the (?:engine|car|motor) "
            r"(?:on|running)\b|\bhose (?:to|from|in|into|on) the (?:exhaust|tailpipe)\b"
            r"|\b(?:running|idling|left|leave|leaving|start|started|starting) (?:the|my) (?:car|"
            r"engine|"
            r"motor) (?:on |running )?in (?:the|a|my) (?:closed |shut )?garage\b"
            r"|\b(?:car|garage|engine)\b(?: \S+){0,4}? with (?:a|the) hose(?:pipe)?\b"
            r"|\bhose(?:pipe)? (?:in|into|through) the (?:car )?window\b"
            r"|\b(?:got|have|put|packed) (?:a|the|my) hose(?:pipe)? in (?:the|my) car\b"
            r"|\bgarage\b(?: \S+){0,14}? (?:leave|leaving|left|keep|with) the (?:engine|car|motor) "
            r"running\b"
            r"|\b(?:leave|leaving|left|keep) the (?:engine|car|"
            r"motor) running\b(?= .{0,60}\b(?:garage|"
            r"close the door|doors? (?:shut|closed)|windows? (?:shut|closed|up))\b)"
            r"|\b(?:belt|cord|rope|noose|scarf|sheet|dog lead|leash|cable) (?:is )?tied (?:to|"
            r"around|"
            r"on|over) (?:the|my) (?:\w+ )?(?:door|doorknob|door handle|beam|rafter|banister|"
            r"railing|hook|pipe|closet rod|rail)\b"
            r"|\b(?:bought|buy|got|have) (?:some |a bag of )?charcoal\b(?= .{0,60}\b(?:windows?|"
            r"room|car|tape|seal|close|closed|shut)\b)"
            r"|\b(?:charcoal|coal|a grill|the grill) (?:in|inside) (?:my|the) (?:room|car|bathroom|"
            r"bedroom|tent)\b"
            r"|\b(?:drink|drank|drinking|swallow|swallowed|swallowing|chug|chugged|ingest|"
            r"ingested) "
            r"(?:some |the |a (?:bottle|cup|glass) of )?(?:bleach|antifreeze|poison|rat poison|"
            r"drain "
            r"cleaner|pesticide|weed killer|lye|cyanide)\b"
            r"|\b(?:bleach|antifreeze|rat poison|drain cleaner|pesticide|"
            r"weed killer)\b(?: \S+){0,12}? "
            r"(?:drink|drinking|drank|swallow\w*|down|downing) (?:it|the (?:bottle|lot)|"
            r"all of it)\b"
            r"|\b(?:gun|pistol|rifle|revolver|firearm|handgun|shotgun)\b(?: \S+){0,8}? (?:i keep|"
            r"i've been|been|keep|kept|i'm|i am) (?:taking it out|holding it|looking at it|staring "
            r"at it|touching it|picking it up|loading it)\b"
            r"|\b(?:holding|loaded|loading|cocked) (?:a|the|my|dad's|\w+'s) (?:gun|pistol|rifle|"
            r"revolver|handgun|shotgun|45|38|9mm|glock)\b"
            r"|\b(?:gun|pistol|rifle|revolver|handgun|shotgun) and a bottle\b"
            r"|\b(?:gun|pistol|rifle|revolver|handgun|shotgun)\b.{0,60}\b(?:put|putting|stick|"
            r"sticking|place|placing|hold|holding) (?:it|the (?:barrel|muzzle)) (?:in|to|against|"
            r"under) my (?:mouth|head|temple|chin)\b"
            r"|\b(?:gun|pistol|rifle|revolver|handgun|shotgun) (?:is )?(?:loaded|in my (?:hand|lap|"
            r"mouth)|on my (?:lap|bed|desk)|next to me|to my (?:head|temple|chin))\b"
            r"|\b(?:pills|rope|noose|belt|cord)\b(?: \S+){0,8}? (?:i keep|keep|kept) (?:looking at|"
            r"staring at|holding|touching|counting) (?:it|them)\b"
            r"|\b(?:looking|staring|sitting here looking|sitting here staring) at (?:the|my|all "
            r"(?:the|my)|a) (?:pills|bottle of pills|pill bottles?|rope|noose|gun|pistol|rifle)\b"
            r"(?= (?:right now|again|for hours|all night|tonight|and (?:thinking|wondering|"
            r"crying))|\s*$)"
            r"|\b(?:bought|got|buying|getting|have) (?:some |a |the |enough )?rope\b"
            r"|\b(?:in|on|at|into) (?:the|my|a) (?:bath|bathtub|tub|woods|forest|garage|car|"
            r"bathroom|roof|bridge|park|motel room|hotel room|basement|attic|shed) with (?:a|the|"
            r"my|"
            r"some|all my) (?:razor|blade|rope|gun|noose|knife|pills|bottle of \w+|belt|cord)\b"
            r"|\b(?:sitting|lying|standing|waiting|alone|parked(?: outside)?) (?:here |outside )?"
            r"with (?:(?:a|the|my|all my) )?(?:\w+'s )?(?:razor|"
            r"blade|rope|gun|noose|pills|pistol|rifle|shotgun|handgun)\b"
            r"|\b(?:pills|tablets|meds|bottle|gun|pistol|blade|razor|rope)\b(?: \w+){0,2}? (?:in|"
            r"on) my (?:hand|hands|palm|lap|mouth)\b"
            r"|\b(?:razors?|blades?|razor blades|pills|knife)\b(?: \S+){0,6}? (?:and|with|while|"
            r"&) (?:the |a |my )?(?:bath|bathtub|tub) (?:is )?(?:running|filling|full|ready|drawn|"
            r"filled)\b"
            r"|\b(?:bath|bathtub|tub) (?:is )?(?:running|filling|full|ready|drawn|filled)\b"
            r"(?: \S+){0,4}? (?:and|with|&)(?: i(?:'ve)? (?:have|got))? (?:the |a |my )?(?:razors?|"
            r"blades?|razor blades|pills|"
            r"knife)\b"
        ),
        means=True,
    ),
    _Rule(
        "suicide.like_before",
        SUICIDE,
        _c(
            # "i feel exactly like i did right before my attempt": about now, so never "past"
            r"\b(?:feel|feeling|felt|i'm|i am)(?: \w+){0,2}? (?:like|how|the way) i (?:did|felt|"
            r"was) (?:right |just |the (?:week|day|night|days|weeks|month) )?before(?= (?:my |the "
            r"|i |last )?(?:attempt\w*|overdos\w*|tried|went into (?:the )?hospital|hospital\w*)"
            r"\b|\W*$)"
            r"|\b(?:same|exact same) (?:\w+ ){0,2}?(?:as|i (?:had|was in|felt)) (?:right |just )?"
            r"before (?:my|the|i) (?:attempt\w*|overdos\w*|tried)\b"
        ),
        needs_context=True,
        past_ok=False,
    ),
    _Rule(
        "suicide.plan_known",
        SUICIDE,
        _c(
            r"\bi (?:know|'ve decided|decided|figured out|'ve figured out|'ve planned|planned|'ve "
            r"worked out|worked out|'ve picked|picked) (?:exactly )?(?:how|when|where),? and "
            r"(?:how|when|where)\b(?! to (?!do it\b))"
            r"|\bi know (?:exactly )?(?:how|when|where) i(?:'d|'ll| would| will|"
            r"'m going to) do it\b"
        ),
    ),
    # ---- self-harm -----------------------------------------------------------------------
    _Rule(
        "self_harm.hurt_myself",
        SELF_HARM,
        _c(
            r"\b(?:cut|cuts|cutting|burn|burns|burned|burnt|burning|hit|hits|hitting|scratch|"
            r"scratches|scratched|scratching|carve|carved|carving|bite|biting|bit|punch|punched|"
            r"punching|hurt|hurts|hurting|harm|harmed|harming|injure|injured|injuring|bang|banged|"
            r"banging|stab|stabbed|stabbing|mutilate|mutilated|mutilating|slice|sliced|slicing|"
            r"bruise|bruised|bruising|punish|punishing|struck|strike|striking|slap|slapped|"
            r"slapping|smack|smacked|smacking) my ?self\b"
            r"|\bi (?:\w+ )?(?:hurt|cut|burn(?:ed|t)?|stab(?:bed)?) me (?:again )?with (?:the|a|"
            r"my) "
            r"(?:knife|blade|razor|lighter|scissors)\b"
            r"|\b(?:use|using) (?:it|them) on my wrists?\b"
            r"|\b(?:use|using) (?:the|a|my) (?:razor|blade|knife|lighter|scissors) on my (?:own )?"
            r"(?:arms?|forearms?|wrists?|legs?|thighs?|skin|stomach)\b"
            r"|\b(?:cut|cuts|cutting|carve|carved|carving|slice|sliced|slicing|slash|slashed|"
            r"slashing|"
            r"scratch|scratched|scratching|burn|burned|burnt|burning|gouge|gouged|gouging|stab|"
            r"stabbed|stabbing|dig|digging|dug) (?:up |into |open |at |on |along )?my "
            r"(?:own )?(?:left |right )?(?:arms?|forearms?|wrists?|legs?|thighs?|skin|stomach|"
            r"hips?|"
            r"body|belly|ankles?|chest|shoulders?|calf|calves|ribs|sides?)\b"
            r"|\b(?:carv(?:e|ed|ing)|etch(?:ed|ing)?|scratch(?:ed|ing)?|"
            r"cut(?:ting)?) (?:\w+ ){1,4}?"
            r"(?:into|in|on) my (?:own )?(?:arms?|forearms?|wrists?|legs?|thighs?|skin|stomach|"
            r"hips?|chest)\b"
            r"|\b(?:lighter|cigarettes?|blade|razor|scissors|compass|needle|pin|glass|sharpener|"
            r"box cutter|knife|hot (?:spoon|metal|knife)) (?:on|to|into|across|against|over) my "
            r"(?:arms?|forearms?|wrists?|legs?|thighs?|skin|stomach|hips?|body|belly|chest)\b"
            r"|\bmake my ?self (?:bleed|hurt|suffer|throw up|puke|pass out)\b"
        ),
        accident=True,
    ),
    _Rule(
        "self_harm.cutting",
        SELF_HARM,
        _c(
            r"\b(?:i've been|been|started|start|keep|kept|i'm|am|back to|went back to|go back to|"
            r"relapsed|still|urge to|urges to|want to|tempted to|need to|itching to|craving|"
            r"going to|about to|i'll|will|might|plan to|planning to|really want to|close to|"
            r"so close "
            r"to|on the verge of|trying not to|trying so hard not to|fighting the urge to|"
            r"resisting|"
            r"resisting the urge to) (?:cutting|cut|burning)(?= again| myself|$| tonight| today|"
            r" right now| so bad"
            r"| lately| for (?:weeks|days|months|a while)| and i can't stop|"
            r" every| more| deeper| because| when| to cope| since)"
            r"|\b(?:used to|would|i'd) (?:cut|burn)(?! (?:my hair|back|down|out|off|class|school|"
            r"corners|ties|the|it|things|people|in|through|up)\b)\b"
            r"|\bcut again\b|\bcutting again\b"
            r"|^(?:and |so |then |just |finally )?(?:cut|burned|burnt) (?:tonight|today|last night|"
            r"this morning|yesterday|deep|deeper|again|\d+ times|twice|three times|a lot|so much)"
            r"\b(?!'s)"
            r"|\b(?:the|my|new|fresh|these|those) (?:cuts|wounds|burns|scratches) (?:on|across|"
            r"along|up) my (?:arms?|forearms?|wrists?|legs?|thighs?|stomach|hips?|body|belly|"
            r"ankles?|chest|skin|shoulders?)\b"
            r"|\b(?:covered in|full of) (?:fresh |new |deep )?(?:cuts|scratches|burns|scars)\b"
            r"|\bmy (?:cuts|wounds) (?:are|look|won't|keep|got|need)\b"
            r"|\bi cut (?:last night|yesterday|tonight|today|this morning|deep|deeper|too deep)\b"
            r"|\b(?:new|fresh) (?:cuts|scars|wounds) (?:are|on|from)\b|\bmy (?:cuts|wounds) "
            r"(?:are|on|from)\b"
            r"|\burges? to (?:self harm|hurt myself|burn myself|cut myself|cut)\b"
        ),
        accident=True,
        subject_check=True,  # "someone in group described the urge to cut"
    ),
    _Rule(
        "self_harm.active",
        SELF_HARM,
        _c(
            # "been" alone drops its subject ("been self harming again"); after "she's" or
            # "has" it is someone else's
            r"\b(?:i|i've|i'm|i've been|(?<!'s )(?<!has )(?<!have )(?<!'ve )(?<!'re )been|started|"
            r"start|keep|kept|relapsed(?: on| with| into)?|"
            r"want to|wanted to|urges? to|going to|about to|need to|tempted to|did|almost|"
            r"ended up|i just|just) (?:\w+ )?self harm(?:ed|ing)?\b"
            r"|\bself harm(?:ed|ing)? (?:again|tonight|today|last night|yesterday|this (?:morning|"
            r"week|weekend)|\d+ times|twice|a few times|(?:two|three|four|five|several|"
            r"many) times|every (?:day|night)|urges?|relapse|is back|came back)\b"
            r"|\b(?:relapsed|relapse) (?:on|with|into) (?:self harm\w*|cutting|burning)\b"
            r"|\brelapsed\b(?: \S+){0,4}? with (?:a|the|my) (?:razor|blade|lighter|knife|"
            r"scissors)\b"
        ),
    ),
    _Rule(
        "self_harm.relapse",
        SELF_HARM,
        _c(
            # "i relapsed yesterday", "broke my 6 month streak", "i cut." in a message that is
            # about self-harm; alone, a relapse may be about drinking.
            r"(?:\b(?:i|i've|i just|just|and i|i finally|finally|i totally|totally) |^)(?:relapsed|"
            r"slipped(?: up)?|"
            r"gave in|caved)\b(?! (?:on (?:my )?(?:diet|sugar|drinking|alcohol|smoking|vaping|"
            r"weed|the)|and (?:ate|had a|drank|smoked|bought)|on the (?:ice|stairs))\b)"
            r"|\b(?:broke|ended|lost|ruined|blew) my (?:\w+ ){0,3}streak\b"
            r"|^(?:and |so |then |finally |yeah )?i (?:cut|burned|burnt|relapsed)\W*$"
            r"|\b(?:the |my |those |these |old )?(?:urges?|cravings?|itch)(?: to (?:cut|burn|"
            r"hurt myself|self harm|harm myself|do it))? (?:is|are|'s|'re|came|come|have come|"
            r"has come|been coming|keeps? coming|is coming|are coming) back\b"
            r"|\b(?:i've|i have|i) started (?:again|back)\b"
            r"|\bi (?:almost|nearly) (?:did it|did|gave in|cut|relapsed|went through with it)"
            r"(?: again)? (?:last night|yesterday|today|tonight|this morning|this week|earlier)\b"
        ),
        needs_self_harm_context=True,
        accident=True,
    ),
    _Rule(
        "self_harm.means",
        SELF_HARM,
        _c(
            r"\b(?:hid|hide|hiding|hidden|stash(?:ed|ing)?|holding|clutching|sharpening|took apart|"
            r"taking apart|broke apart|breaking apart|pried|prying) (?:a |the |my |some |this |"
            r"new |"
            r"a new |a pack of )?(?:razor|blade|razor blade|pencil sharpener|box cutter|exacto|"
            r"x acto|"
            r"scalpel)s?\b"
            r"|\b(?:bought|got|carry|carrying|keeping|kept|have|found) (?:a|the|my|some|this|new|"
            r"a new|a pack of) (?:razor|blade|razor blade|box cutter|exacto|x acto|scalpel)s?\b"
            r"(?= .{0,60}\b(?:just in case|in case|in my (?:room|backpack|bag|drawer|purse|pocket|"
            r"bathroom|desk|locker|sock|shoe|wallet|phone case)|under my|again|right now|tonight|"
            r"for later|urges?|"
            r"today|promised|i shouldn't|shouldn't have|ashamed|don't be mad|don't tell|secret|"
            r"nobody knows|no one knows|hid)\b)"
            r"|\b(?:razor|blade|razor blade)s? (?:is|was|are|were) (?:right )?(?:there|here|"
            r"next to "
            r"me|in my hand|ready|calling (?:me|to me)|in front of me|within reach|hidden)\b"
            r"|\b(?:razor|blade)s? (?:hidden|stashed) (?:in|under|behind)\b"
            r"|\b(?:need|want|crave|craving|itching for|looking for) (?:a|the|my) (?:blade|razor)"
            r"(?! (?:for|to shave|refill|cartridges?|head)\b)"
            r"|\b(?:looking|staring) at (?:the|my|a) (?:blade|razor)s?\b(?= (?:right now|again|for "
            r"hours|all night|tonight|and)|\s*$)"
            r"|\b(?:got|have|took|laid|put|set) (?:the |my |a |some )?(?:new |fresh |sharp |"
            r"clean )?"
            r"(?:razor|blade|razor blade)s? out\b(?! of\b)"
        ),
        accident=True,
    ),
    _Rule(
        "self_harm.command_voices",
        SELF_HARM,
        _c(
            r"\b(?:voices?|something in my head|my head|my brain) (?:\w+ ){0,3}?(?:telling|tell|"
            r"told|"
            r"tells|says|said|saying|ordering|orders|order|wants|"
            r"want) me to (?:just )?(?:hurt myself|"
            r"cut|burn myself|harm myself|punish myself|starve)\b"
        ),
        negation="prefix",
    ),
    _Rule(
        "self_harm.means_kept",
        SELF_HARM,
        _c(
            r"\b(?:knife|knives|blade|blades|razor|razors|pills|lighter|scissors)\b(?: \S+){0,6}? "
            r"for when (?:it gets bad|things get bad|i need (?:it|them)|the urges?|i can't take it|"
            r"i can't cope|i need to|it's too much)\b"
        ),
        accident=True,
    ),
    _Rule(
        "self_harm.wounds",
        SELF_HARM,
        _c(
            r"\b(?:from|because of) (?:the|my) (?:cuts|cutting|burns|self harm)\b"
            r"(?! (?:at|to|in) (?:work|the budget|my hours|funding|the program|services|"
            r"benefits)\b)"
            r"(?![^.!?]*\b(?:surgery|procedure|glass|knife slipped|accident|fell|fall|bushes|"
            r"cat)\b)"
        ),
    ),
    _Rule(
        "self_harm.removing_means",
        SELF_HARM,
        _c(
            r"\b(?:hid|hide|hiding|locked|lock|locking|gave|give|giving|threw|throw|throwing) "
            r"(?:away |up |out )?(?:the|my|all (?:the|my)|our) (?:knives|knife|pills|meds|razors?|"
            r"blades?|guns?|belts?|scissors|sharp things|sharps)(?: away| up| out)? (?:from myself|"
            r"so i (?:don't|won't|can't)|because i (?:don't|can't) trust myself|to (?:stay|keep "
            r"myself) safe)\b"
            r"|\bmy (?:blade|razor blade|razor blades|sh kit|self harm kit)\b(?!s)"
            r"|\b(?:have|got|holding|bought|found|took|grabbed) (?:my |the |some |a pack of |"
            r"a box of )?"
            r"(?:\w+'s )?razor blades\b"
        ),
        negation="prefix",
        accident=True,
    ),
    _Rule(
        "self_harm.walls_and_fists",
        SELF_HARM,
        _c(
            r"\b(?:hit|hits|hitting|bang|banged|banging|slam|slammed|slamming|bash|bashed|bashing|"
            r"smash|smashed|smashing|smack|smacked|smacking|whack|whacked|whacking) my (?:head|"
            r"fists?|hands?|face) (?:against|on|into|through) "
            r"(?:the |a )?(?:wall|walls|floor|door|mirror|desk)\b(?= .{0,40}\b(?:until|so hard|"
            r"over "
            r"and over|repeatedly|again and again|bled|bleed|bleeding|bloody|bruised?|split|broke|"
            r"on "
            r"purpose|to punish|to feel|to stop|because i deserve|to cope|to calm (?:down|myself)|"
            r"when(?:ever)? i (?:get|feel|am|'m) (?:\w+ )?(?:overwhelmed|upset|angry|anxious|"
            r"stressed|panicky|mad|frustrated|triggered|spiraling|spiralling|dysregulated)|every "
            r"time i (?:get|feel)|(?:during|in the middle of) (?:a |an |my )?(?:panic|meltdown|"
            r"episode|attack|spiral))\b)"
            r"|\b(?:punch|punched|punching|smash|smashed|smashing) (?:a |the |holes in (?:the|my) |"
            r"through (?:a|the) )?walls?\b(?! (?:of|street)\b)"
            r"|\b(?:until|so hard)(?: that)? my (?:knuckles|hands?|fists?|head) (?:bled|bleed|"
            r"split|"
            r"broke|cracked|bruised|were bleeding|was bleeding)\b"
        ),
        accident=True,
    ),
    _Rule(
        "self_harm.until_it_bleeds",
        SELF_HARM,
        _c(
            r"\b(?:bit|bite|biting|scratch(?:ed|ing)?|pick(?:ed|ing)?|pull(?:ed|ing)?(?: out)?|"
            r"hit(?:ting)?|punch(?:ed|ing)?|dig(?:ging)?|dug|rub(?:bed|bing)?|pinch(?:ed|ing)?|"
            r"squeez(?:e|ed|ing)|cut(?:ting)?|burn(?:ed|t|ing)?|slap(?:ped|ping)?|claw(?:ed|ing)?) "
            r"(?:at )?(?:my|myself)(?: own)?(?: \w+){0,4}?(?: out)? (?:until|till|so hard|so much) "
            r"(?:it|they|i|my \w+|that (?:it|they|i))(?: \w+)? (?:bled|bleeds?|was bleeding|were "
            r"bleeding|started bleeding|bruised|bruises|blistered|broke|split|scarred|was raw)\b"
        ),
        accident=True,
    ),
    _Rule(
        "self_harm.on_purpose",
        SELF_HARM,
        _c(
            r"\b(?:hurt(?:s|ing)?|cut(?:s|ting)?|burn(?:s|ed|t|ing)?|hit(?:s|ting)?|"
            r"slam(?:s|med|ming)?|bang(?:s|ed|ing)?|smash(?:es|ed|ing)?|punch(?:es|ed|ing)?|"
            r"scratch(?:es|ed|ing)?|bit|bites?|biting|stab(?:s|bed|bing)?|slic(?:e|es|ed|ing)|"
            r"broke|break(?:s|ing)?|crush(?:es|ed|ing)?|twist(?:s|ed|ing)?|pinch(?:es|ed|ing)?|"
            r"froze|freez(?:e|es|ing)|scald(?:s|ed|ing)?|shut(?:s|ting)?|jam(?:s|med|ming)?) "
            r"(?:my ?self|my (?:own )?(?:\w+ )?(?:hands?|"
            r"arms?|wrists?|fingers?|legs?|thighs?|skin|head|face|feet|foot|knuckles|stomach|"
            r"body|chest|hips?))\b(?: \S+){0,6}? (?:on purpose|deliberately|intentionally|"
            r"to punish "
            r"myself|to feel (?:something|anything|pain|real|alive|the pain|better|in control)|"
            r"so i (?:can|could|would) feel|because i deserve (?:it|to)|to make (?:it|the thoughts|"
            r"the noise|my head) stop|to stop (?:the thoughts|crying|feeling))\b"
        ),
    ),
    _Rule(
        "self_harm.starving",
        SELF_HARM,
        _c(
            r"\b(?:starv(?:e|ed|ing)|purg(?:e|ed|ing)) my ?self\b(?! to death)"
            r"|\b(?:not eating|stopped eating|haven't eaten|won't eat|skipping meals|skip meals) "
            r"(?:\w+ ){0,4}?(?:as (?:a )?punishment|to punish (?:myself|me)|because i (?:don't "
            r"deserve|deserve))\b"
            r"|\b(?:don't|do not) deserve (?:to eat|food)\b"
            r"|\bstarv(?:e|ing) (?:myself )?(?:until|till) (?:i (?:disappear|die|pass out|collapse|"
            r"waste away)|i'm gone|there's nothing left)\b"
        ),
        negation="prefix",
    ),
    _Rule(
        "self_harm.as_a_habit",
        SELF_HARM,
        _c(
            r"\b(?:the|my) (?:cutting|burning|self harm(?:ing)?)\b(?! (?:board|boards|edge|room|"
            r"tool|tools|mat|class|back|down|of|garden|wood|fire|candle|sensation|smell|question|"
            r"questions|form|section|history|scars?|support|group|awareness))"
            r"|\b(?:cutting|self harm(?:ing)?|hurting myself|burning myself) (?:is|was) the only "
            r"(?:thing|way)\b"
            r"|\bthe only (?:thing|way) (?:that )?(?:helps|works|calms me|makes (?:it|me|"
            r"the pain)) "
            r"(?:\w+ ){0,3}?(?:is|are) (?:cutting|self harm\w*|hurting myself|burning myself)\b"
            r"|\b(?:cutting|self harm(?:ing)?|hurting myself) (?:helps|calms me|makes me feel|"
            r"is how "
            r"i cope|numbs)\b"
        ),
        subject_check=True,
        topic_ok=True,
        accident=True,
    ),
    _Rule(
        "self_harm.deserve_pain",
        SELF_HARM,
        _c(
            r"\b(?:deserve|need|want|have) to (?:feel pain|bleed|see (?:my own )?blood|be hurt|be "
            r"punished|hurt myself)\b"
            r"|\bi deserve (?:the )?(?:pain|to hurt|to suffer|to feel pain)\b"
        ),
        subject_check=True,
        topic_ok=True,
    ),
    _Rule("suicide.mention", SUICIDE, _c(r"\bsuicid\w*\b"), weak=True, subject_check=True),
    _Rule(
        "self_harm.mention",
        SELF_HARM,
        _c(r"\bself (?:harm\w*|injur\w*|mutilat\w*)\b"),
        weak=True,
        subject_check=True,
    ),
    # ---- harm to others --------------------------------------------------------------------
    _Rule(
        "harm_to_others.intent",
        HARM_TO_OTHERS,
        _c(_I_MODALS + r" " + _OTHER_VERBS + r" " + _TARGET + _TARGET_END),
        hyperbole=True,
    ),
    _Rule(
        # A target named by a first name ("gonna stab marcus"): names cannot be listed, so the
        # word after a violent verb is taken as a person unless it is a word for a thing, a time
        # or a pronoun, and only where the clause ends or goes on with a time or a condition.
        "harm_to_others.named_target",
        HARM_TO_OTHERS,
        _c(
            _I_MODALS
            + r" (?:kill(?:ing)?|murder(?:ing)?|stab(?:bing)?|strangl(?:e|ing)|chok(?:e|ing)|"
            r"smother(?:ing)?|poison(?:ing)?|punch(?:ing)?|attack(?:ing)?|hurt(?:ing)?|"
            r"beat(?:ing)? up|run over|running over|slit|shoot(?:ing)?|"
            r"beat(?:ing)? (?:the (?:shit|crap|hell|life|living daylights) )out of) "
            r"(?!(?:it|this|that|these|those|time|everything|something|anything|nothing|myself|"
            r"yourself|himself|herself|themselves|ourselves|me|him|her|them|us|you|some|the|a|an|"
            r"my|your|his|their|our|its|all|both|every|each|any|traffic|calories|fat|weeds|bugs|"
            r"germs|pain|mood|vibe|vibes|tomorrow|today|tonight|later|soon|again|now|first|back|"
            r"off|"
            r"out|up|down|over|in|on|at|to|with|for|by|from|into|hoops|photos|pics|pictures|video|"
            r"videos|footage|film|scenes?|shots?|darts|pool|baskets|arrows|guns|practice|class|"
            r"exam|exams|test|tests|game|games|level|levels|boss|bosses|zombies|monsters|enemies|"
            r"aliens|people|laundry|homework|chores|dishes|workout|cardio|legs|abs|arms|glutes|"
            r"music|lights|engine|power|process|app|tab|server|job|task|list|email|emails|inbox|"
            r"interview|presentation|exams?|finals|competition|record|records|goals?|deadline|"
            r"audition|set|sets|reps|run|race|round|rounds|plants?|mosquitos?|mosquitoes|flies|"
            r"spiders?|ants|roaches|mice|rats?|rabbits|deer|ducks|birds|fish|someone|somebody|"
            r"anyone|everyone|everybody|whoever|whatever|myself|feelings|chances|brain|head|"
            r"knee|back|feet|foot|hand|hands|fingers?|stomach|throat|eyes|ears|mouth|teeth|"
            r"ego|pride|cold|flu|virus|buzz|conversation|budget|debt|bills?|prices?|dinner|lunch|"
            r"breakfast|brunch|food|recipe|meal|snacks?|weekend|week|day|night|morning)\b)"
            r"[a-z]{3,}\b(?!'s)"
            r"(?=\W*$| (?:when|if|tonight|tomorrow|next|after|because|cause|i swear|i mean it|"
            r"so (?:he|she|they) (?:knows?|feels?|learns?|gets?)|until (?:he|she|they)|"
            r"as soon as|the (?:next|moment|second|minute)|once|before|for (?:what|this|that|"
            r"doing|saying|touching|hurting|cheating)|and|at (?:school|work|the)|on (?:monday|"
            r"tuesday|wednesday|thursday|friday|saturday|sunday|sight))\b|,)"
        ),
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.could",
        HARM_TO_OTHERS,
        _c(
            r"\bi(?:'d| could| would)(?: (?:just|really|seriously|literally|honestly))* "
            + _OTHER_VERBS
            + r" "
            + _TARGET
            + _TARGET_END
        ),
        needs_serious=True,
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.fear_of_acting",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:scared|afraid|worried|terrified|frightened|fear) (?:that )?i(?:'ll| will| might|"
            r"| could| may| would) (?:\w+ )?"
            + _OTHER_VERBS
            + r" "
            + _TARGET
            + _TARGET_END
            + r"|\b(?:thoughts?|urges?|images?|impulses?|visions?|fantasies|daydreams?|nightmares?|"
            r"pictures) (?:of|about|to) (?:\w+ )?"
            + _OTHER_VERBS
            + r" "
            + _TARGET
            + _TARGET_END
            + r"|\b(?:urges?|impulses?) (?:of|about|to) (?:throw(?:ing)?|drop(?:ping)?|"
            r"shak(?:e|ing)) (?:him|her|(?:my|the|our) (?:\w+ )?(?:baby|newborn|infant|son|"
            r"daughter|toddler|child|kid))\b"
        ),
        subject_check=True,  # "my sister had thoughts of hurting the baby"
    ),
    _Rule(
        "harm_to_others.want_dead",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:want|wish|need) (?:him|her|them|my \w+(?: \w+)?|that \w+|he|she|they|"
            r"everyone|all of them) (?:was |were |to be |)dead\b"
            r"|\b(?:he|she|they|you|them|those people|people like (?:him|her|them|that)|all of "
            r"them|every (?:one|last one|single one) of them)(?: all| both| really| honestly| "
            r"fucking| just| each)? (?:deserves?|deserve) to (?:die|be dead|be shot|bleed out)\b"
            r"|\b(?:want|wish|need) (?:him|her|them|my \w+(?: \w+)?|that \w+) to (?:suffer|die|"
            r"bleed|"
            r"feel (?:my|the) pain|be in pain|hurt like i do)\b"
        ),
        subject_check=False,
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.weapon",
        HARM_TO_OTHERS,
        _c(
            r"\bshoot(?:ing)? up (?:the|my|a|this|that) (?:\w+ )?(?:school|office|work|workplace|"
            r"place|church|mall|building|party|class|campus|store|job|company|gym|concert|club|bar|"
            r"restaurant|hospital|meeting|synagogue|mosque|temple)\b"
            r"|\b(?:bring|take|bringing|taking|brought|took) (?:a|my|the|his|her|"
            r"their)(?: \w+'?s)? "
            r"(?:gun|knife|rifle|"
            r"weapon|pistol|bomb) (?:to|into) (?:school|work|the office|class|his|her|their|the|"
            r"church|campus)\b"
            r"|\b(?:know|found out) where (?:he|she|they) (?:lives?|sleeps?)\b(?=.*\b(?:gun|knife|"
            r"kill|hurt|pay|sorry))"
            r"|\b(?:rat poison|poison|antifreeze|bleach|weed killer)\b(?: \w+){0,3} (?:for|in|"
            r"into) "
            r"(?:his|her|their|\w+'s) (?:coffee|food|drink|tea|meal|dinner|lunch|water|wine|beer)\b"
        ),
    ),
    _Rule(
        "harm_to_others.intrusive",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:imagin(?:e|es|ed|ing)|pictur(?:e|es|ed|ing)|visuali[sz](?:e|ed|ing)|"
            r"fantasi[sz](?:e|ed|ing) about|dream(?:s|ed|ing|t)? about|obsess(?:ed|ing)? (?:over|"
            r"about)|keep seeing myself|thinking about|think about|what if i|scared i'd|afraid i'd|"
            r"can't stop thinking about|thought about|keep thinking about) (?:\w+ ){0,5}?"
            + _OTHER_VERBS
            + r" "
            + _TARGET
            + _TARGET_END
            + r"|\b(?:fantasi[sz]\w*|daydream\w*) about "
            + _TARGET
            + r" (?:dying|getting hurt|"
            r"getting killed|suffering|being dead|bleeding)\b"
            r"|\b(?:scared|afraid|terrified|worried) of myself (?:around|with|near|alone with)"
            r" (?:my|the|our) (?:baby|newborn|infant|kids?|children|son|daughter|toddler|wife|"
            r"husband|partner|girlfriend|boyfriend)\b"
            r"|\bdon't trust myself (?:around|with|near|alone with) (?:my|the|our) (?:baby|newborn|"
            r"infant|kids?|children|son|daughter|toddler|wife|husband|partner|girlfriend|"
            r"boyfriend)\b"
            r"|\b(?:scared|afraid|worried|terrified|frightened) (?:of )?what i(?:'ll| will| might| "
            r"could| would| may)(?: \w+)? do to " + _TARGET + _TARGET_END
        ),
        negation="prefix",
    ),
    _Rule(
        "harm_to_others.command_voices",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:voices?|something in my head|my head|my brain) (?:\w+ ){0,3}?(?:telling|tell|"
            r"told|"
            r"tells|says|said|saying|ordering|orders|order|wants|want) me to (?:\w+ )?"
            + _OTHER_VERBS
            + r" "
            + _TARGET
            + _TARGET_END
        ),
        negation="prefix",
    ),
    _Rule(
        "harm_to_others.violent_outcome",
        HARM_TO_OTHERS,
        _c(
            r"(?:" + _I_MODALS + r"|\b(?:thoughts?|urges?|images?|impulses?|visions?|fantasies|"
            r"thinking|thought|dreams?) (?:of|about|to)|\b(?:imagin\w+|pictur\w+|what if i|"
            r"scared i'?ll|afraid i'?ll|scared i might|afraid i might|worried i'?ll|"
            r"worried i might|"
            r"or i'll|or i'm going to|before i))(?: \w+)? " + _OTHER_PHRASES
        ),
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.revenge",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:make|making) " + _TARGET + r" (?:pay|suffer|bleed|hurt|beg|regret (?:it|this|"
            r"that|what|ever|"
            r"crossing|messing|hurting|everything|the day|it all|being born))\b(?! (?:for (?:the|a|"
            r"an|my|his|her|their|our|dinner|lunch|"
            r"breakfast|drinks|rent|it|half|gas|parking|the bill)\b|back|rent|half|attention|child "
            r"support))"
            r"|\b(?:he|she|they|he's|she's|they're|you|you're)(?: \w+)? (?:won't|will not|never|"
            r"isn't going to|aren't going to|not going to) (?:even )?(?:see it|"
            r"know what) (?:coming|"
            r"hit (?:him|her|them|you))\b"
        ),
        negation="prefix",  # "he won't see it coming" is not negated
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.revenge_vague",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:he|she|they|you|my \w+)(?:'s|'re| is| are| will|'ll)? (?:\w+ )?(?:going to |"
            r"gonna )?"
            r"(?:get|gets|pay for|regret) (?:what's coming|what (?:he|she|they|you) did|this|it)\b"
            r"|\b(?:he|she|they|you)(?:'ll| will) (?:pay|regret it|be sorry)\b"
            r"|\b(?:revenge|get even|payback) (?:on|with) " + _TARGET + r"\b"
            r"|\bteach (?:him|her|them) a lesson\b"
            r"|\b(?:he|she|they)(?:'s| is|'re| are)? (?:won't|will not|not going to|isn't going to|"
            r"aren't going to|never going to) (?:be (?:able to )?)?(?:walk(?:ing)? away|walk again|"
            r"get up|survive|live through|make it out|see (?:another|tomorrow|the morning|it "
            r"coming))\b(?! (?:from (?:the|this|that|a) (?:deal|job|offer|table|negotiation|"
            r"company)|with)\b)"
            r"|\bnext time (?:i'm not|i won't|i will not|i'm not going to) (?:just )?(?:watching|"
            r"watch|"
            r"talking|talk|walk away|walking away|hold(?:ing)? back|be so nice|stop(?:ping)? there|"
            r"let (?:him|her|them) (?:off|walk away|go))\b"
        ),
        negation="prefix",  # "next time i won't hold back", "he won't walk away"
        hyperbole=True,
        needs_violence=True,
    ),
    _Rule(
        "harm_to_others.weapon_in_conflict",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:bought|buy|buying|got|get|getting|grabbed|grab|grabbing|have|has|loaded|load|"
            r"sharpen(?:ed|ing)?|took|take|taking|brought|bring|bringing|carry(?:ing)?|pack|"
            r"packing|"
            r"packed|hid|hiding|keep|kept|found|pulled|pull) (?:out )?(?:a|the|my|his|her|their|"
            r"\w+'s)(?: \w+'?s)? (?:gun|knife|knives|bat|"
            r"baseball bat|crowbar|machete|axe|hammer|rifle|pistol|shotgun|handgun|weapon|taser|"
            r"brass knuckles)\b"
            r"|\balmost (?:used it|(?:stabbed|shot|killed|strangled|choked|hit|hurt|punched|"
            r"attacked|ran over) " + _TARGET + _TARGET_END + r")"
        ),
        needs_threat=True,
        means=True,
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.stalking",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:i've been|been|i keep|i'm|i was|started|i) (?:\w+ )?(?:following|stalking|"
            r"tracking) " + _TARGET + r" (?:home|to (?:work|school|his|her|their|the)|every|around|"
            r"from|outside|at night|for (?:days|weeks))\b"
            r"|\b(?:watching|hiding|waiting|parked|parking|sitting|sat) (?:outside |near |"
            r"across from )?"
            r"(?:his|her|their|\w+'s) (?:house|place|apartment|window|windows|work|job|office)\b"
            r"(?= .{0,30}\b(?:every (?:night|day)|at night|all night|for hours|again|"
            r"from my car)\b)"
        ),
    ),
    _Rule(
        "harm_to_others.someone_will_get_hurt",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:someone|somebody|people|he|she|they|my \w+)(?:'s| is|'re| are) (?:going to|"
            r"gonna) "
            r"(?:get|end up) (?:hurt|killed|shot|stabbed|dead|seriously hurt)\b(?![^.!?]*\bif\b)"
            r"(?![^.!?]*\b(?:at work|stairs|roads?|ice|fix|safety|careful)\b)"
        ),
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.violent_act",
        HARM_TO_OTHERS,
        _c(
            r"\bi (?:\w+ )?held (?:a|the) pillow (?:over|on|against) (?:his|her|their|\w+'s) "
            r"(?:face|mouth|head)\b"
            r"|\bi (?:\w+ )?(?:pushed|shoved|threw) " + _TARGET + r" (?:down|off|into|out of|"
            r"through|over) (?:the|a) (?:stairs|window|balcony|wall|road|traffic|railing|edge|"
            r"glass|table)\b"
            r"|\bi (?:\w+ )?(?:shoved|hit|slapped|choked|strangled|punched|kicked|beat|attacked|"
            r"threw \w+ at|shook|stabbed|smothered) "
            + _TARGET
            + _TARGET_END
            + r"(?: \w+){0,3}? (?:so hard|hard|again|until|till|today|tonight|last night|yesterday|"
            r"this morning|and (?:i )?(?:want|wanted|liked|almost|can't stop|would|will|might|"
            r"could|"
            r"enjoyed|don't regret))\b"
        ),
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.going_to_them",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:going|go|drive|driving|drove|head|heading|show up|showing up|going over|go over|"
            r"on my way) (?:over )?(?:to )?(?:his|her|their|(?:my |the |that |this )?\w+'s) "
            r"(?:place|house|"
            r"apartment|home|work|job|office|school)\b"
        ),
        needs_violence=True,
        hyperbole=True,
    ),
)


# --------------------------------------------------------------------------------------
# Dampeners and context cues
# --------------------------------------------------------------------------------------

_NEGATOR = _c(
    r"\b(?:not|never|no|nor|without|none|nobody|hardly|barely|neither|stopped|quit|zero)\b|n't\b"
)
# Phrases with a negator that do not negate what follows.
_NOT_NEGATING = _c(
    r"\b(?:can't|cannot|couldn't|won't|don't|didn't) (?:stop|help|quit|shake|get rid of|"
    r"seem to stop|control)\b"
    r"|\b(?:not|never) (?:sure|certain|okay|ok|fine|alright|well|doing (?:well|great|good|ok|"
    r"okay|fine)|coping|safe|able to stop|just|only|because of|even sure)\b"
    r"|\b(?:don't|didn't|doesn't) know(?: (?:if|why|whether|how|what|when))?\b"
    r"|\bno (?:one|matter|idea|way out|reason|point|longer)\b|\bnobody\b"
    r"|\b(?:don't|doesn't) (?:care|matter)\b|\bnot (?:going to|gonna) lie\b|\bwon't lie\b"
    r"|\bnever mind\b|\bcan't wait\b|\bnot anymore\b|\bif not\b|\bcan't (?:sleep|eat|breathe|"
    r"think|focus|cope|handle)\b|\bnot (?:a|the) (?:joke|drill)\b|\bno joke\b"
    r"|\bnot (?:kidding|joking)\b|\bcan't (?:keep|get) (?:these|the|this) thoughts?\b"
    r"|\bwon't go away\b|\bdon't want to be alone\b|\b(?:never|not) felt (?:so|this)\b"
    r"|\bnothing\b|\bnot really sure\b|\bdon't think anyone\b|\bnot even\b"
    r"|\btrying (?:so hard |really hard |my best )?not to\b|\bnot to act on\b"
    r"|\b(?:no|not any)\s+(?:other\s+)?(?:option|choice|way|answer)\s+(?:left\s+)?"
    r"(?:but|except|than)\b"
    r"|\b(?:isn't|is not|wasn't|was not|not) (?:on you|about you|your fault|anyone's fault|"
    r"(?:on|about) anyone)\b"
)
_COMPLEMENT_WORDS = frozenset(
    [
        "think",
        "thought",
        "know",
        "knew",
        "guess",
        "feel",
        "felt",
        "believe",
        "say",
        "said",
        "promise",
        "swear",
        "hope",
        "hoped",
        "wish",
        "mean",
        "suppose",
        "sure",
        "certain",
        "if",
        "that",
        "because",
        "why",
        "how",
        "when",
        "whether",
        "what",
        "so",
        "and",
        "worried",
        "afraid",
        "scared",
        "terrified",
        "fear",
        "sometimes",
        "honestly",
    ]
)
_SCOPE_BREAK = _c(
    r",|;|:|\b(?:and|so|because|cause|then|also|plus|except|yet|while|until|unless)\b"
    # "or" carries a negation on ("no thoughts of self-harm or suicide"), unless a new
    # subject follows ("don't call anyone or i'll do it": cut at "i" anyway)
)
_FIRST_PERSON_START = _c(r"\bi(?:'m|'ve|'d|'ll)?\b")
_FIRST_PERSON_SUBJECT = _c(r"\b(?:i|i'm|i've|i'd|i'll|me|myself)\b")
_FIRST_PERSON = _c(r"\b(?:i|i'm|i've|i'd|i'll|me|myself|my)\b")
_THIRD_PARTY = _c(
    r"\b(?:he|she|they|he's|she's|they're|his|her|their|friend|friends|someone|somebody|"
    r"people|person|who|guy|girl|man|woman|kid|kids|character|characters|celebrity|actor|"
    r"singer|dad|mom|mum|father|mother|brother|sister|cousin|uncle|aunt|son|daughter|husband|"
    r"wife|partner|boyfriend|girlfriend|client|clients|patient|patients|student|students|"
    r"classmate|coworker|colleague|neighbou?r|grandma|grandpa|teen|teens|teenager|teenagers|"
    r"we|you|your|protagonist|narrator|author|rapper|band|victim|victims|roommates?|flatmates?|"
    r"housemates?|bestie|bff|boss|manager|teacher|niece|nephew|grandson|granddaughter|"
    r"step(?:dad|mom|mum|father|mother|son|daughter|brother|sister)|fianc\w*|spouse|ex|"
    r"siblings?|child|children|baby|toddler|parents?|bf|gf|grandmother|grandfather|buddy|"
    r"buddies|mate|pal|"
    r"(?!(?:there|it|that|what|here|who|where|how|life|everything|nothing|everyone)'s)\w+'s)\b"
)
_TOPIC = _c(
    r"\b(?:movie|movies|film|films|show|shows|tv|series|episode|episodes|book|books|novel|"
    r"story|stories|song|songs|lyrics?|album|essay|paper|article|report|podcast|documentary|"
    r"class|course|lecture|seminar|training|research|study|assignment|homework|thesis|"
    r"presentation|video ?game|character|(?<!good )(?<!bad )news(?! is)|awareness|prevention|"
    r"statistics|stats|rates?|"
    r"form|questionnaire|survey|intake|workshop|webinar|volunteer|volunteering|debate|play|"
    r"musical|poem by|quote|meme|memes|tiktok|youtube|reddit|thread|anime|manga|comic|"
    r"scene|chapter|textbook|screening|hotline number for my|(?:awareness|history|pride) month|"
    r"week of|day of|charity|"
    r"fundraiser|walk for|curriculum|policy|guidelines|\d+ reasons why|lab|laboratory|"
    r"toxicolog\w*|pharmacolog\w*)\b"
)
_TOPIC_FRAME = _c(
    r"\b(?:movie|film|show|series|episode|book|novel|story|song|lyrics?|album|essay|paper|"
    r"article|podcast|documentary|class|lecture|research|assignment|thesis|presentation|"
    r"game|character|news|poem|play|scene|chapter|video|post|meme|tiktok)s?\b"
    r"(?:\s+\w+){0,4}?\s+(?:about|called|titled|named|on|where|in which|that (?:says|goes)|"
    r"says|said|goes|like)\b"
    r"|\b(?:the|that) (?:part|bit|scene) (?:about|where|when|with) (?!i\b|i'm\b|me\b|"
    r"my\b)"
)
_THIRD_PARTY_EVENT = _c(
    r"\b(?:died by|died of|committed|lost (?:him|her|them|my \w+|a \w+) to|took (?:his|her|"
    r"their) own life|killed (?:himself|herself|themselves)|(?:his|her|their) suicide|"
    r"(?:he|she|they) (?:self harms?|self harmed|cuts|cut (?:himself|herself|themselves)|"
    r"attempted|tried to|overdosed|is suicidal|was suicidal|are suicidal|were suicidal|"
    r"has been self harming|has been cutting))\b"
    r"|\bself harms\b|\b(?:is|has been|'s been) (?:self harming|cutting|suicidal)\b"
    r"|\bcuts (?:himself|herself|themselves)\b"
)
_QUOTE_OWN = _c(
    r"\bi (?:said|say|told|tell|texted|text|wrote|write|messaged|screamed|yelled|typed|keep "
    r"saying|kept saying|keep thinking|kept thinking|think|thought|keep telling myself|"
    r"told myself|tell myself|whispered|hear myself|heard myself|feel|felt|wonder)\b"
    r"|\bmy (?:head|mind|brain|thoughts) (?:says|keeps saying|tells me|told me)\b"
)
_DISTANT_PAST = _c(
    r"\b(?:years? ago|a few years|many years|long time ago|long ago|decades? ago|"
    r"months ago|last (?:year|summer|winter|spring|fall|autumn|decade)|used to|"
    r"(?:in|from) (?:high school|middle school|college|uni|university|school|my teens|my twenties|"
    r"my 20s|my youth|the past|19\d\d|20[0-2]\d)|when i was (?:younger|a kid|a child|a teen|"
    r"a teenager|little|in (?:high )?school|in college|\d+|young|at uni)|as a (?:kid|child|"
    r"teen|teenager)|back (?:then|when|in)|history of|previously|at (?:age )?\d{1,2}\b|"
    r"once before|growing up|in my past|past attempts?|old (?:scars|habits)|"
    r"(?:it's|it has|has|it) been (?:\w+ ){0,2}(?:years?|months?) since|"
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|several|many|a few) "
    r"(?:years?|months?) (?:free|clean|sober|without|strong)|"
    # a story told about the past: "looking back", "the time i wanted to die"
    r"looking back|the time (?:when )?i|i remember (?:when|the time|how|being)|remember "
    r"(?:when|the time) i|(?:my|the) old (?:depression|self|life|days|me)|"
    r"the (?:year|summer|winter|spring|fall|month|months|years) (?:after|before|when|that)|"
    r"(?:during|in) (?:that|those) (?:year|years|time|period|days|months)|at the time|"
    r"(?:my )?(?:last|latest|previous|most recent) (?:\w+ ){0,2}(?:relapse|attempt|episode) "
    r"(?:was|happened)|"
    # therapy talk about how it began: "when i first came in", "the thoughts i came in with"
    r"when i (?:first )?(?:came (?:in|here|to (?:you|see you|this practice|the practice|"
    r"the clinic|this country|the group))|started(?: (?:here|therapy|treatment|coming|seeing "
    r"you|with you|the (?:programme|program|group|course)|them|it))?|arrived|began|first "
    r"(?:met you|saw you))|i came (?:in|here|to (?:you|see you|the practice|this practice)) "
    r"(?:with|after|because)|started (?:coming|seeing you) (?:after|because)|"
    r"back (?:after|before|during)|(?:in|of|during|throughout) (?:19\d\d|20[0-2]\d)|"
    r"in (?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december) i (?:was|had|tried|wanted|thought|felt|used|spent)|"
    r"(?:in|during) my (?:\w+ ){0,2}(?:year|years|semester|term) (?:of|at|in) (?:\w+ )?"
    r"(?:school|college|uni|university)|"
    r"the (?:night|day|time|week|morning|evening|weekend|month|year) (?:when |that )?i "
    r"(?:was|tried|almost|nearly|wanted|planned|attempted|went|took|did)|"
    r"survivor of (?:a|an|my) (?:suicide )?(?:attempt|overdose)|long recovered|"
    r"distant memory|when my (?:\w+ )?(?:was born|was a baby)|(?:in|during) the war|"
    r"my old (?:goodbye |suicide )?(?:notes?|letters?)|"
    r"(?:years?|months?) since (?:my|i) last|"
    r"(?:the )?(?:first|last) time i \w+(?: \w+){0,2} was (?:\d{1,2}|in (?:19|20)\d\d|\w+ "
    r"(?:years?|months?) ago))\b"
)
# "five years since i put a gun to my head": the cue is what the years are counted from (no
# "and" or "but" between: "two months since my last session and i want to die" is now).
_SINCE_THEN = _c(
    r"\b(?:years?|months?|decades?) since (?:i|my|the (?:day|night) i)\b"
    r"(?:(?!\b(?:and|but|so|now|yet)\b)[^,;])*$"
)
# "three years ago today", "a year ago this week", "around this time last year": the date of
# an anniversary, not the present.
_ANNIVERSARY_DATE = _c(
    r"\b(?:ago|since) (?:today|this (?:week|month|morning))\b"
    r"|\b(?:around|about) this time\b|\bat this time (?:last year|of (?:the )?year|\w+ years? "
    r"ago)\b|\b(?:this (?:week|month)|today|tonight) marks\b"
    r"|\blast year (?:around|about|at) this time\b"
)
# "after 8 months clean", "for a year": how long a streak lasted, said of a relapse that
# happened now; it does not make the relapse itself history.
_STREAK = _c(
    r"\b(?:after|for) (?:over |almost |nearly |about |like )?(?:\d+|a|an|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|eleven|twelve|several|many|a few|a couple of?) (?:whole )?"
    r"(?:days?|weeks?|months?|years?)(?: (?:clean|free|sober|strong|of (?:being )?(?:clean|"
    r"free|sober)|without (?:\w+ )?(?:self harm\w*|cutting|it)))?\b"
    r"|\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) "
    r"(?:day|week|month|year) (?:streak|clean streak)\b"
    r"|\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|"
    r"a few) (?:days?|weeks?|months?|years?) (?:clean|free|sober)\b"
    r"(?=.{0,60}\b(?:relapsed|slipped|broke it|caved|gave in)\b)"
)
_PAST_FRAME = _c(
    r"\b(?:used to|back when|back then|when i was (?:younger|a kid|a child|a teen|"
    r"a teenager|little|in (?:high |middle )?school|in college)|(?:\d+|a few|many|several|two|"
    r"three) "
    r"years ago)\b"
)
# A streak kept: "it's been 200 days since i self harmed" (with nothing recent in the clause).
_STREAK_KEPT = _c(
    r"\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|many|several) (?:days?|"
    r"weeks?|months?|years?) since\s+(?:i|my)\b"
)
# ... and then not: "been 3 years since i self harmed and i just did".
_STREAK_BROKEN = _c(
    r"\b(?:and|but|until|till|then)\b(?: [\w']+){0,3}? (?:did|done|again|relapsed|slipped|caved|"
    r"gave in|cut|burned|burnt|happened|today|tonight|yesterday)\b"
)
_RECENT = _c(
    r"\b(?:again|right now|tonight|today|this (?:morning|afternoon|evening|week)|last night|"
    r"yesterday|still(?! (?:here|alive|standing|breathing|around))|currently|lately|"
    r"these days|recently|at the moment|anymore|this weekend|"
    r"an hour ago|minutes ago|just now|earlier)\b"
    r"|\b(?:i'm|i am) (?:going to|about to|planning (?:to|on))\b|\bi plan to\b"
    r"|\b(?:for|in) the (?:last|past) (?:hour|few hours|\d+ (?:minutes|hours))\b"
    # the present, next to the past: "i keep looking at the pills", "i'm right back there"
    r"|\bi keep (?:looking|thinking|wanting|staring|getting|having|going back|checking|"
    r"hearing|feeling|picturing|imagining|googling|researching|planning|counting|holding)\b"
    r"|\b(?:i can't stop|i'm starting|i've started|i'm (?:right )?back (?:there|to|in|where)|"
    r"right back (?:there|to|in|where)|(?:it's|they're|it is|they are) back|this time|"
    r"back (?:in|to) (?:that|the)(?: same)? (?:place|headspace|hole|spot|darkness))\b"
)
_RECOVERY = _c(
    r"\b(?:doing (?:so |much |a lot |way )?better|feel(?:ing)? (?:so |much |a lot |way )?"
    r"better|better now|clean (?:for|since|from)|\d+ (?:days?|weeks?|months?|years?) clean|"
    r"in recovery|recovered|recovering|haven't (?:\w+ ){0,3}since|no longer|stable now|"
    r"proud of (?:myself|how far)|made it through|got through|survived|glad (?:i'm|i am) "
    r"(?:still )?(?:here|alive)|grateful to be (?:alive|here)|anniversary|milestone|"
    r"in a (?:much )?better place|healed|healing|past that|behind me|over it now|"
    r"haven't (?:done|felt|had|thought) (?:it|that|those|this)(?: \w+){0,2} (?:in|for|since)|"
    r"things are (?:much |a lot )?better|stopped|nothing since|none since|"
    r"far from where i was|(?:come|came) a long way|how far i've come|"
    r"(?:getting|got|gotten) me (?:here|through)|feel(?:ing)? (?:so |much |a lot )?lighter|"
    r"(?:much |a lot |way )?better (?:spot|headspace|place)|"
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|several|many|a few) "
    r"(?:days?|weeks?|months?|years?) (?:strong|free))\b"
)
_RELAPSE = _c(
    r"\b(?:again|relaps(?:e|ed|ing)|(?:are|is|came|(?<!i'm )(?<!i am )coming|have come|has come|"
    r"'s come|'ve come|been coming|has all come|'s all come|have all come) back|returned|"
    # "a returning client" comes back to therapy, not to the thoughts
    r"returning(?! (?:client|patient|customer|member|to (?:therapy|you|the practice|sessions?|"
    r"work|school)))|"
    r"started (?:cutting|again|to come back)|back to (?:cutting|square one|how it was)|"
    r"(?:i'm|i am) back (?:doing it|to doing it|at it)|"
    r"(?:been|i'm|i am) back (?:at|on) the (?:bridge|ledge|tracks|cliff|roof|"
    r"rooftop|edge))\b"
    r"|(?:'re|'s) back\b(?! (?:to (?:work|school|normal|the|my|our)|from|home|at|in|on|with|"
    r"together|up)\b)"
)
_RELAPSE_NEGATED = _c(
    r"\b(?:haven't|not|never|without|no|don't|won't|didn't) (?:\w+ )?(?:again|relaps\w*|"
    r"come back|came back)\b|\bnever again\b"
)
_JOKE = _c(
    r"\b(?:lol|lols|lmao|lmfao|rofl|haha\w*|hehe\w*|jk|j/k|just kidding|kidding|jokes?|"
    r"joking|xd)\b|[\U0001f602\U0001f923\U0001f606\U0001f61c\U0001f92a\U0001f480]"
)
_SERIOUS = _c(
    r"\b(?:i mean it|i mean that|i really mean it|not exaggerating|no exaggeration|"
    r"i'm serious|i am serious|not (?:even )?joking|not (?:even )?kidding|"
    r"no joke|not a joke|for real|seriously|dead serious|i swear|i'm not playing|"
    r"i really will|i will do it|i'll do it|not (?:even )?lol|(?:actually |really )?not jk)\b"
)
_SERIOUS_WITHOUT_JOKE = _c(
    r"\bnot (?:even )?(?:joking|kidding|lol|jk)\b|\bno joke\b|\bnot a joke\b"
)
_TRIVIAL = _c(
    r"\b(?:if i have to|if (?:he|she|they|you|this|that|my \w+) (?:\w+ ){0,4}(?:again|one more "
    r"time)|exam|test|quiz|class|homework|meeting|meetings|traffic|work|song|episode|game|"
    r"match|presentation|math|monday|mondays|hangover|cringe|embarrass\w*|spoil\w*|spoilers?|"
    r"ate my|eats my|finished my|took my|borrowed my|annoying|annoyed|snor\w+|chew\w+|dishes|"
    r"leftovers|fries|pizza|finale|ending(?! (?:it|things|everything|my|this|all|tonight|soon))|"
    r"wifi|printer|queue|line|group chat|group project|"
    r"so embarrassing|mortified|awkward|autocorrect|typo|deadline|report card|chess|cards|"
    r"poker|golf|scrabble|monopoly|fortnite|mario ?kart|minecraft|call of duty|video games?|"
    r"final boss|boss fight|boss level|raid|paintball|laser tag|airsoft|nerf|water guns?|"
    r"water balloons?|snowball fight|dodgeball|"
    r"board games?|pickleball|surprise|gift|propos\w*|printer|laptop|spreadsheet|semester|"
    r"finals|essay|taxes|laundry|chores?|cleaning|meme|by accident|accidentally sent|wrong "
    r"(?:person|chat|email|number|group)|reply all|replied all)\b"
)
_ACCIDENT = _c(
    r"\b(?:accident\w*|by mistake|cooking|chopping|slicing (?:\w+ )?(?:onions|bread|veg\w*)|"
    r"shaving|shaver|shave|legs smooth|baking|stove|oven|pan|kettle|iron|curling|straightener|"
    r"hair dryer|gym|workout|"
    r"working out|lifting|(?<!bath )(?<!water )(?<!tap )(?<!shower )(?<!tub )"
    r"running(?! (?:late|behind|errands|out|low|a bit|\d))|jogging|"
    r"playing|practice|skiing|snowboarding|hiking|"
    r"biking|cycling|climbing|football|soccer|basketball|tennis|"
    r"fell(?! off the wagon| through)|fall|falling|tripped|"
    r"kitchen|mandoline|grater|peeler|broken glass|thorns?|rose ?bush\w*|woodworking|"
    r"surgery|incision|procedure|biopsy|(?:broke|broken|dropped|shattered) (?:a |the )?"
    r"(?:\w+ )?glass|hot (?:car|seat|pan|water|oil|coffee|tea|plate|"
    r"stove|metal|sand)|car seat|seatbelt|sand|pavement|clumsy|oops|"
    r"carpentry|the knife slipped|knife slipped|scraped|bumped|stubbed|cat|kitten|puppy|"
    r"slipped|sprain\w*|twisted|paper cut|on (?:a|the) (?:\w+ )?(?:knife|glass|can|paper|counter|"
    r"door|corner|table|edge|fence|nail)|opening|doing (?:the )?dishes|gardening|moving|"
    r"carrying|sports?|yoga|dance|dancing|surfing|skating|at work|the doctor said|"
    r"ice(?! cubes?)(?<!holding ice)|stairs|sunburn\w*|sun|safety razor|razor handle|beard|"
    r"crafts?|crafting|scrapbook\w*|"
    r"box cutter at work|utility knife)\b"
)
# "won't be alive", "won't be breathing": no trip or move explains that away.
_NOT_ALIVE = _c(r"\b(?:alive|breathing)\b")
_ON_PURPOSE = _c(
    r"\b(?:on purpose|deliberately|intentionally|to feel something|to cope|"
    # Self-harm said as a habit or a pull, not a mishap: "it felt like relief", "the blade
    # against my wrist", "getting deeper", "i can't stop".
    r"relief|urges?|wrists?|deeper|hide it|hiding (?:it|them|the)|can't (?:seem to )?stop|"
    r"every night|felt good|relaps\w*|see the (?:marks|cuts|burns|scars|wounds)|"
    # Wanting to is no mishap: "i want to burn myself with the iron so badly".
    r"(?:want|wanted|need|needed|going|planning|tempted|about) to (?:\w+ )?(?:hurt|cut|burn|"
    r"harm|scratch|hit|punish) my ?self|so badly)\b"
)
_ABSENCE_BENIGN = _c(
    r"\b(?:vacation|holiday|holidays|trip|travel\w*|out of town|away|abroad|conference|flight|"
    r"flying|moving|moved|visiting|camping|surgery|dentist|doctor|work|working|wedding|"
    r"funeral|sick|family|hospital stay|business|retreat|festival|concert|exam|exams|shift|"
    r"reschedule|cancel\w*|no signal|no wifi|offline|off the grid|phone|reception|course|"
    r"training|jury duty|overseas|internship|honeymoon|birthday|kids|school|college|army|"
    r"military|navy|deploy\w*|basic training|boot camp|rehab|residential|inpatient|program|"
    r"for a (?:while|bit|few (?:days|weeks))|be back|back on|retreat|relocat\w*|new job)\b"
)
_SCHEDULE_BENIGN = _c(
    r"\b(?:better|moving|moved|reschedul\w*|cancel\w*|insurance|another (?:therapist|provider|"
    r"clinician|counsel\w*)|new therapist|vacation|holiday|trip|travel\w*|out of town|sick|"
    r"ill|flu|covid|work|job|exam|doctor|dentist|surgery|childcare|babysitter|car|weather|snow|"
    r"conflict|busy|wedding|funeral|family emergency|going well|discharged|finished|"
    r"graduat\w*|ending therapy|done with therapy|goals|progress|improv\w*|taking a break|"
    r"pause|afford|cost|money|budget|switch\w*|transfer\w*|referr\w*|group(?! chat)|in person|"
    r"video|online|telehealth|booked|book|time|date|slot|instead|until|after|next month|"
    r"doing (?:great|well|fine|good)|feeling (?:great|good|fine))\b"
)
# Ordinary scheduling, for the learned tier's "everyday_or_scheduling" block
# (learned_tier_blocked): a named appointment or a cancellation, with a near time or an
# ordinary reason. Tighter than _SCHEDULE_BENIGN, which names "after", "time", "until".
_SCHEDULING_ACT = _c(
    r"\b(?:appointments?|appts?|sessions?|group|therapy|visit|cancel\w*|reschedul\w*|"
    r"make it|telehealth|video (?:call|session)|zoom|book(?:ing)? (?:again|another|a new|a)|"
    r"rebook\w*|skip (?:this|next|the|my|\w+day)|rain ?check)\b"
)
_SCHEDULING_WHEN = _c(
    r"\b(?:today|tonight|tomorrow|tmrw|tmr|(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"mon|tue|tues|wed|thu|thurs|fri|sat|sun|(?:this|next) (?:week|morning|afternoon|"
    r"evening)|\d{1,2}(?::\d\d)? ?(?:am|pm)|\d{1,2}:\d\d|o'clock)\b"
)
_SCHEDULING_REASON = _c(
    r"\b(?:sick|fever|flu|work|office|kids?|car|weather|travel\w*|a cold|covid|migraine|"
    r"headache|stomach (?:bug|flu|virus)|infection|strep|vertigo|pink eye|virus|cough\w*|"
    r"sore throat|dentist|antibiotics|snow day|babysitter|childcare|daycare|flight|delayed|"
    r"traffic)\b"
)
# Not ordinary scheduling, whatever the rules made of the rest: risk words or a cancellation
# that is final ("or any day", "by then it'll be over", "don't reschedule"). Not the "note" or
# "letter" of _RISK_CONTEXT: a note for school is scheduling.
_SCHEDULING_FINAL = _c(
    r"\b(?:die|dead|death|dying|suicid\w*|kill\w*|end (?:it|things)|ending (?:it|things)|pills|"
    r"overdos\w*|bridge|rope|gun|blade|razor|alive|goodbye|my life|noose|no way out|burden|"
    r"can't go on|better off|(?:bad|dark) place|not safe|unsafe|keep myself safe|hopeless|"
    r"attempt\w*|everything(?:'s| is) (?:ready|set|in place|sorted|arranged)|"
    r"permanently|for good|forever|or (?:any|every) (?:\w+ )?(?:day|after|other|week)|"
    r"and every (?:\w+ )?after|"
    r"(?:now|today|this week) or ever|any (?:after|more after) (?:that|this)|"
    r"(?:it|everything|all of (?:it|this))(?:'ll| will) be over|won't matter|doesn't matter|"
    r"(?:don't|do not|no point|don't bother) (?:to )?reschedul\w*|close my file|"
    r"don't bother (?:booking|scheduling|rebooking|putting me|with (?:me|the|my))|"
    r"this world|(?:won't|will not) be (?:a|any) (?:me|one|anyone|more)|went through with|"
    r"go(?:ing)? through with|(?:after|past) (?:tonight|tomorrow|today|this weekend|friday|"
    r"saturday|sunday|monday|tuesday|wednesday|thursday)|(?:i've|i have) decided(?=\s*[.!]|$)|"
    r"made (?:up )?my (?:mind|decision))\b"
)
_MEDS_ROUTINE = _c(
    r"\b(?:forgot|forget|forgetting|remember|remembered|reminder|remind|refill|refilled|"
    r"pharmacy|pharmacist|as prescribed|prescribed|on time|with food|with (?:breakfast|lunch|"
    r"dinner)|side effects|dosage|daily|every (?:day|morning|night|evening)|each (?:day|"
    r"morning|night)|schedule|routine|doctor (?:said|says|told)|morning|evening|bedtime|"
    r"pill (?:box|organi[sz]er)|organi[sz]er|weekly|antibiotics|course of|in order|supposed to|"
    r"taper\w*|doc said|like the doc\w*|as directed|directed|so i don't forget|"
    r"ready for pick ?up|ready to (?:be )?pick(?:ed)? up|pickup|"
    # disposal, as of old bottles saved for a pharmacy take-back day
    r"take ?back|disposal|dispose|dispos(?:ed|ing) of)\b"
)
# A means that is no medication: a medication routine ("every morning") does not explain it.
_NOT_MEDS = _c(
    r"\b(?:rope|noose|hang\w*|hung|jump\w*|bridge|cliff|ledge|rooftop|train tracks|"
    r"guns?|rifle|pistol|shotgun|handgun|revolver|firearm|hose)\b"
)
_MEDS_DANGER = _c(
    r"\b(?:at once|at the same time|in one go|all together|altogether|the whole bottle|to end|"
    r"so i (?:don't|won't|can't|never) (?:wake|have to|feel|exist|live|come back|suffer)|"
    r"so i can (?:die|sleep forever|end it|go)|and (?:never|not) wake|to die|to sleep forever|"
    r"enough to|overdos\w*|intention of|with (?:vodka|alcohol|wine|whiskey)|"
    # "ready", but not a pharmacy's "ready for pickup"
    r"ready(?! (?:for pick ?up|for pickup|to (?:be )?pick(?:ed)? up))|early so|"
    r"you know (?:why|what "
    r"for)|so i'd have (?:extra|enough|more)|"
    # More than prescribed, to be numb: "took more than i'm supposed to, just to feel nothing".
    r"more (?:\w+ ){0,4}than (?:i'm|i am|i was|i should|i'm supposed|prescribed|i'm meant)|"
    r"doubled? up|double (?:dose|doses|the dose)|(?:feel|be|go) numb|feel nothing|"
    r"stop feeling|(?:be|get) out of it|unconscious|knock (?:my ?self )?out|"
    r"go (?:quiet|away)|to (?:not|never) feel|on purpose|deliberately|all (?:of )?(?:my|the) "
    r"(?:\w+ )?(?:pills|meds|tablets) (?:tonight|now|at once)|(?:a|my|the) collection|"
    r"counting them|been counting|"
    r"saved up|saving (?:them|up)|stockpil\w*|hoard\w*|holding (?:the|my) (?:pills|bottle))\b"
)
_FINALITY = _c(
    r"\b(?:goodbye|good bye|bye|farewell|i'm sorry|i am sorry|sorry for everything|"
    r"forgive me|take care of|won't (?:be|need|see|hear|have to)|last|final|tell my|"
    r"not your fault|i love you all|remember me|i'm done|i am done|i'm ready|it's time|"
    r"at peace|peace now|gone|forever|no longer|end it|the end|anymore|for trying|"
    r"you did (?:everything|all) you could|couldn't be saved|my time)\b"
)
_NOT_FINAL = _c(
    r"\b(?:(?<!won't )(?<!never )(?<!not )(?<!can't )see you|next (?:week|session|time|month|"
    r"appointment)|until next|looking forward|"
    r"tomorrow's session|can't wait|talk soon|see ya|this week's session|our session on)\b"
)
_SCREENING = _c(
    r"\b(?:asked|asks|asking|ask) (?:me |us )?(?:(?:on|in) (?:the|a|my|your) \w+ )?(?:if|whether|"
    r"about|how often)\b"
    r"|\b(?:screen(?:ed|ing)? for|questions? about|the question (?:about|on)|checklist)\b"
)
_AFFIRM = _c(
    r"\b(?:i said yes|i told (?:her|him|them) yes|honestly(?:,)? yes|and i do|and i have|"
    r"i lied|the answer is yes|the truth is i|truthfully i|but i do)\b"
)
_SAFETY_PLAN = _c(
    r"\b(?:if i (?:ever|start|get|begin|notice|feel|have)|in case i|what (?:should|do) i do "
    r"if i|should i ever)\b"
)
_SAFETY_ACTION = _c(
    r"\b(?:call|text|reach out|contact|tell you|let you know|safety plan|go to the (?:er|"
    r"hospital|emergency)|988|999|911|111|crisis line|hotline|what to do)\b"
)
_RISK_CONTEXT = _c(
    r"\b(?:die|dead|death|dying|suicid\w*|kill|end it|end things|pills|overdose|bridge|rope|"
    r"gun|blade|razor|alive|goodbye|note|myself|my life|hurt|noose|over soon|no way out|"
    r"burden|can't go on|better off|cut|pain will stop|bad place|dark place|not safe|unsafe|"
    r"how and when|when and how|how and where|where and how|when and where|know how|goodbye|"
    r"last time|note|letters?|hopeless|"
    r"(?:when|while) (?:my \w+|everyone|everybody|no one|nobody|they|he|she|the house)(?:'s|'re|"
    r" is|"
    r" are) (?:away|gone|asleep|out|at work|not home|out of town|empty)|when i'm alone|"
    r"(?:after|when|once|while) (?:everyone|everybody|they|my \w+|the house) (?:goes|go|has gone|"
    r"have gone|falls|fall|is|are|'s|'re) (?:to bed|to sleep|asleep|out|away|gone|at work)|"
    r"home alone|alone tonight|(?:scared|afraid|terrified|frightened)(?: of myself| of what i"
    r"(?:'ll| might| could| will)?(?: do)?| to be alone)?(?=\s*(?:[.!?\n,]|$))|"
    r"everything(?:'s| is) (?:ready|"
    r"set|in place|sorted|arranged|prepared)|(?:i'm|i am) (?:right )?(?:back )?there again|"
    r"right back there|back (?:in|to) (?:that|the)(?: same)? (?:place|headspace|hole|spot)|dark "
    r"(?:period|time|patch|phase|spell|days)|attempt\w*|overdos\w*|you know (?:why|what for)|"
    r"burning|burn myself|self harm\w*|cutting|gave away|giving away|railing|tracks|"
    r"i know (?:exactly )?what (?:it's|it is|they're|they are|this is) for)\b"
)
_DENIAL_ANSWER = _c(
    r"^(?:no|none|nope|never|not really|not at all|nah|definitely not|absolutely not|"
    r"of course not|god no|no way|not anymore|n/a)\b"
)
_POST_DENIAL = _c(
    r"^\s*[:?\-]?\s*(?:no(?! more| longer)|none|nope|never|not really|not at all|nah)\b"
)
# A goodbye that is final: "bye" alone is not enough.
_ENDING = _c(
    r"\b(?:sorry for (?:everything|wasting|being (?:such|a|so)|all (?:the|of)|the trouble)|"
    r"i'm sorry i (?:couldn't|can't|wasn't|failed|let|never)|forgive me|not (?:your|their|"
    r"anyone's) fault|at peace|(?:i'm|i am) done(?: now)?(?=\s*(?:[.!?\n]|$))|before i go|"
    r"(?:the )?last (?:thing|message|time i|words)|for the last time|the only (?:one|person) who|"
    r"thank you for (?:everything|trying|all you(?:'ve)? done|all your help|never giving up)|"
    r"thanks for (?:everything|trying)|i love you all|love (?:you|u) (?:all|guys|everyone)|"
    r"my last (?:night|day|text|message)|tell (?:them|my \w+|everyone|"
    r"everybody)|take care of|look after|my decision|be helped|don't try to|couldn't keep going|"
    r"wasting your time|won't be a next time|letters|remember me|won't (?:see|hear from) me|"
    r"forever|for good|it's time|my time has come|i'm ready|don't bother (?:rescheduling|calling|"
    r"trying)|said (?:everything|all) i (?:needed|wanted) to say|turned off (?:my )?location|"
    r"won't (?:be )?need(?:ing)? (?:them|it|"
    r"any of (?:them|it)|these|those|anything)|take care of yourself|(?:it's|it is) better "
    r"(?:for everyone )?this way)\b"
)
# Ordinary reasons to say goodbye to a practice, or to stop coming.
_FAREWELL_BENIGN = _c(
    r"\b(?:moving|moved|relocat\w*|new (?:job|city|state|therapist|provider|clinician|practice)|"
    r"another (?:therapist|provider|practice|clinician|counsel\w*)|switch\w*|transfer\w*|"
    r"new insurance|insurance (?:changed|ran out|ends|won't cover|doesn't cover)|out of network|"
    r"graduat\w*|finished (?:therapy|treatment|our work)|done with therapy|ending "
    r"therapy|end of (?:therapy|treatment)|termination|discharged|deploy\w*|study abroad|"
    r"retir\w*|maternity|paternity|vacation|holiday|trip|see you|next (?:week|session|time|month|"
    r"appointment)|talk soon|feeling (?:so much |much |a lot )?better|doing (?:so much |much |"
    r"a lot )?better|doing (?:great|well)|good place|met (?:my|our) goals|passed away|put down|"
    r"vet|euthan\w*|rainbow bridge|rehom\w*|flight|airport|boarding|plane|leaving for|"
    r"old (?:clothes|stuff|things|books|toys|furniture|"
    r"laptop|phone)|outgrown|declutter\w*|spring cleaning|garage sale|yard sale|baby clothes|"
    r"wrap(?:ping)? up (?:our |my |the )?(?:sessions?|therapy|treatment|work)|finish(?:ing)? "
    r"(?:therapy|treatment|our sessions)|(?:do|handle|manage) (?:this|things|it) on my own|"
    r"(?:stop|stopping|end|ending|pause|pausing) (?:our |my |the )?(?:sessions|therapy|"
    r"treatment)|(?:since|after) the move)\b"
)
_PERMANENT_REASON = _c(
    r"\b(?:moving|moved|relocat\w*|new (?:job|city|state|therapist|provider|clinician|practice)|"
    r"another (?:therapist|provider|practice|clinician|counsel\w*)|switch\w*|transfer\w*|"
    r"new insurance|insurance (?:changed|ran out|ends|won't cover|doesn't cover)|out of network|"
    r"graduat\w*|finished (?:therapy|treatment|our work)|done with therapy|ending "
    r"therapy|end of (?:therapy|treatment)|termination|discharged|deploy\w*|study abroad|"
    r"retir\w*|leaving (?:the|this) (?:area|city|state|country|job|company|practice)|out of "
    r"(?:state|the country)|feeling (?:so much |much |a lot )?better|doing (?:so much |much |"
    r"a lot )?better|doing (?:great|well)|good place|met (?:my|our) goals|can't afford|"
    r"quit(?:ting)? my job|"
    r"new position|lease)\b"
)
# Threat and conflict cues for harm to others, and weapons.
_THREAT = _c(
    r"\b(?:won't see it coming|pay for what|what (?:he|she|they) did to me|what's coming|"
    r"know where (?:he|she|they|my \w+) "
    r"(?:lives?|sleeps?|works?|parks?)|for good|once and for all|end(?:ing)? (?:this|it|him|her|"
    r"them)|settle (?:this|it|things|the score)|finish (?:this|it|him|her|them)|teach (?:him|her|"
    r"them) a lesson|(?:him|her|them) i mean|revenge|payback|get even|hurt|kill|stab|shoot|"
    r"make (?:him|her|them)|deserves? (?:it|to die|what's coming)|following (?:him|her|them)|"
    r"next time (?:i'm not|i won't)|i swear|go after|going after|"
    r"(?:have|got|found|know|looked up) (?:his|her|their) (?:address|schedule|route)|"
    r"(?:going to|will|i'll|gonna|want to) (?:find|track down|hunt down|get|catch) (?:him|her|"
    r"them)|(?:to|and) (?:deal with|take care of|handle|settle things with|use (?:it )?on) "
    r"(?:him|her|them|the (?:\w+ )?(?:guy|man|woman|person|people)|that (?:guy|man|woman|\w+))|"
    r"make (?:it|that|this) happen|make sure (?:it|that) happens|beat(?:ing)? (?:the (?:shit|"
    r"crap|hell|life|living daylights) )out of)\b"
)
_CONFLICT = _c(
    r"\b(?:fight|fought|fighting|argument|argued|arguing|angry|furious|rage|raging|enraged|hate "
    r"(?:him|her|them|my \w+)|pissed|threatened|threatening|screaming at|yelling at|cheated|"
    r"abus\w*|restraining order|custody|screamed at|yelled at|hit me|hurt me|slapped me|"
    r"grabbed me|pushed me|attacked me|humiliated|mess(?:es|ing)? with (?:me|my)|one more "
    r"(?:person|time)|pushes me|bully|bullies|bullied|bullying|assault\w*|raped|rapist|"
    r"molest\w*|abused me|stalked me|stalking me|beat me|beats me)\b"
)
_WEAPON = _c(
    r"\b(?:gun|guns|knife|knives|bat|crowbar|machete|axe|hammer|rifle|pistol|shotgun|handgun|"
    r"weapon|taser|brass knuckles|blade)\b"
)
_MEANS_BENIGN = _c(
    r"\b(?:hunting(?! (?:rifle|gun|knife|shotgun))|hunt|hunted|hunter|hunts|the range|"
    r"shooting range|deer|season|target practice|safety course|"
    r"cooking|kitchen(?! knife| knives)|knife set|chef|carpentry|woodworking|baseball|softball|"
    r"little league|league|"
    r"batting|camping|collection|steak|cutting board|traffic|stuck|running late|omw|on my way|"
    r"commute|toll|photos?|pictures?|the view|sunset|sunrise|fishing|picnic|tour|jog|jogging|"
    r"bike ride|festival|fireworks|selfie|construction|detour|fixing|repair\w*|gutters|"
    r"climbing(?! (?:back )?over)|tent|boat|sailing|clothesline|hammock|tarp|tie down|"
    r"security guard|police|"
    r"officer|license|permit|"
    r"shingles|inspection)\b"
)
# "if he touches her again": the condition is serious, not a pet peeve.
_PROVOKED = _c(
    r"\bif (?:he|she|they|my \w+|\w+) (?:\w+ ){0,2}?(?:touches|touch|hurts|hurt|hits|hit|comes "
    r"near|come near|shows up|show up|goes near|threatens|lays a hand|lay a hand|comes back|"
    r"puts (?:his|her) hands)\b"
)
_RETRACT = _c(
    r"^(?:i |and i )?(?:won't|wouldn't|will not|would never|'d never|never would|'m not going to|"
    r"am not going to|i'm not going to|not going to|never will|obviously won't)\b(?:\W*$|,| "
    r"(?:actually|really|ever|do (?:it|that|anything))\b)"
    r"|^(?:i'm |i am |just |i was just )?venting\b"
)
_RETRACT_WORDS = _c(
    r"^(?:i (?:was|am|'m) |i'm |just |only |i was only |i was just )?(?:exaggerating|kidding|"
    r"joking|"
    r"being dramatic|being sarcastic|joke|jk|(?:that was|it's|it was) (?:a |just a )?joke)\b"
    r"|^(?:but )?not (?:for|like) (?:that|that reason|those reasons|the reason you think)\W*$"
    r"|^i (?:didn't|don't) (?:really |actually )?mean "
    r"(?:it|that)\b|^(?:i )?(?:wasn't|was not|am not|i'm not) (?:being )?serious\b"
)
# A reassurance taken half back in a sentence of its own: "i'm not going to do anything.
# probably.", "i'll close it in a minute. or not.", "i'm fine. i think."
_HEDGE = _c(
    r"(?:^|[.!?,]\s*)(?:or not|probably|maybe|i think|i guess|i hope|hopefully|we'll see|"
    r"or maybe not|probably not|not sure)\W*(?:$|\n)"
)
_GROUP_TARGET = _c(
    r"\b(?:everyone|everybody|all of (?:them|you)|them all|people|classmates|coworkers|"
    r"the (?:whole )?(?:class|school|office|team))\b"
)
_SEVERE = _c(
    r"\b(?:stab\w*|shoot\w*|shot|poison\w*|slit\w*|run \w+ over|running \w+ over|run over|"
    r"drown\w*|smother\w*|suffocat\w*|tortur\w*|burn\w*|set fire|hospital|grave|six feet|"
    r"body bag|torch\w*)\b"
)
# The message is about self-harm: "i relapsed" or "the urge is back" is about that.
_SELF_HARM_CONTEXT = _c(
    r"\b(?:cut|cuts|cutting|self harm\w*|blades?|razors?|(?:burn\w*|hurt\w*|harm\w*) myself|"
    r"scars?|sh free|(?:clean|free) (?:from|of) (?:self harm\w*|cutting|it)|self injur\w*|"
    r"(?:the|my) (?:burning|cutting)(?! sensation))\b"
)
_ANAPHORA = _c(
    r"\b(?:i|i'm|i've|i still|i keep|i sometimes)(?: \w+){0,2} (?:think|thinking|thought|"
    r"wonder|wondering|fantasi[sz]e|fantasi[sz]ing|dream|dreaming|plan|planning) about "
    r"(?:it|that|doing it|doing that)\b"
    r"|\b(?:the )?(?:thoughts|urges?) (?:are|is|keep|won't|have|come|came)\b"
    r"|\bpart of me (?:wants|still wants) to\b|\bi (?:still |sometimes )?want to\b$"
)


@dataclass(frozen=True, slots=True)
class _Message:
    normalised: str
    joke: bool
    serious: bool
    trivial: bool
    recovery: bool
    relapse: bool
    topic: bool
    absence_benign: bool
    schedule_benign: bool
    meds_routine: bool
    meds_danger: bool
    finality: bool
    screening_affirmed: bool
    safety_plan_action: bool
    risk_context: bool
    ending: bool
    farewell_benign: bool
    permanent_reason: bool
    threat: bool
    conflict: bool
    weapon: bool
    means_benign: bool
    provoked: bool
    arrangements: int
    self_harm_context: bool
    hedged: bool
    escalation: bool


# What was over, or only a thought, has come back or grown: the cues the rules set aside as
# the past, denied or everyday stand again. Three shapes: means thrown away and bought anew
# ("threw out my blades in march. bought new ones today"); a streak that ended ("i hadn't
# cut since june but i did tonight"); thoughts that used to be only thoughts ("it used to be
# just flashes, now they stay"). Not when what follows is better ("... now i'm fine").
_ESCALATION = _c(
    r"\b(?:threw|thrown|throw|tossed|toss|got rid of|gave away|flushed|binned|dumped)"
    r"(?: (?:out|away))?(?: all)?(?: of)?(?: my| the)?(?: old)? (?:blades?|razors?|razor blades|"
    r"sharpeners?|sharps|box cutters?|lighters?|pills|stash)\b"
    r".{0,160}?\b(?:bought|buying|got|picked up|found|ordered|took)(?: \w+){0,2}? (?:new|more|"
    r"another|fresh|replacements?|a (?:new )?(?:pack|box|set))\b"
    r"|\b(?:hadn't|had not|haven't|have not|hadnt|havent|didn't|did not)(?: \w+){1,5}? "
    r"(?:since|in|for)\b.{0,60}?"
    r"(?:\b(?:until|till|til) (?:yesterday|today|tonight|last night|this (?:morning|week|"
    r"weekend))\b|\b(?:but|and then)(?: (?:last night|tonight|today|yesterday|this (?:morning|"
    r"week)))? (?:i (?:did|cut|burned|burnt|relapsed|slipped|gave in|caved)|it happened|"
    r"(?:last night|tonight|today|yesterday) happened)\b)"
    r"|\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|several|many) (?:days?|"
    r"weeks?|months?|years?) (?:clean|free|strong)\b.{0,40}?\b(?:and|but|until|then)\b"
    r".{0,20}?\b(?:today|tonight|yesterday|last night|this (?:morning|week))\b"
    r"|\bbroke (?:my|the) (?:[\w-]+ ){0,2}streak\b"
    r"|\b(?:went|gone|going|i'm going) back to (?:the (?:razor|blades?|knife|lighter)|"
    r"cutting|burning|hurting myself)\b"
    r"|\b(?:used to|it was|they were|before it was|at first it was|at first they were)"
    r"(?: (?:be|feel|just|only|all|seem))* (?:just |only )?(?:thoughts?|flashes|fleeting|random|"
    r"foreign|images?|pictures?|intrusive|passing|in my head|what ifs?|\"what if)"
    r"\b.{0,120}?\b(?:now|today|this (?:week|morning|time)|lately|these days)\b"
)
_ESCALATION_BETTER = _c(
    r"\b(?:now|today|these days|lately)(?: (?:i'm|i am|it's|they're|i|im|it is))? "
    r"(?:\w+ ){0,2}(?:fine|okay|ok|better|gone|manageable|under control|rare|just|calm|"
    r"doing (?:well|good|better)|proud|safe|clean)\b"
)


def _escalates(norm: str) -> bool:
    for m in _ESCALATION.finditer(norm):
        if not _ESCALATION_BETTER.search(norm, m.end() - 12):
            return True
    return False


# A benign reason the message itself denies is no reason: "it's not for hunting", "i don't
# hunt", "i'm not stuck in traffic", "we don't own a boat", "i'm not moving". The negator must
# govern it: within two words before it, in the same stretch of the clause (a comma ends it).
_DENIED_REASON = _c(r"(?:\b(?:not|never|no longer)|n't)(?: [\w']+){0,2} $")


def _unnegated(pattern: re.Pattern[str], text: str) -> bool:
    """Whether *pattern* (a benign reason) occurs in *text* other than denied."""
    for m in pattern.finditer(text):
        stretch = re.split(r"[,;:.!?\n]", text[max(0, m.start() - 40) : m.start()])[-1]
        if not _DENIED_REASON.search(stretch):
            return True
    return False


def _message_cues(norm: str) -> _Message:
    # "relapsed 4 years ago, nothing since" is history, not a relapse now.
    # ... unless the present is said too: "at 34 i'm back doing it and tonight i can't stop".
    relapse = any(
        _RELAPSE.search(part)
        and (not _DISTANT_PAST.search(_STREAK.sub(" ", part)) or _RECENT.search(part))
        for part in _CLAUSE_SPLIT.split(norm)
    ) and not _RELAPSE_NEGATED.search(norm)
    serious = bool(_SERIOUS.search(norm))
    joke_text = _SERIOUS_WITHOUT_JOKE.sub(" ", norm)
    return _Message(
        normalised=norm,
        joke=bool(_JOKE.search(joke_text)),
        serious=serious,
        trivial=bool(_TRIVIAL.search(norm)),
        recovery=bool(_RECOVERY.search(norm)),
        relapse=relapse,
        topic=bool(_TOPIC.search(norm)),
        absence_benign=_unnegated(_ABSENCE_BENIGN, norm),
        schedule_benign=_unnegated(_SCHEDULE_BENIGN, norm),
        meds_routine=bool(_MEDS_ROUTINE.search(norm)),
        meds_danger=bool(_MEDS_DANGER.search(norm)),
        finality=bool(_FINALITY.search(norm)) and not _NOT_FINAL.search(norm),
        screening_affirmed=bool(_AFFIRM.search(norm)),
        safety_plan_action=bool(_SAFETY_ACTION.search(norm)),
        risk_context=bool(_RISK_CONTEXT.search(norm)),
        ending=bool(_ENDING.search(norm)) and not _NOT_FINAL.search(norm),
        farewell_benign=_unnegated(_FAREWELL_BENIGN, norm),
        permanent_reason=_unnegated(_PERMANENT_REASON, norm),
        threat=bool(_THREAT.search(norm)),
        conflict=bool(_CONFLICT.search(norm)),
        weapon=bool(_WEAPON.search(norm)),
        means_benign=_unnegated(_MEANS_BENIGN, norm),
        provoked=bool(_PROVOKED.search(norm)),
        arrangements=len(_ARRANGEMENTS.findall(norm)),
        self_harm_context=bool(_SELF_HARM_CONTEXT.search(norm)),
        hedged=bool(_HEDGE.search(norm)),
        escalation=_escalates(norm),
    )


def _scoped_prefix(prefix: str) -> str:
    """The part of *prefix* a negator in it could still scope over."""
    cut = 0
    for m in _SCOPE_BREAK.finditer(prefix):
        cut = max(cut, m.end())
    for m in _FIRST_PERSON_START.finditer(prefix):
        if m.start() < cut:
            continue
        words = prefix[: m.start()].split()
        if words and words[-1] not in _COMPLEMENT_WORDS:
            cut = max(cut, m.start())
    return prefix[cut:]


def _is_negated(scope: str, after: str) -> bool:
    text = _NOT_NEGATING.sub(" ~ ", scope)
    words = text.split()
    # The last item of a list under a negation: "no thoughts of self harm or suicide".
    span = 10 if re.search(r"\b(?:or|nor)(?:\s+\S+){0,2}\s*$", text) else 7
    window = " ".join(words[-span:])
    hits = list(_NEGATOR.finditer(window))
    if not hits:
        return False
    m = hits[-1]
    # "i've never wanted to die so badly": an intensifier, not a negation.
    return not (m.group(0) == "never" and re.search(r"^\W*(?:so|this) (?:badly|much)|more", after))


# "i told you", "i promised her": the person told is an object, not the subject of what follows.
_TOLD_OBJECT = _c(
    r"\b(i|i've|i'd) (?:\w+ )?(?:told|tell|asked|ask|promised|promise|warned|showed|texted|"
    r"messaged|emailed) (?:you|him|her|them)\b"
)


def _third_party(scope: str, clause: str, cue: str = "") -> bool:
    if _THIRD_PARTY_EVENT.search(clause):
        return True
    scope = _TOLD_OBJECT.sub(r"\1", scope)
    # The nearest subject wins: "i think he wants to die" is about him.
    last = max((m.end() for m in _FIRST_PERSON_SUBJECT.finditer(scope)), default=0)
    if cue and _FIRST_PERSON_SUBJECT.search(cue):
        return False  # "she'll need it after i'm gone": the cue itself is about me
    return bool(_THIRD_PARTY.search(scope, last))


def _dampener(rule: _Rule, clause: _Clause, text: str, m: re.Match[str],
              nxt: _Clause | None, msg: _Message) -> str | None:  # fmt: skip
    """The name of the dampener that sets this cue aside, or ``None`` if it stands."""
    prefix = text[: m.start()]
    after = text[m.end() :]
    scope = _scoped_prefix(prefix)
    # Negation, scoped to the clause.
    if rule.negation != "none":
        neg_scope = scope + (" " + m.group(0) if rule.negation == "match" else "")
        if _is_negated(neg_scope, after):
            return "negated"
        if _POST_DENIAL.search(after):
            return "negated"
    if nxt is not None and not nxt.quoted and not msg.serious and not msg.hedged:
        if rule.category == HARM_TO_OTHERS and _RETRACT.search(nxt.text):
            return "retracted"  # "i want to punch him, but i won't"
        if _RETRACT_WORDS.search(nxt.text):
            return "retracted"  # "i said i wanted to die, but i was exaggerating"
    if (
        clause.question
        and nxt is not None
        and _DENIAL_ANSWER.search(nxt.text)
        and rule.negation != "none"
    ):
        return "denied"
    # Quotation.
    if clause.quoted and not _QUOTE_OWN.search(clause.host):
        return "quoted"
    # Someone else, or a topic (film, essay, news).
    if rule.subject_check and _third_party(scope, text, m.group(0)):
        return "third_party"
    if rule.weak:
        if not _FIRST_PERSON.search(text) or _third_party(scope, text):
            return "third_party"
        if msg.topic:
            return "topic"
    if _TOPIC_FRAME.search(prefix) and not re.search(r"\bmakes? me\b", prefix):
        return "topic"
    # Screening questions ("the nurse asked if i want to hurt myself").
    if _SCREENING.search(prefix) and not msg.screening_affirmed:
        return "screening"
    # Safety planning ("if i ever feel like killing myself i'll call").
    if _SAFETY_PLAN.search(prefix) and msg.safety_plan_action:
        return "safety_plan"
    # History with recovery. A cue that is itself the object of "used to" is history even
    # when something else in the clause happens today.
    if rule.past_ok and _PAST_FRAME.search(scope + " " + m.group(0)) and not _RELAPSE.search(after):
        return "past"
    if rule.past_ok and not _RECENT.search(_ANNIVERSARY_DATE.sub(" ", text)):
        if _SINCE_THEN.search(prefix):
            return "past"
        if _STREAK_KEPT.search(prefix + " " + m.group(0)) and not _STREAK_BROKEN.search(after):
            return "past"
        if _DISTANT_PAST.search(_STREAK.sub(" ", text)):
            return "past"
        if msg.recovery and re.search(
            r"\b(?:tried|attempted|wanted|was|were|used|took|had|thought|felt|did|cut|burned|"
            r"burnt|hurt|harmed|overdosed|went|self harmed|ended up)\b",
            text,
        ):
            return "past"
    # Accidents.
    if rule.accident and _ACCIDENT.search(text) and not _ON_PURPOSE.search(text):
        return "accident"
    # Benign reasons.
    if (
        rule.absence
        and msg.absence_benign
        and not _NOT_ALIVE.search(m.group(0))
        and not msg.arrangements
    ):
        return "benign_reason"
    if rule.schedule and msg.schedule_benign:
        return "benign_reason"
    if (
        rule.meds_routine
        and msg.meds_routine
        and not msg.meds_danger
        and not _NOT_MEDS.search(m.group(0))
    ):
        return "routine"
    if rule.needs_finality and not msg.finality:
        return "no_finality"
    if rule.needs_context and not msg.risk_context:
        return "no_context"
    if rule.needs_serious and not msg.serious:
        return "hyperbole"
    if rule.topic_ok and msg.topic:
        return "topic"
    if rule.everyday and msg.trivial and not msg.serious:
        return "everyday"
    if rule.farewell and msg.farewell_benign:
        return "benign_reason"
    if rule.needs_ending and not msg.ending:
        return "no_finality"
    if rule.permanent and msg.permanent_reason:
        return "benign_reason"
    if rule.needs_violence and not (msg.threat or msg.weapon):
        return "no_context"
    if rule.needs_threat and not (msg.threat or msg.conflict):
        return "no_context"
    if rule.means and msg.means_benign:
        return "benign_reason"
    if rule.needs_self_harm_context and not msg.self_harm_context:
        return "no_context"
    if (
        rule.needs_second_sign
        and msg.arrangements < 2
        and not msg.finality
        and not msg.risk_context
    ):
        return "no_context"
    # Joking hyperbole.
    if (
        rule.hyperbole
        and msg.joke
        and not msg.serious
        and (rule.category == HARM_TO_OTHERS or msg.trivial or re.search(r"\bif\b", text))
    ):
        return "hyperbole"
    # A pet peeve ("if he eats my fries again i'll kill him"), unless the threat is a severe
    # one (stab, shoot, burn) or the condition is itself violent ("if he touches her again").
    if (
        rule.category == HARM_TO_OTHERS
        and rule.hyperbole
        and msg.trivial
        and not msg.serious
        and not msg.provoked
        and not _SEVERE.search(m.group(0))
        and not _GROUP_TARGET.search(m.group(0))
        and not re.search(
            r"\b(?:gun|knife|weapon|tonight|tomorrow|plan|where (?:he|she|they) lives?)\b",
            msg.normalised,
        )
    ):
        return "hyperbole"
    return None


# --------------------------------------------------------------------------------------
# The sensitive tier (decision 0015): the rules above recognise risk *phrasings*; this tier
# recognises risk *vocabulary* and flags it unless an everyday reading is recognised in the
# same clause (an idiom, a negation, a quotation or topic, someone else, the past with
# recovery, a game or sport, cooking or an accident, a routine). It only adds flags: it runs
# when no rule above stood, and the rules above still decide the categories when they fire.
# --------------------------------------------------------------------------------------

_SENSITIVE_DEATH = _c(
    r"\b(?:die|dies|dying|died|dead|death|suicid\w*|sucid\w*|suicd\w*|"
    r"kill(?:ing|ed)? my ?self|kil my ?self|unalive\w*|"
    r"end(?:ing|ed)? (?:it|it all|things|everything|my life|my self|myself)|"
    r"finish(?:ing)? (?:it|it all|with (?:my ?self|life|everything))|"
    r"(?:not|wasn't|weren't|stop) (?:be |being )?(?:here|around|alive)|"
    r"(?:stop|not|don't want to|no more) exist\w*(?: (?:no more|anymore|any more))?|"
    r"exist no more|"
    r"(?:be|i'm|i am|i'll be|i was) gone|gone (?:forever|for good)|disappear\w*|go away forever|"
    r"burden|waste of space|better off without|(?:be )?(?:fine|better|happier) without me|"
    r"sleep forever|never wake|not wake|(?:top|off|do|doing|did) (?:my ?self|meself)(?: in)?|"
    r"letters to|no way out|tonight is the night|into a (?:tree|wall|truck|lorry)|fatal|lethal)\b"
)
# Despair said in everyday words: set aside, like the rules' "everyday" cues, when the
# message is about an ordinary annoyance.
_SENSITIVE_DESPAIR = _c(
    r"\b(?:no point|pointless|what's the point|give up|giving up|gave up|can't do this|"
    r"can't go on(?! (?:the|a|an|my|our|this|that|holiday|vacation|tour|stage|air|line|\w+ing)\b)|"
    r"can't take (?:it|this|any ?more|more)|can't keep going|so done|"
    r"done with (?:everything|life|it all|living|this life))\b"
)
# A means or a place: only with something that draws the writer to it in the message.
_SENSITIVE_MEANS = _c(
    r"\b(?:overdos\w*|od|od'd|pills|tablets|meds|paracetamol|insulin|rope|noose|"
    r"hang(?:ing|ed)?|hung my ?self|jump(?:ing|ed)?|bridge|cliff|ledge|rooftop|train tracks|"
    r"gun|guns|rifle|pistol|shotgun|handgun|revolver|firearm|hose)\b"
)
_SENSITIVE_PULL = _c(
    r"\b(?:keep (?:thinking|looking|going|staring|checking|picturing)|thinking (?:about|of)|"
    r"thoughts? of|rn|right now|right here|tonight|tonite|high enough|nothing left|want to|"
    r"going to|again|ready|saving|collecting|stockpil\w*|hoard\w*|accumulat\w*|consider(?:ing)?|"
    r"contemplat\w*|wanting to|just wanted someone to know|"
    r"looking at|staring at|standing on|on the edge|edge of|how (?:many|much)|enough to|"
    r"all of (?:them|my)|the whole|wish|no one|nobody|alone|garage|closet|"
    r"more (?:\w+ ){0,4}than (?:i'm|i am|i was|i should|i'm supposed|prescribed|i'm meant)|"
    r"doubled? up|(?:feel|be|go) numb|feel nothing|stop feeling|(?:be|get) out of it|"
    r"unconscious|a bunch|handful|"
    r"i know (?:exactly )?what (?:it's|it is|they're|they are|this is|that's) for)\b"
)
_SENSITIVE_GOODBYE = _c(
    r"\b(?:goodbye|good bye|farewell|sorry for everything"
    # An apology bounded to a day or a session is an apology, not a goodbye.
    r"(?! (?:today|earlier|yesterday|tonight|this (?:morning|afternoon|evening|week)|"
    r"last (?:night|week|time|session)|in (?:session|group|our session)|i said|at (?:group|"
    r"session|the session))))\b"
)
_SENSITIVE_SELF_HARM = _c(
    r"\b(?:cut|cuts|cutting|blades?|razors?|bleed\w*|bled|blood|bloody|"
    r"burn(?:ed|t|ing)? (?:my ?self|my (?:arms?|legs?|skin|wrists?|thighs?|hands?))|"
    r"scratch\w* (?:my|at my|till|until)|self harm\w*|self injur\w*|scars?|"
    r"(?:punish|starv|hurt|harm|hit|punch|bruis)\w* my ?self|"
    r"punch\w* (?:the |a )?(?:wall|mirror|door)|to feel pain)\b"
)
_SENSITIVE_RELAPSE = _c(r"\brelaps\w*")
_SENSITIVE_OTHERS = _c(
    r"\b(?:kill|stab|shoot|hurt|harm|smash|end|beat|strangle|choke|poison|murder)\w* "
    r"(?:him|her|them|(?:my|his|her|that|this|the) " + _PERSON_NOUNS + r"|"
    r"(?:my |that |this )?\w+'s (?:head|face))\b"
    r"|\b(?:weapon|knife|knives|bat|machete|gun)s?\b(?=.{0,60}\b(?:him|her|them|guy|school|"
    r"class|work)\b)"
    r"|\b(?:i|i'll|i'm going to) (?:\w+ ){0,2}(?:know|found out|find out|follow\w*) where "
    r"(?:he|she|they|\w+) (?:lives?|parks?|works?|sleeps?|goes)\b"
)
# The present or the near future next to a risk word: it is not history ("the blade is back",
# "when i see him tomorrow"), and a first-person intent right before it is not a topic.
_SENSITIVE_NOW = _c(
    r"\b(?:tomorrow|tonight|tonite|rn|right now|when i see|next time|soon|(?:is|are|'s|'re) back)\b"
)
_SENSITIVE_INTENT = _c(
    r"\b(?:i'll|i will|i'm going to|going to|i want to|want to|i'm about to)(?: \w+)?\s*$"
)
# Everyday readings of the vocabulary above, recognised in the same clause.
_SENSITIVE_BENIGN = _c(
    r"\b(?:(?:phone|battery|laptop|charger|tablet|plants?|flowers?|tree|car|engine|tv|"
    r"console|remote|lightbulb|bulb|fish|goldfish|hamster|batteries|signal|wifi|party|town|"
    r"vibe|chat|group|convo|conversation|account|server|dog|cat|pet|rabbit|bird|horse|"
    r"starter|alarm|ac|aircon|heater|fridge|freezer|boiler|printer|computer|router|lights?|"
    r"flies|bugs|weeds|mosquito\w*|wasps?|ants|spiders?|mice|rats?|mould|mold|oven|stove|"
    r"furnace|meter|hearing aid|coffee maker|coffee machine|kettle|microwave|toaster|"
    r"dishwasher|washer|dryer|water heater|keyboard|mouse|controller|headphones|earbuds|"
    r"airpods|speaker|mic|microphone|camera|webcam|houseplants?|succulents?|garden|lawn|"
    r"tomatoes|basil|link|zoom|line|call|pen|watch|ipad|kindle|scooter|bike|umbrella|legs|"
    r"arms|feet|thighs|calves|muscles)"
    r"(?:'s| is| are| was| were| has| had| must| will| should| can)?"
    r" (?:\w+ )?(?:dead|dying|died|die|gone)|dead (?:end|zone|line|on (?:his|her|their|my) "
    r"feet|battery|weight|heat|air|tired|serious|quiet|easy|good|poets|after (?:that|the|a|my) "
    r"\w+)|in a good way|walking dead|grateful dead|"
    r"(?:bridge|card) (?:club|night|game)|playing bridge|"
    r"hang(?:ing|s)? (?:out|on|up|with|around|about|tight|in there|the|a|my|our|new|some|"
    r"pictures?)|hung (?:up|out|the|a|my|our|new|around)|curtains?|tiebacks?|"
    r"jump(?:ed|ing|s)? (?:start|at the chance|in|back|into (?:the|a) (?:lake|pool|sea|river|"
    r"water|conversation)|the gun|on a call|on the bandwagon|to conclusions|rope|on the "
    r"trampoline)|jump rope|skipping rope|trampoline|jumping jacks|rope (?:swing|course|bridge)|"
    r"cut(?:ting|s)? (?:my |the |a |some |his |her )?(?:hair|haircut|fringe|bangs|nails|"
    r"sessions?|hours|costs?|budget|losses|spending|carbs|sugar|grass|lawn|hedge|cake|bread|"
    r"wood|paper|coupons|ties|cable|veg\w*|onions?|tomato\w*|fruit|meat|chicken|steak|"
    r"corners|class|school|back|down|out|off|in line|the line|it short)|"
    r"cuts? (?:to|in) (?:funding|budget|the budget|services|staff|benefits)|power cut|"
    r"(?:blood|bloods) (?:test|tests|work|draw|donation|drive|pressure|sugar|type|orange)|"
    r"(?:gave|give|giving|donat\w*) blood|blood (?:moon|brother|sister|relative|family)|"
    r"nose ?bleed|nosebleed|period|gums?|pierc\w*|tattoo\w*|shav\w*|shower|dull|sharpen(?!er)\w*|"
    r"bleed(?:ing)? (?:money|cash|us dry|me dry)|"
    r"blender|mower|lawnmower|paper ?cut|vaccin\w*|injection|jab|dentist|"
    r"razor scooter|razor burn|sunburn\w*|burn(?:ed|t|ing)? (?:the|dinner|toast|calories|rice|"
    r"food|pizza|a cd|bridges|the candle|incense|out|through)|"
    r"(?:school|work|office|uni|holiday|vacation|trip|town|away|shopping) (?:\w+ )?gone|"
    r"gone (?:to|for|on|home|out|back|shopping|quiet|off|missing|viral|well|bad|up|down)|"
    r"disappear\w* from (?:social media|instagram|twitter|tiktok|the internet|online|the app)|"
    r"disappear(?:ing|ed)? (?:act|for the weekend|to the cabin)|"
    r"give up (?:on )?(?:sugar|caffeine|coffee|meat|dairy|alcohol|drinking|smoking|chocolate|"
    r"gluten)|give up (?:on )?trying to|gave up (?:sugar|caffeine|coffee|meat|dairy|alcohol|"
    r"drinking|smoking)|(?:no|zero) point (?:in )?(?:arguing|asking|trying to (?:fix|explain|"
    r"argue)|telling|waiting|going|calling|complaining)|no points|"
    r"(?:passed|pass) away|passed peacefully|hospice|funeral|grief|"
    r"talk(?:ed|ing)? about (?:grief|death|dying|loss)|death (?:metal|star|note|valley|row)|"
    r"burden of proof|burden (?:asking|to ask|for asking)|overdraft|"
    r"gun (?:club|range|safety|show)|nerf|water ?gun|glue ?gun|staple ?gun|heat ?gun|"
    r"(?:happy|excited|embarrassed) i could (?:just )?die|could (?:just )?die (?:out here|of)|"
    r"ended it with|ending it with|end it with|end(?:ed|ing|s)? things with|"
    r"respawn\w*|spawn\w*|npc|extra life|checkpoint|my (?:sims?|char|toon)|"
    r"in (?:the|a|this) game|game over|elden ring|dark souls|roblox|valorant|warzone|"
    r"(?:talk|ask|asking|question|questions|chat) about (?:my |the |changing |switching )?"
    r"(?:meds|pills|tablets|medication)|closed|traffic|drop dead|dead to the world|"
    # "running late", not "my late husband's pills"
    r"late(?! (?:husband|wife|partner|mother|father|mum|mom|dad|son|daughter|brother|sister|"
    r"friend|grandma|grandpa|grandmother|grandfather|uncle|aunt|\w+'s))|"
    r"died a (?:\w+ )?death|(?:the|my|his|her|their|our) dead (?:\w+ )?(?:grandparents|"
    r"relatives|ancestors|" + _PERSON_NOUNS + r")|"
    r"slicing|chopping|band ?aid|plaster|"
    r"done with (?:this|the|that|my) (?:week|day|month|semester|term|shift|exam|course|class|"
    r"job|project)|see u|see you|could (?:just )?die(?=,)|"
    r"disappear\w* (?:\w+ ){0,5}(?:trip|holiday|vacation|weekend|hike|hiking|mountains|cabin|"
    r"beach|book|novel|game|series)|jump(?:ed|ing|s)? on (?:the|a) (?:\w+ )?(?:trend|bandwagon|"
    r"train|call|waitlist|list|zoom|phone|chance|opportunity|offer)|"
    r"(?:link|url)\b.{0,30}\b(?:is|was|went|'s) dead|"
    # Old scars healing, blades thrown away, a slot given up, an ordinary annoyance.
    r"(?:scars? (?:\w+ ){0,3}(?:faded|fading|healed|healing|cream|revision|laser|removal|"
    r"treatment|showing)|(?:faded|fading|healed|(?<!at my )(?<!at )(?:old|faint|white|"
    r"silver)) scars?|scar (?:cream|revision|removal|"
    r"treatment|tissue|gel)|short sleeves)(?!.{0,40}\b(?:open|opened|opening|reopened|cut|"
    r"picked|ripped|tore|bleed\w*)\b)|"
    r"letters? to (?:my |our |his |her )?(?:late|dead) \w+|"
    r"(?:threw|throw|thrown|tossed|toss|got rid of|binned|trashed|gave|give|handed) (?:out |away )?"
    r"(?:\w+ ){0,2}(?:blades?|razors?|blade box)(?! (?:back|again))|"
    r"(?:blades?|razors?|it)(?:'s| is| are) (?:in the trash|gone for good)|"
    r"give up (?:my|the|our|this) (?:\w+ ){0,2}(?:slot|spot|seat|place|appointment|time|room|"
    r"parking)|give up on (?:parking|dating|dating apps|the printer|the app|the portal|"
    r"this (?:printer|app|portal|form|weather|traffic))|"
    r"so done with (?:this|the|my|these|that) (?:\w+ )?(?:weather|rain|snow|heat|cold|commute|"
    r"traffic|printer|portal|app|paperwork|renovation|drama|move|semester|class|homework))\b"
)
_SENSITIVE_RECOVERED = _c(
    r"\b(?:(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|several|many|a few) "
    r"(?:days?|weeks?|months?|years?|yrs?|mos?)(?: (?:self harm|sh))? (?:clean|free|sober|"
    r"strong)|(?:self harm|sh) free|clean (?:from|of|for)|"
    r"(?:years?|yrs?|months?|mark|anniversary) since|support group|proud of (?:where|how far|"
    r"myself)|different person|old journals?|haven't (?:\w+ ){0,6}since|not even once)\b"
)
_SENSITIVE_GOODBYE_BENIGN = _c(
    r"\b(?:move|moving|new (?:place|flat|house|apartment)|old (?:apartment|house|flat|job|car|"
    r"place|life)|goodbye (?:to )?(?:my |the |our )?(?:old )?(?:apartment|house|flat|job|car|"
    r"place|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|summer|winter|spring|autumn|fall|weekend|\d{4})|hospice|passed|funeral|"
    r"grandma|grandpa|grandad|nan|party|said at|i said|was rude|was drunk|tomorrow)\b"
)


# "stopped (taking) my pills", "quit my insulin", "not refilling my meds": the negator is the act.
_STOPPED_MEDS = _c(
    r"\b(?:stopped|stop|quit|quitting|stopping|not (?:refilling|taking))(?: (?:taking|"
    r"using|refilling))?(?: all)?(?: of)?(?: my| the| her| his)?(?: [\w']+){0,2} $"
)


# Old scars acted on are new harm, whatever benign reading the scars have on their own ("old
# scars" fading is recovery; "tonight I opened the old scars" is a relapse).
_REOPENED_SCARS = _c(
    r"\b(?:opened|reopened|re opened|cut|cutting|picked|picking|ripped|tore|torn|carved|"
    r"scratched|dug|slashed)\b(?: (?:up|open|into|at|through))?(?: \w+){0,2} "
    r"(?:old|faint|white|silver|healed|faded|fading) scars?\b"
)


# Intent next to a means word, in its own clause.
_SENSITIVE_INTENT_PULL = _c(
    r"\b(?:thinking (?:about|of)|think about|want to|wanting to|going to|i'll|i will|ready to|"
    r"whether|keep (?:thinking|looking|picturing)|planning|plan to|decided to)\b"
)
# The means words that are acts, which have a subject (the nouns do not).
_MEANS_ACT = _c(r"(?:jump|hang|overdos|od\b|od'd)")


def _sensitive_rule(name: str, category: str, **flags: Any) -> _Rule:
    flags.setdefault("subject_check", True)
    return _Rule(f"sensitive.{name}", category, _c(r"(?!)"), **flags)


# (rule, pattern, clause_only): for a clause-only family, a topic, a joke or an everyday
# annoyance counts only when it is in the risk word's own clause.
_SENSITIVE: tuple[tuple[_Rule, re.Pattern[str], bool], ...] = (
    (_sensitive_rule("harm_to_others", HARM_TO_OTHERS, hyperbole=True), _SENSITIVE_OTHERS, True),
    (_sensitive_rule("self_harm", SELF_HARM, accident=True), _SENSITIVE_SELF_HARM, True),
    (
        _sensitive_rule("relapse", SELF_HARM, needs_self_harm_context=True),
        _SENSITIVE_RELAPSE,
        True,
    ),
    (_sensitive_rule("death", SUICIDE, negation="prefix"), _SENSITIVE_DEATH, True),
    (
        _sensitive_rule("despair", SUICIDE, negation="prefix", everyday=True),
        _SENSITIVE_DESPAIR,
        False,
    ),
    (
        _sensitive_rule("means", SUICIDE, subject_check=False, means=True, meds_routine=True),
        _SENSITIVE_MEANS,
        True,
    ),
    (_sensitive_rule("goodbye", SUICIDE, farewell=True), _SENSITIVE_GOODBYE, True),
)


def _sensitive_dampener(
    rule: _Rule,
    clause: _Clause,
    text: str,
    m: re.Match[str],
    nxt: _Clause | None,
    msg: _Message,
    clause_only: bool,
) -> str | None:
    """Why a risk word is explained away in its own clause, or ``None`` if it stands."""
    why = _dampener(rule, clause, text, m, nxt, msg)
    if (
        why == "negated"
        and rule.name == "sensitive.means"
        and _STOPPED_MEDS.search(_scoped_prefix(text[: m.start()]))
    ):
        # "i stopped taking my heart pills": stopping is not a denial, nor history ("stopped"
        # is a recovery word too). The rules do not flag it (stopping a medication is often a
        # side effect or a plan with the prescriber); a missing sign, so the learned tier reads it.
        return "no_context"
    if (
        why == "benign_reason"
        and rule.name == "sensitive.means"
        and _SENSITIVE_INTENT_PULL.search(text)
        and not _unnegated(_MEANS_BENIGN, text)
    ):
        # An ordinary reason elsewhere ("the view's nice") does not explain an intent in the
        # risk word's own clause ("thinking about whether jumping would be quick").
        why = None
    if (
        why is None
        and rule.name == "sensitive.means"
        and _MEANS_ACT.match(m.group(0))
        and _third_party(_scoped_prefix(text[: m.start()]), text)
    ):
        return "third_party"
    if why == "past" and (
        _RECENT.search(_ANNIVERSARY_DATE.sub(" ", text)) or _SENSITIVE_NOW.search(text)
    ):
        why = None  # history words next to the present: "back in my bag", "from school"
    intent = bool(_SENSITIVE_INTENT.search(text[: m.start()]))
    if why == "topic" and intent:
        why = None  # "if she posts one more thing about me i'll shoot her"
    if why is not None and not (clause_only and why in ("topic", "everyday", "hyperbole")):
        return why
    # Message-wide signals (a topic word, an everyday annoyance, a joke) count only in the
    # risk word's own clause (or, for a quotation, the clause it sits in): "invoice
    # attached. i want to die" stands.
    ctx = text + " " + clause.host
    if _SENSITIVE_BENIGN.search(ctx) and not _REOPENED_SCARS.search(ctx):
        return "everyday"
    if _SENSITIVE_RECOVERED.search(ctx) and not _RELAPSE.search(text):
        return "past"
    if _PAST_FRAME.search(text) and not _RECENT.search(_PAST_FRAME.sub(" ", text)):
        return "past"
    if (_TOPIC.search(ctx) or _TOPIC_FRAME.search(ctx)) and not intent:
        return "topic"
    if not msg.serious and (
        _TRIVIAL.search(ctx) or _JOKE.search(_SERIOUS_WITHOUT_JOKE.sub(" ", ctx))
    ):
        return "everyday"
    if rule.category == SELF_HARM and _ACCIDENT.search(text) and not _ON_PURPOSE.search(text):
        return "accident"
    if _unnegated(_MEANS_BENIGN, text) and not (
        rule.category == SELF_HARM and _ON_PURPOSE.search(text)
    ):
        return "benign_reason"
    if _RECOVERY.search(text) and not _RECENT.search(text):
        return "past"
    if rule.name == "sensitive.means" and not _SENSITIVE_PULL.search(msg.normalised):
        return "no_context"
    if rule.name == "sensitive.goodbye" and _SENSITIVE_GOODBYE_BENIGN.search(msg.normalised):
        return "benign_reason"
    return None


def _sensitive(
    clauses: list[_Clause], msg: _Message
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, int]]]:
    fired: list[tuple[str, str]] = []
    set_aside: list[tuple[str, str, str, int]] = []
    for i, clause in enumerate(clauses):
        cleaned, _ = _strip_idioms(clause.text)
        nxt = clauses[i + 1] if i + 1 < len(clauses) else None
        for rule, pattern, clause_only in _SENSITIVE:
            for n, m in enumerate(pattern.finditer(cleaned)):
                if n == _MAX_CUES_PER_RULE:
                    break
                why = _sensitive_dampener(rule, clause, cleaned, m, nxt, msg, clause_only)
                if why is None:
                    fired.append((rule.category, rule.name))
                    break
                set_aside.append((rule.category, rule.name, why, clause.index))
    return fired, set_aside


# --------------------------------------------------------------------------------------
# Speed: a rule is tried on a clause only if the clause contains one of the literal strings
# that every match of the rule must contain ("kill my" for "kill my ?self"). The strings are
# worked out from the compiled patterns when the module loads, so they cannot drift from the
# rules; if that ever fails, the rule is simply always tried.
# --------------------------------------------------------------------------------------

_MAX_CUES_PER_RULE = 4  # per clause: enough to find one that stands, bounded on long input


def _required_literals(items: Any, parser: Any) -> frozenset[str] | None:
    """Strings of which every match of the parsed *items* contains at least one, or ``None``."""
    candidates: list[frozenset[str]] = []
    run = ""
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            run += chr(av)
            continue
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # zero width: the literals on either side are still adjacent
        if run:
            candidates.append(frozenset([run]))
            run = ""
        sub: frozenset[str] | None = None
        if name == "SUBPATTERN":
            sub = _required_literals(av[-1], parser) if not av[1] else None
        elif name == "BRANCH":
            parts = [_required_literals(branch, parser) for branch in av[1]]
            if all(part is not None for part in parts):
                sub = frozenset().union(*(part for part in parts if part is not None))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            sub = _required_literals(av[2], parser)
        if sub:
            candidates.append(sub)
    if run:
        candidates.append(frozenset([run]))
    # Prefer the strings least likely to be in an ordinary message.
    return min(candidates, key=_gate_cost, default=None)


# Words so common in texts that a gate made of them would let every message through.
_COMMON_WORDS = frozenset(
    " ".join(
        [
            "a i me my to the and for of in on at it is be do so if or no not you your with",
            "that this just get got go have want can will all but what when up out was am",
            "i'm i've i'll don't can't won't",
        ]
    ).split(" ")
)


def _gate_cost(literals: frozenset[str]) -> tuple[int, int]:
    useless = sum(1 for lit in literals if len(lit) < 2)
    common = sum(
        1
        for lit in literals
        if len(lit.strip()) <= 3 or all(w in _COMMON_WORDS for w in lit.split())
    )
    return (1000 * useless + 10 * common + len(literals), -min(map(len, literals)))


def _gate(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """A pattern of plain strings that every match of *pattern* contains one of."""
    try:
        parser = importlib.import_module("re._parser")
        found = _required_literals(parser.parse(pattern.pattern, pattern.flags), parser)
    except Exception:  # a private module: without it, every rule is simply tried
        return None
    if found is None or min(map(len, found)) < 2:
        return None
    # "wish" is enough where "wish " and "wish i" are also listed.
    return frozenset(a for a in found if not any(b != a and b in a for b in found))


_GATES: tuple[frozenset[str] | None, ...] = tuple(_gate(rule.pattern) for rule in _RULES)
_UNGATED = frozenset(i for i, gate in enumerate(_GATES) if gate is None)
_LITERAL_RULES: dict[str, frozenset[int]] = {
    lit: frozenset(i for i, gate in enumerate(_GATES) if gate is not None and lit in gate)
    for lit in sorted({lit for gate in _GATES if gate is not None for lit in gate})
}
# The literals indexed by their first three characters, so that a message is only checked
# for the literals that start with one of its own three-character pieces.
_SHORT_LITERALS = tuple((lit, rules) for lit, rules in _LITERAL_RULES.items() if len(lit) < 3)
_LITERALS_BY_PREFIX: dict[str, tuple[tuple[str, frozenset[int]], ...]] = {}
for _lit, _rules in _LITERAL_RULES.items():
    if len(_lit) >= 3:
        _LITERALS_BY_PREFIX[_lit[:3]] = (*_LITERALS_BY_PREFIX.get(_lit[:3], ()), (_lit, _rules))


def _active_rules(norm: str) -> list[_Rule]:
    active = set(_UNGATED)
    for lit, indexes in _SHORT_LITERALS:
        if lit in norm:
            active.update(indexes)
    seen: set[str] = set()
    for k in range(len(norm) - 2):
        piece = norm[k : k + 3]
        if piece in seen:
            continue
        seen.add(piece)
        for lit, indexes in _LITERALS_BY_PREFIX.get(piece, ()):
            if lit in norm:
                active.update(indexes)
    return [rule for i, rule in enumerate(_RULES) if i in active]


def _candidates(
    norm: str, clauses: list[_Clause]
) -> Iterator[tuple[_Rule, int, str, re.Match[str]]]:
    # Every clause is made of pieces of the normalised message, so a rule none of whose
    # literals is in the message cannot match any clause.
    rules = _active_rules(norm)
    if not rules:
        return
    for i, clause in enumerate(clauses):
        cleaned, _ = _strip_idioms(clause.text)
        for rule in rules:
            for n, m in enumerate(rule.pattern.finditer(cleaned)):
                if n == _MAX_CUES_PER_RULE:
                    break
                yield rule, i, cleaned, m


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RulesOutcome:
    """What the rules (with the sensitive tier) decided, before the learned tier.

    ``dampeners`` are the names of the dampeners that set a cue aside (``"negated"``,
    ``"past"`` ...). Exposed for the learned tier and for evaluation tools
    (``tools/train_crisis_model.py``). ``normalised`` and ``clauses`` are the message's text:
    never log them; only ``assessment`` is metadata.
    """

    assessment: CrisisAssessment
    normalised: str
    dampeners: frozenset[str]
    clauses: tuple[_Clause, ...]

    def has_idiom(self) -> bool:
        """Whether an everyday idiom ("this traffic is killing me") was blanked out."""
        return any(_IDIOMS.search(c.text) for c in self.clauses)


def assess_rules(text: str) -> RulesOutcome:
    """The rules alone (including the sensitive tier), without the learned tier."""
    norm = normalise(text)
    if not norm.strip():
        return RulesOutcome(CrisisAssessment(False, (), ()), norm, frozenset(), ())
    clauses = _split(norm)
    cues = list(_candidates(norm, clauses))
    msg = _message_cues(norm)
    fired: list[tuple[str, str]] = []  # (category, rule name)
    set_aside: list[tuple[str, str, str, int]] = []  # (category, rule, dampener, clause)
    for rule, i, cleaned, m in cues:
        clause = clauses[i]
        nxt = clauses[i + 1] if i + 1 < len(clauses) else None
        why = _dampener(rule, clause, cleaned, m, nxt, msg)
        if why is None:
            fired.append((rule.category, rule.name))
        else:
            set_aside.append((rule.category, rule.name, why, clause.index))
    # Spanish (crisis_spanish.py): its own clauses and dampeners; names start with "es.".
    for cue in spanish_cues(norm):
        if cue.dampener is None:
            fired.append((cue.category, cue.rule))
        else:
            set_aside.append((cue.category, cue.rule, cue.dampener, 0))
    # The sensitive tier: risk vocabulary not explained away in its own clause.
    if not fired:
        more_fired, more_aside = _sensitive(clauses, msg)
        fired += more_fired
        set_aside += more_aside
    # A past or negated cue that comes back: "i used to cut. i've started again",
    # "i won't kill myself, but i think about it every day".
    if set_aside:
        # The last clause that says "but i think about it"; a negated cue before it comes back.
        last_anaphora = -1
        for c in clauses:
            if not c.quoted:
                hit = _ANAPHORA.search(c.text)
                if hit and not _is_negated(_scoped_prefix(c.text[: hit.start()]), ""):
                    last_anaphora = c.index
        for category, name, why, index in set_aside:
            if why == "past" and msg.relapse:
                fired.append((category, name + "+relapse"))
            elif why in ("past", "negated", "everyday") and msg.escalation:
                fired.append((category, name + "+escalation"))
            elif why == "negated" and category != HARM_TO_OTHERS and index < last_anaphora:
                fired.append((category, name + "+anaphora"))
    categories = tuple(c for c in CATEGORIES if any(f[0] == c for f in fired))
    reasons: list[str] = []
    for _, name in fired:
        if name not in reasons:
            reasons.append(name)
    for _, name, why, _ in set_aside:
        label = f"{name}~{why}"
        if label not in reasons:
            reasons.append(label)
    assessment = CrisisAssessment(bool(categories), categories, tuple(reasons))
    return RulesOutcome(
        assessment, norm, frozenset(why for _, _, why, _ in set_aside), tuple(clauses)
    )


# --------------------------------------------------------------------------------------
# The learned tier (decision 0015, crisis_model.py): a linear model over the normalised text
# that may flag a message the rules let through. Which everyday readings of the rules it may
# not override is chosen with the threshold, by leave-one-set-out evaluation, and shipped in
# the weights file ("block").
# --------------------------------------------------------------------------------------

# Dampeners that mean "a second sign is missing", not "an everyday reading was recognised".
_MISSING_SIGN = frozenset({"no_context", "no_finality"})


def ordinary_scheduling(outcome: RulesOutcome) -> bool:
    """Whether the message reads as ordinary scheduling ("can't make it to group tonight, stuck
    at the office"): it names an appointment, a session or a cancellation together with a near
    time or an ordinary reason, and the rules found no risk cue in it at all: none fired or set
    aside (no reason, no dampener, no idiom), none of their ending words ("i won't be
    needing them", "thank you for everything"), no risk word and nothing that makes the
    cancellation final ("or any day after", "don't reschedule", "by then it'll be over")."""
    norm = outcome.normalised
    if outcome.assessment.reasons or outcome.dampeners or outcome.has_idiom():
        return False
    if _ENDING.search(norm) and not _NOT_FINAL.search(norm):
        return False
    if _SCHEDULING_FINAL.search(norm):
        return False
    return bool(_SCHEDULING_ACT.search(norm)) and bool(
        _SCHEDULING_WHEN.search(norm) or _SCHEDULING_REASON.search(norm)
    )


def learned_tier_blocked(block: str, outcome: RulesOutcome) -> bool:
    """Whether the rules' reading of the message keeps the learned tier from flagging it.

    ``block`` is one of :data:`quietline.safety.crisis_model.BLOCK_MODES`: ``"nothing"`` (the
    model may flag whatever the rules let through), ``"negation_idiom"`` (not over a negated
    cue or an idiom), ``"everyday_reading"`` (not over an idiom or any dampener that
    recognised an everyday reading; a missing second sign does not count),
    ``"everyday_or_scheduling"`` (as ``"everyday_reading"``, and not over a message that reads
    as ordinary scheduling with no risk cue at all: :func:`ordinary_scheduling`) or
    ``"any_set_aside"`` (not over an idiom or any set-aside cue).
    """
    if block == "nothing":
        return False
    if block == "negation_idiom":
        return "negated" in outcome.dampeners or outcome.has_idiom()
    if block == "everyday_reading":
        return bool(outcome.dampeners - _MISSING_SIGN) or outcome.has_idiom()
    if block == "everyday_or_scheduling":
        return learned_tier_blocked("everyday_reading", outcome) or ordinary_scheduling(outcome)
    if block == "any_set_aside":
        return bool(outcome.dampeners) or outcome.has_idiom()
    raise ValueError(f"unknown learned-tier block mode: {block!r}")


# How sure the model must be to stand in for the second sign a short message lacks
# (:func:`second_sign_missing`), and the fewest words it needs: a bare "pills" or "gun" scores
# high and says too little. Chosen on the fifth to eighth blind sets (decision 0015, "A
# confident model as the second sign").
CONFIDENT_SECOND_SIGN = 0.95
CONFIDENT_MIN_WORDS = 3


def second_sign_missing(outcome: RulesOutcome) -> bool:
    """Whether the rules found a risk cue and set it aside only because a second sign was
    missing ("i swallowed the pills", "have dads gun. im done": means named, nothing else
    said), with no everyday reading and no idiom. In a message too short for the model's gate,
    a confident model may then be that second sign; an everyday reading still stands."""
    return (
        bool(outcome.dampeners)
        and outcome.dampeners <= _MISSING_SIGN
        and not outcome.has_idiom()
        and crisis_model.word_count(outcome.normalised) >= CONFIDENT_MIN_WORDS
    )


def _bucket(probability: float) -> int:
    """The probability bucket named in a reason: the largest of 50, 60 ... 95, 99 below it."""
    for edge in (99, 95, 90, 80, 70, 60):
        if probability * 100 >= edge:
            return edge
    return 50


def combine(
    outcome: RulesOutcome,
    score: Callable[[str], float],
    threshold: float,
    block: str,
    min_words: int,
    meaning: Callable[[float], float] | None = None,
    meaning_threshold: float = 1.0,
    meaning_min_words: int = 0,
) -> CrisisAssessment:
    """Rules, learned tier and meaning tier together: the one place they are combined
    (decisions 0015 and 0022).

    :func:`assess` calls it with the shipped models; the training scripts call it with each
    held-out fold's probabilities, so the documented numbers are the server's.
    ``score`` gives the linear model's probability for the normalised text; it flags when the
    rules flag nothing and the message has at least ``min_words`` words (the short-message
    gate: "I won't be there", "idk", "tonight?" are left to the rules), or when a shorter
    message holds a risk cue set aside only for want of a second sign
    (:func:`second_sign_missing`): then the model flags it at :data:`CONFIDENT_SECOND_SIGN`.
    ``meaning`` (the meaning tier, :mod:`quietline.safety.crisis_meaning`, given the linear
    model's probability) is asked last, over the rules' everyday readings (they were where
    the rules missed most, decision 0022) but not over an ordinary cancellation
    (:func:`ordinary_scheduling`), and only from ``meaning_min_words`` words (or a shorter
    message whose cue lacks only a second sign): a few words ("bye", "tonight?") carry too
    little meaning to read. Its reason is ``meaning.p<bucket>``.
    """
    result = outcome.assessment
    if result.crisis or not outcome.normalised.strip():
        return result
    word_count = crisis_model.word_count(outcome.normalised)
    short = word_count < min_words
    probability: float | None = None
    if not short or second_sign_missing(outcome):
        probability = score(outcome.normalised)
        if probability >= (max(threshold, CONFIDENT_SECOND_SIGN) if short else threshold):
            reason = f"model.p{_bucket(probability)}"
            if not learned_tier_blocked(block, outcome):
                return CrisisAssessment(True, (SUICIDE,), (reason, *result.reasons))
            result = replace(result, reasons=(*result.reasons, reason + "~set_aside"))
    if (
        meaning is not None
        and (word_count >= meaning_min_words or second_sign_missing(outcome))
        and not ordinary_scheduling(outcome)
    ):
        if probability is None:
            probability = score(outcome.normalised)
        meant = meaning(probability)
        if meant >= meaning_threshold:
            return CrisisAssessment(
                True, (SUICIDE,), (f"meaning.p{_bucket(meant)}", *result.reasons)
            )
    return result


def written_in_spanish(result: CrisisAssessment, text: str) -> bool:
    """Whether a flagged message is in Spanish, so that the crisis reply goes in Spanish: a
    Spanish rule's cue is in it (standing or set aside: either way the words are Spanish),
    or, for a flag the word or meaning tiers raised, it reads as Spanish
    (:func:`~quietline.safety.crisis_spanish.reads_as_spanish`)."""
    if not result.crisis:
        return False
    return any(r.startswith("es.") for r in result.reasons) or reads_as_spanish(text)


def assess_by_words(text: str) -> CrisisAssessment:
    """The rules and the linear tier, without the meaning tier: what the detector decides from
    words alone. Tests of what the rules and the linear tier do use it; the meaning tier's
    own effect is measured by the evaluation sets and their ratchets (decision 0022)."""
    model = crisis_model.load_model()
    return combine(assess_rules(text), model.score, model.threshold, model.block, model.min_words)


def assess(text: str) -> CrisisAssessment:
    """Assess one message. No I/O after the first call (the models are read once), no state.

    The rules decide first (:func:`assess_rules`); if they flag nothing, the learned tier may,
    unless the message is shorter than the model's ``min_words``, and then the meaning tier
    (:func:`combine`). A flag from either model has the category ``suicide`` (the models do
    not tell the kinds apart; the crisis reply and alerts are the same for every category)
    and the reason ``model.p<bucket>`` or ``meaning.p<bucket>``; when the rules' everyday
    reading keeps the linear model from flagging, ``model.p<bucket>~set_aside`` is added.
    The meaning tier costs a few milliseconds of CPU: call this off the event loop and off
    the single writer (:func:`quietline.actions.client_messages.assess_inbound`).
    """
    model = crisis_model.load_model()
    tier = crisis_meaning.load_meaning_tier()
    meaning = None if tier is None else partial(tier.probability, text)
    return combine(
        assess_rules(text),
        model.score,
        model.threshold,
        model.block,
        model.min_words,
        meaning,
        tier.threshold if tier is not None else 1.0,
        tier.min_words if tier is not None else 0,
    )
