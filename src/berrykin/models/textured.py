"""A 2D ferromagnet with a real-space texture and Rashba coupling: m depends on r and p together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import jax.numpy as jnp

from ..errors import ParameterError
from .base import Model, check_finite
from .gridded import GriddedTexture
from .textures import DomainWall, Skyrmion, Uniform


@dataclass(frozen=True)
class TexturedFerromagnet2D(Model):
    """``H = p^2/(2 mass) + exchange n(r) . sigma + rashba (sigma_x p_y - sigma_y p_x)``.

    ``eps = p^2/mass``; ``Delta = 2 [exchange n(r) + rashba (p_y, -p_x, 0)]``. ``texture`` is a
    :class:`~berrykin.models.textures.Skyrmion` (default), :class:`DomainWall` or
    :class:`Uniform`. Units: lengths in units of the texture scale, energies in units of the
    model parameters (hbar = 1).
    """

    exchange: float = 1.0
    rashba: float = 0.5
    mass: float = 1.0
    texture: Any = field(default_factory=Skyrmion)
    dim: ClassVar[int] = 2
    depends_on_r: ClassVar[bool] = True

    def __post_init__(self):
        for name in ("exchange", "rashba", "mass"):
            object.__setattr__(self, name, check_finite(name, getattr(self, name)))
        if self.mass <= 0:
            raise ParameterError("mass", self.mass, "an effective mass > 0")
        if not isinstance(self.texture, (Skyrmion, DomainWall, Uniform, GriddedTexture)) or (
                isinstance(self.texture, GriddedTexture) and self.texture.dim != 2):
            raise ParameterError("texture", self.texture,
                                 "Skyrmion(...), DomainWall(...), Uniform(...) or a 2D GriddedTexture(...)")

    def eps(self, r, p, t):
        return (p[0] ** 2 + p[1] ** 2) / self.mass

    def gap(self, r, p, t):
        n = self.texture(r)
        so = jnp.stack([p[1], -p[0], 0.0 * p[0]])
        return 2.0 * (self.exchange * n + self.rashba * so)
