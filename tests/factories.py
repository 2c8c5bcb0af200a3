"""factory-boy factories for every model of the six apps.

Synthetic data only: names come from Faker's fr_FR provider or from
sequences, never from real people. Every default satisfies every database
constraint and the lease trigger, so ``XFactory()`` always saves:

- organisation names are sequences (``normalized_name`` is unique);
- a lease is on a fresh unit by default, so leases never overlap;
- the tenant of a lease follows its kind: the occupying household for a
  bail direct, an association for a sous-location, bail glissant, bail
  associatif or intermédiation locative;
- dates follow the life of a file (repérage in January 2024, diagnostic,
  contract, lease in March 2024, end in December 2024).

Objects that hang under a parent (a measure under a household, a household
under an association) inherit the parent's organisation and project, so
that a factory-built file is coherent for the access rules.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import factory
from django.db.models import Max
from django.utils import timezone
from factory.django import DjangoModelFactory

from core.models import ExportJob, User
from households import models as hh
from housing import models as ho
from partners.models import ApiToken, ApiTokenScope, Membership, Organisation, OrganisationKind, Partnership, Role
from projects import models as pr
from reporting.models import ReportKind, ReportRun, ReportScope, ReportStatus

FR = "fr_FR"

# One household file, from repérage to the end of support.
IDENTIFIED_ON = datetime.date(2024, 1, 15)
DIAGNOSTIC_ON = datetime.date(2024, 2, 1)
CONTRACT_ON = datetime.date(2024, 2, 15)
LEASE_SIGNED_ON = datetime.date(2024, 2, 20)
LEASE_STARTS_ON = datetime.date(2024, 3, 1)
ENDED_ON = datetime.date(2024, 12, 16)
PROJECT_STARTS_ON = datetime.date(2024, 1, 1)
PROJECT_ENDS_ON = datetime.date(2026, 12, 31)
ARCHIVED_AT = datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc)

_NAME_STEMS = {
    OrganisationKind.LANDLORD: "Habitat Social",
    OrganisationKind.LANDLORD_GROUP: "Collectif Hlm",
    OrganisationKind.ASSOCIATION: "Association Un Toit Pour Tous",
    OrganisationKind.SIAO: "SIAO",
    OrganisationKind.CCAPEX: "CCAPEX",
    OrganisationKind.STATE: "DDETS",
    OrganisationKind.DEPARTMENT: "Conseil départemental",
    OrganisationKind.MUNICIPALITY: "Communauté de communes",
    OrganisationKind.CAF: "CAF",
    OrganisationKind.ACTION_LOGEMENT: "Action Logement Services",
    OrganisationKind.CGLLS: "CGLLS",
    OrganisationKind.FEDERATION: "Union sociale pour l'habitat",
    OrganisationKind.HEALTH: "Centre médico-psychologique",
    OrganisationKind.JUSTICE: "SPIP",
    OrganisationKind.OTHER: "Partenaire",
}


def _next_number(parent, related_name: str, field: str) -> int:
    """1 + the highest ``field`` among the saved children of ``parent``.

    Lets ``create_batch(3, project=p)`` give years 1, 2, 3 instead of
    colliding on a (parent, number) unique constraint.
    """
    if parent is None or parent.pk is None:
        return 1
    top = getattr(parent, related_name).aggregate(top=Max(field))["top"]
    return (top or 0) + 1


# --------------------------------------------------------------------- core


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    first_name = factory.Faker("first_name", locale=FR)
    last_name = factory.Faker("last_name", locale=FR)
    email = factory.Sequence(lambda n: f"utilisateur{n}@exemple.test")
    password = factory.django.Password("mot-de-passe-de-test")
    is_active = True

    class Params:
        staff = factory.Trait(is_staff=True)


# ----------------------------------------------------------------- partners


class OrganisationFactory(DjangoModelFactory):
    """Landlord by default; traits for the other kinds."""

    class Meta:
        model = Organisation

    kind = OrganisationKind.LANDLORD
    name = factory.LazyAttributeSequence(lambda o, n: f"{_NAME_STEMS[o.kind]} {n}")
    departement = "69"
    city = "Lyon"
    postcode = "69003"

    class Params:
        landlord = factory.Trait(kind=OrganisationKind.LANDLORD)
        landlord_group = factory.Trait(kind=OrganisationKind.LANDLORD_GROUP)
        association = factory.Trait(kind=OrganisationKind.ASSOCIATION)
        siao = factory.Trait(kind=OrganisationKind.SIAO)
        state = factory.Trait(kind=OrganisationKind.STATE)
        federation = factory.Trait(kind=OrganisationKind.FEDERATION)
        caf = factory.Trait(kind=OrganisationKind.CAF)


class MembershipFactory(DjangoModelFactory):
    """A caseworker of an association by default."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory, association=True)
    role = Role.CASEWORKER
    job_title = "Travailleur social"
    started_on = datetime.date(2023, 9, 1)

    class Params:
        landlord_adviser = factory.Trait(
            role=Role.LANDLORD_ADVISER,
            job_title="Conseillère sociale",
            organisation=factory.SubFactory(OrganisationFactory, landlord=True),
        )
        team_lead = factory.Trait(role=Role.TEAM_LEAD, job_title="Cheffe de projet")
        org_admin = factory.Trait(role=Role.ORG_ADMIN, job_title="Directrice")
        national_staff = factory.Trait(
            role=Role.NATIONAL_STAFF,
            job_title="Chargé de mission",
            organisation=factory.SubFactory(OrganisationFactory, federation=True),
        )
        funder = factory.Trait(
            role=Role.FUNDER,
            job_title="Chargée de mission logement",
            organisation=factory.SubFactory(OrganisationFactory, state=True),
        )
        ended = factory.Trait(is_active=False, ended_on=datetime.date(2024, 6, 30))


