"""Logins, logouts and failed logins leave an audit row (DESIGN.md §3).

Failed attempts are also counted by django-axes (lockout); the audit row
keeps who and when for the organisation's records, without the password.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from core import audit


@receiver(user_logged_in, dispatch_uid="audit-login")
def audit_login(sender, request, user, **kwargs) -> None:
    audit.record_event(user=user, action="login", request=request)


@receiver(user_logged_out, dispatch_uid="audit-logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record_event(user=user, action="logout", request=request)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit.record_event(action="login_failed", reason="identifiants refusés", request=request)
