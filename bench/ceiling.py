"""The ceiling: a bare Flask app under the same gunicorn settings, to compare the service's throughput with."""
from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping():
    """The cheapest JSON answer Flask can give."""
    return {"ok": True}
