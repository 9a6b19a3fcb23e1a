"""Answer keys decompressed once per process, kept by what makes up their arrays, so that a new upload is never
taken for an old one, within ANSWER_KEY_CACHE_BYTES of memory (least recently used first out)."""
import threading
from collections import OrderedDict

import numpy as np
from flask import current_app

from challenges.models import AnswerKey
from challenges.services import answer_files

_kept: OrderedDict[tuple, dict[str, np.ndarray]] = OrderedDict()  # least recently used first
_lock = threading.Lock()


def arrays(stored: AnswerKey) -> dict[str, np.ndarray]:
    """The key's arrays (ids, values, public mask), read-only; its compressed data is read only on a miss."""
    which = (stored.sha256, stored.metric, stored.public_fraction)  # the file, how it was read, how it was split
    with _lock:
        if which in _kept:
            _kept.move_to_end(which)
            return _kept[which]
    found = answer_files.from_blob(stored.data)
    for array in found.values():
        array.flags.writeable = False  # shared by the worker's threads
    with _lock:
        _kept[which] = found
        while _kept and _bytes() > current_app.config["ANSWER_KEY_CACHE_BYTES"]:
            _kept.popitem(last=False)  # a key larger than the limit is not kept at all
    return found


def _bytes() -> int:
    return sum(array.nbytes for kept in _kept.values() for array in kept.values())


def kept_bytes() -> int:
    """The memory the kept keys take."""
    with _lock:
        return _bytes()


def clear() -> None:
    """Forget every kept key."""
    with _lock:
        _kept.clear()
