"""Settings classes: every deployment setting comes from the environment (declared in config.settings) with a safe
default, and the service refuses to start, one line per variable, when one is unusable."""
import os
import sys
from typing import NoReturn

from config.settings import BY_NAME, DEV_SECRET_KEY, DEVELOPMENT_DATABASE_URL, ROOT, read

__all__ = ["ENVIRONMENT", "ROOT", "Config", "ConfigError", "ProductionConfig", "TestConfig", "database_url",
           "from_environment", "refuse"]

# Every declared variable, parsed (the default where unset or unusable), and what was unusable.
ENVIRONMENT, PROBLEMS = read(os.environ)
PRODUCTION_ENVIRONMENT, _ = read(os.environ, production=True)
# The test suite's own variables are no concern of the service's.
SERVICE_PROBLEMS = [line for name, line in PROBLEMS.items() if BY_NAME[name].group != "tests"]
EXIT_STATUS = 2  # a usage error, as command-line tools report a bad option


class ConfigError(RuntimeError):
    """Settings the service cannot start with; the message is one line per variable."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def refuse(error: ConfigError, status: int | None = None) -> NoReturn:
    """Print the error's lines and exit (status 2 unless another is given): no traceback, nothing served."""
    print(error, file=sys.stderr, flush=True)
    raise SystemExit(EXIT_STATUS if status is None else status)


