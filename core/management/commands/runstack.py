"""``make run``: migrate, load data when the database is empty, then run web,
Celery worker and Celery beat in the foreground until Ctrl-C."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migre, charge les données si la base est vide, puis lance web + worker Celery + beat."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-bootstrap", action="store_true", help="Ne pas charger les données.")
        parser.add_argument("--exit-when-ready", action="store_true", help="S'arrêter dès que tout répond (tests).")

    def handle(self, *args, port: int, host: str, no_bootstrap: bool, exit_when_ready: bool, **options) -> None:
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        if not no_bootstrap:
            call_command("bootstrap", stdout=self.stdout)
        if settings.DEBUG:
            Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # served from the finders
        else:
            call_command("collectstatic", interactive=False, verbosity=0)
        children = self._start_children(host, port)
        try:
            url = f"http://{host}:{port}/"
            self._wait_until_ready(url + "healthz", children)
            self._print_banner(url, time.monotonic() - started)
            if exit_when_ready:
                return
            self._supervise(children)
        finally:
            self._stop(children)

    # ------------------------------------------------------------------
    def _start_children(self, host: str, port: int) -> dict[str, subprocess.Popen]:
        python = sys.executable
        base_dir = Path(settings.BASE_DIR)
        if settings.DEBUG:
            web = [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
        else:
            web = [python, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{host}:{port}", "--workers", "2"]
        commands = {
            "web": web,
            # Thread pool: one process, so that nothing outlives it (see _die_with_parent).
            # docker-compose runs the production worker with the prefork pool.
            "worker": [python, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--pool=threads", "--concurrency=4"],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                     "--pidfile=", f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}"],
        }
        # Children inherit the environment: they find the embedded servers
        # started by this process through the same var/ folder.
        return {
            name: subprocess.Popen(command, cwd=base_dir, start_new_session=True, preexec_fn=_die_with_parent)
            for name, command in commands.items()
        }

    def _wait_until_ready(self, url: str, children: dict[str, subprocess.Popen], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive(children)
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"Le serveur web ne répond pas sur {url}")

    def _print_banner(self, url: str, elapsed: float) -> None:
        from core.bootstrap import demo_logins

        lines = [
            "",
            f"  Plateforme logement accompagné prête en {elapsed:.1f} s",
            f"  Application : {url}",
            f"  Administration : {url}admin/",
            "",
            "  Comptes de démonstration :",
        ]
        lines += [f"    {role:<40} {email:<45} {password}" for role, email, password in demo_logins()]
        lines += [
            "",
            "  Vérification en deux étapes (équipe nationale, financeur, administrateurs) :",
            "    .venv/bin/python manage.py demo_code   (code du moment ; secret TOTP dans le README)",
            "",
            "  Ctrl-C pour tout arrêter.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _check_alive(self, children: dict[str, subprocess.Popen]) -> None:
        for name, child in children.items():
            if child.poll() is not None:
                raise SystemExit(f"Le processus « {name} » s'est arrêté (code {child.returncode}).")

    def _supervise(self, children: dict[str, subprocess.Popen]) -> None:
        stop = {"now": False}

        def request_stop(signum, frame):  # noqa: ARG001
            stop["now"] = True

        # Installed explicitly: a shell that starts us in the background sets
        # SIGINT to "ignore", and Python would then never raise KeyboardInterrupt.
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stop["now"]:
            self._check_alive(children)
            time.sleep(0.5)

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
        self.stdout.write("Arrêté.")


def _die_with_parent() -> None:
    """In each child: be killed if runstack itself dies (even by kill -9).

    The normal stop (Ctrl-C, SIGTERM) goes through ``_stop`` and is graceful;
    this only covers a supervisor that crashed, where a child half-way
    through its start-up may not honour SIGTERM in time: SIGKILL. Linux only
    (prctl PR_SET_PDEATHSIG); elsewhere children are stopped by ``_stop`` only.
    """
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        pass
