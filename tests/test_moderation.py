"""Moderation through the HTTP API: spam held for review, flags, the admins' queue and decisions, suspensions."""
import csv
import io
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy import text as sql

from challenges.extensions import db
from challenges.models import Evaluation, EvaluationStatus, Event, Flag, Moderation, ModerationCase, Submission
from tests.factories import add_member, auth_headers, make_challenge, make_organisation, make_submission, make_user
from tests.threads import race

API = "/api/v1"
T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)
KINDS = ["challenge", "submission", "question", "answer"]
PROSE = {  # ordinary prose with one or two links
    "en": "Our model cuts water loss in old city pipes by twelve percent; the method is at https://example.org/report.",
    "fr": "Notre modèle réduit de douze pour cent les fuites d'eau des vieilles canalisations ; la méthode est sur "
          "https://exemple.fr/rapport et les données sur https://exemple.fr/donnees.",
}
GOODS = {"en": ("CHEAP", "WATCHES BAGS SHOES PHONES RINGS SHIRTS JACKETS BELTS LAMPS TOYS"),
         "fr": ("PROMO", "MONTRES SACS CHAUSSURES TELEPHONES BAGUES CHEMISES VESTES CEINTURES LAMPES JOUETS")}
SPAM = {  # example: (text, a reason the queue gives)
    "phrases-en": ("Buy now! Click here for free money", "phrase: click here"),
    "phrases-fr": ("Achetez maintenant, cliquez ici pour de l'argent facile", "phrase: cliquez ici"),
    "links-en": ("Great offers: " + " ".join(f"https://shop{i}.example.com/deal" for i in range(5)), "links: 5"),
    "links-fr": ("Super offres : " + " ".join(f"https://boutique{i}.exemple.fr/promo" for i in range(5)), "links: 5"),
    "lines-en": ("WIN A BIG PRIZE TODAY\n" * 4, "repeated lines"),
    "lines-fr": ("GAGNEZ UN CADEAU AUJOURD'HUI\n" * 4, "repeated lines"),
    "word-en": (" ".join(f"{GOODS['en'][0]} {item}" for item in GOODS["en"][1].split()), "repeated word: cheap"),
    "word-fr": (" ".join(f"{GOODS['fr'][0]} {item}" for item in GOODS["fr"][1].split()), "repeated word: promo"),
    "pharmacy-fr": ("Acheter du Kamagra en ligne, sildénafil et tadalafil génériques sans ordonnance : livraison "
                    "rapide et discrète, pas cher.",  # no link at all
                    "offer: medicine (cheap, delivery, no prescription, purchase)"),
    "pharmacy-fr-short": ("Viagra pas cher sans ordonnance https://pilules.example/viagra "
                          "https://pilules.example/commande", "offer: medicine (cheap, no prescription)"),
    "pharmacy-disguised-fr": ("C.I.A.L.I.S à p3tit prix, l1vraison d1scrète, s@ns 0rd0nnance",
                              "offer: medicine (cheap, delivery, no prescription)"),
    "pharmacy-en": ("Buy Tramadol and Xanax online without prescription, cheap overnight delivery.",
                    "offer: medicine (cheap, delivery, no prescription, purchase)"),
}
PROPOSALS = {  # honest texts that name a medicine, a price or a delivery
    "medicine-en": "Our model predicts which patients stop taking sildenafil for pulmonary hypertension, from the "
                   "dispensing records of 40 hospitals; code at https://example.org/adherence.",
    "medicine-fr": "Notre modèle prédit l'arrêt des traitements par tramadol chez les patients âgés, à partir des "
                   "données de délivrance de 40 pharmacies ; le code est sur https://exemple.fr/observance.",
    "price-en": "A pricing model for rail tickets: the cheapest fares go to travellers who buy three weeks ahead, and "
                "subscribers get a 20% discount.",
    "price-fr": "Un modèle de prix pour les billets de train : le tarif le moins cher va aux voyageurs qui achètent "
                "trois semaines à l'avance, et les abonnés ont une remise de 20 %.",
    "delivery-en": "Route optimisation for a pharmaceutical wholesaler: medicines ordered by 400 pharmacies are "
                   "delivered within four hours, with express delivery for urgent orders.",
    "delivery-fr": "Optimisation des tournées : les médicaments commandés par 400 pharmacies sont livrés en moins de "
                   "quatre heures, avec une livraison express pour les commandes urgentes.",
}
COPY = {  # twenty-odd words, posted twice
    "en": "We propose a low cost sensor network that measures pipe pressure every minute and alerts the city crews "
          "before small leaks grow.",
    "fr": "Nous proposons un réseau de capteurs peu coûteux qui mesure la pression des tuyaux chaque minute et "
          "alerte les équipes avant que les fuites grandissent.",
}
AUTHOR = {"challenge": "mia", "submission": "alice", "question": "alice", "answer": "mia"}
SECOND_AUTHOR = {"challenge": "milo", "submission": "bob", "question": "bob", "answer": "milo"}
VIEWER = {"challenge": "alice", "submission": "owner", "question": "owner", "answer": "bob"}  # sees it once visible
OTHERS = {"challenge": ["alice", "bob", None], "submission": ["bob", "owner", "milo", "judge", None],
          "question": ["bob", "owner", "milo", "judge", None], "answer": ["bob", "alice", "owner", "milo", None]}


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def h(user):
    return auth_headers(user) if user else {}


