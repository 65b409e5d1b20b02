"""sKE coefficients on a grid: face normal velocities, interband velocities and cell sources.

For every grid axis ``a`` the transport needs, at the face centres of that axis,
``U_s = (xdot_s . normal) face_factor_a`` (both bands) and ``W = c (w . normal) face_factor_a``
(``c`` = :attr:`SKETerms.interband_flux_coefficient`, ``w = (1/4) F v_z``); at the cell
centres the scalars ``G``, ``K`` (and, for the homogeneous reduction, the local
r-divergences). Arrays are *compact*: they have the full grid rank with size-1 axes where the
coefficient does not vary (real-space axes when the frame is uniform in r), so a 4D run with
r-independent velocities stores only momentum-sized arrays. Shapes: ``U`` (2, face...),
``W`` (face...), ``G``, ``K`` (cells...), ``local`` (3, cells...).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def evaluate_coefficients(frame, grid, terms, t, uniform_in_r=True, r_ref=None):
    """Evaluate the coefficients of ``frame`` (a :class:`~.frames.CanonicalFrame` or
    :class:`~.frames.KineticFrame`) on ``grid`` at time ``t``.

    For a :class:`PhaseSpaceGrid` with ``uniform_in_r`` the velocities are evaluated once at the
    position ``r_ref`` (default: the centre of the space grid) and broadcast over r.
    """
    grid = as_kinetic_grid(grid)
    d = grid.dim
    homog = isinstance(grid, HomogeneousGrid)
    mg = grid.momentum
    ns = 0 if homog else grid.n_space
    nk = mg.ndim
    ev = lambda Y: evaluate_frame(frame, Y, homog, terms.energy_shift, terms.anomalous)  # noqa: E731
    cw = terms.interband_flux_coefficient
    if homog:
        r0 = np.asarray(grid.r0, dtype=float)
    elif uniform_in_r:
        r0 = (np.array([ax.edges[0] + ax.edges[-1] for ax in grid.space.axes]) / 2 if r_ref is None
              else np.asarray(r_ref, dtype=float))
    full_r = not homog and not uniform_in_r

    def points(pk, a_space=None):
        """Points for momentum points pk (shape_k' + (d,)) and all needed r, with the compact
        shape (ns dims, shape_k') of the result."""
        if full_r:
            rp = _space_points(grid.space, a_space)  # (shape_r' + (d,))
            r = rp.reshape(rp.shape[:-1] + (1,) * nk + (d,))
            Y, lead = _points(r, pk.reshape((1,) * ns + pk.shape), t)
            return Y, lead
        Y, lead = _points(r0.reshape((1,) * (pk.ndim - 1) + (d,)), pk, t)
        return Y, (1,) * ns + lead

    # all point sets in one compiled evaluation: the space and momentum faces, then the cells
    sets = [points(mg.cell_points(), a) if a < ns else points(mg.face_points(a - ns)) for a in range(grid.ndim)]
    sets.append(points(mg.cell_points()))
    allC = ev(np.concatenate([Y for Y, _ in sets]))
    split, start = [], 0
    for Y, lead in sets:
        split.append(allC[start : start + Y.shape[0]].reshape(lead + (-1,)))
        start += Y.shape[0]

    axes = []
    for a in range(grid.ndim):
        C = split[a]
        if a < ns:  # space axis: r-component a of the velocities at momentum cell centres
            U = np.stack([C[..., a], C[..., 2 * d + a]])
            W = cw * C[..., 4 * d + a]
        else:
            am = a - ns
            nrm = mg.face_normals(am).reshape((1,) * ns + mg.face_shape(am) + (d,))
            ff = np.broadcast_to(mg.face_factor(am), mg.face_shape(am)).reshape((1,) * ns + mg.face_shape(am))
            proj = lambda v: np.sum(v * nrm, axis=-1)  # noqa: E731
            U = np.stack([proj(C[..., d : 2 * d]), proj(C[..., 3 * d : 4 * d])]) * ff
            W = cw * proj(C[..., 5 * d : 6 * d]) * ff
            U = np.where(ff == 0.0, 0.0, U)  # zero-area faces (k = 0, theta = 0, pi)
            W = np.where(ff == 0.0, 0.0, W)
        axes.append((U, W))
    C = split[-1]
    G, K = C[..., 6 * d], C[..., 6 * d + 1]
    local = None
    if homog:
        local = np.stack([C[..., 6 * d + 2], C[..., 6 * d + 3], cw * C[..., 6 * d + 4]])
    return Coefficients(tuple(axes), G, K, local)


def coefficients_close(c1, c2, rtol=1e-12):
    """Whether two coefficient sets agree to ``rtol`` of the largest coefficient magnitude
    (arrays that vanish analytically, like G for isotropic models, are round-off sized)."""
    pairs = [(u1, u2) for (a1, a2) in zip(c1.axes, c2.axes) for (u1, u2) in zip(a1, a2)]
    pairs += [(c1.G, c2.G), (c1.K, c2.K)]
    if c1.local is not None:
        pairs.append((c1.local, c2.local))
    scale = max(max(np.max(np.abs(x)), np.max(np.abs(y))) for x, y in pairs)
    return all(np.max(np.abs(x - y)) <= rtol * max(scale, 1e-300) for x, y in pairs)
