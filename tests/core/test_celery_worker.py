"""A real Celery worker against the project's Redis: eager mode never touches the broker."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from config.celery import app

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_a_real_worker_runs_a_task_through_the_broker():
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a queue of our own: a dev worker cannot steal it
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        result = app.send_task("core.ping", queue=queue)
        assert result.get(timeout=60) == "pong"
    finally:
        app.conf.task_always_eager = eager
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
