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
import json
import os
import sys
import time
from urllib.parse import urlsplit

from . import ROOT
from .cluster_journey import (  # noqa: F401  (the test imports them from here)
    FORM,
    UPLOADED_PDF,
    ClusterBrowser,
    ClusterStats,
    draft_across_instances,
    lockout_across_instances,
    run_families,
)
from .cluster_stack import BUCKET, INSTANCES, Cluster, ClusterUnavailable  # noqa: F401
from .loadgen import Stats

RESULTS = ROOT / ".bench" / "cluster.json"


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


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
