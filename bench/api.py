"""Server time and query count of every list endpoint of the API v1 on the demo caseload.

Usage (after `make run` has loaded the demo once, or on any database
holding it):

    .venv/bin/python bench/api.py [--runs 30]

Each list of the API router is requested in-process (Django's test client,
no network) with a personal token of a demo persona — a caseworker, a
landlord adviser and a national staff member — after two warm-up requests.
Prints per endpoint: rows visible, median and 95th percentile of the
default page (50 rows), and the number of SQL queries for a page of 1 row
and of 500 rows (they must be equal: a page costs the same whatever its
size). Then a full incremental sync of households and contacts (every
page, then ``updated_since``), and a bulk upload of 1 000 contacts (rolled
back). The throttle is lifted for the measurement; the tokens made are
deleted at the end.
"""

from __future__ import annotations

import datetime
import os
import statistics
import uuid
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.settings import api_settings  # noqa: E402

from config.api import router  # noqa: E402
from core import access  # noqa: E402
from core.access import Actor  # noqa: E402
from core.models import User  # noqa: E402
from households.contacts import my_measures  # noqa: E402
from households.models import Household  # noqa: E402
from partners.api_tokens import token_create  # noqa: E402
from partners.models import ApiToken, Membership  # noqa: E402

DOMAIN = "demo.logement-accompagne.fr"
PERSONAS = {
    "caseworker": f"karim.benali@{DOMAIN}",
    "landlord": f"sophie.garnier@{DOMAIN}",
    "national": f"helene.vasseur@{DOMAIN}",
}
BUDGET_MS = 150.0


def persona(email: str) -> tuple[Client, Actor, ApiToken]:
    user = User.objects.get(email=email)
    membership = Membership.objects.filter(user=user, is_active=True).first()
    actor = Actor(user=user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)
    token, clear = token_create(actor=actor, name="bench/api.py", scope="read", days=30)
    return Client(HTTP_AUTHORIZATION=f"Bearer {clear}"), actor, token


def timed(client: Client, path: str, runs: int) -> tuple[int, float, float]:
    for _ in range(2):
        client.get(path)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return response.status_code, statistics.median(timings), p95


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured)


def sync(client: Client, prefix: str) -> tuple[int, int, float, int]:
    """Every page of a list, then an incremental pass: rows, pages, seconds, rows of the second pass."""
    start = time.perf_counter()
    seen, pages, latest, url = set(), 0, None, f"/api/v1/{prefix}/?page_size=500"
    while url:
        body = client.get(url).json()
        pages += 1
        for row in body["results"]:
            seen.add(row["id"])
            latest = max(latest or row["updated_at"], row["updated_at"])
        url = body["next"]
    elapsed = time.perf_counter() - start
    again, url = 0, f"/api/v1/{prefix}/?page_size=500&updated_since={quote(latest)}" if latest else None
    while url:
        body = client.get(url).json()
        again += len(body["results"])
        url = body["next"]
    return len(seen), pages, elapsed, again


def bulk(email: str) -> tuple[int, float, int]:
    """1 000 contacts on the persona's own measures in one request, rolled back: status, seconds, queries."""
    user = User.objects.get(email=email)
    membership = Membership.objects.filter(user=user, is_active=True).first()
    actor = Actor(user=user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)
    measures = list(my_measures(actor).filter(ended_on__isnull=True).values_list("pk", "identified_on")[:50])
    today = timezone.localdate()
    rows = [
        {"client_uuid": str(uuid.uuid4()), "measure": pk, "kind": "phone", "duration_minutes": 10,
         "occurred_on": max(identified, today - datetime.timedelta(days=i % 60)).isoformat()}
        for i, (pk, identified) in ((i, measures[i % len(measures)]) for i in range(1000))
    ]
    token, clear = token_create(actor=actor, name="bench/api.py bulk", scope="read_write", days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    try:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.post("/api/v1/contacts/bulk/", {"contacts": rows}, content_type="application/json")
                elapsed = time.perf_counter() - start
            transaction.set_rollback(True)
    finally:
        ApiToken.objects.filter(pk=token.pk).delete()
    return response.status_code, elapsed, len(captured)


def main() -> int:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 30
    setup_test_environment()
    api_settings.DEFAULT_THROTTLE_RATES["api_token"] = None  # measure the server, not the limiter
    print(f"Demo caseload: {Household.objects.count()} households; {runs} timed runs per list (default page: 50 rows).\n")
    people = {name: persona(email) for name, email in PERSONAS.items()}
    try:
        print(f"{'persona':<11} {'endpoint':<22} {'rows':>6} {'median ms':>10} {'p95 ms':>8} {'÷ budget':>9} {'q(1)':>5} {'q(500)':>7}")
        unequal = 0
        for name, (client, actor, _token) in people.items():
            for prefix, viewset, _basename in router.registry:
                rows = access.visible_to(actor, viewset.model).count()
                status, median, p95 = timed(client, f"/api/v1/{prefix}/", runs)
                small, large = queries(client, f"/api/v1/{prefix}/?page_size=1"), queries(client, f"/api/v1/{prefix}/?page_size=500")
                unequal += small != large
                flag = "" if status == 200 and small == large else "  <--"
                print(f"{name:<11} {prefix:<22} {rows:>6} {median:>10.1f} {p95:>8.1f} {p95 / BUDGET_MS:>9.2f} {small:>5} {large:>7}{flag}")
            print()
        client = people["caseworker"][0]
        print("Full then incremental sync, caseworker (pages of 500):")
        for prefix in ("households", "contacts"):
            rows, pages, elapsed, again = sync(client, prefix)
            print(f"  {prefix:<11} {rows:>6} rows in {pages:>3} pages, {elapsed:6.2f} s; "
                  f"updated_since the latest row: {again} row(s) again (changed within the 5-minute overlap)")
        status, elapsed, count = bulk(PERSONAS["caseworker"])
        print(f"\nBulk upload of 1 000 contacts (rolled back): {status} in {elapsed:.1f} s, {count} queries ({count / 1000:.1f} a row)")
        print(f"\n{unequal} endpoint(s) whose query count depends on the page size.")
    finally:
        ApiToken.objects.filter(pk__in=[token.pk for _c, _a, token in people.values()]).delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
