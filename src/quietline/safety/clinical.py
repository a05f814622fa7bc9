"""Rule-based clinical-content guard for outbound staff messages.

Staff write scheduling messages to clients over plain SMS and e-mail, and post in staff
channels marked logistics-only. Before such a message is sent, ``assess_clinical(text)`` says
whether it reads as clinical (a medication, diagnosis, symptom, what was said in a session, a
risk concern, substance use, a test result or a treatment plan), so the app can warn, or by
practice policy block, and offer the secure page instead (decision 0016).

It is a *guard rail for a careful sender*, not a classifier of record: it looks for wording
that plainly carries clinical information, and leaves logistics alone (times, rooms,
rescheduling, running late, billing amounts, forms, parking, telehealth links, pleasantries),
including clinical-looking words used in their everyday senses ("the printer is depressed",
"a dose of coffee", "prescription sunglasses", "the new carpet treatment").

How it works, in order:

1. **Normalise**: lowercase, one kind of apostrophe, common SMS and chart shorthand (``w/``,
   ``u``, ``tx``, ``dx``, ``sx``), words joined by hyphens or slashes split (``self-harm``),
   whitespace.
2. **Everyday senses** (``dose of coffee``, ``prescription glasses``, ``tropical
   depression``, ``fire safety plan``, ``HIPAA risk assessment``, ``drinking water``) are
   blanked out of the text before any rule runs.
3. **Lexicon**: single words that are clinical whatever their neighbours (medication names,
   diagnoses, named scales), looked up word by word.
4. **Rules** (regular expressions, each with a stable name and a category) find the
   wording that needs a neighbour to be clinical (``your dose``, ``was diagnosed with``,
   ``what we talked about in session``). A rule may need context in the same clause, or be
   set aside by an everyday context in it (``refill`` next to ``coffee``).
5. **Topic words** (a diagnosis, a therapy model, "suicide") are set aside in a clause about
   training, a workshop or a clinician's specialties: "suicide prevention training Friday".
   Diagnosis, symptom, risk and substance words are set aside in a first-person joke about
   the sender with no one else in the clause ("my ADHD brain forgot the meeting lol").
6. **Acronyms** that are only clinical in capitals and next to a clinical word ("denies
   SI/HI", "history of ADD") are matched on the original text, unless it is all shouting.

Speed: every rule declares key words, one of which any of its matches contains, and runs only
when the message has one; most messages wake a handful of rules. No pattern nests unbounded
repetition, and context checks are remembered per clause, so a 4,000-character adversarial
message is still roughly linear work.

Unlike the crisis detector, negation does not set a cue aside: "no medication changes" and
"denies SI" are still clinical. Everything here is pure and uses only :mod:`re`; the
``reasons`` of an assessment are fixed phrases per category and never contain message text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

__all__ = ["CATEGORIES", "REASONS", "ClinicalAssessment", "assess_clinical", "normalise"]

MEDICATION = "medication"
DIAGNOSIS = "diagnosis"
SYMPTOMS = "symptoms"
SESSION_CONTENT = "session_content"
RISK = "risk"
SUBSTANCE_USE = "substance_use"
TEST_RESULTS = "test_results"
TREATMENT_PLAN = "treatment_plan"
CATEGORIES: tuple[str, ...] = (
    MEDICATION,
    DIAGNOSIS,
    SYMPTOMS,
    SESSION_CONTENT,
    RISK,
    SUBSTANCE_USE,
    TEST_RESULTS,
    TREATMENT_PLAN,
)
# Short words for the warning the sender sees. Fixed per category: never message text.
REASONS: dict[str, str] = {
    MEDICATION: "mentions a medication",
    DIAGNOSIS: "mentions a diagnosis",
    SYMPTOMS: "describes symptoms",
    SESSION_CONTENT: "refers to what was worked on in therapy",
    RISK: "mentions a safety or risk concern",
    SUBSTANCE_USE: "mentions substance use",
    TEST_RESULTS: "mentions test or assessment results",
    TREATMENT_PLAN: "mentions a treatment plan",
}


@dataclass(frozen=True, slots=True)
class ClinicalAssessment:
    """The outcome of :func:`assess_clinical`.

    ``categories`` are among :data:`CATEGORIES`, in that order; ``reasons`` are the matching
    phrases of :data:`REASONS`, in the same order. Neither ever contains message text.
    """

    clinical: bool
    categories: tuple[str, ...]
    reasons: tuple[str, ...]


_NOT_CLINICAL = ClinicalAssessment(False, (), ())


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True, slots=True)
class _Keys:
    """Words (or, ending in ``*``, word beginnings) one of which every match contains.

    A rule whose keys are absent from a message is not run: most messages contain few of
    them, and skipping a scan is what keeps the guard fast.
    """

    words: frozenset[str]
    stems: tuple[str, ...]


class _Index:
    """Which of a sequence of keyed items a message's words can match, found word by word."""

    __slots__ = ("_stems", "_words")

    def __init__(self, keys: list[_Keys]) -> None:
        self._words: dict[str, set[int]] = {}
        self._stems: dict[str, list[tuple[str, int]]] = {}
        for i, k in enumerate(keys):
            for word in k.words:
                self._words.setdefault(word, set()).add(i)
            for stem in k.stems:
                self._stems.setdefault(stem[:3], []).append((stem, i))

    def candidates(self, words: set[str]) -> set[int]:
        out: set[int] = set()
        for word in words:
            hit = self._words.get(word)
            if hit is not None:
                out |= hit
            stems = self._stems.get(word[:3])
            if stems is not None:
                out.update(i for stem, i in stems if word.startswith(stem))
        return out


def _keys(words: str) -> _Keys:
    split = words.split()
    return _Keys(
        frozenset(w for w in split if not w.endswith("*")),
        tuple(w[:-1] for w in split if w.endswith("*")),
    )


