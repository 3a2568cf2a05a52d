"""Load and validate the advisor-editable content: the questionnaire, the persona cards and the reveal texts.
Also the one home of the constants the rest of the project shares, and of how a conversation sits in Rasa slots.

Advisors edit YAML by hand, so every mistake must surface as one clear ContentError that
names the file and the key path, instead of a KeyError deep inside a conversation.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT

QUESTIONNAIRE_PATH = ROOT / "content" / "questionnaire.yml"
PERSONAS_DIR = ROOT / "personas"
REVEAL_PATH = ROOT / "content" / "reveal.yml"

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
DONT_KNOW_LABEL = "Weet ik niet"  # its button, on every question, and how the result sheet shows it
DEFAULT_KEY = "default"

# How a conversation is kept in Rasa slots (the one home of these names; domain/ and the tracker store follow).
ANSWER_SLOT_PREFIX = "q_"  # q_<question_id>: the chosen option id(s), see encode_answer
SCORE_SLOTS: tuple[str, ...] = DIMENSIONS  # one float slot per dimension, named after it
RESULT_SLOTS: tuple[str, ...] = ("persona", "fit", "chat_state")  # set by the reveal (chat_state also by a stop)
_ANSWER_SEPARATOR = ","


class ContentError(ValueError):
    """A content file is broken; the message starts with '<file>: <key path>: '."""


def slot_for(question_id: str) -> str:
    """Rasa slot name holding the answer to a question."""
    return ANSWER_SLOT_PREFIX + question_id


def question_of(slot: str) -> str:
    """The question id of an answer slot (q_doubt -> doubt)."""
    return slot.removeprefix(ANSWER_SLOT_PREFIX)


def encode_answer(options: Iterable[str]) -> str:
    """Slot value for one or more chosen option ids ("many", or "challenge,people" for a multi question)."""
    return _ANSWER_SEPARATOR.join(options)


def decode_answer(value: Any) -> list[str]:
    """Chosen option ids from a slot value (or a button's option list); anything but text means none chosen."""
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(_ANSWER_SEPARATOR) if part.strip()]


def _display(path: Path) -> str:
    """Repo-relative path for messages when possible, so advisors recognise the file."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _for_stage(texts: Mapping[str, str], stage: str | None) -> str:
    return texts.get(stage or DEFAULT_KEY, texts[DEFAULT_KEY])


@dataclass(frozen=True)
class Option:
    """One answer option with its evidence and the phrases pupils may type for it.

    `label` and `explain` are the default wording; `labels` and `explains` hold the wording per stage
    (a klas-3 pupil reads "Ik vergelijk er meerdere", a student "Ik vergeleek er meerdere").
    `stage_evidence` overrides single dimensions per stage: an answer that is normal for a stage (no open
    days yet in klas 3) says nothing about how someone chooses. `hedged` is the weaker option a hedged
    answer becomes ("ingenieur, denk ik" is not "dat weet ik precies").
    """

    id: str
    label: str
    explain: str
    evidence: Mapping[str, float] = field(default_factory=dict)
    motives: Mapping[str, float] = field(default_factory=dict)
    match: tuple[str, ...] = ()
    numbers: tuple[int, int] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    explains: Mapping[str, str] = field(default_factory=dict)
    stage_evidence: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    hedged: str | None = None

    def label_for(self, stage: str | None) -> str:
        """The button text in the pupil's own tense."""
        return _for_stage(self.labels, stage) if self.labels else self.label

    def explain_for(self, stage: str | None) -> str:
        """The 'want je ...' phrase in the pupil's own tense."""
        return _for_stage(self.explains, stage) if self.explains else self.explain

    def evidence_for(self, stage: str | None) -> dict[str, float]:
        """Evidence per dimension for a pupil in this stage (the default with the stage's overrides)."""
        result = dict(self.evidence)
        if stage in self.stage_evidence:
            result.update(self.stage_evidence[stage])
        return result

    @property
    def all_labels(self) -> tuple[str, ...]:
        """Every wording of the label, default first (a typed label means its option in any tense)."""
        return tuple(dict.fromkeys([self.label, *self.labels.values()]))


@dataclass(frozen=True)
class Ambiguity:
    """A short answer that fits several options ("N&T"): the bot asks a follow-up instead of guessing."""

    answers: tuple[str, ...]  # whole answers (normalised like free text) that are ambiguous
    options: tuple[str, ...]  # the options they could mean
    ask: Mapping[str, str]  # the follow-up question, per stage with a default

    def ask_for(self, stage: str | None) -> str:
        return _for_stage(self.ask, stage)


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
    ambiguous: tuple[Ambiguity, ...] = ()

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
    demo_answers: Mapping[str, str | list[str]]
    color: str = ""  # his colour in the plot and on the card, "#rrggbb"
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

