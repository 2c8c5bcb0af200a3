"""Who sees what, as a matrix: every role × every registered model × two organisations.

Two landlord–association pairs (A and B) each work on one household with
the whole tree of data around it. Personas (DESIGN.md §6 style):

- ``adviser_a`` landlord adviser of landlord A, ``caseworker_a`` référent of
  the household of pair A, ``colleague_a`` caseworker of association A who
  is *not* on that household's team, ``lead_a`` / ``admin_a`` team lead and
  admin of association A; the same for pair B;
- ``national`` (USH) and ``funder`` (the State service funding project A).

The models are discovered from the access registry, so a new model with a
policy joins the matrix without editing this test.
"""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.db.models import Q
from django.http import Http404

from core import access
from core.access import Actor
from households.models import ConsentPurpose
from partners.api_tokens import token_create
from partners.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

# Reference data every member of the platform may read.
SHARED_MODELS = {"partners.Organisation", "projects.CallForProjects", "projects.Session", "housing.DeadlineRule"}
# Household data: no row ever for national staff and funders.
HOUSEHOLD_APPS = {"households", "housing"}


def actor(membership) -> Actor:
    return Actor(user=membership.user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


def build_pair(label: str, funder_org) -> dict:
    landlord = f.OrganisationFactory(landlord=True, name=f"Bailleur {label}")
    association = f.OrganisationFactory(association=True, name=f"Association {label}")
    f.PartnershipFactory(landlord=landlord, association=association)
    project = f.ProjectFactory(lead_landlord=landlord)
    f.ProjectCarrierFactory(project=project, organisation=landlord, role="lead")
    f.ProjectCarrierFactory(project=project, organisation=association, role="partner")
    people = {
        "adviser": f.MembershipFactory(organisation=landlord, role=Role.LANDLORD_ADVISER),
        "landlord_admin": f.MembershipFactory(organisation=landlord, role=Role.ORG_ADMIN),
        "caseworker": f.MembershipFactory(organisation=association, role=Role.CASEWORKER),
        "colleague": f.MembershipFactory(organisation=association, role=Role.CASEWORKER),
        "lead": f.MembershipFactory(organisation=association, role=Role.TEAM_LEAD),
        "admin": f.MembershipFactory(organisation=association, role=Role.ORG_ADMIN),
    }
    household = f.HouseholdFactory(organisation=association, project=project, health_notes="SECRET-sante")
    measure = f.SupportMeasureFactory(household=household, project=project, organisation=association, referent=people["caseworker"])
    f.TeamMemberFactory(measure=measure, membership=people["caseworker"], role="referent")
    f.TeamMemberFactory(measure=measure, membership=people["lead"], role="lead")
    unit = f.HousingUnitFactory(landlord=landlord, project=project)
    lease = f.LeaseFactory(unit=unit, lessor=landlord, occupant=household, tenant_household=household)
    case = f.EvictionCaseFactory(lease=lease)
    f.EvictionStepFactory(case=case)
    goal = f.SupportGoalFactory(measure=measure)
    f.GoalReviewFactory(goal=goal)
    workshop = f.WorkshopFactory(organisation=association, project=project)
    objects = {
        "household": household,
        "measure": measure,
        "contact": f.ContactFactory(measure=measure, note="SECRET-note"),
        "person": f.PersonFactory(household=household),
        "referral": f.ReferralFactory(household=household),
        "consent": f.ConsentFactory(household=household, partner=landlord, purpose=ConsentPurpose.TENANCY),
        "mandate": f.MandateFactory(measure=measure),
        "snapshot": f.SituationSnapshotFactory(measure=measure),
        "attendance": f.WorkshopAttendanceFactory(workshop=workshop, household=household),
        "attribution": f.AttributionStepFactory(household=household, unit=unit),
        "glissement": None,
        "funding": f.FundingFactory(project=project, funder=funder_org) if funder_org else f.FundingFactory(project=project),
        "budget": f.BudgetLineFactory(project=project),
        "meeting": f.CommitteeMeetingFactory(project=project),
        "target": f.ProjectTargetFactory(project=project),
        "action": f.ActionFactory(project=project, partner=association),
    }
    f.ExpenseFactory(budget_line=objects["budget"])
    f.CommitteeDecisionFactory(meeting=objects["meeting"])
    f.PaymentFactory(project=project, payer=landlord, payee=association)
    f.ReportRunFactory(organisation=association, scope="association")
    token_create(actor=actor(people["caseworker"]), name="Logiciel de suivi", scope="read_write")
    return {"landlord": landlord, "association": association, "project": project, "people": people, **objects}


@pytest.fixture
def world():
    ush = f.OrganisationFactory(federation=True, name="USH")
    state = f.OrganisationFactory(state=True, name="DDETS")
    a = build_pair("A", state)
    b = build_pair("B", None)
    national = f.MembershipFactory(organisation=ush, role=Role.NATIONAL_STAFF)
    funder = f.MembershipFactory(organisation=state, role=Role.FUNDER)
    return {"a": a, "b": b, "national": national, "funder": funder}


def all_models():
    return sorted(access.registered_models(), key=lambda m: m._meta.label)


def rows_owned_by(pair: dict, model) -> set[int]:
    """Rows of ``model`` that belong to a pair's world (through its project or organisations)."""
    label = model._meta.label
    everything = access.policy_for(model).model._default_manager.all()
    org_ids = {pair["landlord"].pk, pair["association"].pk}
    if label == "partners.Organisation":
        return org_ids
    if label in SHARED_MODELS:
        return set()
    if label == "reporting.ReportRun":  # a run has a project or an organisation
        return set(everything.filter(Q(organisation_id__in=org_ids) | Q(project=pair["project"])).values_list("pk", flat=True))
    for path in ("project", "household__project", "measure__project", "goal__measure__project", "lease__unit__project",
                 "case__lease__unit__project", "unit__project", "from_lease__unit__project", "meeting__project",
                 "budget_line__project", "workshop__project"):
        try:
            return set(everything.filter(**{path: pair["project"]}).values_list("pk", flat=True))
        except Exception:  # noqa: BLE001 - that path does not exist on this model
            continue
    if label == "partners.Membership":
        return set(everything.filter(organisation_id__in=org_ids).values_list("pk", flat=True))
    if label == "partners.Partnership":
        return set(everything.filter(landlord_id__in=org_ids).values_list("pk", flat=True))
    if label == "partners.ApiToken":
        return set(everything.filter(membership__organisation_id__in=org_ids).values_list("pk", flat=True))
    if label == "projects.Project":
        return {pair["project"].pk}
    raise AssertionError(f"no ownership path for {label}: extend rows_owned_by")


PAIR_ROLES = ["adviser", "landlord_admin", "caseworker", "colleague", "lead", "admin"]


@pytest.mark.parametrize("role", PAIR_ROLES)
def test_nobody_sees_the_other_pairs_rows_and_gets_404(world, role):
    me = actor(world["a"]["people"][role])
    for model in all_models():
        theirs = rows_owned_by(world["b"], model) - rows_owned_by(world["a"], model)
        if model._meta.label == "partners.Organisation":
            continue  # the directory of organisations is shared
        visible = set(access.visible_to(me, model).values_list("pk", flat=True))
        assert not (visible & theirs), f"{role} sees {model._meta.label} of pair B"
        for pk in theirs:
            with pytest.raises(Http404):
                access.access(me, model, pk)


@pytest.mark.parametrize("role", ["caseworker", "lead", "admin"])
def test_the_association_sees_its_whole_support_file(world, role):
    me = actor(world["a"]["people"][role])
    for key in ("household", "measure", "contact", "person", "referral", "consent", "mandate", "snapshot", "attendance", "attribution"):
        obj = world["a"][key]
        assert access.access(me, type(obj), obj.pk) == obj


def test_the_landlord_sees_the_tenancy_side_without_notes(world):
    me = actor(world["a"]["people"]["adviser"])
    contact = access.access(me, type(world["a"]["contact"]), world["a"]["contact"].pk)
    assert access.readable_fields(me, contact, ["occurred_on", "kind", "note"]) == ["occurred_on", "kind"]
    household = access.access(me, type(world["a"]["household"]), world["a"]["household"].pk)
    assert "health_notes" not in access.readable_fields(me, household, ["display_name", "health_notes"])
    # The support plan itself (goals, mandates) is not the landlord's without consent.
    from households.models import SupportGoal

    assert not access.visible_to(me, SupportGoal).exists()


def test_social_notes_are_for_the_team_not_the_whole_organisation(world):
    household = world["a"]["household"]
    notes = ["situation_notes", "health_notes", "justice_notes", "violence_notes"]
    on_team = actor(world["a"]["people"]["caseworker"])
    lead_on_team = actor(world["a"]["people"]["lead"])
    colleague = actor(world["a"]["people"]["colleague"])
    admin = actor(world["a"]["people"]["admin"])
    assert access.readable_fields(on_team, household, notes) == notes
    assert access.readable_fields(lead_on_team, household, notes) == notes
    assert access.readable_fields(colleague, household, notes) == []
    assert access.readable_fields(admin, household, notes) == []
    # Writing a protected field off the team names the field.
    with pytest.raises(access.FieldsNotWritable) as excinfo:
        access.check_writable(colleague, household, ["display_name", "health_notes"])
    assert excinfo.value.fields == ["health_notes"]
    access.check_writable(on_team, household, ["display_name", "health_notes"])


@pytest.mark.parametrize("who", ["national", "funder"])
def test_national_and_funder_roles_see_no_household_row(world, who):
    me = actor(world[who])
    for model in all_models():
        if model._meta.app_label in HOUSEHOLD_APPS and model._meta.label not in SHARED_MODELS:
            assert not access.visible_to(me, model).exists(), f"{who} sees {model._meta.label}"


def test_projects_are_visible_read_only_to_national_staff_and_their_funders(world):
    national, funder = actor(world["national"]), actor(world["funder"])
    project_a, project_b = world["a"]["project"], world["b"]["project"]
    from projects.models import Project

    assert set(access.visible_to(national, Project)) >= {project_a, project_b}
    assert set(access.visible_to(funder, Project)) == {project_a}  # funds A only
    with pytest.raises(Http404):
        access.access(funder, Project, project_b.pk)
    for me in (national, funder):
        with pytest.raises(access.PermissionDenied):
            access.access(me, Project, project_a.pk, action=access.CHANGE)
    assert access.access(actor(world["a"]["people"]["adviser"]), Project, project_a.pk, action=access.CHANGE)


def test_consent_opens_a_household_to_a_partner_until_withdrawn(world):
    from households.models import Household

    partner = f.OrganisationFactory(siao=True)
    member = actor(f.MembershipFactory(organisation=partner, role=Role.CASEWORKER))
    household = world["a"]["household"]
    assert not access.visible_to(member, Household).exists()
    given = f.ConsentFactory(household=household, partner=partner, purpose=ConsentPurpose.HEALTH)
    assert access.access(member, Household, household.pk) == household
    assert access.readable_fields(member, household, ["health_notes", "justice_notes"]) == ["health_notes"]
    given.withdrawn_on = datetime.date(2026, 1, 1)
    given.save()
    with pytest.raises(Http404):
        access.access(member, Household, household.pk)


def test_domestic_violence_hides_the_address_from_all_but_team_and_landlord(world):
    from housing.models import HousingUnit, Lease

    pair = world["a"]
    household = pair["household"]
    household.domestic_violence = True
    household.save()
    unit = household.occupied_leases.get().unit
    lease = household.occupied_leases.get()
    team, colleague, landlord = (actor(pair["people"][k]) for k in ("caseworker", "colleague", "adviser"))

    assert unit in access.visible_to(landlord, HousingUnit)
    assert unit in access.visible_to(team, HousingUnit)
    assert unit not in access.visible_to(colleague, HousingUnit)  # not in anyone else's lists
    assert access.readable_fields(colleague, lease, ["kind", "unit"]) == ["kind"]
    assert access.readable_fields(team, lease, ["kind", "unit"]) == ["kind", "unit"]
    assert access.readable_fields(landlord, lease, ["kind", "unit"]) == ["kind", "unit"]
    assert lease in access.visible_to(colleague, Lease)  # the tenancy side stays visible


def test_the_archive_is_read_only_and_for_the_organisation_admin_only(world):
    from households.access import visible_households
    from households.models import Household

    household = world["a"]["household"]
    household.archived_at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    household.save()
    caseworker, admin = actor(world["a"]["people"]["caseworker"]), actor(world["a"]["people"]["admin"])
    assert not access.visible_to(caseworker, Household).exists()
    assert household in visible_households(admin, include_archived=True)
    assert not access.policy_for(Household).can(admin, access.CHANGE, household)
    # The archived file is read whole by its admin (people, measures, contacts, leases…), for funder audits.
    from households.models import Contact, Person, SupportMeasure
    from housing.models import Lease

    for model in (Person, SupportMeasure, Contact, Lease):
        assert access.visible_to(admin, model).exists(), model
    assert not access.visible_to(caseworker, SupportMeasure).exists()


def test_the_landlord_sees_orientations_and_resources_only_with_consent(world):
    from households.models import Consent, ConsentPurpose, Household, Referral

    pair = world["a"]
    adviser, caseworker = actor(pair["people"]["adviser"]), actor(pair["people"]["caseworker"])
    household = pair["household"]
    situation = ["prior_situation", "monthly_resources", "resources_kind"]
    assert access.visible_to(caseworker, Referral).exists()
    assert access.readable_fields(caseworker, household, situation) == situation
    # The landlord works on the household (tenancy side, with a consent for
    # the tenancy purpose in this world) but its orientation
    # (a SPIP or CMP source says something) and its resources are the social side.
    assert household in access.visible_to(adviser, Household)
    assert not access.visible_to(adviser, Referral).exists()
    assert access.readable_fields(adviser, household, situation) == []
    Consent.objects.create(household=household, partner=pair["landlord"], purpose=ConsentPurpose.SOCIAL_DETAILS,
                           given_on=datetime.date(2026, 1, 5))
    assert access.visible_to(adviser, Referral).exists()
    assert access.readable_fields(adviser, household, situation) == situation


def test_an_actor_without_membership_sees_nothing(world):
    user = f.UserFactory()
    nobody = Actor(user=user)
    for model in all_models():
        assert not access.visible_to(nobody, model).exists()
def test_a_refused_access_is_audited(world):
    from core.models import AuditLog
    from households.models import Household

    me = actor(world["a"]["people"]["caseworker"])
    target = world["b"]["household"]
    with pytest.raises(Http404):
        access.access(me, Household, target.pk)
    row = AuditLog.objects.filter(action="refused", model_label="households.Household", object_id=str(target.pk)).latest("at")
    assert row.organisation_id == me.organisation_id and row.user_id == me.user.pk


def test_the_admin_masks_exactly_the_team_only_fields_of_the_policy():
    """One field policy: the admin's mask list is the policy's team-only fields."""
    from core.admin import PROTECTED_FIELDS
    from households.access import LANDLORD, TEAM

    team_only = {}
    for model in access.registered_models():
        names = tuple(
            name for name, rule in access.policy_for(model).fields.items()
            if TEAM in rule.read and LANDLORD not in rule.read
        )
        if names:
            team_only[model._meta.label_lower] = set(names)
    assert team_only == {label: set(names) for label, names in PROTECTED_FIELDS.items()}


def test_opening_household_data_in_the_admin_is_audited(admin_client, world):
    from core.models import AuditLog

    household = world["a"]["household"]
    response = admin_client.get(f"/admin/households/household/{household.pk}/change/")
    assert response.status_code == 200
    assert b"SECRET-sante" not in response.content
    assert AuditLog.objects.filter(action="view", model_label="households.Household", object_id=str(household.pk)).exists()


def protected_field_cases():
    """(model label, field) for every team-only or address field of the registry."""
    from housing.access import ADDRESS_SHAREABLE
    from households.access import TEAM

    return sorted(
        (model._meta.label, name)
        for model in access.registered_models()
        for name, rule in access.policy_for(model).fields.items()
        if TEAM in rule.read or ADDRESS_SHAREABLE in rule.read
    )


def object_of(pair: dict, label: str):
    model = apps.get_model(label)
    return model._default_manager.filter(pk__in=rows_owned_by(pair, model)).first()


@pytest.mark.parametrize(("label", "field"), protected_field_cases())
def test_field_policy_per_protected_field(world, label, field):
    """Each protected field: the measure's team reads it, a colleague off the
    team does not; under domestic-violence protection the address fields are
    for the team and the landlord only."""
    from housing.access import ADDRESS_SHAREABLE

    pair = world["a"]
    obj = object_of(pair, label)
    assert obj is not None, f"the world has no {label}"
    team, colleague, landlord = (actor(pair["people"][k]) for k in ("caseworker", "colleague", "adviser"))
    rule = access.policy_for(obj).fields[field]

    if ADDRESS_SHAREABLE in rule.read:
        household = pair["household"]
        household.domestic_violence = True
        household.save()
        obj = type(obj)._default_manager.get(pk=obj.pk)
        assert access.readable_fields(landlord, obj, [field]) == [field]
        assert access.readable_fields(team, obj, [field]) == [field]
    else:
        assert access.readable_fields(team, obj, [field]) == [field]
        access.check_writable(team, obj, [field])
    assert access.readable_fields(colleague, obj, [field]) == []
    with pytest.raises(access.FieldsNotWritable) as excinfo:
        access.check_writable(colleague, obj, [field])
    assert excinfo.value.fields == [field]


# ---------------------------------------------------------------- regressions of the review


def test_a_former_landlord_does_not_read_the_new_address_of_a_protected_household(world):
    pair = world["a"]
    household = pair["household"]
    old_lease = household.occupied_leases.get()
    old_lease.ends_on = datetime.date(2026, 1, 31)
    old_lease.save()
    new_landlord = f.OrganisationFactory(landlord=True)
    new_lease = f.LeaseFactory(lessor=new_landlord, occupant=household, tenant_household=household,
                               unit=f.HousingUnitFactory(landlord=new_landlord), starts_on=datetime.date(2026, 2, 1))
    household.domestic_violence = True
    household.save()
    former = actor(pair["people"]["adviser"])
    current = actor(f.MembershipFactory(organisation=new_landlord, role=Role.LANDLORD_ADVISER))
    assert access.readable_fields(former, new_lease, ["unit"]) == []
    assert access.readable_fields(current, new_lease, ["unit"]) == ["unit"]


def test_a_unit_proposed_to_a_protected_household_stays_hidden(world):
    from housing.models import HousingUnit

    pair = world["a"]
    household = f.HouseholdFactory(organisation=pair["association"], project=pair["project"], domestic_violence=True)
    f.SupportMeasureFactory(household=household, project=pair["project"], organisation=pair["association"],
                            referent=pair["people"]["caseworker"])
    unit = f.HousingUnitFactory(landlord=pair["landlord"])
    f.AttributionStepFactory(household=household, unit=unit)
    colleague, landlord = actor(pair["people"]["colleague"]), actor(pair["people"]["adviser"])
    assert unit not in access.visible_to(colleague, HousingUnit)
    assert unit in access.visible_to(landlord, HousingUnit)


def test_the_organisation_that_opened_a_file_does_not_write_another_organisations_support_rows(world):
    from households.models import Contact

    pair = world["a"]
    opener = pair["landlord"]
    household = f.HouseholdFactory(organisation=opener, project=pair["project"])
    measure = f.SupportMeasureFactory(household=household, project=pair["project"], organisation=pair["association"])
    contact = f.ContactFactory(measure=measure)
    adviser = actor(pair["people"]["adviser"])
    assert not access.can(adviser, access.CHANGE, contact)
    assert access.can(actor(pair["people"]["caseworker"]), access.CHANGE, contact)
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_consent_does_not_let_a_partner_change_attribution_steps(world):
    pair = world["a"]
    partner = f.OrganisationFactory(siao=True)
    member = actor(f.MembershipFactory(organisation=partner, role=Role.CASEWORKER))
    f.ConsentFactory(household=pair["household"], partner=partner, purpose=ConsentPurpose.HEALTH)
    step = pair["attribution"]
    assert access.access(member, type(step), step.pk) == step
    assert not access.can(member, access.CHANGE, step)
    assert access.can(actor(pair["people"]["caseworker"]), access.CHANGE, step)


def test_a_team_member_with_a_future_end_date_is_still_on_the_team(world):
    from households.models import TeamMember

    pair = world["a"]
    colleague = pair["people"]["colleague"]
    TeamMember.objects.create(measure=pair["measure"], membership=colleague, role="replacement",
                              since=datetime.date(2026, 1, 1), until=datetime.date(2099, 1, 1))
    assert access.readable_fields(actor(colleague), pair["household"], ["health_notes"]) == ["health_notes"]


def test_report_runs_follow_the_acting_organisation(world):
    from reporting.models import ReportRun

    pair = world["a"]
    caseworker = pair["people"]["caseworker"]
    run = f.ReportRunFactory(organisation=pair["association"], scope="association", requested_by=caseworker.user)
    elsewhere = f.MembershipFactory(user=caseworker.user, organisation=world["b"]["association"], role=Role.CASEWORKER)
    assert run in access.visible_to(actor(caseworker), ReportRun)
    assert run not in access.visible_to(actor(elsewhere), ReportRun)
    assert not access.visible_to(actor(world["funder"]), ReportRun).filter(scope="association").exists()


def test_free_text_of_the_tenancy_side_and_of_committees_has_its_readers(world):
    """Refusal reasons: supporting organisation; attribution and eviction notes:
    landlord and supporting organisation; committee minutes: carriers only."""
    from projects.models import CommitteeDecision, CommitteeMeeting

    pair = world["a"]
    caseworker, adviser = actor(pair["people"]["caseworker"]), actor(pair["people"]["adviser"])
    partner = f.OrganisationFactory(siao=True)
    consented = actor(f.MembershipFactory(organisation=partner, role=Role.CASEWORKER))
    f.ConsentFactory(household=pair["household"], partner=partner, purpose=ConsentPurpose.TENANCY)
    referral, step = pair["referral"], pair["attribution"]
    eviction_step = object_of(pair, "housing.EvictionStep")
    assert access.readable_fields(caseworker, referral, ["refusal_reason"]) == ["refusal_reason"]
    assert access.readable_fields(adviser, referral, ["refusal_reason"]) == []
    for obj in (step, eviction_step):
        assert access.readable_fields(caseworker, obj, ["notes"]) == ["notes"]
        assert access.readable_fields(adviser, obj, ["notes"]) == ["notes"]
        assert access.readable_fields(consented, obj, ["notes"]) == []
    meeting = CommitteeMeeting.objects.get(project=pair["project"])
    decision = CommitteeDecision.objects.get(meeting=meeting)
    national, funder = actor(world["national"]), actor(world["funder"])
    assert access.readable_fields(adviser, meeting, ["held_on", "summary"]) == ["held_on", "summary"]
    for outsider in (national, funder):
        assert meeting in access.visible_to(outsider, CommitteeMeeting)
        assert access.readable_fields(outsider, meeting, ["held_on", "summary"]) == ["held_on"]
        assert access.readable_fields(outsider, decision, ["subject", "decision", "due_on"]) == ["due_on"]
