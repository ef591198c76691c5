"""Last year's data (families, responsibles, students, their courses): each line, checked.

One line per student, as the previous tool exports them (a family's details are
repeated on each of its children's lines)::

    famille_id;famille_nom;adresse;code_postal;ville;residant;qf;qf_annee;
    responsable1_identifiant;responsable1_prenom;responsable1_nom;responsable1_email;
    responsable1_mobile;responsable1_lien;responsable2_…;
    eleve_id;eleve_prenom;eleve_nom;date_naissance;niveau_scolaire;etablissement;adulte;
    annee_scolaire;formule;cours;annee_instrument

- Keys: ``famille_id`` (Family.legacy_id), ``eleve_id`` (Student.legacy_id); a
  responsible is found by ``responsableN_identifiant`` when given, otherwise by
  their email within the family. Re-importing the same file changes nothing.
- ``cours``: course codes separated by commas (``fm1c1, piano, chorale``): the
  student's courses of ``annee_scolaire`` become exactly those.
- ``annee_scolaire`` (``2024-2025``) defaults to the previous year of the open
  campaign. Dates are ``JJ/MM/AAAA`` (or ``AAAA-MM-JJ``); yes/no columns accept
  ``oui``/``non``, ``1``/``0``, ``x``.
- An empty optional cell leaves the stored value as it is.
- Every line is checked before anything is written; the admin shows a preview,
  and one error anywhere means nothing is imported (one transaction).

This module reads and checks the cells (:func:`parse_line`), without writing
anything; :mod:`.resource` writes them.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from accounts.models import Family, SchoolLevel, Student, french_mobile_validator
from billing.models import Formula
from conservatoire.models import SchoolYear
from reinscription.backoffice.dashboard import open_or_latest_campaign
from reinscription.models import Course

RESPONSIBLE_SLOTS = (1, 2)
RESPONSIBLE_PARTS = ("identifiant", "prenom", "nom", "email", "mobile", "lien")
FAMILY_COLUMNS = (
    "famille_id",
    "famille_nom",
    "adresse",
    "code_postal",
    "ville",
    "residant",
    "qf",
    "qf_annee",
)
STUDENT_COLUMNS = (
    "eleve_id",
    "eleve_prenom",
    "eleve_nom",
    "date_naissance",
    "niveau_scolaire",
    "etablissement",
    "adulte",
)
ENROLMENT_COLUMNS = ("annee_scolaire", "formule", "cours", "annee_instrument")
COLUMNS = (
    FAMILY_COLUMNS
    + tuple(f"responsable{n}_{part}" for n in RESPONSIBLE_SLOTS for part in RESPONSIBLE_PARTS)
    + STUDENT_COLUMNS
    + ENROLMENT_COLUMNS
)
REQUIRED_COLUMNS = ("famille_id", "famille_nom", "eleve_id", "eleve_prenom", "eleve_nom", "cours")
TRUE_WORDS = {"oui", "o", "1", "x", "vrai", "true", "yes", "y"}
FALSE_WORDS = {"non", "n", "0", "faux", "false", "no", ""}
YEAR_RE = re.compile(r"^(\d{4})\s*[-/]\s*(\d{4})$")
COURSE_SEPARATORS = re.compile(r"[,;|/\s]+")


# --- Reading cells ------------------------------------------------------------------------


def text(value) -> str:
    """A cell as stripped text (XLSX numbers like ``12.0`` become ``12``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value).strip()


