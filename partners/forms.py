"""Forms of the account pages and of the members page of an organisation."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .models import Organisation
from .services import invitable_roles


def axes_username(request, credentials=None) -> str:
    """The login that django-axes counts failures for: the e-mail, case-folded.

    ``Alice@Exemple.fr`` and ``alice@exemple.fr`` are one account
    (``core.User`` stores e-mails in lower case), so they share one counter.
    """
    if credentials:
        username = credentials.get("username")
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get("username")
    return (username or "").strip().lower()


class EmailAuthenticationForm(AuthenticationForm):
    """Login with the e-mail address (the field keeps Django's name ``username``)."""

    error_messages = {
        "invalid_login": _(
            "Adresse e-mail ou mot de passe incorrect. Attention : après plusieurs erreurs, "
            "la connexion est bloquée pendant 30 minutes."
        ),
        "inactive": _("Ce compte est désactivé."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"] = forms.EmailField(
            label=_("Adresse e-mail"),
            widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        )
        self.fields["password"].label = _("Mot de passe")


class AccountPasswordResetForm(PasswordResetForm):
    """Also for invited accounts that have not chosen a password yet.

    Django skips accounts without a usable password (meant for accounts
    that log in elsewhere); here every account logs in with a password,
    and an invitee whose link expired must be able to ask for a new one.
    """

    def get_users(self, email):
        return get_user_model()._default_manager.filter(email__iexact=email, is_active=True)


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Code à 6 chiffres"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("Le code ne contient que des chiffres."))
        return token


class MembershipInviteForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    role = forms.ChoiceField(label=_("Rôle"))

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in invitable_roles(organisation)]
        if len(self.fields["role"].choices) > 1:
            self.fields["role"].initial = self.fields["role"].choices[0][0]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

