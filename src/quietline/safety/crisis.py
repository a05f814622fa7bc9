"""Rule-based crisis detection for inbound client messages.

``assess(text)`` says whether a message may express suicidal intent, self-harm or intent to
harm others, which of those categories, and which rules fired. It is a *safety net* that
raises a message to a clinician's attention; it is not a clinical assessment (decision 0015).

How it works, in order:

1. **Normalise**: lowercase, one kind of apostrophe and quotation mark, common SMS spellings
   (``kms``, ``wanna``, ``im``, ``dont`` ...), digits and symbols used as letters (``k1ll``),
   long letter runs (``soooo``) and whitespace.
2. **Split**: text in double quotation marks is set apart (it is analysed, but knowing it is
   quoted), then the rest is split into clauses at sentence punctuation, line breaks and
   ``but`` / ``however``.
3. **Idioms** (``this traffic is killing me``, ``dying to``, ``cut myself some slack``) are
   blanked out of each clause before any rule runs.
4. **Rules** (regular expressions, each with a stable name and a category) find candidate
   cues in each clause.
5. **Dampeners** decide, per cue, whether it is negated in its own clause, historical with
   recovery cues, quoted or about a film, book or another person, an accident, or joking
   hyperbole. A cue stays a crisis unless a dampener clearly applies: recall matters more
   than precision for a safety net.

Everything here is pure and uses only :mod:`re`; no text leaves the function, and the
``reasons`` of an assessment name rules and dampeners, never words of the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CATEGORIES", "CrisisAssessment", "assess", "normalise"]

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
_LEET_TOKEN = _c(r"[a-z0-9@$!]*[a-z][a-z0-9@$!]*")
_LEET_MAP = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                           "@": "a", "$": "s", "!": "i"})  # fmt: skip
_NOT_LEET = _c(r"\d+(?:[a-z]{1,3}|'?s)|[a-z]\d+|\d+[a-z]\d+")  # 3pm, 2nd, 90s, b12, 1x2
_VOWEL_RUNS = _c(r"([aeiouy])\1{2,}")
_CONSONANT_RUNS = _c(r"([b-df-hj-np-tv-z])\1{2,}")

# Whole-word replacements, applied before the leetspeak pass (some contain digits).
_SMS: dict[str, str] = {
    "kms": "kill myself",
    "kys": "kill yourself",
    "unalive myself": "kill myself",
    "unaliving myself": "killing myself",
    "unalived myself": "killed myself",
    "unalive": "kill",
    "unaliving": "killing",
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
    "pls": "please",
    "plz": "please",
    "od": "overdose",
    "oding": "overdosing",
    "od'd": "overdosed",
    "odd": "overdosed",
    "selfharm": "self harm",
    "selfharming": "self harming",
    "selfharmed": "self harmed",
    "anymore": "anymore",
    "any more": "anymore",
}
_SMS_RE = _c(
    r"(?<![\w'])("
    + "|".join(re.escape(k) for k in sorted(_SMS, key=len, reverse=True))
    + r")(?![\w'])"
)
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
_KMS_DISTANCE = _c(r"(\d)\s*kill myself")  # "5 kms" is a distance


def _fix_ill(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        before = text[: m.start()].split()
        after = text[m.end() :].split()
        prev = before[-1] if before else ""
        nxt = after[0] if after else ""
        if prev in _ILL_ADJECTIVE_BEFORE or nxt in _ILL_NOUN_AFTER or not nxt:
            return "ill"
        return "i'll"

    return _ILL.sub(repl, text)


def _deleet(m: re.Match[str]) -> str:
    token = m.group(0)
    if token.isalpha():
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
    t = _SMS_RE.sub(lambda m: _SMS[m.group(1)], t)
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

_QUOTED = _c(r'"([^"\n]{1,400})"')
_QUOTE_MARK = " qqq "
_CLAUSE_SPLIT = _c(
    r"(?:[.!?;]+(?=\s|$|[\"'])|\n+|\s[-\u2013\u2014]+\s|\s*\.\.\.+\s*"
    r"|,?\s+\b(?:but|however|although|though|whereas)\b)"
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
        quotes.append(m.group(1))
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
    r"guy|man|woman|girl|boy|people|person|dude|students?|class|team|whole family)"
)
_TARGET = (
    r"(?:him|her|them|you|someone|somebody|anyone|anybody|everyone|everybody|people|"
    r"all of (?:them|you)|them all|(?:my|his|her|their|our|your|that|this|the|those|these)"
    r"(?: own)?(?: \w+)? " + _PERSON_NOUNS + r")"
)
_IDIOMS = _c(
    r"\b(?:die|dying|died|dead|death) (?:of|from) (?:embarrassment|shame|boredom|laughter|"
    r"laughing|cringe|cuteness|happiness|jealousy|envy|curiosity|thirst|hunger|excitement|"
    r"anticipation|suspense|heat|cold|exhaustion|the heat|the cold)\b"
    r"|\b(?:die|dying|died) (?:laughing|happy)\b|\bto die for\b|\bdying to\b"
    r"|\bdying for (?:a|an|some|the)\b|\bdying (?:my|her|his) hair\b"
    r"|\bdie (?:my|her|his|your) (?:hair|clothes|shirt|jeans)\b"
    r"|\bdead (?:tired|serious|on my feet|battery|phone|end)\b"
    r"|\b(?:bored|scared|worried|sick|tickled|freezing|frozen|loved|annoyed|stressed) to death\b"
    r"|\b(?:the )?death of me\b|\bover my dead body\b"
    r"|\b(?:rather|sooner) die than\b"
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
    r"|\bgoodbye for now\b|\bsay goodbye to (?:my|the|our) (?:old|\w+ )?(?:job|house|car|"
    r"apartment|hair|phone|couch)\b"
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


_I_MODALS = (
    r"\bi(?:'m|'ll|'d|'ve)?(?: (?:really|just|seriously|honestly|actually|literally|fucking|"
    r"so|finally|definitely|totally|probably|genuinely|still))*"
    r" ?(?:going to|about to|ready to|planning (?:on|to)|plan to|thinking (?:about|of)|"
    r"tempted to|want to|want|wanted to|will|need to|have to|got to|might|may|swear i'll|"
    r"think i'll|think i might|feel like|keep thinking (?:about|of)|can't stop thinking about|"
    r"fantasi[sz]e about|fantasi[sz]ing about|dream about|am going to|'m going to|"
    r"been thinking (?:about|of)|gonna|intend to|decided to|'ll|'m|)"
    r"(?: (?:really|just|seriously|actually|literally|fucking|go and|go|finally))*"
)
_OTHER_VERBS = (
    r"(?:kill(?:ing)?|murder(?:ing)?|hurt(?:ing)?|harm(?:ing)?|shoot(?:ing)?|stab(?:bing)?|"
    r"strangl(?:e|ing)|chok(?:e|ing)|beat(?:ing)?(?: up)?|punch(?:ing)?|attack(?:ing)?|"
    r"poison(?:ing)?|smother(?:ing)?|drown(?:ing)?|run over|running over|slit|burn(?:ing)?|"
    r"tortur(?:e|ing)|bash(?:ing)?|break (?:his|her|their) (?:neck|legs|face)|hit(?:ting)?|"
    r"slap(?:ping)?|strangle|suffocat(?:e|ing))"
)
_TARGET_END = r"(?!'s|s\b| up\b| (?:a|an) (?:text|message|email|note|line|dm))\b"
_PILLS = (
    r"(?:pills|meds|medications?|medicines?|tablets|sleeping pills|painkillers|pain killers|"
    r"antidepressants|insulin|tylenol|paracetamol|advil|ibuprofen|xanax|oxy\w*|opioids|"
    r"lithium|prescriptions?|bottle|drugs)"
)
_TAKE_ALL = (
    r"(?:all|every one|the rest|a (?:whole )?bunch|(?:the|a) (?:whole )?bottle|"
    r"half (?:a|the) bottle|a handful|handfuls|"
    r"a lot|too many|all the|all of|enough|as many|everything)"
)

_RULES: tuple[_Rule, ...] = (
    # ---- suicide: explicit -------------------------------------------------------------
    _Rule(
        "suicide.kill_myself",
        SUICIDE,
        _c(r"\b(?:kill(?:ing|ed|s)?|end(?:ing|ed)?|off(?:ing|ed)?|murder(?:ing)?) my ?self\b"),
        hyperbole=True,
    ),
    _Rule(
        "suicide.end_my_life",
        SUICIDE,
        _c(
            r"\b(?:end(?:ing|ed)?|take|taking|took|finish(?:ing)?) (?:my (?:own )?life|it all)\b"
            r"|\bend it all\b|\bending it all\b"
        ),
    ),
    _Rule(
        "suicide.end_it",
        SUICIDE,
        _c(
            r"\b(?:want to|going to|i'll|ready to|plan to|planning to|thinking (?:about|of)|"
            r"think about|urge to|decided to|about to|should|could just|might|just|gonna|need to)"
            r" (?:just )?end(?:ing)? (?:it|things|everything|this)\b"
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
            r"|\bwish (?:that )?i (?:was|were|could be|'d be) dead\b"
            r"|\bwant(?:ed)? to be dead\b|\bbetter off dead\b"
            r"|\bwant to (?:just )?(?:disappear|vanish) (?:forever|for good|permanently)\b"
            r"|\bi'?d rather (?:be dead|die)\b(?! than)"
            r"|\bwish (?:that )?i (?:had )?(?:never (?:been born|existed|woke up)|"
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
        ),
        subject_check=True,
        hyperbole=True,
    ),
    _Rule(
        "suicide.not_wake_up",
        SUICIDE,
        _c(
            r"\b(?:want|wish|hope|pray|like) to (?:just )?(?:go to )?sleep (?:and|&) (?:never|not) "
            r"wake up\b"
            r"|\b(?:hope|wish|pray)s? (?:that )?i (?:don't|won't|wouldn't|never|didn't) wake up\b"
            r"|\b(?:don't|never) want to wake up\b"
            r"|\b(?:want|wish) to sleep forever\b|\bgo to sleep forever\b"
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
            r"(?:want|wish|care) to (?:live|be alive|exist|keep living|go on living|be around|"
            r"be here|stay alive|continue|keep going|go on)\b"
            r"(?:(?= anymore| any longer| on (?:this )?earth| in this world| no more| like this)"
            r"|(?!\s*(?:with|near|there|here|at|on|by|close|far|together|in|alone|abroad|"
            r"downtown|anywhere|somewhere|under|for|if|when|until|past|to|tonight|today|"
            r"tomorrow|this (?:week|weekend)|and|through|without)\b))"
        ),
        negation="prefix",
        subject_check=True,
    ),
    _Rule(
        "suicide.tired_of_living",
        SUICIDE,
        _c(
            r"\b(?:tired|sick|exhausted|done) (?:of|with) (?:living|being alive|life|existing|"
            r"being here|it all|everything forever)\b"
            r"|\bdone with life\b|\bi'm done living\b"
        ),
        subject_check=True,
    ),
    _Rule(
        "suicide.no_reason_to_live",
        SUICIDE,
        _c(
            r"\b(?:no|not (?:a|any|one)|don't have (?:a|any)|can't (?:find|think of|see) (?:a|any)|"
            r"without (?:a|any)|lost (?:my|every|all)) (?:single )?(?:reason|point|purpose|will) "
            r"(?:to|in|for|of) (?:live|living|go on|going on|keep going|keep living|be alive|"
            r"being alive|be here|being here|stay|staying|life|exist|existing|wake up|waking up|"
            r"carry on|carrying on)\b"
            r"|\bnothing (?:left )?to live for\b"
            r"|\b(?:life|living|my life) (?:isn't|is not|ain't|is no longer|not|isn't really) "
            r"worth (?:living|it|anything)\b"
            r"|\bwhat(?:'s| is) the point (?:of|in) (?:living|life|anything|being alive|"
            r"going on|existing|me|carrying on|waking up)\b|\bwhat(?:'s| is) the point anymore\b"
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
            r"\bcan't (?:go on|keep going|keep living|carry on|live like this|survive this|"
            r"take (?:it|this|the pain|much more) anymore|do this anymore|do it anymore|"
            r"hold on (?:anymore|much longer|any longer)|keep fighting|fight (?:it|this) anymore)\b"
            r"(?! (?:the|a|an|my|your|his|her|their|with|to|at|that|this|vacation|holiday|trip|"
            r"tour|date|stage|air|leave|about|and on|without|working|job)\b)"
            r"|\b(?:not sure|don't think|doubt|don't know if|don't know how much longer|"
            r"don't know how long) (?:if |whether |that )?i can (?:go on|keep going|do this|"
            r"survive|make it|hold on|keep living|take (?:it|this)|carry on|keep fighting)\b"
        ),
        negation="prefix",
        subject_check=True,
    ),
    _Rule(
        "suicide.better_off_without_me",
        SUICIDE,
        _c(
            r"\bbetter off (?:without me|if i (?:was|were|wasn't|weren't|didn't|died|was gone|"
            r"were gone|left for good|never)|with me gone|when i'm gone|once i'm gone)\b"
            r"|\bbetter without me\b"
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
            r"|\bi'll be gone (?:by|before|soon|tomorrow|tonight|forever|for good)\b"
            r"|\b(?:it|everything|all of this|the pain)(?:'ll| will) (?:all )?be over "
            r"(?:soon|tonight|tomorrow)\b"
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
            r"\b(?:take|taking|took|swallow|swallowing|swallowed|down|downing|downed) "
            + _TAKE_ALL
            + r" (?:of )?(?:my |the |these |those |her |his |their |mom's |dad's |\w+'s )?"
            + r"(?:\w+ )?"
            + _PILLS
            + r"\b"
            + r"|\b"
            + _PILLS
            + r" (?:are |is )?(?:ready|lined up|counted|laid out|set up|"
            r"counted out|in front of me)\b"
            r"|\b(?:saving|saved|stockpil\w+|hoard\w*|collecting|collected|stash\w*|hid|hidden|"
            r"hiding) (?:up )?(?:all )?(?:my |the |some |enough )?" + _PILLS + r"\b"
            r"|\b(?:i|i'm|i've|going to|want to|will|i'll|might|just|plan to|thinking about)"
            r" ?(?:just )?overdos(?:e|ed|ing)\b|\boverdos(?:e|ed|ing) (?:tonight|on (?:my|the|all|"
            r"sleeping|pain))\b|\ban overdose\b(?= tonight| of)"
        ),
        meds_routine=True,
    ),
    _Rule(
        "suicide.method_jump",
        SUICIDE,
        _c(
            r"\bjump(?:ing)? (?:off|from) (?:a|the|this|that|my|our|\w+) (?:\w+ )?(?:bridge"
            r"|building|"
            r"roof|rooftop|cliff|balcony|overpass|ledge|tower|parking (?:garage|structure)|window|"
            r"high rise|skyscraper)\b(?! into)"
            r"|\b(?:jump|jumping|step|stepping|throw myself|throwing myself|walk|walking|lie|lay) "
            r"(?:out )?in front of (?:a|the|an) (?:\w+ )?(?:train|bus|car|truck|subway|lorry"
            r"|traffic)\b"
            r"|\bthrow(?:ing)? myself (?:off|under)\b"
            r"|\bwalk(?:ing)? into (?:the )?(?:sea|ocean|lake|river|traffic)\b"
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
            r"|\b(?:tie|tied|tying|made|make|making|bought|buy|have|got|tested) (?:a |the "
            r"|my )?noose\b"
            r"|\brope (?:is )?(?:ready|tied|up)\b|\bsuffocat(?:e|ing) my ?self\b"
            r"|\bpoison(?:ing)? my ?self\b|\bstarve my ?self to death\b|\bset my ?self on fire\b"
            r"|\b(?:want|going|thinking about|think about|tempted|urge|planning|plan|keep thinking "
            r"about|fantasi[sz]e about) (?:to )?(?:just )?(?:drive|driving|crash|crashing|swerve|"
            r"swerving|steer|steering) (?:my car )?(?:into|off)\b"
            r"|\bcrash(?:ing)? my car on purpose\b"
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
            r"|\b(?:bought|loaded|got|have) (?:a|the|my) (?:gun|rope|pistol|rifle)\b"
            r"|\bi have a plan\b|\bi've (?:got|made) a plan\b"
        ),
        needs_context=True,
    ),
    # ---- suicide: goodbye --------------------------------------------------------------
    _Rule(
        "suicide.goodbye",
        SUICIDE,
        _c(
            r"\bthis is (?:my )?(?:goodbye|good bye|farewell|the end)\b"
            r"|\b(?:my|this is my|this will be my) (?:last|final) (?:message|text|goodbye|note|"
            r"words|day)\b|\bgoodbye forever\b|\bgoodbye (?:everyone|world|cruel world)\b"
            r"|\byou won't (?:hear from|see) me (?:again|anymore|after)\b"
            r"|\bby the time you (?:read|see|get|open) this\b"
            r"|\bi've (?:made|said) (?:my )?(?:peace|goodbyes)\b"
            r"|\b(?:goodbye|suicide|farewell|final|last) (?:note|letter)s?\b"
            r"|\bgiving away (?:all )?my (?:things|stuff|belongings|possessions|pets?|cat|dog)\b"
            r"|\b(?:take care of|look after|find a home for) my (?:cat|dog|kids|children|pets?|"
            r"family|plants) for me\b"
            r"|\bmy affairs (?:are )?in order\b"
            r"|\bplease (?:tell|let) my \w+ (?:know )?(?:that )?i (?:love|loved|am sorry)\b"
        ),
        negation="none",
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
    ),
    _Rule(
        "suicide.wont_need_appointment",
        SUICIDE,
        _c(
            r"\b(?:won't|will not|not going to|wouldn't) (?:be )?(?:need|needing) (?:the|my|our|"
            r"any more|anymore|another|next|any|that|thursday's|tomorrow's|this week's)? ?"
            r"(?:next |future |more |further )?(?:appointments?|sessions?|therapy)\b"
        ),
        negation="none",
        schedule=True,
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
            r"bruise|bruised|bruising|punish|punishing) my ?self\b"
            r"|\b(?:cut|cutting|carve|carved|carving|slice|sliced|slicing|slash|slashed|slashing|"
            r"scratch|scratched|scratching|burn|burned|burnt|burning) (?:up )?my (?:own )?(?:arms?|"
            r"wrists?|legs?|thighs?|skin|stomach|hips?|body|belly|ankles?)\b"
            r"|\bbang(?:ing)? my head (?:against|on|into) (?:the |a )?wall\b"
        ),
        accident=True,
    ),
    _Rule(
        "self_harm.cutting",
        SELF_HARM,
        _c(
            r"\b(?:i've been|been|started|start|keep|kept|i'm|am|back to|went back to|go back to|"
            r"relapsed|still|urge to|urges to|want to|tempted to|need to|itching to|craving) "
            r"(?:cutting|cut|burning)(?= again| myself|$| tonight| today| right now| so bad"
            r"| lately|"
            r" every| more| deeper| because| when| to cope)"
            r"|\b(?:used to|would|i'd) (?:cut|burn)(?! (?:my hair|back|down|out|off|class|school|"
            r"corners|ties|the|it|things|people|in|through|up)\b)\b"
            r"|\bcut again\b|\bcutting again\b"
            r"|\bi cut (?:last night|yesterday|tonight|today|this morning|deep|deeper|too deep)\b"
            r"|\b(?:new|fresh|my) (?:cuts|scars|wounds) (?:are|on|from)\b"
            r"|\burges? to (?:self harm|hurt myself|burn myself|cut myself|cut)\b"
        ),
        accident=True,
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
            + r"|\b(?:thoughts?|urges?|images?|impulses?) (?:of|about|to) (?:\w+ )?"
            + _OTHER_VERBS
            + r" "
            + _TARGET
            + _TARGET_END
        ),
    ),
    _Rule(
        "harm_to_others.want_dead",
        HARM_TO_OTHERS,
        _c(
            r"\b(?:want|wish|need) (?:him|her|them|my \w+(?: \w+)?|that \w+|he|she|they|"
            r"everyone|all of them) (?:was |were |to be |)dead\b"
            r"|\b(?:he|she|they|you) (?:deserves?|deserve) to die\b"
        ),
        subject_check=False,
        hyperbole=True,
    ),
    _Rule(
        "harm_to_others.weapon",
        HARM_TO_OTHERS,
        _c(
            r"\bshoot(?:ing)? up (?:the|my|a|this|that) (?:\w+ )?(?:school|office|work|workplace|"
            r"place|church|mall|building|party|class|campus|store)\b"
            r"|\b(?:bring|take|bringing|taking|brought|took) (?:a|my|the|dad's) (?:gun|knife|rifle|"
            r"weapon|pistol|bomb) (?:to|into) (?:school|work|the office|class|his|her|their|the|"
            r"church|campus)\b"
            r"|\b(?:know|found out) where (?:he|she|they) (?:lives?|sleeps?)\b(?=.*\b(?:gun|knife|"
            r"kill|hurt|pay|sorry))"
        ),
    ),
)


# --------------------------------------------------------------------------------------
# Dampeners and context cues
# --------------------------------------------------------------------------------------

_NEGATOR = _c(
    r"\b(?:not|never|no|nor|without|none|nobody|hardly|barely|neither|stopped|quit)\b|n't\b"
)
# Phrases with a negator that do not negate what follows.
_NOT_NEGATING = _c(
    r"\b(?:can't|cannot|couldn't|won't|don't|didn't) (?:stop|help|quit|shake|get rid of|"
    r"seem to stop|control)\b"
    r"|\b(?:not|never) (?:sure|certain|okay|ok|fine|alright|well|doing (?:well|great|good|ok|"
    r"okay|fine)|coping|safe|able to stop|just|only|because|even sure)\b"
    r"|\b(?:don't|didn't|doesn't) know(?: (?:if|why|whether|how|what|when))?\b"
    r"|\bno (?:one|matter|idea|way out|reason|point|longer)\b|\bnobody\b"
    r"|\b(?:don't|doesn't) (?:care|matter)\b|\bnot (?:going to|gonna) lie\b|\bwon't lie\b"
    r"|\bnever mind\b|\bcan't wait\b|\bnot anymore\b|\bif not\b|\bcan't (?:sleep|eat|breathe|"
    r"think|focus|cope|handle)\b|\bnot (?:a|the) (?:joke|drill)\b|\bno joke\b"
    r"|\bnot (?:kidding|joking)\b|\bcan't (?:keep|get) (?:these|the|this) thoughts?\b"
    r"|\bwon't go away\b|\bdon't want to be alone\b|\b(?:never|not) felt (?:so|this)\b"
    r"|\bnothing\b|\bnot really sure\b|\bdon't think anyone\b|\bnot even\b"
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
    r",|;|:|\b(?:and|or|so|because|cause|then|also|plus|except|yet|while|until|unless)\b"
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
    r"we|you|your|protagonist|narrator|author|rapper|band|victim|victims|"
    r"(?!(?:there|it|that|what|here|who|where|how|life|everything|nothing|everyone)'s)\w+'s)\b"
)
_TOPIC = _c(
    r"\b(?:movie|movies|film|films|show|shows|tv|series|episode|episodes|book|books|novel|"
    r"story|stories|song|songs|lyrics?|album|essay|paper|article|report|podcast|documentary|"
    r"class|course|lecture|seminar|training|research|study|assignment|homework|thesis|"
    r"presentation|video ?game|character|news|awareness|prevention|statistics|stats|rates?|"
    r"form|questionnaire|survey|intake|workshop|webinar|volunteer|volunteering|debate|play|"
    r"musical|poem by|quote|meme|memes|tiktok|youtube|reddit|thread|anime|manga|comic|"
    r"scene|chapter|textbook|screening|hotline number for my|month|week of|day of|charity|"
    r"fundraiser|walk for|curriculum|policy|guidelines|\d+ reasons why)\b"
)
_TOPIC_FRAME = _c(
    r"\b(?:movie|film|show|series|episode|book|novel|story|song|lyrics?|album|essay|paper|"
    r"article|podcast|documentary|class|lecture|research|assignment|thesis|presentation|"
    r"game|character|news|poem|play|scene|chapter|video|post|meme|tiktok)s?\b"
    r"(?:\s+\w+){0,4}?\s+(?:about|called|titled|named|on|where|in which|that (?:says|goes)|"
    r"says|said|goes|like)\b"
)
_THIRD_PARTY_EVENT = _c(
    r"\b(?:died by|died of|committed|lost (?:him|her|them|my \w+|a \w+) to|took (?:his|her|"
    r"their) own life|killed (?:himself|herself|themselves)|(?:his|her|their) suicide|"
    r"(?:he|she|they) (?:self harms?|self harmed|cuts|cut (?:himself|herself|themselves)|"
    r"attempted|tried to|overdosed|is suicidal|was suicidal|are suicidal|were suicidal|"
    r"has been self harming|has been cutting))\b"
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
    r"in (?:high school|middle school|college|uni|university|school|my teens|my twenties|"
    r"my 20s|my youth|the past|19\d\d|20[0-2]\d)|when i was (?:younger|a kid|a child|a teen|"
    r"a teenager|little|in (?:high )?school|in college|\d+|young|at uni)|as a (?:kid|child|"
    r"teen|teenager)|back (?:then|when|in)|history of|previously|at (?:age )?\d{1,2}\b|"
    r"once before|growing up|in my past|past attempts?|old (?:scars|habits))\b"
)
_RECENT = _c(
    r"\b(?:again|right now|tonight|today|this (?:morning|afternoon|evening|week)|last night|"
    r"yesterday|still(?! (?:here|alive|standing|breathing|around))|currently|lately|"
    r"these days|recently|at the moment|anymore|this weekend|"
    r"an hour ago|minutes ago|just now|earlier)\b|\b(?:i'm|i am) (?:going to|about to)\b"
)
_RECOVERY = _c(
    r"\b(?:doing (?:so |much |a lot |way )?better|feel(?:ing)? (?:so |much |a lot |way )?"
    r"better|better now|clean (?:for|since|from)|\d+ (?:days?|weeks?|months?|years?) clean|"
    r"in recovery|recovered|recovering|haven't (?:\w+ ){0,3}since|no longer|stable now|"
    r"proud of (?:myself|how far)|made it through|got through|survived|glad (?:i'm|i am) "
    r"(?:still )?(?:here|alive)|grateful to be (?:alive|here)|anniversary|milestone|"
    r"in a (?:much )?better place|healed|healing|past that|behind me|over it now|"
    r"haven't (?:done|felt|had|thought) (?:it|that|those|this)(?: \w+){0,2} (?:in|for|since)|"
    r"things are (?:much |a lot )?better|stopped)\b"
)
_RELAPSE = _c(
    r"\b(?:again|relaps(?:e|ed|ing)|(?:are|is|came|coming|have come|has come|been coming) "
    r"back|returned|returning|started (?:cutting|again|to come back)|back to (?:cutting|square "
    r"one|how it was))\b"
)
_RELAPSE_NEGATED = _c(
    r"\b(?:haven't|not|never|without|no|don't|won't|didn't) (?:\w+ )?(?:again|relaps\w*|"
    r"come back|came back)\b|\bnever again\b"
)
_JOKE = _c(
    r"\b(?:lol|lols|lmao|lmfao|rofl|haha\w*|hehe\w*|jk|j/k|just kidding|kidding|jokes?|"
    r"joking|xd)\b|[\U0001f602\U0001f923\U0001f606\U0001f61c\U0001f92a]"
)
_SERIOUS = _c(
    r"\b(?:i mean it|i'm serious|i am serious|not (?:even )?joking|not (?:even )?kidding|"
    r"no joke|not a joke|for real|seriously|dead serious|i swear|i'm not playing|"
    r"i really will|i will do it|i'll do it)\b"
)
_SERIOUS_WITHOUT_JOKE = _c(r"\bnot (?:even )?(?:joking|kidding)\b|\bno joke\b|\bnot a joke\b")
_TRIVIAL = _c(
    r"\b(?:if i have to|if (?:he|she|they|you|this|that|my \w+) (?:\w+ ){0,4}(?:again|one more "
    r"time)|exam|test|quiz|class|homework|meeting|meetings|traffic|work|song|episode|game|"
    r"match|presentation|math|monday|mondays|hangover|cringe|embarrass\w*|spoil\w*|spoilers?|"
    r"ate my|eats my|finished my|took my|borrowed my|annoying|annoyed|snor\w+|chew\w+|dishes|"
    r"leftovers|fries|pizza|finale|ending|wifi|printer|queue|line|group chat|group project|"
    r"so embarrassing|mortified|awkward|autocorrect|typo|deadline|report card)\b"
)
_ACCIDENT = _c(
    r"\b(?:accident\w*|by mistake|cooking|chopping|slicing (?:\w+ )?(?:onions|bread|veg\w*)|"
    r"shaving|baking|stove|oven|pan|kettle|iron|curling|straightener|hair dryer|gym|workout|"
    r"working out|lifting|running|jogging|playing|practice|skiing|snowboarding|hiking|"
    r"biking|cycling|climbing|football|soccer|basketball|tennis|fell|fall|falling|tripped|"
    r"slipped|sprain\w*|twisted|paper cut|on (?:a|the) (?:knife|glass|can|paper|counter|"
    r"door|corner|table|edge|fence|nail)|opening|doing (?:the )?dishes|gardening|moving|"
    r"carrying|sports?|yoga|dance|dancing|surfing|skating|at work|the doctor said|"
    r"ice|stairs|sunburn\w*|sun)\b"
)
_ON_PURPOSE = _c(r"\b(?:on purpose|deliberately|intentionally|to feel something|to cope)\b")
_ABSENCE_BENIGN = _c(
    r"\b(?:vacation|holiday|holidays|trip|travel\w*|out of town|away|abroad|conference|flight|"
    r"flying|moving|moved|visiting|camping|surgery|dentist|doctor|work|working|wedding|"
    r"funeral|sick|family|hospital stay|business|retreat|festival|concert|exam|exams|shift|"
    r"reschedule|cancel\w*|no signal|no wifi|offline|off the grid|phone|reception|course|"
    r"training|jury duty|overseas|internship|honeymoon|birthday|kids|school|college)\b"
)
_SCHEDULE_BENIGN = _c(
    r"\b(?:better|moving|moved|reschedul\w*|cancel\w*|insurance|another (?:therapist|provider|"
    r"clinician|counsel\w*)|new therapist|vacation|holiday|trip|travel\w*|out of town|sick|"
    r"ill|flu|covid|work|job|exam|doctor|dentist|surgery|childcare|babysitter|car|weather|snow|"
    r"conflict|busy|wedding|funeral|family emergency|going well|discharged|finished|"
    r"graduat\w*|ending therapy|done with therapy|goals|progress|improv\w*|taking a break|"
    r"pause|afford|cost|money|budget|switch\w*|transfer\w*|referr\w*|group|in person|"
    r"video|online|telehealth|booked|book|time|date|slot|instead|until|after|next month)\b"
)
_MEDS_ROUTINE = _c(
    r"\b(?:forgot|forget|forgetting|remember|remembered|reminder|remind|refill|refilled|"
    r"pharmacy|pharmacist|as prescribed|prescribed|on time|with food|with (?:breakfast|lunch|"
    r"dinner)|side effects|dosage|daily|every (?:day|morning|night|evening)|each (?:day|"
    r"morning|night)|schedule|routine|doctor (?:said|says|told)|morning|evening|bedtime|"
    r"pill (?:box|organi[sz]er)|antibiotics|course of|in order|supposed to|taper\w*)\b"
)
_MEDS_DANGER = _c(
    r"\b(?:at once|at the same time|in one go|all together|altogether|the whole bottle|to end|"
    r"so i (?:don't|won't|can|never)|and (?:never|not) wake|to die|to sleep forever|"
    r"enough to|overdose|with (?:vodka|alcohol|wine|whiskey)|ready)\b"
)
_FINALITY = _c(
    r"\b(?:goodbye|good bye|bye|farewell|i'm sorry|i am sorry|sorry for everything|"
    r"forgive me|take care of|won't (?:be|need|see|hear|have to)|last|final|tell my|"
    r"not your fault|i love you all|remember me|i'm done|i am done|i'm ready|it's time|"
    r"at peace|peace now|gone|forever|no longer|end it|the end|anymore|for trying|"
    r"you did (?:everything|all) you could|couldn't be saved|my time)\b"
)
_NOT_FINAL = _c(
    r"\b(?:see you|next (?:week|session|time|month|appointment)|until next|looking forward|"
    r"tomorrow's session|can't wait|talk soon|see ya|this week's session|our session on)\b"
)
_SCREENING = _c(
    r"\b(?:asked|asks|asking|ask) (?:me |us )?(?:if|whether|about|how often)\b"
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
    r"burden|can't go on|better off|cut|pain will stop)\b"
)
_DENIAL_ANSWER = _c(
    r"^(?:no|none|nope|never|not really|not at all|nah|definitely not|absolutely not|"
    r"of course not|god no|no way|not anymore|n/a)\b"
)
_POST_DENIAL = _c(r"^\s*[:?\-]?\s*(?:no|none|nope|never|not really|not at all|nah)\b")
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


def _message_cues(norm: str) -> _Message:
    relapse = bool(_RELAPSE.search(norm)) and not _RELAPSE_NEGATED.search(norm)
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
        absence_benign=bool(_ABSENCE_BENIGN.search(norm)),
        schedule_benign=bool(_SCHEDULE_BENIGN.search(norm)),
        meds_routine=bool(_MEDS_ROUTINE.search(norm)),
        meds_danger=bool(_MEDS_DANGER.search(norm)),
        finality=bool(_FINALITY.search(norm)) and not _NOT_FINAL.search(norm),
        screening_affirmed=bool(_AFFIRM.search(norm)),
        safety_plan_action=bool(_SAFETY_ACTION.search(norm)),
        risk_context=bool(_RISK_CONTEXT.search(norm)),
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
    window = " ".join(words[-7:])
    hits = list(_NEGATOR.finditer(window))
    if not hits:
        return False
    m = hits[-1]
    # "i've never wanted to die so badly": an intensifier, not a negation.
    return not (m.group(0) == "never" and re.search(r"^\W*(?:so|this) (?:badly|much)|more", after))


def _third_party(scope: str, clause: str) -> bool:
    if _THIRD_PARTY_EVENT.search(clause):
        return True
    # The nearest subject wins: "i think he wants to die" is about him.
    last = max((m.end() for m in _FIRST_PERSON_SUBJECT.finditer(scope)), default=0)
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
    if rule.subject_check and _third_party(scope, text):
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
    # History with recovery.
    if rule.past_ok and not _RECENT.search(text):
        if _DISTANT_PAST.search(text):
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
    if rule.absence and msg.absence_benign:
        return "benign_reason"
    if rule.schedule and msg.schedule_benign:
        return "benign_reason"
    if rule.meds_routine and msg.meds_routine and not msg.meds_danger:
        return "routine"
    if rule.needs_finality and not msg.finality:
        return "no_finality"
    if rule.needs_context and not msg.risk_context:
        return "no_context"
    if rule.needs_serious and not msg.serious:
        return "hyperbole"
    # Joking hyperbole.
    if (
        rule.hyperbole
        and msg.joke
        and not msg.serious
        and (rule.category == HARM_TO_OTHERS or msg.trivial or re.search(r"\bif\b", text))
    ):
        return "hyperbole"
    if (
        rule.category == HARM_TO_OTHERS
        and msg.trivial
        and not msg.serious
        and not re.search(
            r"\b(?:gun|knife|weapon|tonight|tomorrow|plan|where (?:he|she|they) lives?)\b",
            msg.normalised,
        )
    ):
        return "hyperbole"
    return None


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def assess(text: str) -> CrisisAssessment:
    """Assess one message. Pure and fast: no I/O, no state, regular expressions only."""
    norm = normalise(text)
    if not norm.strip():
        return CrisisAssessment(False, (), ())
    msg = _message_cues(norm)
    clauses = _split(norm)
    fired: list[tuple[str, str]] = []  # (category, rule name)
    set_aside: list[tuple[str, str, str, int]] = []  # (category, rule, dampener, clause)
    for i, clause in enumerate(clauses):
        cleaned, _ = _strip_idioms(clause.text)
        nxt = clauses[i + 1] if i + 1 < len(clauses) else None
        for rule in _RULES:
            for m in rule.pattern.finditer(cleaned):
                why = _dampener(rule, clause, cleaned, m, nxt, msg)
                if why is None:
                    fired.append((rule.category, rule.name))
                else:
                    set_aside.append((rule.category, rule.name, why, clause.index))
    # A past or negated cue that comes back: "i used to cut. i've started again",
    # "i won't kill myself, but i think about it every day".
    if set_aside:
        for category, name, why, index in set_aside:
            if why == "past" and msg.relapse:
                fired.append((category, name + "+relapse"))
            elif why == "negated" and category != HARM_TO_OTHERS:
                later = [c for c in clauses if c.index > index and not c.quoted]
                for c in later:
                    hit = _ANAPHORA.search(c.text)
                    if hit and not _is_negated(_scoped_prefix(c.text[: hit.start()]), ""):
                        fired.append((category, name + "+anaphora"))
                        break
    categories = tuple(c for c in CATEGORIES if any(f[0] == c for f in fired))
    reasons: list[str] = []
    for _, name in fired:
        if name not in reasons:
            reasons.append(name)
    for _, name, why, _ in set_aside:
        label = f"{name}~{why}"
        if label not in reasons:
            reasons.append(label)
    return CrisisAssessment(bool(categories), categories, tuple(reasons))
