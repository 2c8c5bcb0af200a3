"""Writes on organisations' memberships (DESIGN.md §4: every write is a service).

An organisation admin (role ``org_admin``) invites people into the
organisation they act for, and deactivates its memberships; nothing of
another organisation. Every function is atomic, validates with
``full_clean()`` and writes its audit row in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from core import access
from core.access import Actor
from core.models import User
from core.services import update_object

from .models import Membership, MembershipQuerySet, Organisation, OrganisationKind, Role, normalize_organisation_name

_LANDLORD_ROLES = (Role.LANDLORD_ADVISER, Role.TEAM_LEAD, Role.ORG_ADMIN)
_SOCIAL_WORK_ROLES = (Role.CASEWORKER, Role.TEAM_LEAD, Role.ORG_ADMIN)
_FUNDER_ROLES = (Role.FUNDER, Role.ORG_ADMIN)

#: The roles an organisation admin may give, by kind of organisation.
#: ``platform_admin`` is never given here (Django admin only).
INVITABLE_ROLES: dict[str, tuple[Role, ...]] = {
    OrganisationKind.LANDLORD: _LANDLORD_ROLES,
    OrganisationKind.LANDLORD_GROUP: _LANDLORD_ROLES,
    OrganisationKind.ASSOCIATION: _SOCIAL_WORK_ROLES,
    OrganisationKind.FEDERATION: (Role.NATIONAL_STAFF, Role.ORG_ADMIN),
    # Funders (financeurs): aggregates only.
    OrganisationKind.STATE: _FUNDER_ROLES,
    OrganisationKind.DEPARTMENT: _FUNDER_ROLES,
    OrganisationKind.MUNICIPALITY: _FUNDER_ROLES,
    OrganisationKind.CAF: _FUNDER_ROLES,
    OrganisationKind.ACTION_LOGEMENT: _FUNDER_ROLES,
    OrganisationKind.CGLLS: _FUNDER_ROLES,
    # Partners who orient or follow households (SIAO, CCAPEX, CMP, SPIP…):
    # social workers who see what households consented to share with them.
    OrganisationKind.SIAO: _SOCIAL_WORK_ROLES,
    OrganisationKind.CCAPEX: _SOCIAL_WORK_ROLES,
    OrganisationKind.HEALTH: _SOCIAL_WORK_ROLES,
    OrganisationKind.JUSTICE: _SOCIAL_WORK_ROLES,
    OrganisationKind.OTHER: _SOCIAL_WORK_ROLES,
}


def invitable_roles(organisation: Organisation) -> tuple[Role, ...]:
    return INVITABLE_ROLES.get(organisation.kind, (Role.ORG_ADMIN,))


def administered_memberships(actor: Actor) -> MembershipQuerySet:
    """The memberships ``actor`` administers: those of the organisation it acts for.

    Raises ``PermissionDenied`` (403) unless the membership policy
    (``partners.access``) lets the actor change memberships, i.e. it acts
    as ``org_admin``.
    """
    _require(actor, access.CHANGE)
    return access.visible_to(actor, Membership).filter(organisation_id=actor.organisation_id)


def _require(actor: Actor, action: str) -> None:
    if not actor.is_authenticated or not access.can(actor, action, Membership):
        raise PermissionDenied


def membership_invite(
    *, actor: Actor, email: str, first_name: str, last_name: str, role: str, site_url: str | None = None
) -> Membership:
    """Give ``email`` a membership of the actor's organisation, creating the account if needed.

    A new account has no usable password: the e-mail sent after commit
    carries a link to choose one (a password-reset token). An existing
    account gets a notice instead. A past (deactivated) membership of the
    same person is reactivated with the new role.
    """
    _require(actor, access.ADD)
    memberships = administered_memberships(actor)
    organisation = Organisation.objects.get(pk=actor.organisation_id)
    if role not in invitable_roles(organisation):
        raise ValidationError({"role": _("Ce rôle ne peut pas être donné dans cette organisation.")})
    email = User.objects.normalize_email(email.strip()).lower()
    today = timezone.localdate()

    from core import audit

    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        new_account = user is None
        if new_account:
            user = User.objects.create_user(email=email, password=None, first_name=first_name, last_name=last_name)
            audit.record_write(actor=actor, obj=user, action="create", fields=["email", "first_name", "last_name"])
        elif not user.is_active:
            raise ValidationError(
                {"email": _("Ce compte est désactivé : adressez-vous à l'administrateur de la plateforme.")}
            )

        membership = memberships.select_for_update().filter(user=user).first()
        if membership is None:
            membership = Membership(
                user=user, organisation=organisation, role=role, is_active=True, started_on=today
            )
            membership.full_clean()
            membership.save()
            audit.record_write(
                actor=actor, obj=membership, action="create",
                fields=["user", "organisation", "role", "is_active", "started_on"],
            )
        elif membership.is_active:
            raise ValidationError({"email": _("Cette personne est déjà membre de l'organisation.")})
        else:
            membership.role = role
            membership.is_active = True
            membership.started_on = today
            membership.ended_on = None
            membership.full_clean()
            membership.version = F("version") + 1
            membership.save(update_fields=["role", "is_active", "started_on", "ended_on", "version", "updated_at"])
            membership.refresh_from_db(fields=["version"])
            audit.record_write(
                actor=actor, obj=membership, action="update", fields=["role", "is_active", "started_on", "ended_on"],
            )

        transaction.on_commit(
            lambda: _send_invitation(
                membership=membership, inviter=actor.user, new_account=new_account, site_url=site_url
            )
        )
    return membership


def membership_deactivate(*, actor: Actor, membership_id: int) -> Membership:
    """End a membership of the actor's organisation (``is_active`` False, ended today).

    Decided by ``core.access``: a membership the actor may not see is a
    404, one it sees but may not change a 403 (both audited as refusals).
    The actor's own is a validation error (an admin cannot lock themselves
    out).
    """
    from core import audit

    with transaction.atomic():
        locked = Membership.objects.select_for_update(of=("self",)).select_related("user")
        membership = access.access(actor, locked, membership_id, action=access.CHANGE)
        if membership.pk == actor.membership_id:
            raise ValidationError(_("Vous ne pouvez pas désactiver votre propre rattachement."))
        if not membership.is_active:
            return membership
        today = timezone.localdate()
        membership.is_active = False
        membership.ended_on = max(today, membership.started_on) if membership.started_on else today
        membership.full_clean()
        membership.version = F("version") + 1
        membership.save(update_fields=["is_active", "ended_on", "version", "updated_at"])
        membership.refresh_from_db(fields=["version"])
        audit.record_write(actor=actor, obj=membership, action="update", fields=["is_active", "ended_on"])
    return membership


def _send_invitation(*, membership: Membership, inviter, new_account: bool, site_url: str | None) -> None:
    user = membership.user
    base = (site_url or settings.SITE_URL).rstrip("/")
    context = {
        "user": user,
        "membership": membership,
        "organisation": membership.organisation,
        "role": membership.get_role_display(),
        "inviter": inviter,
        "login_url": base + reverse("partners:login"),
        "needs_second_factor": membership.role in settings.SECOND_FACTOR_ROLES,
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    if new_account:
        path = reverse(
            "partners:password_reset_confirm",
            kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)},
        )
        context["set_password_url"] = base + path
        template = "partners/emails/invitation"
    else:
        template = "partners/emails/added"
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context)
    send_mail(subject, body, None, [user.email])


#: Fields of its card an organisation admin may change.
ORGANISATION_WRITABLE = ["name", "short_name", "siren", "departement", "address", "postcode", "city", "email"]


def organisation_update(*, actor: Actor, organisation: Organisation, changes: dict[str, Any], version: int | None) -> Organisation:
    """An organisation admin updates its own organisation's card (atomic, validated, audited).

    Only the fields of the card (:data:`ORGANISATION_WRITABLE`); the kind,
    the group and the active flag are the platform administrator's.
    """
    if not actor.is_authenticated or not access.can(actor, access.CHANGE, organisation):
        raise PermissionDenied(_("Seul l'administrateur de l'organisation peut modifier sa fiche."))
    unknown = sorted(set(changes) - set(ORGANISATION_WRITABLE))
    if unknown:
        raise access.FieldsNotWritable(unknown)
    changes = {name: value.strip() if isinstance(value, str) else value for name, value in changes.items()}
    if "name" in changes:
        if not changes["name"]:
            raise ValidationError({"name": [_("Indiquez le nom de l'organisation.")]})
        key = normalize_organisation_name(changes["name"])
        if Organisation.objects.exclude(pk=organisation.pk).filter(normalized_name=key).exists():
            raise ValidationError({"name": [_("Une autre organisation porte déjà ce nom.")]})
    if changes.get("siren") and Organisation.objects.exclude(pk=organisation.pk).filter(siren=changes["siren"]).exists():
        raise ValidationError({"siren": [_("Une autre organisation a déjà ce SIREN.")]})
    return update_object(actor=actor, obj=organisation, changes=changes, version=version)
