"""Atomic file output: write to a temporary file in the target directory, then rename.

A reader never sees a half-written file; an interrupted write leaves the old file (or none).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Callable, IO


@contextlib.contextmanager
def atomic_path(path):
    """Context manager yielding a temporary path beside ``path``; on success the file written
    there is fsynced, given mode 0644 and moved onto ``path`` with :func:`os.replace`; on any
    exception it is removed and ``path`` is untouched. For writers that need a file name
    (NetCDF/HDF5)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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
    with atomic_path(path) as tmp:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as fh:
            write(fh)
    return path
