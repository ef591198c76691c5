"""The password hasher: Argon2id at the cost OWASP recommends for a login page.

Django's default Argon2 parameters (100 MiB, 8 lanes) cost about 250 ms of CPU
per hash on our 2-core machines: at the campaign opening, thousands of
families log in within the hour and the hashes alone would fill both cores.
OWASP's Password Storage Cheat Sheet gives, as equivalent minimum
configurations for Argon2id, m=19 MiB, t=2, p=1 (about 30 ms here), which
is what families get. Hashes made with other parameters still verify, and
are rewritten with these at the next successful login (``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id, 19 MiB, 2 passes, 1 lane; same ``argon2`` prefix as Django's."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
