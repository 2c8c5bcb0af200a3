#!/bin/bash
# First start of the postgres container only (docker-entrypoint-initdb.d).
# The application connects as APP_DB_USER, a role that is NOT a superuser
# and does not create roles: the audit log's guard (core migration 0003)
# lets only superusers rewrite audit rows, so the application must never be
# one. POSTGRES_USER stays the owner role (DATABASE_OWNER_URL), used for
# the audit retention purge only.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v app_user="$APP_DB_USER" -v app_password="$APP_DB_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO :"app_user";
ALTER SCHEMA public OWNER TO :"app_user";
SQL
