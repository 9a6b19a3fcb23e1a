"""Names and words that everyone reads: organisations and teams screened, flagged and decided on like content, display
names refused when they read like spam, and invitations rate limited."""
import csv
import io
from datetime import UTC, datetime, timedelta
from functools import partial
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select

from challenges.extensions import db
from challenges.models import (
    AuditEntry, Flag, Invitation, ModerationCase, Notification, Organisation, OrganisationInvitation,
    Team, User,
)
from tests.factories import add_member, auth_headers, make_challenge, make_organisation, make_submission, make_user
from tests.test_notifications import smtp  # noqa: F401  (a fixture)
from tests.test_rate_limits import limited  # noqa: F401  (a fixture)
from tests.threads import race

API = "/api/v1"
T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)
HONEST_PROSE = "Nous mesurons les fuites d'eau des vieilles canalisations de Lyon avec des capteurs de pression."
SPAM_ORGANISATIONS = {  # name, description, a reason the queue gives (its start)
    "offer-in-name-fr": ("Viagra sans ordonnance", "", "offer: medicine"),
    "light-offer-in-name": ("Cheap Viagra", "", "offer: medicine (cheap)"),  # too light to hold a longer text
    "phrase-in-name-fr": ("Cliquez ici", "", "phrase: cliquez ici"),
    "contact-in-name": ("Open Lab wa.me/447700900123", "", "contact details in a name"),
    "offer-in-description-fr": ("Laboratoire Lumière", "Acheter du Viagra et du Cialis en ligne, sildénafil et "
                                "tadalafil génériques sans ordonnance : livraison rapide et discrète, pas cher.",
                                "offer: medicine"),
}
HONEST_ORGANISATIONS = {  # accents, a category's word in a name, a domain as a name, a delivery of medicines
    "fr": ("Laboratoire d'Hydrologie Urbaine de Lyon", HONEST_PROSE),
    "vi-fr": ("Loan Nguyễn & Associés", "Conseil en données pour les régies de l'eau."),
    "domain": ("Booking.com", "Travel data for public research."),
    "pharmacy-fr": ("Pharmacie Centrale de Genève", "Nos tournées livrent les médicaments commandés par 400 "
                                                    "pharmacies en moins de quatre heures."),
}
SPAM_TEAMS = {"Cheap Cialis wa.me/447700900123": "offer: medicine", "Buy Cialis": "offer: medicine (purchase)",
              "Achetez maintenant": "phrase: achetez maintenant", "Prêt rapide 06 12 34 56 78": "offer: loan"}
HONEST_TEAMS = ["Les Éclaireurs de l'Eau", "Équipe Lumière", "Loan & Zoé", "Class of 2024-2025", "AC/DC fans"]
SPAM_DISPLAY_NAMES = ["Cheap Viagra", "Buy Cialis", "Click here", "Cliquez ici", "Achetez maintenant", "Casino bonus",
                      "Visit https://pills.example", "www.pills.example", "pills@shop.example", "t.me/cryptoking",
                      "WhatsApp +44 7700 900123", "Viagra sans ordonnance"]
HONEST_DISPLAY_NAMES = ["Loan Nguyễn", "Zoé Lefèvre-Dupré", "François d'Artagnan", "José María Núñez", "Marie Casino",
                        "Dr. Who", "Ørsted Åberg"]


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json


def h(user):
    return auth_headers(user) if user else {}


@pytest.fixture
def w(app, time_machine):
    """A trusted owner's organisation with a new manager and an open challenge for teams of 3; a trusted veteran; new
    participants; two platform admins."""
    time_machine.now = T0 - timedelta(days=8)  # accounts this old have earned trust
    owner, veteran = make_user(), make_user()
    time_machine.now = T0
    admin, admin2, mia, alice, bob, carol = make_user(is_admin=True), make_user(is_admin=True), *(
        make_user() for _ in range(4))
    org = make_organisation(owner, website="https://water.example")
    with app.app_context():
        db.session.get(Organisation, org.id).description = "We fix water."
        db.session.commit()
    add_member(org, mia, "manager")
    return SimpleNamespace(owner=owner, veteran=veteran, admin=admin, admin2=admin2, mia=mia, alice=alice, bob=bob,
                           carol=carol, org=org, challenge=make_challenge(org, "open", max_team_size=3))


