"""Housing screens as people use them: the landlord home and its lists, the two
panels of the household file, the forms of the eviction-prevention file.

Personas (DESIGN.md §6): ``adviser`` advises for landlord L, lessor of the
household's lease and lead of project P; ``admin`` is L's organisation
admin; ``caseworker`` is the référent of association A, which supports the
household; ``partner`` works for association C, to which a household under
domestic-violence protection consented to share its tenancy situation;
``stranger`` advises for landlord M, who has households of its own.
"""

from __future__ import annotations

import datetime
import html
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.access import Actor
from core.calendar import in_winter_truce
from core.models import AuditLog
from households.models import ConsentPurpose, ContactKind
from housing import services
from housing.models import EvictionStep, EvictionStepKind, Glissement, LeaseKind
from partners.acting import SESSION_KEY
from partners.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
D = datetime.date


def login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


def actor(membership) -> Actor:
    return Actor(user=membership.user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


def text(response) -> str:
    return html.unescape(response.content.decode())


def today():
    return timezone.localdate()


def supported_tenant(landlord, association, project, *, name, referent, lease_kind=LeaseKind.DIRECT, **household):
    """A household of ``association`` living in a lease of ``landlord``, with an open measure and a visit."""
    hh = f.HouseholdFactory(organisation=association, project=project, display_name=name, **household)
    measure = f.SupportMeasureFactory(household=hh, project=project, organisation=association, referent=referent)
    f.TeamMemberFactory(measure=measure, membership=referent, role="referent")
    f.ContactFactory(measure=measure, kind=ContactKind.PHONE, occurred_on=today() - datetime.timedelta(days=12),
                     note="SECRET-note de visite")
    unit = f.HousingUnitFactory(landlord=landlord, project=project, address="12 rue des Tilleuls")
    extra = {}
    if lease_kind == LeaseKind.SLIDING:
        extra = {"tenant_household": None, "tenant_organisation": association,
                 "planned_glissement_on": today() + datetime.timedelta(days=30)}
    lease = f.LeaseFactory(unit=unit, lessor=landlord, occupant=hh, kind=lease_kind, **extra)
    return hh, lease


@pytest.fixture
def world():
    landlord = f.OrganisationFactory(landlord=True, name="Bailleur Lumière")
    association = f.OrganisationFactory(association=True, name="Association Abri")
    partner_org = f.OrganisationFactory(association=True, name="Association Relais")
    other = f.OrganisationFactory(landlord=True, name="Bailleur Montagne")
    project = f.ProjectFactory(lead_landlord=landlord, number="2.3.9")
    f.ProjectCarrierFactory(project=project, organisation=landlord, role="lead")
    people = {
        "adviser": f.MembershipFactory(organisation=landlord, role=Role.LANDLORD_ADVISER,
                                       user__first_name="Sophie", user__last_name="Garnier"),
        "admin": f.MembershipFactory(organisation=landlord, role=Role.ORG_ADMIN),
        "caseworker": f.MembershipFactory(organisation=association, role=Role.CASEWORKER,
                                          user__first_name="Karim", user__last_name="Benali"),
        "partner": f.MembershipFactory(organisation=partner_org, role=Role.CASEWORKER),
        "stranger": f.MembershipFactory(organisation=other, role=Role.LANDLORD_ADVISER),
    }
    household, lease = supported_tenant(landlord, association, project, name="Ménage Martin", referent=people["caseworker"])
    case = services.eviction_case_open(actor=actor(people["adviser"]), lease=lease, opened_on=today() - datetime.timedelta(days=40),
                                       arrears_amount=Decimal("1234.56"))
    step = services.eviction_step_record(
        actor=actor(people["adviser"]), case=case, kind=EvictionStepKind.PAYMENT_ORDER, occurred_on=today() - datetime.timedelta(days=10),
        amount=Decimal("1234.56"), notes="SECRET-précision huissier",
    )
    protected, protected_lease = supported_tenant(
        landlord, association, project, name="Ménage Protégé", referent=people["caseworker"], domestic_violence=True,
    )
    protected_lease.unit.address = "7 impasse Cachée"
    protected_lease.unit.save()
    f.ConsentFactory(household=protected, partner=partner_org, purpose=ConsentPurpose.TENANCY)
    waiting = f.HouseholdFactory(organisation=association, project=project, display_name="Ménage Attente")
    f.SupportMeasureFactory(household=waiting, project=project, organisation=association, referent=people["caseworker"])
    f.AttributionStepFactory(household=waiting, kind="application", occurred_on=today() - datetime.timedelta(days=200))
    sliding_household, sliding = supported_tenant(
        landlord, association, project, name="Ménage Glissant", referent=people["caseworker"], lease_kind=LeaseKind.SLIDING,
    )
    # Landlord M's own tenant with a file.
    their_project = f.ProjectFactory(lead_landlord=other)
    their_association = f.OrganisationFactory(association=True, name="Association Lointaine")
    theirs, their_lease = supported_tenant(other, their_association, their_project, name="Ménage Ailleurs",
                                           referent=f.MembershipFactory(organisation=their_association))
    their_case = f.EvictionCaseFactory(lease=their_lease)
    return {
        "landlord": landlord, "association": association, "project": project, "people": people, "household": household,
        "lease": lease, "case": case, "step": step, "protected": protected, "protected_lease": protected_lease,
        "waiting": waiting, "sliding": sliding, "sliding_household": sliding_household, "theirs": theirs, "their_case": their_case,
    }


# ------------------------------------------------------------------ home and lists


def test_landlord_home_shows_own_tenants_arrears_and_next_legal_deadline(client, world):
    login(client, world["people"]["adviser"])
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    deadline = world["step"].deadline_on
    assert "Ménage Martin" in page and "Ménage Attente" in page and "Ménage Glissant" in page
    assert f"{deadline:%d/%m/%Y}" in page  # next legal deadline of the arrears file
    assert "Fin du délai pour payer" in page
    assert "1\u202f234,56\u00a0€" in page
    assert "Association Abri" in page and "Karim Benali" in page  # supporting association and référent
    assert "Appel" in page  # last contact type…
    assert "SECRET" not in page  # …never its note, nor the step's
    assert "Ménage Ailleurs" not in page and "Bailleur Montagne" not in page
    for url in ("/bailleur/locataires/", "/bailleur/attributions/", "/bailleur/glissements/", "/bailleur/impayes/"):
        assert url in page


@pytest.mark.parametrize(("day", "shown"), [(D(2026, 12, 15), True), (D(2026, 6, 15), False)])
def test_the_winter_truce_banner_shows_only_during_the_truce(client, world, monkeypatch, day, shown):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
    assert in_winter_truce(day) is shown
    login(client, world["people"]["adviser"])
    page = client.get("/").content.decode()
    assert ("Trêve hivernale en cours jusqu'au 31/03" in page) is shown


def test_the_four_lists_show_own_rows_sortable(client, world):
    login(client, world["people"]["adviser"])
    expected = {
        "/bailleur/locataires/": ["Ménage Martin", "Ménage Protégé", "Ménage Glissant"],
        "/bailleur/attributions/": ["Ménage Attente"],
        "/bailleur/glissements/": ["Ménage Glissant"],
        "/bailleur/impayes/": ["Ménage Martin"],
    }
    for url, names in expected.items():
        response = client.get(url + "?tri=-nom")
        assert response.status_code == 200, url
        page = response.content.decode()
        for name in names:
            assert name in page, (url, name)
        assert "Ménage Ailleurs" not in page
        assert 'aria-sort="descending"' in page


def test_arrears_list_filters_by_amount_typed_the_french_way_and_by_deadline(client, world):
    login(client, world["people"]["adviser"])
    assert "Ménage Martin" in client.get("/bailleur/impayes/", {"amount_min": "1 000,50"}).content.decode()
    assert "Ménage Martin" not in client.get("/bailleur/impayes/", {"amount_min": "2 000"}).content.decode()
    # Its payment order (10 days ago, 6 weeks) falls due in about a month.
    left = (world["step"].deadline_on - today()).days
    assert 30 <= left <= 35
    assert "Ménage Martin" not in client.get("/bailleur/impayes/", {"deadline": "passee"}).content.decode()
    assert "Ménage Martin" not in client.get("/bailleur/impayes/", {"deadline": "30"}).content.decode()
    assert "Ménage Martin" not in client.get("/bailleur/impayes/", {"deadline": "aucune"}).content.decode()
    assert client.get("/bailleur/impayes/", {"amount_min": "beaucoup"}).status_code == 200


def test_association_and_national_staff_do_not_get_the_landlord_lists(client, world):
    for who in ("caseworker",):
        login(client, world["people"][who])
        assert client.get("/bailleur/impayes/").status_code == 403
    national = f.MembershipFactory(organisation=f.OrganisationFactory(federation=True), role=Role.NATIONAL_STAFF)
    login(client, national)
    assert client.get("/bailleur/locataires/").status_code == 403


def test_empty_home_says_what_to_do_next(client):
    adviser = f.MembershipFactory(landlord_adviser=True)
    login(client, adviser)
    page = client.get("/").content.decode()
    assert "Aucun dossier d'impayé en cours" in page
    assert "ouvrez un dossier de prévention" in page


# ------------------------------------------------------------------ query counts

def add_rows(world, n):
    """``n`` more rows in each of the four panels of landlord L."""
    landlord, association, project = world["landlord"], world["association"], world["project"]
    adviser = actor(world["people"]["adviser"])
    referent = f.MembershipFactory(organisation=association)
    for i in range(n):
        _, lease = supported_tenant(landlord, association, project, name=f"Ménage Test {i}", referent=referent)
        case = services.eviction_case_open(actor=adviser, lease=lease, opened_on=today() - datetime.timedelta(days=60),
                                           arrears_amount=Decimal(100 + i))
        services.eviction_step_record(actor=adviser, case=case, kind=EvictionStepKind.CCAPEX_REFERRAL,
                                      occurred_on=today() - datetime.timedelta(days=i))
        waiting = f.HouseholdFactory(organisation=association, project=project)
        f.AttributionStepFactory(household=waiting, occurred_on=today() - datetime.timedelta(days=i + 1))
        supported_tenant(landlord, association, project, name=f"Ménage Glisse {i}", referent=referent, lease_kind=LeaseKind.SLIDING)


PAGES = ["/", "/bailleur/locataires/", "/bailleur/attributions/", "/bailleur/glissements/", "/bailleur/impayes/"]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_home_and_lists_cost_the_same_queries_with_few_or_many_rows(client, world, django_assert_max_num_queries):
    login(client, world["people"]["adviser"])
    few = {url: count_queries(client, url) for url in PAGES}
    add_rows(world, 12)  # more than a home panel (10 rows) holds
    many = {url: count_queries(client, url) for url in PAGES}
    assert few == many
    # Every page: session, user and active memberships (3), and the session saved at the end
    # (savepoint, update, release: 3) — 6 queries of the framework.
    # Home: + the slide and arrears counts (one aggregate each, with the overdue/urgent counts: 2)
    # + tenants: count, page, open measures, current leases (4) + awaiting: count, page (2)
    # + slides page (1) + arrears page (1) = 16.
    with django_assert_max_num_queries(16):
        client.get("/")
    # A list: framework (6) + count + page (2) + for the tenants, open measures and current leases (2).
    with django_assert_max_num_queries(10):
        client.get("/bailleur/locataires/")
    for url in PAGES[2:]:
        with django_assert_max_num_queries(8):
            client.get(url)


def test_household_panels_cost_the_same_queries_with_few_or_many_steps(client, world):
    login(client, world["people"]["adviser"])
    household, case = world["household"], world["case"]
    urls = [f"/menages/{household.pk}/parcours-locatif/", f"/menages/{household.pk}/prevention-expulsions/"]
    # Field rules are read once per lessor (housing.selectors.FieldReader): one attribution step on
    # one of L's units first, then six more steps of each kind cost nothing more.
    # In the same way the rule table is read once when a step has no deadline (an FSL request).
    f.AttributionStepFactory(household=household, occurred_on=D(2022, 12, 1), unit=world["lease"].unit)
    adviser = actor(world["people"]["adviser"])
    services.eviction_step_record(actor=adviser, case=case, kind=EvictionStepKind.FSL, occurred_on=today() - datetime.timedelta(days=9))
    few = [count_queries(client, url) for url in urls]
    for i in range(6):
        services.eviction_step_record(actor=adviser, case=case, kind=EvictionStepKind.FSL, occurred_on=today() - datetime.timedelta(days=i))
        f.AttributionStepFactory(household=household, occurred_on=D(2023, 1, 1) + datetime.timedelta(days=i), unit=world["lease"].unit)
    assert [count_queries(client, url) for url in urls] == few
    # At most — the request memo of households.access may answer a repeated audience question:
    # Lease path: framework (6) + household (1) + steps, leases (2) + the actor's audiences for the
    # field rules, once per lessor (4) + "may it add a step": its audiences as a supporter (3) and
    # one of its units (1) = 17.
    # Eviction panel: framework (6) + household (1) + files, steps (2) + audiences once (4)
    # + the rule table (1) + the household's leases for "open a file" (1) = 15.
    assert few[0] <= 17 and few[1] <= 15, few


# ------------------------------------------------------------------ household-file panels


def test_eviction_panel_shows_steps_deadline_rule_and_next_step(client, world):
    login(client, world["people"]["adviser"])
    response = client.get(f"/menages/{world['household'].pk}/prevention-expulsions/", **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    step = world["step"]
    assert "<html" not in page  # a fragment
    assert "Commandement de payer" in page
    assert f"Fin du délai pour payer (clause résolutoire) le {step.deadline_on:%d/%m/%Y}" in page
    assert "art. 24 I" in page  # legal reference of the rule
    assert "timeline__item--next" in page and "Saisine de la CCAPEX" in page
    assert "SECRET-précision huissier" in page  # the landlord reads its own step notes
    assert "Enregistrer une étape" in page and f"/expulsions/{world['case'].pk}/etapes/nouvelle/" in page
    assert "Signalement à la CAF à faire" in page  # 1 234,56 € ≥ 2 × (412,30 + 85,00)
    # Without htmx, the same panel in a page of its own.
    assert "<html" in client.get(f"/menages/{world['household'].pk}/prevention-expulsions/").content.decode()


def test_the_supporting_association_sees_the_panels_read_only(client, world):
    login(client, world["people"]["caseworker"])
    page = client.get(f"/menages/{world['household'].pk}/prevention-expulsions/", **HTMX).content.decode()
    assert "Commandement de payer" in page
    assert "Enregistrer une étape" not in page and "Ouvrir un dossier" not in page
    lease_path = client.get(f"/menages/{world['household'].pk}/parcours-locatif/", **HTMX).content.decode()
    assert "Modifier le bail" not in lease_path and "12 rue des Tilleuls" in lease_path


def test_another_landlords_household_is_a_404_on_the_fragments_and_the_step_form(client, world):
    login(client, world["people"]["adviser"])
    theirs = world["theirs"]
    before = EvictionStep.objects.count()
    assert client.get(f"/menages/{theirs.pk}/parcours-locatif/", **HTMX).status_code == 404
    assert client.get(f"/menages/{theirs.pk}/prevention-expulsions/", **HTMX).status_code == 404
    url = f"/expulsions/{world['their_case'].pk}/etapes/nouvelle/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "arrears", "occurred_on": today().isoformat()}).status_code == 404
    assert EvictionStep.objects.count() == before
    assert AuditLog.objects.filter(action="refused", model_label="housing.EvictionCase").exists()


def test_the_association_gets_403_on_the_step_form_of_a_lease_it_supports(client, world):
    """The policy: the association sees the file (it supports the occupant) but only the
    lessor's staff write it — a visible object with a forbidden action is a 403."""
    login(client, world["people"]["caseworker"])
    url = f"/expulsions/{world['case'].pk}/etapes/nouvelle/"
    before = EvictionStep.objects.count()
    assert client.get(url).status_code == 403
    assert client.post(url, {"kind": "arrears", "occurred_on": today().isoformat()}).status_code == 403
    assert EvictionStep.objects.count() == before


def test_domestic_violence_address_is_absent_for_a_consented_partner(client, world):
    url = f"/menages/{world['protected'].pk}/parcours-locatif/"
    login(client, world["people"]["partner"])
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bail direct" in page and "Adresse protégée" in page
    assert "7 impasse Cachée" not in page and world["protected_lease"].unit.postcode not in page
    # The landlord that manages the lease sees it.
    login(client, world["people"]["adviser"])
    assert "7 impasse Cachée" in client.get(url, **HTMX).content.decode()


def test_lease_path_shows_the_glissement_between_the_two_leases(client, world):
    adviser = world["people"]["adviser"]
    sliding = world["sliding"]
    login(client, adviser)
    path_url = f"/menages/{world['sliding_household'].pk}/parcours-locatif/"
    page = client.get(path_url, **HTMX).content.decode()
    assert "Bail glissant" in page and "Glissement prévu" in page and f"/baux/{sliding.pk}/glissement/" in page
    effective = today() - datetime.timedelta(days=2)
    response = client.post(f"/baux/{sliding.pk}/glissement/", {
        "caleol_decided_on": (effective - datetime.timedelta(days=20)).isoformat(), "effective_on": effective.isoformat(),
        "monthly_rent": "430,00", "monthly_charges": "85", "tenant_reference": "LOC-77",
    })
    assert response.status_code == 302
    glissement = Glissement.objects.get(from_lease=sliding)
    assert glissement.to_lease.monthly_rent == Decimal("430.00")
    page = client.get(path_url, **HTMX).content.decode()
    assert (
        page.index(f'id="lease-{sliding.pk}-title">Bail glissant')
        < page.index("Glissement du bail</strong>")
        < page.index(f'id="lease-{glissement.to_lease.pk}-title">Bail direct')
    )


# ------------------------------------------------------------------ forms


def test_recording_a_step_redirects_to_the_household_with_the_computed_deadline(client, world):
    login(client, world["people"]["adviser"])
    case = world["case"]
    day = today() - datetime.timedelta(days=1)
    response = client.post(f"/expulsions/{case.pk}/etapes/nouvelle/", {
        "kind": EvictionStepKind.CCAPEX_REFERRAL, "occurred_on": day.isoformat(), "amount": "1 234,56", "notes": "Saisine en ligne",
    })
    assert response.status_code == 302
    assert response["Location"] == f"/menages/{world['household'].pk}/"
    step = case.steps.get(kind=EvictionStepKind.CCAPEX_REFERRAL)
    assert step.amount == Decimal("1234.56") and step.deadline_on is not None
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Étape « Saisine de la CCAPEX » enregistrée. Échéance légale : ")
    assert f"{step.deadline_on:%d/%m/%Y} (2 mois, Loi n° 89-462" in message


def test_a_step_form_error_keeps_the_input(client, world):
    login(client, world["people"]["adviser"])
    url = f"/expulsions/{world['case'].pk}/etapes/nouvelle/"
    response = client.post(url, {"kind": "judgment", "occurred_on": today().isoformat(), "amount": "mille euros",
                                 "notes": "Texte gardé"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Saisissez un montant en euros" in page and "Indiquez le sens du jugement." in page
    assert 'value="mille euros"' in page and 'value="Texte gardé"' in page
    assert '<option value="judgment" selected>' in page
    # A date before the file was opened: the service's message lands under the date field.
    response = client.post(url, {"kind": "arrears", "occurred_on": "2001-01-01"})
    assert response.status_code == 400 and "antérieure à l'ouverture du dossier" in text(response)
    assert not world["case"].steps.filter(kind__in=["judgment", "arrears"]).exists()


def test_htmx_step_post_re_renders_the_panel_with_the_notice_or_the_errors(client, world):
    login(client, world["people"]["adviser"])
    url = f"/expulsions/{world['case'].pk}/etapes/nouvelle/"
    ok = client.post(url, {"kind": "fsl", "occurred_on": today().isoformat(), "amount": "800"}, **HTMX)
    assert ok.status_code == 200
    assert 'id="housing-eviction"' in ok.content.decode() and "Étape « Demande FSL » enregistrée." in ok.content.decode()
    bad = client.post(url, {"kind": "", "occurred_on": today().isoformat(), "notes": "Gardé"}, **HTMX)
    assert bad.status_code == 200  # htmx swaps 2xx answers only
    assert "Choisissez l'étape." in text(bad) and 'value="Gardé"' in text(bad)


def test_opening_and_closing_a_file(client, world):
    login(client, world["people"]["adviser"])
    protected_lease = world["protected_lease"]
    response = client.post(f"/baux/{protected_lease.pk}/prevention/nouveau/",
                           {"opened_on": today().isoformat(), "arrears_amount": "2 450,10"})
    assert response.status_code == 302
    case = protected_lease.eviction_cases.get()
    assert case.arrears_amount == Decimal("2450.10")
    # A second file on the same lease is not offered.
    assert "déjà ouvert" in client.get(f"/baux/{protected_lease.pk}/prevention/nouveau/").content.decode()
    response = client.post(f"/expulsions/{case.pk}/cloture/", {"status": "", "closed_on": today().isoformat(), "version": case.version})
    assert response.status_code == 400 and "Choisissez l'issue du dossier." in text(response)
    response = client.post(f"/expulsions/{case.pk}/cloture/",
                           {"status": "settled", "closed_on": today().isoformat(), "arrears_amount": "0", "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.arrears_amount) == ("settled", Decimal("0"))


def test_attribution_step_form_for_the_landlord_needs_one_of_its_units(client, world):
    login(client, world["people"]["adviser"])
    waiting = world["waiting"]
    url = f"/menages/{waiting.pk}/attributions/nouvelle/"
    vacant = f.HousingUnitFactory(landlord=world["landlord"], address="3 place du Marché")
    page = client.get(url).content.decode()
    assert "3 place du Marché" in page and "12 rue des Tilleuls" not in page  # leased to another household
    response = client.post(url, {"kind": "proposal", "occurred_on": today().isoformat()})
    assert response.status_code == 400 and "Choisissez le logement" in response.content.decode()
    response = client.post(url, {"kind": "proposal", "occurred_on": today().isoformat(), "unit": vacant.pk})
    assert response.status_code == 302
    assert waiting.attribution_steps.filter(kind="proposal", unit=vacant).exists()
    # The supporting association records steps without a unit.
    login(client, world["people"]["caseworker"])
    response = client.post(url, {"kind": "caleol", "occurred_on": today().isoformat(), "decision": "postponed"})
    assert response.status_code == 302


def test_lease_edit_with_optimistic_locking(client, world):
    login(client, world["people"]["adviser"])
    lease = world["lease"]
    url = f"/baux/{lease.pk}/modifier/"
    page = client.get(url).content.decode()
    assert "412,30" in page  # the rent shown the French way
    response = client.post(url, {"monthly_rent": "1 412,30", "monthly_charges": "85,00", "version": lease.version})
    assert response.status_code == 302
    lease.refresh_from_db()
    assert lease.monthly_rent == Decimal("1412.30")
    stale = client.post(url, {"monthly_rent": "500", "monthly_charges": "85,00", "version": lease.version - 1})
    assert stale.status_code == 409
    login(client, world["people"]["caseworker"])
    assert client.get(url).status_code == 403


def test_an_order_to_leave_during_the_truce_says_the_deadline_moved_to_the_first_of_april(client, world, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D(2026, 12, 10))
    adviser = world["people"]["adviser"]
    household, lease = supported_tenant(world["landlord"], world["association"], world["project"], name="Ménage Hiver",
                                        referent=world["people"]["caseworker"])
    case = services.eviction_case_open(actor=actor(adviser), lease=lease, opened_on=D(2025, 3, 3), arrears_amount=Decimal("300"))
    services.eviction_step_record(actor=actor(adviser), case=case, kind=EvictionStepKind.JUDGMENT, occurred_on=D(2026, 9, 1),
                                  judgment_result="termination")
    step = services.eviction_step_record(actor=actor(adviser), case=case, kind=EvictionStepKind.ORDER_TO_LEAVE,
                                         occurred_on=D(2026, 10, 20))
    assert step.deadline_on == D(2027, 4, 1)  # 20/12/2026 + working day falls in the truce
    login(client, adviser)
    page = text(client.get(f"/menages/{household.pk}/prevention-expulsions/", **HTMX))
    assert "Trêve hivernale jusqu'au 31/03/2027" in page
    assert "Reportée au 01/04/2027 : l'échéance tombait pendant la trêve hivernale" in page
    assert "Expulsion possible à partir du 01/04/2027" in page
    assert "Demande de concours de la force publique" in page  # what is expected next


def test_a_step_stored_without_its_deadline_gets_it_computed_on_display(client, world):
    """Rows written by an import or an API client may lack the deadline: the panel computes it."""
    household, lease = supported_tenant(world["landlord"], world["association"], world["project"], name="Ménage Import",
                                        referent=world["people"]["caseworker"])
    case = f.EvictionCaseFactory(lease=lease, opened_on=D(2025, 10, 1))
    f.EvictionStepFactory(case=case, kind=EvictionStepKind.PAYMENT_ORDER, occurred_on=D(2025, 11, 20))  # no deadline stored
    login(client, world["people"]["adviser"])
    page = text(client.get(f"/menages/{household.pk}/prevention-expulsions/", **HTMX))
    assert "Fin du délai pour payer (clause résolutoire) le 02/01/2026" in page
    assert "échéance calculée à l'affichage" in page