def database_url(raw: str) -> str:
    """Map the usual postgresql:// URL to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


class Config:
    """Development defaults: SQLite in instance/, a development secret."""

    _problems = SERVICE_PROBLEMS
    SECRET_KEY = ENVIRONMENT["SECRET_KEY"]
    SQLALCHEMY_DATABASE_URI = database_url(ENVIRONMENT["DATABASE_URL"])
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = ENVIRONMENT["REDIS_URL"]
    # Anonymous reads of public challenges, cached in Redis (READ_CACHE_URL, by default REDIS_URL) for at most
    # READ_CACHE_SECONDS, dropped at every change; 0 switches the cache off.
    READ_CACHE_URL = ENVIRONMENT["READ_CACHE_URL"] or REDIS_URL
    READ_CACHE_SECONDS = ENVIRONMENT["READ_CACHE_SECONDS"]
    READ_CACHE_PREFIX = ENVIRONMENT["READ_CACHE_PREFIX"]
    LOG_LEVEL = ENVIRONMENT["LOG_LEVEL"]
    TOKEN_TTL = ENVIRONMENT["TOKEN_TTL"]
    PUBLIC_URL = ENVIRONMENT["PUBLIC_URL"]  # where the links of emails (password reset, email verification) open
    MAX_CONTENT_LENGTH = ENVIRONMENT["MAX_BODY_BYTES"]
    MAX_UPLOAD_BYTES = ENVIRONMENT["MAX_UPLOAD_BYTES"]  # answer keys, predictions
    # Memory each worker may give to answer keys kept decompressed for checking and scoring predictions (0: none).
    ANSWER_KEY_CACHE_BYTES = ENVIRONMENT["ANSWER_KEY_CACHE_BYTES"]
    # Attachments: per-file limit, allowed types (judged from the content), and where files live.
    MAX_ATTACHMENT_BYTES = ENVIRONMENT["MAX_ATTACHMENT_BYTES"]
    ATTACHMENT_TYPES = ENVIRONMENT["ATTACHMENT_TYPES"]
    STORAGE_URL = ENVIRONMENT["STORAGE_URL"]
    # What one user's attachments may take in all (0 or empty: no limit), and how often the worker deletes the
    # stored files nothing names any more (0: never; `flask sweep-storage` does it at any time).
    MAX_USER_STORAGE_BYTES = ENVIRONMENT["MAX_USER_STORAGE_BYTES"]
    STORAGE_SWEEP_INTERVAL_SECONDS = ENVIRONMENT["STORAGE_SWEEP_INTERVAL_SECONDS"]
    # Webhooks and email.
    WEBHOOK_RETRY_BASE_SECONDS = ENVIRONMENT["WEBHOOK_RETRY_BASE_SECONDS"]
    WEBHOOK_MAX_ATTEMPTS = ENVIRONMENT["WEBHOOK_MAX_ATTEMPTS"]
    WEBHOOKS_ALLOW_PRIVATE = ENVIRONMENT["WEBHOOKS_ALLOW_PRIVATE"]
    WEBHOOKS_PER_ORGANISATION = ENVIRONMENT["WEBHOOKS_PER_ORGANISATION"]
    # Attempts per destination address and window (Flask-Limiter syntax); the rest wait for the next window.
    WEBHOOK_DELIVERIES_PER_HOST = ENVIRONMENT["WEBHOOK_DELIVERIES_PER_HOST"]
    SMTP_URL = ENVIRONMENT["SMTP_URL"]  # smtp://host:port, smtps://, smtp+starttls://; user:password@ optional
    SMTP_FROM = ENVIRONMENT["SMTP_FROM"]
    EMAIL_MAX_ATTEMPTS = ENVIRONMENT["EMAIL_MAX_ATTEMPTS"]
    DEADLINE_REMINDER_HOURS = ENVIRONMENT["DEADLINE_REMINDER_HOURS"]
    # argon2id cost: the OWASP-recommended memory-hard parameters.
    PASSWORD_TIME_COST = 2
    PASSWORD_MEMORY_COST = 19 * 1024
    PASSWORD_PARALLELISM = 1
    # Demo data (seed-demo, and sign-in with its accounts): development only, never in production.
    DEMO_DATA_ALLOWED = True

    # Behind reverse proxies: how many of them set X-Forwarded-For/-Proto (0: trust no such header).
    PROXY_COUNT = ENVIRONMENT["PROXY_COUNT"]
    # Browsers: origins allowed to call the API (comma-separated; empty: none), and HSTS on HTTPS answers.
    CORS_ORIGINS = ENVIRONMENT["CORS_ORIGINS"]
    HSTS_SECONDS = ENVIRONMENT["HSTS_SECONDS"]
    # Operations: log lines as readable text or one JSON object each (LOG_FORMAT: text or json), and the bearer
    # token /metrics asks for (empty: /metrics is open, so keep it on an internal network).
    LOG_FORMAT = ENVIRONMENT["LOG_FORMAT"]
    METRICS_TOKEN = ENVIRONMENT["METRICS_TOKEN"]
    # `flask worker` serves its own metrics on this port and address, behind METRICS_TOKEN (no port: none).
    WORKER_METRICS_PORT = ENVIRONMENT["WORKER_METRICS_PORT"]
    WORKER_METRICS_ADDRESS = ENVIRONMENT["WORKER_METRICS_ADDRESS"]
    # Spam: content from accounts younger than SPAM_TRUST_AFTER_DAYS is held when its signals weigh
    # SPAM_THRESHOLD or more; SPAM_FILTER_ENABLED=0 switches holding off (a load test, say).
    SPAM_FILTER_ENABLED = ENVIRONMENT["SPAM_FILTER_ENABLED"]
    SPAM_TRUST_AFTER_DAYS = ENVIRONMENT["SPAM_TRUST_AFTER_DAYS"]
    SPAM_THRESHOLD = ENVIRONMENT["SPAM_THRESHOLD"]
    # Rate limits (Flask-Limiter syntax); shared across workers through Redis when REDIS_URL is set.
    RATELIMIT_ENABLED = ENVIRONMENT["RATELIMIT_ENABLED"]
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_DEFAULT = ENVIRONMENT["RATELIMIT_DEFAULT"]
    RATELIMIT_SIGN_IN = ENVIRONMENT["RATELIMIT_SIGN_IN"]
    RATELIMIT_REGISTER = ENVIRONMENT["RATELIMIT_REGISTER"]
    RATELIMIT_SUBMIT = ENVIRONMENT["RATELIMIT_SUBMIT"]
    RATELIMIT_PASSWORD_RESET = ENVIRONMENT["RATELIMIT_PASSWORD_RESET"]  # asking for a reset link and using one
    RATELIMIT_EXPORT = ENVIRONMENT["RATELIMIT_EXPORT"]  # an account's whole archive: cheap to ask, dear to build
    RATELIMIT_INVITE = ENVIRONMENT["RATELIMIT_INVITE"]  # team and organisation invitations, shared
    # Failed sign-ins: per account and address, then per account from addresses it never signed in from.
    SIGN_IN_ATTEMPTS_PER_ADDRESS = ENVIRONMENT["SIGN_IN_ATTEMPTS_PER_ADDRESS"]
    SIGN_IN_ATTEMPTS_PER_ACCOUNT = ENVIRONMENT["SIGN_IN_ATTEMPTS_PER_ACCOUNT"]
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "challenges"
    # When Redis is away the service goes on without it: rate limits count in this process, sign-in attempts in
    # the database, jobs run in the web process (or wait in the outbox), reads come from the database. A Redis
    # call gives up after REDIS_TIMEOUT_SECONDS; a server that failed is left alone for REDIS_RETRY_SECONDS; each
    # kind of fallback is logged at most once per REDIS_WARNING_SECONDS.
    REDIS_TIMEOUT_SECONDS = ENVIRONMENT["REDIS_TIMEOUT_SECONDS"]
    REDIS_RETRY_SECONDS = ENVIRONMENT["REDIS_RETRY_SECONDS"]
    REDIS_WARNING_SECONDS = ENVIRONMENT["REDIS_WARNING_SECONDS"]
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

    @classmethod
    def check(cls) -> None:
        """Raise ConfigError, one line per variable, when a variable of the environment is unusable."""
        if cls._problems:
            raise ConfigError(cls._problems)


class ProductionConfig(Config):
    """Production: refuses to start without a database of its own, a real SECRET_KEY, or, when it sends email, the
    public address its links lead to; and carries no demo accounts."""

    DEMO_DATA_ALLOWED = False
    LOG_FORMAT = PRODUCTION_ENVIRONMENT["LOG_FORMAT"]

    @classmethod
    def check(cls) -> None:
        """Raise ConfigError when a variable is unusable or a deployment setting is unsafe."""
        problems = list(cls._problems)
        if cls.SQLALCHEMY_DATABASE_URI == DEVELOPMENT_DATABASE_URL:  # SQLite in instance/ is a development default
            problems.append("DATABASE_URL: required in production: a URL such as "
                            "postgresql://user:password@host:5432/db")
        if cls.SECRET_KEY == DEV_SECRET_KEY:
            problems.append("SECRET_KEY: required in production: a random string of at least 32 characters (make one "
                            "with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))')")
        elif len(cls.SECRET_KEY) < 32:  # the key itself is never printed
            problems.append("SECRET_KEY: expected a random string of at least 32 characters in production, got "
                            f"{len(cls.SECRET_KEY)} characters")
        if cls.SMTP_URL and cls.PUBLIC_URL == BY_NAME["PUBLIC_URL"].default:  # links in emails would lead nowhere
            problems.append("PUBLIC_URL: required in production when SMTP_URL is set: the address where people open "
                            "the links sent by email, such as https://challenges.example.org")
        if problems:
            raise ConfigError(problems)


class TestConfig(Config):
    """Tests: a throwaway database and cheap password hashing."""

    _problems = list(PROBLEMS.values())  # the suite's own variables too
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url(ENVIRONMENT["TEST_DATABASE_URL"] or "sqlite://")
    PASSWORD_TIME_COST = 1
    PASSWORD_MEMORY_COST = 8
    PASSWORD_PARALLELISM = 1
    RATELIMIT_ENABLED = False  # the rate-limit tests switch them on in an app of their own
    STORAGE_SWEEP_INTERVAL_SECONDS = 0  # workers in tests sweep no store; the sweep tests schedule it themselves
    RATELIMIT_STORAGE_URI = "memory://"


def from_environment() -> type[Config]:
    """The settings class named by CHALLENGES_ENV (development by default), checked: ConfigError when any variable
    is unusable."""
    settings = ProductionConfig if ENVIRONMENT["CHALLENGES_ENV"] == "production" else Config
    settings.check()
    return settings