def _set_of(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u201b\u02bc\u02b9\u0060\u00b4\u2032", "'"))
# Starts with a character class, so the scan skips ahead quickly (a look-behind first would
# make it try every position).
_JOINED_WORDS = _c(r"[-_/](?<=[a-z][-_/])(?=[a-z])")
_JOINED_WORDS_CASED = _c(r"[-_/](?<=[A-Za-z][-_/])(?=[A-Za-z])")
_SMS: dict[str, str] = {
    "w/": "with",
    "w/o": "without",
    "b/c": "because",
    "&": "and",
    "u": "you",
    "ur": "your",
    "im": "i'm",
    "ive": "i've",
    "youre": "you're",
    "theyre": "they're",
    "dont": "don't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "cant": "can't",
    "abt": "about",
    "appt": "appointment",
    "appts": "appointments",
    "tx": "treatment",
    "dx": "diagnosis",
    "dx'd": "diagnosed",
    "sx": "symptoms",
    "hx": "history",
    "pt's": "patient's",
    "hes": "he's",
    "shes": "she's",
    "drinkin": "drinking",
    "usin": "using",
    "smokin": "smoking",
    "cuttin": "cutting",
    "takin": "taking",
}
_SMS_RE = _c(
    r"(?<![\w'/&])("
    + "|".join(re.escape(k) for k in sorted(_SMS, key=len, reverse=True))
    + r")(?![\w'/&])"
)


def normalise(text: str) -> str:
    """Lowercase and canonicalise *text* for matching (exposed for tests and debugging)."""
    t = text.lower().translate(_APOSTROPHES)
    t = t.replace("\r\n", "\n").replace("\r", "\n").replace("\u200b", "")
    t = _SMS_RE.sub(lambda m: _SMS[m.group(1)], t)
    t = _JOINED_WORDS.sub(" ", t)
    return "\n".join(" ".join(line.split()) for line in t.split("\n"))


# --------------------------------------------------------------------------------------
# Everyday senses: blanked out before the lexicon and the rules run
# --------------------------------------------------------------------------------------


def _benign(keys: str, pattern: str) -> tuple[_Keys, re.Pattern[str]]:
    return _keys(keys), _c(r"\b(?:" + pattern + r")\b")


_BENIGN: tuple[tuple[_Keys, re.Pattern[str]], ...] = (
    # "a dose of coffee", "your daily dose of good news". Anything clinical after "of" is
    # still found by its own rule ("a dose of sertraline", "a dose of your meds").
    _benign(
        "dose",
        r"(?:(?:a|an|another|the|my|our|your|daily|weekly|healthy|good|quick|big|small|little|"
        r"extra|double|heavy|strong|real|welcome|nice|some|full|serious|much needed|high|low|"
        r"large|huge|massive|mega|hefty|solid|fresh|needed) ){0,4}dose of",
    ),
    _benign(
        "prescription prescriptions steroids",
        r"prescription (?:sun ?glasses|glasses|eye ?glasses|lenses|lens|goggles|contacts|"
        r"contact lenses|eyewear|frames|safety glasses|shades|swim goggles)"
        r"|(?:glasses|eyeglasses|eye|lens|lenses|contacts|contact lens|optical|vision) "
        r"prescriptions?"
        r"|prescriptions? for (?:my|your|his|her|new|reading) (?:glasses|lenses|contacts)"
        r"|prescription pads?|on steroids|prescription for (?:a good|a great|a happy|success|"
        r"happiness|disaster|the perfect|a perfect|fun|joy)",
    ),
    _benign(
        "attack",
        r"(?:give|gives|giving|gave|given|get|gets|getting|got) (?:me|us|him|her|you|everyone|"
        r"them) (?:a )?(?:mini |small |little |full blown )?(?:panic attack|heart attack)"
        r"|(?:almost|nearly) (?:had|have|having) a (?:mini |small |little )?(?:panic|heart) "
        r"attack",
    ),
    _benign(
        "medicine",
        r"laughter is the best medicine|taste of (?:your|his|her|their|my|our) own medicine"
        r"|(?:family|internal|sports|emergency|functional|integrative|chinese|western|"
        r"alternative|preventive|lifestyle|veterinary) medicine|medicine (?:cabinet|balls?)",
    ),
    _benign("pill", r"(?:chill|bitter|tough|hard|red|blue) pill(?: to swallow)?"),
    _benign(
        "treatment treatments",
        r"(?:carpet|floor|flooring|lawn|water|pest|flea|tick|window|spa|hair|scalp|facial|skin|"
        r"heat|wood|surface|stain|mold|mould|termite|weed|rust|bed bug|sewage|air|acoustic|"
        r"roof|deck|concrete|grout|upholstery|leather|paint|anti slip|fire retardant|silent|"
        r"special|royal|vip|red carpet|star|beauty|nail|teeth whitening) treatments?"
        r"|treatment rooms?|treatment team (?:meeting|huddle|call)s?",
    ),
    _benign(
        "depression depressions depressed",
        r"(?:the )?(?:great|tropical|economic|post war) depression|depression (?:era|glass)"
        r"|depressions? (?:in|on) (?:the|a|our) (?:\w+ )?(?:floor|ground|road|lot|carpet|lawn|"
        r"asphalt|pavement|wall|surface|mattress|seat|cushion|driveway|sidewalk|field|yard)"
        r"|depressed (?:the|a|an|your|my) (?:\w+ )?(?:button|key|pedal|lever|switch|trigger|"
        r"plunger|brake|clutch)"
        r"|depressed (?:areas?|markets?|prices|economy|regions?|wages|demand|housing|"
        r"neighbou?rhoods?|sales|stocks?)",
    ),
    _benign(
        "ocd adhd add",
        r"(?:so|a bit|bit|a little|little|kinda|kind of|super|totally|very|slightly|such an?|"
        r"bit of an?|little bit|my inner) (?:ocd|adhd|add)(?: about| with| when it comes to|"
        r" today| lol| brain)?",
    ),
    _benign(
        "bipolar schizophrenic",
        r"(?:weather|climate|forecast|spring|day|week|this month) (?:is|was|has been|'s) "
        r"(?:so |totally |completely |pretty |kinda |a bit )?bipolar"
        r"|(?:bipolar|schizophrenic) (?:weather|climate|forecast|spring|day|week)",
    ),
    _benign(
        "manic insomnia suicide capsule capsules tablet tablets pod pods sober designated sobriety "
        "dui dwi",
        r"manic (?:monday|mondays|pixie)|insomnia cookies|suicide doors?|time capsules?|"
        r"capsule (?:wardrobe|collection|hotel)|(?:coffee|nespresso|espresso|keurig|tea|"
        r"dishwasher|laundry|detergent) (?:capsules?|pods?|tablets?)|sober (?:drivers?|rides?|"
        r"cabs?)|designated "
        r"driver|sober (?:reminder|look|second look|assessment|analysis|reality|truth|note|"
        r"tone|reflection)|suicide squad|(?:sobriety|dui|dwi) checkpoints?",
    ),
    _benign(
        "side",
        r"side effects? of (?:the|our|this|that|these) (?:new )?(?:\w+ )?(?:system|software|"
        r"update|policy|change|changes|construction|renovation|move|merger|schedule|rules|"
        r"portal|layout|reorg|time change|daylight saving\w*)",
    ),
    _benign(
        "plan plans",
        r"(?:health ?care|dental care|dental|vision care|pet care|child ?care|lawn care|"
        r"skin care|hair care|phone|data|payment|installment|instalment|insurance) plans?",
    ),
    _benign(
        "nightmare nightmares",
        r"(?:is|was|'s|are|were|be|been|being|what|such) (?:a |an )?(?:total |absolute "
        r"|complete |real |logistical |scheduling |parking |traffic |billing |admin "
        r"|paperwork |tech |bureaucratic |living |pure |utter )?nightmares?"
        r"|(?:logistical|scheduling|billing|parking|traffic|admin|paperwork|insurance|tech|it|"
        r"commute|bureaucratic|travel|construction|renovation|hr|holiday|calendar|printer|"
        r"website|portal) nightmares?"
        r"|nightmare (?:to|of a|scenario|commute|traffic|parking|week|day|morning)",
    ),
    _benign(
        "flashback flashbacks throwback",
        r"(?:flashback|throwback) (?:friday|thursday)"
        r"|flashbacks? to (?:the )?(?:\d0s|'\d0s|\d{4}|high school|college|last (?:year|week|"
        r"month|christmas|summer|holiday))",
    ),
    _benign(
        "trauma", r"trauma (?:informed|center|centre|bay|surgeon|surgery|unit|ward|kit|shears)"
    ),
    _benign(
        "drinking",
        r"drinking (?:(?:my|a|some|the|your|more|enough|plenty of|lots of|hot|iced|cold) ){0,3}"
        r"(?:water|fountains?|glass(?:es)?|straws?|coffee|tea|juice|smoothies?|fluids|lattes?|"
        r"soda|milk|kombucha|cocoa|chocolate|espresso)",
    ),
    _benign(
        "smok* vap* cigarette*",
        r"(?:no|non|don't|do not|please don't) (?:smok\w+|vap\w+)(?: cigarettes)?|"
        r"smoking (?:area|section|policy|ban|permitted|allowed|is prohibited|"
        r"prohibited|is not permitted)|smoke (?:alarms?|detectors?|free)|no vaping|"
        r"vaping (?:area|policy)|cigarette butts?",
    ),
    _benign(
        "alcohol alcoholic",
        r"rubbing alcohol|alcohol (?:wipes?|swabs?|pads?|based|free|gel|rub|sanitizer|prep|"
        r"ink|markers?)|(?:non )?alcoholic (?:drinks?|beverages?|punch|options|cider|champagne|"
        r"refreshments|wine|beer|eggnog)",
    ),
    _benign(
        "addiction",
        r"(?:coffee|caffeine|sugar|chocolate|netflix|tv|phone|screen|shopping|social media|"
        r"tiktok|candle|plant|book|podcast|pickleball|true crime|crossword|wordle|tea|cheese|"
        r"stationery|sneaker|shoe) addiction",
    ),
    _benign(
        "detox",
        r"(?:juice|digital|social media|phone|sugar|screen|tech|dopamine|email|inbox|body) "
        r"detox|detox (?:teas?|juices?|smoothies?|water|bath|cleanse|diet|drinks?|foot pads?)",
    ),
    _benign(
        "rehab",
        r"(?:knee|shoulder|back|ankle|hip|wrist|neck|physical|cardiac|stroke|injury|sports|pt|"
        r"physio|building|property|housing|house|kitchen|bathroom|office|road|bridge|park|"
        r"site) rehab",
    ),
    _benign(
        "overdos*",
        r"overdos\w* on (?:coffee|caffeine|sugar|candy|chocolate|netflix|tv|anime|work|cheese|"
        r"carbs|sun|sunshine|christmas|holiday|cookies|pizza|emails|meetings|zoom)",
    ),
    _benign(
        "crisis",
        r"(?:in )?crisis mode|(?:staffing|printer|parking|budget|housing|climate|supply chain|"
        r"financial|leadership|pr|identity|midlife|mid life|existential|coffee|toner) crisis",
    ),
    _benign(
        "safety",
        r"(?:fire|building|office|evacuation|emergency|covid|event|site|workplace|construction|"
        r"winter|snow|severe weather|weather|tornado|earthquake|hurricane|active shooter|"
        r"lockdown|parking|holiday|travel|flood|lab|ladder) safety plans?"
        r"|safety plans? for (?:the|our) (?:building|office|event|fire|clinic|waiting room|"
        r"parking|lobby|holiday party)",
    ),
    _benign(
        "risk",
        r"(?:fire|health and safety|building|security|privacy|hipaa|annual hipaa|financial|it|"
        r"cyber|cybersecurity|compliance|legal|covid|ergonomic|site|flood|vendor|insurance|"
        r"data|network) risk assessments?",
    ),
    _benign("coke", r"(?:diet|cherry|vanilla) coke"),
    _benign("withdrawal withdrawals", r"(?:caffeine|coffee|sugar|chocolate) withdrawals?"),
)
_BENIGN_INDEX = _Index([k for k, _ in _BENIGN])

# --------------------------------------------------------------------------------------
# Lexicon: single words that are clinical whatever their neighbours
# --------------------------------------------------------------------------------------

_MEDICATION_WORDS = (
    # SSRIs
    "sertraline zoloft fluoxetine prozac sarafem citalopram celexa escitalopram lexapro "
    "paroxetine paxil pexeva fluvoxamine luvox vortioxetine trintellix brintellix vilazodone "
    "viibryd "
    # SNRIs
    "venlafaxine effexor desvenlafaxine pristiq duloxetine cymbalta levomilnacipran fetzima "
    "milnacipran savella "
    # other antidepressants
    "bupropion wellbutrin zyban aplenzin mirtazapine remeron trazodone desyrel nefazodone "
    "auvelity zuranolone zurzuvae brexanolone zulresso esketamine spravato gepirone exxua "
    "amitriptyline elavil nortriptyline pamelor imipramine tofranil clomipramine anafranil "
    "desipramine norpramin doxepin sinequan silenor protriptyline trimipramine amoxapine "
    "phenelzine nardil tranylcypromine parnate isocarboxazid marplan selegiline emsam "
    "antidepressant antidepressants ssri ssris snri snris maoi maois tcas "
    # benzodiazepines and other anxiolytics
    "alprazolam xanax xanex zanax xannies xanny lorazepam lorazapam ativan clonazepam "
    "clonazapam klonopin klonapin klonipin diazepam valium temazepam restoril "
    "chlordiazepoxide librium oxazepam clorazepate tranxene triazolam halcion midazolam "
    "benzo benzos benzodiazepine benzodiazepines buspirone buspar hydroxyzine vistaril "
    "atarax propranolol inderal prazosin minipress clonidine catapres kapvay guanfacine "
    "intuniv anxiolytic anxiolytics sedative sedatives tranquilizer tranquilizers "
    "tranquiliser tranquilisers "
    # sleep
    "zolpidem ambien edluar eszopiclone lunesta zaleplon zopiclone suvorexant belsomra "
    "lemborexant dayvigo daridorexant quviviq ramelteon rozerem melatonin doxylamine unisom "
    "diphenhydramine "
    # stimulants and other ADHD medication
    "methylphenidate ritalin concerta metadate methylin daytrana quillivant quillichew jornay "
    "cotempla relexxii aptensio dexmethylphenidate focalin azstarys adderall adderal aderall "
    "adderol amphetamine dextroamphetamine dexedrine zenzedi evekeo adzenys dyanavel mydayis "
    "lisdexamfetamine vyvanse elvanse atomoxetine strattera viloxazine qelbree modafinil "
    "provigil armodafinil nuvigil solriamfetol sunosi stimulant stimulants "
    # antipsychotics
    "aripiprazole abilify aristada quetiapine seroquel seroquil risperidone risperdal "
    "perseris olanzapine zyprexa ziprasidone geodon lurasidone latuda paliperidone invega "
    "sustenna haloperidol haldol clozapine clozaril cariprazine vraylar brexpiprazole rexulti "
    "lumateperone caplyta asenapine saphris iloperidone fanapt chlorpromazine thorazine "
    "perphenazine fluphenazine prolixin loxapine thiothixene trifluoperazine pimavanserin "
    "nuplazid lybalvi cobenfy amisulpride antipsychotic antipsychotics neuroleptic "
    "neuroleptics "
    # mood stabilisers and anticonvulsants (lithium has its own rule: lithium batteries)
    "lithobid eskalith lamotrigine lamictal valproate divalproex depakote depakene valproic "
    "carbamazepine tegretol equetro oxcarbazepine trileptal topiramate topamax gabapentin "
    "neurontin pregabalin lyrica "
    # addiction medicine
    "naltrexone vivitrol buprenorphine suboxone subutex sublocade zubsolv methadone naloxone "
    "narcan disulfiram antabuse acamprosate campral varenicline chantix champix nicorette "
    # pain
    "oxycodone oxycontin percocet hydrocodone vicodin tramadol ultram codeine morphine "
    "dilaudid hydromorphone painkiller painkillers "
    # general medicine
    "metformin glucophage ozempic semaglutide wegovy rybelsus mounjaro tirzepatide zepbound "
    "trulicity victoza saxenda levothyroxine synthroid lisinopril amlodipine losartan "
    "metoprolol atenolol hydrochlorothiazide atorvastatin lipitor rosuvastatin crestor "
    "simvastatin omeprazole prilosec pantoprazole protonix esomeprazole nexium famotidine "
    "albuterol ventolin symbicort advair prednisone prednisolone amoxicillin augmentin "
    "azithromycin zpack doxycycline cephalexin keflex ciprofloxacin antibiotic antibiotics "
    "sumatriptan imitrex rizatriptan maxalt montelukast singulair warfarin coumadin eliquis "
    "apixaban xarelto rivaroxaban clopidogrel plavix estradiol spironolactone finasteride "
    "isotretinoin accutane levonorgestrel epipen sildenafil viagra cialis tadalafil "
    "methotrexate humira ketamine"
)
# Over-the-counter names: a supplies message ("we're out of Tylenol in the first aid kit")
# is logistics.
_OTC_WORDS = (
    "ibuprofen advil motrin acetaminophen tylenol paracetamol naproxen aleve aspirin "
    "excedrin benadryl zyrtec cetirizine claritin loratadine pepcid dramamine midol"
)
_DIAGNOSIS_WORDS = (
    "ptsd cptsd adhd ocd bipolar schizophrenia schizophrenic schizoaffective schizotypal "
    "psychosis autism autistic aspergers asperger asperger's anorexia anorexic bulimia "
    "bulimic arfid dysthymia cyclothymia mdd agoraphobia agoraphobic dementia alzheimer's "
    "alzheimers dyslexia dyslexic dyscalculia dyspraxia tourette tourettes tourette's "
    "trichotillomania dermatillomania hypochondria hypochondriasis kleptomania misophonia "
    "bpd npd dysphoria comorbid comorbidity comorbidities depression depressive "
    "pmdd postpartum"
)
_SYMPTOM_WORDS = (
    "insomnia flashbacks hallucinations hallucination delusions derealization "
    "derealisation depersonalization depersonalisation anhedonia rumination hopelessness "
    "worthlessness hypervigilance hypervigilant catatonia mania hypomania hypomanic "
    "compulsions tics selfloathing"
)
_SESSION_WORDS = (
    "cbt dbt emdr psychodynamic psychoanalytic brainspotting mentalization "
    "hypnotherapy neurofeedback"
)
_RISK_WORDS = (
    "suicide suicides suicidal suicidality nssi homicidal overdose overdosed "
    "overdosing overdoses ideation selfharm"
)
_SUBSTANCE_WORDS = (
    "sober sobriety relapse relapsed relapsing relapses heroin cocaine meth methamphetamine "
    "fentanyl opioid opioids opiate opiates mdma lsd psilocybin shrooms cannabis "
    "marijuana thc kratom alcoholism alcoholic alcoholics addiction addictions etoh dui dwi "
    "nicotine cigarettes vaping edibles amphetamines hungover"
)
_TEST_WORDS = (
    "phq phq9 gad7 pcl5 mmse moca ybocs epds asrs cssrs a1c hba1c tsh ekg ecg eeg mri "
    "bloodwork labwork urinalysis toxicology ultrasound mammogram biopsy colonoscopy madrs "
    "ymrs panss bprs neuropsych neuropsychological"
)
_TREATMENT_WORDS = "iop aftercare"


def _lexicon() -> dict[str, str]:
    table: dict[str, str] = {}
    for words, category in (
        (_MEDICATION_WORDS, MEDICATION),
        (_OTC_WORDS, MEDICATION),
        (_DIAGNOSIS_WORDS, DIAGNOSIS),
        (_SYMPTOM_WORDS, SYMPTOMS),
        (_SESSION_WORDS, SESSION_CONTENT),
        (_RISK_WORDS, RISK),
        (_SUBSTANCE_WORDS, SUBSTANCE_USE),
        (_TEST_WORDS, TEST_RESULTS),
        (_TREATMENT_WORDS, TREATMENT_PLAN),
    ):
        for word in words.split():
            table[word] = category
    return table


_LEXICON: dict[str, str] = _lexicon()
_OTC: frozenset[str] = frozenset(_OTC_WORDS.split())
# Lexicon words that name a topic rather than a person's care: set aside in a clause about
# training or a clinician's specialties ("PTSD workshop", "specializes in OCD").
_TOPIC_CATEGORIES: frozenset[str] = frozenset(
    {DIAGNOSIS, SYMPTOMS, SESSION_CONTENT, RISK, SUBSTANCE_USE, TREATMENT_PLAN}
)
# Everything but letters, digits and apostrophes becomes a space before splitting into words.
_SEPARATORS = str.maketrans(
    {ch: " " for ch in map(chr, range(128)) if not (ch.isalnum() or ch == "'")}
)
_PIECES = _c(r"[a-z]+|\d+")


def _words(text: str) -> list[str]:
    return text.translate(_SEPARATORS).split()


def _word_set(words: list[str]) -> set[str]:
    """*words*, with their letter and digit runs ("50mg") and apostrophes taken off."""
    out = set(words)
    for word in words:
        if not word.isalpha():
            out.update(_PIECES.findall(word))
            if "'" in word:
                out.add(word.split("'", 1)[0])
    return out


def _occurrences(word: str, text: str) -> list[int]:
    return [
        m.start() for m in re.finditer(r"(?<![a-z0-9'])" + re.escape(word) + r"(?![a-z0-9])", text)
    ]


# --------------------------------------------------------------------------------------
# Clause context
# --------------------------------------------------------------------------------------

_CLAUSE_END = _c(r"[.!?;]+(?=\s|$)|\n")
_TRAINING = _c(
    r"\b(?:(?<!skills )training|trainings|workshops?|webinars?|seminars?|conferences?|ceus?|"
    r"ce credits?|continuing education|in service|inservice|certification|lectures?|"
    r"curriculum|modules?|courses?|grand rounds|journal club|book club|"
    r"(?:awareness|prevention) (?:month|week|day|walk|event|run)|fundrais\w*|speaker|"
    r"speciali[sz](?:es|ing|e|ed|t|ts)|specialt(?:y|ies)|expertise|trained in|certified in|"
    r"we offer|now offering|areas of focus|bio|profile|community event|flyers?|national "
    r"\w+ (?:day|week|month)|(?:awareness|screening) (?:day|week|month|event))\b"
)
_SUPPLIES = _c(
    r"\b(?:first aid|kit|break room|kitchen|supply|supplies|closet|cabinet|drawer|stock|"
    r"restock|order more|ran out|running low|low on|out of|vending|band aids?|bandaids?)\b"
)
_FORMS = _c(
    r"\b(?:list of|lists of|medication list|med list|medication history|intake|forms?|"
    r"paperwork|questionnaires?)\b"
)
_BILLING = _c(
    r"\b(?:superbill|claims?|invoices?|billing|billed|bill|insurance|insurer|copay|co pay|"
    r"deductible|payment|pay|fees?|costs?|price|covered|coverage|out of pocket|receipt|"
    r"sliding scale|discounts?|financial|income|scholarships?|grants?|eligib\w*|"
    r"forms?|field|paperwork|cms 1500|cpt|good faith estimate|prior auth\w*)\b|\$"
)
_TECH = _c(
    r"\b(?:wifi|wi fi|printer|router|network|server|portal|website|laptop|computer|engine|"
    r"furnace|hvac|plumbing|internet|modem|copier|elevator|app|software|fax|car|mechanic|"
    r"technician|it|tech|outage|glitch|bug|leak|heater|boiler|thermostat|zoom|link|"
    r"connection|phone|scanner)\b"
)
_VACCINE = _c(r"\b(?:flu|covid|vaccines?|vaccinat\w*|boosters?|immuni[sz]\w*|tetanus)\b")
_SUPPLY_REFILL = _c(
    r"\b(?:coffee|water|tea|soda|drinks?|cups?|mugs?|glass|printer|ink|toner|paper|soap|"
    r"sanitizer|dispensers?|stapler|staples|pens?|gas|tank|cooler|candy|snacks?|kitchen|"
    r"propane|lighter|tissues?|supplies|supply|pump|jar|bowl|popcorn|cartridges?|markers?|"
    r"free refills|station|machine)\b"
)
_ACCIDENT = _c(
    r"\b(?:ice|icy|slippery|steps|stairs|slip|slipped|fall|falls|careful|lifting|lift|boxes|"
    r"heavy|parking lot|sidewalk|cooking|shaving|working|work|paperwork|deadline|trying|"
    r"overtime|laughing|stove|oven|kettle|iron|pan|curling|over (?:this|that|it|the))\b"
)
_WEATHER = _c(
    r"\b(?:snow|snowy|ice|icy|storm|heat|heatwave|roads?|driving|drive|travel\w*|weather|"
    r"hurricane|flood\w*|wildfire|smoke|covid|flu|holidays?|fireworks|out there|cold|sun)\b"
)
_PHYSICAL_ILLNESS = _c(
    r"\b(?:covid(?: 19)?|flu|cold|colds|fever|fevers|sick|ill|illness|contagious|virus|viral|"
    r"cough\w*|sneez\w*|sore throat|stomach bug|vomit\w*|rash|allerg\w*|infectious|"
    r"respiratory|tested positive|test positive|rsv|strep|norovirus|measles|stay home|"
    r"telehealth|masks?|in person|in office|waiting room|lobby)\b"
)
_JOKE = _c(
    r"\b(?:lol|lols|lmao|lmfao|rofl|haha\w*|hehe\w*|jk|j/k|just kidding|kidding|joking)\b"
    r"|[\U0001f602\U0001f923\U0001f606\U0001f643\U0001f61c\U0001f92a\U0001f605]"
)
_FIRST_PERSON = _c(r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself)\b")
_THIRD_PERSON = _c(
    r"\b(?:he|she|they|he's|she's|they're|him|his|her|hers|them|their|client|clients|"
    r"patient|patients|son|daughter|kid|child)\b"
)
_HYPERBOLE_CATEGORIES: frozenset[str] = frozenset({DIAGNOSIS, SYMPTOMS, RISK, SUBSTANCE_USE})
_PETS = _c(r"\b(?:dogs?|puppy|puppies|cats?|kitten|pets?|horse|parrot|bird)\b")
_SLEEP_OTHERS = _c(r"\b(?:baby|babies|newborn|infant|toddler|kids?|puppy|neighbou?rs?|teething)\b")
_KIDS_SCHOOL = _c(
    r"\b(?:son|daughter|kids?|child|children|school|math|teacher|class|grade|spelling|"
    r"science|college|university|exam|students?|professor|essay|stepson|stepdaughter|"
    r"nephew|niece|grandkids?|tutor\w*|course|ce|ceus?|training|certification|grad school|"
    r"degree|licens\w*)\b"
)
_SESSION_REF = _c(
    r"\b(?:(?:in|during|at|from|after|since|before|for|throughout) (?:our |the |your |today's |"
    r"last |this week's |last week's |yesterday's |this morning's |this afternoon's |"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)'s |our last |the last |"
    r"our previous |the previous |our next |your next |next )?(?:session|sessions|therapy|"
    r"counsel(?:l)?ing|group|appointment)|last (?:session|time we (?:met|spoke|talked)|time)|"
    r"when we (?:met|spoke|talked)|together|today|earlier)\b"
)
_LOGISTICS = _c(
    r"\b(?:reschedul\w*|schedul\w*|appointments?|times?|slots?|availability|available|"
    r"mornings?|afternoons?|evenings?|weekends?|billing|bill|bills|invoices?|payments?|pay|"
    r"paying|copay|co pay|fees?|rates?|sliding scale|insurance|claims?|superbill|receipts?|"
    r"forms?|paperwork|portal|parking|park|rooms?|links?|zoom|telehealth|video|login|log in|"
    r"password|address|directions|cancel\w*|late|no show|holidays?|vacation|hours|calendar|"
    r"e ?mails?|phone number|texts?|texting|reminders?|office|closed|closure|move|moving|"
    r"days?|week|weeks|frequency|biweekly|weekly|monthly|prefer|preference|location|consent|"
    r"records|release|roi|policy|policies)\b"
)
_TEST_OTHER = _c(
    r"\b(?:speed|wifi|internet|network|fire alarm|alarm|drill|survey|poll|election|inspection|"
    r"audit|a b|software|load|pen|penetration|vendor|ups|generator|quiz|class|course|grades?|"
    r"sat|driving|driver's|bar exam|licens\w*|nclex|eppp|boards|credit|golf|game|"
    r"fundraiser|raffle|search|seo|google|marketing|campaign|sales|hiring|new hire|"
    r"applicants?|candidates?|pre ?employment|employment|hr|onboarding|background check|"
    r"myers|briggs|mbti|enneagram|team building|retreat|covid|antigen|rapid)\b"
)
_TRIGGER_OTHER = _c(
    r"\b(?:alarms?|sensors?|motion|system|smoke|fire|security|detector|cameras?|errors?|"
    r"notifications?|alerts?|door|updates?|e ?mails?|automation|workflow|script|reminders?|"
    r"webhooks?|breaker|printer)\b"
)
_VOICES_OTHER = _c(
    r"\b(?:(?:in|from|through|behind|down|across|outside|next to) (?:the )?(?:hall|hallway|"
    r"corridor|wall|walls|next room|waiting room|office|door|lobby|other room|vents?|ceiling|"
    r"floor|building|parking lot|street|stairwell)|soundproof\w*|white noise|sound machine|"
    r"noise machine|echo|audio|mic|microphone|speakers?|headphones|call|zoom|line|"
    r"voicemails?|recording|podcast|radio)\b"
)
_NUMB_BODY = _c(
    r"\b(?:hands?|fingers?|toes?|feet|foot|legs?|arms?|lips?|face|jaw|dentist|novocaine|"
    r"anesthe\w+|cold|frost\w*|freezing)\b"
)
_MOOD_OTHER = _c(
    r"\b(?:office|team|staff|morale|vibe|room|building|crowd|audience|market|weather|party|"
    r"manager|everyone|everybody|people|around here|heat|heating|ac|coffee)\b"
)
_RECOVERY_OTHER = _c(
    r"\b(?:surgery|knee|injury|flu|covid|password|account|data|disaster|backup|e ?mails?|"
    r"mode|flood|fire|outage|hack|breach|"
    r"cold|illness|procedure|operation|accident|broken|fracture|storm|hurricane|sprain|"
    r"concussion|virus|file|files|system)\b"
)
_WITHDRAWAL_OTHER = _c(
    r"\b(?:bank|account|atm|cash|savings|deposits?|funds?|card|money|class|course|program|"
    r"application|offer|troops|bid|candidacy|consent|lawsuit|complaint|early)\b|\$"
)
_BOILERPLATE_CRISIS = _c(
    r"\b(?:if (?:you are|you're|this is|there is|you have|it's|you or someone)|in case of|"
    r"after hours|outside (?:of )?(?:office|business) hours|not monitored|voicemail|"
    r"do not use (?:this|text)|this (?:number|line|inbox) is)\b"
)
_GUNS_POLICY = _c(
    r"\b(?:no (?:guns|firearms|weapons)|(?:guns|firearms|weapons) (?:are )?(?:not )?"
    r"(?:allowed|permitted|prohibited)|policy|sign|signage|premises|building|lobby|security|"
    r"guards?|officers?|police|cops?|deputy|deputies|staff)\b"
)

