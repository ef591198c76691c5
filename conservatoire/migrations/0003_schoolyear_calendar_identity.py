"""The school year's calendar (single payment, direct debits, QF year, bank change date),
filled for the existing years with the defaults of their first year, and the
conservatoire's identity."""

import datetime

import django.core.validators
from django.db import migrations, models


def fill_calendars(apps, schema_editor):
    SchoolYear = apps.get_model("conservatoire", "SchoolYear")
    for year in SchoolYear.objects.all():
        start = year.starts_on.year
        year.single_payment_on = year.single_payment_on or datetime.date(start, 10, 25)
        year.first_debit_on = year.first_debit_on or datetime.date(start, 11, 1)
        year.qf_year = year.qf_year or start
        year.bank_change_since = year.bank_change_since or datetime.date(start - 1, 9, 1)
        year.save(
            update_fields=["single_payment_on", "first_debit_on", "qf_year", "bank_change_since"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("conservatoire", "0002_outbox_retries"),
    ]

    operations = [
        migrations.AddField(
            model_name="schoolyear",
            name="single_payment_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="schoolyear",
            name="first_debit_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="schoolyear",
            name="instalments",
            field=models.PositiveSmallIntegerField(
                default=9,
                help_text="One a month from the first; also the basis of the proration of a late start.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(12),
                ],
                verbose_name="number of direct debits",
            ),
        ),
        migrations.AddField(
            model_name="schoolyear",
            name="qf_year",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="schoolyear",
            name="bank_change_since",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(fill_calendars, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="schoolyear",
            name="single_payment_on",
            field=models.DateField(
                blank=True,
                help_text="“Payment in one instalment from …”: the date of the invoice. Empty: 25 October of the first year.",
                verbose_name="single payment invoiced from",
            ),
        ),
        migrations.AlterField(
            model_name="schoolyear",
            name="first_debit_on",
            field=models.DateField(
                blank=True,
                help_text="The month of the first direct debit (debits are on the 1st of each month). Empty: November of the first year.",
                verbose_name="first direct debit",
            ),
        ),
        migrations.AlterField(
            model_name="schoolyear",
            name="qf_year",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="The year of the CAF certificate asked for. Empty: the first year.",
                verbose_name="year of the quotient familial",
            ),
        ),
        migrations.AlterField(
            model_name="schoolyear",
            name="bank_change_since",
            field=models.DateField(
                blank=True,
                help_text="“Has your bank changed since …?”: a new SEPA mandate and RIB are asked only after a change since this month. Empty: September of the year before.",
                verbose_name="bank change reference date",
            ),
        ),
        migrations.CreateModel(
            name="Identity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=150, verbose_name="name")),
                (
                    "commune",
                    models.CharField(
                        help_text="The commune whose residents pay by quotient familial (“Resident of …”).",
                        max_length=100,
                        verbose_name="commune",
                    ),
                ),
                (
                    "address",
                    models.CharField(
                        help_text="Lines separated by commas: the street, then the postal code and the town.",
                        max_length=255,
                        verbose_name="address",
                    ),
                ),
                ("email", models.EmailField(max_length=254, verbose_name="email")),
                ("phone", models.CharField(blank=True, max_length=30, verbose_name="phone")),
                ("website", models.URLField(blank=True, verbose_name="website")),
                (
                    "planning_url",
                    models.URLField(
                        blank=True,
                        help_text="The page of the provisional course plannings, linked from the wizard.",
                        verbose_name="planning page",
                    ),
                ),
                (
                    "ics",
                    models.CharField(
                        max_length=35,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$",
                                "An ICS looks like FR12ZZZ123456 (capital letters and digits, no space).",
                            )
                        ],
                        verbose_name="SEPA creditor identifier (ICS)",
                    ),
                ),
                (
                    "logo",
                    models.ImageField(
                        blank=True,
                        help_text="PNG or JPEG, shown at the top of the recap and of the SEPA mandate.",
                        upload_to="identity/",
                        validators=[
                            django.core.validators.FileExtensionValidator(["png", "jpg", "jpeg"])
                        ],
                        verbose_name="logo for the PDFs",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "conservatoire identity",
                "verbose_name_plural": "conservatoire identity",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("pk", 1)), name="identity_is_a_singleton"
                    )
                ],
            },
        ),
    ]
