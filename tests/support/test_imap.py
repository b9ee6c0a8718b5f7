"""The IMAP harness: a private Dovecot (tests/support/imap.py) and its fixtures.

One server for the session (started in about a third of a second, certificate included);
each test gets a fresh user (``imap_mailbox``) and takes a tenth of a second or less, except
the wrong password (Dovecot answers it after half a second) and the 8 MB FETCH.
"""

import imaplib
import json
import os
import re
import signal
import socket
import ssl
import subprocess

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.support import imap, services

SEEN = "\\Seen"
FLAGGED = "\\Flagged"
# A message as it arrives: CRLF line ends, 8-bit UTF-8 in a header and the body, a
# trailing space and a tab that a careless store would lose.
RAW = (
    b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.test>\r\n"
    b"To: support@helpdesk.test\r\n"
    b"Subject: Printer on fire \xe2\x80\x94 again\r\n"
    b"Message-ID: <harness-1@example.test>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"It is on fire. Ren\xc3\xa9e \r\n"
    b"\tindented line\r\n"
    b"\r\n"
)


def _message(subject: str, size: int = 0) -> bytes:
    body = b"x" * 75 + b"\r\n"
    return (
        f"Subject: {subject}\r\nMessage-ID: <{subject}@example.test>\r\n\r\n".encode()
        + body * (size // len(body) + 1)
    )


def _uid_of_process(pid: int) -> int:
    return os.stat(f"/proc/{pid}").st_uid


def _require_tls(server: imap.PrivateDovecot) -> None:
    if server.tls_port:
        return
    if os.environ.get("CI"):
        pytest.fail("the private Dovecot has no TLS port (CI is set, so this is a failure)")
    pytest.skip("no openssl: the private Dovecot has no TLS port")


def test_the_server_greets_on_loopback_only_and_runs_unprivileged(imap_server, imap_mailbox):
    with socket.create_connection(("127.0.0.1", imap_server.port), timeout=5) as sock:
        greeting = sock.recv(1024)

    assert greeting.startswith(b"* OK")
    assert b"AUTH=PLAIN" in greeting
    assert _uid_of_process(imap_server.pid) != 0
    assert str(imap_server.dir / "run") in imap_server.conf_path.read_text()
    with pytest.raises(OSError):  # listen = 127.0.0.1: not on ::1, not on any other address
        socket.create_connection(("::1", imap_server.port), timeout=5).close()
    stranger = IMAPClient("127.0.0.1", port=imap_server.port, ssl=False, timeout=5)
    with pytest.raises(LoginError):
        stranger.login(imap_mailbox.username, "not-the-password")
    stranger.shutdown()


def test_a_message_comes_back_byte_exact_by_uid_and_stays_unseen(imap_mailbox):
    uid = imap_mailbox.append(RAW)

    with imap_mailbox.client() as client:
        client.select_folder("INBOX")
        fetched = client.fetch([uid], ["BODY.PEEK[]", "FLAGS", "RFC822.SIZE"])[uid]

    assert fetched[b"BODY[]"] == RAW
    assert fetched[b"RFC822.SIZE"] == len(RAW)
    assert SEEN.encode() not in fetched[b"FLAGS"]
    assert imap_mailbox.messages() == [imap.Message(uid=uid, flags=(), raw=RAW)]

    with imap_mailbox.client() as client:  # unlike BODY.PEEK[], BODY[] marks it seen
        client.select_folder("INBOX")
        client.fetch([uid], ["BODY[]"])
    assert imap_mailbox.messages()[0].flags == (SEEN,)


def test_a_message_is_flagged_and_moved_to_another_folder(imap_mailbox):
    first = imap_mailbox.append(_message("first"))
    second = imap_mailbox.append(_message("second"), flags=[SEEN])
    imap_mailbox.create_folder("Processed/2026")

    with imap_mailbox.client() as client:
        client.select_folder("INBOX")
        client.add_flags([first], [FLAGGED, "$HelpdeskImported"])
        client.move([first], "Processed/2026")

    assert [(m.uid, m.flags) for m in imap_mailbox.messages()] == [(second, (SEEN,))]
    [moved] = imap_mailbox.messages("Processed/2026")
    assert moved.raw == _message("first")
    assert set(moved.flags) == {FLAGGED, "$HelpdeskImported"}
    assert imap_mailbox.folders() == ["INBOX", "Processed", "Processed/2026"]


def test_the_tls_port_serves_the_generated_certificate(imap_server, imap_mailbox):
    _require_tls(imap_server)
    uid = imap_mailbox.append(RAW)

    with imap_mailbox.client(tls=True) as client:
        client.select_folder("INBOX", readonly=True)
        fetched = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    untrusting = ssl.create_default_context()  # the system's CAs: not our certificate

    assert fetched == RAW
    assert imap_server.cert_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient("127.0.0.1", port=imap_server.tls_port, ssl_context=untrusting, timeout=5)


def _sees_only_its_own(mailbox: imap.Mailbox, name: str) -> None:
    uid = mailbox.append(_message(name))
    mailbox.create_folder(f"Only-{name}")

    assert mailbox.messages() == [imap.Message(uid=uid, flags=(), raw=_message(name))]
    assert mailbox.folders() == ["INBOX", f"Only-{name}"]


def test_one_test_sees_only_its_own_mail(imap_mailbox):
    _sees_only_its_own(imap_mailbox, "one")


def test_another_test_sees_only_its_own_mail_too(imap_mailbox):
    _sees_only_its_own(imap_mailbox, "another")


def test_kill_connections_between_two_fetches_fails_the_second(imap_mailbox):
    first = imap_mailbox.append(_message("first"))
    second = imap_mailbox.append(_message("second"))
    client = imap_mailbox.client()
    client.select_folder("INBOX")
    client.fetch([first], ["BODY.PEEK[]"])

    assert imap_mailbox.kill_connections() == 1  # as a test's hook would, mid-way
    with pytest.raises(imaplib.IMAP4.abort):  # imapclient's IMAPClientAbortError
        client.fetch([second], ["BODY.PEEK[]"])
    assert imap_mailbox.kill_connections() == 0
    assert [(m.uid, m.flags) for m in imap_mailbox.messages()] == [(first, ()), (second, ())]


def test_kill_connections_with_sigterm_says_bye_first(imap_mailbox):
    with socket.create_connection(("127.0.0.1", imap_mailbox.port), timeout=10) as sock:
        _say(sock, "a", f"LOGIN {imap_mailbox.username} {imap_mailbox.password}")

        assert imap_mailbox.kill_connections(signal.SIGTERM) == 1
        assert _read_until_closed(sock).startswith(b"* BYE")


def _read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _say(sock: socket.socket, tag: str, command: str) -> bytes:
    """Send one command, read up to its tagged OK (one at a time, as imapclient does)."""
    sock.sendall(f"{tag} {command}\r\n".encode())
    done = re.compile(rf"(?:^|\r\n){tag} OK [^\r\n]*\r\n$".encode())
    received = b""
    while not done.search(received):
        chunk = sock.recv(1 << 16)
        assert chunk, f"the connection closed during {command!r}: {received!r}"
        received += chunk
    return received


def test_kill_connections_cuts_a_fetch_off_mid_response(imap_mailbox):
    big = _message("big", size=8 << 20)  # more than loopback's socket buffers hold
    uid = imap_mailbox.append(big)
    with socket.socket() as sock:
        # A small window, and a reader that stops after the first bytes: the server is
        # still sending when it is killed.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", imap_mailbox.port))
        _say(sock, "a", f"LOGIN {imap_mailbox.username} {imap_mailbox.password}")
        _say(sock, "b", "SELECT INBOX")
        sock.sendall(f"c UID FETCH {uid} BODY.PEEK[]\r\n".encode())
        received = sock.recv(1 << 10)

        assert imap_mailbox.kill_connections() == 1
        received += _read_until_closed(sock)

    header = f"* 1 FETCH (UID {uid} BODY[] {{{len(big)}}}\r\n".encode()
    assert received.startswith(header)
    literal = received[len(header) :]
    assert 0 < len(literal) < len(big)
    assert big.startswith(literal)
    assert b"c OK" not in received
    assert imap_mailbox.messages()[0].flags == ()  # and the next connection works


@pytest.fixture
def started():
    """Servers a test starts; stopped afterwards even if the test fails half-way."""
    servers: list[imap.PrivateDovecot] = []
    yield servers
    for server in servers:
        server.stop()


def test_a_private_dovecot_without_tls_stops_and_leaves_nothing_behind(imap_server, started):
    server = imap.PrivateDovecot(tls=False).start()
    started.append(server)
    mailbox = server.mailbox("solo")
    mailbox.append(_message("solo"))
    open_connection = mailbox.client()

    assert server.tls_port == 0
    assert server.cert_path is None
    assert server.port != imap_server.port

    folder, group = server.dir, server.pid
    server.stop()

    assert server.popen.poll() is not None
    assert imap.running_in_group(group) == []  # nor any other Dovecot process
    with pytest.raises(imaplib.IMAP4.abort):
        open_connection.noop()
    assert not folder.exists()
    assert not services.answers("127.0.0.1", server.port)


def test_reap_stale_stops_a_dovecot_whose_owner_died(imap_server, started):
    server = imap.PrivateDovecot(tls=False).start()
    started.append(server)
    record = server.dir / "owner.json"
    done = subprocess.Popen(["true"])  # an owner that has exited
    done.wait()
    record.write_text(json.dumps({**json.loads(record.read_text()), "owner": done.pid}))

    reaped = services.reap_stale()

    assert server.dir in reaped
    assert server.popen.wait(timeout=services.STOP_TIMEOUT) is not None
    assert not server.dir.exists()
