"""Import last year's data (families, responsibles, students, their courses) from CSV or XLSX.

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

django-import-export drives it: :class:`LegacyEnrolmentResource` (one row →
one :class:`Enrolment`, with its family, responsibles and student) and
:class:`LegacyImportAdminMixin` for the admin page.
"""

from __future__ import annotations

import csv
import datetime
import re
from dataclasses import dataclass, field

import tablib
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.admin import ImportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX

from accounts.models import Family, SchoolLevel, Student, User, french_mobile_validator
from billing.models import Formula
from conservatoire.models import SchoolYear

from .models import Course, Enrolment, EnrolmentCourse

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
    from .dashboard import open_or_latest_campaign

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


def _apply(obj, values: dict) -> bool:
    """Set ``values`` on ``obj``; return whether anything differs."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


# --- The resource -------------------------------------------------------------------------------


class LegacyEnrolmentResource(resources.ModelResource):
    """One line of last year's export → family, responsibles, student and enrolment."""

    famille_id = Field(column_name="famille_id")
    famille_nom = Field(column_name="famille_nom")
    eleve_id = Field(column_name="eleve_id")
    eleve_prenom = Field(column_name="eleve_prenom")
    eleve_nom = Field(column_name="eleve_nom")
    annee_scolaire = Field(column_name="annee_scolaire")
    formule = Field(column_name="formule")
    cours = Field(column_name="cours")
    annee_instrument = Field(column_name="annee_instrument")

    class Meta:
        model = Enrolment
        fields = (
            "famille_id",
            "famille_nom",
            "eleve_id",
            "eleve_prenom",
            "eleve_nom",
            "annee_scolaire",
            "formule",
            "cours",
            "annee_instrument",
        )
        import_id_fields = ("eleve_id",)
        use_transactions = True
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False
        name = gettext_lazy("Last year's families, students and courses")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.catalogue: Catalogue | None = None
        self.unreadable = False
        self.line: ParsedLine | None = None
        self.seen_students: dict[str, int] = {}
        self.seen_families: dict[str, tuple[int, dict]] = {}
        self.seen_responsibles: dict[tuple, tuple[int, dict]] = {}

    # The columns the admin page lists (every column of the file, not only the diffed ones).
    def get_user_visible_fields(self):
        return [Field(column_name=column) for column in COLUMNS]

    def before_import(self, dataset, **kwargs):
        self.catalogue = Catalogue(default_school_year())
        missing = [column for column in REQUIRED_COLUMNS if column not in (dataset.headers or [])]
        if missing:
            self.unreadable = True
            raise ValidationError(
                _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}
            )

    def before_import_row(self, row, **kwargs):
        self.line = None
        if self.unreadable or not any(text(value) for value in row.values()):
            return  # a blank line (or a file without its columns): skipped
        line = parse_line(row, self.catalogue)
        number = kwargs.get("row_number")
        self._check_repeats(line, number)
        self.line = line

    def _check_repeats(self, line: ParsedLine, number) -> None:
        """The same student twice, or one family described two ways, is an error."""
        errors = RowErrors()
        first = self.seen_students.setdefault(line.student_key, number)
        if first != number:
            errors.add("eleve_id", _("Same student as line %(line)s.") % {"line": first})
        first, values = self.seen_families.setdefault(line.family_key, (number, line.family_values))
        if values != line.family_values:
            errors.add(
                "famille_id",
                _("This family's details differ from line %(line)s.") % {"line": first},
            )
        for responsible in line.responsibles:
            key = (
                line.family_key,
                responsible.identifier.lower() or responsible.values.get("email", "").lower(),
            )
            first, values = self.seen_responsibles.setdefault(key, (number, responsible.values))
            if values != responsible.values:
                errors.add(
                    f"responsable{responsible.slot}_email",
                    _("This responsible's details differ from line %(line)s.") % {"line": first},
                )
        errors.raise_if_any()

    def get_instance(self, instance_loader, row):
        line = self.line
        if line is None:
            return None
        if line.school_year.pk is None:
            return None
        return (
            Enrolment.objects.filter(
                student__legacy_id=line.student_key, school_year=line.school_year
            )
            .select_related("student__family", "formula", "school_year")
            .first()
        )

    def init_instance(self, row=None):
        return Enrolment()

    def import_instance(self, instance, row, **kwargs):
        """Write the family, responsibles and student; set the enrolment's values."""
        line = self.line
        if line is None:
            return
        errors = RowErrors()
        family = Family.objects.filter(legacy_id=line.family_key).first()
        if family is None:
            family = Family(legacy_id=line.family_key)
            line.changed = True
        if _apply(family, line.family_values) or family.pk is None:
            family.save()
            line.changed = True
        line.family = family

        for responsible in line.responsibles:
            self._import_responsible(family, responsible, line, errors)

        student = Student.objects.filter(legacy_id=line.student_key).first()
        if student is not None and student.family_id != family.pk:
            errors.add(
                "eleve_id",
                _("This student belongs to another family (%(family)s).")
                % {"family": student.family.legacy_id or student.family.name},
            )
        errors.raise_if_any()
        if student is None:
            student = Student(legacy_id=line.student_key, family=family)
        if _apply(student, line.student_values) or student.pk is None:
            student.save()
            line.changed = True
        line.student = student

        if line.school_year.pk is None:
            line.school_year.save()
            self.catalogue.years[line.school_year.label] = line.school_year
        instance.student = student
        instance.school_year = line.school_year
        values = {"formula": line.formula}
        if line.instrument_year is not None:
            values["instrument_year"] = line.instrument_year
        if _apply(instance, values) or instance.pk is None:
            line.changed = True
        if instance.pk is not None:
            current = set(instance.lines.values_list("course_id", flat=True))
            if current != set(line.course_ids):
                line.changed = True

    def _import_responsible(self, family, responsible: ResponsibleLine, line, errors) -> None:
        user = None
        prefix = f"responsable{responsible.slot}_"
        if responsible.identifier:
            user = User.objects.filter(username__iexact=responsible.identifier).first()
            if user is not None and user.family_id != family.pk:
                errors.add(
                    prefix + "identifiant",
                    _("This identifier belongs to another family or to a staff member."),
                )
                return
        elif responsible.values.get("email"):
            user = (
                family.responsibles.filter(email__iexact=responsible.values["email"])
                .order_by("pk")
                .first()
                if family.pk
                else None
            )
        if user is None:
            user = User(family=family, username=responsible.identifier)
            user.set_unusable_password()
        if _apply(user, responsible.values) or user.pk is None:
            user.save()
            line.changed = True

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        return self.line is None or not self.line.changed

    def save_instance(self, instance, is_create, row, **kwargs):
        if self.line is None:
            return
        super().save_instance(instance, is_create, row, **kwargs)

    def after_save_instance(self, instance, row, **kwargs):
        """The enrolment's courses become exactly the file's (slots of kept ones stay)."""
        wanted = set(self.line.course_ids)
        instance.lines.exclude(course_id__in=wanted).delete()
        existing = set(instance.lines.values_list("course_id", flat=True))
        EnrolmentCourse.objects.bulk_create(
            EnrolmentCourse(enrolment=instance, course_id=pk)
            for pk in self.line.course_ids
            if pk not in existing
        )

    # What the preview shows for each line.
    def dehydrate_famille_id(self, enrolment):
        return self._student_attr(enrolment, "family.legacy_id")

    def dehydrate_famille_nom(self, enrolment):
        return self._student_attr(enrolment, "family.name")

    def dehydrate_eleve_id(self, enrolment):
        return self._student_attr(enrolment, "legacy_id")

    def dehydrate_eleve_prenom(self, enrolment):
        return self._student_attr(enrolment, "first_name")

    def dehydrate_eleve_nom(self, enrolment):
        return self._student_attr(enrolment, "last_name")

    def dehydrate_annee_scolaire(self, enrolment):
        return enrolment.school_year.label if enrolment.school_year_id else ""

    def dehydrate_formule(self, enrolment):
        return enrolment.formula.code if enrolment.formula_id else ""

    def dehydrate_cours(self, enrolment):
        if enrolment.pk is None:
            return ""
        return ", ".join(sorted(enrolment.lines.values_list("course__code", flat=True)))

    def dehydrate_annee_instrument(self, enrolment):
        return enrolment.instrument_year if enrolment.instrument_year is not None else ""

    @staticmethod
    def _student_attr(enrolment, path: str):
        if not enrolment.student_id:
            return ""
        value = enrolment.student
        for part in path.split("."):
            value = getattr(value, part)
        return value


