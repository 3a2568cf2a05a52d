"""Workshop exports for the advisor: an anonymous CSV and a one-page report (PNG or PDF).

The CSV holds no sender id and no text a pupil typed: answers are option labels, and of the "Herken je
jezelf?" feedback only the 1-5 rating (column feedback_rating, filled when the frame went through
bot.workshops.feedback.with_feedback). Persona colours come with the summary (personas/*.yml).
"""

from __future__ import annotations

import csv
import io
import math
import secrets
from pathlib import Path
from typing import Any

import pandas as pd

from bot.core.content import SCORE_SLOTS, STAGE_QUESTION, decode_answer, slot_for
from bot.workshops import feedback
from bot.workshops.summary import QuestionInfo, counted, question_catalog, score_labels

NEUTRAL = "#888888"  # a persona without a colour, and the pupils' points: not a persona colour
POINTS = "#2b8cbe"
# matplotlib is imported inside the functions that draw, not here: every `python -m bot` command and the web server
# import this module, matplotlib adds about 1 s to their start (python -X importtime), and only the report needs it.


def _cell(value: Any) -> Any:
    """Keep spreadsheet programs from reading text as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _labels(value: Any, question: QuestionInfo) -> str:
    labels = dict(question.options)
    return "; ".join(labels.get(part, part) for part in decode_answer(value))


def _score(value: Any) -> str:
    return f"{float(value):.3f}" if isinstance(value, (int, float)) and math.isfinite(value) else ""


def csv_rows(frame: pd.DataFrame, questionnaire: Any = None) -> tuple[list[str], list[list[Any]]]:
    """Header and rows: one per finished non-demo conversation, in random order, numbered 1..n."""
    catalog = [q for q in question_catalog(questionnaire) if q.id != STAGE_QUESTION]
    header = ["nr", "stage", *SCORE_SLOTS, "persona", "fit", *(q.id for q in catalog), *feedback.CSV_COLUMNS]
    real = counted(frame)
    finished = real[real["finished"].astype(bool)] if not real.empty else real
    records = finished.to_dict("records")
    secrets.SystemRandom().shuffle(records)
    rows = []
    for number, record in enumerate(records, start=1):
        rows.append(
            [
                number,
                record.get(slot_for(STAGE_QUESTION)) or "",
                *(_score(record.get(score)) for score in SCORE_SLOTS),
                record.get("persona") or "",
                record.get("fit") or "",
                *(_labels(record.get(slot_for(q.id)), q) for q in catalog),
                *feedback.csv_values(record),
            ]
        )
    return header, [[_cell(value) for value in row] for row in rows]


def to_csv(frame: pd.DataFrame, questionnaire: Any = None) -> str:
    """The anonymous CSV as text (comma separated, UTF-8, header first)."""
    header, rows = csv_rows(frame, questionnaire)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def plain(text: str) -> str:
    """Text for matplotlib as it is: a `$` would otherwise start a formula (and `$\\frac{a$` would fail)."""
    return str(text).replace("$", r"\$")


def rating_line(figures: dict[str, Any] | None) -> str:
    """One line on "Herken je jezelf?" for the report (figures: feedback.rating_summary, or None)."""
    if not figures:
        return ""
    if not figures["enough"]:
        return f"Herken je jezelf? Nog minder dan {figures['min_count']} leerlingen gaven een cijfer."
    mean = f"{figures['mean']:.1f}".replace(".", ",")
    return f"Herken je jezelf? Gemiddeld {mean} van 5 ({figures['rated']} leerlingen gaven een cijfer)."


def report_figure(summary: dict[str, Any], title: str) -> Any:
    """A one-page matplotlib Figure (no pyplot, safe in server threads) from a dashboard summary."""
    from matplotlib.figure import Figure  # lazy, see the matplotlib note at the top

    figure = Figure(figsize=(11.69, 8.27), dpi=100)  # A4 landscape
    figure.suptitle(plain(title), fontsize=18, fontweight="bold", x=0.05, ha="left")
    line = f"{summary['finished']} leerlingen afgerond, {summary['started']} begonnen"
    if summary.get("shown") != summary["finished"]:
        line += f" (figuren over de eerste {summary['shown']})"
    figure.text(0.05, 0.89, line, fontsize=13)
    bars, scatter = figure.subplots(
        1,
        2,
        gridspec_kw={"width_ratios": [1, 1.3], "left": 0.06, "right": 0.97, "top": 0.8, "bottom": 0.12, "wspace": 0.25},
    )
    personas = summary["personas"]
    if summary.get("group_large_enough"):
        names = [plain(p["name"]) for p in personas]
        # A suppressed count ("<3") is drawn as a stub with its label, never as its true height.
        counts = [p["count"] if isinstance(p["count"], int) else 0 for p in personas]
        colors = [p.get("color") or NEUTRAL for p in personas]
        drawn = bars.bar(names, counts, color=colors)
        bars.bar_label(drawn, labels=[plain(str(p["count"])) for p in personas], fontsize=13)
        bars.set_ylim(0, max([*counts, 1]) * 1.2)
    else:
        bars.text(
            0.5,
            0.5,
            f"Nog minder dan {summary['min_count']} leerlingen klaar",
            ha="center",
            va="center",
            transform=bars.transAxes,
        )
        bars.set_xticks([])
    bars.set_title("Welk alumnusprofiel past het best", fontsize=13)
    bars.set_yticks([])
    for side in ("top", "right", "left"):
        bars.spines[side].set_visible(False)

    points = summary.get("points", [])
    scatter.scatter(
        [p["exploration"] for p in points],
        [p["commitment"] for p in points],
        s=60,
        color=POINTS,
        alpha=0.6,
        edgecolor="white",
        label="leerlingen",
    )
    for persona in personas:
        if math.isfinite(persona["exploration"]) and math.isfinite(persona["commitment"]):
            color = persona.get("color") or NEUTRAL
            scatter.scatter(
                [persona["exploration"]],
                [persona["commitment"]],
                marker="*",
                s=400,
                color=color,
                edgecolor="black",
                zorder=3,
            )
            scatter.annotate(
                plain(persona["name"]),
                (persona["exploration"], persona["commitment"]),
                xytext=(10, 8),
                textcoords="offset points",
                fontsize=12,
                fontweight="bold",
            )
    scatter.set_xlim(0, 1)
    scatter.set_ylim(0, 1)
    labels = summary.get("dimensions") or score_labels()
    scatter.set_xlabel(plain(labels["exploration"]), fontsize=13)
    scatter.set_ylabel(plain(labels["commitment"]), fontsize=13)
    scatter.set_title("Waar staat de groep?", fontsize=13)
    scatter.grid(True, alpha=0.3)
    figure.text(0.05, 0.855, plain(rating_line(summary.get("feedback"))), fontsize=12)
    figure.text(
        0.05, 0.03, "Anoniem: geen namen of volgorde; demo-gesprekken tellen niet mee.", fontsize=9, color="#555555"
    )
    return figure


def render_report(summary: dict[str, Any], title: str, fmt: str = "png") -> bytes:
    """The report as PNG or PDF bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy, see the matplotlib note at the top

    if fmt not in ("png", "pdf"):
        raise ValueError("report format must be png or pdf")
    figure = report_figure(summary, title)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    return buffer.getvalue()


def write_report(summary: dict[str, Any], title: str, path: Path) -> None:
    """Write the report; the format follows the file suffix (.png or .pdf)."""
    fmt = path.suffix.lower().lstrip(".") or "png"
    path.write_bytes(render_report(summary, title, fmt))
