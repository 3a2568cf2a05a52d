"""Feedback ("Herken je jezelf?") for advisors: the 1-5 ratings of the result, for the dashboard, CSV and reports.

The rating and the optional text are the slots feedback_rating and feedback_text (actions/feedback.py), read
live from the tracker store like everything else here. Figures follow the dashboard's rules
(bot.workshops.summary): demo conversations are left out, nothing is shown for fewer than MIN_COUNT ratings,
counts below MIN_COUNT show as "<3", and ratings are taken in steps of MIN_COUNT in the order they were given,
so that a change on the projector never belongs to one pupil.

The free text ("wat klopt er niet?") never leaves the tracker store: a pupil may write a name, a class or
something else that points to them, and the CSV and the report go to other people. The CSV gets the rating
only; the dashboard shows how many of the ratings came with a text (suppressed like any count).
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from bot.workshops import store, summary
from bot.workshops.summary import MIN_COUNT, SUPPRESSED, counted, suppress

RATING_SLOT = "feedback_rating"
TEXT_SLOT = "feedback_text"
TIME_COLUMN = "feedback_at"
FEEDBACK_SLOTS = (RATING_SLOT, TEXT_SLOT)
RATINGS = (1, 2, 3, 4, 5)
CSV_COLUMNS = (RATING_SLOT,)  # the text is left out on purpose: see the module docstring


def rating_of(value: Any) -> int | None:
    """A stored rating as 1..5, None for anything else (unset, NaN, out of range). numpy numbers count too: a
    column of whole numbers comes out of pandas as numpy.int64, which is no Python int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() and int(value) in RATINGS else None


