from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Socle")

    def ready(self) -> None:
        from . import bootstrap

        bootstrap.register_loader(0, "platform_admin", bootstrap.create_platform_admin)
        bootstrap.register_demo_login("Administrateur de la plateforme", bootstrap.DEMO_ADMIN_EMAIL)
