"""The settings of the test run: the project's, loaded as `make run` loads them.

``conservatoire.settings`` reads ``DEBUG`` once, when imported, and leaves it off
unless asked (production's safe default). The test client speaks plain HTTP to
``testserver`` and the static files are not collected, so the suite loads the
settings with ``DEBUG=1`` (no HTTPS redirect, no ``__Host-`` cookies, plain static
storage), as ``make run`` does; pytest-django then turns ``settings.DEBUG`` off
for every test, so error pages are the production ones. Subprocesses started by
the tests inherit the variable unless they set their own (the production-settings
tests pass ``DEBUG=0``; tests/conservatoire/test_debug_default.py none at all).
"""

import os

os.environ.setdefault("DEBUG", "1")

from conservatoire.settings import *  # noqa: E402, F403
