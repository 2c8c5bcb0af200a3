"""The demo caseload (`manage.py seed_demo`): what a demo user finds, and that
it is the same every time.

The catalogue importer is not used here: a small catalogue of eight
projects is built by hand (landlords, associations, one 3.2 project, one
project without association), and runs are kept small (60 households).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core import bootstrap
from core.models import User
from households.models import (
    Consent,
    Contact,
    ContactKind,
    GoalReview,
    Household,
    Intensity,
    Outcome,
    Person,
    Phase,
    Referral,
    ReferralDecision,
    ReferralSource,
    SupportGoal,
    SupportMeasure,
)
from housing import demo
from housing.deadlines import deadline_for
from housing.models import (
    AttributionStep,
    EvictionCase,
    EvictionStep,
    Glissement,
    HousingUnit,
    Lease,
    LeaseKind,
)
from partners.models import Membership, Organisation, OrganisationKind, Partnership, Role
from projects.models import (
    BudgetLine,
    CarrierRole,
    CommitteeKind,
    CommitteeMeeting,
    Expense,
    Funding,
    Payment,
    PaymentKind,
    Project,
    ProjectCarrier,
    ProjectStatus,
    ProjectTarget,
)

pytestmark = pytest.mark.django_db

HOUSEHOLDS = 60

# number, category, landlord, association (None: the landlord supports), département, access/maintain, months, target
CATALOGUE = [
    ("2.3.1", "2.3", "Habitat du Midi", "Association Le Relais", "11", "both", 36, 50),
    ("2.1.4", "2.1", "Rhône Logement", "Association Toit Commun", "69", "access", 36, 40),
    ("2.2.3", "2.2", "Nord Habitat", None, "59", "maintain", 24, 30),
    ("3.2.1", "3.2", "Provence Habitat", "Association Solidarité Femmes", "13", "access", 36, 15),
    ("3.1.2", "3.1", "Rhône Logement", "Association Santé Logis", "69", "both", 36, 20),
    ("3.3.1", "3.3", "Gironde Habitat", "Association Le Relais", "33", "access", 24, 30),
    ("1.1", "1", "Habitat du Midi", None, "11", "both", 36, 40),
    ("3.5.1", "3.5", "Nord Habitat", "Association Toit Commun", "59", "access", 36, 10),
]


def build_catalogue(rows=CATALOGUE, with_associations=True) -> list[Project]:
    orgs: dict[str, Organisation] = {}

    def org(name, kind, dept):
        if name not in orgs:
            orgs[name] = Organisation.objects.create(name=name, kind=kind, departement=dept)
        return orgs[name]

    projects = []
    for number, category, landlord, association, dept, access, months, target in rows:
        lead = org(landlord, OrganisationKind.LANDLORD, dept)
        project = Project.objects.create(
            number=number, category=category, title=f"Projet {number}", status=ProjectStatus.RETAINED,
            lead_landlord=lead, departements=[dept], access_or_maintain=access, duration_months=months,
            target_households=target, nature="Texte du guide", source="test",
        )
        ProjectCarrier.objects.create(project=project, organisation=lead, role=CarrierRole.LEAD)
        if association and with_associations:
            ProjectCarrier.objects.create(
                project=project, organisation=org(association, OrganisationKind.ASSOCIATION, dept), role=CarrierRole.PARTNER
            )
        projects.append(project)
    return projects


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--households", str(HOUSEHOLDS), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def catalogue():
    return build_catalogue()


@pytest.fixture
def seeded(catalogue):
    output = seed()
    return output


def digest() -> str:
    """A fingerprint of the generated rows by natural keys (database ids differ between runs)."""
    rows = []
    rows += [("hh", h.reference, h.display_name, h.organisation.normalized_name, h.project.number, h.nur,
              h.prior_situation, str(h.monthly_resources), h.domestic_violence, h.situation_notes)
             for h in Household.objects.select_related("organisation", "project")]
    rows += [("person", p.household.reference, p.role, p.first_name, p.last_name, str(p.birth_date), p.employment)
             for p in Person.objects.select_related("household")]
    rows += [("measure", m.household.reference, m.kind, m.phase, m.intensity, str(m.identified_on), str(m.diagnostic_on),
              str(m.contract_signed_on), str(m.ended_on), m.outcome, str(m.watch_until), m.referent.user.email,
              str(m.end_meeting.held_on if m.end_meeting else None))
             for m in SupportMeasure.objects.select_related("household", "referent__user", "end_meeting")]
    rows += [("contact", c.household.reference, c.kind, c.status, str(c.occurred_on), c.duration_minutes, c.note,
              str(c.client_uuid), c.author.user.email if c.author else None, sorted(g.title for g in c.goals.all()))
             for c in Contact.objects.select_related("household", "author__user").prefetch_related("goals")]
    rows += [("referral", r.household.reference, r.source, r.decision, str(r.referred_on), r.refusal_reason)
             for r in Referral.objects.select_related("household")]
    rows += [("consent", c.household.reference, c.partner.name, c.purpose, str(c.given_on), str(c.withdrawn_on))
             for c in Consent.objects.select_related("household", "partner")]
    rows += [("goal", g.measure.household.reference, g.domain, g.title, str(g.set_on), g.status, str(g.closed_on))
             for g in SupportGoal.objects.select_related("measure__household")]
    rows += [("review", r.goal.measure.household.reference, r.goal.title, r.milestone, str(r.due_on), str(r.reviewed_on), r.progress)
             for r in GoalReview.objects.select_related("goal__measure__household")]
    rows += [("unit", u.landlord.name, u.landlord_reference, u.address, u.postcode, u.rpls_id, u.typology, str(u.rent))
             for u in HousingUnit.objects.select_related("landlord")]
    rows += [("lease", l.unit.landlord_reference, l.kind, str(l.signed_on), str(l.starts_on), str(l.ends_on),
              str(l.planned_glissement_on), l.occupant.reference, str(l.monthly_rent))
             for l in Lease.objects.select_related("unit", "occupant")]
    rows += [("attribution", a.household.reference, a.kind, str(a.occurred_on), a.decision, a.notes)
             for a in AttributionStep.objects.select_related("household")]
    rows += [("step", s.case.lease.occupant.reference, s.kind, str(s.occurred_on), str(s.amount), str(s.deadline_on),
              s.deadline_rule.code if s.deadline_rule else None)
             for s in EvictionStep.objects.select_related("case__lease__occupant", "deadline_rule")]
    rows += [("funding", f.project.number, f.funder.name, f.programme, str(f.amount_awarded), f.decision)
             for f in Funding.objects.select_related("project", "funder")]
    rows += [("payment", p.project.number, p.kind, p.payer.name, p.payee.name, str(p.amount), str(p.paid_on))
             for p in Payment.objects.select_related("project", "payer", "payee")]
    rows += [("meeting", m.project.number, m.kind, str(m.held_on), m.place) for m in CommitteeMeeting.objects.select_related("project")]
    rows += [("user", u.email, u.first_name, u.last_name) for u in User.objects.all()]
    return hashlib.sha256(repr(sorted(rows, key=repr)).encode()).hexdigest()


def test_small_run_shows_every_kind_of_situation(seeded):
    assert "ménages" in seeded and "Durée" in seeded
    assert Household.objects.count() == HOUSEHOLDS

    def values(model, field):
        return set(model.objects.values_list(field, flat=True))

    assert values(SupportMeasure, "phase") == set(Phase.values)
    assert values(SupportMeasure, "intensity") - {""} == set(Intensity.values)
    assert values(SupportMeasure, "outcome") - {""} == set(Outcome.values)
    assert values(Contact, "kind") == set(ContactKind.values)
    assert values(Lease, "kind") == set(LeaseKind.values)
    assert values(Referral, "source") == set(ReferralSource.values)
    assert values(Referral, "decision") == set(ReferralDecision.values)
    assert not Referral.objects.filter(decision=ReferralDecision.REFUSED, refusal_reason="").exists()
    assert values(CommitteeMeeting, "kind") == set(CommitteeKind.values)
    assert values(Payment, "kind") == set(PaymentKind.values)
    assert Consent.objects.exclude(withdrawn_on=None).exists()
    assert Household.objects.filter(domestic_violence=True, project__category="3.2").exists()

    # At least one completed glissement: the association's lease ends the day
    # before the household's bail direct, which points back to it.
    glissement = Glissement.objects.select_related("from_lease", "to_lease").first()
    assert glissement is not None
    assert glissement.from_lease.kind == LeaseKind.SLIDING
    assert glissement.from_lease.tenant_organisation is not None
    assert glissement.to_lease.kind == LeaseKind.DIRECT
    assert glissement.to_lease.parent_lease_id == glissement.from_lease_id
    assert (glissement.effective_on - glissement.from_lease.ends_on).days == 1
    assert glissement.to_lease.starts_on == glissement.effective_on
    assert Lease.objects.filter(kind=LeaseKind.SUBLET, tenant_organisation__kind=OrganisationKind.ASSOCIATION).exists()

    # Eviction prevention: steps at various stages with their legal deadline,
    # exactly what housing.deadlines computes from the rule table.
    steps = list(EvictionStep.objects.select_related("case__lease"))
    with_deadline = [s for s in steps if s.deadline_on is not None]
    assert with_deadline and all(s.deadline_rule_id for s in with_deadline)
    for s in steps:
        expected = deadline_for(s.kind, s.occurred_on, s.case.lease.signed_on)
        assert (s.deadline_on, s.deadline_rule_id) == ((expected.due_on, expected.rule.pk) if expected else (None, None))
        assert s.lessor_id == s.case.lease.lessor_id
    assert EvictionCase.objects.filter(closed_on=None).exists()
    assert EvictionCase.objects.exclude(closed_on=None).exists()

    # Access households went through the attribution path.
    assert AttributionStep.objects.filter(kind="caleol").exclude(decision="").exists()
    assert Household.objects.exclude(nur="").exists()

    # The projects that hold households are in progress, with money and committees.
    for project in Project.objects.filter(households__isnull=False).distinct():
        assert project.status == ProjectStatus.IN_PROGRESS
        assert project.starts_on and project.ends_on
        assert project.nature == "Texte du guide"  # catalogue text untouched
        assert ProjectTarget.objects.filter(project=project).exists()
        assert BudgetLine.objects.filter(project=project).exists()
        assert Funding.objects.filter(project=project).exists()
    assert Expense.objects.exists()


def test_denormalised_fields_are_those_save_would_write(seeded):
    from core.text import fold

    for hh in Household.objects.all():
        assert hh.search_key == fold(f"{hh.display_name} {hh.reference}")
    for person in Person.objects.select_related("household"):
        assert person.organisation_id == person.household.organisation_id
        assert person.search_key == fold(f"{person.last_name} {person.first_name}")
    for contact in Contact.objects.select_related("measure"):
        assert contact.household_id == contact.measure.household_id
        assert contact.organisation_id == contact.measure.organisation_id
    for goal in SupportGoal.objects.select_related("measure"):
        assert goal.organisation_id == goal.measure.organisation_id
    for case in EvictionCase.objects.select_related("lease"):
        assert case.lessor_id == case.lease.lessor_id
    for expense in Expense.objects.select_related("budget_line"):
        assert expense.project_id == expense.budget_line.project_id
    for measure in SupportMeasure.objects.select_related("referent"):
        assert measure.referent.organisation_id == measure.organisation_id
        assert measure.team.filter(membership=measure.referent, until=None).exists()


def test_no_two_leases_overlap_on_a_unit(seeded):
    by_unit = defaultdict(list)
    for lease in Lease.objects.all():
        by_unit[lease.unit_id].append(lease)
    for leases in by_unit.values():
        leases.sort(key=lambda lease: lease.starts_on)
        for before, after in zip(leases, leases[1:]):
            assert before.ends_on is not None and before.ends_on < after.starts_on


def test_demo_logins_exist_with_their_roles_and_password(seeded):
    registered = dict((email, label) for label, email in bootstrap._demo_logins)
    listed = {email for _, email, _ in bootstrap.demo_logins()}
    project_a = Project.objects.get(number="2.3.1")
    project_b = Project.objects.get(number="2.1.4")
    slots = {
        "landlord_a": project_a.lead_landlord, "association_a": Organisation.objects.get(name="Association Le Relais"),
        "landlord_b": project_b.lead_landlord, "association_b": Organisation.objects.get(name="Association Toit Commun"),
    }
    for login in demo.DEMO_LOGINS:
        assert registered[login.email] == login.label
        assert login.email in listed
        user = User.objects.get(email=login.email)
        assert user.check_password(bootstrap.DEMO_PASSWORD)
        membership = Membership.objects.get(user=user)
        assert membership.role == login.role
        if login.slot in slots:
            assert membership.organisation == slots[login.slot]
    assert Membership.objects.get(user__email="helene.vasseur@demo.logement-accompagne.fr").organisation.kind == OrganisationKind.FEDERATION
    funder = Membership.objects.get(role=Role.FUNDER, user__email__endswith=demo.DEMO_DOMAIN).organisation
    assert funder.kind == OrganisationKind.STATE and Funding.objects.filter(funder=funder).exists()

    # Each demo pair: a convention, a real caseload for the demo caseworker and
    # other caseworkers to reassign files to.
    for association, project in ((slots["association_a"], project_a), (slots["association_b"], project_b)):
        assert Partnership.objects.filter(landlord=project.lead_landlord, association=association).exists()
        assert Household.objects.filter(project=project).count() == round(HOUSEHOLDS * demo.DEMO_SHARE)
        caseworkers = Membership.objects.filter(organisation=association, role=Role.CASEWORKER)
        assert 4 <= caseworkers.count() <= 6 + 1  # the demo one + 3 to 5 (the association may carry another project)
    karim = Membership.objects.get(user__email="karim.benali@demo.logement-accompagne.fr")
    assert SupportMeasure.objects.filter(referent=karim).exists()
    assert Contact.objects.filter(author=karim).exists()
    for kind in (OrganisationKind.SIAO, OrganisationKind.CCAPEX, OrganisationKind.DEPARTMENT, OrganisationKind.CAF,
                 OrganisationKind.CGLLS, OrganisationKind.ACTION_LOGEMENT, OrganisationKind.MUNICIPALITY):
        assert Organisation.objects.filter(kind=kind).exists(), kind


def test_same_seed_same_rows_other_seed_other_rows(catalogue, settings):
    settings.DEBUG = True  # --reset is for development databases
    seed("--seed", "11")
    first = digest()
    assert "supprimé" in seed("--seed", "11", "--reset")
    assert digest() == first
    seed("--seed", "12", "--reset")
    assert digest() != first


def test_second_run_changes_nothing(seeded):
    before = (Household.objects.count(), Contact.objects.count(), User.objects.count())
    output = seed()
    assert "déjà présent" in output
    assert (Household.objects.count(), Contact.objects.count(), User.objects.count()) == before


def test_refuses_without_the_catalogue():
    build_catalogue(CATALOGUE[:3])
    with pytest.raises(CommandError, match="import_ush_guide"):
        seed()
    assert not Household.objects.exists()


def test_demo_project_without_association_gets_a_synthetic_one():
    build_catalogue(with_associations=False)
    call_command("seed_demo", "--households", "20", stdout=StringIO())
    carriers = ProjectCarrier.objects.filter(organisation__name__in=demo.SYNTHETIC_ASSOCIATIONS, role=CarrierRole.PARTNER)
    assert carriers.count() == 2
    caseworker = Membership.objects.get(user__email="karim.benali@demo.logement-accompagne.fr")
    assert caseworker.organisation.name == "Association Horizon Logement"
    # Elsewhere the landlord supports its own households (e.g. projects 1.1, 2.2.3 of the guide).
    assert SupportMeasure.objects.filter(organisation__kind=OrganisationKind.LANDLORD).exists()
    assert not Lease.objects.filter(kind__in=demo.ASSOCIATION_LEASES).exclude(
        tenant_organisation__kind=OrganisationKind.ASSOCIATION).exists()


def test_bootstrap_loader_waits_for_the_catalogue(settings):
    settings.DEBUG = True
    assert "seed_demo" in [loader.name for loader in bootstrap.loaders()]
    loader = next(loader for loader in bootstrap.loaders() if loader.name == "seed_demo")
    catalogue_loader = next((other for other in bootstrap.loaders() if other.name == "ush_catalogue"), None)
    if catalogue_loader is not None:
        assert loader.order > catalogue_loader.order
    out = StringIO()
    build_catalogue(CATALOGUE[:2])
    loader.load(stdout=out)
    assert "il en faut 5" in out.getvalue()
    assert not Household.objects.exists()
