"""The billing rules on their own: plain values in, plain values out (no database)."""

import datetime
from decimal import Decimal

import pytest

from billing.rules.brackets import (
    Bracket,
    BracketKind,
    EstimateInput,
    GridData,
    UnknownPrice,
    bracket_problems,
    compute_estimate,
    finalize,
    highest_bracket,
    rank_by_cost,
    reduction_percent,
    select_bracket,
)
from billing.rules.schedule import (
    MONTHLY,
    ONCE,
    Instalment,
    months_due,
    prorate,
    schedule,
    split_evenly,
)
from billing.rules.sepa import mask_iban, payfip_reference

D = Decimal
YEAR_START = datetime.date(2025, 9, 1)

BRACKETS = (
    Bracket("a", "QF de 0 à 450", 0, 450),
    Bracket("b", "QF de 451 à 750", 451, 750),
    Bracket("c", "QF 751 et plus", 751, None),
)


def grid(**overrides) -> GridData:
    values = {
        "school_year_label": "2025-2026",
        "year_start": YEAR_START,
        "brackets": BRACKETS,
        "prices": {
            ("cursus", "a"): D("300"),
            ("cursus", "b"): D("390"),
            ("cursus", "c"): D("480"),
            ("cursus", None): D("900"),
            ("eveil", "a"): D("120"),
            ("eveil", "b"): D("150"),
            ("eveil", "c"): D("180"),
            ("eveil", None): D("330"),
            ("adulte", "a"): D("330"),
            ("adulte", "b"): D("420"),
            ("adulte", "c"): D("510"),
            ("adulte", None): D("950"),
        },
        "formula_names": {"cursus": "Cursus musique", "eveil": "Éveil", "adulte": "Adulte"},
        "no_sibling_reduction": frozenset({"adulte"}),
        "reductions": {2: D("10"), 3: D("20")},
        "pass_culture_amount": D("30.00"),
    }
    values.update(overrides)
    return GridData(**values)


# --- Bracket ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_resident", "qf", "proven", "expected_key", "kind"),
    [
        (True, 0, True, "a", BracketKind.QF),
        (True, 450, True, "a", BracketKind.QF),  # upper bound inclusive
        (True, 451, True, "b", BracketKind.QF),  # lower bound inclusive
        (True, 750, True, "b", BracketKind.QF),
        (True, 751, True, "c", BracketKind.QF),
        (True, 5000, True, "c", BracketKind.QF),
        (True, 300, False, "c", BracketKind.HIGHEST),  # QF not proven: highest line
        (True, None, True, "c", BracketKind.HIGHEST),  # no QF: highest line
        (True, None, False, "c", BracketKind.HIGHEST),
        (False, 300, True, None, BracketKind.NON_RESIDENT),
        (False, None, False, None, BracketKind.NON_RESIDENT),
    ],
)
def test_select_bracket(is_resident, qf, proven, expected_key, kind):
    choice = select_bracket(BRACKETS, is_resident=is_resident, qf_value=qf, qf_proven=proven)
    assert (choice.bracket.key if choice.bracket else None) == expected_key
    assert choice.kind == kind


def test_brackets_order_in_the_input_does_not_matter():
    shuffled = (BRACKETS[2], BRACKETS[0], BRACKETS[1])
    choice = select_bracket(shuffled, is_resident=True, qf_value=500, qf_proven=True)
    assert choice.bracket.key == "b"
    assert highest_bracket(shuffled).key == "c"


def test_a_qf_in_a_hole_of_the_grid_pays_the_highest_line():
    holey = (Bracket("a", "A", 0, 400), Bracket("c", "C", 600, None))
    choice = select_bracket(holey, is_resident=True, qf_value=500, qf_proven=True)
    assert choice.bracket.key == "c"
    assert choice.kind == BracketKind.HIGHEST


