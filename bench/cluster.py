"""Scale-out: two web instances behind HAProxy, one Celery worker, S3, nothing local.

``python -m bench.cluster`` (``make bench-cluster``) starts, on loopback,

- a PostgreSQL database of its own, ``<name>_cluster`` next to ``DATABASE_URL``'s
  (created, migrated and seeded with ``seed_demo --families N`` first, dropped at the
  end), and a Redis database number of its own on ``CELERY_BROKER_URL``'s server
  (``BENCH_CLUSTER_REDIS_DB``, default 15; emptied first and at the end);
- an S3-compatible server, moto's server mode (``python -m moto.server``), with a
  bucket created by boto3: ``AWS_STORAGE_BUCKET_NAME``, ``AWS_S3_ENDPOINT_URL`` and the
  keys are given to every process, so the private files go to S3;
- one Celery worker (``--concurrency 1``);
- two gunicorn instances (``web1``, ``web2``) with the production settings, each with
  its own empty ``MEDIA_ROOT`` and ``TMPDIR`` (as on two machines);
- HAProxy in front: ``balance roundrobin`` on every request (``option
  http-server-close``: a kept-alive client connection does not pin a server; no
  stickiness), ``option forwardfor`` (``AXES_IPWARE_PROXY_COUNT=1``), and the chosen
  server's name added to each response, ``X-Served-By`` — the portal is not changed.

Simulated families (:class:`ClusterBrowser`, on :mod:`bench.loadgen`'s browser) then
log in, go through the wizard (before step 5, a document uploaded on "Mes documents"
and read back, by the other instance), validate, and download the recap PDF (rendered
by the instance serving it); the worker renders the confirmation email's recap PDF
into S3. Afterwards :meth:`Cluster.state` reads what is
shared: the database (sessions, drafts, re-enrolments, emails, login failures), the
bucket, and the instances' own folders, which must be empty. One more family fails
its login five times across both instances and is locked out (django-axes counts in
the database).

Figures (printed and written to ``.bench/cluster.json``): families completed,
errors, requests per instance, the share of a family's consecutive requests served
by different instances, page and wizard p50/p95, what the bucket and the database
hold. Knobs: ``BENCH_CLUSTER_FAMILIES`` (30), ``BENCH_CLUSTER_CONCURRENCY`` (4),
``BENCH_CLUSTER_SECONDS`` (60), ``BENCH_CLUSTER_WORKERS`` × ``BENCH_CLUSTER_THREADS``
per instance (1 × 4, gthread). Logs: ``.bench/cluster/``. Needs ``haproxy``
(``apt-get install haproxy``), ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL``
(Redis); ``tests/integration/test_cluster.py`` runs a short version.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from . import ROOT
from .bench_load import LOAD_PASSWORD, free_port, manage, recreate_postgres, stop
from .loadgen import (
    ERROR_ITEM,
    STEPS,
    TAG,
    Browser,
    Failure,
    Page,
    Stats,
    attributes,
    connector,
    form_fields,
    step_payload,
    wait_until_up,
)

RESULTS = ROOT / ".bench" / "cluster.json"
INSTANCES = ("web1", "web2")
BUCKET = "conservatoire-cluster"
S3_KEY = "cluster"  # moto accepts any key pair
WORKER_NAME = "worker"
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
UPLOAD_ACTION = 'action="/documents/envoyer/"'
DOWNLOAD_LINK = re.compile(r'href="(/documents/fichiers/\d+/)"[^>]*>([^<]*)<')
# A one-page PDF, small enough to be read back whole: what a family scans.
UPLOADED_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

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


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


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


# --- The simulated family, through the balancer ----------------------------------------------


@dataclass
class Answer(Page):
    """A response as :class:`Page`, with its bytes and the instance that served it."""

    body: bytes = b""
    served_by: str = ""


@dataclass
class ClusterStats(Stats):
    served: Counter = field(default_factory=Counter)  # requests per instance
    sequences: list[list[str]] = field(default_factory=list)  # each browser's instances
    uploads: int = 0
    downloads: int = 0  # uploaded documents read back, recap PDFs downloaded

    def switch_share(self) -> float:
        """Of a browser's consecutive requests, the share served by different instances."""
        pairs = [(a, b) for seq in self.sequences for a, b in zip(seq, seq[1:], strict=False)]
        return sum(a != b for a, b in pairs) / len(pairs) if pairs else 0.0

    def all_timings(self) -> list[float]:
        return [value for values in self.timings.values() for value in values]


