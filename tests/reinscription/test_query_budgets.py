"""Pages cost the same number of queries for a family of one child and of five."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reinscription.demo import DATA as DEMO
from reinscription.models import Course
from reinscription.wizard import STEP_NAMES as STEPS
from tests.factories import EnrolmentFactory, ResponsibleFactory, StudentFactory
from tests.reinscription.conftest import WizardDriver, step_url

pytestmark = pytest.mark.django_db


def family_with(children: int, demo):
    responsible = ResponsibleFactory()
    students = []
    for index in range(children):
        student = StudentFactory(family=responsible.family, first_name=f"Enfant{index}")
        EnrolmentFactory(
            student=student,
            school_year=demo.previous_year,
            courses=["fm1c2", "piano", "chorale"],
            instrument_year=2,
        )
        students.append(student)
    return responsible, students


def count_queries(client, url, method="get", data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302), response.status_code
    return len(ctx.captured_queries)


def walk(client, student):
    """Counts per step, for a GET of each step once the previous ones are done."""
    driver = WizardDriver(client, student)
    counts = {}
    answers = {
        "choix": {"decision": "reenrol"},
        "coordonnees": driver.details(),
        "reglement": {"payment_mode": "monthly", "bank_changed": "no"},
        "autorisations": {"image_rights": "yes", "outing_authorisation": "yes"},
        "documents": {},
        "cours": {"day_fm1c2": "saturday", "ensemble": "chorale"},
    }
    for step in STEPS:
        counts[step] = count_queries(client, step_url(student, step))
        if step in answers:
            driver.post(step, answers[step])
    return counts


def test_family_space_and_steps_do_not_grow_with_children(demo, client, still_clock):
    # Make the catalogue bigger too: more courses must not cost more queries.
    for index in range(20):
        Course.objects.create(
            code=f"extra{index}",
            name=f"Extra {index}",
            discipline="music",
            kind=Course.Kind.INSTRUMENT,
        )
    small, (small_child,) = family_with(1, demo)
    large, large_children = family_with(5, demo)

    client.force_login(small, backend="accounts.backends.IdentifierBackend")
    client.get(reverse("reinscription:family_space"))  # writes the session's activity
    space_small = count_queries(client, reverse("reinscription:family_space"))
    steps_small = walk(client, small_child)

    client.force_login(large, backend="accounts.backends.IdentifierBackend")
    for child in large_children[1:]:
        WizardDriver(client, child).complete(
            courses={"day_fm1c2": "saturday", "ensemble": "chorale"}
        )
    client.get(reverse("reinscription:family_space"))
    space_large = count_queries(client, reverse("reinscription:family_space"))
    steps_large = walk(client, large_children[0])

    assert space_large == space_small
    assert steps_large == steps_small
    assert max(steps_small.values()) <= 30, steps_small
    assert len(DEMO.catalogue) < Course.objects.count()
