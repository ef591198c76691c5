"""Campaigns get a publication state; the campaign families were being served stays served.

A database of 2025-2026 keeps serving its families: the campaign that was open
now (else the latest one) becomes the published one. At most one campaign is
published (a partial unique index).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def publish_the_served_campaign(apps, schema_editor):
    Campaign = apps.get_model("reinscription", "Campaign")
    now = timezone.now()
    campaigns = Campaign.objects.order_by("-opens_at", "-pk")
    served = campaigns.filter(opens_at__lte=now, closes_at__gt=now).first() or campaigns.first()
    # Every campaign families have seen counts as published once (their documents and
    # recaps stay theirs); the one served now is the published one.
    Campaign.objects.filter(opens_at__lte=now).update(published_at=models.F("opens_at"))
    if served is not None:
        Campaign.objects.filter(pk=served.pk).update(
            published=True, published_at=min(served.opens_at, now)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reinscription", "0003_campaignstudent_exportjob_remindersent"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="published",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Families see the published campaign between its dates. Publish it from "
                    "the campaign's readiness page: only one campaign is published at a time."
                ),
                verbose_name="published to families",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first published at"),
        ),
        migrations.AddField(
            model_name="campaign",
            name="published_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="published by",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.UniqueConstraint(
                condition=models.Q(("published", True)),
                fields=("published",),
                name="campaign_one_published",
            ),
        ),
        migrations.RunPython(publish_the_served_campaign, migrations.RunPython.noop),
    ]
