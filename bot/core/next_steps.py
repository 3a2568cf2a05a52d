"""Next steps after the reveal, per stage and per outcome, from the advisor-editable content/next_steps.yml.

The file has named links (a school fills in its own pages) and, per stage, short steps for everyone
("all"), extra steps for pupils drawn to technology ("technical") or not ("not_technical"), and steps per
outcome (the three alumni, "diffusion", "insufficient"). `steps_for` picks at most MAX_STEPS for one pupil.
Every mistake in the file is one NextStepsError naming the file and the key path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT
from bot.core.content import PERSONA_ORDER, STAGES, ContentError

NEXT_STEPS_PATH = ROOT / "content" / "next_steps.yml"

DEFAULT_STAGE = "bovenbouw"  # for a pupil whose stage is unknown
OUTCOMES: tuple[str, ...] = (*PERSONA_ORDER, "diffusion", "insufficient")  # Match.outcome
EXTRA_GROUPS: tuple[str, ...] = ("technical", "not_technical")
MAX_STEPS = 5  # shown to one pupil
MAX_LIST = 6  # steps in one list of the file
MAX_TEXT = 160  # characters of one step
MAX_TITLE = 80  # characters of one link title
MAX_URL = 500
_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$")
_STAGE_KEYS = {"all", "outcomes", *EXTRA_GROUPS}
_STEP_KEYS = {"text", "link"}
_LINK_KEYS = {"title", "url"}


NextStepsError = ContentError  # one error type for every broken content file


@dataclass(frozen=True)
class Link:
    key: str
    title: str
    url: str  # "" until the school fills it in


@dataclass(frozen=True)
class RawStep:
    """A step as written in the file: its text and the key of its link (or None)."""

    text: str
    link: str | None


@dataclass(frozen=True)
class StageSteps:
    all: tuple[RawStep, ...]
    technical: tuple[RawStep, ...]
    not_technical: tuple[RawStep, ...]
    outcomes: Mapping[str, tuple[RawStep, ...]]


@dataclass(frozen=True)
class NextSteps:
    links: Mapping[str, Link]
    stages: Mapping[str, StageSteps]


@dataclass(frozen=True)
class Step:
    """One step as a pupil sees it; link_title and link_url are None when there is no (filled-in) link."""

    text: str
    link_title: str | None = None
    link_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        link = {"title": self.link_title, "url": self.link_url} if self.link_url else None
        return {"text": self.text, "link": link}


# ---------------------------------------------------------------- loading and validation


def _display(path: Path) -> str:
    """Repo-relative path when possible, so advisors recognise the file."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> NextStepsError:
        return NextStepsError(f"{self.file}: {path or '<root>'}: {message}")

    def mapping(self, value: Any, path: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(_join(path, str(key)), "keys must be text")
            if allowed is not None and key not in allowed:
                raise self.fail(_join(path, key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return value

    def required(self, data: dict[str, Any], keys: tuple[str, ...], path: str) -> None:
        for key in keys:
            if key not in data:
                raise self.fail(_join(path, key), "missing")

    def text(self, value: Any, path: str, max_len: int) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "expected non-empty text")
        text = " ".join(value.split())
        if len(text) > max_len:
            raise self.fail(path, f"too long ({len(text)} > {max_len} characters); keep it one short sentence")
        return text


def _parse_links(c: _Checker, value: Any) -> dict[str, Link]:
    data = c.mapping(value, "links")
    links: dict[str, Link] = {}
    for key, raw in data.items():
        path = _join("links", key)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            raise c.fail(path, "a link key is lowercase letters, digits and _")
        entry = c.mapping(raw, path, _LINK_KEYS)
        c.required(entry, ("title", "url"), path)
        title = c.text(entry["title"], _join(path, "title"), MAX_TITLE)
        url = entry["url"]
        if url is None:
            url = ""
        if not isinstance(url, str):
            raise c.fail(_join(path, "url"), f'expected a web address or "", got {type(url).__name__}')
        url = url.strip()
        if url and (len(url) > MAX_URL or not _URL.match(url)):
            raise c.fail(_join(path, "url"), f"not a web address starting with https:// (got {url!r})")
        links[key] = Link(key=key, title=title, url=url)
    return links


def _parse_step(c: _Checker, value: Any, path: str, links: Mapping[str, Link]) -> RawStep:
    if isinstance(value, str):
        return RawStep(text=c.text(value, path, MAX_TEXT), link=None)
    data = c.mapping(value, path, _STEP_KEYS)
    c.required(data, ("text",), path)
    text = c.text(data["text"], _join(path, "text"), MAX_TEXT)
    link = data.get("link")
    if link is not None:
        if not isinstance(link, str) or link not in links:
            known = ", ".join(sorted(links)) or "none defined"
            raise c.fail(_join(path, "link"), f"unknown link {link!r} (define it under links; known: {known})")
    return RawStep(text=text, link=link)


def _parse_list(
    c: _Checker, value: Any, path: str, links: Mapping[str, Link], allow_empty: bool = False
) -> tuple[RawStep, ...]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise c.fail(path, f"expected a list of steps, got {type(value).__name__}")
    if not value and not allow_empty:
        raise c.fail(path, "give at least one step")
    if len(value) > MAX_LIST:
        raise c.fail(path, f"too many steps ({len(value)} > {MAX_LIST}); a pupil sees only {MAX_STEPS} in all")
    steps = tuple(_parse_step(c, item, f"{path}[{i}]", links) for i, item in enumerate(value))
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step.text in seen:
            raise c.fail(f"{path}[{i}]", "the same step appears twice in this list")
        seen.add(step.text)
    return steps


def _parse_stage(c: _Checker, value: Any, path: str, links: Mapping[str, Link]) -> StageSteps:
    data = c.mapping(value, path, _STAGE_KEYS)
    c.required(data, ("all", "technical", "not_technical", "outcomes"), path)
    outcomes_path = _join(path, "outcomes")
    raw_outcomes = c.mapping(data["outcomes"], outcomes_path, set(OUTCOMES))
    c.required(raw_outcomes, OUTCOMES, outcomes_path)
    return StageSteps(
        all=_parse_list(c, data["all"], _join(path, "all"), links),
        technical=_parse_list(c, data["technical"], _join(path, "technical"), links, allow_empty=True),
        not_technical=_parse_list(c, data["not_technical"], _join(path, "not_technical"), links, allow_empty=True),
        outcomes={
            outcome: _parse_list(c, raw_outcomes[outcome], _join(outcomes_path, outcome), links) for outcome in OUTCOMES
        },
    )


def parse(data: Any, file: str = "content/next_steps.yml") -> NextSteps:
    """Validate already-read YAML data; `file` only names the source in error messages."""
    c = _Checker(file)
    root = c.mapping(data, "", {"links", "stages"})
    c.required(root, ("links", "stages"), "")
    links = _parse_links(c, root["links"])
    stages_data = c.mapping(root["stages"], "stages", set(STAGES))
    c.required(stages_data, STAGES, "stages")
    stages = {stage: _parse_stage(c, stages_data[stage], _join("stages", stage), links) for stage in STAGES}
    return NextSteps(links=links, stages=stages)


def load(path: Path | str = NEXT_STEPS_PATH) -> NextSteps:
    """Read and validate a next-steps file (not cached)."""
    path = Path(path)
    file = _display(path)
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise NextStepsError(f"{file}: <file>: not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<file>"
        raise NextStepsError(f"{file}: {where}: invalid YAML: {exc}") from exc
    return parse(data, file)


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> NextSteps:
    return load(Path(path))


def get_next_steps(path: Path | str = NEXT_STEPS_PATH) -> NextSteps:
    """The validated next steps, read once per path."""
    return _cached(str(Path(path).resolve()))


# ---------------------------------------------------------------- choosing the steps for one pupil


def _resolve(step: RawStep, links: Mapping[str, Link]) -> Step:
    link = links.get(step.link) if step.link else None
    if link is None or not link.url:
        return Step(text=step.text)
    return Step(text=step.text, link_title=link.title, link_url=link.url)


def steps_for(stage: str | None, outcome: str, technical: bool, content: NextSteps | None = None) -> list[Step]:
    """At most MAX_STEPS steps for a pupil: outcome steps first, then the stage's "all", then the extras.

    The three lists take turns (first of each, then second of each, ...) so that every list is heard when
    they are long together; the result keeps the list order. A stage that is None or unknown is treated as
    "bovenbouw". Repeated texts are shown once. A link with an empty url is left off (the text stays).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r} (use one of {', '.join(OUTCOMES)})")
    content = content or get_next_steps()
    block = content.stages.get(stage or DEFAULT_STAGE) or content.stages[DEFAULT_STAGE]
    groups = (block.outcomes[outcome], block.all, block.technical if technical else block.not_technical)
    picked: list[tuple[int, int]] = []
    seen: set[str] = set()
    for position in range(max(len(group) for group in groups)):
        for index, group in enumerate(groups):
            if len(picked) == MAX_STEPS:
                break
            if position < len(group) and group[position].text not in seen:
                seen.add(group[position].text)
                picked.append((index, position))
    return [_resolve(groups[index][position], content.links) for index, position in sorted(picked)]
