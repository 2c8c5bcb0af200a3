"""National staff open their dashboard: the map of France is drawn from the packaged SVG, coloured by
class (no inline style: the CSP would refuse it), with its legend and the table equivalent, at desktop and
phone widths, without any JavaScript error or CSP refusal."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.reporting.test_dashboards import YEAR, build_world

from .conftest import BROWSER_DB, DESKTOP, PHONE

pytestmark = BROWSER_DB


def test_national_dashboard_draws_the_map(open_session, settings, monkeypatch):
    settings.SECOND_FACTOR_REQUIRED = False  # the second factor has its own tests
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: __import__("datetime").date(2025, 6, 15))
    world = build_world()

    session = open_session(viewport=DESKTOP)
    page = session.page
    session.login(world["national"].user.email, then=f"/?year={YEAR}")
    expect(page.locator("h1")).to_contain_text("Programme 10 000 logements accompagnés")

    svg = page.locator("svg.france-map__svg")
    expect(svg).to_be_visible()
    assert page.locator("svg.france-map__svg path.map-dept").count() == 96
    box = svg.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300, box
    # Nord (20 households) is coloured, Rhône (3) hatched as "non diffusé", Ain empty.
    assert "map-dept--q" in page.locator('path[data-code="59"]').get_attribute("class")
    assert "map-dept--hidden" in page.locator('path[data-code="69"]').get_attribute("class")
    assert "map-dept--none" in page.locator('path[data-code="01"]').get_attribute("class")
    # The colour really comes from the stylesheet (fill by class).
    fill = page.locator('path[data-code="01"]').evaluate("el => getComputedStyle(el).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)"), fill
    expect(page.locator(".map-legend").first).to_contain_text("Effectif non diffusé")

    # The accessible table equivalent opens with the keyboard.
    summary = page.get_by_text("Tableau des départements", exact=True)
    summary.focus()
    page.keyboard.press("Enter")
    table = page.locator("#departement-table")
    expect(table).to_be_visible()
    expect(table.locator('tr[data-code="69"] td')).to_have_text("< 11")
    expect(table.locator('tr[data-code="59"] td')).to_have_text("20")
    session.shoot("dashboard-national-desktop")

    page.set_viewport_size(PHONE)
    session.goto(f"/?year={YEAR}")
    expect(page.locator("svg.france-map__svg")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width} px)"
    session.shoot("dashboard-national-phone")
    session.assert_no_errors()
