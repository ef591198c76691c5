"""Back office: the recap PDF, and ZIPs of 1,000 recaps built as in production.

The measures run in a child process (``python -m bench.bench_staff``) on the
bench's own database, a fresh SQLite file ``.bench/staff.sqlite3`` (WAL), with its
own private files (``.bench/staff-media``): the development database is never
touched. The child loads the demo, 700 generated families, one real re-enrolment
(Léa Martin, through the wizard's service) and 1,000 more whose snapshot is a copy
of hers, all committed, then starts a real Celery worker
(``--pool prefork --concurrency BENCH_STAFF_CONCURRENCY``, default 2: the machine's
two cores) whose broker is a folder (kombu's filesystem transport: no Redis needed).

Figures:

- ``recap_pdf_median_ms``: Léa's recap rendered (context, template, WeasyPrint),
  median of 21 runs after a warm-up, interleaved with ``weasyprint_minimal_median_ms``
  (WeasyPrint alone, a one-paragraph page, the same restricted fetcher, its own font
  configuration as WeasyPrint makes by default): the machine's speed, to compare runs
  (``recap_vs_minimal_ratio``); ``*_cpu_median_ms``, the same in CPU time of the
  process (less disturbed by the machine's other processes);
- ``weasyprint_harfbuzz_subset``: ``yes``, or ``no`` with a warning (WeasyPrint then
  subsets fonts with fontTools, several times slower: install ``libharfbuzz-subset0``);
- ``zip_1000_seconds``: the cold export (no recap stored): from the staff's request
  to the stored ZIP, the worker's processes rendering 40 chunks of 25 recaps, then
  one of them copying the stored PDFs into the ZIP; ``zip_1000_worker_cpu_seconds``,
  the worker's CPU time meanwhile;
- ``zip_1000_stored_seconds``: the same export again, every recap already stored;
- ``zip_1000_peak_mb``: the largest resident memory of one worker process during the
  two exports (sampled every 50 ms), with ``zip_1000_rss_growth_after_10pct_mb`` (that
  process's peak minus its memory a tenth of the way through the cold export: ~0 when
  memory is flat);
- ``zip_1000_size_mb``, ``zip_1000_recaps``.
"""

import json
import os
import shutil
import sqlite3
import statistics
import sys
import threading
import time
from pathlib import Path

from django.utils import timezone

from . import ROOT
from .bench_load import manage, process_cpu_seconds, sqlite_url, start, stop

BENCH_DIR = ROOT / ".bench"
DATABASE = BENCH_DIR / "staff.sqlite3"
MEDIA = BENCH_DIR / "staff-media"
BROKER = BENCH_DIR / "staff-broker"
RUNS = 21
ZIP_COUNT = 1_000
EXPORT_TIMEOUT = 900


