"""Answer keys and prediction files: CSV read in chunks, checked row by row, aligned to the key."""
import csv
import hashlib
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from challenges.errors import ValidationFailed
from challenges.services.metrics import Metric

CHUNK_ROWS = 100_000
MAX_ID_LENGTH = 200
MAX_MAGNITUDE = 1e15  # labels go through int64 (float64 holds integers up to 2**53); targets stay far from overflow
SPAN_MARGIN = 1  # a regression prediction may miss the key's range by this many times its scale, on either side
MIN_EXPONENT = -300  # the rounding unit of a prediction range stays a normal float, however close the targets
SHOWN_CHARS = 40  # longer texts are cut in messages


@dataclass
class Key:
    """An answer key: sorted ids (UTF-8 bytes) and the targets aligned with them."""

    target: str
    ids: np.ndarray
    values: np.ndarray
    sha256: str
    bounds: tuple[float, float] | None = None  # the values a regression prediction may take

    @property
    def rows(self) -> int:
        """How many ids the key holds."""
        return len(self.ids)


class _LineError(ValidationFailed):
    """A problem on one line; the line number lets the earliest of several problems win."""

    def __init__(self, line: int, message: str):
        super().__init__("file", _("Line %(line)s: %(problem)s", line=line, problem=message))
        self.line = line


@dataclass
class _Chunk:
    """Consecutive rows: their ids, their value texts and their line numbers."""

    ids: list[str]
    texts: list[str]
    lines: list[int]


class _Hashing(io.RawIOBase):
    """A read-only view of a binary stream that hashes exactly the bytes read through it."""

    def __init__(self, stream: BinaryIO):
        super().__init__()
        self._stream = stream
        self.hash = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        self.hash.update(data)
        self.size += len(data)
        return len(data)


class _Csv:
    """The non-blank rows of an uploaded UTF-8 CSV file, with their line numbers."""

    def __init__(self, stream: BinaryIO):
        self._source = _Hashing(stream)
        text = io.TextIOWrapper(io.BufferedReader(self._source), encoding="utf-8-sig", newline="")
        self._reader = csv.reader(text)
        self._records = self._read()

    def sha256(self) -> str:
        """Hex SHA-256 of the bytes read so far: the whole file once the rows are exhausted."""
        return self._source.hash.hexdigest()

    def header(self) -> tuple[int, list[str]]:
        """The first non-blank row and its line."""
        record = next(self._records, None)
        if record is None:
            raise ValidationFailed("file", _("The file is empty."))
        return record

    def chunks(self) -> Iterator[_Chunk]:
        """The rows after the header, CHUNK_ROWS at a time; a malformed row ends them, after the rows above it."""
        ids, texts, lines, line, size = [], [], [], 0, CHUNK_ROWS
        for line, row in self._records:
            if len(row) != 2 or not 0 < len(row[0]) <= MAX_ID_LENGTH or "\0" in row[0]:
                if ids:
                    yield _Chunk(ids, texts, lines)  # the rows above it may hold an earlier problem
                raise _LineError(line, _row_problem(row))
            ids.append(row[0])
            texts.append(row[1])
            lines.append(line)
            if len(ids) == size:
                yield _Chunk(ids, texts, lines)
                ids, texts, lines = [], [], []
        if ids:
            yield _Chunk(ids, texts, lines)
        elif not line:
            raise ValidationFailed("file", _("The file has no rows."))

    def _read(self) -> Iterator[tuple[int, list[str]]]:
        """(line, row) for every non-blank row, with decoding and CSV errors as ValidationFailed."""
        reader = self._reader
        try:
            for row in reader:
                if row:
                    yield reader.line_num, row
        except UnicodeDecodeError:
            raise ValidationFailed("file", _("The file is not UTF-8 text.")) from None
        except csv.Error as error:
            raise _LineError(reader.line_num, _("the row is not valid CSV (%(error)s).", error=error)) from None


