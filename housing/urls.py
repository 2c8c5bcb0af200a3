"""Housing screens: lease path, attribution, eviction prevention."""

app_name = "housing"

urlpatterns: list = []
