"""Atomic file output: write to a temporary file in the target directory, then rename.

A reader never sees a half-written file; an interrupted write leaves the old file (or none).
"""

from __future__ import annotations

import os
import tempfile
from typing import Callable, IO


def atomic_write(path, write: Callable[[IO], None], binary: bool = False) -> str:
    """Call ``write(fh)`` on a temporary file beside ``path``, fsync it and ``os.replace`` it
    onto ``path``. Returns the path. The file gets mode 0644 (results are meant to be shared).

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> _ = atomic_write(p, lambda fh: fh.write("ok"))
    >>> open(p).read()
    'ok'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path