def _row_problem(row: list[str]) -> str:
    """Why a row cannot be an id and a value."""
    if len(row) != 2:
        return _("expected 2 columns, found %(count)s.", count=len(row))
    if not row[0]:
        return _("the id is empty.")
    if "\0" in row[0]:
        return _("the id contains a NUL character.")
    return _("the id is longer than %(count)s characters.", count=MAX_ID_LENGTH)


def _quoted(text: str) -> str:
    """A text for a message, in quotes, cut when long."""
    return f"'{text}'" if len(text) <= SHOWN_CHARS else f"'{text[:SHOWN_CHARS]}…'"


def _encode(ids: list[str]) -> np.ndarray:
    """Ids as a numpy bytes array, UTF-8 encoded (no NULs, so numpy's padding loses nothing)."""
    return np.array([id_.encode() for id_ in ids], dtype=np.bytes_)


_RULES = {  # kind -> (test of finite values, message when it fails)
    "any": (lambda v: np.abs(v) <= MAX_MAGNITUDE, _l("a target must lie between -1e15 and 1e15.")),
    "integer": (lambda v: (v == np.trunc(v)) & (np.abs(v) < MAX_MAGNITUDE), _l("a class label must be an integer.")),
    "binary": (lambda v: (v == 0) | (v == 1), _l("the label must be 0 or 1.")),
    "probability": (lambda v: (v >= 0) & (v <= 1), _l("a probability must be between 0 and 1.")),
    "score": (lambda v: np.abs(v) <= MAX_MAGNITUDE, _l("a score must lie between -1e15 and 1e15.")),
}


def _within(bounds: tuple[float, float]) -> tuple:
    """The rule of a regression prediction: inside the range derived from the key."""
    low, high = bounds
    return (lambda v: (v >= low) & (v <= high),
            _("a prediction must lie between %(low)s and %(high)s for this challenge.", low=_plain(low),
              high=_plain(high)))


def _plain(number: float) -> str:
    """A bound as a participant would type it: no exponent, no trailing zeros."""
    return np.format_float_positional(number, trim="-")


def _parse(chunk: _Chunk, rule: tuple) -> tuple[np.ndarray, _LineError | None]:
    """Float64 values of a chunk and its first value that is no number or does not pass the rule."""
    try:
        values, end = np.array(chunk.texts, dtype=np.float64), None  # calls float() per text: fast path
    except ValueError:
        end = next(i for i, text in enumerate(chunk.texts) if not _is_number(text))
        values = np.array(chunk.texts[:end], dtype=np.float64)
    test, message = rule
    misfits = np.flatnonzero(~(np.isfinite(values) & test(values)))
    if misfits.size:
        index = int(misfits[0])
        return values, _LineError(chunk.lines[index], _misfit(values[index], chunk.texts[index], message))
    if end is not None:
        return values, _LineError(chunk.lines[end], _not_a_number(chunk.texts[end]))
    return values, None


