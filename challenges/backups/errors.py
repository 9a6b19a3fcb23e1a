"""The one error of backups and restores, a sentence for the operator on one line; and how a database is named."""
from sqlalchemy import URL


class BackupError(Exception):
    """A backup or a restore refused, or failed."""


def where(url: URL) -> str:
    """The database's address as an operator knows it, without its password."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
