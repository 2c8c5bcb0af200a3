from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "housing"
    verbose_name = _("Logement")

    def ready(self) -> None:
        from households import retention as household_retention

        from . import access, demo, retention

        access.register()
        household_retention.household_anonymised.connect(retention.clear_free_text, dispatch_uid="housing-anonymise")
        for section in retention.SECTIONS:
            household_retention.register_right_of_access_section(*section)
        # Demo logins and the "seed_demo" bootstrap loader (after the catalogue, order 10).
        demo.register()
