"""Payment references and bank account strings: the PayFiP reference, IBAN/BIC clean-up
and masking. Pure functions on plain strings."""


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
