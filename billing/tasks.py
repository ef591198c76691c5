"""Celery tasks: pre-notify direct-debit families of their schedule.

SEPA requires the debtor to know the amount and date of each debit at least 14
days before it. Once staff set a family's final amount, ``send_prenotification``
emails the debits to come as the ledger has them (those already sent to the bank,
then what is left spread over the months left) and what was already debited;
``send_due_prenotifications`` (Celery beat, daily) catches any family the broker
missed or whose amount changed.
"""

import logging

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.emails import family_recipients
from conservatoire.emails import queue_email

from . import ledger
from .conf import creditor
from .models import FamilyBilling, Mandate, PaymentMode

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_prenotification(billing_pk: int) -> str:
    """Email one family its debit schedule, once per final amount."""
    with transaction.atomic():
        billing = (
            FamilyBilling.objects.select_for_update(of=("self",))
            .select_related("family", "school_year")
            .filter(pk=billing_pk)
            .first()
        )
        if billing is None or billing.payment_mode != PaymentMode.MONTHLY:
            return "skipped"
        if billing.final_amount is None:
            return "not final"
        if billing.prenotified_total == billing.final_amount:
            return "already sent"
        today = timezone.localdate()
        instalments = ledger.upcoming_debits(billing, today)
        if not instalments:
            return "nothing due"
        recipients, greeting = family_recipients(billing.family)
        if not recipients:
            logger.warning("Family billing %s: no responsible email to pre-notify.", billing_pk)
            return "no recipient"
        mandate = Mandate.objects.current_for(billing.family)
        queue_email(
            "billing_prenotification",
            recipients,
            "billing/emails/prenotification",
            {
                "family": billing.family,
                "school_year": billing.school_year,
                "total": billing.final_amount,
                "instalments": instalments,
                "mandate": mandate,
                "creditor": creditor(),
                "reason": billing.final_reason,
                "already_debited": ledger.debited_before(billing, today),
                **greeting,
            },
        )
        billing.prenotified_at = timezone.now()
        billing.prenotified_total = billing.final_amount
        billing.save(update_fields=["prenotified_at", "prenotified_total"])
    return "sent"


@shared_task
def send_due_prenotifications(limit: int = 1000) -> int:
    """Pre-notify every direct-debit family whose final amount was not yet notified."""
    pending = (
        FamilyBilling.objects.filter(payment_mode=PaymentMode.MONTHLY, final_amount__isnull=False)
        .exclude(prenotified_total=F("final_amount"))
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    for pk in list(pending):
        send_prenotification.delay(pk)
        count += 1
    return count
