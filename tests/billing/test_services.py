"""Billing services: grid loading, family estimates, preferences, final amounts, mandates."""

import datetime
import re
from decimal import Decimal

import pytest

from billing import services
from billing.demo import ensure_demo_grid
from billing.models import FamilyBilling, Formula, Mandate, PaymentMode, Price
from billing.rules.brackets import BracketKind, EstimateInput
from conservatoire.models import OutboxEmail
from tests.factories import FamilyFactory, ResponsibleFactory, SchoolYearFactory, StaffFactory

from .conftest import committed
from .factories import VALID_BIC, VALID_IBAN, FamilyBillingFactory

pytestmark = pytest.mark.django_db
D = Decimal
RUM = re.compile(r"^LIM-\d{4}-\d{6}-[A-HJ-NP-Z2-9]{4}$")


def martin_children():
    return [
        EstimateInput("lea", "Léa Martin", "cursus-musique"),
        EstimateInput("hugo", "Hugo Martin", "eveil"),
        EstimateInput("emma", "Emma Martin", "decouverte"),
    ]


def test_estimate_family_on_the_demo_grid(demo_grid, school_year):
    estimate = services.estimate_family(
        school_year,
        is_resident=True,
        qf_value=850,
        qf_proven=True,
        enrolments=martin_children(),
        payment_mode=PaymentMode.MONTHLY,
    )
    assert estimate.bracket_label == "QF de 751 à 1100"
    # 480 + 230 × 0.9 (2nd) + 180 × 0.8 (3rd)
    assert [line.amount for line in estimate.lines] == [D("480.00"), D("144.00"), D("207.00")]
    assert estimate.total == D("831.00")
    assert len(estimate.schedule) == 9
    assert sum(i.amount for i in estimate.schedule) == estimate.total
    assert estimate.school_year_label == "2025-2026"


def test_a_resident_without_proven_qf_pays_the_highest_line(demo_grid, school_year):
    estimate = services.estimate_family(
        school_year,
        is_resident=True,
        qf_value=300,
        qf_proven=False,
        enrolments=[EstimateInput("chloe", "Chloé", "cursus-musique")],
        payment_mode=PaymentMode.ONCE,
    )
    assert estimate.bracket_kind == BracketKind.HIGHEST
    assert estimate.total == D("660.00")
    assert estimate.schedule[0].due_on == datetime.date(2025, 10, 25)


def test_load_grid_takes_a_constant_number_of_queries(
    demo_grid, school_year, django_assert_num_queries
):
    with django_assert_num_queries(4):
        small = services.load_grid(school_year)
    for index in range(20):
        formula = Formula.objects.create(code=f"extra-{index}", name=f"Extra {index}")
        Price.objects.create(grid=demo_grid, formula=formula, bracket=None, amount=D("10"))
    with django_assert_num_queries(4):
        large = services.load_grid(school_year)
    assert len(large.prices) == len(small.prices) + 20


def test_estimating_with_a_loaded_grid_makes_no_query(
    grid_data, school_year, django_assert_num_queries
):
    with django_assert_num_queries(0):
        for qf in range(0, 2000, 100):
            services.estimate_family(
                school_year,
                is_resident=True,
                qf_value=qf,
                qf_proven=True,
                enrolments=martin_children(),
                payment_mode=PaymentMode.MONTHLY,
                grid=grid_data,
            )


def test_a_year_without_grid_is_an_error(school_year):
    with pytest.raises(services.NoTariffGrid):
        services.load_grid(school_year)


def test_the_loaded_grid_can_be_cached(grid_data):
    import pickle

    assert pickle.loads(pickle.dumps(grid_data)) == grid_data  # noqa: S301 (our own data)


def test_set_payment_preference_creates_then_updates(school_year, family):
    first = services.set_payment_preference(
        family, school_year, payment_mode=PaymentMode.MONTHLY, bank_changed=True
    )
    second = services.set_payment_preference(
        family,
        school_year,
        payment_mode=PaymentMode.ONCE,
        bank_changed=False,
        pass_culture_number=" PC-42 ",
    )
    assert first.pk == second.pk
    second.refresh_from_db()
    assert (second.payment_mode, second.bank_changed, second.pass_culture_number) == (
        "once",
        False,
        "PC-42",
    )
    with pytest.raises(ValueError):
        services.set_payment_preference(
            family, school_year, payment_mode="cheque", bank_changed=False
        )


def test_record_estimate_keeps_total_mode_and_start(demo_grid, school_year, family):
    estimate = services.estimate_family(
        school_year,
        is_resident=True,
        qf_value=800,
        qf_proven=True,
        enrolments=[
            EstimateInput("lea", "Léa", "danse", starts_on=datetime.date(2026, 1, 5)),
        ],
        payment_mode=PaymentMode.MONTHLY,
    )
    billing = services.record_estimate(family, school_year, estimate)
    assert billing.estimated_total == estimate.total == D("178.89")
    assert billing.starts_on == datetime.date(2026, 1, 5)
    assert billing.schedule() == estimate.schedule


# --- Final amount -----------------------------------------------------------------------


