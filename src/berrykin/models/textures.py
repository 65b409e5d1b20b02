"""Real-space magnetisation textures n(r) (unit 3-vectors) for the textured ferromagnet.

Each texture is an immutable object with a method ``__call__(r) -> (3,)`` written with
``jax.numpy`` and smooth everywhere (so it can be differentiated exactly).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from ..errors import ParameterError
from .base import check_finite


def _positive(name, value):
    x = check_finite(name, value)
    if x <= 0:
        raise ParameterError(name, value, "a length > 0")
    return x


@dataclass(frozen=True)
class Uniform:
    """A uniform magnetisation along ``direction`` (normalised)."""

    direction: tuple = (0.0, 0.0, 1.0)

    def __call__(self, r):
        d = jnp.asarray(self.direction, dtype=r.dtype)
        return d / jnp.linalg.norm(d) + 0.0 * r[0]


@dataclass(frozen=True)
class Skyrmion:
    """A localised skyrmion centred at ``center`` with core antiparallel to z far field.

    ``n = (2 L rho_hat_gamma rho, rho^2 - L^2) / (rho^2 + L^2)`` with
    ``L(rho) = radius * exp((radius^2 - rho^2) / (2 width^2))``, i.e. a Belavin-Polyakov profile
    whose scale decays beyond the radius; ``n_z = 0`` exactly at ``rho = radius``, ``n = -z`` at
    the core and ``n -> +z`` far away. ``helicity`` rotates the in-plane part (0: Neel,
    pi/2: Bloch). The texture wraps the sphere once; it is smooth everywhere.
    """

    radius: float = 2.0
    width: float = 2.0
    center: tuple = (0.0, 0.0)
    helicity: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "radius", _positive("radius", self.radius))
        object.__setattr__(self, "width", _positive("width", self.width))
        object.__setattr__(self, "helicity", check_finite("helicity", self.helicity))
        c = tuple(check_finite("center", c) for c in self.center)
        if len(c) != 2:
            raise ParameterError("center", self.center, "two coordinates (x, y)")
        object.__setattr__(self, "center", c)

    def __call__(self, r):
        x = r[0] - self.center[0]
        y = r[1] - self.center[1]
        rho2 = x * x + y * y
        lam = self.radius * jnp.exp((self.radius**2 - rho2) / (2 * self.width**2))
        cg, sg = jnp.cos(self.helicity), jnp.sin(self.helicity)
        den = rho2 + lam * lam
        return jnp.stack(
            [2 * lam * (cg * x - sg * y) / den, 2 * lam * (sg * x + cg * y) / den, (rho2 - lam * lam) / den]
        )


@dataclass(frozen=True)
class DomainWall:
    """A domain wall along ``x = center`` of width ``width``: ``n_z = -tanh((x - center)/width)``.

    The in-plane part ``sech(.)`` points along ``angle`` (0: Neel along x, pi/2: Bloch along y).
    """

    width: float = 2.0
    center: float = 0.0
    angle: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "width", _positive("width", self.width))
        object.__setattr__(self, "center", check_finite("center", self.center))
        object.__setattr__(self, "angle", check_finite("angle", self.angle))

    def __call__(self, r):
        u = (r[0] - self.center) / self.width
        s = 1.0 / jnp.cosh(u)
        return jnp.stack([s * jnp.cos(self.angle), s * jnp.sin(self.angle), -jnp.tanh(u)])
