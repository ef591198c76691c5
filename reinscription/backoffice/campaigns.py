"""Year after year: prepare the next campaign, say whether it is ready, publish it.

:func:`prepare_next_campaign` (the campaigns' admin action and ``manage.py
prepare_campaign``) creates the school year and its campaign, copies last year's
rules text, course slots, document types and tariff grid for staff to adjust, makes
the enrolments that validated re-enrolments should have made (the basis), and
returns a :class:`Readiness` report. Running it again completes what is missing and
duplicates nothing.

:func:`publish_campaign` opens a ready campaign to families: one campaign at most is
published (a constraint, and this function decides it under a lock on every
campaign), so publishing one withdraws the previous one.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.backoffice.grid_copy import copy_grid
from billing.models import Formula, Price, TariffGrid
from conservatoire.models import SchoolYear
from documents.backoffice.years import copy_year
from documents.models import DocumentType
from reinscription.models import Campaign, CourseSlot, Enrolment, Reenrolment
from reinscription.rules import next_formula

from .validation import enrol_validated

logger = logging.getLogger(__name__)

LABEL = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{4})\s*$")


class CampaignError(Exception):
    """A campaign cannot be prepared or published; the message is for staff (French)."""


class CampaignNotReady(CampaignError):
    def __init__(self, readiness: Readiness):
        self.readiness = readiness
        missing = ", ".join(check.label for check in readiness.checks if not check.ok)
        super().__init__(
            _("The campaign %(year)s is not ready to open to families: %(missing)s.")
            % {"year": readiness.campaign.school_year.label, "missing": missing}
        )


# --- Readiness ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One thing a campaign needs before it opens, and whether it has it."""

    key: str
    label: str
    ok: bool
    detail: str = ""


@dataclass
class Readiness:
    campaign: Campaign
    checks: list[Check] = field(default_factory=list)
    basis: int = 0  # students in the basis (enrolled in the previous year)

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def lines(self) -> list[str]:
        """The report as text, one check a line (the command prints it)."""
        return [
            f"[{'ok' if check.ok else '!!'}] {check.label} : {check.detail}"
            for check in self.checks
        ]


def check_readiness(campaign: Campaign, now: datetime.datetime | None = None) -> Readiness:
    """Whether ``campaign`` can open to families: dates, tariff grid, slots, documents,
    rules text, and its basis (the students enrolled in its previous year)."""
    now = now or timezone.now()
    year, previous = campaign.school_year, campaign.previous_year
    basis = Enrolment.objects.filter(school_year=previous)
    readiness = Readiness(campaign, basis=basis.count())
    readiness.checks = [
        _check_dates(campaign, now),
        _check_grid(year, basis),
        _check_slots(year, previous),
        _check_documents(year, previous),
        _check_rules(campaign),
        _check_basis(campaign, readiness.basis),
    ]
    return readiness


def _day(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "j F Y")


def _check_dates(campaign: Campaign, now) -> Check:
    detail = _("from %(opens)s to %(closes)s") % {
        "opens": _day(campaign.opens_at),
        "closes": _day(campaign.closes_at),
    }
    ok = campaign.closes_at > now
    if not ok:
        detail += " — " + _("already closed")
    return Check("dates", _("Dates"), ok, detail)


def _check_grid(year: SchoolYear, basis) -> Check:
    label = _("Tariff grid")
    grid = TariffGrid.objects.filter(school_year=year).first()
    if grid is None:
        return Check("grid", label, False, _("no grid for %(year)s") % {"year": year.label})
    bracket_ids = set(grid.brackets.values_list("pk", flat=True))
    codes = set(basis.exclude(formula=None).values_list("formula__code", flat=True))
    codes |= {next_formula(code, administrative=True) for code in codes} - {None}
    needed = Formula.objects.filter(code__in=codes) if codes else Formula.objects.none()
    priced: dict[int, set] = {}
    for formula_id, bracket_id in Price.objects.filter(grid=grid).values_list(
        "formula_id", "bracket_id"
    ):
        priced.setdefault(formula_id, set()).add(bracket_id)
    missing = [
        formula.name
        for formula in needed
        if not (bracket_ids | {None}) <= priced.get(formula.pk, set())
    ]
    prices = sum(len(brackets) for brackets in priced.values())
    if missing:
        return Check("grid", label, False, _("prices missing for: %s") % ", ".join(missing))
    if not prices:
        return Check("grid", label, False, _("the grid has no price"))
    detail = ngettext("%(count)d QF bracket", "%(count)d QF brackets", len(bracket_ids)) % {
        "count": len(bracket_ids)
    }
    detail += ", " + ngettext("%(count)d price", "%(count)d prices", prices) % {"count": prices}
    return Check("grid", label, True, detail)


