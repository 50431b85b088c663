"""Safe defaults: production settings unless DEBUG=true is asked for, database timeouts below gunicorn's."""

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import UserFactory

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def run_python(code, **env):
    """Run ``code`` in a fresh interpreter whose environment has none of the portal's settings but ``env``."""
    portal = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CONN_MAX_AGE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in portal and not k.startswith("DB_")}
    clean.update(env, DJANGO_SETTINGS_MODULE="ror_portal.settings")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_debug_is_off_unless_asked_for():
    result = run_python(
        "from django.conf import settings; print(settings.DEBUG)", SECRET_KEY="k" * 50, ALLOWED_HOSTS="example.org"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_a_secret_key_the_portal_refuses_to_start():
    result = run_python("import django; django.setup()", ALLOWED_HOSTS="example.org")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=false." in result.stderr


def test_development_settings_are_asked_for_explicitly():
    result = run_python("from django.conf import settings; print(settings.DEBUG)", DEBUG="true")

    assert result.stdout.strip() == "True", result.stderr


def test_the_docker_image_has_no_secret_key_and_runs_with_production_settings():
    assert re.search(r"^ENV .*\bDEBUG=false\b", DOCKERFILE, re.MULTILINE)
    assert not re.search(r"^ENV .*SECRET_KEY", DOCKERFILE, re.MULTILINE)
    cmd = next(line for line in DOCKERFILE.splitlines() if line.startswith("CMD"))
    assert "SECRET_KEY" not in cmd and "DEBUG" not in cmd


def test_the_database_gives_up_before_gunicorn_kills_the_worker():
    gunicorn_timeout = int(re.search(r"--timeout (\d+)", DOCKERFILE).group(1))

    assert 0 < settings.DB_LOCK_TIMEOUT < settings.DB_STATEMENT_TIMEOUT < gunicorn_timeout * 1000


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL timeouts")


@postgresql_only
@pytest.mark.django_db
def test_postgresql_connections_run_with_the_timeouts():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        statement_timeout = cursor.fetchone()[0]
        cursor.execute("SHOW lock_timeout")
        lock_timeout = cursor.fetchone()[0]

    assert statement_timeout == f"{settings.DB_STATEMENT_TIMEOUT // 1000}s"
    assert lock_timeout == f"{settings.DB_LOCK_TIMEOUT // 1000}s"


@pytest.fixture
def short_lock_timeout():
    """Reconnect with a 300 ms lock_timeout, through the same OPTIONS as the settings (not a 5 s wait)."""
    options = connection.settings_dict["OPTIONS"]
    saved = options["options"]
    reconnect()
    options["options"] = re.sub(r"lock_timeout=\d+", "lock_timeout=300", saved)
    yield
    reconnect()
    options["options"] = saved


def reconnect():
    """The next query opens a new connection (with DB_POOL=true, the pool's connections are closed too)."""
    connection.close()
    connection.close_pool()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_request_blocked_by_a_lock_ends_on_the_french_error_page(short_lock_timeout):
    user = UserFactory(username="camille")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    locked, release = threading.Event(), threading.Event()

    def hold_the_users_table():
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("LOCK TABLE accounts_user IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(10)
                cursor.execute("ROLLBACK")
        finally:
            other.close()

    holder = threading.Thread(target=hold_the_users_table)
    holder.start()
    try:
        assert locked.wait(5)
        started = time.monotonic()
        response = client.get(reverse("home"))
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()

    assert response.status_code == 500
    assert "Erreur inattendue" in response.content.decode()
    assert elapsed < 3


# Settings only: nothing connects to this server.
POSTGRES_URL = "postgres://ror:secret@db.invalid:5432/ror"


def database_settings(**env):
    result = run_python(
        "import json; from django.conf import settings; db = settings.DATABASES['default']; "
        "print(json.dumps({key: db[key] for key in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS', 'OPTIONS')}))",
        DEBUG="true",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_postgresql_connections_are_persistent_checked_and_without_jit():
    db = database_settings(DATABASE_URL=POSTGRES_URL)

    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"] == {
        "options": "-c statement_timeout=20000 -c lock_timeout=5000 -c jit=off",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }


def test_prepared_statements_can_be_turned_off_or_tuned():
    off = database_settings(DATABASE_URL=POSTGRES_URL, DB_PREPARED_STATEMENTS="false")
    tuned = database_settings(DATABASE_URL=POSTGRES_URL, DB_PREPARE_THRESHOLD="2")

    assert "server_side_binding" not in off["OPTIONS"] and "prepare_threshold" not in off["OPTIONS"]
    assert tuned["OPTIONS"]["prepare_threshold"] == 2
    assert "server_side_binding" not in database_settings()["OPTIONS"]  # SQLite: nothing to prepare


@postgresql_only
@pytest.mark.django_db
def test_a_query_run_often_is_prepared_on_the_server(django_user_model):
    from django.db import connection as default

    for _ in range(6):  # the threshold is 5
        list(django_user_model.objects.filter(username="personne"))
    with default.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]

    assert any('FROM "accounts_user"' in statement and "$1" in statement for statement in prepared), prepared


def test_jit_can_be_given_back():
    db = database_settings(DATABASE_URL=POSTGRES_URL, DB_JIT="true")

    assert db["OPTIONS"]["options"] == "-c statement_timeout=20000 -c lock_timeout=5000"


def test_the_connection_pool_replaces_persistent_connections():
    db = database_settings(DATABASE_URL=POSTGRES_URL, DB_POOL="true", CONN_MAX_AGE="60")

    assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4}
    assert db["CONN_MAX_AGE"] == 0
    assert db["CONN_HEALTH_CHECKS"] is True
    assert "-c jit=off" in db["OPTIONS"]["options"]


