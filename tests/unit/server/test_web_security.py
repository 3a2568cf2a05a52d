"""The web server under attack (issue 12, rows 4, 5, 10, 11), through aiohttp's test client."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import settings
from bot.server import SETTINGS_KEY, dashboard
from bot.server import app as web_app
from bot.workshops import registry, store
from tests.unit.workshops.test_summary import add_conversation, tracker_store

TOKEN = "unit-advisor-token-5d2c-91f0a7"


def make_app(tmp_path: Path, **changes: Any) -> web.Application:
    config = dataclasses.replace(
        settings.load(),
        db_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        advisor_token=TOKEN,
        data_dir=tmp_path,
        **changes,
    )
    return web_app.create_app(config)


def with_client(app: web.Application, body: Callable[[TestClient], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with TestClient(TestServer(app)) as client:
            return await body(client)

    return asyncio.run(run())


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_failed_guesses_never_lock_the_advisor_out(tmp_path: Path) -> None:
    """Row 4: after 20 bad tokens from the school's one address, token, cookie and login still work."""

    async def body(client: TestClient) -> None:
        login = await client.post("/dashboard/login", data={"token": TOKEN}, allow_redirects=False)
        assert login.status == 303
        cookie = login.cookies[dashboard.COOKIE].value
        statuses = [
            (await client.get("/dashboard/api/workshops", headers=auth("wrong"))).status
            for _ in range(dashboard.MAX_FAILURES + 5)
        ]
        assert statuses[: dashboard.MAX_FAILURES] == [401] * dashboard.MAX_FAILURES
        assert set(statuses[dashboard.MAX_FAILURES :]) == {429}, "further failures are slowed down"
        assert (await client.get("/dashboard/api/workshops", headers=auth())).status == 200
        client.session.cookie_jar.clear()
        with_cookie = await client.get("/dashboard/api/workshops", cookies={dashboard.COOKIE: cookie})
        assert with_cookie.status == 200
        again = await client.post("/dashboard/login", data={"token": TOKEN}, allow_redirects=False)
        assert again.status == 303
        wrong = await client.post("/dashboard/login", data={"token": "nope"}, allow_redirects=False)
        assert wrong.status == 429

    with_client(make_app(tmp_path), body)