@pytest.mark.parametrize(
    ("brackets", "expected"),
    [
        (BRACKETS, []),
        ((), ["La grille doit comporter au moins une tranche de QF."]),
        ((Bracket("a", "A", 10, None),), ["La première tranche doit commencer à un QF de 0."]),
        (
            (Bracket("a", "A", 0, 500), Bracket("b", "B", 500, None)),
            ["Les tranches « A » et « B » se chevauchent."],
        ),
        (
            (Bracket("a", "A", 0, 400), Bracket("b", "B", 450, None)),
            ["Aucune tranche ne contient les QF de 401 à 449."],
        ),
        (
            (Bracket("a", "A", 0, 400), Bracket("b", "B", 401, 800)),
            ["La dernière tranche doit être sans maximum."],
        ),
        (
            (Bracket("a", "A", 0, None), Bracket("b", "B", 401, None)),
            ["Seule la dernière tranche peut être sans maximum (« A » n'est pas la dernière)."],
        ),
        (
            (Bracket("a", "A", 0, 400), Bracket("b", "A", 401, None)),
            ["Deux tranches ont le même libellé."],
        ),
    ],
)
def test_bracket_problems_in_french(brackets, expected):
    assert bracket_problems(brackets) == expected


def test_bracket_problems_speak_english_to_an_english_admin():
    from django.utils import translation

    with translation.override("en"):
        problems = bracket_problems((Bracket("a", "A", 0, 400), Bracket("b", "B", 450, None)))
    assert problems == ["No bracket contains the QF from 401 to 449."]


# --- Proration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "ninths"),
    [
        (None, 9),
        (datetime.date(2025, 6, 15), 9),  # enrolled before the year starts
        (datetime.date(2025, 9, 1), 9),
        (datetime.date(2025, 10, 20), 9),
        (datetime.date(2025, 11, 30), 9),  # November: the whole year
        (datetime.date(2025, 12, 1), 8),
        (datetime.date(2026, 1, 5), 7),  # the guide's example: January, 7 of 9
        (datetime.date(2026, 2, 28), 6),
        (datetime.date(2026, 3, 1), 5),
        (datetime.date(2026, 4, 1), 4),
        (datetime.date(2026, 5, 1), 3),
        (datetime.date(2026, 6, 1), 2),
        (datetime.date(2026, 7, 31), 1),
    ],
)
def test_months_due(starts_on, ninths):
    assert months_due(starts_on, YEAR_START) == ninths


def test_a_start_after_july_is_refused():
    with pytest.raises(ValueError):
        months_due(datetime.date(2026, 8, 1), YEAR_START)


@pytest.mark.parametrize(
    ("amount", "ninths", "expected"),
    [
        (D("450"), 9, D("450.00")),
        (D("450"), 7, D("350.00")),
        (D("480"), 7, D("373.33")),
        (D("100"), 1, D("11.11")),
        (D("100"), 2, D("22.22")),
        (D("100"), 5, D("55.56")),  # half up
        (D("0"), 3, D("0.00")),
    ],
)
def test_prorate(amount, ninths, expected):
    assert prorate(amount, ninths) == expected


# --- Sibling reductions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "expected"),
    [(1, D("0")), (2, D("10")), (3, D("20")), (4, D("20")), (9, D("20"))],
)
def test_reduction_percent(rank, expected):
    assert reduction_percent(rank, {2: D("10"), 3: D("20")}) == expected


def test_no_reduction_configured_means_none():
    assert reduction_percent(5, {}) == 0


@pytest.mark.parametrize(
    ("costs", "ranks"),
    [
        ([D("100"), D("300"), D("200")], [3, 1, 2]),
        ([D("100"), D("100")], [1, 2]),  # equal costs keep their order
        ([], []),
    ],
)
def test_rank_by_cost(costs, ranks):
    assert rank_by_cost(costs) == ranks


# --- Schedules --------------------------------------------------------------------------


def test_once_is_due_on_25_october():
    assert schedule(D("480"), ONCE, YEAR_START) == [
        Instalment(datetime.date(2025, 10, 25), D("480.00"))
    ]


def test_once_after_a_late_start_is_due_on_the_start_date():
    start = datetime.date(2026, 1, 12)
    assert schedule(D("280"), ONCE, YEAR_START, start) == [Instalment(start, D("280.00"))]


