"""HTTP endpoints: one blueprint per resource."""
from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    """Register every blueprint on the API."""
    from challenges.api import accounts, awards, challenges, health, judging, leaderboards, organisations, scoring,\
        submissions

    for module in (health, accounts, organisations, challenges, submissions, judging, scoring, leaderboards, awards):
        api.register_blueprint(module.bp)
