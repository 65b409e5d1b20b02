"""Grid axes and the base classes of all finite-volume grids (see :mod:`berrykin.kinetic.grids`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import ParameterError

__all__ = ["Axis", "Grid", "MomentumGrid"]


def _frozen(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Axis:
    """One grid axis: ``edges`` (N+1 increasing floats), ``periodic`` (then the period is
    ``edges[-1] - edges[0]``) and a ``name`` used for boundary groups (``'k_x-'`` ...)."""

    name: str
    edges: np.ndarray
    periodic: bool = False

    def __post_init__(self):
        e = _frozen(self.edges)
        if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
            raise ParameterError(f"axis {self.name!r} edges", self.edges, "at least 2 finite, strictly increasing values")
        object.__setattr__(self, "edges", e)

    @classmethod
    def uniform(cls, name, lo, hi, n, periodic=False):
        """``n`` equal cells on ``[lo, hi]``."""
        if int(n) < 1:
            raise ParameterError(f"{name} cells", n, "an integer >= 1")
        return cls(name, np.linspace(float(lo), float(hi), int(n) + 1), bool(periodic))

    @property
    def n(self) -> int:
        return self.edges.size - 1

    @property
    def centres(self):
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    @property
    def widths(self):
        return np.diff(self.edges)


def _along(v, a, ndim):
    """Reshape the 1D array ``v`` to lie along axis ``a`` of an ``ndim``-dimensional array."""
    shape = [1] * ndim
    shape[a] = v.size
    return np.asarray(v).reshape(shape)


class Grid:
    """Base class. Subclasses define ``axes``, the metric and the Cartesian coordinates."""

    axes: tuple = ()
    #: spatial dimension d of the physical model the grid belongs to
    dim: int = 0

    @property
    def shape(self):
        return tuple(ax.n for ax in self.axes)

    @property
    def ndim(self):
        return len(self.axes)

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def periodic(self):
        return tuple(ax.periodic for ax in self.axes)

    @property
    def measure(self):
        """Momentum measure ``(2 pi)^-d`` of sum_p (paper after Eq. 6)."""
        return (2.0 * math.pi) ** (-self.dim)

    def face_shape(self, a):
        s = list(self.shape)
        s[a] += 1
        return tuple(s)

    def volumes(self):  # pragma: no cover - abstract
        """Cell volumes, broadcastable to ``shape``."""
        raise NotImplementedError

    def face_factor(self, a):  # pragma: no cover - abstract
        raise NotImplementedError

    def cell_factor(self, a):  # pragma: no cover - abstract
        raise NotImplementedError

    def transverse(self, a):
        """``volume * cell_factor_a``: constant along axis ``a`` (the face weight of the ledger)."""
        return self.volumes() * self.cell_factor(a)

    def boundary_names(self, a):
        """``(lower, upper)`` ledger names of the boundary faces of axis ``a``; ``None`` where
        the axis is periodic or the faces have zero area (k = 0, theta = 0 or pi)."""
        ax = self.axes[a]
        if ax.periodic:
            return (None, None)
        return (f"{ax.name}-", f"{ax.name}+")

    def integrate(self, n):
        """``sum_c n_c volume_c`` over the trailing grid axes of ``n`` (shape (..., *shape))."""
        v = np.broadcast_to(self.volumes(), self.shape)
        lead = n.shape[: n.ndim - self.ndim]
        return (n.reshape(lead + (-1,)) @ v.reshape(-1)).reshape(lead) if lead else float(np.sum(n * v))


# --------------------------------------------------------------------------- momentum grids
class MomentumGrid(Grid):
    """A grid of momentum space (d = 1, 2, 3). Coordinates are Cartesian momenta."""

    def cell_points(self):  # pragma: no cover - abstract
        """Cartesian momenta at cell centres, shape ``shape + (d,)``."""
        raise NotImplementedError

    def face_points(self, a):  # pragma: no cover - abstract
        raise NotImplementedError

    def face_normals(self, a):  # pragma: no cover - abstract
        """Unit normals (direction of increasing coordinate a), shape ``face_shape(a) + (d,)``."""
        raise NotImplementedError

    def quadrature(self, order):  # pragma: no cover - abstract
        """Gauss points and weights per cell: points ``shape + (Q, d)``, weights ``shape + (Q,)``
        summing to one in each cell (the metric included)."""
        raise NotImplementedError

    def cell_average(self, f, order=3):
        """Cell averages of ``f(p) -> (..., )`` (vectorised over leading axes of p (..., d)),
        with ``order`` Gauss-Legendre points per axis and the exact metric weight."""
        pts, w = self.quadrature(order)
        vals = np.asarray(f(pts))
        return np.sum(vals * w, axis=-1)


def _gauss(axis, order):
    """Gauss-Legendre nodes (N, Q) and unit-sum weights (N, Q) in every cell of ``axis``."""
    x, w = np.polynomial.legendre.leggauss(int(order))
    lo, wid = axis.edges[:-1, None], axis.widths[:, None]
    return lo + 0.5 * wid * (x + 1.0), np.broadcast_to(0.5 * w, (axis.n, w.size))


