"""Electromagnetic gauge potentials a(r, t), phi(r, t) and minimal coupling (paper Eq. 32).

Charges are absorbed in the fields (``b = e B``, ``e = e E``). Every field is immutable and
provides ``a(r, t) -> (dim,)`` and ``phi(r, t) -> scalar`` written with ``jax.numpy``; the
physical fields are ``e = -grad phi - d_t a`` and ``b = curl a`` (computed exactly by
:func:`berrykin.geometry.em_fields`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError
from .base import Model, check_finite


class GaugeField:
    """Base class: zero potentials. ``dim`` is None when the field fits any dimension."""

    dim: int | None = None
    depends_on_r: bool = True

    def a(self, r, t):
        return jnp.zeros_like(r)

    def phi(self, r, t):
        return jnp.zeros((), dtype=r.dtype)

    def __add__(self, other: "GaugeField") -> "CombinedField":
        return CombinedField((self, other))


def _profile_value(profile, t):
    return 1.0 if profile is None else profile(t)


@dataclass(frozen=True)
class UniformMagneticField(GaugeField):
    """Uniform b in the symmetric gauge, ``a = b x r / 2`` (2D: ``a = b (-y, x)/2``, Sec. III A).

    ``b`` is the z component (a float) in 2D, or a 3-vector in 3D. ``profile`` (optional
    callable of t, jax-traceable) scales it, ``b(t) = b profile(t)``, giving the circulating
    electric field ``e = -d_t a``.
    """

    b: float | tuple = 0.0
    profile: Callable | None = None

    def __post_init__(self):
        b = self.b
        if np.ndim(b) == 0:
            object.__setattr__(self, "b", check_finite("b", b))
        else:
            vec = tuple(check_finite("b", x) for x in np.ravel(b))
            if len(vec) != 3:
                raise ParameterError("b", b, "a float (2D, along z) or a 3-vector (3D)")
            object.__setattr__(self, "b", vec)

    @property
    def dim(self):  # type: ignore[override]
        return 2 if np.ndim(self.b) == 0 else 3

    def a(self, r, t):
        s = _profile_value(self.profile, t)
        if not isinstance(self.b, tuple):  # (not np.ndim: b's entries may be tracers)
            return 0.5 * self.b * s * jnp.stack([-r[1], r[0]])
        return 0.5 * s * jnp.cross(jnp.asarray(self.b, dtype=r.dtype), r)


@dataclass(frozen=True)
class UniformElectricField(GaugeField):
    """Uniform e (a d-vector), in the scalar gauge ``phi = -e . r`` or, with
    ``vector_gauge=True``, the vector gauge ``a = -e t`` (then the kinetic and canonical
    momenta differ by ``e t``)."""

    e: tuple = (0.0,)
    vector_gauge: bool = False

    def __post_init__(self):
        vec = tuple(check_finite("e", x) for x in np.ravel(self.e))
        if len(vec) not in (1, 2, 3):
            raise ParameterError("e", self.e, "a vector of length d = 1, 2 or 3")
        object.__setattr__(self, "e", vec)

    @property
    def dim(self):  # type: ignore[override]
        return len(self.e)

    @property
    def depends_on_r(self):  # type: ignore[override]
        return not self.vector_gauge

    def a(self, r, t):
        if self.vector_gauge:
            return -jnp.asarray(self.e, dtype=r.dtype) * t
        return jnp.zeros_like(r)

    def phi(self, r, t):
        if self.vector_gauge:
            return jnp.zeros((), dtype=r.dtype)
        return -jnp.dot(jnp.asarray(self.e, dtype=r.dtype), r)


@dataclass(frozen=True)
class GaugePotential(GaugeField):
    """User potentials: ``a(r, t) -> (dim,)`` and ``phi(r, t) -> scalar`` (jax-traceable)."""

    dim_: int = 2
    a_fn: Callable | None = None
    phi_fn: Callable | None = None

    @property
    def dim(self):  # type: ignore[override]
        return self.dim_

    def a(self, r, t):
        return jnp.zeros_like(r) if self.a_fn is None else jnp.asarray(self.a_fn(r, t))

    def phi(self, r, t):
        return jnp.zeros((), dtype=r.dtype) if self.phi_fn is None else jnp.asarray(self.phi_fn(r, t))


@dataclass(frozen=True)
class CombinedField(GaugeField):
    """The sum of several gauge fields."""

    parts: tuple = ()

    @property
    def dim(self):  # type: ignore[override]
        dims = {f.dim for f in self.parts if f.dim is not None}
        if len(dims) > 1:
            raise ParameterError("field", self.parts, "fields of one spatial dimension")
        return dims.pop() if dims else None

    @property
    def depends_on_r(self):  # type: ignore[override]
        return any(f.depends_on_r for f in self.parts)

    def a(self, r, t):
        return sum((f.a(r, t) for f in self.parts), jnp.zeros_like(r))

    def phi(self, r, t):
        return sum((f.phi(r, t) for f in self.parts), jnp.zeros((), dtype=r.dtype))


@dataclass(frozen=True)
class MinimalCoupling(Model):
    """``model`` coupled to ``field`` in the canonical frame (paper Eq. 32):

    ``eps_c(r, p, t) = eps(r, p - a(r, t), t) + 2 phi(r, t)``, ``Delta_c = Delta(r, p - a, t)``.

    The result is a model like any other (canonical momentum p). The kinetic-momentum frame of
    Sec. II D (``k = p - a``, fields e and b, Eqs. 36-38) is available through
    :func:`berrykin.geometry.kinetic_frame_velocity`.
    """

    model: Model
    field: GaugeField

    def __post_init__(self):
        if not isinstance(self.model, Model):
            raise ParameterError("model", self.model, "a berrykin Model")
        if not isinstance(self.field, GaugeField):
            raise ParameterError("field", self.field, "a GaugeField (e.g. UniformMagneticField(b=0.1))")
        fd = self.field.dim
        if fd is not None and fd != self.model.dim:
            raise ParameterError("field", self.field, f"a field in {self.model.dim} dimensions like the model")

    @property
    def dim(self):  # type: ignore[override]
        return self.model.dim

    @property
    def depends_on_r(self):  # type: ignore[override]
        return self.model.depends_on_r or self.field.depends_on_r

    @property
    def momentum_period(self):  # type: ignore[override]
        return self.model.momentum_period

    def kinetic_momentum(self, r, p, t):
        """``k = p - a(r, t)`` at one point."""
        return p - self.field.a(r, t)

    def eps(self, r, p, t):
        return self.model.eps(r, p - self.field.a(r, t), t) + 2.0 * self.field.phi(r, t)

    def gap(self, r, p, t):
        return self.model.gap(r, p - self.field.a(r, t), t)
