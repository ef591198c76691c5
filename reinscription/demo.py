"""The demo conservatoire: catalogue, campaign and families covering the guide's cases.

The literal data (formulas, courses and slots, the rules' text, the families,
their responsibles and students) is in ``demo_data.toml`` beside this module;
this module reads it and seeds the database. Everything is created with
``get_or_create`` on stable keys, so running it twice leaves the same data.
Demo passwords are fixed and printed by ``seed_demo``.
"""

import datetime
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Family, SchoolLevel, Student, User
from billing.demo import ensure_demo_grid
from billing.models import Formula
from conservatoire.models import SchoolYear
from documents.demo import ensure_demo_document_types

from .models import Campaign, Course, CourseSlot, Discipline, Enrolment, EnrolmentCourse, Weekday

CAMPAIGN_YEAR = 2025  # the 2025-2026 campaign of the guide
STAFF_IDENTIFIER = "secretariat"
STAFF_PASSWORD = "Secretariat-Demo-2025"  # noqa: S105 (demo data, printed on purpose)
LOAD_PASSWORD = "Famille-Charge-2025"  # noqa: S105 (demo data, printed on purpose)

DATA_FILE = "demo_data.toml"  # beside this module: the families, catalogue, formulas, rules


@dataclass(frozen=True)
class DemoSlot:
    weekday: Weekday
    start: str
    end: str
    label: str = ""


@dataclass(frozen=True)
class DemoCourse:
    code: str
    name: str
    discipline: Discipline
    kind: Course.Kind
    slots: list[DemoSlot]
    question: Course.Question = Course.Question.NONE  # what step 6 asks its students
    next_course: str = ""  # an administrative re-enrolment's next course (its day is asked)


@dataclass
class DemoStudent:
    key: str
    first_name: str
    birth_date: datetime.date
    level: str
    school: str
    formula: str
    courses: list[str]
    instrument_year: int | None = None
    adult: bool = False


@dataclass
class DemoResponsible:
    identifier: str
    first_name: str
    relation: str
    email: str
    mobile: str


@dataclass
class DemoFamily:
    key: str
    name: str
    address: str
    postal_code: str
    city: str
    resident: bool
    qf_proven: bool
    responsibles: list[DemoResponsible]
    students: list[DemoStudent] = field(default_factory=list)
    qf: int | None = None


@dataclass(frozen=True)
class LoadCourseSet:
    formula: str
    courses: list[str]
    instrument_year: int | None = None


@dataclass(frozen=True)
class DemoData:
    formulas: list[tuple[str, str]]  # (code, name), in their order
    rules_version: str
    rules_text: str
    catalogue: list[DemoCourse]
    families: list[DemoFamily]
    first_names: list[str]  # of the generated students
    load_course_sets: list[LoadCourseSet]  # given in turn to the generated students


