"""Advisor commands: workshops, exports, retention. (Being filled in: see issue 6.)"""

from __future__ import annotations

import argparse

from bot.settings import Settings


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the advisor subcommands."""


def purge_on_start(config: Settings) -> int:
    """Delete conversations older than the retention period; returns how many were removed."""
    return 0
