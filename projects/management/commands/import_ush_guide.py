"""Load the 92 projects of the USH guide "10 000 logements accompagnés" (2015)."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from projects.catalogue.importer import import_guide_text, typology_table
from projects.catalogue.ush_guide import GuideParseError


class Command(BaseCommand):
    help = "Importe le catalogue des projets du guide USH (idempotent ; un fichier abîmé n'écrit rien)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=None, help="Chemin du guide (par défaut USH_GUIDE_PATH).")

    def handle(self, *args, path: str | None, **options) -> None:
        started = time.monotonic()
        source = Path(path) if path else Path(settings.USH_GUIDE_PATH)
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Impossible de lire le guide {source} : {exc}") from exc
        try:
            guide, report = import_guide_text(text)
        except GuideParseError as exc:
            lines = [f"Le guide {source} est mal formé ; rien n'a été écrit."]
            lines += [f"  ligne {line} : {message}" if line else f"  {message}" for line, message in exc.errors]
            raise CommandError("\n".join(lines)) from exc

        if report.changed:
            for label, bucket in (("Créations", report.created), ("Mises à jour", report.updated)):
                for name, count in sorted(bucket.items()):
                    self.stdout.write(f"{label} — {name} : {count}")
        else:
            self.stdout.write("Catalogue déjà à jour : aucune modification.")
        self._print_table(guide)
        self.stdout.write(f"Durée : {time.monotonic() - started:.1f} s")

    def _print_table(self, guide) -> None:
        rows = typology_table()
        self.stdout.write("")
        self.stdout.write("Typologie des projets (mesurée dans la base) :")
        header = f"{'Catégorie':<62} {'Projets':>7} {'Ménages':>8}   {'Guide':>12}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        total_projects = total_households = 0
        for code, label, projects, households in rows:
            printed = guide.typology_table.get(code)
            mark = "" if printed == (projects, households) else "  ≠ guide"
            printed_text = f"{printed[0]} / {printed[1]}" if printed else "-"
            self.stdout.write(f"{label:<62} {projects:>7} {households:>8}   {printed_text:>12}{mark}")
            total_projects += projects
            total_households += households
        self.stdout.write("-" * len(header))
        self.stdout.write(f"{'Total':<62} {total_projects:>7} {total_households:>8}")
