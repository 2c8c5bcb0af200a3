"""Accounts: login by e-mail, lockout, session expiry, passwords, second factor,
security headers, and the members page of an organisation admin.

Personas:
- alice, travailleuse sociale at the association "Alpha Solidarité";
- dora, the admin (org_admin) of that same association;
- nadia, national staff at the federation (USH);
- eve, the admin of another association, "Bêta Insertion", with her
  caseworker frank.
"""

from __future__ import annotations

import datetime
import html
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.access import Actor
from core.models import AuditLog, User
from partners import services
from partners.models import Membership, OrganisationKind, Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-cheval-pile-agrafe"
LOGIN_URL = reverse("partners:login")
LOGOUT_URL = reverse("partners:logout")
ACCOUNT_URL = reverse("partners:account")
OTP_URL = reverse("partners:second_factor")
MEMBERS_URL = reverse("partners:members")
INVITE_URL = reverse("partners:member_invite")


def text(response) -> str:
    return html.unescape(response.content.decode())


def login(client, email, password=PASSWORD, ip="127.0.0.1"):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip)


def token_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def deactivate_url(membership: Membership) -> str:
    return reverse("partners:member_deactivate", args=[membership.pk])


@pytest.fixture(autouse=True)
def _committed_refusals_are_removed(db):
    """Refused accesses (404/403 of core.access) are audited on a connection of
    their own and committed; delete them as the owner role afterwards, so that
    they do not outlive the test (as tests/core/test_audit.py does)."""
    with _owner_connection() as conn:
        before = conn.execute("SELECT coalesce(max(id), 0) FROM core_auditlog").fetchone()[0]
    yield
    with _owner_connection() as conn:
        conn.execute("DELETE FROM core_auditlog WHERE id > %s AND action = 'refused'", [before])


def _owner_connection():
    import psycopg
    from django.db import connection

    db, owner = connection.settings_dict, settings.DATABASE_OWNER
    params = {"dbname": db["NAME"], "user": owner["USER"], "autocommit": True}
    params.update({key: value for key, value in (
        ("password", owner.get("PASSWORD")), ("host", db["HOST"]), ("port", db["PORT"])
    ) if value})
    return psycopg.connect(**params, options="-c lock_timeout=5000")


@pytest.fixture
def alpha():
    return OrganisationFactory(association=True, name="Alpha Solidarité")


@pytest.fixture
def alice(alpha):
    user = UserFactory(first_name="Alice", last_name="Martin", email="alice@exemple.test")
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory(user=user, organisation=alpha, role=Role.CASEWORKER)
    return user


@pytest.fixture
def dora_membership(alpha):
    membership = MembershipFactory(
        user=UserFactory(first_name="Dora", last_name="Lefèvre", email="dora@exemple.test"),
        organisation=alpha,
        org_admin=True,
    )
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership


@pytest.fixture
def dora(dora_membership):
    return dora_membership.user


@pytest.fixture
def nadia():
    membership = MembershipFactory(national_staff=True, user__email="nadia@exemple.test")
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership.user


@pytest.fixture
def beta():
    return OrganisationFactory(association=True, name="Bêta Insertion")


@pytest.fixture
def eve_membership(beta):
    return MembershipFactory(organisation=beta, org_admin=True, user__email="eve@exemple.test")


@pytest.fixture
def frank_membership(beta):
    return MembershipFactory(organisation=beta, user__email="frank@exemple.test")


@pytest.fixture
def second_factor_on(settings):
    """The test settings switch the second factor off for the rest of the suite."""
    settings.SECOND_FACTOR_REQUIRED = True


def actor(membership: Membership) -> Actor:
    return Actor(
        user=membership.user, membership_id=membership.pk,
        organisation_id=membership.organisation_id, role=membership.role,
    )


# ==========================================================================
# Login and logout
# ==========================================================================


def test_login_page_is_in_french(client):
    content = text(client.get(LOGIN_URL))

    assert '<html lang="fr">' in content
    for words in ("Connexion", "Adresse e-mail", "Mot de passe", "Se connecter", "Mot de passe oublié ?"):
        assert words in content


def test_login_by_email_whatever_its_case(client, alice):
    response = login(client, "Alice@Exemple.TEST")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get(ACCOUNT_URL).wsgi_request.user == alice


def test_wrong_password_is_refused_in_french(client, alice):
    response = login(client, "alice@exemple.test", "mauvais-mot-de-passe")

    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in text(response)
    assert not response.wsgi_request.user.is_authenticated


