"""Pages of core: the background list exports (core.exports).

A job is reached by its unguessable token and only by whoever asked for it
(``core.exports.job_of``: 404 for anybody else), so these routes take no
object id.
"""

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.decorators.http import require_GET

from . import exports

app_name = "core"

urlpatterns = [
    path("exports/<uuid:token>/", login_required(require_GET(exports.job_page)), name="export-job"),
    path("exports/<uuid:token>/fichier/", login_required(require_GET(exports.job_download)), name="export-download"),
]
