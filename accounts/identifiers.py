"""Readable secrets: identifiers and passwords without ambiguous characters."""

import secrets

# No 0/O/o, 1/l/I, nor 5/S, 2/Z: easy to read from an email and to type.
READABLE_LETTERS = "abcdefghjkmnpqrstuvwxyz"
READABLE_DIGITS = "346789"
READABLE_ALPHABET = (
    READABLE_LETTERS + READABLE_LETTERS.upper().replace("S", "").replace("Z", "") + READABLE_DIGITS
)


def generate_identifier(last_name: str = "") -> str:
    """An identifier like ``dupont-k7mq4``: the family name and a random readable suffix."""
    from django.utils.text import slugify

    # The stem is the family name, as typed letters; only the random part avoids
    # ambiguous characters (a name is read as a word, a random suffix is not).
    stem = "".join(c for c in slugify(last_name) if c.isascii() and c.isalpha())[:12]
    stem = stem or "famille"
    suffix = "".join(secrets.choice(READABLE_LETTERS + READABLE_DIGITS) for _ in range(5))
    return f"{stem}-{suffix}"


def generate_password(length: int = 14) -> str:
    """A random password of ``length`` readable characters (at least 12)."""
    length = max(length, 12)
    return "".join(secrets.choice(READABLE_ALPHABET) for _ in range(length))
