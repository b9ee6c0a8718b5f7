"""Private, throw-away PostgreSQL and Redis servers for one test session.

``tests/support/dbselect.py`` starts them when ``DATABASE_URL`` (or ``REDIS_URL``) is unset and
nothing answers on the standard port, so that ``make test`` needs no running services. Each
server runs from the machine's own binaries (Debian's ``postgresql`` and ``redis-server``
packages), in its own temporary folder, on a free loopback port, keeping nothing that
outlives it: PostgreSQL with trust authentication and ``fsync`` off, Redis with no
snapshots and no append-only file.

``stop()`` ends the server and removes its folder. dbselect calls it when pytest ends, also on
Ctrl-C or SIGTERM. A run killed outright (SIGKILL) cannot clean up after itself, so every
folder names the process that owns it, and the next ``reap_stale()`` stops the servers of an
owner that is gone.

Running as root: PostgreSQL's ``initdb`` and ``postgres`` refuse to. Then both run as the
``postgres`` system user (created by Debian's package) through ``setpriv``, which replaces
itself with the server, so the server is still this process's child and its process group
leader; the server's folder belongs to that user.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.support.processes import LoggedProcess, poll

# Every private server's folder starts with this, in the system's temporary directory.
PREFIX = "helpdesk-test-"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# The user PostgreSQL runs as when this process is root.
POSTGRES_SYSTEM_USER = "postgres"


class ServiceError(RuntimeError):
    """A private server could not be started."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def postgres_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with initdb and postgres, else one on PATH."""

    def usable(folder: Path) -> bool:
        return all(os.access(folder / name, os.X_OK) for name in ("initdb", "postgres"))

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return next((folder for folder in candidates if usable(folder)), None)


def redis_server() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)),
        None,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    # A zombie has exited; it only waits for its parent (init, for an orphan) to reap it.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


class PrivateServer(LoggedProcess):
    """One server process in its own temporary folder and its own process group."""

    name = "server"
    # Signal for a clean, quick shutdown; SIGKILL to the group follows if it hangs.
    stop_signal = signal.SIGTERM

    def __init__(self) -> None:
        self.port = 0
        self.dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{self.name}-"))
        super().__init__(log_path=self.dir / f"{self.name}.log")
        self._owner = os.getpid()
        self._record()

    # What a subclass provides.
    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def prepare(self) -> None:
        """Anything to do once before the first start (PostgreSQL's initdb)."""

    @property
    def url(self) -> str:
        raise NotImplementedError

    # The life of the server.
    def start(self, attempts: int = 3) -> PrivateServer:
        """Start on a free port, wait until it answers; retry if the port was taken first."""
        try:
            self.prepare()
            for _attempt in range(attempts):
                self.port = free_port()
                logged = len(self.log())
                self._spawn()
                self._record()
                if poll(lambda: not self.alive() or self.ready(), timeout=READY_TIMEOUT):
                    if self.alive():
                        return self
                    if "already in use" in self.log()[logged:]:
                        continue  # another process took the port first
                    raise ServiceError(f"{self.name} exited early:\n{self.log_tail()}")
                raise ServiceError(
                    f"{self.name} did not answer within {READY_TIMEOUT:.0f}s:\n{self.log_tail()}"
                )
            raise ServiceError(f"{self.name}: no free port after {attempts} attempts")
        except BaseException:
            self.stop()
            raise

    def _spawn(self) -> None:
        # Its own process group: a Ctrl-C in the terminal reaches pytest, which then stops
        # the server in order, and stop() can end the server's children too.
        self.spawn(self.command(), cwd=self.dir)

    def _record(self) -> None:
        """Name the owner and the server in the folder, for reap_stale() after a SIGKILL."""
        pid = self.popen.pid if self.popen is not None else 0  # 0: not started yet
        owner = {"owner": self._owner, "pid": pid, "name": self.name, "port": self.port}
        (self.dir / "owner.json").write_text(json.dumps(owner))

    def stop(self) -> None:
        """Stop the server (if this process started it) and remove its folder. Idempotent."""
        if os.getpid() != self._owner:
            return  # a forked child: the server is its parent's to stop
        # Hung: the whole group at once (PostgreSQL's backends too).
        self.terminate(self.stop_signal, timeout=STOP_TIMEOUT)
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis(PrivateServer):
    name = "redis"

    def __init__(self, binary: str | None = None) -> None:
        binary = binary or redis_server()
        if not binary:
            raise ServiceError("no redis-server binary (Debian: apt-get install redis-server)")
        self.binary = binary
        super().__init__()

    def command(self) -> list[str]:
        return [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.dir),
            "--daemonize", "no",
        ]  # fmt: skip

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class PrivatePostgres(PrivateServer):
    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: ends open sessions, then exits

    def __init__(self, bindir: Path | None = None) -> None:
        bindir = bindir or postgres_bindir()
        if bindir is None:
            raise ServiceError(
                "no PostgreSQL server binaries (Debian: apt-get install postgresql)"
            )
        self.bindir = bindir
        self.run_as: list[str] = []
        super().__init__()
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            self._hand_folder_to_system_user()

    def _hand_folder_to_system_user(self) -> None:
        try:
            user = pwd.getpwnam(POSTGRES_SYSTEM_USER)
        except KeyError:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise ServiceError(
                f"running as root, and PostgreSQL refuses to: there is no "
                f"{POSTGRES_SYSTEM_USER!r} user to run it as (Debian's postgresql package "
                "creates one)"
            ) from None
        setpriv = shutil.which("setpriv")
        if not setpriv:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise ServiceError("running as root and no setpriv (util-linux) to drop to postgres")
        os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.run_as = [
            setpriv,
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            "--init-groups",
            "--",
        ]

    def prepare(self) -> None:
        initdb = [
            *self.run_as,
            str(self.bindir / "initdb"),
            "--pgdata", str(self.data),
            "--username", "postgres",
            "--auth", "trust",
            "--encoding", "UTF8",
            "--locale", "C.UTF-8",
            "--no-sync",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            done = subprocess.run(
                initdb, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=False
            )
        if done.returncode != 0:
            raise ServiceError(f"initdb failed ({done.returncode}):\n{self.log_tail()}")

    def command(self) -> list[str]:
        return [
            *self.run_as,
            str(self.bindir / "postgres"),
            "-D", str(self.data),
            "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1",
            "-c", f"unix_socket_directories={self.dir}",
            # Throw-away data: durability buys nothing and costs time.
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
        ]  # fmt: skip

    def ready(self) -> bool:
        import psycopg2

        try:
            psycopg2.connect(self.dsn("postgres"), connect_timeout=1).close()
        except psycopg2.OperationalError:
            return False
        return True

    def dsn(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.dsn("helpdesk")


def reap_stale(tmp: Path | None = None) -> list[Path]:
    """Stop the servers of owners that died without stopping them; return their folders."""
    reaped = []
    for folder in Path(tmp or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            record = json.loads((folder / "owner.json").read_text())
            owner, pid, name = int(record["owner"]), int(record["pid"]), str(record["name"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being created, or not ours
        if _alive(owner):
            continue
        # The server led its own process group. In case its number has been reused since,
        # kill only a group leader that still runs that server.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if pid > 0 and os.getpgid(pid) == pid and name in _command_line(pid):
                os.killpg(pid, signal.SIGKILL)
                poll(lambda pid=pid: not _alive(pid), timeout=STOP_TIMEOUT)
        shutil.rmtree(folder, ignore_errors=True)
        reaped.append(folder)
    return reaped