def test_pages_need_a_login(client):
    response = client.get(ACCOUNT_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={ACCOUNT_URL}"


def test_logout_is_a_post(client, alice):
    client.force_login(alice)

    assert client.get(LOGOUT_URL).status_code == 405
    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert client.get(ACCOUNT_URL).status_code == 302


# ==========================================================================
# Lockout (django-axes): 5 failures of one e-mail from one address
# ==========================================================================


def test_four_failures_do_not_lock(client, alice):
    for _ in range(4):
        assert login(client, "alice@exemple.test", "faux").status_code == 200

    response = login(client, "alice@exemple.test")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_fifth_failure_locks_for_30_minutes_with_a_french_page(client, alice):
    for _ in range(4):
        assert login(client, "alice@exemple.test", "faux").status_code == 200

    locked = login(client, "ALICE@exemple.test", "faux")  # same account, whatever the case

    assert locked.status_code == 429
    content = text(locked)
    assert "Connexion temporairement bloquée" in content
    assert "La connexion a échoué 5 fois de suite." in content
    assert "bloquée pendant 30 minutes" in content
    # Even the right password is refused now.
    again = login(client, "alice@exemple.test")
    assert again.status_code == 429
    assert not again.wsgi_request.user.is_authenticated


def test_lockout_is_per_email_and_address(client, alice, dora):
    for _ in range(5):
        login(client, "alice@exemple.test", "faux")

    assert login(client, "dora@exemple.test").status_code == 302  # another account, same address
    client.post(LOGOUT_URL)
    assert login(client, "alice@exemple.test", ip="192.0.2.10").status_code == 302  # same account, elsewhere


def test_lockout_ends_after_the_cool_off(client, alice):
    from axes.models import AccessAttempt

    for _ in range(5):
        login(client, "alice@exemple.test", "faux")
    assert login(client, "alice@exemple.test").status_code == 429
    # 31 minutes pass.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=31))

    assert login(client, "alice@exemple.test").status_code == 302


# ==========================================================================
# Session: expires after 30 minutes without activity
# ==========================================================================


def test_session_expires_after_inactivity_and_activity_extends_it(client, alice, monkeypatch):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    login(client, "alice@exemple.test")
    response = client.get(ACCOUNT_URL)
    assert response.status_code == 200
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60

    start = timezone.now()

    def later(minutes):
        monkeypatch.setattr(timezone, "now", lambda: start + datetime.timedelta(minutes=minutes))

    later(29)
    assert client.get(ACCOUNT_URL).status_code == 200  # still in, and the clock restarts
    later(29 + 29)
    assert client.get(ACCOUNT_URL).status_code == 200
    later(29 + 29 + 31)
    response = client.get(ACCOUNT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


# ==========================================================================
# Passwords
# ==========================================================================


def test_password_reset_mail_is_french_and_its_link_works(client, alice):
    response = client.post(reverse("partners:password_reset"), {"email": "alice@exemple.test"}, follow=True)

    assert "Consultez votre messagerie" in text(response)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@exemple.test"]
    assert message.subject == "Logement accompagné : choisir un nouveau mot de passe"
    assert message.body.startswith("Bonjour Alice,")
    assert "Pour choisir votre nouveau mot de passe, suivez ce lien :" in message.body
    link = re.search(r"http://testserver(/\S+)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choisir votre mot de passe" in text(form_page)
    done = client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": "un-nouveau-mot-de-passe", "new_password2": "un-nouveau-mot-de-passe"},
        follow=True,
    )
    assert "Mot de passe enregistré" in text(done)
    assert login(client, "alice@exemple.test", "un-nouveau-mot-de-passe").status_code == 302
    # The link served once.
    client.post(LOGOUT_URL)
    assert "Lien expiré ou déjà utilisé" in text(client.get(link, follow=True))


def test_password_reset_of_an_unknown_email_says_the_same_and_sends_nothing(client):
    response = client.post(reverse("partners:password_reset"), {"email": "personne@exemple.test"}, follow=True)

    assert "Consultez votre messagerie" in text(response)
    assert mail.outbox == []


def test_an_invitee_whose_link_expired_can_ask_for_a_new_one(client, dora_membership):
    services.membership_invite(
        actor=actor(dora_membership), email="gaelle@exemple.test", first_name="Gaëlle", last_name="Petit",
        role=Role.CASEWORKER,
    )

    client.post(reverse("partners:password_reset"), {"email": "gaelle@exemple.test"})

    assert [message.to for message in mail.outbox] == [["gaelle@exemple.test"]]


def test_password_change_applies_the_validators(client, alice):
    client.force_login(alice)
    url = reverse("partners:password_change")

    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "court", "new_password2": "court"})
    assert "Ce mot de passe est trop court." in text(weak)

    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": "encore-plus-solide-99", "new_password2": "encore-plus-solide-99"}
    )
    assert response["Location"] == reverse("partners:password_change_done")
    alice.refresh_from_db()
    assert alice.check_password("encore-plus-solide-99")
    assert client.get(ACCOUNT_URL).status_code == 200  # still logged in


