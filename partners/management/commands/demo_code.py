from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from partners import demo


class Command(BaseCommand):
    help = "Affiche le code de vérification en deux étapes des comptes de démonstration."

    def handle(self, *args, **options) -> None:
        if not (settings.DEBUG or settings.EMBEDDED_DATABASE):
            raise CommandError("Réservé aux bases de développement.")
        self.stdout.write(f"{demo.current_code()}  (valable encore {demo.seconds_left()} s)")
