"""Structure of the container stack: docker-compose.yml, Dockerfile,
.dockerignore, .env.example and docker/entrypoint.sh.

No Docker engine is available where this suite runs, so nothing here builds
an image or starts a container: the files are parsed and checked for the
properties the stack relies on (services, healthchecks, start order,
volumes, commands, pinned images) and for consistency with each other and
with ``config/settings.py`` (every variable the stack sets is one something
reads). The two small scripts that can run without Docker do run: the
entrypoint's SECRET_KEY guard and the web healthcheck, against a local HTTP
server. No database is used.
"""

from __future__ import annotations

import ast
import http.server
import json
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
SETTINGS = ROOT / "config" / "settings.py"

APP_SERVICES = ("web", "worker", "beat")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat")

# Variables .env.example may set that config/settings.py does not read,
# with who reads them.
READ_OUTSIDE_SETTINGS = {
    "POSTGRES_DB": "postgres image",
    "POSTGRES_USER": "postgres image",
    "POSTGRES_PASSWORD": "postgres image",
    "APP_DB_USER": "docker/postgres-init/10-app-role.sh",
    "APP_DB_PASSWORD": "docker/postgres-init/10-app-role.sh",
    "WEB_CONCURRENCY": "gunicorn (number of workers)",
}

# What .env.example must document: the settings' production knobs and the
# postgres image's initialisation variables.
REQUIRED_IN_ENV_EXAMPLE = {
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS", "SECURE_COOKIES", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "BEHIND_TLS_PROXY", "EMAIL_URL",
    "DEFAULT_FROM_EMAIL", "STATIC_ROOT", "MEDIA_ROOT", "CONN_MAX_AGE",
    "LOG_LEVEL", "USH_GUIDE_PATH", "POSTGRES_DB", "POSTGRES_USER",
    "POSTGRES_PASSWORD", "APP_DB_USER", "APP_DB_PASSWORD", "DATABASE_OWNER_URL",
}

# Set by Docker in every container.
CONTAINER_PROVIDED = {"HOSTNAME"}


