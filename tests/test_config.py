"""Configuration: every variable parsed from one declaration, unusable ones refused with one line each and no
traceback (flask, python, gunicorn), and docs/configuration.md written from the same declarations."""
import os
import socket
import subprocess
import sys

import pytest

from challenges.services import file_types
from config import ROOT, ConfigError, ProductionConfig
from config.settings import ATTACHMENT_KINDS, DEFAULT, DEVELOPMENT_DATABASE_URL, SETTINGS, read
from config.table import COMMAND, markdown

DECLARED = {setting.name for setting in SETTINGS}
TIMEOUT = 60  # seconds any one command may take on a loaded machine before the test gives up on it


def _environ(**settings: str) -> dict[str, str]:
    """This process's environment without any declared variable, plus `settings`."""
    return {name: value for name, value in os.environ.items() if name not in DECLARED} | settings


def _run(command: list[str], **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=_environ(**settings), capture_output=True, text=True,
                          timeout=TIMEOUT)


@pytest.mark.parametrize("name, raw, line", [
    ("TOKEN_TTL", "abc", "TOKEN_TTL: expected a whole number of seconds, at least 1 (e.g. 604800), got 'abc'"),
    ("TOKEN_TTL", "-5", "TOKEN_TTL: expected a whole number of seconds, at least 1 (e.g. 604800), got '-5'"),
    ("TOKEN_TTL", "1.5", "TOKEN_TTL: expected a whole number of seconds, at least 1 (e.g. 604800), got '1.5'"),
    ("CHALLENGES_ENV", "prod", "CHALLENGES_ENV: expected one of development, production, got 'prod'"),
    ("RATELIMIT_DEFAULT", "600/minuet", "RATELIMIT_DEFAULT: expected a rate such as 600/minute or 5/15 minutes, "
                                        "or several separated by semicolons, got '600/minuet'"),
    ("RATELIMIT_SIGN_IN", "ten a minute", "RATELIMIT_SIGN_IN: expected a rate such as 600/minute or 5/15 minutes, "
                                          "or several separated by semicolons, got 'ten a minute'"),
    ("SIGN_IN_ATTEMPTS_PER_ADDRESS", "5/minute;20/hour",
     "SIGN_IN_ATTEMPTS_PER_ADDRESS: expected one rate such as 20/hour or 5/15 minutes, got '5/minute;20/hour'"),
    ("RATELIMIT_ENABLED", "yes", "RATELIMIT_ENABLED: expected 0 or 1, got 'yes'"),
    ("PORT", "70000", "PORT: expected a whole number from 1 to 65535 (e.g. 8000), got '70000'"),
    ("REDIS_TIMEOUT_SECONDS", "0", "REDIS_TIMEOUT_SECONDS: expected a number of seconds, more than 0 (e.g. 0.5), "
                                   "got '0'"),
    ("DEADLINE_REMINDER_HOURS", "nan", "DEADLINE_REMINDER_HOURS: expected a number of hours, at least 0 (e.g. 24), "
                                       "got 'nan'"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT: expected one of text, json, got 'xml'"),
    ("REDIS_URL", "localhost:6379", "REDIS_URL: expected a URL starting redis://, rediss:// or unix:// "
                                    "(e.g. redis://127.0.0.1:6379/0), got 'localhost:6379'"),
    ("STORAGE_URL", "ftp://files.example.com/x", "STORAGE_URL: expected a URL starting file:// or s3:// "
     "(e.g. file://" + str(ROOT / "instance" / "files") + "), got 'ftp://files.example.com/x'"),
    ("ATTACHMENT_TYPES", "pdf,exe", "ATTACHMENT_TYPES: expected names from csv, jpeg, jpg, md, pdf, png, txt, zip, "
                                    "separated by commas (e.g. pdf,png,jpeg,zip,csv,txt,md), got 'pdf,exe'"),
    ("CORS_ORIGINS", "app.example.com", "CORS_ORIGINS: expected origins (https://app.example.com) or *, separated "
                                        "by commas, got 'app.example.com'"),
])
def test_operator_sets_unusable_value_gets_one_line_naming_it(name, raw, line):
    values, problems = read({name: raw})
    assert problems == {name: line}
    assert values[name] == read({})[0][name]  # the default stands in until the service refuses


def test_operator_sets_several_unusable_values_gets_a_line_for_each_in_table_order():
    _, problems = read({"TOKEN_TTL": "abc", "CHALLENGES_ENV": "prod", "PORT": "http"})
    assert list(problems) == ["CHALLENGES_ENV", "TOKEN_TTL", "PORT"]
    assert all(line.startswith(f"{name}: expected ") for name, line in problems.items())


def test_operator_sets_unusable_database_url_gets_a_line_without_its_password():
    _, problems = read({"DATABASE_URL": "mysql://app:s3cret-password@db.example.com/app"})
    assert problems == {"DATABASE_URL": "DATABASE_URL: expected a URL starting postgresql://, postgres://, "
                        "postgresql+psycopg:// or sqlite:// (e.g. postgresql://user:password@host:5432/db), got "
                        "'mysql://app:***@db.example.com/app'"}


@pytest.mark.parametrize("name, raw, value", [
    ("TOKEN_TTL", " 3600 ", 3600),
    ("CHALLENGES_ENV", "Production", "production"),
    ("RATELIMIT_DEFAULT", "100/minute;1000/hour", "100/minute;1000/hour"),
    ("SIGN_IN_ATTEMPTS_PER_ADDRESS", "3/10 minutes", "3/10 minutes"),
    ("RATELIMIT_ENABLED", "0", False),
    ("WEBHOOKS_ALLOW_PRIVATE", "1", True),
    ("REDIS_TIMEOUT_SECONDS", "0.25", 0.25),
    ("LOG_LEVEL", "warning", "WARNING"),
    ("LOG_FORMAT", " JSON ", "json"),
    ("DATABASE_URL", "postgresql://app:pw@db:5432/app", "postgresql://app:pw@db:5432/app"),
    ("DATABASE_URL", "sqlite:////srv/challenges.db", "sqlite:////srv/challenges.db"),
    ("REDIS_URL", "rediss://:pw@cache.example.com:6380/0", "rediss://:pw@cache.example.com:6380/0"),
    ("REDIS_URL", "unix:///run/redis.sock", "unix:///run/redis.sock"),
    ("STORAGE_URL", "s3://bucket/files?endpoint=http://minio:9000", "s3://bucket/files?endpoint=http://minio:9000"),
    ("SMTP_URL", "smtp+starttls://user:pw@smtp.example.com:587", "smtp+starttls://user:pw@smtp.example.com:587"),
    ("ATTACHMENT_TYPES", "PDF, png", "pdf,png"),
    ("CORS_ORIGINS", "https://a.example.com, http://localhost:3000",
     ["https://a.example.com", "http://localhost:3000"]),
    ("HOST", "0.0.0.0", "0.0.0.0"),
])
def test_operator_sets_usable_value_gets_it_parsed(name, raw, value):
    values, problems = read({name: raw})
    assert (values[name], problems) == (value, {})


@pytest.mark.parametrize("name, value", [
    ("TOKEN_TTL", 604800), ("RATELIMIT_DEFAULT", "600/minute"), ("REDIS_URL", None), ("METRICS_TOKEN", ""),
    ("MAX_USER_STORAGE_BYTES", 0), ("STORAGE_SWEEP_INTERVAL_SECONDS", 0), ("ATTACHMENT_TYPES", ""),
    ("CHALLENGES_ENV", "development"), ("SECRET_KEY", read({})[0]["SECRET_KEY"]),
])
def test_operator_sets_empty_value_gets_the_default_or_what_the_table_says(name, value):
    assert read({name: "  "}) == (read({})[0] | {name: value}, {})


def test_defaults_parse_in_development_and_production():
    development, problems = read({})
    production, production_problems = read({}, production=True)
    assert problems == production_problems == {}
    assert (development["LOG_FORMAT"], production["LOG_FORMAT"]) == ("text", "json")
    assert (development["SEED_DEMO"], production["SEED_DEMO"]) == (True, False)


def test_every_empty_that_is_not_the_default_is_documented():
    for setting in SETTINGS:
        if setting.empty is not DEFAULT:
            assert "empty" in setting.meaning, setting.name


def test_attachment_types_accepted_are_the_ones_files_are_judged_by():
    assert ATTACHMENT_KINDS == set(file_types.BINARY) | set(file_types.TEXT) | set(file_types.ALIASES)


def _production(**attributes) -> type[ProductionConfig]:
    defaults = {"SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app@db/app"}
    return type("Production", (ProductionConfig,), defaults | attributes)


def test_production_without_database_url_is_refused():
    with pytest.raises(ConfigError) as refused:
        _production(SQLALCHEMY_DATABASE_URI=DEVELOPMENT_DATABASE_URL).check()
    assert refused.value.problems == ["DATABASE_URL: required in production: a URL such as "
                                      "postgresql://user:password@host:5432/db"]


def test_production_with_short_secret_key_is_refused_without_printing_it():
    with pytest.raises(ConfigError) as refused:
        _production(SECRET_KEY="short-secret").check()
    assert str(refused.value) == ("SECRET_KEY: expected a random string of at least 32 characters in production, "
                                  "got 12 characters")


def test_production_sending_email_without_public_url_is_refused():
    with pytest.raises(ConfigError) as refused:
        _production(SMTP_URL="smtp://127.0.0.1:2525").check()
    assert refused.value.problems == ["PUBLIC_URL: required in production when SMTP_URL is set: the address where "
                                      "people open the links sent by email, such as https://challenges.example.org"]
    assert _production(SMTP_URL="smtp://127.0.0.1:2525", PUBLIC_URL="https://challenges.example.org").check() is None


def test_production_with_database_and_strong_key_passes():
    assert _production().check() is None


@pytest.mark.parametrize("settings, lines", [
    ({"TOKEN_TTL": "abc"}, ["TOKEN_TTL: expected a whole number of seconds, at least 1 (e.g. 604800), got 'abc'"]),
    ({"CHALLENGES_ENV": "prod", "RATELIMIT_DEFAULT": "lots"},
     ["CHALLENGES_ENV: expected one of development, production, got 'prod'",
      "RATELIMIT_DEFAULT: expected a rate such as 600/minute or 5/15 minutes, or several separated by semicolons, "
      "got 'lots'"]),
    ({"CHALLENGES_ENV": "production", "SECRET_KEY": "s" * 48},
     ["DATABASE_URL: required in production: a URL such as postgresql://user:password@host:5432/db"]),
    ({"CHALLENGES_ENV": "production", "SECRET_KEY": "", "DATABASE_URL": "postgresql://app:pw@127.0.0.1:5432/app"},
     ["SECRET_KEY: required in production: a random string of at least 32 characters (make one with: python3 -c "
      "'import secrets; print(secrets.token_urlsafe(48))')"]),
])
def test_operator_runs_flask_command_with_unusable_settings_is_refused_without_traceback(settings, lines):
    result = _run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], **settings)
    assert (result.returncode, result.stderr.splitlines(), result.stdout) == (2, lines, "")