@pytest.fixture
def w(time_machine):
    """An organisation with a trusted owner and judge and two new managers; new participants; two admins."""
    time_machine.now = T0 - timedelta(days=8)  # accounts this old have earned trust
    owner, judge, veteran = make_user(), make_user(), make_user()
    time_machine.now = T0
    admin, admin2, mia, milo, alice, bob = make_user(is_admin=True), make_user(is_admin=True), *(
        make_user() for _ in range(4))
    org = make_organisation(owner)
    for user, role in ((mia, "manager"), (milo, "manager"), (judge, "judge")):
        add_member(org, user, role)
    return SimpleNamespace(owner=owner, judge=judge, veteran=veteran, admin=admin, admin2=admin2, mia=mia, milo=milo,
                           alice=alice, bob=bob, org=org, challenge=make_challenge(org, "open"))


def who(w, name):
    return getattr(w, name) if name else None


def post(client, w, kind, text, author=None):
    """Post content of a kind (as its usual author); the response and the content's id (an answer's: its question's)."""
    author = author or getattr(w, AUTHOR[kind])
    if kind == "challenge":
        response = client.post(f"{API}/challenges", headers=h(author), json={
            "organisation_id": w.org.id, "title": "Leak detection", "summary": "Find leaks early", "description": text,
            "closes_at": (T0 + timedelta(days=7)).isoformat(),
            "prizes": [{"title": "First", "reward": {"amount": 1000, "currency": "EUR"}}]})
        if response.status_code == 201:  # published at once, so that outsiders could see it
            ok(client.post(f"{API}/challenges/{response.json['id']}/publish", headers=h(author)))
    elif kind == "submission":
        response = client.post(f"{API}/challenges/{w.challenge.id}/submissions", headers=h(author), json={
            "title": "Proposal", "summary": "", "body": text, "links": [], "accept_terms": True})
    elif kind == "question":
        response = client.post(f"{API}/challenges/{w.challenge.id}/questions", headers=h(author), json={"body": text})
    else:
        question = ok(client.post(f"{API}/challenges/{w.challenge.id}/questions", headers=h(w.bob),
                                  json={"body": "May we use public data?"}), 201)
        response = client.post(f"{API}/questions/{question['id']}/answer", headers=h(author), json={"body": text})
        return response, question["id"]
    return response, response.json.get("id")


def state(kind, body):
    return body["answer"]["moderation"] if kind == "answer" else body["moderation"]


def seen(client, w, kind, object_id, user=None):
    """The moderation state `user` sees the content in; None when it is kept from them."""
    if kind in ("challenge", "submission"):
        response = client.get(f"{API}/{kind}s/{object_id}", headers=h(user))
        assert response.status_code in (200, 404), response.get_data(as_text=True)
        return response.json["moderation"] if response.status_code == 200 else None
    found = question_of(client, w, object_id, user)
    if kind == "question" or found is None:
        return found and found["moderation"]
    return found["answer"] and found["answer"]["moderation"]


def question_of(client, w, question_id, user=None):
    items = ok(client.get(f"{API}/challenges/{w.challenge.id}/questions?limit=100", headers=h(user)))["items"]
    return next((q for q in items if q["id"] == question_id), None)


def queue(client, w, query="limit=100"):
    return ok(client.get(f"{API}/admin/moderation?{query}", headers=h(w.admin)))


def case_of(client, w, object_type, object_id):
    return next((c for c in queue(client, w)["items"] if (c["object_type"], c["object_id"]) == (object_type, object_id)),
                None)


def decide(client, user, kind, object_id, decision, **extra):
    return client.post(f"{API}/admin/moderation/{kind}/{object_id}", headers=h(user),
                       json={"decision": decision} | extra)


def flag(client, user, object_type, object_id, reason="Spam"):
    return client.post(f"{API}/flags", headers=h(user),
                       json={"object_type": object_type, "object_id": object_id, "reason": reason})


def audit(client, w):
    return ok(client.get(f"{API}/organisations/{w.org.id}/audit?limit=100", headers=h(w.owner)))["items"]


def events(app, event_type):
    with app.app_context():
        return [e.data for e in db.session.scalars(select(Event).where(Event.type == event_type).order_by(Event.id))]


def kinds_notified(client, user):
    return [n["kind"] for n in ok(client.get(f"{API}/notifications?limit=100", headers=h(user)))["items"]]


def listed_submissions(client, w, user):
    page = ok(client.get(f"{API}/challenges/{w.challenge.id}/submissions?limit=100", headers=h(user)))
    return [s["id"] for s in page["items"]]


def leaderboard(client, challenge, user, board="public"):
    page = ok(client.get(f"{API}/challenges/{challenge.id}/leaderboard?board={board}", headers=h(user)))
    return [e["submission"]["id"] if e.get("submission") else e["submission_id"] for e in page["items"]]


