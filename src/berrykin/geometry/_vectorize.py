"""Broadcasting, chunking and compilation of the pointwise geometry (internal)."""

from __future__ import annotations

import functools

import jax
import numpy as np

from ..conventions import coordinate_names
from ..errors import GapClosingError, ParameterError, ShapeError

#: Points evaluated per compiled call; larger inputs are processed in chunks of this size.
#: 2^16 keeps a chunk's buffers cache-friendly (2^17 was ~20-40% slower on a 2-core machine).
CHUNK = 1 << 16


def as_points(model, r, p, t):
    """Broadcast (r, p, t) to points X of shape (N, 2d+1); returns (X, leading_shape)."""
    d = model.dim
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 0 or p.shape[-1] != d:
        raise ShapeError("p", p.shape, f"(..., {d}) for a model in d = {d}")
    if r is None:
        if model.depends_on_r:
            raise ParameterError("r", None, f"positions of shape (..., {d}): this model depends on r")
        r = np.zeros(d)
    r = np.asarray(r, dtype=np.float64)
    if r.ndim == 0 or r.shape[-1] != d:
        raise ShapeError("r", r.shape, f"(..., {d}) for a model in d = {d}")
    t = np.asarray(t, dtype=np.float64)
    try:
        lead = np.broadcast_shapes(r.shape[:-1], p.shape[:-1], t.shape)
    except ValueError:
        raise ShapeError("r, p, t", (r.shape, p.shape, t.shape),
                         "leading shapes that broadcast together") from None
    n = int(np.prod(lead, dtype=np.int64))
    X = np.empty((n, 2 * d + 1))
    X[:, :d] = np.broadcast_to(r, lead + (d,)).reshape(n, d)
    X[:, d : 2 * d] = np.broadcast_to(p, lead + (d,)).reshape(n, d)
    X[:, 2 * d] = np.broadcast_to(t, lead).reshape(n)
    return X, lead


@functools.lru_cache(maxsize=256)
def _compiled_cached(fn, model, static):
    return jax.jit(jax.vmap(lambda X: fn(model, X, *static)))


def compiled(fn, model, *static):
    """A jitted, vmapped version of ``fn(model, X, *static)``, cached per model."""
    try:
        return _compiled_cached(fn, model, static)
    except TypeError:  # unhashable model: compile without caching
        return jax.jit(jax.vmap(lambda X: fn(model, X, *static)))


#: |Delta| at or below which the gap counts as closed (numerically zero in any units: F ~
#: 1/|Delta|^2 and the |Delta|^3 of Eq. 18 stay far from under- and overflow above it).
GAP_FLOOR = 1e-100


def _with_gap2(model, X, fn, *static):
    """``(fn(model, X, *static), |Delta|^2)`` at X (XLA shares the evaluation of Delta)."""
    r, p, t = X[: model.dim], X[model.dim : 2 * model.dim], X[2 * model.dim]
    D = model.gap(r, p, t)
    return fn(model, X, *static), D[0] * D[0] + D[1] * D[1] + D[2] * D[2]


def evaluate_checked(fn, model, X, *static, quantity: str, nan_at_gap_closing: bool = False):
    """:func:`evaluate` of ``fn`` plus the gap check of docs/conventions.md ("Gap closings").

    Where ``|Delta| <= GAP_FLOOR`` (or Delta is not finite) the quantity is undefined: raise
    :class:`~berrykin.errors.GapClosingError` naming the first such point of X, or with
    ``nan_at_gap_closing=True`` set those points of the result to NaN. The check is one
    reduction over the |Delta|^2 computed alongside ``fn`` (no second evaluation).
    """
    vals, norm2 = evaluate(_with_gap2, model, X, fn, *static)
    if np.min(norm2, initial=np.inf) > GAP_FLOOR * GAP_FLOOR:  # False for NaN as well
        return vals
    bad = ~(norm2 > GAP_FLOOR * GAP_FLOOR)
    if nan_at_gap_closing:
        vals = np.array(vals, dtype=np.float64)
        vals[bad] = np.nan
        return vals
    raise_gap_closing(model, X, norm2, bad, quantity)


def raise_gap_closing(model, X, norm2, bad, quantity: str):
    """Raise the :class:`GapClosingError` for the first point of X (N, 2d+1) flagged ``bad``."""
    i = int(np.argmax(bad))
    names = coordinate_names(model.dim)
    point = {n: float(v) for n, v in zip(names, X[i]) if not (n.startswith(("x", "y", "z"))
                                                             and not model.depends_on_r)}
    raise GapClosingError(
        quantity, point, float(np.sqrt(norm2[i])),
        "move the points off the band touching, or pass nan_at_gap_closing=True to get NaN "
        "there (e.g. for plots)", count=int(np.count_nonzero(bad)))


def evaluate(fn, model, X, *static):
    """Apply ``fn`` pointwise to X (N, n) in float64, chunked; returns a NumPy array (N, ...)
    (or a tuple of arrays when ``fn`` returns a tuple).

    Chunks are dispatched one ahead of the copy of the previous result (JAX dispatch is
    asynchronous), and results are written into one preallocated array (no concatenation).
    """
    try:
        with jax.enable_x64(True):
            f = compiled(fn, model, *static)
            n = X.shape[0]
            if n <= CHUNK:
                y = f(X)
                return tuple(np.asarray(v) for v in y) if isinstance(y, tuple) else np.asarray(y)
            return _chunked(f, X, n)
    except jax.errors.JaxRuntimeError:
        # a gridded texture evaluated outside its sample raises on the host; JAX wraps it
        from ..models.gridded import pending_domain_error

        err = pending_domain_error()
        if err is None:
            raise
        raise err from None


def _chunked(f, X, n):
    """The chunked loop of :func:`evaluate` (outputs: an array or a tuple of arrays)."""
    out = None
    pending = None
    for start in range(0, n + CHUNK, CHUNK):
        current = None
        if start < n:
            block = X[start : start + CHUNK]
            m = block.shape[0]
            if m < CHUNK:  # pad so that every call has the compiled shape
                block = np.concatenate([block, np.broadcast_to(block[-1:], (CHUNK - m,) + block.shape[1:])])
            current = (start, m, f(block))
        if pending is not None:
            s0, m0, y = pending
            ys = tuple(np.asarray(v) for v in y) if isinstance(y, tuple) else (np.asarray(y),)
            if out is None:
                out = tuple(np.empty((n,) + v.shape[1:], dtype=v.dtype) for v in ys)
                single = not isinstance(y, tuple)
            for o, v in zip(out, ys):
                o[s0 : s0 + m0] = v[:m0]
        pending = current
    return out[0] if single else out
