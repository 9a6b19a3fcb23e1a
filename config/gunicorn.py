"""Gunicorn settings from the environment, checked before anything starts."""
import glob
import os

from config import ENVIRONMENT, ROOT, ConfigError, from_environment, refuse

# gunicorn reads this file before it loads the application: an unusable variable stops it here, one line each,
# instead of a traceback in every worker.
try:
    settings = from_environment()
except ConfigError as error:
    refuse(error)

bind = f"{ENVIRONMENT['HOST']}:{ENVIRONMENT['PORT']}"
workers = ENVIRONMENT["WEB_CONCURRENCY"]
threads = ENVIRONMENT["GUNICORN_THREADS"]
# Threads, noting when a waiting connection's request has arrived whole: deadlines are judged by that moment.
worker_class = "challenges.arrival.ArrivalWorker"
accesslog = "-"
loglevel = ENVIRONMENT["LOG_LEVEL"].lower()
# Log lines as the application writes them: JSON objects with LOG_FORMAT=json (production's default), else text
# whose access lines end with the request's id and the time taken.
if settings.LOG_FORMAT == "json":
    logger_class = "challenges.telemetry.gunicorn_logs.JsonLogger"
else:
    access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
# The control socket's default path is shared by every instance on a host: off unless a path is given.
control_socket = ENVIRONMENT["GUNICORN_CONTROL_SOCKET"]
control_socket_disable = not control_socket
# Prometheus metrics of every worker are added up from files in this folder; set before any worker imports
# prometheus_client, which reads it once. A worker (`flask worker`) given the same folder adds its counts too.
if ENVIRONMENT["PROMETHEUS_MULTIPROC_DIR"] is None:  # unset or empty
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(ROOT / "instance" / "prometheus")
try:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
except OSError as error:
    refuse(ConfigError([f"PROMETHEUS_MULTIPROC_DIR: expected a folder gunicorn can create, got "
                        f"{os.environ['PROMETHEUS_MULTIPROC_DIR']!r} ({error.strerror})"]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        pass
    return True


def on_starting(server):
    """Drop the metrics files of processes gone since an earlier run; a running worker's stay."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        pid = os.path.basename(path).rsplit("_", 1)[-1].removesuffix(".db")
        if not pid.isdigit() or not _alive(int(pid)):
            os.remove(path)


def child_exit(server, worker):
    """A worker that exits no longer counts in the gauges of live processes."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# Hide the server's name and version in responses.
import gunicorn  # noqa: E402

gunicorn.SERVER = "challenges"
