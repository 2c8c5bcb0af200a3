"""A small caseload whose rollup figures are computed by hand (see ``test_rollups``).

Project P (2.3, Lyon, from 01/01/2024) of landlord L with association A:

- H1: orientation SIAO 05/12/2023 (accepted); measure M1 repérage 15/01/2024,
  diagnostic 01/02/2024, contract 15/02/2024, bail direct from 01/03/2024
  (69383), end 16/12/2024 "maintenu"; entry arrears 640 €, exit 0 €;
  contacts: home visit 12/03/2024 (60 min), call 20/03/2024 (15 min),
  no-show 02/04/2024, plus a planned and a cancelled one (not counted);
  eviction file opened 07/10/2024 (arrears, commandement de payer
  04/11/2024, judgment 18/03/2025 after the end), closed "évitée".
- H2: orientation CCAPEX 01/03/2025 (pending); measure M2 repérage
  10/03/2025, open; one office interview 05/04/2025 (30 min).
- Money: targets 10 (year 1) and 12 (year 2); FNAVDL 60 000 € granted on
  01/06/2024 by the State S, 5 000 € requested from a commune (undecided);
  budget 2024 support 20 000 € (spent 1 650 + 350) and GLA 5 000 € (spent
  1 000), 2025 support 22 000 €; S → L 30 000 € on 01/07/2024; L → A
  15 000 € on 01/07/2024 and 5 000 € on 01/02/2025.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from core.access import Actor
from partners.models import OrganisationKind, Role
from tests import factories as f

NOW = datetime.datetime(2025, 6, 15, 10, 0, tzinfo=datetime.UTC)


def actor(membership) -> Actor:
    return Actor(user=membership.user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


def build_caseload(label: str = "") -> dict:
    landlord = f.OrganisationFactory(landlord=True, name=f"Bailleur P{label}")
    association = f.OrganisationFactory(association=True, name=f"Association P{label}")
    state = f.OrganisationFactory(state=True, name=f"DDETS P{label}")
    commune = f.OrganisationFactory(kind=OrganisationKind.MUNICIPALITY, name=f"Commune P{label}")
    project = f.ProjectFactory(lead_landlord=landlord, starts_on=datetime.date(2024, 1, 1), departements=["69"])
    f.ProjectCarrierFactory(project=project, organisation=landlord, role="lead")
    f.ProjectCarrierFactory(project=project, organisation=association, role="partner")
    f.ProjectTargetFactory(project=project, year=1, households=10)
    f.ProjectTargetFactory(project=project, year=2, households=12)
    fnavdl = f.FundingFactory(project=project, funder=state, granted=True, amount_requested=Decimal("60000"))
    f.FundingFactory(project=project, funder=commune, programme="local_authority", amount_requested=Decimal("5000"))
    support_2024 = f.BudgetLineFactory(project=project, kind="support", year=2024)  # 20 000
    gla_2024 = f.BudgetLineFactory(project=project, kind="gla", year=2024, unit_cost=None, quantity=None, planned=Decimal("5000"))
    f.BudgetLineFactory(project=project, kind="support", year=2025, unit_cost=Decimal("2200"), quantity=10)  # 22 000
    f.ExpenseFactory(budget_line=support_2024, amount=Decimal("1650"))
    f.ExpenseFactory(budget_line=support_2024, amount=Decimal("350"))
    f.ExpenseFactory(budget_line=gla_2024, amount=Decimal("1000"))
    f.PaymentFactory(project=project, funding=fnavdl, kind="grant_instalment", payer=state, payee=landlord, amount=Decimal("30000"))
    f.PaymentFactory(project=project, payer=landlord, payee=association, amount=Decimal("15000"), paid_on=datetime.date(2024, 7, 1))
    f.PaymentFactory(project=project, payer=landlord, payee=association, amount=Decimal("5000"), paid_on=datetime.date(2025, 2, 1))

    people = {
        "caseworker": f.MembershipFactory(organisation=association, role=Role.CASEWORKER),
        "lead": f.MembershipFactory(organisation=association, role=Role.TEAM_LEAD),
        "adviser": f.MembershipFactory(organisation=landlord, role=Role.LANDLORD_ADVISER),
        "funder": f.MembershipFactory(organisation=state, role=Role.FUNDER),
    }

    h1 = f.HouseholdFactory(organisation=association, project=project)
    f.ReferralFactory(household=h1, source="siao", referred_on=datetime.date(2023, 12, 5), accepted=True)
    m1 = f.SupportMeasureFactory(household=h1, ended=True, referent=people["caseworker"])
    f.TeamMemberFactory(measure=m1, membership=people["caseworker"], role="referent")
    unit = f.HousingUnitFactory(landlord=landlord, postcode="69003", commune_insee="69383")
    lease = f.LeaseFactory(unit=unit, occupant=h1)
    f.SituationSnapshotFactory(measure=m1)  # entry: 640 €, no housing benefit
    f.SituationSnapshotFactory(measure=m1, exit=True)  # exit: 0 €, housing benefit
    contacts = [
        f.ContactFactory(measure=m1),  # home visit 12/03/2024, 60 min
        f.ContactFactory(measure=m1, phone=True, occurred_on=datetime.date(2024, 3, 20)),  # 15 min
        f.ContactFactory(measure=m1, no_show=True, occurred_on=datetime.date(2024, 4, 2)),
        f.ContactFactory(measure=m1, planned=True),  # 20/01/2025, planned: not counted
        f.ContactFactory(measure=m1, status="cancelled", occurred_on=datetime.date(2024, 5, 1)),
    ]
    case = f.EvictionCaseFactory(lease=lease, closed=True)  # 07/10/2024 → 30/04/2025, avoided
    f.EvictionStepFactory(case=case)  # arrears 07/10/2024
    f.EvictionStepFactory(case=case, payment_order=True)  # 04/11/2024
    f.EvictionStepFactory(case=case, judgment=True)  # 18/03/2025: after the end of M1

    h2 = f.HouseholdFactory(organisation=association, project=project)
    f.ReferralFactory(household=h2, source="ccapex", referred_on=datetime.date(2025, 3, 1))
    m2 = f.SupportMeasureFactory(household=h2, identification=True, identified_on=datetime.date(2025, 3, 10), referent=people["caseworker"])
    f.ContactFactory(measure=m2, kind="office", occurred_on=datetime.date(2025, 4, 5), duration_minutes=30)

    return {
        "landlord": landlord, "association": association, "state": state, "commune": commune, "project": project,
        "people": people, "h1": h1, "h2": h2, "m1": m1, "m2": m2, "lease": lease, "contacts": contacts,
        "support_2024": support_2024,
    }


@pytest.fixture
def caseload(db):
    return build_caseload()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path