def exported(client, w):
    response = client.get(f"{API}/challenges/{w.challenge.id}/export.csv", headers=h(w.owner))
    assert response.status_code == 200
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]


# Spam held, legitimate content passed


@pytest.mark.parametrize("example", SPAM)
@pytest.mark.parametrize("kind", KINDS)
def test_newcomer_posts_spam_held_for_author_and_admins_only(client, w, kind, example):
    text, reason = SPAM[example]
    response, object_id = post(client, w, kind, text)
    assert state(kind, ok(response, 200 if kind == "answer" else 201)) == "held"
    assert seen(client, w, kind, object_id, getattr(w, AUTHOR[kind])) == "held"
    assert seen(client, w, kind, object_id, w.admin) == "held"
    for name in OTHERS[kind]:
        assert seen(client, w, kind, object_id, who(w, name)) is None, name
    if kind == "challenge":  # a held challenge stays with its organisation
        assert [seen(client, w, kind, object_id, u) for u in (w.owner, w.milo, w.judge)] == ["held"] * 3
    case = case_of(client, w, kind, object_id)
    assert case["moderation"] == "held" and reason in case["reasons"] and case["flags"] == 0
    assert case["author"] == {"id": getattr(w, AUTHOR[kind]).id, "display_name": getattr(w, AUTHOR[kind]).display_name}


@pytest.mark.parametrize("language", PROSE)
@pytest.mark.parametrize("kind", KINDS)
def test_newcomer_posts_legitimate_prose_visible(client, w, kind, language):
    response, object_id = post(client, w, kind, PROSE[language])
    assert state(kind, ok(response, 200 if kind == "answer" else 201)) == "visible"
    assert seen(client, w, kind, object_id, getattr(w, VIEWER[kind])) == "visible"
    assert queue(client, w)["items"] == []


@pytest.mark.parametrize("example", PROPOSALS)
@pytest.mark.parametrize("kind", KINDS)
def test_newcomer_posts_proposal_naming_medicine_price_or_delivery_visible(client, w, kind, example):
    response, object_id = post(client, w, kind, PROPOSALS[example])
    assert state(kind, ok(response, 200 if kind == "answer" else 201)) == "visible"
    assert seen(client, w, kind, object_id, getattr(w, VIEWER[kind])) == "visible"
    assert queue(client, w)["items"] == []


@pytest.mark.parametrize("language", COPY)
@pytest.mark.parametrize("kind, same_author", [  # other people's submissions and unanswered questions: see below
    (kind, True) for kind in KINDS] + [("challenge", False), ("answer", False)])
def test_newcomer_posts_near_duplicate_of_what_they_can_see_held(client, w, kind, language, same_author):
    first, first_id = post(client, w, kind, COPY[language])
    assert state(kind, first.json) == "visible"
    author = getattr(w, (AUTHOR if same_author else SECOND_AUTHOR)[kind])
    second, second_id = post(client, w, kind, COPY[language], author)
    assert state(kind, ok(second, 200 if kind == "answer" else 201)) == "held"
    assert seen(client, w, kind, second_id, getattr(w, VIEWER[kind])) is None
    assert case_of(client, w, kind, second_id)["reasons"] == ["near-duplicate of earlier content"]
    assert seen(client, w, kind, first_id, getattr(w, VIEWER[kind])) == "visible"


@pytest.mark.parametrize("language", COPY)
@pytest.mark.parametrize("kind", ["submission", "question"])
def test_newcomer_copying_content_hidden_from_them_learns_nothing(client, w, kind, language):
    first, _ = post(client, w, kind, COPY[language])
    second, second_id = post(client, w, kind, COPY[language], getattr(w, SECOND_AUTHOR[kind]))
    # Held or not would tell the copier whether their guess matches a confidential text: it is compared with
    # what they may see only.
    assert state(kind, ok(second, 201)) == "visible"
    assert case_of(client, w, kind, second_id) is None
    assert state(kind, first.json) == "visible"


@pytest.mark.parametrize("kind, author", [("challenge", "owner"), ("challenge", "admin"), ("submission", "veteran"),
                                          ("question", "veteran"), ("answer", "owner"), ("answer", "admin")])
def test_trusted_account_posts_spam_phrases_visible(client, w, kind, author):
    text = SPAM["phrases-en"][0] + " " + SPAM["phrases-fr"][0]  # owner and veteran are eight days old
    response, object_id = post(client, w, kind, text, getattr(w, author))
    assert state(kind, ok(response, 200 if kind == "answer" else 201)) == "visible"
    assert seen(client, w, kind, object_id, getattr(w, VIEWER[kind])) == "visible"


