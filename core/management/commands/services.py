"""Status and stop of the embedded PostgreSQL and valkey-server."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import embedded


class Command(BaseCommand):
    help = "État ou arrêt des serveurs embarqués (PostgreSQL, Valkey) sous var/."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, action: str, **options) -> None:
        if not (settings.EMBEDDED_DATABASE or settings.EMBEDDED_REDIS):
            raise CommandError("DATABASE_URL et REDIS_URL sont définis : aucun serveur embarqué.")
        pgdata, valkey_dir = settings.VAR_DIR / "pgdata", settings.VAR_DIR / "valkey"
        if action == "status":
            # Settings already started (or reused) both servers to get here.
            self.stdout.write(f"PostgreSQL : en marche ({pgdata})")
            sock = embedded.valkey_socket_path(valkey_dir)
            state = "en marche" if embedded.valkey_answers(sock) else "arrêté"
            self.stdout.write(f"Valkey : {state} ({sock})")
            return
        from django.db import connections

        connections.close_all()
        pg = embedded.stop_postgres(pgdata) if settings.EMBEDDED_DATABASE else False
        vk = embedded.stop_valkey(valkey_dir) if settings.EMBEDDED_REDIS else False
        self.stdout.write(f"PostgreSQL : {'arrêté' if pg else 'ne tournait pas'}")
        self.stdout.write(f"Valkey : {'arrêté' if vk else 'ne tournait pas'}")
