"""The one settings module. Every value an operator may change comes from the environment.

`SALAMA_ENV` is `development` (the default: loopback only, see `salama serve`) or
`production`, which refuses to start on an unsafe configuration. Each secret is read from
`NAME` or from the file named by `NAME_FILE`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file that NAME_FILE points to."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE points to {path}, which cannot be read: {exc.strerror}.") from None
    return os.environ.get(name, "")


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


ENVIRONMENT = env("SALAMA_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(f"SALAMA_ENV must be development or production, not {ENVIRONMENT!r}.")
PRODUCTION = ENVIRONMENT == "production"

DATA_DIR = Path(env("SALAMA_DATA_DIR", "./var")).resolve()
if not DATA_DIR.exists():
    DATA_DIR.mkdir(parents=True, mode=0o700)

DEBUG = env_bool("SALAMA_DEBUG", default=False)


def _development_secret_key() -> str:
    """Development keeps a generated key in the data folder so sessions survive restarts."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env_secret("SALAMA_SECRET_KEY")
ALLOWED_HOSTS = env_list("SALAMA_ALLOWED_HOSTS")

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("SALAMA_DEBUG is on in production: unset it or set it to false.")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "Set SALAMA_SECRET_KEY (or SALAMA_SECRET_KEY_FILE) to a random value of at least "
            "50 characters, for example: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set SALAMA_ALLOWED_HOSTS to the host names Salama answers on, comma separated.")
else:
    SECRET_KEY = SECRET_KEY or _development_secret_key()
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]

# The address people reach Salama on, for links in mail sent by background workers.
SITE_URL = env("SALAMA_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("Set SALAMA_SITE_URL to the https:// address people use to reach Salama.")

# Demo mode: `salama demo` turns it on for its own process (SALAMA_DEMO=true lets `salama serve`
# run a demo loaded earlier). All mail then goes to the in-process demo mailbox
# (salama.delivery.mailbox), whose page any signed-in account may read: never in production.
DEMO_MODE = env_bool("SALAMA_DEMO", False)
if PRODUCTION and DEMO_MODE:
    raise ImproperlyConfigured("SALAMA_DEMO is on in production: the demo mailbox shows all mail to anyone signed in.")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "ninja",
    "salama.core",
    "salama.accounts",
    "salama.orgs",
    "salama.defenders",
    "salama.cases",
    "salama.sharing",
    "salama.evidence",
    "salama.incidents",
    "salama.vocab",
    "salama.audit",
    "salama.revisions",
    "salama.transfer",
    "salama.delivery",
    # the optional Matrix room per organisation (its own app, so its migrations are its own)
    "salama.delivery.channels.matrix",
    "salama.audiences",
    "salama.alerts",
    "salama.risk",
    "salama.safety",
    "salama.directory",
    "salama.referrals",
    "salama.responses",
    "salama.statements",
    "salama.analytics",
]

MIDDLEWARE = [
    "salama.core.middleware.RequestSizeLimitMiddleware",
    # Tells audit entries whether a change came through the API or the UI.
    "salama.audit.middleware.AuditChannelMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "salama.core.middleware.CsrfMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "salama.accounts.middleware.SessionLifetimeMiddleware",
    "salama.core.middleware.AccessPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "salama.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salama.urls"
WSGI_APPLICATION = "salama.wsgi.application"

# Draws selects without a template include per option (see salama.core.forms).
FORM_RENDERER = "salama.core.forms.Renderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salama.core.context_processors.shell",
            ],
            "builtins": ["salama.core.templatetags.bidi"],
        },
    },
]

