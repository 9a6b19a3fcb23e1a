"""Searching challenges with `q`: folded accents and ligatures, the description, and word stems on PostgreSQL."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from challenges.extensions import db
from challenges.models import Challenge
from challenges.services.search_text import fold
from tests.factories import auth_headers, make_challenge, make_organisation, make_user

API = "/api/v1/challenges"


@pytest.fixture
def owner(time_machine):
    return make_user()


@pytest.fixture
def org(owner):
    return make_organisation(owner)


def found(client, headers=None, **params) -> list[int]:
    """The ids a list answers with, after checking it answered 200."""
    response = client.get(API, headers=headers, query_string={"limit": 100} | params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(item["id"] for item in response.json["items"])


def search_text_of(app, challenge_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(Challenge.search_text).where(Challenge.id == challenge_id))


@pytest.mark.parametrize("text, folded", [
    ("Prévision des CRUES", "prevision des crues"), ("Œuvre, cœur", "oeuvre, coeur"), ("Straße", "strasse"),
    ("Ærø", "aero"), ("ﬁshing Łódź", "fishing lodz"), ("naïve café", "naive cafe"), ("100% _x_", "100% _x_"),
])
def test_service_folds_case_accents_and_ligatures(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize("title, q", [
    ("Prévision des crues", "prevision"), ("Prévision des crues", "PRÉVISION"), ("Prevision des crues", "prévision"),
    ("Prévision des crues", "previ"), ("Chef-d'œuvre hydraulique", "oeuvre"), ("Oeuvre hydraulique", "Œuvre"),
    ("Große Flüsse", "grosse flusse"), ("Große   Flüsse", " GROSSE flüsse "),
])
def test_anonymous_searches_across_accents_finds_challenge(client, org, title, q):
    wanted = make_challenge(org, title=title, tags=()).id
    make_challenge(org, title="Unrelated", tags=())
    assert found(client, q=q) == [wanted]


def test_anonymous_searches_description_finds_challenge_without_showing_it(client, org):
    wanted = make_challenge(org, title="Gauges", description="Readings from the Rhône at Lyon.", tags=()).id
    make_challenge(org, title="Rhine", description="Readings from Basel.", tags=())
    response = client.get(API, query_string={"q": "rhone at lyon"})
    assert response.status_code == 200
    assert [item["id"] for item in response.json["items"]] == [wanted]
    assert "description" not in response.json["items"][0]


def test_anonymous_searches_tag_and_summary_finds_challenge(client, org):
    tagged = make_challenge(org, title="A", summary="Débit des rivières", tags=("hydrologie",)).id
    assert found(client, q="hydrolog") == [tagged]
    assert found(client, q="debit des rivieres") == [tagged]


@pytest.mark.parametrize("title, q", [
    ("Prévision des crues", "prévisions"), ("Modèles hydrologiques", "modele hydrologique"),  # French
    ("Flood forecast", "forecasting"), ("Flood forecasts", "flooding forecast"),  # English
])
def test_anonymous_searches_word_by_stem_finds_challenge_on_postgresql(client, postgres, org, title, q):
    wanted = make_challenge(org, title=title, tags=()).id
    make_challenge(org, title="Unrelated", tags=())
    assert found(client, q=q) == [wanted]


def test_anonymous_searches_words_all_needed_on_postgresql(client, postgres, org):
    make_challenge(org, title="Flood forecasts", tags=())
    assert found(client, q="forecasting drought") == []


def test_anonymous_searches_word_by_stem_not_found_on_sqlite(app, client, org):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL matches word stems too")
    make_challenge(org, title="Flood forecast", tags=())
    assert found(client, q="forecasting") == []


def test_owner_patches_draft_text_search_follows(app, client, owner, org):
    draft = make_challenge(org, phase="draft", title="Prévision", description="Old brief", tags=())
    response = client.patch(f"{API}/{draft.id}", headers=auth_headers(owner),
                            json={"description": "Étiage estival", "tags": ["Sécheresse"]})
    assert response.status_code == 200 and response.json["description"] == "Étiage estival"
    assert search_text_of(app, draft.id) == "prevision a precise problem secheresse etiage estival"
    assert found(client, auth_headers(owner), phase="draft", q="etiage") == [draft.id]
    assert found(client, auth_headers(owner), phase="draft", q="old brief") == []


@pytest.mark.parametrize("changes, q, gone", [
    ({"title": "Qualité de l'eau"}, "qualite de l'eau", "challenge"),
    ({"summary": "Nitrates à la source"}, "nitrates a la", "precise problem"),
    ({"description": "Données ouvertes"}, "donnees", "details"),
    ({"tags": ["éco"]}, "eco", "hydrology"),
])
def test_owner_amends_published_text_search_follows(client, owner, org, changes, q, gone):
    challenge = make_challenge(org, phase="open", tags=("hydrology",))
    response = client.patch(f"{API}/{challenge.id}", headers=auth_headers(owner), json=changes)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert found(client, q=q) == [challenge.id]
    assert found(client, q=gone) == []


def test_anonymous_searches_too_long_query_unprocessable(client):
    response = client.get(API, query_string={"q": "x" * 201})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 422 and "q" in response.json["errors"]


@pytest.mark.parametrize("q", ["!!!", "-", "&|!()", "'", '"', "\\", ":*", "a & b | !c", "the", "le la les"])
def test_anonymous_searches_punctuation_or_stop_words_ok(client, org, q):
    make_challenge(org, title="Plain", tags=())
    response = client.get(API, query_string={"q": q})
    assert response.status_code == 200
    assert response.json == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("q", ["", "   ", "\u0301"])  # a lone combining accent folds to nothing
def test_anonymous_searches_nothing_lists_everything(client, org, q):
    every = sorted(make_challenge(org, title=title, tags=()).id for title in ("One", "Two"))
    assert found(client, q=q) == every


def test_anonymous_searches_with_phase_tag_and_cursor_pages_through_matches(client, org):
    open_ones = [make_challenge(org, title=f"Crue n° {n}", tags=("eau",)).id for n in range(3)]
    make_challenge(org, title="Crue à venir", phase="upcoming", tags=("eau",))
    make_challenge(org, title="Crue sans tag", tags=("air",))
    make_challenge(org, title="Sécheresse", tags=("eau",))
    seen, cursor = [], None
    for expected_size, last in ((2, False), (1, True)):
        params = {"q": "CRUE", "phase": "open", "tag": "eau", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(API, query_string=params)
        assert page.status_code == 200 and len(page.json["items"]) == expected_size
        assert (page.json["next_cursor"] is None) == last
        seen += [item["id"] for item in page.json["items"]]
        cursor = page.json["next_cursor"]
    assert seen == sorted(open_ones, reverse=True)


def test_upgrade_folds_search_text_of_existing_challenges(app, client, org):
    wanted = make_challenge(org, title="Prévision", description="Étiage", tags=("Hydrologie",)).id
    with app.app_context():
        downgrade(revision="0018")
    assert search_text_of(app, wanted) == "prévision a precise problem hydrologie"
    with app.app_context():
        upgrade()
    assert search_text_of(app, wanted) == "prevision a precise problem hydrologie etiage"
    assert found(client, q="etiage") == [wanted]
    with app.app_context():
        stems = db.engine.dialect.name == "postgresql"
    assert found(client, q="étiages") == ([wanted] if stems else [])  # search_words filled on PostgreSQL
