"""The creditor of the direct debits (the conservatoire's régie).

Its name, address and SEPA creditor identifier (ICS) are the conservatoire's
identity (:class:`conservatoire.models.Identity`, edited by staff in the admin;
the settings only seed it). ``settings.BILLING_CREDITOR`` (a dict, optional)
overrides the other defaults below (the régie's IBAN and BIC, the RUM prefix, the
PayFiP client). The default IBAN is a structurally valid placeholder for the demo:
production sets the real one from the environment.
"""

from dataclasses import dataclass

from django.conf import settings

from conservatoire.models import Identity

DEFAULTS = {
    "name": "",  # the identity's
    "address": "",  # the identity's
    "ics": "FR72ZZZ123456",  # the identity's (seeded from BILLING_CREDITOR["ics"])
    "iban": "FR7610071690000000100012383",  # compte de la régie (placeholder)
    "bic": "TRPUFRP1XXX",
    "rum_prefix": "LIM",
    "payfip_client": "012345",  # numéro client PayFiP de la régie (placeholder)
}


@dataclass(frozen=True)
class Creditor:
    name: str
    address: str
    ics: str
    iban: str
    bic: str
    rum_prefix: str
    payfip_client: str

    @property
    def address_lines(self) -> list[str]:
        return [part.strip() for part in self.address.split(",") if part.strip()]


def creditor() -> Creditor:
    values = dict(DEFAULTS)
    values.update(getattr(settings, "BILLING_CREDITOR", None) or {})
    identity = Identity.current()
    values["name"] = identity.name
    values["address"] = identity.address
    values["ics"] = identity.ics or values["ics"]
    return Creditor(**{key: str(values[key]) for key in DEFAULTS})
