"""HTTP endpoints: one blueprint per resource."""
from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    """Register every blueprint on the API."""
    from challenges.api import accounts, announcements, awards, challenges, health, judging, leaderboards, \
        notifications, organisations, questions, scoring, submissions, webhooks

    for module in (health, accounts, notifications, organisations, webhooks, challenges, announcements, questions,
                   submissions, judging, scoring, leaderboards, awards):
        api.register_blueprint(module.bp)
