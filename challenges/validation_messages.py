"""Texts written in English, shown in the reader's language: by the catalogue, and marshmallow's by template."""
import re
from functools import cache

from flask_babel import gettext
from flask_babel.speaklater import LazyString

from challenges import i18n


def N_(text: str) -> str:
    """Mark a text for the catalogue; it is translated where it is shown."""
    return text


# marshmallow writes these with str.format before we see them ("Longer than maximum length 200."), so a
# message is recognised by its template and the values are carried into the translated template.
# Range and the temporal fields format twice: their templates are listed once per first-stage outcome.
TEMPLATES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Unknown field."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid delimited list."),
    N_("Not a valid delimited tuple."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid URL."),
    N_("Not a valid email address."),
    N_("Not a valid UUID."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid integer."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid naive datetime."),
    N_("Not a valid date."),
    N_("Not a valid time."),
    N_("\"{input}\" cannot be formatted as a datetime."),
    N_("\"{input}\" cannot be formatted as a date."),
    N_("\"{input}\" cannot be formatted as a time."),
    N_("Not a valid period of time."),
    N_("{input!r} cannot be formatted as a timedelta."),
    N_("Not a valid mapping type."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    N_("Must be one of: {choices}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be equal to {other}."),
    N_("String does not match expected pattern."),
    N_("One or more of the choices you made was in: {values}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("Invalid JSON body."),
)
_FIELD = re.compile(r"\{(\w+)(?:![rsa])?\}")


@cache
def _patterns() -> tuple:
    """(regex, template) for each template with values, the most specific first ("or equal to" before "than")."""
    found = []
    for template in TEMPLATES:
        if _FIELD.search(template):
            parts = _FIELD.split(template)  # literal, name, literal, name, ..., literal
            regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*?)" for i, part in enumerate(parts))
            found.append((re.compile(regex + r"\Z", re.DOTALL), template))
    return tuple(sorted(found, key=lambda item: -len(_FIELD.sub("", item[1]))))


def translate(message: str) -> str:
    """A text in the current language: ours are in the catalogue, marshmallow's formatted ones match a template."""
    if i18n.current() == i18n.DEFAULT:
        return message
    translated = gettext(message)
    if translated != message:
        return translated
    for pattern, template in _patterns():
        match = pattern.match(message)
        if match:
            return _FIELD.sub(lambda field: match.group(field.group(1)), gettext(template))
    return message


def translate_all(messages):
    """The same tree of validation messages (dicts and lists of texts), in the current language."""
    if isinstance(messages, dict):
        return {key: translate_all(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [translate_all(value) for value in messages]
    if isinstance(messages, str | LazyString):
        return translate(str(messages))
    return messages
