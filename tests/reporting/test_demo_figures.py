"""After ``seed_demo`` (as ``make run`` loads it), the dashboards show figures equal to the raw rows.

The demo caseload is seeded on a small catalogue (tests/housing/test_seed_demo.py),
the rollups are built by the bootstrap loader that ``make run`` runs, and
every year of the national dashboard (totals) and of the landlord
adviser's dashboard (per category) is recomputed here from the raw
measures, contacts, fundings, payments and expenses. A count the
national reader sees as "< 11" has no value to compare: it must be 1 to
10 in the raw rows, or be the complementary cell of one that is.
"""

from __future__ import annotations

import pytest

from core import access
from core.models import User
from partners.models import Membership
from projects.models import Project
from reporting import rollups
from reporting.models import MeasureFact, RollupWatermark
from tests.housing.test_seed_demo import build_catalogue, seed
from tests.reporting.test_dashboards import login, raw_year
from tests.test_access_matrix import actor

pytestmark = pytest.mark.django_db

DOMAIN = "demo.logement-accompagne.fr"
COUNTS = ("households_supported", "households_entered", "households_exited")
SHOWN_AS_IS = ("projects", "targets", "contacts", "awarded", "received", "spent")


@pytest.fixture
def demo(monkeypatch):
    import datetime

    import tests.reporting.test_dashboards as dashboards_test

    # The raw recomputation counts up to today, as the rollups do.
    monkeypatch.setattr(dashboards_test, "NOW", datetime.datetime.now(datetime.UTC))
    build_catalogue()
    seed()
    rollups.load_if_never_built()
    return {
        "national": Membership.objects.get(user=User.objects.get(email=f"helene.vasseur@{DOMAIN}")),
        "landlord": Membership.objects.get(user=User.objects.get(email=f"sophie.garnier@{DOMAIN}")),
    }


def years() -> list[int]:
    return sorted({fact.identified_on.year for fact in MeasureFact.objects.only("identified_on")})


def get(client, membership, year):
    login(client, membership)
    response = client.get("/tableau-de-bord/", {"year": year})
    assert response.status_code == 200
    return response.context["d"]


def test_the_bootstrap_loader_builds_the_rollups_once(demo):
    watermark = RollupWatermark.objects.get()
    rollups.load_if_never_built()  # a second `make run`: nothing recomputed
    assert RollupWatermark.objects.get().refreshed_at == watermark.refreshed_at
    assert MeasureFact.objects.count() > 0


def test_national_dashboard_totals_equal_the_raw_rows_every_year(client, settings, demo):
    settings.SECOND_FACTOR_REQUIRED = False  # the second factor has its own tests
    projects = list(Project.objects.all())
    checked = 0
    for year in years():
        d = get(client, demo["national"], year)
        expected = raw_year(projects, year)
        for name in SHOWN_AS_IS:
            assert d["totals"][name] == expected[name], (year, name)
        for name in COUNTS:
            cell = d["totals"][name]
            if cell.value is None:
                assert cell.suppressed and expected[name] <= 10, (year, name, expected[name])
            else:
                assert cell.value == expected[name], (year, name)
                checked += 1
    assert checked, "every national total was hidden: the demo is too small for this test"


def test_landlord_dashboard_categories_equal_the_raw_rows(client, settings, demo):
    """The landlord adviser's own projects, per category of the typology, every year."""
    settings.SECOND_FACTOR_REQUIRED = False
    compared = 0
    for year in years():
        d = get(client, demo["landlord"], year)
        for row in d["categories"]:
            if not row["projects"]:
                continue
            projects = list(access.visible_to(actor(demo["landlord"]), Project).filter(category=row["code"]))
            assert len(projects) == row["projects"], (year, row["code"])
            expected = raw_year(projects, year)
            for name in ("projects", "targets", "contacts", "awarded", "spent"):
                assert row[name] == expected[name], (year, row["code"], name)
            for name in COUNTS:
                cell = row[name]
                assert cell.value is None or cell.value == expected[name], (year, row["code"], name)
                compared += cell.value is not None and expected[name] > 0
    assert compared, "no household count of the landlord's projects was compared"
