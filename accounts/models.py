"""Families (foyers), their responsibles (each with a login) and their students."""

import datetime

import phonenumbers
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber, to_python
from simple_history.models import HistoricalRecords

from .identifiers import generate_identifier

# How long an emailed temporary password works.
TEMPORARY_PASSWORD_VALIDITY = datetime.timedelta(hours=24)

FRENCH_MOBILE_ERROR = _("Enter a French mobile number (06 or 07), for example 06 12 34 56 78.")
FRENCH_PHONE_ERROR = _("Enter a French phone number, for example 06 12 34 56 78.")
MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def french_number(value) -> PhoneNumber | None:
    """``value`` (text, typed as the family likes, or a number) if it is a valid French
    phone number (national or +33), else ``None``."""
    if not isinstance(value, str | phonenumbers.PhoneNumber):
        value = str(value)
    number = to_python(value, region="FR")
    if not isinstance(number, PhoneNumber) or not number.is_valid():
        return None
    if phonenumbers.region_code_for_number(number) != "FR":
        return None
    return number


def french_mobile_validator(value) -> None:
    """Accept a French mobile number only (06, 07), in any usual writing."""
    number = french_number(value)
    if number is None or phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise ValidationError(FRENCH_MOBILE_ERROR, code="invalid")


def french_phone_validator(value) -> None:
    """Accept any French phone number, mobile or not (an emergency contact's)."""
    if french_number(value) is None:
        raise ValidationError(FRENCH_PHONE_ERROR, code="invalid")


def imported_values_field() -> models.JSONField:
    """What the last import of last year's file said of an object, ``{field: text}``.

    A stored value that differs from it was changed here since (by the family or the
    secretariat): a later import does not overwrite it unless staff choose so
    (``reinscription.backoffice.imports.conflicts``). Kept out of the history.
    """
    return models.JSONField(
        _("values of the last import"), default=dict, blank=True, editable=False
    )


class SchoolLevel(models.TextChoices):
    """A French list of school levels, from maternelle to supérieur, plus adult."""

    PS = "ps", _("Petite section (maternelle)")
    MS = "ms", _("Moyenne section (maternelle)")
    GS = "gs", _("Grande section (maternelle)")
    CP = "cp", "CP"
    CE1 = "ce1", "CE1"
    CE2 = "ce2", "CE2"
    CM1 = "cm1", "CM1"
    CM2 = "cm2", "CM2"
    SIXIEME = "6e", _("6e")
    CINQUIEME = "5e", _("5e")
    QUATRIEME = "4e", _("4e")
    TROISIEME = "3e", _("3e")
    SECONDE = "2nde", _("Seconde")
    PREMIERE = "1re", _("Première")
    TERMINALE = "tle", _("Terminale")
    SUPERIEUR = "sup", _("Enseignement supérieur")
    ADULTE = "adulte", _("Adulte")