# --------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    # safe_load resolves the `<<: *app` merge keys as Compose does.
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _env_file_entries(text: str) -> list[tuple[str, str, bool]]:
    """(name, value, active) of `NAME=value` and commented `# NAME=value` lines."""
    entries = []
    for line in text.splitlines():
        match = re.fullmatch(r"\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            entries.append((match.group(2), match.group(3), match.group(1) is None))
    return entries


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    """Active variables of .env.example."""
    return {name: value for name, value, active in _env_file_entries(ENV_EXAMPLE.read_text()) if active}


@pytest.fixture(scope="module")
def env_example_all_names() -> set[str]:
    """Active and commented-out (optional) variables of .env.example."""
    return {name for name, _, _ in _env_file_entries(ENV_EXAMPLE.read_text())}


@pytest.fixture(scope="module")
def settings_env_vars() -> set[str]:
    """Names config/settings.py reads: env("X"), env.bool("X", ...), "X" in env."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            is_env = (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
            )
            first = node.args[0]
            if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
            if any(isinstance(c, ast.Name) and c.id == "env" for c in node.comparators):
                names.add(node.left.value)
    return names


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, args = current.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        current = ""
    return instructions


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return _dockerfile_instructions()


def _dockerfile_env(dockerfile) -> dict[str, str]:
    values = {}
    for keyword, args in dockerfile:
        if keyword == "ENV":
            for token in shlex.split(args):
                name, _, value = token.partition("=")
                values[name] = value
    return values


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def _healthcheck_argv(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    return shlex.split(test) if isinstance(test, str) else list(test)


def _contains_sequence(argv: list[str], sequence: list[str]) -> bool:
    n = len(sequence)
    return any(argv[i : i + n] == sequence for i in range(len(argv) - n + 1))


def _volume_mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each volume, short or long syntax."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume["target"]
        mounts.append((source, target))
    return mounts


# --------------------------------------------------------------------------
# docker-compose.yml
# --------------------------------------------------------------------------
def test_compose_file_has_no_version_key(compose):
    # The Compose specification dropped it; Compose v2 warns when it is there.
    assert "version" not in compose


def test_all_services_exist(services):
    assert set(LONG_RUNNING) <= set(services)


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_service_has_a_healthcheck(services, name):
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)
    argv = _healthcheck_argv(services[name])
    assert argv and argv[0] in {"CMD", "CMD-SHELL"}, argv
    assert len(argv) > 1


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_service_restarts(services, name):
    assert services[name].get("restart") in {"unless-stopped", "always"}


def test_service_healthchecks_probe_what_they_should(services):
    postgres = " ".join(_healthcheck_argv(services["postgres"]))
    assert "pg_isready" in postgres
    redis = " ".join(_healthcheck_argv(services["redis"]))
    assert re.search(r"\b(valkey|redis)-cli\b.*\bping\b", redis)
    worker = _healthcheck_argv(services["worker"])
    assert re.search(r"celery -A config inspect ping", " ".join(worker))
    beat = " ".join(_healthcheck_argv(services["beat"]))
    # Beat answers no remote control: its check reads its pid file and pings the broker.
    pidfile = next(arg.split("=", 1)[1] for arg in _command(services["beat"]) if arg.startswith("--pidfile="))
    assert pidfile in beat and "REDIS_URL" in beat


def test_web_healthcheck_hits_healthz_without_curl(services):
    argv = _healthcheck_argv(services["web"])
    assert argv[:3] == ["CMD", "python", "-c"]  # python:3.11-slim has no curl nor wget
    assert "/healthz" in argv[3]
    assert "urllib" in argv[3]
    assert "http://127.0.0.1:8000/healthz" in argv[3]


def test_migrations_run_once_before_the_app(services):
    migrate = services["migrate"]
    command = _command(migrate)
    assert _contains_sequence(command, ["manage.py", "migrate", "--noinput"]), command
    assert str(migrate.get("restart")) == "no"  # one-shot: must not loop
    assert "ports" not in migrate
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_healthy_backends_and_migrations(services, name):
    depends_on = services[name]["depends_on"]
    assert isinstance(depends_on, dict), "use the long syntax, with conditions"
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", ["migrate", *APP_SERVICES])
def test_app_services_share_the_image_and_environment(services, name):
    service = services[name]
    assert service.get("build") in (".", {"context": "."})
    env_file = service.get("env_file")
    assert env_file == ".env" or env_file == [".env"]


def test_compose_uses_anchors_for_the_app_definition(compose_text, compose):
    assert "x-app" in compose
    assert "&app" in compose_text
    assert compose_text.count("<<: *app") == len(APP_SERVICES) + 1  # + migrate


def test_postgres_data_lives_in_a_named_volume(compose, services):
    named = set(compose.get("volumes") or {})
    mounts = dict((target, source) for source, target in _volume_mounts(services["postgres"]))
    # PostgreSQL 18 images keep PGDATA in /var/lib/postgresql/18/docker and
    # refuse a mount at the pre-18 /var/lib/postgresql/data.
    assert "/var/lib/postgresql" in mounts
    assert "/var/lib/postgresql/data" not in mounts
    assert mounts["/var/lib/postgresql"] in named


def test_media_lives_in_a_named_volume(compose, services, env_example):
    named = set(compose.get("volumes") or {})
    for name in APP_SERVICES:
        mounts = dict((target, source) for source, target in _volume_mounts(services[name]))
        assert env_example["MEDIA_ROOT"] in mounts, name
        assert mounts[env_example["MEDIA_ROOT"]] in named


def test_every_named_volume_is_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for source, _ in _volume_mounts(service):
            if source and not source.startswith((".", "/", "~", "$")):
                assert source in declared, f"{name}: volume {source} not declared"


def test_web_runs_gunicorn_on_port_8000(services, dockerfile):
    web = services["web"]
    command = _command(web)
    assert command[:2] == ["gunicorn", "config.wsgi:application"], command
    assert "0.0.0.0:8000" in command  # gunicorn binds 127.0.0.1 by default
    published = []
    for port in web.get("ports", []):
        if isinstance(port, dict):
            published.append(str(port["target"]))
        else:
            published.append(str(port).rsplit(":", 1)[-1].split("/")[0])
    assert "8000" in published
    # Same command as the image's default.
    cmd = next(args for keyword, args in dockerfile if keyword == "CMD")
    assert json.loads(cmd) == command


def test_worker_runs_celery_worker(services):
    assert _contains_sequence(_command(services["worker"]), ["celery", "-A", "config", "worker"])


def test_beat_runs_celery_beat(services):
    command = _command(services["beat"])
    assert command[0] == "celery"
    assert _contains_sequence(command, ["-A", "config", "beat"])


def test_only_web_is_published(services):
    for name, service in services.items():
        if name != "web":
            assert "ports" not in service, f"{name} must not be reachable from outside"


def test_images_are_pinned(services):
    for name, service in services.items():
        image = service.get("image")
        if image is None:
            assert "build" in service, name
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest", f"{name}: {image}"
    assert services["postgres"]["image"].startswith("postgres:18")
    assert services["redis"]["image"].split(":")[0] in {"valkey/valkey", "redis"}


def test_compose_interpolations_are_defined(compose_text, env_example):
    # ${VAR}: substituted by Compose from .env; needs a default or a value there.
    for match in re.finditer(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)((?::?[-?+])[^}]*)?\}", compose_text):
        name, modifier = match.group(1), match.group(2) or ""
        if modifier.lstrip(":").startswith("-"):
            continue
        assert name in env_example, f"${{{name}}} used in docker-compose.yml, missing from .env.example"
    # $${VAR}: left to the container's shell; the container must have it.
    for name in re.findall(r"\$\$\{?([A-Z][A-Z0-9_]*)", compose_text):
        assert name in env_example or name in CONTAINER_PROVIDED, name


def test_postgres_gets_only_its_own_variables(services):
    postgres = services["postgres"]
    assert "env_file" not in postgres  # .env holds SECRET_KEY
    assert set(postgres["environment"]) == {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "APP_DB_USER", "APP_DB_PASSWORD"}
    assert "./docker/postgres-init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]


def test_the_application_role_is_not_the_superuser(env_example):
    """The audit guard lets superusers rewrite audit rows: the app must not be one."""
    app, owner = urlsplit(env_example["DATABASE_URL"]), urlsplit(env_example["DATABASE_OWNER_URL"])
    assert app.username == env_example["APP_DB_USER"] != env_example["POSTGRES_USER"]
    assert app.password == env_example["APP_DB_PASSWORD"]
    assert owner.username == env_example["POSTGRES_USER"] and owner.password == env_example["POSTGRES_PASSWORD"]
    script = (ROOT / "docker" / "postgres-init" / "10-app-role.sh").read_text()
    assert "NOSUPERUSER" in script and "NOCREATEROLE" in script


# --------------------------------------------------------------------------
# .env.example
# --------------------------------------------------------------------------
def test_env_example_documents_every_setting(env_example):
    missing = REQUIRED_IN_ENV_EXAMPLE - set(env_example)
    assert not missing, f"missing from .env.example: {sorted(missing)}"


def test_env_example_sets_nothing_unread(env_example_all_names, settings_env_vars):
    unread = {
        name
        for name in env_example_all_names
        if name not in settings_env_vars and name not in READ_OUTSIDE_SETTINGS
    }
    assert not unread, f"nothing reads {sorted(unread)}"


def test_settings_still_read_the_documented_variables(settings_env_vars):
    documented = REQUIRED_IN_ENV_EXAMPLE - set(READ_OUTSIDE_SETTINGS)
    assert documented <= settings_env_vars, sorted(documented - settings_env_vars)


def test_env_example_is_production_safe(env_example):
    assert env_example["DEBUG"] == "false"
    assert env_example["SECURE_COOKIES"] == "true"
    assert env_example["SECURE_SSL_REDIRECT"] == "true"
    assert env_example["BEHIND_TLS_PROXY"] == "true"  # else SECURE_SSL_REDIRECT loops
    assert int(env_example["SECURE_HSTS_SECONDS"]) >= 31536000
    assert "*" not in env_example["ALLOWED_HOSTS"]
    assert all(origin.startswith("https://") for origin in env_example["CSRF_TRUSTED_ORIGINS"].split(","))
    # A placeholder the entrypoint refuses, so that it cannot reach production.
    assert env_example["SECRET_KEY"].startswith("change-me")


def test_env_example_values_are_compose_safe(env_example):
    for name, value in env_example.items():
        assert "$" not in value, f"{name}: docker compose would substitute the $"
        assert value == value.strip() and " #" not in value, name
        assert not value.startswith(("'", '"')), name


def test_database_and_redis_urls_point_at_the_services(env_example, services):
    database = urlsplit(env_example["DATABASE_URL"])
    assert database.scheme in {"postgres", "postgresql"}
    assert database.hostname == "postgres" and "postgres" in services
    assert database.username == env_example["APP_DB_USER"]
    assert database.password == env_example["APP_DB_PASSWORD"]
    assert database.path.lstrip("/") == env_example["POSTGRES_DB"]
    for name in ("REDIS_URL", "REDIS_CACHE_URL"):
        if name in env_example:
            redis_url = urlsplit(env_example[name])
            assert redis_url.scheme == "redis" and redis_url.hostname == "redis", name
    assert "redis" in services


def test_paths_match_the_image(env_example, dockerfile):
    image_env = _dockerfile_env(dockerfile)
    # collectstatic ran at build time into the image's STATIC_ROOT.
    assert env_example["STATIC_ROOT"] == image_env["STATIC_ROOT"]
    assert env_example["MEDIA_ROOT"] == image_env["MEDIA_ROOT"]


def test_ush_guide_is_mounted(env_example, services):
    guide = env_example["USH_GUIDE_PATH"]
    for name in APP_SERVICES:
        targets = [target for _, target in _volume_mounts(services[name])]
        assert any(guide.startswith(target.rstrip("/") + "/") for target in targets), name


# --------------------------------------------------------------------------
# Dockerfile, .dockerignore, entrypoint
# --------------------------------------------------------------------------
def test_dockerfile_base_image_is_pinned(dockerfile):
    froms = [args.split()[0] for keyword, args in dockerfile if keyword == "FROM"]
    assert froms == ["python:3.11-slim"]
    assert not any(image.endswith(":latest") or ":" not in image for image in froms)
    assert "latest" not in DOCKERFILE.read_text()


def test_dockerfile_installs_from_the_lock(dockerfile):
    runs = [args for keyword, args in dockerfile if keyword == "RUN"]
    assert any(re.search(r"pip install (.* )?-r requirements\.lock", run) for run in runs)
    copies = [args for keyword, args in dockerfile if keyword == "COPY"]
    assert any("requirements.lock" in copy for copy in copies)


def test_dockerfile_collects_static_without_keeping_dummy_secrets(dockerfile):
    collect = next(args for keyword, args in dockerfile if keyword == "RUN" and "collectstatic" in args)
    # Without these the settings would start the embedded servers, or refuse to load.
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        assert f"{name}=" in collect
    assert "--noinput" in collect
    image_env = _dockerfile_env(dockerfile)
    assert not {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} & set(image_env)
    assert not any(keyword == "ARG" and "SECRET" in args for keyword, args in dockerfile)


def test_dockerfile_runs_as_a_non_root_user(dockerfile):
    users = [args for keyword, args in dockerfile if keyword == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    keywords = [keyword for keyword, _ in dockerfile]
    assert keywords.index("USER") < keywords.index("CMD")


def test_dockerfile_exposes_8000_and_defaults_to_gunicorn(dockerfile):
    assert any(keyword == "EXPOSE" and "8000" in args.split() for keyword, args in dockerfile)
    cmd = json.loads(next(args for keyword, args in dockerfile if keyword == "CMD"))
    assert cmd[:2] == ["gunicorn", "config.wsgi:application"]


def test_dockerignore_keeps_secrets_and_local_state_out():
    patterns = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".env", ".venv", "var", ".git"} <= patterns
    # The entrypoint must reach the image.
    assert not {"docker", "docker/"} & patterns


def test_entrypoint_is_the_one_in_the_repository(dockerfile):
    entrypoint = json.loads(next(args for keyword, args in dockerfile if keyword == "ENTRYPOINT"))
    assert entrypoint[-1] == "/app/" + ENTRYPOINT.relative_to(ROOT).as_posix()
    assert ENTRYPOINT.is_file()


@pytest.mark.parametrize(
    ("secret_key", "status"),
    [
        (None, 64),
        ("", 64),
        ("change-me-to-a-long-random-string", 64),
        ("bZ1y3Q-vT8xkq0o9M2c7Lr4sWj5hNf6dYa", 0),
    ],
)
def test_entrypoint_refuses_the_placeholder_secret_key(secret_key, status):
    env = {"PATH": "/usr/bin:/bin"}
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    result = subprocess.run(["sh", str(ENTRYPOINT), "true"], env=env, capture_output=True, text=True, timeout=10)
    assert result.returncode == status, result.stderr


# --------------------------------------------------------------------------
# Healthcheck scripts
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["web", "beat"])
def test_python_healthchecks_compile(services, name):
    argv = _healthcheck_argv(services[name])
    assert argv[1:3] == ["python", "-c"]
    compile(argv[3], f"<{name} healthcheck>", "exec")


class _Healthz(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []
    body = b'{"status": "ok"}'

    def do_GET(self):  # noqa: N802 (http.server API)
        type(self).seen.append({"path": self.path, **dict(self.headers)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("allowed_hosts", "expected_host", "body", "status"),
    [
        ("logement.example.org,www.example.org", "logement.example.org", b'{"status": "ok"}', 0),
        (".example.org", "example.org", b'{"status": "ok"}', 0),
        ("*", "localhost", b'{"status": "ok"}', 0),
        ("logement.example.org", "logement.example.org", b'{"status": "down"}', 1),
    ],
)
def test_web_healthcheck_script(services, allowed_hosts, expected_host, body, status):
    """Runs the healthcheck's Python against a stand-in server on a free port."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Healthz)
    _Healthz.seen, _Healthz.body = [], body
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        script = _healthcheck_argv(services["web"])[3].replace(
            "http://127.0.0.1:8000/", f"http://127.0.0.1:{server.server_port}/"
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "ALLOWED_HOSTS": allowed_hosts},
            capture_output=True,
            text=True,
            timeout=20,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == status, result.stderr
    (request,) = _Healthz.seen
    assert request["path"] == "/healthz"
    assert request["Host"] == expected_host
    assert request["X-Forwarded-Proto"] == "https"