class ApiTokenFactory(DjangoModelFactory):
    """A read token of a caseworker, valid 90 days. Its clear value is unknown:
    a test that calls the API gets one from ``partners.api_tokens.token_create``."""

    class Meta:
        model = ApiToken

    membership = factory.SubFactory(MembershipFactory)
    name = "Logiciel de suivi"
    key_id = factory.Sequence(lambda n: f"{n:012x}")
    key_hash = factory.Sequence(lambda n: hashlib.sha256(f"factory-token-{n}".encode()).hexdigest())
    scope = ApiTokenScope.READ
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=90))


class PartnershipFactory(DjangoModelFactory):
    class Meta:
        model = Partnership

    landlord = factory.SubFactory(OrganisationFactory, landlord=True)
    association = factory.SubFactory(OrganisationFactory, association=True)
    title = "Convention d'accompagnement social lié au logement"
    signed_on = datetime.date(2023, 12, 1)
    starts_on = PROJECT_STARTS_ON
    ends_on = PROJECT_ENDS_ON


# ----------------------------------------------------------------- projects


class CallForProjectsFactory(DjangoModelFactory):
    class Meta:
        model = pr.CallForProjects

    name = factory.Sequence(lambda n: f"10 000 logements accompagnés — appel n° {n}")
    year = 2024
    launched_by = "État et USH"


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = pr.Session

    call = factory.SubFactory(CallForProjectsFactory)
    name = factory.Sequence(lambda n: f"Session {n}")
    held_on = datetime.date(2024, 5, 15)
    dossiers_submitted = 40
    projects_retained = 25
    announced_support = Decimal("2500000.00")


