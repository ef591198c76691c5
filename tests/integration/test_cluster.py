"""In CI's second pass: two web instances behind HAProxy share everything, one worker.

:class:`bench.cluster.Cluster` (``make bench-cluster``'s) starts two gunicorn
instances with the production settings, HAProxy in front (round-robin on every
request, the chosen instance in ``X-Served-By``), one Celery worker, moto's S3
server, on a database and a Redis database number of their own. A family's
consecutive requests then alternate between the instances, and its journey still
completes: login, wizard steps (the draft), an upload read back through the other
instance, the validation, the recap PDF rendered by the worker into S3, and its
download. Nothing is local to one instance: sessions and drafts in PostgreSQL,
files in S3 (each instance's own ``MEDIA_ROOT`` stays empty), login failures counted
across instances, the staff's import preview confirmed on the other instance.

Skipped where haproxy is missing (CI installs it: ``.ci/run``) or moto is not
installed, and on the embedded defaults (``integration``).
"""

import asyncio
import io
import os
import re

import pytest

from bench.cluster import (
    BUCKET,
    FORM,
    INSTANCES,
    UPLOADED_PDF,
    ClusterBrowser,
    ClusterStats,
    ClusterUnavailable,
    draft_across_instances,
    lockout_across_instances,
    run_families,
)
from bench.loadgen import connector, form_fields
from reinscription.demo import STAFF_IDENTIFIER, STAFF_PASSWORD
from tests.staff.test_imports import SIBLINGS, csv_file

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAMILIES = 2  # charge-00001 (two children) and charge-00002 (one): 3 re-enrolments
IMPORT_PATH = "/gestion/reinscription/enrolment/import/"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from bench.cluster import Cluster

    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    try:
        cluster = Cluster(
            database_url=database_url,
            broker_url=broker_url,
            # Not the bench's (make bench-cluster may run meanwhile), not pytest's.
            database_name=f"{database_url.rsplit('/', 1)[-1] or 'conservatoire'}_cluster_test",
            redis_db=14,
            workdir=tmp_path_factory.mktemp("cluster"),
            load_families=FAMILIES,
            workers=1,
            threads=2,
        )
    except ClusterUnavailable as error:
        pytest.skip(f"the cluster cannot start here: {error}")
    with cluster:
        yield cluster
        for name in (*INSTANCES, "worker", "haproxy"):
            print(f"--- {name} log (end) ---\n{cluster.log(name)[-2000:]}")


def alternates(sequence: list[str]) -> bool:
    return all(a != b for a, b in zip(sequence, sequence[1:], strict=False))


def test_a_family_journey_alternates_between_instances_and_completes(cluster):
    run = asyncio.run(
        run_families(cluster.base_url, cluster.journey_families(), concurrency=1, seconds=90)
    )
    stats = run.stats

    assert stats.errors == []
    assert len(stats.completed) == FAMILIES and stats.reenrolments == 3
    # Every request of each family went to the other instance than the one before:
    # login, family space, each step's GET and POST, upload, downloads.
    assert set(stats.served) == set(INSTANCES)
    for sequence in stats.sequences:
        assert len(sequence) > 20 and alternates(sequence), sequence
    assert stats.uploads == FAMILIES  # both are residents: a proof of address is asked
    assert stats.downloads == FAMILIES + 3  # each upload read back, each recap PDF

    # The worker sent the confirmations, each with the recap PDF it rendered into S3.
    emails = cluster.wait_for_emails(3, timeout=90)
    assert emails.get("sent") == 3, emails
    state = cluster.state()
    assert state["reenrolled"] == 3
    # Every recap is in the bucket. A recap is stored once per state it shows (what is
    # left to do covers the whole family: a sibling answered later gives a new file).
    assert state["recap_pdfs_in_s3"] >= 3 and state["recap_pdfs_are_pdf"]
    assert state["uploads_in_db"] == state["uploads_in_s3"] == FAMILIES
    assert state["sessions"] >= FAMILIES  # sessions are rows, read by both instances
    assert state["drafts"] == 0  # deleted at validation, whichever instance validated
    # Nothing was written to the instances' (or the worker's) own folders.
    assert state["local_files"] == []
    for (name,) in cluster.query("SELECT file FROM documents_documentfile"):
        assert cluster.s3().get_object(Bucket=BUCKET, Key=name)["Body"].read() == UPLOADED_PDF