# ==========================================================================
# Second factor (TOTP)
# ==========================================================================


@pytest.mark.parametrize(
    "traits",
    [{"national_staff": True}, {"funder": True}, {"org_admin": True}, {"role": Role.PLATFORM_ADMIN}],
    ids=["national_staff", "funder", "org_admin", "platform_admin"],
)
def test_second_factor_required_for_national_funder_and_admin_roles(client, second_factor_on, traits):
    user = MembershipFactory(**traits).user
    client.force_login(user)

    response = client.get(ACCOUNT_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{OTP_URL}?next=%2Fcompte%2F"


def test_second_factor_not_required_for_a_caseworker(client, second_factor_on, alice):
    client.force_login(alice)

    assert client.get(ACCOUNT_URL).status_code == 200


def test_any_membership_with_such_a_role_requires_it_even_when_not_acting_for_it(client, second_factor_on, alice):
    MembershipFactory(user=alice, national_staff=True, organisation__name="Zz Fédération")
    client.force_login(alice)  # acting for "Alpha Solidarité" as a caseworker

    assert client.get(ACCOUNT_URL)["Location"].startswith(OTP_URL)


def test_the_admin_requires_it_for_staff(client, second_factor_on):
    staff = User.objects.create_superuser(email="root@exemple.test", password=PASSWORD)
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(OTP_URL)


def test_the_api_answers_403_until_verified(client, second_factor_on, nadia):
    client.force_login(nadia)

    response = client.get(reverse("api-schema"))

    assert response.status_code == 403
    assert response.json() == {"code": "second_factor_required", "message": "Vérification en deux étapes requise.", "errors": {}}


def test_logout_and_health_stay_reachable_before_the_code(client, second_factor_on, nadia):
    client.force_login(nadia)

    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(LOGOUT_URL).status_code == 302


def test_enrolment_then_access(client, second_factor_on, nadia):
    login(client, "nadia@exemple.test")
    response = client.get(OTP_URL)

    content = text(response)
    assert "Vérification en deux étapes" in content
    assert "Ajoutez le compte à votre application" in content
    assert "<svg" in content and "otpauth://totp/Logement%20accompagn%C3%A9%3Anadia%40exemple.test?" in content
    device = TOTPDevice.objects.get(user=nadia)
    assert not device.confirmed
    assert client.get(OTP_URL).status_code == 200
    assert TOTPDevice.objects.filter(user=nadia).count() == 1  # the same secret until confirmed

    wrong = client.post(OTP_URL, {"token": "000000" if token_for(device) != "000000" else "111111"})
    assert "Code incorrect ou expiré." in text(wrong)
    device.refresh_from_db()
    assert not device.confirmed

    device.throttle_reset()
    response = client.post(OTP_URL, {"token": token_for(device), "next": ACCOUNT_URL})
    assert response["Location"] == ACCOUNT_URL
    device.refresh_from_db()
    assert device.confirmed
    page = client.get(ACCOUNT_URL)
    assert page.status_code == 200
    assert "La vérification en deux étapes est activée pour votre compte." in text(page)


def test_a_verified_national_staff_gets_through(client, second_factor_on, nadia):
    device = TOTPDevice.objects.create(user=nadia, name="Téléphone", confirmed=True)
    login(client, "nadia@exemple.test")
    assert client.get(ACCOUNT_URL)["Location"].startswith(OTP_URL)

    page = client.get(OTP_URL)
    assert "Saisissez le code à 6 chiffres" in text(page)
    assert "<svg" not in text(page)  # no secret shown once enrolled
    response = client.post(f"{OTP_URL}?next={ACCOUNT_URL}", {"token": token_for(device)})

    assert response["Location"] == ACCOUNT_URL
    assert client.get(ACCOUNT_URL).status_code == 200
    # A new login asks again.
    client.post(LOGOUT_URL)
    login(client, "nadia@exemple.test")
    assert client.get(ACCOUNT_URL)["Location"].startswith(OTP_URL)


def test_a_verified_admin_reaches_the_admin(client, second_factor_on):
    staff = User.objects.create_superuser(email="root@exemple.test", password=PASSWORD)
    device = TOTPDevice.objects.create(user=staff, name="Téléphone", confirmed=True)
    login(client, "root@exemple.test")

    client.post(OTP_URL, {"token": token_for(device)})

    assert client.get(reverse("admin:index")).status_code == 200


# ==========================================================================
# Security headers
# ==========================================================================


def test_content_security_policy_on_pages(client):
    policy = client.get(LOGIN_URL)["Content-Security-Policy"]

    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


def test_pages_and_admin_have_no_inline_script_or_style(client, admin_client, alice):
    """What the policy would block: <script> without src, <style>, style="…"."""
    client.force_login(alice)
    pages = [
        client.get(ACCOUNT_URL),
        admin_client.get(reverse("admin:index")),
        admin_client.get(reverse("admin:partners_membership_add")),
        admin_client.get(reverse("admin:partners_organisation_changelist")),
    ]
    for response in pages:
        assert response.status_code == 200
        assert "Content-Security-Policy" in response
        content = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", content), response.request["PATH_INFO"]
        assert "<style" not in content and " style=" not in content, response.request["PATH_INFO"]


def test_production_settings_secure_cookies_hsts_csp_and_second_factor(tmp_path):
    """The production configuration (DEBUG unset, external servers), read in a fresh process."""
    probe = (
        "import json; import django; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        "'hsts': s.SECURE_HSTS_SECONDS, 'csp': 'csp.middleware.CSPMiddleware' in s.MIDDLEWARE,"
        "'second_factor': s.SECOND_FACTOR_REQUIRED, 'axes_first': s.AUTHENTICATION_BACKENDS[0]}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_COOKIES", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DATABASE_URL="postgres://app:secret@db.example.invalid:6543/logement",
        REDIS_URL="redis://cache.example.invalid:6379/0",
        SECRET_KEY="x" * 50, VAR_DIR=str(tmp_path), SECURE_HSTS_SECONDS="31536000",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=120, check=True,
    )

    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "debug": False, "session_secure": True, "csrf_secure": True, "hsts": 31536000, "csp": True,
        "second_factor": True, "axes_first": "axes.backends.AxesStandaloneBackend",
    }


