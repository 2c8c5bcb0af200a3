#!/bin/sh
# Entrypoint of the image (web, worker, beat, migrate). Guards against the one
# mistake that would silently weaken production, then hands over to the
# command with exec so that it receives SIGTERM directly.
set -eu

case "${SECRET_KEY:-}" in
    "" | change-me*)
        echo "entrypoint: SECRET_KEY is empty or still the .env.example placeholder." >&2
        echo "entrypoint: generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'" >&2
        exit 64
        ;;
esac

exec "$@"
