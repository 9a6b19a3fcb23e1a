"""Readiness: can we reach the database?"""
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from challenges.errors import Unavailable
from challenges.extensions import db


def check_database() -> None:
    """Raise Unavailable unless a trivial query succeeds."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise Unavailable("The database is not reachable.") from None