_OPTION_KEYS = {
    "id",
    "label",
    "explain",
    "evidence",
    "stage_evidence",
    "motives",
    "match",
    "numbers",
    "hedged",
}
_QUESTION_KEYS = {"id", "text", "rephrase", "options", "stages", "multi", "topic", "affirm", "deny", "ambiguous"}
LABEL_MAX = 28


def _evidence(c: _Checker, raw: Any, path: str) -> dict[str, float]:
    data = c.mapping(raw or {}, path)
    evidence: dict[str, float] = {}
    for key, value in data.items():
        key_path = _join(path, key)
        if key not in DIMENSIONS:
            raise c.fail(key_path, "unknown dimension")
        evidence[key] = c.number(value, key_path, -1.0, 1.0)
    return evidence


def _parse_option(c: _Checker, raw: Any, path: str) -> Option:
    data = c.mapping(raw, path)
    c.unknown_keys(data, _OPTION_KEYS, path)
    option_id = c.ident(c.get(data, "id", path), _join(path, "id"))
    if option_id == DONT_KNOW:
        raise c.fail(_join(path, "id"), f"'{DONT_KNOW}' is implicit on every question; do not list it")
    labels = c.staged_text(c.get(data, "label", path), _join(path, "label"))
    for key, text in labels.items():
        if len(text) > LABEL_MAX:
            label_path = _join(path, "label") if len(labels) == 1 else _join(_join(path, "label"), key)
            raise c.fail(label_path, f"too long ({len(text)} > {LABEL_MAX} characters)")
    explains = c.staged_text(c.get(data, "explain", path), _join(path, "explain"))
    evidence = _evidence(c, data.get("evidence"), _join(path, "evidence"))
    stage_evidence: dict[str, dict[str, float]] = {}
    spath = _join(path, "stage_evidence")
    for stage, raw_stage in c.mapping(data.get("stage_evidence") or {}, spath).items():
        if stage not in STAGES:
            raise c.fail(_join(spath, stage), f"unknown stage (use one of {', '.join(STAGES)})")
        stage_evidence[stage] = _evidence(c, raw_stage, _join(spath, stage))
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
    hedged = data.get("hedged")
    if hedged is not None:
        hedged = c.ident(hedged, _join(path, "hedged"))  # checked against the options by the question
    return Option(
        id=option_id,
        label=labels[DEFAULT_KEY],
        explain=explains[DEFAULT_KEY],
        evidence=evidence,
        motives=motives,
        match=match,
        numbers=numbers,
        labels=labels if len(labels) > 1 else {},
        explains=explains if len(explains) > 1 else {},
        stage_evidence=stage_evidence,
        hedged=hedged,
    )


def _parse_ambiguous(c: _Checker, raw: Any, path: str, options: set[str]) -> tuple[Ambiguity, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise c.fail(path, "expected a list")
    rules: list[Ambiguity] = []
    for i, item in enumerate(raw):
        ipath = f"{path}[{i}]"
        data = c.mapping(item, ipath)
        c.unknown_keys(data, {"answers", "options", "ask"}, ipath)
        answers = c.text_list(c.get(data, "answers", ipath), _join(ipath, "answers"))
        chosen = c.text_list(c.get(data, "options", ipath), _join(ipath, "options"))
        for j, option_id in enumerate(chosen):
            if option_id not in options:
                raise c.fail(f"{_join(ipath, 'options')}[{j}]", f"unknown option {option_id!r}")
        if len(set(chosen)) < 2:
            raise c.fail(_join(ipath, "options"), "an ambiguous answer fits at least two options")
        ask = c.staged_text(c.get(data, "ask", ipath), _join(ipath, "ask"))
        rules.append(Ambiguity(answers=answers, options=chosen, ask=ask))
    return tuple(rules)


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
                raise c.fail(f"{_join(path, 'stages')}[{i}]", f"unknown stage (use one of {', '.join(STAGES)})")
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
    for i, option in enumerate(options):
        if option.hedged is not None and (option.hedged not in seen or option.hedged == option.id):
            raise c.fail(
                f"{_join(path, 'options')}[{i}].hedged",
                f"unknown option {option.hedged!r} (name another option of this question)",
            )
    ambiguous = _parse_ambiguous(c, data.get("ambiguous"), _join(path, "ambiguous"), seen)
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
        ambiguous=ambiguous,
    )


def _labelled_names(c: _Checker, data: dict[str, Any], key: str, known: tuple[str, ...], kind: str) -> dict[str, Any]:
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
    "color",
    "demo_answers",
}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


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
    color = c.text(c.get(data, "color", ""), "color")
    if not _COLOR.match(color):
        raise c.fail("color", f"expected a colour like #1d6b35, got {color!r}")

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
        color=color,
        demo_answers=demo,
        source=c.file,
    )


def persona_sort_key(persona_id: str) -> tuple[int, str]:
    """Joost, Luuk, Tim first (PERSONA_ORDER), any other persona after them by id."""
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
    return {pid: personas[pid] for pid in sorted(personas, key=persona_sort_key)}


