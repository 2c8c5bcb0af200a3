from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partenaires")

    def ready(self) -> None:
        from core.bootstrap import register_loader

        from . import access, demo, signals  # noqa: F401 (signals connect on import)

        access.register()
        # After the demo caseload (order 20) has created the demo accounts.
        register_loader(30, "demo_second_factor", demo.enrol_demo_accounts)