# Database: one SQLite file by default; DATABASE_URL switches to PostgreSQL.
DATABASE_URL = env_secret("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    # Created private before SQLite opens it; its -wal and -shm files take the same mode.
    (DATA_DIR / "salama.sqlite3").touch(mode=0o600, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "salama.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Accounts and authentication
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "salama.accounts.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"

# Sessions: stored in the database with their owner, so a person can list and end them.
SESSION_ENGINE = "salama.accounts.session_store"
SESSION_IDLE_SECONDS = env_int("SALAMA_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_MAX_SECONDS = env_int("SALAMA_SESSION_MAX_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_FAILURE_VIEW = "salama.core.views.csrf_failure"
# How long a password-verified sign-in may wait for its second factor.
SECOND_FACTOR_WINDOW_SECONDS = 5 * 60
# How recent a second-factor check must be for sensitive actions (step-up).
STEP_UP_SECONDS = env_int("SALAMA_STEP_UP_SECONDS", 10 * 60)
PASSWORD_RESET_TIMEOUT = 60 * 60
INVITATION_DAYS = env_int("SALAMA_INVITATION_DAYS", 7)
API_TOKEN_MAX_DAYS = env_int("SALAMA_API_TOKEN_MAX_DAYS", 365)
# A referral whose status has not changed for this many days reminds its case team once.
REFERRAL_STALE_DAYS = env_int("SALAMA_REFERRAL_STALE_DAYS", 21)

# Second factor
OTP_TOTP_ISSUER = env("SALAMA_SITE_NAME", "Salama")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Security keys are bound to this domain for good: changing it later orphans every key.
WEBAUTHN_RP_ID = env("SALAMA_WEBAUTHN_RP_ID") or (str(urlsplit(SITE_URL).hostname) if PRODUCTION else "localhost")
# The origins (scheme://host[:port], comma separated) where security keys may be used. A
# ceremony must come from the origin of the request that carries it, and that origin must be
# listed here, so a forged Host header never widens what is accepted. Unset, it is the RP ID
# over HTTPS in production, and the development server's address otherwise.
WEBAUTHN_ORIGIN = env_list("SALAMA_WEBAUTHN_ORIGIN") or ([SITE_URL] if PRODUCTION else ["http://localhost:8000"])

# Login throttling: per account and, separately, per client address. A locked account gets the
# same page and status as a wrong password, so nobody learns which accounts exist.
AXES_FAILURE_LIMIT = env_int("SALAMA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SALAMA_LOGIN_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "salama.accounts.views.throttle_key"
# Only REMOTE_ADDR, which `salama serve` fills from a trusted proxy alone: headers a client
# sends itself must never choose the address its failures are counted against.
AXES_CLIENT_IP_CALLABLE = "salama.accounts.views.client_address"
AXES_LOCKOUT_CALLABLE = "salama.accounts.views.login_locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Behind a proxy, `salama serve` lets waitress put the client address in REMOTE_ADDR.
PROXY_COUNT = env_int("SALAMA_PROXY_COUNT", 1)
TRUSTED_PROXY = env("SALAMA_TRUSTED_PROXY", "127.0.0.1")  # the proxy's own address
BEHIND_TLS_PROXY = env_bool("SALAMA_BEHIND_TLS_PROXY", False)

# Internationalisation
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("fr", _("French")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "salama_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: vendored, served by the application itself; nothing comes from a third party.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"

# Field encryption (ARCHITECTURE.md section 4): the root key file and the key store, apart from
# the main database. Back both up, separately from it and from each other.
KEYS_DIR = DATA_DIR / "keys"
ROOT_KEY_FILE = Path(env("SALAMA_ROOT_KEY_FILE") or KEYS_DIR / "root.key")
KEYSTORE_PATH = Path(env("SALAMA_KEYSTORE_PATH") or KEYS_DIR / "keystore.sqlite3")

# HTTP hygiene
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SALAMA_MAX_FORM_BYTES", 2 * 1024 * 1024)
MAX_REQUEST_BYTES = env_int("SALAMA_MAX_REQUEST_BYTES", 25 * 1024 * 1024)
# Evidence uploads. The file must fit in one request together with the rest of the multipart
# form, hence the margin below MAX_REQUEST_BYTES.
EVIDENCE_MAX_BYTES = min(env_int("SALAMA_EVIDENCE_MAX_BYTES", 25 * 1024 * 1024), MAX_REQUEST_BYTES - 64 * 1024)
# Uploads stay in memory (bounded by MAX_REQUEST_BYTES, which RequestSizeLimitMiddleware checks
# first): Django's default spills files over 2.5 MB to a temporary file, which would put the
# plaintext of evidence on disk, unencrypted, where deleting the record cannot shred it.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SALAMA_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SALAMA_HSTS_SECONDS", 63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SALAMA_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-salama_session"
    CSRF_COOKIE_NAME = "__Host-salama_csrf"
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("SALAMA_CSRF_TRUSTED_ORIGINS")
else:
    SESSION_COOKIE_NAME = "salama_session"
    CSRF_COOKIE_NAME = "salama_csrf"

# Email: alerts use the delivery engine; account mail (invitations, resets) uses this.
EMAIL_HOST = env("SALAMA_EMAIL_HOST", "")
EMAIL_PORT = env_int("SALAMA_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("SALAMA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("SALAMA_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("SALAMA_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("SALAMA_EMAIL_FROM", "salama@localhost")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"

# Background work (ARCHITECTURE.md section 5)
SALAMA_QUEUE = env("SALAMA_QUEUE", "embedded")
if SALAMA_QUEUE not in {"embedded", "celery"}:
    raise ImproperlyConfigured(f"SALAMA_QUEUE must be embedded or celery, not {SALAMA_QUEUE!r}.")
EMBEDDED_WORKERS = env_int("SALAMA_EMBEDDED_WORKERS", 2)
JOB_LEASE_SECONDS = env_int("SALAMA_JOB_LEASE_SECONDS", 120)
JOB_MAX_ATTEMPTS = env_int("SALAMA_JOB_MAX_ATTEMPTS", 8)
CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL") or (
    "redis://127.0.0.1:6379/0" if SALAMA_QUEUE == "celery" else "memory://"
)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True

# The delivery engine (docs/delivery.md). Rates are sends per second per channel, shared by all
# workers through the database; 0 means no limit.
DELIVERY_BATCH_SIZE = env_int("SALAMA_DELIVERY_BATCH_SIZE", 200)
DELIVERY_CREATE_BATCH = 2000
DELIVERY_LEASE_SECONDS = env_int("SALAMA_DELIVERY_LEASE_SECONDS", 120)
DELIVERY_SWEEP_SECONDS = 5
DELIVERY_MAX_ATTEMPTS = env_int("SALAMA_DELIVERY_MAX_ATTEMPTS", 10)
DELIVERY_RETRY_BASE_SECONDS = env_int("SALAMA_DELIVERY_RETRY_BASE_SECONDS", 30)
DELIVERY_RETRY_MAX_SECONDS = env_int("SALAMA_DELIVERY_RETRY_MAX_SECONDS", 3600)
DELIVERY_RATES = {
    "email": env_int("SALAMA_DELIVERY_EMAIL_PER_SECOND", 0),
    "webhook": env_int("SALAMA_DELIVERY_WEBHOOK_PER_SECOND", 0),
}
DELIVERY_CELERY_TASKS = env_int("SALAMA_DELIVERY_CELERY_TASKS", 2)
# Alert mail goes to the SMTP server above (EMAIL_HOST...) through a pool of kept-open connections.
DELIVERY_SMTP_CONNECTIONS = env_int("SALAMA_DELIVERY_SMTP_CONNECTIONS", 4)
DELIVERY_SMTP_TIMEOUT = env_int("SALAMA_DELIVERY_SMTP_TIMEOUT", 20)
DELIVERY_EMAIL_FROM = env("SALAMA_DELIVERY_EMAIL_FROM", DEFAULT_FROM_EMAIL)
DELIVERY_WEBHOOK_TIMEOUT = env_int("SALAMA_DELIVERY_WEBHOOK_TIMEOUT", 10)
DELIVERY_WEBHOOK_CONCURRENCY = env_int("SALAMA_DELIVERY_WEBHOOK_CONCURRENCY", 8)

# Safety (salama.safety): the SOS cancel window, the escalation steps' lease, and how many wrong
# check-in links or codes one client may try in the window before every answer is refused.
SAFETY_SOS_CANCEL_SECONDS = env_int("SALAMA_SAFETY_SOS_CANCEL_SECONDS", 120)
SAFETY_STEP_LEASE_SECONDS = env_int("SALAMA_SAFETY_STEP_LEASE_SECONDS", 120)
SAFETY_GUESS_LIMIT = env_int("SALAMA_SAFETY_GUESS_LIMIT", 10)
SAFETY_GUESS_WINDOW_MINUTES = env_int("SALAMA_SAFETY_GUESS_WINDOW_MINUTES", 15)
# The donor view hides any count under this many grants ("fewer than 5"), so a small cell
# cannot point at one defender (salama.responses.donor).
DONOR_MIN_CELL = env_int("SALAMA_DONOR_MIN_CELL", 5)
# Analytics exports and the aggregates API hide counts under this many units, and enough others
# that the hidden ones cannot be worked out from the totals (salama.analytics.suppression).
SALAMA_ANALYTICS_MIN_CELL = env_int("SALAMA_ANALYTICS_MIN_CELL", 5)

# Logs carry no request bodies and no personal data; see docs/threat-model.md.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("SALAMA_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# Django's check looks for its own CSRF middleware by name; ours extends it (see
# salama.core.middleware.CsrfMiddleware) and salama.core.checks verifies it is installed.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PAGE_SIZE = 200