@pytest.mark.parametrize("kind", KINDS)
def test_newcomer_posts_spam_with_filter_off_visible(app, client, w, monkeypatch, kind):
    monkeypatch.setitem(app.config, "SPAM_FILTER_ENABLED", False)
    for example in ("phrases-en", "links-fr", "lines-en"):
        response, object_id = post(client, w, kind, SPAM[example][0] + f" ({example})")
        assert state(kind, ok(response, 200 if kind == "answer" else 201)) == "visible"
        assert seen(client, w, kind, object_id, getattr(w, VIEWER[kind])) == "visible"
    assert queue(client, w)["items"] == []


# Held content: who sees it, where it counts


def test_participant_held_submission_gets_receipt_and_notification(app, client, w):
    response, held = post(client, w, "submission", SPAM["phrases-fr"][0])
    receipt = ok(response, 201)
    assert (receipt["submitted_at"], receipt["moderation"], receipt["status"]) == (T0.isoformat(), "held", "submitted")
    assert len(receipt["content_sha256"]) == 64 and int(receipt["content_sha256"], 16) >= 0
    assert ok(client.get(f"{API}/submissions/{held}", headers=h(w.alice)))["content_sha256"] == receipt["content_sha256"]
    assert kinds_notified(client, w.alice) == ["submission.received"]
    assert events(app, "submission.received") == []  # the organisation hears of it once approved
    assert listed_submissions(client, w, w.alice) == [held]
    assert listed_submissions(client, w, w.admin) == [held]
    for member in (w.owner, w.milo, w.judge):
        assert listed_submissions(client, w, member) == []


def test_members_never_see_held_submission_in_lists_boards_exports_or_awards(client, w, time_machine):
    _, held = post(client, w, "submission", SPAM["links-en"][0])
    _, shown = post(client, w, "submission", PROSE["en"], w.bob)
    assigned = ok(client.post(f"{API}/challenges/{w.challenge.id}/assignments", headers=h(w.owner),
                              json={"judges_per_submission": 1}))
    assert [a["submission_id"] for a in assigned["items"]] == [shown]
    assert ok(client.get(f"{API}/submissions/{held}/reviews", headers=h(w.judge)), 404)["status"] == 404
    time_machine.travel(days=8)  # closed: judging and awards
    assert leaderboard(client, w.challenge, w.owner) == [shown]
    assert exported(client, w) == [shown]
    refused = client.post(f"{API}/challenges/{w.challenge.id}/awards", headers=h(w.owner),
                          json={"prize_id": w.challenge.prize_ids[0], "submission_id": held})
    assert ok(refused, 422)["errors"].keys() == {"submission_id"}
    assert listed_submissions(client, w, w.owner) == [shown]
    assert listed_submissions(client, w, w.admin) == [held, shown]


def test_scored_leaderboards_leave_out_held_submission(app, client, w):
    challenge = make_challenge(w.org, "closed", evaluation=Evaluation.SCORED, judging=None, scoring={
        "metric": "accuracy", "public_fraction": 0.3, "max_daily_submissions": 5, "final_selection_limit": 2})
    held, shown = make_submission(challenge, w.alice), make_submission(challenge, w.bob)
    with app.app_context():
        for entry, moderation, score in ((held, Moderation.HELD, 0.9), (shown, Moderation.VISIBLE, 0.5)):
            row = db.session.get(Submission, entry.id)
            row.evaluation_status, row.public_score, row.private_score = EvaluationStatus.SCORED, score, score
            row.moderation = moderation
        db.session.commit()
    assert leaderboard(client, challenge, None) == [shown.id]
    assert leaderboard(client, challenge, w.owner, "private") == [shown.id]
    assert leaderboard(client, challenge, w.admin, "private") == [shown.id]


def test_admin_approves_held_submission_after_deadline_counts_with_original_time(app, client, w, time_machine):
    _, held = post(client, w, "submission", SPAM["phrases-en"][0])
    _, shown = post(client, w, "submission", PROSE["fr"], w.bob)
    time_machine.travel(days=8)
    assert [e["submission"]["id"] for e in events(app, "submission.received")] == [shown]
    assert ok(decide(client, w.admin, "submission", held, "approve")) == {
        "object_type": "submission", "object_id": held, "moderation": "visible"}
    read = ok(client.get(f"{API}/submissions/{held}", headers=h(w.owner)))
    assert read["submitted_at"] == T0.isoformat() and datetime.fromisoformat(read["submitted_at"]) < w.challenge.closes_at
    assert listed_submissions(client, w, w.owner) == [held, shown]
    assert sorted(leaderboard(client, w.challenge, w.owner)) == [held, shown]
    assert exported(client, w) == [held, shown]
    [received] = [e for e in events(app, "submission.received") if e["submission"]["id"] == held]
    assert received["submission"]["submitted_at"] == T0.isoformat()
    ok(client.post(f"{API}/challenges/{w.challenge.id}/awards", headers=h(w.owner),
                   json={"prize_id": w.challenge.prize_ids[0], "submission_id": held}), 201)


