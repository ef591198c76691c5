import pytest
from django.urls import reverse

from tests.factories import ResponsibleFactory, SchoolYearFactory, StudentFactory

from .factories import DocumentTypeFactory


@pytest.fixture(autouse=True)
def _default_facts_provider(settings):
    """These tests exercise the documents app's own provider, whatever the project plugs in."""
    from documents.services import FACTS_PROVIDER

    settings.DOCUMENTS_FACTS_PROVIDER = FACTS_PROVIDER


@pytest.fixture
def school_year(db):
    return SchoolYearFactory()


@pytest.fixture
def family_type(school_year):
    return DocumentTypeFactory(
        school_year=school_year, code="attestation-qf", name="Attestation QF 2025", rule="always"
    )


@pytest.fixture
def student_type(school_year):
    return DocumentTypeFactory(
        school_year=school_year,
        code="certificat-medical-danse",
        name="Certificat médical danse",
        scope="student",
        rule="always",
    )


@pytest.fixture
def student(family):
    return StudentFactory(family=family, first_name="Léa")


@pytest.fixture
def other_responsible(db):
    return ResponsibleFactory()


@pytest.fixture
def family_client(client, responsible):
    client.force_login(responsible, backend="accounts.backends.IdentifierBackend")
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user, backend="accounts.backends.IdentifierBackend")
    return client


@pytest.fixture
def upload_url():
    return reverse("documents:upload")
