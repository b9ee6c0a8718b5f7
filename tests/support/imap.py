"""A private, throw-away Dovecot IMAP server for the tests of the email channel.

The product fetches mail over IMAP with imapclient (by UID, ``BODY.PEEK[]``, then a move or a
flag), so its tests talk to a real server: Debian's ``dovecot-imapd``, started from the
machine's binaries like the private PostgreSQL and Redis of ``services.py`` (and with their
machinery: a ``helpdesk-test-dovecot-*`` temporary folder naming its owner for
``reap_stale()``, free loopback ports, a process group of its own, one log file). Never the
machine's own Dovecot: everything below lives in the folder, and nothing reads
``/etc/dovecot``.

``PrivateDovecot`` writes a minimal ``dovecot.conf`` in its folder and runs
``dovecot -F -c dovecot.conf`` in the foreground:

- ``listen = 127.0.0.1``, one free port for plain IMAP and, when openssl is there, a second one
  for IMAP over TLS (``imaps``), with a self-signed certificate (``localhost`` and
  ``127.0.0.1``) made in the folder: ``cert_path`` and ``ssl_context()`` let a client trust it.
  The plain port accepts plain logins (``disable_plaintext_auth = no``; loopback counts as
  secure to Dovecot anyway) and also offers STARTTLS when there is a certificate.
- Users with plain passwords (``add_user``), each in a passwd-file of its own,
  ``users/<name>``: Dovecot reads a passwd-file again when it changes, but looks at most once
  a second, so a user added to a shared file could not log in at once; a new file is read at
  the first login. Mail in ``maildir:<folder>/mail/<user>``, folders separated by ``/``.
  ``base_dir``, ``state_dir`` and the log (``dovecot.log``, with the harness's own output) are
  in the folder too. No growing delay after failed logins (all tests come from 127.0.0.1),
  and a wrong password is answered in half a second rather than two.
- Rootless: every Dovecot process runs as one unprivileged user, which is also the owner of
  every mail file (``default_internal_user``, ``default_login_user``, the uid and gid in the
  passwd-file, ``first/last_valid_uid`` naming only it; no chroot, which needs root). Not
  root: the current user. Root: the ``dovecot`` system user that Debian's package creates,
  through ``setpriv`` (which replaces itself with Dovecot, so the master process is still our
  child), with the folder handed to that user, as ``services.PrivatePostgres`` does with
  ``postgres``.
- Durability off (``mail_fsync = never``): nothing here outlives the run.

``Mailbox`` is one user's view, what a test's help desk would fetch from: ``append``,
``messages``, ``create_folder``, ``client`` for an imapclient connection, and
``kill_connections`` for fault tests: it kills Dovecot's own per-connection ``imap``
processes (Dovecot forks one for each logged-in connection; ``verbose_proctitle`` puts the
user in its title), with SIGKILL by default: the client's TCP connection ends at once,
mid-response if one is being sent, with no ``* BYE``, as when a server crashes or a
connection is cut; with ``signal.SIGTERM`` instead, Dovecot says ``* BYE`` first, as in a
server shutdown. The server itself keeps running, so the next connection works. To drop a
connection in the middle of the code under test, call it from inside that code (a
``monkeypatch`` on the step that handles one message, say): the next command on that
connection fails, deterministically. (Killing "when a FETCH starts" from another thread
races a client that reads as fast as imapclient does: a response of a few MB is over in
milliseconds.) A test of "no server at all" connects to a ``free_port()``.

The pytest fixtures are in ``tests/support/imap_harness.py``.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

from tests.support.processes import poll
from tests.support.services import (
    STOP_TIMEOUT,
    PrivateServer,
    ServiceError,
    _alive,
    free_port,
)

HOST = "127.0.0.1"
# In the title of every process ("dovecot-helpdesk-test/imap [user ip command]"); kept short,
# as a title longer than the space Dovecot has for it is cut, command first.
INSTANCE = "helpdesk-test"
# The user Dovecot runs as when this process is root (created by Debian's dovecot-core).
DOVECOT_SYSTEM_USER = "dovecot"
# Where Dovecot keeps imap, imap-login and the rest: Debian's, then the upstream default.
LIBEXEC_DIRS = (Path("/usr/lib/dovecot"), Path("/usr/libexec/dovecot"))
CONNECT_TIMEOUT = 2.0
# Only these characters, so that a name is safe in the passwd-file and in a maildir path.
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,39}")
# A session flag, different in every connection: messages() leaves it out.
RECENT = "\\Recent"


def dovecot_binary() -> str | None:
    """Dovecot's master binary: on PATH, else in /usr/sbin (not on a plain user's PATH)."""
    found = shutil.which("dovecot")
    if found:
        return found
    return "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None


def missing() -> str | None:
    """Why no private Dovecot can start on this machine; None when one can."""
    if dovecot_binary() is None:
        return "no dovecot binary (Debian: apt-get install dovecot-core dovecot-imapd)"
    if not any(os.access(folder / "imap", os.X_OK) for folder in LIBEXEC_DIRS):
        return "Dovecot has no imap server (Debian: apt-get install dovecot-imapd)"
    return None


def dovecot_version(binary: str | None = None) -> str:
    binary = binary or dovecot_binary()
    if not binary:
        return ""
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.split(" ")[0].strip()


@dataclass(frozen=True)
class ImapUser:
    name: str
    password: str


@dataclass(frozen=True)
class Message:
    """One message as the server has it: its UID, its flags (``\\Recent`` left out), its
    bytes."""

    uid: int
    flags: tuple[str, ...]
    raw: bytes


def _greets(sock: socket.socket) -> bool:
    """Whether the server on ``sock`` sends an IMAP greeting; then it says goodbye."""
    line = b""
    while not line.endswith(b"\r\n") and len(line) < 1024:
        chunk = sock.recv(1024)
        if not chunk:
            break
        line += chunk
    if not line.startswith(b"* OK"):
        return False
    with contextlib.suppress(OSError):
        sock.sendall(b"a LOGOUT\r\n")
    return True


@dataclass(frozen=True)
class _Process:
    pid: int
    parent: int
    group: int
    state: str  # "Z": exited, waiting for its parent to reap it
    title: str  # a Dovecot process's name: "dovecot-helpdesk-test/imap [user ip command]"


def _process_table() -> Iterator[_Process]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        state, parent, group = stat.rsplit(")", 1)[1].split()[:3]
        yield _Process(int(entry.name), int(parent), int(group), state, title.strip())


def running_in_group(group: int) -> list[int]:
    """The processes of a process group that still run (zombies left out)."""
    return [p.pid for p in _process_table() if p.group == group and p.state != "Z"]


class PrivateDovecot(PrivateServer):
    """Dovecot's IMAP server on free loopback ports, with its users and mail in its folder."""

    name = "dovecot"

    def __init__(self, binary: str | None = None, *, tls: bool | None = None) -> None:
        """``tls``: also listen with TLS (None: if openssl is there to make a certificate)."""
        binary = binary or dovecot_binary()
        if not binary:
            raise ServiceError(missing() or "no dovecot binary")
        openssl = shutil.which("openssl")
        if tls is None:
            tls = openssl is not None
        if tls and not openssl:
            raise ServiceError("no openssl to make the certificate for Dovecot's TLS port")
        self.binary = binary
        self.openssl = openssl
        self.tls = tls
        self.tls_port = 0
        self.users: list[ImapUser] = []
        self.run_as: list[str] = []
        self._group_ended = False
        super().__init__()
        self.conf_path = self.dir / "dovecot.conf"
        self.users_dir = self.dir / "users"
        self.mail_dir = self.dir / "mail"
        self.cert_path: Path | None = self.dir / "tls" / "cert.pem" if tls else None
        self.key_path: Path | None = self.dir / "tls" / "key.pem" if tls else None
        try:
            self.account = self._account()
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _account(self) -> pwd.struct_passwd:
        """The user every Dovecot process runs as; as root, hand it the folder."""
        if os.geteuid() != 0:
            try:
                return pwd.getpwuid(os.geteuid())
            except KeyError:
                raise ServiceError(
                    f"Dovecot needs a user name, and uid {os.geteuid()} has none in the passwd "
                    "database"
                ) from None
        try:
            account = pwd.getpwnam(DOVECOT_SYSTEM_USER)
        except KeyError:
            raise ServiceError(
                f"running as root, and the private Dovecot runs as an unprivileged user: there "
                f"is no {DOVECOT_SYSTEM_USER!r} user (Debian's dovecot-core creates one)"
            ) from None
        setpriv = shutil.which("setpriv")
        if not setpriv:
            raise ServiceError("running as root and no setpriv (util-linux) to drop to dovecot")
        self.run_as = [
            setpriv,
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--init-groups",
            "--",
        ]
        os.chown(self.dir, account.pw_uid, account.pw_gid)
        # Dovecot's log process opens the log itself, as that user.
        self.log_path.touch()
        os.chown(self.log_path, account.pw_uid, account.pw_gid)
        return account

    def _own(self, path: Path) -> None:
        """Files this process writes belong to the user Dovecot runs as (when that is not us)."""
        if os.geteuid() == 0:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    # What PrivateServer asks for.
    def prepare(self) -> None:
        for folder in (self.mail_dir, self.users_dir):
            folder.mkdir()
            self._own(folder)
        if self.tls:
            self._make_certificate()

    def _make_certificate(self) -> None:
        assert self.cert_path is not None and self.key_path is not None and self.openssl
        self.cert_path.parent.mkdir()
        self._own(self.cert_path.parent)
        # An EC key: made in milliseconds, and no Diffie-Hellman parameters needed.
        make = [
            *self.run_as,
            self.openssl, "req", "-x509", "-nodes", "-days", "7",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-subj", "/CN=localhost",
            "-addext", f"subjectAltName=DNS:localhost,IP:{HOST}",
            "-keyout", str(self.key_path),
            "-out", str(self.cert_path),
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            done = subprocess.run(
                make, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=False
            )
        if done.returncode != 0:
            raise ServiceError(f"openssl req failed ({done.returncode}):\n{self.log_tail()}")

    def _spawn(self) -> None:
        # start() chose self.port for this attempt; the TLS port is chosen with it.
        self.tls_port = 0
        while self.tls and self.tls_port in (0, self.port):
            self.tls_port = free_port()
        self.conf_path.write_text(self.config())
        self._own(self.conf_path)
        super()._spawn()

    def command(self) -> list[str]:
        return [*self.run_as, self.binary, "-F", "-c", str(self.conf_path)]

    def ready(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=CONNECT_TIMEOUT) as sock:
                if not _greets(sock):
                    return False
            if not self.tls_port:
                return True
            with (
                socket.create_connection((HOST, self.tls_port), timeout=CONNECT_TIMEOUT) as raw,
                self.ssl_context().wrap_socket(raw, server_hostname=HOST) as sock,
            ):
                return _greets(sock)
        except OSError:  # ssl.SSLError too
            return False

    @property
    def url(self) -> str:
        return f"imap://{HOST}:{self.port}"

    def stop(self) -> None:
        """SIGTERM to the whole process group, as systemd stops Dovecot: the master exits
        without ending its imap processes, which would outlive it and keep their clients.
        SIGKILL for whatever is left after STOP_TIMEOUT; then the folder goes."""
        if os.getpid() == self._owner and self.popen is not None and not self._group_ended:
            group = self.popen.pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGTERM)
            if not poll(lambda: not running_in_group(group), timeout=STOP_TIMEOUT):
                self.kill_group()
            # Once empty, the group's number may be reused: a second stop() signals nothing.
            self._group_ended = True
        super().stop()

    def config(self) -> str:
        """dovecot.conf for the ports of this start."""
        account = self.account
        group = _group_name(account.pw_gid)
        tls = (
            f"ssl = yes\nssl_cert = <{self.cert_path}\nssl_key = <{self.key_path}\n"
            if self.tls
            else "ssl = no\n"
        )
        return f"""\
# A private Dovecot for one test run, written by tests/support/imap.py: nothing outside
# {self.dir} is read or written.
protocols = imap
listen = {HOST}
base_dir = {self.dir}/run
state_dir = {self.dir}/state
instance_name = {INSTANCE}
log_path = {self.log_path}
auth_verbose = yes
verbose_proctitle = yes

# Rootless: every process runs as {account.pw_name}, who owns the mail too.
default_internal_user = {account.pw_name}
default_internal_group = {group}
default_login_user = {account.pw_name}
first_valid_uid = {account.pw_uid}
last_valid_uid = {account.pw_uid}
first_valid_gid = {account.pw_gid}
last_valid_gid = {account.pw_gid}

disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is answered in about half a second (Dovecot answers failures in
# batches, twice a second), not the usual two.
auth_failure_delay = 0
{tls}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.users_dir}/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.users_dir}/%u
}}

mail_location = maildir:{self.mail_dir}/%u
mail_fsync = never
mail_max_userip_connections = 100
namespace inbox {{
  inbox = yes
  separator = /
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
    ssl = no
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed logins from one IP (the same 127.0.0.1 for every test).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  chroot =
}}
"""

    # Users.
    def add_user(self, name: str | None = None, password: str | None = None) -> ImapUser:
        """A new user with an empty INBOX, who can log in at once."""
        name = name or f"user{len(self.users) + 1}"
        if not USER_NAME.fullmatch(name):
            raise ValueError(f"not a user name the harness accepts: {name!r}")
        if any(user.name == name for user in self.users):
            raise ValueError(f"there is a user {name!r} already")
        password = password or secrets.token_urlsafe(12)
        if ":" in password or "\n" in password:
            raise ValueError("a passwd-file password cannot hold ':' or a line break")
        user = ImapUser(name=name, password=password)
        self._write_user(user)
        self.users.append(user)
        return user

    def _write_user(self, user: ImapUser) -> None:
        """The user's own passwd-file: Dovecot reads it at the user's first login."""
        uid, gid = self.account.pw_uid, self.account.pw_gid
        path = self.users_dir / user.name
        path.write_text(f"{user.name}:{{PLAIN}}{user.password}:{uid}:{gid}::::\n")
        self._own(path)

    def mailbox(self, name: str | None = None) -> Mailbox:
        return Mailbox(self, self.add_user(name))

    # TLS.
    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and checks the name)."""
        if self.cert_path is None:
            raise ServiceError("this Dovecot has no TLS port")
        return ssl.create_default_context(cafile=str(self.cert_path))

    # Faults.
    def connections(self) -> list[tuple[int, str, str]]:
        """(pid, user, command) of each ``imap`` process, one per logged-in connection; the
        command is the one being served ("UID FETCH"), or "" between commands."""
        if not self.alive():
            return []
        master = self.pid
        prefix = f"dovecot-{INSTANCE}/imap ["  # verbose_proctitle: "[user ip command]"
        found = []
        for process in _process_table():
            if process.parent == master and process.title.startswith(prefix):
                words = process.title[len(prefix) :].rstrip("]").split(" ")
                if len(words) < 2:
                    # Caught while Dovecot rewrites the title (a new connection before
                    # login): not a logged-in connection yet.
                    continue
                user, _ip, *command = words
                found.append((process.pid, user, " ".join(command)))
        return found

    def connection_pids(self, user: str | None = None) -> list[int]:
        return [pid for pid, name, _command in self.connections() if user in (None, name)]

    def kill_connections(self, user: str | None = None, signum: int = signal.SIGKILL) -> int:
        """End the logged-in connections (of one user, if given); return how many.

        SIGKILL (the default) ends a connection with no word, wherever the server is in a
        response; SIGTERM makes Dovecot send ``* BYE`` first. Returns once they are gone.
        """
        pids = self.connection_pids(user)
        self._kill(pids, signum)
        return len(pids)

    def _kill(self, pids: list[int], signum: int) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        if not poll(lambda: not any(_alive(pid) for pid in pids), timeout=STOP_TIMEOUT):
            raise ServiceError(f"Dovecot's imap processes {pids} outlived signal {signum}")


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        raise ServiceError(f"Dovecot needs a group name, and gid {gid} has none") from None


class Mailbox:
    """One fresh user on a private Dovecot: the account a test's help desk fetches from.

    Each helper opens its own short connection and logs out, so it never shares state with
    (or is killed with) the connections of the code under test.
    """

    host = HOST

    def __init__(self, server: PrivateDovecot, user: ImapUser) -> None:
        self.server = server
        self.user = user

    def __repr__(self) -> str:
        return f"<Mailbox {self.username} on {self.host}:{self.port}>"

    @property
    def username(self) -> str:
        return self.user.name

    @property
    def password(self) -> str:
        return self.user.password

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def tls_port(self) -> int:
        return self.server.tls_port

    @property
    def cert_path(self) -> Path | None:
        return self.server.cert_path

    def client(self, *, tls: bool = False, timeout: float = 10.0) -> IMAPClient:
        """A logged-in imapclient ``IMAPClient``, plain or over TLS; the caller logs out
        (``with mailbox.client() as client:`` does)."""
        if tls:
            client = IMAPClient(
                HOST,
                port=self.tls_port,
                ssl=True,
                ssl_context=self.server.ssl_context(),
                timeout=timeout,
            )
        else:
            client = IMAPClient(HOST, port=self.port, ssl=False, timeout=timeout)
        client.login(self.username, self.password)
        return client

    @contextlib.contextmanager
    def session(self, **kwargs) -> Iterator[IMAPClient]:
        """A client for one helper, logged out afterwards even if the server is gone."""
        client = self.client(**kwargs)
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(self, raw: bytes, folder: str = "INBOX", flags: Iterable[str] = ()) -> int:
        """Store ``raw`` (a whole message, CRLF line ends as on the wire) in ``folder``;
        return its UID."""
        with self.session() as client:
            response = client.append(folder, raw, flags=tuple(flags))
        found = re.search(rb"\[APPENDUID \d+ (\d+)\]", response)
        if not found:
            raise ServiceError(f"APPEND answered without a UID: {response!r}")
        return int(found.group(1))

    def messages(self, folder: str = "INBOX") -> list[Message]:
        """Every message in ``folder`` by UID, read without changing anything (EXAMINE and
        BODY.PEEK[])."""
        with self.session() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        messages = []
        for uid, data in sorted(fetched.items()):
            flags = tuple(flag.decode() for flag in data[b"FLAGS"])
            kept = tuple(flag for flag in flags if flag != RECENT)
            messages.append(Message(uid=uid, flags=kept, raw=data[b"BODY[]"]))
        return messages

    def create_folder(self, name: str) -> None:
        with self.session() as client:
            client.create_folder(name)

    def folders(self) -> list[str]:
        with self.session() as client:
            return sorted(name for _flags, _separator, name in client.list_folders())

    def kill_connections(self, signum: int = signal.SIGKILL) -> int:
        """End this user's logged-in connections (see ``PrivateDovecot.kill_connections``)."""
        return self.server.kill_connections(self.username, signum)
