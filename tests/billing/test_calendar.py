"""The schedule follows the school year's calendar (first debit, count, invoice date), given
to the pure rules as plain values; a bare date is the family guide's calendar."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import services
from billing.rules.brackets import EstimateInput
from billing.rules.schedule import (
    MONTHLY,
    ONCE,
    Instalment,
    PaymentCalendar,
    debit_dates,
    invoice_date,
    last_start_date,
    months_due,
    prorate,
    schedule,
)
from conservatoire.models import SchoolYear

D = Decimal
START = datetime.date(2026, 9, 1)
SHIFTED = PaymentCalendar(
    year_start=START,
    single_payment_on=datetime.date(2026, 11, 5),
    first_debit_on=datetime.date(2026, 10, 1),
    instalments=10,
)


def test_a_date_is_the_guides_calendar():
    assert PaymentCalendar.default(START) == PaymentCalendar(
        START, datetime.date(2026, 10, 25), datetime.date(2026, 11, 1), 9
    )
    assert debit_dates(START) == debit_dates(PaymentCalendar.default(START))
    assert debit_dates(START)[0] == datetime.date(2026, 11, 1)
    assert debit_dates(START)[-1] == datetime.date(2027, 7, 1)
    assert last_start_date(START) == datetime.date(2027, 7, 31)


def test_the_debits_follow_the_first_month_and_the_count():
    dates = debit_dates(SHIFTED)
    assert len(dates) == 10
    assert dates[0] == datetime.date(2026, 10, 1) and dates[-1] == datetime.date(2027, 7, 1)
    assert debit_dates(SHIFTED, datetime.date(2027, 1, 15))[0] == datetime.date(2027, 1, 1)
    assert months_due(datetime.date(2027, 1, 15), SHIFTED) == 7
    assert months_due(datetime.date(2026, 9, 20), SHIFTED) == 10
    assert last_start_date(SHIFTED) == datetime.date(2027, 7, 31)
    with pytest.raises(ValueError):
        months_due(datetime.date(2027, 8, 2), SHIFTED)


def test_the_single_payment_is_invoiced_on_the_years_date():
    assert invoice_date(SHIFTED) == datetime.date(2026, 11, 5)
    assert invoice_date(SHIFTED, datetime.date(2027, 2, 3)) == datetime.date(2027, 2, 3)
    assert schedule(D("100"), ONCE, SHIFTED) == [Instalment(datetime.date(2026, 11, 5), D("100"))]


def test_the_instalments_sum_to_the_total_over_the_years_count():
    items = schedule(D("100.01"), MONTHLY, SHIFTED)
    assert len(items) == 10
    assert sum(item.amount for item in items) == D("100.01")
    assert prorate(D("100"), 7, 10) == D("70.00")


def test_a_calendar_refuses_a_debit_not_on_the_first():
    with pytest.raises(ValueError):
        PaymentCalendar(START, START, datetime.date(2026, 11, 2), 9)


@pytest.mark.django_db
def test_the_school_years_values_reach_the_estimate(demo_grid, school_year):
    year = SchoolYear.objects.get(pk=school_year.pk)
    year.first_debit_on = datetime.date(2025, 10, 1)
    year.instalments = 10
    year.single_payment_on = datetime.date(2025, 11, 10)
    year.save()
    calendar = PaymentCalendar.of(year)
    assert calendar.first_debit_on == datetime.date(2025, 10, 1) and calendar.instalments == 10
    estimate = services.estimate_family(
        year,
        is_resident=False,
        qf_value=None,
        qf_proven=False,
        enrolments=[EstimateInput("x", "Inès", "danse", starts_on=datetime.date(2026, 1, 5))],
        payment_mode=MONTHLY,
    )
    assert [item.due_on.month for item in estimate.schedule] == [1, 2, 3, 4, 5, 6, 7]
    assert estimate.lines[0].proration == "7/10"
    assert estimate.instalments == 10
    once = services.estimate_family(
        year,
        is_resident=False,
        qf_value=None,
        qf_proven=False,
        enrolments=[EstimateInput("x", "Inès", "danse")],
        payment_mode=ONCE,
    )
    assert once.schedule[0].due_on == datetime.date(2025, 11, 10)


@pytest.mark.django_db
def test_the_bank_change_filter_is_titled_with_the_years_month(admin_client, school_year):
    url = reverse("admin:billing_familybilling_changelist")
    assert "changement de banque depuis septembre 2024" in admin_client.get(url).content.decode()
    later = SchoolYear.for_start_year(2026)
    response = admin_client.get(url, {"school_year__id__exact": later.pk})
    content = response.content.decode()
    assert "changement de banque depuis septembre 2025" in content
    assert "septembre 2024" not in content
