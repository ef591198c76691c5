"""Step 6 is built from the catalogue: each course says what it asks the family.

A database of 2025-2026 keeps working: the guide's questions become its courses'
configuration (by their codes, the instruments by their kind), and the answers
already stored under the former keys (``fm_day``, ``fm1c1_day``, ``awakening_day``,
``discovery_day``, ``fm1c4_time``) move to ``preferences["courses"]``, keyed by
course code, with the weekday, the slot when one matches, and a French label.
"""

import datetime

import django.db.models.deletion
from django.db import migrations, models

# The guide's questions, as the demo catalogue's codes carry them.
QUESTIONS_BY_CODE = {
    "eveil": "day",
    "decouverte": "administrative",
    "fm1c1": "day",
    "fm1c2": "day",
    "fm1c3": "day",
    "fm1c4": "time",
}
NEXT_COURSE = {"decouverte": "fm1c1"}

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FRENCH_DAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
# Former key -> the courses whose day it gave (fm_day: the one the student follows).
LEGACY_DAYS = {
    "awakening_day": ("eveil",),
    "discovery_day": ("decouverte",),
    "fm1c1_day": ("fm1c1",),
    "fm_day": ("fm1c1", "fm1c2", "fm1c3"),
}
LEGACY_TIMES = {"9h30": datetime.time(9, 30), "10h30": datetime.time(10, 30)}


def set_questions(apps, schema_editor):
    Course = apps.get_model("reinscription", "Course")
    for code, question in QUESTIONS_BY_CODE.items():
        Course.objects.filter(code=code, question="none").update(question=question)
    Course.objects.filter(kind="instrument", question="none").update(question="ensemble")
    for code, next_code in NEXT_COURSE.items():
        following = Course.objects.filter(code=next_code).first()
        if following is not None:
            Course.objects.filter(code=code, next_course__isnull=True).update(next_course=following)


def _hours(slot) -> str:
    text = (
        f"{slot.starts_at.hour}h{slot.starts_at.minute:02d}"
        f"–{slot.ends_at.hour}h{slot.ends_at.minute:02d}"
    )
    return f"{text} ({slot.label})" if slot.label else text


def _answer(question, weekday, slots, fallback) -> dict:
    if weekday is None:
        label = fallback
    else:
        label = f"{FRENCH_DAYS[weekday]} {', '.join(_hours(s) for s in slots)}".strip()
    return {
        "question": question,
        "weekday": weekday,
        "slot": slots[0].pk if len(slots) == 1 else None,
        "label": label,
    }


def move_stored_answers(apps, schema_editor):
    Reenrolment = apps.get_model("reinscription", "Reenrolment")
    CourseSlot = apps.get_model("reinscription", "CourseSlot")
    EnrolmentCourse = apps.get_model("reinscription", "EnrolmentCourse")
    legacy = set(LEGACY_DAYS) | {"fm1c4_time"}
    for reenrolment in Reenrolment.objects.select_related("campaign").iterator():
        preferences = dict(reenrolment.preferences or {})
        if not legacy & preferences.keys():
            continue
        campaign = reenrolment.campaign
        followed = set(
            EnrolmentCourse.objects.filter(
                enrolment__student_id=reenrolment.student_id,
                enrolment__school_year_id=campaign.previous_year_id,
            ).values_list("course__code", flat=True)
        )
        year_slots = CourseSlot.objects.filter(school_year_id=campaign.school_year_id)
        answers = dict(preferences.get("courses") or {})
        administrative = bool(preferences.get("administrative"))
        for key, codes in LEGACY_DAYS.items():
            day = preferences.get(key)
            if day not in WEEKDAYS:
                preferences.pop(key, None)  # empty: nothing to keep
                continue
            if key == "fm_day":
                codes = [code for code in codes if code in followed]
            elif (key, administrative) in (("fm1c1_day", False), ("discovery_day", True)):
                preferences.pop(key)  # the branch the family did not take
                continue
            weekday = WEEKDAYS.index(day)
            for code in codes:
                slots = list(
                    year_slots.filter(course__code=code, weekday=weekday).order_by("starts_at")
                )
                answers[code] = _answer("day", weekday, slots, FRENCH_DAYS[weekday])
            if codes:
                preferences.pop(key)
        time = preferences.pop("fm1c4_time", None)
        if time in LEGACY_TIMES:
            slot = (
                year_slots.filter(course__code="fm1c4", starts_at=LEGACY_TIMES[time])
                .order_by("weekday")
                .first()
            )
            answers["fm1c4"] = _answer(
                "time", slot.weekday if slot else None, [slot] if slot else [], time
            )
        if answers:
            preferences["courses"] = answers
        reenrolment.preferences = preferences
        reenrolment.save(update_fields=["preferences"])


class Migration(migrations.Migration):
    dependencies = [
        ("reinscription", "0004_campaign_publication"),
    ]

    operations = [
        migrations.AddField(
            model_name="course",
            name="question",
            field=models.CharField(
                choices=[
                    ("none", "Nothing"),
                    ("day", "Preferred day, among the days of its slots"),
                    ("time", "Preferred time, among its slots"),
                    (
                        "ensemble",
                        "Collective practice, from the 2nd year of instrument (instruments)",
                    ),
                    (
                        "administrative",
                        "Administrative re-enrolment: instrument and day of the next course, "
                        "or its day",
                    ),
                ],
                default="none",
                help_text=(
                    "What step 6 of the re-enrolment asks the families of the students who "
                    "follow this course. The days and times offered are the course's slots in "
                    "the campaign's school year; the collective practices offered are the "
                    "courses of kind “Collective practice”."
                ),
                max_length=16,
                verbose_name="question to the family",
            ),
        ),
        migrations.AddField(
            model_name="course",
            name="next_course",
            field=models.ForeignKey(
                blank=True,
                help_text=(
                    "For an administrative re-enrolment: the course whose day the family "
                    "chooses (FM1C1 after the Découverte instrumentale)."
                ),
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="reinscription.course",
                verbose_name="course that follows",
            ),
        ),
        migrations.RunPython(set_questions, migrations.RunPython.noop),
        migrations.RunPython(move_stored_answers, migrations.RunPython.noop),
    ]
