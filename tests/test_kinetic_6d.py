"""6D phase space (x, y, z, kx, ky, kz): free streaming of a Weyl node, an exact solution.

Without fields and Berry terms (plain Boltzmann), band s of ``Weyl3D`` moves at
``rdot_s = s v p/|p|`` and ``pdot = 0``; on a periodic space box every momentum cell carries
``n_s(r, t) = f(r - s v phat_c t)`` (phat_c at the cell's sample point, where the scheme samples
the velocity). The cell averages of that exact solution are closed forms for a product of
sines, so the fitted order of the space discretisation is asserted. The ledger must close with
periodic space axes and bounded momentum faces (zero velocity through them).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from berrykin.kinetic import (
    CanonicalFrame,
    CartesianMomentumGrid,
    KineticSolver,
    Limiter,
    PhaseSpaceGrid,
    Scheme,
    SKETerms,
    SpaceGrid,
)
from berrykin.models import Weyl3D

L = 2.0 * math.pi  # space box [-pi, pi]^3, periodic


def _profile_average(edges, shift, k):
    """Cell averages of sin(k (x - shift)) over cells with the given edges (closed form)."""
    a, b = edges[:-1] - shift, edges[1:] - shift
    return (np.cos(k * a) - np.cos(k * b)) / (k * (b - a))


def _exact(grid, velocity, t):
    """Cell averages of f(r) = 1 + 0.5 sin(x) sin(2y) sin(z) advected by the per-momentum-cell
    velocity (shape momentum.shape + (3,)); returns (2, *grid.shape) for velocity (2, ..., 3)."""
    sp = grid.space
    out = []
    for s in range(2):
        v = velocity[s]  # (*mshape, 3)
        ex = [_profile_average(ax.edges[:, None], v.reshape(-1, 3)[None, :, i] * t, k)
              for ax, i, k in zip(sp.axes, range(3), (1.0, 2.0, 1.0))]  # each (N_i, M)
        prod = np.einsum("am,bm,cm->abcm", *ex).reshape(sp.shape + grid.momentum.shape)
        out.append(1.0 + 0.5 * prod)
    return np.stack(out)


def _run(n_space, t_end=0.6):
    model = Weyl3D(chirality=1, v=1.0)
    space = SpaceGrid.box(3, math.pi, n_space, periodic=True)
    # momentum cells away from the node (p = 0), coarse: p does not evolve
    mom = CartesianMomentumGrid.box(3, 1.0, 2)
    grid = PhaseSpaceGrid(space, mom)
    solver = KineticSolver(CanonicalFrame(model), grid, SKETerms.boltzmann(),
                           Scheme(limiter=Limiter.UNLIMITED, rk_stages=3, cfl=0.4))
    pc = mom.cell_points()
    phat = pc / np.linalg.norm(pc, axis=-1, keepdims=True)
    velocity = np.stack([phat, -phat])  # s = +1, -1 (chirality +1, v = 1)
    n0 = _exact(grid, velocity, 0.0)
    ts, states, ledger = solver.solve(n0, (0.0, t_end))
    exact = _exact(grid, velocity, t_end)
    err = float(np.mean(np.abs(states[-1] - exact)))
    return err, ledger, grid


@pytest.mark.slow  # ~45 s: compiles the fused 6D kernel for the unlimited scheme (quick suite <= 6 min)
def test_6d_free_streaming_ledger_and_shape():
    err, ledger, grid = _run(8, t_end=0.3)
    assert grid.ndim == 6 and grid.shape == (8, 8, 8, 2, 2, 2)
    assert ledger.relative(ledger.band_residual()) < 1e-12
    assert ledger.relative(ledger.conservation_residual()) < 1e-12
    assert err < 0.02


@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
def test_6d_free_streaming_second_order():
    """Unlimited MUSCL + SSP-RK3 on 8^3 ... 32^3 space cells (x 2^3 momentum cells, up to
    262144 cells): fitted L1 order >= 1.8 (measured 1.94)."""
    ns = np.array([8, 16, 24, 32])
    errs = [_run(int(n))[0] for n in ns]
    order = -np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert order >= 1.8, (order, errs)
