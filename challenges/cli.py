"""Command-line tasks: create-admin and seed-demo."""
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

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
    user = accounts.make_admin(email, password, display_name)
    click.echo(f"Platform admin {user.email} (id {user.id}) is ready.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo data (idempotent) and print the demo logins."""
    from challenges.demo import seed

    for line in seed():
        click.echo(line)


def register_commands(app: Flask) -> None:
    """Attach the commands to the app's CLI."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
