"""Planning exports (CSV, XLSX), families without answer, ZIPs of recap PDFs."""

import csv
import io
import zipfile

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

import reinscription.backoffice.admin.reenrolments
from conservatoire.spreadsheets import csv_bytes, escape_cell
from reinscription.models import ExportJob
from tests.factories import StaffFactory
from tests.staff.conftest import student_named
from tests.staff.factories import chosen, submit

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil","clic")', "+33 6 12", "-2+3", "@SUM(A1)"]


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("text", FORMULAS)
def test_csv_cells_that_look_like_formulas_are_escaped(text):
    assert escape_cell(text) == "'" + text
    [header, row] = read_csv(csv_bytes(["Commentaire"], [[text]]))
    assert row == ["'" + text]


def test_ordinary_cells_are_left_alone():
    assert escape_cell("Léa aime le piano") == "Léa aime le piano"
    assert escape_cell("06 12 34 56 78") == "06 12 34 56 78"


@pytest.fixture
def answered(demo):
    lea, nathan = student_named("Léa"), student_named("Nathan")
    submit(
        lea,
        preferences=chosen(lea, day_fm1c2="saturday", ensemble="orchestre"),
        comments='=HYPERLINK("http://evil","clic")',
    )
    submit(nathan, preferences=chosen(nathan, day_fm1c3="wednesday", ensemble="chorale"))
    submit(student_named("Lucas"), decision="decline")
    return demo


def test_the_planning_csv_lists_each_course_with_preferences_and_free_text(
    answered, secretary_client
):
    url = reverse("admin:reinscription_campaign_planning", args=[answered.pk, "csv"])
    response = secretary_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response.content)
    header = rows[0]
    assert header[:5] == ["Cours", "Élève", "Date de naissance", "Famille", "Statut"]
    by_course = {}
    for row in rows[1:]:
        by_course.setdefault(row[0], []).append(dict(zip(header, row, strict=True)))
    assert set(by_course) == {"FM1C2", "FM1C3", "Piano", "Guitare", "Chorale Domin'ut", "Orchestre"}
    lea = by_course["FM1C2"][0]
    assert lea["Élève"] == "Léa Martin"
    assert lea["Jours et horaires souhaités"] == "FM1C2 : Samedi 11h30–12h30"
    assert lea["Pratique collective"] == "Orchestre"
    assert lea["Informations complémentaires"] == '\'=HYPERLINK("http://evil","clic")'
    assert "claire.martin@example.org" in lea["E-mails"]
    assert "Lucas Leroy" not in response.content.decode("utf-8-sig")  # declined


def test_the_planning_of_one_course(answered, secretary_client):
    url = reverse("admin:reinscription_campaign_planning", args=[answered.pk, "csv"])
    rows = read_csv(secretary_client.get(url, {"course": "fm1c3"}).content)
    assert [row[1] for row in rows[1:]] == ["Nathan Petit"]


def test_the_planning_xlsx_has_one_sheet_per_course_and_no_formula(answered, secretary_client):
    url = reverse("admin:reinscription_campaign_planning", args=[answered.pk, "xlsx"])
    response = secretary_client.get(url)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "FM1C2" in workbook.sheetnames and "Chorale Domin'ut" in workbook.sheetnames
    sheet = workbook["FM1C2"]
    header = [cell.value for cell in sheet[1]]
    comments = sheet.cell(row=2, column=header.index("Informations complémentaires") + 1)
    assert comments.value == '=HYPERLINK("http://evil","clic")'
    assert comments.data_type == "s"  # a string, never a formula


def test_families_without_answer_are_listed(answered, secretary_client):
    url = reverse("admin:reinscription_campaign_unanswered", args=[answered.pk, "csv"])
    rows = read_csv(secretary_client.get(url).content)
    families = {row[0]: row for row in rows[1:]}
    assert set(families) == {"Martin", "Bernard", "Durand", "Leroy", "Moreau"}
    assert families["Martin"][2] == "Emma Martin, Hugo Martin"
    assert families["Leroy"][2] == "Inès Leroy"
    assert "martin-claire" in families["Martin"][5]
    xlsx = secretary_client.get(
        reverse("admin:reinscription_campaign_unanswered", args=[answered.pk, "xlsx"])
    )
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert workbook.active.max_row == 6