class ProjectFactory(DjangoModelFactory):
    """A retained "accès et maintien" project carried by a landlord, in progress."""

    class Meta:
        model = pr.Project

    call = factory.SubFactory(CallForProjectsFactory)
    session = None
    number = factory.Sequence(lambda n: f"2.3.{n + 1}")
    category = pr.Category.ACCESS_MAINTAIN
    title = factory.Sequence(lambda n: f"Accompagner vers et dans le logement ({n})")
    status = pr.ProjectStatus.IN_PROGRESS
    lead_landlord = factory.SubFactory(OrganisationFactory, landlord=True)
    departements = factory.LazyFunction(lambda: ["69"])
    target_households = 30
    target_households_figure = 30
    target_units = 20
    access_or_maintain = pr.AccessOrMaintain.BOTH
    cost_amount = Decimal("180000.00")
    duration_months = 36
    starts_on = PROJECT_STARTS_ON
    ends_on = PROJECT_ENDS_ON

    class Params:
        with_session = factory.Trait(session=factory.SubFactory(SessionFactory, call=factory.SelfAttribute("..call")))
        domestic_violence = factory.Trait(category=pr.Category.DOMESTIC_VIOLENCE, number=factory.Sequence(lambda n: f"3.2.{n + 1}"))
        submitted = factory.Trait(status=pr.ProjectStatus.SUBMITTED)
        closed = factory.Trait(status=pr.ProjectStatus.CLOSED)


class ProjectCarrierFactory(DjangoModelFactory):
    class Meta:
        model = pr.ProjectCarrier

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.SubFactory(OrganisationFactory, association=True)
    role = pr.CarrierRole.PARTNER

    class Params:
        lead = factory.Trait(role=pr.CarrierRole.LEAD, organisation=factory.SelfAttribute("project.lead_landlord"))


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = pr.Action

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Action {n} : accompagnement renforcé")
    partner = factory.SubFactory(OrganisationFactory, association=True)
    public = "Ménages sortant d'hébergement"
    target_households = 10


class ProjectTargetFactory(DjangoModelFactory):
    class Meta:
        model = pr.ProjectTarget

    project = factory.SubFactory(ProjectFactory)
    year = factory.LazyAttribute(lambda o: _next_number(o.project, "targets", "year"))
    households = 10
    units = 7


class FundingFactory(DjangoModelFactory):
    """A FNAVDL grant requested from the State, not yet decided."""

    class Meta:
        model = pr.Funding

    project = factory.SubFactory(ProjectFactory)
    funder = factory.SubFactory(OrganisationFactory, state=True)
    programme = pr.FunderProgramme.FNAVDL
    amount_requested = Decimal("60000.00")
    amount_awarded = Decimal("0")
    decision = pr.FundingDecision.REQUESTED

    class Params:
        granted = factory.Trait(
            decision=pr.FundingDecision.GRANTED,
            amount_awarded=factory.SelfAttribute("amount_requested"),
            decided_on=datetime.date(2024, 6, 1),
            reference=factory.Sequence(lambda n: f"FNAVDL-2024-{n:04d}"),
        )
        refused = factory.Trait(decision=pr.FundingDecision.REFUSED, decided_on=datetime.date(2024, 6, 1))


class BudgetLineFactory(DjangoModelFactory):
    class Meta:
        model = pr.BudgetLine

    project = factory.SubFactory(ProjectFactory)
    action = None
    kind = pr.BudgetKind.SUPPORT
    year = 2024
    unit_cost = Decimal("2000.00")
    quantity = 10
    planned = factory.LazyAttribute(lambda o: o.unit_cost * o.quantity if o.unit_cost is not None and o.quantity else Decimal("20000.00"))


class ExpenseFactory(DjangoModelFactory):
    class Meta:
        model = pr.Expense

    budget_line = factory.SubFactory(BudgetLineFactory)
    project = factory.SelfAttribute("budget_line.project")  # save() sets it anyway
    spent_on = datetime.date(2024, 4, 30)
    amount = Decimal("1650.00")
    label = "Salaire du travailleur social (quote-part avril)"


