"""Payment references and bank account strings: the PayFiP reference, IBAN/BIC clean-up
and masking, the account holder's name, whether two accounts are at the same bank.
Pure functions on plain strings."""

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

# The debtor's name in a SEPA direct debit (EPC rulebook, attribute AT-14): 70
# characters. The form, the model and the service all stop there, so what the
# family types is what the bank receives (never cut silently).
HOLDER_MAX_LENGTH = 70


def payfip_reference(start_year: int, family_pk: int) -> str:
    """The invoice reference a family types on PayFiP: ``2025000123`` + a mod-97 key.

    ``R2025000123-47``: the key catches a mistyped digit.
    """
    body = f"{start_year}{family_pk:06d}"
    key = 97 - (int(body) * 100) % 97
    return f"R{body}-{key:02d}"


def compact_code(value: str) -> str:
    """An IBAN or BIC as stored: no spaces, upper case."""
    return "".join(value.split()).upper()


def mask_iban(iban: str) -> str:
    """``FR76 **** **** **** **** ***0 189``: country, check digits and last 4 only."""
    compact = compact_code(iban)
    if len(compact) < 8:
        return "*" * len(compact)
    masked = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def clean_holder(value: str) -> str:
    """The account holder's name as stored: single spaces, no leading or trailing ones."""
    return " ".join(value.split())


def same_bank(iban: str, other: str) -> bool:
    """Whether two IBANs are held at the same bank (same country and bank code).

    Unknown (an IBAN schwifty cannot read): False, the safe answer for a
    mandate amendment (the bank is then told the debtor's bank changed).
    """
    try:
        first, second = IBAN(iban), IBAN(other)
    except SchwiftyException:
        return False
    return (first.country_code, first.bank_code) == (second.country_code, second.bank_code)
