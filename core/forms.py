"""Form plumbing shared by every app: French widgets, field policy, optimistic locking.

:class:`PolicyModelForm` takes the acting ``actor``: fields the actor may
not read are removed, fields it may read but not write are disabled (so a
tampered POST cannot change them). It carries the ``version`` it was built
from in a hidden field; :func:`core.views.edit_object` passes it to
``core.services.update_object`` and, on a conflict, shows what changed.
"""

from __future__ import annotations

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


class PolicyModelForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField):
                field.widget = DateInput(attrs=field.widget.attrs)
            if isinstance(field, forms.DecimalField):
                # A French keyboard types a comma: keep it a text field that localises.
                field.localize = True
                field.widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
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
