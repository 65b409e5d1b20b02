"""A two-node lattice Weyl semimetal on the cubic lattice (unit lattice constant, period 2 pi)."""

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
class LatticeWeyl(Model):
    """``H = sin kx sx + sin ky sy + (cos kz - cos k0 + 2 - cos kx - cos ky) sz``.

    ``Delta = 2 (sin kx, sin ky, cos kz - cos k0 + 2 - cos kx - cos ky)``, ``eps = 0``. For
    ``0 < k0 < pi`` the gap closes only at the two Weyl nodes ``k = (0, 0, +-k0)``; near them
    ``H ~ dkx sx + dky sy -+ sin(k0) dkz sz``, so the node at ``+k0`` has chirality -1 (monopole
    charge of ``B_k``: -1) and the node at ``-k0`` chirality +1 (see :meth:`nodes`). Energies in
    units of the hopping, momenta in units of the inverse lattice constant.
    """

    k0: float = math.pi / 2
    dim: ClassVar[int] = 3
    momentum_period: ClassVar[float] = 2 * math.pi

    def __post_init__(self):
        object.__setattr__(self, "k0", check_finite("k0", self.k0))
        if not 0.0 < self.k0 < math.pi:
            raise ParameterError("k0", self.k0, "a node position 0 < k0 < pi")

    def eps(self, r, p, t):
        return jnp.zeros((), dtype=p.dtype)

    def gap(self, r, p, t):
        mz = jnp.cos(p[2]) - math.cos(self.k0) + 2.0 - jnp.cos(p[0]) - jnp.cos(p[1])
        return 2.0 * jnp.stack([jnp.sin(p[0]), jnp.sin(p[1]), mz])

    def nodes(self) -> tuple:
        """``((k_node, chirality), ...)``: ``((0, 0, k0), -1)`` and ``((0, 0, -k0), +1)``."""
        return (((0.0, 0.0, self.k0), -1), ((0.0, 0.0, -self.k0), +1))

    def tight_binding(self) -> TightBinding:
        """Cubic-lattice form: ``T_0 = (2 - cos k0) sz``, ``T_{+x} = -(sz + i sx)/2``,
        ``T_{+y} = -(sz + i sy)/2``, ``T_{+z} = sz/2`` (and Hermitian conjugates at -R)."""
        return TightBinding.from_half(
            (2.0 - math.cos(self.k0)) * _SZ,
            {(1, 0, 0): -(_SZ + 1j * _SX) / 2, (0, 1, 0): -(_SZ + 1j * _SY) / 2, (0, 0, 1): _SZ / 2},
            dim=3, name=f"LatticeWeyl(k0={self.k0})")
