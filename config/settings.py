"""Every environment variable the service reads, declared once: name, default, parser and meaning."""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.parsers import Choice, Integer, Invalid, Names, Number, Rate, Switch, Text, Url, masked

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-secret-key-change-me"
DEVELOPMENT_DATABASE_URL = f"sqlite:///{ROOT / 'instance' / 'challenges.db'}"
DEFAULT = object()  # an empty value means the default
KIB, MIB, GIB = 1024, 1024 ** 2, 1024 ** 3
REDIS = Url(("redis", "rediss", "unix"), hosted=("redis", "rediss"))
DATABASE = Url(("postgresql", "postgres", "postgresql+psycopg", "sqlite"))
# Keep to the types challenges.services.file_types can judge (a test compares the two).
ATTACHMENT_KINDS = frozenset({"pdf", "png", "jpg", "jpeg", "zip", "csv", "txt", "md"})


@dataclass(frozen=True)
class Setting:
    """One environment variable: what it accepts, its default and what it does."""

    name: str
    group: str
    parse: Callable[[str], Any]
    default: str | None  # as an operator would write it; None: unset
    meaning: str
    production: str | None = None  # the default under CHALLENGES_ENV=production, where it differs
    empty: Any = DEFAULT  # the value an empty string means, where it is not the default's
    shown: str | None = None  # the default as the documentation shows it, where the text would mislead
    example: str | None = None  # a good value for error messages, where the default is none

    def value(self, raw: str | None, production: bool = False) -> Any:
        """The parsed value of `raw` (None: unset); Invalid when the parser refuses it."""
        if raw is not None and raw.strip() == "" and self.empty is not DEFAULT:
            return self.empty
        if raw is None or raw.strip() == "":
            default = self.production if production and self.production is not None else self.default
            return None if default is None else self.parse(default)
        return self.parse(raw)

    def problem(self, raw: str) -> str:
        """The one line that says what is wrong with `raw`."""
        example = self.example or self.default
        hint = f" (e.g. {example})" if example and not isinstance(self.parse, (Choice, Switch, Rate)) else ""
        return f"{self.name}: expected {self.parse.accepts.replace('`', '')}{hint}, got {masked(raw)}"


GROUPS = ("core", "database and Redis", "files", "email and webhooks", "limits", "spam", "observability", "server",
          "tests")
