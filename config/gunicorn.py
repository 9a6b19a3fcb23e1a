"""Gunicorn settings from the environment."""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Threads, noting when a waiting connection's request has arrived whole: deadlines are judged by that moment.
worker_class = "challenges.arrival.ArrivalWorker"
accesslog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The control socket's default path is shared by every instance on a host: off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
# Hide the server's name and version in responses.
import gunicorn  # noqa: E402

gunicorn.SERVER = "challenges"