# ---------------------------------------------------------------- reveal texts

# Every text of the reveal, with the placeholders it may use. A text is a string, or a mapping per stage
# with a "default" (a klas-3 pupil is spoken to about choosing a profile, a student about a study).
REVEAL_TEXTS: dict[str, frozenset[str]] = {
    "thanks": frozenset(),
    "opening.good": frozenset({"name"}),
    "opening.weak": frozenset({"name", "runner_up"}),
    "opening.weak_alone": frozenset({"name"}),
    "opening.diffusion": frozenset({"name"}),
    "opening.insufficient": frozenset({"name", "answered", "total"}),
    "meet": frozenset({"name", "status"}),
    "path": frozenset({"name"}),
    "why.good": frozenset({"name", "reasons"}),
    "why.weak": frozenset({"name", "reasons", "runner_up"}),
    "why.fallback": frozenset({"name"}),
    "why.diffusion": frozenset({"reasons"}),
    "why.diffusion_fallback": frozenset(),
    "why.insufficient": frozenset({"answered", "total"}),
    "field_note": frozenset({"name"}),
    "mirror": frozenset(),
    "mirror_diffusion": frozenset(),
    "retry": frozenset({"questions"}),
    "steps_heading": frozenset(),
    "why_not.insufficient": frozenset({"name"}),
    "why_not.diffusion": frozenset({"name"}),
    "why_not.close": frozenset({"name", "nearest"}),
    "why_not.other": frozenset({"name", "nearest"}),
    "why_not.nothing_closer": frozenset({"name"}),
    "why_not.heading": frozenset({"name"}),
    "why_not.change": frozenset({"question", "yours", "label", "name"}),
    "why_not.change_also": frozenset({"question", "yours", "label", "name"}),
    "why_not.count_1": frozenset(),
    "why_not.count_2": frozenset(),
    "why_not.count_3": frozenset(),
    "why_not.count_more": frozenset(),
    "why_not.reached": frozenset({"count", "name"}),
    "why_not.nearer_but_other": frozenset({"count", "name", "other"}),
    "why_not.nearer": frozenset({"count", "name"}),
    "buttons.why": frozenset(),
    "buttons.meet_other": frozenset(),
    "buttons.start_over": frozenset(),
    "buttons.more_about": frozenset({"name"}),
    "buttons.resume": frozenset(),
    "buttons.talk": frozenset(),
    "buttons.restart_yes": frozenset(),
    "buttons.restart_no": frozenset(),
}


@dataclass(frozen=True)
class RevealTexts:
    """The Dutch texts of the reveal (content/reveal.yml), each per stage with a default."""

    texts: Mapping[str, Mapping[str, str]]
    source: str = ""

    def get(self, key: str, stage: str | None = None, **values: Any) -> str:
        """The text for a key and stage with its placeholders filled in."""
        return _for_stage(self.texts[key], stage).format(**values)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def load_reveal_texts(path: str | Path | None = None) -> RevealTexts:
    """Read and validate content/reveal.yml: every key present, only its own placeholders used."""
    file_path = Path(path) if path is not None else REVEAL_PATH
    file = _display(file_path)
    c = _Checker(file)
    data = c.mapping(_read_yaml(file_path, file), "")
    texts: dict[str, dict[str, str]] = {}
    groups = {key.split(".")[0] for key in REVEAL_TEXTS}
    c.unknown_keys(data, groups, "")
    for key, allowed in REVEAL_TEXTS.items():
        group, _, leaf = key.partition(".")
        if leaf:
            section = c.mapping(c.get(data, group, ""), group)
            c.unknown_keys(section, {k.partition(".")[2] for k in REVEAL_TEXTS if k.startswith(group + ".")}, group)
            raw = c.get(section, leaf, group)
        else:
            raw = c.get(data, key, "")
        staged = c.staged_text(raw, key)
        for stage_key, text in staged.items():
            text_path = key if len(staged) == 1 else _join(key, stage_key)
            try:
                used = _placeholders(text)
            except ValueError as exc:
                raise c.fail(text_path, f"broken {{placeholder}}: {exc}") from None
            unknown = used - allowed
            if unknown:
                known = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
                raise c.fail(text_path, f"unknown placeholder {{{sorted(unknown)[0]}}} (this text may use: {known})")
        texts[key] = staged
    return RevealTexts(texts=texts, source=file)


@functools.lru_cache(maxsize=1)
def get_reveal_texts() -> RevealTexts:
    """The default reveal texts, loaded once per process."""
    return load_reveal_texts()


@functools.lru_cache(maxsize=1)
def get_questionnaire() -> Questionnaire:
    """The default questionnaire, loaded once per process."""
    return load_questionnaire()


@functools.lru_cache(maxsize=1)
def get_personas() -> dict[str, Persona]:
    """The default persona cards, loaded once per process (do not mutate the result)."""
    return load_personas()
