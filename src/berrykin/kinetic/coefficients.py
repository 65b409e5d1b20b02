"""sKE coefficients on a grid: face normal velocities, interband velocities and cell sources.

For every grid axis ``a`` the transport needs, at the face centres of that axis,
``U_s = (xdot_s . normal) face_factor_a`` (both bands) and ``W = c (w . normal) face_factor_a``
(``c`` = :attr:`SKETerms.interband_flux_coefficient`, ``w = (1/4) F v_z``); at the cell
centres the scalars ``G``, ``K`` (and, for the homogeneous reduction, the local
r-divergences). Arrays are *compact*: they have the full grid rank with size-1 axes where the
coefficient does not vary (real-space axes when the frame is uniform in r), so a 4D run with
r-independent velocities stores only momentum-sized arrays. Shapes: ``U`` (2, face...),
``W`` (face...), ``G``, ``K`` (cells...), ``local`` (3, cells...).

Speed-ups (results equal to the direct evaluation to round-off; the tests compare):

* the last few evaluations are cached by time (an RK3 step needs the coefficients at
  ``t, t + dt, t + dt/2``, and the next step starts at ``t + dt``; the CFL step also uses ``t``);
* r-dependent frames on a :class:`PhaseSpaceGrid`: when the coefficients are affine in r at
  fixed (k, t) -- as for a model without r dependence minimally coupled to a uniform b(t) in
  the symmetric gauge, where r enters only through ``e = -bdot z x r/2`` (Eqs. 37-38 and the
  sources are linear in e) -- they are evaluated at ``d + 1`` positions and reconstructed
  exactly; the affine form is verified at every call at one more position (to 1e-12 of the
  largest coefficient), otherwise every position is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

from collections import OrderedDict

import numpy as np

from .frames import evaluate_frame
from .grids import HomogeneousGrid, MomentumGrid

__all__ = ["Coefficients", "evaluate_coefficients", "as_kinetic_grid"]


@dataclass(frozen=True, eq=False)
class Coefficients:
    """Coefficients at one time. ``axes[a] = (U, W)``; ``G``, ``K`` cells; ``local`` or None."""

    axes: tuple
    G: np.ndarray
    K: np.ndarray
    local: np.ndarray | None


def as_kinetic_grid(grid):
    """A bare momentum grid means its homogeneous reduction at the origin."""
    return HomogeneousGrid(grid) if isinstance(grid, MomentumGrid) else grid


def _points(r, p, t):
    """Stack ``r`` (..., d), ``p`` (..., d) and t into points (N, 2d+1); returns (Y, lead shape)."""
    lead = np.broadcast_shapes(r.shape[:-1], p.shape[:-1])
    d = p.shape[-1]
    Y = np.empty(lead + (2 * d + 1,))
    Y[..., :d] = r
    Y[..., d : 2 * d] = p
    Y[..., 2 * d] = t
    return Y.reshape(-1, 2 * d + 1), lead


def _space_points(space, a=None):
    return space.cell_points() if a is None else space.face_points(a)


#: number of cached evaluations (keyed by frame, grid identity, terms, t and flags)
CACHE_SIZE = 4
_CACHE: OrderedDict = OrderedDict()
#: position (fractions of the space box) where the affine reconstruction is verified
_CHECK = (0.3183098861837907, 0.7071067811865476, 0.5772156649015329)


def evaluate_coefficients(frame, grid, terms, t, uniform_in_r=True, r_ref=None, affine_in_r=None):
    """Evaluate the coefficients of ``frame`` (a :class:`~.frames.CanonicalFrame` or
    :class:`~.frames.KineticFrame`) on ``grid`` at time ``t``.

    For a :class:`PhaseSpaceGrid` with ``uniform_in_r`` the velocities are evaluated once at the
    position ``r_ref`` (default: the centre of the space grid) and broadcast over r. Otherwise
    ``affine_in_r`` None (default) tries the exact affine reconstruction (module docstring),
    False evaluates every position. The returned arrays are shared with a small cache: do
    not modify them.
    """
    grid = as_kinetic_grid(grid)
    rr = None if r_ref is None else tuple(np.ravel(r_ref).astype(float))
    key = (id(frame), id(grid), terms, float(t), bool(uniform_in_r), rr, affine_in_r)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is frame and hit[1] is grid:
        _CACHE.move_to_end(key)
        return hit[2]
    full_r = not isinstance(grid, HomogeneousGrid) and not uniform_in_r
    co = None
    if full_r and affine_in_r is not False:
        co = _affine(frame, grid, terms, t)
    if co is None:
        co = _evaluate(frame, grid, terms, t, uniform_in_r, r_ref)
    check_finite_coefficients(co, grid, t)
    _CACHE[key] = (frame, grid, co)  # references keep the ids of the key alive
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return co


def _affine(frame, grid, terms, t):
    """Affine reconstruction in r from d + 1 uniform evaluations, or None if not affine."""
    sp = grid.space
    lo = np.array([ax.edges[0] for ax in sp.axes])
    hi = np.array([ax.edges[-1] for ax in sp.axes])
    r0 = 0.5 * (lo + hi)
    h = 0.5 * (hi - lo)
    d, ns, nk = grid.dim, grid.n_space, grid.momentum.ndim
    rc = lo + (hi - lo) * np.asarray(_CHECK[:d])
    c0, *cl, chk = _evaluate_many(frame, grid, terms, t, True, [r0] + [r0 + h * e for e in np.eye(d)] + [rc])
    dc = []
    for c in cl:
        dc.append(Coefficients(tuple((U - U0, W - W0) for (U, W), (U0, W0) in zip(c.axes, c0.axes)),
                               c.G - c0.G, c.K - c0.K, None))

    def build(rp):
        """Affine values at positions rp (shape_r' + (d,)), broadcast against the arrays."""
        x = [((rp[..., l] - r0[l]) / h[l]).reshape(rp.shape[:-1] + (1,) * nk) for l in range(d)]
        def comb(get):
            out = get(c0)
            for l in range(d):
                out = out + x[l] * get(dc[l])
            return out
        return comb

    def at(rpoints):
        axes = []
        for a in range(grid.ndim):
            comb = build(sp.face_points(a) if a < ns else rpoints)
            axes.append((comb(lambda c: c.axes[a][0]), comb(lambda c: c.axes[a][1])))
        comb = build(rpoints)
        return Coefficients(tuple(axes), comb(lambda c: c.G), comb(lambda c: c.K), None)

    # verify at one more position: predicted (compact) against evaluated
    x = (rc - r0) / h
    pred = Coefficients(
        tuple((U0 + sum(x[l] * dc[l].axes[a][0] for l in range(d)), W0 + sum(x[l] * dc[l].axes[a][1] for l in range(d)))
              for a, (U0, W0) in enumerate(c0.axes)),
        c0.G + sum(x[l] * dc[l].G for l in range(d)), c0.K + sum(x[l] * dc[l].K for l in range(d)), None)
    if not coefficients_close(pred, chk):
        return None
    return at(sp.cell_points())


def _evaluate(frame, grid, terms, t, uniform_in_r=True, r_ref=None):
    """Direct evaluation (see :func:`evaluate_coefficients`)."""
    grid_r = None
    if not isinstance(grid, HomogeneousGrid) and uniform_in_r:
        grid_r = (np.array([ax.edges[0] + ax.edges[-1] for ax in grid.space.axes]) / 2 if r_ref is None
                  else np.asarray(r_ref, dtype=float))
    return _evaluate_many(frame, grid, terms, t, uniform_in_r, [grid_r])[0]


def _evaluate_many(frame, grid, terms, t, uniform_in_r, r_refs):
    """Coefficients at the positions ``r_refs`` (uniform mode; one compiled call for all), or
    at every position (``uniform_in_r`` False, ``r_refs == [None]``). Only the point sets needed
    are evaluated: in uniform mode the space axes use the momentum cell centres like the cell
    scalars (one set instead of d + 1)."""
    d = grid.dim
    homog = isinstance(grid, HomogeneousGrid)
    mg = grid.momentum
    ns = 0 if homog else grid.n_space
    nk = mg.ndim
    ev = lambda Y, h: evaluate_frame(frame, Y, h, terms.energy_shift, terms.anomalous)  # noqa: E731
    cw = terms.interband_flux_coefficient
    full_r = not homog and not uniform_in_r
    if homog:
        r_refs = [np.asarray(grid.r0, dtype=float)]

    def points(r0, pk, a_space=None):
        """Points for momentum points pk (shape_k' + (d,)) and all needed r, with the compact
        shape (ns dims, shape_k') of the result."""
        if full_r:
            rp = _space_points(grid.space, a_space)  # (shape_r' + (d,))
            r = rp.reshape(rp.shape[:-1] + (1,) * nk + (d,))
            return _points(r, pk.reshape((1,) * ns + pk.shape), t)
        Y, lead = _points(r0.reshape((1,) * (pk.ndim - 1) + (d,)), pk, t)
        return Y, (1,) * ns + lead

    # point sets per position: momentum faces, [space faces when full_r], cells
    face_sets, cell_sets = [], []
    for r0 in r_refs:
        fs = [points(r0, mg.face_points(am)) for am in range(nk)]
        if full_r:
            fs += [points(r0, mg.cell_points(), a) for a in range(ns)]
        face_sets.append(fs)
        cell_sets.append(points(r0, mg.cell_points()))

    def run(sets, h):
        flat = [s for group in sets for s in group]
        allC = ev(np.concatenate([Y for Y, _ in flat]), h)
        out, start = [], 0
        for Y, lead in flat:
            out.append(allC[start : start + Y.shape[0]].reshape(lead + (-1,)))
            start += Y.shape[0]
        return out

    both = run([fs + [cs] for fs, cs in zip(face_sets, cell_sets)], homog)
    per = len(face_sets[0]) + 1
    faces = [c for i, c in enumerate(both) if i % per != per - 1]
    cells = both[per - 1 :: per]
    nf = len(face_sets[0])
    return [_assemble(grid, faces[i * nf : (i + 1) * nf], cells[i], cw, full_r) for i in range(len(r_refs))]


def _assemble(grid, faces, C, cw, full_r):
    """Coefficients from the evaluated momentum faces (+ space faces) and cells."""
    homog = isinstance(grid, HomogeneousGrid)
    mg, d = grid.momentum, grid.dim
    ns = 0 if homog else grid.n_space
    nk = mg.ndim
    axes = []
    for a in range(grid.ndim):
        if a < ns:  # space axis: r-component a of the velocities at momentum cell centres
            S = faces[nk + a] if full_r else C
            U = np.stack([S[..., a], S[..., 2 * d + a]])
            W = cw * S[..., 4 * d + a]
        else:
            am = a - ns
            F = faces[am]
            nrm = mg.face_normals(am).reshape((1,) * ns + mg.face_shape(am) + (d,))
            ff = np.broadcast_to(mg.face_factor(am), mg.face_shape(am)).reshape((1,) * ns + mg.face_shape(am))
            proj = lambda v: np.sum(v * nrm, axis=-1)  # noqa: E731
            U = np.stack([proj(F[..., d : 2 * d]), proj(F[..., 3 * d : 4 * d])]) * ff
            W = cw * proj(F[..., 5 * d : 6 * d]) * ff
            U = np.where(ff == 0.0, 0.0, U)  # zero-area faces (k = 0, theta = 0, pi)
            W = np.where(ff == 0.0, 0.0, W)
        axes.append((U, W))
    G, K = C[..., 6 * d], C[..., 6 * d + 1]
    local = None
    if homog:
        local = np.stack([C[..., 6 * d + 2], C[..., 6 * d + 3], cw * C[..., 6 * d + 4]])
    return Coefficients(tuple(axes), G, K, local)


def check_finite_coefficients(co, grid, t):
    """Raise :class:`~berrykin.errors.GapClosingError` if a coefficient is not finite (a gap
    closing on a face or cell of the grid, where F and d|Delta| are undefined), naming the
    first such face or cell: one ``isfinite`` reduction per array."""
    named = [(f"velocity on the faces of axis {a}", a, U) for a, (U, _) in enumerate(co.axes)]
    named += [(f"interband flux velocity on the faces of axis {a}", a, W) for a, (_, W) in enumerate(co.axes)]
    named += [("source coefficient G", None, co.G), ("source coefficient K", None, co.K)]
    if co.local is not None:
        named.append(("local divergence terms", None, co.local))
    for what, axis, arr in named:
        arr = np.asarray(arr)
        if np.isfinite(arr).all():
            continue
        from ..errors import GapClosingError

        idx = np.unravel_index(int(np.argmax(~np.isfinite(arr))), arr.shape)
        mg = grid.momentum
        ns = 0 if isinstance(grid, HomogeneousGrid) else grid.n_space
        k = idx[-mg.ndim:]  # the momentum index (the leading axes are band / space)
        if axis is not None and axis >= ns:
            pts = mg.face_points(axis - ns)
        else:
            pts = mg.cell_points()
        point = {}
        try:
            point = {f"p_{c}": float(v) for c, v in zip("xyz", pts[tuple(np.minimum(k, np.array(pts.shape[:-1]) - 1))])}
        except (IndexError, ValueError):  # pragma: no cover - shapes of an unusual grid
            point = {}
        point["t"] = float(t)
        raise GapClosingError(
            f"the sKE coefficients ({what})", point, None,
            "the sKE needs an open gap on every face and cell: shift or resize the grid so that "
            "no face or cell centre sits on the band touching", count=int(np.count_nonzero(~np.isfinite(arr))))


def coefficient_mismatch(c1, c2):
    """Largest difference of two coefficient sets relative to the largest coefficient magnitude."""
    pairs = [(u1, u2) for (a1, a2) in zip(c1.axes, c2.axes) for (u1, u2) in zip(a1, a2)]
    pairs += [(c1.G, c2.G), (c1.K, c2.K)]
    if c1.local is not None:
        pairs.append((c1.local, c2.local))
    scale = max(max(np.max(np.abs(x)), np.max(np.abs(y))) for x, y in pairs)
    return float(max(np.max(np.abs(x - y)) for x, y in pairs) / max(scale, 1e-300))


def coefficients_close(c1, c2, rtol=1e-12):
    """Whether two coefficient sets agree to ``rtol`` of the largest coefficient magnitude
    (arrays that vanish analytically, like G for isotropic models, are round-off sized)."""
    return bool(coefficient_mismatch(c1, c2) <= rtol)
