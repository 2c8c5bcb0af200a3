"""Regressions found in review of the web application (issue 6).

Personas and world: ``tests/households/test_file_views.py`` (two
landlord–association pairs A and B).
"""

from __future__ import annotations

import uuid

import pytest

from households.models import Household
from tests.households.test_file_views import login, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

HUGE = "9" * 25


def test_a_colleague_off_the_team_neither_sees_nor_lifts_the_domestic_violence_flag(client, world):
    pair = world["a"]
    household = pair["household"]
    Household.objects.filter(pk=household.pk).update(domestic_violence=True)
    login(client, pair["people"]["colleague"])  # same association, not on the household's team
    form = client.get(f"/menages/{household.pk}/modifier/").context["form"]
    assert "domestic_violence" not in form.fields
    # Saving the card (no checkbox in the form) leaves the protection in place.
    response = client.post(f"/menages/{household.pk}/modifier/", {
        "version": household.version, "display_name": "Ménage Hélène A bis", "prior_situation": household.prior_situation,
    })
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.display_name == "Ménage Hélène A bis" and household.domestic_violence is True


def test_the_team_still_sees_and_sets_the_domestic_violence_flag(client, world):
    pair = world["a"]
    household = pair["household"]
    login(client, pair["people"]["caseworker"])  # référent: on the team
    form = client.get(f"/menages/{household.pk}/modifier/").context["form"]
    assert "domestic_violence" in form.fields


@pytest.mark.parametrize("url", [
    "/contacts/nouveau/?menage=" + HUGE, "/contacts/nouveau/?menage=abc", "/contacts/nouveau/menage/?menage=" + HUGE,
    "/menages/recherche/?q=a%00b", "/menages/?q=a%00b", "/menages/?not_seen_for=" + HUGE, "/menages/?referent=" + HUGE,
    "/menages/?project=" + HUGE, "/menages/?page=" + HUGE, "/projets/?q=a%00b", "/projets/?session=" + HUGE,
    "/?referent=" + HUGE, "/?jours=" + HUGE,
])
def test_malformed_query_parameters_never_give_a_server_error(client, world, url):
    login(client, world["a"]["people"]["lead"])
    assert client.get(url).status_code < 500


@pytest.mark.parametrize("changes", [
    {"household": HUGE}, {"goals": [HUGE]}, {"measure": HUGE}, {"note": "a\x00b"}, {"duration_other": HUGE},
    {"occurred_on": "31/02/2026"},
])
def test_malformed_contacts_are_refused_with_a_400_or_404_not_a_500(client, world, changes):
    pair = world["a"]
    login(client, pair["people"]["caseworker"])
    data = {"kind": "home_visit", "occurred_on": "20/11/2026", "household": str(pair["household"].pk),
            "client_uuid": str(uuid.uuid4()), **changes}
    assert client.post("/contacts/nouveau/", data).status_code in (400, 404)
    assert client.post("/contacts/brouillons/", {**data, "client_uuid": str(uuid.uuid4())}).status_code in (400, 404)


def test_reassignment_with_unknown_ids_is_refused_without_a_server_error(client, world):
    pair = world["a"]
    login(client, pair["people"]["lead"])
    assert client.post("/equipe/reaffecter/", {
        "measures": [HUGE], "referent": str(pair["people"]["caseworker"].pk)}).status_code == 404
    assert client.post("/equipe/reaffecter/", {"measures": [str(pair["measure"].pk)], "referent": HUGE}).status_code == 400
    # Another association's caseworker is not in the choice: refused, nothing written.
    other = world["b"]["people"]["caseworker"]
    assert client.post("/equipe/reaffecter/", {"measures": [str(pair["measure"].pk)], "referent": str(other.pk)}).status_code == 400
    pair["measure"].refresh_from_db()
    assert pair["measure"].referent_id == pair["people"]["caseworker"].pk


def test_a_consent_opens_the_file_to_the_partner_and_its_withdrawal_closes_it_at_once(client, world):
    from households.models import Consent, ConsentPurpose
    from tests.households.test_file_views import NOTE_CONTACT, NOTE_HEALTH

    pair, partner = world["a"], world["b"]["people"]["caseworker"]
    household = pair["household"]
    login(client, pair["people"]["caseworker"])
    response = client.post(f"/menages/{household.pk}/consentements/nouveau/", {
        "partner": world["b"]["association"].pk, "purpose": ConsentPurpose.SUPPORT_PROGRESS, "given_on": "01/11/2026",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    consent = Consent.objects.get(household=household, partner=world["b"]["association"])

    login(client, partner)
    page = client.get(f"/menages/{household.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert NOTE_CONTACT not in html and NOTE_HEALTH not in html  # support progress is not the social notes
    assert household.display_name in client.get("/menages/").content.decode()

    login(client, pair["people"]["caseworker"])
    assert client.post(f"/consentements/{consent.pk}/retrait/", {
        "withdrawn_on": "02/11/2026", "version": consent.version}).status_code == 302

    login(client, partner)
    assert client.get(f"/menages/{household.pk}/").status_code == 404
    assert client.get(f"/menages/{household.pk}/contacts/").status_code == 404
    assert household.display_name not in client.get("/menages/").content.decode()
    assert client.get(f"/projets/{pair['project'].pk}/menages/").status_code in (200, 404)
    assert household.display_name not in client.get(f"/projets/{pair['project'].pk}/menages/").content.decode()


def test_a_mandate_typed_in_the_wrong_century_is_refused_in_french(client, world):
    pair = world["a"]
    measure = pair["measure"]
    login(client, pair["people"]["caseworker"])
    response = client.post(f"/mesures/{measure.pk}/mandats/nouveau/", {"starts_on": "01/12/9999", "ends_on": "31/12/9999"})
    assert response.status_code == 400
    assert "Le mandat commence au plus tard dans un an" in response.content.decode()
    starts = measure.mandates.order_by("-number").first().ends_on
    too_long = client.post(f"/mesures/{measure.pk}/mandats/nouveau/", {
        "starts_on": (starts.replace(day=1) + __import__("datetime").timedelta(days=40)).strftime("%d/%m/%Y"),
        "ends_on": "31/12/2090",
    })
    assert too_long.status_code == 400 and "Un mandat dure au plus 36 mois" in too_long.content.decode()
    assert measure.mandates.count() == 1


def test_a_mandate_stored_at_the_end_of_the_calendar_does_not_break_the_renewal_screen(client, world):
    import datetime

    from households.models import Mandate

    pair = world["a"]
    measure = pair["measure"]
    Mandate.objects.filter(measure=measure).update(ends_on=datetime.date.max)  # an import, an old typo
    login(client, pair["people"]["caseworker"])
    assert client.get(f"/mesures/{measure.pk}/mandats/nouveau/").status_code == 200
    assert client.get(f"/menages/{pair['household'].pk}/").status_code == 200


def test_the_end_of_support_screen_costs_the_same_whatever_the_number_of_committee_meetings(client, world):
    """Each meeting in the "Fin décidée en comité" choice is labelled with its project's number: read with the meetings."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    pair = world["a"]
    url = f"/mesures/{pair['measure'].pk}/phase/?vers=ended"
    login(client, pair["people"]["caseworker"])
    counts = []
    for meetings in (2, 12):
        while pair["project"].committee_meetings.count() < meetings:
            f.CommitteeMeetingFactory(project=pair["project"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.context["form"].fields["end_meeting"].queryset) == meetings
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
