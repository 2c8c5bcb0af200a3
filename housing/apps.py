from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "housing"
    verbose_name = _("Logement")

    def ready(self) -> None:
        from . import demo

        # Demo logins and the "seed_demo" bootstrap loader (after the catalogue, order 10).
        demo.register()
