"""Command line: `python -m bot <command>`. Run `python -m bot --help` for the list."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

from bot import ROOT, settings
from bot.cli import cluster, servers, workshop
from bot.cli.score import score_command as score_file
from bot.core.content import get_questionnaire
from bot.core.domain_parts import render
from bot.settings import Settings


def run_command(args: argparse.Namespace, config: Settings) -> int:
    """Train if needed, start all servers, print the address, stop everything on Ctrl-C."""
    servers.train(config)
    removed = workshop.purge_on_start(config)
    if removed:
        print(f"retention: removed {removed} conversation(s) older than {config.retention_days} days")
    # From here on the web server repeats the purge every KEUZESPIEGEL_PURGE_INTERVAL seconds (hourly).
    print("Starting the action server, the Rasa server and the web server (about 30 s)...")
    with servers.running(config, log_dir=config.log_dir) as stack:
        print()
        print(f"  Keuzespiegel is running. Open {config.web_url}/ in your browser.")
        print(f"  Rasa REST channel: {config.rasa_url}/webhooks/rest/webhook")
        if config.advisor_token:
            print(f"  Advisor dashboard: {config.web_url}/dashboard")
        else:
            print("  Advisor dashboard: off (set KEUZESPIEGEL_ADVISOR_TOKEN to turn it on)")
        print(f"  Logs: {config.log_dir} (one file per server per day, kept {config.retention_days} days)")
        print("  Press Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            while (dead := stack.first_exited()) is None:
                time.sleep(1)
            print(f"The {dead} process stopped unexpectedly; see {config.log_dir / dead}-<date>.log")
        except KeyboardInterrupt:
            pass
        print("Stopping...")
    return 0


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def shell_command(args: argparse.Namespace, config: Settings) -> int:
    """A terminal chat (rasa shell) against the real action server."""
    servers.train(config)
    with servers.running(config, web=False, rasa=False):
        return subprocess.call(
            servers.rasa_command(
                "shell",
                "--model",
                str(ROOT / "models"),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--port",
                str(config.rasa_port),
            ),
            cwd=ROOT,
            env=servers.child_env(config),
        )


def domain_command(args: argparse.Namespace, config: Settings) -> int:
    """Write (or with --check, verify) domain/questionnaire.yml from content/questionnaire.yml."""
    target = ROOT / "domain" / "questionnaire.yml"
    text = render(get_questionnaire())
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    if args.check:
        if current != text:
            print(f"{target.relative_to(ROOT)} is stale: run `python -m bot domain`", file=sys.stderr)
            return 1
        print(f"{target.relative_to(ROOT)} is up to date")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


def score_command(args: argparse.Namespace, config: Settings) -> int:
    return score_file(args.file)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Keuzespiegel command line")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="train if needed and start the bot, the web page and the dashboard").set_defaults(
        func=run_command
    )
    sub.add_parser("shell", help="chat with the bot in the terminal").set_defaults(func=shell_command)

    score = sub.add_parser("score", help="score a file of answers and show how the model reasons")
    score.add_argument("file", help="YAML or JSON file: {stage: ..., answers: {question_id: answer}}")
    score.set_defaults(func=score_command)

    domain = sub.add_parser("domain", help="generate domain/questionnaire.yml from content/questionnaire.yml")
    domain.add_argument("--check", action="store_true", help="only check that the generated file is up to date")
    domain.set_defaults(func=domain_command)

    workshop.add_parsers(sub)
    cluster.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The entry point: the settings are read here, once, and passed to the command (nothing below reads them)."""
    args = build_parser().parse_args(argv)
    return int(args.func(args, settings.load()) or 0)


if __name__ == "__main__":
    sys.exit(main())