def _is_number(text: str) -> bool:
    """Whether float() accepts the text, as numpy's conversion does."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _not_a_number(text: str) -> str:
    """The message for a value float() refuses."""
    return _("the value is empty.") if not text.strip() else _("%(value)s is not a number.", value=_quoted(text))


def _misfit(value: float, text: str, message: str) -> str:
    """The message for a number its rule refuses."""
    if not math.isfinite(value):
        return _("%(value)s is not a finite number.", value=_quoted(text))
    if message is _RULES["integer"][1] and value == math.trunc(value):
        return _("a class label must be an integer of at most 15 digits.")
    return str(message)


def read_key(stream: BinaryIO, metric: Metric) -> Key:
    """Parse and check an answer key; ids come back sorted, the values permuted alike."""
    source = _Csv(stream)
    target = _key_target(*source.header())
    ids, values, lines = _sorted(*_key_rows(source, _RULES[metric.labels]))
    duplicate = _first_duplicate(ids, lines)
    if duplicate:
        raise duplicate
    bounds = prediction_range(values) if metric.predictions == "any" else None
    return Key(target, ids, values, source.sha256(), bounds)


def prediction_range(values: np.ndarray) -> tuple[float, float]:
    """The key's range widened on each side by SPAN_MARGIN times its scale (the larger of its span and its
    magnitude), rounded outward to a multiple of the scale's leading power of ten.

    Wide enough for any honest model, narrow enough that no row's error can drown the others (which would let
    crafted values read the public/private split off a score), and coarse, so that it says little about the key:
    a narrow key far from zero is not located by its range."""
    low, high = float(values.min()), float(values.max())
    scale = max(high - low, abs(low), abs(high)) or 1.0  # a key of zeros still leaves room around them
    exponent = max(math.floor(math.log10(scale)), MIN_EXPONENT)
    unit = 10.0 ** exponent
    return (float(f"{math.floor((low - SPAN_MARGIN * scale) / unit)}e{exponent}"),
            float(f"{math.ceil((high + SPAN_MARGIN * scale) / unit)}e{exponent}"))  # as exact as a typed decimal


def _key_target(line: int, header: list[str]) -> str:
    """The target name from the key's header row."""
    if len(header) != 2 or header[0] != "id" or not header[1]:
        raise _LineError(line, _("the header must be id,<target>."))
    if len(header[1]) > MAX_ID_LENGTH:
        raise _LineError(line, _("the target name is longer than %(count)s characters.", count=MAX_ID_LENGTH))
    return header[1]


