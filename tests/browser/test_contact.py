"""A caseworker logs visits on a 390-px-wide phone: online, offline, after losing the session.

The quick log (/contacts/nouveau/) saves in place with htmx: the page does
not navigate, so Back returns to the page before the form and never posts
again. Offline, the entry is kept on the phone (static/js/visit.js) and sent
exactly once (its client_uuid) when the connection or the session comes
back; signing out erases what is left on the phone (DESIGN.md §7).
"""

from __future__ import annotations

import datetime
import json

from django.utils import timezone
from playwright.sync_api import expect

from households.models import Contact

from .conftest import BROWSER_DB, PHONE

pytestmark = BROWSER_DB

DRAFT_PREFIX = "logement-accompagne:contacts-hors-connexion:"
DRAFTS_JS = f"""() => Object.keys(localStorage)
    .filter(key => key.startsWith({json.dumps(DRAFT_PREFIX)}))
    .flatMap(key => JSON.parse(localStorage.getItem(key) || "[]"))"""


def pick_household(page, typed: str, name: str) -> None:
    """Type part of the name (as a person would, key by key) and tap the household found."""
    search = page.locator("#household-search")
    search.click()
    search.press_sequentially(typed, delay=30)
    result = page.locator("#household-results button.household-result", has_text=name)
    expect(result).to_have_count(1)
    result.click()
    expect(page.locator("#chosen-household-name")).to_have_text(name)


def test_caseworker_logs_a_home_visit_in_place_and_back_does_not_resubmit(world, open_session):
    a = world["a"]
    helene = a["helene"]
    goal = helene["measure"].goals.get(title="Mettre en place le prélèvement automatique du loyer")
    note = "Visite à domicile : le compteur d'eau est réparé, le budget du mois est tenu."
    session = open_session(viewport=PHONE)
    page = session.page
    session.login(a["caseworker"].user.email)
    expect(page.locator("main")).to_contain_text("Ménage Hélène Lefèvre")
    session.shoot("caseworker-home-phone")

    page.goto(session.url("/contacts/nouveau/"))
    # Typed without accents: the search folds them.
    pick_household(page, "helene", "Ménage Hélène Lefèvre")
    page.get_by_label("Visite à domicile").check()
    assert page.locator("#id_occurred_on").input_value() == timezone.localdate().isoformat()  # today, kept
    page.get_by_label("45 min").check()
    page.locator("#id_note").fill(note)
    page.get_by_label(goal.title).check()
    session.shoot("caseworker-contact-phone")

    # A marker on window survives only if the page does not reload.
    page.evaluate("() => { window.__sameDocument = 'oui'; }")
    page.get_by_role("button", name="Enregistrer").click()
    confirmation = page.locator("[data-contact-saved]")
    expect(confirmation).to_contain_text("Contact enregistré")
    expect(confirmation).to_contain_text("Ménage Hélène Lefèvre")
    assert page.evaluate("() => window.__sameDocument") == "oui", "the save reloaded the page"
    assert page.url == session.url("/contacts/nouveau/")
    session.shoot("caseworker-contact-saved-phone")

    contact = Contact.objects.get(note=note)
    assert contact.household_id == helene["household"].pk
    assert contact.kind == "home_visit"
    assert contact.occurred_on == timezone.localdate()
    assert contact.duration_minutes == 45
    assert contact.author_id == a["caseworker"].pk
    assert list(contact.goals.values_list("pk", flat=True)) == [goal.pk]
    assert str(contact.client_uuid) == confirmation.get_attribute("data-client-uuid")

    # Back: the page before the form (the caseworker's home), nothing posted again.
    page.go_back()
    page.wait_for_load_state("load")
    assert page.url == session.url("/")
    assert Contact.objects.filter(note=note).count() == 1

    # The household file shows the visit, note included (the caseworker is on the team).
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Ménage Hélène Lefèvre").first.click()
    expect(page.locator("h1")).to_contain_text("Ménage Hélène Lefèvre")
    expect(page.locator("main")).to_contain_text(note)
    page.wait_for_load_state("networkidle")  # the housing panels (htmx)
    session.shoot("caseworker-household-file-phone")
    session.assert_no_errors()