def test_a_selection_of_recaps_downloads_as_a_zip(answered, secretary_client):
    from reinscription.models import Reenrolment

    selected = list(Reenrolment.objects.all())
    response = secretary_client.post(
        reverse("admin:reinscription_reenrolment_changelist"),
        {"action": "download_recaps", ACTION_CHECKBOX_NAME: [str(r.pk) for r in selected]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert names == [
        "recapitulatif-2025-2026-leroy-lucas.pdf",
        "recapitulatif-2025-2026-martin-lea.pdf",
        "recapitulatif-2025-2026-petit-nathan.pdf",
    ]
    text = PdfReader(io.BytesIO(archive.read(names[1]))).pages[0].extract_text()
    assert "Léa Martin" in text


def test_a_large_selection_is_built_by_a_task_with_progress_and_link(
    answered, secretary, secretary_client, monkeypatch, django_capture_on_commit_callbacks
):
    from reinscription.models import Reenrolment

    monkeypatch.setattr(reinscription.backoffice.admin.reenrolments, "SYNC_ZIP_LIMIT", 2)
    ids = [str(pk) for pk in Reenrolment.objects.values_list("pk", flat=True)]
    with django_capture_on_commit_callbacks(execute=True):
        response = secretary_client.post(
            reverse("admin:reinscription_reenrolment_changelist"),
            {"action": "download_recaps", ACTION_CHECKBOX_NAME: ids},
        )
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:reinscription_exportjob_change", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.created_by) == ("done", 3, 3, secretary)
    page = secretary_client.get(response.url).content.decode()
    download = reverse("admin:reinscription_exportjob_download", args=[job.pk])
    assert download in page and "3 / 3" in page
    zipped = secretary_client.get(download)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content)))
    assert len(archive.namelist()) == 3

    other = StaffFactory(is_superuser=False)
    other.groups.set(secretary.groups.all())
    secretary_client.force_login(other, backend="accounts.backends.IdentifierBackend")
    assert secretary_client.get(download).status_code == 404


def test_a_pending_job_page_refreshes_itself(demo, secretary, secretary_client):
    job = ExportJob.objects.create(reenrolment_ids=[1, 2], total=2, done=1, created_by=secretary)
    page = secretary_client.get(reverse("admin:reinscription_exportjob_change", args=[job.pk]))
    content = page.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in content
    assert '<progress max="2" value="1">' in content


def _rss_mb() -> float:
    from pathlib import Path

    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status")


def test_memory_stays_flat_while_zipping_many_recaps(demo):
    """One PDF at a time into a file on disk, fonts shared: no growth per recap."""
    import tempfile

    from reinscription.recap import write_recaps_zip

    lea = submit(student_named("Léa"))
    marks = {}

    def progress(count):
        if count in (10, 50):
            marks[count] = _rss_mb()

    with tempfile.TemporaryFile() as archive:
        assert write_recaps_zip([lea.pk] * 50, archive, progress) == 50
    # WeasyPrint's default (a font configuration per document) would add ~10 MB here.
    assert marks[50] - marks[10] < 5, marks


def test_an_export_renders_by_chunks_then_zips_the_stored_recaps(
    answered, secretary, monkeypatch, django_capture_on_commit_callbacks
):
    """A group of rendering tasks (eager here: one after the other), the last one
    queues the ZIP; a second export renders nothing and copies the stored files."""
    import reinscription.recap
    from reinscription.backoffice import tasks
    from reinscription.models import Reenrolment

    monkeypatch.setattr(tasks, "RENDER_CHUNK", 2)
    chunks, rendered = [], []
    store_recaps, render_pdf = tasks.store_recaps, reinscription.recap.render_pdf
    monkeypatch.setattr(tasks, "store_recaps", lambda ids: chunks.append(ids) or store_recaps(ids))
    monkeypatch.setattr(
        reinscription.recap,
        "render_pdf",
        lambda *args: rendered.append(args[0]) or render_pdf(*args),
    )
    ids = list(Reenrolment.objects.order_by("pk").values_list("pk", flat=True))
    for expected_renders in (3, 3):
        with django_capture_on_commit_callbacks(execute=True):
            job = tasks.start_recap_export(ids, secretary)
        job.refresh_from_db()
        assert (job.status, job.done, job.total) == ("done", 3, 3)
        assert len(rendered) == expected_renders
        with default_storage.open(job.file_name, "rb") as handle:
            archive = zipfile.ZipFile(handle)
            assert [info.compress_type for info in archive.infolist()] == [zipfile.ZIP_STORED] * 3
            assert all(archive.read(name).startswith(b"%PDF-") for name in archive.namelist())
    assert chunks == [ids[:2], ids[2:]] * 2
