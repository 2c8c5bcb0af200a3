from django.core.management.base import BaseCommand
from django.db import transaction

from core.bootstrap import loaders


class Command(BaseCommand):
    help = "Charge les données initiales (catalogue, démonstration) là où la base est vide."

    def handle(self, *args, **options) -> None:
        for loader in loaders():
            with transaction.atomic():
                loader.load(stdout=self.stdout)
