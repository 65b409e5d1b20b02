"""Benchmark: one steady-state conductivity of massive Dirac by the direct linear solve and by
time evolution to stationarity (issue 9; docs/transport.md).

Problem: ``MassiveDirac2D(m=1)``, mu = 2, tau = 5, T = 0, on the grid of
:func:`berrykin.experiments.conductivity_grid` with 48 angles and k_max = 4 |m| (not the
default k_max = 4000 |m|, on which the evolution does not meet its criterion: docs/transport.md).
Printed: the median wall time of ``repeats`` runs of ``conductivity(..., method='direct')``
(GMRES on the linearised sKE, both drive directions) and of ``method='evolution'`` (four runs to
the stationary state at +-e_probe), after one untimed warm-up run of each (JAX compilation),
their ratio, and the largest difference of the two sigma tensors.

Run: ``python benchmarks/transport.py [repeats]``.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from berrykin.experiments import conductivity, conductivity_grid
from berrykin.models import MassiveDirac2D


def _time(fn, repeats):
    fn()  # warm-up (compilation)
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(repeats=3):
    model = MassiveDirac2D(m=1.0)
    # k_max = 4 |m|: on the default grid (k_max = 4000 |m|) the evolution does not meet its
    # criterion (round-off of the 1e6 filled-sea density; docs/transport.md)
    grid = conductivity_grid(model, 2.0, k_max_factor=4.0)
    td, rd = _time(lambda: conductivity(model, 2.0, tau=5.0, grid=grid, method="direct"), repeats)
    te, re_ = _time(lambda: conductivity(model, 2.0, tau=5.0, grid=grid, method="evolution"), repeats)
    print(f"grid: {rd.parameters['grid']}")
    print(f"direct solve    : {td:8.3f} s (median of {repeats})")
    print(f"time evolution  : {te:8.3f} s (median of {repeats})")
    print(f"ratio evolution/direct: {te / td:.2f}")
    print(f"max |sigma_evolution - sigma_direct| = {np.abs(re_.sigma - rd.sigma).max():.3e} "
          f"(sigma_xx = {rd.sigma[0, 0]:.6f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
