"""Load: the campaign opening — families log in and re-enrol their children at once.

On loopback, gunicorn serves the production settings (``DEBUG=0``, a secret key,
``ALLOWED_HOSTS=127.0.0.1``, secure ``__Host-`` cookies, HTTPS redirect on: the
load client plays the TLS-terminating proxy, see :mod:`bench.loadgen`) against

- PostgreSQL and Redis with a Celery worker (``--concurrency 1``, at ``nice``
  ``BENCH_WORKER_NICE``, default 10: on shared cores the pages go first and the
  emails, recap PDF included, follow — the drain time below says how far) when
  ``DATABASE_URL`` and ``CELERY_BROKER_URL`` are both set: the bench creates and
  migrates its own database, ``<name>_bench`` on the same server, dropped first,
  so the development database is never touched (``backend``: ``postgresql+redis``);
- otherwise a fresh SQLite file ``.bench/load.sqlite3`` (WAL with
  ``synchronous=NORMAL``, immediate transactions, 20 s busy timeout, all set
  through its URL) and eager Celery
  (``backend``: ``sqlite+eager``).

``seed_demo --families N`` creates the families (``BENCH_FAMILIES``, default 600:
enough for the default two minutes at the rate measured here).
Phases, all against the same server:

1. unloaded: one family alone (login and every wizard request), then 50 baseline
   pages, one at a time;
2. baseline: ``BENCH_CONCURRENCY`` anonymous browsers load the baseline page (a
   plain Django form in the site layout, with a session write and no query of
   ours; routed only with ``BENCH_BASELINE=1``) for 10 s;
3. load: the other families, ``BENCH_CONCURRENCY`` (default 8) in flight, none
   started after ``BENCH_SECONDS`` (default 120): log in, family space, the
   seven steps of each child (GET and POST), the validated recap.

Figures: ``families_per_minute`` (completed families while every slot was busy,
first fifth skipped), ``step_p50_ms`` / ``step_p95_ms`` (every wizard request),
``login_p95_ms`` (the login POST: Argon2), ``errors`` (failed families, plus
re-enrolments or emails missing in the database afterwards), ``baseline_p50_ms``
and ``step_to_baseline_ratio`` (phase 2 at the same concurrency); details:
``load_*`` (login p50, other pages' p95, families completed, re-enrolments per
minute, the time the worker still needed after the load to send every
confirmation email, the families per minute counting that time — the rate the
machine sustains with every email out —, the settings, the machine's CPU busy
share during the load and its load average before — other processes count —,
the load client's own CPU share, the CPU time per completed family of gunicorn,
of the Celery worker until its backlog is sent, and of every ``postgres``
process on the machine) and
``unloaded_*`` (phase 1). Logs: ``.bench/gunicorn.log``, ``.bench/celery.log``.
Gunicorn: ``BENCH_WORKERS`` (default 2) × ``BENCH_THREADS`` (default 4) of
``BENCH_WORKER_CLASS`` (default gthread): on 2 cores it did better than 2×8,
3×4 and 4×2 gthread and 4 sync workers in paired runs (more workers only add
context switches).
"""

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import ROOT
from .loadgen import run_baseline, run_families, wait_until_up