def test_held_challenge_listed_for_its_organisation_and_admins_only(client, w):
    response, held = post(client, w, "challenge", SPAM["links-fr"][0])
    assert ok(response, 201)["moderation"] == "held"
    assert ok(client.get(f"{API}/challenges/{held}", headers=h(w.mia)))["phase"] == "open"  # published by `post`
    for user in (None, w.alice, w.bob):
        ids = [c["id"] for c in ok(client.get(f"{API}/challenges?limit=100", headers=h(user)))["items"]]
        assert ids == [w.challenge.id]
        assert ok(client.get(f"{API}/challenges/{held}/questions", headers=h(user)), 404)["status"] == 404
    for user in (w.owner, w.mia, w.judge, w.admin):
        page = ok(client.get(f"{API}/challenges?limit=100", headers=h(user)))
        assert {c["id"]: c["moderation"] for c in page["items"]} == {held: "held", w.challenge.id: "visible"}
    assert ok(client.post(f"{API}/challenges/{held}/submissions", headers=h(w.alice), json={
        "title": "t", "body": "b", "accept_terms": True}), 404)["status"] == 404


def test_asker_sees_held_answer_only_once_approved_and_is_notified_then(app, client, w):
    response, question = post(client, w, "answer", SPAM["phrases-fr"][0])
    assert ok(response)["answer"]["moderation"] == "held"  # the answerer sees their answer
    for user in (w.bob, None, w.alice, w.owner, w.milo):
        listed = question_of(client, w, question, user)
        assert listed is None or listed["answer"] is None
    assert "question.answered" not in kinds_notified(client, w.bob)
    assert events(app, "question.answered") == []
    assert ok(decide(client, w.admin, "answer", question, "approve")) == {
        "object_type": "answer", "object_id": question, "moderation": "visible"}
    answer = question_of(client, w, question, w.bob)["answer"]
    assert (answer["body"], answer["moderation"]) == (SPAM["phrases-fr"][0], "visible")
    assert question_of(client, w, question)["answer"]["body"] == SPAM["phrases-fr"][0]
    assert kinds_notified(client, w.bob).count("question.answered") == 1
    assert [e["question"]["id"] for e in events(app, "question.answered")] == [question]


@pytest.mark.parametrize("kind", ["challenge", "submission"])
def test_newcomer_edits_content_into_spam_held(client, w, kind):
    _, object_id = post(client, w, kind, PROSE["en"])
    field = "description" if kind == "challenge" else "body"
    edited = ok(client.patch(f"{API}/{kind}s/{object_id}", headers=h(getattr(w, AUTHOR[kind])),
                             json={field: SPAM["phrases-en"][0]}))
    assert edited["moderation"] == "held"



def test_admin_approves_an_edit_held_as_spam_without_announcing_the_submission_twice(app, client, w):
    _, object_id = post(client, w, "submission", PROSE["en"])
    assert ok(client.patch(f"{API}/submissions/{object_id}", headers=h(w.alice),
                           json={"body": SPAM["phrases-en"][0]}))["moderation"] == "held"
    ok(decide(client, w.admin, "submission", object_id, "approve"))
    assert [e["submission"]["id"] for e in events(app, "submission.received")] == [object_id]


# Flags


FLAGGERS = {"challenge": ("alice", "bob"), "submission": ("owner", "milo"), "question": ("owner", "judge"),
            "answer": ("bob", "alice")}


@pytest.mark.parametrize("kind", KINDS)
def test_user_flags_content_once_per_user(client, w, kind):
    _, object_id = post(client, w, kind, PROSE["en"])
    first_user, second_user = (getattr(w, name) for name in FLAGGERS[kind])
    first = ok(flag(client, first_user, kind, object_id), 201)
    assert first | {"id": 0} == {"id": 0, "object_type": kind, "object_id": object_id, "reason": "Spam",
                                 "created_at": T0.isoformat()}
    again = ok(flag(client, first_user, kind, object_id, "Really spam"), 201)
    assert again == first
    case = case_of(client, w, kind, object_id)
    assert (case["flags"], case["moderation"], case["reasons"]) == (1, "visible", ["flagged: Spam"])
    assert ok(flag(client, second_user, kind, object_id, "Advert"), 201)["id"] != first["id"]
    case = case_of(client, w, kind, object_id)
    assert (case["flags"], case["reasons"]) == (2, ["flagged: Advert", "flagged: Spam"])
    assert case["author"]["id"] == getattr(w, AUTHOR[kind]).id


def _unseeable(client, w, what):
    """(flagger, object_type, object_id) of something the flagger may not see."""
    if what == "held-submission":
        return w.bob, "submission", post(client, w, "submission", SPAM["phrases-en"][0])[1]
    if what == "others-submission":
        return w.bob, "submission", post(client, w, "submission", PROSE["en"])[1]
    if what == "held-question-by-member":
        return w.owner, "question", post(client, w, "question", SPAM["phrases-en"][0])[1]
    if what == "draft-challenge":
        return w.alice, "challenge", make_challenge(w.org, "draft").id
    if what == "unanswered-question-answer":
        return w.owner, "answer", post(client, w, "question", PROSE["en"])[1]
    if what == "own-hidden-submission":
        _, object_id = post(client, w, "submission", PROSE["en"])
        ok(decide(client, w.admin, "submission", object_id, "hide"))
        return w.alice, "submission", object_id
    return w.alice, "question", 999999


