"""Load and validate the advisor-editable content: the questionnaire and the persona cards.

Advisors edit YAML by hand, so every mistake must surface as one clear ContentError that
names the file and the key path, instead of a KeyError deep inside a conversation.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT

QUESTIONNAIRE_PATH = ROOT / "content" / "questionnaire.yml"
PERSONAS_DIR = ROOT / "personas"

DIMENSIONS: tuple[str, ...] = ("exploration", "commitment", "reconsideration")
MOTIVES: tuple[str, ...] = ("challenge", "social", "variety", "ambition", "technology")
STAGES: tuple[str, ...] = ("klas3", "bovenbouw", "examen", "student")
STATUSES: tuple[str, ...] = ("foreclosure", "moratorium", "achievement")
PERSONA_PHASES: tuple[str, ...] = (
    "childhood",
    "secondary",
    "study_choice",
    "during_study",
    "internship_graduation",
    "first_job",
)
PERSONA_ORDER: tuple[str, ...] = ("joost", "luuk", "tim")
STAGE_QUESTION = "stage"
DONT_KNOW = "dont_know"
DEFAULT_KEY = "default"


class ContentError(ValueError):
    """A content file is broken; the message starts with '<file>: <key path>: '."""


def slot_for(question_id: str) -> str:
    """Rasa slot name holding the answer to a question."""
    return f"q_{question_id}"


def _display(path: Path) -> str:
    """Repo-relative path for messages when possible, so advisors recognise the file."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Option:
    """One answer option with its evidence and the phrases pupils may type for it."""

    id: str
    label: str
    explain: str
    evidence: Mapping[str, float] = field(default_factory=dict)
    motives: Mapping[str, float] = field(default_factory=dict)
    match: tuple[str, ...] = ()
    numbers: tuple[int, int] | None = None


@dataclass(frozen=True)
class Question:
    """A questionnaire question; texts may differ per stage (mapping stage -> text with a default)."""

    id: str
    phase: str
    text: Mapping[str, str]
    rephrase: Mapping[str, str]
    options: tuple[Option, ...]
    stages: tuple[str, ...] | None = None
    multi: bool = False
    topic: tuple[str, ...] = ()
    affirm: str | None = None
    deny: str | None = None

    def text_for(self, stage: str | None) -> str:
        """The question text for this stage (falls back to the default)."""
        return self.text.get(stage or DEFAULT_KEY, self.text[DEFAULT_KEY])

    def rephrase_for(self, stage: str | None) -> str:
        """A simpler wording, used after the bot did not understand an answer."""
        return self.rephrase.get(stage or DEFAULT_KEY, self.rephrase[DEFAULT_KEY])

    def option(self, option_id: str) -> Option | None:
        """The option with this id, or None."""
        for opt in self.options:
            if opt.id == option_id:
                return opt
        return None

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(opt.id for opt in self.options)

    def asked_in(self, stage: str | None) -> bool:
        """Whether a pupil in this stage gets the question (None stage: only questions for everyone)."""
        if self.stages is None:
            return True
        return stage is not None and stage in self.stages


@dataclass(frozen=True)
class Phase:
    """A life phase grouping questions, with the Dutch title shown in the widget."""

    id: str
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Questionnaire:
    """The whole questionnaire: dimensions, motives, phases and their questions in order."""

    dimensions: Mapping[str, Mapping[str, str]]
    motives: Mapping[str, Mapping[str, str]]
    phases: tuple[Phase, ...]
    source: str = ""

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for phase in self.phases for q in phase.questions)

    @property
    def stages(self) -> tuple[str, ...]:
        return self.question(STAGE_QUESTION).option_ids

    def question(self, question_id: str) -> Question:
        """The question with this id; KeyError if there is none."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def phase(self, phase_id: str) -> Phase:
        """The phase with this id; KeyError if there is none."""
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    def questions_for(self, stage: str | None) -> list[Question]:
        """Ordered questions for a stage; the stage question always comes first.

        An unknown or missing stage gives the questions asked to everyone.
        """
        if stage not in self.stages:
            stage = None
        first = self.question(STAGE_QUESTION)
        rest = [q for q in self.questions if q.id != STAGE_QUESTION and q.asked_in(stage)]
        return [first, *rest]


@dataclass(frozen=True)
class PersonaPhase:
    """One life phase of a persona's story."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Persona:
    """An alumni persona card: place in the identity model plus the Dutch story shown at the reveal."""

    id: str
    name: str
    status: str
    status_label: str
    status_explain: str
    position: Mapping[str, float]
    motives: Mapping[str, float]
    intro: str
    phases: tuple[PersonaPhase, ...]
    doubt: str
    motives_text: str
    next_steps: tuple[str, ...]
    demo_answers: Mapping[str, str | list[str]]
    source: str = ""

    @property
    def exploration(self) -> float:
        return self.position["exploration"]

    @property
    def commitment(self) -> float:
        return self.position["commitment"]

    @property
    def reconsideration(self) -> float:
        return self.position["reconsideration"]

    def phase(self, phase_id: str) -> PersonaPhase:
        """The story of one phase; KeyError if unknown."""
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)