class PaymentFactory(DjangoModelFactory):
    """The lead landlord pays its partner association back."""

    class Meta:
        model = pr.Payment

    project = factory.SubFactory(ProjectFactory)
    funding = None
    kind = pr.PaymentKind.PARTNER_TRANSFER
    payer = factory.SelfAttribute("project.lead_landlord")
    payee = factory.SubFactory(OrganisationFactory, association=True)
    amount = Decimal("15000.00")
    paid_on = datetime.date(2024, 7, 1)

    class Params:
        instalment = factory.Trait(
            kind=pr.PaymentKind.GRANT_INSTALMENT,
            funding=factory.SubFactory(FundingFactory, project=factory.SelfAttribute("..project"), granted=True),
            payer=factory.SelfAttribute("funding.funder"),
            payee=factory.SelfAttribute("project.lead_landlord"),
            amount=Decimal("30000.00"),
        )


class CommitteeMeetingFactory(DjangoModelFactory):
    class Meta:
        model = pr.CommitteeMeeting
        skip_postgeneration_save = True  # participants is a many-to-many: nothing to save again

    project = factory.SubFactory(ProjectFactory)
    kind = pr.CommitteeKind.FOLLOW_UP
    held_on = datetime.date(2024, 12, 10)
    place = "Siège du bailleur"
    summary = "Point sur les ménages accompagnés."

    @factory.post_generation
    def participants(self, create, extracted, **kwargs):
        if create and extracted:
            self.participants.set(extracted)

    class Params:
        steering = factory.Trait(kind=pr.CommitteeKind.STEERING)


class CommitteeDecisionFactory(DjangoModelFactory):
    class Meta:
        model = pr.CommitteeDecision

    meeting = factory.SubFactory(CommitteeMeetingFactory)
    subject = "Fin d'accompagnement"
    decision = "Fin de la mesure validée, veille active de trois mois."
    owner = "Référente de l'association"


# --------------------------------------------------------------- households


class HouseholdFactory(DjangoModelFactory):
    """A household followed by an association within a project."""

    class Meta:
        model = hh.Household

    organisation = factory.SubFactory(OrganisationFactory, association=True)
    project = factory.SubFactory(ProjectFactory)
    reference = factory.Sequence(lambda n: f"MEN-{n + 1:05d}")
    display_name = factory.LazyAttribute(lambda o: f"Ménage {o.family_name}")
    prior_situation = hh.PriorSituation.THIRD_PARTY
    monthly_resources = Decimal("980.50")
    resources_kind = "RSA, APL"

    class Params:
        family_name = factory.Faker("last_name", locale=FR)
        archived = factory.Trait(archived_at=ARCHIVED_AT)
        anonymised = factory.Trait(
            archived_at=ARCHIVED_AT,
            anonymised_at=datetime.datetime(2032, 1, 1, tzinfo=datetime.timezone.utc),
        )


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = hh.Person

    household = factory.SubFactory(HouseholdFactory)
    role = hh.PersonRole.HEAD
    first_name = factory.Faker("first_name", locale=FR)
    last_name = factory.Faker("last_name", locale=FR)
    birth_date = factory.Faker("date_between", start_date=datetime.date(1960, 1, 1), end_date=datetime.date(2004, 12, 31))
    employment = "Sans emploi"

    class Params:
        child = factory.Trait(
            role=hh.PersonRole.CHILD,
            employment="",
            birth_date=factory.Faker("date_between", start_date=datetime.date(2010, 1, 1), end_date=datetime.date(2022, 12, 31)),
        )


class ReferralFactory(DjangoModelFactory):
    """An orientation by the SIAO, pending."""

    class Meta:
        model = hh.Referral

    household = factory.SubFactory(HouseholdFactory)
    project = factory.SelfAttribute("household.project")
    source = hh.ReferralSource.SIAO
    referring_organisation = factory.SubFactory(OrganisationFactory, siao=True)
    referred_on = datetime.date(2023, 12, 5)
    prior_situation = hh.PriorSituation.THIRD_PARTY
    decision = hh.ReferralDecision.PENDING

    class Params:
        accepted = factory.Trait(decision=hh.ReferralDecision.ACCEPTED, decided_on=datetime.date(2024, 1, 10))
        refused = factory.Trait(
            decision=hh.ReferralDecision.REFUSED,
            decided_on=datetime.date(2024, 1, 10),
            refusal_reason="Ressources insuffisantes pour le logement proposé.",
        )


