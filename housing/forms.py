"""Forms of the lease path, attribution steps and eviction prevention.

French labels and messages; dates with the native date picker
(``core.forms.DateInput``); amounts typed the French way ("1 234,56",
"1234.56 €" too). The forms only validate what a person typed: the rules
of the domain (a step before the file was opened, a glissement before the
lease started…) live in ``housing.services`` and come back as field errors.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import MONEY_EXAMPLE, DateInput, MoneyField, PolicyModelForm

from .models import (
    AttributionDecision,
    AttributionStepKind,
    EvictionCaseStatus,
    EvictionStepKind,
    JudgmentResult,
    Lease,
    LeaseKind,
)

def _today():
    return timezone.localdate()


def _date_field(label, **kwargs) -> forms.DateField:
    kwargs.setdefault("error_messages", {"required": _("Indiquez la date."), "invalid": _("Saisissez une date valide (jj/mm/aaaa).")})
    return forms.DateField(label=label, widget=DateInput(), **kwargs)


def _blank(label: str):
    return [("", label)]


class EvictionStepForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Étape"), choices=_blank(_("— Choisir l'étape —")) + list(EvictionStepKind.choices),
        error_messages={"required": _("Choisissez l'étape."), "invalid_choice": _("Choisissez une étape de la liste.")},
    )
    occurred_on = _date_field(_("Date"), initial=_today)
    amount = MoneyField(
        label=_("Montant en jeu (€)"), required=False,
        help_text=_("Dette, mensualité ou aide concernée, par exemple 1\u00a0234,56."),
    )
    judgment_result = forms.ChoiceField(
        label=_("Sens du jugement"), required=False, choices=_blank("—") + list(JudgmentResult.choices),
        help_text=_("Uniquement pour un jugement."),
        error_messages={"invalid_choice": _("Choisissez un sens de jugement de la liste.")},
    )
    notes = forms.CharField(
        label=_("Précision"), required=False, max_length=255,
        error_messages={"max_length": _("255 caractères au plus.")},
    )

    def clean(self):
        data = super().clean()
        kind, result = data.get("kind"), data.get("judgment_result")
        if kind == EvictionStepKind.JUDGMENT and not result:
            self.add_error("judgment_result", _("Indiquez le sens du jugement."))
        elif kind and kind != EvictionStepKind.JUDGMENT and result:
            self.add_error("judgment_result", _("Le sens du jugement ne s'indique que pour un jugement."))
        return data


class EvictionCaseOpenForm(forms.Form):
    opened_on = _date_field(_("Ouvert le"), initial=_today)
    arrears_amount = MoneyField(
        label=_("Dette locative actuelle (€)"), help_text=MONEY_EXAMPLE,
        error_messages={"required": _("Indiquez le montant de la dette (0 si elle n'est pas encore connue).")},
    )


class EvictionCaseCloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Issue du dossier"),
        choices=_blank(_("— Choisir l'issue —")) + [c for c in EvictionCaseStatus.choices if c[0] != EvictionCaseStatus.OPEN],
        error_messages={"required": _("Choisissez l'issue du dossier."), "invalid_choice": _("Choisissez l'issue du dossier.")},
    )
    closed_on = _date_field(_("Clos le"), initial=_today)
    arrears_amount = MoneyField(label=_("Dette restante (€)"), required=False, help_text=_("Laissez vide pour garder le montant actuel."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AttributionStepForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Étape"), choices=_blank(_("— Choisir l'étape —")) + list(AttributionStepKind.choices),
        error_messages={"required": _("Choisissez l'étape."), "invalid_choice": _("Choisissez une étape de la liste.")},
    )
    occurred_on = _date_field(_("Date"), initial=_today)
    unit = forms.ModelChoiceField(
        label=_("Logement"), queryset=None, required=False, empty_label="—",
        error_messages={"invalid_choice": _("Choisissez un logement de la liste.")},
    )
    decision = forms.ChoiceField(
        label=_("Décision"), required=False, choices=_blank("—") + list(AttributionDecision.choices),
        help_text=_("Pour un passage en CALEOL ou une décision d'attribution."),
        error_messages={"invalid_choice": _("Choisissez une décision de la liste.")},
    )
    notes = forms.CharField(label=_("Précision"), required=False, max_length=255, error_messages={"max_length": _("255 caractères au plus.")})

    def __init__(self, *args, units=None, unit_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if units is None:
            # Only the landlord of a unit names it (the address is its to write).
            del self.fields["unit"]
        else:
            field = self.fields["unit"]
            field.queryset = units
            field.label_from_instance = lambda unit: f"{unit.address}, {unit.postcode} {unit.city} — {unit.get_typology_display()}" + (
                f" ({unit.landlord_reference})" if unit.landlord_reference else ""
            )
            field.required = unit_required
            if unit_required:
                field.label = _("Logement (obligatoire)")
            field.error_messages["required"] = _("Choisissez le logement : vous enregistrez l'étape pour l'un de vos logements.")
            field.help_text = _("Vos logements libres, ou déjà proposés à ce ménage.")

    def clean(self):
        data = super().clean()
        kind, decision = data.get("kind"), data.get("decision")
        with_decision = (AttributionStepKind.CALEOL, AttributionStepKind.DECISION)
        if kind in with_decision and not decision:
            self.add_error("decision", _("Indiquez la décision de la commission."))
        elif kind and kind not in with_decision and decision:
            self.add_error("decision", _("Une décision ne s'indique que pour un passage en CALEOL ou une décision d'attribution."))
        return data


class GlissementForm(forms.Form):
    caleol_decided_on = _date_field(_("Décision de la CALEOL le"))
    effective_on = _date_field(_("Glissement effectif le"), help_text=_("Premier jour du bail direct du ménage."))
    signed_on = _date_field(_("Bail direct signé le"), required=False, help_text=_("Par défaut, la date de la décision."))
    monthly_rent = MoneyField(label=_("Loyer mensuel du bail direct (€)"), help_text=MONEY_EXAMPLE)
    monthly_charges = MoneyField(label=_("Charges mensuelles (€)"), help_text=MONEY_EXAMPLE)
    tenant_reference = forms.CharField(label=_("N° de locataire (bailleur)"), required=False, max_length=60)

    def __init__(self, *args, lease: Lease, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("effective_on", lease.planned_glissement_on)
        kwargs["initial"].setdefault("monthly_rent", lease.monthly_rent)
        kwargs["initial"].setdefault("monthly_charges", lease.monthly_charges)
        super().__init__(*args, **kwargs)


class LeaseForm(PolicyModelForm):
    """What changes on a lease in its life: end, rent, planned glissement, tenant number."""

    monthly_rent = MoneyField(label=_("Loyer mensuel (€)"), help_text=MONEY_EXAMPLE)
    monthly_charges = MoneyField(label=_("Charges mensuelles (€)"), help_text=MONEY_EXAMPLE)

    class Meta:
        model = Lease
        fields = ["ends_on", "monthly_rent", "monthly_charges", "planned_glissement_on", "tenant_reference"]
        help_texts = {"ends_on": _("Laissez vide tant que le bail court.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("monthly_rent", "monthly_charges"):
            if name in self.fields:
                # PolicyModelForm swaps decimal widgets; keep the money one.
                self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
                self.fields[name].widget.is_localized = True
        if self.instance.kind != LeaseKind.SLIDING:
            self.fields.pop("planned_glissement_on", None)

    def clean(self):
        data = super().clean()
        lease = self.instance
        ends_on = data.get("ends_on", lease.ends_on) if "ends_on" in self.fields else lease.ends_on
        if ends_on is not None and ends_on < lease.starts_on:
            self.add_error("ends_on", _("La fin du bail précède sa prise d'effet (%(date)s).") % {"date": f"{lease.starts_on:%d/%m/%Y}"})
        elif "ends_on" in self.fields and ends_on != lease.ends_on:
            others = Lease.objects.filter(unit_id=lease.unit_id).exclude(pk=lease.pk).filter(
                Q(ends_on__isnull=True) | Q(ends_on__gte=lease.starts_on)
            )
            others = others.filter(starts_on__lte=ends_on) if ends_on is not None else others
            if others.exists():
                self.add_error("ends_on", _("Un autre bail occupe ce logement sur cette période."))
        return data