# Person nouns: "my son is depressed" is about a person; "the printer is depressed" is not.
_PERSON_NOUNS: frozenset[str] = _set_of(
    "client clients patient patients son daughter kid kids child children mom mum mother "
    "dad father husband wife partner boyfriend girlfriend brother sister friend friends "
    "teen teenager student family parent parents baby spouse fiance fiancee roommate "
    "coworker colleague boss grandma grandpa grandmother grandfather aunt uncle cousin "
    "man woman guy girl boy person people member members stepson stepdaughter toddler "
    "youngster adolescent caller referral mother's father's one"
)
_THING_IS = _c(
    r"\b(?:the|this|that|these|those|our|its|my|your|his|her|their|a|an) (?:\w+ )?(\w+) "
    r"(?:is|was|are|were|seems|seemed|seem|looks|looked|look|has been|have been|had been|got|"
    r"gets|getting|'s|sounds|sounded|feels|felt|keeps getting|became|becomes|are looking|"
    r"is looking)"
    r"(?: so| very| really| pretty| a bit| kind of| kinda| totally| completely| quite|"
    r" slightly| super| a little| clearly| obviously| definitely| a tad)? $"
)


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    category: str
    pattern: re.Pattern[str]
    keys: _Keys  # the rule runs only if the message has one of these words
    unless: re.Pattern[str] | None = None  # an everyday context in the same clause
    needs: re.Pattern[str] | None = None  # context the same clause must have
    topic: bool = False  # a topic: set aside in a clause about training or specialties
    about_a_thing: bool = False  # set aside when said of a thing ("the printer is ...")


_POSS = r"(?:your|his|her|their|my|the client's|client's|patient's)"
_SELF = r"(?:yourself|himself|herself|themselves|themself|myself|ourselves)"
_SUBSTANCE_NAMES = (
    "drugs|meth|heroin|opioids?|opiates|cocaine|coke|crack|substances|fentanyl|weed|"
    "cannabis|marijuana|alcohol|ketamine|benzos|pills|xanax"
)

