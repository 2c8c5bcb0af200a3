from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.views import healthz

admin.site.site_header = "Logement accompagné — administration"
admin.site.site_title = "Logement accompagné"
admin.site.index_title = "Administration de la plateforme"

urlpatterns = [
    # Home pages per role arrive with the web application; the account page meanwhile.
    path("", RedirectView.as_view(pattern_name="partners:account", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Accounts (/compte/) and organisation members (/organisation/).
    path("", include("partners.urls")),
    path("", include("households.urls")),
]
