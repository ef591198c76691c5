"""Who must provide which document: pure functions on plain values.

The wizard (and the family's documents page) describe a family and each of its
students with :class:`FamilyFacts` and :class:`StudentFacts`; a document type
names one rule of :data:`RULES` by its code. No ORM here: the rules are tested
on their own, table-driven.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Discipline codes, as in reinscription.models.Discipline (not imported: the
# documents app never imports reinscription).
MUSIC = "music"
DANCE = "dance"
THEATRE = "theatre"
AWAKENING = "eveil"
DISCIPLINES = frozenset({MUSIC, DANCE, THEATRE, AWAKENING})


@dataclass(frozen=True)
class FamilyFacts:
    """What the rules need to know about a family, for one school year."""

    is_resident: bool
    wants_qf_tariff: bool
    pays_by_direct_debit: bool
    bank_changed: bool


@dataclass(frozen=True)
class StudentFacts:
    """What the rules need to know about one student, for one school year."""

    disciplines: frozenset[str]
    is_adult: bool

    def __post_init__(self):
        unknown = set(self.disciplines) - DISCIPLINES
        if unknown:
            raise ValueError(f"Unknown discipline codes: {sorted(unknown)}")


Predicate = Callable[[FamilyFacts, StudentFacts | None], bool]


@dataclass(frozen=True)
class Rule:
    """A named predicate. ``needs_student`` rules only apply to per-student types."""

    code: str
    label: str
    predicate: Predicate
    needs_student: bool = False


def _always(family: FamilyFacts, student: StudentFacts | None) -> bool:
    return True


def _resident(family: FamilyFacts, student: StudentFacts | None) -> bool:
    return family.is_resident


def _resident_qf(family: FamilyFacts, student: StudentFacts | None) -> bool:
    # The QF grid only applies to residents ("Pour les limonois, votre QF 2025…").
    return family.is_resident and family.wants_qf_tariff


def _direct_debit(family: FamilyFacts, student: StudentFacts | None) -> bool:
    return family.pays_by_direct_debit


def _direct_debit_bank_changed(family: FamilyFacts, student: StudentFacts | None) -> bool:
    # "Le Mandat SEPA … à nous renvoyer avec votre RIB (uniquement si
    # changement de banque depuis septembre 2024)".
    return family.pays_by_direct_debit and family.bank_changed


def _dance_pupil(family: FamilyFacts, student: StudentFacts | None) -> bool:
    return student is not None and DANCE in student.disciplines


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in [
        Rule("always", _("Always"), _always),
        Rule("resident", _("Families living in the commune"), _resident),
        Rule(
            "resident_qf",
            _("Resident families who want the quotient familial tariff"),
            _resident_qf,
        ),
        Rule("direct_debit", _("Families paying by direct debit"), _direct_debit),
        Rule(
            "direct_debit_bank_changed",
            _("Families paying by direct debit whose bank changed"),
            _direct_debit_bank_changed,
        ),
        Rule("dance_pupil", _("Dance pupils"), _dance_pupil, needs_student=True),
    ]
}


def rule_choices() -> list[tuple[str, str]]:
    """Choices for ``DocumentType.rule`` (a callable, so migrations stay stable)."""
    return [(rule.code, rule.label) for rule in RULES.values()]


def is_requested(rule_code: str, family: FamilyFacts, student: StudentFacts | None) -> bool:
    """Whether the rule ``rule_code`` requests the document from this family/student.

    A rule that needs a student is never met without one. An unknown code raises
    ``KeyError`` (the model's choices keep unknown codes out of the database).
    """
    rule = RULES[rule_code]
    if rule.needs_student and student is None:
        return False
    return bool(rule.predicate(family, student))
