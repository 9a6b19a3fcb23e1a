"""Headers every response carries."""
from flask import Response


def add_security_headers(response: Response) -> Response:
    """No sniffing, no framing, no server name."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if response.mimetype in ("application/json", "application/problem+json"):
        response.headers["Cache-Control"] = response.headers.get("Cache-Control", "no-store")
    return response
