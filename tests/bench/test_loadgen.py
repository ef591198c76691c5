"""The load bench's client still goes through the real pages (the bench is not run in CI).

A template or form change that the simulated families cannot follow any more
would otherwise be found only at the next ``make bench``.
"""

import asyncio

import pytest

from bench.loadgen import run_families
from reinscription.demo import LOAD_PASSWORD, seed_demo
from reinscription.models import Reenrolment


@pytest.mark.django_db(transaction=True)
def test_simulated_families_log_in_and_reenrol_every_child(live_server, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # as in production
    seed_demo(load_families=2)
    families = [("charge-00001", LOAD_PASSWORD), ("charge-00002", LOAD_PASSWORD)]
    base_url = live_server.url.replace("http://", "https://")  # the client plays the proxy

    # One at a time: the SQLite test database (shared in memory) locks under writers.
    result = asyncio.run(run_families(base_url, families, concurrency=1, seconds=60))

    assert result.stats.errors == []
    assert len(result.stats.completed) == 2
    # charge-00001 has two children, charge-00002 one (seed_demo: 1 + n % 2).
    assert result.stats.reenrolments == 3
    assert Reenrolment.objects.filter(status=Reenrolment.Status.REENROLLED).count() == 3
    assert len(result.stats.timings["step"]) == 3 * (1 + 7 * 2)
    assert len(result.stats.timings["login"]) == 2
