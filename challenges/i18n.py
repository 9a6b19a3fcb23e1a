"""Languages: answers follow Accept-Language (English or French), what is sent to a user follows the user."""
from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale

LANGUAGES = ("en", "fr")
DEFAULT = "en"

babel = Babel(configure_jinja=False)  # the only template is the English API docs page: nothing to translate there


def select_locale() -> str:
    """The best of our languages for the request's Accept-Language; English by default and outside requests."""
    if not has_request_context():
        return DEFAULT
    # By the reader's order of preference, a regional tag counting for its language: werkzeug's best_match
    # would prefer an exact "fr" at q=0.9 to "en-GB" at q=1.
    for tag, quality in request.accept_languages:
        language = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and language in LANGUAGES:
            return language
    return DEFAULT


def recipient_locale(user) -> str:
    """The language of an email or notification for this user: theirs when they have one, English until then."""
    return getattr(user, "locale", None) or DEFAULT


def current() -> str:
    """The language of the text being written now: the request's, the one forced for a recipient, or English."""
    return str(get_locale() or DEFAULT)


def init_app(app: Flask) -> None:
    """Bind Flask-Babel to the app, with its catalogues in challenges/translations."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    babel.init_app(app, locale_selector=select_locale)