def _check_slots(year: SchoolYear, previous: SchoolYear) -> Check:
    label = _("Course slots")
    rows = (
        CourseSlot.objects.filter(school_year__in=[year, previous])
        .order_by()
        .values("course__name", "school_year")
        .annotate(count=Count("pk"))
    )
    now_courses, before_courses, count = set(), set(), 0
    for row in rows:
        if row["school_year"] == year.pk:
            now_courses.add(row["course__name"])
            count += row["count"]
        else:
            before_courses.add(row["course__name"])
    missing = sorted(before_courses - now_courses)
    if missing:
        return Check("slots", label, False, _("no slot yet for: %s") % ", ".join(missing))
    if not count and before_courses:
        return Check("slots", label, False, _("no slot"))
    return Check(
        "slots",
        label,
        True,
        ngettext("%(count)d slot", "%(count)d slots", count) % {"count": count},
    )


def _check_documents(year: SchoolYear, previous: SchoolYear) -> Check:
    label = _("Requested documents")
    count = DocumentType.objects.filter(school_year=year, active=True).count()
    before = DocumentType.objects.filter(school_year=previous, active=True).exists()
    detail = ngettext(
        "%(count)d document type requested", "%(count)d document types requested", count
    ) % {"count": count}
    return Check("documents", label, bool(count) or not before, detail)


def _check_rules(campaign: Campaign) -> Check:
    label = _("Internal rules")
    if not campaign.rules_text.strip() or not campaign.rules_version.strip():
        return Check("rules", label, False, _("no text or no version"))
    return Check("rules", label, True, _("version %s") % campaign.rules_version)


def _check_basis(campaign: Campaign, count: int) -> Check:
    label = _("Basis of the campaign")
    detail = ngettext(
        "%(count)d student enrolled in %(year)s",
        "%(count)d students enrolled in %(year)s",
        count,
    ) % {"count": count, "year": campaign.previous_year.label}
    previous_campaign = Campaign.objects.filter(school_year=campaign.previous_year_id).first()
    unenrolled = 0
    if previous_campaign is not None:
        unenrolled = (
            Reenrolment.objects.filter(
                campaign=previous_campaign,
                status=Reenrolment.Status.VALIDATED,
                decision=Reenrolment.Decision.REENROL,
            )
            .exclude(
                Exists(
                    Enrolment.objects.filter(
                        student=OuterRef("student"), school_year=campaign.previous_year_id
                    )
                )
            )
            .count()
        )
    if unenrolled:
        detail += " — " + ngettext(
            "%(count)d validated re-enrolment without its enrolment",
            "%(count)d validated re-enrolments without their enrolment",
            unenrolled,
        ) % {"count": unenrolled}
    return Check("basis", label, count > 0 and not unenrolled, detail)


# --- Preparing -----------------------------------------------------------------------------------


@dataclass
class Preparation:
    """What :func:`prepare_next_campaign` did, and the campaign's readiness."""

    campaign: Campaign
    created: bool
    steps: list[str]
    readiness: Readiness


