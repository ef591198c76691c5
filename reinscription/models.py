"""Campaigns, the course catalogue and what each student follows this year."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Student
from billing.models import Formula
from conservatoire.models import SchoolYear


class CampaignQuerySet(models.QuerySet):
    def open_at(self, when=None):
        when = when or timezone.now()
        return self.filter(opens_at__lte=when, closes_at__gt=when)


class Campaign(models.Model):
    """The re-enrolment campaign for a school year, and the rules families accept."""

    school_year = models.OneToOneField(
        SchoolYear,
        verbose_name=_("school year"),
        related_name="campaign",
        on_delete=models.PROTECT,
        help_text=_("The year families re-enrol for."),
    )
    previous_year = models.ForeignKey(
        SchoolYear,
        verbose_name=_("previous school year"),
        related_name="+",
        on_delete=models.PROTECT,
        help_text=_("The year whose enrolments are the basis of the re-enrolment."),
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    rules_version = models.CharField(_("version of the internal rules"), max_length=30)
    rules_text = models.TextField(_("internal rules (règlement intérieur)"), blank=True)
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"), default=7
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="campaign_closes_after_opening",
            ),
        ]

    def __str__(self):
        return _("Re-enrolment %(year)s") % {"year": self.school_year.label}

    def is_open(self, when=None) -> bool:
        when = when or timezone.now()
        return self.opens_at <= when < self.closes_at


class Discipline(models.TextChoices):
    MUSIC = "music", _("Music")
    DANCE = "dance", _("Dance")
    THEATRE = "theatre", _("Theatre")
    AWAKENING = "eveil", _("Artistic awakening")


class Course(models.Model):
    """A course of the catalogue: FM1C1, piano, orchestre, danse…"""

    class Kind(models.TextChoices):
        AWAKENING = "eveil", _("Éveil artistique")
        DISCOVERY = "decouverte", _("Découverte instrumentale")
        MUSICIANSHIP = "fm", _("Formation musicale")
        INSTRUMENT = "instrument", _("Instrument")
        ENSEMBLE = "ensemble", _("Collective practice")
        DANCE = "danse", _("Dance")
        THEATRE = "theatre", _("Theatre")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    discipline = models.CharField(_("discipline"), max_length=10, choices=Discipline.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class CourseSlot(models.Model):
    """A weekly slot of a course in a school year (day, start, end)."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), related_name="slots", on_delete=models.CASCADE
    )
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("school year"), related_name="+", on_delete=models.CASCADE
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts_at = models.TimeField(_("start"))
    ends_at = models.TimeField(_("end"))
    label = models.CharField(_("label"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("course slot")
        verbose_name_plural = _("course slots")
        ordering = ["course__order", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="slot_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["course", "school_year", "weekday", "starts_at"],
                name="slot_unique_per_course_day_time",
            ),
        ]

    def __str__(self):
        return (
            f"{self.course} — {self.get_weekday_display()} "
            f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"
        )


class Enrolment(models.Model):
    """What a student follows in a school year: the basis of their re-enrolment."""

    student = models.ForeignKey(
        Student, verbose_name=_("student"), related_name="enrolments", on_delete=models.CASCADE
    )
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("school year"), related_name="+", on_delete=models.PROTECT
    )
    formula = models.ForeignKey(
        Formula,
        verbose_name=_("formula"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    courses = models.ManyToManyField(
        Course, verbose_name=_("courses"), through="EnrolmentCourse", related_name="+"
    )
    instrument_year = models.PositiveSmallIntegerField(
        _("year of instrument"),
        null=True,
        blank=True,
        help_text=_("1 for a first year of instrument, 2 for a second…"),
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["student__last_name", "student__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_year"], name="enrolment_unique_per_student_year"
            ),
        ]

    def __str__(self):
        return f"{self.student} — {self.school_year}"


class EnrolmentCourse(models.Model):
    """One course of an enrolment (with the slot the student attends, if known)."""

    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("enrolment"), related_name="lines", on_delete=models.CASCADE
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), related_name="+", on_delete=models.PROTECT
    )
    slot = models.ForeignKey(
        CourseSlot,
        verbose_name=_("slot"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("enrolment course")
        verbose_name_plural = _("enrolment courses")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "course"], name="enrolment_course_unique"),
        ]

    def __str__(self):
        return str(self.course)