def test_final_bill_is_none_until_staff_set_the_amount(school_year, family):
    billing = FamilyBillingFactory(family=family, school_year=school_year)
    assert services.final_bill(family, school_year) is None
    services.set_final_amount(billing, amount=D("450"), reason="QF justifié", by=StaffFactory())
    assert services.final_bill(family, school_year) == billing


def test_set_final_amount_needs_a_reason(school_year, family):
    billing = FamilyBillingFactory(family=family, school_year=school_year)
    with pytest.raises(ValueError):
        services.set_final_amount(billing, amount=D("450"), reason="  ", by=None)


def test_final_estimate_explains_the_difference_with_the_estimate(demo_grid, school_year, family):
    estimate = services.estimate_family(
        school_year,
        is_resident=True,
        qf_value=850,
        qf_proven=True,
        enrolments=martin_children(),
        payment_mode=PaymentMode.MONTHLY,
    )
    assert services.final_estimate(family, school_year, estimate) is estimate
    billing = services.record_estimate(family, school_year, estimate)
    staff = StaffFactory()
    services.set_final_amount(billing, amount=D("800"), reason="Geste commercial", by=staff)

    final = services.final_estimate(family, school_year, estimate)
    assert final.is_final and final.total == D("800.00")
    assert final.estimated_total == D("831.00") and final.difference == D("-31.00")
    assert final.final_reason == "Geste commercial"
    assert final.lines == estimate.lines
    assert sum(i.amount for i in final.schedule) == D("800.00")

    stored = services.final_estimate(family, school_year)  # without the estimate at hand
    assert stored.total == D("800.00") and stored.estimated_total == D("831.00")
    assert len(stored.schedule) == 9


def test_a_final_amount_without_estimate_is_shown_without_difference(school_year, family):
    billing = FamilyBillingFactory(family=family, school_year=school_year, estimated_total=None)
    services.set_final_amount(
        billing, amount=D("120"), reason="Inscription au secrétariat", by=None
    )
    final = services.final_estimate(family, school_year)
    assert final.total == D("120.00") and final.estimated_total is None
    assert final.difference is None and len(final.schedule) == 9


def test_setting_a_final_amount_pre_notifies_a_direct_debit_family(future_year):
    responsible = ResponsibleFactory(email="claire@example.org")
    billing = FamilyBillingFactory(family=responsible.family, school_year=future_year)
    with committed():
        services.set_final_amount(billing, amount=D("450"), reason="Tarif QF", by=None)
    email = OutboxEmail.objects.get(kind="billing_prenotification")
    assert email.to == ["claire@example.org"]
    billing.refresh_from_db()
    assert billing.prenotified_total == D("450.00")


# --- Mandates ---------------------------------------------------------------------------


def test_record_mandate_generates_a_unique_rum(family):
    mandate = services.record_mandate(
        family, iban="fr76 3000 6000 0112 3456 7890 189", bic="agri frpp xxx", holder="C. Martin"
    )
    assert RUM.match(mandate.rum), mandate.rum
    assert f"-{family.pk:06d}-" in mandate.rum
    assert mandate.iban == VALID_IBAN and mandate.bic == VALID_BIC
    other = services.record_mandate(FamilyFactory(), iban=VALID_IBAN, holder="X")
    assert other.rum != mandate.rum


def test_the_same_account_keeps_its_mandate_a_new_one_gets_a_new_rum(family):
    first = services.record_mandate(family, iban=VALID_IBAN, holder="Claire Martin")
    same = services.record_mandate(family, iban=VALID_IBAN, bic=VALID_BIC, holder="Claire Martin")
    assert same.pk == first.pk and same.bic == VALID_BIC
    new = services.record_mandate(family, iban="DE89370400440532013000", holder="Claire Martin")
    assert new.pk != first.pk and new.rum != first.rum
    assert Mandate.objects.current_for(family) == new


def test_a_reserved_mandate_is_completed_not_duplicated(family):
    reserved = services.reserve_mandate(family)
    assert reserved.iban == "" and RUM.match(reserved.rum)
    assert services.reserve_mandate(family) == reserved
    completed = services.record_mandate(family, iban=VALID_IBAN, holder="Claire Martin")
    assert completed.pk == reserved.pk and completed.rum == reserved.rum
    assert Mandate.objects.filter(family=family).count() == 1


def test_masked_iban_hides_the_middle(family):
    mandate = services.record_mandate(family, iban=VALID_IBAN, holder="Claire Martin")
    assert mandate.masked_iban == "FR76 **** **** **** **** ***0 189"
    assert "3000" not in mandate.masked_iban


def test_demo_grid_is_idempotent():
    year = SchoolYearFactory()
    grid = ensure_demo_grid(year)
    counts = (grid.brackets.count(), grid.prices.count(), grid.reductions.count())
    assert counts == (5, 54, 2)
    ensure_demo_grid(year)
    assert (grid.brackets.count(), grid.prices.count(), grid.reductions.count()) == counts
    assert not Formula.objects.get(code="adulte").sibling_reduction
    assert FamilyBilling.objects.count() == 0
