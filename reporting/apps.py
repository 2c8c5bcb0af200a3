from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Rapports")

    def ready(self) -> None:
        from core.bootstrap import register_loader

        from . import access, rollups

        access.register()
        register_loader(40, "rollups", rollups.load_if_never_built)
