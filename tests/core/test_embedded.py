"""Embedded PostgreSQL and valkey-server: start, reuse, recovery from stale files.

Each test uses its own data folder (tmp_path), never the one the suite runs on.
"""

import os
import signal
import subprocess
import time

import psycopg
import pytest

from core import embedded

pytestmark = pytest.mark.slow


def _wait_dead(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} still alive")


def _query(info: embedded.PostgresInfo) -> int:
    with psycopg.connect(host=info.socket_dir, port=info.port, user=info.user, dbname=info.database) as conn:
        return conn.execute("SELECT 41 + 1").fetchone()[0]


@pytest.fixture
def pgdata(tmp_path):
    folder = tmp_path / "pgdata"
    yield folder
    embedded.stop_postgres(folder)


@pytest.fixture
def valkey_dir(tmp_path):
    folder = tmp_path / "valkey"
    yield folder
    embedded.stop_valkey(folder)


def test_postgres_starts_then_is_reused_quickly(pgdata):
    info = embedded.ensure_postgres(pgdata)
    assert _query(info) == 42
    pid = embedded._read_pid(pgdata / "postmaster.pid")

    started = time.monotonic()
    again = embedded.ensure_postgres(pgdata)
    reuse_seconds = time.monotonic() - started

    assert again == info
    assert embedded._read_pid(pgdata / "postmaster.pid") == pid  # same server
    assert reuse_seconds < 2  # a connection, not a start


def test_postgres_recovers_after_kill_9(pgdata):
    embedded.ensure_postgres(pgdata)
    pid = embedded._read_pid(pgdata / "postmaster.pid")
    os.kill(pid, signal.SIGKILL)
    _wait_dead(pid)
    assert (pgdata / "postmaster.pid").exists()  # left behind, as after a crash

    info = embedded.ensure_postgres(pgdata)

    assert _query(info) == 42
    assert embedded._read_pid(pgdata / "postmaster.pid") != pid


def test_postgres_recovers_when_stale_pid_belongs_to_another_process(pgdata):
    """After a reboot the recorded pid may be reused by an unrelated process."""
    embedded.ensure_postgres(pgdata)
    embedded.stop_postgres(pgdata)
    intruder = subprocess.Popen(["sleep", "60"])
    try:
        # What a reboot leaves: a postmaster.pid naming a live, unrelated pid.
        lines = ["%d" % intruder.pid, str(pgdata), "0", "5432", str(pgdata), "", "0 0", "ready   "]
        (pgdata / "postmaster.pid").write_text("\n".join(lines) + "\n")

        info = embedded.ensure_postgres(pgdata)

        assert _query(info) == 42
        assert intruder.poll() is None  # the unrelated process was left alone
    finally:
        intruder.kill()


def test_postgres_ensure_database_is_idempotent(pgdata):
    info = embedded.ensure_postgres(pgdata)
    embedded.ensure_database(info, "appdb")
    embedded.ensure_database(info, "appdb")
    with psycopg.connect(host=info.socket_dir, port=info.port, user=info.user, dbname="appdb") as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "appdb"


def test_valkey_starts_then_is_reused(valkey_dir):
    sock = embedded.ensure_valkey(valkey_dir)
    pid = embedded._read_pid(valkey_dir / "valkey.pid")
    assert embedded.valkey_answers(sock)

    assert embedded.ensure_valkey(valkey_dir) == sock
    assert embedded._read_pid(valkey_dir / "valkey.pid") == pid


def test_valkey_recovers_after_kill_9(valkey_dir):
    sock = embedded.ensure_valkey(valkey_dir)
    pid = embedded._read_pid(valkey_dir / "valkey.pid")
    os.kill(pid, signal.SIGKILL)
    _wait_dead(pid)
    assert sock.exists()  # socket file left behind

    again = embedded.ensure_valkey(valkey_dir)

    assert embedded.valkey_answers(again)
    assert embedded._read_pid(valkey_dir / "valkey.pid") != pid


def test_valkey_recovers_from_garbage_pid_file(valkey_dir):
    valkey_dir.mkdir()
    (valkey_dir / "valkey.pid").write_text("not a pid\n")
    (valkey_dir / "valkey.sock").write_text("")  # a plain file where the socket should be

    sock = embedded.ensure_valkey(valkey_dir)

    assert embedded.valkey_answers(sock)


def test_valkey_socket_path_is_shortened_when_too_long(tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6)
    path = embedded.valkey_socket_path(deep)
    assert len(str(path)) <= embedded.MAX_SOCKET_PATH
    assert path == embedded.valkey_socket_path(deep)  # stable
