"""The fused textured 4D / 6D kernel (:mod:`berrykin.kinetic.fused_textured`) and its factored
coefficients (:mod:`berrykin.kinetic.factored`).

References: the general per-axis path (``solver._fused = False``; per-axis sweeps of
:mod:`berrykin.kinetic.kernels` and :func:`berrykin.kinetic.reference.cell_sources`) on small
grids, to round-off, every band and every ledger group; the ledger identity; and an exact
solution of the sKE in a skyrmion texture: with ``rashba = 0`` the bands of
``TexturedFerromagnet2D`` move with ``rdot = p/m`` and the emergent Lorentz force of
``F_xy(r)`` (a divergence-free flow, no sources), which conserves ``E = p^2`` and the
canonical angular momentum ``L_s = x p_y - y p_x + (s/2) n_z(rho)`` of the axisymmetric
skyrmion (the emergent flux inside rho is ``2 pi (n_z(0) - n_z(rho))``-proportional), so
``n_s = f(E) g(L_s)`` is stationary; its grid convergence is fitted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from berrykin.kinetic import (
    Axis,
    CanonicalFrame,
    CartesianMomentumGrid,
    EquilibriumInflow,
    KineticFrame,
    KineticSolver,
    Limiter,
    PhaseSpaceGrid,
    Scheme,
    SKETerms,
    SpaceGrid,
    fermi_dirac,
)
from berrykin.kinetic import factored, fused_textured
from berrykin.models import (
    LatticeTexturedFerromagnet2D,
    MinimalCoupling,
    Skyrmion,
    TexturedFerromagnet2D,
    UniformMagneticField,
    Weyl3D,
)

SKY = Skyrmion(radius=1.5, width=1.5)


def _compare(frame, grid, model, rk=3, dt=0.02, limiter=Limiter.VAN_LEER, **kw):
    """One step through the fused textured kernel and through the general path."""
    rng = np.random.default_rng(0)
    n0 = fermi_dirac(model, grid, 0.3, 0.3) + 0.3 * rng.uniform(size=(2,) + grid.shape)
    out, solvers = [], []
    for fused in (True, False):
        solver = KineticSolver(frame, grid, SKETerms.full(), Scheme(rk_stages=rk, limiter=limiter),
                               inflow=EquilibriumInflow(model, 0.9, 0.3), **kw)
        solver._fused = None if fused else False
        out.append(solver.step(n0, 0.0, dt))
        assert solver._fused is fused
        if fused:
            assert solver._fast is fused_textured
        solvers.append(solver)
    (n1, in1, s1), (n2, in2, s2) = out
    assert np.max(np.abs(n1 - n2)) <= 1e-13 * np.abs(n2).max()
    # every ledger group and band, to round-off of the ledger's scale (the particle number)
    scale = float(np.abs(grid.integrate(n0)).sum() * grid.measure)
    assert np.max(np.abs(in1 - in2), initial=0.0) <= 1e-13 * scale, (in1, in2)
    assert np.max(np.abs(s1 - s2)) <= 1e-13 * scale, (s1, s2)
    assert len(solvers[0].groups) == in1.shape[0]
    return solvers[0]


def _factors(solver):
    return solver._textured_data["static"]["factors"]


def test_textured_4d_rank_one_equals_general_path():
    """Skyrmion, rashba = 0: rank-1 factors on every axis, bounded x with inflow, periodic y,
    a non-uniform kx axis, odd sizes; SSP-RK3 with every sKE term."""
    model = TexturedFerromagnet2D(exchange=1.0, rashba=0.0, texture=SKY)
    kx = np.sort(np.random.default_rng(1).uniform(-2, 2, 6))
    grid = PhaseSpaceGrid(SpaceGrid((Axis.uniform("x", -4, 4, 7, False), Axis.uniform("y", -4, 4, 9, True))),
                          CartesianMomentumGrid((Axis("k_x", kx), Axis.uniform("k_y", -2.0, 2.0, 5))))
    solver = _compare(CanonicalFrame(model), grid, model)
    assert solver.groups == ("x-", "x+", "k_x-", "k_x+", "k_y-", "k_y+")
    facs = _factors(solver)
    assert [f.rank for f in facs[:4]] == [1, 1, 1, 1] and facs[4].rank == 0  # W, G, K vanish
    assert sum(f.nbytes for f in facs) < 0.05 * 8 * 14 * grid.size


# the skyrmion with rashba != 0 (and the canonical frame of a uniform b) is not periodic over
# these small boxes: both paths solve the same seamed problem, announced by a PeriodicityWarning
@pytest.mark.filterwarnings("ignore::berrykin.errors.PeriodicityWarning")
def test_textured_4d_full_rank_fallback_equals_general_path():
    """rashba != 0: the coefficients have no small rank, stored full; still the same step."""
    model = TexturedFerromagnet2D(exchange=1.0, rashba=0.4, texture=SKY)
    grid = PhaseSpaceGrid(SpaceGrid.box(2, 4.0, 5, periodic=True), CartesianMomentumGrid.box(2, 2.0, 6))
    solver = _compare(CanonicalFrame(model), grid, model, rk=2)
    assert all(f.rank == -1 for f in _factors(solver)[:4])


def test_textured_4d_brillouin_zone_equals_general_path():
    """Lattice model: periodic space and a periodic (Brillouin-zone) momentum grid."""
    model = LatticeTexturedFerromagnet2D(exchange=1.0, rashba=0.0, lattice_constant=0.5, texture=SKY)
    grid = PhaseSpaceGrid(SpaceGrid.box(2, 4.0, 6, periodic=True),
                          CartesianMomentumGrid.brillouin_zone(2, 7, period=model.momentum_period))
    solver = _compare(CanonicalFrame(model), grid, model, rk=2)
    assert solver.groups == ()


@pytest.mark.filterwarnings("ignore::berrykin.errors.PeriodicityWarning")
@pytest.mark.parametrize("canonical", [False, True])
def test_6d_equals_general_path(canonical):
    """Weyl node in a uniform b: kinetic frame (momentum-only, exact rank 1; periodic space) and
    canonical frame (r-dependent, full fallback; bounded x, z with inflow, periodic k_y)."""
    model = Weyl3D(chirality=1)
    cpl = MinimalCoupling(model, UniformMagneticField(b=(0.1, -0.2, 0.3)))
    per = not canonical
    sp = SpaceGrid((Axis.uniform("x", -3, 3, 4, per), Axis.uniform("y", -2, 2, 5, True),
                    Axis.uniform("z", -2, 3, 3, per)))
    mom = CartesianMomentumGrid((Axis.uniform("k_x", 0.13, 2.1, 4), Axis.uniform("k_y", -1.9, 2.2, 3, canonical),
                                 Axis.uniform("k_z", -2, 1.7, 5)))
    frame = CanonicalFrame(cpl) if canonical else KineticFrame(cpl)
    solver = _compare(frame, PhaseSpaceGrid(sp, mom), model)
    ranks = [f.rank for f in _factors(solver)]
    assert ranks[:6] == ([-1] * 6 if canonical else [1] * 6)


def test_cross_approximation_recovers_a_known_rank_and_rejects_full_rank():
    """Synthetic matrices M[r, c, p] = sum_k a_k(r) b_k(c, p): rank 3 is found and verified to
    1e-12; a random (full-rank) matrix is rejected."""
    rng = np.random.default_rng(4)
    nr, nc, npp = 60, 3, 50
    A, B = rng.normal(size=(3, nr)), rng.normal(size=(3, nc, npp))
    M = np.einsum("kr,kcp->rcp", A, B)
    fac, err = factored.cross_approximation(lambda i: M[i], lambda j: M[:, :, j], lambda ri, pj: M[ri, :, pj],
                                            nr, nc, npp, np.abs(M).max())
    assert fac is not None and fac.rank == 3 and err <= 1e-12 * np.abs(M).max()
    assert np.abs(fac.dense() - M.transpose(1, 0, 2)).max() <= 1e-12 * np.abs(M).max()
    R = rng.normal(size=(nr, nc, npp))
    fac, _ = factored.cross_approximation(lambda i: R[i], lambda j: R[:, :, j], lambda ri, pj: R[ri, :, pj],
                                          nr, nc, npp, np.abs(R).max(), max_rank=8)
    assert fac is None


# --------------------------------------------------------------------------- exact solution
def _nz(x, y, sk=SKY):
    rho2 = x * x + y * y
    lam = sk.radius * np.exp((sk.radius ** 2 - rho2) / (2 * sk.width ** 2))
    return (rho2 - lam * lam) / (rho2 + lam * lam)


class _ExactState:
    """``n_s = exp(-E/0.6) exp(-L_s^2/8)``, ``E = |p|^2``, ``L_s = x p_y - y p_x + (s/2) n_z``;
    used as the initial state (cell centres) and as exact inflow on every boundary."""

    time_dependent = False

    def __call__(self, r, p, t=0.0):
        r, p = np.broadcast_arrays(np.asarray(r, float), np.asarray(p, float))
        x, y, px, py = r[..., 0], r[..., 1], p[..., 0], p[..., 1]
        f = np.exp(-(px * px + py * py) / 0.6)
        return np.stack([f * np.exp(-((x * py - y * px + 0.5 * s * _nz(x, y)) ** 2) / 8.0) for s in (1, -1)])


def _centres(grid):
    rc = grid.space.cell_points().reshape(grid.space.shape + (1, 1, 2))
    pc = grid.momentum.cell_points().reshape((1, 1) + grid.momentum.shape + (2,))
    return rc, pc


def _stationary_error(N, T=0.4, limiter=Limiter.UNLIMITED):
    model = TexturedFerromagnet2D(exchange=1.0, rashba=0.0, texture=SKY)
    grid = PhaseSpaceGrid(SpaceGrid.box(2, 3.0, N, periodic=False), CartesianMomentumGrid.box(2, 2.2, N))
    exact = _ExactState()
    solver = KineticSolver(CanonicalFrame(model), grid, SKETerms.full(), Scheme(limiter=limiter, rk_stages=3, cfl=0.4),
                           inflow=exact, time_dependent=False)
    n0 = exact(*_centres(grid))
    ts, states, ledger = solver.solve(n0, (0.0, T))
    assert solver._fast is fused_textured
    vol = np.broadcast_to(grid.volumes(), grid.shape)
    return float(np.sum(np.abs(states[-1] - n0) * vol) / np.sum(np.abs(n0) * vol)), ledger


@pytest.mark.slow  # ~30 s on 2 cores (a solve with exact inflow at every stage): quick suite <= 6 min
def test_textured_ledger_closes_and_skyrmion_state_is_stationary():
    """Bounded space and momentum with exact inflow: the ledger closes to 1e-12 (every band),
    and the exact stationary state stays within a few percent at this coarse resolution."""
    err, ledger = _stationary_error(10, T=0.2, limiter=Limiter.VAN_LEER)  # compiled above
    assert ledger.relative(ledger.band_residual()) < 1e-12
    assert ledger.relative(ledger.conservation_residual()) < 1e-12
    assert np.abs(ledger.inflow[-1]).max() > 1e-6  # the boundaries carry particles both ways
    assert err < 0.05


@pytest.mark.slow  # ~1 min on 2 cores: four resolutions up to 24^4 cells
def test_textured_stationary_skyrmion_state_second_order():
    """Unlimited MUSCL + SSP-RK3, N^4 cells for N = 10, 14, 18, 24: fitted L1 order >= 1.8.
    A wrong emergent force (e.g. the sign of F_xy or of q_s) makes the error O(1) instead."""
    ns = np.array([10, 14, 18, 24])
    errs = [_stationary_error(int(n))[0] for n in ns]
    order = -np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert order >= 1.8, (order, errs)


# --------------------------------------------------------------------------- memory
_SCRIPT = textwrap.dedent("""
    import resource, numpy as np
    from berrykin.kinetic import (CartesianMomentumGrid, EquilibriumInflow, KineticFrame, KineticSolver,
                                  PhaseSpaceGrid, Scheme, SKETerms, SpaceGrid, fermi_dirac)
    from berrykin.models import MinimalCoupling, UniformMagneticField, Weyl3D
    model = Weyl3D(chirality=1)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=(0.0, 0.0, 0.3))))
    grid = PhaseSpaceGrid(SpaceGrid.box(3, 10.0, 32, periodic=True), CartesianMomentumGrid.box(3, 2.0, 16))
    solver = KineticSolver(frame, grid, SKETerms.full(), Scheme(rk_stages=2), inflow=EquilibriumInflow(model, 0.5, 0.2))
    n = fermi_dirac(model, grid, mu=0.3, T=0.2)
    out, inflow, src = solver.step(n, 0.0, 0.5 * solver.max_dt(0.0))
    data = solver._textured_data["static"]
    print(grid.size, solver._fast.__name__, bool(np.isfinite(out).all()), data["coefficient_bytes"],
          data["ghost_bytes"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
""")


@pytest.mark.slow  # 134 M cells: one SSP-RK2 step (about a minute on 2 cores, ~7 GB)
def test_6d_32cubed_by_16cubed_fits_in_16_gb():
    res = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=3000,
                         env=dict(os.environ))
    assert res.returncode == 0, res.stderr[-3000:]
    cells, path, finite, coef, ghosts, peak = res.stdout.split()[-6:]
    assert int(cells) == 32 ** 3 * 16 ** 3 and path.endswith("fused_textured") and finite == "True"
    assert int(coef) < 0.05 * int(cells)  # factored (rank-1) coefficients: < 0.05 B/cell (2.5 MB)
    assert int(ghosts) < 8 * 2 ** 20  # inflow ghosts stored once over space
    assert int(peak) < 16 * 2 ** 30, int(peak) / 2 ** 30
    print(f"peak RSS {int(peak) / 2 ** 30:.2f} GiB, coefficients {int(coef)} B, ghosts {int(ghosts)} B")