class ConsentFactory(DjangoModelFactory):
    """Consent to share the tenancy situation with a landlord."""

    class Meta:
        model = hh.Consent

    household = factory.SubFactory(HouseholdFactory)
    partner = factory.SubFactory(OrganisationFactory, landlord=True)
    purpose = hh.ConsentPurpose.TENANCY
    given_on = IDENTIFIED_ON
    withdrawn_on = None
    recorded_by = None

    class Params:
        withdrawn = factory.Trait(withdrawn_on=datetime.date(2024, 9, 1))


def _project_of(o):
    return o.household.project or ProjectFactory()


class SupportMeasureFactory(DjangoModelFactory):
    """A measure in the support phase, with contract signed and a référent.

    The supporting organisation is the household's organisation and the
    project is the household's project.
    """

    class Meta:
        model = hh.SupportMeasure

    household = factory.SubFactory(HouseholdFactory)
    organisation = factory.SelfAttribute("household.organisation")
    project = factory.LazyAttribute(_project_of)
    action = None
    kind = hh.MeasureKind.PROJECT
    phase = hh.Phase.SUPPORT
    intensity = hh.Intensity.MEDIUM
    referent = factory.SubFactory(MembershipFactory, organisation=factory.SelfAttribute("..organisation"))
    identified_on = IDENTIFIED_ON
    diagnostic_on = DIAGNOSTIC_ON
    contract_signed_on = CONTRACT_ON
    ended_on = None
    outcome = ""

    class Params:
        identification = factory.Trait(phase=hh.Phase.IDENTIFICATION, intensity="", diagnostic_on=None, contract_signed_on=None)
        ended = factory.Trait(phase=hh.Phase.ENDED, ended_on=ENDED_ON, outcome=hh.Outcome.MAINTAINED)
        watch = factory.Trait(
            phase=hh.Phase.WATCH,
            ended_on=ENDED_ON,
            outcome=hh.Outcome.MAINTAINED,
            watch_until=datetime.date(2025, 3, 16),
        )


class MandateFactory(DjangoModelFactory):
    """A six-month mandate from the start of the measure."""

    class Meta:
        model = hh.Mandate

    measure = factory.SubFactory(SupportMeasureFactory)
    number = factory.LazyAttribute(lambda o: _next_number(o.measure, "mandates", "number"))
    starts_on = factory.SelfAttribute("measure.identified_on")
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=182))
    decided_on = factory.SelfAttribute("starts_on")


class TeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = hh.TeamMember

    measure = factory.SubFactory(SupportMeasureFactory)
    membership = factory.SubFactory(MembershipFactory, organisation=factory.SelfAttribute("..measure.organisation"))
    role = hh.TeamRole.CO_REFERENT
    since = factory.SelfAttribute("measure.identified_on")

    class Params:
        lead = factory.Trait(role=hh.TeamRole.LEAD, membership=factory.SubFactory(
            MembershipFactory, organisation=factory.SelfAttribute("..measure.organisation"), team_lead=True,
        ))
        left = factory.Trait(until=datetime.date(2024, 6, 30))


class SupportGoalFactory(DjangoModelFactory):
    class Meta:
        model = hh.SupportGoal

    measure = factory.SubFactory(SupportMeasureFactory)
    domain = hh.GoalDomain.BUDGET
    title = "Mettre en place le prélèvement automatique du loyer"
    set_on = factory.SelfAttribute("measure.contract_signed_on")
    status = hh.GoalStatus.OPEN

    class Params:
        achieved = factory.Trait(status=hh.GoalStatus.ACHIEVED, closed_on=datetime.date(2024, 8, 15))


