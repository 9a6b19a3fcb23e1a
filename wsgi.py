"""WSGI entry point: gunicorn serves `wsgi:app`; `flask --app wsgi` runs the commands."""
import sys

from challenges import create_app
from config import ConfigError, refuse

APP_LOAD_ERROR = 4  # gunicorn stops when a worker exits with it; after any other status it starts the worker again

try:
    app = create_app()
except ConfigError as error:
    # Under config/gunicorn.py the settings were checked before any worker started; this is gunicorn without it.
    refuse(error, APP_LOAD_ERROR if "gunicorn.arbiter" in sys.modules else None)
