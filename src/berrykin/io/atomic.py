"""Atomic file output: write to a temporary file in the target directory, then rename.

A reader never sees a half-written file; an interrupted write leaves the old file (or none).
The temporary file is ``.<name>.<host>-<pid>.<random>.tmp``: a process killed mid-write
(``kill -9``) leaves it behind, and the next atomic write into the same directory (the next
run or resume) removes it -- :func:`remove_stale_temporaries` deletes every such file whose
writer, a process of this host, no longer exists. Files of live processes and of other hosts
(a cluster sharing the directory) are left alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
from typing import Callable, IO

__all__ = ["atomic_path", "atomic_write", "remove_stale_temporaries"]

_TMP = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[^.]+\.tmp$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:64] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (another user's) or cannot tell: keep the file
    return True


def remove_stale_temporaries(directory) -> list:
    """Delete the temporary files of :func:`atomic_path` in ``directory`` left by processes of
    this host that no longer run (a writer killed mid-write); returns the removed paths."""
    directory = os.fspath(directory)
    host, removed = _host(), []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        m = _TMP.match(name)
        if m and m.group("host") == host and int(m.group("pid")) != os.getpid() \
                and not _alive(int(m.group("pid"))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))
                removed.append(os.path.join(directory, name))
    return removed


@contextlib.contextmanager
def atomic_path(path):
    """Context manager yielding a temporary path beside ``path``; on success the file written
    there is fsynced, given mode 0644 and moved onto ``path`` with :func:`os.replace`; on any
    exception it is removed and ``path`` is untouched. Stale temporary files of killed writers in
    the directory are removed first (:func:`remove_stale_temporaries`). For writers that need a
    file name (NetCDF/HDF5)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(directory)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{_host()}-{os.getpid()}.",
                               suffix=".tmp", dir=directory)
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
