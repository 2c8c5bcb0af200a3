from django.urls import path

from . import views

app_name = "households"

urlpatterns = [
    path("menages/<int:pk>/droit-d-acces/", views.right_of_access_export, name="right-of-access"),
]