def create_organisation(client, user, name, description="", website=None):
    body = {"name": name, "description": description} | ({"website": website} if website else {})
    return client.post(f"{API}/organisations", headers=h(user), json=body)


def read_organisation(client, user, organisation_id):
    return ok(client.get(f"{API}/organisations/{organisation_id}", headers=h(user)))


def shown(body):
    return {key: body[key] for key in ("name", "description", "website", "moderation")}


def form(client, captain, challenge, name):
    return client.post(f"{API}/challenges/{challenge.id}/teams", headers=h(captain), json={"name": name})


def read_team(client, user, team_id):
    return ok(client.get(f"{API}/teams/{team_id}", headers=h(user)))


def invite(client, captain, team_id, user):
    with client.post(f"{API}/teams/{team_id}/invitations", headers=h(captain), json={"user_id": user.id}) as response:
        return response  # closed: the emails go out after the response


def notified(client, user, kind):
    items = ok(client.get(f"{API}/notifications?limit=100", headers=h(user)))["items"]
    return [n["data"] for n in items if n["kind"] == kind]


def flag(client, user, object_type, object_id, reason="Spam"):
    return client.post(f"{API}/flags", headers=h(user),
                       json={"object_type": object_type, "object_id": object_id, "reason": reason})


def decide(client, user, kind, object_id, decision):
    return client.post(f"{API}/admin/moderation/{kind}/{object_id}", headers=h(user), json={"decision": decision})


def queue(client, w):
    return ok(client.get(f"{API}/admin/moderation?limit=100", headers=h(w.admin)))["items"]


def case_of(client, w, object_type, object_id):
    return next((c for c in queue(client, w) if (c["object_type"], c["object_id"]) == (object_type, object_id)), None)


def audit(client, owner, organisation_id):
    return ok(client.get(f"{API}/organisations/{organisation_id}/audit?limit=100", headers=h(owner)))["items"]


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# Organisations


@pytest.mark.parametrize("example", SPAM_ORGANISATIONS)
def test_newcomer_creates_spam_organisation_held_and_masked_for_others(client, w, example):
    name, description, reason = SPAM_ORGANISATIONS[example]
    created = ok(create_organisation(client, w.alice, name, description, "https://lumiere.example"), 201)
    mine = {"name": name, "description": description, "website": "https://lumiere.example", "moderation": "held"}
    assert shown(created) == mine
    for user in (w.alice, w.admin):
        assert shown(read_organisation(client, user, created["id"])) == mine
    for user in (None, w.bob, w.owner, w.mia):
        masked = read_organisation(client, user, created["id"])
        assert shown(masked) == {"name": f"Organisation {created['id']}", "description": "", "website": None,
                                 "moderation": "held"}
    case = case_of(client, w, "organisation", created["id"])
    assert case["moderation"] == "held" and case["flags"] == 0
    assert any(r.startswith(reason) for r in case["reasons"]), case["reasons"]
    assert case["author"] == {"id": w.alice.id, "display_name": w.alice.display_name}
    assert case["excerpt"] == " ".join(f"{name} {description} https://lumiere.example".split())


@pytest.mark.parametrize("example", HONEST_ORGANISATIONS)
def test_newcomer_creates_honest_organisation_visible_to_everyone(client, w, example):
    name, description = HONEST_ORGANISATIONS[example]
    created = ok(create_organisation(client, w.alice, name, description), 201)
    assert shown(read_organisation(client, None, created["id"])) == {
        "name": name, "description": description, "website": None, "moderation": "visible"}
    assert queue(client, w) == []


def test_trusted_account_creates_organisation_with_spam_name_visible(client, w):
    created = ok(create_organisation(client, w.veteran, "Cheap Viagra"), 201)
    assert read_organisation(client, w.bob, created["id"])["name"] == "Cheap Viagra"
    assert queue(client, w) == []


def test_newcomer_edits_organisation_into_spam_held(client, w):
    created = ok(create_organisation(client, w.alice, "Laboratoire Lumière", HONEST_PROSE), 201)
    edited = ok(client.patch(f"{API}/organisations/{created['id']}", headers=h(w.alice), json={"name": "Buy Cialis"}))
    assert (edited["name"], edited["moderation"]) == ("Buy Cialis", "held")
    assert read_organisation(client, w.bob, created["id"])["name"] == f"Organisation {created['id']}"
    assert case_of(client, w, "organisation", created["id"])["reasons"] == ["offer: medicine (purchase)"]


