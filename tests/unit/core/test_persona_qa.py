"""Questions pupils ask the alumni after the reveal (bot/core/persona_qa.py and its content files): the route each
question takes, the yes/no facts, comparisons, "waarom (niet) hij?", honest replies, and broken content."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import ROOT
from bot.core.content import ContentError, get_personas, get_questionnaire, load_reveal_texts
from bot.core.model import differences, match, score
from bot.core.persona_qa import Asked, explain_term, find_topic, load_topics, named_personas, respond
from bot.core.qa_content import FACTS_PATH, ROUTES_PATH, get_facts, get_routes, load_facts, load_routes
from bot.core.qa_match import Pattern
from bot.core.qa_why import changed_answers, why_not_text
from bot.core.reveal import why_text
from bot.core.text import words

SEED = Path("/work/shared/seed/000_e56b72cf9cd39739.txt")
BENCHMARK = ROOT / "benchmarks" / "questions.yml"
PERSONAS = get_personas()


def ask(text: str, match_id: str = "joost", intent: str | None = None, **extra: Any):
    answers = dict(PERSONAS[match_id].demo_answers)
    return respond(Asked(text, persona=match_id, intent=intent, answers=answers, stage=answers["stage"], **extra))


def card_sentences() -> list[str]:
    """Every sentence of every card text, to prove an answer is not a piece of a card."""
    found: list[str] = []
    for persona in PERSONAS.values():
        for text in (persona.intro, persona.doubt, persona.motives_text, *(p.text for p in persona.phases)):
            found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 4]
    return found


# ------------------------------------------------------------------ patterns


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("studie gekozen", "hoe heb je je studie gekozen", True),
        ("studie gekozen", "hoe heb je je studie echt gekozen", True),  # one word may sit in between
        ("koos techniek", "waarom koos je voor nt als je niet van techniek hield", False),  # not seven
        ("stoppen met * techniek", "ooit overwogen te stoppen met de hele techniek", True),
        ("twijfel* * kiezen", "twijfelde je toen je je studie moest kiezen", True),
        ("studentenvereniging", "was je lid van een studentenverenging", True),  # one typo in a long word
        ("studies", "hoe ging je studie", False),  # a short word is no typo of a longer one
        ("open dag*", "hoeveel opendagen", False),
        ("opendag*", "hoeveel opendagen", True),
        ("n&t", "had je nt", True),
    ],
)
def test_patterns(pattern: str, text: str, found: bool) -> None:
    assert Pattern.parse(pattern).found_in(words(text)) is found


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("wat deed joostje vroeger", ["joost"]),
        ("is luk ook ingenieur", ["luuk"]),
        ("en tiem dan", ["tim"]),
        ("wat is het verschil tussen luuk en tim", ["luuk", "tim"]),
        ("hoeveel tijd kost een studie", []),
        ("wat doe je in je vrije tijd", []),
    ],
)
def test_names_and_pet_forms_are_found_common_words_are_not(text: str, named: list[str]) -> None:
    assert named_personas(text, PERSONAS) == named


# ------------------------------------------------------------------ routes (phrasings written for this test)

ROUTES = [
    ("joost", "wat voor speelgoed had je vroeger", "card:joost:childhood"),
    ("joost", "waarom nt en niet iets anders", "card:joost:secondary"),
    ("joost", "hoeveel open dagen heb je gedaan", "card:joost:study_choice"),
    ("joost", "hoe was het studeren voor jou", "card:joost:during_study"),
    ("joost", "waar liep je stage", "card:joost:internship_graduation"),
    ("joost", "wat doe je nu precies voor werk", "card:joost:first_job"),
    ("joost", "heb je weleens getwijfeld", "card:joost:doubt"),
    ("joost", "wat motiveert jou", "card:joost:motives"),
    ("joost", "wie ben jij eigenlijk", "card:joost:intro"),
    ("joost", "wat deed luuk na zijn studie", "card:luuk:first_job"),
    ("joost", "hoe koos tim zijn profiel", "card:tim:secondary"),
    ("luuk", "hoe heb je je studie uitgekozen", "card:luuk:study_choice"),
    ("luuk", "wat voor kind was tim", "card:tim:childhood"),
    ("tim", "wat deed je tijdens je master", "card:tim:during_study"),
    ("tim", "waarom koos jij techniek", "card:tim:study_choice"),
    ("tim", "wie is luuk", "card:luuk:intro"),
    ("joost", "wie van jullie had de meeste twijfels", "compare:doubt"),
    ("joost", "wie ging er naar de minste open dagen", "compare:open_days"),
    ("joost", "waarin verschillen luuk en tim", "compare:general"),
    ("joost", "wie heeft het beste gescoord op de uni, jij of tim", "compare:grades"),
    ("joost", "zijn jullie alle drie ingenieur geworden", "compare:work"),
    ("luuk", "wie van de drie vindt uitdaging het belangrijkst", "compare:challenge"),
    ("tim", "wie van jullie drie is het meest ambitieus", "compare:ambition"),
    ("tim", "wat is het verschil tussen jou en joost", "compare:general"),
    ("joost", "waarom niet tim?", "why:tim"),
    ("joost", "waarom ben ik geen luuk", "why:luuk"),
    ("joost", "waarom kom ik bij jou uit", "why:joost"),
    ("luuk", "wat zorgde ervoor dat ik luuk ben", "why:luuk"),
    ("tim", "waarom tim?", "why:tim"),
    ("joost", "deed je mee aan een dispuut", "yesno:joost:student_society:unknown"),
    ("joost", "werk je nog steeds in de techniek", "yesno:joost:technical_workplace:yes"),
    ("joost", "heb je alleen technische open dagen bezocht", "yesno:joost:technical_open_days_only:yes"),
    ("luuk", "ging je ook naar open dagen van economie", "yesno:luuk:economics_open_days:yes"),
    ("luuk", "heb je lang over je studie gedaan", "yesno:luuk:studied_longer:yes"),
    ("luuk", "werk je nu als consultant", "yesno:luuk:consultant:no"),
    ("tim", "had je een netwerk tijdens je studie", "yesno:tim:networked:yes"),
    ("tim", "heb je ooit spijt gehad", "yesno:tim:regret:unknown"),
    ("joost", "was joost lid van een studentenvereniging?", "yesno:joost:student_society:unknown"),
    ("tim", "was luuk lid van een studentenvereniging", "yesno:luuk:student_society:yes"),
    ("joost", "wat is een master?", "glossary:master"),
    ("joost", "wat betekent bsa", "glossary:bindend studieadvies"),
    ("luuk", "wat houdt een studiekeuzecheck in", "glossary:studiekeuzecheck"),
    ("tim", "wat doet een consultant", "glossary:consultant"),
    ("tim", "consultancy?", "glossary:consultancy"),
    ("joost", "kan ik ook naar het hbo?", "hbo:general"),
    ("joost", "kan ik met een mbo diploma naar het hbo", "hbo:mbo"),
    ("joost", "is het hbo makkelijker dan de universiteit", "hbo:hbo_or_wo"),
    ("luuk", "mag ik stoppen met mijn studie als het niks is", "hbo:switching"),
    ("tim", "kan ik na havo naar de tu delft", "hbo:havo_to_university"),
    ("joost", "wat is de beste pizza", "offtopic"),
    ("joost", "hoe heet je vriendin", "offtopic"),
    ("joost", "kun jij mijn huiswerk maken", "offtopic"),
    ("luuk", "hoe oud ben jij", "offtopic"),
    ("tim", "hoeveel uur werk je per week", "offtopic"),
    ("tim", "wat is 5 keer 5", "offtopic"),
]


@pytest.mark.parametrize(("match_id", "text", "source"), ROUTES, ids=[r[1] for r in ROUTES])
def test_route_by_the_words(match_id: str, text: str, source: str) -> None:
    assert ask(text, match_id).source == source


@pytest.mark.parametrize("intent", ["ask_persona", "ask_why", "meet_other", "compare_personas", "ask_term"])
def test_a_misread_intent_does_not_change_a_clear_question(intent: str) -> None:
    for match_id, text, source in ROUTES:
        if not source.startswith("card:"):
            got = ask(text, match_id, intent=intent).source
            assert got == source, (intent, text, got)


# ------------------------------------------------------------------ the issue's examples


def test_why_tim_is_about_tim_not_about_the_match() -> None:
    reply = ask("waarom tim eigenlijk?", "joost", intent="ask_why")
    assert reply.source == "why:tim"
    assert "Waarom Joost?" not in reply.text and "Tim" in reply.text
    assert 2 <= reply.text.count("• ") <= 3


def test_student_society_is_a_yes_no_answer_never_the_introduction() -> None:
    joost = ask("was joost lid van een studentenvereniging?", "joost", intent="ask_persona")
    assert joost.text.startswith("Dat weet ik niet") and PERSONAS["joost"].intro not in joost.text
    luuk = ask("was luuk lid van een studentenvereniging?", "joost", intent="ask_persona")
    assert luuk.text.startswith("Luuk: Ja")


def test_highest_grades_names_tims_cum_laude() -> None:
    reply = ask("wie van de drie had de hoogste cijfers", "joost", intent="out_of_scope")
    assert reply.source == "compare:grades" and "cum laude" in reply.text


@pytest.mark.parametrize("word", ["master", "hbo", "N&T", "consultant", "studiekeuzecheck", "meeloopdag"])
def test_glossary_words_from_the_issue(word: str) -> None:
    reply = ask(f"wat is {word}?", "joost", intent="out_of_scope")
    assert reply.source.startswith("glossary:"), reply


def test_hbo_answer_points_to_the_decaan_and_says_the_alumni_took_another_route() -> None:
    reply = ask("kan ik ook naar het hbo?", "joost", intent="help")
    assert reply.source.startswith("hbo:")
    assert "decaan" in reply.text and "niet via het hbo" in reply.text


# ------------------------------------------------------------------ honest replies


OFF_TOPIC = [
    "wie wint het wk",
    "wat is de hoofdstad van peru",
    "hoeveel verdient tim",
    "waar woont luuk",
    "welke telefoon heb jij",
    "wat is 12 keer 13",
    "heb je kinderen",
    "hoe laat is het",
]


@pytest.mark.parametrize("intent", [None, "out_of_scope", "chitchat", "ask_persona", "inform", "nlu_fallback"])
def test_off_topic_is_never_a_piece_of_a_card(intent: str | None) -> None:
    sentences = card_sentences()
    for text in OFF_TOPIC:
        reply = ask(text, "luuk", intent=intent)
        assert reply.source in ("offtopic", "none"), (text, intent, reply.source)
        assert not any(sentence in reply.text for sentence in sentences), (text, reply.text)
        if reply.source == "offtopic":
            assert "weet ik niks van" in reply.text


def test_a_definition_of_an_unknown_word_is_honest() -> None:
    reply = ask("wat is een hypotheek", "tim")
    assert reply.source == "offtopic" and "ken ik niet" in reply.text


def test_social_messages_and_plain_replies_are_left_to_the_usual_reply() -> None:
    for text, intent in [("hoe gaat het met je", "chitchat"), ("haha", "chitchat"), ("ja", "affirm"), ("", None)]:
        assert ask(text, "tim", intent=intent).source == "none", text


def test_button_payloads_use_the_intent() -> None:
    assert ask("/ask_why", "luuk", intent="ask_why").source == "why:luuk"
    meet = ask("/meet_other", "luuk", intent="meet_other")
    assert meet.source == "meet" and meet.others == ("joost", "tim")
    assert ask('/ask_persona{"persona": "tim"}', "luuk", intent="ask_persona", persona_entity="tim").source == (
        "card:tim:intro"
    )


def test_before_the_reveal_why_is_postponed_and_cards_are_not_read() -> None:
    reply = respond(Asked("waarom niet tim", persona=None, intent="ask_why"))
    assert reply.source == "why:tim" and reply.response == "utter_not_revealed_yet"  # one wording, in the domain
    assert respond(Asked("wat is een minor", persona=None, intent="ask_term")).source == "glossary:minor"


def test_explain_term_during_the_questions_never_reads_a_card() -> None:
    assert explain_term("wat is een propedeuse?").source == "glossary:propedeuse"
    assert explain_term("kan ik met havo naar de uni").source.startswith("hbo:")
    assert explain_term("wat deed tim na zijn studie").source == "offtopic"


def test_a_story_question_about_another_alumnus_is_answered_from_his_card() -> None:
    text = respond(Asked("wat deed Tim na zijn studie?", "joost", "ask_persona", persona_entity="tim")).text
    assert text.startswith("Tim") and PERSONAS["tim"].phase("first_job").text in text
    assert PERSONAS["joost"].doubt in respond(Asked("heeft joost ooit getwijfeld", "joost", "ask_persona")).text


def test_find_topic_reads_rare_card_words_for_the_person() -> None:
    # "netwerk" is only in Tim's study part; "adviesbureau" only in his first job.
    assert find_topic("hoe bouwde jij een netwerk op", persona=PERSONAS["tim"]) == "during_study"
    assert find_topic("waarom een adviesbureau", persona=PERSONAS["tim"]) == "first_job"
    assert find_topic("heb je ooit getwijfeld aan je studie keuze", persona=PERSONAS["luuk"]) == "doubt"
    assert find_topic("hoe koos je je master en je stage", persona=PERSONAS["luuk"]) == "internship_graduation"


# ------------------------------------------------------------------ why (not) him


def answers_with_fit(fit: str) -> dict[str, Any]:
    """A pupil (stage student) whose answers give this fit, found by a seeded search, not written by hand."""
    questionnaire = get_questionnaire()
    rng = random.Random(15)
    questions = [q for q in questionnaire.questions_for("student") if q.id != "stage"]
    for _ in range(5000):
        answers: dict[str, Any] = {"stage": "student"}
        for question in questions:
            ids = [o.id for o in question.options] + ["dont_know"] * (6 if fit == "insufficient" else 0)
            chosen = rng.choice(ids)
            answers[question.id] = [chosen] if question.multi and chosen != "dont_know" else chosen
        if match(score(answers, questionnaire, "student")).fit == fit:
            return answers
    raise AssertionError(f"no answers with fit {fit}")


@pytest.mark.parametrize("match_id", ["joost", "luuk", "tim"])
def test_why_not_names_answers_that_move_the_pupil_towards_him(match_id: str) -> None:
    answers = dict(PERSONAS[match_id].demo_answers)
    questionnaire = get_questionnaire()
    scores = score(answers, questionnaire, "student")
    assert match(scores).persona_id == match_id
    for other in PERSONAS:
        if other == match_id:
            continue
        found = differences(scores, other, questionnaire, PERSONAS, limit=3)
        assert 2 <= len(found) <= 3, (match_id, other)
        assert [d.gain for d in found] == sorted((d.gain for d in found), reverse=True)
        before = match(scores).distances[other]
        after = match(score(changed_answers(answers, found, questionnaire), questionnaire, "student")).distances[other]
        assert after < before
        reply = ask(f"waarom niet {PERSONAS[other].name}?", match_id, intent="ask_why")
        assert reply.source == f"why:{other}"
        bullets = [line for line in reply.text.splitlines() if line.startswith("• ")]
        assert len(bullets) == len(found)
        for change, line in zip(found, bullets, strict=True):
            assert f"'{change.label}'" in line and "jij koos '" in line


@pytest.mark.parametrize(
    ("fit", "expect"), [("weak", ""), ("diffusion", "geen van de drie"), ("insufficient", "weet ik niet")]
)
def test_why_texts_are_honest_about_a_weak_diffuse_or_thin_fit(fit: str, expect: str) -> None:
    answers = answers_with_fit(fit)
    questionnaire = get_questionnaire()
    scores = score(answers, questionnaire, "student")
    result = match(scores)
    nearest = result.persona_id
    asked = {"persona": nearest, "answers": answers, "stage": "student"}
    mine = respond(Asked("waarom hij?", intent="ask_why", **asked))
    assert mine.source == f"why:{nearest}"
    assert mine.text == why_text(PERSONAS[nearest], result, "student", personas=PERSONAS, scores=scores)
    assert not mine.text.startswith(f"Waarom {PERSONAS[nearest].name}? Je lijkt op hem")
    other = result.runner_up if fit == "weak" else next(p for p in PERSONAS if p != nearest)
    reply = respond(Asked(f"waarom niet {PERSONAS[other].name}", intent="ask_why", **asked))
    assert reply.source == f"why:{other}"
    assert (expect or "scheelde maar weinig") in reply.text.splitlines()[0]


def test_why_with_a_good_fit_keeps_the_reveal_wording() -> None:
    assert ask("waarom hij?", "luuk", intent="ask_why").text.startswith("Waarom Luuk? Je lijkt op hem, want je ")


def test_why_not_wording_comes_from_the_reveal_file(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "content" / "reveal.yml").read_text(encoding="utf-8"))
    data["why_not"]["heading"] = "Anders dan {name}:"
    path = tmp_path / "reveal.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    answers = dict(PERSONAS["joost"].demo_answers)
    questionnaire = get_questionnaire()
    scores = score(answers, questionnaire, answers["stage"])
    result = match(scores)
    found = differences(scores, "luuk", questionnaire, PERSONAS, limit=3)
    assert found and result.persona_id != "luuk"
    text = why_not_text(
        PERSONAS["luuk"], PERSONAS[result.persona_id], result, found, result, answers["stage"], {}, PERSONAS,
        questionnaire, load_reveal_texts(path),
    )  # fmt: skip
    assert "Anders dan Luuk:" in text.splitlines()


def test_every_question_has_a_short_name_for_why_not() -> None:
    names = get_facts().question_names
    missing = [q.id for q in get_questionnaire().questions if q.id != "stage" and q.id not in names]
    assert not missing, missing


# ------------------------------------------------------------------ content


def test_benchmark_yes_no_facts_agree_with_the_facts_file() -> None:
    facts = get_facts().facts
    data = yaml.safe_load(BENCHMARK.read_text(encoding="utf-8"))
    for block in data["blocks"]:
        for question in block["questions"]:
            if question["source"].startswith("yesno:"):
                _, persona, fact, expected = question["source"].split(":")
                assert fact in facts, fact
                assert facts[fact].answers[persona].answer == expected, question


def test_every_known_answer_starts_with_its_answer_and_unknown_says_so() -> None:
    for fact in get_facts().facts.values():
        for persona, said in fact.answers.items():
            if said.answer == "unknown":
                assert not said.say.lower().startswith(("ja", "nee")), (fact.id, persona)
                continue
            first = said.say.split()[0].strip(",.!").lower()
            lead = {"yes": {"ja"}, "no": {"nee", "bijna", "nog"}, "partly": {"soms"}}[said.answer]
            assert first in lead, (fact.id, persona, said.say)


@pytest.mark.parametrize("persona", ["joost", "luuk", "tim"])
def test_unknown_facts_are_answered_honestly_not_with_the_introduction(persona: str) -> None:
    for text in ("heb je stage gelopen in het buitenland", "zat je in het bestuur van een vereniging"):
        reply = ask(text, persona, intent="ask_persona")
        assert reply.source.startswith(f"yesno:{persona}:") and reply.source.endswith(":unknown"), reply
        assert reply.text.startswith("Dat weet ik niet") and PERSONAS[persona].intro not in reply.text


def test_texts_are_plain_dutch_and_short() -> None:
    facts, routes = get_facts(), get_routes()
    texts = [s.say for f in facts.facts.values() for s in f.answers.values() if s.say]
    texts += [a.lead for a in facts.aspects.values()] + [t for a in facts.aspects.values() for t in a.lines.values()]
    texts += [t for a in facts.aspects.values() for t in a.pairs.values()]
    texts += [t.text for t in routes.topics.values()] + [routes.note, routes.decaan]
    sentences = [s for text in texts for s in re.split(r"(?<=[.!?])\s+", text) if s]
    assert sum(len(s.split()) for s in sentences) / len(sentences) <= 12
    for text in texts:
        assert "persona" not in text.lower() and " u " not in f" {text.lower()} ", text


@pytest.mark.skipif(not SEED.exists(), reason="seed text not available")
def test_no_seven_word_overlap_with_the_source() -> None:
    def ngrams(text: str, n: int = 7) -> set[tuple[str, ...]]:
        found = words(text)
        return {tuple(found[i : i + n]) for i in range(len(found) - n + 1)}

    seed = ngrams(SEED.read_text(encoding="utf-8"))
    for path in (FACTS_PATH, ROUTES_PATH, ROOT / "content" / "persona_topics.yml", ROOT / "data" / "nlu" / "qa.yml"):
        overlap = seed & ngrams(path.read_text(encoding="utf-8"))
        assert not overlap, (path.name, overlap)


def _broken(tmp_path: Path, source: Path, edit) -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "key", "fragment"),
    [
        (lambda d: d["facts"]["master"].pop("tim"), "facts.master.tim", "missing"),
        (lambda d: d["facts"]["master"]["tim"].update(answer="misschien"), "facts.master.tim.answer", "expected"),
        (lambda d: d["facts"]["master"]["luuk"].pop("say"), "facts.master.luuk.say", "reason"),
        (lambda d: d["facts"]["master"].update(topic="school"), "facts.master.topic", "unknown topic"),
        (lambda d: d["facts"]["master"].update(ask=["Master"]), "facts.master.ask[0]", "lowercase"),
        (lambda d: d["compare"]["doubt"]["lines"].pop("joost"), "compare.doubt.lines.joost", "missing"),
        (lambda d: d["compare"].pop("general"), "compare.general", "missing"),
        (lambda d: d["compare"]["general"]["pairs"].update(joost_joost="x."), "compare.general.pairs.joost_joost", ""),
        (lambda d: d["questions"].update(hobbys="Hobby's"), "questions.hobbys", "not a question"),
        (lambda d: d.update(extra=1), "<root>.extra", "unknown key"),
        (lambda d: d["replies"].pop("offtopic"), "replies.offtopic", "missing"),
        (lambda d: d["replies"].update(offtopic="Vraag {naam}."), "replies.offtopic", "unknown placeholder {naam}"),
        (lambda d: d["replies"].update(unknown_fact="Vraag {name maar."), "replies.unknown_fact", "broken"),
    ],
)
def test_broken_facts_name_file_and_key(tmp_path: Path, edit, key: str, fragment: str) -> None:
    path = _broken(tmp_path, FACTS_PATH, edit)
    with pytest.raises(ContentError) as info:
        load_facts(path)
    assert str(info.value).startswith(f"persona_facts.yml: {key}: ") and fragment in str(info.value)


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda d: d["topics"]["mbo"].pop("text"), "topics.mbo.text"),
        (lambda d: d["topics"]["mbo"].update(text="Een. Twee. Drie. Vier."), "topics.mbo.text"),
        (lambda d: d["topics"]["mbo"].update(text="zonder punt"), "topics.mbo.text"),
        (lambda d: d.pop("decaan"), "<root>.decaan"),
    ],
)
def test_broken_routes_name_file_and_key(tmp_path: Path, edit, key: str) -> None:
    with pytest.raises(ContentError) as info:
        load_routes(_broken(tmp_path, ROUTES_PATH, edit))
    assert str(info.value).startswith(f"hbo.yml: {key}: ")


def test_a_misspelt_topic_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "persona_topics.yml"
    path.write_text("childood: [vroeger]\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"^persona_topics.yml: childood: unknown topic"):
        load_topics(path)
