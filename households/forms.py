"""Forms of the household file. Writes go through ``households.services``.

Fields the actor may not write (protected notes off the team) are left out
of the forms altogether: a person sees only what they may fill in.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import access
from core.access import Actor
from core.forms import DateInput, PolicyModelForm
from partners.models import Organisation
from projects.models import CommitteeMeeting

from .models import (
    Consent,
    ConsentPurpose,
    GoalDomain,
    GoalReview,
    GoalStatus,
    Household,
    Intensity,
    Outcome,
    PersonRole,
    Phase,
    ReviewMilestone,
    SupportGoal,
    SupportMeasure,
)

NOTE_FIELDS = ("situation_notes", "health_notes", "justice_notes", "violence_notes")


def _writable(actor: Actor, obj, name: str) -> bool:
    return not access.forbidden_fields(actor, obj, [name]) and bool(access.readable_fields(actor, obj, [name]))


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class HouseholdForm(PolicyModelForm):
    class Meta:
        model = Household
        fields = [
            "display_name", "nur", "prior_situation", "monthly_resources", "resources_kind", "domestic_violence",
            *NOTE_FIELDS,
        ]
        widgets = {name: _textarea(5) for name in NOTE_FIELDS}

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        # Notes the actor may read but not write are not part of an edit screen.
        for name in NOTE_FIELDS:
            if name in self.fields and self.fields[name].disabled:
                del self.fields[name]
        # The domestic-violence flag says as much as the violence notes: only
        # those who read them (the team) see or change it. Left in the form for
        # anyone else, it would show the flag, and an unticked box would lift
        # the protection of the address.
        if "domestic_violence" in self.fields and not access.readable_fields(actor, self.instance, ["violence_notes"]):
            del self.fields["domestic_violence"]
        if "nur" in self.fields:
            self.fields["nur"].widget.attrs.update({"autocapitalize": "characters", "spellcheck": "false"})

    def clean_nur(self):
        return (self.cleaned_data.get("nur") or "").strip().upper()


class PhaseForm(forms.Form):
    """Moves a measure to one target phase; only the fields that phase needs are present."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    target = forms.ChoiceField(choices=Phase.choices, widget=forms.HiddenInput)
    on = forms.DateField(widget=DateInput, error_messages={"required": _("Indiquez la date.")})
    intensity = forms.ChoiceField(
        label=_("Intensité de l'accompagnement"), choices=Intensity.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez l'intensité de l'accompagnement.")},
    )
    outcome = forms.ChoiceField(
        label=_("Issue"), choices=[("", "—"), *Outcome.choices],
        error_messages={"required": _("Indiquez l'issue de l'accompagnement.")},
    )
    end_meeting = forms.ModelChoiceField(
        label=_("Fin décidée en comité"), queryset=CommitteeMeeting.objects.none(), required=False, empty_label="—",
        help_text=_("Le comité de suivi du projet qui a décidé la fin de l'accompagnement."),
    )
    outcome_notes = forms.CharField(label=_("Bilan de fin (note)"), widget=_textarea(5), required=False)
    diagnostic_notes = forms.CharField(label=_("Diagnostic social (note)"), widget=_textarea(5), required=False)
    watch_until = forms.DateField(
        label=_("Veille active jusqu'au"), widget=DateInput,
        error_messages={"required": _("Indiquez la date de fin de la veille active.")},
    )

    DATE_LABELS = {
        Phase.DIAGNOSTIC: _("Date du diagnostic"),
        Phase.CONTRACT: _("Date de signature du contrat"),
        Phase.ENDED: _("Date de fin de l'accompagnement"),
    }
    FIELDS = {
        Phase.DIAGNOSTIC: ["on", "diagnostic_notes"],
        Phase.CONTRACT: ["on"],
        Phase.SUPPORT: ["intensity"],
        Phase.ENDED: ["on", "outcome", "end_meeting", "outcome_notes"],
        Phase.WATCH: ["watch_until"],
    }

    def __init__(self, *args, measure: SupportMeasure, target: str, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure, self.target_phase = measure, target
        keep = {"version", "target", *self.FIELDS.get(target, [])}
        for name in [n for n in self.fields if n not in keep]:
            del self.fields[name]
        for name in ("outcome_notes", "diagnostic_notes"):
            if name in self.fields and not _writable(actor, measure, name):
                del self.fields[name]
        # Required values are checked by the service, which reports every problem at once.
        for name in ("on", "intensity", "outcome", "watch_until"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].widget.is_required = False
        if "on" in self.fields:
            self.fields["on"].label = self.DATE_LABELS[target]
            self.fields["on"].widget.attrs["max"] = timezone.localdate().isoformat()
        if "end_meeting" in self.fields:
            self.fields["end_meeting"].queryset = (
                access.visible_to(actor, CommitteeMeeting).filter(project_id=measure.project_id)
                .select_related("project")  # each choice is labelled with the project's number
                .order_by("-held_on")
            )
        if "intensity" in self.fields and measure.intensity:
            self.fields["intensity"].initial = measure.intensity
        self.fields["target"].initial = target
        if not self.is_bound:
            self.initial.setdefault("version", measure.version)
            if "on" in self.fields:
                self.initial.setdefault("on", timezone.localdate())
            if "watch_until" in self.fields and measure.ended_on:
                self.initial.setdefault("watch_until", measure.ended_on + datetime.timedelta(days=90))


class MandateForm(forms.Form):
    starts_on = forms.DateField(label=_("Début du mandat"), widget=DateInput)
    ends_on = forms.DateField(label=_("Fin du mandat"), widget=DateInput, help_text=_("Par défaut, six mois."))
    decided_on = forms.DateField(label=_("Décidé le"), widget=DateInput, required=False, initial=timezone.localdate)


class GoalForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domaine"), choices=GoalDomain.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Objectif"), max_length=255, help_text=_("ex. « Mettre en place le prélèvement du loyer »"))
    set_on = forms.DateField(label=_("Fixé le"), widget=DateInput, initial=timezone.localdate)
    notes = forms.CharField(label=_("Note"), widget=_textarea(4), required=False)

    def __init__(self, *args, measure: SupportMeasure, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        probe = SupportGoal(measure=measure, organisation_id=measure.organisation_id)
        if not _writable(actor, probe, "notes"):
            del self.fields["notes"]


class ReviewForm(forms.Form):
    milestone = forms.ChoiceField(label=_("Échéance"), choices=ReviewMilestone.choices, widget=forms.RadioSelect)
    reviewed_on = forms.DateField(label=_("Bilan réalisé le"), widget=DateInput, initial=timezone.localdate)
    progress = forms.IntegerField(
        label=_("Avancement (%)"), min_value=0, max_value=100, required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 10}),
    )
    notes = forms.CharField(label=_("Note"), widget=_textarea(4), required=False)
    goal_status = forms.ChoiceField(
        label=_("Statut de l'objectif après ce bilan"), choices=GoalStatus.choices, initial=GoalStatus.OPEN,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, goal: SupportGoal, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        probe = GoalReview(goal=goal, organisation_id=goal.organisation_id)
        if not _writable(actor, probe, "notes"):
            del self.fields["notes"]
        pending = [r.milestone for r in goal.reviews.all() if r.reviewed_on is None and r.milestone != ReviewMilestone.OTHER]
        if pending and not self.is_bound:
            self.initial.setdefault("milestone", pending[0])


class ConsentForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partenaire destinataire"), queryset=Organisation.objects.none(), empty_label=_("Choisissez un partenaire"),
    )
    purpose = forms.ChoiceField(label=_("Finalité du partage"), choices=ConsentPurpose.choices, widget=forms.RadioSelect)
    given_on = forms.DateField(label=_("Recueilli le"), widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = (
            access.visible_to(actor, Organisation).filter(is_active=True).exclude(pk=actor.organisation_id).order_by("name")
        )


class ConsentWithdrawForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    withdrawn_on = forms.DateField(label=_("Retiré le"), widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args, consent: Consent, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("version", consent.version)


class PersonForm(forms.Form):
    role = forms.ChoiceField(label=_("Place dans le ménage"), choices=PersonRole.choices, widget=forms.RadioSelect)
    first_name = forms.CharField(label=_("Prénom"), max_length=120)
    last_name = forms.CharField(label=_("Nom"), max_length=120)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=DateInput, required=False)
    employment = forms.CharField(
        label=_("Situation professionnelle"), max_length=120, required=False, help_text=_("ex. « En formation », « Retraité »"),
    )
