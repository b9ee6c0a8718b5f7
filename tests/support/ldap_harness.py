"""A real LDAP directory for tests: a private OpenLDAP slapd (``tests/support/ldap.py``).

Loaded as a pytest plugin (``-p tests.support.ldap_harness`` in pyproject.toml), it gives tests:

``ldap_server``
    One ``PrivateSlapd`` for the whole session, started by the first test that asks for it
    (a fraction of a second) on free loopback ports with the small directory of
    ``ldap.DIRECTORY`` (people ``ldap.PEOPLE``, groups ``ldap.GROUPS``, the help desk's
    service account ``ldap.SERVICE_DN``), stopped when the session ends (also on Ctrl-C or
    SIGTERM, with dbselect's private servers; after a SIGKILL the next run's ``reap_stale``
    stops it). ``url`` is plain LDAP (StartTLS offered), ``tls_url`` LDAP over TLS, with a
    self-signed certificate at ``cert_path``.
``ldap_directory``
    The same server, as ``ldap.DirectoryChanges``: ``add_person``, ``add_member``,
    ``remove_member``, each undone when the test ends, so no test sees another's changes;
    ``people`` are the directory's people (``people["oscar"].mail``, ``.password``).

Tests that use either fixture are marked ``ldap`` here (``-m "not ldap"`` leaves them out).
Without slapd (Debian: ``slapd``, which ``make test`` installs as root or asks for:
``.ci/prerequisites``) they are skipped, loudly, except in CI (``CI`` set), where that is a
failure; a slapd that is there but cannot start is a failure everywhere. In CI the TLS port
is required too (openssl makes its certificate).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tests.support import dbselect, ldap
from tests.support.services import ServiceError

LDAP_FIXTURES = {"ldap_server", "ldap_directory"}


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"LDAP harness: {reason} (CI is set, so this is a failure, not a skip)")
    sys.stderr.write(f"\n!!! LDAP harness: {reason}; skipping the tests that need it.\n")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ldap_server() -> Iterator[ldap.PrivateSlapd]:
    """The session's private slapd."""
    reason = ldap.missing()
    if reason:
        _fail_or_skip(reason)
    try:
        server = ldap.PrivateSlapd(tls=True if os.environ.get("CI") else None)
        dbselect.stop_when_the_run_ends(server)
        server.start()
    except ServiceError as exc:
        pytest.fail(f"Could not start a private slapd for the tests: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ldap_directory(ldap_server: ldap.PrivateSlapd) -> Iterator[ldap.DirectoryChanges]:
    """The session's directory; what the test changes in it is undone afterwards."""
    changes = ldap.DirectoryChanges(ldap_server)
    try:
        yield changes
    finally:
        changes.undo()


@pytest.hookimpl(tryfirst=True)  # before -m deselects by markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LDAP_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.ldap)


def pytest_report_header(config: pytest.Config) -> str:
    reason = ldap.missing()
    if reason:
        then = "a failure" if os.environ.get("CI") else "skipped"
        return f"ldap: {reason}; tests that need it: {then}"
    binary = ldap.slapd_binary()
    return (
        f"ldap: private OpenLDAP slapd {ldap.slapd_version(binary)} ({binary}), started by the "
        "first test that needs it"
    )
