"""Spanish rules for the crisis detector.

:func:`spanish_cues` finds Spanish phrasings of suicidal intent, self-harm and intent to harm
others in a message already normalised by :func:`quietline.safety.crisis.normalise`
(lowercased, one kind of quotation mark, whitespace collapsed; accents kept). It returns every
cue it finds: a cue whose ``dampener`` is ``None`` stands; the others were set aside for the
reason named (negated, an idiom, the past, someone else ...). Like the English rules it is a
safety net, so a cue stands unless a dampener clearly applies.

How it works:

1. **Fold** a copy of the text: accents are stripped (``ñ`` becomes ``n``) and common
   texting spellings are expanded (``q``/``k`` "que", ``xq`` "porque", ``toy`` "estoy",
   ``kiero`` "quiero", ``boy a`` "voy a"). A written accent on a third-person preterite
   (``mató``, ``intentó``) is kept as a marker first, since it is the only thing that tells
   "lo mató" (someone else, in the past) from "lo mato" (a first-person threat).
2. **Split** into clauses at sentence punctuation, line breaks and ``pero`` / ``aunque``.
3. **Rules** (regular expressions with stable names) match first-person phrasings. Spanish
   marks the person in the verb, so the rules spell it out ("matarme", "me quiero morir",
   "me corté"); third-person forms ("quiere matarse", "se quiere morir") have rules of their
   own that are always set aside (``third_party``, or ``idiom`` for "mi jefe me va a matar").
4. **Dampeners** decide, per cue, whether an everyday reading applies: negation governing the
   cue, an idiom, an accident, someone else (governing verb, reported speech, owner of a noun
   cue), a film or topic, a hypothetical or screening question, the past with no relapse, a
   missing second sign for weak cues ("ya no aguanto más" alone), a retraction or a joke.

Everything here is pure and uses only precompiled regular expressions; rule and dampener
names never contain message text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["DAMPENERS", "RULES", "SpanishCue", "reads_as_spanish", "spanish_cues"]

SUICIDE = "suicide"
SELF_HARM = "self_harm"
HARM_TO_OTHERS = "harm_to_others"

# Every dampener this module can set (the lead maps them to reasons).
DAMPENERS: frozenset[str] = frozenset(
    {
        "negated",  # "no quiero matarme", "nunca me haría daño"
        "idiom",  # "me muero de hambre", "me corté el pelo", "... jaja"
        "past",  # "hace años intenté suicidarme, ahora estoy bien"
        "third_party",  # "mi amiga dice que se quiere matar"
        "media",  # "vi una película sobre el suicidio"
        "hypothetical",  # "si alguna vez pienso en matarme, ¿a quién llamo?"
        "screening",  # "el doctor me preguntó si quería hacerme daño"
        "accident",  # "me corté cocinando"
        "routine",  # "me tomé todas las pastillas del antibiótico"
        "retracted",  # "... es broma", "... estoy exagerando"
        "no_context",  # a cue that needs a second sign in the message and has none
    }
)


@dataclass(frozen=True, slots=True)
class SpanishCue:
    """One cue found by :func:`spanish_cues`.

    ``category`` is ``"suicide"``, ``"self_harm"`` or ``"harm_to_others"``; ``rule`` a stable
    rule name (``"es.suicide.kill_myself"``); ``dampener`` ``None`` when the cue stands, else
    the name of the reason it was set aside (one of :data:`DAMPENERS`).
    """

    category: str
    rule: str
    dampener: str | None


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------

# "mató", "intentó": an accented third-person preterite becomes "mato3", which no
# first-person rule matches ("lo mató" is a report, "lo mato" a threat). Unaccented texting
# keeps the first-person reading: recall first.
_PRETERITE_3RD = _c(
    r"\b(mat|intent|trat|pens|cort|lastim|quem|tom|suicid|ahorc|dispar|tir|avent|lanz|"
    r"decid|amenaz|envenen|colg)ó(?!\w)"
)
# Texting "k": "kiero" -> "quiero", "kortarme" -> "cortarme"; a lone "k" is "que" (_SLANG).
_K_QU = _c(r"k(?=[ei])")
_K_C = _c(r"k(?=[aou])")
_SLANG: dict[str, str] = {
    "q": "que",
    "k": "que",
    "qe": "que",
    "xq": "porque",
    "xque": "porque",
    "pq": "porque",
    "porq": "porque",
    "porqe": "porque",
    "xfa": "por favor",
    "toy": "estoy",
    "toi": "estoy",
    "stoy": "estoy",
    "estoi": "estoy",
    "stas": "estas",
    "sta": "esta",
    "voi": "voy",
    "quero": "quiero",
    "qiero": "quiero",
    "qero": "quiero",
    "qiere": "quiere",
    "qisiera": "quisiera",
    "tngo": "tengo",
    "tego": "tengo",
    "nunc": "nunca",
    "nunk": "nunca",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "tmbn": "tambien",
    "x": "por",
    "xa": "para",
    "pa": "para",
    "d": "de",
    "m": "me",
    "t": "te",
    "s": "se",
    "ps": "pues",
    "pz": "pues",
    "aora": "ahora",
    "ahorita": "ahora",
    "orita": "ahora",
    "nd": "nada",
    "nda": "nada",
    "bn": "bien",
    "mjr": "mejor",
    "tdo": "todo",
    "tdos": "todos",
    "tds": "todos",
    "dsp": "despues",
    "dps": "despues",
    "dsps": "despues",
    "mnn": "manana",
    "cmo": "como",
    "dnd": "donde",
    "cn": "con",
    "sn": "sin",
    "xo": "pero",
    "tons": "entonces",
    "aser": "hacer",
    "haser": "hacer",
    "acer": "hacer",
    "aserme": "hacerme",
    "haserme": "hacerme",
    "acerme": "hacerme",
    "aserle": "hacerle",
    "haserle": "hacerle",
    "acerle": "hacerle",
    "ise": "hice",
    "hise": "hice",
    "ize": "hice",
    "hize": "hice",
    "bida": "vida",
    "bivir": "vivir",
    "bibir": "vivir",
    "vibir": "vivir",
    "sucidio": "suicidio",
    "suisidio": "suicidio",
}
_SLANG_RE = _c(
    r"(?<![\w'])("
    + "|".join(re.escape(k) for k in sorted(_SLANG, key=len, reverse=True))
    + r")(?![\w'])"
)
_BOY_A = _c(r"\bboy a\b")  # "me boy a matar": b/v confusion, only before "a"
_VOWEL_RUNS = _c(r"([aeiou])\1{2,}")
_CONSONANT_RUNS = _c(r"([b-df-hj-np-tv-z])\1{2,}")
_SPACES = _c(r"[ \t\f\v\u00a0]+")


def _fold(norm: str) -> str:
    t = _PRETERITE_3RD.sub(r"\1o3", unicodedata.normalize("NFC", norm.lower()))
    t = unicodedata.normalize("NFD", t)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = t.replace('"', " ")  # reported speech is judged by its verb, not its quotation marks
    t = _K_QU.sub("qu", t)
    t = _K_C.sub("c", t)
    t = _SLANG_RE.sub(lambda m: _SLANG[m.group(1)], t)
    t = _BOY_A.sub("voy a", t)
    t = _VOWEL_RUNS.sub(r"\1", t)
    t = _CONSONANT_RUNS.sub(r"\1\1", t)
    return _SPACES.sub(" ", t)


# --------------------------------------------------------------------------------------
# Which language a message is in (for the reply, not for detection)
# --------------------------------------------------------------------------------------


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Short words that are common in Spanish messages and are not English words (folded: no
# accents, texting spellings expanded). Words that are both ("no", "me", "a", "son") are in
# neither list.
_SPANISH_WORDS = _word_set(
    "que de la el y en mi es por con para una lo ya estoy quiero pero porque nada mas todo "
    "tengo puedo soy esta muy como cuando donde ayuda vida morir yo tu su sus los las del "
    "al se le les te nos sin mejor nadie todos hoy manana aqui voy estar hacer siento "
    "ni ser fue era hay esto eso ella hijos familia gracias perdon tiempo dia noche casa"
)
_ENGLISH_WORDS = _word_set(
    "the and to i my is it you of that in want can be have this just so but what with "
    "am im dont cant will do at for your was are not all they we he she tonight today"
)
_WORD = _c(r"[a-z]+")


def reads_as_spanish(text: str) -> bool:
    """Whether a message reads as Spanish: at least two common Spanish words, and more of
    them than common English ones. For a flag raised by the word or meaning tiers, whose
    reasons do not say the language, so that the crisis reply is in the client's."""
    words = _WORD.findall(_fold(text))
    spanish = sum(word in _SPANISH_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    return spanish >= 2 and spanish > english


# --------------------------------------------------------------------------------------
# Clauses
# --------------------------------------------------------------------------------------

_CLAUSE_SPLIT = _c(
    r"[.!?;\u00bf\u00a1\u2026]+|\n+|\s[-\u2013\u2014]+\s|\b(?:pero|aunque|sin embargo|but)\b"
)


@dataclass(frozen=True, slots=True)
class _Clause:
    text: str
    start: int  # offset in the folded message
    question: bool  # ended with "?"


def _split(text: str) -> list[_Clause]:
    clauses: list[_Clause] = []
    pos = 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if text[pos : m.start()].strip():
            clauses.append(_Clause(text[pos : m.start()], pos, "?" in m.group(0)))
        pos = m.end()
    if text[pos:].strip():
        clauses.append(_Clause(text[pos:], pos, False))
    return clauses


# --------------------------------------------------------------------------------------
# Pattern building blocks (written over folded text: no accents)
# --------------------------------------------------------------------------------------

_BLOCKS: dict[str, str] = {
    # Adverbs that may sit between a governing verb and its infinitive.
    "ADV": (
        r"(?:(?:ya|hoy|mejor|de verdad|en serio|realmente|solo|nomas|a veces|otra vez|de nuevo|"
        r"tanto|mucho|simplemente|literalmente|por fin|neta|esta noche|manana|pronto|ahora|"
        r"como|casi|tal vez|quizas|seriamente) ){0,2}"
    ),
    # First-person verbs governing an infinitive with a proclitic "me" ("me voy a matar").
    "GOV1": (
        r"(?:quiero|quisiera|queria|quise|voy a|iba a|pienso|pensaba|pense|puedo|podria|"
        r"deberia|debo|tengo que|necesito|planeo|intente|intento|trate de|trato de|"
        r"he intentado|he tratado de|decidi|prefiero|preferiria|deseo|volvi a|vuelvo a|"
        r"volvere a|estoy por|estoy a punto de)"
    ),
    # First-person wishes ("me quiero morir"); "me voy a morir" is a prediction, not a wish.
    "WISH": (
        r"(?:quiero|quisiera|queria|deseo|desearia|prefiero|preferiria|necesito|"
        r"(?:he|habia|hubiera) (?:querido|deseado))"
    ),
    # First-person governors of harm to someone else ("voy a matar a ...").
    "GOVH": (
        r"(?:voy a|vamos a|quiero|quisiera|queria|tengo ganas de|ganas de|me dan ganas de|"
        r"me entran ganas de|siento ganas de|pienso|estoy pensando en|pensando en|"
        r"he pensado en|pense en|pienso en|"
        r"(?:pensamientos?|ideas?|impulsos?)"
        r"(?: intrusiv[oa]s?| horribles?| feos?| oscur[oa]s?)? de|"
        r"deseos? de|necesito|podria|puedo|debo|deberia|tengo que|planeo|estoy planeando|"
        r"planeando|voy a ir a|estoy a punto de|juro que voy a|miedo de|me da miedo|"
        r"tengo miedo de|me imagino|imagino|sueno con|fantaseo con|capaz de|tentad[oa] a|"
        r"estoy dispuest[oa] a|me gustaria|iba a|quiero ir a)"
    ),
    # "suicid-" and its texting misspellings (suisid-, sucid-, suizid-).
    "SUI": r"s(?:u|ui|iu)[csz]i?d",
    # The person nouns of third-party subjects and targets.
    "PERSON": (
        r"(?:hij[oa]s?|amig[oa]s?|herman[oa]s?|mama|papa|madre|padre|novi[oa]|espos[oa]|"
        r"pareja|prim[oa]|ti[oa]|abuel[oa]|companer[oa]|vecin[oa]|cliente|paciente|ex|jefe|"
        r"jefa|compa|cunad[oa]|suegr[oa]|sobrin[oa]|niet[oa]|bebe|chic[oa]|muchach[oa]|"
        r"senor|senora|doctor|doctora|maestr[oa]|alumn[oa]|estudiante|roommate|mejor amig[oa])"
    ),
}
_BLOCK_RE = _c(r"<([A-Z0-9]+)>")


def _x(pattern: str) -> re.Pattern[str]:
    """Compile *pattern* with its ``<BLOCK>`` placeholders filled in."""
    return _c(_BLOCK_RE.sub(lambda m: _BLOCKS[m.group(1)], pattern))


# --------------------------------------------------------------------------------------
# Message-level signs
# --------------------------------------------------------------------------------------

# Death and despair: the second sign that "ya no aguanto más", "quiero desaparecer" or
# "me muero" need (alone they are everyday exhaustion or hyperbole).
_DEATH = (
    r"morir(?:me|nos)?|muerte|<SUI>\w*|matarme|quitarme la vida|no despertar|"
    r"dormir para siempre|(?:mejor|estar|quisiera estar|quiero estar) muert[oa]|desaparecer"
)
_DESPAIR = _x(
    r"\b(?:" + _DEATH + r"|sin esperanzas?|no (?:tengo|hay|me queda) esperanza|desesperad[oa]|"
    r"desesperacion|(?:ya )?nada tiene sentido|no tiene sentido|sin sentido|"
    r"no le (?:veo|encuentro) sentido|no vale la pena|no hay salida|"
    r"no (?:le )?(?:veo|encuentro|tengo) (?:otra |ninguna )?salida|sin salida|"
    r"no se cuanto (?:tiempo )?mas (?:voy a )?aguant\w*|no voy a aguantar mucho|"
    r"odio (?:mi vida|vivir|estar viv[oa]|existir)|"
    r"(?:hart[oa]|cansad[oa]|agotad[oa]) de (?:vivir|la vida|todo|mi vida|luchar|sufrir|"
    r"existir|estar viv[oa])|no sirvo para nada|"
    r"soy (?:un|una) (?:inutil|fracaso|estorbo|carga|desperdicio)|"
    r"nadie me (?:quiere|extranaria|necesita|va a extranar|echaria de menos)|"
    r"a nadie le (?:importo|importaria)|"
    r"(?:me siento|estoy) (?:vaci[oa]|atrapad[oa]|muert[oa] por dentro)|muert[oa] en vida|"
    r"no quiero (?:vivir|seguir|estar aqui|existir)|"
    r"(?:acabar|terminar) con (?:todo|mi vida)|para siempre|adios|despedirme|me despido|"
    r"perdon(?:en|enme)? por todo|lo siento por todo|"
    r"mi vida (?:es|no|ya)|con (?:mi|esta) vida|esta vida|sufr(?:o|ir|iendo|imiento)|"
    r"dolor (?:emocional|insoportable)|ya no (?:tengo|me quedan) (?:fuerzas|ganas)|"
    r"no tengo fuerzas|sin fuerzas|no veo (?:un )?futuro|sin futuro|no tengo futuro|"
    r"todo (?:esta|es) (?:oscuro|negro))\b"
)
# Exhaustion counts as a second sign for the other weak cues ("ya no puedo más, quiero
# desaparecer"), but not for the exhaustion cue itself.
_DESPAIR_OR_SPENT = _c(_DESPAIR.pattern + r"|\bno (?:aguanto|puedo|soporto) (?:mas|ya)\b")
# Thoughts that came before an intent ("antes eran solo pensamientos, ahora quiero hacerlo").
_IDEATION = _x(
    r"\b(?:" + _DEATH + r"|pensamientos|ideas|lo (?:pensaba|he pensado|pense)|"
    r"solo (?:lo )?pensaba|en mi cabeza|pastillas|puente)\b"
)
_FINALITY = _x(
    r"\b(?:" + _DEATH + r"|para siempre|ultim[oa] (?:vez|mensaje|dia|noche|adios|carta)|"
    r"(?:ya )?no (?:me )?(?:van a|volveran a|vuelven a) (?:volver a )?(?:ver|saber)|"
    r"ya no (?:voy a|vas a|van a) (?:saber de mi|verme)|"
    r"ya no (?:estare|voy a estar)|cuando ya no este|cuando me haya ido|"
    r"cuid(?:en|a|ar|ad|enme) (?:a|de) (?:mis|mi)|perdon(?:en|enme)? por todo|"
    r"lo siento por todo|ya tome (?:la|una|mi) decision|ya no (?:sufrire|voy a sufrir)|"
    r"descansar en paz|hasta nunca|esta noche (?:todo|se) (?:termina|acaba)|"
    r"los (?:quiero|amo) a todos)\b"
)
_DEATH_RE = _x(r"\b(?:" + _DEATH + r")\b")
_FAREWELL_BENIGN = _c(
    r"\b(?:me mudo|mudanza|me voy a vivir a|cambio de (?:terapeuta|trabajo|ciudad|pais|"
    r"clinica|consultorio|seguro|numero)|nuevo trabajo|vacaciones|viaje|nos vemos|"
    r"hasta (?:el|la) (?:proxima|proximo|lunes|martes|miercoles|jueves|viernes|sabado|"
    r"domingo|semana)|ultima (?:sesion|cita|consulta)|alta|terapia|seguro medico|"
    r"aseguranza|me caso|jubil\w*|graduacion|fiesta|grupo|chat|trabajo|oficina)\b"
)
# Self-harm words: "recaí" is about self-harm only with one of these in the message.
_SH_CONTEXT = _c(
    r"\b(?:cort\w*|cuchill\w*|navaja\w*|gillette|rastrillo|cuter|autolesi\w*|auto lesion\w*|"
    r"lastim\w*|dano|quem\w*|sangr\w*|cicatri\w*|heridas?|self harm\w*|cutting|"
    r"a proposito|adrede|castig\w*|me lo merezco|para sentir|no pude evitarlo|"
    r"impulsos?|ganas de (?:cortarme|lastimarme|hacerme dano))\b"
)
_ON_PURPOSE = _c(
    r"\b(?:a proposito|apropo?sito|adrede|intencional\w*|a conciencia|queria sentir|"
    r"para (?:sentir|castigarme|no sentir|calmarme|desahogarme)|me lo (?:merezco|merecia)|"
    r"no pude evitarlo|porque quise|a mi mism[oa])\b"
)
_ACCIDENT = _c(
    r"\b(?:cocin\w*|picando|pelando|rebanando|partiendo|"
    r"cortando (?:la |el |las |los |una |un |unas |unos )?(?:cebollas?|verduras?|pan|frutas?|"
    r"carne|pollo|tomates?|jitomates?|papas?|aguacates?|limon(?:es)?|queso|carton|papel|tela)|"
    r"afeit\w*|rasur\w*|depil\w*|"
    r"con (?:un |una |el |la |unas |unos )?(?:papel|hoja|lata|vidrio|cuchillo de cocina|"
    r"plancha|horno|estufa|sarten|aceite|agua caliente|agua hirviendo|cafe|te caliente|olla|"
    r"vapor|comal|rizador|secadora|cautin|fogata|parrilla|asador|abrelatas|rallador|caja|"
    r"tijeras de cocina)|sin querer|por accidente|accidentalmente|de casualidad|me cai|"
    r"me resbale|tropece|jardin\w*|arreglando|reparando|abriendo (?:una|la|el|un)|"
    r"lavando (?:los )?(?:platos|trastes)|en la cocina|al sol|en el sol|en la playa|"
    r"broncea\w*|quemadura de sol|insolacion|jugando|entrenando|en el gym|en el gimnasio|"
    r"corriendo|haciendo ejercicio|en el partido|futbol|basquet|cargando|levantando|"
    r"en el trabajo|en la chamba|la espalda|la rodilla|el tobillo|el hombro|el cuello|"
    r"moto|bici|bicicleta|escaleras?|accidente|choque|manejando|patineta|carretera)\b"
)
# Joking: laughter and "es broma"; "no es broma" / "en serio" say the opposite.
_SERIOUS = _c(
    r"\b(?:no (?:es|era) (?:broma|chiste|juego|joda)|no (?:estoy|ando) (?:bromeando|jugando|"
    r"exagerando)|(?:lo digo|hablo|va|es) en serio|de verdad|te lo juro|lo juro|no miento)\b"
)
_JOKE = _c(
    r"\b(?:a?j[ajs]{3,}|je(?:je)+|ji(?:ji)+|xd+|lol|lmao|haha\w*|jk|es broma|es una broma|"
    r"de broma|bromeando|es (?:un )?chiste|de chiste|no es en serio)\b"
    r"|[\U0001f602\U0001f923\U0001f606\U0001f61c\U0001f92a\U0001f480]"
)
_RETRACT = _c(
    r"\b(?:es (?:broma|un chiste|una broma|un decir|una forma de hablar|sarcasmo)|"
    r"estoy (?:bromeando|exagerando|jugando)|no (?:lo dije|lo digo|es|era) en serio|"
    r"exagero|exageraba|solo bromeo|(?:es|era) broma|no literal(?:mente)?|"
    r"no es (?:cierto|verdad)|(?:na|es) mentira)\b"
)
# Everyday annoyances: with laughter they make a death wish or a threat hyperbole.
_TRIVIAL = _c(
    r"\b(?:examen(?:es)?|tarea|trafico|clase|lunes|calor|frio|fila|jefe|reunion|junta|pastel|"
    r"comida|pizza|tacos|galletas|helado|chocolates?|postre|papas|serie|partido|futbol|"
    r"spoilers?|bateria|wifi|internet|celular|netflix|resaca|cruda|cargador|control|tele|"
    r"ropa|platos|ronca|llaves|estacionamiento|uber|pedido|paquete|cafe|cumpleanos|"
    r"verguenza|oso|cita|tarde|temprano|suegra)\b"
)
# "si se come mi pastel": a pet-peeve condition after a threat.
_PET_PEEVE = _c(
    r"\bsi (?:\w+ ){0,4}(?:se come|se comen|me come|toca|tocan|agarra|usa|me quita|se acaba|"
    r"se termina|llega tarde|llegan tarde|me despierta|me deja|vuelve a|no me (?:contesta|"
    r"devuelve|regresa|paga)|ronca|hace ruido|me cuenta|spoilea|me spoilea|cambia|pierde|"
    r"rompe|mancha|deja)\b"
)
_SEVERE = _c(
    r"\b(?:cuchillo|pistola|arma|apunal\w*|acuchill\w*|dispar\w*|balazo|esta noche|"
    r"donde vive|plan|se lo merece|sangre|en serio|lo juro|te lo juro)\b"
)
_THREAT = _c(
    r"\b(?:donde vive|donde trabaja|a que hora sale|(?:lo|la|los|las) voy a|"
    r"mat(?:arlo|arla|arlos|arlas)|se lo merece|se va a arrepentir|me las va a pagar|"
    r"esperarl[oa]|ir por (?:el|ella)|ir a buscarl[oa]|contra (?:el|ella|ellos|mi ex|mi jefe)|"
    r"(?:su|la) casa|su trabajo|su escuela|voy a ir)\b"
)
_WEAPON_SELF = _x(
    r"\b(?:" + _DEATH + r"|usarla|usarlo|contra mi|apuntarme|en (?:mi|la) cabeza|cargada|"
    r"no aguanto|no puedo mas)\b"
)
# History: a distant time, an "antes" frame, recovery; a relapse or "now" cancels them.
_DISTANT = _c(
    r"\b(?:(?<!desde )hace (?:\w+ ){0,2}(?:anos|meses|mucho tiempo|tiempo|una eternidad)|"
    r"cuando (?:era|estaba|tenia|iba)|en (?:la|mi) (?:adolescencia|juventud|infancia|"
    r"secundaria|prepa|preparatoria|universidad|otra epoca)|de (?:nin[oa]|joven|adolescente|"
    r"chic[oa]|chiquit[oa]|pequen[oa]|morr[oa])|en el pasado|a los \d+(?: anos)?|"
    r"el ano pasado|en (?:19|20)\d\d)\b"
)
_ANTES = _c(r"\bantes\b(?! (?:de|que|del)\b)")
_RECOVERY = _c(
    r"\b(?:ya no(?! (?:puedo|aguanto|quiero vivir|quiero seguir|soporto|se|tengo ganas|hay))|"
    r"ahora (?:ya )?estoy (?:bien|mejor|estable|tranquil[oa]|feliz|san[oa])|"
    r"ya (?:lo )?supere|lo supere|(?:lo|eso) (?:quedo|esta) atras|estoy (?:mucho )?mejor|"
    r"me siento (?:mucho )?mejor|gracias a (?:la )?terapia|ya paso|nunca mas (?:lo )?"
    r"(?:hice|he hecho)|(?:\d+|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|"
    r"varios|muchos) (?:anos|meses|dias|semanas) (?:sin|limpi[oa]|libre)|ya no lo hago|"
    r"he mejorado|ya estoy bien|me recupere|en recuperacion|sobrevivi|estoy bien)\b"
)
_RELAPSE = _c(
    r"\b(?:volvi a|vuelvo a|volvieron|han vuelto|ha vuelto|regresaron|otra vez|de nuevo|"
    r"nuevamente|recai\w*|esta vez|de vuelta|ahora (?:si )?(?:quiero|pienso|tengo ganas|"
    r"estoy pensando|voy a|lo (?:quiero|voy)|me (?:quiero|voy a|dan ganas)))\b"
)
_PAST_FORM = _c(
    r"\b(?:intente|intentaba|trate|tome|tomaba|corte|cortaba|lastime|lastimaba|queme|quemaba|"
    r"queria|pensaba|pense|tuve|tenia|hice|hacia|quise|sentia|he intentado|llegue a|"
    r"autolesione|autolesionaba)\b"
)
_RECENT = _c(
    # "hoy", but not "recordé hoy que ...": today is when it was remembered, not done
    r"\b(?:anoche|ayer|(?<!recorde )(?<!acorde )(?<!pense )hoy|"
    r"esta (?:noche|manana|semana|tarde)|ahora mismo|"
    r"hace (?:un rato|poco|unos minutos|unas horas|\d+ (?:minutos|horas|dias))|"
    r"estos dias|ultimamente|desde hace|he estado|llevo|sigo|todavia|aun|todos los dias|"
    r"cada (?:dia|noche|vez))\b"
)
# Someone else speaking: "mi amiga dice que ...", "mi hermana me escribió: ...".
_THIRD_SPEECH = _c(
    r"\b(?:dice|dijo|decia|dicen|dijeron|escribio3?|escribe|publico3?|puso|comento3?|"
    r"conto3?|me conto3?|confeso3?|admitio3?|menciono3?|grito3?|grita|posteo3?|subio3?|"
    r"anda diciendo|esta diciendo|repite|repetia)\b"
)
_FIRST_SPEECH = _c(r"\b(?:dije|digo|escribi|escribo|conte|cuento|confese|admiti|admito|yo)\b")
_SPEECH_BREAK = _c(r"[,;]|\b(?:y|entonces|asi que|por eso|o sea|ya)\b")
# A third-person governor right before an infinitive: "quiere matarme" is someone else's act.
_THIRD_GOV = _x(
    r"\b(?:quiere|quieren|quiso|quisieron|desea|desean|va a|van a|fue a|piensa|piensan|"
    r"penso3?|intenta|intentan|intento3|intentaron|trata de|tratan de|trato3 de|trataron de|"
    r"amenaza con|amenazan con|amenazo3? con|amenazaba con|amenazaron con|tiene ganas de|"
    r"tienen ganas de|le dan ganas de|planea|planean|decidio3?|necesita|prefiere|puede|"
    r"pueden|debe|deben|esta pensando en|esta planeando|ha pensado en|ha intentado|"
    r"han intentado|ha tratado de|acaba de|dice que va a|dijo que va a|dijo que iba a)"
    r" (?:(?:ya|tambien|otra vez|de nuevo|en|a|hoy|volver a|seguir|ir a) ){0,2}$"
)
_THIRD_NP = _x(
    r"\b(?:el|ella|ellos|ellas|usted|alguien|(?:mi|su|tu|un|una|el|la|los|las) <PERSON>)"
    r" (?:(?:ya|tambien|a veces|siempre|todavia) )?(?:queria|quisiera|iba a|intento|trato de|"
    r"podria|deberia|pensaba|pensaba en|tenia ganas de|intentaba|preferiria|necesitaba|"
    r"tuvo|tiene|ha tenido|esta teniendo)(?: \w+)?\s*$"
)
# For noun cues ("pensamientos suicidas"): whose they are, from the nearest verb or possessive.
_THIRD_HAVE = _c(
    r"\b(?:tiene|tienen|tuvo|tuvieron|ha tenido|han tenido|esta teniendo|le (?:dan|vienen|"
    r"llegan)|les|sus|su)\b"
)
_FIRST_HAVE = _c(
    r"\b(?:tengo|tuve|he tenido|tenia|estoy teniendo|me (?:dan|vienen|llegan|invaden)|mis|mi|"
    r"yo|me)\b"
)
_FIRST_PERSON = _c(
    r"\b(?:yo|me|estoy|tengo|quiero|voy|pienso|siento|he|estaba|quisiera|necesito|casi|"
    r"intente|considero|mis|pensaba|busque|investigue|busco|tuve|tome)\b"
)
_MEDIA = _c(
    r"\b(?:pelicula|peli|serie|libro|novela|documental|noticias?|articulo|cancion|video|"
    r"podcast|episodio|capitulo|obra|clase|tarea|ensayo|investigacion|tesis|charla|taller|"
    r"conferencia|campana|prevencion|estadisticas?|personaje|protagonista|trama|anime|manga|"
    r"telenovela|reportaje|periodico|tiktok|reel|youtube|netflix|materia|curso|exposicion|"
    r"13 reasons|trece razones)\b"
)
_TOPIC_BEFORE = _c(
    r"\b(?:sobre|acerca del?|del tema|tema del?|hablan(?:do)? (?:de|del|sobre)|habla (?:de|del|"
    r"sobre)|trata (?:de|del|sobre))(?: el| la| los| las)?\s*$"
)
_HYPOTHETICAL = _c(
    r"\b(?:si alguna vez|si algun dia|en caso de que|hipoteticamente|supongamos|suponiendo|"
    r"por ejemplo|que pasa(?:ria)? si (?:alguien|un|una|mi|su))\b"
)
_SCREENING = _c(
    r"\b(?:me )?pregunt\w* (?:\w+ ){0,3}(?:si|sobre|que si)\b|\b(?:formulario|cuestionario|"
    r"encuesta|escala|evaluacion)\b"
)
_IF = _c(r"\bsi\b")  # a condition: "me pego un tiro si tengo otra reunión jaja"
_AFFIRMED = _c(
    r"\b(?:(?:le )?(?:dije|conteste|respondi|marque|puse) que si|la respuesta es si|"
    r"y (?:le )?dije que si)\b"
)
# An answer after the cue: "¿pensamientos suicidas? no", "pensamientos de suicidio: ninguno".
_POST_DENIAL = _c(
    r"^\W*(?:no|nunca|jamas|para nada|ninguno|ninguna|cero|nada)"
    r"(?:\W*$|\s*[,.:]\s*(?:solo|nada|gracias|estoy bien|tranquil\w*|todo bien)\b|"
    r"\s+(?:solo|gracias|para nada)\b)"
)
_ANSWER_NO = _c(
    r"^\W*(?:no|nunca|jamas|para nada|ninguno|ninguna|nada de eso|claro que no|"
    r"por supuesto que no)\b(?!\s+(?:puedo|aguanto|se|quiero|tengo|hay|me|lo|la|le|voy|estoy|"
    r"soporto|veo|encuentro|sirvo|valgo))"
)
# Who says "me va a matar" in jest: a boss or a parent, not a partner (that may be a threat).
_AUTHORITY = _c(
    r"\b(?:mi|la|el|tu|su) (?:jefe|jefa|mama|mami|papa|papi|madre|padre|maestr[oa]|profe|"
    r"profesor|profesora|abuel[oa]|suegr[oa]|entrenador|coach|herman[oa]|ti[oa]|gerente|"
    r"supervisor\w*)\b"
)


# --------------------------------------------------------------------------------------
# Negation
# --------------------------------------------------------------------------------------

_NEGATORS = frozenset({"no", "nunca", "jamas", "tampoco", "ni", "ningun", "ninguna", "ninguno"})


# Words a negation reaches across to govern the cue ("no tengo ninguna intención de ...");
# any other word ends its reach ("no duermo quiero matarme" is not a denial).
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEG_REACH = _words(
    """
    me te se lo la le les los las mi mis quiero quisiera queria quise voy iba ire a al de del
    en el con por para pienso pensaria pense pensado pensando pensaba pensar estoy estaba he ha
    habia hubiera tengo tenia tuve tenido ganas intencion intenciones plan planes pensamiento
    pensamientos idea ideas deseo deseos haria hare podria puedo seria sere soy capaz volveria
    volvere iria ya mas siquiera realmente tan nunca jamas tampoco ninguna ningun ninguno es
    eso esto algo asi estar estado hacer llegaria llegar pasa paso pasaria cabeza mente
    ocurriria ocurre ocurrio cruza cruzado verdad serio otra vez planeando planeo considerando
    considero contemplando intentaria intentare intentado buscando buscaria quiera deseando
    tener escucho oigo siento sentido mucho muchos muchas nada_de
    """
)
# Negations of something else: "no sé", "no puedo más", "no dejo de pensar en ...".
_NOT_NEGATING = _c(
    r"\bno se\b(?! me (?:ocurri\w*|pasa\w*|cruza\w*))|\bno (?:puedo|podia|aguanto|aguantaba|"
    r"soporto|soportaba|resisto|paro|dejo|dejaba|entiendo|me importa|me (?:puedo )?quit\w*|"
    r"me (?:puedo )?sac\w*|hay|tengo a nadie|es (?:broma|chiste|juego)|estoy (?:bromeando|"
    r"jugando|exagerando))\b"
)
_SCOPE_BREAK = _c(r"[,;:]")
_NUNCA_INTENSIFIER = _c(r"^\s*(?:tanto|como (?:ahora|hoy|esta))|\bcomo (?:ahora|hoy|nunca)\b")


def _negated(prefix: str, after: str) -> bool:
    scope = _SCOPE_BREAK.split(prefix)[-1]
    scope = _NOT_NEGATING.sub(" ~ ", scope.replace("nada de", "nada_de"))
    words = scope.split()
    for steps, word in enumerate(reversed(words)):
        if steps >= 8:
            return False
        if word == "sin":
            # "llevo un año sin cortarme"; but "no paso un día sin pensar en matarme".
            return not _NEGATORS.intersection(words[: len(words) - steps - 1])
        if word in _NEGATORS:
            # "nunca había querido morirme tanto": an intensifier, not a denial.
            return not (word == "nunca" and _NUNCA_INTENSIFIER.search(after))
        if word not in _NEG_REACH:
            return False
    return False


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reading:
    """An everyday reading: *pattern* searched at *where* sets the cue aside as *dampener*."""

    pattern: re.Pattern[str]
    dampener: str
    where: str = "after"  # "after" (anchored at the end of the match), "before", "clause"


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    category: str
    pattern: re.Pattern[str]
    negatable: bool = True  # False: the cue carries its own negation ("no quiero vivir")
    governor: bool = False  # an infinitive: a third-person governor makes it someone else's
    subject: bool = False  # a noun cue: whose it is comes from a nearby verb or possessive
    past_ok: bool = False  # can be history ("hace años", "antes ...", with recovery)
    topic_ok: bool = False  # can be a topic ("una película sobre el suicidio")
    accident: bool = False  # can be an accident ("me corté cocinando")
    hyperbole: bool = False  # can be joking hyperbole ("... jaja")
    context: re.Pattern[str] | None = None  # needs this second sign elsewhere in the message
    readings: tuple[_Reading, ...] = ()
    third_person: bool = False  # matches someone else's act: always "third_party"
    weak: bool = False  # a bare word: yields to any other cue on the same words
    speech_ok: bool = False  # reported speech does not make it someone else's
    retract_ok: bool = True  # "es broma" / "exagero" in or after the clause sets it aside
    farewell: bool = False  # an ordinary goodbye (a move, the last session) sets it aside


def _after(pattern: str, dampener: str = "idiom") -> _Reading:
    return _Reading(_x(r"^\s*(?:" + pattern + r")\b"), dampener, "after")


def _before(pattern: str, dampener: str = "idiom") -> _Reading:
    return _Reading(_x(r"\b(?:" + pattern + r")\s*$"), dampener, "before")


def _clause(pattern: str, dampener: str = "idiom") -> _Reading:
    return _Reading(_x(r"\b(?:" + pattern + r")\b"), dampener, "clause")


# "me muero de hambre / de risa / por verte": hyperbole, not a wish to die.
_DIE_OF = _after(
    r"de (?:la |el |los |las )?(?:hambre|risa|sueno|frio|calor|ganas|verguenza|pena|aburrimiento|"
    r"envidia|nervios|miedo|sed|cansancio|amor|curiosidad|emocion|ansias|celos|gusto|alegria|"
    r"felicidad|ternura|asco|flojera|pereza|fiaca|cringe|oso|coraje|susto|panico|angustia)|"
    r"por (?:verte|conocerte|conocer|saber|ir|comer|probar|ver|un|una|que (?:llegue|sea|empiece))"
)
# "me mato trabajando", "matarme estudiando": overwork, not suicide.
_OVERWORK = _after(
    r"trabajando|estudiando|corriendo|entrenando|haciendo \w+|limpiando|chambeando|"
    r"de (?:la )?risa|de hambre|de cansancio|a (?:trabajar|estudiar|correr|chambear)|"
    r"en el (?:gym|gimnasio|trabajo)|por (?:ti|ustedes|mis hijos|mi familia|el trabajo)"
)
# "casi me mato en la moto": a near-accident.
_NEAR_MISS = _clause(
    r"(?:casi|por poco) me mato (?:\w+ ){0,6}?(?:moto|carro|coche|bici|bicicleta|escaleras?|"
    r"resbal\w*|tropec\w*|me cai|caida|accidente|choque|manejando|patineta|patines|carretera|"
    r"calle|bano|regadera|piso mojado)",
    "accident",
)
# Hair, nails, the phone line, a breakup: "me corté el pelo", "me corté con mi novio".
_CUT_IDIOMS = (
    _after(
        r"(?:el |los |la |las |mi |mis |un poco )?(?:pelo|cabello|fleco|flequillo|bigote|barba|"
        r"unas|puntas|patillas|cuticulas|melena|grenas|copete|pelito|mechas|capas|cabellera|"
        r"cejas|pelos)"
    ),
    _after(r"(?:el |un |mi |la )?(?:dedo|dedos|pulgar|labio)", "accident"),
    _after(r"con (?:mi |el |la )?(?:novi[oa]|ex|pareja|espos[oa]|chav[oa])"),
    _after(r"(?:la (?:luz|llamada|onda|inspiracion|racha)|el (?:internet|wifi|cable|rollo))"),
)
# Pests, games, time: "matar el tiempo", "matar una cucaracha", "matar al jefe final".
_KILL_OBJECT = (
    _after(
        r"(?:el tiempo|el rato|las horas|dos pajaros|el hambre|la sed|el antojo|el gusanito|"
        r"las ganas|la curiosidad|el aburrimiento|la bateria|la mota|el virus|los germenes|"
        r"las bacterias|la ilusion)"
    ),
    _clause(
        r"moscas?|moscos?|cucarachas?|aranas?|ratas?|ratones?|raton|mosquitos?|zancudos?|"
        r"hormigas?|plagas?|chinches?|pulgas?|piojos?|bichos?|plantas?|avispas?|termitas?|"
        r"alacran\w*|gusanos?|insectos?|zombies?|juego|videojuego|partida|fortnite|minecraft|"
        r"roblox|free fire|call of duty|gta|nivel|jefe final|boss|personaje|dragon|villano"
    ),
)
# "no quiero lastimar a mi novia si la dejo": hurting feelings.
_EMOTIONAL = _clause(
    r"sentimientos|emocionalmente|con (?:mis|lo que) (?:palabras|digo|dije)|"
    r"si (?:la|lo|le) (?:dejo|digo|cuento)|si termino|terminar con (?:el|ella)|"
    r"decirle la verdad|romperle el corazon|con la verdad|su corazon|su orgullo"
)
# "tirarme del puente en bungee", "tirarme al mar en vacaciones".
_LEISURE = _clause(
    r"vacaciones|playa|nadar|alberca|piscina|clavados?|bungee|puenting|paracaidas|tirolesa|"
    r"rapel|snorkel|bucear|surf|verano|la ola|las olas|trampolin|con cuerda|arnes"
)

_RULE_LIST: tuple[_Rule, ...] = (
    # ---------------------------------------------------------------- suicide, explicit
    _Rule(
        "es.suicide.kill_myself",
        SUICIDE,
        _x(r"\bmat(?:arme|andome)\b|\bme <GOV1> <ADV>matar\b|\bme mat(?:o|are|aria)\b"),
        governor=True,
        past_ok=True,
        hyperbole=True,
        readings=(_OVERWORK, _NEAR_MISS),
    ),
    _Rule(
        "es.suicide.suicide_myself",
        SUICIDE,
        _x(r"\b<SUI>(?:arme|andome)\b|\bme <GOV1> <ADV><SUI>ar\b|\bme <SUI>(?:o|are|aria)\b"),
        governor=True,
        past_ok=True,
    ),
    _Rule(
        "es.suicide.take_my_life",
        SUICIDE,
        _x(
            r"\bquit(?:arme|andome) la vida\b|\bme (?:<GOV1> <ADV>quitar|quito|quitare|quitaria)"
            r" la vida\b|\b(?:acabar|terminar|poner(?:le)? fin) (?:con|a) mi (?:propia )?"
            r"(?:vida|existencia)\b|\b(?:acab|termin)(?:o|are|aria) con mi (?:propia )?vida\b"
        ),
        governor=True,
        past_ok=True,
        readings=(_after(r"social|amorosa|sexual|laboral|profesional|academica|en \w+"),),
    ),
    _Rule(
        "es.suicide.end_it_all",
        SUICIDE,
        _x(
            r"\b(?:acabar|terminar|poner(?:le)? fin a|acab(?:o|are|aria)|termin(?:o|are|aria))"
            r" con todo\b(?! (?:el|la|lo|los|las|mi|mis|tu|su|sus|este|esta|estos|estas|eso|esto|"
            r"antes|a tiempo|para (?:el|la|manana|hoy)|en (?:el|la) (?:trabajo|oficina|escuela)|"
            r"pendiente|de la lista)\b)|\bque todo (?:se )?(?:acabe|termine)\b"
        ),
        governor=True,
        readings=(
            _before(r"cuando|en cuanto|despues de|apenas|hasta que"),
            _after(
                r"(?:\w+ ){0,3}?(?:en|de|para) (?:la |el |mi )?(?:oficina|trabajo|escuela|casa|"
                r"proyecto|tarea|chamba|clase|semestre|mudanza)"
            ),
        ),
    ),
    _Rule(
        "es.suicide.end_this",
        SUICIDE,
        _x(
            r"\b(?:acabar|terminar|poner(?:le)? fin a) (?:con )?esto "
            r"(?:de una vez|para siempre|ya)\b"
        ),
        governor=True,
        context=_DESPAIR_OR_SPENT,
    ),
    _Rule(
        "es.suicide.want_to_die",
        SUICIDE,
        _x(
            r"\bme <WISH> <ADV>morir\b"
            r"|\b(?:<WISH>|me gustaria|tengo ganas de|siento ganas de|me dan ganas de|"
            r"me dieron ganas de|me entran ganas de|solo quiero|ganas de) <ADV>morir(?:me)?\b"
            r"|\bojala (?:me )?(?:muriera|muera|muriese|estuviera muert[oa]|hubiera muerto|"
            r"no hubiera sobrevivido)\b|\bmejor me muero\b"
            r"|\b(?:dejarme morir|me (?:voy a|quiero) dejar morir)\b"
            r"|\b(?:<WISH>|me gustaria|seria mejor|estaria mejor) (?:estar )?muert[oa]\b"
            r"|\b(?:seria|lo mejor seria|seria lo mejor) (?:mejor )?(?:morir(?:me)?|que me muriera|"
            r"no (?:estar aqui|existir|estar viv[oa]|haber nacido)|desaparecer)\b"
            r"|\b(?:<WISH>|ojala|rezo para|pido a dios) que (?:alguien |algo |dios |un carro |"
            r"un camion )?me (?:mate|maten|matara|mataran|lleve|llevara|recoja|atropelle|"
            r"atropellara)\b"
        ),
        governor=True,
        past_ok=True,
        hyperbole=True,
        readings=(_DIE_OF,),
    ),
    _Rule(
        "es.suicide.indifferent_to_death",
        SUICIDE,
        _x(
            r"\bme da (?:igual|lo mismo) (?:vivir o morir|morir(?:me)?|si me muero|"
            r"si vivo o (?:me )?muero)\b|\bno me importa(?:ria)? (?:morir(?:me)?|si me muero)\b"
        ),
        negatable=False,
    ),
    _Rule(
        "es.suicide.not_want_to_live",
        SUICIDE,
        _x(
            r"\bno (?:quiero|quisiera|deseo|tengo ganas de) (?:seguir )?(?:vivir|viviendo)"
            r"(?: (?:mas|ya))?\b(?! (?:en|con|cerca|lejos|aqui|alli|ahi|alla|sol[oa]|junt[oa]s|"
            r"de|por|asi|sin)\b)|\bno quiero seguir(?: (?:mas|ya))?(?=\s*(?:$|,|:|y\b))"
            r"|\bno quiero seguir (?:con vida|existiendo|en este mundo|adelante)\b"
            r"|\bno quiero estar viv[oa]\b|\bsin ganas de vivir\b"
            r"|\bno (?:quiero|quisiera|queria) vivir mas\b|\bno queria (?:seguir )?vivir\b"
        ),
        negatable=False,
        past_ok=True,
    ),
    _Rule(
        "es.suicide.not_like_this",
        SUICIDE,
        _x(
            r"\bno (?:quiero|puedo) (?:seguir )?(?:vivir|viviendo) asi\b|\bno quiero seguir asi\b"
            r"|\bno quiero (?:estar|seguir) aqui\b"
        ),
        negatable=False,
        context=_DESPAIR_OR_SPENT,
    ),
    _Rule(
        "es.suicide.not_exist",
        SUICIDE,
        _x(
            r"\bdejar de existir\b|\bno (?:quiero|quisiera) (?:existir|estar en este mundo)\b"
            r"|\b(?:quisiera|desearia|ojala) no (?:existir|existiera|haber nacido|hubiera nacido)"
            r"\b"
        ),
        negatable=False,
        governor=True,
        readings=(_after(r"en (?:redes|instagram|facebook|tiktok|internet|el chat|el grupo)"),),
    ),
    _Rule(
        "es.suicide.not_worth_living",
        SUICIDE,
        _x(
            r"\bno vale la pena (?:vivir|seguir viviendo)\b"
            r"|\bno vale la pena seguir(?=\s*(?:$|,|ya\b|mas\b|asi\b))"
            r"|\b(?:la|mi) vida (?:ya )?no vale (?:la pena|nada)\b|\bvivir no vale la pena\b"
            r"|\bno tiene sentido (?:vivir|seguir viviendo)\b"
            r"|\b(?:la|mi) vida (?:ya )?no (?:tiene|tenia) (?:ningun )?sentido\b"
            r"|\bno (?:tengo|hay|encuentro) (?:razones|motivos|razon|motivo|nada) "
            r"(?:para|por (?:lo )?que) (?:vivir|seguir viviendo)\b"
            r"|\bno le (?:veo|encuentro) (?:ningun )?sentido a (?:la vida|mi vida|vivir|seguir)\b"
            r"|\bpara que (?:seguir )?vivir\b|\bde que sirve vivir\b"
            r"|\b(?:cansad[oa]|hart[oa]) de (?:vivir|la vida|existir|estar viv[oa])\b"
        ),
        negatable=False,
        past_ok=True,
    ),
    _Rule(
        "es.suicide.thoughts",
        SUICIDE,
        _x(
            r"\b(?:pensamientos?|ideas?|ideacion|impulsos?|tendencias?|deseos?) <SUI>(?:as?|al|"
            r"ales)\b"
            r"|\b(?:pensamientos?|ideas?|impulsos?|deseos?) (?:de|sobre) (?:el |la )?"
            r"(?:<SUI>io|<SUI>arme|quitarme la vida|morir(?:me)?|muerte|acabar con (?:mi vida|"
            r"todo))\b"
            r"|\b(?:pienso|pensando|pense|pensaba|he pensado|considero|considerando|contemplo|"
            r"contemplando|fantaseo|fantaseando|obsesionad[oa]) (?:(?:mucho|seriamente|a veces|"
            r"todo el tiempo|constantemente|mucho|otra vez|de nuevo) )*(?:en|con) (?:el |la )?"
            r"(?:<SUI>io|muerte|morir(?:me)?)\b"
        ),
        subject=True,
        past_ok=True,
        topic_ok=True,
        readings=(_after(r"de (?:mi|su|tu|un|una|el|la|los|las) ", "third_party"),),
    ),
    _Rule(
        "es.suicide.feel_suicidal",
        SUICIDE,
        _x(
            r"\b(?:me siento|estoy|soy|ando|me sentia|estaba|he estado|me he sentido|sigo) "
            r"(?:\w+ ){0,2}?<SUI>a\b"
        ),
        past_ok=True,
    ),
    _Rule(
        "es.suicide.only_way_out",
        SUICIDE,
        _x(
            r"\b(?:el <SUI>io|la muerte|morir(?:me)?|matarme) (?:es|seria|parece|sigue siendo) "
            r"(?:la|mi|una|el) (?:unica )?(?:salida|opcion|solucion|respuesta|escape)\b"
        ),
        topic_ok=True,
    ),
    _Rule(
        "es.suicide.mention",
        SUICIDE,
        _x(r"\b<SUI>ios?\b|\bsobredosis\b"),
        subject=True,
        past_ok=True,
        topic_ok=True,
        weak=True,
        readings=(
            _after(r"de (?:mi|su|tu|un|una|el|la|los|las) ", "third_party"),
            _before(
                r"(?:murio3?|muere|fallecio3?|perdio3?|perdi a \w+) (?:por|de|en) (?:un |una )?",
                "third_party",
            ),
        ),
    ),
    # ------------------------------------------------- suicide, indirect and passive wish
    _Rule(
        "es.suicide.better_off_without_me",
        SUICIDE,
        _x(
            r"\b(?:estarian|estaria|serian|seria|vivirian|viviria|quedarian|estaran|seran) "
            r"(?:\w+ ){0,3}mejor sin mi\b"
            r"|\b(?:seria|estaria|estarian|serian) (?:todo )?mejor si (?:yo )?(?:no (?:estuviera|"
            r"existiera|hubiera nacido)|me muriera|desapareciera|ya no estuviera|me fuera para "
            r"siempre)\b"
            r"|\b(?:nadie|a nadie) (?:me )?(?:extranaria|echaria de menos|le importaria|notaria|"
            r"lloraria)(?: \w+){0,3} si (?:yo )?(?:me muero|me muriera|muriera|desapareciera|"
            r"desaparezco|no estuviera|ya no estuviera|me mato|me matara)\b"
            r"|\bnadie (?:me )?(?:extranaria|echaria de menos|notaria mi ausencia)\b"
            r"|\bnadie me va a (?:extranar|echar de menos) (?:cuando|si) (?:me muera|me muero|"
            r"ya no este|desaparezca|me vaya para siempre)\b"
            r"|\bsi (?:me muero|me muriera|desapareciera|desaparezco|me mato) (?:\w+ ){0,2}?nadie "
            r"(?:se daria cuenta|lo notaria|me extranaria|lloraria|se va a dar cuenta)\b"
            r"|\bnadie se (?:daria|va a dar) cuenta si (?:me muero|me muriera|desapareciera|"
            r"desaparezco|me mato)\b"
        ),
        negatable=False,
    ),
    _Rule(
        "es.suicide.burden",
        SUICIDE,
        _x(
            r"\b(?:soy|seria|siento que soy|me siento|solo soy|sigo siendo|ser) (?:una|un) "
            r"(?:carga|estorbo)\b|\bsolo (?:estorbo|les causo problemas)\b"
        ),
        past_ok=True,
        readings=(_after(r"de (?:trabajo|chamba)"),),
    ),
    _Rule(
        "es.suicide.no_wake",
        SUICIDE,
        _x(
            r"\bojala no (?:despertara|despierte|despertar(?:me)?|amaneciera|amanezca|"
            r"volviera a despertar|vuelva a despertar)\b"
            r"|\b(?:quisiera|quiero|deseo|desearia|me gustaria|rezo para|pido) (?:dormir(?:me)? "
            r"y )?no (?:despertar(?:me)?|volver a despertar)\b"
            r"|\bno (?:quiero|quisiera) (?:volver a )?despertar(?:me)?\b(?! (?:temprano|tarde|"
            r"a las|antes|hoy|el|la|los|para|en|con|tan)\b)"
            r"|\bdormir(?:me)? (?:para siempre|y no despertar|eternamente|y ya no despertar)\b"
            r"|\bno volver a despertar\b|\bnunca (?:mas )?despertar\b"
        ),
        negatable=False,
    ),
    _Rule(
        "es.suicide.disappear_forever",
        SUICIDE,
        _x(
            r"\bdesaparecer(?:me)? (?:para siempre|del mundo|de este mundo|de la faz de la tierra|"
            r"de la existencia|de esta vida)\b"
        ),
        governor=True,
        readings=(_after(r"de (?:las redes|instagram|facebook|tiktok|twitter|whatsapp)"),),
    ),
    _Rule(
        "es.suicide.disappear",
        SUICIDE,
        _x(
            r"\b(?:quiero|quisiera|ojala pudiera|me gustaria|deseo|desearia|tengo ganas de|"
            r"solo quiero) desaparecer(?:me)?\b(?! (?:para siempre|del mundo|de este mundo)\b)"
            r"|\b(?:me quiero ir|quiero irme|me voy a ir|irme|me quisiera ir) para siempre\b"
        ),
        context=_DESPAIR_OR_SPENT,
        readings=(
            _after(
                r"de (?:las redes|instagram|facebook|tiktok|twitter|whatsapp|la oficina|la fiesta|"
                r"la reunion|aqui un rato)|un rato|unos dias|el fin de semana|por unos|"
                r"del trabajo|a la playa|de vacaciones|un fin"
            ),
        ),
    ),
    _Rule(
        "es.suicide.unsafe",
        SUICIDE,
        _x(
            r"\bno (?:se si )?(?:puedo|pueda|podre|voy a poder) (?:mantenerme|estar|seguir) "
            r"(?:a salvo|segur[oa])\b|\bno me siento (?:a salvo|segur[oa]) (?:conmigo|de mi "
            r"mism[oa]|sol[oa] conmigo)\b|\bno (?:se si )?(?:puedo|pueda) confiar en mi mism[oa] "
            r"(?:esta noche|hoy)\b"
        ),
        negatable=False,
    ),
    _Rule(
        "es.suicide.cant_go_on",
        SUICIDE,
        _x(
            r"\b(?:ya )?no (?:aguanto|soporto|puedo|resisto) (?:mas|ya|more|anymore)\b"
            r"|\bno puedo (?:seguir|continuar)(?: asi| mas)?\b(?! con (?:el|la|los|las) \w)"
            r"|\bya no (?:puedo|aguanto)(?=\s*(?:$|,))"
        ),
        negatable=False,
        context=_DESPAIR,
    ),
    _Rule(
        "es.suicide.goodbye",
        SUICIDE,
        _x(
            r"\bme despido(?: de (?:todos|todas|ustedes|ti|usted|mi familia|el mundo|todo))?\b"
            r"|\bdespedirme de (?:todos|ustedes|ti|mi familia|el mundo)\b"
            r"|\badios (?:a todos|para siempre|mundo|a todo)\b|\bhasta nunca\b"
        ),
        context=_FINALITY,
        farewell=True,
    ),
    _Rule(
        "es.suicide.plan",
        SUICIDE,
        _x(
            r"\b(?:ya )?tengo (?:un |el |todo )?plan(?:eado)?\b"
            r"|\bya (?:lo )?tengo (?:todo )?(?:planeado|decidido|pensado|listo)\b"
            r"|\bya (?:decidi|elegi|escogi) (?:cuando|como|el dia|la fecha|la hora|el lugar|"
            r"hacerlo)\b|\bya se (?:como|cuando) (?:lo voy a hacer|hacerlo)\b"
        ),
        context=_IDEATION,
    ),
    _Rule(
        "es.suicide.goodbye_letter",
        SUICIDE,
        _x(
            r"\bcartas? de despedida\b"
            r"|\bcartas? (?:para|a) (?:mi familia|mis hijos) (?:para )?cuando"
        ),
        readings=(
            _clause(
                r"trabajo|oficina|jubil\w*|companer[oa]s?|fiesta|mudanza|me mudo|se muda|se va|"
                r"renuncia|escuela|maestr[oa]|clase|graduacion|personaje|novela|pelicula",
                "no_context",
            ),
        ),
    ),
    _Rule(
        "es.suicide.wont_be_here",
        SUICIDE,
        _x(r"\bya no (?:voy a estar|estare)(?: aqui| aca| con ustedes| mas| para nadie)?\b"),
        negatable=False,
        context=_FINALITY,
    ),
    _Rule(
        "es.suicide.means_ready",
        SUICIDE,
        _x(
            r"\bya (?:tengo|compre|consegui|junte) (?:las|mis|suficientes|muchas|todas las) "
            r"(?:pastillas|pildoras|tabletas)\b|\b(?:tengo|compre|consegui|prepare) (?:una|la) "
            r"(?:soga|cuerda)\b"
        ),
        context=_DESPAIR_OR_SPENT,
    ),
    _Rule(
        "es.suicide.crash",
        SUICIDE,
        _x(
            r"\b(?:estrellar(?:me)?|chocar|aventar|estampar(?:me)?) (?:el carro|el coche|mi carro|"
            r"mi coche|el auto|contra (?:un|una|el|la) (?:muro|pared|arbol|poste|trailer|camion))\b"
        ),
        governor=True,
        context=_x(r"\b(?:a proposito|adrede|" + _DEATH + r"|no aguanto|ya no puedo)\b"),
    ),
    _Rule(
        "es.suicide.intent_to_act",
        SUICIDE,
        _x(
            r"\b(?:ahora|hoy|esta noche|ya|manana|pronto) (?:si )?(?:lo )?(?:quiero hacer(?:lo)?|"
            r"voy a hacer(?:lo)?|lo voy a hacer|pienso hacer(?:lo)?|lo hago|lo hare|"
            r"voy a intentar(?:lo)?|lo voy a intentar|quiero intentar(?:lo)?|me atrevo|"
            r"estoy list[oa])\b"
        ),
        context=_IDEATION,
    ),
    # ------------------------------------------------------------ suicide, plans and means
    _Rule(
        "es.suicide.overdose",
        SUICIDE,
        _x(
            r"\b(?:me )?tom(?:arme|andome|e|o|are|aria|ar) (?:\w+ ){0,2}?(?:todas (?:las|mis) "
            r"(?:pastillas|pildoras|tabletas|capsulas|medicinas|medicamentos)|(?:todo )?(?:el|un|"
            r"mi) (?:frasco|bote|tarro|blister|paquete|empaque|envase)(?: de \w+)? (?:entero|"
            r"completo)|todo el (?:frasco|bote|tarro|blister|paquete)|una caja (?:entera|"
            r"completa)|(?:[1-9]\d+|diez|once|doce|quince|veinte|treinta|cuarenta|cincuenta|cien|"
            r"muchas|un monton de|un punado de|demasiadas) (?:pastillas|pildoras|tabletas|"
            r"capsulas))\b"
            r"|\b(?:me (?:voy a |quiero )?(?:dar|di|doy|provoque|provoco|meto|meti|hice|hago)|"
            r"darme|provocarme|hacerme|quiero|pienso en|pensando en|pense en|casi (?:tuve|"
            r"me da|me dio)|tuve|tome|tomarme|tomar|causarme) (?:una )?sobredosis\b"
            r"|\b(?:he estado |estoy )?(?:juntando|guardando|acumulando) (?:\w+ ){0,2}?"
            r"(?:pastillas|pildoras|tabletas|medicinas)\b"
        ),
        governor=True,
        past_ok=True,
        readings=(
            _clause(
                r"(?:como|segun) (?:me )?(?:lo )?(?:indic\w*|dij\w*|recet\w*|mand\w*|recomend\w*)|"
                r"(?:del|de mi|el) (?:tratamiento|antibiotico|ciclo)|vitaminas|"
                r"(?:del|de la) (?:dia|manana|noche|semana)|a (?:tiempo|sus horas|la hora)|"
                r"(?:en|por) la (?:manana|noche|tarde)|juntas|al mismo tiempo|separo|separadas|"
                r"con (?:comida|agua|el desayuno|la cena)|en ayunas",
                "routine",
            ),
        ),
    ),
    _Rule(
        "es.suicide.jump",
        SUICIDE,
        _x(
            r"\b(?:tirarme|aventarme|lanzarme|arrojarme|echarme|saltar|brincar|"
            r"me <GOV1> <ADV>(?:tirar|aventar|lanzar|arrojar|echar)|"
            r"me (?:tiro|aviento|lanzo|arrojo|echo|tirare|aventare))"
            r" (?:(?:de|del|desde|por) (?:un |una |el |la |lo |mi )?(?:\w+ ){0,2}?"
            r"(?:puente|edificio|"
            r"balcon|ventana|azotea|techo|acantilado|precipicio|barranco|altura|alto|risco|"
            r"terraza|presa|piso|torre|cerro)|(?:a|al|a las|a los|frente a|frente al|enfrente de|"
            r"bajo|debajo de) (?:un |una |el |la |los |las )?(?:metro|tren|vias|via|vagon|anden|"
            r"carros?|camion(?:es)?|trafico|autopista|carretera|periferico|rio|mar|vacio))\b"
        ),
        governor=True,
        past_ok=True,
        hyperbole=True,
        readings=(_LEISURE,),
    ),
    _Rule(
        "es.suicide.shoot_myself",
        SUICIDE,
        _x(
            r"\b(?:dispararme|pegarme un (?:tiro|balazo)|darme un (?:tiro|balazo)|"
            r"meterme un (?:tiro|balazo)|volarme (?:la cabeza|los sesos))\b"
            r"|\bme <GOV1> <ADV>(?:disparar|pegar un (?:tiro|balazo)|dar un (?:tiro|balazo)|"
            r"volar (?:la cabeza|los sesos))\b"
            r"|\bme (?:pego|pegaria|pegare|doy|daria|dare|meto|meteria) un (?:tiro|balazo)\b"
        ),
        governor=True,
        past_ok=True,
        hyperbole=True,
    ),
    _Rule(
        "es.suicide.weapon",
        SUICIDE,
        _x(
            r"\b(?:tengo|compre|consegui|agarre|saque|guardo|cargue|encontre|voy a comprar|"
            r"quiero comprar|voy a conseguir) (?:\w+ ){0,3}?(?:pistola|arma|revolver|escopeta|"
            r"rifle)\b"
        ),
        context=_WEAPON_SELF,
    ),
    _Rule(
        "es.suicide.hang",
        SUICIDE,
        _x(
            r"\bahorc(?:arme|andome)\b|\bme <GOV1> <ADV>ahorcar\b|\bme ahorc(?:o|are|aria)\b"
            r"|\bcolg(?:arme|andome) (?:de|del|con) (?:una |un |la |el )?(?:soga|cuerda|viga|"
            r"arbol|cinturon|sabana|lazo|techo|ventilador|regadera|closet|ropero)\b"
        ),
        governor=True,
        past_ok=True,
        hyperbole=True,
    ),
    _Rule(
        "es.suicide.poison",
        SUICIDE,
        _x(
            r"\benvenen(?:arme|andome)\b|\bme <GOV1> <ADV>envenenar\b"
            r"|\b(?:me )?tom(?:arme|ar|e|o|are) (?:\w+ ){0,2}?(?:veneno|cloro|raticida|"
            r"insecticida|matarratas|anticongelante|lejia|herbicida|pesticida|cianuro)\b"
        ),
        governor=True,
        past_ok=True,
    ),
    _Rule(
        "es.suicide.cut_wrists",
        SUICIDE,
        _x(
            r"\b(?:cort|abr|raj)(?:arme|irme|andome) las venas\b"
            r"|\bme <GOV1> <ADV>(?:cortar|abrir) las venas\b"
            r"|\bme (?:corto|corte|cortare|cortaria) las venas\b"
        ),
        governor=True,
        past_ok=True,
    ),
    # A voice or an urge giving orders is the writer's own experience, not reported speech.
    _Rule(
        "es.suicide.command_voices",
        SUICIDE,
        _x(
            r"\b(?:una voz|voces|la voz|las voces|algo|mi mente|mi cabeza|una parte de mi)"
            r"(?: \w+){0,3} (?:me )?(?:dice|dicen|pide|piden|ordena|ordenan|manda|mandan|grita|"
            r"gritan|susurra|susurran)(?: \w+){0,2}? (?:que )?(?:me (?:mate|suicide|tire|ahorque|"
            r"quite la vida)|matarme|<SUI>arme)\b"
        ),
        speech_ok=True,
    ),
    # --------------------------------------------------------------------------- self-harm
    _Rule(
        "es.self_harm.cut",
        SELF_HARM,
        _x(
            r"\bcort(?:arme|andome)\b(?! las venas)"
            r"|\b(?<!se )me <GOV1> <ADV>cortar\b(?! las venas)"
            r"|\b(?<!se )me (?:corto|corte|cortaba|cortare|cortaria|estoy cortando|he cortado|"
            r"habia cortado)\b(?! las venas)"
            r"|\b(?:hacerme|me hice|me hago|me hacia) (?:unos |varios |muchos |mas |otros |"
            r"nuevos )?(?:cortes|cortadas|cortaditas|rasgunos)\b|\brajarme\b"
        ),
        governor=True,
        past_ok=True,
        accident=True,
        readings=_CUT_IDIOMS,
    ),
    _Rule(
        "es.self_harm.hurt_myself",
        SELF_HARM,
        _x(
            r"\b(?:hacerme|haciendome) dano\b|\bme <GOV1> <ADV>(?:hacer dano|lastimar|herir|"
            r"autolesionar|golpear)\b|\bme (?:hago|haria|hare|hacia) dano\b"
            r"|\b(?<!se )me (?:estoy|estaba|sigo|sigue) (?:lastimando|haciendo dano|quemando)\b"
            r"|\blastim(?:arme|andome)\b|\b(?<!se )me lastimo\b|\bher(?:irme|iendome)\b"
            r"|\bautolesion(?:arme|andome)\b|\b(?<!se )me autolesion(?:o|e|aba|are|aria)\b"
            r"|\bauto ?lesion(?:es|arme)\b|\bcastigarme fisicamente\b"
            r"|\b(?:golpearme|pegarme) (?:la cabeza )?(?:contra|en) (?:la |el |las )?(?:pared|"
            r"paredes|muro|puerta|piso|espejo)\b"
            r"|\b(?<!se )me (?:golpeo|pego|golpeaba|pegaba) (?:la cabeza )?contra (?:la |el )?"
            r"(?:pared|muro|puerta|piso|espejo)\b"
            r"|\b(?:rascarme|rasgunarme|aranarme|me rasco|me rasguno|me arano) hasta (?:sangrar|"
            r"que sangre|hacerme dano)\b"
        ),
        governor=True,
        subject=True,
        past_ok=True,
        accident=True,
        readings=(_clause(r"de (?:la )?risa"),),
    ),
    _Rule(
        "es.self_harm.burn",
        SELF_HARM,
        _x(
            r"\bquem(?:arme|andome)\b|\bme <GOV1> <ADV>quemar\b"
            r"|\b(?<!se )me quemo (?:con|los|las|el|la|a proposito)\b"
        ),
        governor=True,
        past_ok=True,
        accident=True,
        readings=(
            _after(r"(?:en|con) el trabajo|las pestanas|el pelo|la lengua|la boca"),
            _after(r"(?:al|en el|con el) sol|en la playa", "accident"),
        ),
    ),
    # Past tense is ambiguous ("me lastimé la rodilla"): it needs a self-harm sign.
    _Rule(
        "es.self_harm.injured_myself",
        SELF_HARM,
        _x(r"\b(?<!se )me (?:hice dano|lastime|heri|golpee|queme|pegue)\b"),
        past_ok=True,
        accident=True,
        context=_SH_CONTEXT,
    ),
    _Rule(
        "es.self_harm.means_ready",
        SELF_HARM,
        _x(
            r"\b(?:tengo|con|agarre|compre|saque|consegui|escondo|guardo|traigo) "
            r"(?:\w+ ){0,3}?(?:la|una|mi|unas|las|mis) (?:navajas?|cuchillas?|gillettes?|"
            r"hojas? de afeitar|rastrillos?|cuter)\b"
        ),
        context=_c(
            _SH_CONTEXT.pattern
            + "|"
            + _DESPAIR.pattern
            + r"|\b(?:en el bano|encerrad[oa]|en la mano|lista|otra vez|no aguanto)\b"
        ),
    ),
    _Rule(
        "es.self_harm.relapse",
        SELF_HARM,
        _x(r"\brecai\b|\b(?:tuve|tengo) una recaida\b|\bvolvi a (?:hacerlo|las andadas)\b"),
        context=_SH_CONTEXT,
    ),
    _Rule(
        "es.self_harm.wounds",
        SELF_HARM,
        _x(
            r"\b(?:nuevos cortes|cortes nuevos|cortes frescos|nuevas cicatrices|cicatrices nuevas|"
            r"(?:escondo|esconder|tapo|tapar|oculto|ocultar) (?:los|mis) cortes|"
            r"manga larga para (?:tapar|ocultar|esconder))\b"
        ),
        subject=True,
        past_ok=True,
    ),
    _Rule(
        "es.self_harm.command_voices",
        SELF_HARM,
        _x(
            r"\b(?:una voz|voces|la voz|las voces|algo|mi mente|mi cabeza|una parte de mi)"
            r"(?: \w+){0,3} (?:me )?(?:dice|dicen|pide|piden|ordena|ordenan|manda|mandan|grita|"
            r"gritan|susurra|susurran)(?: \w+){0,2}? (?:que )?(?:me (?:corte|lastime|haga dano|"
            r"queme)|cortarme|lastimarme|hacerme dano|quemarme)\b"
        ),
        speech_ok=True,
    ),
    # ---------------------------------------------------------------------- harm to others
    _Rule(
        "es.harm_to_others.kill",
        HARM_TO_OTHERS,
        _x(
            r"(?<!\bme )(?<!\bse )\b<GOVH> <ADV>(?:matar|asesinar|acuchillar|apunalar|balear|"
            r"estrangular|"
            r"ahorcar|envenenar|degollar|descuartizar)(?:lo|la|los|las|te|les)?\b"
            r"|\b(?:lo|la|los|las|te) (?:voy a|vamos a|quiero|quisiera|pienso|puedo|podria|"
            r"tengo que|juro que voy a) <ADV>(?:matar|asesinar|acuchillar|apunalar|balear|"
            r"estrangular|ahorcar|envenenar|degollar)\b"
            r"|\b(?:lo|la|los|las|te) (?:mato|matare|mataria|asesino|apunalo|apunalare)\b"
            r"|\b(?:mat|asesin|apunal|acuchill|estrangul)ar(?:lo|la|los|las|te)\b"
            r"|\b(?:lo|la|los|las|te) (?:quiero|quisiera) ver muert[oa]s?\b"
            r"|\b(?:quiero|quisiera) ver(?:lo|la|los|las|te) muert[oa]s?\b"
            r"|\b<GOVH> (?:acabar con (?:el|ella|ellos|ellas)(?=\s*(?:$|[,.!?]|de una vez|"
            r"para siempre|y\b|ya\b))|acabar con (?:su|la) vida)\b"
        ),
        governor=True,
        subject=True,
        hyperbole=True,
        readings=_KILL_OBJECT,
    ),
    _Rule(
        "es.harm_to_others.hurt",
        HARM_TO_OTHERS,
        _x(
            r"(?<!\bme )(?<!\bse )\b<GOVH> <ADV>(?:hacer(?:le|les|te) (?:dano|mal)|"
            r"causar(?:le|les) dano|"
            r"(?:lastimar|herir|golpear|agredir|atacar|ahogar|asfixiar|sofocar|sacudir|quemar)"
            r"(?:lo|la|los|las|te|le|les)|(?:lastimar|herir|golpear|agredir|atacar|ahogar|"
            r"asfixiar|sofocar|sacudir|quemar|aventar|tirar) a|pegar(?:le|les|te)|"
            r"(?:partir|romper)(?:le|les|te) la (?:cara|madre|cabeza))\b"
            r"|\b(?:lo|la|los|las|le|les|te) (?:voy a|quiero|pienso|puedo|podria|tengo ganas de) "
            r"<ADV>(?:lastimar|herir|golpear|agredir|hacer dano|partir la (?:cara|madre)|"
            r"romper la (?:cara|madre))\b"
            r"|\b(?:le|les|te) (?:voy a|quiero) pegar\b(?! (?:un|una|el|la|los|las|unos|unas|"
            r"algo|eso|esto)\b)"
            r"|\b(?:le|les|te) (?:haria|hare|hago|podria hacer|voy a hacer) (?:dano|mal)\b"
            r"|\b(?:me imagino|imagino|pienso|sueno) que (?:lo |la |los |las |le )?(?:lastimo|"
            r"mato|ahogo|golpeo|apunalo|asfixio|estrangulo)\b"
            r"|\b(?:me imagino|imagino|me veo|sueno con|fantaseo con|pienso en) (?:\w+ )?"
            r"(?:matando|ahogando|lastimando|apunalando|acuchillando|golpeando|estrangulando|"
            r"asfixiando|haciendole dano)(?:lo|la|los|las)?\b"
        ),
        governor=True,
        subject=True,
        hyperbole=True,
        retract_ok=False,  # intrusive thoughts stay flagged even when the writer disowns them
        readings=(_EMOTIONAL,),
    ),
    _Rule(
        "es.harm_to_others.weapon",
        HARM_TO_OTHERS,
        _x(
            r"\b(?:tengo|compre|consegui|agarre|saque|guardo|cargue|encontre|voy a comprar|"
            r"quiero comprar|voy a conseguir|voy a llevar|llevo) (?:\w+ ){0,3}?(?:pistola|arma|"
            r"revolver|escopeta|rifle|cuchillo|navaja|machete|bate)\b"
        ),
        context=_THREAT,
    ),
    # Going to someone's place armed is a threat in itself.
    _Rule(
        "es.harm_to_others.weapon_visit",
        HARM_TO_OTHERS,
        _x(
            r"\b(?:voy|ire|vamos) a (?:ir|llegar|presentarme|caerle) (?:a|al|hasta) "
            r"(?:su|la casa de|casa de|el trabajo de|la escuela de) (?:\w+ ){0,3}?"
            r"con (?:un|el|mi|una|la) "
            r"(?:cuchillo|pistola|arma|machete|bate|navaja)\b"
        ),
    ),
    _Rule(
        "es.harm_to_others.command_voices",
        HARM_TO_OTHERS,
        _x(
            r"\b(?:una voz|voces|la voz|las voces|algo|mi mente|mi cabeza|una parte de mi)"
            r"(?: \w+){0,3} (?:me )?(?:dice|dicen|pide|piden|ordena|ordenan|manda|mandan|grita|"
            r"gritan|susurra|susurran)(?: \w+){0,2}? (?:que )?(?:mate a|(?:lo|la|los|las) mate|"
            r"(?:le|les) haga dano|lastime a|matar a|mat(?:arlo|arla|arlos))\b"
        ),
        speech_ok=True,
    ),
    # ----------------------------------------------- someone else's act (always set aside)
    _Rule(
        "es.suicide.third_person",
        SUICIDE,
        _x(
            r"\b(?:matarse|<SUI>arse|quitarse la vida|morirse|matandose|<SUI>andose)\b"
            r"|\bse (?:(?:quiere|queria|quiso|quisiera|va a|iba a|intento3?|trato3? de|piensa|"
            r"pensaba|puede|podria) )?(?:matar|mato3?|<SUI>\w*|quit\w* la vida|morir|murio3?)\b"
            r"|\b(?:quiere|quieren|desea|tiene ganas de|le dan ganas de) morir\b"
            r"|\b(?:acabar|terminar) con su (?:propia )?vida\b"
        ),
        third_person=True,
    ),
    _Rule(
        "es.self_harm.third_person",
        SELF_HARM,
        _x(
            r"\b(?:cortarse|lastimarse|autolesionarse|hacerse dano|quemarse|cortandose|"
            r"lastimandose|autolesionandose)\b"
            r"|\bse (?:(?:quiere|va a|volvio3? a|vuelve a) )?(?:corta|cortaba|corto3|cortar|"
            r"lastima|lastimaba|lastimo3|lastimar|autolesiona\w*|hace dano|hacia dano|hizo dano|"
            r"quema|quemaba|quemo3)\b"
            r"|\bse (?:esta|estaba|sigue) (?:cortando|lastimando|quemando|haciendo dano)\b"
        ),
        third_person=True,
    ),
    _Rule(
        "es.harm_to_others.third_person",
        HARM_TO_OTHERS,
        _x(
            r"(?<!\bse )\b(?:quiere|quieren|va a|van a|amenaza con|amenazo3? con|amenazaba con|"
            r"amenazaron con|dice que va a|piensa|planea) <ADV>(?:matar|asesinar|lastimar|"
            r"hacerle dano|golpear|apunalar|dispararle)(?:lo|la|los|las|me|te|le|les)?\b"
            r"|\b(?:me|lo|la|los|las|te|le|nos) (?:va|van|quiere|quieren) (?:a )?<ADV>(?:matar|"
            r"lastimar|golpear|pegar|hacer dano)\b"
            r"|\b(?:lo|la|los|las|te|me) (?:mato3|asesino3)\b"
        ),
        third_person=True,
    ),
)

# Every rule name, for the lead and the tests (names never contain message text).
RULES: frozenset[str] = frozenset(rule.name for rule in _RULE_LIST)


# --------------------------------------------------------------------------------------
# Dampeners
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Message:
    text: str
    joke: bool
    trivial: bool
    recovery: bool
    relapse: bool
    affirmed: bool
    on_purpose: bool


def _message(text: str) -> _Message:
    serious = bool(_SERIOUS.search(text))
    return _Message(
        text=text,
        joke=bool(_JOKE.search(_SERIOUS.sub(" ", text))) and not serious,
        trivial=bool(_TRIVIAL.search(text)),
        recovery=bool(_RECOVERY.search(text)),
        relapse=bool(_RELAPSE.search(text)),
        affirmed=bool(_AFFIRMED.search(text)),
        on_purpose=bool(_ON_PURPOSE.search(text)),
    )


def _reading(rule: _Rule, clause: str, m: re.Match[str]) -> str | None:
    for r in rule.readings:
        if r.where == "after":
            hit = r.pattern.search(clause[m.end() :])
        elif r.where == "before":
            hit = r.pattern.search(clause[: m.start()])
        else:
            hit = r.pattern.search(clause)
        if hit:
            return r.dampener
    return None


def _reported(prefix: str) -> bool:
    """Whether the cue sits in what someone else said ("mi amiga dijo: ...")."""
    speech = list(_THIRD_SPEECH.finditer(prefix))
    if not speech:
        return False
    between = prefix[speech[-1].end() :]
    return not (_FIRST_SPEECH.search(between) or _SPEECH_BREAK.search(between))


def _third_subject(scope: str) -> bool:
    """For a noun cue: the nearest owner before it is someone else ("mi hijo tiene ...")."""
    tail = scope[-60:]
    third = max((m.end() for m in _THIRD_HAVE.finditer(tail)), default=-1)
    first = max((m.end() for m in _FIRST_HAVE.finditer(tail)), default=-1)
    return third > first


def _past(rule: _Rule, prefix: str, clause: str, m: re.Match[str], msg: _Message) -> bool:
    # "Now" next to the cue (same stretch between commas) makes it current: "anoche me corté".
    local = _SCOPE_BREAK.split(prefix)[-1] + m.group(0) + _SCOPE_BREAK.split(clause[m.end() :])[0]
    if not rule.past_ok or msg.relapse or _RECENT.search(local):
        return False
    if _DISTANT.search(clause) or _ANTES.search(prefix):
        return True
    # Recovery said elsewhere only makes a past-tense cue history ("intenté ..., ya lo superé").
    return msg.recovery and bool(_PAST_FORM.search(local))


def _dampener(
    rule: _Rule,
    clauses: list[_Clause],
    i: int,
    m: re.Match[str],
    msg: _Message,
) -> str | None:
    """The name of the dampener that sets this cue aside, or ``None`` if it stands."""
    clause = clauses[i]
    text = clause.text
    prefix = text[: m.start()]
    after = text[m.end() :]
    scope = _SCOPE_BREAK.split(prefix)[-1]
    nxt = clauses[i + 1] if i + 1 < len(clauses) else None
    if rule.third_person:
        # "mi jefe me va a matar (si llego tarde)": hyperbole about the writer.
        if m.group(0).startswith("me ") and (_AUTHORITY.search(prefix) or msg.joke):
            return "idiom"
        return "third_party"
    reading = _reading(rule, text, m)
    if reading is not None:
        return reading
    if rule.accident and _ACCIDENT.search(text) and not msg.on_purpose:
        return "accident"
    if rule.negatable and _negated(prefix, after):
        return "negated"
    if rule.negatable and (
        _POST_DENIAL.search(after)
        or (clause.question and nxt is not None and _ANSWER_NO.search(nxt.text))
    ):
        return "negated"
    if rule.governor and (_THIRD_GOV.search(scope) or _THIRD_NP.search(scope)):
        return "third_party"
    if not rule.speech_ok and _reported(prefix):
        return "third_party"
    if rule.subject and _third_subject(scope):
        return "third_party"
    if rule.topic_ok and (
        _TOPIC_BEFORE.search(prefix) or (_MEDIA.search(text) and not _FIRST_HAVE.search(scope))
    ):
        return "media"
    if rule.weak and not _FIRST_PERSON.search(text):
        return "no_context"
    if _HYPOTHETICAL.search(prefix):
        return "hypothetical"
    if _SCREENING.search(prefix) and not msg.affirmed:
        return "screening"
    if _past(rule, prefix, text, m, msg):
        return "past"
    if rule.context is not None:
        # The second sign must be somewhere other than the cue itself.
        start = clause.start + m.start()
        rest = msg.text[:start] + " ~ " + msg.text[clause.start + m.end() :]
        if not rule.context.search(rest):
            return "no_context"
        if rule.farewell and not _DEATH_RE.search(rest) and _FAREWELL_BENIGN.search(rest):
            return "no_context"  # "me despido de todos, me mudo a Texas"
    if rule.retract_ok and (
        _RETRACT.search(_SERIOUS.sub(" ", after))
        or (nxt is not None and _RETRACT.search(_SERIOUS.sub(" ", nxt.text)))
    ):
        return "retracted"
    if (
        rule.hyperbole
        and msg.joke
        and (rule.category == HARM_TO_OTHERS or msg.trivial or _IF.search(text))
    ):
        return "idiom"
    if (
        rule.category == HARM_TO_OTHERS
        and rule.hyperbole
        and _PET_PEEVE.search(after)
        and not _SEVERE.search(msg.text)
    ):
        return "idiom"  # "voy a matar a mi hermano si se come mi pastel"
    return None


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


_MAX_CUES_PER_RULE = 4  # per clause: enough to find one that stands, bounded on long input


def spanish_cues(norm: str) -> list[SpanishCue]:
    """Every Spanish crisis cue in *norm* (normalised text), standing or set aside.

    A cue with ``dampener`` ``None`` stands; the others name why they were set aside. Each
    (category, rule, dampener) appears once, in the order first found.
    """
    text = _fold(norm)
    clauses = _split(text)
    msg = _message(text)
    found: dict[tuple[str, str, str | None], None] = {}
    for i, clause in enumerate(clauses):
        strong: list[tuple[int, int]] = []
        weak: list[tuple[_Rule, re.Match[str]]] = []
        for rule in _RULE_LIST:
            for n, m in enumerate(rule.pattern.finditer(clause.text)):
                if n == _MAX_CUES_PER_RULE:
                    break
                if rule.weak:
                    weak.append((rule, m))
                    continue
                strong.append(m.span())
                found[(rule.category, rule.name, _dampener(rule, clauses, i, m, msg))] = None
        for rule, m in weak:
            # A bare word yields to a rule that read the same words ("pienso en el suicidio").
            if not any(s < m.end() and m.start() < e for s, e in strong):
                found[(rule.category, rule.name, _dampener(rule, clauses, i, m, msg))] = None
    return [SpanishCue(category, name, dampener) for category, name, dampener in found]