# ==========================================================================
# Members of my organisation (org_admin)
# ==========================================================================


def test_members_page_lists_my_organisation_only(client, dora, alice, eve_membership, frank_membership):
    client.force_login(dora)

    content = text(client.get(MEMBERS_URL))

    assert "Membres de Alpha Solidarité" in content
    assert "alice@exemple.test" in content and "dora@exemple.test" in content
    assert "eve@exemple.test" not in content and "frank@exemple.test" not in content


def test_invite_form_offers_the_roles_of_the_organisation_kind(client, dora):
    client.force_login(dora)

    content = client.get(INVITE_URL).content.decode()

    options = re.findall(r'<option value="([a-z_]+)"', content)
    assert options == ["caseworker", "team_lead", "org_admin"]


@pytest.mark.parametrize(
    ("kind", "roles"),
    [
        (OrganisationKind.LANDLORD, ["landlord_adviser", "team_lead", "org_admin"]),
        (OrganisationKind.ASSOCIATION, ["caseworker", "team_lead", "org_admin"]),
        (OrganisationKind.FEDERATION, ["national_staff", "org_admin"]),
        (OrganisationKind.STATE, ["funder", "org_admin"]),
        (OrganisationKind.DEPARTMENT, ["funder", "org_admin"]),
        (OrganisationKind.MUNICIPALITY, ["funder", "org_admin"]),
        (OrganisationKind.CGLLS, ["funder", "org_admin"]),
    ],
)
def test_invitable_roles_by_kind(kind, roles):
    assert list(services.invitable_roles(OrganisationFactory.build(kind=kind))) == roles


def test_no_kind_lets_an_org_admin_give_platform_admin():
    assert all(Role.PLATFORM_ADMIN not in roles for roles in services.INVITABLE_ROLES.values())
    assert set(services.INVITABLE_ROLES) == set(OrganisationKind.values)


