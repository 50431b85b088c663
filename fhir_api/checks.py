"""Deployment check (``manage.py check --deploy``): the API's rate limit needs a cache shared by the processes."""

from django.conf import settings
from django.core import checks

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@checks.register(checks.Tags.caches, deploy=True)
def rate_limit_cache(app_configs, **kwargs):
    """django-ratelimit counts a client's calls in the default cache: kept in each process's memory, a client may
    make the limit's number of calls to every worker of every app server."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            f"The default cache ({backend}) is kept per process: the FHIR API's rate limit ({settings.FHIR_RATE_LIMIT}"
            " per client) counts per process.",
            hint="Set CACHE_URL to a Redis server shared by the app's processes (redis://host:6379/0).",
            id="fhir_api.W001",
        )
    ]