class Reenrolment(models.Model):
    """A family's answer for one student in one campaign (one row, a constraint says so).

    Each validation (and each later modification) writes an immutable
    :class:`ReenrolmentSnapshot`; this row holds the latest state.
    """

    class Status(models.TextChoices):
        REENROLLED = "reenrolled", _("re-enrolled")
        DECLINED = "declined", _("not re-enrolled")
        VALIDATED = "validated", _("validated by the conservatoire")

    class Decision(models.TextChoices):
        REENROL = "reenrol", _("re-enrol")
        DECLINE = "decline", _("do not re-enrol")

    student = models.ForeignKey(
        Student, verbose_name=_("student"), related_name="reenrolments", on_delete=models.CASCADE
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="reenrolments", on_delete=models.PROTECT
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, db_index=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    decline_reason = models.TextField(_("reason for not re-enrolling"), blank=True)
    payment_mode = models.CharField(_("payment mode"), max_length=10, blank=True)
    image_rights = models.BooleanField(_("image rights"), null=True)
    outing_authorisation = models.BooleanField(_("outing authorisation"), null=True)
    preferences = models.JSONField(_("course preferences"), default=dict, blank=True)
    comments = models.TextField(_("complementary information"), blank=True)
    estimated_total = models.DecimalField(
        _("estimated total"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    rules_version = models.CharField(_("version of the rules accepted"), max_length=30)
    rules_accepted_at = models.DateTimeField(_("rules accepted at"))
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("submitted by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    validated_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("validated by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    internal_note = models.TextField(
        _("internal note"), blank=True, help_text=_("Never shown to the family.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("re-enrolment")
        verbose_name_plural = _("re-enrolments")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "campaign"], name="reenrolment_unique_per_student_campaign"
            ),
        ]

    def __str__(self):
        return f"{self.student} — {self.campaign}"

    @property
    def can_be_modified(self) -> bool:
        return self.status != self.Status.VALIDATED and self.campaign.is_open()


class ReenrolmentSnapshot(models.Model):
    """What the family validated, as it was: by whom, when, under which rules. Never updated."""

    reenrolment = models.ForeignKey(
        Reenrolment,
        verbose_name=_("re-enrolment"),
        related_name="snapshots",
        on_delete=models.CASCADE,
    )
    version = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("data"))
    rules_version = models.CharField(_("version of the rules accepted"), max_length=30)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("re-enrolment snapshot")
        verbose_name_plural = _("re-enrolment snapshots")
        ordering = ["reenrolment", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["reenrolment", "version"], name="snapshot_unique_version"
            ),
        ]

    def __str__(self):
        return f"{self.reenrolment} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A snapshot is immutable.")
        super().save(*args, **kwargs)


class WizardDraft(models.Model):
    """The wizard's steps saved server-side, so a family resumes on any device."""

    student = models.ForeignKey(
        Student, verbose_name=_("student"), related_name="drafts", on_delete=models.CASCADE
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="drafts", on_delete=models.CASCADE
    )
    data = models.JSONField(_("data"), default=dict)
    updated_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("wizard draft")
        verbose_name_plural = _("wizard drafts")
        constraints = [
            models.UniqueConstraint(fields=["student", "campaign"], name="draft_unique"),
        ]

    def __str__(self):
        return f"{self.student} — {self.campaign}"


# The staff back office's models (exports, reminders), kept in their own module.
from .models_staff import CampaignStudent, ExportJob, ReminderSent  # noqa: E402, F401
