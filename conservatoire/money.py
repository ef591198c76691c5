"""Money: Decimal euros, quantized in one place, formatted the French way."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
THOUSANDS_SEP = "\u202f"  # narrow no-break space
EURO_SEP = "\u00a0"  # no-break space before the euro sign


def to_money(value) -> Decimal:
    """Quantize ``value`` to the cent, rounding half up. Refuses floats."""
    if isinstance(value, float):
        raise TypeError("Money must not be a float; use Decimal or a string.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_euros(value) -> str:
    """``Decimal("1234.5")`` → ``"1 234,50 €"`` (narrow no-break space for thousands)."""
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{THOUSANDS_SEP.join(groups)},{cents}{EURO_SEP}€"
