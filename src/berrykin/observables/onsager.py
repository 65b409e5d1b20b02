"""Semiclassical (Onsager) Landau levels of rotationally symmetric two-band models.

An orbit of band s at kinetic momentum |k| (in the plane perpendicular to b) encloses the
momentum area ``pi k^2``; with the Berry phase ``gamma = q_s Phi_B(k)``,
``Phi_B(k) = Int_{|k'|<k} B_kz d^2k'`` (the flux of the momentum Berry field ``B_k`` of
:func:`berrykin.momentum_berry_field`), the quantisation condition reads (hbar = e = 1)::

    (pi k^2 - b gamma) / (2 pi |b|) = n + 1/2,       n = 0, 1, 2, ...

and the level energy is the band energy there shifted by the orbital moment (Eq. 35; ERRATA
5): ``E = eps_s(k) - M_kz b``. For massive Dirac this reproduces the exact levels
``sqrt(m^2 + 2|b| n)`` and the zero mode up to O(b^2) (tested against
:mod:`berrykin.quantum.landau`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from ..conventions import q
from ..errors import ParameterError
from ..geometry import band_energies, magnetic_moment, momentum_berry_field

__all__ = ["onsager_level"]

_XG, _WG = np.polynomial.legendre.leggauss(48)


def _points(model, k, pz):
    P = np.zeros((np.size(k), model.dim))
    P[:, 0] = k
    if model.dim == 3:
        P[:, 2] = pz
    return P


def onsager_level(model, band, n, b, pz=0.0, moment=True, berry=True, k_max=None):
    """Energy of the n-th semiclassical Landau level of band ``band`` (+1 or -1) in a uniform
    field ``b`` along z (units: energy).

    ``model``: a 2D model, or 3D at fixed ``pz``, isotropic in the (p_x, p_y) plane, without r
    dependence. ``moment``/``berry`` switch the orbital-moment shift and the Berry phase
    (for demonstrating what each contributes). ``k_max``: bracket of the orbit radius
    (default ``sqrt(2|b|(n + 2))`` doubled until the condition changes sign).
    """
    if band not in (1, -1):
        raise ParameterError("band", band, "+1 or -1")
    if int(n) != n or n < 0:
        raise ParameterError("n", n, "an integer >= 0")
    if not (isinstance(b, (int, float, np.floating)) and math.isfinite(b) and b != 0):
        raise ParameterError("b", b, "a finite non-zero field")
    qs = q(band)

    def flux(k):
        s = 0.5 * (_XG + 1) * k
        B = momentum_berry_field(model, p=_points(model, s, pz))[:, 2]
        return float(np.sum(0.5 * _WG * k * 2 * math.pi * s * B))

    def condition(k):
        gamma = qs * flux(k) if berry else 0.0
        return (math.pi * k * k - b * gamma) / (2 * math.pi * abs(b)) - (n + 0.5)

    hi = k_max or math.sqrt(2 * abs(b) * (n + 2))
    for _ in range(40):
        if condition(hi) > 0:
            break
        hi *= 2
    k = brentq(condition, 1e-12, hi, xtol=1e-15, rtol=1e-15)
    P = _points(model, k, pz)
    e = float(band_energies(model, p=P)[0, 0 if band == 1 else 1])
    if moment:
        e -= float(magnetic_moment(model, p=P)[0, 2]) * b
    return e
