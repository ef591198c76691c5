"""Back-office fixtures: the demo conservatoire, a secretariat member, re-enrolments."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import Student, User
from reinscription.demo import seed_demo
from reinscription.management.commands.setup_groups import SECRETARIAT, setup_secretariat_group
from reinscription.models import Campaign
from tests import factories


@pytest.fixture
def demo(db):
    seed_demo()
    return Campaign.objects.select_related("school_year", "previous_year").get()


def student_named(first_name: str) -> Student:
    return Student.objects.select_related("family").get(first_name=first_name)


@pytest.fixture
def secretary(db):
    """A staff member of the "Secrétariat" group (not a superuser)."""
    group, _missing = setup_secretariat_group()
    user = factories.StaffFactory(is_superuser=False, first_name="Sandrine", last_name="Secrétaire")
    user.groups.add(group)
    return user


@pytest.fixture
def staff_without_group(db):
    return factories.StaffFactory(is_superuser=False, first_name="Stagiaire")


@pytest.fixture
def secretary_client(client, secretary):
    client.force_login(secretary, backend="accounts.backends.IdentifierBackend")
    return client


def login(client, identifier: str) -> User:
    user = User.objects.get(username=identifier)
    client.force_login(user, backend="accounts.backends.IdentifierBackend")
    return user


__all__ = ["SECRETARIAT", "Group", "login", "student_named"]


def change_form_data(client, url: str, **changes) -> dict:
    """The POST data of an admin change form as displayed (inlines included), plus ``changes``."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code

    def value_of(form, name, field):
        value = form.initial.get(name, field.initial)
        if callable(value):
            value = value()
        if hasattr(value, "pk"):
            value = value.pk
        return value

    data = {}
    forms = [("", page.context["adminform"].form)]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
        forms += [(f"{formset.prefix}-{i}-", form) for i, form in enumerate(formset.forms)]
    for prefix, form in forms:
        for name, field in form.fields.items():
            value = value_of(form, name, field)
            if value is True:
                value = "on"
            if value in (None, False):
                continue
            data[prefix + name] = value
    data.update(changes)
    return data