def test_monthly_is_nine_debits_on_the_first_from_november_to_july():
    items = schedule(D("480"), MONTHLY, YEAR_START)
    assert [i.due_on for i in items] == [
        datetime.date(2025, 11, 1),
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
        datetime.date(2026, 3, 1),
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 1),
        datetime.date(2026, 6, 1),
        datetime.date(2026, 7, 1),
    ]
    assert [i.amount for i in items] == [D("53.36")] + [D("53.33")] * 8
    assert sum(i.amount for i in items) == D("480.00")


def test_monthly_after_a_january_start_is_seven_debits():
    items = schedule(D("280"), MONTHLY, YEAR_START, datetime.date(2026, 1, 20))
    assert len(items) == 7
    assert items[0].due_on == datetime.date(2026, 1, 1)
    assert items[-1].due_on == datetime.date(2026, 7, 1)
    assert sum(i.amount for i in items) == D("280.00")


@pytest.mark.parametrize(
    ("total", "count", "amounts"),
    [
        (D("90"), 9, [D("10.00")] * 9),
        (D("100"), 9, [D("11.12")] + [D("11.11")] * 8),
        (D("0.05"), 9, [D("0.05")] + [D("0.00")] * 8),
        (D("10"), 3, [D("3.34"), D("3.33"), D("3.33")]),
    ],
)
def test_split_evenly_puts_the_remainder_on_the_first(total, count, amounts):
    assert split_evenly(total, count) == amounts


def test_nothing_due_gives_no_instalment():
    assert schedule(D("0"), MONTHLY, YEAR_START) == []
    assert schedule(D("0"), ONCE, YEAR_START) == []


def test_unknown_payment_mode_is_refused():
    with pytest.raises(ValueError):
        schedule(D("10"), "cheque", YEAR_START)


# --- The family estimate ----------------------------------------------------------------


def estimate(enrolments, *, resident=True, qf=500, proven=True, mode=ONCE, **kwargs):
    return compute_estimate(
        kwargs.pop("grid", grid()),
        is_resident=resident,
        qf_value=qf,
        qf_proven=proven,
        enrolments=enrolments,
        payment_mode=mode,
        **kwargs,
    )


def test_one_child_pays_the_line_of_the_grid():
    result = estimate([EstimateInput("lea", "Léa", "cursus")])
    assert result.total == D("390.00")
    assert result.bracket_label == "QF de 451 à 750"
    assert result.lines[0].formula_name == "Cursus musique"
    assert result.lines[0].reduction == 0
    assert not result.is_final


def test_siblings_are_reduced_from_the_most_to_the_least_expensive():
    result = estimate(
        [
            EstimateInput("hugo", "Hugo", "eveil"),  # 150: 3rd → −20 %
            EstimateInput("lea", "Léa", "cursus"),  # 390: 1st
            EstimateInput("emma", "Emma", "eveil"),  # 150: 2nd (same cost, listed later)
        ]
    )
    by_key = {line.key: line for line in result.lines}
    assert [by_key[k].rank for k in ("lea", "hugo", "emma")] == [1, 2, 3]
    assert by_key["lea"].reduction == 0
    assert by_key["hugo"].reduction == D("15.00")
    assert by_key["emma"].reduction == D("30.00")
    assert result.total == D("390") + D("135") + D("120")


def test_two_formulas_of_one_student_share_one_rank():
    result = estimate(
        [
            EstimateInput("lea-1", "Léa", "cursus", student_key="lea"),
            EstimateInput("lea-2", "Léa", "eveil", student_key="lea"),
            EstimateInput("hugo", "Hugo", "eveil"),
        ]
    )
    assert [line.rank for line in result.lines] == [1, 1, 2]
    assert result.lines[1].reduction == 0
    assert result.lines[2].reduction == D("15.00")


def test_an_adult_learner_gets_no_sibling_reduction_and_takes_no_rank():
    result = estimate(
        [EstimateInput("mum", "Sophie", "adulte"), EstimateInput("lea", "Léa", "eveil")]
    )
    assert result.lines[0].rank is None and result.lines[0].reduction == 0
    assert result.lines[1].rank == 1 and result.lines[1].reduction == 0


