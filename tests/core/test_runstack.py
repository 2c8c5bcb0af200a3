"""`make run` end to end: migrate, bootstrap, web + worker + beat, French admin, Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _drop_database(name: str) -> None:
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="exercises the embedded servers")
def test_runstack_serves_the_french_admin_and_stops_on_ctrl_c():
    port = _free_port()
    database = "runstack_smoke"
    _drop_database(database)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", EMBEDDED_DATABASE_NAME=database,
               DEBUG="true", PYTHONUNBUFFERED="1", USH_GUIDE_PATH="/nonexistent/guide.txt")
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--port", str(port)],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = stack.stdout.readline()
            if not line and stack.poll() is not None:
                break
            output.append(line)
            if "Ctrl-C" in line:
                break
        banner = "".join(output)
        assert f"http://127.0.0.1:{port}/" in banner, banner[-3000:]
        assert "admin@demo.logement-accompagne.fr" in banner  # the logins are printed

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200
        assert 'lang="fr"' in page
        assert "Adresse e-mail" in page and "Connexion" in page

        os.killpg(stack.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        assert stack.wait(60) == 0
        assert "Arrêté." in stack.stdout.read()
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
        _drop_database(database)


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="exercises the embedded servers")
def test_children_stop_when_runstack_is_killed_with_sigkill():
    """kill -9 of the supervisor leaves no web, worker or beat behind."""
    import psutil

    port = _free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", EMBEDDED_DATABASE_NAME="runstack_kill",
               DEBUG="true", PYTHONUNBUFFERED="1", USH_GUIDE_PATH="/nonexistent/guide.txt")
    stack = subprocess.Popen([sys.executable, "manage.py", "runstack", "--port", str(port), "--no-bootstrap"],
                             cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "Ctrl-C" not in stack.stdout.readline():
            pass
        children = psutil.Process(stack.pid).children()
        assert len(children) == 3
        stack.kill()
        stack.wait(10)
        gone, alive = psutil.wait_procs(children, timeout=60)
        left = [" ".join(orphan.cmdline()) for orphan in alive]
        for orphan in alive:  # clean up before failing
            orphan.kill()
        assert left == []
    finally:
        if stack.poll() is None:
            stack.kill()
        _drop_database("runstack_kill")