def test_held_organisation_holds_new_challenges_even_from_trusted_member(client, w):
    organisation = ok(create_organisation(client, w.alice, "Cheap Viagra"), 201)["id"]
    add_member(SimpleNamespace(id=organisation), w.veteran, "manager")

    def draft():
        return ok(client.post(f"{API}/challenges", headers=h(w.veteran), json={
            "organisation_id": organisation, "title": "Leak detection", "summary": "Find leaks early",
            "closes_at": (T0 + timedelta(days=7)).isoformat(),
            "prizes": [{"title": "First", "reward": {"amount": 1000, "currency": "EUR"}}]}), 201)

    held = draft()
    assert held["moderation"] == "held"
    assert case_of(client, w, "challenge", held["id"])["reasons"] == ["organisation held"]
    ok(decide(client, w.admin, "organisation", organisation, "approve"))
    assert draft()["moderation"] == "visible"
    earlier = ok(client.get(f"{API}/challenges/{held['id']}", headers=h(w.veteran)))
    assert earlier["moderation"] == "held"  # decided on its own


def test_admin_hides_organisation_members_keep_working_others_see_placeholder(client, w):
    assert ok(decide(client, w.admin, "organisation", w.org.id, "hide")) == {
        "object_type": "organisation", "object_id": w.org.id, "moderation": "hidden"}
    assert shown(read_organisation(client, w.alice, w.org.id)) == {
        "name": f"Organisation {w.org.id}", "description": "", "website": None, "moderation": "hidden"}
    edited = ok(client.patch(f"{API}/organisations/{w.org.id}", headers=h(w.owner), json={"description": "Still here"}))
    assert (edited["name"], edited["description"], edited["moderation"]) == (w.org.name, "Still here", "hidden")
    assert read_organisation(client, w.mia, w.org.id)["name"] == w.org.name
    drafted = ok(client.post(f"{API}/challenges", headers=h(w.owner), json={
        "organisation_id": w.org.id, "title": "Pipes", "summary": "Pressure",
        "closes_at": (T0 + timedelta(days=7)).isoformat(),
        "prizes": [{"title": "First", "reward": {"amount": 1000, "currency": "EUR"}}]}), 201)
    assert drafted["moderation"] == "held"
    assert case_of(client, w, "challenge", drafted["id"])["reasons"] == ["organisation hidden"]
    ok(decide(client, w.admin2, "organisation", w.org.id, "restore"))
    assert shown(read_organisation(client, w.alice, w.org.id)) == {
        "name": w.org.name, "description": "Still here", "website": "https://water.example", "moderation": "visible"}
    actions = [(e["action"], e["object_type"], e["details"].get("after")) for e in audit(client, w.owner, w.org.id)]
    assert actions[0] == ("moderation.restore", "organisation", "visible")
    assert ("moderation.hide", "organisation", "hidden") in actions


# Teams


@pytest.mark.parametrize("name", SPAM_TEAMS)
def test_newcomer_forms_spam_team_name_held_and_called_team_id_elsewhere(client, w, name):
    entry = make_submission(w.challenge, w.alice)
    created = ok(form(client, w.alice, w.challenge, name), 201)
    placeholder = f"Team {created['id']}"
    assert (created["name"], created["moderation"]) == (name, "held")
    for user in (w.alice, w.admin):
        assert read_team(client, user, created["id"])["name"] == name
    seen_by_owner = read_team(client, w.owner, created["id"])
    assert (seen_by_owner["name"], seen_by_owner["moderation"]) == (placeholder, "held")
    assert ok(client.get(f"{API}/submissions/{entry.id}", headers=h(w.owner)))["team"] == {
        "id": created["id"], "name": placeholder}
    ok(invite(client, w.alice, created["id"], w.bob), 201)
    assert [n["team"] for n in notified(client, w.bob, "team.invited")] == [{"id": created["id"], "name": placeholder}]
    assert read_team(client, w.bob, created["id"])["name"] == placeholder  # the invitee is no member yet
    [entry_created] = [e for e in audit(client, w.owner, w.org.id) if e["action"] == "team.created"]
    assert entry_created["details"] == {"name": placeholder}
    case = case_of(client, w, "team", created["id"])
    assert case["excerpt"] == name and any(r.startswith(SPAM_TEAMS[name]) for r in case["reasons"]), case
    assert case["author"]["id"] == w.alice.id


