"""Form plumbing shared by every app: French widgets, field policy, optimistic locking.

:class:`PolicyModelForm` takes the acting ``actor``: fields the actor may
not read are removed, fields it may read but not write are disabled (so a
tampered POST cannot change them). It carries the ``version`` it was built
from in a hidden field; :func:`core.views.edit_object` passes it to
``core.services.update_object`` and, on a conflict, shows what changed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import access
from .access import Actor


class DateInput(forms.DateInput):
    """Native date picker (a phone shows its own calendar); ISO on the wire."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


_SPACES = re.compile(r"[\s\u00a0\u202f€]+")
MONEY_EXAMPLE = _("par exemple 1\u00a0234,56")


class MoneyField(forms.DecimalField):
    """Euros: "1 234,56", "1234,56", "1234.56", "1 234,56 €"; never negative."""

    default_error_messages = {
        "invalid": _("Saisissez un montant en euros, par exemple 1\u00a0234,56."),
        "min_value": _("Le montant ne peut pas être négatif."),
        "max_digits": _("Ce montant est trop élevé."),
        "max_decimal_places": _("Deux chiffres au plus après la virgule."),
        "max_whole_digits": _("Ce montant est trop élevé."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("localize", True)  # shown as "1 234,56" when re-displayed
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        self.widget.is_localized = True

    def to_python(self, value):
        if isinstance(value, str):
            value = _SPACES.sub("", value)
            if value.count(",") == 1 and "." not in value:
                value = value.replace(",", ".")
        return super().to_python(value)

    def widget_attrs(self, widget):
        # No min/step attributes: it is a text field (a French keyboard types a comma).
        return {}


class PolicyModelForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField):
                field.widget = DateInput(attrs=field.widget.attrs)
            if isinstance(field, forms.DecimalField) and not isinstance(field, MoneyField):
                # A French keyboard types a comma and groups thousands with a space.
                self.fields[name] = MoneyField(
                    label=field.label, required=field.required, help_text=field.help_text,
                    max_digits=field.max_digits, decimal_places=field.decimal_places,
                    min_value=field.min_value if field.min_value is not None else Decimal("0"),
                )
            if isinstance(field, forms.IntegerField) and not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("inputmode", "numeric")
        target = self.instance if self.instance.pk else None
        if target is not None:
            model_fields = [name for name in self.fields if name != "version"]
            readable = set(access.readable_fields(actor, target, model_fields))
            forbidden = set(access.forbidden_fields(actor, target, model_fields))
            for name in model_fields:
                if name not in readable:
                    del self.fields[name]
                elif name in forbidden:
                    self.fields[name].disabled = True
            if not self.is_bound:
                self.initial["version"] = self.instance.version

    def changes(self) -> dict:
        """The cleaned values of the enabled model fields."""
        return {
            name: value for name, value in self.cleaned_data.items()
            if name != "version" and not self.fields[name].disabled and name in self._meta_fields()
        }

    def _meta_fields(self) -> set[str]:
        return {f.name for f in self.instance._meta.get_fields() if isinstance(f, models.Field)}


CONFLICT_MESSAGE = _(
    "Cette fiche a été modifiée par quelqu'un d'autre pendant votre saisie. "
    "Vos valeurs sont conservées ci-dessous, les valeurs enregistrées entre-temps sont indiquées sous chaque champ : "
    "vérifiez puis enregistrez à nouveau."
)
