"""The course catalogue, its weekly slots, and what each student follows in a school year."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Student
from billing.models import Formula
from conservatoire.models import SchoolYear

from .. import rules


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

    class Question(models.TextChoices):
        """What the course asks the family at step 6 (see ``reinscription.rules``)."""

        NONE = rules.Question.NONE.value, _("Nothing")
        DAY = rules.Question.DAY.value, _("Preferred day, among the days of its slots")
        TIME = rules.Question.TIME.value, _("Preferred time, among its slots")
        ENSEMBLE = (
            rules.Question.ENSEMBLE.value,
            _("Collective practice, from the 2nd year of instrument (instruments)"),
        )
        ADMINISTRATIVE = (
            rules.Question.ADMINISTRATIVE.value,
            _("Administrative re-enrolment: instrument and day of the next course, or its day"),
        )

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    discipline = models.CharField(_("discipline"), max_length=10, choices=Discipline.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    question = models.CharField(
        _("question to the family"),
        max_length=16,
        choices=Question.choices,
        default=Question.NONE,
        help_text=_(
            "What step 6 of the re-enrolment asks the families of the students who follow "
            "this course. The days and times offered are the course's slots in the "
            "campaign's school year; the collective practices offered are the courses of "
            "kind “Collective practice”."
        ),
    )
    next_course = models.ForeignKey(
        "self",
        verbose_name=_("course that follows"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text=_(
            "For an administrative re-enrolment: the course whose day the family chooses "
            "(FM1C1 after the Découverte instrumentale)."
        ),
    )

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
        Student, verbose_name=_("student"), related_name="enrolments", on_delete=models.PROTECT
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
