"""The two-band phase-space model: eps_hat(r, p, t) = eps/2 + Delta . tau (paper Eq. 12).

A model is immutable data plus two pure functions of a single phase-space point,
``eps(r, p, t) -> scalar`` and ``gap(r, p, t) -> (3,)`` (the vector Delta), written with
``jax.numpy`` so that berrykin can differentiate them exactly. ``r`` and ``p`` have shape
``(dim,)``, ``t`` is a scalar. All vectorisation is done by :mod:`berrykin.geometry`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

import jax.numpy as jnp

from ..errors import ParameterError


class Model:
    """Base class of all two-band models.

    Subclasses are frozen dataclasses and define ``dim`` and the methods :meth:`eps` and
    :meth:`gap`. ``momentum_period`` is ``None`` for continuum models, or the reciprocal
    lattice period (``2 pi`` for unit lattice constant) of a lattice model on the Brillouin zone.
    ``depends_on_r`` is False when the Hamiltonian does not depend on position, so ``r`` may be
    omitted in the geometry functions.
    """

    dim: ClassVar[int] = 2
    depends_on_r: ClassVar[bool] = False
    momentum_period: ClassVar[float | None] = None

    def eps(self, r, p, t):  # pragma: no cover - abstract
        """Scalar part ``eps = Tr eps_hat`` at one point (r: (dim,), p: (dim,), t: scalar)."""
        raise NotImplementedError

    def gap(self, r, p, t):  # pragma: no cover - abstract
        """Gap vector Delta (shape (3,)) at one point; ``H = eps/2 + Delta . sigma/2``."""
        raise NotImplementedError

    # -- helpers shared by all models -------------------------------------------------
    def hamiltonian(self, r, p, t=0.0):
        """The 2x2 matrix ``eps/2 + Delta . sigma/2`` at one point (numpy, complex128).

        ``r`` may be None for models without r dependence.
        """
        import jax
        import numpy as np

        p = np.asarray(p, dtype=np.float64).reshape(self.dim)
        r = np.zeros(self.dim) if r is None else np.asarray(r, dtype=np.float64).reshape(self.dim)
        with jax.enable_x64(True):
            e = float(self.eps(jnp.asarray(r), jnp.asarray(p), jnp.float64(t)))
            d = np.asarray(self.gap(jnp.asarray(r), jnp.asarray(p), jnp.float64(t)), dtype=np.float64)
        return np.array(
            [[e / 2 + d[2] / 2, (d[0] - 1j * d[1]) / 2], [(d[0] + 1j * d[1]) / 2, e / 2 - d[2] / 2]]
        )

    @property
    def parameters(self) -> dict[str, Any]:
        """The model's parameters by name."""
        from dataclasses import fields

        return {f.name: getattr(self, f.name) for f in fields(self)}


def check_finite(name: str, value, allowed: str = "a finite real number") -> float:
    """Return ``float(value)`` or raise :class:`ParameterError` naming ``name``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, value, allowed) from None
    if not math.isfinite(x):
        raise ParameterError(name, value, allowed)
    return x


@dataclass(frozen=True)
class TwoBandModel(Model):
    """A user model from two functions ``eps(r, p, t, params)`` and ``gap(r, p, t, params)``.

    Parameters
    ----------
    dim : spatial dimension d in {1, 2, 3}.
    eps, gap : callables of one point, written with ``jax.numpy``; ``gap`` returns the
        3-vector Delta. ``params`` is a read-only mapping of the named parameters.
    params : named parameters (floats).
    depends_on_r : set False if neither function uses r (then r may be omitted).
    momentum_period : ``None`` (continuum) or the Brillouin-zone period of every p_i.
    name : a label used in results.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> dirac = TwoBandModel(2, lambda r, p, t, P: 0.0,
    ...                      lambda r, p, t, P: 2 * jnp.array([p[0], p[1], P["m"]]),
    ...                      params={"m": 0.5}, depends_on_r=False)
    """

    dim_: int
    eps_fn: Callable
    gap_fn: Callable
    params_: tuple = ()
    depends_on_r_: bool = True
    momentum_period_: float | None = None
    name: str = "user"

    def __init__(self, dim, eps, gap, params: Mapping[str, float] | None = None,
                 depends_on_r: bool = True, momentum_period: float | None = None,
                 name: str = "user"):
        if dim not in (1, 2, 3):
            raise ParameterError("dim", dim, "1, 2 or 3")
        if not callable(eps):
            raise ParameterError("eps", eps, "a callable eps(r, p, t, params)")
        if not callable(gap):
            raise ParameterError("gap", gap, "a callable gap(r, p, t, params) -> 3-vector")
        items = tuple(sorted((str(k), check_finite(f"params[{k!r}]", v))
                             for k, v in dict(params or {}).items()))
        if momentum_period is not None:
            momentum_period = check_finite("momentum_period", momentum_period)
            if momentum_period <= 0:
                raise ParameterError("momentum_period", momentum_period, "> 0 or None")
        object.__setattr__(self, "dim_", int(dim))
        object.__setattr__(self, "eps_fn", eps)
        object.__setattr__(self, "gap_fn", gap)
        object.__setattr__(self, "params_", items)
        object.__setattr__(self, "depends_on_r_", bool(depends_on_r))
        object.__setattr__(self, "momentum_period_", momentum_period)
        object.__setattr__(self, "name", str(name))

    @property
    def dim(self):  # type: ignore[override]
        return self.dim_

    @property
    def depends_on_r(self):  # type: ignore[override]
        return self.depends_on_r_

    @property
    def momentum_period(self):  # type: ignore[override]
        return self.momentum_period_

    @property
    def parameters(self):
        return dict(self.params_)

    def replace(self, **params) -> "TwoBandModel":
        """A copy with some named parameters changed."""
        new = dict(self.params_)
        for k, v in params.items():
            if k not in new:
                raise ParameterError(k, v, f"one of the model's parameters {sorted(new)}")
            new[k] = v
        return TwoBandModel(self.dim_, self.eps_fn, self.gap_fn, new, self.depends_on_r_,
                            self.momentum_period_, self.name)

    def eps(self, r, p, t):
        return jnp.asarray(self.eps_fn(r, p, t, dict(self.params_)), dtype=p.dtype)

    def gap(self, r, p, t):
        return jnp.asarray(self.gap_fn(r, p, t, dict(self.params_)))