def test_a_late_start_is_prorated_then_ranked():
    result = estimate(
        [
            EstimateInput("lea", "Léa", "cursus", starts_on=datetime.date(2026, 5, 4)),  # 3/9
            EstimateInput("hugo", "Hugo", "eveil"),
        ]
    )
    lea, hugo = result.lines
    assert lea.proration == "3/9" and lea.prorated_price == D("130.00")
    assert hugo.rank == 1 and lea.rank == 2  # 150 > 130
    assert lea.reduction == D("13.00")
    assert result.starts_on is None  # Hugo is there all year


def test_the_family_schedule_starts_with_the_earliest_start():
    start = datetime.date(2026, 1, 10)
    result = estimate([EstimateInput("lea", "Léa", "cursus", starts_on=start)], mode=MONTHLY)
    assert result.total == D("303.33")  # 390 × 7/9
    assert len(result.schedule) == 7
    assert sum(i.amount for i in result.schedule) == result.total


def test_pass_culture_is_deducted_once_and_never_below_zero():
    result = estimate([EstimateInput("lea", "Léa", "eveil")], pass_culture=True)
    assert result.deduction == D("30.00")
    assert result.total == D("120.00")
    cheap = grid(pass_culture_amount=D("500"))
    result = estimate([EstimateInput("lea", "Léa", "eveil")], pass_culture=True, grid=cheap)
    assert result.total == 0 and result.schedule == []


def test_non_resident_pays_the_non_resident_tariff():
    result = estimate([EstimateInput("lea", "Léa", "cursus")], resident=False)
    assert result.total == D("900.00")
    assert result.bracket_kind == BracketKind.NON_RESIDENT


def test_an_unpriced_formula_is_an_error():
    with pytest.raises(UnknownPrice):
        estimate([EstimateInput("lea", "Léa", "danse")])


def test_no_enrolment_costs_nothing():
    result = estimate([])
    assert result.total == 0 and result.lines == [] and result.schedule == []


def test_finalize_replaces_the_total_and_explains_the_difference():
    first = estimate([EstimateInput("lea", "Léa", "cursus")], mode=MONTHLY)
    final = finalize(first, D("350"), "QF 2025 justifié en septembre")
    assert final.is_final and final.total == D("350.00")
    assert final.estimated_total == D("390.00")
    assert final.difference == D("-40.00") and final.absolute_difference == D("40.00")
    assert sum(i.amount for i in final.schedule) == D("350.00")
    again = finalize(final, D("360"), "Correction")
    assert again.estimated_total == D("390.00")  # still compared with the estimate


def test_an_estimate_is_json_ready():
    import json

    result = estimate(
        [EstimateInput("lea", "Léa", "cursus", starts_on=datetime.date(2026, 1, 5))],
        mode=MONTHLY,
    )
    data = json.loads(json.dumps(result.as_dict()))
    assert data["total"] == "303.33" and data["bracket_kind"] == "qf"
    assert data["lines"][0]["ninths"] == 7 and data["lines"][0]["base_price"] == "390.00"
    assert data["schedule"][0] == {"due_on": "2026-01-01", "amount": "43.35"}
    assert data["starts_on"] == "2026-01-05" and data["estimated_total"] is None


def test_finalize_refuses_a_negative_amount():
    first = estimate([EstimateInput("lea", "Léa", "cursus")])
    with pytest.raises(ValueError):
        finalize(first, D("-1"), "Erreur")


# --- References and masking -------------------------------------------------------------


def test_payfip_reference_has_a_check_key():
    reference = payfip_reference(2025, 123)
    assert reference.startswith("R2025000123-")
    body, key = reference[1:].split("-")
    assert (int(body) * 100 + int(key)) % 97 == 0
    assert payfip_reference(2025, 124) != reference


@pytest.mark.parametrize(
    ("iban", "masked"),
    [
        ("FR7630006000011234567890189", "FR76 **** **** **** **** ***0 189"),
        ("FR76 3000 6000 0112 3456 7890 189", "FR76 **** **** **** **** ***0 189"),
        ("DE89370400440532013000", "DE89 **** **** **** **30 00"),
        ("FR76", "****"),
    ],
)
def test_mask_iban(iban, masked):
    assert mask_iban(iban) == masked
