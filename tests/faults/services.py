"""Throwaway services for the fault tests: a Redis, a PostgreSQL cluster, a Celery worker.

Each is a process of our own on a free loopback port, stopped (and its files removed)
in a ``finally`` block, so a test may stop it, kill it or restart it without touching
the machine's own services. Every wait has a timeout.

- :class:`RedisServer`: ``redis-server --save "" --appendonly no`` on a free port.
- :class:`PostgresCluster`: ``initdb`` (trust authentication) into a temporary folder
  owned by the ``postgres`` OS user when we are root, ``pg_ctl start`` on a free port.
- :class:`CeleryWorker`: ``celery -A conservatoire worker`` in its own process group,
  on a given broker, database and SMTP server; its log is kept for the assertions.
- :func:`app_broker`: points this process's Celery app (the producer side) at a broker.
- :class:`ControlledSmtpSink`: the SMTP sink of the browser tests, able to refuse
  (``451``) or to hold a message before accepting it.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser.smtp_sink import SmtpSink, free_port, running
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    """Skip, or fail in CI's services pass, where every fault test must run."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def stop_process(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL, the process (and its group when it leads one)."""
    if process is None or process.poll() is not None:
        return
    try:
        if _leads_group(process):
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_process(process)
    except ProcessLookupError:
        pass


def kill_process(process: subprocess.Popen, group: bool = True) -> None:
    """SIGKILL the process (its whole group by default), as a crash or the OOM killer would."""
    try:
        if group and _leads_group(process):
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except ProcessLookupError:
        pass
    process.wait(10)


def _leads_group(process: subprocess.Popen) -> bool:
    try:
        return os.getpgid(process.pid) == process.pid
    except ProcessLookupError:
        return False


# --- Redis ------------------------------------------------------------------------------


class RedisServer:
    """A Redis of our own: ``start()``, ``stop()`` (the port then refuses), ``start()`` again."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            unavailable("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="fault-redis-")
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=5)

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._pings, 10, f"redis-server on port {self.port}")
        return self

    def _pings(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def dump(self, db: int = 0) -> dict[str, object]:
        """Every key of ``db`` with its value, whatever its type (for secret hunting)."""
        client = self.client(db)
        found: dict[str, object] = {}
        for key in client.scan_iter():
            kind = client.type(key).decode()
            if kind == "string":
                value = client.get(key)
            elif kind == "list":
                value = client.lrange(key, 0, -1)
            elif kind == "hash":
                value = client.hgetall(key)
            elif kind == "set":
                value = client.smembers(key)
            elif kind == "zset":
                value = client.zrange(key, 0, -1, withscores=True)
            else:
                value = kind
            found[key.decode()] = value
        return found


@contextmanager
def app_broker(url: str):
    """Make this process's Celery app publish to ``url`` (restored on exit).

    ``broker_url`` itself cannot be changed while CELERY_BROKER_URL is in the
    environment (Celery reads the variable first), so the write URL is set.
    """
    from conservatoire.celery import app

    saved = app.conf.get("broker_write_url")

    def reset():
        app._pool = None  # the connection pools are keyed by broker: new ones are made
        app.amqp._producer_pool = None

    app.conf["broker_write_url"] = url
    reset()
    try:
        assert app.connection_for_write().as_uri().endswith(url.rsplit(":", 1)[1])
        yield app
    finally:
        app.conf["broker_write_url"] = saved
        reset()


# --- PostgreSQL ---------------------------------------------------------------------------


class PostgresCluster:
    """A PostgreSQL cluster of our own (trust authentication), on a free loopback port."""

    def __init__(self):
        initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
        if not initdbs:
            unavailable("PostgreSQL server binaries are missing (apt-get install postgresql)")
        self.bin = Path(initdbs[-1]).parent
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                unavailable("runuser is needed to run initdb as the postgres user")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self.as_postgres, *args], capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise AssertionError(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def init(self) -> PostgresCluster:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self) -> None:
        """Stop at once (clients are disconnected, the port then refuses)."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def createdb(self, name: str) -> None:
        self._run(str(self.bin / "createdb"), "-h", str(self.dir), "-p", str(self.port), name)

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _version(path: str) -> float:
    try:
        return float(Path(path).parents[1].name)
    except ValueError:
        return 0.0


