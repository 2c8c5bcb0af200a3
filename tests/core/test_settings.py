"""The settings switch: external servers when the URLs are set, embedded otherwise."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "host": db["HOST"], "name": db["NAME"], "port": str(db["PORT"]),
    "broker": settings.CELERY_BROKER_URL, "cache": settings.CACHES["default"]["LOCATION"],
    "embedded_db": settings.EMBEDDED_DATABASE, "embedded_redis": settings.EMBEDDED_REDIS,
}))
"""


def _settings_in_subprocess(env_overrides: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + PROBE],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_external_urls_are_used_and_nothing_is_started(tmp_path):
    probe = _settings_in_subprocess(
        {
            "DATABASE_URL": "postgres://app:secret@db.example.invalid:6543/logement",
            "REDIS_URL": "redis://cache.example.invalid:6379/0",
            "SECRET_KEY": "x" * 50,
            "VAR_DIR": str(tmp_path),
        }
    )
    assert probe["engine"] == "django.db.backends.postgresql"
    assert (probe["host"], probe["port"], probe["name"]) == ("db.example.invalid", "6543", "logement")
    assert probe["broker"] == "redis://cache.example.invalid:6379/0"
    assert probe["cache"] == "redis://cache.example.invalid:6379/0"
    assert probe["embedded_db"] is False and probe["embedded_redis"] is False
    assert list(tmp_path.iterdir()) == []  # no embedded server was started


def test_secret_key_is_required_with_an_external_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY",)}
    env.update(DATABASE_URL="postgres://a@b.invalid/c", REDIS_URL="redis://r.invalid:6379/0",
               VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_by_default(settings):
    """The suite itself runs on the embedded servers unless URLs are given."""
    if "DATABASE_URL" in os.environ:
        pytest.skip("DATABASE_URL is set: the suite runs on an external server")
    db = settings.DATABASES["default"]
    assert settings.EMBEDDED_DATABASE
    assert db["HOST"].startswith("/")  # a Unix socket folder, no TCP
    assert settings.CELERY_BROKER_URL.startswith("redis+socket://")
