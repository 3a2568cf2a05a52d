"""Advisor commands: `workshop new|list|close`, `export`, `purge`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot.settings import Settings
from bot.workshops import export, feedback
from bot.workshops.registry import close_workshop, create_workshop, get_workshop, list_workshops
from bot.workshops.retention import purge_logs, purge_old_conversations


def _workshop_new(args: argparse.Namespace, config: Settings) -> int:
    try:
        workshop = create_workshop(args.name, db_url=config.db_url)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"code: {workshop.code}")
    print(f"link: {workshop.link(config)}")
    return 0


def _workshop_list(args: argparse.Namespace, config: Settings) -> int:
    workshops = list_workshops(db_url=config.db_url)
    if not workshops:
        print('no workshops yet: python -m bot workshop new "<name>"')
        return 0
    for workshop in workshops:
        created = dt.datetime.fromtimestamp(workshop.created_at).strftime("%Y-%m-%d %H:%M")
        state = "open  " if workshop.is_open else "closed"
        print(f"{workshop.code}  {created}  {state}  {workshop.name}")
    return 0


def _workshop_close(args: argparse.Namespace, config: Settings) -> int:
    workshop = close_workshop(args.code, db_url=config.db_url)
    if workshop is None:
        print(f"error: no workshop with code {args.code!r}", file=sys.stderr)
        return 1
    closed = dt.datetime.fromtimestamp(workshop.closed_at or 0).strftime("%Y-%m-%d %H:%M")
    print(f"closed: {workshop.code} ({workshop.name}) since {closed}; new pupils can no longer join")
    return 0


def _export(args: argparse.Namespace, config: Settings) -> int:
    if not args.csv and not args.report:
        print("error: give --csv FILE and/or --report FILE(.png|.pdf)", file=sys.stderr)
        return 2
    workshop = get_workshop(args.code, db_url=config.db_url)
    if workshop is None:
        print(f"error: no workshop with code {args.code!r}", file=sys.stderr)
        return 1
    frame = feedback.workshop_frame(workshop.code, db_url=config.db_url)  # the ratings too, as on the dashboard
    if args.csv:
        Path(args.csv).write_text(export.to_csv(frame), encoding="utf-8")
        print(f"csv: {args.csv}")
    if args.report:
        path = Path(args.report)
        if path.suffix.lower() not in (".png", ".pdf"):
            print("error: --report must end in .png or .pdf", file=sys.stderr)
            return 2
        figures = feedback.summarize_with_ratings(frame)
        export.write_report(figures, f"Keuzespiegel: {workshop.name} ({workshop.code})", path)
        print(f"report: {args.report}")
    return 0


def _purge(args: argparse.Namespace, config: Settings) -> int:
    days = config.retention_days if args.days is None else args.days
    removed = purge_old_conversations(days, db_url=config.db_url)
    print(f"removed {removed} conversation(s) whose last message is older than {days} days")
    logs = purge_logs(config.log_dir, days)
    if logs:
        print(f"removed {logs} log file(s) older than {days} days")
    return 0


def _days(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the advisor subcommands."""
    workshop = sub.add_parser("workshop", help="create and list classroom workshops")
    actions = workshop.add_subparsers(dest="workshop_command", required=True)
    new = actions.add_parser("new", help="create a workshop; prints its code and the link for pupils")
    new.add_argument("name", help='a name for yourself, e.g. "5V techniekdag"')
    new.set_defaults(func=_workshop_new)
    actions.add_parser("list", help="all workshops, newest first").set_defaults(func=_workshop_list)
    close = actions.add_parser("close", help="close a workshop: its code no longer lets new pupils in")
    close.add_argument("code", help="workshop code, e.g. K7M3QD")
    close.set_defaults(func=_workshop_close)

    export = sub.add_parser("export", help="anonymous CSV and/or one-page report of a workshop")
    export.add_argument("code", help="workshop code, e.g. K7M3QD")
    export.add_argument("--csv", metavar="FILE", help="write one anonymous row per finished pupil")
    export.add_argument("--report", metavar="FILE", help="write the report as .png or .pdf")
    export.set_defaults(func=_export)

    purge = sub.add_parser("purge", help="delete conversations older than the retention period")
    purge.add_argument(
        "--days",
        type=_days,
        default=None,
        help="age in days of the last message (default: KEUZESPIEGEL_RETENTION_DAYS, 30)",
    )
    purge.set_defaults(func=_purge)


def purge_on_start(config: Settings) -> int:
    """Delete conversations and log files older than the retention period; returns the conversations removed."""
    purge_logs(config.log_dir, config.retention_days)
    if config.sqlite_path is not None and not config.sqlite_path.exists():
        return 0
    return purge_old_conversations(config.retention_days, db_url=config.db_url)