@pytest.mark.parametrize("what", ["held-submission", "others-submission", "held-question-by-member", "draft-challenge",
                                  "unanswered-question-answer", "own-hidden-submission", "missing"])
def test_user_flags_content_they_cannot_see_not_found(client, w, what):
    user, object_type, object_id = _unseeable(client, w, what)
    assert ok(flag(client, user, object_type, object_id), 404)["status"] == 404


@pytest.mark.parametrize("body", [{"object_type": "challenge", "object_id": 1, "reason": "x"}, {"reason": 5}])
def test_anonymous_flags_unauthorized(client, w, body):
    assert ok(client.post(f"{API}/flags", json=body), 401)["status"] == 401


@pytest.mark.parametrize("change, field", [
    ({"object_type": "user"}, "object_type"), ({"reason": None}, "reason"), ({"reason": ""}, "reason"),
    ({"object_id": 0}, "object_id"), ({"object_id": "1"}, "object_id"), ({"severity": "high"}, "severity"),
])
def test_user_flags_with_bad_body_unprocessable(app, client, w, change, field):
    body = {"object_type": "challenge", "object_id": w.challenge.id, "reason": "Spam"} | change
    response = client.post(f"{API}/flags", headers=h(w.alice), json={k: v for k, v in body.items() if v is not None})
    assert field in ok(response, 422)["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Flag)) == 0


# The queue


@pytest.mark.parametrize("query", ["", "?limit=0", "?cursor=nonsense"])
@pytest.mark.parametrize("role, status", [("owner", 403), ("mia", 403), ("alice", 403), (None, 401)])
def test_non_admin_reads_queue_refused(client, w, role, status, query):
    assert ok(client.get(f"{API}/admin/moderation{query}", headers=h(who(w, role))), status)["status"] == status


@pytest.mark.parametrize("query, status", [("limit=0", 422), ("limit=101", 422), ("cursor=nonsense", 400)])
def test_admin_reads_queue_with_bad_query_refused(client, w, query, status):
    assert ok(client.get(f"{API}/admin/moderation?{query}", headers=h(w.admin)), status)["status"] == status


def test_admin_reads_queue_oldest_first_with_details(client, w, time_machine):
    _, held = post(client, w, "submission", SPAM["links-en"][0])
    time_machine.travel(minutes=1)
    _, challenge = post(client, w, "challenge", PROSE["fr"])
    ok(flag(client, w.bob, "challenge", w.challenge.id, "Off topic"), 201)  # made by factory: no known author
    time_machine.travel(minutes=1)
    ok(flag(client, w.alice, "challenge", challenge, "Looks like an advert"), 201)
    page = queue(client, w)
    assert page == {"next_cursor": None, "items": [
        {"object_type": "submission", "object_id": held, "moderation": "held", "reasons": ["links: 5"], "flags": 0,
         "author": {"id": w.alice.id, "display_name": w.alice.display_name},
         "excerpt": ("Proposal " + SPAM["links-en"][0])[:280], "opened_at": T0.isoformat()},
        {"object_type": "challenge", "object_id": w.challenge.id, "moderation": "visible",
         "reasons": ["flagged: Off topic"], "flags": 1, "author": None, "excerpt": page["items"][1]["excerpt"],
         "opened_at": (T0 + timedelta(minutes=1)).isoformat()},
        {"object_type": "challenge", "object_id": challenge, "moderation": "visible",
         "reasons": ["flagged: Looks like an advert"], "flags": 1,
         "author": {"id": w.mia.id, "display_name": w.mia.display_name},
         "excerpt": " ".join(("Leak detection Find leaks early " + PROSE["fr"]).split())[:280],
         "opened_at": (T0 + timedelta(minutes=2)).isoformat()},
    ]}
    ok(decide(client, w.admin, "submission", held, "approve"))
    ok(decide(client, w.admin2, "challenge", w.challenge.id, "hide"))
    assert [(c["object_type"], c["object_id"]) for c in queue(client, w)["items"]] == [("challenge", challenge)]


def test_admin_pages_through_queue(client, w):
    held = [post(client, w, "question", SPAM[example][0])[1] for example in ("phrases-en", "links-fr", "lines-en")]
    first = queue(client, w, "limit=2")
    assert [c["object_id"] for c in first["items"]] == held[:2] and first["next_cursor"]
    second = queue(client, w, f"limit=2&cursor={first['next_cursor']}")
    assert ([c["object_id"] for c in second["items"]], second["next_cursor"]) == (held[2:], None)


# Decisions


TRANSITIONS = [("held", "approve", 200, "visible"), ("held", "hide", 200, "hidden"), ("visible", "hide", 200, "hidden"),
               ("hidden", "restore", 200, "visible"), ("visible", "restore", 409, "visible"),
               ("hidden", "approve", 409, "hidden"), ("held", "restore", 409, "held")]


@pytest.mark.parametrize("start, decision, status, end", TRANSITIONS)
def test_admin_decides_on_submission_moves_state_or_conflicts(client, w, start, decision, status, end):
    _, object_id = post(client, w, "submission", SPAM["phrases-en"][0] if start == "held" else PROSE["en"])
    if start == "hidden":
        ok(decide(client, w.admin, "submission", object_id, "hide"))
    entries = len(audit(client, w))
    body = ok(decide(client, w.admin, "submission", object_id, decision, note="Checked by hand"), status)
    assert seen(client, w, "submission", object_id, w.admin) == end
    if status == 409:
        assert body["status"] == 409 and len(audit(client, w)) == entries
        return
    assert body == {"object_type": "submission", "object_id": object_id, "moderation": end}
    entry = audit(client, w)[0]
    assert (entry["action"], entry["actor"]["id"], entry["object_type"], entry["object_id"]) == (
        f"moderation.{decision}", w.admin.id, "submission", object_id)
    assert entry["details"] == {"object_type": "submission", "before": start, "after": end, "note": "Checked by hand"}


@pytest.mark.parametrize("kind", KINDS)
def test_admin_approves_held_content_visible_and_audited(client, w, kind):
    _, object_id = post(client, w, kind, SPAM["lines-fr"][0])
    assert ok(decide(client, w.admin, kind, object_id, "approve")) == {
        "object_type": kind, "object_id": object_id, "moderation": "visible"}
    assert seen(client, w, kind, object_id, getattr(w, VIEWER[kind])) == "visible"
    assert case_of(client, w, kind, object_id) is None
    entry = audit(client, w)[0]
    assert (entry["action"], entry["object_type"], entry["object_id"]) == (
        "moderation.approve", "question" if kind == "answer" else kind, object_id)
    assert entry["details"] == {"object_type": kind, "before": "held", "after": "visible", "note": None}


@pytest.mark.parametrize("kind", KINDS)
def test_admin_hides_content_seen_by_admins_only_then_restores(client, w, kind):
    _, object_id = post(client, w, kind, PROSE["en"])
    assert ok(decide(client, w.admin, kind, object_id, "hide"))["moderation"] == "hidden"
    for name in {AUTHOR[kind], VIEWER[kind], "owner", None}:
        assert seen(client, w, kind, object_id, who(w, name)) is None, name
    assert seen(client, w, kind, object_id, w.admin2) == "hidden"
    assert ok(decide(client, w.admin2, kind, object_id, "restore"))["moderation"] == "visible"
    assert seen(client, w, kind, object_id, getattr(w, AUTHOR[kind])) == "visible"
    assert [e["action"] for e in audit(client, w)[:2]] == ["moderation.restore", "moderation.hide"]


def test_admin_decides_on_unknown_content_not_found(client, w):
    _, unanswered = post(client, w, "question", PROSE["en"])
    for path in ("submission/999999", "challenge/999999", "question/999999", f"answer/{unanswered}", "user/1",
                 f"comment/{w.challenge.id}"):
        response = client.post(f"{API}/admin/moderation/{path}", headers=h(w.admin), json={"decision": "hide"})
        assert ok(response, 404)["status"] == 404, path
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("body, field", [({"decision": "delete"}, "decision"), ({}, "decision"),
                                         ({"decision": "hide", "reason": "x"}, "reason"),
                                         ({"decision": "hide", "note": "n" * 2001}, "note")])
def test_admin_decides_with_bad_body_unprocessable(client, w, body, field):
    _, object_id = post(client, w, "submission", SPAM["phrases-en"][0])
    response = client.post(f"{API}/admin/moderation/submission/{object_id}", headers=h(w.admin), json=body)
    assert field in ok(response, 422)["errors"]
    assert seen(client, w, "submission", object_id, w.admin) == "held"


@pytest.mark.parametrize("body", [{"decision": "approve"}, {"decision": "delete", "extra": 1}])
@pytest.mark.parametrize("role, status", [("owner", 403), ("mia", 403), ("judge", 403), ("alice", 403),
                                          ("bob", 403), (None, 401)])
def test_non_admin_decides_refused_before_body(client, w, role, status, body):
    _, object_id = post(client, w, "submission", SPAM["phrases-en"][0])
    response = client.post(f"{API}/admin/moderation/submission/{object_id}", headers=h(who(w, role)), json=body)
    assert ok(response, status)["status"] == status
    assert seen(client, w, "submission", object_id, w.admin) == "held"


@pytest.mark.parametrize("path", ["moderation/submission/999999", "users/999999/suspend"])
def test_admin_acts_on_unknown_object_with_bad_body_not_found(client, w, path):
    assert client.post(f"{API}/admin/{path}", headers=h(w.admin), json={"bogus": 1}).status_code == 404


# Suspensions


def sign_in(client, user):
    return client.post(f"{API}/tokens", json={"email": user.email, "password": user.password})


def test_admin_suspends_user_locked_out_at_once_until_lifted(client, w):
    assert ok(client.get(f"{API}/me", headers=h(w.alice)))["id"] == w.alice.id
    body = ok(client.post(f"{API}/admin/users/{w.alice.id}/suspend", headers=h(w.admin), json={"reason": "Spammer"}))
    assert body == {"id": w.alice.id, "display_name": w.alice.display_name, "suspended_at": T0.isoformat(),
                    "suspension_reason": "Spammer"}
    assert ok(client.get(f"{API}/me", headers=h(w.alice)), 401)["status"] == 401
    assert ok(flag(client, w.alice, "challenge", w.challenge.id), 401)["status"] == 401
    assert ok(sign_in(client, w.alice), 401)["status"] == 401
    assert ok(client.get(f"{API}/me", headers=h(w.bob)))["id"] == w.bob.id  # others are untouched
    response = client.delete(f"{API}/admin/users/{w.alice.id}/suspend", headers=h(w.admin))
    assert response.status_code == 204 and response.data == b""
    token = ok(sign_in(client, w.alice), 201)["token"]
    assert ok(client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}))["id"] == w.alice.id


