"""Browser tests: Playwright (sync API) driving Debian's Chromium against
pytest-django's ``live_server``.

- Playwright's sync API runs an event loop in the test thread, which Django
  takes for an async context: ``DJANGO_ALLOW_ASYNC_UNSAFE`` lets the ORM run
  there (DESIGN.md §7). It is set before anything else is imported.
- The browser is Debian's ``/usr/bin/chromium`` (``make test`` installs it
  with apt-get), never a browser downloaded by ``playwright install``. A
  browser test that finds no browser FAILS: it never skips.
- ``live_server`` makes every test transactional: the database is flushed
  after each test. ``serialized_rollback`` (set by each module's
  ``pytestmark``) restores the rows that migrations load (the legal
  deadline rules) before each test. Keep these tests few and fast: one
  browser for the session, a fresh context (cookies, localStorage) per
  test.
- Every test saves full-page screenshots of the main screens it visits in
  ``var/screenshots/`` (phone 390×844, desktop 1280×900).
"""

from __future__ import annotations

import os

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import datetime  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
PASSWORD = "mot-de-passe-de-test"  # tests.factories.UserFactory
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
TIMEOUT_MS = 10_000
# Says which element a CSP refusal was about (the browser's own message does not).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (event) {
  var target = event.target && event.target.outerHTML ? event.target.outerHTML.slice(0, 160) : String(event.target);
  console.error("CSP " + event.violatedDirective + " refused " + (event.blockedURI || "inline") + " on " + target
    + " (" + event.sourceFile + ":" + event.lineNumber + ")");
});
"""

# Every browser test: live server (transactional) + migration data restored.
BROWSER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# ------------------------------------------------------------------ browser


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session."""
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        raise RuntimeError(
            f"The browser tests need Debian's Chromium at {CHROMIUM}: run `make test` (it installs it), "
            "or as root `apt-get update && apt-get install -y --no-install-recommends chromium`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Session:
    """One browser context (cookies, localStorage) logged in as one user."""

    context: object
    page: object
    base_url: str
    errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str):
        response = self.page.goto(self.url(path))
        self.page.wait_for_load_state("load")
        return response

    def login(self, email: str, password: str = PASSWORD, then: str = "/") -> None:
        page = self.page
        page.goto(self.url("/compte/connexion/"))
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert "/compte/connexion/" not in page.url, f"login of {email} failed: {page.inner_text('main')[:500]}"
        if then != "/":
            self.goto(then)

    def assert_no_errors(self, *allowed: str) -> None:
        """No JavaScript error nor CSP refusal, except the messages containing one of ``allowed``."""
        unexpected = [error for error in self.errors if not any(text in error for text in allowed)]
        assert not unexpected, "errors in the browser:\n" + "\n".join(unexpected)

    def shoot(self, name: str) -> Path:
        """Full-page PNG in var/screenshots/<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # caret="initial": hiding the caret leaves style="" on inputs, which
        # htmx then copies on a swap and the CSP refuses (noise, not a bug).
        self.page.screenshot(path=str(path), full_page=True, caret="initial")
        return path


def _console_error(session: Session, message) -> None:
    if message.type != "error":
        return
    where = (message.location or {}).get("url", "")
    if where.endswith("/favicon.ico"):
        return  # the browser asks for it by itself; no page links to it
    session.errors.append(f"console on {session.page.url}: {message.text} ({where})")


@pytest.fixture
def open_session(browser, live_server) -> Iterator[Callable[..., Session]]:
    """``open_session(viewport=PHONE)`` → a fresh context (French, Paris time)."""
    contexts = []

    def make(viewport: dict = DESKTOP) -> Session:
        context = browser.new_context(
            locale="fr-FR", timezone_id="Europe/Paris", viewport=viewport, base_url=live_server.url,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(script=CSP_REPORTER)
        contexts.append(context)
        page = context.new_page()
        session = Session(context=context, page=page, base_url=live_server.url)
        # Any JavaScript error or CSP refusal on a page is a bug of that page.
        page.on("pageerror", lambda error: session.errors.append(f"pageerror on {page.url}: {error}"))
        page.on("console", lambda message: _console_error(session, message))
        return session

    yield make
    for context in contexts:
        context.close()


# -------------------------------------------------------------------- world


@pytest.fixture
def world():
    """Two landlord–association pairs, built fresh for each test (the flush empties the database).

    Pair A: landlord "Bailleur A" and "Association A" work on project A with
    three households followed by ``caseworker_a`` (team lead ``lead_a``):
    "Ménage Hélène Lefèvre" (bail direct signed 20/02/2024 with landlord A,
    two goals, an open eviction case, seen 20 days ago), "Ménage Bernard"
    (lease with landlord A) and "Ménage Nguyen" (no lease yet), both not
    seen for 45 days. ``colleague_a`` is
    another caseworker of association A. Pair B: "Ménage Zoé Carpentier",
    tenant of landlord B, followed by association B.
    """
    return build_world()


def build_world() -> dict:
    from households.models import GoalDomain
    from partners.models import Role
    from tests import factories as f

    def person(org, role, first, last, email):
        user = f.UserFactory(first_name=first, last_name=last, email=email)
        return f.MembershipFactory(user=user, organisation=org, role=role)

    world: dict = {}
    for label, names in {
        "a": {"landlord": "Bailleur A", "association": "Association A"},
        "b": {"landlord": "Bailleur B", "association": "Association B"},
    }.items():
        landlord = f.OrganisationFactory(landlord=True, name=names["landlord"])
        association = f.OrganisationFactory(association=True, name=names["association"])
        f.PartnershipFactory(landlord=landlord, association=association)
        project = f.ProjectFactory(lead_landlord=landlord, title=f"Accompagner vers et dans le logement ({label.upper()})")
        f.ProjectCarrierFactory(project=project, organisation=landlord, role="lead")
        f.ProjectCarrierFactory(project=project, organisation=association, role="partner")
        f.ProjectTargetFactory(project=project)
        f.ExpenseFactory(budget_line=f.BudgetLineFactory(project=project))
        f.FundingFactory(project=project, granted=True)
        f.CommitteeDecisionFactory(meeting=f.CommitteeMeetingFactory(project=project, participants=[landlord, association]))
        world[label] = {"landlord": landlord, "association": association, "project": project}

    a, b = world["a"], world["b"]
    a["adviser"] = person(a["landlord"], Role.LANDLORD_ADVISER, "Inès", "Fabre", "ines.fabre@bailleur-a.test")
    a["caseworker"] = person(a["association"], Role.CASEWORKER, "Karim", "Haddad", "karim.haddad@asso-a.test")
    a["colleague"] = person(a["association"], Role.CASEWORKER, "Léa", "Morel", "lea.morel@asso-a.test")
    a["lead"] = person(a["association"], Role.TEAM_LEAD, "Claire", "Vidal", "claire.vidal@asso-a.test")
    b["adviser"] = person(b["landlord"], Role.LANDLORD_ADVISER, "Élodie", "Marchal", "elodie.marchal@bailleur-b.test")
    b["caseworker"] = person(b["association"], Role.CASEWORKER, "Aïcha", "Barry", "aicha.barry@asso-b.test")

    def household(pair, family, *, lease=True, eviction=False, goals=(), seen_days_ago=20):
        h = f.HouseholdFactory(organisation=pair["association"], project=pair["project"], display_name=f"Ménage {family}")
        f.PersonFactory(household=h, last_name=family.split()[-1])
        measure = f.SupportMeasureFactory(
            household=h, project=pair["project"], organisation=pair["association"], referent=pair["caseworker"]
        )
        f.TeamMemberFactory(measure=measure, membership=pair["caseworker"], role="referent")
        if "lead" in pair:
            f.TeamMemberFactory(measure=measure, membership=pair["lead"], role="lead")
        for domain, title in goals:
            f.SupportGoalFactory(measure=measure, domain=domain, title=title)
        f.ContactFactory(measure=measure, occurred_on=datetime.date.today() - datetime.timedelta(days=seen_days_ago))
        row = {"household": h, "measure": measure}
        if lease:
            unit = f.HousingUnitFactory(landlord=pair["landlord"], project=pair["project"])
            # Signed after 29/07/2023: the loi du 27 juillet 2023 deadlines apply.
            row["lease"] = f.LeaseFactory(unit=unit, lessor=pair["landlord"], occupant=h, tenant_household=h)
            if eviction:
                row["case"] = f.EvictionCaseFactory(lease=row["lease"])
                f.EvictionStepFactory(case=row["case"])
        return row

    a["helene"] = household(
        a, "Hélène Lefèvre", eviction=True,
        goals=[(GoalDomain.BUDGET, "Mettre en place le prélèvement automatique du loyer"),
               (GoalDomain.HOME_CARE, "Entretenir le logement")],
    )
    # Not seen for 45 days: on the team home's default view ("non vus").
    a["bernard"] = household(a, "Bernard", goals=[(GoalDomain.RIGHTS, "Ouvrir les droits APL")], seen_days_ago=45)
    a["nguyen"] = household(a, "Nguyen", lease=False, seen_days_ago=45)
    b["zoe"] = household(b, "Zoé Carpentier", eviction=True)
    return world


@pytest.fixture(autouse=True)
def _legal_deadline_rules(transactional_db):
    """The legal rule rows come from a data migration; a transactional test run
    before (its flush empties every table) may have removed them whatever
    serialized_rollback restores: load them again (idempotent)."""
    from importlib import import_module

    from django.apps import apps

    import_module("housing.migrations.0003_deadline_rules").load(apps, None)
