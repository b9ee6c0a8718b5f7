import pytest

from tests.support.factories import AgentFactory, UserFactory


@pytest.fixture
def staff_two_factor(settings):
    settings.REQUIRE_STAFF_2FA = True


@pytest.fixture
def agent_user(db):
    return AgentFactory().user


@pytest.fixture
def requester(db):
    return UserFactory()
