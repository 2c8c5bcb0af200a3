from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projets")

    def ready(self) -> None:
        from core.bootstrap import register_loader

        from . import access

        register_loader(10, "ush_catalogue", load_catalogue_if_empty)
        access.register()


def load_catalogue_if_empty(stdout=None) -> None:
    """Bootstrap loader: the USH catalogue on a database without projects."""
    from django.conf import settings
    from django.core.management import call_command

    from .models import Project

    if Project.objects.exists():
        return
    if not settings.USH_GUIDE_PATH.is_file():
        if stdout is not None:
            stdout.write(f"Guide USH introuvable ({settings.USH_GUIDE_PATH}) : catalogue non chargé.")
        return
    call_command("import_ush_guide", stdout=stdout)
