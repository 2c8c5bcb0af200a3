"""The household list, the household file and its edit screens, as the people who use them.

Personas (two landlord–association pairs, A and B):

- ``karima`` caseworker of association A, référent of the Hélène household
  (on its team: she reads the social notes);
- ``colin`` caseworker of association A who is *not* on that team;
- ``lea`` team lead of association A, on the team;
- ``sophie`` landlord adviser of landlord A, lessor of the household's lease
  (tenancy side only: never a note);
- ``bruno`` caseworker of association B (another organisation: 404).
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditLog
from households.models import (
    Consent,
    ConsentPurpose,
    Contact,
    GoalReview,
    Household,
    Intensity,
    Mandate,
    Outcome,
    Person,
    Phase,
    SupportGoal,
    SupportMeasure,
)
from partners.acting import SESSION_KEY
from partners.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NOTE_HEALTH = "NOTE-SANTE-confidentielle"
NOTE_CONTACT = "NOTE-CONTACT-confidentielle"
NOTE_DIAGNOSTIC = "NOTE-DIAGNOSTIC-confidentielle"


def login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


def build_pair(label: str) -> dict:
    landlord = f.OrganisationFactory(landlord=True, name=f"Bailleur {label}")
    association = f.OrganisationFactory(association=True, name=f"Association {label}")
    project = f.ProjectFactory(lead_landlord=landlord)
    f.ProjectCarrierFactory(project=project, organisation=landlord, role="lead")
    f.ProjectCarrierFactory(project=project, organisation=association, role="partner")
    people = {
        "caseworker": f.MembershipFactory(organisation=association, role=Role.CASEWORKER,
                                          user__first_name="Karima", user__last_name=f"Référente{label}"),
        "colleague": f.MembershipFactory(organisation=association, role=Role.CASEWORKER),
        "lead": f.MembershipFactory(organisation=association, role=Role.TEAM_LEAD),
        "admin": f.MembershipFactory(organisation=association, role=Role.ORG_ADMIN),
        "adviser": f.MembershipFactory(organisation=landlord, role=Role.LANDLORD_ADVISER),
    }
    household = f.HouseholdFactory(
        organisation=association, project=project, display_name=f"Ménage Hélène {label}", health_notes=NOTE_HEALTH,
    )
    f.PersonFactory(household=household, first_name="Zoé", last_name=f"Lefèvre{label}", birth_date=datetime.date(1990, 6, 17))
    measure = f.SupportMeasureFactory(
        household=household, project=project, organisation=association, referent=people["caseworker"],
        diagnostic_notes=NOTE_DIAGNOSTIC,
    )
    f.TeamMemberFactory(measure=measure, membership=people["caseworker"], role="referent")
    f.TeamMemberFactory(measure=measure, membership=people["lead"], role="lead")
    f.LeaseFactory(lessor=landlord, unit=f.HousingUnitFactory(landlord=landlord), occupant=household, tenant_household=household)
    contact = f.ContactFactory(measure=measure, note=NOTE_CONTACT, occurred_on=TODAY - datetime.timedelta(days=3))
    goal = f.SupportGoalFactory(measure=measure)
    f.GoalReviewFactory(goal=goal)
    f.MandateFactory(measure=measure, starts_on=TODAY - datetime.timedelta(days=100), ends_on=TODAY + datetime.timedelta(days=20))
    return {
        "landlord": landlord, "association": association, "project": project, "people": people,
        "household": household, "measure": measure, "contact": contact, "goal": goal,
    }


@pytest.fixture
def world(settings):
    settings.SECOND_FACTOR_REQUIRED = False  # the second factor has its own tests
    return {"a": build_pair("A"), "b": build_pair("B")}


def extra_household(pair: dict, name: str, *, phase_trait: str | None = None, referent="default", **kwargs) -> Household:
    household = f.HouseholdFactory(organisation=pair["association"], project=pair["project"], display_name=name, **kwargs)
    traits = {phase_trait: True} if phase_trait else {}
    if referent == "default":
        referent = pair["people"]["caseworker"]
    f.SupportMeasureFactory(household=household, project=pair["project"], organisation=pair["association"],
                            referent=referent, **traits)
    return household


def names(response) -> list[str]:
    return [household.display_name for household in response.context["listing"].rows]


# --------------------------------------------------------------------------
# List
# --------------------------------------------------------------------------


def test_list_shows_the_households_of_the_acting_organisation_only(client, world):
    login(client, world["a"]["people"]["caseworker"])
    response = client.get("/menages/")
    assert response.status_code == 200
    assert names(response) == ["Ménage Hélène A"]
    assert "Ménage Hélène B" not in response.content.decode()


def test_search_ignores_accents_and_finds_people_by_name(client, world):
    extra_household(world["a"], "Ménage Martin")
    login(client, world["a"]["people"]["caseworker"])
    assert names(client.get("/menages/", {"q": "helene"})) == ["Ménage Hélène A"]
    assert names(client.get("/menages/", {"q": "HÉLÈNE a"})) == ["Ménage Hélène A"]
    assert names(client.get("/menages/", {"q": "zoe lefevrea"})) == ["Ménage Hélène A"]  # a person of the household
    assert names(client.get("/menages/", {"q": "martin"})) == ["Ménage Martin"]
    response = client.get("/menages/", {"q": "helene b"})  # the other association's household stays invisible
    assert names(response) == [] and "Aucun ménage ne correspond" in response.content.decode()


def test_filters_phase_referent_without_referent_and_not_seen(client, world):
    pair = world["a"]
    extra_household(pair, "Ménage Repérage", phase_trait="identification", referent=None)
    extra_household(pair, "Ménage Clos", phase_trait="ended")
    login(client, pair["people"]["lead"])
    assert names(client.get("/menages/", {"phase": Phase.IDENTIFICATION})) == ["Ménage Repérage"]
    assert names(client.get("/menages/", {"phase": Phase.ENDED})) == ["Ménage Clos"]
    assert names(client.get("/menages/", {"no_referent": "on"})) == ["Ménage Repérage"]
    assert names(client.get("/menages/", {"referent": pair["people"]["caseworker"].pk})) == ["Ménage Hélène A"]
    # Households in support with no contact done for 30 days (the Hélène household was seen 3 days ago).
    assert names(client.get("/menages/", {"not_seen_for": 30})) == ["Ménage Repérage"]
    assert names(client.get("/menages/", {"not_seen_for": 2})) == ["Ménage Hélène A", "Ménage Repérage"]


def test_referent_choices_are_the_acting_organisations_members(client, world):
    login(client, world["a"]["people"]["lead"])
    response = client.get("/menages/")
    choices = {m.pk for m in response.context["filters"].fields["referent"].queryset}
    assert world["a"]["people"]["caseworker"].pk in choices
    assert world["b"]["people"]["caseworker"].pk not in choices
    # Another organisation's référent in the URL matches nothing, reveals nothing.
    assert names(client.get("/menages/", {"referent": world["b"]["people"]["caseworker"].pk})) == []


def test_sort_by_name_and_by_last_contact(client, world):
    pair = world["a"]
    anna = extra_household(pair, "Ménage Anna")
    zola = extra_household(pair, "Ménage Zola")
    f.ContactFactory(measure=anna.measures.get(), occurred_on=TODAY - datetime.timedelta(days=40))
    login(client, pair["people"]["caseworker"])
    assert names(client.get("/menages/", {"tri": "nom"})) == ["Ménage Anna", "Ménage Hélène A", "Ménage Zola"]
    assert names(client.get("/menages/", {"tri": "-nom"})) == ["Ménage Zola", "Ménage Hélène A", "Ménage Anna"]
    # Oldest contact first; never seen comes before everybody.
    assert names(client.get("/menages/", {"tri": "dernier-contact"})) == ["Ménage Zola", "Ménage Anna", "Ménage Hélène A"]
    assert zola.display_name in client.get("/menages/", {"tri": "fin-mandat"}).content.decode()


def test_the_landlord_list_shows_the_tenancy_side_only(client, world):
    login(client, world["a"]["people"]["adviser"])
    response = client.get("/menages/")
    html = response.content.decode()
    assert names(response) == ["Ménage Hélène A"]
    assert "Fin du mandat" not in html and "Référent" not in html
    assert NOTE_CONTACT not in html


def test_list_query_count_does_not_grow_with_the_caseload(client, world):
    pair = world["a"]
    login(client, pair["people"]["caseworker"])

    def count_queries(total: int) -> int:
        while Household.objects.filter(organisation=pair["association"]).count() < total:
            household = extra_household(pair, f"Ménage {Household.objects.count():03d}")
            f.ContactFactory(measure=household.measures.get(), occurred_on=TODAY)
            f.MandateFactory(measure=household.measures.get())
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/menages/", {"referent": pair["people"]["caseworker"].pk}).status_code == 200
        return len(ctx.captured_queries)

    ten, forty = count_queries(10), count_queries(40)
    assert ten == forty
    # Session, user and memberships (3); the page and its count (2), each row's
    # columns being subqueries of that one query; the choices of the project
    # and référent filters (2) and the check of the chosen référent (1);
    # session save and its savepoints (3).
    assert forty <= 11, forty


# --------------------------------------------------------------------------
# The household file
# --------------------------------------------------------------------------


def test_the_team_member_reads_the_whole_file(client, world):
    pair = world["a"]
    login(client, pair["people"]["caseworker"])
    response = client.get(f"/menages/{pair['household'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in (NOTE_HEALTH, NOTE_CONTACT, NOTE_DIAGNOSTIC, "Zoé", "Modifier le ménage", "Renouveler le mandat",
                 "Ajouter un objectif", "Bilan à 2 mois", "Recueillir un consentement"):
        assert text in html, text
    # The mandate ends in 20 days: the synthesis says so.
    assert "Le mandat se termine dans 20 jours" in html
    assert 'hx-get="/menages/%d/parcours-locatif/"' % pair["household"].pk in html


def test_the_landlord_adviser_sees_the_tenancy_side_without_notes(client, world):
    pair = world["a"]
    login(client, pair["people"]["adviser"])
    response = client.get(f"/menages/{pair['household'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    for secret in (NOTE_HEALTH, NOTE_CONTACT, NOTE_DIAGNOSTIC):
        assert secret not in html
    # Phase and contact dates and types, yes; the support plan and edit buttons, no.
    assert "Accompagnement" in html and "Visite à domicile" in html
    assert (TODAY - datetime.timedelta(days=3)).strftime("%d/%m/%Y") in html
    for hidden in ("Bilan à 2 mois", "Modifier le ménage", "Renouveler le mandat", "Clore l'accompagnement"):
        assert hidden not in html, hidden
    # Resources and the situation before entry are the social side (consent for social details only).
    household = pair["household"]
    assert household.resources_kind and household.resources_kind not in html
    assert "Réservées à la structure qui accompagne" in html


def test_a_colleague_off_the_team_reads_no_note(client, world):
    pair = world["a"]
    login(client, pair["people"]["colleague"])
    html = client.get(f"/menages/{pair['household'].pk}/").content.decode()
    for secret in (NOTE_HEALTH, NOTE_CONTACT, NOTE_DIAGNOSTIC):
        assert secret not in html
    assert "réservée à l'équipe" in html


def test_another_organisations_household_is_a_404(client, world):
    login(client, world["a"]["people"]["caseworker"])
    other = world["b"]["household"]
    for url in (f"/menages/{other.pk}/", f"/menages/{other.pk}/contacts/", f"/menages/{other.pk}/modifier/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Hélène B" not in response.content.decode()


def test_opening_the_file_writes_an_audit_row(client, world):
    pair = world["a"]
    me = pair["people"]["caseworker"]
    login(client, me)
    before = AuditLog.objects.filter(action="view", object_id=str(pair["household"].pk)).count()
    client.get(f"/menages/{pair['household'].pk}/")
    client.get(f"/menages/{pair['household'].pk}/")
    rows = AuditLog.objects.filter(action="view", model_label="households.Household", object_id=str(pair["household"].pk))
    assert rows.count() == before + 2
    row = rows.latest("at")
    assert (row.membership_id, row.organisation_id) == (me.pk, pair["association"].pk)


def test_the_archived_file_is_read_only(client, world):
    pair = world["a"]
    Household.objects.filter(pk=pair["household"].pk).update(archived_at=timezone.now())
    login(client, pair["people"]["admin"])  # the archive is the organisation admin's
    response = client.get(f"/menages/{pair['household'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and "Dossier archivé" in html
    assert "Modifier le ménage" not in html and "Renouveler le mandat" not in html
    assert client.get(f"/menages/{pair['household'].pk}/modifier/").status_code == 403
    # Not in the list by default; with the archive filter, yes.
    assert names(client.get("/menages/")) == []
    assert names(client.get("/menages/", {"archived": "on"})) == ["Ménage Hélène A"]
    login(client, pair["people"]["caseworker"])
    assert client.get(f"/menages/{pair['household'].pk}/").status_code == 404


def test_the_file_caps_contacts_and_the_full_list_is_paginated(client, world):
    pair = world["a"]
    for day in range(30):
        f.ContactFactory(measure=pair["measure"], occurred_on=TODAY - datetime.timedelta(days=10 + day), note=f"note-{day}")
    login(client, pair["people"]["caseworker"])
    response = client.get(f"/menages/{pair['household'].pk}/")
    assert len(response.context["file"].contacts) == 20
    assert "Les 20 derniers contacts sur 31." in response.content.decode()
    page = client.get(f"/menages/{pair['household'].pk}/contacts/")
    assert page.status_code == 200 and page.context["listing"].total == 31
    assert len(page.context["listing"].rows) == 25
    assert NOTE_CONTACT in page.content.decode()
    login(client, pair["people"]["adviser"])
    assert NOTE_CONTACT not in client.get(f"/menages/{pair['household'].pk}/contacts/").content.decode()


def test_file_query_count_does_not_grow_with_contacts_and_goals(client, world):
    pair = world["a"]
    household, measure = pair["household"], pair["measure"]
    login(client, pair["people"]["caseworker"])

    def count_queries(contacts: int) -> int:
        while Contact.objects.filter(household=household).count() < contacts:
            f.ContactFactory(measure=measure, occurred_on=TODAY - datetime.timedelta(days=5))
            goal = f.SupportGoalFactory(measure=measure)
            f.GoalReviewFactory(goal=goal)
            f.PersonFactory(household=household)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/menages/{household.pk}/").status_code == 200
        return len(ctx.captured_queries)

    three, thirty = count_queries(3), count_queries(30)
    assert three == thirty
    # Session, user, memberships (3); the household through the access policy
    # (1) and its audit row (1); the actor's relations to the household (team,
    # leases, consents: 4 queries for each of the 5 field-policy and button
    # checks, on the household and on its one measure); one query per section
    # (people, referrals, consents, measures, mandates, team, goals, reviews,
    # 20 contacts, their count with the last contact); session save.
    assert thirty <= 45, thirty


# --------------------------------------------------------------------------
# Edit screens
# --------------------------------------------------------------------------


def test_edit_the_household_writes_and_audits(client, world):
    pair = world["a"]
    household = pair["household"]
    login(client, pair["people"]["caseworker"])
    form = client.get(f"/menages/{household.pk}/modifier/")
    assert form.status_code == 200 and "health_notes" in form.context["form"].fields
    data = {
        "version": household.version, "display_name": "Ménage Hélène-Marie", "nur": "069123456789", "prior_situation": "hotel",
        "monthly_resources": "1 234,50", "resources_kind": "RSA", "situation_notes": "", "health_notes": "Suivi CMP",
        "justice_notes": "", "violence_notes": "",
    }
    response = client.post(f"/menages/{household.pk}/modifier/", data)
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.display_name == "Ménage Hélène-Marie" and str(household.monthly_resources) == "1234.50"
    assert household.health_notes == "Suivi CMP" and household.version == 2
    row = AuditLog.objects.filter(action="update", object_id=str(household.pk)).latest("at")
    assert "health_notes" in row.fields and "Suivi CMP" not in str(row.fields)


def test_edit_keeps_input_and_says_what_is_wrong(client, world):
    pair = world["a"]
    household = pair["household"]
    login(client, pair["people"]["caseworker"])
    response = client.post(f"/menages/{household.pk}/modifier/", {
        "version": household.version, "display_name": "Ménage Hélène A", "nur": "12-34", "monthly_resources": "-5",
        "resources_kind": "Salaire de mars",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert "Numéro unique : 6 à 20 chiffres ou lettres majuscules." in html
    assert "Salaire de mars" in html  # input kept
    household.refresh_from_db()
    assert household.version == 1


def test_a_colleague_off_the_team_cannot_write_the_notes(client, world):
    pair = world["a"]
    household = pair["household"]
    login(client, pair["people"]["colleague"])
    form = client.get(f"/menages/{household.pk}/modifier/").context["form"]
    assert "health_notes" not in form.fields and "display_name" in form.fields
    client.post(f"/menages/{household.pk}/modifier/", {
        "version": household.version, "display_name": "Ménage Hélène A", "health_notes": "écrasé",
    })
    household.refresh_from_db()
    assert household.health_notes == NOTE_HEALTH


def test_concurrent_edit_shows_the_second_person_what_changed(client, world):
    pair = world["a"]
    household = pair["household"]
    first, second = pair["people"]["caseworker"], pair["people"]["lead"]
    from django.test import Client

    other = Client()
    login(client, first)
    login(other, second)
    version = client.get(f"/menages/{household.pk}/modifier/").context["form"].initial["version"]
    assert other.get(f"/menages/{household.pk}/modifier/").context["form"].initial["version"] == version
    base = {"version": version, "prior_situation": "third_party", "monthly_resources": "980,50", "resources_kind": "RSA, APL"}
    assert client.post(f"/menages/{household.pk}/modifier/", {**base, "display_name": "Ménage Hélène Dupont"}).status_code == 302
    response = other.post(f"/menages/{household.pk}/modifier/", {**base, "display_name": "Ménage Hélène Durand"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Valeur enregistrée entre-temps" in html
    assert "Ménage Hélène Dupont" in html and "Ménage Hélène Durand" in html  # both values, side by side
    household.refresh_from_db()
    assert household.display_name == "Ménage Hélène Dupont"
    # Saving again is a deliberate choice: it now goes through.
    retry = other.post(f"/menages/{household.pk}/modifier/", {**base, "version": household.version, "display_name": "Ménage Hélène Durand"})
    assert retry.status_code == 302


def test_landlord_adviser_may_not_change_the_support_measure(client, world):
    pair = world["a"]
    login(client, pair["people"]["adviser"])
    before = SupportMeasure.objects.get(pk=pair["measure"].pk).version
    for url in (f"/mesures/{pair['measure'].pk}/phase/", f"/mesures/{pair['measure'].pk}/mandats/nouveau/",
                f"/mesures/{pair['measure'].pk}/objectifs/nouveau/", f"/menages/{pair['household'].pk}/modifier/",
                f"/menages/{pair['household'].pk}/consentements/nouveau/"):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"target": "ended", "on": TODAY.isoformat(), "outcome": "maintained"}).status_code == 403, url
    # The support plan itself (goals) is not the landlord's to see: 404, not 403.
    assert client.post(f"/objectifs/{pair['goal'].pk}/bilans/nouveau/", {}).status_code == 404
    assert SupportMeasure.objects.get(pk=pair["measure"].pk).version == before
    assert not Mandate.objects.filter(measure=pair["measure"], number=2).exists()


def test_write_screens_of_another_organisation_are_404(client, world):
    login(client, world["a"]["people"]["caseworker"])
    theirs = world["b"]
    for url in (f"/mesures/{theirs['measure'].pk}/phase/", f"/mesures/{theirs['measure'].pk}/mandats/nouveau/",
                f"/objectifs/{theirs['goal'].pk}/bilans/nouveau/", f"/menages/{theirs['household'].pk}/personnes/nouvelle/"):
        assert client.post(url, {}).status_code == 404, url


def test_phase_screen_refuses_an_impossible_date_in_french(client, world):
    pair = world["a"]
    household = f.HouseholdFactory(organisation=pair["association"], project=pair["project"])
    measure = f.SupportMeasureFactory(household=household, project=pair["project"], organisation=pair["association"],
                                      referent=pair["people"]["caseworker"], identification=True)
    login(client, pair["people"]["caseworker"])
    page = client.get(f"/mesures/{measure.pk}/phase/")
    assert page.status_code == 200 and page.context["target"] == Phase.DIAGNOSTIC
    too_early = measure.identified_on - datetime.timedelta(days=1)
    response = client.post(f"/mesures/{measure.pk}/phase/", {"target": "diagnostic", "version": 1, "on": too_early.isoformat()})
    assert response.status_code == 400
    assert "La date ne peut pas précéder le repérage" in response.content.decode()
    measure.refresh_from_db()
    assert measure.phase == Phase.IDENTIFICATION and measure.diagnostic_on is None
    # Skipping the diagnostic is refused too.
    response = client.post(f"/mesures/{measure.pk}/phase/", {"target": "contract", "version": 1, "on": TODAY.isoformat()})
    assert response.status_code == 400 and "ne peut pas passer en" in response.content.decode()
    ok = client.post(f"/mesures/{measure.pk}/phase/?vers=diagnostic", {"target": "diagnostic", "version": 1, "on": TODAY.isoformat()})
    assert ok.status_code == 302
    measure.refresh_from_db()
    assert (measure.phase, measure.diagnostic_on) == (Phase.DIAGNOSTIC, TODAY)
    assert AuditLog.objects.filter(action="update", model_label="households.SupportMeasure", object_id=str(measure.pk)).exists()


def test_ending_a_measure_from_the_screen(client, world):
    pair = world["a"]
    meeting = f.CommitteeMeetingFactory(project=pair["project"], held_on=TODAY - datetime.timedelta(days=2))
    login(client, pair["people"]["caseworker"])
    url = f"/mesures/{pair['measure'].pk}/phase/?vers=ended"
    form = client.get(url).context["form"]
    assert {"on", "outcome", "end_meeting", "outcome_notes"} <= set(form.fields)
    response = client.post(url, {"target": "ended", "version": 1, "on": TODAY.isoformat(), "outcome": "",
                                 "end_meeting": meeting.pk})
    assert response.status_code == 400
    assert response.context["form"].errors["outcome"] == ["Indiquez l'issue de l'accompagnement."]
    assert "Indiquez l&#x27;issue de l&#x27;accompagnement." in response.content.decode()
    response = client.post(url, {"target": "ended", "version": 1, "on": TODAY.isoformat(), "outcome": Outcome.MAINTAINED,
                                 "end_meeting": meeting.pk, "outcome_notes": "Bilan positif"})
    assert response.status_code == 302
    measure = SupportMeasure.objects.get(pk=pair["measure"].pk)
    assert (measure.phase, measure.ended_on, measure.end_meeting_id, measure.outcome_notes) == (
        Phase.ENDED, TODAY, meeting.pk, "Bilan positif")


def test_concurrent_phase_change_is_a_409(client, world):
    pair = world["a"]
    login(client, pair["people"]["caseworker"])
    url = f"/mesures/{pair['measure'].pk}/phase/?vers=support"
    SupportMeasure.objects.filter(pk=pair["measure"].pk).update(intensity=Intensity.INTENSIVE, version=2)
    response = client.post(url, {"target": "support", "version": 1, "intensity": Intensity.LIGHT})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Valeur enregistrée entre-temps" in html and "Renforcé" in html
    assert SupportMeasure.objects.get(pk=pair["measure"].pk).intensity == Intensity.INTENSIVE


def test_renew_a_mandate_from_the_screen(client, world):
    pair = world["a"]
    last = pair["measure"].mandates.get()
    login(client, pair["people"]["caseworker"])
    page = client.get(f"/mesures/{pair['measure'].pk}/mandats/nouveau/")
    assert page.context["form"].initial["starts_on"] == last.ends_on + datetime.timedelta(days=1)
    response = client.post(f"/mesures/{pair['measure'].pk}/mandats/nouveau/", {
        "starts_on": last.ends_on.isoformat(), "ends_on": (last.ends_on + datetime.timedelta(days=180)).isoformat(),
    })
    assert response.status_code == 400 and "doit commencer après la fin du mandat n° 1" in response.content.decode()
    start = last.ends_on + datetime.timedelta(days=1)
    response = client.post(f"/mesures/{pair['measure'].pk}/mandats/nouveau/", {
        "starts_on": start.isoformat(), "ends_on": (start + datetime.timedelta(days=180)).isoformat(),
    })
    assert response.status_code == 302
    assert pair["measure"].mandates.get(number=2).starts_on == start


def test_goal_review_consent_and_person_screens(client, world):
    pair = world["a"]
    household, measure = pair["household"], pair["measure"]
    login(client, pair["people"]["caseworker"])
    response = client.post(f"/mesures/{measure.pk}/objectifs/nouveau/", {
        "domain": "rights", "title": "Ouvrir les droits à l'APL", "set_on": TODAY.isoformat(), "notes": "priorité",
    })
    assert response.status_code == 302
    goal = SupportGoal.objects.get(title="Ouvrir les droits à l'APL")
    assert sorted(goal.reviews.values_list("milestone", flat=True)) == ["m2", "m6"]

    response = client.post(f"/objectifs/{goal.pk}/bilans/nouveau/", {
        "milestone": "m2", "reviewed_on": TODAY.isoformat(), "progress": "60", "goal_status": "open",
    })
    assert response.status_code == 302
    assert goal.reviews.get(milestone="m2").progress == 60
    again = client.post(f"/objectifs/{goal.pk}/bilans/nouveau/", {
        "milestone": "m2", "reviewed_on": TODAY.isoformat(), "progress": "70", "goal_status": "open",
    })
    assert again.status_code == 400 and "déjà enregistré" in again.content.decode()

    response = client.post(f"/menages/{household.pk}/consentements/nouveau/", {
        "partner": pair["landlord"].pk, "purpose": ConsentPurpose.SUPPORT_PROGRESS, "given_on": TODAY.isoformat(),
    })
    assert response.status_code == 302
    consent = Consent.objects.get(household=household, purpose=ConsentPurpose.SUPPORT_PROGRESS)
    assert consent.recorded_by_id == pair["people"]["caseworker"].pk
    duplicate = client.post(f"/menages/{household.pk}/consentements/nouveau/", {
        "partner": pair["landlord"].pk, "purpose": ConsentPurpose.SUPPORT_PROGRESS, "given_on": TODAY.isoformat(),
    })
    assert duplicate.status_code == 400 and "déjà en cours" in duplicate.content.decode()
    response = client.post(f"/consentements/{consent.pk}/retrait/", {"version": consent.version, "withdrawn_on": TODAY.isoformat()})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == TODAY

    response = client.post(f"/menages/{household.pk}/personnes/nouvelle/", {
        "role": "child", "first_name": "Léo", "last_name": "Hélène", "birth_date": (TODAY + datetime.timedelta(days=5)).isoformat(),
    })
    assert response.status_code == 400 and "ne peut pas être dans le futur" in response.content.decode()
    assert "Léo" in response.content.decode()  # input kept
    response = client.post(f"/menages/{household.pk}/personnes/nouvelle/", {
        "role": "child", "first_name": "Léo", "last_name": "Hélène", "birth_date": "2020-05-01",
    })
    assert response.status_code == 302
    assert Person.objects.filter(household=household, first_name="Léo").exists()
    assert AuditLog.objects.filter(action="create", model_label="households.Person").exists()
    assert GoalReview.objects.filter(goal=goal, reviewed_on=TODAY).count() == 1
