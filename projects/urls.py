"""Project screens."""

app_name = "projects"

urlpatterns: list = []