def test_offline_drafts_are_sent_once_also_after_a_new_sign_in_and_erased_at_logout(world, open_session):
    a = world["a"]
    session = open_session(viewport=PHONE)
    page, context = session.page, session.context
    session.login(a["caseworker"].user.email, then="/contacts/nouveau/")
    banner = page.locator("[data-sync-banner]")
    pick_household(page, "bernard", "Ménage Bernard")  # the form is open before the network goes

    # 1. Offline: the entry is kept on the phone, then sent by itself when the network is back.
    context.set_offline(True)
    page.get_by_label("Appel").check()
    page.get_by_label("15 min").check()
    page.locator("#id_note").fill("Appel passé sans réseau : rendez-vous CAF confirmé.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(banner).to_contain_text("Hors connexion : 1 contact en attente d'envoi")
    expect(page.locator("[data-draft-kept]")).to_contain_text("Ménage Bernard")
    drafts = page.evaluate(DRAFTS_JS)
    assert len(drafts) == 1
    first_uuid = drafts[0]["uuid"]
    assert not Contact.objects.filter(client_uuid=first_uuid).exists()
    session.shoot("caseworker-contact-offline-phone")

    context.set_offline(False)  # the browser fires "online": the draft leaves by itself
    expect(banner).to_contain_text("1 contact saisi hors connexion a été envoyé.")
    assert Contact.objects.filter(client_uuid=first_uuid).count() == 1
    assert Contact.objects.get(client_uuid=first_uuid).note == "Appel passé sans réseau : rendez-vous CAF confirmé."
    assert page.evaluate(DRAFTS_JS) == []

    # 2. The session is lost while offline (not a logout: a logout erases drafts).
    context.set_offline(True)
    context.clear_cookies()
    page.get_by_label("Entretien au bureau").check()
    page.locator("#id_note").fill("Entretien au bureau : dossier FSL complété.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(banner).to_contain_text("1 contact en attente d'envoi")
    second_uuid = page.evaluate(DRAFTS_JS)[0]["uuid"]
    context.set_offline(False)
    expect(banner).to_contain_text("Votre session a expiré : 1 contact est gardé sur cet appareil.")
    assert not Contact.objects.filter(client_uuid=second_uuid).exists()
    session.shoot("caseworker-contact-session-expired-phone")

    with page.expect_navigation():
        banner.get_by_role("link", name="Se reconnecter").click()
    page.fill("input[name=username]", a["caseworker"].user.email)
    page.fill("input[name=password]", "mot-de-passe-de-test")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    expect(page.locator("[data-sync-banner]")).to_contain_text("1 contact saisi hors connexion a été envoyé.")
    assert Contact.objects.filter(client_uuid=second_uuid).count() == 1
    assert page.evaluate(DRAFTS_JS) == []
    page.reload()  # loading another page sends nothing again
    page.wait_for_load_state("load")
    assert Contact.objects.filter(client_uuid=second_uuid).count() == 1

    # 3. A draft the server refuses stays on the phone, listed to be fixed; signing out erases it.
    pick_household(page, "nguyen", "Ménage Nguyen")
    context.set_offline(True)
    page.get_by_label("Visite à domicile").check()
    page.locator("#id_occurred_on").fill("2020-01-06")  # before the household was identified (15/01/2024)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("[data-sync-banner]")).to_contain_text("1 contact en attente d'envoi")
    context.set_offline(False)
    failed = page.locator("[data-draft-errors]")
    expect(failed).to_contain_text("Le contact du 06/01/2020 pour Ménage Nguyen n'a pas été enregistré")
    expect(failed).to_contain_text("antérieure au repérage")
    assert len(page.evaluate(DRAFTS_JS)) == 1
    session.shoot("caseworker-contact-draft-to-fix-phone")

    page.once("dialog", lambda dialog: dialog.accept())  # "contacts not sent yet: sign out anyway?"
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    assert page.evaluate(DRAFTS_JS) == []
    assert Contact.objects.filter(household=a["nguyen"]["household"], occurred_on=datetime.date(2020, 1, 6)).count() == 0
    assert Contact.objects.filter(client_uuid__in=[first_uuid, second_uuid]).count() == 2
    # Expected refusals, logged by the browser: the draft posted without a session (403) and the refused one (400).
    sync_url = session.url("/contacts/brouillons/")
    session.assert_no_errors(f"status of 403 (Forbidden) ({sync_url})", f"status of 400 (Bad Request) ({sync_url})")
