"""The demo conservatoire: catalogue, campaign and families covering the guide's cases.

Everything is created with ``get_or_create`` on stable keys, so running it twice
leaves the same data. Demo passwords are fixed and printed by ``seed_demo``.
"""

import datetime
from dataclasses import dataclass, field

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

FORMULAS = [
    ("eveil", "Éveil artistique"),
    ("decouverte", "Découverte instrumentale"),
    ("cursus-musique", "Cursus musique (instrument, formation musicale, pratique collective)"),
    ("fm-seule", "Formation musicale seule"),
    ("pratique-collective", "Pratique collective seule"),
    ("second-instrument", "Second instrument"),
    ("danse", "Danse"),
    ("theatre", "Théâtre"),
    ("adulte", "Adulte (instrument)"),
]

C = Course.Kind
D = Discipline
# code, name, discipline, kind, slots [(weekday, start, end, label)]
CATALOGUE = [
    (
        "eveil",
        "Éveil artistique",
        D.AWAKENING,
        C.AWAKENING,
        [(Weekday.WEDNESDAY, "10:00", "11:00", ""), (Weekday.SATURDAY, "11:00", "12:00", "")],
    ),
    (
        "decouverte",
        "Découverte instrumentale",
        D.MUSIC,
        C.DISCOVERY,
        [(Weekday.MONDAY, "17:00", "18:00", ""), (Weekday.WEDNESDAY, "15:00", "16:00", "")],
    ),
    (
        "fm1c1",
        "FM1C1",
        D.MUSIC,
        C.MUSICIANSHIP,
        [(Weekday.WEDNESDAY, "14:00", "15:00", ""), (Weekday.SATURDAY, "10:30", "11:30", "")],
    ),
    (
        "fm1c2",
        "FM1C2",
        D.MUSIC,
        C.MUSICIANSHIP,
        [(Weekday.WEDNESDAY, "15:00", "16:00", ""), (Weekday.SATURDAY, "11:30", "12:30", "")],
    ),
    (
        "fm1c3",
        "FM1C3",
        D.MUSIC,
        C.MUSICIANSHIP,
        [(Weekday.WEDNESDAY, "16:00", "17:00", ""), (Weekday.SATURDAY, "13:30", "14:30", "")],
    ),
    (
        "fm1c4",
        "FM1C4",
        D.MUSIC,
        C.MUSICIANSHIP,
        [
            (Weekday.SATURDAY, "09:30", "10:30", "orchestre le mercredi"),
            (Weekday.SATURDAY, "10:30", "11:30", "chorale à 9h30"),
        ],
    ),
    ("fm2c1", "FM2C1", D.MUSIC, C.MUSICIANSHIP, [(Weekday.WEDNESDAY, "17:00", "18:00", "")]),
    ("fm2c2", "FM2C2", D.MUSIC, C.MUSICIANSHIP, [(Weekday.WEDNESDAY, "18:00", "19:00", "")]),
    ("piano", "Piano", D.MUSIC, C.INSTRUMENT, []),
    ("violon", "Violon", D.MUSIC, C.INSTRUMENT, []),
    ("guitare", "Guitare", D.MUSIC, C.INSTRUMENT, []),
    ("flute", "Flûte traversière", D.MUSIC, C.INSTRUMENT, []),
    ("clarinette", "Clarinette", D.MUSIC, C.INSTRUMENT, []),
    ("batterie", "Batterie", D.MUSIC, C.INSTRUMENT, []),
    ("orchestre", "Orchestre", D.MUSIC, C.ENSEMBLE, [(Weekday.WEDNESDAY, "17:00", "18:30", "")]),
    (
        "chorale",
        "Chorale Domin'ut",
        D.MUSIC,
        C.ENSEMBLE,
        [(Weekday.SATURDAY, "09:30", "10:30", "")],
    ),
    ("danse", "Danse", D.DANCE, C.DANCE, [(Weekday.WEDNESDAY, "13:30", "14:30", "")]),
    ("theatre", "Théâtre", D.THEATRE, C.THEATRE, [(Weekday.FRIDAY, "18:00", "19:30", "")]),
]


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
    qf: int | None
    qf_proven: bool
    responsibles: list[DemoResponsible]
    students: list[DemoStudent] = field(default_factory=list)


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


