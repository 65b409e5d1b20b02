"""Curvilinear momentum grids: polar (k, phi), spherical (k, theta, phi), axisymmetric (k, theta).

Metric factors: see :mod:`berrykin.kinetic.grids`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import ParameterError
from .base import Axis, MomentumGrid, _along, _frozen, _gauss

__all__ = ["PolarGrid", "SphericalGrid", "AxisymmetricGrid"]


def polar_sample_angles(theta_edges):
    """Polar sample angles of spherical cells, ``arccos((cos t0 + cos t1)/2)``: the one-point
    rule in ``cos(theta)`` (the coordinate in which the cell volume is uniform). Velocities
    linear in ``cos(theta)`` -- a uniform force along the polar axis -- then have an exactly
    vanishing discrete divergence; the polar mid-angle instead overestimates each radial face
    flux by ``1/cos(dtheta/2)`` and creates a spurious ``d_t n ~ e dtheta^2/(8k)``."""
    c = np.cos(theta_edges)
    return np.arccos(0.5 * (c[:-1] + c[1:]))


def _radial_edges(k_edges):
    k = _frozen(k_edges)
    if k[0] < 0:
        raise ParameterError("radial edges", k_edges, "non-negative radii")
    return k


@dataclass(frozen=True, eq=False)
class PolarGrid(MomentumGrid):
    """Polar momentum grid ``(k, phi)`` in 2D with inner and outer radius; phi periodic.

    ``k_edges`` may be non-uniform (e.g. geometric towards a large cutoff). With
    ``k_edges[0] = 0`` the inner faces have zero area and no ledger group.

    >>> g = PolarGrid.uniform(0.0, 2.0, 16, 8)
    >>> round(float(g.volumes().sum()), 12) == round(math.pi * 4.0, 12)
    True
    """

    k: Axis
    phi: Axis
    dim = 2

    @classmethod
    def uniform(cls, k_min, k_max, n_k, n_phi):
        return cls(Axis.uniform("k", k_min, k_max, n_k), Axis.uniform("phi", 0.0, 2 * math.pi, n_phi, True))

    @classmethod
    def from_edges(cls, k_edges, n_phi):
        return cls(Axis("k", _radial_edges(k_edges)), Axis.uniform("phi", 0.0, 2 * math.pi, n_phi, True))

    def __post_init__(self):
        _radial_edges(self.k.edges)
        if not self.phi.periodic or abs(self.phi.edges[-1] - self.phi.edges[0] - 2 * math.pi) > 1e-12:
            raise ParameterError("phi", self.phi, "a periodic axis of length 2 pi")

    @property
    def axes(self):  # type: ignore[override]
        return (self.k, self.phi)

    def volumes(self):
        k = self.k.edges
        return np.outer(0.5 * (k[1:] ** 2 - k[:-1] ** 2), self.phi.widths)

    def face_factor(self, a):
        return self.k.edges[:, None] if a == 0 else np.ones((1, 1))

    def cell_factor(self, a):
        k = self.k.edges
        if a == 0:
            return (2.0 / (k[1:] ** 2 - k[:-1] ** 2))[:, None]
        return 1.0 / np.outer(self.k.centres, self.phi.widths)

    def boundary_names(self, a):
        if a == 1:
            return (None, None)
        return ("k_inner" if self.k.edges[0] > 0 else None, "k_outer")

    @staticmethod
    def _cart(k, phi):
        return np.stack([k * np.cos(phi), k * np.sin(phi)], axis=-1)

    def cell_points(self):
        k, ph = np.meshgrid(self.k.centres, self.phi.centres, indexing="ij")
        return self._cart(k, ph)

    def face_points(self, a):
        kk = self.k.edges if a == 0 else self.k.centres
        pp = self.phi.edges if a == 1 else self.phi.centres
        k, ph = np.meshgrid(kk, pp, indexing="ij")
        return self._cart(k, ph)

    def face_normals(self, a):
        kk = self.k.edges if a == 0 else self.k.centres
        pp = self.phi.edges if a == 1 else self.phi.centres
        _, ph = np.meshgrid(kk, pp, indexing="ij")
        if a == 0:
            return np.stack([np.cos(ph), np.sin(ph)], axis=-1)
        return np.stack([-np.sin(ph), np.cos(ph)], axis=-1)

    def quadrature(self, order):
        xk, wk = _gauss(self.k, order)
        xp, wp = _gauss(self.phi, order)
        wk = wk * xk  # metric k dk
        wk = wk / wk.sum(axis=1, keepdims=True)
        k, ph = np.broadcast_arrays(xk[:, None, :, None], xp[None, :, None, :])
        pts = self._cart(k, ph)
        w = wk[:, None, :, None] * wp[None, :, None, :]
        q = int(order) ** 2
        return pts.reshape(self.shape + (q, 2)), w.reshape(self.shape + (q,))


@dataclass(frozen=True, eq=False)
class SphericalGrid(MomentumGrid):
    """Spherical momentum grid ``(k, theta, phi)`` in 3D with inner and outer radius.

    theta runs over ``[0, pi]`` (or a sub-range), phi is periodic over 2 pi. Cell and face
    sample points use the polar angles of :func:`polar_sample_angles` (not the mid-angle).
    """

    k: Axis
    theta: Axis
    phi: Axis
    dim = 3

    @classmethod
    def uniform(cls, k_min, k_max, n_k, n_theta, n_phi):
        return cls(Axis.uniform("k", k_min, k_max, n_k), Axis.uniform("theta", 0.0, math.pi, n_theta),
                   Axis.uniform("phi", 0.0, 2 * math.pi, n_phi, True))

    def __post_init__(self):
        _radial_edges(self.k.edges)
        t = self.theta.edges
        if t[0] < 0 or t[-1] > math.pi + 1e-14 or self.theta.periodic:
            raise ParameterError("theta", self.theta, "a bounded axis within [0, pi]")
        if not self.phi.periodic or abs(self.phi.edges[-1] - self.phi.edges[0] - 2 * math.pi) > 1e-12:
            raise ParameterError("phi", self.phi, "a periodic axis of length 2 pi")

    @property
    def axes(self):  # type: ignore[override]
        return (self.k, self.theta, self.phi)

    @property
    def _dphi(self):
        return self.phi.widths

    def _radial(self):
        k = self.k.edges
        return (k[1:] ** 3 - k[:-1] ** 3) / 3.0, (k[1:] ** 2 - k[:-1] ** 2) / 2.0

    def _dcos(self):
        t = self.theta.edges
        return np.cos(t[:-1]) - np.cos(t[1:])

    def _shape3(self, v, a):
        return _along(v, a, 3)

    def volumes(self):
        r3, _ = self._radial()
        return self._shape3(r3, 0) * self._shape3(self._dcos(), 1) * self._shape3(self._dphi, 2)

    def face_factor(self, a):
        if a == 0:
            return self._shape3(self.k.edges ** 2, 0)
        if a == 1:
            return self._shape3(np.abs(np.sin(self.theta.edges)), 1)
        return np.ones((1, 1, 1))

    def cell_factor(self, a):
        r3, r2 = self._radial()
        if a == 0:
            return self._shape3(1.0 / r3, 0)
        if a == 1:
            return self._shape3(r2 / r3, 0) / self._shape3(self._dcos(), 1)
        return (self._shape3(r2 / r3, 0) * self._shape3(self.theta.widths / self._dcos(), 1)
                / self._shape3(self._dphi, 2))

    def boundary_names(self, a):
        if a == 0:
            return ("k_inner" if self.k.edges[0] > 0 else None, "k_outer")
        if a == 1:
            t = self.theta.edges
            return ("theta-" if t[0] > 1e-14 else None, "theta+" if t[-1] < math.pi - 1e-14 else None)
        return (None, None)

    @staticmethod
    def _cart(k, th, ph):
        return np.stack([k * np.sin(th) * np.cos(ph), k * np.sin(th) * np.sin(ph), k * np.cos(th)], axis=-1)

    def _coords(self, a=None):
        """Sample coordinates (edges along axis a): radial and azimuthal centres, polar angles
        from :func:`polar_sample_angles`."""
        c = [ax.edges if b == a else ax.centres for b, ax in enumerate(self.axes)]
        if a != 1:
            c[1] = polar_sample_angles(self.theta.edges)
        return c

    def cell_points(self):
        return self._cart(*np.meshgrid(*self._coords(), indexing="ij"))

    def face_points(self, a):
        return self._cart(*np.meshgrid(*self._coords(a), indexing="ij"))

    def face_normals(self, a):
        _, th, ph = np.meshgrid(*self._coords(a), indexing="ij")
        if a == 0:
            return self._cart(np.ones_like(th), th, ph)
        if a == 1:
            return np.stack([np.cos(th) * np.cos(ph), np.cos(th) * np.sin(ph), -np.sin(th)], axis=-1)
        return np.stack([-np.sin(ph), np.cos(ph), np.zeros_like(ph)], axis=-1)

    def quadrature(self, order):
        q = int(order)
        xk, wk = _gauss(self.k, q)
        xt, wt = _gauss(self.theta, q)
        xp, wp = _gauss(self.phi, q)
        wk = wk * xk ** 2
        wk = wk / wk.sum(axis=1, keepdims=True)
        wt = wt * np.sin(xt)
        wt = wt / wt.sum(axis=1, keepdims=True)
        K = xk[:, None, None, :, None, None]
        T = xt[None, :, None, None, :, None]
        P = xp[None, None, :, None, None, :]
        K, T, P = np.broadcast_arrays(K, T, P)
        pts = self._cart(K, T, P).reshape(self.shape + (q ** 3, 3))
        w = (wk[:, None, None, :, None, None] * wt[None, :, None, None, :, None]
             * wp[None, None, :, None, None, :]).reshape(self.shape + (q ** 3,))
        return pts, w


@dataclass(frozen=True, eq=False)
class AxisymmetricGrid(MomentumGrid):
    """Axisymmetric 3D momentum grid ``(k, theta)``: the distribution does not depend on phi.

    Velocities are evaluated in the phi = 0 half-plane (``p = k (sin theta, 0, cos theta)``);
    the phi flux does not change an axisymmetric state and is dropped. Volumes include the
    full ``2 pi`` of phi.
    """

    k: Axis
    theta: Axis
    dim = 3

    @classmethod
    def uniform(cls, k_min, k_max, n_k, n_theta):
        return cls(Axis.uniform("k", k_min, k_max, n_k), Axis.uniform("theta", 0.0, math.pi, n_theta))

    def __post_init__(self):
        object.__setattr__(self, "_sph", SphericalGrid(self.k, self.theta, Axis.uniform("phi", 0.0, 2 * math.pi, 1, True)))

    @property
    def axes(self):  # type: ignore[override]
        return (self.k, self.theta)

    def volumes(self):
        return self._sph.volumes()[..., 0]

    def face_factor(self, a):
        return self._sph.face_factor(a)[..., 0]

    def cell_factor(self, a):
        return self._sph.cell_factor(a)[..., 0]

    def boundary_names(self, a):
        return self._sph.boundary_names(a)

    def _plane(self, a=None):
        kk = self.k.edges if a == 0 else self.k.centres
        th = self.theta.edges if a == 1 else polar_sample_angles(self.theta.edges)
        return tuple(np.meshgrid(kk, th, indexing="ij"))

    def cell_points(self):
        k, th = self._plane()
        return SphericalGrid._cart(k, th, np.zeros_like(th))

    def face_points(self, a):
        k, th = self._plane(a)
        return SphericalGrid._cart(k, th, np.zeros_like(th))

    def face_normals(self, a):
        k, th = self._plane(a)
        z = np.zeros_like(th)
        if a == 0:
            return SphericalGrid._cart(np.ones_like(th), th, z)
        return np.stack([np.cos(th), z, -np.sin(th)], axis=-1)

    def quadrature(self, order):
        # all phi nodes of the single 2 pi cell are kept: the exact phi average of f
        pts, w = self._sph.quadrature(order)
        return pts[:, :, 0], w[:, :, 0]


