"""Integration of the canonical semiclassical equations of motion (sEOM, paper Eq. 24).

For band s the phase-space velocity is (Eq. 24, ``F^{ij} = (J F J^T)_{ij}``)

    rdot = d_p bar-eps_s + q_s (F_{tp} + F_{p p_l} d_{r_l} eps_s - F_{p r_l} d_{p_l} eps_s)
    pdot = -d_r bar-eps_s - q_s (F_{tr} + F_{r p_l} d_{r_l} eps_s - F_{r r_l} d_{p_l} eps_s)

with ``bar-eps_s = eps_s - |Delta| F/4`` (Eq. 23) and ``q_s = -s/2``; p is the canonical
momentum. Units hbar = e = 1. The velocity comes from :func:`berrykin.geometry.pointwise.velocity`
(exact autodiff), compiled once per model, switches and ensemble size (the band is a traced
argument) and evaluated for the whole ensemble in one call; the time stepping is scipy's adaptive
DOP853. Eq. 24 is linear in F, so even for a static Hamiltonian ``bar-eps_s`` is conserved only
to second order in gradients: ``d bar-eps_s/dt = -q_s d_i eps_s F^{ij} d_j delta-eps``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

from ..errors import IntegrationError, ParameterError, ShapeError
from ..geometry import pointwise as pw
from ..models import Model
from .result import TrajectoryOptions, TrajectoryResult, model_name

_ADVICE = ("try tighter rtol/atol or a finite max_step in TrajectoryOptions, a shorter t_span, or "
           "initial conditions away from gap closings (|Delta| -> 0, where F diverges)")


_ALL = np.ones(4)


def _make_rhs(model, energy_shift, anomalous):
    d = model.dim

    def rhs(t, y, band, weights):
        Y = y.reshape(-1, 2 * d)
        X = jnp.concatenate([Y, jnp.full((Y.shape[0], 1), t, dtype=Y.dtype)], axis=1)
        vel = jax.vmap(lambda x: pw.velocity(model, x, band, energy_shift, anomalous, weights))
        return vel(X).reshape(-1)

    jitted = jax.jit(rhs)

    def f(t, y, band, weights=_ALL):  # fixed dtypes: one compilation per ensemble size
        w = weights.weights() if isinstance(weights, pw.CurvatureTerms) else weights
        return jitted(np.float64(t), np.asarray(y, dtype=np.float64), np.float64(band),
                      np.asarray(w, dtype=np.float64))

    f.jitted = jitted
    return f


@functools.lru_cache(maxsize=64)
def _rhs_cached(model, energy_shift, anomalous):
    return _make_rhs(model, energy_shift, anomalous)


def compiled_rhs(model, energy_shift=True, anomalous=True):
    """The jitted ensemble velocity ``f(t, y, band, weights)`` of Eq. 24 on a flat state ``y`` of
    shape (N*2d,) (particle-major, each particle ``(r_1..r_d, p_1..p_d)``); ``band`` and the
    curvature ``weights`` (a :class:`~berrykin.geometry.pointwise.CurvatureTerms` or its four 0/1
    weights; default all on) are traced, so both bands and every choice of curvature blocks share
    one compilation. Call it inside ``jax.enable_x64(True)``."""
    try:
        return _rhs_cached(model, energy_shift, anomalous)
    except TypeError:  # unhashable model
        return _make_rhs(model, energy_shift, anomalous)


def _as_states(model, r0, p0):
    d = model.dim
    try:
        p = np.asarray(p0, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("p0", p0, f"real momenta of shape ({d},) or (N, {d})") from None
    if p.ndim not in (1, 2) or p.shape[-1] != d or p.size == 0:
        raise ShapeError("p0", p.shape, f"({d},) for one particle or (N, {d}) for N particles")
    if r0 is None:
        if model.depends_on_r:
            raise ParameterError("r0", None, f"positions of shape ({d},) or (N, {d}): this model depends on r")
        r = np.zeros_like(p)
    else:
        try:
            r = np.asarray(r0, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError("r0", r0, f"real positions of shape ({d},) or (N, {d})") from None
        if r.ndim not in (1, 2) or r.shape[-1] != d or r.size == 0:
            raise ShapeError("r0", r.shape, f"({d},) for one particle or (N, {d}) for N particles")
    r, p = np.atleast_2d(r), np.atleast_2d(p)
    if r.shape[0] != p.shape[0] and 1 not in (r.shape[0], p.shape[0]):
        raise ShapeError("r0", r.shape, f"(1, {d}), ({d},) or ({p.shape[0]}, {d}) to match p0 {p.shape}")
    n = max(r.shape[0], p.shape[0])
    r, p = np.broadcast_to(r, (n, d)), np.broadcast_to(p, (n, d))
    for name, a in (("r0", r), ("p0", p)):
        if not np.all(np.isfinite(a)):
            raise ParameterError(name, a.tolist() if a.size < 20 else "array", "finite numbers (no nan/inf)")
    return np.concatenate([r, p], axis=1)


def _time_grid(t_span, options):
    try:
        t0, t1 = (float(x) for x in t_span)
    except (TypeError, ValueError):
        raise ParameterError("t_span", t_span, "a pair (t0, t1) of finite times with t1 != t0") from None
    if not (np.isfinite(t0) and np.isfinite(t1)) or t0 == t1:
        raise ParameterError("t_span", t_span, "a pair (t0, t1) of finite times with t1 != t0")
    if options.n_output is not None:
        return (t0, t1), np.linspace(t0, t1, options.n_output)
    if options.t_eval is None:
        return (t0, t1), None
    te = np.asarray(options.t_eval)
    lo, hi = min(t0, t1), max(t0, t1)
    direction = np.sign(t1 - t0)
    if te.min() < lo or te.max() > hi or np.any(direction * np.diff(te) < 0):
        raise ParameterError("options.t_eval", options.t_eval,
                             f"times inside t_span=({t0}, {t1}), ordered from t0 towards t1")
    return (t0, t1), te


def integrate_trajectories(model, r0, p0, t_span, band=+1, *, options=TrajectoryOptions()):
    """Integrate the canonical sEOM (paper Eq. 24) of band ``band`` for one or many particles.

    Parameters
    ----------
    model : a :class:`berrykin.models.Model` (static or time dependent; for a magnetic field use
        :class:`~berrykin.models.MinimalCoupling`, then p is the canonical momentum).
    r0 : initial positions, shape (d,) or (N, d); None for models independent of r.
    p0 : initial canonical momenta, shape (d,) or (N, d) (r0 / p0 of one particle broadcast).
    t_span : (t0, t1), in 1/energy (hbar = 1); t1 < t0 integrates backwards.
    band : +1 (upper band, aligned with Delta) or -1 (lower band).
    options : :class:`TrajectoryOptions` (tolerances, output times, Eq. 23/24 switches, and the
        blocks of F_IJ kept, ``options.curvature``).

    Returns
    -------
    :class:`TrajectoryResult` with ``t`` (T,), ``r`` and ``p`` (T, N, d). For lattice models
    (``model.momentum_period`` not None) momenta are integrated and reported unwrapped.

    Raises ParameterError / ShapeError for bad inputs, IntegrationError if the solver fails.

    Example
    -------
    >>> from berrykin.models import MassiveDirac2D, UniformMagneticField, MinimalCoupling
    >>> model = MinimalCoupling(MassiveDirac2D(m=1.0), UniformMagneticField(b=0.2))
    >>> res = integrate_trajectories(model, [0.0, 0.0], [0.5, 0.0], (0.0, 10.0),
    ...                              options=TrajectoryOptions(n_output=11))
    >>> res.r.shape, res.kinetic_momentum().shape
    ((11, 1, 2), (11, 1, 2))
    """
    if not isinstance(model, Model):
        raise ParameterError("model", model, "a berrykin Model, e.g. berrykin.models.MassiveDirac2D()")
    if isinstance(band, bool) or band not in (1, -1):
        raise ParameterError("band", band, "+1 (upper, aligned with Delta) or -1 (lower)")
    band = int(band)
    if not isinstance(options, TrajectoryOptions):
        raise ParameterError("options", options, "a berrykin.dynamics.TrajectoryOptions(...)")
    y0 = _as_states(model, r0, p0)
    n, d = y0.shape[0], model.dim
    span, t_eval = _time_grid(t_span, options)

    with jax.enable_x64(True):
        f = compiled_rhs(model, options.energy_shift, options.anomalous)
        weights = options.curvature.weights()

        def rhs(t, y):
            v = np.asarray(f(t, y, band, weights))
            if not np.all(np.isfinite(v)):
                bad = int(np.flatnonzero(~np.isfinite(v.reshape(n, 2 * d)).any(axis=1))[0])
                raise IntegrationError(
                    f"non-finite phase-space velocity at t={t:.6g} for particle {bad} "
                    f"(state {y.reshape(n, 2 * d)[bad].tolist()}): the trajectory hit a gap "
                    f"closing or left the model's domain; {_ADVICE}")
            return v

        sol = solve_ivp(rhs, span, y0.reshape(-1), method="DOP853", t_eval=t_eval,
                        rtol=options.rtol, atol=options.atol, max_step=options.max_step)
    if not sol.success:
        reached = sol.t[-1] if sol.t.size else span[0]
        raise IntegrationError(f"DOP853 failed at t={reached:.6g} of t_span={span} after "
                               f"{sol.nfev} evaluations: {sol.message}; {_ADVICE}")
    Y = sol.y.T.reshape(-1, n, 2 * d)
    return TrajectoryResult(
        t=sol.t, r=Y[..., :d], p=Y[..., d:], band=band, model_name=model_name(model),
        model_parameters=model.parameters, options=options, nfev=int(sol.nfev),
        success=bool(sol.success), message=str(sol.message), model=model)
