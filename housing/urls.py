"""Housing screens: the landlord's lists, the lease path, attribution, eviction prevention."""

from django.urls import path

from .views import eviction, home, leases, panels

app_name = "housing"

urlpatterns = [
    # The landlord adviser's lists (the home page itself is reporting.views.home → home.landlord_home).
    path("bailleur/locataires/", home.tenants, name="tenants"),
    path("bailleur/attributions/", home.awaiting, name="awaiting"),
    path("bailleur/glissements/", home.slides, name="slides"),
    path("bailleur/impayes/", home.arrears, name="arrears"),
    # Panels of the household file (htmx fragments; a page of their own without htmx).
    path("menages/<int:pk>/parcours-locatif/", panels.lease_path, name="lease-path"),
    path("menages/<int:pk>/prevention-expulsions/", panels.eviction, name="eviction"),
    # Lease path.
    path("menages/<int:pk>/attributions/nouvelle/", leases.attribution_new, name="attribution-new"),
    path("baux/<int:pk>/modifier/", leases.lease_edit, name="lease-edit"),
    path("baux/<int:pk>/glissement/", leases.glissement_new, name="glissement-new"),
    # Eviction prevention.
    path("baux/<int:pk>/prevention/nouveau/", eviction.case_open, name="eviction-open"),
    path("expulsions/<int:pk>/etapes/nouvelle/", eviction.step_new, name="eviction-step-new"),
    path("expulsions/<int:pk>/cloture/", eviction.case_close, name="eviction-close"),
]