def load_feedback(*, db_url: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """One row per conversation with feedback: sender_id, feedback_rating (float, NaN when none),
    feedback_text (text or None) and feedback_at (unix time the rating was given, NaN when none)."""
    rows = store.last_slot_values(list(FEEDBACK_SLOTS), db_url=db_url, engine=engine)
    columns = ["sender_id", RATING_SLOT, TEXT_SLOT, TIME_COLUMN]
    if rows.empty:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
    ratings = rows[rows["slot"] == RATING_SLOT].set_index("sender_id")
    texts = rows[rows["slot"] == TEXT_SLOT].set_index("sender_id")
    senders = sorted(set(rows["sender_id"]))
    frame = pd.DataFrame({"sender_id": senders})
    frame[RATING_SLOT] = [float(rating_of(ratings["value"].get(s)) or math.nan) for s in senders]
    frame[TEXT_SLOT] = [_text(texts["value"].get(s)) for s in senders]
    frame[TIME_COLUMN] = [
        float(ratings["time"].get(s)) if not math.isnan(frame.loc[i, RATING_SLOT]) else math.nan
        for i, s in enumerate(senders)
    ]
    return frame[columns]


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def with_feedback(frame: pd.DataFrame, *, db_url: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """store.load_conversations' frame with the columns feedback_rating, feedback_text and feedback_at added."""
    feedback = load_feedback(db_url=db_url, engine=engine)
    merged = frame.drop(columns=[c for c in (*FEEDBACK_SLOTS, TIME_COLUMN) if c in frame.columns])
    merged = merged.merge(feedback, on="sender_id", how="left")
    merged[RATING_SLOT] = merged[RATING_SLOT].astype(float)
    merged[TIME_COLUMN] = merged[TIME_COLUMN].astype(float)
    merged[TEXT_SLOT] = [_text(v) for v in merged[TEXT_SLOT]]
    return merged


def workshop_frame(code: str, *, db_url: str) -> pd.DataFrame:
    """A workshop's conversations with their feedback, read live from the tracker store: what the dashboard,
    its downloads and `python -m bot export` all start from."""
    return with_feedback(store.load_conversations(code, db_url=db_url), db_url=db_url)


def rated_in_steps(frame: pd.DataFrame, step: int = MIN_COUNT) -> pd.DataFrame:
    """Finished, non-demo conversations with a rating: the first floor(n / step) * step, in rating order."""
    real = counted(frame)
    if real.empty or RATING_SLOT not in real.columns:
        return real.iloc[0:0]
    valid = real[real["finished"].astype(bool) & real[RATING_SLOT].map(lambda v: rating_of(v) is not None)]
    order = [TIME_COLUMN, "sender_id"] if TIME_COLUMN in valid.columns else ["sender_id"]
    ordered = valid.sort_values(order, na_position="last", kind="mergesort")
    return ordered.head(len(ordered) // step * step)


def _mean(values: pd.Series) -> float:
    return round(float(values.mean()), 1)


def rating_summary(
    frame: pd.DataFrame, personas: list[str] | None = None, min_count: int = MIN_COUNT
) -> dict[str, Any]:
    """JSON-ready "Herken je jezelf?" figures for the dashboard (frame: with_feedback(load_conversations(...))).

    {"rated": n shown (a multiple of min_count), "enough": n >= min_count, "mean": mean 1..5 (one decimal) or
    None, "counts": {"1": count or "<3", ...} or None, "with_text": how many of them wrote a text (or "<3", None
    below min_count), "personas": [{"id", "rated", "mean"}]}. A persona's figures are None (shown as "<3") below
    min_count, and also when the ratings outside the personas shown would be fewer than min_count (the overall
    mean would then give those few pupils' ratings away).
    """
    shown = rated_in_steps(frame, min_count)
    enough = len(shown) >= min_count
    ratings = shown[RATING_SLOT].map(rating_of) if enough else pd.Series(dtype=float)
    counts = {str(r): int((ratings == r).sum()) for r in RATINGS}
    ids = personas if personas is not None else sorted({str(p) for p in shown.get("persona", []) if p})
    groups = {pid: shown[shown["persona"] == pid][RATING_SLOT] if enough else pd.Series(dtype=float) for pid in ids}
    visible = {pid for pid, own in groups.items() if len(own) >= min_count}
    while visible and 0 < len(shown) - sum(len(groups[pid]) for pid in visible) < min_count:
        visible.remove(min(visible, key=lambda pid: (len(groups[pid]), pid)))
    by_persona = [
        {
            "id": pid,
            "rated": int(len(groups[pid])) if pid in visible else None,
            "mean": _mean(groups[pid]) if pid in visible else None,
        }
        for pid in ids
    ]
    texts = int(shown[TEXT_SLOT].map(lambda t: bool(_text(t))).sum()) if enough and TEXT_SLOT in shown else 0
    return {
        "rated": int(len(shown)),
        "enough": enough,
        "min_count": min_count,
        "mean": _mean(shown[RATING_SLOT]) if enough else None,
        "counts": suppress(counts, min_count) if enough else None,
        "with_text": (texts if texts >= min_count else SUPPRESSED) if enough else None,
        "personas": by_persona,
    }


def summarize_with_ratings(frame: pd.DataFrame) -> dict[str, Any]:
    """summary.summarize's figures plus "feedback": rating_summary over the same personas (frame: workshop_frame)."""
    figures = summary.summarize(frame)
    figures["feedback"] = rating_summary(frame, [p["id"] for p in figures["personas"]])
    return figures


def mean_by_persona(frame: pd.DataFrame, min_count: int = MIN_COUNT) -> dict[str, dict[str, Any]]:
    """For the model's validation report: per persona (and fit) the number of ratings and their mean,
    over every finished non-demo conversation with a rating; groups under min_count get mean None."""
    real = counted(frame)
    if real.empty or RATING_SLOT not in real.columns:
        return {}
    rated = real[real["finished"].astype(bool) & real[RATING_SLOT].map(lambda v: rating_of(v) is not None)]
    result: dict[str, dict[str, Any]] = {}
    for persona_id, group in rated.groupby("persona"):
        result[str(persona_id)] = {
            "rated": int(len(group)),
            "mean": _mean(group[RATING_SLOT]) if len(group) >= min_count else None,
            "by_fit": {
                str(fit): {
                    "rated": int(len(part)),
                    "mean": _mean(part[RATING_SLOT]) if len(part) >= min_count else None,
                }
                for fit, part in group.groupby("fit")
            },
        }
    return result


def csv_values(record: dict[str, Any]) -> list[Any]:
    """The CSV cells for CSV_COLUMNS of one conversation: the rating 1-5, or "" when there is none."""
    rating = rating_of(record.get(RATING_SLOT))
    return ["" if rating is None else rating]


FIT_NAMES = {"good": "good fit", "weak": "weak fit", "diffusion": "nobody yet", "insufficient": "too few answers"}


def _cell(figures: dict[str, Any] | None) -> str:
    if not figures or not figures["rated"]:
        return "-"
    mean = figures["mean"]
    return f"{mean:.1f} ({figures['rated']})" if mean is not None else f"<{MIN_COUNT} ratings ({figures['rated']})"


def report_lines(frame: pd.DataFrame, names: dict[str, str] | None = None, min_count: int = MIN_COUNT) -> list[str]:
    """Markdown for the model's validation report: the mean "Herken je jezelf?" rating per persona, split by fit.

    frame: with_feedback(load_conversations(...)) of every conversation. Without any rating there is one line
    saying so; a mean is only given over at least min_count ratings.
    """
    names = names or {}
    figures = mean_by_persona(frame, min_count)
    lines = [
        '## "Herken je jezelf?": how pupils rate their result',
        "",
        "After the reveal a pupil may rate how well the result fits, from 1 (not at all) to 5 (completely).",
        "Mean rating (number of ratings) over finished conversations outside the demo mode, by the alumnus",
        'the pupil was matched with and by fit ("nobody yet" and "too few answers": the nearest alumnus).',
        f"A mean needs at least {min_count} ratings.",
        "",
    ]
    if not figures:
        return [*lines, "No ratings yet: the table appears here once pupils have rated their result.", ""]
    fits = [fit for fit in FIT_NAMES if any(fit in f["by_fit"] for f in figures.values())]
    fits += sorted({fit for f in figures.values() for fit in f["by_fit"]} - set(fits))
    lines.append("| alumnus | all | " + " | ".join(FIT_NAMES.get(fit, fit) for fit in fits) + " |")
    lines.append("|---|---:|" + "---:|" * len(fits))
    order = {pid: i for i, pid in enumerate(names)}
    for pid in sorted(figures, key=lambda p: (order.get(p, len(order)), p)):
        row = figures[pid]
        cells = [_cell(row), *(_cell(row["by_fit"].get(fit)) for fit in fits)]
        lines.append(f"| {names.get(pid, pid)} | " + " | ".join(cells) + " |")
    total = sum(f["rated"] for f in figures.values())
    lines += ["", f"{total} rating(s) in all.", ""]
    return lines


def validation_report(db_url: str, names: dict[str, str] | None = None) -> list[str]:
    """report_lines for every conversation in the tracker store at db_url (the caller's settings.db_url).

    A SQLite file that does not exist yet means no data; it is not created.
    """
    path = db_url.split("///", 1)[1] if db_url.startswith("sqlite:///") else None
    if path is not None and not path.startswith(":memory:") and not Path(path).exists():
        return report_lines(pd.DataFrame(), names)
    frame = store.load_conversations(db_url=db_url)
    return report_lines(with_feedback(frame, db_url=db_url), names)