def test_invite_a_new_person(client, dora, alpha, django_capture_on_commit_callbacks):
    client.force_login(dora)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            INVITE_URL,
            {"email": "Gaelle.Petit@Exemple.test", "first_name": "Gaëlle", "last_name": "Petit", "role": "team_lead"},
        )

    assert response["Location"] == MEMBERS_URL
    user = User.objects.get(email="gaelle.petit@exemple.test")
    assert (user.first_name, user.last_name, user.has_usable_password()) == ("Gaëlle", "Petit", False)
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.role, membership.is_active) == (alpha, Role.TEAM_LEAD, True)
    assert membership.started_on == timezone.localdate()
    # The French "choose your password" mail, with a working link.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["gaelle.petit@exemple.test"]
    assert message.subject == "Invitation à rejoindre Alpha Solidarité sur Logement accompagné"
    assert message.body.startswith("Bonjour Gaëlle,")
    assert "Dora Lefèvre vous invite à rejoindre Alpha Solidarité" in message.body
    assert "« Chef de projet / responsable d'équipe »" in message.body
    link = re.search(r"http://testserver(/\S+)", message.body).group(1)
    client.post(LOGOUT_URL)
    form_page = client.get(link, follow=True)
    assert "Choisir votre mot de passe" in text(form_page)
    client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": "mon-premier-mot-de-passe", "new_password2": "mon-premier-mot-de-passe"},
    )
    assert login(client, "gaelle.petit@exemple.test", "mon-premier-mot-de-passe").status_code == 302
    # Audit: who (acting for which organisation) created what, field names only.
    rows = AuditLog.objects.filter(action="create", user_id=dora.pk).order_by("id")
    assert [(row.model_label, row.object_id) for row in rows] == [
        ("core.User", str(user.pk)),
        ("partners.Membership", str(membership.pk)),
    ]
    assert {row.organisation_id for row in rows} == {alpha.pk}
    assert {row.role for row in rows} == {Role.ORG_ADMIN}
    assert "role" in rows[1].fields


def test_invite_someone_who_already_has_an_account(client, dora, frank_membership, django_capture_on_commit_callbacks):
    frank = frank_membership.user
    frank.set_password(PASSWORD)
    frank.save()
    client.force_login(dora)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(INVITE_URL, {"email": "frank@exemple.test", "first_name": "F", "last_name": "X", "role": "caseworker"})

    assert User.objects.filter(email="frank@exemple.test").count() == 1
    frank.refresh_from_db()
    assert frank.check_password(PASSWORD) and frank.first_name != "F"  # the account is left as it is
    assert frank.memberships.filter(organisation=dora.memberships.get().organisation, is_active=True).exists()
    assert len(mail.outbox) == 1
    assert "vous a rattaché(e) à Alpha Solidarité" in mail.outbox[0].body
    assert "/compte/mot-de-passe/nouveau/" not in mail.outbox[0].body


def test_invite_an_active_member_again_is_refused(client, dora, alice):
    client.force_login(dora)
    before = Membership.objects.count()

    response = client.post(INVITE_URL, {"email": "alice@exemple.test", "first_name": "A", "last_name": "M", "role": "org_admin"})

    assert response.status_code == 200
    assert "Cette personne est déjà membre de l'organisation." in text(response)
    assert Membership.objects.count() == before
    assert alice.memberships.get().role == Role.CASEWORKER


def test_reinviting_a_deactivated_member_reactivates_the_membership(dora_membership, alice):
    membership = alice.memberships.get()
    services.membership_deactivate(actor=actor(dora_membership), membership_id=membership.pk)

    again = services.membership_invite(
        actor=actor(dora_membership), email="alice@exemple.test", first_name="", last_name="", role=Role.TEAM_LEAD
    )

    assert again.pk == membership.pk
    assert (again.is_active, again.role, again.ended_on) == (True, Role.TEAM_LEAD, None)
    assert AuditLog.objects.filter(
        model_label="partners.Membership", object_id=str(membership.pk), action="update"
    ).count() == 2


def test_a_role_outside_the_organisation_kind_is_refused(client, dora_membership):
    client.force_login(dora_membership.user)
    users, memberships = User.objects.count(), Membership.objects.count()

    response = client.post(INVITE_URL, {"email": "x@exemple.test", "first_name": "X", "last_name": "Y", "role": "national_staff"})

    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in text(response)
    with pytest.raises(services.ValidationError) as error:
        services.membership_invite(
            actor=actor(dora_membership), email="x@exemple.test", first_name="X", last_name="Y", role=Role.FUNDER
        )
    assert "role" in error.value.message_dict
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    assert mail.outbox == []


