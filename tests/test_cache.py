"""The default cache: local memory per process, or a Redis server shared by every process (CACHE_URL), where the
FHIR API's rate limit is then one limit per client whichever process serves it."""

import json

import pytest

from tests.test_settings import deploy_check, run_python


def cache_settings(**env):
    result = run_python(
        "import django, json; django.setup(); from django.conf import settings; print(json.dumps(settings.CACHES))",
        DEBUG="true",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["default"]


def test_without_cache_url_each_process_keeps_its_own_cache():
    assert cache_settings()["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize(
    "url", ["redis://cache.internal:6379/2", "rediss://:secret@cache.internal:6380/0", "unix:///run/redis/redis.sock"]
)
def test_cache_url_shares_the_cache_in_redis(url):
    cache = cache_settings(CACHE_URL=f" {url} ", CACHE_KEY_PREFIX="ror-recette")

    redis_cache = "django.core.cache.backends.redis.RedisCache"
    assert cache == {"BACKEND": redis_cache, "LOCATION": url, "KEY_PREFIX": "ror-recette"}


def test_the_cache_keys_are_prefixed_ror_unless_told_otherwise():
    assert cache_settings(CACHE_URL="redis://cache.internal:6379/0")["KEY_PREFIX"] == "ror"


@pytest.mark.parametrize("url", ["memcached://cache:11211", "cache.internal:6379", "http://cache"])
def test_a_cache_url_that_is_no_redis_address_stops_the_start(url):
    result = run_python("import django; django.setup()", DEBUG="true", CACHE_URL=url)

    assert result.returncode != 0
    assert "CACHE_URL must be a Redis address" in result.stderr


@pytest.mark.parametrize("cache_url", ["", "redis://cache.internal:6379/0"])
def test_the_deployment_check_asks_for_a_shared_cache(cache_url):
    result = deploy_check(CACHE_URL=cache_url)

    if cache_url:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "fhir_api.W001" in result.stderr and "Set CACHE_URL to a Redis server" in result.stderr
