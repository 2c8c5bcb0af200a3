"""A landlord adviser follows an eviction-prevention file, and sees nothing of another landlord's tenants.

On the household file of one of her tenants, the eviction panel (an htmx
fragment served by ``housing``) shows the open case; she records a
commandement de payer and reads its legal deadline: 6 weeks for a lease
signed from 29/07/2023, moved to the next working day. A typing error in
the amount is refused in French with the other values kept.
"""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from housing.deadlines import deadline_for
from housing.models import EvictionStep, EvictionStepKind

from .conftest import BROWSER_DB, DESKTOP

pytestmark = BROWSER_DB

# A Friday: six weeks later is Friday 1 May 2026 (fête du Travail), so the deadline moves to Monday 4 May.
SERVED_ON = datetime.date(2026, 3, 20)


def field(scope, label: str):
    """The input labelled exactly ``label`` (Django adds " :" to French labels)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def test_landlord_adviser_records_a_payment_order_and_reads_its_legal_deadline(world, open_session):
    a = world["a"]
    helene = a["helene"]
    lease = helene["lease"]
    assert lease.signed_on >= datetime.date(2023, 7, 29)  # the loi du 27 juillet 2023 applies
    expected = deadline_for(EvictionStepKind.PAYMENT_ORDER, SERVED_ON, lease.signed_on)
    assert expected is not None, "no deadline rule for a payment order: were the migration rows restored?"
    assert expected.due_on == datetime.date(2026, 5, 4)  # 01/05 is a public holiday, then a weekend
    due_text = f"{expected.due_on:%d/%m/%Y}"

    session = open_session(viewport=DESKTOP)
    page = session.page
    session.login(a["adviser"].user.email)
    expect(page.locator("main")).to_be_visible()
    session.shoot("landlord-home-desktop")

    session.goto(f"/menages/{helene['household'].pk}/")
    expect(page.locator("h1")).to_contain_text("Ménage Hélène Lefèvre")
    panel = page.locator("#housing-eviction")
    expect(panel).to_contain_text("Dossier ouvert le 07/10/2024")  # loaded by htmx after the page
    session.shoot("landlord-household-file-desktop")

    # A typing error in the amount: refused in French, the rest of the input kept.
    panel.get_by_text("Enregistrer une étape", exact=True).click()
    field(panel, "Étape").select_option(EvictionStepKind.PAYMENT_ORDER)
    field(panel, "Date").fill(SERVED_ON.isoformat())
    field(panel, "Montant en jeu (€)").fill("abc")
    field(panel, "Précision").fill("Remis par le commissaire de justice à domicile")
    panel.get_by_role("button", name="Enregistrer l'étape").click()
    panel = page.locator("#housing-eviction")
    error = panel.locator(".field--error .errorlist")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("montant")  # e.g. « Saisissez un montant, par exemple 1 234,56. »
    assert field(panel, "Étape").input_value() == EvictionStepKind.PAYMENT_ORDER
    assert field(panel, "Date").input_value() == SERVED_ON.isoformat()
    assert field(panel, "Montant en jeu (€)").input_value() == "abc"
    assert field(panel, "Précision").input_value() == "Remis par le commissaire de justice à domicile"
    assert not EvictionStep.objects.filter(kind=EvictionStepKind.PAYMENT_ORDER).exists()
    session.shoot("landlord-eviction-step-error-desktop")

    field(panel, "Montant en jeu (€)").fill("1 245,90")
    panel.get_by_role("button", name="Enregistrer l'étape").click()
    panel = page.locator("#housing-eviction")
    expect(panel.locator(".alert--success")).to_contain_text(f"Échéance légale : {due_text}")
    expect(panel.locator(".timeline")).to_contain_text(due_text)
    step = EvictionStep.objects.get(kind=EvictionStepKind.PAYMENT_ORDER)
    assert step.occurred_on == SERVED_ON
    assert step.deadline_on == expected.due_on
    assert str(step.amount) == "1245.90"
    session.shoot("landlord-eviction-deadline-desktop")

    # Another landlord's tenant: the same 404 as a household that does not exist, naming nobody.
    response = session.goto(f"/menages/{world['b']['zoe']['household'].pk}/")
    assert response.status == 404
    text = page.locator("body").inner_text()
    assert "Page introuvable" in text
    for revealing in ("Carpentier", "Zoé", "Bailleur B", "Association B", world["b"]["zoe"]["household"].reference):
        assert revealing not in page.content()
    session.shoot("landlord-not-found-desktop")
    fragment = page.request.get(session.url(f"/menages/{world['b']['zoe']['household'].pk}/prevention-expulsions/"))
    assert fragment.status == 404
    assert "Carpentier" not in fragment.text()

    # The project page and list, seen by the lead landlord.
    session.goto("/projets/")
    expect(page.locator("main")).to_contain_text(a["project"].number)
    session.shoot("projects-list-desktop")
    session.goto(f"/projets/{a['project'].pk}/")
    expect(page.locator("h1")).to_contain_text(a["project"].title)
    page.wait_for_load_state("networkidle")  # the households panel (htmx)
    session.shoot("project-page-desktop")

    # The browser logs the 404 of the refused page itself; nothing else may fail.
    session.assert_no_errors("404 (Not Found)")
