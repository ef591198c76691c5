"""The creditor of the direct debits (the conservatoire's régie), from settings.

``settings.BILLING_CREDITOR`` (a dict, optional) overrides any of the defaults
below; the name and address default to ``settings.CONSERVATOIRE``. The default
ICS and IBAN are structurally valid placeholders for the demo: production sets
the real ones from the environment.
"""

from dataclasses import dataclass

from django.conf import settings

DEFAULTS = {
    "name": "",  # settings.CONSERVATOIRE["name"]
    "address": "",  # settings.CONSERVATOIRE["address"]
    "ics": "FR72ZZZ123456",  # identifiant créancier SEPA (placeholder)
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
    conservatoire = getattr(settings, "CONSERVATOIRE", {})
    values["name"] = values["name"] or conservatoire.get("name", "Conservatoire")
    values["address"] = values["address"] or conservatoire.get("address", "")
    return Creditor(**{key: str(values[key]) for key in DEFAULTS})
