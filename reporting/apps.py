from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Rapports")

    def ready(self) -> None:
        from . import access, catalogue  # noqa: F401 (catalogue registers its builder in reporting.builders)

        access.register()