@pytest.mark.parametrize("name", HONEST_TEAMS)
def test_newcomer_forms_honest_team_name_visible(client, w, name):
    created = ok(form(client, w.alice, w.challenge, name), 201)
    assert (created["name"], created["moderation"]) == (name, "visible")
    assert read_team(client, w.owner, created["id"])["name"] == name
    again = ok(form(client, w.alice, make_challenge(w.org, "open", max_team_size=3), name), 201)  # read beside the first
    assert again["moderation"] == "visible"
    assert queue(client, w) == []


def test_admin_hides_team_name_notifications_and_emails_then_say_team_id(app, client, w, smtp):  # noqa: F811
    smtp.start()
    team = ok(form(client, w.alice, w.challenge, "Crew"), 201)["id"]
    placeholder = f"Team {team}"
    entry = make_submission(w.challenge, w.bob)  # moves into the team with bob
    ok(client.post(f"{API}/invitations/{ok(invite(client, w.alice, team, w.bob), 201)['id']}/accept", headers=h(w.bob)))
    ok(flag(client, w.owner, "team", team, "Offensive name"), 201)
    assert ok(decide(client, w.admin, "team", team, "hide")) == {
        "object_type": "team", "object_id": team, "moderation": "hidden"}
    smtp.inbox.envelopes.clear()
    ok(invite(client, w.alice, team, w.carol), 201)
    assert notified(client, w.carol, "team.invited")[0]["team"] == {"id": team, "name": placeholder}
    with client.put(f"{API}/teams/{team}/split", headers=h(w.alice),
                    json={"weights": {str(w.alice.id): 2, str(w.bob.id): 1}}) as response:
        ok(response)  # closed: the emails go out after the response
    assert notified(client, w.bob, "team.split_changed")[0]["team"] == {"id": team, "name": placeholder}
    bodies = [message.get_content() for _, message in smtp.inbox.messages()]
    assert len(bodies) == 3 and all(f"team.name: {placeholder}" in body and "Crew" not in body for body in bodies)
    assert (read_team(client, w.owner, team)["name"], read_team(client, w.alice, team)["name"]) == (placeholder, "Crew")
    assert read_team(client, w.bob, team)["moderation"] == "hidden"
    exported = client.get(f"{API}/challenges/{w.challenge.id}/export.csv", headers=h(w.owner)).get_data(as_text=True)
    assert [row["team"] for row in csv.DictReader(io.StringIO(exported))] == [placeholder]
    with app.app_context():  # what SQL readers (the leaderboards) select
        assert db.session.scalar(select(Team.name).where(Team.id == team)) == placeholder
    ok(decide(client, w.admin2, "team", team, "restore"))
    assert ok(client.get(f"{API}/submissions/{entry.id}", headers=h(w.owner)))["team"] == {"id": team, "name": "Crew"}
    with app.app_context():
        assert db.session.scalar(select(Team.name).where(Team.id == team)) == "Crew"


def test_trusted_account_forms_team_with_spam_name_visible(client, w):
    created = ok(form(client, w.veteran, w.challenge, "Click here"), 201)
    assert (read_team(client, w.owner, created["id"])["name"], created["moderation"]) == ("Click here", "visible")


# Flags on organisations and teams


def test_users_flag_organisation_and_team_queued_with_excerpts(client, w):
    team = ok(form(client, w.alice, w.challenge, "Crew"), 201)["id"]
    first = ok(flag(client, w.bob, "organisation", w.org.id, "Not a real lab"), 201)
    assert ok(flag(client, w.bob, "organisation", w.org.id, "Again"), 201)["id"] == first["id"]
    assert {k: first[k] for k in ("object_type", "object_id", "reason")} == {
        "object_type": "organisation", "object_id": w.org.id, "reason": "Not a real lab"}
    ok(flag(client, w.owner, "team", team, "Rude name"), 201)
    assert [(c["object_type"], c["object_id"], c["moderation"], c["reasons"], c["flags"], c["excerpt"])
            for c in queue(client, w)] == [
        ("organisation", w.org.id, "visible", ["flagged: Not a real lab"], 1,
         f"{w.org.name} We fix water. https://water.example"),
        ("team", team, "visible", ["flagged: Rude name"], 1, "Crew")]
    assert case_of(client, w, "team", team)["author"] == {"id": w.alice.id, "display_name": w.alice.display_name}


