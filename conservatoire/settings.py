"""Settings, read from the environment only.

Every variable is optional: absent, it falls back to the embedded default
(SQLite, eager Celery, console emails, private files under the project), so
``make run`` works on a bare machine. See the table in README.md.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Off unless asked for: a forgotten variable must not show tracebacks to families.
# `make run` sets DEBUG=1 (runserver serves the static files); the tests load
# tests/settings.py, which does the same before reading this module.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="django-insecure-dev-only-key-set-SECRET_KEY-in-production",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Encryption at rest of bank details (conservatoire/encryption.py): comma-separated
# Fernet keys, the first encrypts, every one decrypts (rotate_encryption_keys moves the
# values to the first). Empty: a key derived from SECRET_KEY, for development only
# (`check --deploy` warns).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

INSTALLED_APPS = [
    # Django's admin, whose home (/gestion/) is the current campaign's (reinscription.apps).
    "reinscription.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "formtools",
    "axes",
    "csp",
    "phonenumber_field",
    "simple_history",
    "import_export",
    "conservatoire",
    "accounts",
    "billing",
    "documents",
    "reinscription",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "conservatoire.middleware.ContentSecurityPolicyScopeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "conservatoire.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "conservatoire.middleware.DatabaseUnavailableMiddleware",
    # AxesMiddleware should be the last middleware.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "conservatoire.urls"
WSGI_APPLICATION = "conservatoire.wsgi.application"

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
                "conservatoire.context_processors.portal",
            ],
        },
    },
]

# Database: SQLite file in the project folder unless DATABASE_URL is set.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a restarted server costs no 503
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 3)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.IdentifierBackend",
]
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idHasher",  # OWASP's parameters; reads every argon2 hash
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "reinscription:family_space"
LOGOUT_REDIRECT_URL = "home"

# Sessions live in the database and end after 30 minutes without activity.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
# The expiry slides with activity, written at most once a minute: see
# conservatoire.middleware.SessionActivityMiddleware.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes): 5 failures lock the pair identifier + client
# address for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"  # one counter whatever the case
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
# Behind N reverse proxies set AXES_IPWARE_PROXY_COUNT=N: the client address is
# then read from X-Forwarded-For. With none (the default), the header is ignored,
# so a client cannot dodge the lockout by forging it.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_VERBOSE = False

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded and generated files are private: MEDIA_ROOT is never served by a URL,
# files reach families only through views that check ownership.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "private-media")))
MEDIA_URL = "/private-media-is-not-served/"
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    # The admin's import keeps the uploaded file from the preview to the confirmation:
    # in the bucket, which every web instance reads (django-import-export's default is
    # the local temp folder, absent from another instance; README, "Scaling").
    IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Email: console unless EMAIL_URL is set (smtp://user:pass@host:port).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Conservatoire de Limonest <conservatoire@limonest.fr>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10

# Celery: a real broker when CELERY_BROKER_URL is set, otherwise tasks run
# in-process (eager) and their errors propagate.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "socket_timeout": 1.5,  # a frozen Redis must not hang a family's page
    "socket_connect_timeout": 1.5,
}
CELERY_BEAT_SCHEDULE = {
    "drain-outbox": {
        "task": "conservatoire.tasks.drain_outbox",
        "schedule": 60.0,
    },
    "purge-password-reset-requests": {
        "task": "accounts.tasks.purge_password_reset_requests",
        "schedule": crontab(hour=3, minute=40),
    },
    "billing-prenotifications": {
        "task": "billing.tasks.send_due_prenotifications",
        "schedule": crontab(hour=8, minute=0),
    },
    "purge-documents": {
        "task": "documents.tasks.purge_expired_documents",
        "schedule": crontab(hour=3, minute=30),
    },
    "campaign-reminders": {
        "task": "reinscription.backoffice.tasks.send_due_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    # Retention (README, "Personal data"): recap ZIPs after 7 days, drafts 30 days after
    # their campaign closed, stored recap PDFs with the documents of their school year.
    "purge-recap-exports": {
        "task": "reinscription.backoffice.tasks.purge_old_exports",
        "schedule": crontab(hour=3, minute=50),
    },
    "purge-closed-campaign-drafts": {
        "task": "reinscription.tasks.purge_closed_campaign_drafts",
        "schedule": crontab(hour=4, minute=0),
    },
    "purge-recap-pdfs": {
        "task": "reinscription.tasks.purge_expired_recaps",
        "schedule": crontab(hour=4, minute=10),
    },
}

# Security: the production values (DEBUG off) pass `check --deploy`.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
# Every HTML page (django-csp): scripts, styles, images and fonts from the portal only,
# no inline script, no framing. Non-HTML answers (PDFs, downloads) get no policy
# (conservatoire.middleware.ContentSecurityPolicyScopeMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# Django's admin writes a few style attributes: these directives replace the portal's
# under /gestion/. Still no inline script there.
CONTENT_SECURITY_POLICY_ADMIN_REPLACE = {"style-src": [SELF, UNSAFE_INLINE]}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# The SEPA creditor (the conservatoire's Trésor Public account); demo placeholders.
BILLING_CREDITOR = {
    "ics": env.str("BILLING_ICS", default="FR72ZZZ123456"),
    "iban": env.str("BILLING_CREDITOR_IBAN", default="FR7610071690000000100012383"),
    "bic": env.str("BILLING_CREDITOR_BIC", default="TRPUFRP1XXX"),
    "payfip_client": env.str("PAYFIP_CLIENT", default="012345"),
}

# The family's documents page asks the re-enrolment which documents apply
# (payment mode, disciplines); documents itself never imports reinscription.
DOCUMENTS_FACTS_PROVIDER = "reinscription.services.documents_facts"
# …and for which year: the campaign's families see (not one being prepared).
FAMILY_SCHOOL_YEAR_PROVIDER = "reinscription.services.family_school_year"
# Uploaded files are deleted this many months after the end of their school year.
DOCUMENTS_RETENTION_MONTHS = env.int("DOCUMENTS_RETENTION_MONTHS", default=12)

# Phone numbers (django-phonenumber-field): read as French, stored as E.164
# (+33612345678), shown in the national format (06 12 34 56 78).
PHONENUMBER_DEFAULT_REGION = "FR"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The home page gives the open campaign's deadline: asked of the re-enrolment app
# (conservatoire never imports it), a callable returning the template's context.
HOME_CAMPAIGN_PROVIDER = "reinscription.public.home_facts"
# The portal's public address, used in emails (identifier, password, links); `make run`
# sets it to the address it serves.
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000")
CONSERVATOIRE = {
    "name": "Conservatoire municipal de Limonest",
    "address": "Agora, 1 place Décurel, 69760 Limonest",
    "email": "conservatoire@limonest.fr",
    "commune": "Limonest",
    "planning_url": (
        "https://www.limonest.fr/agora-culture/conservatoire-municipal/inscriptions-au-conservatoire/"
    ),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint logs seven INFO lines per PDF ("Step 1 - Fetching and parsing HTML"…).
        "weasyprint.progress": {"level": "WARNING"},
    },
}
