"""The front door: a JSON index at `/` and the API documentation at `/docs`, served offline from bundled assets."""
from pathlib import Path

import flask
import flask_swagger_ui
from flask import current_app, render_template, url_for

from challenges.api.blueprint import Blueprint
from challenges.schemas.docs import IndexOut

# Swagger UI's own distribution (swagger-ui-dist, Apache-2.0, its LICENSE beside it), shipped by the pinned
# flask-swagger-ui package: the page needs no CDN and works with no internet.
SWAGGER_UI = Path(flask_swagger_ui.__file__).parent / "dist"
# Everything the page loads comes from this origin; Swagger UI's icons are data: URIs in its CSS.
DOCS_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

bp = Blueprint("index", __name__, description="Where to start: the documentation and the spec.")
# The docs page and its assets are for browsers, not API operations: a plain blueprint keeps them out of the spec.
pages = flask.Blueprint("docs", __name__, static_folder=str(SWAGGER_UI), static_url_path="/docs/swagger-ui")


@bp.record_once
def _serve_pages(state) -> None:
    """Register the pages beside the API blueprint, so that the one entry in register_blueprints brings both."""
    state.app.register_blueprint(pages)


@bp.get("/")
@bp.response(200, IndexOut)
def index():
    """The service's name and API version, with links to its documentation and its OpenAPI spec."""
    return {"name": current_app.config["API_TITLE"], "version": current_app.config["API_VERSION"],
            "docs": url_for("docs.page"), "openapi": url_for("api-docs.openapi_json")}


@pages.get("/docs")
def page():
    """The API documentation: Swagger UI reading /openapi.json, every file from this server."""
    html = render_template("docs.html", title=current_app.config["API_TITLE"],
                           spec_url=url_for("api-docs.openapi_json"))
    return html, 200, {"Content-Security-Policy": DOCS_POLICY}
