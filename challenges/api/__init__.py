"""HTTP endpoints: one blueprint per resource."""
from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    """Register every blueprint on the API."""
    from challenges.api import accounts, announcements, attachments, awards, challenges, dashboards, docs, exports, \
        health, judging, leaderboards, moderation, notifications, organisation_invitations, organisations, \
        questions, registrations, scoring, submissions, teams, webhooks

    for module in (docs, health, accounts, dashboards, notifications, organisations, organisation_invitations,
                   webhooks, challenges, announcements, questions, teams, registrations, submissions, attachments,
                   judging, scoring, leaderboards, awards, exports, moderation):
        api.register_blueprint(module.bp)
