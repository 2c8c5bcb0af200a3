"""Report runs and the rollup tables that reports and dashboards read."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from partners.models import Organisation
from projects.models import Project, dates_ordered


class ReportKind(models.TextChoices):
    FUNDING = "funding", _("Rapport financier")
    OUTCOME = "outcome", _("Rapport de résultats")
    CATALOGUE = "catalogue", _("Guide de valorisation")
    INDICATORS = "indicators", _("Indicateurs agrégés (CSV)")


class ReportScope(models.TextChoices):
    NATIONAL = "national", _("National")
    PROJECT = "project", _("Projet")
    LANDLORD = "landlord", _("Bailleur")
    ASSOCIATION = "association", _("Association")
    DEPARTEMENT = "departement", _("Département")
    FUNDER = "funder", _("Financeur")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    SUCCEEDED = "succeeded", _("Terminé")
    FAILED = "failed", _("Échec")


class ReportRun(TimeStampedModel):
    kind = models.CharField(_("rapport"), max_length=20, choices=ReportKind.choices)
    scope = models.CharField(_("périmètre"), max_length=20, choices=ReportScope.choices)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT, related_name="report_runs")
    project = models.ForeignKey(Project, verbose_name=_("projet"), null=True, blank=True, on_delete=models.PROTECT, related_name="report_runs")
    departement = models.CharField(_("département"), max_length=3, blank=True)
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    parameters = models.JSONField(_("paramètres"), default=dict, blank=True)
    status = models.CharField(_("état"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("demandé par"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("démarré le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    file = models.FileField(_("fichier"), upload_to="reports/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("exécution de rapport")
        verbose_name_plural = _("exécutions de rapport")
        ordering = ["-created_at"]
        constraints = [
            dates_ordered("period_start", "period_end", "report_period_ordered"),
            models.CheckConstraint(condition=~Q(scope=ReportScope.PROJECT) | Q(project__isnull=False), name="report_project_scope_has_project"),
            models.CheckConstraint(
                condition=~Q(scope__in=[ReportScope.LANDLORD, ReportScope.ASSOCIATION, ReportScope.FUNDER]) | Q(organisation__isnull=False),
                name="report_org_scope_has_organisation",
            ),
            models.CheckConstraint(condition=~Q(scope=ReportScope.DEPARTEMENT) | ~Q(departement=""), name="report_departement_scope_has_code"),
            models.CheckConstraint(condition=~Q(status=ReportStatus.FAILED) | ~Q(error=""), name="report_failure_has_error"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.get_scope_display()} ({self.period_start:%d/%m/%Y} → {self.period_end:%d/%m/%Y})"


# --------------------------------------------------------------------------
# Rollups (issue 8, point 4)
# --------------------------------------------------------------------------
# Precomputed tables that the reports and dashboards read instead of the raw
# rows. Each is rebuilt from the source tables by ``reporting.rollups`` in
# set-based SQL (full ``rebuild()`` or incremental ``refresh()``); nobody
# writes them by hand (the admin shows them read-only). Every row records
# when it was computed. Household and person counts are raw here: the small
# count suppression of DESIGN.md §3 happens at output (``core.privacy``).
#
# Who reads which rows is decided by the policies of ``reporting.access``:
# the row-level facts (one per support measure, one per measure-month) only
# for the organisations that see the measure; the project aggregates for
# whoever sees the project (national staff and funders included).


class Rollup(models.Model):
    """Base of the rollup tables: derived data, read-only outside the refresh."""

    computed_at = models.DateTimeField(_("calculé le"))

    class Meta:
        abstract = True
        default_permissions = ("view",)


def _counter(verbose_name) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(verbose_name, default=0)


def _money(verbose_name, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", 0)
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


class MeasureFact(Rollup):
    """One row per support measure: its dimensions, phase dates, durations and outcomes.

    Row-level (pseudonymous) data: visible only to the organisations that
    see the measure itself, never to national staff or funders.
    """

    measure = models.OneToOneField("households.SupportMeasure", verbose_name=_("mesure"), on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("households.Household", verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey("projects.Action", verbose_name=_("action"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, verbose_name=_("structure qui accompagne"), on_delete=models.CASCADE, related_name="+")
    landlord = models.ForeignKey(
        Organisation, verbose_name=_("bailleur du logement"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Bailleur du dernier bail du ménage commencé avant la fin de la mesure."),
    )
    lead_landlord = models.ForeignKey(Organisation, verbose_name=_("bailleur porteur"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    category = models.CharField(_("catégorie"), max_length=4, db_index=True)
    session = models.ForeignKey("projects.Session", verbose_name=_("session"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    departement = models.CharField(_("département"), max_length=3, blank=True, db_index=True)
    funder_ids = ArrayField(models.BigIntegerField(), verbose_name=_("financeurs (accordés)"), default=list, blank=True)
    # Orientation
    referral_source = models.CharField(_("orienté par"), max_length=20, blank=True)
    referral_decision = models.CharField(_("décision d'orientation"), max_length=20, blank=True)
    prior_situation = models.CharField(_("situation avant l'entrée"), max_length=30, blank=True)
    # Measure
    kind = models.CharField(_("type de mesure"), max_length=20)
    phase = models.CharField(_("phase"), max_length=20)
    intensity = models.CharField(_("intensité"), max_length=20, blank=True)
    outcome = models.CharField(_("issue"), max_length=20, blank=True)
    # Phase dates
    oriented_on = models.DateField(_("orienté le"), help_text=_("Date d'orientation, à défaut date de repérage."))
    identified_on = models.DateField(_("repéré le"))
    diagnostic_on = models.DateField(_("diagnostic le"), null=True, blank=True)
    contract_signed_on = models.DateField(_("contrat signé le"), null=True, blank=True)
    moved_in_on = models.DateField(_("entrée dans les lieux le"), null=True, blank=True)
    ended_on = models.DateField(_("fin le"), null=True, blank=True)
    # Durations in days (null when one end is missing). Step by step, and
    # from the orientation to each milestone. A step may be negative when the
    # file says so (a support contract signed after the move-in).
    days_to_diagnostic = models.IntegerField(_("jours orientation → diagnostic"), null=True, blank=True)
    days_to_contract = models.IntegerField(_("jours diagnostic → contrat"), null=True, blank=True)
    days_to_move_in = models.IntegerField(_("jours contrat → entrée"), null=True, blank=True)
    days_to_end = models.IntegerField(_("jours entrée → fin"), null=True, blank=True)
    days_total = models.IntegerField(_("jours orientation → fin"), null=True, blank=True)
    days_oriented_to_contract = models.IntegerField(_("jours orientation → contrat"), null=True, blank=True)
    days_oriented_to_move_in = models.IntegerField(_("jours orientation → entrée"), null=True, blank=True)
    # Situation at entry and at exit (SituationSnapshot)
    entry_arrears = _money(_("dette à l'entrée (€)"), null=True, blank=True, default=None)
    exit_arrears = _money(_("dette à la sortie (€)"), null=True, blank=True, default=None)
    entry_housing_benefit = models.BooleanField(_("aide au logement à l'entrée"), null=True, blank=True)
    exit_housing_benefit = models.BooleanField(_("aide au logement à la sortie"), null=True, blank=True)
    entry_minimum_income = models.BooleanField(_("minimum social à l'entrée"), null=True, blank=True)
    exit_minimum_income = models.BooleanField(_("minimum social à la sortie"), null=True, blank=True)
    entry_health_cover = models.BooleanField(_("couverture santé à l'entrée"), null=True, blank=True)
    exit_health_cover = models.BooleanField(_("couverture santé à la sortie"), null=True, blank=True)
    entry_employed = models.BooleanField(_("emploi à l'entrée"), null=True, blank=True)
    exit_employed = models.BooleanField(_("emploi à la sortie"), null=True, blank=True)
    still_housed_12m = models.BooleanField(_("toujours logé 12 mois après"), null=True, blank=True)
    # Eviction prevention on the household's leases while supported
    eviction_steps = ArrayField(models.CharField(max_length=30), verbose_name=_("étapes d'expulsion atteintes"), default=list, blank=True)
    eviction_cases = _counter(_("dossiers de prévention"))
    eviction_avoided = models.BooleanField(_("expulsion évitée"), default=False)
    evicted = models.BooleanField(_("expulsion réalisée"), default=False)
    # Contacts (done; "rendez-vous non honoré" counted apart)
    contacts = _counter(_("contacts réalisés"))
    contacts_home_visit = _counter(_("visites à domicile"))
    contacts_office = _counter(_("entretiens au bureau"))
    contacts_phone = _counter(_("appels"))
    contacts_joint_visit = _counter(_("visites conjointes"))
    contacts_workshop = _counter(_("ateliers collectifs"))
    contacts_no_show = _counter(_("rendez-vous non honorés"))
    contact_minutes = _counter(_("durée des contacts (minutes)"))
    contact_rows = _counter(_("lignes du journal"))
    first_contact_on = models.DateField(_("premier contact"), null=True, blank=True)
    last_contact_on = models.DateField(_("dernier contact"), null=True, blank=True)

    class Meta(Rollup.Meta):
        verbose_name = _("fait par mesure")
        verbose_name_plural = _("faits par mesure")
        ordering = ["project", "identified_on", "measure"]
        indexes = [models.Index(fields=["project", "identified_on"], name="measurefact_project_idx")]

    def __str__(self) -> str:
        return _("Mesure n° %(id)s") % {"id": self.measure_id}


class HouseholdMonth(Rollup):
    """One row per support measure × month of support (or month with a contact): contacts by kind."""

    measure = models.ForeignKey("households.SupportMeasure", verbose_name=_("mesure"), on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("households.Household", verbose_name=_("ménage"), on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, verbose_name=_("structure qui accompagne"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("mois"), help_text=_("Premier jour du mois."))
    supported = models.BooleanField(_("mois d'accompagnement"), default=True, help_text=_("La mesure était ouverte ce mois-là."))
    contacts = _counter(_("contacts réalisés"))
    home_visit = _counter(_("visites à domicile"))
    office = _counter(_("entretiens au bureau"))
    phone = _counter(_("appels"))
    joint_visit = _counter(_("visites conjointes"))
    workshop = _counter(_("ateliers collectifs"))
    no_show = _counter(_("rendez-vous non honorés"))
    minutes = _counter(_("durée (minutes)"))

    class Meta(Rollup.Meta):
        verbose_name = _("mois d'accompagnement")
        verbose_name_plural = _("mois d'accompagnement")
        ordering = ["project", "month", "measure"]
        constraints = [models.UniqueConstraint(fields=["measure", "month"], name="household_month_unique")]
        indexes = [models.Index(fields=["project", "month"], name="householdmonth_project_idx")]

    def __str__(self) -> str:
        return f"{self.measure_id} — {self.month:%m/%Y}"


class ProjectYear(Rollup):
    """One row per project × calendar year: households, contacts and money totals."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("année"))
    referrals = _counter(_("orientations reçues"))
    referrals_accepted = _counter(_("orientations acceptées"))
    referrals_refused = _counter(_("orientations refusées"))
    households_supported = _counter(_("ménages accompagnés dans l'année"))
    households_entered = _counter(_("ménages entrés dans l'année"))
    households_exited = _counter(_("ménages sortis dans l'année"))
    measures_active = _counter(_("mesures actives"))
    household_months = _counter(_("mois-ménages d'accompagnement"))
    contacts = _counter(_("contacts réalisés"))
    planned = _money(_("budget prévu (€)"))
    spent = _money(_("dépensé (€)"))
    awarded = _money(_("accordé (€)"))
    received = _money(_("reçu des financeurs (€)"))
    paid_to_partners = _money(_("reversé aux partenaires (€)"))

    class Meta(Rollup.Meta):
        verbose_name = _("projet par année")
        verbose_name_plural = _("projets par année")
        ordering = ["project", "year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="project_year_unique")]

    def __str__(self) -> str:
        return f"{self.project_id} — {self.year}"


class ProjectTargetProgress(Rollup):
    """Households supported in one *project* year against that year's target ("65 % de l'objectif de l'année 1").

    Project year n runs from the project's start date + (n − 1) years to the
    day before start + n years; without a start date the period is left
    empty and nothing is counted.
    """

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="+")
    project_year = models.PositiveSmallIntegerField(_("année du projet"))
    period_start = models.DateField(_("début"), null=True, blank=True)
    period_end = models.DateField(_("fin"), null=True, blank=True)
    target_households = _counter(_("objectif (ménages)"))
    target_units = models.PositiveIntegerField(_("objectif (logements)"), null=True, blank=True)
    households_supported = _counter(_("ménages accompagnés"))

    class Meta(Rollup.Meta):
        verbose_name = _("atteinte de l'objectif annuel")
        verbose_name_plural = _("atteinte des objectifs annuels")
        ordering = ["project", "project_year"]
        constraints = [models.UniqueConstraint(fields=["project", "project_year"], name="target_progress_unique")]

    def __str__(self) -> str:
        return f"{self.project_id} — {self.project_year}"


