"""Server time and query count of the main pages on the demo caseload.

Usage (after `make run` has loaded the demo once, or on any database
holding it):

    .venv/bin/python bench/pages.py [--runs 15]

Each page is requested in-process through Django's test client as a demo
persona (no network, no browser: this is server time), after two warm-up
requests. Prints, per page: the median and 95th-percentile time, the ratio
to the 150 ms budget of issue 6, and the number of SQL queries. A second
table checks that the query count does not grow with the page: the same
screen on a small and on a large record (household with few / many
contacts, list page 1 / last page).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from core import access  # noqa: E402
from core.access import Actor  # noqa: E402
from core.models import User  # noqa: E402
from households.models import Household  # noqa: E402
from partners.models import Membership  # noqa: E402
from projects.models import Project  # noqa: E402

BUDGET_MS = 150.0
DOMAIN = "demo.logement-accompagne.fr"
PERSONAS = {
    "caseworker": f"karim.benali@{DOMAIN}",
    "team_lead": f"claire.moreau@{DOMAIN}",
    "landlord": f"sophie.garnier@{DOMAIN}",
    "national": f"helene.vasseur@{DOMAIN}",
}


def client_for(email: str) -> tuple[Client, Actor]:
    user = User.objects.get(email=email)
    membership = Membership.objects.filter(user=user).select_related("organisation").first()
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:  # second factor already given (national staff, funders, admins)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client, Actor(user=user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


def url(name: str, *args, query: str = "") -> str | None:
    try:
        return reverse(name, args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return None


def measure(client: Client, path: str, runs: int) -> tuple[int, float, float, int]:
    headers = {}
    if path.startswith("htmx:"):
        path, headers = path[5:], {"HTTP_HX_REQUEST": "true"}
    for _ in range(2):
        client.get(path, **headers)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path, **headers)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(path, **headers)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return response.status_code, statistics.median(timings), p95, len(queries)


def households_by_contacts(actor: Actor) -> tuple[Household | None, Household | None]:
    visible = access.visible_to(actor, Household).annotate(n=Count("contacts")).order_by("n", "pk")
    return visible.first(), visible.last()


def main() -> int:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 15
    setup_test_environment()
    # Production-like: DEBUG off, so the hashed static manifest must exist.
    call_command("collectstatic", interactive=False, verbosity=0)
    households = Household.objects.count()
    print(f"Demo caseload: {households} households, {Project.objects.count()} projects; {runs} timed runs per page.\n")
    clients = {name: client_for(email) for name, email in PERSONAS.items()}
    caseworker = clients["caseworker"][1]
    landlord = clients["landlord"][1]
    small, large = households_by_contacts(caseworker)
    l_small, l_large = households_by_contacts(landlord)
    project = access.visible_to(landlord, Project).annotate(n=Count("households")).order_by("-n").first()
    last_page = max(1, (access.visible_to(caseworker, Household).count() + 24) // 25)

    pages = [
        ("caseworker", "home", url("home")),
        ("caseworker", "households list", url("households:list")),
        ("caseworker", "households list, search", url("households:list", query="q=menage")),
        ("caseworker", "household file (most contacts)", url("households:detail", large.pk) if large else None),
        ("caseworker", "contact form", url("households:contact_new")),
        ("caseworker", "household search (htmx)", url("households:search", query="q=mar")),
        ("team_lead", "home (team caseload)", url("home")),
        ("landlord", "home", url("home")),
        ("landlord", "household file (most contacts)", url("households:detail", l_large.pk) if l_large else None),
        ("landlord", "lease path panel (htmx)", url("housing:lease-path", l_large.pk) if l_large else None),
        ("landlord", "eviction panel (htmx)", url("housing:eviction", l_large.pk) if l_large else None),
        ("landlord", "arrears list", url("housing:arrears")),
        ("landlord", "projects list", url("projects:list")),
        ("landlord", "project page", url("projects:detail", project.pk) if project else None),
        ("landlord", "project households panel", url("households:project-households", project.pk) if project else None),
        ("national", "home (programme)", url("home")),
        ("national", "projects list", url("projects:list")),
    ]
    print(f"{'persona':<11} {'page':<34} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'÷ budget':>9} {'queries':>8}")
    over = 0
    for persona, label, path in pages:
        if path is None:
            print(f"{persona:<11} {label:<34} {'absent':>6}")
            continue
        status, median, p95, queries = measure(clients[persona][0], path, runs)
        ratio = median / BUDGET_MS
        over += ratio > 1 or status != 200
        flag = "" if ratio <= 1 and status == 200 else "  <-- over budget" if status == 200 else "  <-- not 200"
        print(f"{persona:<11} {label:<34} {status:>6} {median:>10.1f} {p95:>8.1f} {ratio:>9.2f} {queries:>8}{flag}")

    print("\nQuery count against the size of what is shown (must be equal):")
    pairs = [
        ("caseworker", "household file", small, large, "households:detail"),
        ("landlord", "household file", l_small, l_large, "households:detail"),
    ]
    for persona, label, a, b, name in pairs:
        if a is None or url(name, a.pk) is None:
            continue
        counts = []
        for household in (a, b):
            with CaptureQueriesContext(connection) as queries:
                clients[persona][0].get(url(name, household.pk))
            counts.append((household.contacts.count(), len(queries)))
        print(f"  {persona:<11} {label:<20} {counts[0][0]:>4} contacts: {counts[0][1]:>3} queries | {counts[1][0]:>4} contacts: {counts[1][1]:>3} queries")
    if url("households:list"):
        counts = []
        for page in (1, last_page):
            with CaptureQueriesContext(connection) as queries:
                clients["caseworker"][0].get(url("households:list", query=f"page={page}"))
            counts.append(len(queries))
        print(f"  caseworker  households list      page 1: {counts[0]:>3} queries | page {last_page}: {counts[1]:>3} queries")
    print(f"\n{over} page(s) over the {BUDGET_MS:.0f} ms budget or failing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