def start_year(label: str) -> int:
    """2026 for ``2026-2027``; a :class:`CampaignError` for anything else."""
    match = LABEL.match(label or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise CampaignError(
            _("“%(label)s” is not a school year: write it as 2026-2027.") % {"label": label}
        )
    return int(match.group(1))


def campaign_moments(
    opens: datetime.date, closes: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """Opening at the start of ``opens``, closing at the end of ``closes`` (Europe/Paris)."""
    if closes < opens:
        raise CampaignError(_("The campaign must close after it opens."))
    opens_at = timezone.make_aware(datetime.datetime.combine(opens, datetime.time()))
    closes_at = timezone.make_aware(datetime.datetime.combine(closes, datetime.time(23, 59, 59)))
    return opens_at, closes_at


def next_label(campaign: Campaign | None = None) -> str:
    """The school year after ``campaign``'s (else after the latest campaign's)."""
    campaign = campaign or Campaign.objects.order_by("-school_year__starts_on").first()
    start = campaign.school_year.starts_on.year + 1 if campaign else timezone.localdate().year
    return f"{start}-{start + 1}"


def prepare_next_campaign(
    label: str, opens: datetime.date, closes: datetime.date, by=None
) -> Preparation:
    """Create (or complete) the campaign of school year ``label``; see the module's doc.

    The campaign is not published. ``by`` (who asked, if a person) goes to the log.
    """
    start = start_year(label)
    opens_at, closes_at = campaign_moments(opens, closes)
    steps: list[str] = []
    with transaction.atomic():
        year = SchoolYear.for_start_year(start)
        campaign = (
            Campaign.objects.select_related("school_year", "previous_year")
            .filter(school_year=year)
            .first()
        )
        created = campaign is None
        if created:
            latest = (
                Campaign.objects.select_related("school_year")
                .order_by("-school_year__starts_on")
                .first()
            )
            if latest is not None and latest.school_year.starts_on > year.starts_on:
                raise CampaignError(
                    _("The campaign %(latest)s exists: the next one is after it.")
                    % {"latest": latest.school_year.label}
                )
            campaign = Campaign.objects.create(
                school_year=year,
                previous_year=latest.school_year
                if latest
                else SchoolYear.for_start_year(start - 1),
                opens_at=opens_at,
                closes_at=closes_at,
                rules_version=_("%(year)s v1") % {"year": year.label},
                rules_text=latest.rules_text if latest else "",
                reminder_interval_days=latest.reminder_interval_days if latest else 7,
            )
            steps.append(
                _("Campaign %(year)s created (basis: the enrolments of %(previous)s).")
                % {"year": year.label, "previous": campaign.previous_year.label}
            )
            steps.append(
                _("Internal rules copied as version “%(version)s”: edit them in the campaign.")
                % {"version": campaign.rules_version}
            )
        else:
            steps.append(
                _("The campaign %(year)s already exists: its dates and rules are unchanged.")
                % {"year": year.label}
            )
        source = campaign.previous_year
        made, kept = copy_slots(source, year)
        steps.append(
            _("Course slots copied from %(source)s: %(made)d new, %(kept)d already there.")
            % {"source": source.label, "made": made, "kept": kept}
        )
        made, kept = copy_year(source, year)
        steps.append(
            _("Document types copied from %(source)s: %(made)d new, %(kept)d already there.")
            % {"source": source.label, "made": made, "kept": kept}
        )
        grid = copy_grid(source, year)
        if grid.grid is None:
            steps.append(_("No tariff grid to copy: import the grid of %s.") % year.label)
        else:
            steps.append(
                _(
                    "Tariff grid copied from %(source)s: %(brackets)d brackets, %(prices)d "
                    "prices, %(reductions)d reductions added."
                )
                % {
                    "source": source.label,
                    "brackets": grid.brackets,
                    "prices": grid.prices,
                    "reductions": grid.reductions,
                }
            )
        previous_campaign = Campaign.objects.filter(school_year=source).first()
        if previous_campaign is not None:
            enrolled = enrol_validated(previous_campaign)
            steps.append(
                _("Enrolments made from the validated re-enrolments of %(source)s: %(count)d.")
                % {"source": source.label, "count": enrolled}
            )
    campaign.refresh_from_db()
    logger.info("Campaign %s prepared by %s: %s", year.label, by or "a command", " / ".join(steps))
    return Preparation(campaign, created, steps, check_readiness(campaign))


def copy_slots(source: SchoolYear, target: SchoolYear) -> tuple[int, int]:
    """Every course slot of ``source`` in ``target`` too (same day and times);
    returns ``(created, already_there)``."""
    made = kept = 0
    for slot in CourseSlot.objects.filter(school_year=source).order_by("pk"):
        _slot, created = CourseSlot.objects.get_or_create(
            course_id=slot.course_id,
            school_year=target,
            weekday=slot.weekday,
            starts_at=slot.starts_at,
            defaults={"ends_at": slot.ends_at, "label": slot.label},
        )
        made += created
        kept += not created
    return made, kept


# --- Publishing ---------------------------------------------------------------------------------


def publish_campaign(campaign: Campaign, *, by=None, now=None) -> Readiness:
    """Open ``campaign`` to families (between its dates), withdrawing the one published.

    Raises :class:`CampaignNotReady` when a check fails. Every campaign row is locked
    first, so two publications never interleave; the partial unique index on
    ``published`` is the last word.
    """
    now = now or timezone.now()
    with transaction.atomic():
        list(Campaign.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        campaign = Campaign.objects.select_related("school_year", "previous_year").get(
            pk=campaign.pk
        )
        readiness = check_readiness(campaign, now)
        if campaign.published:
            return readiness
        if not readiness.ready:
            raise CampaignNotReady(readiness)
        Campaign.objects.filter(published=True).update(published=False)
        campaign.published = True
        campaign.published_at = campaign.published_at or now
        campaign.published_by = by
        campaign.save(update_fields=["published", "published_at", "published_by"])
    return readiness