FAMILIES = [
    DemoFamily(
        "martin",
        "Martin",
        "12 chemin de la Sablière",
        "69760",
        "Limonest",
        True,
        850,
        True,
        [
            DemoResponsible(
                "martin-claire", "Claire", "mère", "claire.martin@example.org", "06 12 34 56 78"
            ),
            DemoResponsible(
                "martin-julien", "Julien", "père", "julien.martin@example.org", "06 98 76 54 32"
            ),
        ],
        [
            DemoStudent(
                "martin-lea",
                "Léa",
                _d("2014-03-02"),
                "5e",
                "Collège Jean-Giono",
                "cursus-musique",
                ["fm1c2", "piano", "chorale"],
                instrument_year=2,
            ),
            DemoStudent(
                "martin-hugo",
                "Hugo",
                _d("2020-06-11"),
                "gs",
                "École des Sources",
                "eveil",
                ["eveil"],
            ),
            DemoStudent(
                "martin-emma",
                "Emma",
                _d("2017-09-23"),
                "ce2",
                "École des Sources",
                "decouverte",
                ["decouverte"],
            ),
        ],
    ),
    DemoFamily(
        "bernard",
        "Bernard",
        "3 rue du Puy d'Or",
        "69760",
        "Limonest",
        True,
        None,
        False,
        [
            DemoResponsible(
                "bernard-sarah", "Sarah", "mère", "sarah.bernard@example.org", "07 11 22 33 44"
            )
        ],
        [
            DemoStudent(
                "bernard-chloe",
                "Chloé",
                _d("2016-01-15"),
                "cm1",
                "École du Bourg",
                "cursus-musique",
                ["fm1c1", "violon", "chorale"],
                instrument_year=1,
            )
        ],
    ),
    DemoFamily(
        "petit",
        "Petit",
        "8 allée des Tilleuls",
        "69760",
        "Limonest",
        True,
        450,
        True,
        [
            DemoResponsible(
                "petit-karim", "Karim", "père", "karim.petit@example.org", "06 55 44 33 22"
            )
        ],
        [
            DemoStudent(
                "petit-nathan",
                "Nathan",
                _d("2013-05-30"),
                "4e",
                "Collège Jean-Giono",
                "cursus-musique",
                ["fm1c3", "guitare", "orchestre"],
                instrument_year=3,
            )
        ],
    ),
    DemoFamily(
        "durand",
        "Durand",
        "25 avenue de la Porte de Lyon",
        "69570",
        "Dardilly",
        False,
        None,
        False,
        [
            DemoResponsible(
                "durand-anne", "Anne", "mère", "anne.durand@example.org", "06 01 02 03 04"
            )
        ],
        [
            DemoStudent(
                "durand-manon",
                "Manon",
                _d("2012-11-08"),
                "3e",
                "Collège de Dardilly",
                "cursus-musique",
                ["fm1c4", "flute", "orchestre"],
                instrument_year=4,
            )
        ],
    ),
    DemoFamily(
        "leroy",
        "Leroy",
        "4 impasse des Vignes",
        "69760",
        "Limonest",
        True,
        1300,
        True,
        [DemoResponsible("leroy-marc", "Marc", "père", "marc.leroy@example.org", "06 70 80 90 10")],
        [
            DemoStudent(
                "leroy-ines",
                "Inès",
                _d("2015-07-19"),
                "6e",
                "Collège Jean-Giono",
                "danse",
                ["danse"],
            ),
            DemoStudent(
                "leroy-lucas",
                "Lucas",
                _d("2010-02-27"),
                "2nde",
                "Lycée Sud-Ouest",
                "theatre",
                ["theatre"],
            ),
        ],
    ),
    DemoFamily(
        "moreau",
        "Moreau",
        "17 route de Saint-André",
        "69760",
        "Limonest",
        True,
        1600,
        True,
        [
            DemoResponsible(
                "moreau-sophie",
                "Sophie",
                "élève adulte",
                "sophie.moreau@example.org",
                "06 44 55 66 77",
            )
        ],
        [
            DemoStudent(
                "moreau-sophie",
                "Sophie",
                _d("1985-04-12"),
                "adulte",
                "",
                "adulte",
                ["piano"],
                instrument_year=3,
                adult=True,
            )
        ],
    ),
]


