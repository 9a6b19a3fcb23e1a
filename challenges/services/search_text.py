"""Challenge search: the folded text kept in `search_text`, and the condition a query `q` adds to a list.

Text is folded in Python, the same way for what is stored and for what is asked, so that "prevision" finds
"Prévision" on every database. PostgreSQL adds full-text matching by word stem, in English and in French, over
the same folded text (migration 0019: the `challenges_en` and `challenges_fr` configurations, the `search_words`
column that a trigger keeps, and its `ix_challenge_words` index); SQLite matches folded substrings only.
"""
import unicodedata

from sqlalchemy import literal_column, or_
from sqlalchemy.sql import ColumnElement, func

from challenges.models import Challenge

CONFIGURATIONS = ("challenges_en", "challenges_fr")  # migration 0019's, also in the challenge_search_words trigger

# Letters that Unicode does not decompose into a base letter and a mark, but that readers take for plain ones.
LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th",
                         "ı": "i", "ħ": "h"})


def fold(text: str) -> str:
    """Lower case without accents or ligatures: 'Œuvre Prévisée' -> 'oeuvre previsee'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(LETTERS)


def document(title: str, summary: str | None, tags, description: str | None) -> str:
    """What a challenge is searched by: its title, summary, tags and description, folded."""
    return _words(" ".join([title, summary or "", *tags, description or ""]))


def _words(text: str) -> str:
    """Folded, with every run of spaces and line breaks made one space (alike in the text and in `q`)."""
    return " ".join(fold(text).split())


def matching(q: str, dialect: str) -> ColumnElement[bool] | None:
    """The condition selecting challenges that match `q`; None when `q` holds nothing to look for."""
    folded = _words(q)
    if not folded:
        return None
    substring = Challenge.search_text.contains(folded, autoescape=True)  # the trigram index on PostgreSQL
    if dialect != "postgresql":
        return substring
    return or_(substring, Challenge.search_words.op("@@")(_query(folded)))  # the ix_challenge_words index


def _query(folded: str) -> ColumnElement:
    """Every word of `q` by its stem, in English or in French. Plain words only: no operators, so that no query
    (a lone negation, say) needs every row read."""
    english, french = (func.plainto_tsquery(_config(name), folded) for name in CONFIGURATIONS)
    return english.op("||")(french)


def _config(name: str) -> ColumnElement:
    """A text search configuration by name, written in the statement (a constant the planner can fold)."""
    return literal_column(f"'{name}'::regconfig")
