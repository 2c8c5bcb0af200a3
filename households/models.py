"""Households, people, orientations, consents and the support they receive.

Fields marked *protected* below (social notes, diagnostic, health, justice,
violence) are readable only by the measure's team (DESIGN.md §3); the
field policy of the access issue declares them as data. Every table carries
the owning organisation's id (``organisation``), denormalised where needed,
so that household data can be distributed by organisation later.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.text import fold
from partners.models import Membership, Organisation
from projects.models import Action, CommitteeMeeting, Project, dates_ordered, money_field, non_negative


class PriorSituation(models.TextChoices):
    STREET = "street", _("Rue / sans abri")
    HOTEL = "hotel", _("Hôtel")
    CHRS = "chrs", _("CHRS / hébergement d'insertion")
    EMERGENCY_SHELTER = "emergency_shelter", _("Hébergement d'urgence")
    THIRD_PARTY = "third_party", _("Hébergé chez un tiers")
    SOCIAL_HOUSING = "social_housing", _("Logement social")
    PRIVATE_HOUSING = "private_housing", _("Logement privé")
    INTERMEDIATE = "intermediate", _("Résidence sociale, FJT, pension de famille")
    SQUAT = "squat", _("Squat, habitat précaire")
    INSTITUTION = "institution", _("Établissement de soins")
    PRISON = "prison", _("Détention")
    CARAVAN = "caravan", _("Caravane, terrain")
    OTHER = "other", _("Autre")


class Household(TimeStampedModel):
    """Ménage: the unit of support."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation référente"),
        on_delete=models.PROTECT,
        related_name="households",
        help_text=_("Organisation qui a ouvert le dossier (propriétaire des données)."),
    )
    project = models.ForeignKey(Project, verbose_name=_("projet"), null=True, blank=True, on_delete=models.PROTECT, related_name="households")
    reference = models.CharField(_("n° de dossier"), max_length=40, help_text=_("Numéro de dossier dans l'organisation"))
    display_name = models.CharField(_("nom d'usage du ménage"), max_length=160, help_text=_("ex. « Ménage Martin »"))
    search_key = models.CharField(max_length=400, editable=False, db_index=True)
    nur = models.CharField(
        _("n° unique de demande de logement social"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9A-Z]{6,20}$", _("Numéro unique : 6 à 20 chiffres ou lettres majuscules."))],
    )
    prior_situation = models.CharField(_("situation avant l'entrée"), max_length=30, choices=PriorSituation.choices, blank=True)
    monthly_resources = money_field(_("ressources mensuelles (€)"), null=True, blank=True)
    resources_kind = models.CharField(_("nature des ressources"), max_length=255, blank=True)
    domestic_violence = models.BooleanField(
        _("violences conjugales"), default=False, help_text=_("Masque l'adresse à toute personne hors de l'équipe et du bailleur du bail.")
    )
    # Protected (team only)
    situation_notes = models.TextField(_("situation sociale (note)"), blank=True)
    health_notes = models.TextField(_("santé (note)"), blank=True)
    justice_notes = models.TextField(_("justice (note)"), blank=True)
    violence_notes = models.TextField(_("violences (note)"), blank=True)
    # Retention (DESIGN.md §3)
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ménage")
        verbose_name_plural = _("ménages")
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="household_reference_unique_per_org"),
            non_negative("monthly_resources", "household_resources_non_negative"),
            models.CheckConstraint(
                condition=Q(anonymised_at__isnull=True) | Q(archived_at__isnull=False),
                name="household_anonymised_after_archive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.reference})"

    def save(self, *args, **kwargs) -> None:
        self.search_key = fold(f"{self.display_name} {self.reference}")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_key"}
        super().save(*args, **kwargs)


class PersonRole(models.TextChoices):
    HEAD = "head", _("Personne de référence")
    PARTNER = "partner", _("Conjoint(e)")
    CHILD = "child", _("Enfant")
    OTHER = "other", _("Autre personne")


class Person(TimeStampedModel):
    """A member of a household. No NIR field exists anywhere, by design."""

    household = models.ForeignKey(Household, verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="people")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    role = models.CharField(_("place dans le ménage"), max_length=20, choices=PersonRole.choices)
    first_name = models.CharField(_("prénom"), max_length=120)
    last_name = models.CharField(_("nom"), max_length=120)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    employment = models.CharField(_("situation professionnelle"), max_length=120, blank=True)
    search_key = models.CharField(max_length=300, editable=False, db_index=True)

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ["household", "role", "birth_date"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.household.organisation_id
        self.search_key = fold(f"{self.last_name} {self.first_name}")
        super().save(*args, **kwargs)


class ReferralSource(models.TextChoices):
    SIAO = "siao", _("SIAO")
    CCAPEX = "ccapex", _("CCAPEX")
    DALO = "dalo", _("DALO / commission de médiation")
    PDALHPD = "pdalhpd", _("PDALHPD")
    SPIP = "spip", _("SPIP")
    MENTAL_HEALTH = "mental_health", _("CMP / secteur psychiatrique")
    CHRS = "chrs", _("CHRS")
    LANDLORD = "landlord", _("Bailleur")
    ASSOCIATION = "association", _("Association")
    SOCIAL_SERVICES = "social_services", _("Service social départemental")
    OTHER = "other", _("Autre")


class ReferralDecision(models.TextChoices):
    PENDING = "pending", _("En attente")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")


class Referral(TimeStampedModel):
    """Orientation of a household towards a project."""

    household = models.ForeignKey(Household, verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="referrals")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    project = models.ForeignKey(Project, verbose_name=_("projet"), null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(_("orienté par"), max_length=20, choices=ReferralSource.choices)
    referring_organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisme orienteur"), null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals_made"
    )
    referred_on = models.DateField(_("date d'orientation"))
    prior_situation = models.CharField(_("situation au moment de l'orientation"), max_length=30, choices=PriorSituation.choices, blank=True)
    decision = models.CharField(_("décision"), max_length=20, choices=ReferralDecision.choices, default=ReferralDecision.PENDING)
    decided_on = models.DateField(_("décidée le"), null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)

    class Meta:
        verbose_name = _("orientation")
        verbose_name_plural = _("orientations")
        ordering = ["-referred_on"]
        constraints = [
            dates_ordered("referred_on", "decided_on", "referral_decided_after_referred"),
            models.CheckConstraint(
                condition=Q(decision=ReferralDecision.PENDING) | Q(decided_on__isnull=False),
                name="referral_decision_dated",
            ),
            models.CheckConstraint(
                condition=~Q(decision=ReferralDecision.REFUSED) | ~Q(refusal_reason=""),
                name="referral_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} — {self.referred_on:%d/%m/%Y}"

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.household.organisation_id
        super().save(*args, **kwargs)


class ConsentPurpose(models.TextChoices):
    TENANCY = "tenancy", _("Partage de la situation locative")
    SUPPORT_PROGRESS = "support_progress", _("Partage de l'avancement de l'accompagnement")
    SOCIAL_DETAILS = "social_details", _("Partage d'éléments de situation sociale")
    HEALTH = "health", _("Partage d'éléments de santé")


class Consent(TimeStampedModel):
    """Consent of the household to share with one partner for one purpose."""

    household = models.ForeignKey(Household, verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="consents")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    partner = models.ForeignKey(Organisation, verbose_name=_("partenaire destinataire"), on_delete=models.PROTECT, related_name="consents_received")
    purpose = models.CharField(_("finalité"), max_length=30, choices=ConsentPurpose.choices)
    given_on = models.DateField(_("recueilli le"))
    withdrawn_on = models.DateField(_("retiré le"), null=True, blank=True)
    recorded_by = models.ForeignKey(Membership, verbose_name=_("recueilli par"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")
        ordering = ["-given_on"]
        constraints = [
            dates_ordered("given_on", "withdrawn_on", "consent_withdrawn_after_given"),
            models.UniqueConstraint(
                fields=["household", "partner", "purpose"],
                condition=Q(withdrawn_on__isnull=True),
                name="consent_one_active_per_partner_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.get_purpose_display()}"

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.household.organisation_id
        super().save(*args, **kwargs)


class MeasureKind(models.TextChoices):
    AVDL = "avdl", _("AVDL")
    ASLL = "asll", _("ASLL / FSL")
    PROJECT = "project", _("Accompagnement financé par le projet")
    OTHER = "other", _("Autre")


class Phase(models.TextChoices):
    IDENTIFICATION = "identification", _("Repérage")
    DIAGNOSTIC = "diagnostic", _("Diagnostic social")
    CONTRACT = "contract", _("Contrat d'accompagnement signé")
    SUPPORT = "support", _("Accompagnement")
    ENDED = "ended", _("Fin")
    WATCH = "watch", _("Veille active")


class Intensity(models.TextChoices):
    LIGHT = "light", _("Léger")
    MEDIUM = "medium", _("Moyen")
    INTENSIVE = "intensive", _("Renforcé")


class Outcome(models.TextChoices):
    REHOUSED_DIRECT = "rehoused_direct", _("Relogé en bail direct")
    MAINTAINED = "maintained", _("Maintenu dans le logement")
    EVICTION_AVOIDED = "eviction_avoided", _("Expulsion évitée")
    GLISSEMENT = "glissement", _("Glissement de bail réalisé")
    LEFT = "left", _("Départ")
    DROPPED_OUT = "dropped_out", _("Abandon")
    REDIRECTED = "redirected", _("Réorientation")
    EVICTED = "evicted", _("Expulsion")
    OTHER = "other", _("Autre")


class SupportMeasure(TimeStampedModel):
    """Mesure d'accompagnement of a household within a project."""

    household = models.ForeignKey(Household, verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="measures")
    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.PROTECT, related_name="measures")
    action = models.ForeignKey(Action, verbose_name=_("action"), null=True, blank=True, on_delete=models.SET_NULL, related_name="measures")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("structure qui accompagne"),
        on_delete=models.PROTECT,
        related_name="support_measures",
        help_text=_("Le plus souvent une association ; parfois le bailleur lui-même."),
    )
    kind = models.CharField(_("type de mesure"), max_length=20, choices=MeasureKind.choices, default=MeasureKind.PROJECT)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, default=Phase.IDENTIFICATION, db_index=True)
    intensity = models.CharField(_("intensité"), max_length=20, choices=Intensity.choices, blank=True)
    referent = models.ForeignKey(
        Membership, verbose_name=_("référent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="measures_as_referent"
    )
    identified_on = models.DateField(_("repéré le"))
    diagnostic_on = models.DateField(_("diagnostic le"), null=True, blank=True)
    contract_signed_on = models.DateField(_("contrat signé le"), null=True, blank=True)
    ended_on = models.DateField(_("fin le"), null=True, blank=True)
    end_meeting = models.ForeignKey(
        CommitteeMeeting, verbose_name=_("fin décidée en comité"), null=True, blank=True, on_delete=models.SET_NULL, related_name="ended_measures"
    )
    outcome = models.CharField(_("issue"), max_length=20, choices=Outcome.choices, blank=True)
    watch_until = models.DateField(_("veille active jusqu'au"), null=True, blank=True)
    external_reference = models.CharField(_("n° de dossier de l'association"), max_length=60, blank=True)
    # Protected (team only)
    diagnostic_notes = models.TextField(_("diagnostic social (note)"), blank=True)
    outcome_notes = models.TextField(_("bilan de fin (note)"), blank=True)

    class Meta:
        verbose_name = _("mesure d'accompagnement")
        verbose_name_plural = _("mesures d'accompagnement")
        ordering = ["-identified_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "project"], condition=Q(ended_on__isnull=True), name="measure_one_open_per_household_project"
            ),
            dates_ordered("identified_on", "diagnostic_on", "measure_diagnostic_after_identification"),
            dates_ordered("identified_on", "contract_signed_on", "measure_contract_after_identification"),
            dates_ordered("identified_on", "ended_on", "measure_end_after_start"),
            dates_ordered("ended_on", "watch_until", "measure_watch_after_end"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True, outcome="") | (Q(ended_on__isnull=False) & ~Q(outcome="")),
                name="measure_outcome_iff_ended",
            ),
            # Phase "fin" or "veille active" exactly when the measure has ended.
            models.CheckConstraint(
                condition=Q(phase__in=[Phase.ENDED, Phase.WATCH], ended_on__isnull=False)
                | (~Q(phase__in=[Phase.ENDED, Phase.WATCH]) & Q(ended_on__isnull=True)),
                name="measure_ended_phase_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household.display_name} — {self.project.number}"


class Mandate(TimeStampedModel):
    """Mandate period of a measure (often 6 months, renewable)."""

    measure = models.ForeignKey(SupportMeasure, verbose_name=_("mesure"), on_delete=models.CASCADE, related_name="mandates")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    number = models.PositiveSmallIntegerField(_("n°"), validators=[MinValueValidator(1)], help_text=_("1 = mandat initial, 2 = premier renouvellement…"))
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    decided_on = models.DateField(_("décidé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("mandat")
        verbose_name_plural = _("mandats")
        ordering = ["measure", "number"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "number"], name="mandate_number_unique"),
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="mandate_ends_after_start"),
        ]

    def __str__(self) -> str:
        return _("Mandat %(n)s : %(start)s → %(end)s") % {
            "n": self.number, "start": f"{self.starts_on:%d/%m/%Y}", "end": f"{self.ends_on:%d/%m/%Y}",
        }

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.measure.organisation_id
        super().save(*args, **kwargs)


class TeamRole(models.TextChoices):
    REFERENT = "referent", _("Référent")
    CO_REFERENT = "co_referent", _("Co-référent")
    REPLACEMENT = "replacement", _("Remplaçant")
    LEAD = "lead", _("Responsable d'équipe")


class TeamMember(TimeStampedModel):
    """A member of a measure's team: the people who may read its social notes."""

    measure = models.ForeignKey(SupportMeasure, verbose_name=_("mesure"), on_delete=models.CASCADE, related_name="team")
    membership = models.ForeignKey(Membership, verbose_name=_("professionnel"), on_delete=models.CASCADE, related_name="teams")
    role = models.CharField(_("rôle"), max_length=20, choices=TeamRole.choices)
    since = models.DateField(_("depuis le"))
    until = models.DateField(_("jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("membre de l'équipe")
        verbose_name_plural = _("équipe")
        ordering = ["measure", "role"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "membership"], condition=Q(until__isnull=True), name="team_member_once_active"),
            dates_ordered("since", "until", "team_member_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} ({self.get_role_display()})"


class GoalDomain(models.TextChoices):
    BUDGET = "budget", _("Budget")
    HOME_CARE = "home_care", _("Entretien du logement")
    NEIGHBOURHOOD = "neighbourhood", _("Voisinage")
    HEALTH = "health", _("Santé")
    EMPLOYMENT = "employment", _("Emploi, formation")
    RIGHTS = "rights", _("Accès aux droits")
    OTHER = "other", _("Autre")


class GoalStatus(models.TextChoices):
    OPEN = "open", _("En cours")
    ACHIEVED = "achieved", _("Atteint")
    PARTLY = "partly", _("Partiellement atteint")
    ABANDONED = "abandoned", _("Abandonné")


class SupportGoal(TimeStampedModel):
    """One goal of the support plan."""

    measure = models.ForeignKey(SupportMeasure, verbose_name=_("mesure"), on_delete=models.CASCADE, related_name="goals")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    domain = models.CharField(_("domaine"), max_length=20, choices=GoalDomain.choices)
    title = models.CharField(_("objectif"), max_length=255)
    set_on = models.DateField(_("fixé le"))
    status = models.CharField(_("statut"), max_length=20, choices=GoalStatus.choices, default=GoalStatus.OPEN)
    closed_on = models.DateField(_("clos le"), null=True, blank=True)
    # Protected (team only)
    notes = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("objectif d'accompagnement")
        verbose_name_plural = _("objectifs d'accompagnement")
        ordering = ["measure", "set_on"]
        constraints = [
            dates_ordered("set_on", "closed_on", "goal_closed_after_set"),
            models.CheckConstraint(
                condition=Q(status=GoalStatus.OPEN, closed_on__isnull=True) | (~Q(status=GoalStatus.OPEN) & Q(closed_on__isnull=False)),
                name="goal_closed_iff_not_open",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.measure.organisation_id
        super().save(*args, **kwargs)


class ReviewMilestone(models.TextChoices):
    TWO_MONTHS = "m2", _("Bilan à 2 mois")
    SIX_MONTHS = "m6", _("Bilan à 6 mois")
    OTHER = "other", _("Autre bilan")


class GoalReview(TimeStampedModel):
    goal = models.ForeignKey(SupportGoal, verbose_name=_("objectif"), on_delete=models.CASCADE, related_name="reviews")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    milestone = models.CharField(_("échéance"), max_length=10, choices=ReviewMilestone.choices)
    due_on = models.DateField(_("prévu le"))
    reviewed_on = models.DateField(_("réalisé le"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("avancement (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    # Protected (team only)
    notes = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("bilan d'objectif")
        verbose_name_plural = _("bilans d'objectif")
        ordering = ["goal", "due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "milestone"], condition=~Q(milestone="other"), name="review_one_per_milestone"
            ),
            models.CheckConstraint(condition=Q(progress__isnull=True) | Q(progress__lte=100), name="review_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_milestone_display()} — {self.goal}"

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.goal.organisation_id
        super().save(*args, **kwargs)


class ContactKind(models.TextChoices):
    HOME_VISIT = "home_visit", _("Visite à domicile")
    OFFICE = "office", _("Entretien au bureau")
    PHONE = "phone", _("Appel")
    JOINT_VISIT = "joint_visit", _("Visite conjointe bailleur-association")
    WORKSHOP = "workshop", _("Atelier collectif")
    NO_SHOW = "no_show", _("Rendez-vous non honoré")


class ContactStatus(models.TextChoices):
    PLANNED = "planned", _("Prévu")
    DONE = "done", _("Réalisé")
    CANCELLED = "cancelled", _("Annulé")


class Contact(TimeStampedModel):
    """One entry of the visit log."""

    measure = models.ForeignKey(SupportMeasure, verbose_name=_("mesure"), on_delete=models.CASCADE, related_name="contacts")
    household = models.ForeignKey(Household, verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="contacts", editable=False)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    author = models.ForeignKey(Membership, verbose_name=_("auteur"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    kind = models.CharField(_("type"), max_length=20, choices=ContactKind.choices)
    status = models.CharField(_("statut"), max_length=20, choices=ContactStatus.choices, default=ContactStatus.DONE)
    occurred_on = models.DateField(_("date"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    goals = models.ManyToManyField(SupportGoal, verbose_name=_("objectifs travaillés"), blank=True, related_name="contacts")
    workshop = models.ForeignKey("Workshop", verbose_name=_("atelier"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    # Exactly-once delivery of offline drafts and bulk uploads (DESIGN.md §7).
    client_uuid = models.UUIDField(_("identifiant client"), default=uuid.uuid4, unique=True, editable=False)
    # Protected (team only)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["household", "-occurred_on"], name="contact_household_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=24 * 60), name="contact_duration_within_day"
            ),
            models.CheckConstraint(
                condition=~Q(kind=ContactKind.NO_SHOW) | Q(duration_minutes__isnull=True) | Q(duration_minutes=0),
                name="contact_no_show_has_no_duration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.occurred_on:%d/%m/%Y}"

    def save(self, *args, **kwargs) -> None:
        self.household_id = self.measure.household_id
        self.organisation_id = self.measure.organisation_id
        super().save(*args, **kwargs)


class Workshop(TimeStampedModel):
    """Atelier collectif."""

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisateur"), on_delete=models.PROTECT, related_name="workshops")
    project = models.ForeignKey(Project, verbose_name=_("projet"), null=True, blank=True, on_delete=models.SET_NULL, related_name="workshops")
    title = models.CharField(_("intitulé"), max_length=255)
    theme = models.CharField(_("thème"), max_length=20, choices=GoalDomain.choices)
    held_on = models.DateField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), null=True, blank=True)
    place = models.CharField(_("lieu"), max_length=255, blank=True)
    capacity = models.PositiveSmallIntegerField(_("places"), null=True, blank=True)

    class Meta:
        verbose_name = _("atelier collectif")
        verbose_name_plural = _("ateliers collectifs")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d/%m/%Y})"


class WorkshopAttendance(TimeStampedModel):
    workshop = models.ForeignKey(Workshop, verbose_name=_("atelier"), on_delete=models.CASCADE, related_name="attendances")
    household = models.ForeignKey(Household, verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="workshop_attendances")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    attended = models.BooleanField(_("présent"), default=True)
    participants = models.PositiveSmallIntegerField(_("personnes présentes"), default=1)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [models.UniqueConstraint(fields=["workshop", "household"], name="attendance_once_per_household")]

    def __str__(self) -> str:
        return f"{self.household} @ {self.workshop}"

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.household.organisation_id
        super().save(*args, **kwargs)


class SnapshotMoment(models.TextChoices):
    ENTRY = "entry", _("À l'entrée")
    EXIT = "exit", _("À la sortie")
    FOLLOW_UP = "follow_up_12m", _("12 mois après la fin")


class SituationSnapshot(TimeStampedModel):
    """Figures of a household's situation at entry, exit and 12 months after: outcomes."""

    measure = models.ForeignKey(SupportMeasure, verbose_name=_("mesure"), on_delete=models.CASCADE, related_name="snapshots")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    moment = models.CharField(_("moment"), max_length=20, choices=SnapshotMoment.choices)
    observed_on = models.DateField(_("constaté le"))
    rent_arrears = money_field(_("dette locative (€)"), default=Decimal("0"))
    housing_benefit = models.BooleanField(_("aide au logement ouverte"), default=False)
    minimum_income = models.BooleanField(_("minimum social ouvert (RSA, AAH…)"), default=False)
    health_cover = models.BooleanField(_("couverture santé ouverte"), default=False)
    employed = models.BooleanField(_("en emploi ou formation"), default=False)
    still_housed = models.BooleanField(_("toujours dans le logement"), default=True)

    class Meta:
        verbose_name = _("situation constatée")
        verbose_name_plural = _("situations constatées")
        ordering = ["measure", "observed_on"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "moment"], name="snapshot_one_per_moment"),
            non_negative("rent_arrears", "snapshot_arrears_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_moment_display()} — {self.measure}"

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.measure.organisation_id
        super().save(*args, **kwargs)
