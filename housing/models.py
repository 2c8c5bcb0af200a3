"""Housing units, the lease path, attribution steps and eviction prevention.

``housing`` sits above ``households`` in the dependency order: a lease ties
a household to a unit.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from households.models import Household
from partners.models import Organisation
from projects.models import Project, dates_ordered, money_field, non_negative


class UnitKind(models.TextChoices):
    ORDINARY = "ordinary", _("Logement ordinaire")
    ADAPTED = "adapted", _("Logement adapté")
    SOCIAL_RESIDENCE = "social_residence", _("Place en résidence sociale")
    FJT = "fjt", _("Place en foyer de jeunes travailleurs")
    BOARDING_HOUSE = "boarding_house", _("Place en pension de famille")


class Typology(models.TextChoices):
    ROOM = "room", _("Chambre")
    T1 = "T1", "T1"
    T1BIS = "T1bis", "T1 bis"
    T2 = "T2", "T2"
    T3 = "T3", "T3"
    T4 = "T4", "T4"
    T5 = "T5", "T5"
    T6 = "T6", _("T6 et plus")


class Financing(models.TextChoices):
    PLAI = "PLAI", "PLAI"
    PLAI_A = "PLAI-A", "PLAI adapté"
    PLUS = "PLUS", "PLUS"
    PLS = "PLS", "PLS"
    OTHER = "other", _("Autre / non conventionné")


class HousingUnit(TimeStampedModel):
    landlord = models.ForeignKey(Organisation, verbose_name=_("bailleur"), on_delete=models.PROTECT, related_name="housing_units")
    project = models.ForeignKey(Project, verbose_name=_("projet"), null=True, blank=True, on_delete=models.SET_NULL, related_name="housing_units")
    kind = models.CharField(_("nature"), max_length=20, choices=UnitKind.choices, default=UnitKind.ORDINARY)
    rpls_id = models.CharField(
        _("identifiant RPLS"), max_length=20, blank=True,
        validators=[RegexValidator(r"^[0-9A-Z]{1,20}$", _("Identifiant RPLS : chiffres et lettres majuscules."))],
    )
    landlord_reference = models.CharField(_("référence du bailleur"), max_length=60, blank=True)
    address = models.CharField(_("adresse"), max_length=255)
    postcode = models.CharField(_("code postal"), max_length=5, validators=[RegexValidator(r"^\d{5}$", _("Code postal : 5 chiffres."))])
    commune_insee = models.CharField(
        _("commune (code INSEE)"), max_length=5, blank=True,
        validators=[RegexValidator(r"^(\d{5}|2[AB]\d{3})$", _("Code INSEE de commune : 5 caractères."))],
    )
    city = models.CharField(_("commune"), max_length=120)
    typology = models.CharField(_("typologie"), max_length=10, choices=Typology.choices)
    surface = models.DecimalField(_("surface (m²)"), max_digits=6, decimal_places=2, null=True, blank=True)
    floor = models.SmallIntegerField(_("étage"), null=True, blank=True)
    financing = models.CharField(_("financement"), max_length=10, choices=Financing.choices, blank=True)
    rent = money_field(_("loyer mensuel hors charges (€)"))
    charges = money_field(_("charges mensuelles (€)"), default=0)

    class Meta:
        verbose_name = _("logement")
        verbose_name_plural = _("logements")
        ordering = ["city", "address"]
        constraints = [
            models.UniqueConstraint(fields=["rpls_id"], condition=~Q(rpls_id=""), name="unit_rpls_unique"),
            models.UniqueConstraint(
                fields=["landlord", "landlord_reference"], condition=~Q(landlord_reference=""), name="unit_reference_unique_per_landlord"
            ),
            non_negative("rent", "unit_rent_non_negative"),
            non_negative("charges", "unit_charges_non_negative"),
            models.CheckConstraint(condition=Q(surface__isnull=True) | Q(surface__gt=0), name="unit_surface_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.address}, {self.postcode} {self.city} ({self.typology})"


class LeaseKind(models.TextChoices):
    DIRECT = "direct", _("Bail direct")
    SLIDING = "sliding", _("Bail glissant")
    SUBLET = "sublet", _("Sous-location")
    ASSOCIATIVE = "associative", _("Bail associatif")
    RENT_INTERMEDIATION = "intermediation", _("Intermédiation locative")
    MANAGEMENT_MANDATE = "mandate", _("Mandat de gestion")
    RESIDENCE = "residence", _("Contrat de résidence (redevance)")


#: Lease kinds in which an association, not the household, holds the lease.
ASSOCIATION_TENANT_KINDS = (
    LeaseKind.SLIDING, LeaseKind.SUBLET, LeaseKind.ASSOCIATIVE, LeaseKind.RENT_INTERMEDIATION,
)

#: Lease kinds in which the household itself holds the lease.
HOUSEHOLD_TENANT_KINDS = (LeaseKind.DIRECT, LeaseKind.MANAGEMENT_MANDATE, LeaseKind.RESIDENCE)


class Lease(TimeStampedModel):
    """One step of a household's lease path on one unit.

    The tenant is the household (bail direct) or an association (sous-location,
    bail glissant before the glissement…): in that case the association is the
    debtor of the rent. ``parent_lease`` links a lease to the one it replaced.
    """

    unit = models.ForeignKey(HousingUnit, verbose_name=_("logement"), on_delete=models.PROTECT, related_name="leases")
    lessor = models.ForeignKey(Organisation, verbose_name=_("bailleur"), on_delete=models.PROTECT, related_name="leases_as_lessor")
    kind = models.CharField(_("type de bail"), max_length=20, choices=LeaseKind.choices)
    tenant_household = models.ForeignKey(
        Household, verbose_name=_("ménage locataire"), null=True, blank=True, on_delete=models.PROTECT, related_name="leases_as_tenant"
    )
    tenant_organisation = models.ForeignKey(
        Organisation, verbose_name=_("association locataire"), null=True, blank=True, on_delete=models.PROTECT, related_name="leases_as_tenant"
    )
    occupant = models.ForeignKey(Household, verbose_name=_("ménage occupant"), on_delete=models.PROTECT, related_name="occupied_leases")
    parent_lease = models.ForeignKey(
        "self", verbose_name=_("bail précédent"), null=True, blank=True, on_delete=models.PROTECT, related_name="next_leases"
    )
    signed_on = models.DateField(_("signé le"))
    starts_on = models.DateField(_("prise d'effet"))
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    monthly_rent = money_field(_("loyer mensuel (€)"))
    monthly_charges = money_field(_("charges mensuelles (€)"), default=0)
    planned_glissement_on = models.DateField(_("glissement prévu le"), null=True, blank=True)
    tenant_reference = models.CharField(_("n° de locataire (bailleur)"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("bail")
        verbose_name_plural = _("baux")
        ordering = ["unit", "starts_on"]
        constraints = [
            # A lease that ends before it starts.
            dates_ordered("starts_on", "ends_on", "lease_ends_after_start"),
            # Exactly one tenant: the household or an organisation.
            models.CheckConstraint(
                condition=(Q(tenant_household__isnull=False) & Q(tenant_organisation__isnull=True))
                | (Q(tenant_household__isnull=True) & Q(tenant_organisation__isnull=False)),
                name="lease_exactly_one_tenant",
            ),
            # In those kinds the association holds the lease (and owes the rent).
            models.CheckConstraint(
                condition=~Q(kind__in=ASSOCIATION_TENANT_KINDS) | Q(tenant_organisation__isnull=False),
                name="lease_association_holds_intermediated_lease",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=HOUSEHOLD_TENANT_KINDS) | Q(tenant_household__isnull=False),
                name="lease_household_holds_direct_lease",
            ),
            models.CheckConstraint(condition=Q(kind=LeaseKind.SLIDING) | Q(planned_glissement_on__isnull=True), name="lease_glissement_only_sliding"),
            models.CheckConstraint(condition=~Q(parent_lease=F("id")), name="lease_not_own_parent"),
            non_negative("monthly_rent", "lease_rent_non_negative"),
            non_negative("monthly_charges", "lease_charges_non_negative"),
        ]
        # "No two leases overlap on one unit" is a trigger (migration 0002):
        # the embedded PostgreSQL has no btree_gist for an exclusion constraint.

    def __str__(self) -> str:
        # No address here: a lease's label appears in lists and pickers, and the
        # address of a household under domestic-violence protection must not.
        return _("%(kind)s n° %(id)s du %(start)s") % {
            "kind": self.get_kind_display(), "id": self.pk, "start": f"{self.starts_on:%d/%m/%Y}",
        }

    @property
    def rent_debtor(self):
        """Who owes the rent: the association in an intermediated lease."""
        return self.tenant_organisation or self.tenant_household

    @property
    def monthly_total(self):
        return self.monthly_rent + self.monthly_charges


class Glissement(TimeStampedModel):
    """The slide of a bail glissant: the household becomes the tenant in title.

    Decided by the CALEOL; ends the association's lease and starts the
    household's bail direct (``services.glissement_record``).
    """

    from_lease = models.OneToOneField(Lease, verbose_name=_("bail de l'association"), on_delete=models.PROTECT, related_name="glissement_out")
    to_lease = models.OneToOneField(Lease, verbose_name=_("bail direct du ménage"), on_delete=models.PROTECT, related_name="glissement_in")
    caleol_decided_on = models.DateField(_("décision de la CALEOL le"))
    effective_on = models.DateField(_("effectif le"))

    class Meta:
        verbose_name = _("glissement de bail")
        verbose_name_plural = _("glissements de bail")
        constraints = [
            models.CheckConstraint(condition=~Q(from_lease=F("to_lease")), name="glissement_two_leases"),
            dates_ordered("caleol_decided_on", "effective_on", "glissement_after_decision"),
        ]

    def __str__(self) -> str:
        return _("Glissement du %(date)s") % {"date": f"{self.effective_on:%d/%m/%Y}"}


class AttributionStepKind(models.TextChoices):
    APPLICATION = "application", _("Demande de logement social enregistrée")
    PROPOSAL = "proposal", _("Proposition de logement")
    CALEOL = "caleol", _("Passage en CALEOL")
    DECISION = "decision", _("Décision d'attribution")
    LEASE_SIGNED = "lease_signed", _("Signature du bail")
    MOVE_IN = "move_in", _("Entrée dans les lieux")


class AttributionDecision(models.TextChoices):
    GRANTED = "granted", _("Attribution")
    GRANTED_RANKED = "granted_ranked", _("Attribution par ordre de priorité")
    CONDITIONAL = "conditional", _("Attribution sous condition")
    POSTPONED = "postponed", _("Ajournement")
    REFUSED = "refused", _("Non-attribution")
    DECLINED = "declined", _("Refus du ménage")


class AttributionStep(TimeStampedModel):
    """A step of the access path of a household (demande → CALEOL → entrée)."""

    household = models.ForeignKey(Household, verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="attribution_steps")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation propriétaire"), on_delete=models.PROTECT, related_name="+", editable=False)
    unit = models.ForeignKey(HousingUnit, verbose_name=_("logement proposé"), null=True, blank=True, on_delete=models.SET_NULL, related_name="attribution_steps")
    kind = models.CharField(_("étape"), max_length=20, choices=AttributionStepKind.choices)
    occurred_on = models.DateField(_("date"))
    decision = models.CharField(_("décision"), max_length=20, choices=AttributionDecision.choices, blank=True)
    notes = models.CharField(_("précision"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("étape d'attribution")
        verbose_name_plural = _("étapes d'attribution")
        ordering = ["household", "occurred_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[AttributionStepKind.CALEOL, AttributionStepKind.DECISION]) | Q(decision=""),
                name="attribution_decision_only_at_caleol",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.occurred_on:%d/%m/%Y}"

    def save(self, *args, **kwargs) -> None:
        self.organisation_id = self.household.organisation_id
        super().save(*args, **kwargs)


class EvictionCaseStatus(models.TextChoices):
    OPEN = "open", _("En cours")
    SETTLED = "settled", _("Dette soldée / plan respecté")
    AVOIDED = "avoided", _("Expulsion évitée")
    EVICTED = "evicted", _("Expulsion réalisée")
    LEFT = "left", _("Départ du ménage")


class EvictionCase(TimeStampedModel):
    """Dossier de prévention des expulsions on a lease."""

    lease = models.ForeignKey(Lease, verbose_name=_("bail"), on_delete=models.PROTECT, related_name="eviction_cases")
    lessor = models.ForeignKey(Organisation, verbose_name=_("bailleur"), on_delete=models.PROTECT, related_name="+", editable=False)
    opened_on = models.DateField(_("ouvert le"))
    closed_on = models.DateField(_("clos le"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=20, choices=EvictionCaseStatus.choices, default=EvictionCaseStatus.OPEN)
    arrears_amount = money_field(_("dette locative actuelle (€)"), default=0)

    class Meta:
        verbose_name = _("dossier de prévention des expulsions")
        verbose_name_plural = _("dossiers de prévention des expulsions")
        ordering = ["-opened_on"]
        constraints = [
            dates_ordered("opened_on", "closed_on", "eviction_case_closed_after_opened"),
            models.CheckConstraint(
                condition=Q(status=EvictionCaseStatus.OPEN, closed_on__isnull=True)
                | (~Q(status=EvictionCaseStatus.OPEN) & Q(closed_on__isnull=False)),
                name="eviction_case_closed_iff_not_open",
            ),
            models.UniqueConstraint(fields=["lease"], condition=Q(closed_on__isnull=True), name="eviction_case_one_open_per_lease"),
            non_negative("arrears_amount", "eviction_case_arrears_non_negative"),
        ]

    def __str__(self) -> str:
        return _("Dossier du %(date)s") % {"date": f"{self.opened_on:%d/%m/%Y}"}

    def save(self, *args, **kwargs) -> None:
        self.lessor_id = self.lease.lessor_id
        super().save(*args, **kwargs)


class EvictionStepKind(models.TextChoices):
    ARREARS = "arrears", _("Impayé de loyer constaté")
    CAF_REPORT = "caf_report", _("Signalement à la CAF")
    REPAYMENT_PLAN = "repayment_plan", _("Plan d'apurement")
    FSL = "fsl", _("Demande FSL")
    PAYMENT_ORDER = "payment_order", _("Commandement de payer")
    CCAPEX_REFERRAL = "ccapex_referral", _("Saisine de la CCAPEX")
    SUMMONS = "summons", _("Assignation")
    SOCIAL_DIAGNOSIS = "social_diagnosis", _("Diagnostic social et financier")
    HEARING = "hearing", _("Audience")
    JUDGMENT = "judgment", _("Jugement")
    COHESION_PROTOCOL = "cohesion_protocol", _("Protocole de cohésion sociale")
    ORDER_TO_LEAVE = "order_to_leave", _("Commandement de quitter les lieux")
    ENFORCEMENT_DELAY = "enforcement_delay", _("Délais accordés par le juge de l'exécution")
    POLICE_REQUEST = "police_request", _("Demande de concours de la force publique")
    POLICE_DECISION = "police_decision", _("Décision sur le concours de la force publique")
    EVICTION = "eviction", _("Expulsion")
    OVER_INDEBTEDNESS = "over_indebtedness", _("Dossier de surendettement")


class JudgmentResult(models.TextChoices):
    TERMINATION = "termination", _("Résiliation du bail et expulsion")
    DELAYS = "delays", _("Délais de paiement, résiliation suspendue")
    DISMISSED = "dismissed", _("Demande rejetée")


class EvictionStep(TimeStampedModel):
    """One dated step of an eviction-prevention file, with its legal deadline."""

    case = models.ForeignKey(EvictionCase, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="steps")
    lessor = models.ForeignKey(Organisation, verbose_name=_("bailleur"), on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(_("étape"), max_length=30, choices=EvictionStepKind.choices)
    occurred_on = models.DateField(_("date"))
    amount = money_field(_("montant en jeu (€)"), null=True, blank=True)
    judgment_result = models.CharField(_("sens du jugement"), max_length=20, choices=JudgmentResult.choices, blank=True)
    deadline_on = models.DateField(_("échéance légale"), null=True, blank=True, editable=False)
    deadline_rule = models.ForeignKey(
        "DeadlineRule", verbose_name=_("règle appliquée"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    notes = models.CharField(_("précision"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("étape de prévention des expulsions")
        verbose_name_plural = _("étapes de prévention des expulsions")
        ordering = ["case", "occurred_on", "id"]
        constraints = [
            non_negative("amount", "eviction_step_amount_non_negative"),
            models.CheckConstraint(condition=Q(kind=EvictionStepKind.JUDGMENT) | Q(judgment_result=""), name="eviction_step_result_only_judgment"),
            dates_ordered("occurred_on", "deadline_on", "eviction_step_deadline_after_step"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.occurred_on:%d/%m/%Y}"

    def save(self, *args, **kwargs) -> None:
        self.lessor_id = self.case.lessor_id
        super().save(*args, **kwargs)


class DeadlineUnit(models.TextChoices):
    DAYS = "days", _("jours")
    WEEKS = "weeks", _("semaines")
    MONTHS = "months", _("mois")


class DeadlineRule(TimeStampedModel):
    """A legal deadline stored as data, so that a change of law is a data change.

    Selection: the rule for ``step_kind`` whose ``applies_from`` is the latest
    on or before the step's date, among those whose lease-signature window
    (``lease_signed_from`` / ``lease_signed_before``) contains the lease's
    signature date. The deadline is the step date plus the delay, moved to
    the next working day when it falls on a weekend or a public holiday.
    Each row cites its legal text (``legal_reference``); the rows are loaded
    by migration ``housing.0003_deadline_rules`` with a comment per rule.
    """

    code = models.SlugField(_("code"), max_length=60)
    step_kind = models.CharField(_("étape déclenchante"), max_length=30, choices=EvictionStepKind.choices)
    label = models.CharField(_("libellé de l'échéance"), max_length=255)
    delay = models.PositiveSmallIntegerField(_("délai"))
    unit = models.CharField(_("unité"), max_length=10, choices=DeadlineUnit.choices)
    applies_from = models.DateField(_("en vigueur depuis le"))
    lease_signed_from = models.DateField(_("baux signés à partir du"), null=True, blank=True)
    lease_signed_before = models.DateField(_("baux signés avant le"), null=True, blank=True)
    legal_reference = models.CharField(_("texte"), max_length=255)
    move_to_working_day = models.BooleanField(_("reporté au jour ouvré suivant"), default=True)

    class Meta:
        verbose_name = _("règle d'échéance")
        verbose_name_plural = _("règles d'échéance")
        ordering = ["step_kind", "-applies_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "applies_from"], name="deadline_rule_unique_version"),
            models.CheckConstraint(condition=Q(delay__gt=0), name="deadline_rule_positive_delay"),
            dates_ordered("lease_signed_from", "lease_signed_before", "deadline_rule_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.delay} {self.get_unit_display()})"
