"""Settings, read from environment variables.

Unset variables give the embedded mode: a SQLite file under MDM_DATA_DIR (./var).
`DATABASE_URL=postgres://...` switches to PostgreSQL. Malformed values fail at start-up.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


# The hub's files (the SQLite database, reject reports, the secret key) hold customer data:
# readable by the owner only, from the moment they are written.
os.umask(0o077)
DATA_DIR = Path(env_str("MDM_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
DATA_DIR.chmod(0o700)


def _secret_key() -> str:
    """The embedded mode keeps a generated key in the data dir; production sets SECRET_KEY."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("MDM_DEBUG", False)
ALLOWED_HOSTS = [h for h in env_str("MDM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "mdm",
    "matching",
    "stewardship",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stewardship.context.access",
            ],
        },
    },
]


def _sqlite(path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
        # failing mid-transaction; WAL lets readers (the web app) run beside an import.
        # A 64 MB page cache (SQLite's default is 2 MB): inserting a 1M batch run's 6.4M
        # key-index rows alone took 62 s with the default, 43 s with this (the whole key
        # refresh of that run: 169 s, 160 s).
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        },
    }


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return _sqlite(DATA_DIR / "mdm.sqlite3")
    try:
        config = dj_database_url.parse(url, conn_max_age=60)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return _sqlite(config["NAME"])
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must be postgres://... or sqlite:///path")
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Chinese first; a browser asking for English (or the language menu) gets English.
LANGUAGE_CODE = env_str("MDM_LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "stewardship" / "locale"]
LOGIN_URL = "steward:login"
LOGIN_REDIRECT_URL = "steward:dashboard"
TIME_ZONE = env_str("MDM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_tracebacks": {"()": "config.logs.NoClientErrorTracebacks"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_client_tracebacks"]}},
    "root": {"handlers": ["console"], "level": env_str("MDM_LOG_LEVEL", "WARNING")},
}

# --- MDM behaviour ---------------------------------------------------------------------------
# Region used to read phone numbers written without a country code.
MDM_PHONE_REGION = env_str("MDM_PHONE_REGION", "CN")
# Rows per ingest transaction: a killed import loses at most one batch of work, never data.
MDM_INGEST_BATCH_SIZE = env_int("MDM_INGEST_BATCH_SIZE", 2000)
# Processes that standardize rows beside the one writing them (0 or 1: standardize inline).
MDM_INGEST_WORKERS = env_int("MDM_INGEST_WORKERS", min(2, os.cpu_count() or 1))
# A single source field longer than this is rejected (keeps 10 MB pastes out of the hub).
MDM_MAX_FIELD_CHARS = env_int("MDM_MAX_FIELD_CHARS", 65536)
# Where batch matching runs: "duckdb" in-process, or "spark" for data beyond one machine
# (pip install -r requirements-spark.txt; see docs/scaling.md).
MDM_MATCH_BACKEND = env_choice("MDM_MATCH_BACKEND", "duckdb", ("duckdb", "spark"))
# Memory DuckDB may take while it trains and scores (it spills to MDM_DATA_DIR/duckdb past
# it); its own default is most of the machine's memory. Measured at 1M customer records:
# scoring takes 1.0 GB more at "1GB", 1.8 GB more without a limit, and as long.
MDM_DUCKDB_MEMORY_LIMIT = env_str("MDM_DUCKDB_MEMORY_LIMIT", "1GB")
# Feature columns kept between training and match runs (MDM_DATA_DIR/features, one file a
# domain, keyed by record content and feature code version: matching.feature_cache).
MDM_FEATURE_CACHE = env_bool("MDM_FEATURE_CACHE", True)
# An import that changes at most this many records of a domain with a trained model is
# matched in real time, record by record; a larger one waits for `manage.py match`.
MDM_REALTIME_MAX_RECORDS = env_int("MDM_REALTIME_MAX_RECORDS", 1000)
# Extra folders searched for profiles and for domain declarations, besides the shipped ones.
MDM_PROFILE_DIRS = [Path(p) for p in env_str("MDM_PROFILE_DIRS", "").split(os.pathsep) if p]
MDM_DOMAIN_DIRS = [Path(p) for p in env_str("MDM_DOMAIN_DIRS", "").split(os.pathsep) if p]
MDM_REPORT_DIR = DATA_DIR / "reports"

# --- the REST API (api/) ---------------------------------------------------------------------
# A request body over this many bytes is refused (413); a batch of records over
# MDM_API_MAX_BATCH records too.
MDM_API_MAX_BODY_BYTES = env_int("MDM_API_MAX_BODY_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MDM_API_MAX_BODY_BYTES
MDM_API_MAX_BATCH = env_int("MDM_API_MAX_BATCH", 1000)
# Days a new source-system token is valid (manage.py api_token issue --days overrides it).
MDM_API_TOKEN_DAYS = env_int("MDM_API_TOKEN_DAYS", 365)
# Seconds a process keeps a checked token with its system's grants (api/authentication.py):
# revocations and grant changes reach the other processes within this time; 0: every request.
MDM_API_AUTH_CACHE_SECONDS = env_int("MDM_API_AUTH_CACHE_SECONDS", 5)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.SystemTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [],  # each view asks mdm.access (api.permissions)
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenThrottle"],
    # Requests per token (a person: per session user; anonymous: per address). The counts
    # live in the cache: per process with the default cache, so set a shared one (CACHES)
    # when several processes serve the API.
    "DEFAULT_THROTTLE_RATES": {"token": env_str("MDM_API_THROTTLE_RATE", "1200/minute")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.exception_handlers.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Webhooks (api/webhooks.py, `manage.py deliver_webhooks`): a failed delivery is retried after
# BACKOFF x 2^(attempts-1) seconds, and given up after MAX_ATTEMPTS.
MDM_WEBHOOK_MAX_ATTEMPTS = env_int("MDM_WEBHOOK_MAX_ATTEMPTS", 8)
MDM_WEBHOOK_BACKOFF_SECONDS = env_int("MDM_WEBHOOK_BACKOFF_SECONDS", 30)
SPECTACULAR_SETTINGS = {
    "TITLE": "MDM API",
    "DESCRIPTION": (
        "Golden IDs for source systems: cross-reference lookups, golden records, records in, "
        "search before create, the change feed and webhooks; for stewards, cases, golden-record "
        "actions on the version seen and new master data requests. Errors: one shape, "
        "{code, message, errors}, codes in docs/errors.md. A retired golden ID is answered with "
        "its successor: `golden_id` is the active one, `requested_id` the one asked for, `retired` true."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"EventKindEnum": "mdm.models.ChangeEvent.Kind"},
}

# --- production (docs: README, "Deployment") ---------------------------------------------------
# Behind HTTPS set MDM_SECURE=true: HSTS, redirect to HTTPS, secure cookies. A proxy that
# terminates TLS must send X-Forwarded-Proto (MDM_SECURE_PROXY_HEADER=true trusts it).
MDM_SECURE = env_bool("MDM_SECURE", False)
SECURE_SSL_REDIRECT = MDM_SECURE
SESSION_COOKIE_SECURE = MDM_SECURE
CSRF_COOKIE_SECURE = MDM_SECURE
SECURE_HSTS_SECONDS = env_int("MDM_HSTS_SECONDS", 31536000 if MDM_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = MDM_SECURE
SECURE_HSTS_PRELOAD = env_bool("MDM_HSTS_PRELOAD", False)
if env_bool("MDM_SECURE_PROXY_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [o for o in env_str("MDM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

def env_four_eyes(name: str) -> dict[str, int]:
    """"customer:10,supplier:5": domains whose larger merges need a second steward."""
    out = {}
    for item in (p.strip() for p in os.environ.get(name, "").split(",")):
        if not item:
            continue
        domain, _, size = item.partition(":")
        if not domain or not size.isdigit():
            raise ImproperlyConfigured(f"{name} must read domain:records,... (customer:10), got {item!r}")
        out[domain] = int(size)
    return out


# The four-eyes rule: in these domains a case whose merge would join more source records
# than the number given, or golden records with different tax ids, needs the approval of
# a second steward before it is applied.
MDM_FOUR_EYES = env_four_eyes("MDM_FOUR_EYES")
# Wrong passwords for one user name before its logins are refused for a while.
MDM_LOGIN_MAX_FAILURES = env_int("MDM_LOGIN_MAX_FAILURES", 5)
MDM_LOGIN_LOCK_MINUTES = env_int("MDM_LOGIN_LOCK_MINUTES", 15)
