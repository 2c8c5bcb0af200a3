"""Constraints of partners: organisations, memberships, partnerships.

Personas: alice is a conseillère sociale at the landlord "Habitat Social",
bob a travailleur social at the association "Un Toit Pour Tous".
"""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from partners.models import Membership, Organisation, OrganisationKind, Partnership, Role
from tests.factories import MembershipFactory, OrganisationFactory, PartnershipFactory, UserFactory
from tests.test_constraints import violates

pytestmark = pytest.mark.django_db

COVERED = [
    "organisation_siren_unique",
    "organisation_not_own_group",
    "membership_one_per_organisation",
    "membership_dates_ordered",
    "partnership_two_parties",
    "partnership_dates_ordered",
]


# ------------------------------------------------------------- organisation


def test_two_organisations_cannot_share_a_siren():
    OrganisationFactory(siren="123456789")
    with violates("organisation_siren_unique"):
        Organisation.objects.create(name="Autre nom, même SIREN", kind=OrganisationKind.LANDLORD, siren="123456789")


def test_many_organisations_may_have_no_siren():
    """The SIREN is unique only when it is filled in (partial index)."""
    OrganisationFactory(siren="")
    OrganisationFactory(siren="")
    assert Organisation.objects.filter(siren="").count() >= 2


def test_an_organisation_cannot_be_its_own_group():
    habitat = OrganisationFactory(landlord_group=True)
    with violates("organisation_not_own_group"):
        Organisation.objects.filter(pk=habitat.pk).update(group=F("id"))


def test_a_landlord_may_belong_to_a_group_and_have_none():
    group = OrganisationFactory(landlord_group=True)
    member = OrganisationFactory(landlord=True, group=group)
    alone = OrganisationFactory(landlord=True, group=None)
    assert member.group == group and alone.group is None


def test_two_spellings_of_one_organisation_collide():
    """Not a Meta constraint but the same promise: normalized_name is unique."""
    OrganisationFactory(name="Grand Lyon Habitat")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(name="GRAND-LYON  habitat")


# --------------------------------------------------------------- membership


def test_a_user_is_attached_once_to_an_organisation():
    alice = MembershipFactory(landlord_adviser=True)
    with violates("membership_one_per_organisation"):
        Membership.objects.create(user=alice.user, organisation=alice.organisation, role=Role.TEAM_LEAD)


def test_a_user_may_act_for_two_organisations():
    alice = UserFactory(email="alice@exemple.test")
    MembershipFactory(user=alice, landlord_adviser=True)
    MembershipFactory(user=alice, role=Role.CASEWORKER)
    assert alice.memberships.count() == 2


def test_a_membership_cannot_end_before_it_starts():
    with violates("membership_dates_ordered"):
        MembershipFactory(started_on=datetime.date(2024, 9, 1), ended_on=datetime.date(2024, 8, 31))


def test_a_membership_may_end_the_day_it_starts_or_have_open_dates():
    day = datetime.date(2024, 9, 1)
    assert MembershipFactory(started_on=day, ended_on=day).pk
    assert MembershipFactory(started_on=None, ended_on=day).pk


# -------------------------------------------------------------- partnership


def test_a_partnership_needs_two_different_parties():
    habitat = OrganisationFactory(landlord=True)
    with violates("partnership_two_parties"):
        Partnership.objects.create(landlord=habitat, association=habitat)


def test_a_partnership_cannot_end_before_it_starts():
    convention = PartnershipFactory()
    with violates("partnership_dates_ordered"):
        Partnership.objects.filter(pk=convention.pk).update(ends_on=F("starts_on") - datetime.timedelta(days=1))
