"""The campaign dashboard: counts by status, documents to review, preferences per course."""

import re

import pytest
from django.urls import reverse

from documents.models import Document, DocumentType
from reinscription.backoffice import dashboard
from reinscription.backoffice.admin.reenrolments import validate_reenrolments
from reinscription.models import CourseSlot, Reenrolment, WizardDraft
from reinscription.rules import DisplayStatus
from tests.staff.conftest import student_named
from tests.staff.factories import chosen, submit

pytestmark = pytest.mark.django_db


def nine_thirty(campaign) -> CourseSlot:
    """FM1C4's 9h30 slot of the campaign's year."""
    return CourseSlot.objects.get(
        course__code="fm1c4", school_year=campaign.school_year, starts_at="09:30"
    )


@pytest.fixture
def answered(demo, secretary):
    """Léa and Nathan re-enrolled (Nathan validated), Lucas declined, Hugo's draft started."""
    lea, nathan, manon = (student_named(name) for name in ("Léa", "Nathan", "Manon"))
    submit(lea, preferences=chosen(lea, day_fm1c2="saturday", ensemble="orchestre"))
    nathan = submit(nathan, preferences=chosen(nathan, day_fm1c3="wednesday", ensemble="chorale"))
    submit(
        manon, preferences=chosen(manon, time_fm1c4=str(nine_thirty(demo).pk), ensemble="orchestre")
    )
    submit(student_named("Lucas"), decision="decline")
    validate_reenrolments(Reenrolment.objects.filter(pk=nathan.pk), secretary)
    WizardDraft.objects.create(
        student=student_named("Hugo"), campaign=demo, data={"choix": {"decision": "reenrol"}}
    )
    return demo


def test_counts_follow_each_students_answer(answered):
    counts = dashboard.status_counts(answered)
    assert counts == {
        DisplayStatus.TODO: 4,  # Emma, Chloé, Inès, Sophie
        DisplayStatus.IN_PROGRESS: 1,  # Hugo
        DisplayStatus.REENROLLED: 2,  # Léa, Manon
        DisplayStatus.DECLINED: 1,  # Lucas
        DisplayStatus.VALIDATED: 1,  # Nathan
    }


def test_dashboard_shows_the_counts_in_french_with_links(answered, secretary_client):
    response = secretary_client.get(
        reverse("admin:reinscription_campaign_dashboard", args=[answered.pk])
    )
    assert response.status_code == 200
    content = response.content.decode()
    for label in (
        "à faire",
        "en cours",
        "réinscrit",
        "non réinscrit",
        "validé par le conservatoire",
    ):
        assert label in content
    cards = {card["status"]: card for card in response.context["cards"]}
    assert cards["todo"]["count"] == 4
    assert cards["validated"]["count"] == 1


def _result_names(response) -> set[str]:
    return {str(obj) for obj in response.context["cl"].result_list}


def test_each_count_links_to_the_matching_list(answered, secretary_client):
    response = secretary_client.get(
        reverse("admin:reinscription_campaign_dashboard", args=[answered.pk])
    )
    cards = {card["status"]: card for card in response.context["cards"]}
    expected = {
        "todo": {"Emma Martin", "Chloé Bernard", "Inès Leroy", "Sophie Moreau"},
        "in_progress": {"Hugo Martin"},
        "reenrolled": {f"Léa Martin — {answered}", f"Manon Durand — {answered}"},
        "declined": {f"Lucas Leroy — {answered}"},
        "validated": {f"Nathan Petit — {answered}"},
    }
    for status, names in expected.items():
        listing = secretary_client.get(cards[status]["url"])
        assert listing.status_code == 200, status
        assert _result_names(listing) == names, status


def test_the_follow_up_list_shows_the_status_of_every_student(answered, secretary_client):
    response = secretary_client.get(reverse("admin:reinscription_campaignstudent_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert response.context["cl"].result_count == 9
    assert "Sophie" in content and "en cours" in content and "à faire" in content


def test_documents_waiting_for_review_are_counted_and_linked(answered, secretary_client):
    family = student_named("Léa").family
    document_type = DocumentType.objects.filter(school_year=answered.school_year).first()
    Document.objects.create(type=document_type, family=family, status=Document.Status.RECEIVED)
    assert dashboard.documents_waiting(answered) == 1
    response = secretary_client.get(
        reverse("admin:reinscription_campaign_dashboard", args=[answered.pk])
    )
    assert response.context["documents_waiting"] == 1
    listing = secretary_client.get(response.context["documents_url"])
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1


def test_preferences_are_counted_per_course_and_link_to_the_students(answered, secretary_client):
    rows = {row.key: row for row in dashboard.preference_table(answered)}
    fm1c2 = {cell.value: cell.count for cell in rows["day.fm1c2"].cells}
    fm1c3 = {cell.value: cell.count for cell in rows["day.fm1c3"].cells}
    assert fm1c2 == {"saturday": 1}  # Léa, in FM1C2 this year
    assert fm1c3 == {"wednesday": 1}  # Nathan (validated still counts)
    assert (rows["day.fm1c2"].label, rows["day.fm1c2"].course_name) == (
        "Jour de cours souhaité",
        "FM1C2",
    )
    ensemble = {cell.value: cell.count for cell in rows["ensemble"].cells}
    assert ensemble == {"orchestre": 2, "chorale": 1}
    slot = nine_thirty(answered)
    ((cell),) = rows["time.fm1c4"].cells
    assert (cell.value, cell.count) == (str(slot.pk), 1)
    assert cell.label.startswith("Samedi 9h30–10h30")

    response = secretary_client.get(
        reverse("admin:reinscription_campaign_dashboard", args=[answered.pk])
    )
    content = response.content.decode()
    assert "Samedi" in content and "Orchestre" in content
    links = {
        (item["row"].key, item["row"].course_code, cell["label"]): cell["url"]
        for item in response.context["preference_rows"]
        for cell in item["cells"]
    }
    listing = secretary_client.get(links[("day.fm1c2", "", "Samedi")])
    assert _result_names(listing) == {f"Léa Martin — {answered}"}
    listing = secretary_client.get(links[("time.fm1c4", "", cell.label)])
    assert _result_names(listing) == {f"Manon Durand — {answered}"}
    listing = secretary_client.get(links[("ensemble", "", "Orchestre")])
    assert _result_names(listing) == {f"Léa Martin — {answered}", f"Manon Durand — {answered}"}


def test_the_open_campaign_dashboard_url_redirects_to_it(answered, secretary_client):
    response = secretary_client.get(reverse("admin:reinscription_dashboard"))
    assert response.status_code == 302
    assert re.search(rf"/{answered.pk}/dashboard/$", response.url)
