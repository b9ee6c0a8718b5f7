"""The private servers that dbselect starts when nothing answers on the standard ports.

Each test starts a real server from the machine's binaries, as ``make test`` does on a machine
with no PostgreSQL or Redis running: about two seconds for PostgreSQL (initdb included), a
tenth of one for Redis.
"""

import json
import os
import subprocess

import psycopg2
import pytest
import redis

from tests.support import services


def _require(found: object, what: str) -> None:
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(f"no {what} binary (CI is set, so this is a failure, not a skip)")
    pytest.skip(f"no {what} binary")


@pytest.fixture
def started():
    """Servers a test starts; stopped afterwards even if the test fails half-way."""
    servers: list[services.PrivateServer] = []
    yield servers
    for server in servers:
        server.stop()


def _process_uid(pid: int) -> int:
    return os.stat(f"/proc/{pid}").st_uid


def test_private_redis_answers_on_its_own_port_and_leaves_nothing_behind(started):
    _require(services.redis_server(), "redis-server")
    server = services.PrivateRedis().start()
    started.append(server)

    client = redis.Redis.from_url(server.url)
    client.set("greeting", "hello")

    assert server.url == f"redis://127.0.0.1:{server.port}/0"
    assert client.get("greeting") == b"hello"
    assert client.config_get("save") == {"save": ""}
    assert client.config_get("appendonly") == {"appendonly": "no"}
    client.close()

    folder = server.dir
    server.stop()

    assert server.popen.poll() is not None
    assert not folder.exists()
    assert not services.answers("127.0.0.1", server.port)


def test_private_postgres_answers_and_leaves_nothing_behind(started):
    _require(services.postgres_bindir(), "PostgreSQL (initdb, postgres)")
    server = services.PrivatePostgres().start()
    started.append(server)

    with psycopg2.connect(server.dsn("postgres")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('fsync'), inet_server_port()")
        row = cursor.fetchone()
    # Open, as Django's persistent connections are when the run ends: the stop ends it.
    kept_open = psycopg2.connect(server.dsn("postgres"))

    assert row == ("postgres", "off", server.port)
    if os.geteuid() == 0:  # PostgreSQL refuses root; it runs as the postgres user instead
        assert _process_uid(server.pid) != 0

    folder = server.dir
    server.stop()

    assert server.popen.poll() is not None
    with pytest.raises(psycopg2.Error):  # the stop ended the session rather than waiting on it
        kept_open.cursor().execute("SELECT 1")
    kept_open.close()
    assert not folder.exists()
    assert not services.answers("127.0.0.1", server.port)


def _finished_process_pid() -> int:
    """The pid of a process that has exited: an owner that died."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def test_reap_stale_stops_a_server_whose_owner_died(started):
    _require(services.redis_server(), "redis-server")
    server = services.PrivateRedis().start()
    started.append(server)
    record = server.dir / "owner.json"
    record.write_text(
        json.dumps({**json.loads(record.read_text()), "owner": _finished_process_pid()})
    )

    reaped = services.reap_stale()

    assert server.dir in reaped
    assert server.popen.wait(timeout=services.STOP_TIMEOUT) is not None
    assert not server.dir.exists()


def test_reap_stale_leaves_live_owners_and_reused_pids_alone(started, tmp_path):
    _require(services.redis_server(), "redis-server")
    live = services.PrivateRedis().start()
    started.append(live)
    # A dead owner's record whose server pid now belongs to an unrelated process.
    bystander = subprocess.Popen(["cat"], stdin=subprocess.PIPE, start_new_session=True)
    stale = tmp_path / f"{services.PREFIX}redis-stale"
    stale.mkdir()
    (stale / "owner.json").write_text(
        json.dumps({"owner": _finished_process_pid(), "pid": bystander.pid, "name": "redis"})
    )
    try:
        reaped = services.reap_stale(tmp_path) + services.reap_stale()

        assert stale in reaped
        assert live.dir not in reaped
        assert bystander.poll() is None
        assert live.alive()
        assert live.dir.exists()
    finally:
        bystander.kill()
        bystander.wait()
