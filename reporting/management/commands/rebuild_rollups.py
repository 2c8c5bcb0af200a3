"""``manage.py rebuild_rollups``: full (or incremental) recomputation of the rollup tables."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from reporting import rollups


class Command(BaseCommand):
    help = _("Recalcule les tables d'agrégats (reconstruction complète, ou incrémentale avec --incremental).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--incremental", action="store_true",
            help=_("Ne recalcule que ce qui a changé depuis le dernier repère."),
        )

    def handle(self, *args, incremental: bool = False, **options):
        result = rollups.refresh() if incremental else rollups.rebuild()
        kind = _("incrémental") if not result.full else _("complet")
        self.stdout.write(
            _("Calcul %(kind)s en %(seconds).2f s : %(measures)s mesures, %(projects)s projets recalculés.")
            % {"kind": kind, "seconds": result.seconds, "measures": result.measures, "projects": result.projects}
        )
        for name, rows in result.rows.items():
            self.stdout.write(_("  %(table)s : %(rows)s lignes écrites") % {"table": name, "rows": rows})
        self.stdout.write(_("Lignes par table :"))
        for table, rows in rollups.table_counts().items():
            self.stdout.write(f"  {table} : {rows}")
