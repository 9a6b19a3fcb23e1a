"""Parsers of environment values: each turns the text of a variable into a value, or says what it accepts."""
import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit


class Invalid(ValueError):
    """The text is not a value the parser accepts."""


def _bounds(minimum: float | None, maximum: float | None, above: float | None) -> str:
    if above is not None:
        return f", more than {above:g}"
    if minimum is not None and maximum is not None:
        return f" from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f", at least {minimum:g}"
    return ""


@dataclass(frozen=True)
class Integer:
    """A whole number, in a unit, within bounds."""

    unit: str = ""
    minimum: int | None = 0
    maximum: int | None = None

    @property
    def accepts(self) -> str:
        return f"a whole number{' of ' + self.unit if self.unit else ''}{_bounds(self.minimum, self.maximum, None)}"

    def __call__(self, raw: str) -> int:
        text = raw.strip()
        if not re.fullmatch(r"[+-]?[0-9]+", text):  # int() would also take "1_000" and other scripts' digits
            raise Invalid
        value = int(text)
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise Invalid
        return value


@dataclass(frozen=True)
class Number:
    """A decimal number, in a unit, within bounds."""

    unit: str = ""
    minimum: float | None = 0
    above: float | None = None

    @property
    def accepts(self) -> str:
        return f"a number{' of ' + self.unit if self.unit else ''}{_bounds(self.minimum, None, self.above)}"

    def __call__(self, raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise Invalid from None
        if not math.isfinite(value) or (self.minimum is not None and value < self.minimum) \
                or (self.above is not None and value <= self.above):
            raise Invalid
        return value


@dataclass(frozen=True)
class Switch:
    """On (1) or off (0)."""

    accepts = "`0` or `1`"

    def __call__(self, raw: str) -> bool:
        text = raw.strip()
        if text not in ("0", "1"):
            raise Invalid
        return text == "1"


@dataclass(frozen=True)
class Choice:
    """One of a few words, compared without regard to case."""

    options: tuple[str, ...]
    upper: bool = False

    @property
    def accepts(self) -> str:
        return "one of " + ", ".join(f"`{option}`" for option in self.options)

    def __call__(self, raw: str) -> str:
        text = raw.strip().upper() if self.upper else raw.strip().lower()
        if text not in self.options:
            raise Invalid
        return text


@dataclass(frozen=True)
class Text:
    """Any text, or text of a shape a pattern describes."""

    accepts: str = "any text"
    pattern: str | None = None

    def __call__(self, raw: str) -> str:
        if self.pattern is not None and not re.fullmatch(self.pattern, raw.strip()):
            raise Invalid
        return raw if self.pattern is None else raw.strip()


@dataclass(frozen=True)
class Names:
    """A comma-separated list; each item known (choices) or of a shape (pattern); as a list or as joined text."""

    accepts: str
    choices: frozenset[str] | None = None
    pattern: str | None = None
    as_text: bool = False

    def __call__(self, raw: str) -> list[str] | str:
        items = [item.strip() for item in raw.split(",") if item.strip()]
        if self.choices is not None:
            items = [item.lower() for item in items]
        for item in items:
            if (self.choices is not None and item not in self.choices) or \
                    (self.pattern is not None and not re.fullmatch(self.pattern, item)):
                raise Invalid
        return ",".join(items) if self.as_text else items


@dataclass(frozen=True)
class Rate:
    """A Flask-Limiter rate ("600/minute", "5/15 minutes"); several joined by ";" where `many` allows."""

    many: bool = True

    @property
    def accepts(self) -> str:
        if self.many:
            return "a rate such as `600/minute` or `5/15 minutes`, or several separated by semicolons"
        return "one rate such as `20/hour` or `5/15 minutes`"

    def __call__(self, raw: str) -> str:
        from limits import parse_many  # the parser Flask-Limiter itself uses, so what passes here passes there

        text = raw.strip()
        try:
            rates = parse_many(text)
        except ValueError:
            raise Invalid from None
        if not rates or (len(rates) > 1 and not self.many):
            raise Invalid
        return text


@dataclass(frozen=True)
class Url:
    """A URL with one of some schemes; `hosted` schemes need a host."""

    schemes: tuple[str, ...]
    hosted: tuple[str, ...] = ()

    @property
    def accepts(self) -> str:
        names = [f"`{scheme}://`" for scheme in self.schemes]
        return "a URL starting " + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0])

    def __call__(self, raw: str) -> str:
        text = raw.strip()
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 (reading it checks it: a port that is not a number raises)
        except ValueError:
            raise Invalid from None
        scheme = parts.scheme.lower()
        if "://" not in text or scheme not in self.schemes or (scheme in self.hosted and not parts.hostname):
            raise Invalid
        return text


def masked(raw: str) -> str:
    """The text to quote back in an error: a password inside a URL replaced, and at most 80 characters."""
    text = re.sub(r"(://[^:/@\s]*):[^@\s]*@", r"\1:***@", raw)
    return repr(text if len(text) <= 80 else text[:77] + "...")
