"""The fused 4D stage kernel (:mod:`berrykin.kinetic.fused4d`) against the NumPy reference path,
its ledger, and its float32 storage (``Scheme(precision=Precision.FLOAT32)``).

References: the general per-axis path with ``Scheme(backend="numpy")`` (plain NumPy,
:mod:`berrykin.kinetic.reference`, a different code for the same finite-volume scheme) for the
state and every ledger amount; the ledger identity ``N_s(t) - N_s(0) = inflow_s + sources_s``
(exact in exact arithmetic: the kernel reduces the very boundary fluxes it applies); and, for
float32 storage, the float64 run of the same kernel (the float32 error is the rounding of the
stored state, bounded by ~ steps x 2^-24 relative; docs/kernels.md).

Compiling the fused kernel takes ~15-30 s per limiter and storage type on 2 cores, so the
tests that run it are in the slow step (.ci/run runs them).
"""

from __future__ import annotations

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.kinetic import (
    Axis, CartesianMomentumGrid, EquilibriumInflow, KineticFrame, KineticSolver, Limiter, PhaseSpaceGrid,
    Precision, Scheme, SKETerms, SpaceGrid, fermi_dirac,
)
from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField

MODEL = MassiveDirac2D(m=0.8)
FRAME = KineticFrame(MinimalCoupling(MODEL, UniformMagneticField(b=0.4)))


def _grid(nx=5, ny=7, nkx=6, nky=9, seed=1):
    """Odd sizes (partial y blocks of the kernel), a non-uniform kx axis."""
    kx = np.sort(np.random.default_rng(seed).uniform(-3, 3, nkx + 1))
    return PhaseSpaceGrid(SpaceGrid((Axis.uniform("x", -5, 5, nx, True), Axis.uniform("y", -4, 4, ny, True))),
                          CartesianMomentumGrid((Axis("k_x", kx), Axis.uniform("k_y", -2.5, 2.5, nky))))


def _state(grid, seed=0):
    rng = np.random.default_rng(seed)
    return fermi_dirac(MODEL, grid, 0.2, 0.3) + 0.3 * rng.uniform(size=(2,) + grid.shape)


def _solver(grid, **scheme):
    # inflow on every kx, ky box face: all four boundary groups carry flux both ways
    return KineticSolver(FRAME, grid, SKETerms.full(), Scheme(**scheme), inflow=EquilibriumInflow(MODEL, 0.9, 0.3))


@pytest.mark.slow  # one kernel compilation per limiter (~15-30 s each)
@pytest.mark.parametrize("lim", list(Limiter))
@pytest.mark.parametrize("stages", [2, 3])
def test_fused_step_equals_the_numpy_reference_path(lim, stages):
    """State of both bands and every ledger amount (4 inflow groups x 2 bands, the cell source
    of both bands) of one SSP-RK step, fused kernel against the NumPy path: 1e-13 relative."""
    grid = _grid()
    n0 = _state(grid)
    fused = _solver(grid, limiter=lim, rk_stages=stages)
    ref = _solver(grid, limiter=lim, rk_stages=stages, backend="numpy")
    a = fused.step(n0, 0.0, 0.05)
    b = ref.step(n0, 0.0, 0.05)
    assert fused._fused is True and ref._fused is False
    assert len(fused.groups) == 4
    for x, y in zip(a, b):
        assert np.max(np.abs(x - y)) <= 1e-13 * np.abs(y).max()
    assert np.all(np.abs(b[1]) > 0)  # every group and band carries a flux (the check has teeth)


@pytest.mark.slow
def test_fused_ledger_closes_in_float64_and_float32_storage():
    """Ledger closure over 12 steps of the corrected sKE with inflow: float64 1e-12 relative;
    float32 storage (float64 ledger sums): the closure is limited by the rounding of the stored
    state, asserted <= 2e-6 relative; its state within 1e-5 relative of the float64 run."""
    grid = _grid(6, 5, 8, 10, seed=3)
    n0 = _state(grid, seed=4)
    runs = {}
    for prec in (Precision.FLOAT64, Precision.FLOAT32):
        solver = _solver(grid, limiter=Limiter.VAN_LEER, rk_stages=2, precision=prec)
        dt = 0.5 * solver.max_dt(0.0)
        ts, states, ledger = solver.solve(n0, (0.0, 12 * dt))
        assert solver._fused is True
        runs[prec] = (states[-1], ledger)
    s64, l64 = runs[Precision.FLOAT64]
    s32, l32 = runs[Precision.FLOAT32]
    assert s32.dtype == np.float32 and s64.dtype == np.float64
    assert l64.relative(l64.band_residual()) <= 1e-12
    assert l64.relative(l64.conservation_residual()) <= 1e-12
    assert l32.relative(l32.band_residual()) <= 2e-6
    assert np.max(np.abs(s32 - s64)) <= 1e-5 * np.abs(s64).max()
    # the float32 ledger amounts are float64 sums of the float32 run's fluxes: close to float64
    assert np.max(np.abs(l32.inflow - l64.inflow)) <= 1e-5 * np.abs(l64.inflow).max()


def test_float32_storage_is_refused_where_no_kernel_implements_it():
    """Paths other than the fused 4D kernel raise a ParameterError naming ``precision``."""
    grid = _grid()
    for scheme in (dict(backend="numpy"), dict(limiter=Limiter.VAN_LEER)):
        solver = _solver(grid, precision=Precision.FLOAT32, **scheme)
        if "backend" not in scheme:
            solver._fused = False  # the general path (e.g. with collisions or r-dependent coefficients)
        with pytest.raises(ParameterError, match="precision"):
            solver.step(_state(grid), 0.0, 0.01)
    with pytest.raises(ParameterError, match="precision"):
        Scheme(precision="float32")
    assert Scheme(precision=32).precision is Precision.FLOAT32
