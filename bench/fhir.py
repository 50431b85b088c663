"""The FHIR API on the national data set, in process (Django's test client, the settings of the run): p50/p95 of a
search page of 200 HealthcareService with ``_include`` (first page, page 500, a name search, an EG's offers, a
synchronisation), its SQL queries; and optionally a whole export paged at 1,000, its memory per page."""

import datetime
import statistics
import time
import tracemalloc

from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from bench import generate
from fhir_api.clients import create_client
from fhir_api.views import CURSOR_SALT
from offers.models import Offer

INCLUDES = "&_include=HealthcareService:organization&_include:iterate=Organization:partof"


class Caller:
    def __init__(self):
        self.client_row, client_id, secret = create_client("Banc d'essai FHIR", 3)
        self.http = Client()
        response = self.http.post(
            "/o/token/", {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            secure=True,
        )  # fmt: skip
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def get(self, url):
        return self.http.get(url, headers=self.headers, secure=True)  # DEBUG=false redirects plain HTTP

    def close(self):
        AccessToken.objects.filter(application=self.client_row.application).delete()
        self.client_row.application.delete()


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def pages():
    published = Offer.objects.published().order_by("pk").values_list("pk", flat=True)
    deep = published[min(499 * 200, published.count()) - 1]  # page 500 starts after 499 pages of 200
    cursor = signing.dumps(["hs", deep], salt=CURSOR_SALT)
    # A synchronisation since the last run: 1,000 offers changed since (their lastUpdated set to now).
    stamp = (timezone.now() - datetime.timedelta(seconds=1)).isoformat(timespec="seconds")
    changed = Offer.objects.published().order_by("?").values_list("pk", flat=True)[:1000]
    Offer.objects.filter(pk__in=list(changed)).update(updated_at=timezone.now())
    return {
        "page 1 (200, _include)": f"/fhir/HealthcareService?_count=200{INCLUDES}",
        "page 500 (200, _include)": f"/fhir/HealthcareService?_count=200{INCLUDES}&_page={cursor}",
        "nom contient « cardio »": f"/fhir/HealthcareService?name=cardio&_count=200{INCLUDES}",
        "offres du CHU (organization.identifier:above)": (
            f"/fhir/HealthcareService?organization.identifier:above={generate.CHU_FINESS}&_count=200{INCLUDES}"
        ),
        "synchronisation (_lastUpdated=ge…)": (
            f"/fhir/HealthcareService?_lastUpdated=ge{stamp.replace('+', '%2B')}&_count=200{INCLUDES}"
        ),
        "Organization, page 1 (200)": "/fhir/Organization?_count=200",
    }


def measure(requests=50):
    caller = Caller()
    try:
        results = {}
        for label, url in pages().items():
            for _ in range(3):
                assert caller.get(url).status_code == 200, caller.get(url).content[:500]
            times = []
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                caller.get(url)
            for _ in range(requests):
                started = time.perf_counter()
                response = caller.get(url)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            results[label] = {
                "p50_ms": statistics.median(times),
                "p95_ms": times[max(0, round(0.95 * len(times)) - 1)],
                "queries": counter.count,
                "entries": len(response.json()["entry"]),
            }
        return results
    finally:
        caller.close()


def export(page_size=1000, limit=None):
    """Page through every offer: (pages, offers, seconds, peak memory of one page in MB, largest page body)."""
    caller = Caller()
    try:
        url, count, pages_, peak, started = f"/fhir/HealthcareService?_count={page_size}", 0, 0, 0, time.perf_counter()
        while url and (limit is None or pages_ < limit):
            tracemalloc.start()
            response = caller.get(url)
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            body = response.json()
            count += len(body["entry"])
            pages_ += 1
            url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
        return {"pages": pages_, "offers": count, "seconds": time.perf_counter() - started, "peak_mb": peak / 1e6}
    finally:
        caller.close()
