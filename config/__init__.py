"""Settings classes: every deployment setting comes from the environment with a safe default."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-secret-key-change-me"


def database_url(raw: str) -> str:
    """Map the usual postgresql:// URL to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


class Config:
    """Development defaults: SQLite in instance/, a development secret."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'challenges.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    # Anonymous reads of public challenges, cached in Redis (READ_CACHE_URL, by default REDIS_URL) for at most
    # READ_CACHE_SECONDS, dropped at every change; 0 switches the cache off.
    READ_CACHE_URL = os.environ.get("READ_CACHE_URL", REDIS_URL)
    READ_CACHE_SECONDS = int(os.environ.get("READ_CACHE_SECONDS", "60"))
    READ_CACHE_PREFIX = os.environ.get("READ_CACHE_PREFIX", "challenges:read-cache")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    TOKEN_TTL = int(os.environ.get("TOKEN_TTL", str(7 * 24 * 3600)))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_BODY_BYTES", str(1024 * 1024)))
    MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(100 * 1024 * 1024)))  # answer keys, predictions
    # Memory each worker may give to answer keys kept decompressed for checking and scoring predictions (0: none).
    ANSWER_KEY_CACHE_BYTES = int(os.environ.get("ANSWER_KEY_CACHE_BYTES", str(256 * 1024 * 1024)))
    # Attachments: per-file limit, allowed types (judged from the content), and where files live.
    MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_BYTES", str(50 * 1024 * 1024)))
    ATTACHMENT_TYPES = os.environ.get("ATTACHMENT_TYPES", "pdf,png,jpeg,zip,csv,txt,md")
    STORAGE_URL = os.environ.get("STORAGE_URL", f"file://{ROOT / 'instance' / 'files'}")
    # What one user's attachments may take in all (0 or empty: no limit), and how often the worker deletes the
    # stored files nothing names any more (0: never; `flask sweep-storage` does it at any time).
    MAX_USER_STORAGE_BYTES = int(os.environ.get("MAX_USER_STORAGE_BYTES", str(1024 ** 3)).strip() or "0")
    STORAGE_SWEEP_INTERVAL_SECONDS = int(os.environ.get("STORAGE_SWEEP_INTERVAL_SECONDS", "3600").strip() or "0")
    # Webhooks and email.
    WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "10"))
    WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
    WEBHOOKS_ALLOW_PRIVATE = os.environ.get("WEBHOOKS_ALLOW_PRIVATE", "0") == "1"
    WEBHOOKS_PER_ORGANISATION = int(os.environ.get("WEBHOOKS_PER_ORGANISATION", "20"))
    # Attempts per destination address and window (Flask-Limiter syntax); the rest wait for the next window.
    WEBHOOK_DELIVERIES_PER_HOST = os.environ.get("WEBHOOK_DELIVERIES_PER_HOST", "600/minute")
    SMTP_URL = os.environ.get("SMTP_URL")  # smtp://host:port, smtps://, smtp+starttls://; user:password@ optional
    SMTP_FROM = os.environ.get("SMTP_FROM", "challenges <no-reply@localhost>")
    EMAIL_MAX_ATTEMPTS = int(os.environ.get("EMAIL_MAX_ATTEMPTS", "8"))
    DEADLINE_REMINDER_HOURS = float(os.environ.get("DEADLINE_REMINDER_HOURS", "24"))
    # argon2id cost: the OWASP-recommended memory-hard parameters.
    PASSWORD_TIME_COST = 2
    PASSWORD_MEMORY_COST = 19 * 1024
    PASSWORD_PARALLELISM = 1
    # Demo data (seed-demo, and sign-in with its accounts): development only, never in production.
    DEMO_DATA_ALLOWED = True

    # Behind reverse proxies: how many of them set X-Forwarded-For/-Proto (0: trust no such header).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # Browsers: origins allowed to call the API (comma-separated; empty: none), and HSTS on HTTPS answers.
    CORS_ORIGINS = [origin.strip() for origin in os.environ.get("CORS_ORIGINS", "").split(",") if origin.strip()]
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    # Operations: log lines as readable text or one JSON object each (LOG_FORMAT: text or json), and the bearer
    # token /metrics asks for (empty: /metrics is open, so keep it on an internal network).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # Spam: content from accounts younger than SPAM_TRUST_AFTER_DAYS is held when its signals weigh
    # SPAM_THRESHOLD or more; SPAM_FILTER_ENABLED=0 switches holding off (a load test, say).
    SPAM_FILTER_ENABLED = os.environ.get("SPAM_FILTER_ENABLED", "1") != "0"
    SPAM_TRUST_AFTER_DAYS = float(os.environ.get("SPAM_TRUST_AFTER_DAYS", "7"))
    SPAM_THRESHOLD = int(os.environ.get("SPAM_THRESHOLD", "3"))
    # Rate limits (Flask-Limiter syntax); shared across workers through Redis when REDIS_URL is set.
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") != "0"
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_DEFAULT = os.environ.get("RATELIMIT_DEFAULT", "600/minute")
    RATELIMIT_SIGN_IN = os.environ.get("RATELIMIT_SIGN_IN", "10/minute")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "5/minute")
    RATELIMIT_SUBMIT = os.environ.get("RATELIMIT_SUBMIT", "30/minute")
    RATELIMIT_INVITE = os.environ.get("RATELIMIT_INVITE", "20/hour")  # team invitations and member additions, shared
    # Failed sign-ins: per account and address, then per account from addresses it never signed in from.
    SIGN_IN_ATTEMPTS_PER_ADDRESS = os.environ.get("SIGN_IN_ATTEMPTS_PER_ADDRESS", "5/15 minutes")
    SIGN_IN_ATTEMPTS_PER_ACCOUNT = os.environ.get("SIGN_IN_ATTEMPTS_PER_ACCOUNT", "20/hour")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "challenges"
    # When Redis is away the service goes on without it: rate limits count in this process, sign-in attempts in
    # the database, jobs run in the web process (or wait in the outbox), reads come from the database. A Redis
    # call gives up after REDIS_TIMEOUT_SECONDS; a server that failed is left alone for REDIS_RETRY_SECONDS; each
    # kind of fallback is logged at most once per REDIS_WARNING_SECONDS.
    REDIS_TIMEOUT_SECONDS = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "0.5"))
    REDIS_RETRY_SECONDS = float(os.environ.get("REDIS_RETRY_SECONDS", "5"))
    REDIS_WARNING_SECONDS = float(os.environ.get("REDIS_WARNING_SECONDS", "60"))
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": REDIS_TIMEOUT_SECONDS,
                                 "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}

    API_TITLE = "challenges"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    # /docs is served by challenges.api.docs from bundled assets (no CDN), so flask-smorest serves no UI of its own.


class ProductionConfig(Config):
    """Production: refuses to start without a real SECRET_KEY, and carries no demo accounts."""

    DEMO_DATA_ALLOWED = False
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()

    @classmethod
    def check(cls) -> None:
        """Raise when a deployment setting is unsafe."""
        if cls.SECRET_KEY == DEV_SECRET_KEY or len(cls.SECRET_KEY) < 32:
            raise RuntimeError("Set SECRET_KEY to a random string of at least 32 characters.")


class TestConfig(Config):
    """Tests: a throwaway database and cheap password hashing."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    PASSWORD_TIME_COST = 1
    PASSWORD_MEMORY_COST = 8
    PASSWORD_PARALLELISM = 1
    RATELIMIT_ENABLED = False  # the rate-limit tests switch them on in an app of their own
    STORAGE_SWEEP_INTERVAL_SECONDS = 0  # workers in tests sweep no store; the sweep tests schedule it themselves
    RATELIMIT_STORAGE_URI = "memory://"


def from_environment() -> type[Config]:
    """The settings class named by CHALLENGES_ENV (development by default)."""
    env = os.environ.get("CHALLENGES_ENV", "development")
    return {"development": Config, "production": ProductionConfig}[env]
