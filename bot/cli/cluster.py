"""`python -m bot cluster` (`make run-cluster`): Keuzespiegel as several Rasa and action servers on one machine.

Starts, with their data under var/cluster/ and their logs under var/cluster/logs/:

- PostgreSQL (Debian's `postgresql` programs, our own data directory) as the shared tracker store;
- Redis as Rasa's lock store, so that two messages of one pupil are handled one after the other;
- N action servers and N Rasa servers (KEUZESPIEGEL_ACTION_SERVERS, KEUZESPIEGEL_RASA_SERVERS, default 2);
- nginx in front: the REST channel on RASA_PORT, balanced on the pupil's sender id (query parameter `sender`
  or header `X-Keuzespiegel-Sender`; round robin without one), and the action servers on ACTIONS_PORT;
- the web server and dashboard, reading PostgreSQL.

The programs come from scripts/services.sh (Debian packages); the system-wide services are never used.
Ctrl-C stops everything this started. `make run` (one of each, SQLite) is untouched.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from bot import ROOT, settings
from bot.cli import servers, workshop

ENDPOINTS = ROOT / "deploy" / "endpoints.cluster.yml"
DB_NAME = "keuzespiegel"
DB_USER = "keuzespiegel"
LOOPBACK = "127.0.0.1"


class ClusterError(RuntimeError):
    """A service could not be found or started; the message says what to do."""


def find_program(name: str) -> str:
    """Path of a PostgreSQL, Redis or nginx program (Debian puts PostgreSQL's in /usr/lib/postgresql/N/bin)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if candidates:
        return str(candidates[0])
    raise ClusterError(f"{name} is missing: run scripts/services.sh (or apt-get install postgresql redis-server nginx)")


def postgres_url(port: int) -> str:
    return f"postgresql://{DB_USER}@{LOOPBACK}:{port}/{DB_NAME}"


def redis_url(port: int) -> str:
    return f"redis://{LOOPBACK}:{port}/1"


def nginx_conf(config: settings.Settings, cluster: settings.ClusterSettings, state: Path, log_dir: Path) -> str:
    """nginx in front of the Rasa servers (hash on the sender id) and the action servers (round robin)."""
    rasa_servers = "\n".join(f"        server {LOOPBACK}:{port} max_fails=0;" for port in cluster.rasa_ports())
    action_servers = "\n".join(f"        server {LOOPBACK}:{port} max_fails=0;" for port in cluster.actions_ports())
    listen = LOOPBACK if config.host in ("localhost", LOOPBACK) else config.host
    tmp = state / "tmp"
    return f"""# Written by bot/cli/cluster.py at every start; edit that file, not this one.
worker_processes 1;
pid {state}/nginx.pid;
error_log {log_dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    proxy_buffers 16 16k;
    proxy_read_timeout 120s;

    # One pupil's messages go to one Rasa server: the widget sends its sender id as ?sender=... (no CORS
    # preflight) or as the header X-Keuzespiegel-Sender. Without either, the key is empty and nginx falls back
    # to round robin; the Redis lock store still keeps one pupil's messages in order.
    # A plain hash, not `consistent`: nginx's consistent ring split pupils 45/55 between two servers on these
    # ports, a plain hash splits them evenly. The cluster's size is fixed while it runs, and a pupil moved by
    # a restart with another size loses nothing (the conversation is in PostgreSQL).
    map $http_x_keuzespiegel_sender $keuzespiegel_sender {{
        "" $arg_sender;
        default $http_x_keuzespiegel_sender;
    }}

    upstream keuzespiegel_rasa {{
        hash $keuzespiegel_sender;
{rasa_servers}
        keepalive 32;
    }}

    upstream keuzespiegel_actions {{
{action_servers}
        keepalive 32;
    }}

    server {{
        listen {listen}:{config.rasa_port};
        # Pupils' messages are short (the REST channel refuses more than 1,000 characters).
        client_max_body_size 64k;
        client_body_buffer_size 64k;
        location = /nginx-health {{ return 200 "ok\\n"; }}
        location / {{
            proxy_pass http://keuzespiegel_rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            add_header X-Keuzespiegel-Upstream $upstream_addr always;
        }}
    }}

    server {{
        listen {LOOPBACK}:{config.actions_port};
        # Rasa sends the whole conversation (and the domain) with every action call: 20-100 KB, growing.
        client_max_body_size 16m;
        client_body_buffer_size 1m;
        location / {{
            proxy_pass http://keuzespiegel_actions;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOOPBACK, port)) == 0


def _redis_ready(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _postgres_ready(port: int) -> bool:
    try:
        psycopg2.connect(host=LOOPBACK, port=port, user=DB_USER, dbname="postgres", connect_timeout=2).close()
        return True
    except psycopg2.OperationalError:
        return False


def _http_ready(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            servers.wait_for(url, timeout=0.1)
            return True
        except TimeoutError:
            return False

    return ready


@dataclass
class Cluster(servers.Stack):
    """The running cluster; stops in reverse start order, PostgreSQL with a fast shutdown."""

    cluster: settings.ClusterSettings = field(kw_only=True)
    stop_signals: dict[str, int] = field(default_factory=dict)

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://{LOOPBACK}:{port}" for port in self.cluster.rasa_ports()]

    def launch(
        self, name: str, cmd: list[str], stop_signal: int = signal.SIGTERM, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        """Start a process (its own process group, output to its log file) without waiting for it."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**servers.child_env(self.config), **self.extra_env, **(env or {})}
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        # The same daily, redacted logs as `make run` (no pupil's message reaches the disk).
        log = servers.DailyLog(self.log_dir, name, self.config.retention_days)
        assert proc.stdout is not None
        threading.Thread(target=servers.pump, args=(proc.stdout, log), name=f"log-{name}", daemon=True).start()
        self.procs[name] = proc
        self.stop_signals[name] = stop_signal
        return proc

    def wait(self, name: str, ready: Callable[[], bool], timeout: float) -> None:
        proc = self.procs[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ClusterError(f"{name} exited with code {proc.returncode}; see the {name} log in {self.log_dir}")
            if ready():
                return
            time.sleep(0.3)
        raise ClusterError(f"{name} did not come up within {timeout:.0f}s; see the {name} log in {self.log_dir}")

    def stop(self) -> None:
        for name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, self.stop_signals.get(name, signal.SIGTERM))
                except ProcessLookupError:
                    continue
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.procs.clear()


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _prepare_postgres_dir(pgdata: Path) -> None:
    if os.geteuid() != 0:
        pgdata.mkdir(parents=True, exist_ok=True)
        pgdata.chmod(0o700)
        return
    user = pwd.getpwnam("postgres")
    pgdata.mkdir(parents=True, exist_ok=True)
    os.chown(pgdata, user.pw_uid, user.pw_gid)
    pgdata.chmod(0o700)
    for parent in pgdata.parents:
        if not os.stat(parent).st_mode & 0o001:
            raise ClusterError(
                f"the postgres user cannot reach {pgdata} ({parent} is not searchable by others); "
                "set KEUZESPIEGEL_DATA_DIR to a directory it can reach"
            )


def start_postgres(stack: Cluster, pgdata: Path, port: int) -> None:
    if not (pgdata / "PG_VERSION").exists():
        _prepare_postgres_dir(pgdata)
        subprocess.run(
            _as_postgres_user(
                [
                    find_program("initdb"),
                    "-D",
                    str(pgdata),
                    "-U",
                    DB_USER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    stack.launch(
        "postgres",
        _as_postgres_user(
            [
                find_program("postgres"),
                "-D",
                str(pgdata),
                "-p",
                str(port),
                "-c",
                f"listen_addresses={LOOPBACK}",
                "-c",
                f"unix_socket_directories={pgdata}",
                "-c",
                "max_connections=200",
            ]
        ),
        stop_signal=signal.SIGINT,  # fast shutdown: roll back open transactions, close connections
    )
    stack.wait("postgres", lambda: _postgres_ready(port), timeout=60)
    connection = psycopg2.connect(host=LOOPBACK, port=port, user=DB_USER, dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {DB_NAME}")
    connection.close()


def start_redis(stack: Cluster, state: Path, port: int) -> None:
    state.mkdir(parents=True, exist_ok=True)
    stack.launch(
        "redis",
        [
            find_program("redis-server"),
            "--bind",
            LOOPBACK,
            "--port",
            str(port),
            "--dir",
            str(state),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
    )
    stack.wait("redis", lambda: _redis_ready(port), timeout=30)


def write_nginx_conf(config: settings.Settings, cluster: settings.ClusterSettings, state: Path, log_dir: Path) -> Path:
    """nginx.conf under `state`, with the temporary directories it names."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (state / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    conf = state / "nginx.conf"
    conf.write_text(nginx_conf(config, cluster, state, log_dir))
    return conf


def start_nginx(stack: Cluster, state: Path) -> None:
    conf = write_nginx_conf(stack.config, stack.cluster, state, stack.log_dir)
    stack.launch(
        "nginx",
        [find_program("nginx"), "-c", str(conf), "-p", str(state), "-g", "daemon off;"],
        stop_signal=signal.SIGQUIT,  # graceful: finish the requests in flight
    )
    stack.wait("nginx", _http_ready(f"http://{LOOPBACK}:{stack.config.rasa_port}/nginx-health"), timeout=30)


def create_tables(stack: Cluster) -> None:
    """Create Rasa's tables once, before several Rasa servers start and would race to create them."""
    env = {**servers.child_env(stack.config), **stack.extra_env}
    code = "from bot.plugins.tracker_store import ConfiguredSQLTrackerStore as S; S()"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def check_ports_free(config: settings.Settings, cluster: settings.ClusterSettings) -> None:
    ports = [
        config.rasa_port,
        config.actions_port,
        config.web_port,
        cluster.postgres_port,
        cluster.redis_port,
        *cluster.rasa_ports(),
        *cluster.actions_ports(),
    ]
    if len(set(ports)) != len(ports):
        raise ClusterError(f"two cluster services would share a port: {sorted(ports)}")
    busy = [port for port in ports if _port_open(port)]
    if busy:
        raise ClusterError(f"port(s) {busy} are in use; stop what runs there or set other ports (README)")


@contextmanager
def running_cluster(
    config: settings.Settings,
    cluster: settings.ClusterSettings,
    state_dir: Path | None = None,
    web: bool = True,
    on_ready: Callable[[Cluster], None] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """Start the whole cluster; everything stops when the block ends (also on errors and Ctrl-C).

    `env` adds environment variables for every process (the tests set the advisor token this way).
    """
    state = (state_dir or config.data_dir / "cluster").resolve()
    log_dir = state / "logs"
    check_ports_free(config, cluster)
    config = dataclasses.replace(config, db_url=postgres_url(cluster.postgres_port))
    stack = Cluster(
        config,
        log_dir,
        cluster=cluster,
        extra_env={
            # nginx is one reverse proxy in front of Rasa: the REST channel's per-pupil rate limit must read the
            # address nginx puts in X-Forwarded-For, or the whole school would share one limit.
            "KEUZESPIEGEL_TRUSTED_PROXIES": str(max(1, config.trusted_proxies)),
            **(env or {}),
            "KEUZESPIEGEL_REDIS_URL": redis_url(cluster.redis_port),
        },
    )
    try:
        start_postgres(stack, state / "postgres", cluster.postgres_port)
        start_redis(stack, state / "redis", cluster.redis_port)
        for i, port in enumerate(cluster.actions_ports(), start=1):
            stack.launch(
                f"actions-{i}",
                [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                env={"SANIC_HOST": LOOPBACK},  # no authentication of its own: only nginx on this machine reaches it
            )
        create_tables(stack)
        start_nginx(stack, state / "nginx")
        for i, port in enumerate(cluster.rasa_ports(), start=1):
            stack.launch(
                f"rasa-{i}",
                servers.rasa_command(
                    "run",
                    "--model",
                    str(ROOT / "models"),
                    "--endpoints",
                    str(ENDPOINTS),
                    "--credentials",
                    "credentials.yml",
                    "--interface",
                    LOOPBACK,
                    "--port",
                    str(port),
                    "--cors",
                    *config.cors_origins,
                ),
                env=servers.rasa_env(config),
            )
        for i, port in enumerate(cluster.actions_ports(), start=1):
            stack.wait(f"actions-{i}", _http_ready(f"http://{LOOPBACK}:{port}/health"), timeout=90)
        for i, url in enumerate(stack.rasa_urls, start=1):
            stack.wait(f"rasa-{i}", _http_ready(f"{url}/webhooks/rest/"), timeout=300)
        if web:
            stack.launch("web", [sys.executable, "-m", "bot.server.app"])
            stack.wait("web", _http_ready(f"{config.web_url}/healthz"), timeout=60)
        if on_ready:
            on_ready(stack)
        yield stack
    finally:
        stack.stop()


def cluster_command(args: argparse.Namespace, config: settings.Settings) -> int:
    """Train if needed, start the cluster, print the addresses, stop everything on Ctrl-C."""
    cluster = settings.load_cluster()  # the cluster's own settings, read only by this command
    servers.train(config)
    state = config.data_dir / "cluster"
    print(
        f"Starting PostgreSQL, Redis, {cluster.action_servers} action server(s), nginx, "
        f"{cluster.rasa_servers} Rasa server(s) and the web server (about a minute)..."
    )
    signal.signal(signal.SIGTERM, _raise_interrupt)

    def purge(stack: Cluster) -> None:
        removed = workshop.purge_on_start(stack.config)
        if removed:
            print(f"retention: removed {removed} conversation(s) older than {config.retention_days} days")

    try:
        with running_cluster(config, cluster, state, on_ready=purge) as stack:
            print()
            print(f"  Keuzespiegel cluster is running. Open {config.web_url}/ in your browser.")
            print(
                f"  Rasa REST channel (nginx, {cluster.rasa_servers} servers): {config.rasa_url}/webhooks/rest/webhook"
            )
            print(f"  Tracker store: {stack.config.db_url}   Lock store: {redis_url(cluster.redis_port)}")
            if config.advisor_token:
                print(f"  Advisor dashboard: {config.web_url}/dashboard")
            else:
                print("  Advisor dashboard: off (set KEUZESPIEGEL_ADVISOR_TOKEN to turn it on)")
            print(f"  Data and logs: {state}")
            print("  Press Ctrl-C to stop.")
            try:
                while (dead := stack.first_exited()) is None:
                    time.sleep(1)
                print(f"The {dead} process stopped unexpectedly; see its log in {stack.log_dir}")
            except KeyboardInterrupt:
                pass
            print("Stopping...")
    except ClusterError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Stopped.")
    return 0


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def add_parser(sub: argparse._SubParsersAction) -> None:
    sub.add_parser(
        "cluster", help="start PostgreSQL, Redis, several Rasa and action servers behind nginx, and the web server"
    ).set_defaults(func=cluster_command)