def test_failure_table_is_bounded_without_a_global_reset() -> None:
    """Row 4: once 10,000 addresses were tracked, every counter used to be cleared, the attacker's too."""

    class FakeRequest:
        def __init__(self, app: dict[Any, Any], remote: str) -> None:
            self.app = app
            self.remote = remote
            self.headers: dict[str, str] = {}

    app: dict[Any, Any] = {dashboard.FAILURES_KEY: dashboard.OrderedDict(), SETTINGS_KEY: settings.load()}
    attacker = FakeRequest(app, "203.0.113.9")
    for _ in range(dashboard.MAX_FAILURES):
        dashboard._record_failure(attacker)  # type: ignore[arg-type]
    assert dashboard._too_many_failures(attacker)  # type: ignore[arg-type]
    for i in range(dashboard.MAX_TRACKED_CLIENTS + 50):
        if i % 1000 == 0:
            dashboard._record_failure(attacker)  # type: ignore[arg-type]
        dashboard._record_failure(FakeRequest(app, f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"))  # type: ignore[arg-type]
    assert len(app[dashboard.FAILURES_KEY]) == dashboard.MAX_TRACKED_CLIENTS
    assert dashboard._too_many_failures(attacker), "the active attacker is still slowed down"  # type: ignore[arg-type]


def test_bad_input_gives_4xx_never_500(tmp_path: Path) -> None:
    """Row 10: a NUL in a widget path, a 4,300-digit session cookie, a formula as workshop name."""
    db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    workshop = registry.create_workshop("$\\frac{a$", db_url=db_url)

    async def body(client: TestClient) -> None:
        for path in (
            "/widget/a%00.js",
            "/widget/%00",
            "/widget/..%2f..%2fbot%2fsettings.py",
            "/widget/a.js%00.svg",
            "/widget/" + "a/" * 50 + "x.js",
            "/widget/.hidden.js",
        ):
            response = await client.get(path)
            assert response.status == 404, path
        assert (await client.get("/widget/keuzespiegel.js")).status == 200
        huge = {dashboard.COOKIE: "9" * 4300 + ".abc"}
        for path in ("/dashboard", "/dashboard/api/workshops"):
            response = await client.get(path, cookies=huge)
            assert response.status == 401, path
        client.session.cookie_jar.clear()
        report = await client.get(f"/dashboard/api/workshops/{workshop.code}/report.png", headers=auth())
        assert report.status == 200 and (await report.read())[:4] == b"\x89PNG"
        bad_json = await client.post(
            "/dashboard/api/workshops", data=b"[", headers={**auth(), "Content-Type": "application/json"}
        )
        assert bad_json.status == 400

    with_client(make_app(tmp_path), body)


def test_public_url_drives_secure_cookie_and_origin_check(tmp_path: Path) -> None:
    """Row 11: behind a TLS proxy the server sees http; the configured public address decides."""
    app = make_app(tmp_path, public_url="https://bot.school.nl")

    async def body(client: TestClient) -> None:
        login = await client.post(
            "/dashboard/login",
            data={"token": TOKEN},
            allow_redirects=False,
            headers={"Origin": "https://bot.school.nl"},
        )
        assert login.status == 303
        cookie_header = login.headers["Set-Cookie"]
        assert "Secure" in cookie_header and "HttpOnly" in cookie_header and "SameSite=Strict" in cookie_header
        for origin in ("http://bot.school.nl", "https://evil.example", "null", f"http://{client.host}:{client.port}"):
            refused = await client.post(
                "/dashboard/login", data={"token": TOKEN}, allow_redirects=False, headers={"Origin": origin}
            )
            assert refused.status == 403, origin

    with_client(app, body)

    async def local(client: TestClient) -> None:
        login = await client.post(
            "/dashboard/login",
            data={"token": TOKEN},
            allow_redirects=False,
            headers={"Origin": f"http://{client.host}:{client.port}"},
        )
        assert login.status == 303 and "Secure" not in login.headers["Set-Cookie"]

    with_client(make_app(tmp_path), local)


def test_advisor_can_close_a_workshop(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    workshop = registry.create_workshop("klas", db_url=db_url)

    async def body(client: TestClient) -> None:
        path = f"/dashboard/api/workshops/{workshop.code}/close"
        assert (await client.post(path)).status == 401
        assert (await client.post(path, headers={**auth(), "Origin": "https://evil.example"})).status == 200
        closed = await (await client.post(path, headers=auth())).json()
        assert closed["open"] is False and closed["code"] == workshop.code
        assert (await client.post("/dashboard/api/workshops/ZZZZZZ/close", headers=auth())).status == 404
        summary = await (await client.get(f"/dashboard/api/workshops/{workshop.code}/summary", headers=auth())).json()
        assert summary["workshop"]["open"] is False

    with_client(make_app(tmp_path), body)
    page = (Path(web_app.ROOT) / "web" / "dashboard" / "dashboard.js").read_text(encoding="utf-8")
    assert re.search(r'"/close"', page), "the dashboard has a close button wired to the API"


def test_retention_runs_inside_the_running_server(tmp_path: Path) -> None:
    """Row 5: a server left running deletes old conversations and old logs on its own, every interval."""
    db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    tracker = tracker_store(db_url)
    add_conversation(tracker, "old", start=time.time() - 40 * 86400)
    add_conversation(tracker, "new", start=time.time() - 86400)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "rasa-2000-01-01.log").write_text("old line\n")
    app = make_app(tmp_path, retention_days=30, purge_interval_s=1)

    async def body(client: TestClient) -> None:
        for _ in range(100):
            if not (logs / "rasa-2000-01-01.log").exists() and "old" not in set(
                store.load_conversations(db_url=db_url)["sender_id"]
            ):
                break
            await asyncio.sleep(0.1)
        senders = set(store.load_conversations(db_url=db_url)["sender_id"])
        assert senders == {"new"}
        assert not (logs / "rasa-2000-01-01.log").exists()

    with_client(app, body)


def test_purge_loop_survives_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def flaky(config: settings.Settings) -> tuple[int, int]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return 0, 0

    monkeypatch.setattr(web_app, "purge_once", flaky)

    async def run() -> None:
        task = asyncio.create_task(web_app.purge_loop(settings.load(), 0.01))
        for _ in range(200):
            if len(calls) >= 3:
                break
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(run())
    assert len(calls) >= 3
