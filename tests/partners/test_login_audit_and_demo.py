"""Logins are audited; demo accounts that need a second factor get the demo device."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import bootstrap
from core.models import AuditLog
from partners import demo
from partners.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_login_logout_and_failures_are_audited(client):
    user = f.UserFactory(email="agent@example.org")
    user.set_password("Un-mot-de-passe-solide-42")
    user.save()
    client.post("/compte/connexion/", {"username": "agent@example.org", "password": "faux"})
    assert AuditLog.objects.filter(action="login_failed").exists()
    client.post("/compte/connexion/", {"username": "agent@example.org", "password": "Un-mot-de-passe-solide-42"})
    assert AuditLog.objects.filter(action="login", user_id=user.pk).exists()
    client.post("/compte/deconnexion/")
    assert AuditLog.objects.filter(action="logout", user_id=user.pk).exists()


def test_demo_accounts_needing_a_second_factor_get_the_demo_device(monkeypatch):
    national = f.MembershipFactory(role=Role.NATIONAL_STAFF).user
    caseworker = f.MembershipFactory(role=Role.CASEWORKER).user
    monkeypatch.setattr(bootstrap, "_demo_logins", [("n", national.email), ("c", caseworker.email)])

    demo.enrol_demo_accounts()
    demo.enrol_demo_accounts()  # idempotent

    device = TOTPDevice.objects.get(user=national)
    assert device.confirmed and not TOTPDevice.objects.filter(user=caseworker).exists()
    assert device.verify_token(demo.current_code())


def test_demo_code_command_prints_a_six_digit_code(capsys):
    call_command("demo_code")
    code = capsys.readouterr().out.split()[0]
    assert len(code) == 6 and code.isdigit()