@pytest.mark.parametrize("method, body", [("post", {"reason": "Spammer"}), ("post", {"bogus": 1}), ("delete", None)])
@pytest.mark.parametrize("role, status", [("owner", 403), ("mia", 403), ("alice", 403), (None, 401)])
def test_non_admin_suspends_refused(client, w, role, status, method, body):
    response = getattr(client, method)(f"{API}/admin/users/{w.bob.id}/suspend", headers=h(who(w, role)), json=body)
    assert ok(response, status)["status"] == status
    assert ok(client.get(f"{API}/me", headers=h(w.bob)))["id"] == w.bob.id


@pytest.mark.parametrize("target, body, status", [
    ("admin", {"reason": "Oops"}, 409), ("missing", {"reason": "Spammer"}, 404), ("bob", {}, 422),
    ("bob", {"reason": ""}, 422), ("bob", {"reason": "x", "days": 3}, 422)])
def test_admin_suspends_refused(client, w, target, body, status):
    user_id = 999999 if target == "missing" else getattr(w, target).id
    response = client.post(f"{API}/admin/users/{user_id}/suspend", headers=h(w.admin), json=body)
    assert ok(response, status)["status"] == status
    assert ok(client.get(f"{API}/me", headers=h(w.admin)))["is_admin"] is True