BENCH_DIR = ROOT / ".bench"
LOAD_PASSWORD = "Famille-Charge-2025"  # noqa: S105 (reinscription.demo.LOAD_PASSWORD)
BASELINE_SECONDS = 10
CHECK_SCRIPT = """
import json
from conservatoire.models import OutboxEmail
from reinscription.models import Reenrolment
print(json.dumps({
    "reenrolled": Reenrolment.objects.filter(status="reenrolled").count(),
    "emails": {
        status: OutboxEmail.objects.filter(status=status).count()
        for status in ("pending", "sent", "failed")
    },
}))
"""


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def process_cpu_seconds(pgids: dict[str, int], postgres: bool) -> dict[str, float]:
    """CPU time (user + system) of the live processes of each process group named in
    ``pgids``, and with ``postgres`` of every ``postgres`` process (the database server,
    whoever uses it; a connection that ends meanwhile takes its time away)."""
    ticks = dict.fromkeys([*pgids, *(["postgres"] if postgres else [])], 0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = tail.split()  # from field 3 (state): pgrp is [2], utime [11], stime [12]
        used = int(fields[11]) + int(fields[12])
        for name, pgid in pgids.items():
            if int(fields[2]) == pgid:
                ticks[name] += used
        if postgres and head.endswith("(postgres"):
            ticks["postgres"] += used
    return {name: value / os.sysconf("SC_CLK_TCK") for name, value in ticks.items()}


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_database(url: str) -> tuple[str, str]:
    """The bench's own database next to ``url``'s: ``<name>_bench``."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'conservatoire'}_bench"
    return urlunsplit(parts._replace(path="/" + name)), name


def recreate_postgres(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres", query=""))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare_environment() -> tuple[str, dict[str, str]]:
    """The backend's name and the server's environment (production settings)."""
    env = dict(os.environ)
    for name in ("EMAIL_URL", "AWS_STORAGE_BUCKET_NAME", "SECURE_SSL_REDIRECT"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="conservatoire.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        MEDIA_ROOT=str(BENCH_DIR / "media"),
        EMAIL_URL="consolemail://",
        LOG_LEVEL="WARNING",
        BENCH_BASELINE="1",
        PYTHONUNBUFFERED="1",
    )
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if database_url.startswith(("postgres", "pgsql")) and broker_url:
        url, name = bench_database(database_url)
        recreate_postgres(database_url, name)
        env["DATABASE_URL"] = url
        return "postgresql+redis", env
    env.pop("CELERY_BROKER_URL", None)
    path = BENCH_DIR / "load.sqlite3"
    for leftover in BENCH_DIR.glob("load.sqlite3*"):
        leftover.unlink()
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()  # kept by the file
    env["DATABASE_URL"] = sqlite_url(path)
    return "sqlite+eager", env


def sqlite_url(path: Path) -> str:
    """SQLite tuned for concurrent requests, through the URL only (settings unchanged):
    immediate transactions (no lock upgrade deadlock), a 20 s busy timeout, and with
    the WAL journal the usual ``synchronous=NORMAL`` (no fsync at every commit)."""
    return (
        f"sqlite:///{path}?timeout=20&transaction_mode=IMMEDIATE"
        "&init_command=PRAGMA%20synchronous%3DNORMAL"
    )


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def start(command: list[str], env: dict[str, str], log: str) -> subprocess.Popen:
    """A child in its own process group (so that it and its workers can be stopped)."""
    with open(BENCH_DIR / log, "w") as handle:
        return subprocess.Popen(  # noqa: S603 (our own tools)
            command,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def database_check(env: dict[str, str], emails_expected: int, wait: float) -> dict:
    """Re-enrolments and outbox emails in the database; waits (bounded) for the worker."""
    deadline = time.perf_counter() + wait
    while True:
        state = json.loads(manage(env, "shell", "-c", CHECK_SCRIPT).strip().splitlines()[-1])
        if state["emails"]["sent"] >= emails_expected or time.perf_counter() > deadline:
            return state
        time.sleep(2)


def run() -> dict[str, float | str]:
    families = setting("BENCH_FAMILIES", 600)
    concurrency = setting("BENCH_CONCURRENCY", 8)
    seconds = setting("BENCH_SECONDS", 120)
    workers = setting("BENCH_WORKERS", 2)
    threads = setting("BENCH_THREADS", 4)
    worker_class = os.environ.get("BENCH_WORKER_CLASS", "gthread")
    worker_nice = setting("BENCH_WORKER_NICE", 10)
    BENCH_DIR.mkdir(exist_ok=True)
    # The database is new each run and so are its ids: a recap PDF stored by an
    # earlier run under the same name would be attached instead of rendered.
    shutil.rmtree(BENCH_DIR / "media", ignore_errors=True)
    backend, env = prepare_environment()
    print(f"  backend {backend}; migrating, seeding {families} families…", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo", "--families", str(families))
    port = free_port()
    base_url = f"https://127.0.0.1:{port}"
    server = worker = None
    try:
        if backend == "postgresql+redis":
            worker = start(
                ["nice", "-n", str(worker_nice)]
                + [sys.executable, "-m", "celery", "-A", "conservatoire", "worker"]
                + ["--concurrency", "1", "--loglevel", "WARNING"]
                + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
                env,
                "celery.log",
            )
        server = start(
            [sys.executable, "-m", "gunicorn", "conservatoire.wsgi"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
            + ["--threads", str(threads), "--worker-class", worker_class]
            + ["--timeout", "60", "--graceful-timeout", "5"],
            env,
            "gunicorn.log",
        )
        asyncio.run(wait_until_up(base_url, 60, lambda: server.poll() is None))
        print(
            f"  gunicorn {workers}×{threads} {worker_class} on {base_url} (plain HTTP)",
            flush=True,
        )

        identifiers = [(f"charge-{n:05d}", LOAD_PASSWORD) for n in range(1, families + 1)]
        alone = asyncio.run(run_families(base_url, identifiers[-1:], concurrency=1, seconds=60))
        solo_baseline = asyncio.run(run_baseline(base_url, concurrency=1, seconds=2))
        print(f"  baseline: {concurrency} browsers for {BASELINE_SECONDS} s…", flush=True)
        baseline = asyncio.run(
            run_baseline(base_url, concurrency=concurrency, seconds=BASELINE_SECONDS)
        )
        print(f"  load: {families - 1} families, {concurrency} in flight…", flush=True)
        loadavg = os.getloadavg()[0]
        busy_before, total_before = cpu_times()
        client_cpu = time.process_time()
        groups = {"gunicorn": server.pid, **({"celery": worker.pid} if worker else {})}
        postgres = backend == "postgresql+redis"
        cpu_before = process_cpu_seconds(groups, postgres)
        load = asyncio.run(
            run_families(base_url, identifiers[:-1], concurrency=concurrency, seconds=seconds)
        )
        client_cpu = time.process_time() - client_cpu
        cpu_after = process_cpu_seconds(groups, postgres)
        busy_after, total_after = cpu_times()
        busy, total = busy_after - busy_before, total_after - total_before
        stats = load.stats
        errors = stats.errors + alone.stats.errors + baseline.errors + solo_baseline.errors
        reenrolments = stats.reenrolments + alone.stats.reenrolments
        drain_started = time.perf_counter()
        state = database_check(env, reenrolments, wait=300 if worker else 0)
        drain = time.perf_counter() - drain_started
        if worker:  # the worker's CPU until its backlog is sent, not only during the load
            cpu_after["celery"] = process_cpu_seconds({"celery": worker.pid}, False)["celery"]
    finally:
        stop(server)
        stop(worker)

    missing = max(0, reenrolments - state["reenrolled"])
    unsent = max(0, reenrolments - state["emails"]["sent"])
    for error in errors[:5]:
        print(f"  error: {error}")
    if missing or unsent:
        print(f"  database: {missing} re-enrolment(s) missing, {unsent} email(s) not sent")
    step_p50 = stats.quantile("step", 0.5)
    baseline_p50 = baseline.quantile("baseline", 0.5)
    elapsed = load.ended - load.started
    return {
        "backend": backend,
        "families_per_minute": round(load.families_per_minute(), 1),
        "step_p50_ms": round(step_p50, 1),
        "step_p95_ms": round(stats.quantile("step", 0.95), 1),
        "login_p95_ms": round(stats.quantile("login", 0.95), 1),
        "errors": len(errors) + missing + unsent,
        "baseline_p50_ms": round(baseline_p50, 1),
        "step_to_baseline_ratio": round(step_p50 / baseline_p50, 2),
        "load_login_p50_ms": round(stats.quantile("login", 0.5), 1),
        "load_page_p95_ms": round(stats.quantile("page", 0.95), 1),
        "load_families_completed": len(stats.completed),
        "load_reenrolments_per_minute": round(stats.reenrolments / elapsed * 60, 1),
        "load_seconds": round(elapsed, 1),
        "load_email_drain_seconds": round(drain, 1),
        "load_families_per_minute_with_emails": round(
            len(stats.completed) / (elapsed + drain) * 60, 1
        ),
        "load_concurrency": concurrency,
        "load_gunicorn_workers": workers,
        "load_gunicorn_threads": threads,
        "load_worker_nice": worker_nice if worker else 0,
        "load_machine_cpu_busy_pct": round(busy / total * 100, 1) if total else 0.0,
        "load_loadavg_before": round(loadavg, 2),
        "load_client_cpu_pct": round(client_cpu / elapsed * 100, 1),
        # Always the three keys (0 when absent: eager e-mails run inside gunicorn),
        # so that a SQLite run leaves no PostgreSQL figure behind in results.json.
        **{
            f"load_{name}_cpu_ms_per_family": round(
                max(0.0, cpu_after.get(name, 0) - cpu_before.get(name, 0))
                / max(1, len(stats.completed))
                * 1000,
                1,
            )
            for name in ("gunicorn", "celery", "postgres")
        },
        "unloaded_login_ms": round(alone.stats.quantile("login", 0.5), 1),
        "unloaded_step_p50_ms": round(alone.stats.quantile("step", 0.5), 1),
        "unloaded_baseline_p50_ms": round(solo_baseline.quantile("baseline", 0.5), 1),
    }