class Family(models.Model):
    """A household (foyer): address, residence and quotient familial."""

    name = models.CharField(_("family name"), max_length=150)
    address = models.CharField(_("address"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    is_resident = models.BooleanField(
        _("resides in Limonest"),
        default=False,
        help_text=_("Residents pay the line of the grid given by their quotient familial."),
    )
    qf_value = models.PositiveIntegerField(_("quotient familial"), null=True, blank=True)
    qf_year = models.PositiveSmallIntegerField(_("year of the QF"), null=True, blank=True)
    qf_proven = models.BooleanField(
        _("QF proven"), default=False, help_text=_("The CAF attestation has been checked.")
    )
    legacy_id = models.CharField(
        _("identifier in the previous tool"), max_length=50, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    imported_values = imported_values_field()
    history = HistoricalRecords(excluded_fields=["imported_values"])

    class Meta:
        verbose_name = _("family")
        verbose_name_plural = _("families")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["legacy_id"],
                condition=~models.Q(legacy_id=""),
                name="family_unique_legacy_id",
            ),
        ]

    def __str__(self):
        return self.name

    def contact_emails(self) -> list[str]:
        """The email addresses of the family's active responsibles (one query)."""
        return list(
            self.responsibles.filter(is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )


class UserQuerySet(models.QuerySet):
    def responsibles(self):
        return self.filter(family__isnull=False)


class IdentifierUserManager(UserManager.from_queryset(UserQuerySet)):
    def get_by_natural_key(self, username):
        """Identifiers are case-insensitive."""
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A login. A responsible of a family is a user with a family; staff have none.

    ``username`` is the identifier sent to the family ("Identifiant"): unique
    whatever the case, and never the email, which two parents may share.
    """

    family = models.ForeignKey(
        Family,
        verbose_name=_("family"),
        related_name="responsibles",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    # Stored as E.164 (+33612345678), shown as 06 12 34 56 78 (PHONENUMBER_DEFAULT_FORMAT).
    mobile = PhoneNumberField(
        _("mobile"),
        max_length=20,
        blank=True,
        region="FR",
        validators=[french_mobile_validator],
        error_messages={"invalid": FRENCH_MOBILE_ERROR},
    )
    relation = models.CharField(
        _("relation to the students"), max_length=50, blank=True, help_text=_("mother, father…")
    )
    access_sent_at = models.DateTimeField(_("access last sent"), null=True, blank=True)
    # The emailed temporary password: only its hash, valid until the expiry.
    temporary_password = models.CharField(
        _("temporary password (hash)"), max_length=128, blank=True
    )
    temporary_password_expires_at = models.DateTimeField(
        _("temporary password expires at"), null=True, blank=True
    )
    must_change_password = models.BooleanField(_("must choose a password"), default=False)
    imported_values = imported_values_field()
    history = HistoricalRecords(
        excluded_fields=["password", "temporary_password", "last_login", "imported_values"]
    )

    objects = IdentifierUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_identifier_ci_unique"),
        ]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username

    def save(self, *args, **kwargs):
        if not self.username:
            self.username = self._free_identifier()
        super().save(*args, **kwargs)

    def _free_identifier(self) -> str:
        while True:
            candidate = generate_identifier(self.last_name)
            if not User.objects.filter(username__iexact=candidate).exists():
                return candidate

    @property
    def is_responsible(self) -> bool:
        return self.family_id is not None

    def set_temporary_password(self, raw_password: str) -> None:
        """Store the hash of a new emailed password, valid 24 hours; the previous one dies."""
        self.temporary_password = make_password(raw_password)
        self.temporary_password_expires_at = timezone.now() + TEMPORARY_PASSWORD_VALIDITY
        self.save(update_fields=["temporary_password", "temporary_password_expires_at"])

    def check_temporary_password(self, raw_password: str) -> bool:
        """Whether ``raw_password`` is the current, unexpired emailed password.

        A hash is computed even when there is no temporary password, so that
        the answer takes the same time either way.
        """
        matches = check_password(raw_password, self.temporary_password)
        expires_at = self.temporary_password_expires_at
        return matches and expires_at is not None and timezone.now() < expires_at

    def consume_temporary_password(self) -> bool:
        """Burn the temporary password (single use) and require a new password.

        A conditional update, so that two simultaneous logins with the same
        temporary password cannot both succeed.
        """
        consumed = User.objects.filter(
            pk=self.pk, temporary_password=self.temporary_password
        ).update(
            temporary_password="", temporary_password_expires_at=None, must_change_password=True
        )
        if consumed:
            self.temporary_password = ""
            self.temporary_password_expires_at = None
            self.must_change_password = True
        return bool(consumed)

    def clear_temporary_password(self) -> None:
        """Forget any temporary password and the duty to change (not saved)."""
        self.temporary_password = ""
        self.temporary_password_expires_at = None
        self.must_change_password = False


class PasswordResetRequest(models.Model):
    """One "Mot de passe perdu" request: whom it targets, from where, what came of it.

    The rows count requests per account and per client address (rate limits),
    and the temporary-password email names its row, so that the worker knows
    whom to generate a password for. The password itself is never stored here.
    """

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("password email queued")
        NO_MATCH = "no_match", _("no active access with this identifier and email")
        THROTTLED = "throttled", _("too many requests for this access")

    user = models.ForeignKey(
        User,
        verbose_name=_("access"),
        related_name="password_reset_requests",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("The access whose identifier was typed, if it exists."),
    )
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    password_issued_at = models.DateTimeField(
        _("password generated at"),
        null=True,
        blank=True,
        help_text=_("When the worker last generated the emailed password."),
    )

    class Meta:
        verbose_name = _("lost password request")
        verbose_name_plural = _("lost password requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="reset_user_created"),
            models.Index(fields=["client_ip", "created_at"], name="reset_ip_created"),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class Responsible(User):
    """The responsibles of families, as the secretariat sees them in admin."""

    class Meta:
        proxy = True
        verbose_name = _("responsible")
        verbose_name_plural = _("responsibles")


class Student(models.Model):
    """A pupil of the conservatoire. An adult learner is a student of their own family."""

    family = models.ForeignKey(
        Family, verbose_name=_("family"), related_name="students", on_delete=models.CASCADE
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    is_adult_learner = models.BooleanField(_("adult learner"), default=False)
    school_level = models.CharField(
        _("school level"), max_length=10, choices=SchoolLevel.choices, blank=True
    )
    school_name = models.CharField(_("school establishment"), max_length=150, blank=True)
    emergency_contact_name = models.CharField(
        _("person to contact in an emergency"), max_length=150, blank=True
    )
    emergency_contact_phone = models.CharField(
        _("emergency phone"), max_length=20, blank=True, validators=[french_phone_validator]
    )
    emergency_contact_relation = models.CharField(_("relation"), max_length=50, blank=True)
    legacy_id = models.CharField(
        _("identifier in the previous tool"), max_length=50, blank=True, db_index=True
    )
    imported_values = imported_values_field()
    history = HistoricalRecords(excluded_fields=["imported_values"])

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["legacy_id"],
                condition=~models.Q(legacy_id=""),
                name="student_unique_legacy_id",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
