"""The Django admin: every model of the project apps, in French, without protected notes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from hashlib import sha256

import pytest
from django.contrib import admin
from django.core import checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.admin import PROTECTED_FIELDS, ProtectedFieldsAdminMixin, check_protected_fields_in_admin
from core.models import User
from households.models import (
    Consent,
    Contact,
    GoalReview,
    Household,
    Mandate,
    Person,
    Referral,
    SituationSnapshot,
    SupportGoal,
    SupportMeasure,
    TeamMember,
    Workshop,
    WorkshopAttendance,
)
from housing.models import (
    AttributionStep,
    EvictionCase,
    EvictionStep,
    Glissement,
    HousingUnit,
    Lease,
)
from partners.models import ApiToken, Membership, Organisation, OrganisationKind, Partnership, Role
from projects.models import (
    Action,
    BudgetLine,
    CallForProjects,
    CommitteeDecision,
    CommitteeMeeting,
    Expense,
    Funding,
    Payment,
    Project,
    ProjectCarrier,
    ProjectTarget,
    Session,
)
from reporting.models import ReportRun

PROJECT_APPS = {"core", "partners", "projects", "housing", "households", "reporting"}

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS),
    key=lambda model: model._meta.label,
)

#: Values of protected fields: none may ever appear in an admin page.
SECRETS = {
    "situation_notes": "SECRET-SITUATION",
    "health_notes": "SECRET-SANTE",
    "justice_notes": "SECRET-JUSTICE",
    "violence_notes": "SECRET-VIOLENCES",
}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(email="admin@example.org", password="motdepasse-solide-42")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def build_world(tag: str = "") -> dict:
    """One row of every model, created directly (no factories); ``tag`` keeps unique fields unique."""
    landlord = Organisation.objects.create(name=f"Grand Lyon Habitat{tag}", kind=OrganisationKind.LANDLORD)
    association = Organisation.objects.create(name=f"Emmaüs Habitat{tag}", short_name="EH", kind=OrganisationKind.ASSOCIATION)
    state = Organisation.objects.create(name=f"DDETS du Rhône{tag}", kind=OrganisationKind.STATE)
    worker = User.objects.create_user(email=f"referente{tag.strip()}@example.org", password="motdepasse-solide-42", first_name="Inès", last_name="Roux")
    membership = Membership.objects.create(user=worker, organisation=association, role=Role.CASEWORKER)
    Partnership.objects.create(landlord=landlord, association=association, title="Convention AVDL", starts_on=date(2015, 1, 1))

    call = CallForProjects.objects.create(name=f"10 000 logements accompagnés{tag}", year=2014)
    session = Session.objects.create(call=call, name="Octobre 2014", held_on=date(2014, 10, 15), dossiers_submitted=80, projects_retained=40)
    project = Project.objects.create(
        call=call, session=session, number="2.3.19", category="2.3", title="Accès et maintien à Lyon", lead_landlord=landlord,
        duration_months=36,
    )
    ProjectCarrier.objects.create(project=project, organisation=landlord, role="lead")
    action = Action.objects.create(project=project, title="Accompagnement renforcé", partner=association)
    ProjectTarget.objects.create(project=project, year=1, households=20, units=20)
    funding = Funding.objects.create(project=project, funder=state, programme="fnavdl", amount_awarded=Decimal("50000"), decision="granted")
    line = BudgetLine.objects.create(project=project, action=action, kind="support", year=2015, planned=Decimal("30000"))
    Expense.objects.create(budget_line=line, spent_on=date(2015, 3, 1), amount=Decimal("1234.56"), label="Salaire CESF")
    Payment.objects.create(
        project=project, funding=funding, kind="grant_instalment", payer=state, payee=landlord,
        amount=Decimal("25000"), paid_on=date(2015, 2, 1),
    )
    meeting = CommitteeMeeting.objects.create(project=project, kind="steering", held_on=date(2015, 6, 1))
    CommitteeDecision.objects.create(meeting=meeting, subject="Entrées", decision="Deux entrées validées")

    household = Household.objects.create(
        organisation=association, project=project, reference="H-001", display_name="Ménage Éloïse Martin", **SECRETS
    )
    Person.objects.create(household=household, role="head", first_name="Éloïse", last_name="Martin")
    Referral.objects.create(household=household, project=project, source="siao", referred_on=date(2015, 1, 10))
    Consent.objects.create(household=household, partner=landlord, purpose="tenancy", given_on=date(2015, 1, 20), recorded_by=membership)
    measure = SupportMeasure.objects.create(
        household=household, project=project, action=action, organisation=association, referent=membership,
        identified_on=date(2015, 1, 15), diagnostic_notes="SECRET-DIAGNOSTIC", outcome_notes="SECRET-BILAN",
    )
    Mandate.objects.create(measure=measure, number=1, starts_on=date(2015, 2, 1), ends_on=date(2015, 8, 1))
    TeamMember.objects.create(measure=measure, membership=membership, role="referent", since=date(2015, 1, 15))
    goal = SupportGoal.objects.create(measure=measure, domain="budget", title="Tenir un budget", set_on=date(2015, 2, 1), notes="SECRET-OBJECTIF")
    GoalReview.objects.create(goal=goal, milestone="m2", due_on=date(2015, 4, 1), notes="SECRET-REVUE")
    workshop = Workshop.objects.create(organisation=association, project=project, title="Atelier budget", theme="budget", held_on=date(2015, 5, 1))
    WorkshopAttendance.objects.create(workshop=workshop, household=household)
    Contact.objects.create(measure=measure, kind="home_visit", occurred_on=date(2015, 2, 10), author=membership, note="SECRET-CONTACT")
    SituationSnapshot.objects.create(measure=measure, moment="entry", observed_on=date(2015, 1, 15))

    unit = HousingUnit.objects.create(
        landlord=landlord, project=project, address=f"12 rue des Tilleuls{tag}", postcode="69003", city="Lyon",
        typology="T2", rent=Decimal("420.50"),
    )
    sliding = Lease.objects.create(
        unit=unit, lessor=landlord, kind="sliding", tenant_organisation=association, occupant=household,
        signed_on=date(2015, 2, 1), starts_on=date(2015, 2, 1), ends_on=date(2016, 1, 31), monthly_rent=Decimal("420.50"),
    )
    direct = Lease.objects.create(
        unit=unit, lessor=landlord, kind="direct", tenant_household=household, occupant=household, parent_lease=sliding,
        signed_on=date(2016, 1, 15), starts_on=date(2016, 2, 1), monthly_rent=Decimal("420.50"),
    )
    Glissement.objects.create(from_lease=sliding, to_lease=direct, caleol_decided_on=date(2016, 1, 10), effective_on=date(2016, 2, 1))
    AttributionStep.objects.create(household=household, kind="application", occurred_on=date(2014, 12, 1))
    case = EvictionCase.objects.create(lease=direct, opened_on=date(2024, 3, 1), arrears_amount=Decimal("900"))
    EvictionStep.objects.create(case=case, kind="arrears", occurred_on=date(2024, 3, 1), amount=Decimal("900"))
    ApiToken.objects.create(
        membership=membership, name=f"Logiciel de suivi{tag}", key_id=sha256(tag.encode()).hexdigest()[:12],
        key_hash=sha256(tag.encode()).hexdigest(), expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    ReportRun.objects.create(kind="funding", scope="national", period_start=date(2015, 1, 1), period_end=date(2015, 12, 31))
    from core.models import ExportJob

    ExportJob.objects.create(
        user=worker, membership_id=membership.pk, organisation_id=association.pk, role=membership.role,
        list_name="households", title="Ménages", builder="households.views.file.household_export",
        parameters={"query": "", "kwargs": {}, "path": "/menages/"}, format="xlsx", total_rows=12000,
    )
    from reporting.models import ReportReminder

    ReportReminder.objects.create(funding=funding, due_on=date(2015, 12, 31), days_before=30, sent_at=datetime(2015, 12, 1, tzinfo=UTC),
                                  recipients=["cheffe@exemple.test"])
    from reporting import rollups

    rollups.rebuild()  # one row of every rollup table
    return {"household": household, "measure": measure, "goal": goal, "unit": unit, "lease": direct, "case": case}


@pytest.fixture
def world(db):
    return build_world()


# --------------------------------------------------------------------------
# Every page answers
# --------------------------------------------------------------------------


def test_every_model_of_the_project_apps_is_registered():
    from django.apps import apps

    missing = [
        model._meta.label
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_and_add_page(admin_client, world, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    # Read-only admins (the audit log) refuse the add page to everyone.
    can_add = "add" in model._meta.default_permissions
    assert admin_client.get(admin_url(model, "add")).status_code == (200 if can_add else 403)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_queries_do_not_grow_with_rows(admin_client, world, model):
    url = admin_url(model, "changelist")
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(url)
    build_world(tag=" bis")
    build_world(tag=" ter")
    with CaptureQueriesContext(connection) as three_rows:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(three_rows) == len(one_row), [q["sql"] for q in three_rows.captured_queries]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_change_page(admin_client, world, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, model
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert "SECRET-" not in response.content.decode()


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_search(admin_client, world, model):
    if not admin.site._registry[model].search_fields:
        pytest.skip("no search")
    response = admin_client.get(admin_url(model, "changelist"), {"q": "Éloïse martin"})
    assert response.status_code == 200


def test_admin_index_is_in_french(admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()
    assert "Administration" in content
    assert "Ménages" in content and "Organisations" in content
    assert "Site administration" not in content


# --------------------------------------------------------------------------
# Protected fields
# --------------------------------------------------------------------------


def _inputs(content: str) -> set[str]:
    return set(re.findall(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"', content))


def test_household_change_page_shows_protected_labels_but_no_input_and_no_value(admin_client, world):
    content = admin_client.get(admin_url(Household, "change", world["household"].pk)).content.decode()
    names = _inputs(content)
    for field in SECRETS:
        assert field not in names
        assert f'name="{field}"' not in content
        label = str(Household._meta.get_field(field).verbose_name)
        assert label in content or label.capitalize() in content
    for secret in SECRETS.values():
        assert secret not in content
    assert "Contenu protégé" in content
    # Ordinary fields stay editable.
    assert {"display_name", "reference", "domestic_violence"} <= names


@pytest.mark.parametrize("label", sorted(PROTECTED_FIELDS))
def test_every_protected_field_is_masked_on_its_change_page(admin_client, world, label):
    from django.apps import apps

    model = apps.get_model(label)
    obj = model._default_manager.order_by("pk").first()
    content = admin_client.get(admin_url(model, "change", obj.pk)).content.decode()
    names = _inputs(content)
    for field in PROTECTED_FIELDS[label]:
        assert field not in names
        assert f"field-protected_{field}" in content  # the masked line, with the field's label
    assert "Contenu protégé" in content
    assert "SECRET-" not in content
    assert "Créé le" in content  # created/modified/version, read-only


def test_posting_protected_fields_changes_nothing(admin_client, world):
    household = world["household"]
    response = admin_client.post(
        admin_url(Household, "change", household.pk),
        {
            "organisation": household.organisation_id,
            "project": household.project_id,
            "reference": "H-001",
            "display_name": "Ménage Martin",
            "nur": "",
            "prior_situation": "",
            "monthly_resources": "",
            "resources_kind": "",
            "health_notes": "écrasé",
            "violence_notes": "",
            **{f"{prefix}-{key}": value for prefix in ("people", "referrals", "consents", "measures")
               for key, value in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()},
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    household.refresh_from_db()
    assert household.display_name == "Ménage Martin"
    assert household.health_notes == "SECRET-SANTE"
    assert household.violence_notes == "SECRET-VIOLENCES"
    assert household.version == 2  # an admin write counts as a write


def test_inlines_mask_protected_fields(admin_client, world):
    content = admin_client.get(admin_url(SupportMeasure, "change", world["measure"].pk)).content.decode()
    names = _inputs(content)
    assert not {"diagnostic_notes", "outcome_notes"} & names
    assert not any(name.endswith("-notes") for name in names)  # SupportGoal inline
    assert "SECRET-" not in content
    assert "goals-0-title" in names

    content = admin_client.get(admin_url(SupportGoal, "change", world["goal"].pk)).content.decode()
    assert not any(name.endswith("notes") for name in _inputs(content))  # GoalReview inline and the goal itself
    assert "SECRET-" not in content


def test_protected_fields_live_in_one_place_and_every_admin_applies_them():
    assert PROTECTED_FIELDS["households.household"] == ("situation_notes", "health_notes", "justice_notes", "violence_notes")
    assert PROTECTED_FIELDS["households.contact"] == ("note",)
    assert check_protected_fields_in_admin() == []
    for model, model_admin in admin.site._registry.items():
        admin_classes = [type(model_admin), *model_admin.inlines]
        for admin_class in admin_classes:
            target = admin_class.model if admin_class is not type(model_admin) else model
            protected = PROTECTED_FIELDS.get(target._meta.label_lower, ())
            if protected:
                assert issubclass(admin_class, ProtectedFieldsAdminMixin), admin_class
            listed = [*admin_class.list_display, *admin_class.search_fields] if hasattr(admin_class, "list_display") else []
            assert not {str(name).lstrip("^=@") for name in listed} & set(protected), admin_class


def test_system_check_refuses_a_protected_field_in_a_list(monkeypatch):
    class CarelessContactAdmin(admin.ModelAdmin):
        list_display = ("occurred_on", "note")
        search_fields = ("measure__household__health_notes",)

    monkeypatch.setitem(admin.site._registry, Contact, CarelessContactAdmin(Contact, admin.site))
    errors = check_protected_fields_in_admin()
    ids = sorted(error.id for error in errors)
    assert ids == ["core.E101", "core.E102", "core.E102"]
    assert all(isinstance(error, checks.Error) for error in errors)
    assert any("households.Household.health_notes" in error.msg for error in errors)


# --------------------------------------------------------------------------
# Search, masking, computed fields
# --------------------------------------------------------------------------


def test_search_is_accent_and_case_insensitive(admin_client, world):
    content = admin_client.get(admin_url(Household, "changelist"), {"q": "eloise MARTIN"}).content.decode()
    assert "H-001" in content
    content = admin_client.get(admin_url(Person, "changelist"), {"q": "ÉLOÏSE"}).content.decode()
    assert "Martin" in content
    content = admin_client.get(admin_url(Organisation, "changelist"), {"q": "emmaus"}).content.decode()
    assert "Emmaüs Habitat" in content
    content = admin_client.get(admin_url(Household, "changelist"), {"q": "dupont"}).content.decode()
    assert "H-001" not in content


def test_autocomplete_of_households(admin_client, world):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "eloise", "app_label": "housing", "model_name": "lease", "field_name": "occupant"},
    )
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Ménage Éloïse Martin (H-001)"]


def test_address_of_a_protected_household_is_masked_in_lists(admin_client, world):
    content = admin_client.get(admin_url(Lease, "changelist")).content.decode()
    assert "12 rue des Tilleuls" in content
    Household.objects.filter(pk=world["household"].pk).update(domestic_violence=True)
    content = admin_client.get(admin_url(Lease, "changelist")).content.decode()
    assert "12 rue des Tilleuls" not in content
    assert "Adresse masquée" in content
    content = admin_client.get(admin_url(HousingUnit, "change", world["unit"].pk)).content.decode()
    assert "Ménage Éloïse" not in content


def test_eviction_step_added_in_the_admin_gets_its_legal_deadline(admin_client, world):
    response = admin_client.post(
        admin_url(EvictionStep, "add"),
        {"case": world["case"].pk, "kind": "payment_order", "occurred_on": "02/03/2026", "amount": "", "judgment_result": "", "notes": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    step = EvictionStep.objects.get(kind="payment_order")
    assert step.deadline_on is not None and step.deadline_on > date(2026, 3, 2)
    assert step.deadline_rule is not None
    assert step.lessor_id == world["lease"].lessor_id


# --------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------


def test_user_add_form_uses_email_and_two_passwords(admin_client):
    content = admin_client.get(admin_url(User, "add")).content.decode()
    assert {"email", "password1", "password2"} <= _inputs(content)
    assert 'name="username"' not in content

    response = admin_client.post(
        admin_url(User, "add"),
        {"email": "Nouvelle.Personne@Example.org", "password1": "un-mot-de-passe-long", "password2": "un-mot-de-passe-long"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="nouvelle.personne@example.org")
    assert user.check_password("un-mot-de-passe-long")
    assert not user.is_staff

    response = admin_client.post(
        admin_url(User, "add"),
        {"email": "NOUVELLE.personne@example.org", "password1": "un-mot-de-passe-long", "password2": "un-mot-de-passe-long"},
    )
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()


def test_user_change_page_in_french_with_memberships(admin_client, world):
    worker = User.objects.get(email="referente@example.org")
    content = admin_client.get(admin_url(User, "change", worker.pk)).content.decode()
    assert "Identité" in content and "Droits" in content
    assert "Emmaüs Habitat" in content  # membership inline
    assert admin_client.get(reverse("admin:auth_user_password_change", args=[worker.pk])).status_code == 200


def test_system_check_refuses_an_unknown_protected_field(monkeypatch):
    monkeypatch.setitem(PROTECTED_FIELDS, "households.household", ("situation_notes", "no_such_note"))
    assert [error.id for error in check_protected_fields_in_admin()] == ["core.E103"]
