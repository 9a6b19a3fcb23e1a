"""gunicorn's logger in JSON: its own lines, and one access line per request with the request's id and user."""
from gunicorn.glogging import Logger

from challenges.telemetry import logs, request_ids


class JsonLogger(Logger):
    """gunicorn's logger, writing one JSON object per line (LOG_FORMAT=json)."""

    def setup(self, cfg):
        """gunicorn's handlers, with the JSON formatter."""
        super().setup(cfg)
        for handler in self.error_log.handlers + self.access_log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(logs.json_formatter())

    def access(self, resp, req, environ, request_time):
        """The access line: request id, method, path, status, duration in seconds and the user's id."""
        if not self.access_log_enabled:
            return
        code = str(resp.status or "").split(None, 1)[:1]  # "200 OK", or 200
        status = int(code[0]) if code and code[0].isdigit() else None
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        self.access_log.info("%s %s %s", method, path, status, extra={
            "request_id": request_ids.of(environ), "method": method, "path": path, "status": status,
            "duration": round(request_time.total_seconds(), 6), "user_id": environ.get(logs.USER_ID),
            "remote_addr": environ.get("REMOTE_ADDR")})
