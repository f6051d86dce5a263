"""AskPro settings: everything comes from the environment (or an optional `.env`).

Embedded defaults let a fresh machine run with no services: SQLite, a local-memory cache and
django-q2 on the ORM broker. Production sets DATABASE_URL (PostgreSQL) and REDIS_URL (cache and
queue broker). The README lists every variable.
"""

import os
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A dev key is acceptable only while DEBUG is on; production must bring its own.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-askpro-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with AskPro's dashboard as its start page (console/site.py).
    "console.apps.AskProAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_q",
    "audit",
    "companies",
    "integrations",
    "booking",
    "telephony",
    "mcp_api",
    "notifications",
    "console",
    "privacy",
    # The local Cal.com stand-in for `make run` and tests; installed for its command only.
    "sandbox",
]

MIDDLEWARE = [
    "askpro.correlation.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "askpro.locale.StaffLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.StaffActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "askpro.urls"
WSGI_APPLICATION = "askpro.wsgi.application"
ASGI_APPLICATION = "askpro.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections: opening one per request costs more than the whole webhook request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters sent apart from the SQL (psycopg's server-side binding), and statements a
    # connection runs five times prepared: the worker spent a tenth of its CPU quoting values
    # into SQL text, and PostgreSQL parsed and planned every statement anew (#15). Django turns
    # psycopg's preparing off unless `prepare_threshold` is given, so it is given. Behind
    # PgBouncer in transaction mode, which cannot keep prepared statements, set it false.
    _server_binding = env.bool("DB_SERVER_BINDING", default=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=_server_binding, prepare_threshold=5 if _server_binding else None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves several processes (gunicorn workers, the task worker): WAL lets
    # readers and one writer work at once; a writer waits up to 20 s for the lock instead of
    # failing; IMMEDIATE takes the write lock when a transaction starts, so two transactions
    # never deadlock upgrading their read locks ("database is locked" at once).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
    # Tests use a file as well (not memory), so their threads share it as processes do; one file
    # per test run, so two runs side by side never share one.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        Path(tempfile.gettempdir()) / f"askpro-test-{os.getpid()}.sqlite3"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and queue ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="askpro"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 2,  # above the task broker's 1 s blocking pop
                # The cache only accelerates: with Redis down a read is a miss and a write is
                # skipped, so webhooks are still stored and calls still answered (from the DB).
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "askpro.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "askpro",
        }
    }

Q_CLUSTER = {
    "name": "askpro",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 180,
    "retry": 240,  # must exceed the longest timeout so a running task is not handed out twice
    "max_attempts": 1,  # our tasks record their own attempts and reschedule themselves
    "catch_up": False,
    "ack_failures": True,
    # Successful task results are not kept: nobody reads them (our work rows record every
    # outcome), and keeping them cost the monitor a locked read of all saved results per task
    # (#15). Failures are always kept.
    "save_limit": -1,
    # A worker process is replaced after this many tasks, or once it grows past max_rss (KB).
    # django-q2's default of 500 restarted each process every few seconds at 100 events/s,
    # throwing away its imports, its threads' connections and its HTTP sessions (#15).
    "recycle": 5000,
    "max_rss": 200_000,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["django_redis"] = "default"
else:
    Q_CLUSTER["orm"] = "default"
Q_CLUSTER["sync"] = env.bool("Q_SYNC", default=False)
# How much lower the task workers' CPU priority is than the web tier's (Unix niceness 0-19).
WORKER_NICENESS = env.int("WORKER_NICENESS", default=10)
# Threads per worker process for work that waits on Cal.com or Retell (askpro/worker_threads.py):
# 24 x 2 processes keep ~48 round trips in flight, enough for 100 booking events/s at 300 ms.
# Each thread holds a database connection. SQLite takes one writer at a time: one thread.
WORKER_IO_THREADS = env.int(
    "WORKER_IO_THREADS", default=1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 24
)
# "single": one worker pool serves every queue; "named": one qcluster per queue (askpro/queues.py).
QUEUE_ROUTING = env.str("QUEUE_ROUTING", default="single")
Q_CLUSTER["ALT_CLUSTERS"] = {
    name: {"timeout": seconds, "retry": seconds + 60}
    for name, seconds in {"webhooks": 60, "bookings": 120, "sync": 300, "notifications": 60}.items()
}

# --- Auth and i18n --------------------------------------------------------------------------
# A staff membership's role grants its permissions (companies/roles.py); ModelBackend logs in.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "companies.roles.MembershipRoleBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# German first: staff see German unless their browser (or their membership) asks for English.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["askpro.formats"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")

# --- Security (production hardening; `manage.py check --deploy` stays quiet) ---------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Retell posts webhooks of a few hundred KiB (transcripts); anything far larger is abuse.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)

# --- Secrets at rest ------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first: new values are written with the first key, every
# key can still read. Without it, one key is derived from SECRET_KEY (fine for development).
ENCRYPTION_KEYS = env.list("ENCRYPTION_KEYS", default=[])

# --- Operations -----------------------------------------------------------------------------
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation": {"()": "askpro.correlation.CorrelationIdFilter"},
        "redact_keys": {"()": "askpro.logfilters.RedactWebhookKeys"},
        "mask_personal_data": {"()": "askpro.logfilters.MaskPersonalData"},
        "once_per_minute": {"()": "askpro.logfilters.OncePerMinute"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [cid=%(correlation_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["correlation", "redact_keys", "mask_personal_data"],
            "formatter": "plain",
        },
    },
    # Every line leaves through the console handler and its filters. Django's defaults give
    # "django" a console of its own while DEBUG is on and a mail to ADMINS (with the request's
    # POST data), and "django.server" its own handler: configured here, they lose those.
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # At DEBUG (with DEBUG on) it writes every SQL statement with its parameters: names, numbers.
        "django.db.backends": {"level": "WARNING"},
        # Outages repeat on every request: once a minute is enough to know.
        "askpro.cache": {"level": "WARNING", "filters": ["once_per_minute"]},
        "integrations.ratelimit": {"filters": ["once_per_minute"]},
        "urllib3": {"level": "WARNING"},
        # The MCP SDK notes every request at INFO; our own line per tool call says more (mcp_api.calls).
        "mcp": {"level": "WARNING"},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # Every error, ours or DRF's, is {"success": false, "error": <type>, "message": ...}.
    "EXCEPTION_HANDLER": "askpro.api.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["askpro.api.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": ["askpro.api.StrictJSONParser"],
}

# --- Integrations ---------------------------------------------------------------------------
CALCOM_DEFAULT_BASE_URL = "https://api.cal.com/v2"
CALCOM_ALLOWED_BASE_URLS = env.list(
    "CALCOM_ALLOWED_BASE_URLS", default=["https://api.cal.com/v2", "https://api.cal.eu/v2"]
)
RETELL_BASE_URL = env.str("RETELL_BASE_URL", default="https://api.retellai.com")
HTTP_CONNECT_TIMEOUT = env.float("HTTP_CONNECT_TIMEOUT", default=3.05)
HTTP_READ_TIMEOUT = env.float("HTTP_READ_TIMEOUT", default=10.0)

CIRCUIT_BREAKER = {
    "failure_threshold": env.int("BREAKER_FAILURE_THRESHOLD", default=5),
    "open_seconds": env.int("BREAKER_OPEN_SECONDS", default=60),
    "half_open_max_probes": env.int("BREAKER_HALF_OPEN_PROBES", default=3),
    "success_threshold": env.int("BREAKER_SUCCESS_THRESHOLD", default=2),
}

# A booking that failed transiently is retried by the worker: 30 s, 60 s, 120 s, ... apart.
BOOKING_MAX_ATTEMPTS = env.int("BOOKING_MAX_ATTEMPTS", default=6)
BOOKING_RETRY_BASE_SECONDS = env.int("BOOKING_RETRY_BASE_SECONDS", default=30)
# The furthest day ahead anyone can book or ask about, whatever an event type's window says.
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=365)