def test_the_pool_size_comes_from_the_environment():
    db = database_settings(DATABASE_URL=POSTGRES_URL, DB_POOL="true", DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE="8")

    assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8}


def test_the_pool_needs_postgresql():
    result = run_python("import django; django.setup()", DEBUG="true", DB_POOL="true")

    assert result.returncode != 0
    assert "DB_POOL=true needs PostgreSQL" in result.stderr


def deploy_check(**env):
    """``manage.py check --deploy --fail-level WARNING`` with production settings and ``env``, in a fresh
    interpreter."""
    return run_python(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
        **env,
    )


def test_the_deploy_check_passes_with_the_pool():
    result = deploy_check(DATABASE_URL=POSTGRES_URL, DB_POOL="true", CACHE_URL="redis://cache.internal:6379/0")

    assert result.returncode == 0, result.stderr


@postgresql_only
@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")

        assert cursor.fetchone()[0] == "off"


@postgresql_only
@pytest.mark.django_db
def test_a_pooled_connection_is_reused_from_one_request_to_the_next():
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    code = (
        "import django; django.setup(); from django.db import connection\n"
        "pids = []\n"
        "for _ in range(3):\n"  # three requests: Django closes (gives back) the connection at the end of each
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('SELECT pg_backend_pid(), count(*) FROM django_migrations')\n"
        "        pids.append(cursor.fetchone()[0])\n"
        "    connection.close()\n"
        "print(connection.pool is not None, len(set(pids)))"
    )

    # One connection at most: at start-up the first request may otherwise open a second one while the pool
    # still connects its first.
    pooled = run_python(code, DEBUG="true", DATABASE_URL=url, DB_POOL="true", DB_POOL_MAX_SIZE="1")
    unpooled = run_python(code, DEBUG="true", DATABASE_URL=url, CONN_MAX_AGE="0")

    assert pooled.returncode == 0, pooled.stderr
    assert pooled.stdout.split() == ["True", "1"]
    assert unpooled.stdout.split() == ["False", "3"], unpooled.stderr


def test_the_wsgi_workers_garbage_collector_is_tuned():
    """ror_portal.wsgi freezes the start-up's objects and collects the young generation less often."""
    code = "import gc, ror_portal.wsgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 10_000)"
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "ror_portal.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["20000", "True"]