# ---------------------------------------------------------------- validation helpers


class _Checker:
    """Small helpers that raise ContentError with '<file>: <key path>: ' prefixes."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> ContentError:
        return ContentError(f"{self.file}: {path or '<root>'}: {message}")

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(f"{path}.{key}" if path else str(key), "keys must be text")
        return value

    def get(self, data: dict[str, Any], key: str, path: str) -> Any:
        if key not in data or data[key] is None:
            raise self.fail(_join(path, key), "missing")
        return data[key]

    def text(self, value: Any, path: str, max_len: int | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "expected non-empty text")
        if max_len is not None and len(value) > max_len:
            raise self.fail(path, f"too long ({len(value)} > {max_len} characters)")
        return value.strip()

    def ident(self, value: Any, path: str) -> str:
        text = self.text(value, path)
        if not text.replace("_", "").isalnum() or not text.isascii() or text != text.lower():
            raise self.fail(path, f"id must be lowercase letters, digits and _ (got {value!r})")
        return text

    def number(self, value: Any, path: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(float(value)):
            raise self.fail(path, f"expected a number, got {value!r}")
        if not low <= float(value) <= high:
            raise self.fail(path, f"value {value} outside {low}..{high}")
        return float(value)

    def text_list(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, "expected a list")
        return tuple(self.text(item, f"{path}[{i}]") for i, item in enumerate(value))

    def staged_text(self, value: Any, path: str) -> dict[str, str]:
        """A text, or a mapping stage -> text that must contain 'default'."""
        if isinstance(value, str):
            return {DEFAULT_KEY: self.text(value, path)}
        data = self.mapping(value, path)
        if DEFAULT_KEY not in data:
            raise self.fail(_join(path, DEFAULT_KEY), "missing")
        result: dict[str, str] = {}
        for key, text in data.items():
            if key != DEFAULT_KEY and key not in STAGES:
                raise self.fail(_join(path, key), f"unknown stage (use one of {', '.join(STAGES)})")
            result[key] = self.text(text, _join(path, key))
        return result

    def unknown_keys(self, data: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(_join(path, key), f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _read_yaml(path: Path, file: str) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise ContentError(f"{file}: <file>: not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<file>"
        raise ContentError(f"{file}: {where}: invalid YAML: {exc}") from exc


# ---------------------------------------------------------------- questionnaire

_OPTION_KEYS = {"id", "label", "explain", "evidence", "motives", "match", "numbers"}
_QUESTION_KEYS = {"id", "text", "rephrase", "options", "stages", "multi", "topic", "affirm", "deny"}


def _parse_option(c: _Checker, raw: Any, path: str) -> Option:
    data = c.mapping(raw, path)
    c.unknown_keys(data, _OPTION_KEYS, path)
    option_id = c.ident(c.get(data, "id", path), _join(path, "id"))
    if option_id == DONT_KNOW:
        raise c.fail(_join(path, "id"), f"'{DONT_KNOW}' is implicit on every question; do not list it")
    label = c.text(c.get(data, "label", path), _join(path, "label"), max_len=32)
    explain = c.text(c.get(data, "explain", path), _join(path, "explain"))
    evidence_raw = c.mapping(data.get("evidence") or {}, _join(path, "evidence"))
    evidence: dict[str, float] = {}
    for key, value in evidence_raw.items():
        key_path = _join(_join(path, "evidence"), key)
        if key not in DIMENSIONS:
            raise c.fail(key_path, "unknown dimension")
        evidence[key] = c.number(value, key_path, -1.0, 1.0)
    motives_raw = c.mapping(data.get("motives") or {}, _join(path, "motives"))
    motives: dict[str, float] = {}
    for key, value in motives_raw.items():
        key_path = _join(_join(path, "motives"), key)
        if key not in MOTIVES:
            raise c.fail(key_path, "unknown motive")
        motives[key] = c.number(value, key_path, 0.0, 1.0)
    match = c.text_list(c.get(data, "match", path), _join(path, "match"))
    numbers: tuple[int, int] | None = None
    if data.get("numbers") is not None:
        npath = _join(path, "numbers")
        nums = c.mapping(data["numbers"], npath)
        c.unknown_keys(nums, {"min", "max"}, npath)
        low = c.number(c.get(nums, "min", npath), _join(npath, "min"), 0, 1_000_000)
        high = c.number(c.get(nums, "max", npath), _join(npath, "max"), 0, 1_000_000)
        if low > high:
            raise c.fail(npath, "min is larger than max")
        numbers = (int(low), int(high))
    return Option(
        id=option_id,
        label=label,
        explain=explain,
        evidence=evidence,
        motives=motives,
        match=match,
        numbers=numbers,
    )


def _parse_question(c: _Checker, raw: Any, path: str, phase_id: str) -> Question:
    data = c.mapping(raw, path)
    c.unknown_keys(data, _QUESTION_KEYS, path)
    question_id = c.ident(c.get(data, "id", path), _join(path, "id"))
    text = c.staged_text(c.get(data, "text", path), _join(path, "text"))
    rephrase = c.staged_text(c.get(data, "rephrase", path), _join(path, "rephrase"))
    stages: tuple[str, ...] | None = None
    if data.get("stages") is not None:
        stages = c.text_list(data["stages"], _join(path, "stages"))
        for i, stage in enumerate(stages):
            if stage not in STAGES:
                raise c.fail(
                    f"{_join(path, 'stages')}[{i}]", f"unknown stage (use one of {', '.join(STAGES)})"
                )
    multi = data.get("multi", False)
    if not isinstance(multi, bool):
        raise c.fail(_join(path, "multi"), "expected true or false")
    topic = c.text_list(data.get("topic") or [], _join(path, "topic"))
    options_raw = c.get(data, "options", path)
    if not isinstance(options_raw, list) or not options_raw:
        raise c.fail(_join(path, "options"), "expected a non-empty list")
    options: list[Option] = []
    seen: set[str] = set()
    for i, opt_raw in enumerate(options_raw):
        opath = f"{_join(path, 'options')}[{i}]"
        option = _parse_option(c, opt_raw, opath)
        if option.id in seen:
            raise c.fail(_join(opath, "id"), f"duplicate option id '{option.id}'")
        seen.add(option.id)
        options.append(option)
    answers: dict[str, str | None] = {}
    for key in ("affirm", "deny"):
        value = data.get(key)
        if value is None:
            answers[key] = None
            continue
        if not isinstance(value, str) or value not in seen:
            raise c.fail(_join(path, key), f"unknown option {value!r} (options: {', '.join(sorted(seen))})")
        answers[key] = value
    return Question(
        id=question_id,
        phase=phase_id,
        text=text,
        rephrase=rephrase,
        options=tuple(options),
        stages=stages,
        multi=multi,
        topic=topic,
        affirm=answers["affirm"],
        deny=answers["deny"],
    )


def _labelled_names(
    c: _Checker, data: dict[str, Any], key: str, known: tuple[str, ...], kind: str
) -> dict[str, Any]:
    """The `dimensions` or `motives` section: exactly the names the model knows, each with a label."""
    section = c.mapping(c.get(data, key, ""), key)
    for name in section:
        if name not in known:
            raise c.fail(f"{key}.{name}", f"unknown {kind} (the model knows {', '.join(known)})")
    for name in known:
        if name not in section:
            raise c.fail(f"{key}.{name}", "missing")
        entry = c.mapping(section[name] or {}, f"{key}.{name}")
        c.text(c.get(entry, "label", f"{key}.{name}"), f"{key}.{name}.label")
    return section


def load_questionnaire(path: str | Path | None = None) -> Questionnaire:
    """Read and validate the questionnaire YAML (default: content/questionnaire.yml)."""
    file_path = Path(path) if path is not None else QUESTIONNAIRE_PATH
    file = _display(file_path)
    c = _Checker(file)
    data = c.mapping(_read_yaml(file_path, file), "")
    c.unknown_keys(data, {"dimensions", "motives", "phases"}, "")
    dimensions = _labelled_names(c, data, "dimensions", DIMENSIONS, "dimension")
    motives = _labelled_names(c, data, "motives", MOTIVES, "motive")

    phases_raw = c.get(data, "phases", "")
    if not isinstance(phases_raw, list) or not phases_raw:
        raise c.fail("phases", "expected a non-empty list")
    phases: list[Phase] = []
    phase_ids: set[str] = set()
    question_ids: set[str] = set()
    for p, phase_raw in enumerate(phases_raw):
        ppath = f"phases[{p}]"
        pdata = c.mapping(phase_raw, ppath)
        c.unknown_keys(pdata, {"id", "title", "questions"}, ppath)
        phase_id = c.ident(c.get(pdata, "id", ppath), f"{ppath}.id")
        if phase_id in phase_ids:
            raise c.fail(f"{ppath}.id", f"duplicate phase id '{phase_id}'")
        phase_ids.add(phase_id)
        title = c.text(c.get(pdata, "title", ppath), f"{ppath}.title", max_len=40)
        questions_raw = c.get(pdata, "questions", ppath)
        if not isinstance(questions_raw, list) or not questions_raw:
            raise c.fail(f"{ppath}.questions", "expected a non-empty list")
        questions: list[Question] = []
        for q, question_raw in enumerate(questions_raw):
            qpath = f"{ppath}.questions[{q}]"
            question = _parse_question(c, question_raw, qpath, phase_id)
            if question.id in question_ids:
                raise c.fail(f"{qpath}.id", f"duplicate question id '{question.id}'")
            question_ids.add(question.id)
            questions.append(question)
        phases.append(Phase(id=phase_id, title=title, questions=tuple(questions)))

    first = phases[0].questions[0]
    if first.id != STAGE_QUESTION:
        raise c.fail("phases[0].questions[0].id", f"the first question must be '{STAGE_QUESTION}'")
    if first.option_ids != STAGES:
        raise c.fail("phases[0].questions[0].options", f"the stage options must be {', '.join(STAGES)}")
    if first.multi or first.stages is not None:
        raise c.fail("phases[0].questions[0]", "the stage question is asked to everyone and is not multi")
    return Questionnaire(
        dimensions={k: dict(v) for k, v in dimensions.items()},
        motives={k: dict(v) for k, v in motives.items()},
        phases=tuple(phases),
        source=file,
    )


# ---------------------------------------------------------------- personas

_PERSONA_KEYS = {
    "id",
    "name",
    "status",
    "status_label",
    "status_explain",
    "position",
    "motives",
    "intro",
    "phases",
    "doubt",
    "motives_text",
    "next_steps",
    "demo_answers",
}


def _parse_persona(c: _Checker, data: dict[str, Any], questionnaire: Questionnaire, stem: str) -> Persona:
    c.unknown_keys(data, _PERSONA_KEYS, "")
    persona_id = c.ident(c.get(data, "id", ""), "id")
    if persona_id != stem:
        raise c.fail("id", f"id '{persona_id}' must equal the file name '{stem}'")
    status = c.text(c.get(data, "status", ""), "status")
    if status not in STATUSES:
        raise c.fail("status", f"unknown status (use one of {', '.join(STATUSES)})")
    label = c.text(c.get(data, "status_label", ""), "status_label", max_len=40)
    if not 2 <= len(label.split()) <= 3:
        raise c.fail("status_label", "use two or three plain words")

    def floats(key: str, names: tuple[str, ...], kind: str) -> dict[str, float]:
        raw = c.mapping(c.get(data, key, ""), key)
        for name in raw:
            if name not in names:
                raise c.fail(f"{key}.{name}", f"unknown {kind}")
        return {name: c.number(c.get(raw, name, key), f"{key}.{name}", 0.0, 1.0) for name in names}

    position = floats("position", DIMENSIONS, "dimension")
    motives = floats("motives", MOTIVES, "motive")
    phases_raw = c.mapping(c.get(data, "phases", ""), "phases")
    for key in phases_raw:
        if key not in PERSONA_PHASES:
            raise c.fail(f"phases.{key}", f"unknown phase (use {', '.join(PERSONA_PHASES)})")
    if tuple(phases_raw) != PERSONA_PHASES:
        missing = [p for p in PERSONA_PHASES if p not in phases_raw]
        if missing:
            raise c.fail(f"phases.{missing[0]}", "missing")
        raise c.fail("phases", f"phases must be in this order: {', '.join(PERSONA_PHASES)}")
    phases: list[PersonaPhase] = []
    for key in PERSONA_PHASES:
        entry = c.mapping(phases_raw[key], f"phases.{key}")
        c.unknown_keys(entry, {"title", "text"}, f"phases.{key}")
        phases.append(
            PersonaPhase(
                id=key,
                title=c.text(c.get(entry, "title", f"phases.{key}"), f"phases.{key}.title", max_len=40),
                text=c.text(c.get(entry, "text", f"phases.{key}"), f"phases.{key}.text"),
            )
        )
    next_steps = c.text_list(c.get(data, "next_steps", ""), "next_steps")
    if not 1 <= len(next_steps) <= 4:
        raise c.fail("next_steps", "give two or three next steps")

    demo_raw = c.mapping(c.get(data, "demo_answers", ""), "demo_answers")
    demo: dict[str, str | list[str]] = {}
    for qid, value in demo_raw.items():
        dpath = f"demo_answers.{qid}"
        try:
            question = questionnaire.question(qid)
        except KeyError:
            raise c.fail(dpath, "unknown question") from None
        valid = set(question.option_ids) | {DONT_KNOW}
        if isinstance(value, list):
            if not question.multi:
                raise c.fail(dpath, "a list is only allowed for multi questions")
            for i, item in enumerate(value):
                if item not in valid:
                    raise c.fail(f"{dpath}[{i}]", f"unknown option {item!r}")
            demo[qid] = [str(v) for v in value]
        else:
            if value not in valid:
                raise c.fail(dpath, f"unknown option {value!r}")
            demo[qid] = str(value)
    stage = demo.get(STAGE_QUESTION)
    if stage is not None and not isinstance(stage, str):
        raise c.fail(f"demo_answers.{STAGE_QUESTION}", "expected one stage")
    return Persona(
        id=persona_id,
        name=c.text(c.get(data, "name", ""), "name", max_len=40),
        status=status,
        status_label=label,
        status_explain=c.text(c.get(data, "status_explain", ""), "status_explain"),
        position=position,
        motives=motives,
        intro=c.text(c.get(data, "intro", ""), "intro"),
        phases=tuple(phases),
        doubt=c.text(c.get(data, "doubt", ""), "doubt"),
        motives_text=c.text(c.get(data, "motives_text", ""), "motives_text"),
        next_steps=next_steps,
        demo_answers=demo,
        source=c.file,
    )


def _persona_sort_key(persona_id: str) -> tuple[int, str]:
    order = PERSONA_ORDER.index(persona_id) if persona_id in PERSONA_ORDER else len(PERSONA_ORDER)
    return (order, persona_id)


def load_personas(
    directory: str | Path | None = None, questionnaire: Questionnaire | None = None
) -> dict[str, Persona]:
    """Read and validate every persona card (*.yml) in a directory, ordered joost, luuk, tim.

    demo_answers are checked against the questionnaire (default: the cached one).
    """
    folder = Path(directory) if directory is not None else PERSONAS_DIR
    questionnaire = questionnaire or get_questionnaire()
    files = sorted(folder.glob("*.yml"))
    if not files:
        raise ContentError(f"{_display(folder)}: <directory>: no persona files (*.yml)")
    personas: dict[str, Persona] = {}
    for file_path in files:
        file = _display(file_path)
        c = _Checker(file)
        data = c.mapping(_read_yaml(file_path, file), "")
        persona = _parse_persona(c, data, questionnaire, file_path.stem)
        personas[persona.id] = persona
    return {pid: personas[pid] for pid in sorted(personas, key=_persona_sort_key)}


@functools.lru_cache(maxsize=1)
def get_questionnaire() -> Questionnaire:
    """The default questionnaire, loaded once per process."""
    return load_questionnaire()


@functools.lru_cache(maxsize=1)
def get_personas() -> dict[str, Persona]:
    """The default persona cards, loaded once per process (do not mutate the result)."""
    return load_personas()
