import pytest
from django.test import TestCase

from billing.demo import ensure_demo_grid
from billing.services import load_grid
from tests.factories import SchoolYearFactory


@pytest.fixture
def school_year(db):
    return SchoolYearFactory()


@pytest.fixture
def demo_grid(school_year):
    return ensure_demo_grid(school_year)


@pytest.fixture
def grid_data(demo_grid):
    return load_grid(demo_grid.school_year)


def committed():
    """Run the on-commit callbacks (Celery eager, outbox) at the end of the block."""
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def future_year(db):
    """A school year starting next September, whose debits are all still to come."""
    import datetime

    from django.utils import timezone

    start = timezone.localdate().year + 1
    return SchoolYearFactory(
        label=f"{start}-{start + 1}",
        starts_on=datetime.date(start, 9, 1),
        ends_on=datetime.date(start + 1, 8, 31),
    )
