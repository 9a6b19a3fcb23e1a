"""The Blueprint every resource uses: its JSON parser turns any unreadable body into a 400."""
import json

import flask_smorest
from flask_babel import gettext as _
from webargs.flaskparser import FlaskParser, is_json_request

from challenges.errors import UnsupportedMediaType

from challenges.schemas.common import Schema


class JsonParser(FlaskParser):
    """Like webargs' parser, but bodies nested too deeply or with absurd numbers are 400, not 500."""

    def _raw_load_json(self, req):
        # Checked here, after authentication and the path's checks, so 401, 404 and 403 come first.
        if (req.content_length or req.headers.get("Transfer-Encoding") == "chunked") and not is_json_request(req):
            raise UnsupportedMediaType(_("Send the body as application/json."))
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as error:
            raise json.JSONDecodeError(f"Unreadable JSON: {type(error).__name__}", "<body>", 0) from None


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint with our JSON parser."""

    ARGUMENTS_PARSER = JsonParser()


class NoBody(Schema):
    """An action that takes no body: anything sent must be an empty object."""


def no_body(blueprint: Blueprint):
    """Refuse a body on an action that takes none (unknown fields are 422, bad JSON 400)."""
    return blueprint.arguments(NoBody, required=False)
