import os
import secrets
import socket
from io import StringIO

# Playwright's sync API runs an event loop in the test thread: let the ORM be used from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
import redis  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tests.accounts.factories import UserFactory  # noqa: E402

DEMO_PASSWORD = "ror-demo-2026"


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def cold_nomenclature_cache():
    """Each test starts with the nomenclature cache empty, whatever ran before it in the worker."""
    from nomenclatures import cache

    cache.clear()


@pytest.fixture(autouse=True)
def empty_shared_cache():
    """Each test starts with Django's cache empty (the EG list's catégories per scope, the API's rate limit)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def nomenclatures(transactional_db):
    """Transactional tests flush every table after them, data migrations included: load the NOS again."""
    from nomenclatures.loading import load_all
    from offers.modeles import load_modeles

    load_all()
    load_modeles()


@pytest.fixture
def seed(db):
    """The demo data of ``manage.py seed_demo`` (Tarn FINESS rows, seed scenario, demo accounts)."""
    call_command("seed_demo", stdout=StringIO())


@pytest.fixture
def demo_user(seed, django_user_model):
    def get(username):
        return django_user_model.objects.get(username=username)

    return get


@pytest.fixture
def client_for(client, demo_user):
    """A test client logged in as a demo account."""

    def login(username):
        client.force_login(demo_user(username))
        return client

    return login


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, username="admin")


# --- Redis (127.0.0.1:6379 on this machine and in CI): the shared cache's tests ---------------------------------

REDIS = ("127.0.0.1", 6379)
REDIS_URL = f"redis://{REDIS[0]}:{REDIS[1]}/0"


def redis_is_up():
    try:
        socket.create_connection(REDIS, timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_url():
    if not redis_is_up():
        if os.environ.get("CI"):
            raise pytest.UsageError(f"Redis is not running on {REDIS_URL}: CI needs it for the shared-cache tests.")
        pytest.skip(f"Redis is not running on {REDIS_URL}.")
    return REDIS_URL


@pytest.fixture
def shared_cache(settings, redis_url):
    """This process's default cache in Redis, under a prefix of its own (parallel test workers share the server);
    the prefix's keys are removed afterwards (the cache's clear() would empty the whole Redis database)."""
    prefix = f"ror-test-{secrets.token_hex(6)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    yield prefix
    server = redis.Redis.from_url(redis_url)
    keys = list(server.scan_iter(f"{prefix}:*"))
    if keys:
        server.delete(*keys)
    server.close()