def test_admin_lifts_suspension_of_unknown_user_not_found(client, w):
    assert ok(client.delete(f"{API}/admin/users/999999/suspend", headers=h(w.admin)), 404)["status"] == 404


# Concurrency (PostgreSQL)


def _post(url, user, body):
    return partial(requests.post, url, json=body, headers=auth_headers(user), timeout=30)


def _case_row(app, object_type, object_id):
    with app.app_context():
        case = db.session.scalar(select(ModerationCase).where(ModerationCase.object_type == object_type,
                                                              ModerationCase.object_id == object_id))
        return case and SimpleNamespace(flags=case.flags, status=str(case.status))


@pytest.mark.postgres
def test_user_flagging_same_content_eight_times_at_once_gets_one_flag(app, api, w):
    body = {"object_type": "challenge", "object_id": w.challenge.id, "reason": "Spam"}
    responses = race(*(_post(f"{api}/flags", w.alice, body) for _ in range(8)))
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Flag)) == 1
    assert _case_row(app, "challenge", w.challenge.id).flags == 1


@pytest.mark.postgres
def test_users_flagging_same_content_at_once_each_counted(app, api, w):
    body = {"object_type": "challenge", "object_id": w.challenge.id, "reason": "Spam"}
    calls = [_post(f"{api}/flags", make_user(), body) for _ in range(8)]
    with app.app_context(), db.engine.connect() as gate, ThreadPoolExecutor(max_workers=8) as pool:
        gate.execute(sql("LOCK TABLE moderation_case IN EXCLUSIVE MODE"))  # hold every request at its case lookup
        futures = [pool.submit(call) for call in calls]
        deadline = time.monotonic() + 10
        while gate.scalar(sql("SELECT count(*) FROM pg_locks WHERE NOT granted "
                               "AND relation = 'moderation_case'::regclass")) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        gate.rollback()  # all eight go on together
        responses = [future.result() for future in futures]
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert _case_row(app, "challenge", w.challenge.id).flags == 8


@pytest.mark.postgres
@pytest.mark.parametrize("decisions, final, received", [(("approve", "approve"), "visible", 1),
                                                         (("approve", "hide"), "hidden", None)])
def test_two_admins_deciding_same_case_at_once_leave_one_state(app, api, client, w, decisions, final, received):
    _, object_id = post(client, w, "submission", SPAM["phrases-en"][0])
    url = f"{api}/admin/moderation/submission/{object_id}"
    responses = race(*(_post(url, admin, {"decision": d}) for admin, d in zip((w.admin, w.admin2), decisions)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409} and 200 in statuses, [r.text for r in responses]
    assert seen(client, w, "submission", object_id, w.admin) == final
    assert _case_row(app, "submission", object_id).status == "closed"
    assert len([e for e in audit(client, w) if e["action"].startswith("moderation.")]) == statuses.count(200)
    if received is not None:  # approved twice, announced once
        assert len(events(app, "submission.received")) == received
