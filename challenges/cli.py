"""Command-line tasks: create-admin, seed-demo, worker, score-pending, relay, sweep-storage, backup and restore."""
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from challenges.errors import Conflict
from challenges.services import accounts


@click.command("create-admin")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default="Platform admin", show_default=True)
@with_appcontext
def create_admin(email: str, password_stdin: bool, display_name: str) -> None:
    """Create a platform admin (or promote an existing account)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.UsageError("The password needs at least 10 characters.")
    try:
        user = accounts.make_admin(email, password, display_name)
    except Conflict as refusal:
        raise click.ClickException(refusal.detail) from None
    click.echo(f"Platform admin {user.email} (id {user.id}) is ready.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo data (idempotent) and print the demo logins; refused in production."""
    from flask import current_app

    from challenges.demo import seed

    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo data is for development only: production never carries demo accounts.")
    for line in seed():
        click.echo(line)


def register_commands(app: Flask) -> None:
    """Attach the commands to the app's CLI."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(score_pending)
    app.cli.add_command(relay)
    app.cli.add_command(sweep_storage)
    app.cli.add_command(backup)
    app.cli.add_command(restore)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run background jobs (scoring) from Redis; needs REDIS_URL. With WORKER_METRICS_PORT, serves its metrics."""
    from flask import current_app

    from challenges import jobs
    from challenges.services import outbox
    from challenges.telemetry import worker_metrics

    config = current_app.config
    if not config.get("REDIS_URL"):
        raise click.UsageError("Set REDIS_URL: without it, jobs run inside the web process.")
    try:
        with worker_metrics.serving(config["WORKER_METRICS_PORT"], config["WORKER_METRICS_ADDRESS"],
                                    config["METRICS_TOKEN"]):
            _queue_pending(timedelta(minutes=10))  # jobs lost while no worker ran (scoring twice is harmless)
            jobs.enqueue(outbox.relay)  # deliveries, reminders and emails that came due while no worker ran
            jobs.work(burst=burst)
    except worker_metrics.Unservable as refusal:  # raised only as the server starts, before any job
        raise click.ClickException(str(refusal)) from None


@click.command("score-pending")
@click.option("--older-than", default=600, show_default=True, help="Seconds a submission has waited.")
@with_appcontext
def score_pending(older_than: int) -> None:
    """Queue again the scoring of submissions still pending (after a lost job, say)."""
    _queue_pending(timedelta(seconds=older_than))


def _queue_pending(older_than: timedelta) -> None:
    from challenges import jobs
    from challenges.services import scoring

    ids = scoring.pending_ids(older_than)
    for submission_id in ids:
        jobs.enqueue(scoring.evaluate, submission_id)
    click.echo(f"{len(ids)} submission(s) queued for scoring.")


@click.command("relay")
@with_appcontext
def relay() -> None:
    """Send what is due now: webhook deliveries, deadline reminders and emails (run it from cron, say)."""
    from challenges.services import outbox

    outbox.relay()
    click.echo("Relayed what was due.")


@click.command("sweep-storage")
@with_appcontext
def sweep_storage() -> None:
    """Delete the stored files that no attachment, answer key or prediction names any more."""
    from challenges.services import attachments

    click.echo(f"{attachments.sweep_store()} unreferenced file(s) deleted from the store.")


@click.command("backup")
@click.argument("archive", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--allow-missing-files", is_flag=True,
              help="Write the archive even when files the database names cannot be read from the store.")
@with_appcontext
def backup(archive: Path | None, allow_missing_files: bool) -> None:
    """Write the database and the files it names into one archive (by default challenges-backup-<time>.tar)."""
    from challenges import backups

    try:
        summary = backups.create(archive or backups.default_name(), allow_missing_files=allow_missing_files)
    except backups.BackupError as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"Backed up the database (migration {summary.revision}) and {summary.files} file(s) "
               f"({summary.bytes} bytes) to {summary.archive}.")
    if summary.missing:
        click.echo(f"Warning: {len(summary.missing)} file(s) the database names are not in the archive; "
                   "the manifest lists them.", err=True)


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore(archive: Path, force: bool) -> None:
    """Check a backup archive whole, then replace the database with it and put its files back in the store."""
    from challenges import backups

    try:
        summary = backups.restore(archive, force=force)
    except backups.BackupError as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"Restored the database (migration {summary.revision}) and {summary.files} file(s) "
               f"({summary.bytes} bytes) from {summary.archive}.")
    if summary.upgraded_to:
        click.echo(f"The database was then migrated from {summary.revision} to {summary.upgraded_to}.")
