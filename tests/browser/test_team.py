"""A team lead hands two households to another caseworker from the team home."""

from __future__ import annotations

from households.models import SupportMeasure, TeamMember

from .conftest import BROWSER_DB, DESKTOP

pytestmark = BROWSER_DB


def test_team_lead_reassigns_two_households_from_the_team_home(world, open_session):
    a = world["a"]
    session = open_session(viewport=DESKTOP)
    page = session.page
    session.login(a["lead"].user.email)

    # The default view lists the households not seen for 30 days.
    main = page.locator("main")
    assert "Ménage Bernard" in main.inner_text()
    assert "Ménage Nguyen" in main.inner_text()
    session.shoot("team-home-desktop")

    page.get_by_label("Sélectionner Ménage Bernard").check()
    page.get_by_label("Sélectionner Ménage Nguyen").check()
    page.get_by_label("Réaffecter les ménages cochés à").select_option(str(a["colleague"].pk))
    with page.expect_navigation():
        page.get_by_role("button", name="Réaffecter").click()

    assert "2 ménages réaffectés à Léa Morel." in page.locator(".messages").inner_text()
    for key in ("bernard", "nguyen"):
        measure = SupportMeasure.objects.get(pk=a[key]["measure"].pk)
        assert measure.referent_id == a["colleague"].pk
        assert TeamMember.objects.filter(measure=measure, membership=a["colleague"], role="referent", until=None).exists()
    # The household that was not ticked keeps its référent.
    assert SupportMeasure.objects.get(pk=a["helene"]["measure"].pk).referent_id == a["caseworker"].pk
    session.shoot("team-home-reassigned-desktop")
    session.assert_no_errors()
