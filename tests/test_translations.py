"""French and English: every text of the code has a French translation, and answers follow Accept-Language."""
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import default_exceptions

from challenges import create_app, errors, validation_messages
from challenges.extensions import db
from challenges.models import Notification
from challenges.services import notifications
from config import TestConfig
from tests.factories import auth_headers, make_challenge, make_organisation, make_submission, make_user

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "challenges" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def _code_messages() -> dict[str, str]:
    """Every text marked for translation in the package, with where it was found."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map=[("challenges/**.py", "python")], keywords=KEYWORDS):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.setdefault(text, f"{filename}:{lineno}")
    return found


def _french() -> dict:
    with CATALOGUE.open("rb") as po:
        return {message.id: message for message in read_po(po) if message.id}


def test_catalogue_translates_every_message_of_the_code():
    catalogue = _french()
    untranslated = [f"{where}: {text!r}" for text, where in sorted(_code_messages().items(), key=lambda i: i[1])
                    if text not in catalogue or not catalogue[text].string or catalogue[text].fuzzy]
    assert not untranslated, "No French translation (challenges/translations/fr/LC_MESSAGES/messages.po):\n" + \
        "\n".join(untranslated)


def test_catalogue_keeps_the_placeholders_of_each_message():
    for message in _french().values():
        errors_found = message.check()  # babel's checks: python-format placeholders match the msgid's
        assert not errors_found, (message.id, errors_found)
        wanted = sorted(set(validation_messages._FIELD.findall(message.id)))
        assert sorted(set(validation_messages._FIELD.findall(message.string))) == wanted, message.id


def test_catalogue_compiled_matches_its_source():
    compiled = CATALOGUE.with_suffix(".mo")
    assert compiled.exists(), "compile the catalogue: make install (pybabel compile -d challenges/translations)"
    with compiled.open("rb") as mo:
        strings = {message.id: message.string for message in read_mo(mo) if message.id}
    stale = [text for text, message in _french().items() if strings.get(text) != message.string]
    assert not stale, f"the compiled catalogue is stale (make install): {stale[:5]}"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_catalogue_knows_every_message_of_marshmallow():
    own = set()
    for cls in (fields.Field, *_subclasses(fields.Field)):
        own |= set(vars(cls).get("default_error_messages", {}).values())
    own |= set(Schema._default_error_messages.values())
    for cls in _subclasses(validate.Validator):
        own |= {value for key, value in vars(cls).items()
                if isinstance(value, str) and (key == "default_message" or key.startswith("message_"))}
    # Range and the temporal fields format twice: their first stage is expanded in TEMPLATES
    bounds = ("greater than or equal to", "greater than", "less than or equal to", "less than")
    own -= {validate.Range.message_min, validate.Range.message_max, validate.Range.message_all, *bounds}
    own -= {fields.DateTime.default_error_messages["invalid"], fields.DateTime.default_error_messages["format"],
            fields.NaiveDateTime.default_error_messages["invalid_awareness"]}
    assert own - set(validation_messages.TEMPLATES) == set()


def test_catalogue_keeps_werkzeug_texts_as_werkzeug_writes_them():
    for code, (name, description) in errors.WERKZEUG_TEXTS.items():
        error = default_exceptions[code]()
        assert (error.name, error.description) == (name, description)


@pytest.mark.parametrize("language, title, detail, content_language", [
    (None, "Not found", "No such challenge.", "en"),
    ("fr", "Introuvable", "Défi introuvable.", "fr"),
    ("fr-CA", "Introuvable", "Défi introuvable.", "fr"),
    ("de", "Not found", "No such challenge.", "en"),
    ("de, fr;q=0.5, en;q=0.1", "Introuvable", "Défi introuvable.", "fr"),
    ("en-GB, fr;q=0.9", "Not found", "No such challenge.", "en"),
])
def test_anyone_reads_a_missing_challenge_gets_the_problem_in_their_language(client, language, title, detail,
                                                                            content_language):
    headers = {"Accept-Language": language} if language else {}
    response = client.get("/api/v1/challenges/4242", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json == {"type": "https://challenges.example/problems/not-found", "title": title,
                             "status": 404, "detail": detail}
    assert response.headers["Content-Language"] == content_language
    assert "Accept-Language" in response.headers["Vary"]


def test_anyone_calls_an_unknown_route_in_french_gets_werkzeug_problem_in_french(client):
    response = client.get("/api/v1/nowhere", headers=FR)
    assert response.status_code == 404
    assert response.json["type"] == "https://challenges.example/problems/not-found"
    assert response.json["title"] == "Introuvable"
    assert response.json["detail"].startswith("L'URL demandée est introuvable")


def test_anyone_uses_a_wrong_method_in_french_gets_the_405_in_french_with_allow(client):
    response = client.delete("/api/v1/challenges", headers=FR)
    assert response.status_code == 405
    assert response.json["title"] == "Méthode non autorisée"
    assert response.json["type"] == "https://challenges.example/problems/method-not-allowed"
    assert "GET" in response.headers["Allow"]


def test_manager_deletes_a_published_challenge_in_french_gets_the_conflict_in_french(client):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner), phase="open")
    response = client.delete(f"/api/v1/challenges/{challenge.id}", headers=auth_headers(owner) | FR)
    assert response.status_code == 409
    assert response.json == {"type": "https://challenges.example/problems/conflict", "title": "Conflit", "status": 409,
                             "detail": "Seuls les brouillons peuvent être supprimés ; annulez plutôt un défi publié."}
    assert response.headers["Content-Language"] == "fr"


@pytest.mark.parametrize("language, detail", [
    (None, "A withdrawn submission cannot be withdrawn."),
    ("fr", "Une soumission à l'état « withdrawn » ne peut pas être retirée."),
])
def test_participant_withdraws_twice_gets_the_state_named_in_their_language(client, language, detail):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()), phase="open")
    submission = make_submission(challenge, participant, status="withdrawn")
    headers = auth_headers(participant) | ({"Accept-Language": language} if language else {})
    response = client.post(f"/api/v1/submissions/{submission.id}/withdraw", headers=headers)
    assert response.status_code == 409
    assert response.json["detail"] == detail


def test_anyone_registers_with_bad_fields_in_french_gets_marshmallow_messages_in_french(client):
    body = {"email": "not an email", "display_name": "x" * 101, "colour": "blue"}
    response = client.post("/api/v1/users", json=body, headers=FR)
    assert response.status_code == 422
    assert response.headers["Content-Language"] == "fr"
    assert response.json == {
        "type": "https://challenges.example/problems/unprocessable-content", "title": "Contenu impossible à traiter",
        "status": 422, "detail": "La requête contient des champs invalides.",
        "errors": {"email": ["Ce n'est pas une adresse e-mail valide."], "password": ["Ce champ est obligatoire."],
                   "display_name": ["La longueur doit être comprise entre 1 et 100."], "colour": ["Champ inconnu."]}}


def test_anyone_registers_with_bad_fields_by_default_gets_marshmallow_messages_in_english(client):
    response = client.post("/api/v1/users", json={"display_name": "x" * 101, "colour": "blue"})
    assert response.status_code == 422
    assert response.headers["Content-Language"] == "en"
    assert response.json["title"] == "Unprocessable content"
    assert response.json["errors"] == {"email": ["Missing data for required field."],
                                       "password": ["Missing data for required field."],
                                       "display_name": ["Length must be between 1 and 100."],
                                       "colour": ["Unknown field."]}


def test_anyone_lists_with_a_limit_out_of_range_in_french_gets_the_range_in_french(client):
    response = client.get("/api/v1/challenges?limit=500", headers=FR)
    assert response.status_code == 422
    assert response.json["errors"] == {
        "limit": ["Doit être supérieur ou égal à 1 et inférieur ou égal à 100."]}


def test_manager_sends_a_bad_currency_in_french_gets_our_schema_message_in_french(client):
    owner = make_user()
    organisation = make_organisation(owner)
    body = {"organisation_id": organisation.id, "title": "T", "summary": "S", "closes_at": "2030-01-01T00:00:00Z",
            "prizes": [{"title": "First", "reward": {"amount": 100, "currency": "XYZ"}}]}
    response = client.post("/api/v1/challenges", json=body, headers=auth_headers(owner) | FR)
    assert response.status_code == 422
    assert "Ce n'est pas une devise ISO 4217." in str(response.json["errors"])


def test_browser_front_end_may_send_accept_language_across_origins(app):
    origin = "https://app.example"
    other = create_app(type("Configured", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "CORS_ORIGINS": [origin]}))
    try:
        preflight = other.test_client().options("/api/v1/challenges", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "Accept-Language"})
        assert "accept-language" in preflight.headers["Access-Control-Allow-Headers"].lower()
    finally:
        with other.app_context():
            db.engine.dispose()


def test_validation_messages_unknown_to_the_catalogue_pass_through_unchanged(app):
    with app.test_request_context(headers=FR):
        assert validation_messages.translate("Something nobody wrote down.") == "Something nobody wrote down."
        assert validation_messages.translate('"tomorrow" cannot be formatted as a datetime.') == \
            "« tomorrow » ne peut pas être mis en forme comme date et heure."
        assert validation_messages.translate("Must be greater than 5.") == "Doit être supérieur à 5."


def test_member_email_follows_the_recipient_not_the_request_english_until_users_choose(app):
    notification = Notification(kind="submission.received", data={"challenge": {"title": "Clean water"}})
    recipient = SimpleNamespace(email="ada@example.com", display_name="Ada")
    with app.test_request_context(headers=FR):
        message = notifications.compose(notification, recipient)
    assert message["Subject"] == "We received your submission: Clean water"
    assert message["Content-Language"] == "en"
    assert message.get_content().startswith("Hello Ada,\n\nWe received your submission.\n")


def test_member_email_in_french_when_the_recipient_reads_french(app):
    notification = Notification(kind="submission.received", data={"challenge": {"title": "Clean water"}})
    recipient = SimpleNamespace(email="ada@example.com", display_name="Ada", locale="fr")
    with app.app_context():
        message = notifications.compose(notification, recipient)
    assert message["Subject"] == "Nous avons reçu votre soumission : Clean water"
    assert message["Content-Language"] == "fr"
    assert message.get_content().startswith("Bonjour Ada,\n\nNous avons reçu votre soumission.\n")