def harfbuzz_subset() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (its fast path)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("EMAIL_URL", "AWS_STORAGE_BUCKET_NAME"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="conservatoire.settings",
        DEBUG="1",
        DATABASE_URL=sqlite_url(DATABASE),
        MEDIA_ROOT=str(MEDIA),
        CELERY_BROKER_URL="filesystem://",
        EMAIL_URL="consolemail://",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def run() -> dict[str, float | str]:
    """In ``python -m bench``: a fresh database, then the measures in a child process."""
    if not harfbuzz_subset():
        print(
            "  WARNING: WeasyPrint runs on its slow path (no libharfbuzz-subset): "
            "sudo apt-get install -y libharfbuzz-subset0",
            flush=True,
        )
    BENCH_DIR.mkdir(exist_ok=True)
    for leftover in BENCH_DIR.glob("staff.sqlite3*"):
        leftover.unlink()
    for folder in (MEDIA, BROKER):
        shutil.rmtree(folder, ignore_errors=True)
    sqlite3.connect(DATABASE).execute("PRAGMA journal_mode=WAL").close()
    env = child_environment()
    print("  migrating a fresh database, seeding 700 families…", flush=True)
    manage(env, "migrate", "--noinput")
    result = subprocess_run([sys.executable, "-m", "bench.bench_staff"], env)
    return json.loads(result.strip().splitlines()[-1])


def subprocess_run(command: list[str], env: dict[str, str]) -> str:
    import subprocess

    result = subprocess.run(  # noqa: S603 (our own module)
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600
    )
    for line in result.stderr.splitlines():
        if line.startswith("  "):  # the child's progress lines
            print(line, flush=True)
    if result.returncode:
        raise RuntimeError(f"bench.bench_staff failed:\n{result.stderr[-3000:]}")
    return result.stdout


# --- In the child process ---------------------------------------------------------------------


def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def configure_broker() -> None:
    """Celery's broker: a folder, shared by this process and the worker's."""
    from conservatoire.celery import app

    BROKER.mkdir(exist_ok=True)
    app.conf.broker_transport_options = {
        "data_folder_in": str(BROKER),
        "data_folder_out": str(BROKER),
        "control_folder": str(BROKER / "control"),  # kombu's default is ./control
        "store_processed": False,
        "polling_interval": 0.1,
    }


def minimal_pdf() -> bytes:
    from weasyprint import HTML

    from conservatoire.pdf import static_url_fetcher

    return HTML(
        string="<!doctype html><html lang='fr'><body><p>Bonjour.</p></body></html>",
        url_fetcher=static_url_fetcher(),
    ).write_pdf()


def interleaved_medians(workloads: dict) -> dict[str, tuple[float, float]]:
    """``{name: (wall ms, CPU ms)}``: medians of ``RUNS`` runs, the workloads taking
    turns so that a busy moment of the machine weighs on each alike."""
    for func in workloads.values():
        func()  # warm-up (fonts, templates)
    wall = {name: [] for name in workloads}
    cpu = {name: [] for name in workloads}
    for _ in range(RUNS):
        for name, func in workloads.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            func()
            cpu[name].append((time.process_time() - cpu_started) * 1000)
            wall[name].append((time.perf_counter() - started) * 1000)
    return {
        name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in workloads
    }


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class WorkerMemory(threading.Thread):
    """Samples the resident memory of a worker's processes (its own and its pool's)."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, float] = {}
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.stopped = threading.Event()

    def processes(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            children = []
        return [self.pid, *map(int, children)]

    def run(self):
        while not self.stopped.is_set():
            sample = {pid: rss_mb(pid) for pid in self.processes()}
            self.samples.append((time.perf_counter(), sample))
            for pid, value in sample.items():
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), value)
            time.sleep(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join()

    def growth_after(self, started: float, ended: float, fraction: float) -> float:
        """The largest process's peak over the window minus its memory ``fraction`` in."""
        window = [sample for at, sample in self.samples if started <= at <= ended]
        if not window:
            return 0.0
        peaks: dict[int, float] = {}
        for sample in window:
            for pid, value in sample.items():
                peaks[pid] = max(peaks.get(pid, 0.0), value)
        pid = max(peaks, key=peaks.get)
        early = window[min(len(window) - 1, int(len(window) * fraction))].get(pid, peaks[pid])
        return peaks[pid] - early


def export(ids: list[int]) -> tuple[float, object]:
    """Ask for the ZIP of ``ids`` as staff do, wait for it; (seconds, the finished job)."""
    from django.db import transaction

    from reinscription.backoffice.tasks import start_recap_export
    from reinscription.models import ExportJob

    started = time.perf_counter()
    with transaction.atomic():
        job = start_recap_export(ids, None)
    deadline = started + EXPORT_TIMEOUT
    while time.perf_counter() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if job.status != ExportJob.Status.DONE:
        raise RuntimeError(f"export {job.status} after {seconds:.0f} s: {job.error}")
    return seconds, job


def measure() -> dict[str, float | str]:
    from django.core.files.storage import default_storage
    from django.db import transaction

    from reinscription.recap import recap_pdf, recap_queryset

    configure_broker()
    with transaction.atomic():
        lea, ids = build_data()
    lea = recap_queryset().get(pk=lea.pk)
    for message in BROKER.glob("*"):  # Léa's confirmation email: not part of the measure
        message.unlink()
    say(f"recap PDF and minimal page, {RUNS} runs each, interleaved…")
    medians = interleaved_medians({"recap": lambda: recap_pdf(lea), "minimal": minimal_pdf})
    (recap_wall, recap_cpu), (minimal_wall, minimal_cpu) = medians["recap"], medians["minimal"]
    figures: dict[str, float | str] = {
        "recap_pdf_median_ms": round(recap_wall, 1),
        "weasyprint_minimal_median_ms": round(minimal_wall, 1),
        "recap_vs_minimal_ratio": round(recap_wall / minimal_wall, 2),
        "recap_pdf_cpu_median_ms": round(recap_cpu, 1),
        "weasyprint_minimal_cpu_median_ms": round(minimal_cpu, 1),
        "recap_vs_minimal_cpu_ratio": round(recap_cpu / minimal_cpu, 2),
        "weasyprint_harfbuzz_subset": "yes" if harfbuzz_subset() else "no",
    }

    concurrency = int(os.environ.get("BENCH_STAFF_CONCURRENCY", 2))
    worker = start(
        [sys.executable, "-m", "bench.bench_staff", "worker", str(concurrency)],
        dict(os.environ),
        "staff-celery.log",
    )
    memory = WorkerMemory(worker.pid)
    memory.start()
    try:
        say(f"cold ZIP of {len(ids)} recaps, a worker of {concurrency} processes…")
        cpu_before = process_cpu_seconds({"celery": worker.pid}, False)["celery"]
        cold_started = time.perf_counter()
        cold, _job = export(ids)
        cold_ended = time.perf_counter()
        cpu = process_cpu_seconds({"celery": worker.pid}, False)["celery"] - cpu_before
        say(f"cold: {cold:.1f} s; the same ZIP, every recap stored…")
        stored, job = export(ids)
    finally:
        memory.stop()
        stop(worker)
    size_mb = default_storage.size(job.file_name) / 1024 / 1024
    figures.update(
        {
            "zip_1000_seconds": round(cold, 2),
            "zip_1000_stored_seconds": round(stored, 2),
            "zip_1000_worker_cpu_seconds": round(cpu, 1),
            "zip_1000_peak_mb": round(max(memory.peaks.values()), 1),
            "zip_1000_rss_growth_after_10pct_mb": round(
                memory.growth_after(cold_started, cold_ended, 0.1), 1
            ),
            "zip_1000_size_mb": round(size_mb, 1),
            "zip_1000_recaps": float(job.done),
            "zip_1000_worker_concurrency": concurrency,
        }
    )
    return figures


def work(concurrency: int) -> None:
    """The worker: prefork, ``concurrency`` processes, the folder broker."""
    from conservatoire.celery import app

    configure_broker()
    app.worker_main(
        ["worker", "--pool", "prefork", "--concurrency", str(concurrency)]
        + ["--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
        + ["--without-heartbeat"]
    )


def build_data():
    """The demo, 700 generated families, Léa's real re-enrolment and 1,000 copies."""
    from accounts.models import Student
    from reinscription.demo import seed_demo
    from reinscription.models import Campaign, Reenrolment, ReenrolmentSnapshot
    from tests.staff.factories import chosen, submit

    seed_demo(load_families=700)
    campaign = Campaign.objects.select_related("school_year", "previous_year").get(
        school_year__label="2025-2026"
    )
    lea_student = Student.objects.get(legacy_id="DEMO-martin-lea")
    lea = Reenrolment.objects.filter(student=lea_student, campaign=campaign).first()
    if lea is None or lea.status == Reenrolment.Status.VALIDATED:
        lea = lea or submit(
            lea_student,
            campaign,
            preferences=chosen(lea_student, campaign, day_fm1c2="saturday", ensemble="orchestre"),
            comments="Léa aimerait essayer le violoncelle l’an prochain.",
        )
    elif not lea.snapshots.exists():
        lea = submit(lea_student, campaign)
    template = lea.snapshots.order_by("-version").first()
    students = list(
        Student.objects.filter(legacy_id__startswith="LOAD-")
        .exclude(reenrolments__campaign=campaign)
        .order_by("pk")[:ZIP_COUNT]
    )
    now = timezone.now()
    Reenrolment.objects.bulk_create(
        [
            Reenrolment(
                student=student,
                campaign=campaign,
                status=Reenrolment.Status.REENROLLED,
                decision=Reenrolment.Decision.REENROL,
                payment_mode=lea.payment_mode,
                image_rights=True,
                outing_authorisation=False,
                preferences=lea.preferences,
                comments=lea.comments,
                estimated_total=lea.estimated_total,
                rules_version=campaign.rules_version,
                rules_accepted_at=now,
                submitted_by=lea.submitted_by,
                submitted_at=now,
            )
            for student in students
        ],
        batch_size=500,
    )
    created = list(
        Reenrolment.objects.filter(student__in=students, campaign=campaign).select_related(
            "student__family"
        )
    )
    ReenrolmentSnapshot.objects.bulk_create(
        [
            ReenrolmentSnapshot(
                reenrolment=reenrolment,
                version=1,
                data={
                    **template.data,
                    "student": reenrolment.student.full_name,
                    "family": reenrolment.student.family.name,
                },
                rules_version=campaign.rules_version,
                created_by=lea.submitted_by,
                created_at=now,
            )
            for reenrolment in created
        ],
        batch_size=500,
    )
    return lea, [reenrolment.pk for reenrolment in created]


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1:2] == ["worker"]:
        work(int(sys.argv[2]))
    else:
        print(json.dumps(measure()))
