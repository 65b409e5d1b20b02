"""Phase space as a product of real space and momentum grids, and the homogeneous reduction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ParameterError
from .base import Grid, MomentumGrid, _along
from .cartesian import SpaceGrid

__all__ = ["PhaseSpaceGrid", "HomogeneousGrid"]


@dataclass(frozen=True, eq=False)
class PhaseSpaceGrid(Grid):
    """The product of a Cartesian real-space grid and a momentum grid: axes ``(r..., p...)``.

    Factors are kept separate (never a full 2d-dimensional metric array): volumes, face and
    cell factors are broadcastable arrays of the full rank with size-1 axes where they do
    not vary.

    >>> from berrykin.kinetic import CartesianMomentumGrid
    >>> g = PhaseSpaceGrid(SpaceGrid.box(2, 1.0, 4), CartesianMomentumGrid.box(2, 2.0, 6))
    >>> g.shape, g.ndim
    ((4, 4, 6, 6), 4)
    """

    space: SpaceGrid
    momentum: MomentumGrid

    def __post_init__(self):
        if self.space.dim != self.momentum.dim:
            raise ParameterError("space", self.space, f"{self.momentum.dim} spatial axes like the momentum grid")

    @property
    def dim(self):  # type: ignore[override]
        return self.momentum.dim

    @property
    def axes(self):  # type: ignore[override]
        return self.space.axes + self.momentum.axes

    @property
    def n_space(self):
        return self.space.ndim

    def _r(self, arr):
        return np.asarray(arr).reshape(np.shape(arr) + (1,) * self.momentum.ndim)

    def _k(self, arr):
        return np.asarray(arr).reshape((1,) * self.space.ndim + np.shape(arr))

    def volumes(self):
        return self._r(self.space.volumes()) * self._k(self.momentum.volumes())

    def face_factor(self, a):
        if a < self.n_space:
            return np.ones([1] * self.ndim)
        return self._k(self.momentum.face_factor(a - self.n_space))

    def cell_factor(self, a):
        if a < self.n_space:
            return self._r(_along(1.0 / self.space.axes[a].widths, a, self.n_space))
        return self._k(self.momentum.cell_factor(a - self.n_space))

    def boundary_names(self, a):
        if a < self.n_space:
            return Grid.boundary_names(self, a)
        return self.momentum.boundary_names(a - self.n_space)


@dataclass(frozen=True, eq=False)
class HomogeneousGrid(Grid):
    """The homogeneous reduction: n(k) uniform in r, solved on a momentum grid alone.

    The r-divergence of the velocities (at fixed kinetic momentum) becomes a local term,
    evaluated at the reference position ``r0`` (default the origin). Integrals are densities
    (per unit length^d).
    """

    momentum: MomentumGrid
    r0: tuple = ()

    def __post_init__(self):
        r0 = tuple(float(x) for x in (self.r0 or (0.0,) * self.momentum.dim))
        if len(r0) != self.momentum.dim:
            raise ParameterError("r0", self.r0, f"a position with {self.momentum.dim} components")
        object.__setattr__(self, "r0", r0)

    @property
    def dim(self):  # type: ignore[override]
        return self.momentum.dim

    @property
    def axes(self):  # type: ignore[override]
        return self.momentum.axes

    def volumes(self):
        return self.momentum.volumes()

    def face_factor(self, a):
        return self.momentum.face_factor(a)

    def cell_factor(self, a):
        return self.momentum.cell_factor(a)

    def boundary_names(self, a):
        return self.momentum.boundary_names(a)