@pytest.mark.parametrize("object_type, who", [("team", "carol"), ("team", "missing"), ("organisation", "missing")])
def test_user_flags_organisation_or_team_they_cannot_see_not_found(app, client, w, object_type, who):
    team = ok(form(client, w.alice, w.challenge, "Crew"), 201)["id"]
    object_id = 999999 if who == "missing" else team
    assert problem(flag(client, w.carol, object_type, object_id), 404)["status"] == 404
    assert count(app, Flag) == 0 and queue(client, w) == []


@pytest.mark.parametrize("object_type", ["organization", "teams", "user", "Team", ""])
def test_user_flags_with_bad_object_type_unprocessable(app, client, w, object_type):
    assert "object_type" in problem(flag(client, w.bob, object_type, w.org.id), 422)["errors"]
    assert count(app, Flag) == 0


# Decisions


TRANSITIONS = [("held", "approve", 200, "visible"), ("held", "hide", 200, "hidden"), ("visible", "hide", 200, "hidden"),
               ("hidden", "restore", 200, "visible"), ("visible", "restore", 409, "visible"),
               ("hidden", "approve", 409, "hidden")]


def named(client, w, kind, start):
    """An organisation or a team in the start state; its id, its chosen name, and who reads it from outside."""
    name = "Buy Cialis" if start == "held" else "Équipe Lumière"
    if kind == "organisation":
        object_id, outsider, owner = ok(create_organisation(client, w.alice, name), 201)["id"], w.bob, w.alice
    else:
        object_id, outsider, owner = ok(form(client, w.alice, w.challenge, name), 201)["id"], w.owner, w.owner
    if start == "hidden":
        ok(decide(client, w.admin, kind, object_id, "hide"))
    return object_id, name, outsider, owner


def outside_name(client, kind, user, object_id):
    read = read_organisation if kind == "organisation" else read_team
    return read(client, user, object_id)["name"]


@pytest.mark.parametrize("start, decision, status, end", TRANSITIONS)
@pytest.mark.parametrize("kind", ["organisation", "team"])
def test_admin_decides_on_name_moves_state_or_conflicts(client, w, kind, start, decision, status, end):
    object_id, name, outsider, owner = named(client, w, kind, start)
    organisation = object_id if kind == "organisation" else w.org.id
    entries = len(audit(client, owner, organisation))
    body = ok(decide(client, w.admin2, kind, object_id, decision), status)
    placeholder = f"{kind.capitalize()} {object_id}"
    assert outside_name(client, kind, outsider, object_id) == (name if end == "visible" else placeholder)
    if status == 409:
        assert body["status"] == 409 and len(audit(client, owner, organisation)) == entries
        return
    assert body == {"object_type": kind, "object_id": object_id, "moderation": end}
    entry = audit(client, owner, organisation)[0]
    assert (entry["action"], entry["object_type"], entry["object_id"], entry["details"]) == (
        f"moderation.{decision}", kind, object_id, {"object_type": kind, "before": start, "after": end, "note": None})
    assert case_of(client, w, kind, object_id) is None


@pytest.mark.parametrize("kind", ["organisation", "team"])
@pytest.mark.parametrize("role, status", [("owner", 403), ("alice", 403), ("mia", 403), (None, 401)])
def test_non_admin_decides_on_name_refused_unchanged(client, w, kind, role, status):
    object_id, name, outsider, _ = named(client, w, kind, "held")
    response = decide(client, getattr(w, role) if role else None, kind, object_id, "approve")
    assert problem(response, status)["status"] == status
    assert outside_name(client, kind, outsider, object_id) == f"{kind.capitalize()} {object_id}"


@pytest.mark.parametrize("kind", ["organisation", "team"])
def test_admin_decides_on_unknown_name_not_found(client, w, kind):
    assert problem(decide(client, w.admin, kind, 999999, "hide"), 404)["status"] == 404


# Display names


def register(client, display_name, email="newcomer@example.com"):
    return client.post(f"{API}/users", json={"email": email, "password": "a long password",
                                             "display_name": display_name})


@pytest.mark.parametrize("display_name", SPAM_DISPLAY_NAMES)
def test_anonymous_registers_with_spam_display_name_unprocessable(app, client, display_name):
    body = problem(register(client, display_name), 422)
    assert body["errors"] == {"display_name": ["A name cannot carry links, contact details or advertising; "
                                               "choose another."]}
    assert count(app, User) == 0