def demo_password(identifier: str) -> str:
    """The fixed demo password of a demo identifier (printed by ``seed_demo``)."""
    return f"Demo-{identifier}-2025"


@transaction.atomic
def seed_catalogue() -> tuple[SchoolYear, SchoolYear, Campaign]:
    """School years, formulas, courses and slots, and the open 2025-2026 campaign."""
    previous = SchoolYear.for_start_year(CAMPAIGN_YEAR - 1)
    year = SchoolYear.for_start_year(CAMPAIGN_YEAR)
    for order, (code, name) in enumerate(FORMULAS):
        Formula.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for order, (code, name, discipline, kind, slots) in enumerate(CATALOGUE):
        course, _ = Course.objects.get_or_create(
            code=code,
            defaults={"name": name, "discipline": discipline, "kind": kind, "order": order},
        )
        for school_year in (previous, year):
            for weekday, start, end, label in slots:
                CourseSlot.objects.get_or_create(
                    course=course,
                    school_year=school_year,
                    weekday=weekday,
                    starts_at=start,
                    defaults={"ends_at": end, "label": label},
                )
    now = timezone.now()
    campaign, _ = Campaign.objects.get_or_create(
        school_year=year,
        defaults={
            "previous_year": previous,
            # Open from the guide's spring 2025 until a year after the first seeding,
            # so the demo campaign is open whenever the demo is tried.
            "opens_at": min(now, datetime.datetime(2025, 5, 15, tzinfo=datetime.UTC)),
            "closes_at": now + datetime.timedelta(days=365),
            "rules_version": "2025-1",
            "rules_text": RULES_TEXT,
        },
    )
    return previous, year, campaign


RULES_TEXT = """Règlement intérieur du Conservatoire municipal de Limonest (version 2025-1).

1. Toute inscription engage le règlement de l'année complète.
2. Les élèves doivent être assidus et ponctuels ; toute absence est signalée au secrétariat.
3. Les élèves mineurs restent sous la responsabilité de leurs parents en dehors des heures de cours.
4. Le matériel prêté par le conservatoire est rendu en bon état en fin d'année.
5. Le coût définitif est déterminé par les services du conservatoire."""


@transaction.atomic
def seed_families(previous: SchoolYear) -> list[dict]:
    """The hand-written demo families; returns their logins."""
    courses = {c.code: c for c in Course.objects.all()}
    formulas = {f.code: f for f in Formula.objects.all()}
    logins = []
    for spec in FAMILIES:
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


FIRST_NAMES = ["Alice", "Baptiste", "Camille", "Dylan", "Elsa", "Gabriel", "Jade", "Louis"]
LOAD_COURSE_SETS = [
    ("cursus-musique", ["fm1c1", "piano", "chorale"], 1),
    ("cursus-musique", ["fm1c3", "violon", "orchestre"], 3),
    ("eveil", ["eveil"], None),
    ("decouverte", ["decouverte"], None),
    ("danse", ["danse"], None),
]


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
                    first_name=FIRST_NAMES[(number + child) % len(FIRST_NAMES)],
                    last_name=family.name,
                    school_level=SchoolLevel.CM1,
                )
            )
    User.objects.bulk_create(users, batch_size=1000)
    Student.objects.bulk_create(students, batch_size=1000)
    created_students = Student.objects.filter(family__legacy_id__in=missing).order_by("pk")
    enrolments, plans = [], []
    for index, student in enumerate(created_students):
        formula, codes, instrument_year = LOAD_COURSE_SETS[index % len(LOAD_COURSE_SETS)]
        enrolments.append(
            Enrolment(
                student=student,
                school_year=previous,
                formula=formulas[formula],
                instrument_year=instrument_year,
            )
        )
        plans.append(codes)
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
