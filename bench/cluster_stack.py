"""The cluster's processes: the database, Redis, moto's S3 server, the Celery worker, two
gunicorn instances and HAProxy, started on loopback and stopped (:class:`Cluster`);
and what they share afterwards (:meth:`Cluster.state`). See :mod:`bench.cluster`.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import ROOT
from .bench_load import LOAD_PASSWORD, free_port, manage, recreate_postgres, stop
from .loadgen import wait_until_up

INSTANCES = ("web1", "web2")
BUCKET = "conservatoire-cluster"
S3_KEY = "cluster"  # moto accepts any key pair
WORKER_NAME = "worker"

HAPROXY_CONFIG = """\
global
    maxconn 512
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    # Round-robin on every request: the server side is closed after each response, so a
    # client's kept-alive connection is never pinned to one instance (no stickiness).
    option http-server-close
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s

frontend portal
    bind 127.0.0.1:{port}
    default_backend web

backend web
    balance roundrobin
    # Which instance answered (the test and the figures read it); no change to the app.
    http-response set-header X-Served-By %s
    option httpchk
    http-check send {healthcheck}
    http-check expect status 200
{servers}
"""


# The health check asks as the TLS-terminating proxy would (no HTTPS redirect).
HEALTHCHECK = "meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1 hdr X-Forwarded-Proto https"


class ClusterUnavailable(RuntimeError):
    """Something the cluster needs is missing on this machine (the message says what)."""


def database_beside(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def redis_db_url(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def drop_postgres(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres", query=""))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# --- The cluster ----------------------------------------------------------------------------


class Cluster:
    """Everything started on loopback; ``with Cluster(...) as cluster:`` stops it all.

    ``database_url`` and ``broker_url`` name the shared PostgreSQL and Redis servers;
    the cluster uses the database ``database_name`` on the first (created, then
    dropped) and the database number ``redis_db`` on the second (emptied).
    ``load_families`` are seeded, plus :attr:`spare_families` more for the checks
    (lockout, draft): ``charge-00001``… with :data:`LOAD_PASSWORD`.
    """

    spare_families = 2

    def __init__(
        self,
        *,
        database_url: str,
        broker_url: str,
        database_name: str,
        redis_db: int,
        workdir: Path,
        load_families: int,
        workers: int = 1,
        threads: int = 4,
    ):
        if not database_url.startswith(("postgres", "pgsql")):
            raise ClusterUnavailable("DATABASE_URL must name a PostgreSQL server")
        if not broker_url.startswith("redis"):
            raise ClusterUnavailable("CELERY_BROKER_URL must name a Redis server")
        self.haproxy = shutil.which("haproxy")
        if self.haproxy is None:
            raise ClusterUnavailable(
                "haproxy is not installed (apt-get install -y --no-install-recommends haproxy)"
            )
        try:
            import moto.server  # noqa: F401  (moto[server], the dev extras)
        except ImportError as error:
            raise ClusterUnavailable(f"moto[server] is not installed ({error})") from error
        self.server_url = database_url
        self.database_name = database_name
        self.database_url = database_beside(database_url, database_name)
        self.broker_url = redis_db_url(broker_url, redis_db)
        self.dir = Path(workdir)
        self.load_families = load_families
        self.workers = workers
        self.threads = threads
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.s3_url = ""
        self.base_url = ""
        self.secret_key = secrets.token_urlsafe(50)

    # Identifiers of the seeded families.
    def family(self, number: int) -> tuple[str, str]:
        return f"charge-{number:05d}", LOAD_PASSWORD

    def journey_families(self) -> list[tuple[str, str]]:
        return [self.family(n) for n in range(1, self.load_families + 1)]

    @property
    def lockout_family(self) -> tuple[str, str]:
        return self.family(self.load_families + 1)

    @property
    def draft_family(self) -> tuple[str, str]:
        return self.family(self.load_families + 2)

    # --- Start and stop ---------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self._flush_redis()
        recreate_postgres(self.server_url, self.database_name)
        self._start_s3()
        setup = self.env("setup")
        manage(setup, "migrate", "--noinput")
        manage(setup, "collectstatic", "--noinput", "--verbosity", "0")
        manage(setup, "seed_demo", "--families", str(self.load_families + self.spare_families))
        self._start_worker()
        for name in INSTANCES:
            self._start_gunicorn(name)
        for name in INSTANCES:  # each instance answers on its own before it is balanced
            self._wait_up(f"https://127.0.0.1:{self.ports[name]}", name)
        self._start_haproxy()
        self.base_url = f"https://127.0.0.1:{self.ports['haproxy']}"
        self._wait_up(self.base_url, "haproxy")

    def close(self) -> None:
        for name in ("haproxy", *INSTANCES, WORKER_NAME, "s3"):
            stop(self.processes.get(name))
        try:
            drop_postgres(self.server_url, self.database_name)
        except Exception as error:  # noqa: BLE001 (reported, the rest still cleans up)
            print(f"  could not drop {self.database_name}: {error}", file=sys.stderr)
        try:
            self._flush_redis()
        except Exception as error:  # noqa: BLE001
            print(f"  could not empty {self.broker_url}: {error}", file=sys.stderr)

    def env(self, name: str) -> dict[str, str]:
        """A process's environment: production settings, the shared services, and its own
        ``MEDIA_ROOT`` and ``TMPDIR`` (empty folders: nothing may be left there)."""
        media, tmp = self.dir / f"{name}-media", self.dir / f"{name}-tmp"
        media.mkdir(exist_ok=True)
        tmp.mkdir(exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PYTEST", "AWS_", "BENCH_", "CELERY_"))
            and key not in ("EMAIL_URL", "SECURE_SSL_REDIRECT", "CONN_MAX_AGE", "MEDIA_ROOT")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="conservatoire.settings",
            DEBUG="0",
            # One secret for all: signed cookies (messages) and the key that encrypts the
            # drafts' bank details must read the same on every instance and the worker.
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            AWS_STORAGE_BUCKET_NAME=BUCKET,
            AWS_S3_ENDPOINT_URL=self.s3_url,
            AWS_ACCESS_KEY_ID=S3_KEY,
            AWS_SECRET_ACCESS_KEY=S3_KEY,
            AWS_DEFAULT_REGION="us-east-1",
            AXES_IPWARE_PROXY_COUNT="1",  # HAProxy adds X-Forwarded-For
            PORTAL_URL=self.base_url or "https://127.0.0.1",
            EMAIL_URL="dummymail://",  # the message is built (recap PDF attached), not sent
            MEDIA_ROOT=str(media),
            TMPDIR=str(tmp),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        with open(self.dir / f"{name}.log", "w") as log:
            self.processes[name] = subprocess.Popen(  # noqa: S603 (our own tools)
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, stopped with its children
            )

    def log(self, name: str) -> str:
        try:
            return (self.dir / f"{name}.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _check_alive(self, name: str) -> None:
        process = self.processes[name]
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.log(name)[-3000:]}")

    def _start_s3(self) -> None:
        port = self.ports["s3"] = free_port()
        self.s3_url = f"http://127.0.0.1:{port}"
        self._spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
        deadline = time.monotonic() + 30
        while True:
            self._check_alive("s3")
            try:
                self.s3().create_bucket(Bucket=BUCKET)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def s3(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.s3_url,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_KEY,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
        )

    def _start_worker(self) -> None:
        self._spawn(
            WORKER_NAME,
            [sys.executable, "-m", "celery", "-A", "conservatoire", "worker"]
            + ["--concurrency", "1", "--loglevel", "INFO", "--hostname", "cluster@%h"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            self.env(WORKER_NAME),
        )
        deadline = time.monotonic() + 60
        while " ready." not in self.log(WORKER_NAME):
            self._check_alive(WORKER_NAME)
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker is not ready:\n{self.log(WORKER_NAME)[-3000:]}")
            time.sleep(0.2)

    def _start_gunicorn(self, name: str) -> None:
        port = self.ports[name] = free_port()
        self._spawn(
            name,
            [sys.executable, "-m", "gunicorn", "conservatoire.wsgi"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", str(self.workers)]
            + ["--threads", str(self.threads), "--worker-class", "gthread"]
            + ["--timeout", "60", "--graceful-timeout", "5"]
            + self._control_socket(name),
            self.env(name),
        )

    def _control_socket(self, name: str) -> list[str]:
        """Each instance's own control socket (gunicorn ≥ 25 shares one per user)."""
        from gunicorn.config import KNOWN_SETTINGS

        if any(setting.name == "control_socket" for setting in KNOWN_SETTINGS):
            return ["--control-socket", str(self.dir / f"{name}.ctl")]
        return []

    def _start_haproxy(self) -> None:
        port = self.ports["haproxy"] = free_port()
        servers = "\n".join(
            f"    server {name} 127.0.0.1:{self.ports[name]} check inter 5s fall 3 rise 1"
            for name in INSTANCES
        )
        config = self.dir / "haproxy.cfg"
        config.write_text(
            HAPROXY_CONFIG.format(port=port, servers=servers, healthcheck=HEALTHCHECK)
        )
        checked = subprocess.run(  # noqa: S603
            [self.haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True
        )
        if checked.returncode:
            raise RuntimeError(f"haproxy refused {config}:\n{checked.stdout}{checked.stderr}")
        self._spawn("haproxy", [self.haproxy, "-db", "-f", str(config)])

    def _wait_up(self, base_url: str, name: str) -> None:
        process = self.processes[name]
        try:
            asyncio.run(wait_until_up(base_url, 90, lambda: process.poll() is None))
        except RuntimeError as error:
            raise RuntimeError(f"{name}: {error}\n{self.log(name)[-3000:]}") from None

    def _flush_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.broker_url, socket_timeout=5)
        try:
            client.flushdb()
        finally:
            client.close()

    # --- What is shared, and what is not -------------------------------------------------------

    def query(self, sql: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()

    def bucket_keys(self) -> list[str]:
        keys, token = [], None
        client = self.s3()
        while True:
            kwargs = {"Bucket": BUCKET, **({"ContinuationToken": token} if token else {})}
            answer = client.list_objects_v2(**kwargs)
            keys += [item["Key"] for item in answer.get("Contents", [])]
            token = answer.get("NextContinuationToken")
            if not token:
                return keys

    def s3_object_head(self, key: str, length: int = 5) -> bytes:
        answer = self.s3().get_object(Bucket=BUCKET, Key=key, Range=f"bytes=0-{length - 1}")
        return answer["Body"].read()

    def local_files(self) -> list[str]:
        """Files left in the processes' own MEDIA_ROOT (must stay empty: S3 holds them)."""
        return sorted(
            str(path.relative_to(self.dir))
            for path in self.dir.glob("*-media/**/*")
            if path.is_file()
        )

    def wait_for_emails(self, expected: int, timeout: float) -> dict[str, int]:
        """Outbox emails by status, once ``expected`` are sent (or after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.query("SELECT status, count(*) FROM conservatoire_outboxemail GROUP BY 1")
            emails = {status: count for status, count in rows}
            if emails.get("sent", 0) >= expected or time.monotonic() > deadline:
                return emails
            time.sleep(1)

    def state(self) -> dict:
        """What the database and the bucket hold, and what the instances kept locally."""
        keys = self.bucket_keys()
        files = [name for (name,) in self.query("SELECT file FROM documents_documentfile")]
        recaps = [key for key in keys if key.startswith("recaps/")]
        return {
            "reenrolled": self.query(
                "SELECT count(*) FROM reinscription_reenrolment WHERE status = 'reenrolled'"
            )[0][0],
            "sessions": self.query("SELECT count(*) FROM django_session")[0][0],
            "drafts": self.query("SELECT count(*) FROM reinscription_wizarddraft")[0][0],
            "bucket_keys": len(keys),
            "recap_pdfs_in_s3": len(recaps),
            "recap_pdfs_are_pdf": all(self.s3_object_head(key) == b"%PDF-" for key in recaps),
            "uploads_in_db": len(files),
            "uploads_in_s3": sum(name in keys for name in files),
            "local_files": self.local_files(),
        }

    def settings_report(self) -> dict:
        """The settings that decide where state lives, as an instance reads them."""
        script = (
            "import json\n"
            "from django.conf import settings as s\n"
            "from django.core.files.storage import storages\n"
            "storage = type(storages['default'])\n"
            "print(json.dumps({\n"
            "    'cache': s.CACHES['default']['BACKEND'],\n"
            "    'session_engine': s.SESSION_ENGINE,\n"
            "    'axes_handler': getattr(\n"
            "        s, 'AXES_HANDLER', 'axes.handlers.database.AxesDatabaseHandler'),\n"
            "    'default_storage': f'{storage.__module__}.{storage.__name__}',\n"
            "    'import_tmp_storage': getattr(s, 'IMPORT_EXPORT_TMP_STORAGE_CLASS',\n"
            "        'import_export.tmp_storages.TempFolderStorage'),\n"
            "    'message_storage': s.MESSAGE_STORAGE,\n"
            "}))\n"
        )
        output = manage(self.env("setup"), "shell", "-c", script)
        return json.loads(output.strip().splitlines()[-1])
