"""`python -m config --markdown` prints docs/configuration.md; `python -m config --check` checks the environment."""
import argparse

from config import ConfigError, from_environment, refuse
from config.table import markdown


def main() -> None:
    """Print the configuration reference, or check the environment as the service would at start."""
    parser = argparse.ArgumentParser(prog="python -m config", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--markdown", action="store_true", help="print the table of every variable")
    action.add_argument("--check", action="store_true", help="check the environment; exit 2 when it is unusable")
    if parser.parse_args().markdown:
        print(markdown(), end="")
        return
    try:
        settings = from_environment()
    except ConfigError as error:
        refuse(error)
    print(f"The environment is usable ({settings.__name__}).")


if __name__ == "__main__":
    main()