def load_data() -> DemoData:
    """The demo's data file, parsed; a code unknown to the models' choices fails here."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return DemoData(
        formulas=[(item["code"], item["name"]) for item in data["formulas"]],
        rules_version=data["campaign"]["rules_version"],
        rules_text=data["campaign"]["rules_text"],
        catalogue=[
            DemoCourse(
                code=item["code"],
                name=item["name"],
                discipline=Discipline(item["discipline"]),
                kind=Course.Kind(item["kind"]),
                question=Course.Question(item.get("question", Course.Question.NONE)),
                next_course=item.get("next_course", ""),
                slots=[
                    DemoSlot(
                        weekday=Weekday[slot["day"].upper()],
                        start=slot["start"],
                        end=slot["end"],
                        label=slot.get("label", ""),
                    )
                    for slot in item["slots"]
                ],
            )
            for item in data["courses"]
        ],
        families=[
            DemoFamily(
                **{
                    **family,
                    "responsibles": [DemoResponsible(**r) for r in family["responsibles"]],
                    "students": [DemoStudent(**s) for s in family.get("students", [])],
                }
            )
            for family in data["families"]
        ],
        first_names=data["load"]["first_names"],
        load_course_sets=[LoadCourseSet(**item) for item in data["load"]["course_sets"]],
    )


DATA = load_data()


def demo_password(identifier: str) -> str:
    """The fixed demo password of a demo identifier (printed by ``seed_demo``)."""
    return f"Demo-{identifier}-2025"


@transaction.atomic
def seed_catalogue() -> tuple[SchoolYear, SchoolYear, Campaign]:
    """School years, formulas, courses and slots, and the open 2025-2026 campaign."""
    previous = SchoolYear.for_start_year(CAMPAIGN_YEAR - 1)
    year = SchoolYear.for_start_year(CAMPAIGN_YEAR)
    for order, (code, name) in enumerate(DATA.formulas):
        Formula.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for order, spec in enumerate(DATA.catalogue):
        course, _ = Course.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "discipline": spec.discipline,
                "kind": spec.kind,
                "order": order,
                "question": spec.question,
            },
        )
        for school_year in (previous, year):
            for slot in spec.slots:
                CourseSlot.objects.get_or_create(
                    course=course,
                    school_year=school_year,
                    weekday=slot.weekday,
                    starts_at=slot.start,
                    defaults={"ends_at": slot.end, "label": slot.label},
                )
    courses = {course.code: course for course in Course.objects.all()}
    for spec in DATA.catalogue:
        if spec.next_course and courses[spec.code].next_course_id is None:
            courses[spec.code].next_course = courses[spec.next_course]
            courses[spec.code].save(update_fields=["next_course"])
    now = timezone.now()
    opens_at = min(now, datetime.datetime(2025, 5, 15, tzinfo=datetime.UTC))
    campaign, _ = Campaign.objects.get_or_create(
        school_year=year,
        defaults={
            "previous_year": previous,
            # Open from the guide's spring 2025 until a year after the first seeding,
            # so the demo campaign is open whenever the demo is tried.
            "opens_at": opens_at,
            "closes_at": now + datetime.timedelta(days=365),
            "rules_version": DATA.rules_version,
            "rules_text": DATA.rules_text,
            # Published, unless another campaign already is (one at a time).
            "published": not Campaign.objects.filter(published=True).exists(),
            "published_at": opens_at,
        },
    )
    return previous, year, campaign


@transaction.atomic
def seed_families(previous: SchoolYear) -> list[dict]:
    """The hand-written demo families; returns their logins."""
    courses = {c.code: c for c in Course.objects.all()}
    formulas = {f.code: f for f in Formula.objects.all()}
    logins = []
    for spec in DATA.families:
        family, _ = Family.objects.get_or_create(
            legacy_id=f"DEMO-{spec.key}",
            defaults={
                "name": spec.name,
                "address": spec.address,
                "postal_code": spec.postal_code,
                "city": spec.city,
                "is_resident": spec.resident,
                "qf_value": spec.qf,
                "qf_year": 2025 if spec.qf else None,
                "qf_proven": spec.qf_proven,
            },
        )
        students = []
        for student_spec in spec.students:
            student, _ = Student.objects.get_or_create(
                legacy_id=f"DEMO-{student_spec.key}",
                defaults={
                    "family": family,
                    "first_name": student_spec.first_name,
                    "last_name": spec.name,
                    "birth_date": student_spec.birth_date,
                    "school_level": student_spec.level,
                    "school_name": student_spec.school,
                    "is_adult_learner": student_spec.adult,
                },
            )
            enrolment, created = Enrolment.objects.get_or_create(
                student=student,
                school_year=previous,
                defaults={
                    "formula": formulas[student_spec.formula],
                    "instrument_year": student_spec.instrument_year,
                },
            )
            if created:
                EnrolmentCourse.objects.bulk_create(
                    EnrolmentCourse(enrolment=enrolment, course=courses[code])
                    for code in student_spec.courses
                )
            students.append(student.full_name)
        for person in spec.responsibles:
            password = demo_password(person.identifier)
            user, created = User.objects.get_or_create(
                username=person.identifier,
                defaults={
                    "family": family,
                    "first_name": person.first_name,
                    "last_name": spec.name,
                    "email": person.email,
                    "mobile": person.mobile,
                    "relation": person.relation,
                },
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            logins.append(
                {
                    "identifier": user.username,
                    "email": user.email,
                    "password": password,
                    "students": students,
                    "staff": False,
                }
            )
    return logins


def seed_staff() -> dict:
    """The secretariat's demo account (staff and superuser)."""
    user, created = User.objects.get_or_create(
        username=STAFF_IDENTIFIER,
        defaults={
            "first_name": "Secrétariat",
            "last_name": "Conservatoire",
            "email": "secretariat@example.org",
            "is_staff": True,
            "is_superuser": True,
        },
    )
    if created:
        user.set_password(STAFF_PASSWORD)
        user.save(update_fields=["password"])
    return {
        "identifier": user.username,
        "email": user.email,
        "password": STAFF_PASSWORD,
        "students": [],
        "staff": True,
    }


