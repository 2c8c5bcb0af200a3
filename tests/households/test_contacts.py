"""The quick contact log, its offline drafts (exactly once) and the household search.

Personas: bob is the référent of the Étienne household at association A;
charlie is his colleague at A, not on that household's team; sophie is the
landlord adviser whose landlord lets the household its home; dora is a
caseworker of association B, which follows another household.
"""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.access import Actor
from core.models import AuditLog
from households import contacts
from households.models import Contact, ContactKind, GoalStatus, Household
from partners.acting import SESSION_KEY
from partners.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

SYNC = "/contacts/brouillons/"
NEW = "/contacts/nouveau/"


def actor(membership) -> Actor:
    return Actor(user=membership.user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


def login_as(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


@pytest.fixture
def world():
    landlord = f.OrganisationFactory(landlord=True, name="Bailleur A")
    association = f.OrganisationFactory(association=True, name="Association A")
    project = f.ProjectFactory(lead_landlord=landlord)
    bob = f.MembershipFactory(organisation=association, role=Role.CASEWORKER, user__first_name="Bob", user__last_name="Martin")
    charlie = f.MembershipFactory(organisation=association, role=Role.CASEWORKER)
    lead = f.MembershipFactory(organisation=association, role=Role.TEAM_LEAD)
    sophie = f.MembershipFactory(organisation=landlord, role=Role.LANDLORD_ADVISER)
    household = f.HouseholdFactory(organisation=association, project=project, display_name="Ménage Étienne", reference="A-0001")
    measure = f.SupportMeasureFactory(household=household, project=project, organisation=association, referent=bob)
    f.TeamMemberFactory(measure=measure, membership=bob, role="referent")
    f.LeaseFactory(unit=f.HousingUnitFactory(landlord=landlord), lessor=landlord, occupant=household, tenant_household=household)
    goal = f.SupportGoalFactory(measure=measure, title="Ouvrir les droits APL")
    closed_goal = f.SupportGoalFactory(measure=measure, title="Objectif atteint", achieved=True)

    other_association = f.OrganisationFactory(association=True, name="Association B")
    dora = f.MembershipFactory(organisation=other_association, role=Role.CASEWORKER)
    other_household = f.HouseholdFactory(organisation=other_association, display_name="Ménage Étienne-Bis", reference="B-0001")
    f.SupportMeasureFactory(household=other_household, organisation=other_association, referent=dora)
    return {
        "bob": bob, "charlie": charlie, "lead": lead, "sophie": sophie, "dora": dora,
        "household": household, "measure": measure, "goal": goal, "closed_goal": closed_goal,
        "other_household": other_household,
    }


def draft(world, **changes) -> dict:
    data = {
        "household": world["household"].pk,
        "kind": ContactKind.HOME_VISIT,
        "occurred_on": timezone.localdate().isoformat(),
        "duration_preset": "45",
        "note": "Point sur le budget du mois.",
        "goals": [world["goal"].pk],
        "client_uuid": str(uuid.uuid4()),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# ----------------------------------------------------------------- service


def test_contact_log_creates_one_contact_with_its_audit_row(world):
    contact, created = contacts.contact_log(
        actor=actor(world["bob"]), household=world["household"], kind=ContactKind.HOME_VISIT,
        occurred_on=timezone.localdate(), duration_minutes=45, note="Visite : tout va bien.",
        goals=[world["goal"]], client_uuid=uuid.uuid4(),
    )
    assert created
    stored = Contact.objects.get()
    assert stored.pk == contact.pk
    assert (stored.measure, stored.household, stored.author) == (world["measure"], world["household"], world["bob"])
    assert (stored.kind, stored.status, stored.duration_minutes) == (ContactKind.HOME_VISIT, "done", 45)
    assert list(stored.goals.all()) == [world["goal"]]
    row = AuditLog.objects.get(action="create", model_label="households.Contact", object_id=str(contact.pk))
    assert row.membership_id == world["bob"].pk
    assert {"note", "goals", "kind", "occurred_on"} <= set(row.fields)
    assert "tout va bien" not in str(row.fields) + row.reason  # names only, never values


def test_the_same_client_uuid_twice_stores_one_contact(world):
    key = uuid.uuid4()
    kwargs = dict(actor=actor(world["bob"]), household=world["household"], kind=ContactKind.PHONE,
                  occurred_on=timezone.localdate(), duration_minutes=10, client_uuid=key)
    first, created_first = contacts.contact_log(**kwargs)
    second, created_second = contacts.contact_log(**kwargs)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Contact.objects.filter(client_uuid=key).count() == 1


def test_a_lost_race_on_the_unique_uuid_returns_the_winner(world, monkeypatch):
    """The existence check missed the other request's row: the unique constraint decides."""
    key = uuid.uuid4()
    winner = f.ContactFactory(measure=world["measure"], author=world["bob"], client_uuid=key, occurred_on=timezone.localdate())
    real = contacts._existing_contact
    calls = []

    def stale_then_real(client_uuid):
        calls.append(client_uuid)
        return None if len(calls) == 1 else real(client_uuid)  # the first look happened before the winner committed

    monkeypatch.setattr(contacts, "_existing_contact", stale_then_real)
    with transaction.atomic():
        contact, created = contacts.contact_log(
            actor=actor(world["bob"]), household=world["household"], kind=ContactKind.PHONE,
            occurred_on=timezone.localdate(), client_uuid=key,
        )
        # The savepoint kept the surrounding transaction usable.
        assert Household.objects.filter(pk=world["household"].pk).exists()
    assert (contact.pk, created) == (winner.pk, False)
    assert Contact.objects.filter(client_uuid=key).count() == 1
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_of_one_draft_store_one_contact(world, monkeypatch):
    """Two threads (two connections) pass the existence check together, then both insert."""
    key = uuid.uuid4()
    barrier = threading.Barrier(2, timeout=10)
    real = contacts._existing_contact
    local = threading.local()

    def synchronised(client_uuid):
        found = real(client_uuid)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()  # both requests have looked before either has written
        return found

    monkeypatch.setattr(contacts, "_existing_contact", synchronised)
    results, errors = [], []

    def post():
        try:
            results.append(contacts.contact_log(
                actor=actor(world["bob"]), household=world["household"], kind=ContactKind.OFFICE,
                occurred_on=timezone.localdate(), duration_minutes=30, client_uuid=key,
            ))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    assert sorted(created for _, created in results) == [False, True]
    assert len({contact.pk for contact, _ in results}) == 1
    assert Contact.objects.filter(client_uuid=key).count() == 1


def test_landlord_adviser_may_not_log_a_contact_on_the_association_measure(world):
    with pytest.raises(PermissionDenied):
        contacts.contact_log(
            actor=actor(world["sophie"]), household=world["household"], kind=ContactKind.JOINT_VISIT,
            occurred_on=timezone.localdate(), client_uuid=uuid.uuid4(),
        )
    assert not Contact.objects.exists()


# ----------------------------------------------------------------- drafts (sync endpoint)


def test_sync_posting_a_draft_twice_answers_201_then_200_and_stores_one_row(client, world):
    login_as(client, world["bob"])
    data = draft(world)
    first = client.post(SYNC, data)
    second = client.post(SYNC, data)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["status"] == "created" and second.json()["status"] == "exists"
    assert first.json()["id"] == second.json()["id"]
    assert "Contact enregistré pour Ménage Étienne" in first.json()["message"]
    contact = Contact.objects.get(client_uuid=data["client_uuid"])
    assert contact.duration_minutes == 45
    assert list(contact.goals.all()) == [world["goal"]]
    assert AuditLog.objects.filter(action="create", model_label="households.Contact").count() == 1


def test_sync_a_bad_draft_is_a_400_with_french_errors_and_writes_nothing(client, world):
    login_as(client, world["bob"])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(SYNC, draft(world, kind=None, duration_preset=None, duration_other="5000"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["kind"] == ["Choisissez le type de contact."]
    assert "1 440 minutes" in errors["duration_other"][0]
    # Valid form, refused by the service: a date in the future, a goal already reached.
    response = client.post(SYNC, draft(world, occurred_on=tomorrow, goals=[world["closed_goal"].pk]))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "futur" in errors["occurred_on"][0]
    assert "objectifs en cours" in errors["goals"][0]
    assert not Contact.objects.exists()
    assert not AuditLog.objects.filter(model_label="households.Contact", action="create").exists()


def test_a_nul_byte_is_a_400_not_a_500(client, world):
    login_as(client, world["bob"])
    response = client.post(SYNC, draft(world, note="Visite\x00"))
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    with pytest.raises(ValidationError):
        contacts.contact_log(actor=actor(world["bob"]), household=world["household"], kind=ContactKind.PHONE,
                             occurred_on=timezone.localdate(), note="a\x00b")
    assert not Contact.objects.exists()


def test_sync_another_organisations_household_is_a_404(client, world):
    login_as(client, world["bob"])
    response = client.post(SYNC, draft(world, household=world["other_household"].pk))
    assert response.status_code == 404
    assert "Étienne-Bis" not in response.content.decode()
    assert not Contact.objects.exists()


def test_sync_landlord_adviser_is_refused_with_403(client, world):
    login_as(client, world["sophie"])
    response = client.post(SYNC, draft(world, note=""))
    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_sync_signed_out_is_a_401_not_a_redirect(client, world):
    response = client.post(SYNC, draft(world))
    assert response.status_code == 401
    assert "session" in response.json()["message"]


def test_sync_a_uuid_already_used_by_someone_else_is_a_400_without_their_contact(client, world):
    key = uuid.uuid4()
    f.ContactFactory(measure=world["measure"], author=world["charlie"], client_uuid=key, occurred_on=timezone.localdate())
    login_as(client, world["bob"])
    response = client.post(SYNC, draft(world, client_uuid=str(key)))
    assert response.status_code == 400
    assert "client_uuid" in response.json()["errors"]
    assert Contact.objects.count() == 1


def test_a_colleague_off_the_team_may_log_a_contact_but_not_write_its_note(client, world):
    login_as(client, world["charlie"])
    response = client.post(SYNC, draft(world))
    assert response.status_code == 400
    assert "équipe" in response.json()["errors"]["note"][0]
    assert not Contact.objects.exists()
    response = client.post(SYNC, draft(world, note=""))
    assert response.status_code == 201


# ----------------------------------------------------------------- the form


def test_form_get_opens_with_today_a_fresh_uuid_and_the_preselected_household(client, world):
    login_as(client, world["bob"])
    response = client.get(NEW, {"menage": world["household"].pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ménage Étienne" in html and "Ouvrir les droits APL" in html
    assert "Objectif atteint" not in html  # only open goals
    assert f'value="{timezone.localdate().isoformat()}"' in html
    assert 'name="client_uuid" value="' in html
    for label in ("Visite à domicile", "Entretien au bureau", "Appel", "Visite conjointe bailleur-association",
                  "Atelier collectif", "Rendez-vous non honoré"):
        assert label in html


def test_form_htmx_post_swaps_in_a_confirmation(client, world):
    login_as(client, world["bob"])
    response = client.post(NEW, {**draft(world), "action": "save"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert f"Contact enregistré pour Ménage Étienne — {today}, visite à domicile" in html
    assert "Saisir un autre contact" in html
    assert "<html" not in html  # a fragment, not a page
    assert Contact.objects.count() == 1


def test_form_without_javascript_posts_then_redirects_to_a_get_confirmation(client, world):
    login_as(client, world["bob"])
    response = client.post(NEW, {**draft(world), "action": "save"})
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("households:contact_saved", kwargs={"pk": contact.pk})
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Contact enregistré pour Ménage Étienne" in page.content.decode()
    # Reloading the confirmation writes nothing; re-posting the same form is recognised.
    client.get(response["Location"])
    client.post(NEW, {**draft(world, client_uuid=str(contact.client_uuid)), "action": "save"})
    assert Contact.objects.count() == 1


def test_form_errors_are_a_400_with_the_input_kept(client, world):
    login_as(client, world["bob"])
    response = client.post(NEW, {**draft(world, kind=None, note="Je garde ce texte"), "action": "save"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choisissez le type de contact." in html
    assert "Je garde ce texte" in html
    assert "Ménage Étienne" in html
    assert not Contact.objects.exists()


def test_form_without_household_asks_for_one(client, world):
    login_as(client, world["bob"])
    response = client.post(NEW, {**draft(world, household=None), "action": "save"})
    assert response.status_code == 400
    assert "Choisissez un ménage." in response.content.decode()


def test_a_missed_appointment_is_stored_without_duration(client, world):
    login_as(client, world["bob"])
    response = client.post(SYNC, draft(world, kind=ContactKind.NO_SHOW, duration_preset="30", note=""))
    assert response.status_code == 201
    assert Contact.objects.get().duration_minutes is None


def test_the_picker_works_without_javascript(client, world):
    login_as(client, world["bob"])
    response = client.post(NEW, {**draft(world, household=None), "action": "chercher", "q": "etienne"})
    assert response.status_code == 200
    assert f'name="choisir" value="{world["household"].pk}"' in response.content.decode()
    response = client.post(NEW, {**draft(world, household=None), "choisir": str(world["household"].pk)})
    assert response.status_code == 200
    assert 'name="household" value="%d"' % world["household"].pk in response.content.decode()
    assert not Contact.objects.exists()


def test_landlord_adviser_cannot_open_the_form_on_the_household(client, world):
    login_as(client, world["sophie"])
    assert client.get(NEW, {"menage": world["household"].pk}).status_code == 403
    login_as(client, world["bob"])
    assert client.get(NEW, {"menage": world["other_household"].pk}).status_code == 404


def test_national_staff_cannot_log_contacts(client, world):
    national = f.MembershipFactory(national_staff=True)
    login_as(client, national)
    assert client.get(NEW).status_code == 403
    assert client.post(SYNC, draft(world)).status_code == 403


# ----------------------------------------------------------------- search


def test_search_ignores_accents_and_case_and_lists_own_households_first(client, world):
    colleague_household = f.HouseholdFactory(organisation=world["bob"].organisation, display_name="Ménage Etiennette", reference="A-0002")
    f.SupportMeasureFactory(household=colleague_household, organisation=world["bob"].organisation, referent=world["charlie"])
    login_as(client, world["bob"])
    for query in ("etienne", "ÉTIENNE", "Étien", "a-0001"):
        html = client.get("/menages/recherche/", {"q": query}).content.decode()
        assert "Ménage Étienne" in html, query
    html = client.get("/menages/recherche/", {"q": "etien"}).content.decode()
    assert html.index("Ménage Étienne<") < html.index("Ménage Etiennette")
    assert "Étienne-Bis" not in html  # association B's household, same name


def test_search_finds_a_household_by_the_name_of_one_of_its_people(client, world):
    f.PersonFactory(household=world["household"], first_name="Zoé", last_name="Lefèvre")
    login_as(client, world["bob"])
    assert "Ménage Étienne" in client.get("/menages/recherche/", {"q": "zoe lefevre"}).content.decode()


def test_search_never_returns_invisible_households(client, world):
    archived = f.HouseholdFactory(organisation=world["bob"].organisation, display_name="Ménage Étienne-Archive", archived=True)
    f.SupportMeasureFactory(household=archived, organisation=world["bob"].organisation, referent=world["bob"])
    login_as(client, world["bob"])
    html = client.get("/menages/recherche/", {"q": "etienne"}).content.decode()
    assert "Archive" not in html and "Étienne-Bis" not in html
    login_as(client, world["dora"])
    html = client.get("/menages/recherche/", {"q": "etienne"}).content.decode()
    assert "Étienne-Bis" in html and "Ménage Étienne<" not in html
    # The landlord sees the household's file, but does not support it: no contact, no search hit.
    login_as(client, world["sophie"])
    assert "Ménage Étienne" not in client.get("/menages/recherche/", {"q": "etienne"}).content.decode()


def test_before_typing_the_search_shows_my_recent_households(client, world):
    login_as(client, world["bob"])
    html = client.get("/menages/recherche/").content.decode()
    assert "Mes ménages récents" in html and "Ménage Étienne" in html


def test_search_and_form_cost_the_same_for_5_or_25_households(client, world, django_assert_num_queries):
    login_as(client, world["bob"])
    for count in (5, 25):
        for n in range(count - Household.objects.filter(organisation=world["bob"].organisation).count() + 1):
            household = f.HouseholdFactory(organisation=world["bob"].organisation, display_name=f"Ménage Étienne {count}-{n}")
            f.SupportMeasureFactory(household=household, organisation=world["bob"].organisation, referent=world["bob"])
        # Session, user, acting memberships (3) + the households with their "mine" and last-contact
        # subqueries (1) + the sliding session's save (savepoint, update, release: 3) = 7.
        with django_assert_num_queries(7):
            response = client.get("/menages/recherche/", {"q": "etienne"})
        assert response.status_code == 200
        # The empty form: the same 3 + my recent households (1) + session save (3) = 7.
        with django_assert_num_queries(7):
            assert client.get(NEW).status_code == 200


def test_the_household_block_lists_the_open_goals_of_the_measure(client, world):
    login_as(client, world["bob"])
    response = client.get("/contacts/nouveau/menage/", {"menage": world["household"].pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ouvrir les droits APL" in html and "Objectif atteint" not in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert world["closed_goal"].status == GoalStatus.ACHIEVED
