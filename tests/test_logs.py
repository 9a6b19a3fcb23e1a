"""Log lines: text by default, one JSON object each with LOG_FORMAT=json, the request's id and user in each."""
import json
import logging
import os
import subprocess
import sys

import pytest

from challenges import create_app
from challenges.auth import current_user
from challenges.extensions import db
from challenges.telemetry import logs
from config import TestConfig
from tests.factories import auth_headers, make_user

service_log = logging.getLogger("challenges.services.example")


def _fails():
    current_user()
    raise RuntimeError("a bug")


def _works():
    current_user()
    service_log.warning("something worth knowing")
    return {"done": True}


@pytest.fixture
def own_app(app):
    """Builds another app on the same database with these settings and two routes of its own; afterwards the
    logging is the suite's again."""
    made = []

    def build(**settings):
        other = create_app(type("Own", (TestConfig,), {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]} | settings))
        other.add_url_rule("/fails", "fails", _fails)
        other.add_url_rule("/works", "works", _works)
        made.append(other)
        return other.test_client()

    yield build
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    for other in made:
        with other.app_context():
            db.engine.dispose()


def json_lines(text: str) -> list[dict]:
    """Every line of the captured stderr, each of which must be a JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_service_log_line_in_json_carries_request_and_user(own_app, capsys):
    client, user = own_app(LOG_FORMAT="json"), make_user()
    capsys.readouterr()
    response = client.get("/works", headers=auth_headers(user) | {"X-Request-ID": "req-42"})
    assert response.status_code == 200 and response.json == {"done": True}
    [line] = [line for line in json_lines(capsys.readouterr().err) if line["logger"] == service_log.name]
    assert line.pop("time").endswith("+00:00")
    assert line == {"level": "WARNING", "logger": service_log.name, "message": "something worth knowing",
                    "request_id": "req-42", "method": "GET", "path": "/works", "user_id": user.id}


def test_unexpected_error_logged_in_json_with_request_id_and_no_token(own_app, capsys):
    client, user = own_app(LOG_FORMAT="json"), make_user()
    capsys.readouterr()
    response = client.get("/fails", headers=auth_headers(user))
    assert response.status_code == 500 and response.json["detail"] == "Something went wrong on our side."
    captured = capsys.readouterr().err
    [line] = [line for line in json_lines(captured) if line["logger"] == "challenges.errors"]
    assert (line["level"], line["message"], line["method"], line["path"]) == ("ERROR", "Unhandled error", "GET",
                                                                             "/fails")
    assert line["request_id"] == response.headers["X-Request-ID"] and line["user_id"] == user.id
    assert "RuntimeError: a bug" in line["exc_info"]
    assert user.token not in captured


def test_anonymous_request_logged_without_user(own_app, capsys):
    client = own_app(LOG_FORMAT="json")
    capsys.readouterr()
    response = client.get("/works")
    assert response.status_code == 200
    [line] = [line for line in json_lines(capsys.readouterr().err) if line["logger"] == service_log.name]
    assert line["user_id"] is None and line["request_id"] == response.headers["X-Request-ID"]


def test_log_line_outside_a_request_has_no_request_fields(own_app, capsys):
    own_app(LOG_FORMAT="json")
    capsys.readouterr()
    service_log.warning("a background job's line")
    [line] = json_lines(capsys.readouterr().err)
    assert set(line) == {"time", "level", "logger", "message"}
    assert line["message"] == "a background job's line"


def test_text_log_line_carries_request_id_in_brackets(own_app, capsys):
    client = own_app(LOG_FORMAT="text")
    capsys.readouterr()
    response = client.get("/works", headers={"X-Request-ID": "txt-7"})
    assert response.status_code == 200
    [line] = [line for line in capsys.readouterr().err.splitlines() if service_log.name in line]
    assert line.endswith(f"WARNING {service_log.name} [txt-7] something worth knowing")
    service_log.warning("outside")
    assert capsys.readouterr().err.rstrip().endswith(f"WARNING {service_log.name} [-] outside")


def test_unsafe_request_id_never_reaches_the_log(own_app, capsys):
    client = own_app(LOG_FORMAT="text")
    capsys.readouterr()
    response = client.get("/works", headers={"X-Request-ID": "evil] forged line"})
    assert response.status_code == 200
    captured = capsys.readouterr().err
    assert "forged" not in captured and f"[{response.headers['X-Request-ID']}]" in captured


def test_operator_sets_unknown_log_format_app_refuses_to_start(app):
    with pytest.raises(RuntimeError, match="LOG_FORMAT must be one of text, json"):
        create_app(type("Bad", (TestConfig,), {"LOG_FORMAT": "xml"}))
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


@pytest.mark.parametrize("env, development, production", [
    ({}, "text", "json"),
    ({"LOG_FORMAT": "text"}, "text", "text"),
    ({"LOG_FORMAT": " JSON "}, "json", "json"),
])
def test_log_format_defaults_to_text_in_development_and_json_in_production(env, development, production):
    environ = {name: value for name, value in os.environ.items() if name != "LOG_FORMAT"} | env
    script = "from config import Config, ProductionConfig; print(Config.LOG_FORMAT, ProductionConfig.LOG_FORMAT)"
    printed = subprocess.run([sys.executable, "-c", script], env=environ, capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(os.path.dirname(__file__)))
    assert printed.stdout.split() == [development, production]
