"""Lattice built-ins on the Brillouin zone (unit lattice constant, momentum period 2 pi)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import jax.numpy as jnp

from ..errors import ParameterError
from .base import Model, check_finite
from .tight_binding import PAULI, TightBinding

_SX, _SY, _SZ = PAULI


@dataclass(frozen=True)
class QWZ(Model):
    """Qi-Wu-Zhang model ``H = sin kx sx + sin ky sy + (m + cos kx + cos ky) sz``.

    With the lower band filled, the usual lower-band Chern number is ``C_lower = 0, +1, -1, 0``
    and berrykin's Hall coefficient ``nu = -C_lower = 0, -1, +1, 0`` for ``m = -3, -1, 1, 3``
    (ERRATA choice 9; see :mod:`berrykin.conventions` for other codes' signs). ``Delta = 2 (sin kx, sin ky, m + cos kx + cos ky)``.
    """

    m: float = 1.0
    dim: ClassVar[int] = 2
    momentum_period: ClassVar[float] = 2 * math.pi

    def __post_init__(self):
        object.__setattr__(self, "m", check_finite("m", self.m))

    def eps(self, r, p, t):
        return jnp.zeros((), dtype=p.dtype)

    def gap(self, r, p, t):
        return 2.0 * jnp.stack(
            [jnp.sin(p[0]), jnp.sin(p[1]), self.m + jnp.cos(p[0]) + jnp.cos(p[1])]
        )

    def tight_binding(self) -> TightBinding:
        """Square-lattice form: ``T_0 = m sz``, ``T_{+x} = (sz - i sx)/2``, ``T_{+y} = (sz - i sy)/2``
        (and Hermitian conjugates at -x, -y), so ``sum_R T_R e^{i k.R}`` is the symbol above."""
        return TightBinding.from_half(
            self.m * _SZ, {(1, 0): (_SZ - 1j * _SX) / 2, (0, 1): (_SZ - 1j * _SY) / 2}, dim=2,
            name=f"QWZ(m={self.m})")


@dataclass(frozen=True)
class RiceMele(Model):
    """Rice-Mele chain driven around a Thouless-pump cycle of period ``period``.

    ``H(k, t) = (v(t) + w(t) cos k) sx + w(t) sin k sy + u(t) sz`` with intracell hopping
    ``v = hopping + dimerization cos(W t)``, intercell ``w = hopping - dimerization cos(W t)``
    and staggered potential ``u = staggered sin(W t)``, ``W = 2 pi / period``. The (k, t) Chern
    number of the lower band is the charge pumped per cycle in the adiabatic limit.
    """

    hopping: float = 1.0
    dimerization: float = 0.5
    staggered: float = 0.5
    period: float = 20.0
    dim: ClassVar[int] = 1
    momentum_period: ClassVar[float] = 2 * math.pi

    def __post_init__(self):
        for name in ("hopping", "dimerization", "staggered", "period"):
            object.__setattr__(self, name, check_finite(name, getattr(self, name)))
        if self.period <= 0:
            raise ParameterError("period", self.period, "a cycle period > 0")

    def eps(self, r, p, t):
        return jnp.zeros((), dtype=p.dtype)

    def gap(self, r, p, t):
        w_t = 2 * jnp.pi * t / self.period
        v = self.hopping + self.dimerization * jnp.cos(w_t)
        w = self.hopping - self.dimerization * jnp.cos(w_t)
        u = self.staggered * jnp.sin(w_t)
        k = p[0]
        return 2.0 * jnp.stack([v + w * jnp.cos(k), w * jnp.sin(k), u + 0.0 * k])

    def tight_binding(self, t: float = 0.0) -> TightBinding:
        """Chain form at time t (orbitals A, B at the cell position): ``T_0 = v sx + u sz``,
        intercell ``T_{+1} = w (sx - i sy)/2``, i.e. ``<n, B|H|n+1, A> = w``, and
        ``T_{-1} = T_{+1}^dagger``; then ``H(k) = (v + w cos k) sx + w sin k sy + u sz``."""
        w_t = 2 * math.pi * float(t) / self.period
        v = self.hopping + self.dimerization * math.cos(w_t)
        w = self.hopping - self.dimerization * math.cos(w_t)
        u = self.staggered * math.sin(w_t)
        return TightBinding.from_half(v * _SX + u * _SZ, {(1,): w * (_SX - 1j * _SY) / 2}, dim=1,
                                      name=f"RiceMele(t={float(t)})")