_RULES: tuple[_Rule, ...] = (
    # ---- medication ------------------------------------------------------------------
    _Rule(
        "medication.amount",
        MEDICATION,
        _c(r"\b\d+(?:[.,]\d+)? ?(?:mg|mgs|milligrams?|mcg|micrograms?|ug)\b"),
        keys=_keys("mg mgs milligram milligrams mcg microgram micrograms ug"),
    ),
    _Rule(
        "medication.generic",
        MEDICATION,
        _c(
            r"\b(?:meds|medications?|medicines?|medicated|medicating|rx|prn|prescri(?:be|bed|"
            r"bes|bing|ption|ptions|ber|bers)|pills?|capsules?|anti ?depressants?|anti ?anxiety|"
            r"anti ?psychotics?|"
            r"mood stabili[sz]ers?|sleep(?:ing)? (?:aids?|tablets?)|birth control|"
            r"blood thinners?|beta blockers?|(?:nicotine|hormone) patch(?:es)?|"
            r"hormone (?:therapy|replacement|blockers?)|hrt|long acting injectables?|"
            r"depot (?:injection|shot)s?|injectables?|inhalers?|insulin|steroids?|"
            r"titrat\w+|taper(?:ing|ed)? (?:off|down) (?:of |from )?(?:the|your|his|her|their|my) "
            r"|(?:slow|slowly|a|the|gradual) taper|(?:take|taking|took|swallow) (?:\w+ )?"
            r"tablets?|tablets? (?:a day|per day|daily|twice|by mouth|at (?:night|bedtime)))\b"
            r"|\bscripts? (?:from|for) (?:dr|doctor|the doctor|your doctor|the psychiatrist|(?:his|"
            r"her|your|their) (?:doctor|psychiatrist|prescriber|np|pcp|meds|medication))\b"
            r"|\b(?:the|your|his|her|their|new|this|that|any|each|psych|old) med\b(?! (?:school|"
            r"student|students|spa|tech|techs|room|kit|cart|center|centre))"
        ),
        unless=_FORMS,
        keys=_keys(
            "script scripts med meds medic* rx prn prescri* pill pills capsule capsules anti "
            "antidepressant antidepressants antipsychotic antipsychotics stabili* aid aids tablet "
            "tablets birth thinner thinners blocker blockers patch patches hormone hrt injectable "
            "injectables depot inhaler inhalers insulin steroid steroids titrat* taper tapering "
            "tapered antianxiety antidepressant* antipsychotic*"
        ),
    ),
    _Rule(
        "medication.dose",
        MEDICATION,
        _c(r"\b(?:dos(?:e|es|ed|ing|age|ages)|side effects?)\b"),
        unless=_VACCINE,
        keys=_keys("dose doses dosed dosing dosage dosages side"),
    ),
    _Rule(
        "medication.lithium",
        MEDICATION,
        _c(
            r"\blithium\b(?! ?(?:ion|batter\w*|cells?|polymer|grease|mines?|mining|powered|"
            r"based|coin))"
        ),
        keys=_keys("lithium"),
    ),
    _Rule(
        "medication.refill",
        MEDICATION,
        _c(r"\brefill(?:s|ed|ing)?\b"),
        unless=_SUPPLY_REFILL,
        keys=_keys("refill refills refilled refilling"),
    ),
    _Rule(
        "medication.pharmacy",
        MEDICATION,
        _c(r"\bpharmac(?:y|ies|ist|ists)\b"),
        needs=_c(
            r"\b(?:called|faxed|sent|fax|requests?|requested|authori[sz]\w*|prior auth\w*|"
            r"pick ?up|picked up|ready|filled|fill|transfer\w*|approved|denied|on file|"
            r"preferred|order(?:ed)?|insurance|generic|out of stock|backorder\w*)\b"
        ),
        keys=_keys("pharmacy pharmacies pharmacist pharmacists"),
    ),
    _Rule(
        "medication.injection",
        MEDICATION,
        _c(
            r"\b(?:your|his|her|their|monthly|weekly|next|depot|b12|vivitrol|invega|abilify|"
            r"aristada|sublocade|testosterone|hormone|ketamine) (?:injections?|shots?|jabs?|"
            r"infusions?)\b|\bketamine (?:therapy|treatment|session|clinic)s?\b"
        ),
        unless=_VACCINE,
        keys=_keys("injection injections shot shots jab jabs infusion infusions ketamine"),
    ),
    _Rule(
        "medication.prescriber",
        MEDICATION,
        _c(
            r"\b" + _POSS + r" (?:prescriber|psychiatric (?:nurse practitioner|provider)|"
            r"pmhnp|med provider)\b|\b(?:med|meds|medication) (?:check|management|eval\w*|"
            r"review|appointment|visit|consult\w*|follow up)s?\b"
        ),
        keys=_keys("prescriber psychiatric pmhnp med meds medication"),
    ),
    # ---- diagnosis -------------------------------------------------------------------
    _Rule(
        "diagnosis.disorder",
        DIAGNOSIS,
        _c(
            r"\b(?!(?:in|of|into|public|civil|total|complete|some|the|a|an|and|or|utter|general|"
            r"great|such|this|that|no|any|state|into|more|less|much)\b)[a-z]+ disorders?\b"
            r"|\b(?:mental|psychiatric|mental health|psychological) (?:illness|illnesses|"
            r"diagnos[ie]s|conditions?|disorders?)\b"
            r"|\b(?:borderline|narcissistic|antisocial|histrionic|avoidant|schizoid) "
            r"(?:traits|personality)\b|\bon the (?:autism )?spectrum\b"
            r"|\b(?:generali[sz]ed|social|health|separation) anxiety\b"
            r"|\b(?:major|clinical|postpartum|post partum|perinatal|postnatal|treatment "
            r"resistant|seasonal|atypical) depression\b|\bseasonal affective\b"
            r"|\bdisordered eating\b|\bbinge eating\b|\bgender dysphoria\b"
            r"|\bpost traumatic stress\b|\bobsessive compulsive\b|\battention deficit\b"
            r"|\bdissociative identity\b|\bmanic depressi\w+\b|\btraumatic brain injury\b"
        ),
        unless=_PETS,
        topic=True,
        keys=_keys(
            "disorder disorders anxiety depression affective eating binge dysphoria traumatic "
            "compulsive deficit dissociative spectrum illness illnesses diagnosis diagnoses "
            "condition conditions traits personality manic depressi*"
        ),
    ),
    _Rule(
        "diagnosis.diagnosed",
        DIAGNOSIS,
        _c(
            r"\b(?:diagnos(?:is|es|ed|ing|e)|misdiagnos\w+|dual diagnosis|prognosis|"
            r"diagnostic (?:impression|criteria|interview|label)s?|dsm(?: ?(?:5|iv|v|5 ?tr|"
            r"iv ?tr))?|icd ?(?:10|11)?(?: ?cm)?|clinical (?:impression|formulation|picture|"
            r"presentation)|case conceptuali[sz]ation|meets (?:the )?(?:full )?criteria)\b"
        ),
        unless=_c(_TECH.pattern + "|" + _BILLING.pattern),
        topic=True,
        keys=_keys("diagnos* misdiagnos* dual prognosis dsm icd clinical case meets dsm* icd*"),
    ),
    _Rule(
        "diagnosis.code",
        DIAGNOSIS,
        _c(r"\b[fz]\d{2}\.(?:\d{1,3}[a-z0-9]?|[a-z])\b"),
        keys=_keys("f z"),
    ),
    _Rule(
        "diagnosis.code_in_context",
        DIAGNOSIS,
        _c(
            r"\b[a-z]\d{2}(?:\.\d{1,4})?\b"
            r"|(?<![$\d.,])\b(?:29\d|30\d|31\d)\.\d{1,2}\b"
        ),
        needs=_c(r"\b(?:icd|dsm|dx|diagnos\w*|(?:billing|diagnosis|dx) codes?|superbill)\b"),
        keys=_keys("icd dsm dx diagnos* superbill code codes"),
    ),
    # ---- symptoms --------------------------------------------------------------------
    _Rule(
        "symptoms.panic",
        SYMPTOMS,
        _c(
            r"\b(?:panic|anxiety) (?:attacks?|episodes?|symptoms)\b|\b(?:he|she|they|client|"
            r"patient|son|daughter) panics\b|\b(?:the|his|her|their|your) panic (?:is|has|was|"
            r"settles|comes|came|gets|got|returns|returned|spikes|spiked)\b"
        ),
        keys=_keys("panic panics anxiety attack attacks episode episodes"),
    ),
    _Rule(
        "symptoms.anxiety",
        SYMPTOMS,
        _c(
            r"\b(?:your|his|her|their|my|the client's|client's|(?!(?:it|that|there|what|here|"
            r"who|he|she|let|today|tonight|everyone|everybody|someone|somebody)'s)\w+'s) "
            r"anxiety\b"
            r"|\banxiety (?:levels?|meds|medications?|spikes?|spiking|flare\w*|(?:has|have) "
            r"been|is (?:getting |been )?(?:worse|better|bad|high|through the roof|really bad|"
            r"severe|manageable)|got worse|gets worse|group|support group)\b"
            r"|\b(?:severe|crippling|debilitating|chronic|intense|constant|paraly[sz]ing|"
            r"persistent|clinical|performance|high functioning|postpartum|perinatal) anxiety\b"
            r"|\b(?:struggl\w+|dealing|deals?|living|lives|coping|copes?|suffer\w*|diagnosed|"
            r"history|has|have|had|having) (?:with |of |from )?(?:a lot of |some |bad |severe |"
            r"her |his |their |your |my |the )?anxiety\b"
            r"|\banxiety (?:and|or) (?:depression|panic|ptsd|ocd|insomnia|trauma)\b"
        ),
        unless=_PETS,
        keys=_keys("anxiety"),
    ),
    _Rule(
        "symptoms.depressed",
        SYMPTOMS,
        _c(r"\bdepressed\b"),
        unless=_c(
            r"\b(?:button|key|keys|pedal|lever|switch|plunger|brake|clutch|gate|trigger|"
            r"markets?|economy|prices|stocks?|plants?|sales|demand|wages)\b"
            r"|\bit(?:'s| is| was| needs to be| has to be| must be| should be| gets)(?: \w+)? "
            r"depressed\b|\bi(?:'m| am| was| feel| felt)(?: so| really| kinda| a bit| pretty| "
            r"super| totally)? depressed (?:that|about|the|they|because|we|our|now that)\b"
        ),
        about_a_thing=True,
        keys=_keys("depressed"),
    ),
    _Rule(
        "symptoms.nightmares",
        SYMPTOMS,
        _c(
            r"\bnightmares\b|\b(?:having|had|have|has|get|gets|getting|got|another|recurring|"
            r"recurrent|frequent|vivid|bad) (?:a |an |more |the )?nightmares?\b"
        ),
        keys=_keys("nightmare nightmares"),
    ),
    _Rule(
        "symptoms.flashbacks",
        SYMPTOMS,
        _c(r"\b(?:having|had|have|has|get|gets|getting|got|another|a) flashback\b"),
        keys=_keys("flashback"),
    ),
    _Rule(
        "symptoms.voices",
        SYMPTOMS,
        _c(
            r"\b(?:hear|hears|hearing|heard) (?:\w+ )?voices\b|\bthe voices (?:are|were|have|"
            r"say|said|told|tell|telling|came|come|got|get|again|back)\b|\bvoices in "
            r"(?:his|her|their|my|your) head\b|\bcommand hallucinations\b"
            r"|\bhear(?:s|ing|d)? (?:(?:his|her|their|a|someone's|the) )?(?:\w+(?:'s)? ){0,2}"
            r"voices? (?:at night|in (?:his|her|their|my|your) head|telling|talking to (?:him|her|"
            r"them)|when (?:no one|nobody)|that (?:aren't|isn't|other people can't))"
        ),
        unless=_VOICES_OTHER,
        keys=_keys("voice voices hallucinations"),
    ),
    _Rule(
        "symptoms.thoughts",
        SYMPTOMS,
        _c(
            r"\b(?:intrusive|racing|obsessive|negative|dark|distressing|unwanted|scary|"
            r"disturbing|catastrophi[sz]ing|self critical|anxious|paranoid) thoughts?\b"
            r"|\bintrusive (?:memories|images|urges)\b"
            r"|\bcompulsive (?:checking|washing|counting|cleaning|behaviou?rs?|urges|eating|"
            r"spending|skin picking|hand washing)\b|\bobsessive (?:checking|behaviou?rs?)\b"
            r"|\b(?:picking|picked|picks) at (?:his|her|their|your) (?:skin|scabs|face|cuticles|"
            r"arms|lips)\b|\b(?:pulling|pulls|pulled) (?:out )?(?:his|her|their) (?:hair|"
            r"eyelashes|eyebrows)\b|\bheart (?:is |was |keeps |kept )?(?:racing|pounding)\b"
            r"|\b(?:can't|couldn't) stop shaking\b|\bwalls (?:were|are) closing in\b"
            r"|\b(?:can't|cannot|couldn't|can not) stop (?:checking|washing|counting|picking|"
            r"pulling|scratching|thinking about (?:it|him|her|them|what happened|the accident))\b"
        ),
        keys=_keys(
            "thought thoughts memories images urges compulsive obsessive stop picking picked picks "
            "pulling pulls pulled heart shaking walls"
        ),
    ),
    _Rule(
        "symptoms.mood",
        SYMPTOMS,
        _c(
            r"\b(?:mood swings|low mood|depressed mood|mood (?:has been|is|was|seems|seemed) "
            r"(?:really |very |pretty |quite |a bit )?(?:low|down|flat|better|worse|"
            r"up and down|unstable|elevated|irritable)|(?:flat|blunted|restricted|labile|"
            r"constricted) affect|emotional(?:ly)? (?:dysregulat\w+|numb|numbness|flooding)|"
            r"dysregulat\w+|(?:manic|depressive|psychotic|mixed) (?:episodes?|symptoms|phase)|"
            r"(?:crying|tearful) (?:spells|episodes|all the time|every day|a lot)|"
            r"self (?:esteem|worth|loathing|hatred|blame|sabotage|criticism)|body image)\b"
        ),
        unless=_MOOD_OTHER,
        keys=_keys(
            "mood affect emotional emotionally dysregulat* episode episodes symptoms phase crying "
            "tearful self body"
        ),
    ),
    _Rule(
        "symptoms.feeling",
        SYMPTOMS,
        _c(
            r"\b(?:feel|feels|feeling|felt) (?:so |really |very |pretty |quite |a bit |"
            r"kind of |kinda |more |less |extremely |completely |totally |increasingly "
            r")?(?:hopeless|worthless|empty inside|numb|dissociated|detached from (?:reality|"
            r"myself|yourself|himself|herself|themselves|my body|your body)|unreal|paranoid|"
            r"manic|like a burden|like (?:i|you|he|she|they)(?:'re|'m| am| are| is)? a burden)\b"
        ),
        unless=_NUMB_BODY,
        keys=_keys("feel feels feeling felt"),
    ),
    _Rule(
        "symptoms.sleep",
        SYMPTOMS,
        _c(
            r"\b(?:trouble|difficulty|difficulties|problems?|issues?|struggling|struggles?|"
            r"hard time)(?: with)? (?:sleeping|falling asleep|staying asleep|getting to sleep|"
            r"sleep)\b|\b(?:not|haven't been|hasn't been|isn't|aren't|wasn't|barely|hardly) "
            r"sleeping\b(?! in)|\bsleeping (?:any |a bit |much |a little )?better\b|\bsleep "
            r"(?:problems|issues|difficulties|disturbances?|"
            r"disruption|deprivation|deprived|apnea)\b|\b(?:waking|wakes|woke|wake) up "
            r"(?:screaming|panicking|in a panic|in a cold sweat|every night)\b"
        ),
        unless=_SLEEP_OTHERS,
        keys=_keys("sleeping sleep asleep wake waking wakes woke"),
    ),
    _Rule(
        "symptoms.eating",
        SYMPTOMS,
        _c(
            r"\b(?:loss of appetite|appetite (?:loss|changes?|has been|is|was)|"
            r"(?:restricting|restrict|restricted) (?:food|calories|meals|intake|eating|again)|"
            r"purging|binge(?:ing|d)? (?:episodes?|and purg\w*)|bing(?:e)?ing and purging|"
            r"body checking|food rules|safe foods|(?:not|isn't|hasn't been|haven't been|"
            r"barely|stopped) eating(?= (?:much|enough|well|properly|at all|again|anything|"
            r"for days|regularly|and|or)|\s*[.,!?;]|$)|sleep(?:s|ing)? all day)"
        ),
        keys=_keys(
            "appetite restricting restrict restricted purging binge binged bingeing binging body "
            "food safe eating sleeps sleeping sleep"
        ),
    ),
    _Rule(
        "symptoms.triggered",
        SYMPTOMS,
        _c(
            r"\b(?:i|i'm|you|you're|he|she|they|we|he's|she's|they're|him|her|them|me|felt|"
            r"feel|feeling|feels|get|gets|got|getting|was|were|been|be|being|so|really|very|"
            r"easily) triggered\b(?! (?:the|an?|this|that|it)\b)"
            r"|\b(?:your|his|her|their|my|identify(?:ing)?|notic(?:e|ing)|track(?:ing)?|"
            r"common|emotional|trauma|known|those) triggers\b"
        ),
        unless=_TRIGGER_OTHER,
        keys=_keys("triggered triggers"),
    ),
    _Rule(
        "symptoms.word",
        SYMPTOMS,
        _c(r"\b(?:symptoms?|symptomatic)\b"),
        unless=_PHYSICAL_ILLNESS,
        keys=_keys("symptom symptoms symptomatic"),
    ),
    _Rule(
        "symptoms.urges",
        SYMPTOMS,
        _c(
            r"\b(?:the|your|his|her|their|my|these|those|having|had|have|has|strong|any|more|"
            r"any more) urges\b|\burge to (?:cut|hurt|harm|use|drink|purge|binge|restrict|self "
            r"harm|isolate|smoke|gamble|check|wash|count|pick|pull|die)\b"
            r"|\b(?:been|is|was|keeps|kept|started) isolating\b|\bisolating "
            r"(?:himself|herself|themselves|yourself|a lot|again|in (?:his|her|their) room)\b"
            r"|\b(?:in|at) a (?:really |very |pretty |bad |)dark place\b|\b(?:her|his|their|"
            r"your) eating (?:has|is|was|habits|got|gets|patterns|behaviou?rs)\b"
            r"|\bbing(?:e|ed|eing|ing) again\b|\block(?:s|ed|ing)? (?:himself|herself|themselves|"
            r"yourself) in\b|\b(?:stopped|not|barely|hasn't been|isn't) eating (?:meals|dinner|"
            r"breakfast|lunch|properly|regularly)\b"
        ),
        keys=_keys(
            "lock locks locked locking urge urges isolating dark eating binge binged bingeing "
            "binging"
        ),
    ),
    _Rule(
        "symptoms.low_mood",
        SYMPTOMS,
        _c(
            r"\b(?:you|he|she|they|client|patient|son|daughter)(?:'ve|'s|'re)?(?: (?:been|"
            r"have been|has been|was|were|are|is|am|really|seemed|seem|seems|looked|looks|"
            r"feeling|felt|feel|feels|sounded|sounds|a bit|kind of|so|pretty|very|quite)){1,3} "
            r"(?:down|low)\b(?= (?:(?:in|during) (?:group|session|class|school|therapy|our "
            r"session|the session)|since|lately|recently|today|this week|again|and)\b"
            r"|\s*[.,!?;]|$)"
        ),
        unless=_c(_PHYSICAL_ILLNESS.pattern + "|" + _WEATHER.pattern + "|" + _TECH.pattern),
        keys=_keys("down low"),
    ),
    _Rule(
        "symptoms.dissociation",
        SYMPTOMS,
        _c(
            r"\bdis(?:as)?sociat\w*|\bparanoid (?:ideas|delusions|ideation|that)\b|\b(?:his|her|"
            r"their|your|the client's|client's|the) paranoia\b|\bparanoia (?:is|has|got|gets|was|"
            r"about (?:people|someone|being))\b|\b(?:he|she|they|"
            r"client|patient|son|daughter|husband|wife|partner|mom|dad|he's|she's|they're|him|"
            r"her|them) (?:is |was |were |are |has been |have been |had been |seems |seemed |"
            r"looked |looks |gets |got |became |went |getting |been |keeps |started )?(?:\w+ )?"
            r"(?:manic|psychotic|hallucinating|delusional|catatonic)\b|\bpsychotic (?:break|"
            r"features|depression|thinking)\b|\bdelusional (?:thinking|beliefs?|ideas)\b"
        ),
        keys=_keys(
            "dissociat* disassociat* paranoia paranoid manic psychotic hallucinating delusional "
            "catatonic"
        ),
    ),
    # ---- session content -------------------------------------------------------------
    _Rule(
        "session_content.modality",
        SESSION_CONTENT,
        _c(
            r"\b(?:cognitive behavio(?:u)?ral|dialectical behavio(?:u)?r(?:al)?|acceptance and "
            r"commitment|internal family systems|cognitive processing therapy|prolonged "
            r"exposure|exposure (?:and response prevention|therapy|response prevention)|"
            r"eye movement desensiti[sz]ation|somatic experiencing|schema therapy|motivational "
            r"interviewing|narrative therapy|solution focused|mentali[sz]ation based|"
            r"emotionally focused|compassion focused|play therapy|sand ?tray|art therapy|"
            r"gottman method|trauma focused|tf cbt|erp (?:homework|exposures?|"
            r"practice|session|sessions|work|therapy|hierarchy))\b"
        ),
        topic=True,
        keys=_keys(
            "erp cognitive dialectical acceptance internal systems prolonged exposure movement "
            "somatic schema motivational therapy solution focused mentalization mentalisation "
            "emotionally compassion sand sandtray tray gottman trauma tf"
        ),
    ),
    _Rule(
        "session_content.role_play",
        SESSION_CONTENT,
        _c(r"\brole ?play\w*"),
        unless=_c(
            r"\b(?:staff|front desk|reception\w*|phone|greeting|meeting|team|new hires?|"
            r"onboarding|customer|training)\b"
        ),
        keys=_keys("role roleplay roleplays roleplayed roleplaying roleplay*"),
    ),
    _Rule(
        "session_content.homework",
        SESSION_CONTENT,
        _c(r"\bhomework\b"),
        unless=_KIDS_SCHOOL,
        keys=_keys("homework"),
    ),
    _Rule(
        "session_content.worksheets",
        SESSION_CONTENT,
        _c(
            r"\b(?:thought (?:logs?|records?|diary|diaries|journals?)|mood (?:logs?|diary|"
            r"diaries|trackers?|charts?|journals?|tracking)|sleep (?:logs?|diary|diaries)|food "
            r"(?:logs?|diary|diaries|journals?)|diary cards?|behavio(?:u)?r (?:logs?|chart)|"
            r"abc (?:worksheet|model|chart)|(?:cbt|dbt|therapy|thought|anxiety|coping|values|"
            r"grief|trauma|exposure|anger|worry|emotions?|feelings) worksheets?|worksheets? "
            r"(?:we|you|from (?:our |the |last |today's )?session)|worry (?:time|log|list))\b"
        ),
        keys=_keys(
            "log logs record records diary diaries journal journals tracker trackers chart charts "
            "tracking card cards worksheet worksheets abc worry"
        ),
    ),
    _Rule(
        "session_content.exposure",
        SESSION_CONTENT,
        _c(
            r"\b(?:exposures? (?:hierarchy|ladder|exercises?|practice|homework|work|tasks?|"
            r"sessions?|plan|list|steps?)|in vivo|imaginal(?: exposure)?|interoceptive|"
            r"systematic desensiti[sz]ation|response prevention|(?:your|the next|this week's) "
            r"exposures?|(?:do|did|doing|done|practice|practiced|complete|completed) (?:the |"
            r"your |any |some )?exposures?)\b"
        ),
        keys=_keys(
            "exposure exposures vivo imaginal interoceptive desensitization desensitisation "
            "prevention"
        ),
    ),
    _Rule(
        "session_content.skills",
        SESSION_CONTENT,
        _c(
            r"\b(?:coping (?:skills?|strategies|strategy|tools?|statements?|cards?|mechanisms?|"
            r"plan|box|ahead)|grounding (?:exercises?|techniques?|skills?|strategies|tools?)|"
            r"(?:breathing|relaxation|mindfulness|visuali[sz]ation) (?:exercises?|techniques?|"
            r"skills?|practice)|(?:box|paced|square|belly|diaphragmatic) breathing|"
            r"(?:grounding )?5 4 3 2 1 (?:grounding|technique|exercise|method|skill)|"
            r"grounding 5 4 3 2 1|distress tolerance|emotion(?:al)? regulation|radical "
            r"acceptance|wise mind|opposite action|dear man|tipp skills?|please skills|stop "
            r"skill|check the facts (?:skill|worksheet)|interpersonal effectiveness|cognitive "
            r"(?:distortions?|restructuring|reframing|defusion|triangle)|thinking traps|thinking "
            r"errors|automatic (?:negative )?thoughts|core beliefs?|negative self talk|self "
            r"compassion|self sooth\w*|behavio(?:u)?ral activation|activity scheduling|safe "
            r"(?:place|calm place|space) (?:exercise|visuali[sz]ation|imagery)|container "
            r"exercise|bilateral stimulation|butterfly hug|body scan|catastrophi[sz]ing|inner "
            r"critic|should['\"]? statements|all or nothing thinking|black and white thinking|"
            r"emotional reasoning|overgenerali[sz]\w+|thought stopping|sleep hygiene|"
            r"psychoeducation|journaling (?:about|on)|progressive muscle relaxation|chain "
            r"analysis|values (?:work|exercise|clarification|card sort)|inner child|parts work|"
            r"attachment (?:styles?|wounds?|issues|injur\w+)|reframe (?:the|that|those|your|"
            r"this) (?:thoughts?|beliefs?|story|narrative)|unsent letter|empty chair (?:work|"
            r"exercise|technique)|letter to (?:your|his|her|their) (?:mom|dad|mother|father|"
            r"younger self|abuser|ex)|gratitude (?:journal|list|practice)|journaling (?:prompts?|"
            r"exercise|assignment|homework)|(?:set|setting|hold|holding|your|healthy|enforce|"
            r"enforcing) boundaries|(?:the|those|these) skills (?:we|you)|skills (?:we|you) "
            r"(?:practi[sc]ed|learned|worked on|went over|talked about|discussed|covered))\b"
        ),
        unless=_c(
            r"\b(?:staff|team|employees?|wellness hour|lunch and learn|break room|all hands|"
            r"training|ceus?|workshop)\b"
        ),
        keys=_keys(
            "hygiene statements nothing black reasoning overgenerali* stopping psychoeducation "
            "critic coping grounding breathing relaxation mindfulness visualization visualisation "
            "5 distress emotion emotional radical wise opposite dear tipp skills skill facts "
            "interpersonal cognitive thinking automatic core negative self behavioral behavioural "
            "activity exercise imagery container bilateral butterfly body catastrophizing "
            "catastrophising inner progressive chain values parts attachment reframe unsent empty "
            "letter gratitude journaling boundaries"
        ),
    ),
    _Rule(
        "session_content.in_session",
        SESSION_CONTENT,
        _c(
            r"\b(?:we|you|i)(?: \w+){0,3}? (?:talked|spoke|discussed|covered|worked on|went "
            r"over|explored|processed|shared|mentioned|brought up|touched on|practi[sc]ed|"
            r"role ?played|unpacked|opened up|disclosed|told me|said|cried|identified)\b"
        ),
        needs=_SESSION_REF,
        unless=_LOGISTICS,
        keys=_keys(
            "talked spoke discussed covered worked went explored processed shared mentioned "
            "brought touched practiced practised role roleplayed unpacked opened disclosed told "
            "said cried identified"
        ),
    ),
    _Rule(
        "session_content.talking_about",
        SESSION_CONTENT,
        _c(
            r"\b(?:talking|talk|talked|speaking|spoke|opening up|opened up|sharing|shared|"
            r"discussing|discussed|exploring|explored|processing|processed|working through|"
            r"worked through) (?:about |on |through )?(?:your|his|her|their) (?:\w+ )?"
            r"(?:father|mother|mom|dad|parents?|childhood|abuse|trauma|divorce|marriage|ex|grief|"
            r"loss|relationship|family|brother|sister|son|daughter|partner|husband|wife|feelings|"
            r"anxiety|depression|drinking|anger|shame|guilt|fears?|past|boyfriend|girlfriend|"
            r"miscarriage|assault|breakup|death|suicide|self harm|eating|body|sexuality|identity)"
            r"\b(?!'s| (?:schedule|availability|insurance|plan|account|bill|balance|appointments?|"
            r"calendar|address|forms?|paperwork|contact|phone|email|visit))"
        ),
        keys=_keys(
            "talking talk talked speaking spoke opening opened sharing shared discussing discussed "
            "exploring explored processing processed working worked"
        ),
    ),
    _Rule(
        "session_content.what_you_shared",
        SESSION_CONTENT,
        _c(
            r"\bwhat (?:you|we) (?:shared|disclosed|told me|opened up about|brought up|said|"
            r"talked about|discussed|explored|worked on|processed|went through) (?:about|"
            r"regarding|around|with me about|in session|during session|last (?:session|week|"
            r"time))\b|\b(?:thank you|thanks|thank u) for (?:opening up|being so open|being "
            r"so honest|being vulnerable|trusting me with|sharing (?:that|this|so much|what "
            r"(?:you did|happened)|your story|how you (?:feel|felt)|with me|today|in (?:group|"
            r"session))(?! (?:link|article|photo|video|update|news|post|recipe)))\b"
        ),
        unless=_LOGISTICS,
        keys=_keys("what thank thanks"),
    ),
    _Rule(
        "session_content.processing",
        SESSION_CONTENT,
        _c(
            r"\bprocess(?:ing|ed)? (?:the |your |his |her |their |that |this |those |some of "
            r"(?:the |your )?|what happened|through )?(?:trauma|grief|loss|memor(?:y|ies)|"
            r"feelings|emotions|anger|shame|guilt|abuse|breakup|divorce|death|assault|"
            r"childhood|what happened)\b"
            r"|\bwhat came up (?:for you|in session|during session|last session)\b"
            r"|\b(?:came|comes|come) up (?:for you )?(?:in|during) (?:our |the |today's |last )?"
            r"session\b|\bbring (?:it|this|that|them) up (?:in|at|during) (?:our |your |the )?"
            r"(?:next )?session\b|\bsession (?:content|material|topics?|summary|recap)\b"
            r"|\bwhere we left off\b(?= (?:with|on|about))"
            r"|\bour (?:last |recent )?(?:conversation|discussion|talk|chat|work) (?:about|on|"
            r"around|regarding) (?:your|his|her|their)\b(?! (?:schedule|availability|"
            r"appointments?|bill|balance|insurance|forms?|paperwork|parking))"
        ),
        keys=_keys(
            "process processing processed came comes come bring session left conversation "
            "discussion talk chat work"
        ),
    ),
    _Rule(
        "session_content.trauma",
        SESSION_CONTENT,
        _c(
            r"\b(?:your|his|her|their|my|childhood|past|sexual|complex|developmental|"
            r"relational|religious|generational|intergenerational|birth|combat|military|"
            r"racial|early|unresolved) trauma\b|\btrauma (?:you|he|she|they) (?:experienced|"
            r"went through|survived|described)\b|\btrauma (?:work|processing|history|"
            r"narrative|memories|memory|story|response|responses|symptoms|bond(?:ing)?)\b|"
            r"\btraumatic (?:events?|experiences?|memories|memory|incidents?|birth|loss|stress|"
            r"grief)\b"
        ),
        topic=True,
        keys=_keys("trauma traumatic"),
    ),
    _Rule(
        "session_content.traumatized",
        SESSION_CONTENT,
        _c(
            r"\b(?:he|she|they|client|patient|kids?|child|children|son|daughter|him|her|them|"
            r"you|you're|he's|she's|they're)(?: \w+){0,3} traumati[sz]\w*"
        ),
        keys=_keys("traumati*"),
    ),
    _Rule(
        "session_content.feelings_about",
        SESSION_CONTENT,
        _c(
            r"\b(?:your|his|her|their|the) (?:feelings|emotions|anger|grief|guilt|shame|fears?|"
            r"resentment|hurt|sadness) "
            r"(?:about|toward|towards|around|regarding|over) (?:your|his|her|their|the) "
            r"(?:\w+ )?(?:mom|dad|mother|father|parents?|partner|husband|wife|ex|boyfriend|"
            r"girlfriend|divorce|breakup|abuse|childhood|loss|death|family|sister|brother|son|"
            r"daughter|boss|marriage|relationship|miscarriage|diagnosis)\b"
        ),
        keys=_keys("feelings emotions anger grief guilt shame fear fears resentment hurt sadness"),
    ),
    # ---- risk ------------------------------------------------------------------------
    _Rule(
        "risk.self_harm",
        RISK,
        _c(
            r"\bself (?:harm|harming|harmed|injury|injurious|injuring|mutilation|destructive)\b"
            r"|\b(?:cutting|burning) again\b|\bpassive death wish\b|\bno harm (?:contract|"
            r"agreement)\b|\blethal (?:means|dose)\b|\bmeans (?:restriction|safety|"
            r"counsel\w*)\b|\bhomicidal\b|\bharm to (?:self|others)\b|\bduty to warn\b"
            r"|\btarasoff\b"
        ),
        keys=_keys("self cutting burning passive harm lethal means homicidal duty tarasoff"),
    ),
    _Rule(
        "risk.ideation",
        RISK,
        _c(
            r"\b(?:urges?|thoughts?) (?:to|of|about) (?:cut|cutting|hurt|hurting|harm|harming|"
            r"self harm|die|dying|death|suicide|kill(?:ing)? (?:yourself|himself|herself|"
            r"themselves|themself|myself|oneself)|end(?:ing)? "
            r"(?:it all|(?:your|his|her|their|my) life))\b"
            r"|\bplans? (?:to|of|about) (?:suicide|kill(?:ing)? (?:yourself|himself|herself|"
            r"themselves|themself|myself|oneself)|"
            r"end(?:ing)? (?:it all|(?:your|his|her|their|my) life)|overdose|die)\b"
            r"|\b(?:want|wants|wanted|wanting|wish|wishes|wished) to (?:die|be dead|not be here|"
            r"not exist|disappear forever)\b|\b(?:end|ending|take|taking|took) (?:your|his|her|"
            r"their|my) (?:own )?life\b|\bend it all\b|\b(?:don't|doesn't|didn't|not) want(?:s|"
            r"ed|ing)? to (?:live|be alive|be here anymore)\b(?! (?:in|with|near|there|here|on|"
            r"at|downtown|close|far|alone|together|by))"
        ),
        keys=_keys(
            "cut cutting hurt hurting harm harming die dying death suicide yourself himself "
            "herself themselves themself myself life all overdose dead here exist disappear live "
            "alive oneself"
        ),
    ),
    _Rule(
        "risk.attempts_and_threats",
        RISK,
        _c(
            r"\bthreat(?:s|ened|ening)? to (?:kill|hurt|harm)\b"
            r"|\b(?:took|swallowed) (?:too many|a bunch of|a handful of|a bottle of|the whole "
            r"bottle of|all (?:of )?(?:his|her|their|my|your|the)) (?:his |her |their |my |your "
            r"|the )?(?:pills|meds|tablets|medications?)\b|\bhistory of (?:\w+ )?attempts?\b"
            r"|\b(?:cuts|scars|burns|marks|bruises) on (?:his|her|their|your) (?:arms?|wrists?|"
            r"thighs?|legs?|stomach|body|forearms?)\b|\bsuicide attempts?\b|\bmade (?:a|an|"
            r"another) (?:suicide )?attempt\b(?! to)"
        ),
        keys=_keys(
            "threat threats threatened threatening pills meds tablets medication medications "
            "attempt attempts cuts scars burns marks bruises"
        ),
    ),
    _Rule(
        "risk.hurt_self",
        RISK,
        _c(
            r"\b(?:hurt|hurting|harm|harming|harmed|injur\w+|cut|cutting|burn|burned|burnt|"
            r"burning|kill|killing|killed|starve|starving|starved|punish|punishing|punished|"
            r"scratch\w*|hit|hitting) " + _SELF + r"\b"
        ),
        unless=_ACCIDENT,
        keys=_keys("yourself himself herself themselves themself myself ourselves"),
    ),
    _Rule(
        "risk.weapons",
        RISK,
        _c(
            r"\b(?:access to|own|owns|has|have|keep|keeps|lock up|locked up|remove|removed|"
            r"removing|secure|secured|store|stored|storing|bought|buy|buying) (?:a |any |the |his "
            r"|her |their |your )?"
            r"(?:guns?|firearms?|weapons?)\b"
        ),
        unless=_GUNS_POLICY,
        keys=_keys("gun guns firearm firearms weapon weapons"),
    ),
    _Rule(
        "risk.safety_plan",
        RISK,
        _c(r"\bsafety (?:plan|plans|planning)\b|\bcrisis plan\b|\bstay(?:ing)? safe plan\b"),
        keys=_keys("safety crisis safe"),
    ),
    _Rule(
        "risk.crisis",
        RISK,
        _c(
            r"\bcrisis (?:line|lines|text line|team|teams|center|centre|services?|hotline|"
            r"number|assessment|intervention|stabili[sz]ation|unit|response|counsel(?:l)?ors?|"
            r"calls?|workers?|clinicians?|beds?|evaluation|eval|care)\b"
            r"|\b(?:in|having|had|mental health|psychiatric|suicidal|emotional) crisis\b"
            r"|\b(?:call|calling|called|text|texting|texted|dial|dialing|dialed|contact|reach) "
            r"(?:the )?988\b|\b988 (?:lifeline|crisis|hotline|line|number)\b|\bcrisis lifeline\b|"
            r"\bsamaritans\b|\bmobile crisis\b"
        ),
        unless=_BOILERPLATE_CRISIS,
        keys=_keys("crisis 988 samaritans"),
    ),
    _Rule(
        "risk.hospital",
        RISK,
        _c(
            r"\b(?:hospitali[sz]\w*|inpatient|psych(?:iatric)? (?:ward|unit|hospital|hold|"
            r"admission|facility|er|emergency)|involuntary (?:hold|commitment|admission)|"
            r"72[ -]hour hold|(?:a|the|on) 5150\b|5150(?:'d|ed|d)?(?= (?:hold|again|last|over|"
            r"yesterday|this))|baker act(?:ed)?|(?:was|been|got|be|being|get) sectioned\b(?! off)|"
            r"admitted (?:to|into) (?:the |a )?(?:hospital|psych\w*|unit|ward|inpatient|er|"
            r"emergency|behavio(?:u)?ral health)|(?:discharged|released) from (?:the |a )?"
            r"(?:hospital|psych\w*|unit|ward|inpatient|er)|(?:went|go|going|taken|take|took|"
            r"rushed|ended up|was|were|been|is|are|brought|trip|visit|visited|sent) (?:him |her "
            r"|them |you )?(?:to |in |at )(?:the |an )?(?:er|emergency room|emergency "
            r"department)\b(?! (?:entrance|parking|lot|doors?|side|exit))|welfare check|"
            r"wellness check by (?:the )?police)"
        ),
        keys=_keys(
            "5150 5150'd 5150ed 5150d hospitali* inpatient psych psychiatric involuntary 72 baker "
            "sectioned admitted discharged released er emergency welfare wellness"
        ),
    ),
    _Rule(
        "risk.abuse",
        RISK,
        _c(
            r"\b(?:domestic (?:violence|abuse)|intimate partner violence|(?:sexual|physical|"
            r"emotional|verbal|child|childhood|elder|psychological|financial) abuse|"
            r"abus(?:e|ed|ing|ive) (?:by|at home|relationship|partner|husband|wife|boyfriend|"
            r"girlfriend|parent|father|mother|ex)|sexual(?:ly)? assault(?:ed)?|raped?|"
            r"molest\w*|mandated report\w*|mandatory report\w*|cps (?:report|referral|case|"
            r"called|involvement|worker)|child protective services|dcfs|adult protective "
            r"services|restraining order|protective order|stalk(?:ing|er|ed))\b"
            r"|\b(?:partner|husband|wife|boyfriend|girlfriend|ex|dad|father|mom|mother|stepdad|"
            r"stepmom|stepfather|parents?|brother|sister|uncle|spouse|fiance\w*) (?:\w+ )?"
            r"(?:hit|hits|hitting|beat|beats|beating|choked|chokes|strangled|slapped|slaps|"
            r"punched|punches|kicked|kicks|shoved|threatened|threatens|hurts|hurt) (?:her|"
            r"him|them|you|me)\b(?! up| back| with (?:a|the) (?:question|bill|news|invoice))"
        ),
        topic=True,
        keys=_keys(
            "hit hits hitting beat beats beating choked chokes strangled slapped slaps punched "
            "punches kicked kicks pushed shoved threatened threatens hurts hurt domestic intimate "
            "abuse abused abusing abusive sexual sexually assault assaulted rape raped molest* "
            "mandated mandatory cps child dcfs adult restraining protective stalking stalker "
            "stalked"
        ),
    ),
    _Rule(
        "risk.safe",
        RISK,
        _c(
            r"\bare you (?:feeling )?safe\b(?! (?:to|driving|on the road|in the snow|in this "
            r"weather|with the))|\bkeep(?:ing)? " + _SELF + r" safe\b|\b(?:feel|feels|feeling|"
            r"felt) (?:un)?safe (?:at home|with (?:him|her|them|your|my|his|their))\b"
            r"|\bsafe at home\b|\bis (?:she|he|they|the client|your (?:son|daughter|child)) "
            r"safe\b(?! to)|\b(?:worried|concerned|worry|concerns?|scared|afraid|fear\w*) "
            r"(?:about|for) (?:her|his|their|your|the client's|client's) (?:own )?safety\b"
        ),
        unless=_WEATHER,
        keys=_keys("safe unsafe safety"),
    ),
    _Rule(
        "risk.risk_level",
        RISK,
        _c(
            r"\b(?:suicide |suicidal |self harm |violence )?risk (?:assessments?|screens?|"
            r"screening|level|factors|formulation)\b|\b(?:high|imminent|acute|elevated|"
            r"moderate) risk (?:of|for) (?:suicide|self harm|harm|relapse|overdose|violence)\b"
        ),
        topic=True,
        keys=_keys("risk"),
    ),
    # ---- substance use ---------------------------------------------------------------
    _Rule(
        "substance_use.drinking",
        SUBSTANCE_USE,
        _c(
            r"\b(?:been|was|were|is|are|am|'m|'re|'s|started|start|starting|stopped|stop|quit|"
            r"quitting|reduce|reducing|heavy|heavier|binge|problem|problematic|your|his|her|"
            r"their|my|daily|nightly|underage|excessive|social|about) drinking\b"
            r"|\bdrinking (?:again|heavily|a lot|too much|every (?:day|night)|alone|problem|"
            r"habit|and driving|at work|before (?:session|work|group)|during)\b"
            r"|\bcut(?:ting)? (?:back|down) on (?:the )?(?:drinking|alcohol|booze|weed|"
            r"smoking)\b|\b\d+ (?:drinks|beers|glasses of wine|shots) (?:a|per|every) "
            r"(?:day|night|week)\b"
        ),
        keys=_keys("drinking cut cutting drinks beers glasses shots"),
    ),
    _Rule(
        "substance_use.drunk",
        SUBSTANCE_USE,
        _c(
            r"\b(?:was|were|got|get|getting|is|are|'s|'re|'m|be|been|being|came in|showed up|"
            r"arrived|seemed|looked|sounded|so|very|too|really) (?:drunk|intoxicated|stoned|"
            r"high (?:to|at|for|in|during) (?:session|the session|group|work|school|the "
            r"appointment|class))\b|\b(?:came|comes|come|showed up|shows up|show up|turned up|"
            r"arrived) (?:to |for |at )?(?:session|group|work|school|class|the (?:session|"
            r"appointment|group)|his appointment|her appointment) (?:drunk|high|intoxicated|"
            r"stoned|wasted)\b|\b(?:he|she|they|you|client|he's|she's|they're|you're)(?: \w+)? "
            r"(?:getting|got|gets|get) high\b|\bget(?:ting)? high (?:on|off|before|again|every|"
            r"to)\b|\bblacked out\b|\bblackout "
            r"(?:drunk|drinking)\b|\bunder the influence\b"
        ),
        keys=_keys("drunk intoxicated stoned high blacked blackout influence wasted"),
    ),
    _Rule(
        "substance_use.alcohol",
        SUBSTANCE_USE,
        _c(
            r"\b" + _POSS + r" alcohol\b|\balcohol (?:use|intake|consumption|problem|problems|"
            r"issues|abuse|misuse|dependence|dependency|withdrawal|cravings?|relapse|habit)\b"
            r"|\b(?:problem|struggles?|struggling|issues|trouble) with (?:alcohol|drinking|"
            r"drugs|substances|pills)\b|\b(?:quit|quitting|stop|stopped|avoid|avoiding) "
            r"(?:alcohol|drinking)\b"
            r"|\b(?:a|\d+|one|two|three|four|five|six|half a) (?:bottles?|glasses|drinks|beers|"
            r"shots|pints|cans|six packs?) (?:of \w+ )?(?:a|per|every) (?:day|night|evening)\b"
        ),
        keys=_keys(
            "alcohol drinking drugs substances pills bottle bottles glasses drinks beers shots "
            "pints cans six"
        ),
    ),
    _Rule(
        "substance_use.using",
        SUBSTANCE_USE,
        _c(
            r"\b(?:started|stopped|quit|back to|go back to|went back to|caught|keeps|kept|"
            r"urges? to|"
            r"craving to|admitted(?: to)?(?: (?:he's|she's|they've|he|she|they))?(?: been)?) "
            r"using\b(?= again|\s*[.,!?;]|$| (?:drugs|substances|every|daily|regularly|heavily|"
            r"on the weekends?|since|when|while|" + _SUBSTANCE_NAMES + r")\b)"
            r"|\b(?:been|was|were|is|are|'s|'re|'m|still) using (?:" + _SUBSTANCE_NAMES + r"|"
            r"every day|daily|heavily|regularly)\b"
            r"|\busing (?:again|drugs|substances)\b|\b(?:he|she|they|client|he's|she's|"
            r"they're)(?: \w+)? (?:was|were|is|are|got|became|been|'s|'re|get|gets) addicted\b"
            r"|\baddicted to (?:the |her |his |their )?(?:pills|meds|painkillers|opioids|drugs|"
            r"alcohol|gambling|heroin|meth|cocaine|crack|fentanyl|weed|benzos)\b|\bsince (?:you|he|"
            r"she|they) (?:last |first )?"
            r"(?:used|drank)\b|\b(?:last|first) (?:used|drank)\b|\b(?:drug|substance|cannabis|"
            r"marijuana|"
            r"opioid|opiate|meth|heroin|cocaine|iv|intravenous|polysubstance|weed|benzo|"
            r"stimulant|alcohol|pill) (?:use|misuse|abuse|dependence|dependency|problem|"
            r"problems|habit|history|issues?|addiction)\b"
        ),
        keys=_keys(
            "using used drank drug substance cannabis marijuana opioid opiate meth heroin cocaine "
            "iv intravenous polysubstance weed benzo stimulant alcohol pill addicted"
        ),
    ),
    _Rule(
        "substance_use.clean",
        SUBSTANCE_USE,
        _c(
            r"\b(?:he|she|they|you|i|client|he's|she's|they're|you're|you've|they've|i've|i'm)"
            r"(?: \w+)? (?:been|stayed|staying|stay|get|getting|got|still) clean (?:for|since|and "
            r"sober)\b|\b\d+ (?:days|weeks|months|years) (?:clean|sober)\b|\b(?:clean|sober) "
            r"(?:date|time|streak|living|house|home|coach|companion)\b|\bhalfway house\b"
        ),
        keys=_keys("clean sober halfway"),
    ),
    _Rule(
        "substance_use.recovery_groups",
        SUBSTANCE_USE,
        _c(
            r"\b(?:aa|na|ca|smart recovery) (?:meetings?|sponsors?|chips?|coins?|groups?)\b"
            r"|\balcoholics anonymous\b|\bnarcotics anonymous\b|\bal anon\b|\balanon\b|"
            r"\b(?:your|his|her|their|my) sponsor\b|\bharm "
            r"reduction\b|\bneedle exchange\b|\bsober living\b|\brelapse prevention\b"
        ),
        keys=_keys(
            "aa na ca smart alcoholics narcotics al alanon sponsor harm needle sober relapse"
        ),
    ),
    _Rule(
        "substance_use.twelve_steps",
        SUBSTANCE_USE,
        _c(r"\b(?:12|twelve)[ -]?steps?\b"),
        keys=_keys("step steps twelvestep twelvesteps"),
    ),
    _Rule(
        "substance_use.recovery",
        SUBSTANCE_USE,
        _c(
            r"\bin recovery\b|\b" + _POSS + r" recovery\b|\brecovery (?:meetings?|groups?|"
            r"program|programme|coach|community|house|residence|home|journey|date)\b"
        ),
        unless=_RECOVERY_OTHER,
        keys=_keys("recovery"),
    ),
    _Rule(
        "substance_use.drugs",
        SUBSTANCE_USE,
        _c(
            r"\b(?:doing|did|do|snort\w*|lines? of|bumps? of) (?:some )?(?:coke|crack|drugs|"
            r"lines)\b|\b(?:smok\w+|vap\w+|buy\w*|sell\w*|bought|using|use|uses|used|tried|"
            r"try) (?:some )?(?:crack|weed|dabs|drugs|oxy)\b|\b(?:dropped|dropping|took|taking|"
            r"on) acid\b|\bpills (?:off|on|from) the street\b|\bstreet (?:drugs|pills)\b|"
            r"\bweed (?:use|habit|pens?|gummies|"
            r"edibles)\b|\b(?:smok\w+|vap\w+) (?:again|heavily|a pack|every day|daily)\b"
            r"|\b(?:smok\w+|vap\w+) (?:\w+ ){0,3}?(?:weed|pot|meth|crack|cannabis|marijuana|dabs|"
            r"cigarettes)\b|\b(?:using|doing|buying|selling|taking|bought|sold|took) (?:\w+ )"
            r"{0,3}?(?:meth|crack|cocaine|heroin|drugs|cannabis|marijuana|ecstasy|fentanyl)\b|"
            r"\becstasy (?:use|pills|tablets)\b|\b(?:quit|quitting|stop|"
            r"stopped|started|cut down on|"
            r"cut back on|your|his|her|their) (?:smoking|vaping)\b|\bcravings\b"
            r"(?= (?:to|for) (?:use|drink|smoke|vape|gamble|alcohol|drugs|pills|weed|"
            r"cigarettes|a drink))"
        ),
        keys=_keys(
            "street ecstasy coke crack weed dabs acid drugs oxy smok* vap* cravings meth cocaine "
            "heroin cannabis marijuana fentanyl lines bumps"
        ),
    ),
    _Rule(
        "substance_use.withdrawal",
        SUBSTANCE_USE,
        _c(
            r"\b(?:alcohol|opioid|opiate|benzo|benzodiazepine|nicotine|heroin|drug|substance|"
            r"ssri|antidepressant|medication|xanax|klonopin|methadone) withdrawals?\b|"
            r"\bwithdrawal (?:symptoms|seizures|effects|sickness)\b|\b(?:going|went|go) "
            r"through withdrawals?\b|\bin withdrawal\b|\b(?:having|had|has|have) withdrawals\b"
        ),
        unless=_WITHDRAWAL_OTHER,
        keys=_keys("withdrawal withdrawals"),
    ),
    _Rule(
        "substance_use.detox_rehab",
        SUBSTANCE_USE,
        _c(
            r"\b(?:detox|detoxing|detoxed|rehab)\b|\b(?:gambling|porn|sex|gaming) (?:addiction|"
            r"problem|relapse)\b|\bgambling (?:again|debts?)\b|\b(?:your|his|her|their) "
            r"(?:gambling|vaping|smoking)\b"
        ),
        unless=_RECOVERY_OTHER,
        keys=_keys("detox detoxing detoxed rehab gambling porn sex gaming vaping smoking"),
    ),
    # ---- test results ----------------------------------------------------------------
    _Rule(
        "test_results.scales",
        TEST_RESULTS,
        _c(
            r"\b(?:phq ?-? ?(?:9|2|a)|gad ?-? ?(?:7|2)|pcl ?-? ?5|dass ?-? ?(?:21|42)|bdi ?-? ?"
            r"(?:ii|2)|ham ?d|ham ?a|y ?bocs|cy ?bocs|c ?ssrs|columbia (?:scale|screen\w*|"
            r"protocol|suicide)|audit ?-? ?c|dast ?-? ?(?:10|20)|aces? (?:score|scores|"
            r"questionnaire|screen\w*)|k ?10 (?:score|screen\w*)|vanderbilt (?:forms?|scales?|"
            r"ratings?|assessment|questionnaire)|conners (?:forms?|scales?|ratings?)|ciwa)\b"
        ),
        keys=_keys(
            "phq gad pcl dass bdi ham hama hamd ybocs bocs cssrs ssrs columbia audit dast ace aces "
            "k vanderbilt conners ciwa audit* bdi* cybocs phqa"
        ),
    ),
    _Rule(
        "test_results.results",
        TEST_RESULTS,
        _c(
            r"\b(?:test|lab|labs|blood|screening|screener|assessment|evaluation|eval|testing|"
            r"scan|mri|ekg|biopsy|drug test|tox|toxicology|urine|psych|psychological|"
            r"neuropsych\w*|imaging|x ray) results?\b|\b(?:your|his|her|their) (?:test |lab |"
            r"blood |screening |assessment )?(?:results|scores?)\b|\bresults (?:came|come|are|"
            r"were|have come|should be) (?:back|in)\b|\bscored (?:a |an )?\d+ (?:on|in the|out "
            r"of|points on)\b|\bin the "
            r"(?:mild|moderate|moderately severe|severe|clinical|subclinical|borderline|"
            r"minimal|elevated|impaired|clinically significant|low average|high average|average|"
            r"below average|above average|superior|extremely low|very low) range\b|\b(?:mild|"
            r"moderate|"
            r"moderately severe|severe|minimal) (?:depression|anxiety|symptoms)\b|\bscreened "
            r"positive\b|\bpositive (?:screen|screening)\b|\b(?:tested|came back|was|is) "
            r"positive for (?:" + _SUBSTANCE_NAMES + r"|thc|amphetamines?|benzo\w*|depression|"
            r"anxiety|ptsd|adhd)\b"
        ),
        unless=_TEST_OTHER,
        keys=_keys(
            "result results score scores scored range depression anxiety symptoms screened positive"
        ),
    ),
    _Rule(
        "test_results.labs",
        TEST_RESULTS,
        _c(
            r"\blabs?\b(?= (?:came back|are back|were|look|looked|showed|show|ordered|results|"
            r"draw|drawn|values?))|\b(?:your|his|her|their|recent|latest|new|fasting|monthly|"
            r"routine|baseline|follow up|last|previous|most recent) labs\b|\b(?:liver|kidney) "
            r"enzymes\b|\blab (?:work|results?|tests?|draw|orders?|"
            r"values|report|appointment)\b|\bblood (?:work|tests?|draw|panel|levels|sugar|"
            r"pressure|results|count)\b|\b(?:lithium|thyroid|vitamin d|iron|b12|cholesterol|"
            r"glucose|hormone|liver|kidney|serum|drug|depakote|valproate|clozapine|"
            r"medication|blood alcohol|a1c) (?:levels?|panel|function|tests?)\b|\b(?:drug|"
            r"urine|tox|toxicology|pregnancy) (?:tests?|screens?|screenings?|testing|"
            r"results?)\b|\burine (?:samples?|drug)\b|\bbreathaly[sz]er\b|\b(?:ct|cat) scans?\b|"
            r"\bx ?rays?\b|\bvital signs\b|\bsleep stud(?:y|ies)\b|\bresults (?:of|from) "
            r"(?:his|her|their|your|the) (?:\w+ ){0,2}(?:study|tests?|scans?|labs|evaluation|"
            r"assessment|screening|bloodwork|mri|testing|eval)\b"
        ),
        unless=_TEST_OTHER,
        keys=_keys(
            "enzymes lab labs blood level levels panel function test tests testing urine tox "
            "toxicology screen screens screening screenings results result sample samples "
            "breathalyzer breathalyser scan scans x xray xrays ray rays vital sleep"
        ),
    ),
    _Rule(
        "test_results.evaluations",
        TEST_RESULTS,
        _c(
            r"\b(?:psych(?:ological|iatric|o ?educational)?|neuro ?psych(?:ological)?|"
            r"cognitive|adhd|autism|asd|learning disability|dyslexia|iq|diagnostic|"
            r"developmental|personality) (?:testing|tests?|evaluations?|evals?|assessments?|"
            r"screenings?|screens?|battery|report)\b"
        ),
        unless=_c(_TEST_OTHER.pattern + "|" + _TECH.pattern + r"|\brouter\b"),
        keys=_keys(
            "testing test tests evaluation evaluations eval evals assessment assessments screening "
            "screenings screen screens battery report"
        ),
    ),
    # ---- treatment plan --------------------------------------------------------------
    _Rule(
        "treatment_plan.treatment",
        TREATMENT_PLAN,
        _c(
            r"\btreatment (?:plans?|planning|goals?|team|recommendations?|options?|progress|"
            r"review|summary|history|programs?|programmes?|centers?|centres?|facility|"
            r"facilities|resistant|objectives?|approach|modality|frequency|adherence|"
            r"compliance|intensity|episode|needs|protocol|course|updates?|trajectory|"
            r"outcomes?|providers?|refusal|non ?compliance)\b"
        ),
        keys=_keys("treatment"),
    ),
    _Rule(
        "treatment_plan.in_treatment",
        TREATMENT_PLAN,
        _c(
            r"\b(?:change|changing|adjust|adjusting|update|updating|review|reviewing|discuss|"
            r"discussing|continue|continuing|stop|stopping|start|starting|end|ending|pause|"
            r"pausing|resume|resuming|begin|beginning|during|in|your|his|her|their|ongoing|"
            r"current|continued|further|psychiatric|mental health|outpatient|inpatient|"
            r"residential|substance use|addiction|trauma|eating disorder|medication|evidence "
            r"based) treatment\b"
        ),
        unless=_BILLING,
        keys=_keys("treatment"),
    ),
    _Rule(
        "treatment_plan.plans",
        TREATMENT_PLAN,
        _c(
            r"\b(?:care plan|plan of care|service plan|recovery plan|behavio(?:u)?r(?:al)? "
            r"(?:support )?plan|discharge (?:plan|planning|summary))\b"
        ),
        keys=_keys("care service recovery behavior behaviour behavioral behavioural discharge"),
    ),
    _Rule(
        "treatment_plan.level_of_care",
        TREATMENT_PLAN,
        _c(
            r"\b(?:step(?:ping|ped)? (?:you |him |her |them )?down (?:to|from) (?:iop|php|"
            r"outpatient|a lower level)|(?:higher|lower|appropriate|right) levels? of care|"
            r"levels? of care|intensive outpatient|partial hospitali[sz]ation|day (?:program|"
            r"treatment)|residential (?:program|programme|facility|care)|outpatient program)\b"
        ),
        keys=_keys(
            "step stepping stepped levels level intensive partial program programme treatment "
            "residential"
        ),
    ),
    _Rule(
        "treatment_plan.referral_and_discharge",
        TREATMENT_PLAN,
        _c(
            r"\b(?:referr?(?:al|ed|ing)? (?:you |him |her |them )?(?:to|for) (?:a |an )?"
            r"(?:psychiatrist|psychiatry|psychiatric|higher level|iop|php|inpatient|"
            r"residential|eating disorder|substance|detox|rehab|neuropsych\w*|psychological "
            r"testing|med(?:ication)? eval\w*|dbt|emdr|trauma|couples|neurologist|sleep "
            r"(?:clinic|specialist|study))|terminat(?:e|ion|ing) (?:of )?(?:therapy|"
            r"treatment|services|our work)|termination session|discharg(?:e|ed|ing) (?:you |"
            r"him |her |them )?(?:from )?(?:therapy|treatment|services|the program|care))\b"
        ),
        keys=_keys(
            "refer refers referral referrals referred referring terminate termination terminating "
            "discharge discharged discharging refer* referal*"
        ),
    ),
    _Rule(
        "treatment_plan.goals",
        TREATMENT_PLAN,
        _c(
            r"\b(?:(?:therapy|therapeutic|clinical|recovery|treatment|counsel(?:l)?ing) goals?|"
            r"goals? (?:for|in) (?:therapy|treatment|counsel(?:l)?ing|our work)|(?:the|"
            r"your|our) goals (?:we|you) (?:set|discussed|agreed|made|identified|wrote|worked)|"
            r"" + _POSS + r" progress (?:in|with|on|toward|towards) (?:therapy|treatment|your "
            r"goals|the program|counsel\w*)|progress toward(?:s)? (?:your|the|his|her|their) "
            r"(?:\w+ )?goals|(?:clinical|therapeutic|behavio(?:u)?ral|early) interventions?|"
            r"objectives for (?:therapy|treatment)|focus of (?:therapy|treatment|our work|our "
            r"sessions|counsel\w*)|(?:reassess|revisit|review|update|set|revise|reassessing|"
            r"revisiting|reviewing|updating|setting|revising) (?:(?:your|his|her|their|the|our) )?"
            r"(?:treatment|therapy|therapeutic) goals|we agreed on (?:\w+ )?goals|"
            r"(?:reassess|revisit|reassessing|revisiting) (?:your |his |her |their )?goals)\b"
        ),
        keys=_keys("goal goals progress intervention interventions objectives focus"),
    ),
)
_RULE_INDEX = _Index([r.keys for r in _RULES])

