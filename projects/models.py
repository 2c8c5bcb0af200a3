"""Calls for projects, projects, their carriers, targets, money and committees."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from partners.models import Organisation

ZERO = Decimal("0")


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    """Euros with cents; never negative (a CHECK constraint says so too)."""
    kwargs.setdefault("validators", [MinValueValidator(ZERO)])
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


def non_negative(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": 0}), name=name)


def dates_ordered(start: str, end: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{end}__isnull": True}) | Q(**{f"{start}__isnull": True}) | Q(**{f"{end}__gte": F(start)}),
        name=name,
    )


class CallForProjects(TimeStampedModel):
    """Appel à projets, e.g. "10 000 logements accompagnés" (one per yearly edition)."""

    name = models.CharField(_("intitulé"), max_length=255)
    year = models.PositiveSmallIntegerField(_("édition (année)"))
    launched_by = models.CharField(_("lancé par"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("appel à projets")
        verbose_name_plural = _("appels à projets")
        ordering = ["-year", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="call_unique_per_year")]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class Session(TimeStampedModel):
    """A selection session of a call (mai 2014, octobre 2014…) with its key figures."""

    call = models.ForeignKey(CallForProjects, verbose_name=_("appel à projets"), on_delete=models.CASCADE, related_name="sessions")
    name = models.CharField(_("session"), max_length=120)
    held_on = models.DateField(_("date"), null=True, blank=True)
    dossiers_submitted = models.PositiveIntegerField(_("dossiers déposés"), null=True, blank=True)
    submitting_landlords = models.PositiveIntegerField(_("organismes Hlm déposants"), null=True, blank=True)
    submitting_groups = models.PositiveIntegerField(_("collectifs d'organismes déposants"), null=True, blank=True)
    regions = models.PositiveIntegerField(_("régions"), null=True, blank=True)
    projects_retained = models.PositiveIntegerField(_("projets retenus"), null=True, blank=True)
    retained_fnavdl = models.PositiveIntegerField(_("retenus pour un financement FNAVDL/AVDL"), null=True, blank=True)
    retained_cglls = models.PositiveIntegerField(_("retenus pour un financement CGLLS"), null=True, blank=True)
    announced_support = money_field(_("soutien financier annoncé (€)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["call", "held_on"]
        constraints = [
            models.UniqueConstraint(fields=["call", "name"], name="session_unique_per_call"),
            models.CheckConstraint(
                condition=Q(projects_retained__isnull=True)
                | Q(dossiers_submitted__isnull=True)
                | Q(projects_retained__lte=F("dossiers_submitted")),
                name="session_retained_within_submitted",
            ),
            non_negative("announced_support", "session_support_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.call.name} — {self.name}"


class Category(models.TextChoices):
    """Typology of the USH guide (2015)."""

    COORDINATION = "1", _("1 — Coordination partenariale")
    ACCESS = "2.1", _("2.1 — Accès au logement")
    MAINTAIN = "2.2", _("2.2 — Maintien dans le logement")
    ACCESS_MAINTAIN = "2.3", _("2.3 — Accès et maintien")
    MENTAL_HEALTH = "3.1", _("3.1 — Santé mentale")
    DOMESTIC_VIOLENCE = "3.2", _("3.2 — Femmes victimes de violences conjugales")
    YOUNG = "3.3", _("3.3 — Jeunes en insertion")
    TRAVELLERS = "3.4", _("3.4 — Gens du voyage en sédentarisation")
    PRISON_LEAVERS = "3.5", _("3.5 — Sortants d'incarcération")
    ELDERLY = "3.6", _("3.6 — Personnes âgées isolées à très faibles ressources")


class ProjectStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Déposé")
    RETAINED = "retained", _("Retenu")
    NOT_RETAINED = "not_retained", _("Non retenu")
    IN_PROGRESS = "in_progress", _("En cours")
    CLOSED = "closed", _("Clôturé")


class TargetBasis(models.TextChoices):
    TOTAL = "total", _("Sur la durée du projet")
    PER_YEAR = "per_year", _("Par an")
    ACTIVE_FILE = "active_file", _("En file active")


class AccessOrMaintain(models.TextChoices):
    ACCESS = "access", _("Accès")
    MAINTAIN = "maintain", _("Maintien")
    BOTH = "both", _("Accès et maintien")


class Project(TimeStampedModel):
    """Projet (dossier) of a call for projects."""

    call = models.ForeignKey(
        CallForProjects, verbose_name=_("appel à projets"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    session = models.ForeignKey(
        Session, verbose_name=_("session"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    number = models.CharField(_("numéro"), max_length=20, help_text=_("Numéro du guide, ex. 2.3.19"))
    category = models.CharField(_("catégorie"), max_length=4, choices=Category.choices, db_index=True)
    title = models.CharField(_("intitulé"), max_length=500)
    status = models.CharField(_("statut"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.SUBMITTED, db_index=True)
    lead_landlord = models.ForeignKey(
        Organisation,
        verbose_name=_("bailleur porteur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_projects",
        help_text=_("Reçoit les fonds FNAVDL/CGLLS et reverse aux partenaires."),
    )
    carriers = models.ManyToManyField(Organisation, through="ProjectCarrier", related_name="carried_projects", verbose_name=_("porteurs"))
    carriers_text = models.CharField(_("porteurs (tels qu'imprimés)"), max_length=500, blank=True)
    # Territory
    territory_text = models.CharField(_("territoire"), max_length=255, blank=True)
    departements = ArrayField(models.CharField(max_length=3), verbose_name=_("départements (INSEE)"), default=list, blank=True)
    communes = ArrayField(models.CharField(max_length=5), verbose_name=_("communes (INSEE)"), default=list, blank=True)
    # Targets: total household figure counted by the guide's rule, with the text as printed.
    target_households = models.PositiveIntegerField(_("ménages à accompagner (objectif)"), null=True, blank=True)
    target_households_text = models.CharField(_("ménages (tel qu'imprimé)"), max_length=255, blank=True)
    target_households_figure = models.PositiveIntegerField(_("ménages (chiffre imprimé)"), null=True, blank=True)
    target_households_basis = models.CharField(
        _("base de l'objectif"), max_length=20, choices=TargetBasis.choices, default=TargetBasis.TOTAL
    )
    target_units = models.PositiveIntegerField(_("logements mobilisés (objectif)"), null=True, blank=True)
    target_units_text = models.CharField(_("logements (tel qu'imprimé)"), max_length=255, blank=True)
    access_or_maintain = models.CharField(_("accès ou maintien"), max_length=20, choices=AccessOrMaintain.choices, blank=True)
    access_or_maintain_text = models.CharField(_("accès et / ou maintien (tel qu'imprimé)"), max_length=255, blank=True)
    # Descriptive fields of the monographs
    nature = models.TextField(_("nature du projet"), blank=True)
    objectives = models.TextField(_("objectifs"), blank=True)
    household_profile = models.TextField(_("profil des ménages"), blank=True)
    occupancy_status = models.TextField(_("statut d'occupation"), blank=True)
    support_description = models.TextField(_("nature de l'accompagnement"), blank=True)
    offer = models.TextField(_("nature de l'offre"), blank=True)
    means = models.TextField(_("moyens mis en œuvre"), blank=True)
    cost_text = models.TextField(_("coût global (tel qu'imprimé)"), blank=True)
    cost_amount = money_field(_("coût global (€)"), null=True, blank=True)
    duration_text = models.CharField(_("durée (telle qu'imprimée)"), max_length=255, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("durée (mois)"), null=True, blank=True)
    starts_on = models.DateField(_("début"), null=True, blank=True)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    # Provenance
    source = models.CharField(_("source"), max_length=40, blank=True, help_text=_("ex. guide USH 2015"))
    source_line = models.PositiveIntegerField(_("ligne dans la source"), null=True, blank=True)

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["category", "number"]
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], nulls_distinct=False, name="project_number_unique_per_call"),
            dates_ordered("starts_on", "ends_on", "project_dates_ordered"),
            non_negative("cost_amount", "project_cost_non_negative"),
            models.CheckConstraint(
                condition=Q(session__isnull=True) | Q(call__isnull=False), name="project_session_needs_call"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"

    @property
    def duration_years(self) -> Decimal | None:
        if self.duration_months is None:
            return None
        return Decimal(self.duration_months) / 12


class CarrierRole(models.TextChoices):
    LEAD = "lead", _("Porteur (organisme Hlm)")
    CO_LEAD = "co_lead", _("Co-porteur")
    PARTNER = "partner", _("Partenaire opérateur")
    ASSOCIATED = "associated", _("Partenaire associé")


class ProjectCarrier(TimeStampedModel):
    """An organisation carrying a project, with its role."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="project_carriers")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="project_roles")
    role = models.CharField(_("rôle"), max_length=20, choices=CarrierRole.choices)

    class Meta:
        verbose_name = _("porteur")
        verbose_name_plural = _("porteurs")
        ordering = ["project", "role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "organisation"], name="carrier_once_per_project"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class Action(TimeStampedModel):
    """One action of a project, with its own partner association and public."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("intitulé"), max_length=255)
    partner = models.ForeignKey(
        Organisation, verbose_name=_("association partenaire"), null=True, blank=True, on_delete=models.PROTECT, related_name="project_actions"
    )
    public = models.CharField(_("public"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    target_households = models.PositiveIntegerField(_("ménages visés"), null=True, blank=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["project", "title"]
        constraints = [models.UniqueConstraint(fields=["project", "title"], name="action_title_unique_per_project")]

    def __str__(self) -> str:
        return f"{self.project.number} — {self.title}"


class ProjectTarget(TimeStampedModel):
    """Households and units targeted in one project year (year 1, 2, 3…)."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("année du projet"), validators=[MinValueValidator(1)])
    households = models.PositiveIntegerField(_("ménages"))
    units = models.PositiveIntegerField(_("logements"), null=True, blank=True)

    class Meta:
        verbose_name = _("objectif annuel")
        verbose_name_plural = _("objectifs annuels")
        ordering = ["project", "year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="target_one_per_project_year"),
            models.CheckConstraint(condition=Q(year__gte=1), name="target_year_from_one"),
        ]

    def __str__(self) -> str:
        return _("Année %(year)s : %(households)s ménages") % {"year": self.year, "households": self.households}


class FunderProgramme(models.TextChoices):
    FNAVDL = "fnavdl", _("FNAVDL / AVDL")
    CGLLS = "cglls", _("Fonds d'innovation CGLLS")
    LOCAL_AUTHORITY = "local_authority", _("Collectivité territoriale")
    ACTION_LOGEMENT = "action_logement", _("Action Logement")
    OWN_FUNDS = "own_funds", _("Fonds propres du bailleur")
    OTHER = "other", _("Autre")


class FundingDecision(models.TextChoices):
    REQUESTED = "requested", _("Demandé")
    GRANTED = "granted", _("Accordé")
    REFUSED = "refused", _("Refusé")


class Funding(TimeStampedModel):
    """A grant or contribution from a funder to a project."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="fundings")
    funder = models.ForeignKey(Organisation, verbose_name=_("financeur"), on_delete=models.PROTECT, related_name="fundings_given")
    programme = models.CharField(_("dispositif"), max_length=20, choices=FunderProgramme.choices)
    amount_requested = money_field(_("montant demandé (€)"), null=True, blank=True)
    amount_awarded = money_field(_("montant accordé (€)"), default=ZERO)
    decision = models.CharField(_("décision"), max_length=20, choices=FundingDecision.choices, default=FundingDecision.REQUESTED)
    decided_on = models.DateField(_("décidé le"), null=True, blank=True)
    reference = models.CharField(_("référence de la convention"), max_length=80, blank=True)
    report_due_on = models.DateField(_("compte rendu dû le"), null=True, blank=True)

    class Meta:
        verbose_name = _("financement")
        verbose_name_plural = _("financements")
        ordering = ["project", "funder__name"]
        constraints = [
            non_negative("amount_awarded", "funding_awarded_non_negative"),
            non_negative("amount_requested", "funding_requested_non_negative"),
            models.CheckConstraint(
                condition=~Q(decision=FundingDecision.REFUSED) | Q(amount_awarded=0),
                name="funding_refused_awards_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funder} → {self.project.number}"


class BudgetKind(models.TextChoices):
    SUPPORT = "support", _("Accompagnement")
    GLA = "gla", _("Gestion locative adaptée")
    COORDINATION = "coordination", _("Coordination et pilotage")
    EVALUATION = "evaluation", _("Évaluation")
    RENT_REDUCTION = "rent_reduction", _("Minoration de loyer")
    INVESTMENT = "investment", _("Investissement")
    OTHER = "other", _("Autre")


class BudgetLine(TimeStampedModel):
    """Planned amount of one kind of cost for one calendar year."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="budget_lines")
    action = models.ForeignKey(Action, verbose_name=_("action"), null=True, blank=True, on_delete=models.CASCADE, related_name="budget_lines")
    kind = models.CharField(_("poste"), max_length=20, choices=BudgetKind.choices)
    year = models.PositiveSmallIntegerField(_("année"))
    planned = money_field(_("prévu (€)"))
    unit_cost = money_field(_("coût unitaire (€)"), null=True, blank=True, help_text=_("par ménage-an ou logement-an"))
    quantity = models.PositiveIntegerField(_("quantité"), null=True, blank=True)

    class Meta:
        verbose_name = _("ligne budgétaire")
        verbose_name_plural = _("lignes budgétaires")
        ordering = ["project", "year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["project", "action", "kind", "year"], nulls_distinct=False, name="budget_line_unique"),
            non_negative("planned", "budget_planned_non_negative"),
            non_negative("unit_cost", "budget_unit_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.project.number} — {self.get_kind_display()} {self.year}"


class Expense(TimeStampedModel):
    """Money actually spent on a budget line."""

    budget_line = models.ForeignKey(BudgetLine, verbose_name=_("ligne budgétaire"), on_delete=models.PROTECT, related_name="expenses")
    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="expenses", editable=False)
    spent_on = models.DateField(_("date"))
    amount = money_field(_("montant (€)"))
    label = models.CharField(_("libellé"), max_length=255)
    supplier = models.CharField(_("fournisseur / bénéficiaire"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("dépense")
        verbose_name_plural = _("dépenses")
        ordering = ["-spent_on"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive")]

    def __str__(self) -> str:
        return f"{self.label} ({self.amount} €)"

    def save(self, *args, **kwargs) -> None:
        self.project_id = self.budget_line.project_id  # denormalised owner for scoping
        super().save(*args, **kwargs)


class PaymentKind(models.TextChoices):
    GRANT_INSTALMENT = "grant_instalment", _("Versement du financeur")
    PARTNER_TRANSFER = "partner_transfer", _("Reversement du porteur au partenaire")


class Payment(TimeStampedModel):
    """Money that moved: funder → lead landlord, or lead landlord → partner."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="payments")
    funding = models.ForeignKey(Funding, verbose_name=_("financement"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("nature"), max_length=20, choices=PaymentKind.choices)
    payer = models.ForeignKey(Organisation, verbose_name=_("payeur"), on_delete=models.PROTECT, related_name="payments_made")
    payee = models.ForeignKey(Organisation, verbose_name=_("bénéficiaire"), on_delete=models.PROTECT, related_name="payments_received")
    amount = money_field(_("montant (€)"))
    paid_on = models.DateField(_("payé le"))
    reference = models.CharField(_("référence"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-paid_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=~Q(payer=F("payee")), name="payment_payer_is_not_payee"),
            models.CheckConstraint(
                condition=~Q(kind=PaymentKind.GRANT_INSTALMENT) | Q(funding__isnull=False),
                name="payment_instalment_has_funding",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} → {self.payee} : {self.amount} €"


class CommitteeKind(models.TextChoices):
    STEERING = "steering", _("Comité de pilotage")
    FOLLOW_UP = "follow_up", _("Comité de suivi")


class CommitteeMeeting(TimeStampedModel):
    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="committee_meetings")
    kind = models.CharField(_("instance"), max_length=20, choices=CommitteeKind.choices)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("lieu"), max_length=255, blank=True)
    participants = models.ManyToManyField(Organisation, verbose_name=_("organisations présentes"), blank=True, related_name="committee_meetings")
    summary = models.TextField(_("relevé de conclusions"), blank=True)

    class Meta:
        verbose_name = _("réunion de comité")
        verbose_name_plural = _("réunions de comité")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return _("%(project)s — %(kind)s du %(date)s") % {
            "project": self.project.number, "kind": self.get_kind_display(), "date": f"{self.held_on:%d/%m/%Y}",
        }


class CommitteeDecision(TimeStampedModel):
    meeting = models.ForeignKey(CommitteeMeeting, verbose_name=_("réunion"), on_delete=models.CASCADE, related_name="decisions")
    subject = models.CharField(_("objet"), max_length=255)
    decision = models.TextField(_("décision"))
    owner = models.CharField(_("responsable"), max_length=255, blank=True)
    due_on = models.DateField(_("échéance"), null=True, blank=True)

    class Meta:
        verbose_name = _("décision de comité")
        verbose_name_plural = _("décisions de comité")
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.subject
