"""Gunicorn settings from the environment."""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
accesslog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Hide the server's name and version in responses.
import gunicorn  # noqa: E402

gunicorn.SERVER = "challenges"
