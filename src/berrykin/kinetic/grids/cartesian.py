"""Cartesian grids: the momentum box or Brillouin zone, and real space."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import ParameterError
from .base import Axis, Grid, MomentumGrid, _along, _gauss

__all__ = ["CartesianMomentumGrid", "SpaceGrid"]


@dataclass(frozen=True, eq=False)
class CartesianMomentumGrid(MomentumGrid):
    """Cartesian momentum grid: a bounded box, or the periodic Brillouin zone.

    >>> g = CartesianMomentumGrid.box(2, 4.0, 8)
    >>> g.shape, float(g.volumes().sum())
    ((8, 8), 64.0)
    """

    axes: tuple

    def __post_init__(self):
        if not 1 <= len(self.axes) <= 3:
            raise ParameterError("axes", self.axes, "1 to 3 momentum axes")
        object.__setattr__(self, "axes", tuple(self.axes))

    @property
    def dim(self):  # type: ignore[override]
        return len(self.axes)

    @classmethod
    def box(cls, dim, half_width, n):
        """The bounded box ``[-half_width, half_width]^dim`` with ``n`` cells per axis."""
        return cls(tuple(Axis.uniform(f"k_{c}", -half_width, half_width, n) for c in "xyz"[:dim]))

    @classmethod
    def brillouin_zone(cls, dim, n, period=2 * math.pi):
        """The periodic zone ``[-period/2, period/2)^dim`` with ``n`` cells per axis."""
        return cls(tuple(Axis.uniform(f"k_{c}", -period / 2, period / 2, n, periodic=True)
                         for c in "xyz"[:dim]))

    def volumes(self):
        v = np.ones(self.shape)
        for a, ax in enumerate(self.axes):
            v = v * _along(ax.widths, a, self.ndim)
        return v

    def face_factor(self, a):
        return np.ones([1] * self.ndim)

    def cell_factor(self, a):
        return _along(1.0 / self.axes[a].widths, a, self.ndim)

    def _points(self, coords):
        grids = np.meshgrid(*coords, indexing="ij")
        return np.stack(grids, axis=-1)

    def cell_points(self):
        return self._points([ax.centres for ax in self.axes])

    def face_points(self, a):
        return self._points([ax.edges if b == a else ax.centres for b, ax in enumerate(self.axes)])

    def face_normals(self, a):
        out = np.zeros(self.face_shape(a) + (self.dim,))
        out[..., a] = 1.0
        return out

    def quadrature(self, order):
        nodes = [_gauss(ax, order) for ax in self.axes]
        q = int(order)
        pts = np.zeros(self.shape + (q,) * self.ndim + (self.ndim,))
        w = np.ones(self.shape + (q,) * self.ndim)
        nd = self.ndim
        for a, (x, wa) in enumerate(nodes):
            shp = [1] * (2 * nd)
            shp[a], shp[nd + a] = x.shape
            pts[..., a] = x.reshape(shp)
            w = w * wa.reshape(shp)
        return pts.reshape(self.shape + (-1, nd)), w.reshape(self.shape + (-1,))


@dataclass(frozen=True, eq=False)
class SpaceGrid(Grid):
    """Cartesian real-space grid (periodic or bounded per axis), d = number of axes."""

    axes: tuple

    def __post_init__(self):
        if not 1 <= len(self.axes) <= 3:
            raise ParameterError("axes", self.axes, "1 to 3 spatial axes")
        object.__setattr__(self, "axes", tuple(self.axes))

    @property
    def dim(self):  # type: ignore[override]
        return len(self.axes)

    @classmethod
    def box(cls, dim, half_width, n, periodic=True):
        return cls(tuple(Axis.uniform(c, -half_width, half_width, n, periodic) for c in "xyz"[:dim]))

    def volumes(self):
        return CartesianMomentumGrid(self.axes).volumes()

    def cell_points(self):
        return CartesianMomentumGrid(self.axes).cell_points()

    def face_points(self, a):
        return CartesianMomentumGrid(self.axes).face_points(a)