def database_url(settings_dict: dict) -> str:
    """The URL of a Django database (the test database, for a worker in a subprocess)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


# --- Celery worker ---------------------------------------------------------------------------

# Starts the worker like ``celery -A conservatoire worker`` but lets the test shorten the
# broker's visibility timeout, so that an unacknowledged message comes back within seconds.
WORKER_MAIN = """
import json, os, sys
from conservatoire.celery import app
extra = json.loads(os.environ.get("FAULT_TRANSPORT_OPTIONS", "{}"))
app.conf.broker_transport_options = {**app.conf.broker_transport_options, **extra}
app.worker_main(sys.argv[1:])
"""


class CeleryWorker:
    """``celery worker`` in a subprocess (prefork, one child) with its own environment."""

    def __init__(
        self,
        *,
        broker_url: str,
        database_url: str,
        smtp_port: int,
        log_path: Path,
        transport_options: dict | None = None,
    ):
        import json

        self.log_path = log_path
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
            "DJANGO_SETTINGS_MODULE": "conservatoire.settings",
            "CELERY_BROKER_URL": broker_url,
            "DATABASE_URL": database_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "CONN_MAX_AGE": "0",
            "FAULT_TRANSPORT_OPTIONS": json.dumps(transport_options or {}),
        }
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self, name: str = "fault") -> CeleryWorker:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER_MAIN,
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "DEBUG",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"{name}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its children
        )
        wait_until(
            lambda: self.process.poll() is not None or " ready." in self.log_text(),
            45,
            "the Celery worker to be ready",
            interval=0.1,
        )
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited:\n{self.log_text()[-3000:]}")
        return self

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def child_pids(self) -> list[int]:
        """The pool's processes (the children running the tasks)."""
        result = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, timeout=5
        )
        return [int(pid) for pid in result.stdout.split()]

    def kill(self) -> None:
        kill_process(self.process)
        self._close()

    def stop(self) -> None:
        stop_process(self.process, timeout=15)
        self._close()

    def _close(self):
        if self._log is not None:
            self._log.close()
            self._log = None


# --- SMTP -------------------------------------------------------------------------------------


class ControlledSmtpSink(SmtpSink):
    """The SMTP sink, which can answer ``451`` to the first messages or hold them.

    ``refuse_next = n``: the next ``n`` messages get ``451`` (try again later).
    ``hold_seconds = s``: a message is accepted only after ``s`` seconds; a client that
    disappears meanwhile has not had its message accepted, so it is not kept (a real
    server discards a message whose end of DATA it never acknowledged).
    """

    def __init__(self):
        super().__init__()
        self.refuse_next = 0
        self.refused = 0
        self.hold_seconds = 0.0
        self.holding = 0
        self.abandoned = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.refuse_next > 0:
            self.refuse_next -= 1
            self.refused += 1
            return "451 4.3.0 Temporary failure, please try again later"
        if self.hold_seconds:
            self.holding += 1
            try:
                await asyncio.sleep(self.hold_seconds)
            except asyncio.CancelledError:
                self.abandoned += 1
                raise
            finally:
                self.holding -= 1
            if session.peer is None or server.transport is None or server.transport.is_closing():
                self.abandoned += 1
                return "421 4.4.2 Connection dropped"
        return await super().handle_DATA(server, session, envelope)


def controlled_smtp_sink():
    """A :class:`ControlledSmtpSink` served on a free port (a context manager)."""
    return running(ControlledSmtpSink())


def copy_database(source: dict, cluster: PostgresCluster, name: str) -> None:
    """Copy a Django database (schema and rows) into ``name`` on ``cluster``."""
    cluster.createdb(name)
    env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
    dump = subprocess.Popen(
        [
            str(cluster.bin / "pg_dump"),
            "--no-owner",
            "--no-privileges",
            "-h",
            source.get("HOST") or "127.0.0.1",
            "-p",
            str(source.get("PORT") or 5432),
            "-U",
            source.get("USER") or "postgres",
            source["NAME"],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    load = subprocess.run(
        [
            str(cluster.bin / "psql"),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            name,
        ],
        stdin=dump.stdout,
        capture_output=True,
        text=True,
        timeout=60,
    )
    dump.stdout.close()
    dump_errors = dump.stderr.read().decode(errors="replace")
    dump.wait(30)
    if dump.returncode != 0 or load.returncode != 0:
        raise AssertionError(f"copying the database failed: {dump_errors}{load.stderr}")