@pytest.mark.parametrize("display_name", HONEST_DISPLAY_NAMES)
def test_anonymous_registers_with_honest_display_name_created(client, display_name):
    assert ok(register(client, f"  {display_name} "), 201)["display_name"] == display_name


def test_anonymous_registers_spam_display_name_with_taken_email_unprocessable_first(app, client):
    ok(register(client, "Loan Nguyễn"), 201)
    assert "display_name" in problem(register(client, "Buy Cialis"), 422)["errors"]
    assert count(app, User) == 1


def test_anonymous_registers_spam_display_name_with_filter_off_created(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SPAM_FILTER_ENABLED", False)
    assert ok(register(client, "Buy Cialis"), 201)["display_name"] == "Buy Cialis"


# Invitations: no free text to screen, and a rate limit shared by every way to invite


def test_captain_invites_too_often_gets_429_with_retry_after(app, limited, time_machine):  # noqa: F811
    client = limited(RATELIMIT_INVITE="2/hour")
    challenge = make_challenge(make_organisation(make_user()), max_team_size=9)
    captain, other, *invitees = (make_user() for _ in range(5))
    team = ok(form(client, captain, challenge, "Crew"), 201)["id"]
    assert [invite(client, captain, team, user).status_code for user in invitees[:2]] == [201, 201]
    refused = invite(client, captain, team, invitees[2])
    assert problem(refused, 429)["status"] == 429 and int(refused.headers["Retry-After"]) > 0
    assert count(app, Invitation, Invitation.user_id == invitees[2].id) == 0
    other_team = ok(form(client, other, challenge, "Others"), 201)["id"]
    assert invite(client, other, other_team, invitees[2]).status_code == 201  # per user


def test_owner_inviting_members_shares_the_invitation_allowance(app, limited, time_machine):  # noqa: F811
    client = limited(RATELIMIT_INVITE="2/hour")
    challenge = make_challenge(make_organisation(make_user()), max_team_size=9)
    captain, newcomer = make_user(), make_user()
    organisation = make_organisation(captain)  # who runs one organisation may compete in another's challenge
    team = ok(form(client, captain, challenge, "Crew"), 201)["id"]
    assert invite(client, captain, team, newcomer).status_code == 201
    url = f"{API}/organisations/{organisation.id}/invitations"
    assert client.post(url, headers=h(captain), json={"role": "judge", "email": "judge@example.com"}) \
        .status_code == 201
    refused = client.post(url, headers=h(captain), json={"role": "manager", "email": "manager@example.com"})
    assert problem(refused, 429)["status"] == 429 and int(refused.headers["Retry-After"]) > 0
    assert count(app, OrganisationInvitation) == 1


def test_captain_invites_with_a_message_unprocessable(app, client, w):
    team = ok(form(client, w.alice, w.challenge, "Crew"), 201)["id"]
    response = client.post(f"{API}/teams/{team}/invitations", headers=h(w.alice),
                           json={"user_id": w.bob.id, "message": "Cheap Viagra at t.me/pills"})
    assert "message" in problem(response, 422)["errors"]
    assert count(app, Invitation) == 0 and count(app, Notification) == 0


# Concurrency (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["organisation", "team"])
@pytest.mark.parametrize("decisions, final", [(("approve", "approve"), "visible"), (("approve", "hide"), "hidden")])
def test_two_admins_deciding_same_name_at_once_leave_one_state(app, api, client, w, kind, decisions, final):
    object_id, *_ = named(client, w, kind, "held")
    url = f"{api}/admin/moderation/{kind}/{object_id}"
    responses = race(*(partial(requests.post, url, json={"decision": decision}, headers=h(admin), timeout=30)
                       for admin, decision in zip((w.admin, w.admin2), decisions)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409} and 200 in statuses, [r.text for r in responses]
    with app.app_context():
        model = Organisation if kind == "organisation" else Team
        assert str(db.session.get(model, object_id).moderation) == final
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.like("moderation.%"), AuditEntry.object_id == object_id)) == statuses.count(200)
        case = db.session.scalar(select(ModerationCase).where(ModerationCase.object_type == kind,
                                                              ModerationCase.object_id == object_id))
        assert str(case.status) == "closed"