class ProjectYearBudget(Rollup):
    """Planned and spent per project, calendar year and budget line kind."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("année"))
    kind = models.CharField(_("poste"), max_length=20)
    planned = _money(_("prévu (€)"))
    spent = _money(_("dépensé (€)"))

    class Meta(Rollup.Meta):
        verbose_name = _("budget par poste")
        verbose_name_plural = _("budgets par poste")
        ordering = ["project", "year", "kind"]
        constraints = [models.UniqueConstraint(fields=["project", "year", "kind"], name="project_year_budget_unique")]

    def __str__(self) -> str:
        return f"{self.project_id} — {self.year} — {self.kind}"


class ProjectYearFunding(Rollup):
    """Requested, awarded and received per project, calendar year, funder and programme.

    Awarded counts in the year of the decision (or of the project's start);
    received is the funder's instalments paid that year.
    """

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("année"))
    funder = models.ForeignKey(Organisation, verbose_name=_("financeur"), on_delete=models.CASCADE, related_name="+")
    programme = models.CharField(_("dispositif"), max_length=20)
    requested = _money(_("demandé (€)"))
    awarded = _money(_("accordé (€)"))
    received = _money(_("reçu (€)"))

    class Meta(Rollup.Meta):
        verbose_name = _("financement par année")
        verbose_name_plural = _("financements par année")
        ordering = ["project", "year", "funder"]
        constraints = [models.UniqueConstraint(fields=["project", "year", "funder", "programme"], name="project_year_funding_unique")]

    def __str__(self) -> str:
        return f"{self.project_id} — {self.year} — {self.funder_id}"


class ProjectYearPayment(Rollup):
    """Money that moved per project, calendar year, kind, payer and payee (lead → partner included)."""

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("année"))
    kind = models.CharField(_("nature"), max_length=20)
    payer = models.ForeignKey(Organisation, verbose_name=_("payeur"), on_delete=models.CASCADE, related_name="+")
    payee = models.ForeignKey(Organisation, verbose_name=_("bénéficiaire"), on_delete=models.CASCADE, related_name="+")
    amount = _money(_("montant (€)"))
    payments = _counter(_("paiements"))

    class Meta(Rollup.Meta):
        verbose_name = _("paiement par année")
        verbose_name_plural = _("paiements par année")
        ordering = ["project", "year", "kind"]
        constraints = [models.UniqueConstraint(fields=["project", "year", "kind", "payer", "payee"], name="project_year_payment_unique")]

    def __str__(self) -> str:
        return f"{self.project_id} — {self.year} — {self.amount} €"


class ProjectYearBreakdown(Rollup):
    """Project × calendar year × dimension × value: the outcome figures national staff may read.

    ``dimension`` says what ``value`` is and which measures are counted:

    - over the measures active in the year: ``referral_source``,
      ``prior_situation``, ``kind``, ``intensity``, ``organisation``
      (supporting organisation id), ``landlord`` (id), ``departement``,
      ``eviction_step`` (kind reached), ``eviction`` (``avoided`` /
      ``evicted``), ``contact_kind`` (``measures``/``households`` count
      measures with such contacts, ``value_sum`` the contacts of the year);
    - over the measures ended in the year: ``outcome``, ``entry_right`` and
      ``exit_right`` (housing_benefit, minimum_income, health_cover,
      employed: households with that right), ``arrears`` (``entry`` /
      ``exit``: ``value_sum`` euros over ``value_count`` measures with a
      snapshot), ``still_housed_12m`` (``yes``/``no``);
    - ``intensity_months`` (current intensity of the measure, ``none`` if
      not set): ``value_count`` household-months of support in the year,
      the key to share a year's support cost by intensity;
    - over the orientations received in the year (``measures`` counts
      orientations, ``households`` the households oriented):
      ``oriented_by`` (source), ``oriented_accepted_by``,
      ``oriented_refused_by``, ``oriented_pending_by`` (source, by
      decision), ``oriented_prior_situation``;
    - ``duration`` (orientation_to_diagnostic, diagnostic_to_contract,
      contract_to_move_in, move_in_to_end, orientation_to_contract,
      orientation_to_move_in, orientation_to_end): in the year
      the interval closes, ``value_sum`` days over ``value_count`` measures.
    """

    project = models.ForeignKey(Project, verbose_name=_("projet"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("année"))
    dimension = models.CharField(_("dimension"), max_length=30)
    value = models.CharField(_("valeur"), max_length=40)
    households = _counter(_("ménages"))
    measures = _counter(_("mesures"))
    value_sum = _money(_("somme"))
    value_count = _counter(_("effectif de la somme"))

    class Meta(Rollup.Meta):
        verbose_name = _("ventilation par projet et année")
        verbose_name_plural = _("ventilations par projet et année")
        ordering = ["project", "year", "dimension", "value"]
        constraints = [models.UniqueConstraint(fields=["project", "year", "dimension", "value"], name="project_year_breakdown_unique")]
        indexes = [models.Index(fields=["dimension", "year"], name="breakdown_dimension_year_idx")]

    def __str__(self) -> str:
        return f"{self.project_id} — {self.year} — {self.dimension}={self.value}"


class RollupWatermark(models.Model):
    """Where the incremental refresh stopped: source rows changed after ``watermark`` are refreshed next."""

    name = models.CharField(_("nom"), max_length=40, unique=True)
    watermark = models.DateTimeField(_("sources lues jusqu'au"))
    refreshed_at = models.DateTimeField(_("rafraîchi le"))
    full_rebuild_at = models.DateTimeField(_("dernière reconstruction complète"), null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("durée du dernier calcul (ms)"), default=0)
    last_counts = models.JSONField(_("lignes recalculées"), default=dict, blank=True)

    class Meta:
        verbose_name = _("repère de rafraîchissement")
        verbose_name_plural = _("repères de rafraîchissement")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------
# Report-due reminders (issue 8, point 1)
# --------------------------------------------------------------------------


class ReportReminder(models.Model):
    """One reminder sent for a funding's compte rendu, ``days_before`` its due date.

    Written by ``reporting.reminders`` in the same transaction as the sending,
    so that a rerun of the daily task sends nothing twice. A due date moved
    later gets its own reminders (``due_on`` is part of the key).
    """

    funding = models.ForeignKey("projects.Funding", verbose_name=_("financement"), on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField(_("compte rendu dû le"))
    days_before = models.PositiveSmallIntegerField(_("jours avant l'échéance"))
    sent_at = models.DateTimeField(_("envoyé le"))
    recipients = ArrayField(models.CharField(max_length=254), verbose_name=_("destinataires"), default=list, blank=True)

    class Meta:
        verbose_name = _("rappel de compte rendu")
        verbose_name_plural = _("rappels de compte rendu")
        ordering = ["-sent_at"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["funding", "due_on", "days_before"], name="report_reminder_once")]

    def __str__(self) -> str:
        return f"{self.funding_id} — J-{self.days_before} ({self.due_on:%d/%m/%Y})"
