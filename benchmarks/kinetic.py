"""Benchmark: one full two-band sKE step on a 4D phase-space grid, against memory bandwidth.

Problem: massive Dirac fermions (m = 0.8) in a uniform b = 0.4, kinetic frame, every sKE term on
(corrected interband sign), on (x, y, kx, ky) with N^4 cells (default N = 64: 16.8 M cells,
268 MB per two-band state): periodic x, y; a bounded kx, ky box with equilibrium inflow. The
velocities do not depend on r, so the coefficients are 2D arrays (a few hundred kB) and the
state dominates the traffic. The step is SSP-RK2 with van Leer MUSCL through the fused
single-pass kernel (:mod:`berrykin.kinetic.fused4d`).

Printed: cell-updates per second; the minimum bytes a step must move (each RK stage must read
its input state(s) and write its output: 80 B/cell for SSP-RK2 with two bands in float64; the
absolute floor of reading and writing the state once is 32 B/cell); STREAM-like copy and triad
bandwidths measured in the same run (bytes counted as reads + writes, like STREAM); and the
fraction of the bandwidth bound reached, ``(bytes / bandwidth) / measured time``.

A second figure times one full step on a 6D grid (x, y, z, kx, ky, kz; Weyl node in a uniform
b along z, kinetic frame, every sKE term; 16^3 x 8^3 = 2.1 M cells by default) through the
general per-axis path (the fused kernel is 4D only), with the same bandwidth bound.

Run: ``python benchmarks/kinetic.py [N] [repeats] [N6_space] [N6_momentum]``.
"""

from __future__ import annotations

import sys
import time

import numba
import numpy as np
from numba import njit, prange

from berrykin.kinetic import (
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
from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField


@njit(parallel=True)
def _copy(a, b):
    for i in prange(a.size):
        b[i] = a[i]


@njit(parallel=True)
def _triad(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


def stream(n=1 << 25, repeats=5):
    """Best-of copy and triad bandwidth in GB/s (bytes = reads + writes)."""
    a, b, c = np.ones(n), np.ones(n), np.ones(n)
    _copy(a, b)
    _triad(a, b, c, 2.0)
    best_c = best_t = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        _copy(a, b)
        best_c = max(best_c, 16 * n / (time.perf_counter() - t0) / 1e9)
        t0 = time.perf_counter()
        _triad(a, b, c, 2.0)
        best_t = max(best_t, 24 * n / (time.perf_counter() - t0) / 1e9)
    return best_c, best_t


def main(N=64, repeats=5):
    model = MassiveDirac2D(m=0.8)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=0.4)))
    grid = PhaseSpaceGrid(SpaceGrid.box(2, 10.0, N, periodic=True), CartesianMomentumGrid.box(2, 3.0, N))
    solver = KineticSolver(frame, grid, SKETerms.full(), Scheme(limiter=Limiter.VAN_LEER, rk_stages=2),
                           inflow=EquilibriumInflow(model, mu=0.5, T=0.2))
    n = fermi_dirac(model, grid, mu=0.3, T=0.2)
    cells = grid.size
    work = [np.empty_like(n), np.empty_like(n)]
    dt = 0.5 * solver.max_dt(0.0)
    t0 = time.perf_counter()
    solver.step(n, 0.0, dt, work=work)  # compile and first touch
    print(f"set-up + compile + first step: {time.perf_counter() - t0:.1f} s (fused kernel: {solver._fused})")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out, inflow, src = solver.step(n, 0.0, dt, work=work)
        times.append(time.perf_counter() - t0)
    t_step = float(np.median(times))
    bw_copy, bw_triad = stream()
    bw = max(bw_copy, bw_triad)
    bytes_rk2 = 80 * cells
    bytes_floor = 32 * cells
    print(f"grid {grid.shape} = {cells / 1e6:.2f} M cells, two bands, float64, {numba.get_num_threads()} threads")
    print(f"time per SSP-RK2 step (median of {repeats}): {t_step * 1e3:.1f} ms  (min {min(times) * 1e3:.1f} ms)")
    print(f"cell-updates per second: {cells / t_step / 1e6:.1f} M/s (per RK stage: {2 * cells / t_step / 1e6:.1f} M/s)")
    print(f"minimum bytes per step: {bytes_rk2 / 1e9:.3f} GB (80 B/cell, SSP-RK2); floor {bytes_floor / 1e9:.3f} GB (32 B/cell)")
    print(f"STREAM-like bandwidth (same run): copy {bw_copy:.1f} GB/s, triad {bw_triad:.1f} GB/s")
    print(f"achieved traffic rate: {bytes_rk2 / t_step / 1e9:.1f} GB/s")
    print(f"fraction of the bandwidth bound (80 B/cell at {bw:.1f} GB/s): {bytes_rk2 / (bw * 1e9) / t_step:.1%}")
    print(f"fraction of the 32 B/cell floor bound: {bytes_floor / (bw * 1e9) / t_step:.1%}")
    return dict(t_step=t_step, cells=cells, bw_copy=bw_copy, bw_triad=bw_triad,
                fraction=bytes_rk2 / (bw * 1e9) / t_step)


def main_6d(n_space=16, n_mom=8, repeats=3, bandwidth=None):
    """One full SSP-RK2 step on a 6D grid through the general per-axis path."""
    from berrykin.models import Weyl3D

    model = Weyl3D(chirality=1)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=(0.0, 0.0, 0.3))))
    mom = CartesianMomentumGrid.box(3, 2.0, n_mom)
    grid = PhaseSpaceGrid(SpaceGrid.box(3, 10.0, n_space, periodic=True), mom)
    solver = KineticSolver(frame, grid, SKETerms.full(), Scheme(limiter=Limiter.VAN_LEER, rk_stages=2),
                           inflow=EquilibriumInflow(model, mu=0.5, T=0.2))
    n = fermi_dirac(model, grid, mu=0.3, T=0.2)
    dt = 0.5 * solver.max_dt(0.0)
    t0 = time.perf_counter()
    solver.step(n, 0.0, dt)
    print(f"6D set-up + compile + first step: {time.perf_counter() - t0:.1f} s (fused kernel: {solver._fused})")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        solver.step(n, 0.0, dt)
        times.append(time.perf_counter() - t0)
    t_step = float(np.median(times))
    cells = grid.size
    bw = bandwidth or max(stream())
    print(f"6D grid {grid.shape} = {cells / 1e6:.2f} M cells: {t_step * 1e3:.1f} ms per SSP-RK2 step, "
          f"{cells / t_step / 1e6:.1f} M cell-updates/s, "
          f"{80 * cells / (bw * 1e9) / t_step:.1%} of the 80 B/cell bandwidth bound at {bw:.1f} GB/s")
    return dict(t_step=t_step, cells=cells)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    res = main(*args[:2])
    six = main_6d(*args[2:4], bandwidth=max(res["bw_copy"], res["bw_triad"]))
    rate4, rate6 = res["cells"] / res["t_step"], six["cells"] / six["t_step"]
    print(f"6D general path / 4D fused kernel, cell-updates per second: {rate6 / rate4:.2f}")