# --- Formats --------------------------------------------------------------------------------------


class FrenchCSV(CSV):
    """CSV as French spreadsheets write it: ``;`` or ``,``, UTF-8 (BOM) or Windows-1252."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("cp1252")
        first_line = in_stream.split("\n", 1)[0]
        delimiter = max((";", ",", "\t"), key=first_line.count)
        dataset = tablib.Dataset()
        rows = csv.reader(in_stream.splitlines(), delimiter=delimiter)
        for index, cells in enumerate(rows):
            if index == 0:
                dataset.headers = [cell.strip().lower() for cell in cells]
                continue
            if len(cells) < dataset.width:
                cells += [""] * (dataset.width - len(cells))
            dataset.append(cells[: dataset.width])
        return dataset


class LowercaseXLSX(XLSX):
    def create_dataset(self, in_stream):
        dataset = super().create_dataset(in_stream)
        dataset.headers = [text(header).lower() for header in dataset.headers]
        return dataset


IMPORT_FORMATS = [FrenchCSV, LowercaseXLSX]


def load_dataset(data: bytes, filename: str) -> tablib.Dataset:
    fmt = LowercaseXLSX() if filename.lower().endswith(".xlsx") else FrenchCSV()
    return fmt.create_dataset(data)


def run_import(data: bytes, filename: str, *, dry_run: bool, user=None):
    """Import a file outside the admin (tests, shell): all or nothing."""
    resource = LegacyEnrolmentResource()
    dataset = load_dataset(data, filename)
    return resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        user=user,
    )


def result_messages(result) -> list[str]:
    """Every error of an import result as ``Ligne N : colonne : message`` (French)."""
    lines = [str(error.error) for error in result.base_errors]
    for number, errors in result.row_errors():
        lines += [
            _("Line %(line)s: %(error)s") % {"line": number, "error": e.error} for e in errors
        ]
    for invalid in result.invalid_rows:
        for column, messages_ in invalid.error_dict.items():
            for message in messages_:
                if column == NON_FIELD_ERRORS:
                    lines.append(
                        _("Line %(line)s: %(error)s") % {"line": invalid.number, "error": message}
                    )
                else:
                    lines.append(
                        _("Line %(line)s, column %(column)s: %(error)s")
                        % {"line": invalid.number, "column": column, "error": message}
                    )
    return lines


# --- The admin page -------------------------------------------------------------------------------


class LegacyImportAdminMixin(ImportMixin):
    """The "Importer" button of the enrolments list: upload, preview, confirm."""

    resource_classes = [LegacyEnrolmentResource]
    import_formats = IMPORT_FORMATS
    import_template_name = "admin/reinscription/import.html"
    import_error_display = ("message",)
    IMPORT_PERMISSIONS = (
        "accounts.add_family",
        "accounts.change_family",
        "accounts.add_student",
        "accounts.change_student",
        "accounts.add_responsible",
        "accounts.change_responsible",
        "reinscription.add_enrolment",
        "reinscription.change_enrolment",
    )

    def has_import_permission(self, request):
        return request.user.has_perms(self.IMPORT_PERMISSIONS)

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs.pop("request", None)
        # One invalid line anywhere: nothing is written.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["required_columns"] = REQUIRED_COLUMNS
        return context

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            for line in result_messages(result)[:20]:
                messages.error(request, line)
            messages.error(request, _("Nothing was imported: correct the file and try again."))
            return HttpResponseRedirect(
                reverse(
                    "admin:{}_{}_import".format(*self.get_model_info()),
                    current_app=self.admin_site.name,
                )
            )
        return super().process_result(result, request)
