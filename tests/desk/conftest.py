import pytest
from django.test import Client


@pytest.fixture
def client_for():
    """client_for(user) -> a test client logged in as that user (None: anonymous)."""

    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
