"""Who must provide what: each rule on plain facts, table-driven."""

import pytest

from documents.rules import RULES, FamilyFacts, StudentFacts, is_requested, rule_choices


def family(resident=False, qf=False, debit=False, bank_changed=False):
    return FamilyFacts(
        is_resident=resident,
        wants_qf_tariff=qf,
        pays_by_direct_debit=debit,
        bank_changed=bank_changed,
    )


DANCER = StudentFacts(disciplines=frozenset({"dance"}), is_adult=False)
MUSICIAN = StudentFacts(disciplines=frozenset({"music"}), is_adult=False)
DANCING_MUSICIAN = StudentFacts(disciplines=frozenset({"music", "dance"}), is_adult=False)
ADULT_DANCER = StudentFacts(disciplines=frozenset({"dance"}), is_adult=True)
ACTOR = StudentFacts(disciplines=frozenset({"theatre"}), is_adult=True)
EVEIL = StudentFacts(disciplines=frozenset({"eveil"}), is_adult=False)


@pytest.mark.parametrize(
    ("rule", "family_facts", "student", "expected"),
    [
        # always
        ("always", family(), None, True),
        ("always", family(), MUSICIAN, True),
        # proof of address: residents only
        ("resident", family(resident=True), None, True),
        ("resident", family(resident=False), None, False),
        # 2025 QF attestation: residents who want the QF tariff
        ("resident_qf", family(resident=True, qf=True), None, True),
        ("resident_qf", family(resident=True, qf=False), None, False),
        ("resident_qf", family(resident=False, qf=True), None, False),
        ("resident_qf", family(resident=False, qf=False), None, False),
        # any direct debit
        ("direct_debit", family(debit=True), None, True),
        ("direct_debit", family(debit=False, bank_changed=True), None, False),
        # signed SEPA mandate and RIB: direct debit AND bank changed since September 2024
        ("direct_debit_bank_changed", family(debit=True, bank_changed=True), None, True),
        ("direct_debit_bank_changed", family(debit=True, bank_changed=False), None, False),
        ("direct_debit_bank_changed", family(debit=False, bank_changed=True), None, False),
        ("direct_debit_bank_changed", family(), None, False),
        # medical certificate: each dance pupil, child or adult
        ("dance_pupil", family(), DANCER, True),
        ("dance_pupil", family(), DANCING_MUSICIAN, True),
        ("dance_pupil", family(), ADULT_DANCER, True),
        ("dance_pupil", family(), MUSICIAN, False),
        ("dance_pupil", family(), ACTOR, False),
        ("dance_pupil", family(), EVEIL, False),
        ("dance_pupil", family(resident=True, qf=True), None, False),
    ],
)
def test_rule(rule, family_facts, student, expected):
    assert is_requested(rule, family_facts, student) is expected


def test_every_rule_is_covered_by_the_table():
    covered = {"always", "resident", "resident_qf", "direct_debit", "direct_debit_bank_changed"}
    covered.add("dance_pupil")
    assert set(RULES) == covered


def test_unknown_rule_raises():
    with pytest.raises(KeyError):
        is_requested("nope", family(), None)


def test_unknown_discipline_is_refused():
    with pytest.raises(ValueError):
        StudentFacts(disciplines=frozenset({"piano"}), is_adult=False)


def test_choices_list_every_rule_with_a_label():
    assert [code for code, _label in rule_choices()] == list(RULES)
