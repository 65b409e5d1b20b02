"""Compiled (Numba) finite-volume kernels; the NumPy references are in :mod:`.reference`.

:func:`axis_flux` computes the same quantities as :func:`berrykin.kinetic.reference.axis_flux`
on a 6D view ``(band, A1, A2, N, B1, B2)`` of the state (the swept axis is the 4th), so that
coefficient arrays that do not depend on some axes are passed as stride-0 broadcast views and
never materialised at full phase-space size. Each face flux is computed once; the cell update
``rhs_c += -cell_factor_c (Phi_{c+1/2} - Phi_{c-1/2})`` is accumulated in place.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

__all__ = ["axis_flux", "view6", "limit_scalar"]


@njit(inline="always", cache=False)
def limit_scalar(a, b, lim):
    """Limited slope (codes of :class:`~berrykin.kinetic.options.Limiter`)."""
    if lim == 0:
        return 0.0
    if lim == 4:
        return 0.5 * (a + b)
    if a * b <= 0.0:
        return 0.0
    if lim == 1:
        return a if abs(a) < abs(b) else b
    if lim == 2:
        return 2.0 * a * b / (a + b)
    m = min(min(2.0 * abs(a), 2.0 * abs(b)), 0.5 * abs(a + b))
    return m if a > 0.0 else -m


def _axis_flux6_py(n, Up, Um, W, cf, periodic, lim, bclo, bchi, rhs, philo, phihi):
    """Sweep of one axis, row-wise: for every (a1, a2, b1) slab the N cells along the axis are
    processed as rows of B2 contiguous values (the innermost, vectorisable loop), so that the
    state is read with unit stride whatever axis is swept."""
    _, A1, A2, N, B1, B2 = n.shape
    for aa in prange(A1 * A2 * B1):
        a1 = aa // (A2 * B1)
        a2 = (aa // B1) % A2
        b1 = aa % B1
        buf = np.empty((2, N + 4, B2))  # cells -2..N+1 of the slab, ghosts included
        sl = np.empty((2, N + 2, B2))  # slopes of cells -1..N
        prev = np.empty((2, B2))
        for s in range(2):
            for i in range(N):
                for b2 in range(B2):
                    buf[s, i + 2, b2] = n[s, a1, a2, i, b1, b2]
            for b2 in range(B2):
                if periodic:
                    for g in (0, 1, N + 2, N + 3):
                        buf[s, g, b2] = buf[s, (g - 2) % N + 2, b2]
                else:
                    buf[s, 0, b2] = bclo[s, a1, a2, b1, b2]
                    buf[s, 1, b2] = bclo[s, a1, a2, b1, b2]
                    buf[s, N + 2, b2] = bchi[s, a1, a2, b1, b2]
                    buf[s, N + 3, b2] = bchi[s, a1, a2, b1, b2]
            for i in range(N + 2):
                for b2 in range(B2):
                    sl[s, i, b2] = limit_scalar(buf[s, i + 1, b2] - buf[s, i, b2],
                                                buf[s, i + 2, b2] - buf[s, i + 1, b2], lim)
            if not periodic:
                for b2 in range(B2):
                    sl[s, 0, b2] = 0.0
                    sl[s, N + 1, b2] = 0.0
        for j in range(N + 1):  # face j between cells j-1 and j
            for b2 in range(B2):
                L0 = buf[0, j + 1, b2] + 0.5 * sl[0, j, b2]
                R0 = buf[0, j + 2, b2] - 0.5 * sl[0, j + 1, b2]
                L1 = buf[1, j + 1, b2] + 0.5 * sl[1, j, b2]
                R1 = buf[1, j + 2, b2] - 0.5 * sl[1, j + 1, b2]
                up = Up[a1, a2, j, b1, b2]
                um = Um[a1, a2, j, b1, b2]
                w = W[a1, a2, j, b1, b2]
                wp = max(w, 0.0)
                wm = min(w, 0.0)
                p0 = max(up, 0.0) * L0 + min(up, 0.0) * R0 + wp * L1 + wm * R1
                p1 = max(um, 0.0) * L1 + min(um, 0.0) * R1 + wp * L0 + wm * R0
                if j > 0:
                    c = cf[a1, a2, j - 1, b1, b2]
                    rhs[0, a1, a2, j - 1, b1, b2] += -c * (p0 - prev[0, b2])
                    rhs[1, a1, a2, j - 1, b1, b2] += -c * (p1 - prev[1, b2])
                elif not periodic:
                    philo[0, a1, a2, b1, b2] = p0
                    philo[1, a1, a2, b1, b2] = p1
                prev[0, b2] = p0
                prev[1, b2] = p1
        if not periodic:
            for b2 in range(B2):
                phihi[0, a1, a2, b1, b2] = prev[0, b2]
                phihi[1, a1, a2, b1, b2] = prev[1, b2]


_R6 = numba.types.Array(numba.float64, 6, "A", readonly=True)
_R5 = numba.types.Array(numba.float64, 5, "A", readonly=True)
_W6 = numba.types.Array(numba.float64, 6, "A")
_W5 = numba.types.Array(numba.float64, 5, "A")
_SIG = numba.void(_R6, _R5, _R5, _R5, _R5, numba.boolean, numba.int64, _R5, _R5, _W6, _W5, _W5)
_compiled = {}


#: below this many cells a sweep runs on one thread (thread start-up costs more than it saves)
PARALLEL_THRESHOLD = 1 << 16


def _axis_flux6(*args):
    """The 6D sweep, compiled once per process with one signature (all layouts 'A')."""
    if "axis" not in _compiled:
        _compiled["axis"] = njit(_SIG, parallel=True, cache=False)(_axis_flux6_py)
    if args[0].size >= PARALLEL_THRESHOLD:
        return _compiled["axis"](*args)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return _compiled["axis"](*args)
    finally:
        numba.set_num_threads(threads)


def view6(shape, axis, n_space):
    """Group sizes ``(A1, A2, N, B1, B2)`` of the 6D view for sweeping ``axis``.

    Space axis: ``A1 = 1``, ``A2`` = axes before, ``B1`` = later space axes, ``B2`` = momentum.
    Momentum axis: ``A1`` = space axes, ``A2`` = earlier momentum axes, ``B1 = 1``, ``B2`` = later.
    Returns the groups as lists of axis indices (None for the swept axis).
    """
    nd = len(shape)
    if axis < n_space:
        groups = [[], list(range(axis)), [axis], list(range(axis + 1, n_space)), list(range(n_space, nd))]
    else:
        groups = [list(range(n_space)), list(range(n_space, axis)), [axis], [], list(range(axis + 1, nd))]
    return groups


def _to5(arr, groups, full):
    """Reshape a compact broadcastable array (rank ``len(full)``, optionally with a leading band
    axis) into the 5D view of ``groups``, without copies where it is constant over whole groups
    (stride-0 broadcast); materialised otherwise."""
    arr = np.asarray(arr, dtype=np.float64)
    nd = len(full)
    if arr.ndim < nd:
        arr = arr.reshape((1,) * (nd - arr.ndim) + arr.shape)
    lead = arr.shape[: arr.ndim - nd]
    core = arr.shape[arr.ndim - nd :]
    sizes = tuple(int(np.prod([full[i] for i in g])) if g else 1 for g in groups)
    shape5 = []
    for g, size in zip(groups, sizes):
        p = int(np.prod([core[i] for i in g])) if g else 1
        if p != 1 and p != size:
            return np.ascontiguousarray(np.broadcast_to(arr, lead + tuple(full))).reshape(lead + sizes)
        shape5.append(p)
    return np.broadcast_to(arr.reshape(lead + tuple(shape5)), lead + sizes)


def axis_flux(n, U, W, cell_factor, axis, n_space, periodic, limiter, bc_lo, bc_hi, rhs):
    """Numba version of :func:`berrykin.kinetic.reference.axis_flux`, accumulating into ``rhs``.

    ``n, rhs``: C-contiguous ``(2, *shape)``. ``U`` ``(2, ...)``, ``W``, ``cell_factor``: compact
    broadcastable arrays; ``bc_lo``, ``bc_hi``: ``(2, ...)`` broadcastable to the boundary slab
    (ignored when periodic). Returns the boundary face fluxes ``(phi_lo, phi_hi)``, each of shape
    ``(2, *slab)`` with the slab of n without ``axis``.
    """
    shape = n.shape[1:]
    groups = view6(shape, axis, n_space)
    sizes = [int(np.prod([shape[i] for i in g])) if g else 1 for g in groups]
    fshape = list(shape)
    fshape[axis] += 1
    n6 = n.reshape([2] + sizes)
    r6 = rhs.reshape([2] + sizes)
    U = np.asarray(U, dtype=np.float64)
    Up = _to5(U[0], groups, fshape)
    Um = _to5(U[1], groups, fshape)
    W5 = _to5(W, groups, fshape)
    cf5 = _to5(cell_factor, groups, list(shape))
    slab5 = (2, sizes[0], sizes[1], sizes[3], sizes[4])
    if periodic:
        bl = bh = np.broadcast_to(np.zeros((1, 1, 1, 1, 1)), slab5)
    else:
        bl = _slab(bc_lo, axis, shape, slab5)
        bh = _slab(bc_hi, axis, shape, slab5)
    philo = np.zeros(slab5)
    phihi = np.zeros(slab5)
    _axis_flux6(n6, Up, Um, W5, cf5, bool(periodic), int(limiter), bl, bh, r6, philo, phihi)
    slab_shape = shape[:axis] + shape[axis + 1 :]
    return philo.reshape((2,) + slab_shape), phihi.reshape((2,) + slab_shape)


def _slab(bc, axis, shape, slab5):
    """Boundary values ``(2, *slab)`` (broadcastable) as a contiguous 5D view."""
    slab_shape = tuple(shape[:axis]) + tuple(shape[axis + 1 :])
    bc = np.asarray(bc, dtype=np.float64)
    if bc.ndim < len(slab_shape) + 1:
        bc = bc.reshape(bc.shape[:1] + (1,) * (len(slab_shape) + 1 - bc.ndim) + bc.shape[1:])
    bc = np.broadcast_to(bc, (2,) + slab_shape)
    return np.ascontiguousarray(bc).reshape(slab5)


def set_threads(n):
    """Number of Numba threads used by the kernels."""
    numba.set_num_threads(int(n))