# Acronyms that only mean something clinical in capitals, with a clinical neighbour.
_CASED_RULES: tuple[_Rule, ...] = (
    _Rule(
        "diagnosis.acronym",
        DIAGNOSIS,
        _c(
            r"\b(?i:has|have|had|with|diagnosed|his|her|their|your|for|of|and|or|inattentive|"
            r"adult|childhood|hx of|history of) (?:ADD|ODD|DID|GAD|ASD|AUD|OUD|SUD|ED)\b"
            r"|\b(?:ADD|ODD|GAD|ASD|AUD|OUD|SUD|ED) (?i:meds|medication|diagnosis|symptoms|"
            r"testing|assessment|evaluation|eval|behaviou?rs?|recovery|treatment|team|thoughts|"
            r"urges|voice|traits|level)\b|\bASD (?i:level|lvl) ?\d\b|\bDID (?i:system|alters?)\b"
        ),
        keys=_keys("ADD ODD DID GAD ASD AUD OUD SUD ED"),
    ),
    _Rule(
        "risk.si_hi",
        RISK,
        _c(
            r"\bSI ?[/ ] ?HI\b|\bHI ?[/ ] ?SI\b|\b(?i:denies|denied|endorses|endorsed|reports|"
            r"reported|passive|active|no|any|with|without|current|history of|hx of|chronic) "
            r"(?:SI|HI)\b|\b(?:SI|HI) (?i:with|without) (?i:a )?(?i:plan|intent)\b"
        ),
        keys=_keys("SI HI"),
    ),
    _Rule(
        "test_results.acronym",
        TEST_RESULTS,
        _c(
            r"\b(?:BAI|BDI|AUDIT|DAST|COWS|CIWA|PCL|MoCA|MMSE|ACE|ACEs|GAD|PHQ) (?i:scores?|"
            r"results?|screen\w*|of \d+|came back|went (?:up|down|from)|at \d+)\b"
        ),
        keys=_keys("BAI BDI AUDIT DAST COWS CIWA PCL MoCA MMSE ACE ACEs GAD PHQ"),
    ),
    _Rule(
        "session_content.acronym",
        SESSION_CONTENT,
        _c(
            r"\bIFS\b|\bACT (?i:skills|matrix|values|exercises?|work|approach|therapy|model|"
            r"processes|defusion|hexaflex)\b|\bCPT (?i:worksheets?|work|stuck points|"
            r"impact statement)\b|\bPE (?i:homework|exposures?|recordings?)\b"
        ),
        keys=_keys("IFS ACT CPT PE"),
    ),
    _Rule(
        "treatment_plan.acronym",
        TREATMENT_PLAN,
        _c(r"\bPHP\b(?= (?i:program|programme|level|admission|step down|referral))|\bIOP\b"),
        keys=_keys("PHP IOP"),
    ),
    _Rule(
        "medication.acronym",
        MEDICATION,
        _c(r"\b(?i:on|starting|started) MAT\b|\bMAT (?i:program|provider|clinic|services)\b"),
        keys=_keys("MAT"),
    ),
)
_TWO_CAPITALS = _c(r"[A-Z][A-Z]")


