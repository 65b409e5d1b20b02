"""Data of the fused textured kernel (:mod:`.fused_textured`): which problems it takes, the index
layout of the state rows, the inflow ghosts and the factored coefficients, packed flat.

Layout (d = 2, 3; D = 2d axes): the state ``(2, *shape)`` is viewed as ``(2, N_rows, N_last)``
with ``N_last`` the last momentum axis; a row's multi-index runs over the other D - 1 axes
(space first). Per matrix ``c`` (axes 0..D-1, then the sources) the kernel finds the space
point ``rf = sum_b idx_b crs[c, b]`` and the momentum offset ``pst = sum_b idx_b cps[c, b]`` of
its coefficient row; the upper face of a row axis adds ``crs[c, c]`` / ``cps[c, c]``. Ghost rows
of a bounded axis sit at ``goff[a, side] + band gband[a] + sum_b idx_b gtab[a, b]``; ghosts that
do not vary over space are stored once (checked on the values).
"""

from __future__ import annotations

import numba
import numpy as np

from .factored import factor_coefficients, from_compact

__all__ = ["eligible", "layout", "stage_data", "cfl_rate", "MAX_RANK"]

#: largest separable rank accepted per coefficient matrix before the full-array fallback
MAX_RANK = 8


def eligible(solver):
    """A :class:`PhaseSpaceGrid` with d = 2 or 3, a Cartesian momentum grid (box or Brillouin
    zone), any space axes, the Numba backend in float64 (collision operators never reach fast
    paths)."""
    from .grids import CartesianMomentumGrid, PhaseSpaceGrid

    g = solver.grid
    if not isinstance(g, PhaseSpaceGrid) or g.n_space not in (2, 3) or solver.scheme.backend != "numba":
        return False
    if int(getattr(solver.scheme, "precision", 64)) != 64:  # float64 storage only
        return False
    return isinstance(g.momentum, CartesianMomentumGrid)


def _strides(shape):
    out, s = [], 1
    for n in reversed(shape):
        out.append(s)
        s *= int(n)
    return list(reversed(out))


