"""The browser tests' own ground: the live server serves the static files
(htmx from var/assets, the project's scripts and stylesheets), logging in
through the real login page works, and pages run without a JavaScript error
or a CSP refusal."""

from __future__ import annotations

from .conftest import BROWSER_DB, PHONE

pytestmark = BROWSER_DB

ASSETS_JS = """() => [...document.querySelectorAll("script[src], link[rel=stylesheet]")].map(n => n.src || n.href)"""


def assert_assets_served(session) -> None:
    assets = session.page.evaluate(ASSETS_JS)
    assert any(url.endswith("/static/vendor/htmx/htmx.min.js") for url in assets)
    for url in assets:
        assert session.page.request.get(url).ok, f"{url} is not served by the live server"


def test_login_page_loads_htmx_and_the_project_scripts_then_the_caseworker_lands_home(world, open_session):
    session = open_session(viewport=PHONE)
    page = session.page
    response = session.goto("/compte/connexion/")
    assert response.status == 200
    assert page.evaluate("typeof htmx") == "object", "htmx is not loaded: is /static/vendor/htmx/htmx.min.js served?"
    assert_assets_served(session)

    session.login(world["a"]["caseworker"].user.email)
    assert page.evaluate("typeof htmx") == "object"
    assert "Karim Haddad" in page.text_content("header")
    assert any(url.endswith("/static/js/visit.js") for url in page.evaluate(ASSETS_JS))
    assert_assets_served(session)
    session.assert_no_errors()
