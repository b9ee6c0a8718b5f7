import pytest

from tests.reports.scenario import admin_user, office_calendar, office_weeks  # noqa: F401
from tests.support.factories import SLAPlanFactory


@pytest.fixture
def plans(desk):
    """The plans random activity moves tickets between (IT's default: office hours)."""
    office = SLAPlanFactory(
        name="Office hours", calendar=office_calendar(), first_response_minutes=60
    )
    desk.it.default_sla_plan = office
    desk.it.save(update_fields=["default_sla_plan"])
    return [office, desk.critical, None, desk.standard]