class ClusterBrowser(Browser):
    """:class:`bench.loadgen.Browser` through HAProxy: each response's ``X-Served-By`` is
    recorded; before step 5 the family uploads a document on "Mes documents" and reads
    it back; after the validation it downloads the recap PDF."""

    def __init__(self, base_url: str, pool: aiohttp.TCPConnector, stats: ClusterStats):
        super().__init__(base_url, pool, stats)
        self.served: list[str] = []
        stats.sequences.append(self.served)
        self.uploaded = False
        self.identifier = ""

    async def family(self, identifier: str, password: str) -> None:
        self.identifier = identifier
        await super().family(identifier, password)

    async def request(self, kind, method, path, expect, data=None) -> Answer:
        headers = {}
        if method == "POST":  # as a browser posting the page's own form
            headers = {"Origin": self.base_url, "Referer": self.base_url + path}
        start = time.perf_counter()
        try:
            async with self.client.request(
                method, path, data=data, headers=headers, allow_redirects=False
            ) as response:
                body = await response.read()
                answer = Answer(
                    response.status,
                    response.headers.get("location", ""),
                    "",
                    body,
                    response.headers.get("X-Served-By", ""),
                )
                if not response.content_type.startswith("application/"):
                    answer.text = body.decode(response.charset or "utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise Failure(f"{method} {path}: {type(error).__name__} {error}") from error
        self.stats.add(kind, time.perf_counter() - start)
        self.stats.served[answer.served_by or "?"] += 1
        self.served.append(answer.served_by or "?")
        if expect is not None and answer.status != expect:
            detail = ERROR_ITEM.search(answer.text)
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", detail[0])) if detail else ""
            raise Failure(
                f"{method} {path} on {answer.served_by}: {answer.status} (expected {expect}) {text}"
            )
        return answer

    async def upload(self, identifier: str) -> None:
        """On "Mes documents", send :data:`UPLOADED_PDF` with the upload form (its first
        file field), follow the redirect and download the file back."""
        page = await self.request("page", "GET", "/documents/", 200)
        form = next(
            (m for m in FORM.finditer(page.text) if UPLOAD_ACTION in m[1] and "file" in m[2]),
            None,
        )
        if form is None:  # nothing requested from this family (a non-resident one)
            return
        data = aiohttp.FormData()
        file_field = ""
        for tag in TAG.finditer(form[2]):
            attrs = attributes(tag[2])
            kind, name = attrs.get("type", "text").lower(), attrs.get("name", "")
            if not name or tag[1].lower() != "input":
                continue
            if kind == "file":
                file_field = file_field or name
            elif kind not in ("submit", "button", "checkbox", "radio"):
                data.add_field(name, attrs.get("value", ""))
        filename = f"justificatif-{identifier}.pdf"
        data.add_field(file_field, UPLOADED_PDF, filename=filename, content_type="application/pdf")
        sent = await self.request("upload", "POST", "/documents/envoyer/", 302, data=data)
        shown = await self.request("page", "GET", sent.location.split("#", 1)[0], 200)
        links = DOWNLOAD_LINK.findall(shown.text)
        link = next((href for href, text in links if filename in text), None)
        if link is None:
            raise Failure(f"{identifier}: {filename} is not listed after the upload")
        stored = await self.request("download", "GET", html.unescape(link), 200)
        if stored.body != UPLOADED_PDF:
            raise Failure(f"{identifier}: the document read back from {stored.served_by} differs")
        self.stats.uploads += 1
        self.stats.downloads += 1
        self.uploaded = True

    async def reenrol(self, student_id: str) -> None:
        """:meth:`Browser.reenrol`, with an upload before step 5 (once per family) and
        the recap PDF downloaded after the validation."""
        response = await self.request(
            "step", "GET", f"/espace/eleves/{student_id}/reinscription/", 302
        )
        path = response.location
        for index, step in enumerate(STEPS):
            if not path.endswith(f"/reinscription/{step}/"):
                raise Failure(f"student {student_id}: expected step {step}, sent to {path}")
            if step == "documents" and not self.uploaded:
                # Between two steps, on "Mes documents" (then back to step 5).
                await self.upload(self.identifier)
            page = (await self.request("step", "GET", path, 200)).text
            payload = step_payload(page, step, student_id)
            response = await self.request("step", "POST", path, 302, data=payload)
            path = response.location
            if index == len(STEPS) - 1 and not path.endswith("/recapitulatif/"):
                raise Failure(f"student {student_id}: validation went to {path}")
        await self.request("page", "GET", path, 200)  # the validated recap and its message
        pdf = await self.request(
            "download", "GET", f"/espace/eleves/{student_id}/recapitulatif.pdf", 200
        )
        if not pdf.body.startswith(b"%PDF-"):
            raise Failure(f"student {student_id}: the recap download is not a PDF")
        self.stats.downloads += 1
        self.stats.reenrolments += 1

    async def failed_logins(self, identifier: str, count: int) -> list[Answer]:
        """``count`` logins with a wrong password (any answer is recorded)."""
        page = await self.request("page", "GET", "/compte/connexion/", 200)
        values, _radios = form_fields(page.text, ("csrfmiddlewaretoken",))
        answers = []
        for attempt in range(count):
            data = {**values, "username": identifier, "password": f"wrong-{attempt}"}
            answers.append(await self.request("login", "POST", "/compte/connexion/", None, data))
        return answers

    async def login_answer(self, identifier: str, password: str) -> Answer:
        page = await self.request("page", "GET", "/compte/connexion/", None)
        values, _radios = form_fields(page.text, ("csrfmiddlewaretoken",))
        data = {**values, "username": identifier, "password": password}
        return await self.request("login", "POST", "/compte/connexion/", None, data)


@dataclass
class ClusterRun:
    stats: ClusterStats
    started: float
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


async def run_families(
    base_url: str, families: list[tuple[str, str]], *, concurrency: int, seconds: float
) -> ClusterRun:
    """Like :func:`bench.loadgen.run_families`, with :class:`ClusterBrowser`: ``concurrency``
    families in flight, none started after ``seconds``, a failure counted and the run
    goes on."""
    stats = ClusterStats()
    pool = connector(concurrency)
    queue = list(reversed(families))
    started = time.perf_counter()
    deadline = started + seconds

    async def simulated_family() -> None:
        while queue and time.perf_counter() <= deadline:
            identifier, password = queue.pop()
            browser = ClusterBrowser(base_url, pool, stats)
            try:
                await browser.family(identifier, password)
                stats.completed.append(time.perf_counter())
            except Failure as error:
                stats.errors.append(f"{identifier}: {error}")
            except Exception as error:  # an unexpected page: count it, go on
                stats.errors.append(f"{identifier}: {type(error).__name__}: {error}")
            finally:
                await browser.aclose()

    try:
        await asyncio.wait_for(
            asyncio.gather(*(simulated_family() for _ in range(concurrency))),
            timeout=seconds + 120,
        )
    except TimeoutError:
        stats.errors.append("load: stopped by the overall timeout")
    finally:
        await pool.close()
    return ClusterRun(stats, started, time.perf_counter())


async def lockout_across_instances(base_url: str, identifier: str, password: str) -> dict:
    """Five wrong passwords (the limit), then the right one: refused if the failures
    were counted across the instances that received them."""
    pool = connector(1)
    browser = ClusterBrowser(base_url, pool, ClusterStats())
    try:
        failures = await browser.failed_logins(identifier, 5)
        right = await browser.login_answer(identifier, password)
    finally:
        await browser.aclose()
        await pool.close()
    return {
        "failures_by_instance": dict(Counter(a.served_by for a in failures)),
        "failure_statuses": [a.status for a in failures],
        "right_password_status": right.status,
        "right_password_served_by": right.served_by,
        "right_password_location": right.location,
    }


async def draft_across_instances(base_url: str, identifier: str, password: str) -> dict:
    """Log in, answer step 1 on one instance; the next page, on the other, is step 2."""
    pool = connector(1)
    stats = ClusterStats()
    browser = ClusterBrowser(base_url, pool, stats)
    try:
        await browser.login(identifier, password)
        space = await browser.request("page", "GET", "/espace/", 200)
        student = re.search(r'href="/espace/eleves/(\d+)/reinscription/"', space.text)[1]
        start = await browser.request(
            "step", "GET", f"/espace/eleves/{student}/reinscription/", 302
        )
        page = await browser.request("step", "GET", start.location, 200)
        saved = await browser.request(
            "step", "POST", start.location, 302, data=step_payload(page.text, "choix", student)
        )
        shown = await browser.request("step", "GET", saved.location, 200)
    finally:
        await browser.aclose()
        await pool.close()
    return {
        "student": student,
        "saved_by": saved.served_by,
        "next_step": saved.location,
        "next_served_by": shown.served_by,
        "sequence": browser.served,
    }


# --- make bench-cluster -------------------------------------------------------------------------


def quantile(values: list[float], q: float) -> float:
    stats = Stats(timings={"x": values})
    return round(stats.quantile("x", q), 1)


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    families = setting("BENCH_CLUSTER_FAMILIES", 30)
    concurrency = setting("BENCH_CLUSTER_CONCURRENCY", 4)
    seconds = setting("BENCH_CLUSTER_SECONDS", 60)
    workers = setting("BENCH_CLUSTER_WORKERS", 1)
    threads = setting("BENCH_CLUSTER_THREADS", 4)
    name = f"{(urlsplit(database_url).path.lstrip('/') or 'conservatoire')}_cluster"
    workdir = ROOT / ".bench" / "cluster"
    print(f"== cluster: 2 gunicorn ({workers}×{threads}) behind HAProxy, 1 worker, S3 (moto)")
    print(f"  database {name}, Redis db {setting('BENCH_CLUSTER_REDIS_DB', 15)}; logs {workdir}")
    try:
        cluster = Cluster(
            database_url=database_url,
            broker_url=broker_url,
            database_name=name,
            redis_db=setting("BENCH_CLUSTER_REDIS_DB", 15),
            workdir=workdir,
            load_families=families,
            workers=workers,
            threads=threads,
        )
    except ClusterUnavailable as error:
        print(f"  cannot run: {error}")
        return 2
    started = time.perf_counter()
    with cluster:
        setup_seconds = time.perf_counter() - started
        print(
            f"  up in {setup_seconds:.0f} s on {cluster.base_url} (plain HTTP); "
            f"{families} families, {concurrency} in flight…",
            flush=True,
        )
        run = asyncio.run(
            run_families(
                cluster.base_url,
                cluster.journey_families(),
                concurrency=concurrency,
                seconds=seconds,
            )
        )
        lockout = asyncio.run(lockout_across_instances(cluster.base_url, *cluster.lockout_family))
        drain_started = time.perf_counter()
        emails = cluster.wait_for_emails(run.stats.reenrolments, timeout=180)
        drain = time.perf_counter() - drain_started
        state = cluster.state()
        settings = cluster.settings_report()
    stats = run.stats
    for error in stats.errors[:5]:
        print(f"  error: {error}")
    locked = lockout["right_password_status"] == 429
    problems = (
        max(0, stats.reenrolments - state["reenrolled"])
        + max(0, stats.reenrolments - emails.get("sent", 0))
        + max(0, stats.reenrolments - state["recap_pdfs_in_s3"])
        + max(0, state["uploads_in_db"] - state["uploads_in_s3"])
        + len(state["local_files"])
        + (not locked)
    )
    figures = {
        "families_completed": len(stats.completed),
        "errors": len(stats.errors) + problems,
        "families_per_minute": round(len(stats.completed) / run.seconds * 60, 1),
        "reenrolments": stats.reenrolments,
        "requests": sum(stats.served.values()),
        **{f"requests_{name}": stats.served.get(name, 0) for name in INSTANCES},
        "requests_unattributed": sum(v for k, v in stats.served.items() if k not in INSTANCES),
        "consecutive_on_other_instance_pct": round(stats.switch_share() * 100, 1),
        "request_p50_ms": quantile(stats.all_timings(), 0.5),
        "request_p95_ms": quantile(stats.all_timings(), 0.95),
        "step_p50_ms": round(stats.quantile("step", 0.5), 1),
        "step_p95_ms": round(stats.quantile("step", 0.95), 1),
        "login_p95_ms": round(stats.quantile("login", 0.95), 1),
        "uploads": stats.uploads,
        "downloads": stats.downloads,
        "load_seconds": round(run.seconds, 1),
        "email_drain_seconds": round(drain, 1),
        "emails_sent": emails.get("sent", 0),
        "recap_pdfs_in_s3": state["recap_pdfs_in_s3"],
        "uploads_in_s3": state["uploads_in_s3"],
        "bucket_objects": state["bucket_keys"],
        "sessions_in_db": state["sessions"],
        "files_in_local_media": len(state["local_files"]),
        "lockout_across_instances": locked,
        "lockout_failures_by_instance": lockout["failures_by_instance"],
        "setup_seconds": round(setup_seconds, 1),
        "concurrency": concurrency,
        "gunicorn_workers_per_instance": workers,
        "gunicorn_threads_per_instance": threads,
        "settings": settings,
    }
    for key, value in figures.items():
        shown = f"{value:>14.6g}" if isinstance(value, float) else f"{value!s:>14}"
        print(f"  {key:<40} {shown}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"Written to {RESULTS.relative_to(ROOT)}")
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
