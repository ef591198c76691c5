"""Rewrite the stored mobiles as E.164 (+33612345678), before the column becomes a
PhoneNumberField (0004), which stores that form and shows 06 12 34 56 78.

Each responsible's mobile, and the same column of their history rows, is read as a
French number ("06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78"…):

- a valid number is rewritten as E.164, whatever its type (a landline typed in
  the mobile field stays, the family is asked for a mobile at its next change);
- a value that is not a valid number is left as typed: nothing is lost, the
  field shows it as it is, and the account page, the wizard and the admin refuse
  it until someone corrects it. Blanking it would lose what the secretariat may
  still read and call.

Backwards, E.164 French numbers go back to the national form "06 12 34 56 78".
"""

import phonenumbers
from django.db import migrations


def as_e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def as_national(raw: str) -> str | None:
    if not raw.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(number) != "FR":
        return None  # the old field held French numbers: keep the international form
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def rewrite(apps, convert) -> None:
    for model_name in ("User", "HistoricalUser"):
        model = apps.get_model("accounts", model_name)
        pk = model._meta.pk.name
        rows = model.objects.exclude(mobile="").values_list(pk, "mobile")
        for key, mobile in list(rows):  # a few thousand rows at most
            converted = convert(mobile.strip())
            if converted and converted != mobile:
                model.objects.filter(**{pk: key}).update(mobile=converted)


def forwards(apps, schema_editor):
    rewrite(apps, as_e164)


def backwards(apps, schema_editor):
    rewrite(apps, as_national)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_password_reset_request"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
