"""Settings for the ROR offer-management portal.

One file, driven by environment variables:
- SQLite file by default, PostgreSQL through ``DATABASE_URL``;
- production settings by default: ``SECRET_KEY`` and ``ALLOWED_HOSTS`` required, secure cookies, HSTS;
  ``DEBUG=true`` (set by ``make run``, the test configuration and CI) switches on development settings.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=false.")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=false.")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "ror_portal.apps.PortalAdminConfig",  # django.contrib.admin on the portal's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ror_portal.apps.LoginJournalConfig",  # django-axes
    "csp",
    "template_partials",
    "mptt",
    "dsfr",
    "widget_tweaks",
    "accounts",
    "nomenclatures",
    "structures",
    "offers",
    "oauth2_provider",  # django-oauth-toolkit: the FHIR API's client credentials (POST /o/token/)
    "fhir_api",
    "bench",  # the benchmark (manage.py bench_data, manage.py bench); no other app imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ror_portal.security.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ror_portal.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After authentication and messages (it logs out and says why), before the login requirement.
    "accounts.sessions.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns the lockout of a failed login into its French page.
    "axes.middleware.AxesMiddleware",
]

# The benchmark's bare view (/bench/vide/, the same middleware as every page) exists only when BENCH_VIEW is on:
# ``manage.py bench`` sets it for the gunicorn it starts; production has no such URL.
BENCH_VIEW = env_bool("BENCH_VIEW", False)
ROOT_URLCONF = "bench.urls" if BENCH_VIEW else "ror_portal.urls"

# Django's form renderer with its input widgets and empty error lists written in Python (ror_portal/renderers.py).
FORM_RENDERER = "ror_portal.renderers.PortalFormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ror_portal.context_processors.portal",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

WSGI_APPLICATION = "ror_portal.wsgi.application"

# Database connections are reused between requests (a new PostgreSQL connection costs ≈ 11 ms) and checked
# before reuse (health checks), so a connection dropped by the server or a restart is replaced, not an error.
# Either persistent connections, one per gunicorn worker kept CONN_MAX_AGE seconds (the default), or with
# DB_POOL=true psycopg's connection pool (PostgreSQL only, Django 5.1+): one pool per worker process holding
# DB_POOL_MIN_SIZE to DB_POOL_MAX_SIZE connections, handed to a request and taken back at its end. Django
# refuses the pool with persistent connections: CONN_MAX_AGE is 0 then, whatever the environment says.
DB_POOL = env_bool("DB_POOL", False)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0 if DB_POOL else int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A blocked or runaway query ends well before gunicorn kills the worker (its --timeout, 30 s in the
# Dockerfile), so the user gets the French error page, not gunicorn's. Milliseconds, PostgreSQL only.
DB_STATEMENT_TIMEOUT = int(os.environ.get("DB_STATEMENT_TIMEOUT", "20000"))
DB_LOCK_TIMEOUT = int(os.environ.get("DB_LOCK_TIMEOUT", "5000"))
# PostgreSQL's JIT compiles a query to machine code when its estimated cost passes jit_above_cost. On the
# national data set the planner's estimates for the lists' big scans pass it, and the compilation added
# ≈ 290 ms to a deep-page query of the EG list. The portal runs short queries only: JIT is off for its
# connections (DB_JIT=true keeps the server's setting, e.g. for a long one-off reporting command).
DB_JIT = env_bool("DB_JIT", False)
# Prepared statements (PostgreSQL): psycopg prepares a query on the server once a connection has run it
# DB_PREPARE_THRESHOLD times, and PostgreSQL then reuses its plan when the plan does not depend on the values
# (its plan_cache_mode "auto": a generic plan only when it costs no more than the plans made for the values).
# The portal runs the same few dozen queries all day: planning them again took 1.5–2.5 ms of a page on the
# national data set. Django leaves it off by default because it needs server-side parameter binding
# (``server_side_binding``), with which the whole test suite passes here. Behind PgBouncer in transaction mode,
# PgBouncer 1.21+ with max_prepared_statements set, or DB_PREPARED_STATEMENTS=false.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DB_PREPARE_THRESHOLD = int(os.environ.get("DB_PREPARE_THRESHOLD", "5"))
# Compiled querysets (ror_portal/compiled.py): the SQL of a page's queries kept per process, at most this many
# entries (about 100 KB each); COMPILED_QUERIES_CHECK (the tests) builds each one again at every run and refuses
# another SQL text for the same key.
COMPILED_QUERIES_ENTRIES = int(os.environ.get("COMPILED_QUERIES_ENTRIES", "500"))
COMPILED_QUERIES_CHECK = env_bool("COMPILED_QUERIES_CHECK", False)
if DB_POOL and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DB_POOL=true needs PostgreSQL (DATABASE_URL=postgres://…).")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    db_options["options"] = " ".join(
        filter(
            None,
            [
                db_options.get("options", ""),
                f"-c statement_timeout={DB_STATEMENT_TIMEOUT}",
                f"-c lock_timeout={DB_LOCK_TIMEOUT}",
                "" if DB_JIT else "-c jit=off",
            ],
        )
    )
    if DB_PREPARED_STATEMENTS:
        db_options["server_side_binding"] = True
        db_options["prepare_threshold"] = DB_PREPARE_THRESHOLD
    if DB_POOL:
        db_options["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "1")),
            "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "4")),
        }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialise writers up front instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # First: refuses any login, right password included, while the account or the address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "ror_portal.storage.CachedManifestStaticFilesStorage"
        )
    },
}

# In development, WhiteNoise serves files straight from the finders (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# django-dsfr: escape content passed to its tags (offer names are user input), and no integrity
# checksums (they break under the manifest storage).
DSFR_CONTENT_IS_SAFE = False
DSFR_USE_INTEGRITY_CHECKSUMS = False

# Shown in the footer: "Pour toute difficulté, contactez-nous".
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "ror@esante-occitanie.fr")

# The legal notice and the personal-data page (footer): the publisher is the regional ROR team. The defaults
# are placeholders to be completed by the deployment.
LEGAL_NOTICE = {
    "publisher": os.environ.get("LEGAL_PUBLISHER", "Équipe régionale ROR – Agence régionale de santé (à compléter)"),
    "address": os.environ.get("LEGAL_ADDRESS", "Adresse de l'éditeur (à compléter)"),
    "director": os.environ.get("LEGAL_DIRECTOR", "Directeur ou directrice de la publication (à compléter)"),
    "host": os.environ.get("LEGAL_HOST", "Hébergeur du portail (à compléter)"),
    "dpo_email": os.environ.get("LEGAL_DPO_EMAIL", SUPPORT_EMAIL),
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Sessions (accounts/sessions.py): signed out after SESSION_IDLE_TIMEOUT minutes without a request and
# SESSION_MAX_AGE minutes after the login (a working day), whatever the activity.
SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_TIMEOUT", "30")))
SESSION_MAX_AGE = timedelta(minutes=int(os.environ.get("SESSION_MAX_AGE", "600")))
SESSION_COOKIE_AGE = int(SESSION_MAX_AGE.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Failed logins (django-axes), portal and admin alike: LOGIN_FAILURE_LIMIT failures for one account, or
# from one address, lock it out for LOGIN_LOCKOUT_MINUTES; a failure during the lockout starts it again.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Not reset on a success: a reset clears the address's counters too, so anyone with an account could
# keep guessing another one's password between two logins of their own.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
AXES_CLIENT_IP_CALLABLE = "ror_portal.security.client_ip"
AXES_ENABLE_ADMIN = False  # registered superuser-only by ror_portal/audit_admin.py
# Behind N reverse proxies that append to X-Forwarded-For, the client is the N-th address from the right.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# The default cache: the FHIR API's rate limit (django-ratelimit) and the EG list's catégorie choices. With
# CACHE_URL (redis://host:6379/0, rediss://… or unix://…) it is a Redis server shared by every process and app server,
# so that a client's limit is one limit; without it, each process keeps its own (local memory: a limit per process).
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("CACHE_URL must be a Redis address: redis://, rediss:// or unix://.")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "ror"),  # several portals may share one server
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Content-Security-Policy (django-csp): no inline script nor style anywhere. The DSFR, htmx and the portal's
# JS and CSS are static files; htmx's indicator <style> is off (htmx-config in base.html); the standalone
# error pages use static/css/error-page.css. tests/browser/test_security.py watches for violations.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# No page needs these browser features: denied to the portal and anything it would embed.
DENIED_FEATURES = [
    "accelerometer",
    "camera",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "payment",
    "usb",
]
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)

# Password reset e-mails: printed on the console in development, SMTP otherwise (EMAIL_HOST, ...).
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", SUPPORT_EMAIL)
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link works for an hour

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Security events: refusals (404 out of scope, ror_portal/security.py), expired sessions.
    "loggers": {"ror.security": {"level": "INFO"}},
}


# --- The FHIR API (fhir_api/) ------------------------------------------------------------------------------------
# Client systems get a bearer token by OAuth2 client credentials (django-oauth-toolkit); secrets are stored hashed.
OAUTH2_PROVIDER = {
    "SCOPES": {"fhir": "Lecture de l'offre au format FHIR"},
    "DEFAULT_SCOPES": ["fhir"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # RFC 9700 (OAuth 2.0 Security BCP), django-oauth-toolkit's deploy checks: only what the API uses (client
    # credentials, bearer tokens in the Authorization header), tokens stored hashed.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"  # named for ApiClient's foreign key (swappable)
# Requests per client and minute (django-ratelimit, in the default cache: per client across every process and app
# server with CACHE_URL, per process without).
FHIR_RATE_LIMIT = os.environ.get("FHIR_RATE_LIMIT", "600/m")
FHIR_PAGE_SIZE = 200  # the IG's default (RG_RECH_52)
FHIR_MAX_PAGE_SIZE = 1000