def _key_rows(source: _Csv, rule: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, values and lines of every row, in file order; a problem loses to an earlier duplicate."""
    ids, values, lines = [], [], []
    try:
        for chunk in source.chunks():
            ids.append(_encode(chunk.ids))
            lines.append(np.array(chunk.lines, dtype=np.int64))
            chunk_values, problem = _parse(chunk, rule)
            if problem:
                raise problem
            values.append(chunk_values)
    except _LineError as problem:
        duplicate = ids and _first_duplicate(*_sorted(np.concatenate(ids), np.concatenate(lines)))
        raise duplicate if duplicate and duplicate.line < problem.line else problem from None
    return np.concatenate(ids), np.concatenate(values), np.concatenate(lines)


def _sorted(ids: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Ids sorted, and the arrays permuted alike; equal ids keep their file order."""
    order = np.argsort(ids, kind="stable")
    return ids[order], *(array[order] for array in arrays)


def _first_duplicate(ids: np.ndarray, lines: np.ndarray) -> _LineError | None:
    """The earliest row whose (sorted) id came before, or None."""
    again = np.flatnonzero(ids[1:] == ids[:-1]) + 1
    if not again.size:
        return None
    index = again[np.argmin(lines[again])]  # the run's second row, so index - 1 is its first
    shown = _quoted(ids[index].decode())
    return _LineError(int(lines[index]), _("id %(id)s appears again (first on line %(first)s).", id=shown,
                                            first=lines[index - 1]))


def public_mask(key: Key, fraction: float) -> np.ndarray:
    """Which rows are public: round(fraction * rows), clamped to 1..rows-1, ranked by a hash of file and id."""
    if key.rows < 2:
        raise ValidationFailed("file", _("The answer key needs at least 2 rows: one public, one private."))
    count = min(max(round(fraction * key.rows), 1), key.rows - 1)
    mask = np.zeros(key.rows, dtype=bool)
    mask[np.argsort(_ranks(key), kind="stable")[:count]] = True
    return mask


def _ranks(key: Key) -> np.ndarray:
    """Per row, the first 8 bytes of sha256(key.sha256 + ":" + id) as an unsigned integer."""
    prefix = hashlib.sha256(f"{key.sha256}:".encode())
    digests = bytearray()
    for start in range(0, key.rows, CHUNK_ROWS):  # a chunk of ids at a time: a million bytes objects weigh 50 MB
        for id_ in key.ids[start:start + CHUNK_ROWS].tolist():
            row_hash = prefix.copy()
            row_hash.update(id_)
            digests += row_hash.digest()[:8]
    return np.frombuffer(bytes(digests), dtype=">u8")


def check_split(key: Key, mask: np.ndarray, metric: Metric) -> None:
    """Refuse a split that leaves the metric undefined on the public or the private part."""
    if not metric.needs_both_classes:
        return
    for part in (key.values[mask], key.values[~mask]):
        if not ((part == 0).any() and (part == 1).any()):
            raise ValidationFailed("file", _("The public and the private part each need both classes for "
                                             "%(metric)s; add rows of the missing class.", metric=metric.name))


def read_predictions(stream: BinaryIO, key: Key, metric: Metric) -> tuple[np.ndarray, str]:
    """Parse and check a prediction for every id of the key: values aligned with key.ids, and the file's hash."""
    source = _Csv(stream)
    line, header = source.header()
    if header != ["id", key.target]:
        raise _LineError(line, _("the header must be id,%(target)s.", target=key.target))
    rule = _within(key.bounds) if metric.predictions == "any" and key.bounds else _RULES[metric.predictions]
    values = np.full(key.rows, np.nan)
    seen = np.zeros(key.rows, dtype=np.int64)  # per key id, the line of its first row; 0 while unseen
    for chunk in source.chunks():
        positions, chunk_values = _align(chunk, key, seen, rule)
        values[positions] = chunk_values
    _check_complete(key, seen)
    return values, source.sha256()


def _align(chunk: _Chunk, key: Key, seen: np.ndarray, rule: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Key positions and values of a chunk's rows, marking them seen; raises the chunk's earliest problem."""
    ids, lines = _encode(chunk.ids), np.array(chunk.lines, dtype=np.int64)
    positions = np.minimum(np.searchsorted(key.ids, ids), key.rows - 1)
    known = key.ids[positions] == ids
    _mark_seen(seen, positions[known], lines[known])
    wrong = ~known
    wrong[known] = seen[positions[known]] != lines[known]  # not the id's first row
    values, problem = _parse(chunk, rule)
    if wrong.any():
        index = int(np.argmax(wrong))
        if not problem or lines[index] < problem.line:
            problem = _id_problem(chunk.ids[index], int(lines[index]), known[index], seen[positions[index]])
    if problem:
        raise problem
    return positions, values


def _mark_seen(seen: np.ndarray, positions: np.ndarray, lines: np.ndarray) -> None:
    """Record the line of each position's first row, unless an earlier chunk did."""
    unique, first = np.unique(positions, return_index=True)
    fresh = seen[unique] == 0
    seen[unique[fresh]] = lines[first[fresh]]


def _id_problem(id_: str, line: int, known: bool, first_line: int) -> _LineError:
    """An unknown or a repeated id."""
    if not known:
        return _LineError(line, _("id %(id)s is not in the answer key.", id=_quoted(id_)))
    return _LineError(line, _("id %(id)s appears again (first on line %(first)s).", id=_quoted(id_), first=first_line))


def _check_complete(key: Key, seen: np.ndarray) -> None:
    """Refuse predictions that leave ids of the key out."""
    missing = np.flatnonzero(seen == 0)
    if not missing.size:
        return
    example = _quoted(key.ids[missing[0]].decode())
    if missing.size == 1:
        raise ValidationFailed("file", _("1 id of the answer key is missing: %(example)s.", example=example))
    raise ValidationFailed("file", _("%(count)s ids of the answer key are missing, for example %(example)s.",
                                     count=missing.size, example=example))


def to_blob(**arrays: np.ndarray) -> bytes:
    """Arrays packed by name into compressed .npz bytes."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def from_blob(blob: bytes) -> dict[str, np.ndarray]:
    """The arrays of to_blob, by name; pickles are refused."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}
