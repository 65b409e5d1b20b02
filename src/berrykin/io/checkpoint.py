"""Checkpoint and resume a kinetic (sKE) run: same results as one uninterrupted ``solve``.

:func:`run_checkpointed` integrates the sKE (paper Eq. 26 with ERRATA 1, as solved by
:class:`berrykin.kinetic.KineticSolver`) from one save time to the next with
``solver.solve(n, (t_k, t_{k+1}), [t_{k+1}])``. ``KineticSolver.solve`` restarts its step
sequence at every save time (the last step before a save time is shortened to land on it), so
the chained runs take exactly the steps of one ``solve(n0, t_span, save_at)``: the states agree
bitwise and the ledger (particle numbers and cumulative inflow/source amounts) to round-off.

After every ``every`` save points (and at the end) the checkpoint -- the current state, the
saved states and times, and the ledger rows (time, band numbers N_s, this step's inflow per
boundary group and source per kind; :class:`berrykin.kinetic.Ledger`) -- is written atomically
(:func:`berrykin.io.atomic.atomic_write`: temporary file + ``os.replace``) to ``path`` as a
NumPy ``.npz`` archive (no pickles). A process killed at any moment leaves either the previous
checkpoint or the new one. With ``resume=True`` the run continues from the checkpoint.

Each checkpoint records a SHA-256 of the problem: the solver's frame (model, fields), grid,
terms, scheme and inflow, the initial state, ``t_span`` and the save times (dataclass fields,
array bytes, function code; see :func:`problem_hash`). Resuming a different problem, or from
an unreadable file, is refused with :class:`~berrykin.errors.CheckpointError`.

Shapes: ``ts`` (n_save,), ``states`` (n_save, 2, *grid.shape) (bands ``(s = +1, s = -1)``).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import pathlib
import re
import types

import numpy as np

from ..errors import CheckpointError, ParameterError
from .atomic import atomic_write, remove_stale_temporaries

__all__ = ["run_checkpointed", "load_checkpoint", "problem_hash", "fingerprint"]

FORMAT_VERSION = 1
#: Arrays every checkpoint holds (see :func:`run_checkpointed`).
_KEYS = ("format_version", "problem_hash", "t", "done", "state", "ts", "states", "ledger_t", "ledger_N",
         "ledger_inflow", "ledger_sources", "groups", "kinds")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


# -- problem fingerprint ------------------------------------------------------------------------
def fingerprint(obj) -> str:
    """SHA-256 (hex) of a stable description of ``obj``: dataclass fields, array dtypes/shapes/
    bytes, floats (exact, via ``float.hex``), enums, containers, functions (module, name,
    bytecode, constants, defaults, closure) and plain objects (their ``__dict__``). Equal in
    every process for equal problems; memory addresses never enter it."""
    h = hashlib.sha256()
    _feed(obj, h, set())
    return h.hexdigest()


def _code(co, h, seen):
    h.update(co.co_code)
    h.update(repr(co.co_names).encode())
    for c in co.co_consts:
        _code(c, h, seen) if isinstance(c, types.CodeType) else _feed(c, h, seen)


def _feed(obj, h, seen):  # noqa: C901 - a flat type switch
    put = lambda *parts: h.update(("|".join(map(str, parts)) + ";").encode())  # noqa: E731
    if obj is None or isinstance(obj, (bool, str, bytes)):
        return put(type(obj).__name__, repr(obj))
    if isinstance(obj, enum.Enum):
        return put("enum", type(obj).__qualname__, repr(obj.value))
    if isinstance(obj, (int, np.integer)):
        return put("int", int(obj))
    if isinstance(obj, (float, np.floating)):
        return put("float", float(obj).hex())
    if isinstance(obj, (complex, np.complexfloating)):
        return put("complex", complex(obj).real.hex(), complex(obj).imag.hex())
    if isinstance(obj, type):
        return put("type", obj.__module__, obj.__qualname__)
    if id(obj) in seen:
        return put("cycle")
    seen = seen | {id(obj)}
    if isinstance(obj, np.ndarray) or (hasattr(obj, "__array__") and not callable(obj)):
        a = np.ascontiguousarray(np.asarray(obj))
        put("array", a.dtype.str, a.shape)
        if a.dtype.kind == "O":
            return [_feed(x, h, seen) for x in a.ravel()] and None
        return h.update(a.tobytes())
    if isinstance(obj, (tuple, list)):
        put(type(obj).__name__, len(obj))
        for x in obj:
            _feed(x, h, seen)
        return None
    if isinstance(obj, dict) or hasattr(obj, "keys") and hasattr(obj, "__getitem__"):
        put("map", len(obj))
        for k in sorted(obj.keys(), key=repr):
            _feed(k, h, seen)
            _feed(obj[k], h, seen)
        return None
    if dataclasses.is_dataclass(obj):
        put("dataclass", type(obj).__module__, type(obj).__qualname__)
        for f in dataclasses.fields(obj):
            put(f.name)
            _feed(getattr(obj, f.name), h, seen)
        return None
    if isinstance(obj, functools.partial):
        put("partial")
        return [_feed(x, h, seen) for x in (obj.func, obj.args, obj.keywords)] and None
    if isinstance(obj, types.MethodType):
        put("method")
        _feed(obj.__self__, h, seen)
        return _feed(obj.__func__, h, seen)
    if isinstance(obj, types.FunctionType):
        put("function", obj.__module__, obj.__qualname__)
        _code(obj.__code__, h, seen)
        _feed(obj.__defaults__, h, seen)
        cells = tuple(c.cell_contents for c in (obj.__closure__ or ()))
        return _feed(cells, h, seen)
    if hasattr(obj, "__dict__"):
        put("object", type(obj).__module__, type(obj).__qualname__)
        return _feed(dict(vars(obj)), h, seen)
    return put("repr", type(obj).__qualname__, _ADDRESS.sub("", repr(obj)))


def problem_hash(solver, n0, t_span, save_at) -> str:
    """SHA-256 of the problem ``(frame, grid, terms, scheme, inflow, n0, t_span, save times)``.

    ``n0`` is taken as float64 broadcast to ``(2,) + grid.shape``, the save times sorted, as
    ``KineticSolver.solve`` does; caches of the solver do not enter."""
    n, (t0, t1), save = _normalise(solver, n0, t_span, save_at)
    return fingerprint({"solver": type(solver), "frame": solver.frame, "grid": solver.grid,
                        "terms": solver.terms, "scheme": solver.scheme, "inflow": solver.inflow,
                        "n0": n, "t_span": (t0, t1), "save_at": save, "format": FORMAT_VERSION})


def _normalise(solver, n0, t_span, save_at):
    try:
        t0, t1 = map(float, t_span)
    except (TypeError, ValueError):
        raise ParameterError("t_span", t_span, "a pair (t0, t1) of floats") from None
    n = np.ascontiguousarray(np.broadcast_to(np.asarray(n0, dtype=float), (2,) + solver.grid.shape))
    save = np.array([t0, t1] if save_at is None else sorted(save_at), dtype=float)
    if save.ndim != 1 or save.size == 0 or not np.all(np.isfinite(save)):
        raise ParameterError("save_at", save_at, "a non-empty sequence of finite times (or None)")
    return n, (t0, t1), save


# -- checkpoint file ----------------------------------------------------------------------------
def _write(path, arrays):
    atomic_write(path, lambda fh: np.savez(fh, **arrays), binary=True)


def load_checkpoint(path) -> dict:
    """The arrays of a checkpoint file (``problem_hash``, ``t``, ``done``, ``state``, ``ts``,
    ``states``, ``ledger_*``, ``groups``, ``kinds``) as a dict of NumPy arrays. A missing,
    truncated or foreign file, or another format version, raises
    :class:`~berrykin.errors.CheckpointError` (the file, what is wrong, what to do)."""
    afresh = "start the run afresh (it overwrites the file) or move the file away"
    try:
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise ValueError("a single array, not an archive")
            data = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise CheckpointError(path, "no such file", "start the run afresh") from None
    except Exception:  # BadZipFile, EOFError, ValueError (pickles), zlib.error, ...: truncated or foreign
        raise CheckpointError(path, "not a readable berrykin checkpoint (truncated, damaged or another "
                                    "kind of .npz file)", afresh) from None
    missing = [k for k in _KEYS if k not in data]
    try:
        version = int(data["format_version"]) if "format_version" in data else None
    except (TypeError, ValueError):
        version = None
    if version is None or missing:
        raise CheckpointError(path, "not a berrykin checkpoint (it lacks "
                                    f"{', '.join(missing[:4]) or 'format_version'})", afresh)
    if version != FORMAT_VERSION:
        raise CheckpointError(path, f"a checkpoint of format version {version}; this berrykin "
                                    f"reads version {FORMAT_VERSION}", afresh)
    return data


class _Rows:
    """Ledger rows: times, band numbers and the per-step amounts (row 0: the start)."""

    def __init__(self, groups, kinds):
        self.groups, self.kinds = tuple(groups), tuple(kinds)
        self.t, self.N, self.inflow, self.sources = [], [], [], []

    def add_sub_ledger(self, sub, first):
        """Append the rows of a sub-run's ledger (all rows if ``first``, else without its start)."""
        t, N, cin, csrc = sub.times, sub.numbers, sub.inflow, sub.sources
        start = 0 if first else 1
        for i in range(start, len(t)):
            self.t.append(t[i])
            self.N.append(N[i])
            self.inflow.append(cin[i] - cin[i - 1] if i else np.zeros_like(cin[0]))
            self.sources.append(csrc[i] - csrc[i - 1] if i else np.zeros_like(csrc[0]))

    def arrays(self):
        n, G, K = len(self.t), len(self.groups), len(self.kinds)
        # explicit row counts: a grid without boundary groups (G = 0, e.g. a periodic zone)
        # has empty inflow rows, which reshape(-1, 0, 2) cannot size
        return {"ledger_t": np.asarray(self.t, dtype=float), "ledger_N": np.asarray(self.N, dtype=float).reshape(n, 2),
                "ledger_inflow": np.asarray(self.inflow, dtype=float).reshape(n, G, 2),
                "ledger_sources": np.asarray(self.sources, dtype=float).reshape(n, K, 2),
                "groups": np.asarray(self.groups, dtype=str), "kinds": np.asarray(self.kinds, dtype=str)}

    @classmethod
    def from_arrays(cls, data):
        rows = cls([str(g) for g in data["groups"]], [str(k) for k in data["kinds"]])
        rows.t, rows.N = list(data["ledger_t"]), list(data["ledger_N"])
        rows.inflow, rows.sources = list(data["ledger_inflow"]), list(data["ledger_sources"])
        return rows

    def ledger(self):
        from ..kinetic.ledger import Ledger

        led = Ledger(self.groups, self.kinds)
        led.start(self.t[0], self.N[0])
        for i in range(1, len(self.t)):
            led.record(self.t[i], self.N[i], self.inflow[i], self.sources[i])
        return led