def layout(grid):
    """Index tables of the state rows (module docstring); cached per grid by the caller."""
    d = grid.dim
    D = 2 * d
    shape = grid.shape
    NL = shape[-1]
    sshape, mrow = shape[:d], shape[d:-1]
    sstr, mstr = _strides(sshape), _strides(mrow)
    NS, NR = int(np.prod(sshape)), int(np.prod(mrow))
    gstr = [sstr[a] * NR for a in range(d)] + [mstr[a - d] for a in range(d, D - 1)]
    per = np.array([ax.periodic for ax in grid.axes], dtype=np.int64)
    nb, nboff = [], []
    for a in range(D - 1):
        N = shape[a]
        nboff.append(sum(len(x) for x in nb))
        i = np.arange(N)[:, None] + np.array([-2, -1, 1, 2])
        nb.append(i % N if per[a] else np.where((i >= 0) & (i < N), i, -1))
    cfs = [np.ravel(grid.cell_factor(a)).astype(float) for a in range(D)]
    crs = np.zeros((D + 1, D - 1), dtype=np.int64)
    cps = np.zeros((D + 1, D - 1), dtype=np.int64)
    for c in range(D + 1):
        if c < d:
            fs = list(sshape)
            fs[c] += 1
            crs[c, :d] = _strides(fs)
        else:
            crs[c, :d] = sstr
        if c < d or c == D:
            cps[c, d:] = np.array(mstr, dtype=np.int64) * NL
        elif c == D - 1:
            cps[c, d:] = np.array(mstr, dtype=np.int64) * (NL + 1)
        else:
            fm = list(mrow)
            fm[c - d] += 1
            cps[c, d:] = np.array(_strides(fm), dtype=np.int64) * NL
    mg = grid.momentum
    vm = np.ones(mrow)
    for b, ax in enumerate(mg.axes[:-1]):
        vm = vm * ax.widths.reshape([-1 if k == b else 1 for k in range(len(mrow))])
    nthreads = numba.get_num_threads()
    bax = d - 1
    from .fused_textured import BLOCK

    return dict(
        d=d, D=D, shape=shape, NS=NS, NR=NR, NL=NL, sshape=sshape, mrow=mrow,
        dims=np.array(shape[:-1], dtype=np.int64), per=per, nb=np.ascontiguousarray(np.concatenate(nb), dtype=np.int64),
        nboff=np.array(nboff, dtype=np.int64), gstr=np.array(gstr, dtype=np.int64), bax=bax,
        bsize=max(1, min(BLOCK, shape[bax] // max(1, nthreads))),
        cf=np.concatenate(cfs), cfoff=np.cumsum([0] + [c.size for c in cfs[:-1]]).astype(np.int64),
        crs=crs, cps=cps, vs=np.ascontiguousarray(grid.space.volumes()).reshape(-1),
        vm=np.ascontiguousarray(vm).reshape(-1), vl=np.ascontiguousarray(mg.axes[-1].widths),
    )


def _layout(solver):
    lay = solver.__dict__.get("_textured_layout")
    if lay is None:
        lay = solver.__dict__["_textured_layout"] = layout(solver.grid)
    return lay


# --------------------------------------------------------------------------- ghosts
def _ghosts(solver, lay, t):
    """Packed inflow ghosts of the bounded axes: ``(Gf, goff (D, 2), gband (D,), gtab (D, D-1))``."""
    d, D, shape = lay["d"], lay["D"], lay["shape"]
    parts, goff = [np.zeros(1)], np.zeros((D, 2), dtype=np.int64)
    gband = np.zeros(D, dtype=np.int64)
    gtab = np.zeros((D, D - 1), dtype=np.int64)
    size = 1
    for a in range(D):
        if lay["per"][a]:
            continue
        slab = shape[:a] + shape[a + 1 :]
        sp_axes = [b for b in range(d) if b != a]  # axes of the slab's space part (grid numbering)
        ns_slab = d - 1 if a < d else d
        vals = []
        for v in solver._boundary_values(a, t):
            v = np.asarray(v, dtype=float)
            if v.ndim < len(slab) + 1:  # as kernels._slab: missing axes after the band axis
                v = v.reshape(v.shape[:1] + (1,) * (len(slab) + 1 - v.ndim) + v.shape[1:])
            vals.append(np.broadcast_to(v, (2,) + slab))
        sp_shape = slab[:ns_slab]
        uniform_r = all(np.array_equal(v, np.broadcast_to(v[(slice(None),) + (slice(0, 1),) * ns_slab], v.shape))
                        for v in vals)
        nsg = 1 if uniform_r else int(np.prod(sp_shape))
        mom_shape = slab[ns_slab:]
        glen = int(np.prod(mom_shape))
        gband[a] = nsg * glen
        for side, v in enumerate(vals):
            arr = v[(slice(None),) + (slice(0, 1),) * ns_slab] if uniform_r else v
            goff[a, side] = size
            flat = np.ascontiguousarray(arr).reshape(-1)
            parts.append(flat)
            size += flat.size
        if nsg > 1:
            for b, st in zip(sp_axes, _strides(sp_shape)):
                gtab[a, b] = st * glen
        mom_axes = [b for b in range(d, D) if b != a]
        for b, st in zip(mom_axes, _strides(mom_shape)):
            if b < D - 1:
                gtab[a, b] = st
    return np.concatenate(parts), goff, gband, gtab


# --------------------------------------------------------------------------- coefficients
def _matrix_shapes(lay):
    d, sshape = lay["d"], lay["sshape"]
    mshape = lay["shape"][d:]
    out = []
    for c in range(2 * d + 1):
        r = list(sshape)
        p = list(mshape)
        if c < d:
            r[c] += 1
        elif c < 2 * d:
            p[c - d] += 1
        out.append((tuple(r), tuple(p)))
    return out


def _factors(solver, lay, t):
    """Factored coefficients per matrix (uniform in r: exact rank 1 from the compact arrays;
    else cross approximation, full arrays for the matrices without a small rank)."""
    shapes = _matrix_shapes(lay)
    D = lay["D"]

    def compact(co, c):
        if c < D:
            U, W = co.axes[c]
            return [U[0], U[1], W]
        return [co.G, co.K]

    if solver._uniform:
        co = solver.coefficients_at(t)
        return [from_compact(compact(co, c), *shapes[c]) for c in range(D + 1)]
    facs, _, _ = factor_coefficients(solver.frame, solver.terms, solver.grid, t, max_rank=MAX_RANK)
    if any(f is None for f in facs):
        co = solver.coefficients_at(t)
        for c, f in enumerate(facs):
            if f is None:
                facs[c] = from_compact(compact(co, c), *shapes[c])
                if facs[c].nbytes > _warn_bytes():
                    from .fused_textured import _warn_full

                    _warn_full(f"axis {solver.grid.axes[c].name}" if c < D else "the cell sources", facs[c].nbytes,
                               solver.grid.size)
    return facs


def _warn_bytes():
    from .fused_textured import FULL_WARN_BYTES

    return FULL_WARN_BYTES


def _pack(facs):
    """Flat factors for the kernel: ``A`` (K, N_r) and ``B`` (K, n_c, N_p) (full: (n_c, N_r, N_p))."""
    mp = np.zeros((len(facs), 6), dtype=np.int64)
    As, Bs, oa, ob = [np.zeros(1)], [np.zeros(1)], 1, 1
    for c, f in enumerate(facs):
        nc, npp = f.B.shape[1], f.B.shape[-1]
        nr = f.B.shape[2] if f.full else f.A.shape[1]
        mp[c] = (oa, ob, f.rank, nr, npp, nc)
        As.append(np.ascontiguousarray(f.A).reshape(-1))
        Bs.append(np.ascontiguousarray(f.B).reshape(-1))
        oa += As[-1].size
        ob += Bs[-1].size
    return np.concatenate(As), np.concatenate(Bs), mp


def stage_data(solver, t):
    """Everything one stage needs at time t (cached when coefficients and inflow are static)."""
    static_in = solver.inflow is None or getattr(solver.inflow, "time_dependent", True) is False
    static = solver._time_dependent is False and static_in
    cache = solver.__dict__.setdefault("_textured_data", {})
    if static and "static" in cache:
        return cache["static"]
    lay = _layout(solver)
    if solver._time_dependent is False and "factors" in cache:
        facs = cache["factors"]
    else:
        facs = _factors(solver, lay, t)
        if solver._time_dependent is False:
            cache["factors"] = facs
    Af, Bf, mp = _pack(facs)
    Gf, goff, gband, gtab = _ghosts(solver, lay, t)
    a_, b_, c_, e_ = solver._coeffs
    data = dict(layout=lay, factors=facs, Af=Af, Bf=Bf, mp=mp, Gf=Gf, goff=goff, gband=gband, gtab=gtab,
                sc=np.array([a_, b_, c_[0], c_[1], e_[0], e_[1]], dtype=float),
                coefficient_bytes=int(Af.nbytes + Bf.nbytes), ghost_bytes=int(Gf.nbytes))
    if static:
        cache["static"] = data
    return data


def cfl_rate(solver, t):
    """An upper bound of the CFL rate of :meth:`KineticSolver.max_dt` from the factors (never
    a full array): ``sum_a max cell_factor_a (max|U| + max|W|)`` with ``max|sum_k A_k B_k| <=
    sum_k max|A_k| max|B_k|``, plus the source rates; ``scheme.cfl / cfl_rate`` is a safe step."""
    data = stage_data(solver, t)
    lay, facs = data["layout"], data["factors"]

    def bound(f, c):
        if f.full:
            return float(np.abs(f.B[0, c]).max(initial=0.0))
        return float(sum(np.abs(f.A[k]).max() * np.abs(f.B[k, c]).max() for k in range(f.A.shape[0])))

    rate = 0.0
    for a in range(lay["D"]):
        cfm = float(np.max(np.ravel(solver.grid.cell_factor(a))))
        rate += cfm * (max(bound(facs[a], 0), bound(facs[a], 1)) + bound(facs[a], 2))
    a_, b_, c_, e_ = solver._coeffs
    rate += (abs(a_) + abs(b_)) * bound(facs[-1], 0) + (2 * max(map(abs, c_)) + max(map(abs, e_))) * bound(facs[-1], 1)
    return rate
