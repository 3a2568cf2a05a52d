"""Workshop registry and the dashboard's HTTP routes (token refusal, no default secret)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import settings
from bot.server import SETTINGS_KEY, dashboard
from bot.workshops import registry
from tests.unit.workshops.test_summary import add_conversation, tracker_store

TOKEN = "unit-advisor-token-3c9e-5b1d07"


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def test_codes_are_unambiguous_and_unique(db_url: str) -> None:
    made = [registry.create_workshop(f"klas {i}", db_url=db_url) for i in range(40)]
    codes = [w.code for w in made]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 6 and all(c in registry.ALPHABET for c in code)
        assert not set(code) & set("0O1I")
    assert [w.code for w in registry.list_workshops(db_url=db_url)][0] == made[-1].code


def test_create_get_and_link(db_url: str) -> None:
    created = registry.create_workshop("  5V   techniekdag ", db_url=db_url)
    assert created.name == "5V techniekdag"
    assert registry.get_workshop(created.code.lower(), db_url=db_url) == created
    assert registry.get_workshop("NOPE", db_url=db_url) is None
    assert registry.get_workshop("ABCDE0", db_url=db_url) is None
    config = dataclasses.replace(settings.load(), host="school.example", web_port=8000)
    assert created.link(config) == f"http://school.example:8000/?workshop={created.code}"
    with pytest.raises(ValueError):
        registry.create_workshop("   ", db_url=db_url)
    with pytest.raises(ValueError):
        registry.create_workshop("x" * 101, db_url=db_url)


def test_workshop_table_lives_next_to_events(db_url: str) -> None:
    tracker = tracker_store(db_url)
    registry.create_workshop("samen", db_url=db_url)
    add_conversation(tracker, "p1")
    import sqlalchemy as sa

    names = set(sa.inspect(sa.create_engine(db_url)).get_table_names())
    assert {"events", "keuzespiegel_workshops"} <= names


# ---- HTTP routes -----------------------------------------------------------------------------------


def make_app(db_url: str, token: str | None) -> web.Application:
    config = dataclasses.replace(settings.load(), db_url=db_url, advisor_token=token)
    app = web.Application()
    app[SETTINGS_KEY] = config
    dashboard.add_routes(app)
    return app


def with_client(app: web.Application, body: Callable[[TestClient], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with TestClient(TestServer(app)) as client:
            return await body(client)

    return asyncio.run(run())


def test_no_token_configured_means_503(db_url: str) -> None:
    async def body(client: TestClient) -> None:
        for path in ("/dashboard", "/dashboard/api/workshops", "/dashboard/api/workshops/ABCDEF/summary"):
            response = await client.get(path, headers={"Authorization": "Bearer "})
            assert response.status == 503, path
            assert "KEUZESPIEGEL_ADVISOR_TOKEN" in await response.text()
        response = await client.post("/dashboard/api/workshops", json={"name": "x"})
        assert response.status == 503

    with_client(make_app(db_url, None), body)
    assert settings.Settings.__dataclass_fields__["advisor_token"].default is dataclasses.MISSING


def test_missing_or_wrong_token_is_refused(db_url: str) -> None:
    created = registry.create_workshop("klas", db_url=db_url)
    paths = [
        "/dashboard/api/workshops",
        f"/dashboard/api/workshops/{created.code}/summary",
        f"/dashboard/api/workshops/{created.code}/export.csv",
        f"/dashboard/api/workshops/{created.code}/report.png",
    ]

    async def body(client: TestClient) -> None:
        for path in paths:
            assert (await client.get(path)).status == 401
            wrong = await client.get(path, headers={"Authorization": "Bearer nope"})
            assert wrong.status == 401
            assert "error" in json.loads(await wrong.text())
        page = await client.get("/dashboard")
        assert page.status == 401 and "Inloggen" in await page.text()
        assert (await client.post("/dashboard/api/workshops", json={"name": "x"})).status == 401
        forged = {dashboard.COOKIE: dashboard.session_value("other-token", 9_999_999_999)}
        assert (await client.get(paths[0], cookies=forged)).status == 401

    with_client(make_app(db_url, TOKEN), body)


def test_bearer_token_gives_summary_csv_report_and_create(db_url: str) -> None:
    created = registry.create_workshop("klas", db_url=db_url)
    tracker = tracker_store(db_url)
    for i in range(4):
        add_conversation(
            tracker,
            f"p{i}",
            workshop=created.code,
            answers={"stage": "klas3"},
            persona="tim",
            scores=(0.8, 0.8, 0.2),
            start=1_700_000_000.0 + i,
        )
    add_conversation(tracker, "demo", workshop=created.code, demo=True, persona="joost", scores=(0.1, 0.9, 0.1))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    base = f"/dashboard/api/workshops/{created.code}"

    async def body(client: TestClient) -> None:
        summary = await (await client.get(f"{base}/summary", headers=auth)).json()
        assert summary["started"] == 4 and summary["finished"] == 4 and summary["shown"] == 3
        assert summary["workshop"]["code"] == created.code
        assert [d["url"] for d in summary["workshop"]["demo_links"]] == [
            f"/?demo={p}&workshop={created.code}" for p in ("joost", "luuk", "tim")
        ]
        # 0 and 0 are shown as "<3" too: on the projector a zero and a one look the same.
        assert {p["id"]: p["count"] for p in summary["personas"]} == {"joost": "<3", "luuk": "<3", "tim": 3}
        assert "p0" not in json.dumps(summary)
        lower = await client.get(f"/dashboard/api/workshops/{created.code.lower()}/summary", headers=auth)
        assert lower.status == 200
        assert (await client.get("/dashboard/api/workshops/ZZZZZZ/summary", headers=auth)).status == 404
        csv_response = await client.get(f"{base}/export.csv", headers=auth)
        assert csv_response.status == 200 and "attachment" in csv_response.headers["Content-Disposition"]
        lines = (await csv_response.text()).lstrip("\ufeff").strip().splitlines()
        assert len(lines) == 5 and lines[0].startswith("nr,stage,exploration")
        png = await client.get(f"{base}/report.png", headers=auth)
        assert png.status == 200 and (await png.read())[:8] == b"\x89PNG\r\n\x1a\n"
        pdf = await client.get(f"{base}/report.pdf", headers=auth)
        assert pdf.status == 200 and (await pdf.read())[:5] == b"%PDF-"
        made = await client.post("/dashboard/api/workshops", json={"name": "5V techniekdag"}, headers=auth)
        assert made.status == 201
        data = await made.json()
        assert data["link"].endswith(f"/?workshop={data['code']}")
        form = await client.post("/dashboard/api/workshops", data={"name": "via formulier"}, headers=auth)
        assert form.status == 201
        assert (await client.post("/dashboard/api/workshops", json={"name": ""}, headers=auth)).status == 400

    with_client(make_app(db_url, TOKEN), body)


def test_login_cookie_flow(db_url: str) -> None:
    async def body(client: TestClient) -> None:
        wrong = await client.post("/dashboard/login", data={"token": "nope"})
        assert wrong.status == 401 and "Onjuiste code" in await wrong.text()
        response = await client.post("/dashboard/login", data={"token": TOKEN}, allow_redirects=False)
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
        page = await client.get("/dashboard")
        assert page.status == 200 and "dashboard.js" in await page.text()
        assert page.headers["Cache-Control"] == "no-store"
        listing = await client.get("/dashboard/api/workshops")
        assert listing.status == 200
        cross_site = await client.post(
            "/dashboard/api/workshops", json={"name": "x"}, headers={"Origin": "https://evil.example"}
        )
        assert cross_site.status == 403
        created = await client.post(
            "/dashboard/api/workshops",
            json={"name": "via cookie"},
            headers={"Origin": f"http://{client.host}:{client.port}"},
        )
        assert created.status == 201

    with_client(make_app(db_url, TOKEN), body)


def test_static_files_only(db_url: str) -> None:
    async def body(client: TestClient) -> None:
        assert (await client.get("/dashboard/static/dashboard.js")).status == 200
        assert (await client.get("/dashboard/static/dashboard.css")).status == 200
        assert (await client.get("/dashboard/static/dashboard.html")).status == 404
        assert (await client.get("/dashboard/static/..%2Fsettings.py")).status == 404

    with_client(make_app(db_url, TOKEN), body)


def test_demo_page_app_has_dashboard(tmp_path: Path) -> None:
    """The real web app (bot.server.app.create_app) carries the dashboard routes."""
    from bot.server import app as web_app

    try:
        app = web_app.create_app(
            dataclasses.replace(settings.load(), advisor_token=None, db_url=f"sqlite:///{tmp_path / 'x.db'}")
        )
    except FileNotFoundError:
        pytest.skip("demo page not there yet")

    async def body(client: TestClient) -> None:
        assert (await client.get("/dashboard/api/workshops")).status == 503

    with_client(app, body)
