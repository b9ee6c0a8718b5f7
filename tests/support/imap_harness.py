"""A real IMAP server for tests: a private Dovecot (``tests/support/imap.py``).

Loaded as a pytest plugin (``-p tests.support.imap_harness`` in pyproject.toml), it gives tests:

``imap_server``
    One ``PrivateDovecot`` for the whole session, started by the first test that asks for it
    (about a tenth of a second) on free loopback ports, stopped when the session ends (also on
    Ctrl-C or SIGTERM, with dbselect's private servers; after a SIGKILL the next run's
    ``reap_stale`` stops it). ``port`` is plain IMAP; ``tls_port`` IMAP over TLS with a
    self-signed certificate, ``cert_path`` and ``ssl_context()`` to trust it.
``imap_mailbox``
    A fresh user on that server for each test, with an empty INBOX, so no test sees another's
    mail: ``username``, ``password``, ``host``, ``port``, ``tls_port``, ``cert_path``;
    ``append(raw, folder="INBOX", flags=())`` returns the UID; ``messages(folder)`` lists
    ``Message(uid, flags, raw)`` without marking anything seen; ``create_folder(name)``
    (folders nest with ``/``), ``folders()``; ``client(tls=False)`` a logged-in
    imapclient; ``kill_connections()`` for fault tests (see ``tests/support/imap.py``).
    Connections the test left open are ended (with ``* BYE``) when it ends.

Tests that use either fixture are marked ``imap`` here (``-m "not imap"`` leaves them out).
Without Dovecot (Debian: ``dovecot-core`` and ``dovecot-imapd``, which ``make test``
installs as root or asks for: ``.ci/prerequisites``) they are skipped, loudly, except in CI
(``CI`` set), where that is a failure; a Dovecot that is there but cannot start is a failure
everywhere. In CI the TLS port is required too (openssl makes its certificate).

```python
def test_fetches_by_uid(imap_mailbox):
    uid = imap_mailbox.append(b"Subject: hi\\r\\n\\r\\nbody\\r\\n")
    with imap_mailbox.client() as client:
        client.select_folder("INBOX")
        assert client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"].startswith(b"Subject")
```
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Iterator

import pytest

from tests.support import dbselect, imap
from tests.support.services import ServiceError

IMAP_FIXTURES = {"imap_server", "imap_mailbox"}


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"IMAP harness: {reason} (CI is set, so this is a failure, not a skip)")
    sys.stderr.write(f"\n!!! IMAP harness: {reason}; skipping the tests that need it.\n")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def imap_server() -> Iterator[imap.PrivateDovecot]:
    """The session's private Dovecot."""
    reason = imap.missing()
    if reason:
        _fail_or_skip(reason)
    try:
        server = imap.PrivateDovecot(tls=True if os.environ.get("CI") else None)
        dbselect.stop_when_the_run_ends(server)
        server.start()
    except ServiceError as exc:
        pytest.fail(f"Could not start a private Dovecot for the tests: {exc}")
    try:
        yield server
    finally:
        server.stop()


def _user_name(test_name: str, number: int) -> str:
    """``7-moves_the_message``: unique, and the test shows in Dovecot's log. Short, so that
    the title of its imap processes keeps the command (see ``imap.INSTANCE``)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", test_name.removeprefix("test_"))
    slug = slug[:32].strip("_.-")
    return f"{number}-{slug}" if slug else str(number)


@pytest.fixture
def imap_mailbox(
    imap_server: imap.PrivateDovecot, request: pytest.FixtureRequest
) -> Iterator[imap.Mailbox]:
    """A new user with an empty INBOX on the session's Dovecot."""
    mailbox = imap_server.mailbox(_user_name(request.node.name, len(imap_server.users) + 1))
    yield mailbox
    mailbox.kill_connections(signal.SIGTERM)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if IMAP_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.imap)


def pytest_report_header(config: pytest.Config) -> str:
    reason = imap.missing()
    if reason:
        then = "a failure" if os.environ.get("CI") else "skipped"
        return f"imap: {reason}; tests that need it: {then}"
    binary = imap.dovecot_binary()
    return (
        f"imap: private Dovecot {imap.dovecot_version(binary)} ({binary}), started by the "
        "first test that needs it"
    )