SETTINGS = (
    Setting("CHALLENGES_ENV", "core", Choice(("development", "production")), "development",
            "`production` refuses to start without `DATABASE_URL` or with a weak `SECRET_KEY`, logs JSON, and "
            "refuses demo data and demo accounts"),
    Setting("SECRET_KEY", "core", Text(), DEV_SECRET_KEY, shown="a development key", meaning=(
        "signs what must not be forged; production refuses the development key and anything shorter than 32 "
        "characters (make one: `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`)")),
    Setting("TOKEN_TTL", "core", Integer("seconds", minimum=1), str(7 * 24 * 3600),
            "lifetime of a bearer token (the default: 7 days)"),
    Setting("PUBLIC_URL", "core", Url(("http", "https"), hosted=("http", "https")), "http://localhost:8000",
            meaning=("the address people open the links of emails at (the front end): "
                     "`<PUBLIC_URL>/reset-password#token=...` and `<PUBLIC_URL>/verify-email#token=...`; production "
                     "with `SMTP_URL` refuses to start without it")),
    Setting("SEED_DEMO", "core", Switch(), "1", production="0", meaning=(
        "`make run` loads demo data unless `0`; in production `seed-demo` refuses (read by the Makefile)")),

    Setting("DATABASE_URL", "database and Redis", DATABASE, DEVELOPMENT_DATABASE_URL,
            shown="`sqlite:///<repo>/instance/challenges.db`", example="postgresql://user:password@host:5432/db",
            meaning="`postgresql://user:password@host:port/db` or `sqlite:////absolute/path`; production refuses "
                    "to start without it"),
    Setting("PGCONNECT_TIMEOUT", "database and Redis", Integer("seconds"), None, example="10", meaning=(
        "read by PostgreSQL's client library for every connection; `flask backup` and `restore` use `10` when "
        "it is unset")),
    Setting("REDIS_URL", "database and Redis", REDIS, None, example="redis://127.0.0.1:6379/0", meaning=(
        "Redis for rate-limit counters shared by every worker and for the queue of background jobs: scoring, "
        "webhook deliveries, emails (`make worker`); without it, rate-limit counters are per process (sign-in "
        "attempt counts then live in the database) and jobs run in the web process")),
    Setting("READ_CACHE_URL", "database and Redis", REDIS, None, shown="`REDIS_URL`",
            example="redis://127.0.0.1:6379/1", meaning=(
                "Redis for the read cache: anonymous reads of public challenges (the list and the detail) are "
                "answered from it, shared by every worker; unset or empty: `REDIS_URL`, and no cache without it")),
    Setting("READ_CACHE_SECONDS", "database and Redis", Integer("seconds"), "60", meaning=(
        "the longest an answer stays in the read cache; every change to a challenge, a prize or a tag drops them "
        "all at once, and an answer also lapses at the next opening or deadline it shows; `0` switches the "
        "cache off")),
    Setting("READ_CACHE_PREFIX", "database and Redis", Text(), "challenges:read-cache",
            "prefix of the read cache's keys, for instances that share one Redis database"),
    Setting("REDIS_TIMEOUT_SECONDS", "database and Redis", Number("seconds", above=0), "0.5",
            "a Redis call gives up after this long, and the service goes on without Redis"),
    Setting("REDIS_RETRY_SECONDS", "database and Redis", Number("seconds"), "5",
            "a Redis server that failed is left alone this long before it is tried again"),
    Setting("REDIS_WARNING_SECONDS", "database and Redis", Number("seconds"), "60",
            "each kind of fallback while Redis is away is logged at most once in this long"),

    Setting("STORAGE_URL", "files", Url(("file", "s3"), hosted=("s3",)), f"file://{ROOT / 'instance' / 'files'}",
            shown="`file://<repo>/instance/files`", meaning=(
                "where attachments live: a local folder, or `s3://bucket/prefix?endpoint=https://host&"
                "region=eu-west-1` (credentials from the usual `AWS_*` variables)")),
    Setting("MAX_ATTACHMENT_BYTES", "files", Integer("bytes", minimum=1), str(50 * MIB),
            "largest attachment (the default: 50 MiB); larger ones get 413"),
    Setting("ATTACHMENT_TYPES", "files", Names("names from " + ", ".join(sorted(ATTACHMENT_KINDS)) + ", separated "
                                               "by commas", choices=ATTACHMENT_KINDS, as_text=True),
            "pdf,png,jpeg,zip,csv,txt,md", "attachment types allowed, judged from the content; empty: none "
            "(every attachment is refused)", empty=""),
    Setting("MAX_USER_STORAGE_BYTES", "files", Integer("bytes"), str(GIB), empty=0, meaning=(
        "what one user's attachments may take in all (the default: 1 GiB); an upload past it gets 413; `0` or "
        "empty: no limit")),
    Setting("STORAGE_SWEEP_INTERVAL_SECONDS", "files", Integer("seconds"), "3600", empty=0, meaning=(
        "how often the worker deletes stored files that nothing names any more; `0` or empty: never "
        "(`flask --app wsgi sweep-storage` still does)")),
    Setting("MAX_UPLOAD_BYTES", "files", Integer("bytes", minimum=1), str(100 * MIB),
            "largest multipart body (answer keys, predictions files; the default: 100 MiB); larger ones get 413"),
    Setting("ANSWER_KEY_CACHE_BYTES", "files", Integer("bytes"), str(256 * MIB), meaning=(
        "memory each worker may give to answer keys kept decompressed (by the key file's SHA-256, metric and "
        "split, least recently used first out), so that checking and scoring predictions does not read and "
        "unpack the key every time (the default: 256 MiB); `0`: none")),

    Setting("SMTP_URL", "email and webhooks", Url(("smtp", "smtps", "smtp+starttls"), hosted=("smtp", "smtps",
                                                                                              "smtp+starttls")),
            None, example="smtp+starttls://user:password@smtp.example.com:587", meaning=(
                "`smtp://host:port`, `smtps://...` or `smtp+starttls://...`, with `user:password@` if needed; no "
                "email is sent without it, and then email addresses count as verified without a link")),
    Setting("SMTP_FROM", "email and webhooks", Text(), "challenges <no-reply@localhost>", "sender of the emails"),
    Setting("EMAIL_MAX_ATTEMPTS", "email and webhooks", Integer(minimum=1), "8",
            "attempts per email before it is marked failed"),
    Setting("DEADLINE_REMINDER_HOURS", "email and webhooks", Number("hours"), "24",
            "participants are reminded this long before a deadline"),
    Setting("WEBHOOK_RETRY_BASE_SECONDS", "email and webhooks", Number("seconds"), "10",
            "wait before the first retry of a delivery or email, doubling each time"),
    Setting("WEBHOOK_MAX_ATTEMPTS", "email and webhooks", Integer(minimum=1), "8",
            "attempts per delivery, the first included"),
    Setting("WEBHOOKS_ALLOW_PRIVATE", "email and webhooks", Switch(), "0",
            "`1` lets webhooks point at loopback and private addresses (a private network, tests)"),
    Setting("WEBHOOKS_PER_ORGANISATION", "email and webhooks", Integer(), "20",
            "webhooks one organisation may have; one more is a 409"),
    Setting("WEBHOOK_DELIVERIES_PER_HOST", "email and webhooks", Rate(many=False), "600/minute", meaning=(
        "delivery attempts per destination address and window, whatever the organisation; the rest wait for the "
        "next window")),

    Setting("MAX_BODY_BYTES", "limits", Integer("bytes", minimum=1), str(MIB),
            "largest JSON request body (the default: 1 MiB); larger ones get 413"),
    Setting("RATELIMIT_ENABLED", "limits", Switch(), "1",
            "`0` switches rate limits off, e.g. for a load test on a private network"),
    Setting("RATELIMIT_DEFAULT", "limits", Rate(), "600/minute", "every call, per signed-in user or else per address"),
    Setting("RATELIMIT_SIGN_IN", "limits", Rate(), "10/minute", "`POST /tokens`, per address"),
    Setting("RATELIMIT_REGISTER", "limits", Rate(), "5/minute", "`POST /users`, per address"),
    Setting("RATELIMIT_PASSWORD_RESET", "limits", Rate(), "5/minute", meaning=(
        "`POST /password-resets`, `POST /password-resets/{token}` and `POST /me/email-verification`, per address, "
        "one allowance for the three")),
    Setting("RATELIMIT_SUBMIT", "limits", Rate(), "30/minute", "`POST /challenges/{id}/submissions`, per user"),
    Setting("RATELIMIT_EXPORT", "limits", Rate(), "5/hour", "`GET /me/export`, per user"),
    Setting("RATELIMIT_INVITE", "limits", Rate(), "20/hour", meaning=(
        "`POST /teams/{id}/invitations` and `POST /organisations/{id}/invitations`, per user, one allowance "
        "for both")),
    Setting("SIGN_IN_ATTEMPTS_PER_ADDRESS", "limits", Rate(many=False), "5/15 minutes", meaning=(
        "sign-in attempts for one account from an address its owner never signed in from, before that address "
        "waits (a success clears the count)")),
    Setting("SIGN_IN_ATTEMPTS_PER_ACCOUNT", "limits", Rate(many=False), "20/hour", meaning=(
        "sign-in attempts for one account from anywhere before addresses the owner never used wait; also what an "
        "address the owner used may try before it waits")),

    Setting("SPAM_FILTER_ENABLED", "spam", Switch(), "1", "`0` switches holding of likely spam off (a load test, say)"),
    Setting("SPAM_TRUST_AFTER_DAYS", "spam", Number("days"), "7",
            "content from accounts younger than this is checked by the spam filter"),
    Setting("SPAM_THRESHOLD", "spam", Integer(minimum=1), "3", "weight of spam signals at which content is held"),

    Setting("LOG_LEVEL", "observability", Choice(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), upper=True),
            "INFO", "the least severe log lines written, by the application and by gunicorn"),
    Setting("LOG_FORMAT", "observability", Choice(("text", "json")), "text", production="json", meaning=(
        "`json`: one JSON object per log line, the access log's included")),
    Setting("METRICS_TOKEN", "observability", Text(), "", shown="empty", meaning=(
        "when set, `/metrics` asks for `Authorization: Bearer <METRICS_TOKEN>`; empty, it is open: keep it off "
        "the public network")),
    Setting("PROMETHEUS_MULTIPROC_DIR", "observability", Text("a folder path"), None,
            shown="`<repo>/instance/prometheus` under gunicorn", meaning=(
                "folder where every gunicorn worker (and a `flask worker` given the same folder) keeps its metrics "
                "for `/metrics` to add up; gunicorn creates it")),
    Setting("WORKER_METRICS_PORT", "observability", Integer(minimum=1, maximum=65535), None, example="9101",
            meaning=("when set, `flask --app wsgi worker` serves its own metrics (job runs and failures, deliveries, "
                     "emails, evaluations) at `/metrics` on this port, behind `METRICS_TOKEN` when set, for a "
                     "Prometheus that scrapes each host; unset: none")),
    Setting("WORKER_METRICS_ADDRESS", "observability", Text("a host name or IP address", r"[A-Za-z0-9.:\[\]-]+"),
            "127.0.0.1", "address the worker's metrics server binds (`0.0.0.0`: every interface, as a container "
                         "needs)"),

    Setting("HOST", "server", Text("a host name or IP address", r"[A-Za-z0-9.:\[\]-]+"), "127.0.0.1",
            "address gunicorn binds (`0.0.0.0`: every interface, as in the container image)"),
    Setting("PORT", "server", Integer(minimum=1, maximum=65535), "8000", "port gunicorn binds"),
    Setting("WEB_CONCURRENCY", "server", Integer(minimum=1), "2", meaning=(
        "gunicorn worker processes; gunicorn itself reads it as it starts, before this check, so a value that is "
        "not a number is gunicorn's own error there (`make run` and compose's `migrate` check it first)")),
    Setting("GUNICORN_THREADS", "server", Integer(minimum=1), "4", "threads per gunicorn worker process"),
    Setting("GUNICORN_CONTROL_SOCKET", "server", Text("a file path"), "", shown="empty", meaning=(
        "path of gunicorn's control socket; empty: none, since the default path is shared by every "
        "instance on a host")),
    Setting("PROXY_COUNT", "server", Integer(), "0", meaning=(
        "how many reverse proxies in front set `X-Forwarded-For`/`-Proto`/`-Host`; `0` trusts none of these "
        "headers")),
    Setting("CORS_ORIGINS", "server", Names("origins (`https://app.example.com`) or `*`, separated by commas",
                                            pattern=r"\*|https?://\S+"), "", shown="empty", meaning=(
        "origins whose browsers may call the API; empty sends no CORS headers")),
    Setting("HSTS_SECONDS", "server", Integer("seconds"), str(365 * 24 * 3600),
            "`Strict-Transport-Security` max-age on HTTPS answers (`0`: none)"),

    Setting("TEST_DATABASE_URL", "tests", DATABASE, None, shown="unset: SQLite in memory",
            example="postgresql://postgres@127.0.0.1:5432/challenges_test",
            meaning="the test suite's PostgreSQL database (`make test`); the service never reads it"),
    Setting("TEST_REDIS_URL", "tests", REDIS, None, example="redis://127.0.0.1:6379/15",
            meaning="the test suite's Redis, for limits shared by workers and the read cache; the service never "
                    "reads it"),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def read(environ: Mapping[str, str], production: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Every declared variable parsed from `environ`: the values (the default where one is unusable), and the line
    that says what is wrong with each unusable one, by name, in the table's order."""
    values, problems = {}, {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        try:
            values[setting.name] = setting.value(raw, production)
        except Invalid:
            values[setting.name] = setting.value(None, production)
            problems[setting.name] = setting.problem(raw)
    return values, problems
