"""The upcoming and open lists and the judged leaderboard walk small indexes: the relay keeps the challenges'
opening_ahead and deadline_ahead hints, the lists stay right whether or not it has run, and PostgreSQL's plans use
those indexes."""
from sqlalchemy import event, select

from challenges.extensions import db
from challenges.models import Challenge
from tests.factories import auth_headers, make_challenge, make_organisation, make_submission, make_user

API = "/api/v1"


def _titles(client, phase: str) -> list[str]:
    response = client.get(f"{API}/challenges", query_string={"phase": phase})
    assert response.status_code == 200, response.json
    return [item["title"] for item in response.json["items"]]


def _paged_titles(client, phase: str) -> list[str]:
    """A phase's list read one item per page, following the cursors."""
    titles, cursor = [], None
    for _ in range(10):
        response = client.get(f"{API}/challenges", query_string={"phase": phase, "limit": 1} | (
            {"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.json
        titles += [item["title"] for item in response.json["items"]]
        if not (cursor := response.json["next_cursor"]):
            return titles
    raise AssertionError("the list did not end")


def _hints(app) -> dict[str, tuple[bool, bool]]:
    """Each challenge's (opening_ahead, deadline_ahead), by title."""
    with app.app_context():
        rows = db.session.execute(select(Challenge.title, Challenge.opening_ahead, Challenge.deadline_ahead))
        return {title: (opening, deadline) for title, opening, deadline in rows}


def _relay(app) -> None:
    result = app.test_cli_runner().invoke(args=["relay"])
    assert result.exit_code == 0, result.output


def test_relay_notes_passed_deadlines_and_the_phase_lists_stay_right_before_and_after(app, client, time_machine):
    organisation = make_organisation(make_user())
    for phase in ("upcoming", "open", "closed", "draft"):
        make_challenge(organisation, phase=phase, title=phase)
    lists = {phase: [phase] for phase in ("upcoming", "open", "closed")}
    assert {phase: _titles(client, phase) for phase in lists} == lists  # the hint, never set, changes nothing
    _relay(app)
    assert _hints(app) == {"upcoming": (True, True), "open": (False, True), "closed": (False, False),
                           "draft": (True, True)}
    assert {phase: _titles(client, phase) for phase in lists} == lists

    time_machine.travel(days=7, hours=1)  # past the open challenge's deadline, before any relay
    assert (_titles(client, "open"), _titles(client, "closed")) == (["upcoming"], ["closed", "open"])
    assert _paged_titles(client, "closed") == ["closed", "open"]  # one seen closed by the relay, one not yet
    _relay(app)
    assert _hints(app) == {"upcoming": (False, True), "open": (False, False), "closed": (False, False),
                           "draft": (True, True)}
    assert (_titles(client, "open"), _titles(client, "closed")) == (["upcoming"], ["closed", "open"])


def _plans(app, send) -> list[str]:
    """The statements send() made, each with PostgreSQL's plan for it when sequential scans are too dear."""
    sent = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, parameters, *args: sent.append((statement, parameters))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        send()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    plans = []
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for statement, parameters in sent:
            if statement.lstrip().upper().startswith("SELECT"):
                rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
                plans.append(statement + "\n" + "\n".join(row[0] for row in rows))
    return plans


def _many_closed(app, template_id: int, count: int) -> None:
    """count copies of a closed challenge, as the relay leaves them, and fresh statistics for the planner."""
    hints = ("deadline_ahead", "opening_ahead")
    names = ", ".join(c.name for c in Challenge.__table__.columns if c.name not in ("id", *hints))
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql(
            f"INSERT INTO challenge ({names}, {', '.join(hints)}) SELECT {names}, false, false "
            f"FROM challenge, generate_series(1, {count}) WHERE id = {template_id}")
        connection.exec_driver_sql("ANALYZE challenge")


def test_phase_lists_walk_the_indexes_of_their_hints(postgres, client):
    organisation = make_organisation(make_user())
    make_challenge(organisation, phase="open")
    _many_closed(postgres, make_challenge(organisation, phase="closed").id, 2000)
    for phase, sort, rows in [("open", "-created_at", "ahead"), ("upcoming", "-prize_total", "unopened")]:
        plans = _plans(postgres, lambda: client.get(f"{API}/challenges", query_string={"phase": phase, "sort": sort}))
        listing = [plan for plan in plans if "FROM challenge" in plan and "ORDER BY challenge." in plan]
        # The hint's own index, or the range after now of the index on the moment itself (as small): never a walk
        # of every challenge.
        walks = [f"ix_challenge_{rows}_", "ix_challenge_closes " if rows == "ahead" else "ix_challenge_opens "]
        assert any(f"using {index}" in listing[0] for index in walks) and "Seq Scan" not in listing[0], plans
        hint = {"ahead": "challenge.deadline_ahead", "unopened": "challenge.opening_ahead"}[rows]
        assert f"challenge.status = 'published' AND {hint}" in listing[0]  # in literals: no parameter in it


def test_judged_leaderboard_walks_its_index(postgres, client):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner), phase="closed")
    make_submission(challenge, make_user())
    plans = _plans(postgres, lambda: client.get(f"{API}/challenges/{challenge.id}/leaderboard",
                                                headers=auth_headers(owner)))
    ranking = [plan for plan in plans if "FROM submission" in plan and "ORDER BY submission." in plan]
    assert len(ranking) == 1 and "ix_submission_judged_order" in ranking[0], plans
    assert "submission.status = 'submitted' AND submission.moderation = 'visible'" in ranking[0]