class GoalReviewFactory(DjangoModelFactory):
    """The two-month review of a goal, done."""

    class Meta:
        model = hh.GoalReview

    goal = factory.SubFactory(SupportGoalFactory)
    milestone = hh.ReviewMilestone.TWO_MONTHS
    due_on = factory.LazyAttribute(lambda o: o.goal.set_on + datetime.timedelta(days=61))
    reviewed_on = factory.SelfAttribute("due_on")
    progress = 50

    class Params:
        six_months = factory.Trait(
            milestone=hh.ReviewMilestone.SIX_MONTHS,
            due_on=factory.LazyAttribute(lambda o: o.goal.set_on + datetime.timedelta(days=182)),
            progress=80,
        )


class WorkshopFactory(DjangoModelFactory):
    class Meta:
        model = hh.Workshop

    organisation = factory.SubFactory(OrganisationFactory, association=True)
    project = None
    title = "Atelier budget : lire sa quittance de loyer"
    theme = hh.GoalDomain.BUDGET
    held_on = datetime.date(2024, 5, 14)
    duration_minutes = 120
    place = "Salle commune de la résidence"
    capacity = 12


class ContactFactory(DjangoModelFactory):
    """A home visit by the measure's référent, done."""

    class Meta:
        model = hh.Contact

    measure = factory.SubFactory(SupportMeasureFactory)
    author = factory.SelfAttribute("measure.referent")
    kind = hh.ContactKind.HOME_VISIT
    status = hh.ContactStatus.DONE
    occurred_on = datetime.date(2024, 3, 12)
    duration_minutes = 60
    note = "Visite à domicile : installation dans le logement, point sur l'ouverture des droits."

    class Params:
        no_show = factory.Trait(kind=hh.ContactKind.NO_SHOW, duration_minutes=None, note="")
        phone = factory.Trait(kind=hh.ContactKind.PHONE, duration_minutes=15)
        planned = factory.Trait(status=hh.ContactStatus.PLANNED, occurred_on=datetime.date(2025, 1, 20), note="")


class WorkshopAttendanceFactory(DjangoModelFactory):
    class Meta:
        model = hh.WorkshopAttendance

    workshop = factory.SubFactory(WorkshopFactory)
    household = factory.SubFactory(HouseholdFactory, organisation=factory.SelfAttribute("..workshop.organisation"))
    attended = True
    participants = 1


class SituationSnapshotFactory(DjangoModelFactory):
    """Situation at entry: arrears, no rights open yet."""

    class Meta:
        model = hh.SituationSnapshot

    measure = factory.SubFactory(SupportMeasureFactory)
    moment = hh.SnapshotMoment.ENTRY
    observed_on = factory.SelfAttribute("measure.identified_on")
    rent_arrears = Decimal("640.00")
    housing_benefit = False
    minimum_income = True
    health_cover = True

    class Params:
        exit = factory.Trait(
            moment=hh.SnapshotMoment.EXIT,
            observed_on=ENDED_ON,
            rent_arrears=Decimal("0"),
            housing_benefit=True,
        )


# ------------------------------------------------------------------ housing


class HousingUnitFactory(DjangoModelFactory):
    class Meta:
        model = ho.HousingUnit

    landlord = factory.SubFactory(OrganisationFactory, landlord=True)
    project = None
    kind = ho.UnitKind.ORDINARY
    rpls_id = factory.Sequence(lambda n: f"T{n + 1:09d}")
    landlord_reference = factory.Sequence(lambda n: f"LGT-{n + 1:05d}")
    address = factory.Faker("street_address", locale=FR)
    postcode = "69003"
    commune_insee = "69383"
    city = "Lyon"
    typology = ho.Typology.T3
    surface = Decimal("64.50")
    floor = 2
    financing = ho.Financing.PLAI
    rent = Decimal("412.30")
    charges = Decimal("85.00")

    class Params:
        boarding_house = factory.Trait(
            kind=ho.UnitKind.BOARDING_HOUSE, typology=ho.Typology.T1, surface=Decimal("22.00"), rent=Decimal("350.00"),
        )


def _association_tenant(o):
    """The association that holds an intermediated lease: the household's own
    supporting association when it is one, otherwise a new association."""
    if o.occupant.organisation.kind == OrganisationKind.ASSOCIATION:
        return o.occupant.organisation
    return OrganisationFactory(association=True)


