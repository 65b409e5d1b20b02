"""The Hall coefficient nu of a two-band state (paper Eqs. 44-47, ERRATA 3, 4; choice 5).

Two routes, kept distinct:

* :func:`streda_coefficient` -- from the *dynamic* (closed-system) response of the density to
  an adiabatic change of a uniform b: ``nu = 2 pi delta rho / delta b`` (Eq. 45 with hbar = e = 1,
  ``sigma_xy = nu e^2/h``). This is what the sKE time integration measures.
* :func:`hall_coefficient_berry_flux` -- the Berry-flux integral of Eq. (45) corrected by
  ERRATA 4, ``nu = (1/4 pi) z . Int d^2k n_z B_k`` with ``n_z = n_+ - n_-``.

For massive Dirac both give ``-sgn(m)/2`` with mu in the gap and ``-m/(2|mu|)`` with mu in a
band; neither is the equilibrium Streda derivative ``d rho/d b`` at fixed mu (ERRATA choice 5).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ..geometry import momentum_berry_field
from ..kinetic.coefficients import as_kinetic_grid
from ..kinetic.grids import HomogeneousGrid

__all__ = ["hall_coefficient_berry_flux", "streda_coefficient"]


def streda_coefficient(delta_rho, delta_b):
    """``nu = 2 pi delta_rho / delta_b`` (Eq. 45; units e^2/h). Works element-wise (per band)."""
    if delta_b == 0:
        raise ParameterError("delta_b", delta_b, "a non-zero change of the magnetic field")
    return 2.0 * math.pi * np.asarray(delta_rho) / float(delta_b)


def hall_coefficient_berry_flux(model, grid, n, t=0.0):
    """``nu = (1/4 pi) Int d^2k n_z B_k,z`` on a 2D momentum grid (ERRATA 4), by the cell sum
    ``sum_c n_z,c B_k(k_c) volume_c / (4 pi)``.

    Parameters
    ----------
    model : the bare 2D model (B_k from :func:`berrykin.momentum_berry_field`).
    grid : a 2D momentum grid or :class:`~berrykin.kinetic.HomogeneousGrid`.
    n : band distributions, shape ``(2, *grid.shape)``.
    """
    grid = as_kinetic_grid(grid)
    if not isinstance(grid, HomogeneousGrid) or grid.dim != 2:
        raise ParameterError("grid", grid, "a 2D momentum grid (homogeneous state)")
    Bz = momentum_berry_field(model, None if not model.depends_on_r else np.asarray(grid.r0),
                              grid.momentum.cell_points(), t)[..., 2]
    nz = np.asarray(n[0]) - np.asarray(n[1])
    return float(np.sum(nz * Bz * grid.volumes()) / (4.0 * math.pi))
