"""Back office: the recap PDF, and a ZIP of 1,000 recaps built as the Celery task does it.

Everything is created inside a transaction that is rolled back (the database is
left as it was): the demo conservatoire, 700 generated families, one real
re-enrolment (Léa Martin, through the wizard's service) and 1,000 more whose
snapshot is a copy of hers.

Figures:
- ``recap_pdf_median_ms``: median time to render Léa's recap PDF (15 runs after
  a warm-up), beside ``weasyprint_minimal_median_ms``, WeasyPrint rendering a
  one-paragraph page in the same run with the same restricted fetcher — the
  machine's speed, to compare runs (``recap_vs_minimal_ratio``);
- ``zip_1000_seconds``: the export task building the ZIP of 1,000 recaps (one
  PDF at a time, written to a temporary file, then stored);
- ``zip_1000_peak_mb``: the process's peak resident memory during that export
  (sampled every 20 ms), with ``zip_1000_rss_growth_mb`` (peak minus the
  resident memory before it) and ``zip_1000_rss_growth_after_10pct_mb`` (peak
  minus the resident memory a tenth of the way through: ~0 when memory is flat).
"""

import statistics
import threading
import time
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from . import best_of

RUNS = 15
ZIP_COUNT = 1_000


class Rollback(Exception):
    pass


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakSampler(threading.Thread):
    """Samples the resident memory every ``interval`` seconds until stopped."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = rss_mb()
        self.samples: list[float] = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.samples.append(rss_mb())
            self.peak = max(self.peak, self.samples[-1])
            time.sleep(self.interval)

    def rss_at(self, fraction: float) -> float:
        """The resident memory ``fraction`` of the way through the sampling."""
        if not self.samples:
            return self.peak
        return self.samples[min(len(self.samples) - 1, int(len(self.samples) * fraction))]

    def stop(self) -> float:
        self.stopped.set()
        self.join()
        self.peak = max(self.peak, rss_mb())
        return self.peak


def median_ms(func) -> float:
    func()  # warm-up (fonts, templates)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def minimal_pdf() -> bytes:
    from weasyprint import HTML

    from conservatoire.pdf import static_url_fetcher

    return HTML(
        string="<!doctype html><html lang='fr'><body><p>Bonjour.</p></body></html>",
        url_fetcher=static_url_fetcher(),
    ).write_pdf()


def build_data():
    """The demo, 700 generated families, Léa's real re-enrolment and 1,000 copies."""
    from accounts.models import Student
    from reinscription.demo import seed_demo
    from reinscription.models import Campaign, Reenrolment, ReenrolmentSnapshot
    from tests.staff.factories import submit

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
            preferences={"fm_day": "saturday", "ensemble": "orchestre"},
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


def run() -> dict[str, float]:
    from reinscription.backoffice.tasks import build_recaps_zip
    from reinscription.models import ExportJob
    from reinscription.recap import recap_pdf

    figures: dict[str, float] = {}
    try:
        with transaction.atomic():
            lea, ids = build_data()
            figures["recap_pdf_median_ms"] = median_ms(lambda: recap_pdf(lea))
            figures["weasyprint_minimal_median_ms"] = median_ms(minimal_pdf)
            figures["recap_vs_minimal_ratio"] = (
                figures["recap_pdf_median_ms"] / figures["weasyprint_minimal_median_ms"]
            )
            figures["recap_pdf_best_ms"] = best_of(3, lambda: recap_pdf(lea)) * 1000

            job = ExportJob.objects.create(reenrolment_ids=ids, total=len(ids))
            before = rss_mb()
            sampler = PeakSampler()
            sampler.start()
            start = time.perf_counter()
            build_recaps_zip.run(job.pk)
            seconds = time.perf_counter() - start
            peak = sampler.stop()
            job.refresh_from_db()
            if job.status != ExportJob.Status.DONE:
                raise RuntimeError(f"export failed: {job.error}")
            size_mb = default_storage.size(job.file_name) / 1024 / 1024
            default_storage.delete(job.file_name)
            figures.update(
                {
                    "zip_1000_seconds": seconds,
                    "zip_1000_peak_mb": peak,
                    "zip_1000_rss_growth_mb": peak - before,
                    "zip_1000_rss_growth_after_10pct_mb": peak - sampler.rss_at(0.1),
                    "zip_1000_size_mb": size_mb,
                    "zip_1000_recaps": float(job.done),
                }
            )
            raise Rollback
    except Rollback:
        pass
    return figures
