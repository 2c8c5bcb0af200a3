# Production image of the platform. One image, three roles chosen by the
# command (see docker-compose.yml): gunicorn (web, the default below),
# `celery -A config worker` and `celery -A config beat`.
FROM python:3.11-slim

# STATIC_ROOT must stay equal at build and run time: collectstatic below
# fills it and WhiteNoise serves it from there. MEDIA_ROOT is the mount point
# of the `media` volume. WEB_CONCURRENCY is read by gunicorn itself (number of
# workers); override it in .env.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    WEB_CONCURRENCY=3

WORKDIR /app

# Unprivileged user. The code stays owned by root (read-only for the app);
# only MEDIA_ROOT and the user's home are writable (gunicorn puts its control
# socket in ~/.gunicorn).
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app

# Dependencies first, so that a code change reuses this layer.
# requirements.lock pins the whole tree (same install as `make install`).
COPY requirements.lock ./
RUN pip install -r requirements.lock \
 && pip check

COPY . .

# Front-end assets (pinned npm tarballs, integrity-checked) into var/assets.
RUN python -m core.assets

# Static files are part of the image. The settings start an embedded
# PostgreSQL/valkey unless DATABASE_URL and REDIS_URL are set, and refuse an
# empty SECRET_KEY with an external database: give them dummy values that
# exist only for this command (not ENV: nothing is kept in the image).
# collectstatic connects to neither server.
RUN DATABASE_URL=postgres://build:build@127.0.0.1:1/build \
    REDIS_URL=redis://127.0.0.1:1/0 \
    SECRET_KEY=build-time-only-not-a-secret \
    DEBUG=false \
    python manage.py collectstatic --noinput \
 && mkdir -p "$MEDIA_ROOT" \
 && chown app:app "$MEDIA_ROOT"

USER app

EXPOSE 8000

# Refuses to start with the placeholder SECRET_KEY of .env.example, then
# execs the command (which keeps the signals for a clean shutdown).
ENTRYPOINT ["sh", "/app/docker/entrypoint.sh"]
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-", "--timeout", "60"]
