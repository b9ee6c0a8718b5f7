"""No address answers a crash: every URL pattern of the site, with odd values in its path
parameters and junk in its query and form, as each kind of visitor, gets a 2xx, 3xx or 4xx.

The values are the ones that break naive code: numbers past PostgreSQL's bigint, negative
numbers, NUL and other control characters, very long strings, non-ASCII text."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ODD_NUMBERS = ["0", "9223372036854775808", "99999999999999999999999999"]
ODD_TEXT = ["x", "%00", "%E2%80%AE..%2F", "a" * 300, "%F0%9F%92%A9"]
JUNK = {
    "q": "\x00' OR 1=1 --",
    "page": "-1",
    "status": "nonsense",
    "sort": "__class__",
    "view": "\u202e",
    "number": "99999999999999999999",
    "body": "\x00",
    "email": "not an address",
    "user": "abc",
    "agent": "99999999999999999999",
    "priority": "x",
    "department": "-5",
    "tickets": ["x", "99999999999999999999"],
}


def patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete_paths(route: str, numbers=ODD_NUMBERS) -> list[str]:
    """The route with each <converter:name> filled with odd values (one path per value)."""
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    if not params:
        return ["/" + route.lstrip("^").rstrip("$")]
    paths = []
    for values in (numbers, ODD_TEXT):
        for value in values:
            path = route
            for converter, _name in params:
                if converter in ("int", "ticket_number") and not value.isdigit():
                    fill = "1"
                else:
                    fill = value
                path = re.sub(r"<(?:\w+:)?\w+>", fill, path, count=1)
            paths.append("/" + path.lstrip("^").rstrip("$"))
    return sorted(set(paths))


ADMIN_SKIPPED = ("admin/", "__debug__/")


def site_paths(real_number: int = 1) -> list[str]:
    """Every route, filled with odd values and with a real ticket's number."""
    paths = []
    for route, _entry in patterns():
        if route.startswith(ADMIN_SKIPPED):
            continue
        paths.extend(concrete_paths(route, [*ODD_NUMBERS, str(real_number)]))
    return sorted(set(paths))


@pytest.fixture
def visitors(desk, django_user_model):
    admin = django_user_model.objects.create_superuser(email="boss@example.com", password="x")
    clients = {"anonymous": Client(raise_request_exception=False)}
    for name, user in (
        ("requester", desk.requester),
        ("agent", desk.agent.user),
        ("superuser", admin),
    ):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients[name] = client
    return clients


def test_every_address_answers_odd_input_without_a_crash(desk, visitors):
    ticket = desk.ticket()
    crashes = []
    for path in site_paths(ticket.number):
        for name, client in visitors.items():
            for method in ("get", "post"):
                response = getattr(client, method)(path, JUNK, HTTP_HX_REQUEST="true")
                if response.status_code >= 500 and response.status_code != 503:
                    crashes.append(f"{method.upper()} {path} as {name}: {response.status_code}")
    assert not crashes, "\n".join(crashes)
