"""A private, throw-away OpenLDAP server for the tests of the company directory sign-in.

The product signs people in against LDAP / Active Directory through django-auth-ldap
(``accounts/ldap.py``), so its tests talk to a real directory: Debian's ``slapd``, started
from the machine's binary like the private Dovecot of ``imap.py`` (and with the machinery of
``services.py``: a ``helpdesk-test-slapd-*`` temporary folder naming its owner for
``reap_stale()``, free loopback ports, a process group of its own, one log file). Never the
machine's own directory: its configuration is a ``slapd.conf`` written in the folder
(``slapd -f``), its database an mdb in the folder; only the schema files that the package
ships (``/etc/ldap/schema``) are read from outside.

``PrivateSlapd``:

- listens on ``127.0.0.1`` only: one free port for plain LDAP (which also offers StartTLS)
  and, when openssl is there, a second one for LDAP over TLS (``ldaps``), both with a
  self-signed certificate (``localhost`` and ``127.0.0.1``) made in the folder;
  ``cert_path`` lets a client trust it;
- holds ``SUFFIX`` with the small directory of ``DIRECTORY`` (people, groups and a service
  account the help desk binds as), loaded with ``slapadd`` before the server starts;
- lets only authenticated clients read (no anonymous searches, as in a company directory),
  people change nothing, and ``ROOT_DN`` everything: ``connect()`` gives a connection bound
  as root, and ``add_member`` / ``remove_member`` / ``add_person`` / ``delete`` change the
  directory while the server runs (a test that changes it undoes it: the ``ldap_directory``
  fixture records and reverts);
- runs as the current user (slapd needs no privilege for ports above 1023), in the
  foreground (``-d stats``, its log in ``slapd.log``), and stops on SIGTERM.

A test of "no directory at all" points the help desk at a ``free_port()``; a test of "the
directory went down" calls ``stop()`` on a server of its own.

The pytest fixtures are in ``tests/support/ldap_harness.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ldap
import ldap.modlist

from tests.support.services import PrivateServer, ServiceError, free_port

HOST = "127.0.0.1"
SUFFIX = "dc=dundermifflin,dc=example"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret-only-for-tests"
# The account the help desk binds as to search for people and groups.
SERVICE_DN = f"cn=helpdesk,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-bind-secret-9f3a"
SCHEMA_DIR = Path("/etc/ldap/schema")
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
MODULE_DIRS = (Path("/usr/lib/ldap"), Path("/usr/lib64/openldap"), Path("/usr/lib/openldap"))
CONNECT_TIMEOUT = 2.0


@dataclass(frozen=True)
class Person:
    uid: str
    display_name: str
    mail: str
    password: str
    time_zone: str = ""
    employee_type: str = ""

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"

    def entry(self) -> dict[str, list[bytes]]:
        first, _, last = self.display_name.partition(" ")
        attrs = {
            "objectClass": ["top", "inetOrgPerson"],
            "uid": [self.uid],
            "cn": [self.display_name],
            "sn": [last or first],
            "givenName": [first],
            "displayName": [self.display_name],
            "mail": [self.mail],
            "userPassword": [self.password],
        }
        if self.time_zone:
            # inetOrgPerson has no time zone: the help desk maps it from the locality.
            attrs["l"] = [self.time_zone]
        if self.employee_type:
            attrs["employeeType"] = [self.employee_type]
        return {name: [value.encode() for value in values] for name, values in attrs.items()}


@dataclass(frozen=True)
class Group:
    cn: str
    members: tuple[str, ...]  # DNs: people, or groups (nested)

    @property
    def dn(self) -> str:
        return f"cn={self.cn},{GROUPS}"


@dataclass(frozen=True)
class Directory:
    people: dict[str, Person]
    groups: dict[str, Group]


def _people() -> dict[str, Person]:
    people = [
        # An agent of IT, a manager of IT, a requester, two disabled accounts (one by an
        # attribute, one by a group), and a Sales agent through a nested group.
        Person("oscar", "Oscar Martinez", "oscar.martinez@dundermifflin.example", "Oscar-pw-1",
               time_zone="America/New_York"),
        Person("dwight", "Dwight Schrute", "dwight.schrute@dundermifflin.example", "Beets-pw-2"),
        Person("phyllis", "Phyllis Vance", "phyllis.vance@dundermifflin.example", "Vance-pw-3"),
        Person("toby", "Toby Flenderson", "toby.flenderson@dundermifflin.example", "Toby-pw-4",
               employee_type="disabled"),
        Person("creed", "Creed Bratton", "creed.bratton@dundermifflin.example", "Creed-pw-5"),
        Person("andy", "Andy Bernard", "andy.bernard@dundermifflin.example", "Nard-pw-6"),
    ]  # fmt: skip
    return {person.uid: person for person in people}


def _groups(people: dict[str, Person]) -> dict[str, Group]:
    def dns(*uids: str) -> tuple[str, ...]:
        return tuple(people[uid].dn for uid in uids)

    groups = [
        Group("it-agents", dns("oscar", "dwight", "toby", "creed")),
        Group("it-managers", dns("dwight")),
        Group("former-staff", dns("creed")),
        Group("sales-floor", dns("andy")),
        Group("sales-agents", (f"cn=sales-floor,{GROUPS}",)),
    ]
    return {group.cn: group for group in groups}


def default_directory() -> Directory:
    people = _people()
    return Directory(people=people, groups=_groups(people))


DIRECTORY = default_directory()


def slapd_binary() -> str | None:
    """slapd: on PATH, else in /usr/sbin (not on a plain user's PATH)."""
    found = shutil.which("slapd")
    if found:
        return found
    return "/usr/sbin/slapd" if os.access("/usr/sbin/slapd", os.X_OK) else None


def _module_dir() -> Path | None:
    return next((d for d in MODULE_DIRS if (d / "back_mdb.so").exists()), None)


def missing() -> str | None:
    """Why no private slapd can start on this machine; None when one can."""
    if slapd_binary() is None:
        return "no slapd binary (Debian: apt-get install slapd)"
    if not all((SCHEMA_DIR / f"{name}.schema").exists() for name in SCHEMAS):
        return f"no OpenLDAP schema files in {SCHEMA_DIR} (Debian: apt-get install slapd)"
    return None


def slapd_version(binary: str | None = None) -> str:
    binary = binary or slapd_binary()
    if not binary:
        return ""
    done = subprocess.run([binary, "-VV"], capture_output=True, text=True, check=False)
    for word in (done.stderr + done.stdout).split():
        if word[:1].isdigit() and "." in word:
            return word
    return ""


def _ldif(dn: str, entry: dict[str, list[bytes]]) -> str:
    lines = [f"dn: {dn}"]
    for name, values in entry.items():
        lines.extend(f"{name}: {value.decode()}" for value in values)
    return "\n".join(lines) + "\n"


def _base_entries(directory: Directory) -> Iterable[tuple[str, dict[str, list[bytes]]]]:
    def entry(**attrs: list[str]) -> dict[str, list[bytes]]:
        return {name: [value.encode() for value in values] for name, values in attrs.items()}

    yield SUFFIX, entry(objectClass=["top", "dcObject", "organization"], dc=["dundermifflin"],
                        o=["Dunder Mifflin"])  # fmt: skip
    for unit in ("people", "groups", "services"):
        yield f"ou={unit},{SUFFIX}", entry(objectClass=["organizationalUnit"], ou=[unit])
    yield SERVICE_DN, entry(objectClass=["organizationalRole", "simpleSecurityObject"],
                            cn=["helpdesk"], userPassword=[SERVICE_PASSWORD])  # fmt: skip
    for person in directory.people.values():
        yield person.dn, person.entry()
    for group in directory.groups.values():
        yield group.dn, entry(objectClass=["groupOfNames"], cn=[group.cn],
                              member=list(group.members))  # fmt: skip


class PrivateSlapd(PrivateServer):
    """OpenLDAP's slapd on free loopback ports, its configuration and data in its folder."""

    name = "slapd"

    def __init__(
        self,
        binary: str | None = None,
        *,
        tls: bool | None = None,
        directory: Directory = DIRECTORY,
    ) -> None:
        """``tls``: also listen with TLS, and offer StartTLS (None: if openssl is there)."""
        binary = binary or slapd_binary()
        if not binary:
            raise ServiceError(missing() or "no slapd binary")
        openssl = shutil.which("openssl")
        if tls is None:
            tls = openssl is not None
        if tls and not openssl:
            raise ServiceError("no openssl to make the certificate for slapd's TLS port")
        self.binary = binary
        self.openssl = openssl
        self.tls = tls
        self.tls_port = 0
        self.directory = directory
        super().__init__()
        self.conf_path = self.dir / "slapd.conf"
        self.data_dir = self.dir / "data"
        self.cert_path: Path | None = self.dir / "tls" / "cert.pem" if tls else None
        self.key_path: Path | None = self.dir / "tls" / "key.pem" if tls else None

    # What PrivateServer asks for.
    def prepare(self) -> None:
        self.data_dir.mkdir()
        if self.tls:
            self._make_certificate()
        self.conf_path.write_text(self.config())
        self._load()

    def _run(self, argv: list[str], what: str, stdin: bytes | None = None) -> None:
        with self.log_path.open("ab") as log:
            done = subprocess.run(
                argv, cwd=self.dir, input=stdin, stdout=log, stderr=log, check=False
            )
        if done.returncode != 0:
            raise ServiceError(f"{what} failed ({done.returncode}):\n{self.log_tail()}")

    def _make_certificate(self) -> None:
        assert self.cert_path is not None and self.key_path is not None and self.openssl
        self.cert_path.parent.mkdir()
        # An EC key: made in milliseconds (GnuTLS, which Debian's slapd uses, takes it).
        self._run(
            [
                self.openssl, "req", "-x509", "-nodes", "-days", "7",
                "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-subj", "/CN=localhost",
                "-addext", f"subjectAltName=DNS:localhost,IP:{HOST}",
                "-keyout", str(self.key_path),
                "-out", str(self.cert_path),
            ],
            "openssl req",
        )  # fmt: skip

    def _load(self) -> None:
        """The directory, written into the database offline (slapadd is slapd itself)."""
        ldif = "\n".join(_ldif(dn, entry) for dn, entry in _base_entries(self.directory))
        self._run(
            [self.binary, "-T", "add", "-f", str(self.conf_path), "-q"],
            "slapadd",
            stdin=ldif.encode(),
        )

    def _spawn(self) -> None:
        # start() chose self.port for this attempt; the TLS port is chosen with it.
        self.tls_port = 0
        while self.tls and self.tls_port in (0, self.port):
            self.tls_port = free_port()
        super()._spawn()

    def command(self) -> list[str]:
        urls = f"ldap://{HOST}:{self.port}/"
        if self.tls_port:
            urls += f" ldaps://{HOST}:{self.tls_port}/"
        return [self.binary, "-d", "stats", "-h", urls, "-f", str(self.conf_path)]

    def ready(self) -> bool:
        try:
            self.connect().unbind_s()
        except ldap.LDAPError:
            return False
        return True

    @property
    def url(self) -> str:
        return f"ldap://{HOST}:{self.port}"

    @property
    def tls_url(self) -> str:
        if not self.tls_port:
            raise ServiceError("this slapd has no TLS port")
        return f"ldaps://{HOST}:{self.tls_port}"

    def config(self) -> str:
        modules = _module_dir()
        load = f"modulepath {modules}\nmoduleload back_mdb\n" if modules else ""
        tls = (
            f"TLSCertificateFile {self.cert_path}\nTLSCertificateKeyFile {self.key_path}\n"
            if self.tls
            else ""
        )
        schemas = "".join(f"include {SCHEMA_DIR}/{name}.schema\n" for name in SCHEMAS)
        return f"""\
# A private slapd for one test run, written by tests/support/ldap.py: nothing outside
# {self.dir} is written.
{schemas}
pidfile {self.dir}/slapd.pid
argsfile {self.dir}/slapd.args
{load}{tls}
# A company directory: nobody reads anonymously, and people only bind (and read).
disallow bind_anon
require authc

database mdb
maxsize 33554432
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {self.data_dir}
# Nothing here outlives the run.
dbnosync

access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by users read
    by * none
"""

    # Changing the directory while it runs.
    def connect(
        self, who: str = ROOT_DN, password: str = ROOT_PASSWORD, *, url: str | None = None
    ) -> ldap.ldapobject.LDAPObject:
        """A connection bound as ``who`` (root by default); the caller unbinds."""
        connection = ldap.initialize(url or self.url)
        connection.set_option(ldap.OPT_NETWORK_TIMEOUT, CONNECT_TIMEOUT)
        connection.set_option(ldap.OPT_TIMEOUT, CONNECT_TIMEOUT)
        try:
            connection.simple_bind_s(who, password)
        except BaseException:
            connection.unbind_s()
            raise
        return connection

    def _modify(self, dn: str, changes: list) -> None:
        connection = self.connect()
        try:
            connection.modify_s(dn, changes)
        finally:
            connection.unbind_s()

    def add_member(self, group: str, member_dn: str) -> None:
        self._modify(f"cn={group},{GROUPS}", [(ldap.MOD_ADD, "member", [member_dn.encode()])])

    def remove_member(self, group: str, member_dn: str) -> None:
        self._modify(f"cn={group},{GROUPS}", [(ldap.MOD_DELETE, "member", [member_dn.encode()])])

    def add_person(self, person: Person) -> None:
        connection = self.connect()
        try:
            connection.add_s(person.dn, ldap.modlist.addModlist(person.entry()))
        finally:
            connection.unbind_s()

    def delete(self, dn: str) -> None:
        connection = self.connect()
        try:
            connection.delete_s(dn)
        finally:
            connection.unbind_s()


@dataclass
class DirectoryChanges:
    """The changes one test makes to the session's directory, undone when it ends."""

    server: PrivateSlapd
    _undo: list = field(default_factory=list)

    @property
    def people(self) -> dict[str, Person]:
        return self.server.directory.people

    def add_person(self, person: Person) -> Person:
        self.server.add_person(person)
        self._undo.append(lambda: self.server.delete(person.dn))
        return person

    def add_member(self, group: str, member_dn: str) -> None:
        self.server.add_member(group, member_dn)
        self._undo.append(lambda: self.server.remove_member(group, member_dn))

    def remove_member(self, group: str, member_dn: str) -> None:
        self.server.remove_member(group, member_dn)
        self._undo.append(lambda: self.server.add_member(group, member_dn))

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()