class LeaseFactory(DjangoModelFactory):
    """A bail direct on a fresh unit, open-ended, from March 2024.

    Exactly one tenant: the occupant for a bail direct (and the other
    household-held kinds), an association for the kinds listed in
    ``housing.models.ASSOCIATION_TENANT_KINDS``.
    """

    class Meta:
        model = ho.Lease

    unit = factory.SubFactory(HousingUnitFactory)
    lessor = factory.SelfAttribute("unit.landlord")
    kind = ho.LeaseKind.DIRECT
    occupant = factory.SubFactory(HouseholdFactory)
    tenant_household = factory.Maybe("held_by_association", no_declaration=factory.SelfAttribute("occupant"), yes_declaration=None)
    tenant_organisation = factory.Maybe(
        "held_by_association", yes_declaration=factory.LazyAttribute(_association_tenant), no_declaration=None
    )
    signed_on = LEASE_SIGNED_ON
    starts_on = LEASE_STARTS_ON
    ends_on = None
    monthly_rent = factory.SelfAttribute("unit.rent")
    monthly_charges = factory.SelfAttribute("unit.charges")
    planned_glissement_on = None
    tenant_reference = factory.Sequence(lambda n: f"LOC-{n + 1:06d}")

    class Params:
        held_by_association = factory.LazyAttribute(lambda o: o.kind in ho.ASSOCIATION_TENANT_KINDS)
        sublet = factory.Trait(kind=ho.LeaseKind.SUBLET)
        associative = factory.Trait(kind=ho.LeaseKind.ASSOCIATIVE)
        intermediation = factory.Trait(kind=ho.LeaseKind.RENT_INTERMEDIATION)
        sliding = factory.Trait(kind=ho.LeaseKind.SLIDING, planned_glissement_on=datetime.date(2025, 3, 1))
        ended = factory.Trait(ends_on=ENDED_ON)


class GlissementFactory(DjangoModelFactory):
    """A bail glissant that slid: the association's lease ends the day before
    the household's bail direct starts, on the same unit."""

    class Meta:
        model = ho.Glissement

    caleol_decided_on = datetime.date(2025, 2, 6)
    effective_on = datetime.date(2025, 3, 1)
    from_lease = factory.SubFactory(
        LeaseFactory,
        sliding=True,
        planned_glissement_on=factory.SelfAttribute("..effective_on"),
        ends_on=factory.LazyAttribute(lambda o: o.factory_parent.effective_on - datetime.timedelta(days=1)),
    )
    to_lease = factory.SubFactory(
        LeaseFactory,
        unit=factory.SelfAttribute("..from_lease.unit"),
        occupant=factory.SelfAttribute("..from_lease.occupant"),
        parent_lease=factory.SelfAttribute("..from_lease"),
        signed_on=factory.SelfAttribute("..caleol_decided_on"),
        starts_on=factory.SelfAttribute("..effective_on"),
    )


class AttributionStepFactory(DjangoModelFactory):
    class Meta:
        model = ho.AttributionStep

    household = factory.SubFactory(HouseholdFactory)
    unit = None
    kind = ho.AttributionStepKind.APPLICATION
    occurred_on = datetime.date(2023, 11, 20)
    decision = ""

    class Params:
        caleol = factory.Trait(
            kind=ho.AttributionStepKind.CALEOL,
            unit=factory.SubFactory(HousingUnitFactory),
            occurred_on=datetime.date(2024, 2, 8),
            decision=ho.AttributionDecision.GRANTED,
        )


class EvictionCaseFactory(DjangoModelFactory):
    class Meta:
        model = ho.EvictionCase

    lease = factory.SubFactory(LeaseFactory)
    lessor = factory.SelfAttribute("lease.lessor")  # save() sets it anyway
    opened_on = datetime.date(2024, 10, 7)
    status = ho.EvictionCaseStatus.OPEN
    arrears_amount = Decimal("1245.90")

    class Params:
        closed = factory.Trait(status=ho.EvictionCaseStatus.AVOIDED, closed_on=datetime.date(2025, 4, 30))