# --------------------------------------------------------------------------------------
# Assessment
# --------------------------------------------------------------------------------------


class _Clauses:
    """The clause around a position of *text* (split at sentence ends), found lazily."""

    __slots__ = ("_ends", "_seen", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._ends: list[int] | None = None
        self._seen: dict[tuple[int, re.Pattern[str]], bool] = {}

    def span(self, pos: int) -> tuple[int, int]:
        if self._ends is None:
            self._ends = [m.end() for m in _CLAUSE_END.finditer(self._text)]
        i = bisect_right(self._ends, pos)
        start = self._ends[i - 1] if i > 0 else 0
        end = self._ends[i] if i < len(self._ends) else len(self._text)
        return start, end

    def at(self, pos: int) -> str:
        start, end = self.span(pos)
        return self._text[start:end]

    def has(self, pattern: re.Pattern[str], pos: int) -> bool:
        """Whether the clause around *pos* matches *pattern* (remembered per clause, so a
        long clause with many candidate cues is searched once per pattern)."""
        start, end = self.span(pos)
        key = (start, pattern)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = pattern.search(self._text, start, end) is not None
        return seen

    def before(self, pos: int) -> str:
        """The part of the clause around *pos* that comes before it."""
        start, _ = self.span(pos)
        return self._text[max(start, pos - 120) : pos]


def _said_of_a_thing(before: str) -> bool:
    m = _THING_IS.search(before)
    return m is not None and m.group(1) not in _PERSON_NOUNS


def _joking_about_oneself(category: str, clauses: _Clauses, pos: int) -> bool:
    """Hyperbole about the sender ("my ADHD brain forgot the meeting lol"), not a client."""
    return (
        category in _HYPERBOLE_CATEGORIES
        and clauses.has(_JOKE, pos)
        and clauses.has(_FIRST_PERSON, pos)
        and not clauses.has(_THIRD_PERSON, pos)
    )


def _rule_stands(rule: _Rule, m: re.Match[str], clauses: _Clauses) -> bool:
    if rule.about_a_thing and _said_of_a_thing(clauses.before(m.start())):
        return False
    pos = m.start()
    if _joking_about_oneself(rule.category, clauses, pos):
        return False
    if rule.needs is not None and not clauses.has(rule.needs, pos):
        return False
    if rule.unless is not None and clauses.has(rule.unless, pos):
        return False
    return not (rule.topic and clauses.has(_TRAINING, pos))


def _shouting(words: list[str]) -> bool:
    caps = sum(1 for w in words if len(w) > 1 and w.isupper())
    return caps >= 4 and caps > 0.6 * len(words)


def _lexicon_stands(word: str, category: str, text: str, clauses: _Clauses) -> bool:
    """A lexicon word stands unless every occurrence is in an everyday context."""
    if word in _OTC and _SUPPLIES.search(text):
        return False  # a supplies message: the whole message is the context
    topic = category in _TOPIC_CATEGORIES and _TRAINING.search(text) is not None
    joke = category in _HYPERBOLE_CATEGORIES and _JOKE.search(text) is not None
    if not (topic or joke):
        return True
    return any(
        not (
            (topic and clauses.has(_TRAINING, pos))
            or (joke and _joking_about_oneself(category, clauses, pos))
        )
        for pos in _occurrences(word, text)
    )


def _found(text: str, *, every_rule: bool = False, prefilter: bool = True) -> list[tuple[str, str]]:
    """(category, cue name) pairs found in *text*: for tests and debugging.

    Unless *every_rule*, a rule is skipped once its category is already found. *prefilter*
    off runs every rule whatever the words (tests check it changes nothing).
    """
    norm = normalise(text)
    if not norm:
        return []
    words = _words(norm)
    present = _word_set(words)
    blanked = norm
    benign = _BENIGN_INDEX.candidates(present) if prefilter else range(len(_BENIGN))
    for i, (_, pattern) in enumerate(_BENIGN):
        if i in benign:
            blanked = pattern.sub(" ~ ", blanked)
    if blanked != norm:
        words = _words(blanked)
        present = _word_set(words)
    clauses = _Clauses(blanked)
    found: list[tuple[str, str]] = []
    have: set[str] = set()
    for raw in words:
        word = raw[:-2] if raw.endswith("'s") else raw.strip("'")
        category = _LEXICON.get(word)
        if category is None or (category in have and not every_rule):
            continue
        if _lexicon_stands(word, category, blanked, clauses):
            found.append((category, "lexicon." + category))
            have.add(category)
    to_run = sorted(_RULE_INDEX.candidates(present)) if prefilter else range(len(_RULES))
    for i in to_run:
        rule = _RULES[i]
        if rule.category in have and not every_rule:
            continue
        for m in rule.pattern.finditer(blanked):
            if _rule_stands(rule, m, clauses):
                found.append((rule.category, rule.name))
                have.add(rule.category)
                break
    if _TWO_CAPITALS.search(text):
        cased = _JOINED_WORDS_CASED.sub(" ", text.translate(_APOSTROPHES))
        cased_words = _words(cased)
        if not _shouting(cased_words):
            capitals = set(cased_words)
            for rule in _CASED_RULES:
                if rule.category in have and not every_rule:
                    continue
                if prefilter and rule.keys.words.isdisjoint(capitals):
                    continue
                if rule.pattern.search(cased):
                    found.append((rule.category, rule.name))
                    have.add(rule.category)
    return found


def assess_clinical(text: str) -> ClinicalAssessment:
    """Assess one outbound message. Pure and fast: no I/O, no state, regular expressions."""
    if not text or not text.strip():
        return _NOT_CLINICAL
    have = {category for category, _ in _found(text)}
    if not have:
        return _NOT_CLINICAL
    categories = tuple(c for c in CATEGORIES if c in have)
    return ClinicalAssessment(True, categories, tuple(REASONS[c] for c in categories))
