"""Settings that harden the bot: token length, rate limit syntax, public URL, bind addresses."""

from __future__ import annotations

import pytest

from bot import settings
from bot.cli import servers


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "KEUZESPIEGEL_ADVISOR_TOKEN",
        "KEUZESPIEGEL_RATE_LIMIT",
        "KEUZESPIEGEL_RATE_BURST",
        "KEUZESPIEGEL_PUBLIC_URL",
        "KEUZESPIEGEL_ACTIONS_HOST",
        "KEUZESPIEGEL_HOST",
        "KEUZESPIEGEL_CORS_ORIGINS",
        "KEUZESPIEGEL_WORKSHOP_CAP",
        "KEUZESPIEGEL_MAX_WAITING",
        "KEUZESPIEGEL_TRUSTED_PROXIES",
        "KEUZESPIEGEL_RESULT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_short_advisor_token_is_refused_at_startup(env: pytest.MonkeyPatch) -> None:
    env.setenv("KEUZESPIEGEL_ADVISOR_TOKEN", "x" * 23)
    with pytest.raises(SystemExit) as refused:
        settings.load()
    assert "KEUZESPIEGEL_ADVISOR_TOKEN" in str(refused.value) and "24" in str(refused.value)
    env.setenv("KEUZESPIEGEL_ADVISOR_TOKEN", "x" * 24)
    assert settings.load().advisor_token == "x" * 24
    env.setenv("KEUZESPIEGEL_ADVISOR_TOKEN", "   ")
    assert settings.load().advisor_token is None, "unset (or blank) means: dashboard off"


def test_web_app_refuses_a_short_token_too() -> None:
    import dataclasses

    from bot.server import app

    with pytest.raises(SystemExit):
        app.create_app(dataclasses.replace(settings.load(), advisor_token="short-token"))


def test_result_secret_is_optional_but_never_short(env: pytest.MonkeyPatch) -> None:
    assert settings.load().result_secret is None, "unset: a random key in the data directory"
    env.setenv("KEUZESPIEGEL_RESULT_SECRET", "   ")
    assert settings.load().result_secret is None
    env.setenv("KEUZESPIEGEL_RESULT_SECRET", "s" * 23)
    with pytest.raises(SystemExit) as refused:
        settings.load()
    assert "KEUZESPIEGEL_RESULT_SECRET" in str(refused.value) and "24" in str(refused.value)
    env.setenv("KEUZESPIEGEL_RESULT_SECRET", " " + "s" * 24 + " ")
    assert settings.load().result_secret == "s" * 24


def test_web_app_refuses_a_short_result_secret_too() -> None:
    import dataclasses

    from bot.server import app

    with pytest.raises(SystemExit) as refused:
        app.create_app(dataclasses.replace(settings.load(), result_secret="short-secret"))
    assert "KEUZESPIEGEL_RESULT_SECRET" in str(refused.value)


def test_rate_limit_syntax(env: pytest.MonkeyPatch) -> None:
    assert settings.load().rate_limit == settings.RateLimit(rate=120, per=10.0, burst=60)
    env.setenv("KEUZESPIEGEL_RATE_LIMIT", "20/10")
    assert settings.load().rate_limit == settings.RateLimit(rate=20, per=10.0, burst=10)
    env.setenv("KEUZESPIEGEL_RATE_BURST", "15")
    limit = settings.load().rate_limit
    assert limit is not None and limit.burst == 15 and limit.per_second == 2.0
    env.setenv("KEUZESPIEGEL_RATE_LIMIT", "off")
    assert settings.load().rate_limit is None
    for bad in ("fast", "10", "0/10", "10/0", "-1/5"):
        env.setenv("KEUZESPIEGEL_RATE_LIMIT", bad)
        with pytest.raises(SystemExit):
            settings.load()


def test_public_url(env: pytest.MonkeyPatch) -> None:
    assert settings.load().public_url is None
    env.setenv("KEUZESPIEGEL_PUBLIC_URL", "https://bot.school.nl/")
    config = settings.load()
    assert config.public_url == "https://bot.school.nl" and config.public_base == "https://bot.school.nl"
    assert "https://bot.school.nl" in config.cors_origins
    for bad in ("bot.school.nl", "ftp://x", "https://"):
        env.setenv("KEUZESPIEGEL_PUBLIC_URL", bad)
        with pytest.raises(SystemExit):
            settings.load()


def test_servers_bind_where_configured(env: pytest.MonkeyPatch) -> None:
    """Row 6: Rasa listens on KEUZESPIEGEL_HOST, the action server on 127.0.0.1 unless told otherwise."""
    env.setenv("KEUZESPIEGEL_HOST", "10.1.2.3")
    config = settings.load()
    assert config.actions_host == "127.0.0.1"
    assert config.actions_url == f"http://127.0.0.1:{config.actions_port}/webhook"
    assert servers.actions_env(config) == {"SANIC_HOST": "127.0.0.1"}
    assert servers.rasa_env(config) == {"SANIC_REQUEST_MAX_SIZE": "65536"}
    env.setenv("KEUZESPIEGEL_ACTIONS_HOST", "10.1.2.4")
    assert settings.load().actions_url.startswith("http://10.1.2.4:")


def test_child_env_passes_every_setting_on(env: pytest.MonkeyPatch) -> None:
    env.setenv("KEUZESPIEGEL_RATE_LIMIT", "30/5")
    env.setenv("KEUZESPIEGEL_RATE_BURST", "7")
    env.setenv("KEUZESPIEGEL_PUBLIC_URL", "https://bot.school.nl")
    env.setenv("KEUZESPIEGEL_WORKSHOP_CAP", "12")
    config = settings.load()
    child = servers.child_env(config)
    for key, value in child.items():
        if key.startswith("KEUZESPIEGEL_") or key in ("RASA_PORT", "WEB_PORT", "ACTIONS_PORT"):
            env.setenv(key, value)
    assert settings.load() == config


def test_settings_from_a_given_environment_leave_the_process_alone(env: pytest.MonkeyPatch) -> None:
    """The e2e suite loads the settings of several server sets at once, in threads: none may change os.environ."""
    env.setenv("WEB_PORT", "8000")
    given = {"WEB_PORT": "8123", "KEUZESPIEGEL_ADVISOR_TOKEN": "t" * 30, "KEUZESPIEGEL_WORKSHOP_CAP": "9"}
    config = settings.load(given)
    assert (config.web_port, config.advisor_token, config.workshop_cap) == (8123, "t" * 30, 9)
    assert settings.load().web_port == 8000 and settings.load().advisor_token is None
    with pytest.raises(SystemExit, match="WEB_PORT"):
        settings.load({"WEB_PORT": "acht"})


def test_child_env_takes_the_secrets_from_the_settings_not_the_parent(env: pytest.MonkeyPatch) -> None:
    env.setenv("KEUZESPIEGEL_ADVISOR_TOKEN", "p" * 30)
    env.setenv("KEUZESPIEGEL_RESULT_SECRET", "r" * 30)
    without = servers.child_env(settings.load({}))
    assert "KEUZESPIEGEL_ADVISOR_TOKEN" not in without and "KEUZESPIEGEL_RESULT_SECRET" not in without
    own = servers.child_env(settings.load({"KEUZESPIEGEL_ADVISOR_TOKEN": "o" * 30}))
    assert own["KEUZESPIEGEL_ADVISOR_TOKEN"] == "o" * 30