# -- the run --------------------------------------------------------------------------------------
def run_checkpointed(solver, n0, t_span, save_at, path, resume: bool, every: int = 1,
                     max_steps: int = 1_000_000):
    """``solver.solve(n0, t_span, save_at)`` with checkpoints in ``path``; returns
    ``(ts, states, ledger)`` exactly like :meth:`berrykin.kinetic.KineticSolver.solve`.

    Parameters
    ----------
    solver : :class:`~berrykin.kinetic.KineticSolver`.
    n0, t_span, save_at : as for ``solve`` (``save_at=None``: the two ends of ``t_span``).
    path : checkpoint file (``.npz``; written atomically, directory created if missing).
    resume : continue from the checkpoint in ``path`` if there is one (a finished checkpoint
        returns at once); ``False`` starts afresh and overwrites it. A checkpoint of another
        problem (different hash) or an unreadable one is refused with
        :class:`~berrykin.errors.CheckpointError`. Stale temporary files of a killed writer in
        the directory are removed first (:func:`berrykin.io.atomic.remove_stale_temporaries`).
    every : write a checkpoint after every ``every`` save points (and always after the last).
    max_steps : step limit of each sub-run between two save times.

    >>> import tempfile, os
    >>> from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField
    >>> from berrykin.kinetic import KineticFrame, KineticSolver, PolarGrid, SKETerms
    >>> frame = KineticFrame(MinimalCoupling(MassiveDirac2D(m=1.0), UniformMagneticField(b=0.2)))
    >>> s = KineticSolver(frame, PolarGrid.uniform(0.0, 3.0, 6, 4), SKETerms.boltzmann())
    >>> p = os.path.join(tempfile.mkdtemp(), "run.ckpt.npz")
    >>> ts, states, ledger = run_checkpointed(s, 1.0, (0.0, 0.2), [0.1, 0.2], p, resume=False)
    >>> ts.tolist(), states.shape
    ([0.1, 0.2], (2, 2, 6, 4))
    """
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ParameterError("every", every, "an integer >= 1 (save points between checkpoints)")
    path = pathlib.Path(path)
    n, (t0, t1), save = _normalise(solver, n0, t_span, save_at)
    key = problem_hash(solver, n, (t0, t1), save)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)  # partial checkpoints of a killed run
    data = load_checkpoint(path) if (resume and path.exists()) else None
    if data is not None and str(data["problem_hash"]) != key:
        raise CheckpointError(path, f"it holds another problem (problem hash "
                                    f"{str(data['problem_hash'])[:12]}..., this one has {key[:12]}...: "
                                    "the model, fields, grid, terms, scheme, initial state or times "
                                    "changed, so the run cannot be resumed)",
                              "start the run afresh (resume=False, which overwrites the file) or "
                              "use another path")
    if data is None or int(data["done"]) < save.size:
        solver.prepare((t0, t1))  # probe time dependence over the whole span, as solve() does
    if data is not None:
        done, t = int(data["done"]), float(data["t"])
        n = np.ascontiguousarray(data["state"], dtype=float)
        ts, states = list(data["ts"]), list(data["states"])
        rows = _Rows.from_arrays(data)
    else:
        done, t, ts, states, rows = 0, t0, [], [], None

    def checkpoint():
        arrays = {"format_version": np.int64(FORMAT_VERSION), "problem_hash": np.asarray(key),
                  "t": np.float64(t), "done": np.int64(done), "state": n,
                  "ts": np.asarray(ts, dtype=float),
                  "states": np.asarray(states, dtype=float).reshape((len(states),) + n.shape)}
        arrays.update(rows.arrays())
        _write(path, arrays)

    for i in range(done, save.size):
        sub_ts, sub_states, sub = solver.solve(n, (t, save[i]), [save[i]], max_steps=max_steps)
        if rows is None:
            rows = _Rows(sub.groups, sub.kinds)
        rows.add_sub_ledger(sub, first=not rows.t)
        t, n = float(sub_ts[-1]), np.ascontiguousarray(sub_states[-1])
        ts.append(t)
        states.append(n.copy())
        done = i + 1
        if done % every == 0 or done == save.size:
            checkpoint()
    if rows is None:  # nothing to run and nothing saved (cannot happen: save is non-empty)
        raise ParameterError("save_at", save_at, "at least one save time")  # pragma: no cover
    return np.asarray(ts), np.asarray(states), rows.ledger()
