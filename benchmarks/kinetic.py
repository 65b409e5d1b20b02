"""Benchmark: one full two-band sKE step on a 4D phase-space grid, against a roofline.

Problem: massive Dirac fermions (m = 0.8) in a uniform b = 0.4, kinetic frame, every sKE term on
(corrected interband sign), on (x, y, kx, ky) with N^4 cells (default N = 64: 16.8 M cells,
268 MB per two-band state): periodic x, y; a bounded kx, ky box with equilibrium inflow. The
velocities do not depend on r, so the coefficients are 2D arrays (a few hundred kB) and the
state dominates the traffic. The step is SSP-RK2 with van Leer MUSCL through the fused
single-pass kernel (:mod:`berrykin.kinetic.fused4d`), or the JAX stage with ``--backend jax``.

Roofline, both bounds measured in the same run (docs/kernels.md):

* bandwidth: each RK stage must read its input state(s) and write its output: 80 B/cell for
  SSP-RK2 with two bands in float64 (40 B/cell with ``--precision 32``); the floor of reading
  and writing the state once is 32 B/cell. STREAM-like copy and triad (bytes = reads +
  writes, like STREAM); fraction ``(bytes / bandwidth) / measured time``.
* compute: the kernel's floating-point work per cell and stage, counted from its code
  (:data:`berrykin.kinetic.fused4d.FLOPS_VAN_LEER`, van Leer; per part)::

      part                                                   flops  other  divisions
      slopes (8: 2 differences, a b, a + b, t + |t|, div)      48     24        8
      reconstruction (4 faces x 4 states n +- s/2)             32      0        0
      upwind flux (4 faces x 2 bands; max/min split)           56     32        0
      divergence (3 faces x 2 bands x 3, ky 2 x 2)             22      0        0
      sources R_s (2 bands)                                    21      0        0
      stage combination + ledger source sums                   16      0        0
      total per cell and stage                                195     56        8

  (flops: add, sub, mul, div, an FMA counted 2; other: max, min, abs, compare, select), and
  the peak rate of exactly that operation mix on this machine: the fused kernel itself on a
  cache-resident grid of the same problem, ``(4, 8, 8, N)`` on one thread times the number
  of threads (the same code, vectorised the same way, ~0.25 MB per state array), best of 9, normalised
  by the faces per cell of each grid (the small grid recomputes 1/4 + 1/8 init faces per cell,
  the large one 1/N + 1/8). Fraction: ``(2 stages x cells / peak rate) / measured time``.
  With ``--backend jax`` the compute probe is a jitted elementwise kernel of the same
  per-cell operations on device-resident arrays.

A second figure times one full step on a 6D grid (x, y, z, kx, ky, kz; Weyl node in a uniform
b along z, kinetic frame, every sKE term; 16^3 x 8^3 = 2.1 M cells by default) through the
solver's fastest path for it, with the same bandwidth bound. Then (Numba backend) the textured
lines of benchmarks/kinetic_textured.py on the same sizes, against this run's 4D rate:
``textured 4D / uniform 4D cell-update ratio: X``, ``6D / 4D cell-update ratio: X`` and the
bytes per cell each path stores.

Run: ``python benchmarks/kinetic.py [N] [repeats] [N6_space] [N6_momentum] [--backend
{numba,jax}] [--precision {64,32}]``.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from numba import njit, prange

from berrykin.errors import ParameterError
from berrykin.kinetic import (
    CartesianMomentumGrid,
    EquilibriumInflow,
    KineticFrame,
    KineticSolver,
    Limiter,
    PhaseSpaceGrid,
    Precision,
    Scheme,
    SKETerms,
    SpaceGrid,
    fermi_dirac,
    fused4d,
)
from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField

FLOPS = sum(v[0] for v in fused4d.FLOPS_VAN_LEER.values())  # per cell and stage (195)


@njit(parallel=True)
def _copy(a, b):
    for i in prange(a.size):
        b[i] = a[i]


@njit(parallel=True)
def _triad(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


def stream(n=1 << 25, repeats=5):
    """Best-of copy and triad bandwidth in GB/s (bytes = reads + writes), host memory."""
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


def compute_peak(N3=64, repeats=9, precision=64):
    """Compute bound: cell-stages per second of the fused kernel itself on a cache-resident
    grid of the benchmark's problem, ``(4, 8, 8, N3)`` (one block of y rows, ~0.25 MB per
    state array), on ONE thread (no barrier waits: on a shared machine a parallel region of
    ~1 ms waits for descheduled threads), best of ``repeats`` steps, times the number of
    threads, scaled by the extra init faces of the small grid, ``(4 + 1/4 + 1/8)``: the same
    operation mix, vectorised the same way, without the memory traffic of a large grid."""
    nth = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        solver, n = _problem((4, fused4d.BLOCK, 8, N3), "numba", precision)
        dt = 0.5 * solver.max_dt(0.0)
        out, _, _ = solver.step(n, 0.0, dt)
        n = np.asarray(out)
        work = [np.empty_like(n), np.empty_like(n)]
        best = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(10):
                solver.step(n, 0.0, dt, work=work)
            best = min(best, (time.perf_counter() - t0) / 10)
    finally:
        numba.set_num_threads(nth)
    return nth * 2 * solver.grid.size / best * (4 + 0.25 + 1 / fused4d.BLOCK)


def _problem(shape, backend, precision):
    """The benchmark problem on an (x, y, kx, ky) grid of ``shape``: solver and initial state."""
    from berrykin.kinetic import Axis

    model = MassiveDirac2D(m=0.8)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=0.4)))
    h = [10.0, 10.0, 3.0, 3.0]
    axes = [Axis.uniform(c, -w, w, k, periodic=i < 2) for i, (c, w, k) in enumerate(zip(("x", "y", "k_x", "k_y"), h, shape))]
    grid = PhaseSpaceGrid(SpaceGrid(tuple(axes[:2])), CartesianMomentumGrid(tuple(axes[2:])))
    scheme = Scheme(limiter=Limiter.VAN_LEER, rk_stages=2, backend=backend, precision=Precision(precision))
    solver = KineticSolver(frame, grid, SKETerms.full(), scheme, inflow=EquilibriumInflow(model, mu=0.5, T=0.2))
    return solver, fermi_dirac(model, grid, mu=0.3, T=0.2)


def _jax_bounds(n=1 << 24, m=1 << 20, repeats=5):
    """(triad GB/s, cell-stages/s of the per-cell operation mix) on the default JAX device."""
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(True):
        a, b = jnp.ones(n), jnp.full(n, 2.0)
        triad = jax.jit(lambda x, y: x + 3.0 * y)

        def vl(d1, d2):  # van Leer slope, as in the kernels
            t = d1 * d2
            den = jnp.where(d1 + d2 != 0.0, d1 + d2, 1.0)
            return (t + jnp.abs(t)) / den

        def face(c, p1, p2, s, u, w):
            s1 = vl(p1 - c, p2 - p1)
            L, R = c + 0.5 * s, p1 - 0.5 * s1
            f = jnp.maximum(u, 0) * L + jnp.minimum(u, 0) * R + jnp.maximum(w, 0) * R + jnp.minimum(w, 0) * L
            return s1, f

        def cell(x, y, z, u, w):  # 4 faces x 2 bands, sources, stage combination
            acc = jnp.zeros_like(x)
            for k in range(8):
                s1, f = face(x, y, z, acc, u, w)
                acc = acc - 0.5 * (f - s1)
            r = 0.1 * x - 0.2 * y + 0.3 * (x + y) * z
            return 0.5 * z + 0.5 * (x + 1e-3 * (acc + r))

        probe = jax.jit(cell)
        x, y, z = (jnp.asarray(np.random.default_rng(i).uniform(0.1, 1, m)) for i in range(3))
        u, w = jnp.asarray(np.random.default_rng(5).normal(size=m)), jnp.asarray(np.random.default_rng(6).normal(size=m))
        triad(a, b).block_until_ready()
        probe(x, y, z, u, w).block_until_ready()
        bw = rate = 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            triad(a, b).block_until_ready()
            bw = max(bw, 24 * n / (time.perf_counter() - t0) / 1e9)
            t0 = time.perf_counter()
            probe(x, y, z, u, w).block_until_ready()
            rate = max(rate, 2 * m / (time.perf_counter() - t0))  # two bands: m values = m / 2 cells x 2
        return bw, rate / 2


def main(N=64, repeats=5, backend="numba", precision=64):
    try:
        solver, n = _problem((N, N, N, N), backend, precision)
        grid = solver.grid
        dt = 0.5 * solver.max_dt(0.0)
        t0 = time.perf_counter()
        out, _, _ = solver.step(n, 0.0, dt)  # compile and first touch
    except (ParameterError, ImportError, ModuleNotFoundError) as exc:
        print(f"backend {backend!r} with precision {precision} not available here ({exc}); skipped")
        return None
    n = np.asarray(out)  # the state in the run's storage type
    work = [np.empty_like(n), np.empty_like(n)] if backend == "numba" else None
    print(f"set-up + compile + first step: {time.perf_counter() - t0:.1f} s (fused kernel: {solver._fused}, "
          f"backend {backend}, float{precision} storage)")
    cells = grid.size
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        solver.step(n, 0.0, dt, work=work)
        times.append(time.perf_counter() - t0)
    t_step = float(np.median(times))
    bw_copy, bw_triad = stream()
    bw = max(bw_copy, bw_triad)
    if backend == "jax":
        bw_dev, peak = _jax_bounds()
        bw, peak_name = bw_dev, "jitted elementwise probe of the per-cell operations, default JAX device"
        print(f"JAX device triad bandwidth (same run): {bw_dev:.1f} GB/s")
    else:
        peak = compute_peak(N, precision=precision) / (4 + 1 / N + 1 / fused4d.BLOCK)
        peak_name = f"the kernel itself on a cache-resident grid, float{precision}"
    per_cell = 80 * precision // 64
    bytes_rk2 = per_cell * cells
    bytes_floor = 32 * precision // 64 * cells
    t_compute = 2 * cells / peak
    print(f"grid {grid.shape} = {cells / 1e6:.2f} M cells, two bands, float{precision}, {numba.get_num_threads()} threads")
    print(f"time per SSP-RK2 step (median of {repeats}): {t_step * 1e3:.1f} ms  (min {min(times) * 1e3:.1f} ms)")
    print(f"cell-updates per second: {cells / t_step / 1e6:.1f} M/s (per RK stage: {2 * cells / t_step / 1e6:.1f} M/s)")
    print(f"minimum bytes per step: {bytes_rk2 / 1e9:.3f} GB ({per_cell} B/cell, SSP-RK2); floor "
          f"{bytes_floor / 1e9:.3f} GB ({bytes_floor // cells} B/cell)")
    print(f"STREAM-like bandwidth (same run): copy {bw_copy:.1f} GB/s, triad {bw_triad:.1f} GB/s")
    print(f"achieved traffic rate: {bytes_rk2 / t_step / 1e9:.1f} GB/s")
    print(f"fraction of the bandwidth bound ({per_cell} B/cell at {bw:.1f} GB/s): {bytes_rk2 / (bw * 1e9) / t_step:.1%}")
    print(f"fraction of the {bytes_floor // cells} B/cell floor bound: {bytes_floor / (bw * 1e9) / t_step:.1%}")
    print(f"compute peak (same run, {peak_name}): {peak / 1e6:.0f} M cell-stages/s = "
          f"{peak * FLOPS / 1e9:.1f} GFLOP/s at {FLOPS} flops/cell/stage")
    print(f"fraction of the compute bound ({FLOPS} flops/cell/stage at {peak * FLOPS / 1e9:.1f} GFLOP/s): "
          f"{t_compute / t_step:.1%}")
    return dict(t_step=t_step, cells=cells, bw_copy=bw_copy, bw_triad=bw_triad, bandwidth=bw,
                fraction=bytes_rk2 / (bw * 1e9) / t_step, compute_fraction=t_compute / t_step)


def main_6d(n_space=16, n_mom=8, repeats=3, bandwidth=None, backend="numba"):
    """One full SSP-RK2 step on a 6D grid through the solver's fastest path for it."""
    from berrykin.models import Weyl3D

    model = Weyl3D(chirality=1)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=(0.0, 0.0, 0.3))))
    mom = CartesianMomentumGrid.box(3, 2.0, n_mom)
    grid = PhaseSpaceGrid(SpaceGrid.box(3, 10.0, n_space, periodic=True), mom)
    solver = KineticSolver(frame, grid, SKETerms.full(), Scheme(limiter=Limiter.VAN_LEER, rk_stages=2, backend=backend),
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


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("N", nargs="?", type=int, default=64, help="cells per axis of the 4D grid (default 64)")
    p.add_argument("repeats", nargs="?", type=int, default=5, help="timed steps (median; default 5)")
    p.add_argument("N6_space", nargs="?", type=int, default=16, help="6D grid: cells per space axis")
    p.add_argument("N6_momentum", nargs="?", type=int, default=8, help="6D grid: cells per momentum axis")
    p.add_argument("--backend", choices=("numba", "jax"), default="numba")
    p.add_argument("--precision", type=int, choices=(64, 32), default=64,
                   help="storage of the distributions (32: float32, fused 4D kernel only)")
    return p.parse_args(argv)


if __name__ == "__main__":
    a = _args()
    res = main(a.N, a.repeats, a.backend, a.precision)
    if res is not None:
        six = main_6d(a.N6_space, a.N6_momentum, bandwidth=res["bandwidth"], backend=a.backend)
        rate4, rate6 = res["cells"] / res["t_step"], six["cells"] / six["t_step"]
        print(f"6D step (solver's fastest path) / 4D fused kernel, cell-updates per second: {rate6 / rate4:.2f}")
    if res is not None and a.backend == "numba":
        # issue 11: the textured 4D and 6D fused kernels against this run's uniform 4D rate
        import os
        import sys

        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import kinetic_textured

        kinetic_textured.run(res["bandwidth"], rate4, N=a.N, n6_space=a.N6_space, n6_mom=a.N6_momentum,
                             repeats=a.repeats)
