"""The textured ferromagnet of :class:`TexturedFerromagnet2D` on a square lattice.

Lattice constant ``a``: ``p^2/(2 mass) -> (2 - cos a kx - cos a ky)/(mass a^2)`` and
``p_i -> sin(a k_i)/a`` in the Rashba term, so the model tends to the continuum one as
``a -> 0`` (symbols differ by O(a^2 p^4) and O(a^2 p^3)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError
from .base import Model, check_finite
from .gridded import GriddedTexture
from .textures import DomainWall, Skyrmion, Uniform
from .tight_binding import PAULI, TightBinding

_SX, _SY, _SZ = PAULI


@dataclass(frozen=True)
class LatticeTexturedFerromagnet2D(Model):
    """``H = (2 - cos a kx - cos a ky)/(mass a^2) + exchange n(r).sigma
    + (rashba/a) (sigma_x sin a ky - sigma_y sin a kx)``.

    Phase-space symbol: ``eps = 2 (2 - cos a kx - cos a ky)/(mass a^2)``,
    ``Delta = 2 [exchange n(r) + (rashba/a) (sin a ky, -sin a kx, 0)]``; Brillouin-zone period
    ``2 pi/a``. Tight-binding form (:meth:`tight_binding`): onsite ``2/(mass a^2) + exchange
    n(r).sigma``, hoppings ``T_{+x} = -1/(2 mass a^2) + i rashba/(2a) sigma_y``,
    ``T_{+y} = -1/(2 mass a^2) - i rashba/(2a) sigma_x`` and conjugates at -x, -y; cells at
    ``r = a (i, j)``. ``texture``: :class:`Skyrmion` (default), :class:`DomainWall` or
    :class:`Uniform`. Units as in :class:`TexturedFerromagnet2D`.
    """

    exchange: float = 1.0
    rashba: float = 0.5
    mass: float = 1.0
    lattice_constant: float = 0.5
    texture: Any = field(default_factory=Skyrmion)
    dim: ClassVar[int] = 2
    depends_on_r: ClassVar[bool] = True

    def __post_init__(self):
        for name in ("exchange", "rashba", "mass", "lattice_constant"):
            object.__setattr__(self, name, check_finite(name, getattr(self, name)))
        if self.mass <= 0:
            raise ParameterError("mass", self.mass, "an effective mass > 0")
        if self.lattice_constant <= 0:
            raise ParameterError("lattice_constant", self.lattice_constant, "a length > 0")
        if not isinstance(self.texture, (Skyrmion, DomainWall, Uniform, GriddedTexture)) or (
                isinstance(self.texture, GriddedTexture) and self.texture.dim != 2):
            raise ParameterError("texture", self.texture,
                                 "Skyrmion(...), DomainWall(...), Uniform(...) or a 2D GriddedTexture(...)")

    @property
    def momentum_period(self):  # type: ignore[override]
        return 2 * math.pi / self.lattice_constant

    def eps(self, r, p, t):
        a = self.lattice_constant
        return 2.0 * (2.0 - jnp.cos(a * p[0]) - jnp.cos(a * p[1])) / (self.mass * a * a)

    def gap(self, r, p, t):
        a = self.lattice_constant
        so = jnp.stack([jnp.sin(a * p[1]), -jnp.sin(a * p[0]), 0.0 * p[0]]) / a
        return 2.0 * (self.exchange * self.texture(r) + self.rashba * so)

    def exchange_field(self, r):
        """``exchange n(r) . sigma`` at positions r (N, 2) -> (N, 2, 2) (NumPy, float64 texture)."""
        r = np.asarray(r, dtype=np.float64).reshape(-1, 2)
        with jax.enable_x64(True):
            n = np.asarray(jax.vmap(self.texture)(jnp.asarray(r)), dtype=np.float64)
        return self.exchange * np.einsum("ni,ijk->njk", n, PAULI)

    def tight_binding(self) -> TightBinding:
        """The lattice form above; the texture enters as the position-dependent onsite term."""
        a, t = self.lattice_constant, 1.0 / (2.0 * self.mass * self.lattice_constant**2)
        lam = self.rashba / (2.0 * a)
        one = np.eye(2)
        return TightBinding.from_half(
            4.0 * t * one, {(1, 0): -t * one + 1j * lam * _SY, (0, 1): -t * one - 1j * lam * _SX},
            dim=2, lattice_constant=a, onsite_field=self.exchange_field,
            name=f"LatticeTexturedFerromagnet2D(a={a})")
