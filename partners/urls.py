"""Account pages (/compte/) and organisation pages (/organisation/)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    # Account: login by e-mail, logout (POST), passwords, second factor.
    path("compte/", views.account, name="account"),
    path("compte/connexion/", views.LoginView.as_view(), name="login"),
    path("compte/deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("compte/verification/", views.second_factor, name="second_factor"),
    path("compte/mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("compte/mot-de-passe/modifie/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("compte/mot-de-passe/oubli/", views.PasswordResetView.as_view(), name="password_reset"),
    path("compte/mot-de-passe/oubli/envoye/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "compte/mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "compte/mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Personal API tokens.
    path("compte/jetons-api/", views.api_tokens, name="api_tokens"),
    path("compte/jetons-api/<int:pk>/revoquer/", views.api_token_revoke, name="api_token_revoke"),
    # Acting organisation and members of the organisation.
    path("organisation/agir-pour/", views.switch_organisation, name="switch_organisation"),
    path("organisation/membres/", views.members, name="members"),
    path("organisation/membres/inviter/", views.member_invite, name="member_invite"),
    path("organisation/membres/<int:membership_id>/desactiver/", views.member_deactivate, name="member_deactivate"),
]
