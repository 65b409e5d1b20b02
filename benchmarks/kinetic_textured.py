"""Benchmark: the fused textured 4D and 6D sKE kernels against the uniform 4D fused kernel.

Problems (SSP-RK2, van Leer MUSCL, every sKE term, corrected interband sign, float64):

* uniform 4D (the reference rate, as benchmarks/kinetic.py): massive Dirac (m = 0.8) in a
  uniform b = 0.4, kinetic frame, N^4 cells, periodic x, y, bounded kx, ky with equilibrium
  inflow, through :mod:`berrykin.kinetic.fused4d`;
* textured 4D: ``TexturedFerromagnet2D(rashba=0)`` with a skyrmion (radius 2, width 2) on the
  same N^4 sizes (periodic space box [-8, 8]^2, momentum box [-2.5, 2.5]^2 with equilibrium
  inflow), canonical frame: the velocities depend on r through the emergent field F_xy(r),
  stored as rank-1 factors (:mod:`berrykin.kinetic.factored`), through
  :mod:`berrykin.kinetic.fused_textured`;
* 6D: ``Weyl3D`` in a uniform b = (0, 0, 0.3), kinetic frame (momentum-only coefficients,
  exact rank 1), N6s^3 x N6k^3 cells, periodic space, bounded momentum box with inflow.

Printed per path: cell-updates per second (best of ``repeats`` steps), the bytes per cell the
path stores (state and work buffers, coefficients, inflow ghosts; counted from the arrays) and
the bytes per cell of full coefficient arrays (what the general path holds for r-dependent
coefficients); the lines ``textured 4D / uniform 4D cell-update ratio: X`` and
``6D / 4D cell-update ratio: X`` (ratios to the uniform 4D fused rate).

Run: ``python benchmarks/kinetic_textured.py [N] [N6_space] [N6_momentum] [repeats]``.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from berrykin.kinetic import (
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
    fermi,
    fermi_dirac,
    fused_textured,
)
from berrykin.models import MassiveDirac2D, MinimalCoupling, Skyrmion, TexturedFerromagnet2D, UniformMagneticField, Weyl3D

SCHEME = Scheme(limiter=Limiter.VAN_LEER, rk_stages=2)


def _time(solver, n, dt, repeats):
    work = [np.empty_like(n), np.empty_like(n)]
    t0 = time.perf_counter()
    solver.step(n, 0.0, dt, work=work)  # compile, coefficients, first touch
    first = time.perf_counter() - t0
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        solver.step(n, 0.0, dt, work=work)
        best = min(best, time.perf_counter() - t0)
    return best, first


def full_coefficient_bytes(grid):
    """Bytes of full coefficient arrays on ``grid`` (3 per axis on its faces, G and K on cells)."""
    faces = sum(int(np.prod(grid.face_shape(a))) for a in range(grid.ndim))
    return 8 * (3 * faces + 2 * grid.size)


def _report(name, solver, n, best):
    cells = n[0].size
    state = 3 * n.nbytes  # the state and the two work buffers of a step
    line = f"{name}: grid {n.shape[1:]} = {cells / 1e6:.2f} M cells, {cells / best / 1e6:.1f} M cell-updates/s"
    data = solver.__dict__.get("_textured_data", {}).get("static")
    if data is not None:
        coef, ghosts = data["coefficient_bytes"], data["ghost_bytes"]
        ranks = [f.rank for f in data["factors"]]
        line += (f"; stored {(state + coef + ghosts) / cells:.1f} B/cell (state + 2 buffers {state / cells:.0f}, "
                 f"factored coefficients {coef / cells:.3f}, ghosts {ghosts / cells:.3f}; ranks {ranks}); "
                 f"full coefficient arrays would take {full_coefficient_bytes(solver.grid) / cells:.0f} B/cell")
    else:
        line += f"; stored {state / cells:.1f} B/cell (state + 2 buffers; momentum-only coefficients)"
    print(line, flush=True)


def uniform_4d(N=48, repeats=3):
    model = MassiveDirac2D(m=0.8)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=0.4)))
    grid = PhaseSpaceGrid(SpaceGrid.box(2, 10.0, N, periodic=True), CartesianMomentumGrid.box(2, 3.0, N))
    solver = KineticSolver(frame, grid, SKETerms.full(), SCHEME, inflow=EquilibriumInflow(model, mu=0.5, T=0.2))
    n = fermi_dirac(model, grid, mu=0.3, T=0.2)
    best, first = _time(solver, n, 0.5 * solver.max_dt(0.0), repeats)
    _report(f"uniform 4D ({solver._fast.__name__.split('.')[-1]})", solver, n, best)
    return grid.size / best


def textured_4d(N=48, repeats=3):
    model = TexturedFerromagnet2D(exchange=1.0, rashba=0.0, texture=Skyrmion(radius=2.0, width=2.0))
    grid = PhaseSpaceGrid(SpaceGrid.box(2, 8.0, N, periodic=True), CartesianMomentumGrid.box(2, 2.5, N))
    # static, r-dependent (stated, so the solver does not probe with full coefficient arrays)
    solver = KineticSolver(CanonicalFrame(model), grid, SKETerms.full(), SCHEME, inflow=EquilibriumInflow(model, 0.5, 0.3),
                           time_dependent=False, uniform_in_r=False)
    # with rashba = 0 the bands eps_s = p^2/2m + s J do not depend on r: Fermi occupations at the
    # momentum cell centres, broadcast over r (no r-dependent quadrature over the whole grid)
    p2 = np.sum(grid.momentum.cell_points() ** 2, axis=-1)
    nk = np.stack([fermi(0.5 * p2 + s * model.exchange, 0.5, 0.3) for s in (1, -1)])
    n = np.ascontiguousarray(np.broadcast_to(nk[:, None, None], (2,) + grid.shape))
    solver._detect(0.0, 1.0)
    dt = 0.5 * SCHEME.cfl / fused_textured.cfl_rate(solver, 0.0)
    best, first = _time(solver, n, dt, repeats)
    _report(f"textured 4D ({solver._fast.__name__.split('.')[-1]}, set-up + compile {first:.0f} s)", solver, n, best)
    return grid.size / best


def weyl_6d(n_space=16, n_mom=16, repeats=3):
    model = Weyl3D(chirality=1)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=(0.0, 0.0, 0.3))))
    grid = PhaseSpaceGrid(SpaceGrid.box(3, 10.0, n_space, periodic=True), CartesianMomentumGrid.box(3, 2.0, n_mom))
    solver = KineticSolver(frame, grid, SKETerms.full(), SCHEME, inflow=EquilibriumInflow(model, mu=0.5, T=0.2))
    n = fermi_dirac(model, grid, mu=0.3, T=0.2)
    best, first = _time(solver, n, 0.5 * solver.max_dt(0.0), repeats)
    _report(f"6D ({solver._fast.__name__.split('.')[-1]})", solver, n, best)
    return grid.size / best


def run(bandwidth=None, rate4=None, N=48, n6_space=16, n6_mom=16, repeats=3):
    """Time the textured 4D and 6D fused kernels; print the two ratio lines against ``rate4``
    (the uniform 4D fused rate in cell-updates/s; measured here on N^4 when None).
    ``bandwidth`` (GB/s), when given, adds the fraction of the 80 B/cell bound. Returns a dict."""
    if rate4 is None:
        rate4 = uniform_4d(N, repeats)
    rate_t = textured_4d(N, repeats)
    rate6 = weyl_6d(n6_space, n6_mom, repeats)
    if bandwidth:
        for name, r in (("textured 4D", rate_t), ("6D", rate6)):
            print(f"{name}: {80 * r / (bandwidth * 1e9):.1%} of the 80 B/cell bandwidth bound at {bandwidth:.1f} GB/s")
    print(f"peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    print(f"textured 4D / uniform 4D cell-update ratio: {rate_t / rate4:.2f}")
    print(f"6D / 4D cell-update ratio: {rate6 / rate4:.2f}")
    return dict(rate4=rate4, rate_textured=rate_t, rate6=rate6)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    run(None, None, *args)
