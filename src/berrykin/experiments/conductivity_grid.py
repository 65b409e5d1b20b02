"""Momentum grids for the transport experiments (docs/transport.md, "Free-stream preservation").

A uniform force ``kdot = e`` has zero divergence, but on :class:`~berrykin.kinetic.PolarGrid`
the radial faces carry ``e . n(phi_c)`` at their mid-angle, which is the face average
``(1/dphi) Int e . n(phi) dphi`` times ``1/sinc(dphi/2)``; the discrete divergence of the
uniform flux is then ``e_x dk cos(phi_c) (dphi - 2 sin(dphi/2))`` per cell instead of zero.
In a filled Fermi sea this spurious source grows with the cutoff and spoils a conductivity
(measured: sigma_xx of massive Dirac 5.4 times Drude with the Streda grid, k_max = 4000 |m|).
:class:`TransportPolarGrid` uses the face-averaged normal ``n(phi_c) sinc(dphi/2)`` on radial
faces, so a uniform force is transported exactly (the discrete divergence of ``e`` vanishes to
round-off: tested); velocities along ``k`` (none at b = 0) are then weighted by
``sinc(dphi/2) = 1 - dphi^2/24``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..kinetic import Axis, PolarGrid
from ..models import MassiveDirac2D

__all__ = ["TransportPolarGrid", "conductivity_grid"]


@dataclass(frozen=True, eq=False)
class TransportPolarGrid(PolarGrid):
    """:class:`~berrykin.kinetic.PolarGrid` whose radial faces carry the face-averaged normal
    (module docstring). Same cells, volumes, quadrature and boundary groups."""

    def face_normals(self, a):
        n = super().face_normals(a)
        if a != 0:
            return n
        h = 0.5 * self.phi.widths
        return n * (np.sin(h) / h)[None, :, None]


def conductivity_grid(model, mu, n_phi=48, h0=0.04, n_fermi=60, ratio=1.06, k_max_factor=4000.0):
    """Default grid of :func:`~berrykin.experiments.conductivity` for massive Dirac: uniform radial
    spacing ``h = min(h0 |m| v, k_F/n_fermi)`` (adjusted so that an edge lies on the Fermi
    surface ``k_F``) up to ``max(2 |m| v, 1.5 k_F)``, then geometric with ``ratio`` up to
    ``k_max_factor |m| v`` (the truncated Berry flux costs ``|m| v^2/(2 E(k_max))`` in
    ``2 pi sigma_xy``), on a :class:`TransportPolarGrid` with ``n_phi`` angles."""
    if not isinstance(model, MassiveDirac2D) or model.m == 0:
        raise ParameterError("model", model, "MassiveDirac2D with m != 0, or pass grid=")
    if int(n_phi) < 4:
        raise ParameterError("n_phi", n_phi, "at least 4 angles")
    km = abs(model.m) * model.v
    gap = abs(model.m) * model.v ** 2
    kF = math.sqrt(mu ** 2 - gap ** 2) / model.v if abs(mu) > gap else 0.0
    h = h0 * km if kF == 0 else min(h0 * km, kF / n_fermi)
    if kF > 0:
        h = kF / math.ceil(kF / h)
    k_u = max(2.0 * km, 1.5 * kF)
    edges = list(h * np.arange(0, math.ceil(k_u / h) + 1))
    while edges[-1] < k_max_factor * km:
        edges.append(edges[-1] * ratio)
    return TransportPolarGrid(Axis("k", np.asarray(edges)), Axis.uniform("phi", 0.0, 2 * math.pi, int(n_phi), True))
