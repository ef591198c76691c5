"""factory_boy factories for every app's models."""

import datetime

import factory
from django.utils import timezone

from accounts.models import Family, Student, User
from billing.models import Formula
from conservatoire.models import SchoolYear
from reinscription.models import Campaign, Course, CourseSlot, Enrolment, EnrolmentCourse

DEFAULT_PASSWORD = "Mot-de-passe-tres-long-42"


class SchoolYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolYear
        django_get_or_create = ["label"]

    label = "2025-2026"
    starts_on = datetime.date(2025, 9, 1)
    ends_on = datetime.date(2026, 8, 31)


class PreviousSchoolYearFactory(SchoolYearFactory):
    label = "2024-2025"
    starts_on = datetime.date(2024, 9, 1)
    ends_on = datetime.date(2025, 8, 31)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ["school_year"]

    school_year = factory.SubFactory(SchoolYearFactory)
    previous_year = factory.SubFactory(PreviousSchoolYearFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    rules_version = "2025-1"
    rules_text = "Toute inscription engage le règlement de l'année complète."
    published = True
    published_at = factory.SelfAttribute("opens_at")


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    name = factory.Faker("last_name", locale="fr_FR")
    address = factory.Faker("street_address", locale="fr_FR")
    postal_code = "69760"
    city = "Limonest"
    is_resident = True
    qf_value = 800
    qf_year = 2025
    qf_proven = True


class ResponsibleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.SelfAttribute("family.name")
    email = factory.Sequence(lambda n: f"parent{n}@example.org")
    mobile = "06 12 34 56 78"
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(ResponsibleFactory):
    family = None
    last_name = "Secrétariat"
    is_staff = True
    is_superuser = True


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.SelfAttribute("family.name")
    birth_date = datetime.date(2015, 5, 1)
    school_level = "cm2"


class FormulaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Formula
        django_get_or_create = ["code"]

    code = "cursus-musique"
    name = "Cursus musique"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ["code"]

    code = "fm1c1"
    name = "FM1C1"
    discipline = "music"
    kind = Course.Kind.MUSICIANSHIP


class CourseSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseSlot

    course = factory.SubFactory(CourseFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    weekday = 2
    starts_at = datetime.time(14, 0)
    ends_at = datetime.time(15, 0)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment
        skip_postgeneration_save = True

    student = factory.SubFactory(StudentFactory)
    school_year = factory.SubFactory(PreviousSchoolYearFactory)
    formula = factory.SubFactory(FormulaFactory)

    @factory.post_generation
    def courses(obj, create, extracted, **kwargs):
        """``EnrolmentFactory(courses=["fm1c1", "piano"])`` adds those course codes."""
        if not create or not extracted:
            return
        for code in extracted:
            course = Course.objects.filter(code=code).first() or CourseFactory(
                code=code, name=code.upper()
            )
            EnrolmentCourse.objects.create(enrolment=obj, course=course)