def test_deactivate_a_member_of_my_organisation(client, dora, alice):
    membership = alice.memberships.get()
    client.force_login(dora)

    confirm = client.get(deactivate_url(membership))
    assert "Alice Martin ne pourra plus agir pour Alpha Solidarité" in text(confirm)
    response = client.post(deactivate_url(membership), follow=True)

    assert "Le rattachement de Alice Martin est désactivé." in text(response)
    membership.refresh_from_db()
    assert (membership.is_active, membership.ended_on) == (False, timezone.localdate())
    assert membership.version == 2
    row = AuditLog.objects.get(model_label="partners.Membership", object_id=str(membership.pk), action="update")
    assert (row.user_id, row.role, sorted(row.fields)) == (dora.pk, Role.ORG_ADMIN, ["ended_on", "is_active"])
    # Alice now acts for nobody.
    client.force_login(alice)
    assert not client.get(ACCOUNT_URL).wsgi_request.actor.acts_for_an_organisation


def test_a_member_of_another_organisation_is_a_404(client, dora, frank_membership):
    client.force_login(dora)

    assert client.get(deactivate_url(frank_membership)).status_code == 404
    assert client.post(deactivate_url(frank_membership)).status_code == 404

    frank_membership.refresh_from_db()
    assert frank_membership.is_active and frank_membership.version == 1
    with _owner_connection() as conn:  # the refusals are audited, committed on their own
        refused = conn.execute(
            "SELECT user_email, reason FROM core_auditlog WHERE action = 'refused'"
            " AND model_label = 'partners.Membership' AND object_id = %s",
            [str(frank_membership.pk)],
        ).fetchall()
    assert refused == [("dora@exemple.test", "not_visible")] * 2


def test_an_admin_cannot_deactivate_herself(client, dora_membership):
    client.force_login(dora_membership.user)

    response = client.post(deactivate_url(dora_membership), follow=True)

    assert "Vous ne pouvez pas désactiver votre propre rattachement." in text(response)
    dora_membership.refresh_from_db()
    assert dora_membership.is_active


def test_an_admin_acting_for_another_organisation_administers_that_one_only(client, dora, alice, beta):
    """dora is also a caseworker of Bêta: acting for Bêta, she is no admin at all."""
    bis = MembershipFactory(user=dora, organisation=beta)
    client.force_login(dora)
    client.post(reverse("partners:switch_organisation"), {"membership": bis.pk})

    assert client.get(MEMBERS_URL).status_code == 403
    assert client.post(deactivate_url(alice.memberships.get())).status_code == 404  # Alpha is not seen from Bêta
    assert client.post(deactivate_url(bis)).status_code == 403  # her own Bêta membership: seen, not changeable
    assert alice.memberships.get().is_active


def test_a_caseworker_gets_403_and_changes_nothing(client, alice, dora_membership):
    client.force_login(alice)
    users, memberships = User.objects.count(), Membership.objects.count()

    assert client.get(MEMBERS_URL).status_code == 403
    assert client.get(INVITE_URL).status_code == 403
    invite = client.post(INVITE_URL, {"email": "x@exemple.test", "first_name": "X", "last_name": "Y", "role": "caseworker"})
    assert invite.status_code == 403
    assert client.get(deactivate_url(dora_membership)).status_code == 403  # a colleague: seen, not changeable
    assert client.post(deactivate_url(dora_membership)).status_code == 403

    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    dora_membership.refresh_from_db()
    assert dora_membership.is_active
    assert mail.outbox == []
    assert not AuditLog.objects.filter(action__in=["create", "update"]).exists()


def test_services_refuse_a_non_admin_actor(alice, dora_membership):
    caseworker = actor(alice.memberships.get())

    with pytest.raises(services.PermissionDenied):
        services.membership_invite(actor=caseworker, email="x@exemple.test", first_name="", last_name="", role="caseworker")
    with pytest.raises(services.PermissionDenied):
        services.membership_deactivate(actor=caseworker, membership_id=dora_membership.pk)
    with pytest.raises(Http404):
        services.membership_deactivate(actor=Actor(user=alice), membership_id=dora_membership.pk)
