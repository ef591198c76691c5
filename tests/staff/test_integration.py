"""With PostgreSQL, Redis and a real Celery worker: the ZIP task and the periodic reminders."""

import pytest
from django.db import transaction

from reinscription.backoffice.tasks import send_due_reminders, start_recap_export
from reinscription.models import ExportJob, Reenrolment, ReminderSent
from tests.polling import wait_until
from tests.staff.conftest import student_named
from tests.staff.factories import submit

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_worker_builds_the_zip_and_staff_see_it_progress(celery_worker, demo, secretary):
    for name in ("Léa", "Nathan", "Manon"):
        submit(student_named(name))
    ids = list(Reenrolment.objects.values_list("pk", flat=True))
    with transaction.atomic():
        job = start_recap_export(ids, secretary)
    assert wait_until(lambda: ExportJob.objects.get(pk=job.pk).is_finished, 90)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (ExportJob.Status.DONE, 3, 3)
    assert job.file_name.startswith("exports/")


def test_beat_reminders_run_on_the_worker(celery_worker, demo):
    submit(student_named("Léa"))
    send_due_reminders.delay()
    assert wait_until(lambda: ReminderSent.objects.count() == 6, 90)
    martin = ReminderSent.objects.get(family__name="Martin")
    assert martin.students == ["Emma Martin", "Hugo Martin"]
