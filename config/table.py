"""The configuration reference (docs/configuration.md), written from the declarations in config.settings."""
from config.settings import BY_NAME, GROUPS, SETTINGS, Setting

COMMAND = ".venv/bin/python -m config --markdown > docs/configuration.md"
INTRO = f"""# Configuration

<!-- Written by `{COMMAND}` from config/settings.py: edit the declarations there, not this file. -->

Every setting comes from an environment variable; the defaults suit a laptop. An empty variable means its
default, except where the table says what empty means. A variable the service cannot use stops it before it
serves anything: `flask --app wsgi ...`, gunicorn and `make run` print one line per such variable, naming it and
what it accepts, and exit with status 2 (gunicorn started without `--config config/gunicorn.py` stops at its
first worker, with gunicorn's status 4, "App failed to load"), e.g.

```
{BY_NAME["TOKEN_TTL"].problem("abc")}
{BY_NAME["RATELIMIT_DEFAULT"].problem("600/minuet")}
```

With `CHALLENGES_ENV=production` the service also refuses to start without `DATABASE_URL` (SQLite in
`instance/` is a development default) and without a `SECRET_KEY` of at least 32 characters.
`.venv/bin/python -m config --check` checks the current environment the same way without starting anything.
"""


HEADER = "| variable | default | accepts | meaning |\n|---|---|---|---|"


def _default(setting: Setting) -> str:
    shown = setting.shown or ("unset" if setting.default is None else f"`{setting.default}`")
    return shown if setting.production is None else f"{shown} (production: `{setting.production}`)"


def _row(setting: Setting) -> str:
    cells = (f"`{setting.name}`", _default(setting), setting.parse.accepts, setting.meaning)
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def markdown() -> str:
    """The whole of docs/configuration.md."""
    parts = [INTRO]
    for group in GROUPS:
        parts.append(f"\n## {group[0].upper() + group[1:]}\n\n{HEADER}")
        parts.extend(_row(setting) for setting in SETTINGS if setting.group == group)
    return "\n".join(parts) + "\n"
