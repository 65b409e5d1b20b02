"""Particle densities of band distributions on a kinetic grid.

``rho_s(r) = sum_p n_s = Int d^d p / (2 pi)^d n_s(r, p)`` (paper after Eq. 6, Sec. II C), evaluated
exactly for the finite-volume state (cell averages times cell volumes). Units: particles per
length^d (hbar = 1, momenta as wave numbers).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..kinetic.coefficients import as_kinetic_grid
from ..kinetic.grids import HomogeneousGrid

__all__ = ["band_densities", "total_density"]


def band_densities(grid, n):
    """Band densities ``rho_s``.

    Parameters
    ----------
    grid : a momentum grid / :class:`~berrykin.kinetic.HomogeneousGrid` (then the result has
        shape (2,)) or a :class:`~berrykin.kinetic.PhaseSpaceGrid` (shape ``(2, *space.shape)``).
    n : band distributions, shape ``(..., 2, *grid.shape)``.

    >>> import numpy as np
    >>> from berrykin.kinetic import PolarGrid
    >>> g = PolarGrid.uniform(0.0, 1.0, 4, 4)
    >>> rho = band_densities(g, np.ones((2, 4, 4)))
    >>> bool(np.allclose(rho, 1.0 / (4 * np.pi)))   # pi k^2 / (2 pi)^2 with k = 1
    True
    """
    grid = as_kinetic_grid(grid)
    n = np.asarray(n, dtype=float)
    if n.shape[n.ndim - grid.ndim - 1 :] != (2,) + grid.shape:
        raise ShapeError("n", n.shape, f"(..., 2, {', '.join(map(str, grid.shape))})")
    mg = grid.momentum
    vk = np.broadcast_to(mg.volumes(), mg.shape).reshape(-1)
    lead = n.shape[: n.ndim - mg.ndim]
    rho = n.reshape(lead + (-1,)) @ vk * grid.measure
    return rho


def total_density(grid, n):
    """``rho = sum_s rho_s``; shape () or ``space.shape`` (with leading axes of n kept)."""
    grid = as_kinetic_grid(grid)
    rho = band_densities(grid, n)
    axis = -1 if isinstance(grid, HomogeneousGrid) else -1 - grid.n_space
    return rho.sum(axis=axis)
