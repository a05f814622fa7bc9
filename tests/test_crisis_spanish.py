"""Unit tests for the Spanish crisis rules (:mod:`quietline.safety.crisis_spanish`).

Every message here was written for these tests. Messages go through the detector's
:func:`~quietline.safety.crisis.normalise` first, as they will in production.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

import pytest

from quietline.safety.crisis import CrisisAssessment, normalise, written_in_spanish
from quietline.safety.crisis_spanish import (
    DAMPENERS,
    RULES,
    SpanishCue,
    reads_as_spanish,
    spanish_cues,
)

SUICIDE = "suicide"
SELF_HARM = "self_harm"
OTHERS = "harm_to_others"


def cues(message: str) -> list[SpanishCue]:
    return spanish_cues(normalise(message))


def fired(message: str) -> set[str]:
    """The categories of the cues that stand."""
    return {c.category for c in cues(message) if c.dampener is None}


CRISIS: list[tuple[str, str]] = [
    # suicide, explicit
    ("Me quiero morir", SUICIDE),
    ("estoy pensando en matarme", SUICIDE),
    ("He pensado en quitarme la vida", SUICIDE),
    ("Ya no quiero vivir", SUICIDE),
    ("no quiero seguir viviendo", SUICIDE),
    ("No quiero seguir viviendo así, ya no le veo sentido a nada", SUICIDE),
    ("Tengo pensamientos suicidas casi todos los días", SUICIDE),
    ("Pienso en el suicidio todo el tiempo", SUICIDE),
    ("Me voy a suicidar esta noche", SUICIDE),
    ("voy a suicidarme", SUICIDE),
    ("Quiero acabar con mi vida", SUICIDE),
    ("no le encuentro sentido a mi vida, quiero terminar con todo", SUICIDE),
    ("Estoy cansada de vivir", SUICIDE),
    ("tengo ganas de morirme", SUICIDE),
    ("Me voy a matar, ya no puedo más", SUICIDE),
    ("Si sigo así me voy a matar", SUICIDE),
    ("me siento suicida otra vez", SUICIDE),
    ("El suicidio es mi única salida", SUICIDE),
    ("no tengo razones para vivir", SUICIDE),
    ("Me da igual vivir o morir", SUICIDE),
    ("no quiero estar en este mundo", SUICIDE),
    ("Quisiera no haber nacido", SUICIDE),
    ("Una voz me dice que me mate", SUICIDE),
    ("Estimada doctora: le escribo porque he tenido pensamientos de quitarme la vida.", SUICIDE),
    ("Hace años intenté suicidarme y ahora lo estoy pensando otra vez", SUICIDE),
    ("Antes eran solo pensamientos, ahora quiero hacerlo", SUICIDE),
    ("mi psiquiatra dice que estoy mejor, pero quiero morirme", SUICIDE),
    ("Le dije a mi hermana que me quiero morir", SUICIDE),
    ("¿Es normal que a veces quiera morirme? Me quiero morir", SUICIDE),
    ("no se q hacer, me quiero morir", SUICIDE),
    ("Nunca había querido morirme tanto como ahora", SUICIDE),
    ("no puedo dejar de pensar en matarme", SUICIDE),
    # suicide, indirect and passive
    ("Ojalá no despertara mañana", SUICIDE),
    ("Quiero dormir y no despertar nunca", SUICIDE),
    ("Creo que todos estarían mejor sin mí", SUICIDE),
    ("Mi familia estaría mejor sin mí", SUICIDE),
    ("Siento que soy una carga para todos", SUICIDE),
    ("Quisiera desaparecer para siempre", SUICIDE),
    ("La vida no vale la pena", SUICIDE),
    ("no vale la pena vivir", SUICIDE),
    ("Ojalá me muriera", SUICIDE),
    ("a veces quisiera estar muerta", SUICIDE),
    ("Quiero que un camión me atropelle", SUICIDE),
    ("Ya no aguanto más, quiero dormir para siempre", SUICIDE),
    ("ya no aguanto mas, nadie me extrañaría si me muero", SUICIDE),
    ("Ya no aguanto más esta vida", SUICIDE),
    ("Me despido de todos, perdónenme por todo", SUICIDE),
    ("Me despido de todos, ya no me van a volver a ver", SUICIDE),
    ("Ya tengo todo planeado, ya no quiero vivir", SUICIDE),
    # plans and means
    ("Me voy a tomar todas las pastillas que tengo", SUICIDE),
    ("me tomé todas mis pastillas hace una hora", SUICIDE),
    ("Tomé un frasco entero de pastillas para dormir", SUICIDE),
    ("Me tomé 30 pastillas", SUICIDE),
    ("me tome un bote completo de clonazepam", SUICIDE),
    ("he estado juntando pastillas para el día que me decida", SUICIDE),
    ("Pienso darme una sobredosis", SUICIDE),
    ("Voy a tirarme del puente", SUICIDE),
    ("Estoy pensando en aventarme a las vías del tren", SUICIDE),
    ("quiero tirarme a las vías del metro", SUICIDE),
    ("Tengo la pistola de mi papá y ya no aguanto más", SUICIDE),
    ("Quiero pegarme un tiro", SUICIDE),
    ("pienso en ahorcarme", SUICIDE),
    ("voy a cortarme las venas", SUICIDE),
    # texting shorthand, no accents, Spanglish
    ("q ganas de morirme ya", SUICIDE),
    ("toy pensando en suicidarme", SUICIDE),
    ("kiero matarme xq nadie me kiere", SUICIDE),
    ("me kiero morir neta", SUICIDE),
    ("ya no kiero vivir", SUICIDE),
    ("m boy a matar", SUICIDE),
    ("no puedo more, quiero matarme tonight", SUICIDE),
    ("honestly ya no quiero vivir", SUICIDE),
    ("I'm so tired, me quiero morir", SUICIDE),
    ("ME QUIERO MORIR!!!", SUICIDE),
    ("suisidarme es lo unico q pienso", SUICIDE),
    # more indirect phrasings
    ("Doctora ya no puedo más, me quiero ir para siempre", SUICIDE),
    ("no sé si pueda mantenerme a salvo esta noche", SUICIDE),
    ("Me voy a dejar morir", SUICIDE),
    ("Si me muero nadie se daría cuenta", SUICIDE),
    ("a nadie le importaría si me muero", SUICIDE),
    ("Me siento atrapada y quiero desaparecer", SUICIDE),
    ("Hoy fue un día horrible. No quiero seguir.", SUICIDE),
    ("mi esposo me pega y ya no aguanto más, quiero morirme", SUICIDE),
    ("pensé en tirarme por la ventana", SUICIDE),
    ("voy a estrellar el carro a propósito", SUICIDE),
    ("mañana ya no voy a estar, cuiden a mis hijos", SUICIDE),
    ("escribí cartas de despedida para mi familia", SUICIDE),
    ("no me importaría morirme mañana", SUICIDE),
    ("a veces pienso que sería mejor no estar aquí", SUICIDE),
    ("No sé cuánto tiempo más voy a aguantar, ya tengo las pastillas", SUICIDE),
    ("No paso un día sin pensar en matarme", SUICIDE),
    ("ya no sirvo para nada, quisiera morirme", SUICIDE),
    ("Me quiero suicidar, boludo, no doy más", SUICIDE),
    ("estoy hasta la madre, me quiero morir", SUICIDE),
    ("Intenté suicidarme la semana pasada", SUICIDE),
    ("Anoche me tomé un montón de pastillas", SUICIDE),
    ("tomé demasiadas pastillas, me siento rara", SUICIDE),
    ("Mi terapeuta me preguntó si tengo pensamientos de suicidio y le dije que sí", SUICIDE),
    # self-harm
    ("Volví a cortarme", SELF_HARM),
    ("me corté otra vez anoche", SELF_HARM),
    ("Me corté a propósito", SELF_HARM),
    ("Tengo muchas ganas de cortarme", SELF_HARM),
    ("quiero hacerme daño", SELF_HARM),
    ("Me estoy lastimando otra vez", SELF_HARM),
    ("Me quemé con un cigarro a propósito", SELF_HARM),
    ("ayer me autolesioné", SELF_HARM),
    ("Recaí y me corté", SELF_HARM),
    ("recaí, volvieron los cortes en mis brazos", SELF_HARM),
    ("tengo ganas de lastimarme", SELF_HARM),
    ("me golpeo la cabeza contra la pared hasta que me sangra", SELF_HARM),
    ("No puedo dejar de cortarme", SELF_HARM),
    ("toy cortandome otra vez", SELF_HARM),
    ("me hice cortes en los brazos anoche", SELF_HARM),
    ("i relapsed, me corté anoche", SELF_HARM),
    ("tengo ganas de quemarme con el encendedor", SELF_HARM),
    ("escondo los cortes con manga larga", SELF_HARM),
    ("antes me cortaba y volví a hacerlo", SELF_HARM),
    ("He estado cortándome desde hace meses", SELF_HARM),
    ("Llevo una semana cortándome todos los días", SELF_HARM),
    ("me rasguño hasta sangrar", SELF_HARM),
    ("estoy en el baño con la navaja y no aguanto", SELF_HARM),
    # harm to others
    ("Voy a matar a ese tipo", OTHERS),
    ("lo voy a matar", OTHERS),
    ("La voy a matar cuando llegue a la casa", OTHERS),
    ("quiero matarlo", OTHERS),
    ("Tengo pensamientos de lastimar a mi bebé", OTHERS),
    ("tengo pensamientos de lastimar a mi bebé pero nunca lo haría", OTHERS),
    ("Me dan ganas de hacerle daño a mi hijo", OTHERS),
    ("Tengo miedo de hacerle daño a alguien", OTHERS),
    ("Ganas de matar a mi jefe, te lo juro", OTHERS),
    ("Tengo una pistola y sé dónde vive", OTHERS),
    ("si lo vuelvo a ver lo mato", OTHERS),
    ("voy a matar a mi ex", OTHERS),
    ("te voy a matar", OTHERS),
    ("Quiero ahorcarla", OTHERS),
    ("Estoy pensando en envenenar a mi esposo", OTHERS),
    ("voy a matar a todos en mi escuela", OTHERS),
    ("me imagino ahogando a mi bebé y no lo soporto", OTHERS),
    ("voy a partirle la cara a mi vecino", OTHERS),
    ("No es broma, voy a matar a mi cuñado jaja", OTHERS),
    ("A veces imagino que lastimo a mi bebé", OTHERS),
    ("tengo pensamientos intrusivos de hacerle daño a mi bebé", OTHERS),
    ("voy a ir a su casa con un cuchillo", OTHERS),
    ("Lo quiero ver muerto", OTHERS),
    ("tengo ganas de ahorcar a mi hijo cuando llora", OTHERS),
]

NOT_CRISIS: list[str] = [
    # logistics
    "Necesito cambiar la cita del jueves",
    "Llego 10 minutos tarde",
    "¿Podemos mover la sesión al viernes a las 3?",
    "Necesito una receta nueva para mis pastillas",
    "¿Puedo tomar dos pastillas si me duele la cabeza?",
    "Se me acabaron las pastillas, ¿me puede mandar la receta a la farmacia?",
    "Gracias por la sesión de hoy, me ayudó mucho",
    "¿Aceptan mi seguro médico?",
    "Hoy no puedo ir, mi hijo está enfermo",
    "Me tomé la pastilla a las 8 como me dijo la doctora",
    "¿Cuántas pastillas debo tomar al día?",
    "Me tomé todas las pastillas del antibiótico como me indicó el doctor",
    "¿Me puede dar un justificante para el trabajo?",
    "se me cortó la llamada, ¿me puede volver a llamar?",
    "se me corto la llamada",
    "No puedo dormir, ¿me puede recetar algo?",
    "I'm running late, llego en 10 minutos",
    "Hoy tuve un día pesado pero estoy bien",
    "Tengo un plan para la semana",
    "Ya lo hago, gracias",
    "Quiero terminar con todo el papeleo antes del viernes",
    "No quiero vivir con mis papás",
    "No quiero despertarme temprano mañana",
    # exhaustion without despair
    "No puedo más con el tráfico de esta ciudad",
    "ya no aguanto más este calor",
    "Ya no aguanto más",
    "my boss is killing me, ya no aguanto este trabajo",
    # idioms and hyperbole
    "Me muero de hambre",
    "me muero de risa jajaja",
    "me muero de sueño",
    "Me muero de frío",
    "me muero de calor",
    "Me muero de ganas de verte",
    "me muero de vergüenza",
    "me muero de aburrimiento en esta clase",
    "me muero por un café",
    "Me quiero morir de la vergüenza, me caí enfrente de todos",
    "Me mata el tráfico",
    "Este trabajo me está matando",
    "estoy muerta de cansancio",
    "Voy a matar el tiempo leyendo",
    "Mi jefe me va a matar",
    "Mi mamá me va a matar si llego tarde",
    "Me mato trabajando toda la semana",
    "me voy a matar estudiando para el examen",
    "Me corté el pelo muy corto",
    "voy a matar a mi hermano si se come mi pastel jaja",
    "Te voy a matar jajaja, ¿por qué no me avisaste?",
    "Me dieron ganas de matar a mi compañero de cuarto, ronca toda la noche jajaja",
    "me pego un tiro si tengo que ir a otra reunión así jaja",
    "Tengo que matar las cucarachas de la cocina",
    "la película me mató de risa",
    "casi me mato en la moto, qué susto",
    "me voy a tirar a la alberca",
    "No quiero lastimar a mi novia si la dejo",
    "me voy a morir de la risa",
    # accidents
    "Me corté cocinando, nada grave",
    "me corté con una hoja de papel",
    "me corté afeitándome",
    "Me quemé con la plancha",
    "me lastimé la rodilla jugando futbol",
    "Me hice daño en la espalda en el gym",
    # negation
    "No quiero matarme, solo estoy muy triste",
    "Nunca me haría daño",
    "No tengo pensamientos de suicidio",
    "no estoy pensando en quitarme la vida, solo necesito hablar",
    "Ya no me corto",
    "No, no quiero hacerme daño",
    "Jamás pensaría en suicidarme, amo a mis hijos",
    "No tengo ninguna intención de lastimar a nadie",
    "¿Pensamientos suicidas? No, para nada.",
    "pensamientos de suicidio no, solo mucha ansiedad",
    "No le haría daño a una mosca",
    "no quiero ser una carga para mis hijos cuando sea viejita",
    # the past, over
    "Hace años intenté suicidarme, ahora estoy bien",
    "Antes me cortaba pero ya no",
    "Cuando era adolescente tuve pensamientos suicidas, pero ya lo superé",
    "Llevo dos años sin cortarme",
    # someone else, media, topic
    "Mi amiga dice que se quiere matar",
    "Mi primo se suicidó el año pasado y lo extraño mucho",
    "Mi hija se corta los brazos, ¿qué hago?",
    "Mi hermano quiere matarse",
    "mi esposo amenazó con matarme",
    "Mi hijo tiene pensamientos suicidas, ¿pueden verlo esta semana?",
    "Mi amiga me escribió: me quiero morir",
    "Vi una película sobre el suicidio",
    "Estoy leyendo un libro sobre la prevención del suicidio",
    "Mi tarea es un ensayo sobre el suicidio en adolescentes",
    "En la serie el protagonista se quiere matar",
    "Quiero hablar del suicidio de mi tío en la próxima sesión",
    "Mi perro se murió ayer y estoy muy triste",
    "Los doctores dicen que mi abuela se va a morir",
    # hypothetical, screening
    "Si alguna vez pienso en hacerme daño, ¿a quién debo llamar?",
    "El doctor me preguntó si quería hacerme daño y le dije que no",
    # benign readings of goodbye, disappearing, relapse
    "Me despido, nos vemos el jueves",
    "Me despido de todos porque me mudo a Texas",
    "Me voy de vacaciones, quiero desaparecer unos días",
    "Quiero desaparecer de las redes sociales un tiempo",
    "Recaí con el cigarro",
    "me quiero ir para siempre de este país",
    # more everyday Spanish that uses the rules' words
    "Voy a cortar con mi novio",
    "me voy a cortar el pelo el sábado",
    "me quiero cortar el fleco",
    "Ese chiste me mató",
    "Me vas a matar de un susto",
    "Se murió mi gato",
    "se me murió el celular",
    "Quiero morirme de la risa",
    "Me despidieron del trabajo",
    "me despido, que tenga buen día",
    "adiós, nos vemos mañana",
    "Quiero acabar con el semestre ya",
    "Voy a terminar con todo hoy en la oficina",
    "Siento que soy una carga de trabajo para mi equipo",
    "Me tiro al sillón a ver la tele",
    "me voy a tirar al río a nadar este verano",
    "Me lastimé la espalda cargando cajas",
    "Mi ex me hizo mucho daño",
    "Estoy quemada del trabajo",
    "Ayer me quemé con aceite cocinando",
    "¿Me puedo tomar todas las pastillas en la mañana o las separo?",
    "Todavía me tomo todas las pastillas como me indicaron",
    "Mi papá tuvo una sobredosis hace años",
    "Tengo una pistola de agua para mi hijo",
    "Compré un cuchillo nuevo para la cocina",
    "compré cuchillas nuevas para mi rastrillo",
    "Voy a ir a su casa con un pastel",
    "Trabajo en una línea de prevención del suicidio",
    "Mi cliente tiene ideas suicidas, ¿cómo le hago?",
    "no me quiero morir, tengo miedo",
    "tengo miedo de morirme en el avión",
    "Quiero dormir para siempre jaja no es cierto, solo estoy cansada",
    "no aguanto más a mi suegra",
    "Me quiero matar estudiando para este examen",
    "me voy a matar de hambre con esta dieta",
    "no quiero vivir sin ti",
    "ya no quiero vivir aquí",
    "No estoy suicida, solo estresada",
    "te mato si no me traes café jaja",
    "Voy a ahorcar a mi hermano jaja",
    "Mi mamá va a matar a mi papá cuando vea la cuenta",
    "Tía, me quiero pegar un tiro con este examen jajaja",
    "Tío me muero, qué vergüenza",
    "¿Has pensado en hacerte daño? No, nunca.",
    "Me preguntaron si quería matarme",
    "En la escala de depresión marqué que no tengo pensamientos suicidas",
    "Desde que empecé la terapia ya no pienso en matarme",
    "Hace 3 años me corté por última vez",
    "De adolescente me cortaba",
    "Mi mejor amiga se quitó la vida hace un mes y no lo supero",
    "Mi papá se suicidó cuando yo tenía 10 años",
    "Mi hija de 14 se está cortando",
    "¿Cómo ayudo a mi hermano que quiere suicidarse?",
    "Estoy escribiendo un cuento donde el protagonista piensa en el suicidio",
]

# (message, the dampener that sets its cue aside)
DAMPENED: list[tuple[str, str]] = [
    ("No quiero matarme", "negated"),
    ("nunca me haría daño", "negated"),
    ("No tengo pensamientos de suicidio", "negated"),
    ("No estoy pensando en quitarme la vida", "negated"),
    ("Ya no me corto", "negated"),
    # Remembered today, wanted then: "hoy" dates the remembering.
    ("Recordé hoy que hace tres años quería morirme. Ahora estoy mejor", "past"),
    ("no me voy a suicidar", "negated"),
    ("Me quiero morir de la vergüenza", "idiom"),
    ("Me mato trabajando", "idiom"),
    ("Me corté el pelo", "idiom"),
    ("Voy a matar el tiempo", "idiom"),
    ("Mi jefe me va a matar", "idiom"),
    ("Mi mamá me va a matar si llego tarde", "idiom"),
    ("Voy a matar a mi hermano si se come mi pastel jaja", "idiom"),
    ("Voy a matar a mi hermano si se come mi pastel", "idiom"),
    ("Hace años intenté suicidarme, ahora estoy bien", "past"),
    ("Antes me cortaba pero ya no", "past"),
    ("Mi amiga dice que se quiere matar", "third_party"),
    ("mi hermana quiere suicidarse", "third_party"),
    ("Mi amiga me escribió: me quiero morir", "third_party"),
    ("Mi hijo tiene pensamientos suicidas", "third_party"),
    ("Vi una película sobre el suicidio", "media"),
    ("Si alguna vez pienso en matarme, ¿a quién llamo?", "hypothetical"),
    ("La enfermera me preguntó si tengo pensamientos suicidas", "screening"),
    ("Me corté cocinando", "accident"),
    ("Me corté con un papel", "accident"),
    ("Me tomé todas las pastillas del antibiótico", "routine"),
    ("Me quiero matar, es broma", "retracted"),
    ("Ya no aguanto más", "no_context"),
    ("Me despido de todos", "no_context"),
    ("Recaí", "no_context"),
    ("Me tomo todas las pastillas como me indicaron", "routine"),
    ("Quiero dormir para siempre jaja no es cierto", "retracted"),
    ("Mi amiga quiere cortarse", "third_party"),
    ("Mi hijo se quiere morir", "third_party"),
    ("Estoy leyendo un libro sobre el suicidio", "media"),
    ("Me corté el dedo con el cuchillo", "accident"),
    ("No, no me voy a cortar", "negated"),
]


@pytest.mark.parametrize(("message", "category"), CRISIS)
def test_crisis_messages_fire(message: str, category: str) -> None:
    assert fired(message) == {category}, cues(message)


@pytest.mark.parametrize("message", NOT_CRISIS)
def test_everyday_messages_do_not_fire(message: str) -> None:
    assert not fired(message), cues(message)


@pytest.mark.parametrize(("message", "dampener"), DAMPENED)
def test_dampeners_name_the_reason(message: str, dampener: str) -> None:
    found = cues(message)
    assert not any(c.dampener is None for c in found), found
    assert dampener in {c.dampener for c in found}, found


def test_enough_examples() -> None:
    assert len(CRISIS) >= 60
    assert len(NOT_CRISIS) >= 60
    assert len(set(CRISIS)) == len(CRISIS)
    assert len(set(NOT_CRISIS)) == len(NOT_CRISIS)


def test_every_category_is_covered() -> None:
    assert {category for _, category in CRISIS} == {SUICIDE, SELF_HARM, OTHERS}


def test_every_dampener_is_tested() -> None:
    assert {dampener for _, dampener in DAMPENED} == DAMPENERS


@pytest.mark.parametrize(
    "message",
    [
        "I want to kill myself",
        "call me tomorrow, no problem",
        "let me know if you can see me at 3",
        "my sin is that I love too much",
        "give me a sec, I'm running late",
    ],
)
def test_english_alone_gives_no_spanish_cue(message: str) -> None:
    assert cues(message) == []


# The words rule names are made of. A rule name is "es.<category>.<words>"; nothing from a
# message can reach it.
RULE_VOCABULARY = frozenset(
    re.findall(
        r"\S+",
        """
    es suicide self harm to others kill myself suicide take my life end it all this want die
    indifferent death not live like exist worth living thoughts feel suicidal only way out
    mention better off without me burden no wake disappear forever cant go on goodbye plan
    intent act overdose jump shoot weapon hang poison cut wrists command voices hurt burn
    injured relapse wounds third person letter wont be here means ready crash unsafe visit
    """,
    )
)
RULE_NAME = re.compile(r"es\.(suicide|self_harm|harm_to_others)\.[a-z_]+")


def test_rule_names_use_only_the_rule_vocabulary() -> None:
    for name in RULES:
        match = RULE_NAME.fullmatch(name)
        assert match, name
        words = set(name.replace(".", "_").split("_"))
        assert words <= RULE_VOCABULARY, (name, words - RULE_VOCABULARY)


@pytest.mark.parametrize(
    "message",
    [m for m, _ in CRISIS] + NOT_CRISIS + [m for m, _ in DAMPENED],
)
def test_cues_carry_no_message_text(message: str) -> None:
    for cue in cues(message):
        assert cue.rule in RULES
        assert cue.category == cue.rule.split(".")[1]
        assert cue.dampener is None or cue.dampener in DAMPENERS


def test_a_unique_word_never_reaches_a_cue() -> None:
    found = cues("Zorvalquinte, me quiero matar. Zorvalquinte no quiere matarse.")
    assert found
    for cue in found:
        assert "zorvalquinte" not in f"{cue.category} {cue.rule} {cue.dampener}"


def test_cues_are_unique_and_frozen() -> None:
    found = cues("me quiero morir, me quiero morir, quiero morirme")
    assert len(found) == len(set(found))
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].rule = "x"  # type: ignore[misc]


def test_fired_and_set_aside_cues_are_both_returned() -> None:
    found = cues("No quiero matarme. Bueno, sí quiero matarme.")
    assert {c.dampener for c in found if c.rule == "es.suicide.kill_myself"} == {None, "negated"}


def test_self_negative_cues_are_not_negated() -> None:
    for message in (
        "no quiero vivir",
        "no quiero seguir viviendo",
        "ya no aguanto más, odio mi vida",
    ):
        assert SUICIDE in fired(message), cues(message)


def test_accepts_accents_or_none() -> None:
    assert fired("quiero quitarme la vida") == fired("quiero quitarme la vída") == {SUICIDE}
    assert fired("ojala no despertara manana") == {SUICIDE}
    assert fired("Ojalá no despertara mañana") == {SUICIDE}


def test_accented_third_person_preterite_is_someone_else() -> None:
    assert not fired("Su esposo la mató")
    assert not fired("el examen me mató")


def test_empty_and_plain_messages() -> None:
    assert spanish_cues("") == []
    assert spanish_cues("hola, buenos días") == []
    assert spanish_cues("see you thursday at 3") == []


def test_is_fast_on_long_and_adversarial_input() -> None:
    texts = [
        "no " * 5000 + "quiero matarme",
        "me " * 5000,
        "jajaja " * 3000 + "voy a matar a ese tipo",
        ("quiero " * 50 + "morir, ") * 200,
        "a" * 50000,
    ]
    start = time.perf_counter()
    for text in texts:
        spanish_cues(text)
    assert time.perf_counter() - start < 2.0


# -- the language of the reply ----------------------------------------------------------------
# Flags the word and meaning tiers raise name no language; the reply still goes in Spanish
# when the message is Spanish (found in session 14: four of ten indirect Spanish messages
# flagged by those tiers alone got the English reply).
SPANISH_INDIRECT = [
    "no sé cuánto tiempo más voy a aguantar, hoy escribí cartas para mis hijos",
    "estoy en el puente y no sé si bajar",
    "tengo las pastillas aquí conmigo y nadie me va a extrañar",
    "ya tengo todo listo, mañana ya no van a tener que preocuparse por mí",
    "Hola, quería decirles que ya no voy a ir a la cita porque no voy a estar",
]
ENGLISH = [
    "I want to kill myself tonight",
    "nobody would even notice if i was gone",
    "i left letters for everyone. yours is in the mail. goodbye",
    "Can we move Thursday to 3? I have a conflict at work",
    "me too, see you at 5",
]


def _by_model(*reasons: str) -> CrisisAssessment:
    return CrisisAssessment(True, (SUICIDE,), reasons)


@pytest.mark.parametrize("message", SPANISH_INDIRECT)
def test_a_spanish_message_flagged_by_the_models_gets_the_spanish_reply(message: str) -> None:
    assert reads_as_spanish(message)
    assert written_in_spanish(_by_model("meaning.p90"), message)


@pytest.mark.parametrize("message", ENGLISH)
def test_an_english_message_gets_the_english_reply(message: str) -> None:
    assert not reads_as_spanish(message)
    assert not written_in_spanish(_by_model("model.p70"), message)


def test_a_spanish_cue_names_the_language_even_when_set_aside() -> None:
    assessed = _by_model("meaning.p90", "es.suicide.burden~negated")
    assert written_in_spanish(assessed, "perdón")
    assert not written_in_spanish(CrisisAssessment(False, (), ()), SPANISH_INDIRECT[0])


def test_no_english_evaluation_message_reads_as_spanish() -> None:
    """The English evaluation sets (322 and the holdout) never read as Spanish."""
    data = Path(__file__).parent / "data"
    for name in ("crisis_eval.jsonl", "crisis_eval_holdout.jsonl"):
        lines = (data / name).read_text(encoding="utf-8").splitlines()
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
        assert texts
        assert [t for t in texts if reads_as_spanish(t)] == []
