# The production image: gunicorn serves wsgi:app; the same image runs the worker, the migrations and the backups.
# This repository's checks cannot build it (no container runtime where they run): see docs/deploy.md.
# Debian bookworm ships the PostgreSQL 15 client tools, the server's version, for `flask backup` and `restore`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CHALLENGES_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000

RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY wsgi.py ./
COPY config/ config/
COPY challenges/ challenges/
# The French catalogue, compiled as `make install` does (the .mo files are not in the repository).
RUN pybabel compile -d challenges/translations

# No secret is baked in: SECRET_KEY, DATABASE_URL and the rest come from the environment at run time.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin challenges \
    && mkdir -p /app/instance /backups \
    && chown challenges /app/instance /backups
USER challenges

EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "wsgi:app"]
