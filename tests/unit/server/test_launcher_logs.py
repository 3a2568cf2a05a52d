"""Server logs: one file per day, expired with the conversations, and no pupils' text (issue 12, row 5)."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

from bot.cli import servers
from bot.workshops.retention import DAY


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_new_file_every_day_and_old_days_deleted(tmp_path: Path) -> None:
    start = time.mktime(dt.date(2030, 1, 1).timetuple()) + 3600
    clock = Clock(start)
    log = servers.DailyLog(tmp_path, "rasa", retention_days=3, clock=clock)
    for day in range(6):
        clock.now = start + day * DAY
        log.write(f"line of day {day}\n".encode())
    log.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["rasa-2030-01-04.log", "rasa-2030-01-05.log", "rasa-2030-01-06.log"]
    assert (tmp_path / "rasa-2030-01-06.log").read_text() == "line of day 5\n"


def test_lines_that_may_hold_a_message_are_removed(tmp_path: Path) -> None:
    log = servers.DailyLog(tmp_path, "rasa", retention_days=30)
    private = [
        b'ClientResponseError: 500, body=b\'{"error": "x", "request_body": {"tracker": {}}}\'\n',
        b"{'text': 'ik wil dood', 'intent': {}}\n",
        b'"latest_message": {"text": "geheim"}\n',
        b"Contents of ignored event: {'event': 'slot', 'value': 'mijn antwoord'}\n",
    ]
    public = [b"2030-01-01 INFO rasa.core.run - Starting Rasa server\n", b"Starting action endpoint server...\n"]
    for line in private + public:
        log.write(line)
    log.close()
    written = log.current_path.read_bytes()
    assert written.count(servers.REDACTED) == len(private)
    for line in public:
        assert line in written
    for secret in (b"ik wil dood", b"geheim", b"mijn antwoord", b"request_body"):
        assert secret not in written


def test_pump_copies_a_stream_until_it_closes(tmp_path: Path) -> None:
    log = servers.DailyLog(tmp_path, "web", retention_days=30)
    servers.pump(io.BytesIO(b"one\ntwo\nthree"), log)
    assert log.current_path.read_bytes() == b"one\ntwo\nthree"
