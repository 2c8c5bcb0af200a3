"""Build the synthetic demo caseload over the projects of the catalogue."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from households.models import Household
from housing import demo


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Date invalide « {value} » : format attendu AAAA-MM-JJ.") from exc


class Command(BaseCommand):
    help = (
        "Génère un jeu de démonstration déterministe (ménages, accompagnements, baux, prévention des expulsions, "
        "financements) sur les projets déjà en base. Lancez d'abord « import_ush_guide »."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED,
                            help=f"Graine du générateur (défaut : {demo.DEFAULT_SEED}).")
        parser.add_argument("--households", type=int, default=demo.DEFAULT_HOUSEHOLDS,
                            help=f"Nombre de ménages (défaut : {demo.DEFAULT_HOUSEHOLDS}).")
        parser.add_argument("--today", type=_date, default=demo.DEMO_TODAY,
                            help=f"Date de référence AAAA-MM-JJ (défaut : {demo.DEMO_TODAY.isoformat()}).")
        parser.add_argument("--reset", action="store_true",
                            help="Supprime d'abord les ménages, les données de logement, les financements, budgets et "
                                 "comités des projets concernés et les comptes de démonstration (base de développement "
                                 "uniquement).")

    def handle(self, *args, seed: int, households: int, today: date, reset: bool, **options) -> None:
        if households < 1:
            raise CommandError("--households doit être au moins 1.")
        if reset:
            if not (settings.DEBUG or getattr(settings, "EMBEDDED_DATABASE", False)):
                raise CommandError("--reset n'est permis que sur une base de développement (DEBUG ou base embarquée).")
            deleted = demo.reset()
            self.stdout.write(f"Jeu de démonstration précédent supprimé ({sum(deleted.values())} lignes).")
        existing = Household.objects.count()
        if existing:
            self.stdout.write(
                f"Le jeu de démonstration est déjà présent ({existing} ménages) : rien n'a été modifié. "
                "Utilisez --reset pour le régénérer."
            )
            return
        try:
            demo.seed(seed=seed, households=households, today=today, stdout=self.stdout)
        except demo.NotEnoughProjects as exc:
            raise CommandError(str(exc)) from exc