def test_operator_imports_wsgi_with_unusable_settings_is_refused_without_traceback():
    result = _run([sys.executable, "-c", "import wsgi"], TOKEN_TTL="a week")
    assert result.returncode == 2
    assert result.stderr == "TOKEN_TTL: expected a whole number of seconds, at least 1 (e.g. 604800), got 'a week'\n"


def test_operator_checks_environment_from_the_command_line():
    good = _run([sys.executable, "-m", "config", "--check"], TOKEN_TTL="3600")
    assert (good.returncode, good.stdout, good.stderr) == (0, "The environment is usable (Config).\n", "")
    suite_only = _run([sys.executable, "-m", "config", "--check"], TEST_REDIS_URL="not a url")
    assert (suite_only.returncode, suite_only.stderr) == (0, "")  # the test suite's variables are not the service's
    bad = _run([sys.executable, "-m", "config", "--check"], PORT="eighty")
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        2, "", "PORT: expected a whole number from 1 to 65535 (e.g. 8000), got 'eighty'\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_operator_starts_gunicorn_with_unusable_setting_is_refused_before_any_worker(tmp_path):
    result = _run([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "wsgi:app"],
                  PORT=str(_free_port()), GUNICORN_THREADS="four", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "GUNICORN_THREADS: expected a whole number, at least 1 (e.g. 4), got 'four'\n"


def test_operator_starts_gunicorn_without_our_config_file_stops_at_the_first_worker():
    result = _run([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{_free_port()}", "--no-control-socket",
                   "wsgi:app"], RATELIMIT_SUBMIT="30 a minute")
    assert result.returncode == 4  # gunicorn's "App failed to load": it stops instead of starting workers again
    line = ("RATELIMIT_SUBMIT: expected a rate such as 600/minute or 5/15 minutes, or several separated by "
            "semicolons, got '30 a minute'")
    assert line in result.stderr.splitlines() and "Traceback" not in result.stderr


def test_configuration_docs_are_written_from_the_declarations():
    written = (ROOT / "docs" / "configuration.md").read_text()
    assert written == markdown(), f"docs/configuration.md is out of date: run `{COMMAND}`"
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in written
