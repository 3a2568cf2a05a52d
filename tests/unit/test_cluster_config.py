"""The cluster's pieces that need no running service: settings, the nginx configuration, the Redis URL."""

from __future__ import annotations

import collections
import dataclasses
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot import settings
from bot.cli import cluster
from bot.plugins.lock_store import redis_kwargs


def test_cluster_settings_default_to_two_of_each_next_to_the_make_run_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEUZESPIEGEL_RASA_SERVERS", "KEUZESPIEGEL_ACTION_SERVERS", "KEUZESPIEGEL_RASA_BASE_PORT"):
        monkeypatch.delenv(name, raising=False)
    shape = settings.load_cluster()
    assert (shape.rasa_servers, shape.action_servers) == (2, 2)
    assert shape.rasa_ports() == [5011, 5012] and shape.actions_ports() == [5061, 5062]


def test_cluster_settings_refuse_silly_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEUZESPIEGEL_RASA_SERVERS", "0")
    with pytest.raises(SystemExit, match="KEUZESPIEGEL_RASA_SERVERS"):
        settings.load_cluster()
    monkeypatch.setenv("KEUZESPIEGEL_RASA_SERVERS", "three")
    with pytest.raises(SystemExit, match="whole number"):
        settings.load_cluster()


def test_nginx_hashes_on_the_sender_and_lists_every_server(tmp_path: Path) -> None:
    config = dataclasses.replace(settings.load(), rasa_port=5005, actions_port=5055, host="localhost")
    shape = settings.ClusterSettings(3, 2, 5010, 5060, 5433, 6380)
    conf = cluster.nginx_conf(config, shape, tmp_path, tmp_path / "logs")
    rasa_block = re.search(r"upstream keuzespiegel_rasa \{(.*?)\}", conf, re.S).group(1)
    assert "hash $keuzespiegel_sender;" in rasa_block
    assert re.findall(r"server 127\.0\.0\.1:(\d+)", rasa_block) == ["5011", "5012", "5013"]
    actions_block = re.search(r"upstream keuzespiegel_actions \{(.*?)\}", conf, re.S).group(1)
    assert re.findall(r"server 127\.0\.0\.1:(\d+)", actions_block) == ["5061", "5062"]
    assert "listen 127.0.0.1:5005;" in conf and "listen 127.0.0.1:5055;" in conf
    # The header wins, the query parameter is the fallback, and there is never a hash on the request body.
    assert '"" $arg_sender;' in conf and "default $http_x_keuzespiegel_sender;" in conf
    assert "request_body" not in conf
    # Action calls carry the whole tracker: nginx must not refuse them as too large.
    actions_server = conf[conf.index(f"listen 127.0.0.1:{config.actions_port};") :]
    assert "client_max_body_size 16m;" in actions_server
    assert conf.count("{") == conf.count("}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _first_upstream(url: str) -> str:
    """The Rasa server nginx picks first for this request. No Rasa server runs here, so nginx answers 502
    after trying them; X-Keuzespiegel-Upstream lists the ones it tried, its own choice first."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            header = response.headers["X-Keuzespiegel-Upstream"]
    except urllib.error.HTTPError as error:
        header = error.headers["X-Keuzespiegel-Upstream"]
    return header.split(",")[0].strip()


@pytest.mark.parametrize("rasa_servers", [2, 3])
def test_nginx_spreads_pupils_evenly_and_keeps_each_on_one_server(tmp_path: Path, rasa_servers: int) -> None:
    """The real nginx with the generated configuration: 3,000 pupils split within 5 % of even, and one pupil's
    messages all reach one server. (nginx's consistent hash ring split the same pupils 45/55 over two servers
    and 29/33/39 over three.) The sender ids are fixed, so the split is the same at every run."""
    port = _free_port()
    config = dataclasses.replace(settings.load(), rasa_port=port, actions_port=_free_port(), host="localhost")
    shape = settings.ClusterSettings(rasa_servers, 1, 5910, 5960, 5450, 6399)  # ports where nothing listens
    (tmp_path / "logs").mkdir()
    conf = cluster.write_nginx_conf(config, shape, tmp_path, tmp_path / "logs")
    nginx = subprocess.Popen([cluster.find_program("nginx"), "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"])
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not cluster._http_ready(f"{base}/nginx-health")():
            assert nginx.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        pupils = 3000
        counts = collections.Counter(
            _first_upstream(f"{base}/webhooks/rest/webhook?sender=pupil-{i:04d}") for i in range(pupils)
        )
        assert set(counts) == {f"127.0.0.1:{p}" for p in shape.rasa_ports()}
        even = pupils / rasa_servers
        assert all(abs(n - even) <= 0.05 * even for n in counts.values()), counts
        assert len({_first_upstream(f"{base}/webhooks/rest/webhook?sender=pupil-0007") for _ in range(5)}) == 1
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6380/1", {"host": "127.0.0.1", "port": 6380, "db": 1, "password": None, "use_ssl": False}),
        ("redis://redis", {"host": "redis", "port": 6379, "db": 1, "password": None, "use_ssl": False}),
        (
            "rediss://:p%40ss@cache.example:6390/3",
            {"host": "cache.example", "port": 6390, "db": 3, "password": "p@ss", "use_ssl": True},
        ),
    ],
)
def test_redis_url_becomes_lock_store_arguments(url: str, expected: dict) -> None:
    got = redis_kwargs(url)
    assert {key: got[key] for key in expected} == expected


@pytest.mark.parametrize("url", ["http://redis:6379/1", "redis://", "localhost:6379"])
def test_a_wrong_redis_url_is_refused_with_its_name(url: str) -> None:
    with pytest.raises(ValueError, match="KEUZESPIEGEL_REDIS_URL"):
        redis_kwargs(url)


def test_the_postgres_and_redis_urls_stay_on_this_machine() -> None:
    assert cluster.postgres_url(5433) == "postgresql://keuzespiegel@127.0.0.1:5433/keuzespiegel"
    assert cluster.redis_url(6380) == "redis://127.0.0.1:6380/1"
