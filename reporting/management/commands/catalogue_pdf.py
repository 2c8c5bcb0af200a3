"""``manage.py catalogue_pdf [--output path]``: the programme catalogue ("guide de valorisation") as a PDF."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from reporting.catalogue import build_catalogue
from reporting.models import ReportKind, ReportRun, ReportScope

#: The programme "10 000 logements accompagnés" started in 2014.
PROGRAMME_START = datetime.date(2014, 1, 1)


class Command(BaseCommand):
    help = _("Écrit le guide de valorisation des projets (PDF) à partir de la base : typologie et une monographie par projet.")

    def add_arguments(self, parser):
        parser.add_argument("--output", default="guide-de-valorisation.pdf", help=_("Chemin du PDF à écrire (par défaut : guide-de-valorisation.pdf)."))
        parser.add_argument("--date", default=None, help=_("Situation au (AAAA-MM-JJ ; par défaut : aujourd'hui)."))
        parser.add_argument(
            "--internal", action="store_true",
            help=_("Sans secret statistique (usage interne) ; par défaut, les effectifs de 1 à 10 sont masqués comme pour le national."),
        )

    def handle(self, *args, output: str, date: str | None, internal: bool, **options):
        try:
            as_of = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(_("Date invalide : %(date)s (format attendu AAAA-MM-JJ).") % {"date": date}) from None
        # A run that is never saved: every project of the platform, as of the given date.
        run = ReportRun(kind=ReportKind.CATALOGUE, scope=ReportScope.NATIONAL, period_start=min(PROGRAMME_START, as_of), period_end=as_of)
        started = time.monotonic()
        content, pages = build_catalogue(run, suppress=not internal)
        seconds = time.monotonic() - started
        path = Path(output)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(_("Impossible d'écrire %(path)s : %(error)s") % {"path": path, "error": exc}) from exc
        self.stdout.write(
            _("%(path)s : %(pages)s pages, %(size)s Ko, construit en %(seconds).1f s.")
            % {"path": path, "pages": pages, "size": len(content) // 1024, "seconds": seconds}
        )