def test_a_draft_saved_on_one_instance_is_resumed_on_the_other(cluster):
    result = asyncio.run(draft_across_instances(cluster.base_url, *cluster.draft_family))

    assert alternates(result["sequence"])
    assert result["saved_by"] != result["next_served_by"]
    assert result["next_step"].endswith("/reinscription/coordonnees/")
    [(data,)] = cluster.query(
        "SELECT data::text FROM reinscription_wizarddraft WHERE student_id = %s",
        int(result["student"]),
    )
    assert '"choix"' in data


def test_login_failures_are_counted_across_instances(cluster):
    identifier, password = cluster.lockout_family
    result = asyncio.run(lockout_across_instances(cluster.base_url, identifier, password))

    # Five failures (the limit), neither instance saw five: counted in the database.
    assert set(result["failures_by_instance"]) == set(INSTANCES)
    assert max(result["failures_by_instance"].values()) < 5
    assert result["failure_statuses"][:4] == [200] * 4
    assert result["failure_statuses"][4] == 429
    # The right password is refused now, on either instance.
    assert result["right_password_status"] == 429
    assert result["right_password_location"] == ""
    [(failures,)] = cluster.query(
        "SELECT failures_since_start FROM axes_accessattempt WHERE username = %s", identifier
    )
    assert failures >= 5  # the five, and axes counts the refused right password too


def test_an_import_previewed_on_one_instance_is_confirmed_on_the_other(cluster):
    """django-import-export keeps the file between the preview and the confirmation:
    in S3 (``IMPORT_EXPORT_TMP_STORAGE_CLASS``), not in one instance's temp folder."""
    served = asyncio.run(staff_import(cluster.base_url, csv_file(*SIBLINGS)))

    assert served["preview"] != served["confirmation"]
    assert cluster.query("SELECT count(*) FROM accounts_family WHERE legacy_id = 'F100'") == [(1,)]
    # The preview's file was removed once imported.
    assert not [key for key in cluster.bucket_keys() if key.startswith("django-import-export/")]
    assert cluster.local_files() == []


def test_no_instance_keeps_what_another_needs(cluster):
    report = cluster.settings_report()

    assert report["session_engine"] == "django.contrib.sessions.backends.db"
    assert report["default_storage"] == "storages.backends.s3.S3Storage"
    assert report["import_tmp_storage"] == "import_export.tmp_storages.MediaStorage"
    # The cache is Django's default, in each process's memory: nothing shared uses it
    # (login failures are counted by axes' database handler, not its cache one).
    assert report["axes_handler"] == "axes.handlers.database.AxesDatabaseHandler"
    if report["cache"].endswith("LocMemCache"):
        assert "Cache" not in report["import_tmp_storage"]


async def staff_import(base_url: str, data: bytes) -> dict[str, str]:
    """The secretariat logs in, previews a legacy CSV, then confirms it."""
    pool = connector(1)
    browser = ClusterBrowser(base_url, pool, ClusterStats())
    try:
        login = await browser.login_answer(STAFF_IDENTIFIER, STAFF_PASSWORD)
        assert login.status == 302, login.status
        page = await browser.request("page", "GET", IMPORT_PATH, 200)
        fields = form_inputs(page.text, "import_file")
        fields["format"] = "0"  # FrenchCSV
        form = aiohttp_form(fields, "import_file", data, "export.csv")
        preview = await browser.request("page", "POST", IMPORT_PATH, 200, data=form)
        assert "Prévisualiser" in preview.text or "Confirmer" in preview.text, preview.text[:3000]
        action = re.search(r'action="([^"]*process_import/)"', preview.text)[1]
        confirm = form_inputs(preview.text, "import_file_name")
        done = await browser.request("page", "POST", action, 302, data=confirm)
        return {"preview": preview.served_by, "confirmation": done.served_by}
    finally:
        await browser.aclose()
        await pool.close()


def form_inputs(page: str, marker: str) -> dict[str, str]:
    """The values of the first form of ``page`` with a field named ``marker``."""
    for match in FORM.finditer(page):
        if f'name="{marker}"' not in match[2]:
            continue
        values, _radios = form_fields(match[2], ("",))
        return values
    raise AssertionError(f"no form with {marker} in:\n{page[:3000]}")


def aiohttp_form(fields: dict[str, str], file_field: str, data: bytes, filename: str):
    import aiohttp

    form = aiohttp.FormData()
    for name, value in fields.items():
        if name != file_field:
            form.add_field(name, value)
    form.add_field(file_field, io.BytesIO(data), filename=filename, content_type="text/csv")
    return form