@transaction.atomic
def seed_load_families(count: int, previous: SchoolYear) -> list[dict]:
    """``count`` generated families (one responsible, one or two children) for load tests.

    Identifiers are ``charge-00001``…; all share one password, hashed once.
    Existing ones are kept, so the command stays idempotent.
    """
    if count <= 0:
        return []
    courses = {c.code: c for c in Course.objects.all()}
    formulas = {f.code: f for f in Formula.objects.all()}
    keys = [f"LOAD-{i:05d}" for i in range(1, count + 1)]
    existing = set(Family.objects.filter(legacy_id__in=keys).values_list("legacy_id", flat=True))
    missing = [k for k in keys if k not in existing]
    Family.objects.bulk_create(
        [
            Family(
                legacy_id=key,
                name=f"Charge {key[5:]}",
                address=f"{int(key[5:]) % 90 + 1} rue des Essais",
                postal_code="69760",
                city="Limonest",
                is_resident=int(key[5:]) % 4 != 0,
                qf_value=300 + (int(key[5:]) * 37) % 1700,
                qf_year=2025,
                qf_proven=int(key[5:]) % 3 != 0,
            )
            for key in missing
        ],
        batch_size=1000,
    )
    families = {f.legacy_id: f for f in Family.objects.filter(legacy_id__in=missing)}
    password_hash = make_password(LOAD_PASSWORD)
    users, students = [], []
    for key in missing:
        number = int(key[5:])
        family = families[key]
        users.append(
            User(
                username=f"charge-{number:05d}",
                family=family,
                first_name="Parent",
                last_name=family.name,
                email=f"charge-{number:05d}@example.org",
                password=password_hash,
            )
        )
        for child in range(1 + number % 2):
            students.append(
                Student(
                    family=family,
                    legacy_id=f"{key}-{child}",
                    first_name=DATA.first_names[(number + child) % len(DATA.first_names)],
                    last_name=family.name,
                    school_level=SchoolLevel.CM1,
                )
            )
    User.objects.bulk_create(users, batch_size=1000)
    Student.objects.bulk_create(students, batch_size=1000)
    created_students = Student.objects.filter(family__legacy_id__in=missing).order_by("pk")
    enrolments, plans = [], []
    for index, student in enumerate(created_students):
        course_set = DATA.load_course_sets[index % len(DATA.load_course_sets)]
        enrolments.append(
            Enrolment(
                student=student,
                school_year=previous,
                formula=formulas[course_set.formula],
                instrument_year=course_set.instrument_year,
            )
        )
        plans.append(course_set.courses)
    Enrolment.objects.bulk_create(enrolments, batch_size=1000)
    saved = Enrolment.objects.filter(
        student__family__legacy_id__in=missing, school_year=previous
    ).order_by("student_id")
    by_student = {e.student_id: e for e in saved}
    lines = []
    for student, codes in zip(created_students, plans, strict=True):
        for code in codes:
            lines.append(EnrolmentCourse(enrolment=by_student[student.pk], course=courses[code]))
    EnrolmentCourse.objects.bulk_create(lines, batch_size=2000)
    names_by_family: dict[str, list[str]] = {}
    for first, last, legacy in Student.objects.filter(family__legacy_id__in=keys).values_list(
        "first_name", "last_name", "family__legacy_id"
    ):
        names_by_family.setdefault(legacy, []).append(f"{first} {last}")
    return [
        {
            "identifier": f"charge-{int(key[5:]):05d}",
            "email": f"charge-{int(key[5:]):05d}@example.org",
            "password": LOAD_PASSWORD,
            "students": names_by_family.get(key, []),
            "staff": False,
        }
        for key in keys
    ]


def seed_demo(load_families: int = 0) -> list[dict]:
    """Build (or complete) the whole demo; returns every demo login."""
    previous, year, _campaign = seed_catalogue()
    ensure_demo_grid(year)
    ensure_demo_document_types(year)
    logins = [seed_staff()]
    logins += seed_families(previous)
    logins += seed_load_families(load_families, previous)
    return logins