class EvictionStepFactory(DjangoModelFactory):
    class Meta:
        model = ho.EvictionStep

    case = factory.SubFactory(EvictionCaseFactory)
    lessor = factory.SelfAttribute("case.lessor")  # save() sets it anyway
    kind = ho.EvictionStepKind.ARREARS
    occurred_on = factory.SelfAttribute("case.opened_on")
    amount = factory.SelfAttribute("case.arrears_amount")

    class Params:
        payment_order = factory.Trait(kind=ho.EvictionStepKind.PAYMENT_ORDER, occurred_on=datetime.date(2024, 11, 4))
        judgment = factory.Trait(
            kind=ho.EvictionStepKind.JUDGMENT,
            occurred_on=datetime.date(2025, 3, 18),
            judgment_result=ho.JudgmentResult.DELAYS,
        )


class DeadlineRuleFactory(DjangoModelFactory):
    """A synthetic rule; the real ones are loaded by housing.0003."""

    class Meta:
        model = ho.DeadlineRule

    code = factory.Sequence(lambda n: f"regle-de-test-{n + 1}")
    step_kind = ho.EvictionStepKind.PAYMENT_ORDER
    label = "Fin du délai pour payer"
    delay = 6
    unit = ho.DeadlineUnit.WEEKS
    applies_from = datetime.date(2023, 7, 29)
    lease_signed_from = datetime.date(2023, 7, 29)
    lease_signed_before = None
    legal_reference = "Règle de test (synthétique)"
    move_to_working_day = True


# ---------------------------------------------------------------- reporting


class ReportRunFactory(DjangoModelFactory):
    """A national outcome report for 2024, waiting to run."""

    class Meta:
        model = ReportRun

    kind = ReportKind.OUTCOME
    scope = ReportScope.NATIONAL
    period_start = datetime.date(2024, 1, 1)
    period_end = datetime.date(2024, 12, 31)
    parameters = factory.LazyFunction(dict)
    status = ReportStatus.PENDING
    requested_by = factory.SubFactory(UserFactory)

    class Params:
        project_scope = factory.Trait(scope=ReportScope.PROJECT, project=factory.SubFactory(ProjectFactory))
        landlord_scope = factory.Trait(scope=ReportScope.LANDLORD, organisation=factory.SubFactory(OrganisationFactory, landlord=True))
        departement_scope = factory.Trait(scope=ReportScope.DEPARTEMENT, departement="69")
        succeeded = factory.Trait(status=ReportStatus.SUCCEEDED, attempts=1)
        failed = factory.Trait(status=ReportStatus.FAILED, attempts=3, error="Délai dépassé")


class AuditLogFactory(DjangoModelFactory):
    """Audit rows can be inserted, never updated nor deleted by the app role."""

    class Meta:
        model = "core.AuditLog"

    user_email = factory.Sequence(lambda n: f"auditee{n}@example.org")
    role = "caseworker"
    action = "view"
    model_label = "households.Household"
    object_id = factory.Sequence(str)


class ExportJobFactory(DjangoModelFactory):
    """A list export asked by a caseworker above the threshold, waiting for its build."""

    class Meta:
        model = ExportJob
        exclude = ("membership",)

    membership = factory.SubFactory(MembershipFactory, role=Role.CASEWORKER)
    user = factory.SelfAttribute("membership.user")
    membership_id = factory.SelfAttribute("membership.pk")
    organisation_id = factory.SelfAttribute("membership.organisation_id")
    role = factory.SelfAttribute("membership.role")
    list_name = "households"
    title = "Ménages"
    builder = "households.views.file.household_export"
    parameters = factory.LazyFunction(lambda: {"query": "tri=nom", "kwargs": {}, "path": "/menages/"})
    format = ExportJob.Format.XLSX
    total_rows = 12000

from tests.reporting.factories import *  # noqa: E402,F401,F403 (the rollup tables' factories)
