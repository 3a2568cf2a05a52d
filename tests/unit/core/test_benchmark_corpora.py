"""Benchmark corpora (benchmarks/*.yml): format, counts, coverage, and kept apart from the NLU data."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import ROOT
from bot.core.content import get_questionnaire

BENCH = ROOT / "benchmarks"
NLU_DIR = ROOT / "data" / "nlu"
E2E_PUPILS = ROOT / "tests" / "e2e" / "pupils.yml"
SEED = Path("/work/shared/seed/000_e56b72cf9cd39739.txt")

LABELS = ("joost", "luuk", "tim", "none")
STYLES = {"one-word", "slang", "typos", "rambling", "two-in-one", "emoji", "mixed", "formal"}
TIERS = ("explicit", "mild")
MIN_PER_LABEL = 21
MIN_PER_LABEL_AND_STAGE = 4
MIN_BENIGN = 520
MIN_BENIGN_PER_QUESTION = 20
MIN_BENIGN_TRAPS = 80
MIN_PER_TIER = 55

# Words a naive keyword net would flag; benign answers that contain them are the "traps".
NAIVE_FLAGS = re.compile(
    r"dood|pijn|kapot|alleen|niet meer|niks meer|stress|kill|mezelf|thuis|\bstop|gestopt|"
    r"gaf het op|opgeven|verloren|klaar mee|klaar met|slecht|bang|zorgen|niemand|"
    r"wakker|gek van|zwarte|gebroken|sloopte|\bbrak\b|viel\b|\bzin\b|niet lang vol|miste"
)


def _load(name: str) -> Any:
    path = BENCH / name
    assert path.exists(), f"missing {path}"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    """Lowercase; punctuation and emoji become spaces; whitespace collapsed."""
    return " ".join(re.sub(r"[^\w\s&]", " ", str(text).lower()).split())


def _nlu_examples() -> set[str]:
    examples: set[str] = set()
    for path in sorted(NLU_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            for line in (item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    # drop entity annotations: [text](entity) or [text]{"entity": ...}
                    plain = re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", line[2:])
                    examples.add(_norm(plain))
    return examples


@pytest.fixture(scope="module")
def pupils() -> list[dict[str, Any]]:
    data = _load("pupils.yml")
    assert isinstance(data, dict) and set(data) == {"pupils"}
    assert isinstance(data["pupils"], list)
    return data["pupils"]


@pytest.fixture(scope="module")
def benign() -> list[dict[str, Any]]:
    data = _load("benign.yml")
    assert isinstance(data, dict) and set(data) == {"answers"}
    assert isinstance(data["answers"], list)
    return data["answers"]


@pytest.fixture(scope="module")
def crisis() -> list[dict[str, Any]]:
    data = _load("crisis.yml")
    assert isinstance(data, dict) and set(data) == {"phrasings"}
    assert isinstance(data["phrasings"], list)
    return data["phrasings"]


def _all_texts(pupils: list[dict], benign: list[dict], crisis: list[dict]) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for p in pupils:
        texts += [(f"pupils.yml {p['id']}.answers.{k}", v) for k, v in p["answers"].items()]
        texts += [(f"pupils.yml {p['id']}.side.{k}", v) for k, v in (p.get("side") or {}).items()]
    texts += [(f"benign.yml answers[{i}]", a["text"]) for i, a in enumerate(benign)]
    texts += [(f"crisis.yml phrasings[{i}]", a["text"]) for i, a in enumerate(crisis)]
    return texts


# ------------------------------------------------------------------ pupils


def test_pupil_format(pupils: list[dict[str, Any]]) -> None:
    stages = set(get_questionnaire().stages)
    for i, p in enumerate(pupils):
        where = f"pupils[{i}] ({p.get('id')})"
        assert isinstance(p, dict), where
        assert {"id", "expected", "stage", "style", "why", "answers"} <= set(p), where
        assert set(p) <= {"id", "expected", "stage", "style", "why", "answers", "side"}, where
        assert p["expected"] in LABELS, where
        assert p["id"].startswith(p["expected"] + "-"), where
        assert p["stage"] in stages, where
        assert p["style"] in STYLES, where
        assert isinstance(p["why"], str) and p["why"].strip() and "\n" not in p["why"].strip(), where
        for key in ("answers", "side"):
            block = p.get(key) or {}
            assert isinstance(block, dict), f"{where}.{key}"
            for qid, text in block.items():
                assert isinstance(text, str) and text.strip(), f"{where}.{key}.{qid}"


def test_pupil_ids_are_unique(pupils: list[dict[str, Any]]) -> None:
    dupes = [pid for pid, n in Counter(p["id"] for p in pupils).items() if n > 1]
    assert not dupes


def test_pupil_counts_per_label_and_stage(pupils: list[dict[str, Any]]) -> None:
    per_label = Counter(p["expected"] for p in pupils)
    for label in LABELS:
        assert per_label[label] >= MIN_PER_LABEL, (label, per_label[label])
    per_cell = Counter((p["expected"], p["stage"]) for p in pupils)
    for label in LABELS:
        for stage in get_questionnaire().stages:
            assert per_cell[(label, stage)] >= MIN_PER_LABEL_AND_STAGE, (label, stage)


def test_every_pupil_answers_exactly_the_questions_of_its_stage(pupils: list[dict[str, Any]]) -> None:
    q = get_questionnaire()
    for p in pupils:
        asked = [question.id for question in q.questions_for(p["stage"])]
        assert sorted(p["answers"]) == sorted(asked), (p["id"], set(asked) ^ set(p["answers"]))


def test_side_questions_belong_to_asked_questions(pupils: list[dict[str, Any]]) -> None:
    q = get_questionnaire()
    with_side = [p for p in pupils if p.get("side")]
    for p in with_side:
        asked = {question.id for question in q.questions_for(p["stage"])}
        assert set(p["side"]) <= asked, (p["id"], set(p["side"]) - asked)
    # "about one pupil in five"
    assert 0.1 <= len(with_side) / len(pupils) <= 0.3, len(with_side)


def test_pupils_use_their_own_words(pupils: list[dict[str, Any]]) -> None:
    """At most a third of the answers may be an option label or match pattern typed verbatim."""
    q = get_questionnaire()
    verbatim = total = 0
    for p in pupils:
        for qid, text in p["answers"].items():
            question = q.question(qid)
            known = {_norm(o.label) for o in question.options} | {_norm(m) for o in question.options for m in o.match}
            total += 1
            verbatim += _norm(text) in known
    assert verbatim <= total / 3, (verbatim, total)


# ------------------------------------------------------------------ benign and crisis


def test_benign_format_counts_and_spread(benign: list[dict[str, Any]]) -> None:
    ids = {question.id for question in get_questionnaire().questions}
    for i, a in enumerate(benign):
        assert isinstance(a, dict) and set(a) == {"question", "text"}, f"answers[{i}]"
        assert a["question"] in ids, f"answers[{i}]: {a['question']}"
        assert isinstance(a["text"], str) and a["text"].strip(), f"answers[{i}]"
    assert len(benign) >= MIN_BENIGN
    per_question = Counter(a["question"] for a in benign)
    for qid in ids:
        assert per_question[qid] >= MIN_BENIGN_PER_QUESTION, (qid, per_question[qid])
    dupes = [t for t, n in Counter(_norm(a["text"]) for a in benign).items() if n > 1]
    assert not dupes


def test_benign_contains_enough_keyword_traps(benign: list[dict[str, Any]]) -> None:
    traps = [a["text"] for a in benign if NAIVE_FLAGS.search(a["text"].lower())]
    assert len(traps) >= MIN_BENIGN_TRAPS, len(traps)


def test_crisis_format_and_counts(crisis: list[dict[str, Any]]) -> None:
    for i, a in enumerate(crisis):
        assert isinstance(a, dict) and set(a) == {"tier", "text"}, f"phrasings[{i}]"
        assert a["tier"] in TIERS, f"phrasings[{i}]"
        assert isinstance(a["text"], str) and a["text"].strip(), f"phrasings[{i}]"
    per_tier = Counter(a["tier"] for a in crisis)
    for tier in TIERS:
        assert per_tier[tier] >= MIN_PER_TIER, (tier, per_tier[tier])
    dupes = [t for t, n in Counter(_norm(a["text"]) for a in crisis).items() if n > 1]
    assert not dupes


def test_benign_and_crisis_do_not_share_texts(benign: list[dict[str, Any]], crisis: list[dict[str, Any]]) -> None:
    assert not {_norm(a["text"]) for a in benign} & {_norm(a["text"]) for a in crisis}


# ------------------------------------------------------------------ kept apart from training data


def test_no_text_is_an_nlu_training_example(pupils: list[dict], benign: list[dict], crisis: list[dict]) -> None:
    """Benchmark texts never occur in data/nlu. A lone token ("ja", "nee", "2") cannot be phrased
    differently and is exempt."""
    examples = _nlu_examples()
    assert examples, "no NLU examples found"
    copied = [
        (where, text)
        for where, text in _all_texts(pupils, benign, crisis)
        if len(_norm(text).split()) > 1 and _norm(text) in examples
    ]
    assert not copied


def test_no_text_is_reused_from_the_e2e_pupils(pupils: list[dict], benign: list[dict], crisis: list[dict]) -> None:
    data = yaml.safe_load(E2E_PUPILS.read_text(encoding="utf-8"))
    scripted = {_norm(v) for group in data.values() for p in group for k, v in p.items() if k != "name"}
    reused = [
        (where, text)
        for where, text in _all_texts(pupils, benign, crisis)
        if len(_norm(text).split()) > 1 and _norm(text) in scripted
    ]
    assert not reused


def _ngrams(text: str, n: int = 7) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-zà-ÿ0-9&]+", text.lower().replace("’", "'"))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.skipif(not SEED.exists(), reason="seed text not available")
def test_no_seven_word_overlap_with_the_source() -> None:
    seed = _ngrams(SEED.read_text(encoding="utf-8"))
    for name in ("pupils.yml", "benign.yml", "crisis.yml", "README.md"):
        overlap = seed & _ngrams((BENCH / name).read_text(encoding="utf-8"))
        assert not overlap, f"{name} copies the seed: {[' '.join(g) for g in overlap]}"
