"""Settings for the help desk, read from the environment.

Every value that differs between a laptop, CI and production comes from an environment
variable; README.md lists them all. Defaults are for the embedded development mode: SQLite
under var/, a Celery broker on the filesystem, emails on the console.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from accounts.ldap_config import directory_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# A development key is only acceptable while DEBUG is on; production must set its own.
_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105 (development only)
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = env("TIME_ZONE", default="UTC")
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
SITE_NAME = env("SITE_NAME", default="Help Desk")
# The absolute address of the site, for links in emails (no trailing slash).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    # Django's admin on our own site class: behind our login and second factor
    # (accounts/admin_site.py).
    "accounts.apps.HelpdeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Two-factor: TOTP (authenticator apps) and single-use recovery codes (static tokens);
    # before accounts, whose admin takes their device admins away (decision 0024).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Providers' inbound webhooks: the views check signatures and parse the posts; mail/
    # webhooks.py mounts the three we use and keeps the messages (docs/mail-providers.md).
    "anymail",
    # The domain, lowest layer first (see pyproject.toml's import contracts) ...
    "accounts",
    "sla",
    "tickets",
    # The knowledge base: above tickets (articles are sent in tickets, readings lead to
    # them), below the interfaces that show it (decision 0032).
    "kb",
    # ... and the interfaces around it.
    "web",
    "reports",
    "mail",
    "webhooks",
    "automation",
    "portal",
    "desk",
    "api",
    # Moving in from other help desks (osTicket first): above the interfaces.
    "importers",
    # The project's own commands (load_demo spans the apps).
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Agents' idle sessions end here; every session's last activity is recorded.
    "accounts.middleware.SessionActivityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "web.security.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

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
                "helpdesk.context_processors.site",
                "helpdesk.context_processors.roles",
                "csp.context_processors.nonce",
            ],
        },
    },
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# DATABASES
# ------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
    # Writers take the lock when their transaction begins, so two of them never read the
    # same state and then collide (ticket numbers rely on this; see tickets/numbering.py).
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
    # Persistent connections save a round of authentication per request.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:ticket_list"
# Agents (and superusers) land in their workspace instead; see accounts.views.landing_url.
AGENT_LOGIN_REDIRECT_URL = "agent:queue"
LOGOUT_REDIRECT_URL = "portal:home"
# Sign-up confirmation and password reset links stay valid this long.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
# Failed logins for one email from one address, before logins for it are refused for the
# rest of the window (accounts/forms.py).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/#using-argon2-with-django
# Argon2 for new passwords; the others only verify older hashes, which Django rehashes
# with Argon2 at the owner's next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # osTicket's bcrypt hashes (phpass, $2a$/$2y$), kept by the importer: verified once at
    # the person's next sign-in, then upgraded to Argon2 (docs/decisions/0042).
    "accounts.hashers.OsTicketBcryptPasswordHasher",
]

# TWO-FACTOR (django-otp; docs/decisions/0024-two-factor.md)
# https://django-otp-official.readthedocs.io/en/stable/overview.html
# Agents and admins (superusers, staff, anyone with an agent profile) must add a second
# factor after the password; requesters may. Off by default only in development.
REQUIRE_STAFF_2FA = env.bool("REQUIRE_STAFF_2FA", default=not DEBUG)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = SITE_NAME
# "Trust this browser": how long the signed cookie lets a login skip the code step.
TWO_FACTOR_TRUST_DAYS = 30
# Recovery codes made at enrolment (and when asked for new ones), each good once.
TWO_FACTOR_RECOVERY_CODES = 10
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# SESSIONS AND THE AUDIT LOG (docs/decisions/0023-audit-log-and-sessions.md)
# ------------------------------------------------------------------------------
# Database sessions (Django's default), so a person can list and end theirs: each has a row
# in accounts.UserSession beside it (accounts/sessions.py).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Agents' sessions end after this long without a request; requesters keep Django's
# SESSION_COOKIE_AGE (two weeks).
AGENT_SESSION_IDLE_MINUTES = env.int("AGENT_SESSION_IDLE_MINUTES", default=8 * 60)
# Security audit log entries older than this are deleted by beat (accounts.prune_audit_log).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# SINGLE SIGN-ON (OpenID Connect)
# ------------------------------------------------------------------------------
# https://mozilla-django-oidc.readthedocs.io/en/stable/settings.html
# docs/oidc.md (Entra ID, Google Workspace, Keycloak) and decision 0026. On when the issuer
# and the client id are set; the endpoints and keys come from the issuer's discovery
# document (/.well-known/openid-configuration, cached). The redirect URI to register is
# SITE_URL + /accounts/oidc/callback/, the post-logout one SITE_URL + /.
OIDC_ISSUER = env("OIDC_ISSUER", default="").rstrip("/")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env("OIDC_SCOPES", default="openid email profile")
# The claim with the person's email address; it must be verified (email_verified true)
# unless OIDC_REQUIRE_EMAIL_VERIFIED is off, for providers that do not send the flag
# (Entra ID; docs/oidc.md says when that is safe).
OIDC_EMAIL_CLAIM = env("OIDC_EMAIL_CLAIM", default="email")
OIDC_REQUIRE_EMAIL_VERIFIED = env.bool("OIDC_REQUIRE_EMAIL_VERIFIED", default=True)
OIDC_NAME_CLAIM = env("OIDC_NAME_CLAIM", default="name")
# Only these email domains may sign in this way (none: any the provider vouches for).
OIDC_ALLOWED_EMAIL_DOMAINS = [
    domain.strip().lstrip("@").lower()
    for domain in env.list("OIDC_ALLOWED_EMAIL_DOMAINS", default=[])
]
# Whether someone with no account here gets one, as a requester. Roles never come from
# the provider: agents are made in the admin.
OIDC_CREATE_USER = env.bool("OIDC_CREATE_USERS", default=False)
OIDC_BUTTON_LABEL = env("OIDC_BUTTON_LABEL", default="Sign in with single sign-on")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
# The ID token is kept in the session as the hint for the provider's logout.
OIDC_STORE_ID_TOKEN = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"

# COMPANY DIRECTORY (LDAP / Active Directory)
# ------------------------------------------------------------------------------
# https://django-auth-ldap.readthedocs.io/en/latest/ ; docs/ldap.md, decision 0025.
# Off unless LDAP_SERVER_URI is set. Then people sign in with their directory password
# (accounts.ldap.DirectoryBackend), their name, email and time zone come from the directory,
# and the groups of LDAP_GROUP_ROLES make them agents or managers of departments, again at
# every login; local accounts (ModelBackend, second) still sign in. accounts/ldap_config.py
# turns these into django-auth-ldap's AUTH_LDAP_* settings and refuses mistakes at startup
# (plain ldap:// to another machine among them). LDAP_BIND_PASSWORD is a secret: nothing
# logs it.
vars().update(
    directory_settings(
        server_uri=env("LDAP_SERVER_URI", default=""),
        start_tls=env.bool("LDAP_START_TLS", default=False),
        ca_file=env("LDAP_CA_FILE", default=""),
        bind_dn=env("LDAP_BIND_DN", default=""),
        bind_password=env("LDAP_BIND_PASSWORD", default=""),
        user_search_base=env("LDAP_USER_SEARCH_BASE", default=""),
        user_filter=env("LDAP_USER_FILTER", default="(mail=%(user)s)"),
        group_search_base=env("LDAP_GROUP_SEARCH_BASE", default=""),
        group_type=env("LDAP_GROUP_TYPE", default="groupOfNames"),
        group_filter=env("LDAP_GROUP_FILTER", default=""),
        attr_display_name=env("LDAP_ATTR_DISPLAY_NAME", default="displayName"),
        attr_email=env("LDAP_ATTR_EMAIL", default="mail"),
        attr_time_zone=env("LDAP_ATTR_TIME_ZONE", default=""),
        group_roles=env.json("LDAP_GROUP_ROLES", default={}),
        disabled_filter=env("LDAP_DISABLED_FILTER", default=""),
        disabled_group=env("LDAP_DISABLED_GROUP", default=""),
        timeout=env.int("LDAP_TIMEOUT_SECONDS", default=5),
    )
)
# The directory's backend (when LDAP_SERVER_URI is set) and local passwords, as
# directory_settings gave them, then single sign-on, which does nothing while OIDC_ISSUER
# is not set (above).
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "accounts.oidc.backend.OIDCBackend"]  # noqa: F821

# CACHES
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",  # one client per pool (common/cache.py)
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Without REDIS_URL the broker is kombu's filesystem transport: real worker and beat
# processes, and no server to install, for the embedded development mode.
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
# Results are never read: tasks change the database, which is the record.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Acknowledge after the task ran, so a killed worker's task is delivered again; tasks are
# written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
# Celery's Django fixup closes the database connections before and after every task
# unless this is set: a new PostgreSQL connection per task (fork, authentication) was
# most of a mail task's time. Reused for this many tasks, then renewed; Django's own
# CONN_MAX_AGE and health checks still drop a broken or old one.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic work, declared here in code. Deadlines themselves live in database columns,
# never in ETA tasks: each tick asks the database what is due.
SLA_SWEEP_INTERVAL_SECONDS = env.float("SLA_SWEEP_INTERVAL_SECONDS", default=60.0)
# Tickets per sweep transaction: larger is faster, smaller holds row locks for less time.
SLA_SWEEP_BATCH_SIZE = env.int("SLA_SWEEP_BATCH_SIZE", default=5000)
# Sweeps at once when more than a batch is due (one per worker process is the useful most).
SLA_SWEEP_PARALLELISM = env.int("SLA_SWEEP_PARALLELISM", default=2)
# How often beat refills changed report hours and fills ended ones (docs/reports.md).
REPORT_ROLLUP_INTERVAL_SECONDS = env.float("REPORT_ROLLUP_INTERVAL_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "tickets.sla_sweep", "schedule": SLA_SWEEP_INTERVAL_SECONDS},
    "send-notifications": {"task": "tickets.send_notifications", "schedule": 60.0},
    "resume-recomputations": {"task": "tickets.resume_recomputations", "schedule": 300.0},
    # IMAP mailboxes whose fetch interval has passed (each has its own, mail/fetching.py).
    "mail-fetch-due": {"task": "mail.fetch_due", "schedule": 15.0},
    # Inbound mail whose task was lost, or whose worker died (mail/tasks.py).
    "mail-process-pending": {"task": "mail.process_pending", "schedule": 60.0},
    # Replies and admin notices still owed for oversized mail (mail/oversized.py).
    "mail-answer-oversized": {"task": "mail.answer_oversized_owed", "schedule": 60.0},
    # Idempotency-Keys of the API older than a day (api/idempotency.py).
    "api-prune-idempotency-keys": {"task": "api.prune_idempotency_keys", "schedule": 3600.0},
    # Drafts of tickets closed over 30 days ago (tickets.services.drafts_prune).
    "prune-drafts": {"task": "tickets.prune_drafts", "schedule": 24 * 60 * 60.0},
    # Satisfaction surveys whose delay has passed (tickets.services.satisfaction).
    "send-satisfaction-surveys": {"task": "tickets.send_satisfaction_surveys", "schedule": 60.0},
    # Audit log entries past AUDIT_RETENTION_DAYS, and expired sessions (accounts/tasks.py).
    "prune-audit-log": {"task": "accounts.prune_audit_log", "schedule": 24 * 60 * 60.0},
    "prune-sessions": {"task": "accounts.prune_sessions", "schedule": 60 * 60.0},
    # Webhook deliveries that are due and whose task was lost (webhooks/sending.py), and
    # the delivery log past WEBHOOK_LOG_RETENTION_DAYS.
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 30.0},
    "webhooks-prune": {"task": "webhooks.prune", "schedule": 24 * 60 * 60.0},
    # Automation (docs/automation.md): time-based rules, and the event rules' triggers and
    # emails whose task was lost.
    "automation-time-rules": {"task": "automation.run_time_rules", "schedule": 120.0},
    "automation-triggers": {"task": "automation.run_triggers", "schedule": 60.0},
    "automation-emails": {"task": "automation.send_emails", "schedule": 60.0},
    # Spreadsheets past their seven days, and builds whose task was lost (reports/services.py).
    "reports-sweep-exports": {"task": "reports.sweep_exports", "schedule": 60 * 60.0},
    # The managers' weekly email: hourly, so each gets it on Monday from 07:00 in their own
    # time zone; once per manager, department and week whatever runs (reports/weekly.py).
    "reports-weekly-emails": {"task": "reports.weekly_emails", "schedule": 60 * 60.0},
    # Report rollups: changed hours refilled, ended hours filled (reports/rollups/fill.py).
    "reports-refresh-rollups": {
        "task": "reports.refresh_rollups",
        "schedule": REPORT_ROLLUP_INTERVAL_SECONDS,
    },
}

# PORTAL: INTAKE, ATTACHMENTS, ABUSE
# ------------------------------------------------------------------------------
# Public forms (new ticket, sign up, password reset) accept this many submissions per
# client address and per email address in each window; the rest get a polite refusal.
RATE_LIMIT_PER_IP = env.int("RATE_LIMIT_PER_IP", default=60)
RATE_LIMIT_PER_EMAIL = env.int("RATE_LIMIT_PER_EMAIL", default=10)
RATE_LIMIT_WINDOW_SECONDS = env.int("RATE_LIMIT_WINDOW_SECONDS", default=60 * 60)
# How many reverse proxies in front of the app append to X-Forwarded-For; 0 trusts none
# and uses the connection's address. The client is the address that many hops from the end.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# Attachments: checked by content (tickets/attachments.py); limits per file and per message.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_COUNT = env.int("ATTACHMENT_MAX_COUNT", default=5)

# EMAIL
# ------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env(
        "EMAIL_BACKEND",
        default="django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend",
    )
# Where django.core.mail.backends.filebased.EmailBackend writes, when that backend is chosen.
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Help Desk <helpdesk@localhost>")
# Automatic emails (acknowledgements, notices) to one address per hour; beyond it they are
# held back, a brake on loops with auto-responders (tickets/outbox/send.py).
AUTOMATIC_EMAILS_PER_RECIPIENT_PER_HOUR = env.int(
    "AUTOMATIC_EMAILS_PER_RECIPIENT_PER_HOUR", default=20
)
# How long after a ticket is resolved its requester is asked "How did we do?" (a reopen
# before then cancels it; tickets/services/satisfaction.py, decision 0041).
SATISFACTION_SURVEY_DELAY = timedelta(
    minutes=env.float("SATISFACTION_SURVEY_DELAY_MINUTES", default=60.0)
)
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Who hears of what needs a person: a mailbox that keeps failing, a message too large to
# take (django.core.mail.mail_admins). Comma-separated addresses; none tells nobody.
ADMINS = [("", address) for address in env.list("ADMINS", default=[])]

# MAIL IN FROM PROVIDERS (Mailgun, Postmark, SendGrid inbound webhooks)
# ------------------------------------------------------------------------------
# https://anymail.dev/en/stable/securing_webhooks/
# An endpoint whose secret is not set answers 503 and takes nothing (mail/webhooks.py):
# Mailgun needs its signing key; Postmark and SendGrid need WEBHOOK_SECRET, the
# "user:password" they send as HTTP basic auth (anymail then checks it on Mailgun's posts
# too). Several, comma-separated, while one is being replaced. Empty values are left out:
# anymail would take an empty signing key as a key.
ANYMAIL = {
    name: value
    for name, value in {
        "MAILGUN_WEBHOOK_SIGNING_KEY": env("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
        "WEBHOOK_SECRET": env.list("ANYMAIL_WEBHOOK_SECRET", default=[]),
    }.items()
    if value
}
# The largest message we take, by any path (IMAP, the pipe, a webhook): 25 MB, what Gmail,
# Outlook.com and Mailgun send at most, so a message larger than this could not have come
# by most of the mail in the world anyway. A larger one is recorded in the ledger by its
# headers only, and its sender gets one polite reply (mail/oversized.py, decision 0021).
MAIL_MAX_MESSAGE_BYTES = env.int("MAIL_MAX_MESSAGE_BYTES", default=25 * 1024 * 1024)
# Providers post the whole message as one form field or JSON string, a little larger than
# the message (JSON escapes, percent-encoding): the webhook views read posts up to twice
# this limit under their own limit (mail.ledger.webhook_post_limit); the rest of the site
# keeps Django's DATA_UPLOAD_MAX_MEMORY_SIZE.

# OUTBOUND WEBHOOKS (docs/webhooks.md, docs/decisions/0029-webhook-deliveries.md)
# ------------------------------------------------------------------------------
# https://www.standardwebhooks.com/ : signed with the endpoint's secret, retried with backoff.
# The host of an endpoint is resolved at every send, and addresses that are not public
# (private, loopback, link-local, multicast, reserved; cloud metadata always) are refused
# unless inside one of these networks: comma-separated CIDRs, e.g. 10.20.0.0/16 for an
# internal service. Empty: public addresses only.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
# PEM file of the authorities to trust for https endpoints instead of the public ones (a
# company CA, for internal endpoints); certificates are always checked, against the URL's
# host name even though the connection goes to the address that was checked.
WEBHOOK_CA_FILE = env("WEBHOOK_CA_FILE", default="")
# Seconds to wait after each failed attempt (the issue's 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
# 14 h, 20 h, 24 h), each with +-10 % jitter; after the last one the delivery is given up.
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE",
    cast=float,
    default=[5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
)
# The circuit breaker: an endpoint failing this share of its recent attempts is paused this
# long, then one probe decides whether it goes on (webhooks/breaker.py).
WEBHOOK_BREAKER_PAUSE_SECONDS = env.float("WEBHOOK_BREAKER_PAUSE_SECONDS", default=300.0)
# Attempts and deliveries older than this are deleted by beat, daily.
WEBHOOK_LOG_RETENTION_DAYS = env.int("WEBHOOK_LOG_RETENTION_DAYS", default=30)

# REPORTS
# ------------------------------------------------------------------------------
# The dashboard reads hourly rollups for the hours beat has filled, and computes the rest
# live (PostgreSQL only; docs/reports.md, docs/decisions/0035). Off: everything live.
REPORT_ROLLUPS = env.bool("REPORT_ROLLUPS", default=True)

# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Media is never served by URL: attachments download through a view that checks access.
MEDIA_URL = "/media-not-served/"
# https://whitenoise.readthedocs.io/en/stable/django.html#add-compression-and-caching-support
# Outside DEBUG, collectstatic writes hashed, compressed copies that WhiteNoise serves with
# far-future cache headers.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# SECURITY
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp; docs/decisions/0022-content-security-policy.md):
# scripts and styles only from our static files (a script that must be inline carries the
# request's nonce), nothing embedded, no <base>, no framing, forms only to us. Images may
# also be data: URLs, for Bootstrap's CSS icons; user HTML never keeps a data: src
# (web/html.py). CSP_REPORT_ONLY=1 sends the same policy as report-only, to try a change.
CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [NONE],
    "frame-ancestors": [NONE],
    "form-action": [SELF],
    "report-uri": "/csp-report/",
}
if OIDC_ISSUER:
    # Logging out is a form; for someone signed in through the provider its answer
    # redirects to the provider's end_session_endpoint, which browsers hold to form-action.
    _issuer = urlsplit(OIDC_ISSUER)
    CSP_DIRECTIVES["form-action"] = [SELF, f"{_issuer.scheme}://{_issuer.netloc}"]
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}
# Violation reports: at most this many logged per client address and minute.
CSP_REPORTS_PER_MINUTE = env.int("CSP_REPORTS_PER_MINUTE", default=20)
# Browser features no page of ours uses, switched off for every page and what it embeds.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "bluetooth=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=(), "
    "display-capture=(), browsing-topics=()"
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
    # TLS ends at the proxy in front of gunicorn, which must set X-Forwarded-Proto (and
    # strip it from clients' requests).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# THE API
# ------------------------------------------------------------------------------
# Django REST framework: keys or a session; scopes; a rate limit per key; RFC 9457 errors.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.KeyRateThrottle"],
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Help desk API",
    "DESCRIPTION": "REST API v1. Authenticate with `Authorization: Bearer hd_...` (an API key "
    "made in the admin) or a signed-in session.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are public: they describe the API, they hold no data.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Requests a minute for a signed-in person's session, and for anyone without a key or a
# session (they get little more than 401s); each API key has its own limit.
API_SESSION_REQUESTS_PER_MINUTE = env.int("API_SESSION_REQUESTS_PER_MINUTE", default=300)
API_ANONYMOUS_REQUESTS_PER_MINUTE = env.int("API_ANONYMOUS_REQUESTS_PER_MINUTE", default=60)

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
