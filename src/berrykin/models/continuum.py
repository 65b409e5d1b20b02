"""Continuum built-ins: massive 2D Dirac (paper Eq. 41) and a 3D Weyl node (Eq. 51).

With tau = sigma/2 a Hamiltonian ``h0 + h . sigma`` has ``eps = 2 h0`` and ``Delta = 2 h``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import jax.numpy as jnp

from ..errors import ParameterError
from .base import Model, check_finite


@dataclass(frozen=True)
class MassiveDirac2D(Model):
    """Massive 2D Dirac fermions, ``H = v sigma . p + m(t) v^2 sigma_z`` (paper Eq. 41).

    ``Delta = 2 (v p_x, v p_y, m v^2)``, ``eps = 0``; band energies ``+-E`` with
    ``E = sqrt(v^2 p^2 + m^2 v^4)``. For v = 1: ``B_k = m/E^3 z`` and ``M_k = m/(2 E^2)``
    (Sec. III A). ``m_dot`` makes the mass time dependent, ``m(t) = m + m_dot t`` (Sec. III B).
    """

    m: float = 1.0
    v: float = 1.0
    m_dot: float = 0.0
    dim: ClassVar[int] = 2

    def __post_init__(self):
        for name in ("m", "v", "m_dot"):
            object.__setattr__(self, name, check_finite(name, getattr(self, name)))
        if self.v <= 0:
            raise ParameterError("v", self.v, "a velocity > 0")

    def mass(self, t):
        """Mass ``m(t) = m + m_dot t``."""
        return self.m + self.m_dot * t

    def eps(self, r, p, t):
        return jnp.zeros((), dtype=p.dtype)

    def gap(self, r, p, t):
        v = self.v
        return 2.0 * jnp.stack([v * p[0], v * p[1], self.mass(t) * v * v + 0.0 * p[0]])


@dataclass(frozen=True)
class Weyl3D(Model):
    """A Weyl node, ``H = chirality v sigma . p`` (paper Eq. 51 for chirality +1).

    ``Delta = 2 chirality v p``, ``eps = 0``; ``B_k = chirality k/k^3``, a monopole of
    charge ``chirality`` (Berry flux ``4 pi chirality`` through a sphere around the node).
    """

    chirality: int = 1
    v: float = 1.0
    dim: ClassVar[int] = 3

    def __post_init__(self):
        if self.chirality not in (1, -1):
            raise ParameterError("chirality", self.chirality, "+1 or -1")
        object.__setattr__(self, "v", check_finite("v", self.v))
        if self.v <= 0:
            raise ParameterError("v", self.v, "a velocity > 0")

    def eps(self, r, p, t):
        return jnp.zeros((), dtype=p.dtype)

    def gap(self, r, p, t):
        return 2.0 * self.chirality * self.v * p