class RowErrors:
    """Collects the French messages of one line, per column."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def parse_bool(value, column: str, errors: RowErrors) -> bool | None:
    word = text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False if word else None
    errors.add(column, _("Expected “oui” or “non”, not “%(value)s”.") % {"value": word})
    return None


def parse_int(value, column: str, errors: RowErrors) -> int | None:
    raw = text(value).replace(" ", "").replace("\u202f", "")
    if not raw:
        return None
    try:
        number = int(raw)
    except ValueError:
        errors.add(column, _("Expected a whole number, not “%(value)s”.") % {"value": raw})
        return None
    if number < 0:
        errors.add(column, _("Expected a positive number."))
        return None
    return number


def parse_date(value, column: str, errors: RowErrors) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    if not raw:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    errors.add(column, _("Expected a date like 31/01/2015, not “%(value)s”.") % {"value": raw})
    return None


# --- One line, checked ------------------------------------------------------------------------


@dataclass
class ResponsibleLine:
    slot: int
    identifier: str
    values: dict  # first_name, last_name, email, mobile, relation (non-empty only)


@dataclass
class ParsedLine:
    family_key: str
    family_values: dict
    responsibles: list[ResponsibleLine]
    student_key: str
    student_values: dict
    school_year: SchoolYear
    formula: Formula | None
    course_ids: list[int]
    instrument_year: int | None
    family: Family | None = None
    student: Student | None = None
    changed: bool = field(default=False)


class Catalogue:
    """Courses, formulas and school years, loaded once per import."""

    def __init__(self, default_year: SchoolYear | None):
        self.courses = {code.lower(): pk for pk, code in Course.objects.values_list("pk", "code")}
        self.formulas = {f.code.lower(): f for f in Formula.objects.all()}
        self.years = {y.label: y for y in SchoolYear.objects.all()}
        self.default_year = default_year


def default_school_year() -> SchoolYear | None:
    """The previous year of the open (else the latest) campaign."""
    campaign = open_or_latest_campaign()
    return campaign.previous_year if campaign else None


def parse_line(row: dict, catalogue: Catalogue) -> ParsedLine:
    """Check every cell of ``row``; raise a ValidationError listing all its problems."""
    errors = RowErrors()
    for column in REQUIRED_COLUMNS:
        if not text(row.get(column)):
            errors.add(column, _("This column is required."))

    family_values = {"name": text(row.get("famille_nom"))}
    for column, name in (("adresse", "address"), ("code_postal", "postal_code"), ("ville", "city")):
        if text(row.get(column)):
            family_values[name] = text(row.get(column))
    resident = parse_bool(row.get("residant"), "residant", errors)
    if resident is not None or text(row.get("residant")):
        family_values["is_resident"] = bool(resident)
    for column, name in (("qf", "qf_value"), ("qf_annee", "qf_year")):
        number = parse_int(row.get(column), column, errors)
        if number is not None:
            family_values[name] = number

    responsibles = []
    for slot in RESPONSIBLE_SLOTS:
        cells = {part: text(row.get(f"responsable{slot}_{part}")) for part in RESPONSIBLE_PARTS}
        if not any(cells.values()):
            continue
        prefix = f"responsable{slot}_"
        if not cells["identifiant"] and not cells["email"]:
            errors.add(prefix + "email", _("An email or an identifier is required."))
        if cells["email"]:
            try:
                validate_email(cells["email"])
            except ValidationError:
                errors.add(prefix + "email", _("Invalid email address."))
        if cells["mobile"]:
            try:
                french_mobile_validator(cells["mobile"])
            except ValidationError:
                errors.add(
                    prefix + "mobile",
                    _("Enter a French phone number, for example 06 12 34 56 78."),
                )
        values = {
            name: cells[part]
            for part, name in (
                ("prenom", "first_name"),
                ("nom", "last_name"),
                ("email", "email"),
                ("mobile", "mobile"),
                ("lien", "relation"),
            )
            if cells[part]
        }
        responsibles.append(ResponsibleLine(slot, cells["identifiant"], values))

    student_values = {
        "first_name": text(row.get("eleve_prenom")),
        "last_name": text(row.get("eleve_nom")),
    }
    birth_date = parse_date(row.get("date_naissance"), "date_naissance", errors)
    if birth_date:
        student_values["birth_date"] = birth_date
    level = text(row.get("niveau_scolaire")).lower()
    if level:
        if level in SchoolLevel.values:
            student_values["school_level"] = level
        else:
            errors.add(
                "niveau_scolaire",
                _("Unknown school level “%(value)s” (expected one of: %(choices)s).")
                % {"value": level, "choices": ", ".join(SchoolLevel.values)},
            )
    if text(row.get("etablissement")):
        student_values["school_name"] = text(row.get("etablissement"))
    adult = parse_bool(row.get("adulte"), "adulte", errors)
    if adult is not None:
        student_values["is_adult_learner"] = adult

    year_label = text(row.get("annee_scolaire"))
    school_year = catalogue.default_year
    if year_label:
        match = YEAR_RE.match(year_label)
        if not match or int(match[2]) != int(match[1]) + 1:
            errors.add(
                "annee_scolaire",
                _("Expected a school year like 2024-2025, not “%(value)s”.")
                % {"value": year_label},
            )
        else:
            label = f"{match[1]}-{match[2]}"
            school_year = catalogue.years.get(label) or SchoolYear(
                label=label,
                starts_on=datetime.date(int(match[1]), 9, 1),
                ends_on=datetime.date(int(match[2]), 8, 31),
            )
    elif school_year is None:
        errors.add("annee_scolaire", _("No campaign exists: give the school year."))

    formula = None
    formula_code = text(row.get("formule")).lower()
    if formula_code:
        formula = catalogue.formulas.get(formula_code)
        if formula is None:
            errors.add("formule", _("Unknown formula “%(code)s”.") % {"code": formula_code})

    course_ids = []
    for code in COURSE_SEPARATORS.split(text(row.get("cours")).lower()):
        if not code:
            continue
        if code not in catalogue.courses:
            errors.add("cours", _("Unknown course “%(code)s”.") % {"code": code})
        elif catalogue.courses[code] not in course_ids:
            course_ids.append(catalogue.courses[code])
    instrument_year = parse_int(row.get("annee_instrument"), "annee_instrument", errors)

    errors.raise_if_any()
    return ParsedLine(
        family_key=text(row.get("famille_id")),
        family_values=family_values,
        responsibles=responsibles,
        student_key=text(row.get("eleve_id")),
        student_values=student_values,
        school_year=school_year,
        formula=formula,
        course_ids=course_ids,
        instrument_year=instrument_year,
    )
