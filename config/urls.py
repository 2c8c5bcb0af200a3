from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.views import healthz
from reporting.views import home

admin.site.site_header = "Logement accompagné — administration"
admin.site.site_title = "Logement accompagné"
admin.site.index_title = "Administration de la plateforme"

urlpatterns = [
    # Each role's home page (reporting.views.home dispatches).
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),  # no inline script (CSP)
    path("api/v1/", include("config.api")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Accounts (/compte/) and organisation members (/organisation/).
    path("", include("partners.urls")),
    path("", include("households.urls")),
    path("", include("housing.urls")),
    path("", include("projects.urls")),
    path("", include("reporting.urls")),
    path("", include("core.urls")),
]

# The site's 404 page, and the API's one error shape under /api/ (a URL that matches no route).
handler404 = "core.api.exceptions.page_not_found"
