"""Data loaded by ``make run`` on an empty database.

Apps register loaders in their ``AppConfig.ready()`` (core imports no app).
Each loader checks by itself whether its data is already there, so running
``manage.py bootstrap`` again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Demo accounts only exist on development databases; the password is printed
# by `make run` and listed in the README.
DEMO_PASSWORD = "Demo-logement-2026"
DEMO_ADMIN_EMAIL = "admin@demo.logement-accompagne.fr"


@dataclass(frozen=True)
class Loader:
    order: int
    name: str
    load: Callable[..., None]


_loaders: dict[str, Loader] = {}
_demo_logins: list[tuple[str, str]] = []


def register_loader(order: int, name: str, load: Callable[..., None]) -> None:
    _loaders[name] = Loader(order, name, load)


def loaders() -> list[Loader]:
    return sorted(_loaders.values(), key=lambda loader: (loader.order, loader.name))


def register_demo_login(role_label: str, email: str) -> None:
    if (role_label, email) not in _demo_logins:
        _demo_logins.append((role_label, email))


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, e-mail, password) of the demo accounts that exist."""
    from django.contrib.auth import get_user_model

    existing = set(get_user_model().objects.filter(email__in=[e for _, e in _demo_logins]).values_list("email", flat=True))
    return [(role, email, DEMO_PASSWORD) for role, email in _demo_logins if email in existing]


def create_platform_admin(stdout=None) -> None:
    """The platform administrator of a fresh development database."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if not (settings.DEBUG or settings.EMBEDDED_DATABASE) or User.objects.filter(is_superuser=True).exists():
        return
    User.objects.create_superuser(
        email=DEMO_ADMIN_EMAIL, password=DEMO_PASSWORD, first_name="Camille", last_name="Admin"
    )
    if stdout is not None:
        stdout.write(f"Compte administrateur de démonstration créé : {DEMO_ADMIN_EMAIL}")