# Retell webhooks: optional source allowlist (Retell documents 100.20.5.228), per-company flood
# limit, and how often a transiently failing event is retried (30 s, 60 s, 120 s, ...).
RETELL_ALLOWED_IPS = env.list("RETELL_ALLOWED_IPS", default=[])
# Requests per company per minute, for each of webhooks, inbound calls and functions (a company's
# own `retell_rate_limit` overrides it). The old name is still read.
RETELL_RATE_LIMIT = env.int("RETELL_RATE_LIMIT", default=env.int("RETELL_WEBHOOK_RATE_LIMIT", default=600))
RETELL_WEBHOOK_MAX_BYTES = env.int("RETELL_WEBHOOK_MAX_BYTES", default=2 * 1024 * 1024)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
# Processed inbox and outbox rows (Retell events, Cal.com notices, sent texts) are deleted after
# this many days by a daily task; failed ones stay for staff.
INBOX_KEEP_DAYS = env.int("INBOX_KEEP_DAYS", default=30)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)

# Texts to callers who heard "noted" (notifications): the sender class (the default only logs;
# "notifications.senders.TwilioSmsSender" sends SMS with the TWILIO_* account) and how a failed
# send is retried (60 s, 120 s, ...). TWILIO_FROM: a sending number or a Messaging Service SID.
NOTIFICATION_SENDER = env.str("NOTIFICATION_SENDER", default="notifications.senders.LoggingSender")
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=60)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")  # a secret: never logged
TWILIO_FROM = env.str("TWILIO_FROM", default="")

# Where Retell and Cal.com reach us: the URLs printed for agents and subscribed for Cal.com.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# AI agents at /mcp (mcp_api): tool calls per token per minute; the Host names it answers
# (default: ALLOWED_HOSTS and PUBLIC_BASE_URL's host, any port) and the browser Origins it
# accepts (default none: agents are not browsers; a request without Origin is accepted).
MCP_RATE_LIMIT = env.int("MCP_RATE_LIMIT", default=120)
# What askpro.wsgi / askpro.asgi serve beside Django at the MCP paths (named, like ROOT_URLCONF).
MCP_WSGI_APP = "mcp_api.bridge.McpOverWsgi"
MCP_ASGI_APP = "mcp_api.bridge.McpOverAsgi"
MCP_ALLOWED_HOSTS = env.list("MCP_ALLOWED_HOSTS", default=[])
MCP_ALLOWED_ORIGINS = env.list("MCP_ALLOWED_ORIGINS", default=[])

# Cal.com sends each webhook once: every so often each company's bookings from a day back to
# this many days ahead are compared with ours and the differences repaired.
CALENDAR_RECONCILE_DAYS_AHEAD = env.int("CALENDAR_RECONCILE_DAYS_AHEAD", default=30)
