"""Second factor of the demo accounts (development databases only).

Demo accounts that must give a TOTP code (national staff, funder, admins)
share one published demo secret, so that anyone trying the demo (and the
screenshot scripts) can log in: ``manage.py demo_code`` prints the current
code, and any authenticator app accepts the secret below.
"""

from __future__ import annotations

import base64
import time

from django.conf import settings

from core import bootstrap

from .acting import active_memberships_of, needs_second_factor

#: Published in the README: demo accounts only, never a real one.
DEMO_TOTP_SECRET_BASE32 = "IRSW232MN5TWK3LFNZ2ECY3DN5WXAMRW"


def demo_key_hex() -> str:
    return base64.b32decode(DEMO_TOTP_SECRET_BASE32).hex()


def enrol_demo_accounts(stdout=None) -> None:
    """Bootstrap loader: a confirmed TOTP device on each demo account that needs one."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not (settings.DEBUG or settings.EMBEDDED_DATABASE):
        return
    emails = [email for _, email, _ in bootstrap.demo_logins()]
    for user in get_user_model().objects.filter(email__in=emails):
        if needs_second_factor(user, active_memberships_of(user)) and not TOTPDevice.objects.filter(user=user).exists():
            TOTPDevice.objects.create(user=user, name="Démonstration", key=demo_key_hex(), confirmed=True)


def current_code() -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(demo_key_hex())).token():06d}"


def seconds_left() -> int:
    return 30 - int(time.time()) % 30
