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

from ..errors import ParameterError, ShapeError


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


def _tracer_errors():
    import jax

    e = jax.errors
    return (e.ConcretizationTypeError, e.TracerArrayConversionError, e.TracerIntegerConversionError,
            e.NonConcreteBooleanIndexError, e.UnexpectedTracerError)


def _uses_input(closed, index: int) -> bool:
    """Whether an output of the traced ``closed`` jaxpr depends on its input ``index``.

    Forward marking over the equations (an equation with a marked input marks all its
    outputs), so it never misses a dependence; an input combined only into unused values or
    multiplied by a literal 0 still counts as used (conservative)."""
    jaxpr = closed.jaxpr
    marked = {jaxpr.invars[index]}
    for eqn in jaxpr.eqns:
        if any(not hasattr(v, "val") and v in marked for v in eqn.invars):
            marked.update(eqn.outvars)
    return any(not hasattr(v, "val") and v in marked for v in jaxpr.outvars)


def inspect_user_functions(dim: int, eps: Callable, gap: Callable, params: Mapping[str, float]) -> bool:
    """Trace ``eps(r, p, t, params)`` and ``gap(r, p, t, params)`` once with abstract float64
    inputs (``r, p``: (dim,), ``t``: scalar): check that eps is a scalar and gap a 3-vector and
    that both are written with ``jax.numpy``; return whether either depends on r.

    Raises :class:`~berrykin.errors.ShapeError` (wrong output shape) or
    :class:`~berrykin.errors.ParameterError` (NumPy/``float()``/Python ``if`` on the inputs, or
    an unknown parameter name)."""
    import jax

    spec = (jax.ShapeDtypeStruct((dim,), jnp.float64), jax.ShapeDtypeStruct((dim,), jnp.float64),
            jax.ShapeDtypeStruct((), jnp.float64))
    traced = {}
    with jax.enable_x64(True):
        for name, fn in (("eps", eps), ("gap", gap)):
            try:
                traced[name] = jax.make_jaxpr(lambda r, p, t, fn=fn: jnp.asarray(fn(r, p, t, dict(params))))(*spec)
            except _tracer_errors() as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ParameterError(
                    name, fn, f"a function written with jax.numpy (jnp.sin, jnp.array, jnp.where ...): "
                              f"berrykin differentiates it with JAX, and NumPy calls, float(), math.* or a "
                              f"Python if on r, p or t fail ({type(exc).__name__}: {first[:160]})") from None
            except KeyError as exc:
                raise ParameterError(name, fn, f"a function of the model's parameters {sorted(params)} "
                                               f"(it asked for {exc.args[0]!r})") from None
    shapes = {k: tuple(v.out_avals[0].shape) for k, v in traced.items()}
    if shapes["gap"] != (3,):
        raise ShapeError("gap(r, p, t, params)", shapes["gap"],
                         "(3,): the three components (Delta_x, Delta_y, Delta_z) of the gap vector")
    if shapes["eps"] not in ((), (1,)):
        raise ShapeError("eps(r, p, t, params)", shapes["eps"], "(): the scalar eps = Tr eps_hat")
    return _uses_input(traced["eps"], 0) or _uses_input(traced["gap"], 0)


@dataclass(frozen=True)
class TwoBandModel(Model):
    """A user model from two functions ``eps(r, p, t, params)`` and ``gap(r, p, t, params)``.

    Parameters
    ----------
    dim : spatial dimension d in {1, 2, 3}.
    eps, gap : callables of one point, written with ``jax.numpy``; ``gap`` returns the
        3-vector Delta. ``params`` is a read-only mapping of the named parameters.
    params : named parameters (floats).
    depends_on_r : None (default) detects whether either function uses r (by tracing both
        once, at construction; then r may be omitted when they do not); True or False asserts it.
        The trace also checks that ``gap`` returns a 3-vector and ``eps`` a scalar
        (:class:`~berrykin.errors.ShapeError` otherwise) and that both are written with
        ``jax.numpy`` (:class:`~berrykin.errors.ParameterError` naming the function otherwise).
    momentum_period : ``None`` (continuum) or the Brillouin-zone period of every p_i.
    name : a label used in results.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> dirac = TwoBandModel(2, lambda r, p, t, P: 0.0,
    ...                      lambda r, p, t, P: 2 * jnp.array([p[0], p[1], P["m"]]),
    ...                      params={"m": 0.5})
    >>> dirac.depends_on_r
    False
    """

    dim_: int
    eps_fn: Callable
    gap_fn: Callable
    params_: tuple = ()
    depends_on_r_: bool = True
    momentum_period_: float | None = None
    name: str = "user"

    def __init__(self, dim, eps, gap, params: Mapping[str, float] | None = None,
                 depends_on_r: bool | None = None, momentum_period: float | None = None,
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
        uses_r = inspect_user_functions(int(dim), eps, gap, dict(items))
        if depends_on_r is None:
            depends_on_r = uses_r
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
