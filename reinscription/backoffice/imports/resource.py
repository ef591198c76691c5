"""Last year's data into the database, with django-import-export.

:class:`LegacyEnrolmentResource` turns one line (checked by
:func:`.parsing.parse_line`) into one :class:`Enrolment`, with its family,
responsibles and student; :class:`LegacyImportAdminMixin` is the admin page
(upload, preview, confirm); :func:`run_import` imports a file outside the admin.

What was changed here since the last import is not overwritten: the preview
lists each :class:`.conflicts.Conflict` with a "take the file's value" box,
unticked (see :mod:`.conflicts`). A responsible's email changed by the import
is told to the former address, as the account page does.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.admin import ImportMixin
from import_export.fields import Field
from import_export.forms import ConfirmImportForm

from accounts.emails import notify_email_changed
from accounts.models import Family, Student, User
from reinscription.models import Enrolment, EnrolmentCourse

from .conflicts import IMPORT_REASON, Baseline, Conflict, comparable, conflict
from .formats import IMPORT_FORMATS, load_dataset
from .parsing import (
    COLUMNS,
    REQUIRED_COLUMNS,
    Catalogue,
    ParsedLine,
    ResponsibleLine,
    RowErrors,
    default_school_year,
    parse_line,
    text,
)


def _apply(obj, values: dict) -> bool:
    """Set ``values`` on ``obj``; return whether anything differs."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _save_imported(obj, changed: bool, values: dict) -> None:
    """Save ``obj`` if ``changed`` (a history row marked "import"); record what the file
    said of it in ``imported_values`` (without a history row when nothing else changed)."""
    snapshot = {
        **(obj.imported_values or {}),
        **{name: comparable(name, value) for name, value in values.items()},
    }
    if changed or obj.pk is None:
        obj.imported_values = snapshot
        obj._change_reason = IMPORT_REASON
        obj.save()
    elif snapshot != obj.imported_values:
        type(obj)._default_manager.filter(pk=obj.pk).update(imported_values=snapshot)
        obj.imported_values = snapshot


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

    def __init__(self, take_file=(), **kwargs):
        super().__init__(**kwargs)
        # The tokens of the conflicts where staff chose the file's value.
        self.take_file = set(take_file or ())
        self.conflicts: dict[tuple, Conflict] = {}
        self.row_number = 0
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
        self.row_number = number or 0
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
        if self._merge(family, line.family_values, "family", line.family_key, family.name):
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
        owner = student.full_name if student.pk else ""
        if self._merge(student, line.student_values, "student", line.student_key, owner):
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
        elif responsible.values.get("email") and family.pk:
            user = self._responsible_by_email(family, responsible.values["email"])
        if user is None:
            user = User(family=family, username=responsible.identifier)
            user.set_unusable_password()
        old_email = user.email
        owner = (user.get_full_name() or user.username) if user.pk else ""
        if self._merge(user, responsible.values, "responsible", str(user.pk), owner):
            line.changed = True
            if old_email:
                notify_email_changed(user, old_email)

    @staticmethod
    def _responsible_by_email(family, email: str) -> User | None:
        """The family's responsible with this email now, else the one the last import
        knew by it (a family may have changed it since)."""
        responsibles = list(family.responsibles.order_by("pk"))
        email = comparable("email", email)
        for known in (
            lambda user: comparable("email", user.email),
            lambda user: Baseline(user).value("email"),
        ):
            for user in responsibles:
                if known(user) == email:
                    return user
        return None

    def _merge(self, obj, values: dict, kind: str, key: str, owner: str) -> bool:
        """Set on ``obj`` the file's ``values`` that differ, except the conflicts staff did not
        choose to take from the file; save it. Return whether ``obj`` changed."""
        baseline = Baseline(obj)
        is_new = obj.pk is None
        changed = False
        for name, value in values.items():
            if comparable(name, getattr(obj, name)) == comparable(name, value):
                continue
            if baseline.changed_here(name):
                found = conflict(self.row_number, kind, key, owner, obj, name, value)
                self.conflicts.setdefault((kind, key, name), found)
                if found.token not in self.take_file:
                    continue
            setattr(obj, name, value)
            changed = True
        _save_imported(obj, changed, values)
        return changed or is_new

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        result.conflicts = sorted(self.conflicts.values(), key=lambda c: c.line)

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


# --- Outside the admin -------------------------------------------------------------------------


def run_import(data: bytes, filename: str, *, dry_run: bool, user=None, take_file=()):
    """Import a file outside the admin (tests, shell): all or nothing.

    ``take_file``: the tokens of the conflicts to resolve with the file's value.
    """
    resource = LegacyEnrolmentResource(take_file=take_file)
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


class TokensField(forms.Field):
    """The ticked "take the file's value" boxes of the preview: a list of tokens."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return [str(token) for token in value or [] if token]


class LegacyConfirmImportForm(ConfirmImportForm):
    """The confirmation, with the conflicts whose file value staff chose (rendered by the
    preview's table, next to each conflict, not by the form)."""

    take_file = TokensField(required=False)


class LegacyImportAdminMixin(ImportMixin):
    """The "Importer" button of the enrolments list: upload, preview, confirm."""

    resource_classes = [LegacyEnrolmentResource]
    confirm_form_class = LegacyConfirmImportForm
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

    def get_import_resource_kwargs(self, request, **kwargs):
        kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        if isinstance(form, LegacyConfirmImportForm):
            kwargs["take_file"] = form.cleaned_data.get("take_file", [])
        return kwargs

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
