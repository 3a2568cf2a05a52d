"""The distress safety net (bot.core.safety) and its Rasa component (bot.plugins.nlu_safety)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.core.safety import CHECK_IN, CRISIS, _assess_short, assess, distress_reason, is_distress, normalize

ROOT = Path(__file__).resolve().parents[3]

# Phrasings a pupil in distress may type: direct, indirect, typos, slang, English.
DISTRESS = [
    # wanting to be dead
    "ik wil dood",
    "Ik wil dood.",
    "ik wil gewoon dood",
    "ik wil echt dood",
    "ik wil dooooood",
    "ik wil doodgaan",
    "k wil dood",
    "ikwildood",
    "IK WIL DOOD",
    "soms wil ik dood",
    "ik wou dat ik dood was",
    "was ik maar dood",
    "ik wou dat ik nooit geboren was",
    "ik wil sterven",
    "ik ben liever dood",
    # not wanting to live / exist
    "ik wil niet meer leven",
    "ik wil nie meer leve",
    "wil nt meer leven",
    "ik wil er niet meer zijn",
    "ik wil er gwn niet meer zijn",
    "ik wil niet meer bestaan",
    "ik wil verdwijnen",
    "ik wil gewoon verdwijnen",
    "ik wil slapen en nooit meer wakker worden",
    "ik hoop dat ik morgen niet meer wakker word",
    "ik wil niet meer",
    "ik kan niet meer",
    "ik kan het niet meer aan",
    "ik trek het echt niet meer",
    "ik hou het niet meer vol",
    # suicide, incl. typos and spaces
    "zelfmoord",
    "zelfmoort",
    "zelfmord",
    "zelfmooord",
    "zelf moord",
    "z e l f m o o r d",
    "zelfm00rd",
    "ik denk aan zelfmoord",
    "ik denk vaak aan zelfdoding",
    "ik heb zelfmoordgedachten",
    "ik wil zelfmoord plegen",
    "suicide",
    "sucide",
    "suïcide",
    "ik ben suïcidaal",
    "ik ben suicidaal",
    "ik wil er een einde aan maken",
    "ik maak er een eind aan",
    "ik wil mijn leven beëindigen",
    "ik ga mijn eigen leven nemen",
    "ik wil van een flat springen",
    "ik ga voor de trein springen",
    "ik wil mezelf iets aandoen",
    "ik ga mezelf wat aandoen",
    "ik wil mezelf ophangen",
    "ik wil pillen slikken en niet meer wakker worden",
    # self-harm
    "ik doe mezelf pijn",
    "ik doe mezelf soms pijn",
    "ik snij mezelf",
    "ik snijd in mijn armen",
    "ik kras in mn armen",
    "ik heb mezelf weer gesneden, ik wil mezelf snijden",
    "zelfbeschadiging",
    "selfharm",
    "self harm",
    # worthless / nobody cares
    "iedereen haat me",
    "iedereen haat mij",
    "iederen haat me",
    "iedereen op school haat me",
    "niemand zou me missen",
    "niemand zou me missen als ik weg was",
    "niemand geeft om mij",
    "niemand houdt van me",
    "iedereen is beter af zonder mij",
    "ze zijn beter af zonder me",
    "ik ben een last voor iedereen",
    "ik haat mezelf",
    "ik haat mn leven",
    "ik haat mijn leven echt",
    "ik ben waardeloos",
    "ik ben niks waard",
    "ik heb niemand",
    "ik heb geen vrienden",
    "ik ben zo eenzaam",
    "ik voel me zo alleen",
    # meaninglessness
    "ik zie het niet meer zitten",
    "ik zie het echt niet meer zitten",
    "zie het nt meer zitten",
    "ik zie t niet meer zitten",
    "ik zie het niet zitten meer",
    "het heeft allemaal geen zin meer",
    "het heeft geen zin meer",
    "het heeft allemaal geen zin",
    "alles is zinloos",
    "mijn leven heeft geen zin",
    "wat heeft het leven nog voor zin",
    "ik heb nergens meer zin in",
    "ik zie geen uitweg",
    "mijn leven is een hel",
    "mijn leven is kut",
    "ik ben klaar met het leven",
    "ik ben moe van het leven",
    # feeling very bad
    "ik voel me echt kut",
    "ik voel me kut",
    "ik voel me k*t",
    "ik voel me zo klote",
    "ik voel me kk slecht",
    "ik voel me heel slecht",
    "ik voel me leeg",
    "ik voel me waardeloos",
    "voel me echt super down",
    "het gaat echt slecht met me",
    "het gaat niet goed met me",
    "ik ben depressief",
    "ik denk dat ik een depressie heb",
    "ik ben zo depri",
    "ik ben depresief",
    "ik huil elke dag",
    "ik huil mezelf in slaap",
    "ik ben kapot van binnen",
    "ik heb steeds paniekaanvallen",
    "ik heb zwarte gedachten",
    # bullying / abuse
    "ik word gepest",
    "ik wordt gepest",
    "ik word elke dag gepest",
    "ik word gepest op school",
    "ze pesten me",
    "ze pesten mij de hele tijd",
    "ik word online gepest",
    "ik word uitgescholden in de klas",
    "ze lachen me altijd uit",
    "ik word buitengesloten",
    "mijn vader slaat me",
    "mn ouders slaan me",
    "er zijn nudes van mij rondgestuurd",
    # English / slang
    "i want to die",
    "i wanna die",
    "kms",
    "i hate myself",
    "im depressed",
    "moet ik 113 bellen",
]

# Phrasings we accept may be left to DIET (the classifier has similar examples in
# data/nlu/safety.yml); the keyword net is not expected to catch them.
LEFT_TO_DIET = [
    "ik ben er klaar mee",
    "ik ben bang thuis",
    "ik voel me niet veilig thuis",
    "ik heb pillen verzameld",
    "ik vind het leven niet meer leuk",
    "niemand wil met me praten op school",
    "kan ik met iemand praten",
]

# Normal messages of a pupil: answers, questions, chitchat. Never distress.
NORMAL = [
    "ik twijfel",
    "ik twijfel nog steeds",
    "twijfel nog steeds",
    "ik twijfel heel erg",
    "ik vind wiskunde moeilijk",
    "dood saai",
    "dit is dood saai",
    "doodsaai",
    "ik ben doodmoe",
    "ik wil doodgewoon techniek doen",
    "klas 3",
    "4 havo",
    "ik zit in 6 vwo",
    "ik studeer werktuigbouwkunde",
    "altijd voetbal gedaan",
    "van alles geprobeerd, judo, piano, hockey",
    "lego en solderen",
    "alleen NT",
    "alleen N&T",
    "ik heb alleen naar NT gekeken",
    "ik ben alleen geïnteresseerd in techniek",
    "N&T omdat het het moeilijkst is",
    "ik heb NG en NT vergeleken",
    "EM",
    "wiskunde D erbij voor de uitdaging",
    "3 open dagen",
    "zeven",
    "geen",
    "ook economie bekeken",
    "alleen technische",
    "ik twijfel nooit",
    "uitdaging",
    "gezelligheid en afwisseling",
    "winnen",
    "techniek zelf",
    "ik weet precies wat ik wil",
    "ik haat verliezen",
    "verliezen vind ik echt vreselijk lol",
    "ik wilde na een half jaar stoppen",
    "eerste jaar twijfelde ik of ik moest stoppen",
    "ik kan niet kiezen tussen NT en NG",
    "ik kan niet meer wiskunde B kiezen",
    "ik wil geen economie meer",
    "ik heb geen zin in school",
    "ik heb geen zin meer in deze vragen, hoeveel nog?",
    "heeft het zin om naar open dagen te gaan",
    "heeft het zin om wiskunde D te nemen",
    "het heeft geen zin om naar tien open dagen te gaan",
    "wat is de zin van het leven",
    "hoe gaat het",
    "haha",
    "lol",
    "saai",
    "ik ben moe",
    "ik ben slecht in wiskunde",
    "ik vind het slecht dat je dat vraagt",
    "je bent dom",
    "kutbot",
    "stomme bot",
    "ik haat je",
    "ik haat school",
    "je bent waardeloos",
    "ik ben er helemaal klaar voor",
    "ik ben klaar met de vragen",
    "nee",
    "weet ik niet",
    "geen idee",
    "ik word later ingenieur",
    "ik word er blij van",
    "ik word gek van wiskunde haha",
    "ze zeggen dat NT zwaar is",
    "mijn vader is ingenieur",
    "mijn broer zit in delft",
    "ik ga ophangen, doei",
    "heeft joost ooit getwijfeld?",
    "wat deed tim na zijn studie",
    "hoe laat is het",
    "opnieuw beginnen",
    "ik wil een robot bouwen",
    "ik speel graag dood of levend in fortnite",
    "levensmiddelentechnologie",
    "ik wil gepast reageren",
    "ik ging dood van het lachen",  # may pass either way; it currently does not fire
]


@pytest.mark.parametrize("text", DISTRESS)
def test_distress_examples_mostly_detected(text):
    # Individually informative; the share is asserted below.
    if not is_distress(text):
        pytest.xfail(f"left to DIET: {text!r}")


def test_distress_share_at_least_95_percent():
    assert len(DISTRESS) >= 100
    missed = [t for t in DISTRESS if not is_distress(t)]
    share = 1 - len(missed) / len(DISTRESS)
    assert share >= 0.95, f"safety net caught {share:.0%}; missed: {missed}"


@pytest.mark.parametrize("text", NORMAL)
def test_normal_messages_not_detected(text):
    assert not is_distress(text), f"{text!r} -> {distress_reason(text)} ({normalize(text)!r})"


def test_at_least_60_normal_messages():
    assert len(NORMAL) >= 60


def test_left_to_diet_are_in_training_data_or_documented():
    # These are documented here as DIET's job; keep them out of the must-catch list.
    assert not set(LEFT_TO_DIET) & set(DISTRESS)


def test_normalize():
    assert normalize("Ik  WIL dóóóód!!!") == "ik wil dod"
    assert normalize("zelfm00rd") == "zelfmord"
    assert normalize("k*t") == "kut"
    assert normalize("") == ""
    assert normalize(None) == ""  # type: ignore[arg-type]
    assert not is_distress("")
    assert not is_distress("   ")
    assert not is_distress("👍")


def _examples(intent_filter):
    out = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in doc.get("nlu", []):
            if "intent" in block and intent_filter(block["intent"]):
                for line in block["examples"].splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        text = re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", line[2:])
                        out.append((block["intent"], text))
    return out


def test_no_training_example_of_another_intent_triggers():
    hits = [(i, t, distress_reason(t)) for i, t in _examples(lambda i: i != "distress") if is_distress(t)]
    assert not hits


def test_training_distress_examples_mostly_caught():
    examples = _examples(lambda i: i == "distress")
    assert len(examples) >= 80
    missed = [t for _, t in examples if not is_distress(t)]
    assert 1 - len(missed) / len(examples) >= 0.9, missed


# ---------------------------------------------------------------- Rasa component


def _message(text, intent="inform", confidence=0.93):
    from rasa.shared.nlu.training_data.message import Message

    msg = Message(data={"text": text})
    msg.set("intent", {"name": intent, "confidence": confidence})
    msg.set(
        "intent_ranking",
        [
            {"name": intent, "confidence": confidence},
            {"name": "chitchat", "confidence": 1 - confidence},
        ],
    )
    return msg


def _component():
    from bot.plugins.nlu_safety import SafetyNetClassifier

    return SafetyNetClassifier.create(SafetyNetClassifier.get_default_config(), None, None, None)


def test_component_sets_distress_intent():
    msg = _message("ik zie het nt meer zitten", intent="chitchat", confidence=0.55)
    [out] = _component().process([msg])
    assert out.get("intent") == {"name": "distress", "confidence": 1.0}
    ranking = out.get("intent_ranking")
    assert ranking[0] == {"name": "distress", "confidence": 1.0}
    assert [r["name"] for r in ranking].count("distress") == 1
    assert "chitchat" in [r["name"] for r in ranking]


def test_component_keeps_existing_distress_single_in_ranking():
    msg = _message("zelfmoort", intent="distress", confidence=0.6)
    [out] = _component().process([msg])
    assert out.get("intent")["confidence"] == 1.0
    assert [r["name"] for r in out.get("intent_ranking")] == ["distress", "chitchat"]


@pytest.mark.parametrize(
    ("text", "forced", "other"),
    [
        ("ik ben heel erg eenzaam en verdrietig", "check_in", "distress"),
        ("ik wil niet meer leven", "distress", "check_in"),
    ],
)
def test_a_forced_safety_intent_is_never_ambiguous_for_the_fallback_classifier(text, forced, other):
    """DIET's own guess of the other tier (0.95) next to the forced 1.0 made the FallbackClassifier answer
    "sorry, dat snap ik niet" to a lonely pupil."""
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

    msg = _message(text, intent=other, confidence=0.95)
    msg.set(
        "intent_ranking",
        [
            {"name": other, "confidence": 0.95},
            {"name": forced, "confidence": 0.9},
            {"name": "inform", "confidence": 0.9},
        ],
    )
    [out] = _component().process([msg])
    ranking = out.get("intent_ranking")
    assert ranking[0] == {"name": forced, "confidence": 1.0}
    assert other not in [r["name"] for r in ranking]
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    fallback_config = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    fallback = FallbackClassifier({**FallbackClassifier.get_default_config(), **fallback_config})
    [out] = fallback.process([out])
    assert out.get("intent")["name"] == forced


def test_component_leaves_normal_messages_alone():
    msg = _message("ik twijfel nog steeds", intent="inform", confidence=0.9)
    [out] = _component().process([msg])
    assert out.get("intent") == {"name": "inform", "confidence": 0.9}


def test_component_ignores_payloads_and_empty_text():
    from rasa.shared.nlu.training_data.message import Message

    payload = _message('/answer{"option": "doubt.still"}', intent="inform")
    empty = Message(data={})
    out = _component().process([payload, empty])
    assert out[0].get("intent")["name"] == "inform"
    assert out[1].get("intent") is None


def test_component_is_registered_in_config():
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["pipeline"]]
    i = names.index("bot.plugins.nlu_safety.SafetyNetClassifier")
    assert names.index("LogisticRegressionClassifier") < i < names.index("FallbackClassifier")


# ---------------------------------------------------------------- two tiers

EXPLICIT = [
    "ik wil niet meer leven",
    "ik wil dood",
    "ik denk aan zelfmoord",
    "ik snij mezelf",
    "ik word thuis geslagen",
    "ik ben misbruikt",
    "ik zie het niet meer zitten",
    "iedereen is beter af zonder mij",
]
MILD = [
    "ik ben heel erg eenzaam en verdrietig",
    "het gaat niet zo goed met me",
    "ik voel me rot",
    "ik heb zoveel stress",
    "ik word gepest",
    "ik zit niet lekker in mijn vel",
    "ik heb het zwaar",
    "niemand snapt me",
]
# Ordinary answers that an earlier version (or DIET) treated as a crisis.
ORDINARY = [
    "nee, meer creatief",
    "ja, ik wilde mezelf uitdagen",
    "een beetje, maar niet meer dan mijn vrienden",
    "vrienden zijn heel belangrijk voor me",
    "weinig, ik ben meer thuis aan het bouwen",
    "nee, niet meer sinds ik het uitgezocht heb",
    "eigenlijk altijd dezelfde hobby gehad",
    "nog helemaal open",
    "ik zie het niet zitten om naar drie open dagen te gaan",
    "ik ben altijd alleen aan het bouwen",
    "ik heb veel stress voor de toetsen maar het gaat prima",
    "ik ben bang dat ik de verkeerde studie kies",
    "ik heb het moeilijk gehad met kiezen",
    "doodsaai vond ik dat",
    "ik wil niet meer twijfelen",
]


@pytest.mark.parametrize("text", EXPLICIT)
def test_explicit_signals_get_the_full_referral(text: str) -> None:
    assert assess(text).tier == CRISIS, assess(text)


@pytest.mark.parametrize("text", MILD)
def test_mild_signals_get_a_check_in(text: str) -> None:
    assert assess(text).tier == CHECK_IN, assess(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_answers_get_neither(text: str) -> None:
    assert assess(text).tier is None, assess(text)


def test_only_the_start_of_a_huge_message_is_read_and_only_short_texts_are_cached() -> None:
    huge = "ik vind techniek leuk " * 50_000 + " ik wil dood"
    assert assess(huge).tier is None  # the signal lies beyond MAX_ANALYSED_CHARS
    assert assess("ik wil dood " + "x" * 10_000).tier == CRISIS
    before = _assess_short.cache_info().currsize
    assess("een lange tekst " * 100)
    assert _assess_short.cache_info().currsize == before


def test_component_sets_check_in_for_mild_signals() -> None:
    [out] = _component().process([_message("het gaat niet zo goed met me", intent="inform")])
    assert out.get("intent") == {"name": "check_in", "confidence": 1.0}


def test_component_demotes_an_unfounded_distress_guess_of_the_classifier() -> None:
    """DIET once said distress for this ordinary answer; without the net's signal the runner-up intent wins."""
    [out] = _component().process([_message("ja, ik wilde mezelf uitdagen", intent="distress", confidence=0.7)])
    assert out.get("intent")["name"] == "chitchat"
    assert "distress" not in [r["name"] for r in out.get("intent_ranking")]
