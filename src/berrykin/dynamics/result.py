"""Options and immutable results of semiclassical trajectory integration (paper Eq. 24).

Units: hbar = e = 1 (see :mod:`berrykin.conventions`); time is 1/energy, momenta are wave numbers.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from ..errors import ParameterError
from ..geometry.pointwise import CurvatureTerms


@dataclass(frozen=True)
class TrajectoryOptions:
    """Solver settings for :func:`~berrykin.dynamics.integrate_trajectories`.

    rtol, atol : relative / absolute tolerances of the adaptive DOP853 (8th-order Runge-Kutta)
        solver of :func:`scipy.integrate.solve_ivp`, applied to every component of (r, p).
    max_step : largest step in time (default: unlimited).
    t_eval : times at which to report the state (inside ``t_span``, monotonic in the
        direction of integration), or None.
    n_output : report ``n_output`` equally spaced times spanning ``t_span`` (>= 2), or None.
        With neither ``t_eval`` nor ``n_output`` the solver's own (adaptive) steps are reported.
    energy_shift : keep the band-energy correction ``delta eps = -|Delta| F/4`` (Eq. 23).
    anomalous : keep the Berry-curvature (q_s) terms of Eq. 24. Both False: plain Boltzmann.
    curvature : :class:`~berrykin.geometry.pointwise.CurvatureTerms` selecting the blocks of F_IJ
        (real F_rr, mixed F_rp, momentum F_pp, time F_t) kept in the q_s terms (default: all).
        All combinations share one compiled right-hand side.
    """

    rtol: float = 1e-10
    atol: float = 1e-12
    max_step: float = math.inf
    t_eval: tuple[float, ...] | None = None
    n_output: int | None = None
    energy_shift: bool = True
    anomalous: bool = True
    curvature: CurvatureTerms = CurvatureTerms()

    def __post_init__(self):
        for name in ("rtol", "atol"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) \
                    or not math.isfinite(v) or v <= 0:
                raise ParameterError(name, v, "a finite tolerance > 0, e.g. 1e-10")
            object.__setattr__(self, name, float(v))
        ms = self.max_step
        if isinstance(ms, bool) or not isinstance(ms, (int, float, np.floating, np.integer)) \
                or math.isnan(ms) or ms <= 0:
            raise ParameterError("max_step", ms, "a step > 0 (math.inf for no limit)")
        object.__setattr__(self, "max_step", float(ms))
        if self.t_eval is not None:
            te = np.asarray(self.t_eval, dtype=float)
            if te.ndim != 1 or te.size == 0 or not np.all(np.isfinite(te)):
                raise ParameterError("t_eval", self.t_eval, "a non-empty 1-D sequence of finite times")
            object.__setattr__(self, "t_eval", tuple(float(x) for x in te))
        if self.n_output is not None:
            n = self.n_output
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
                raise ParameterError("n_output", n, "an integer >= 2, or None")
            if self.t_eval is not None:
                raise ParameterError("n_output", n, "None when t_eval is given (choose one)")
            object.__setattr__(self, "n_output", int(n))
        for name in ("energy_shift", "anomalous"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ParameterError(name, getattr(self, name), "True or False")
            object.__setattr__(self, name, bool(getattr(self, name)))
        if not isinstance(self.curvature, CurvatureTerms):
            raise ParameterError("curvature", self.curvature,
                                 "a CurvatureTerms(real=..., mixed=..., momentum=..., time=...)")


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=32)
def _vector_potential(field):
    """``a(r, t)`` jitted over (T, N, d) positions and (T,) times."""
    import jax

    return jax.jit(jax.vmap(jax.vmap(field.a, in_axes=(0, None)), in_axes=(0, 0)))


def model_name(model) -> str:
    """A label for results: ``TwoBandModel.name`` or the class name (``Outer(Inner)`` if nested)."""
    inner = getattr(model, "model", None)
    base = getattr(model, "name", None) or type(model).__name__
    return f"{type(model).__name__}({model_name(inner)})" if inner is not None else str(base)


@dataclass(frozen=True)
class TrajectoryResult:
    """Semiclassical trajectories of one band (canonical sEOM, paper Eq. 24).

    Arrays are read-only. ``t``: (T,); ``r``, ``p``: (T, N, d) positions and *canonical*
    momenta for N particles in d dimensions. Lattice momenta are **not** wrapped into the
    Brillouin zone (they are continuous in time; reduce them with ``np.mod`` if needed).
    ``nfev`` counts right-hand-side evaluations (each one evaluates all N particles).
    """

    t: np.ndarray
    r: np.ndarray
    p: np.ndarray
    band: int
    model_name: str
    model_parameters: Mapping[str, Any]
    options: TrajectoryOptions
    nfev: int
    success: bool
    message: str
    model: Any = field(repr=False, compare=False, default=None)

    def __post_init__(self):
        object.__setattr__(self, "t", _frozen(self.t))
        object.__setattr__(self, "r", _frozen(self.r))
        object.__setattr__(self, "p", _frozen(self.p))
        object.__setattr__(self, "model_parameters", MappingProxyType(dict(self.model_parameters)))

    @property
    def n_particles(self) -> int:
        return self.r.shape[1]

    @property
    def dim(self) -> int:
        return self.r.shape[2]

    def kinetic_momentum(self) -> np.ndarray:
        """``k = p - a(r, t)`` (Sec. II D), shape (T, N, d); needs a ``MinimalCoupling`` model."""
        from ..models import MinimalCoupling

        if not isinstance(self.model, MinimalCoupling):
            raise ParameterError("model", self.model_name,
                                 "a berrykin.models.MinimalCoupling model (k = p - a needs a gauge field)")
        import jax

        with jax.enable_x64(True):
            a = np.asarray(_vector_potential(self.model.field)(self.r, self.t))
        return self.p - a

    def band_energy(self, corrected: bool = True) -> np.ndarray:
        """Band energy along the trajectories, shape (T, N): ``bar-eps_s = eps_s - |Delta| F/4``
        (Eqs. 13, 23) if ``corrected`` else ``eps_s``."""
        from ..geometry import band_energies

        r = self.r if self.model is None or self.model.depends_on_r else None
        E = band_energies(self.model, r, self.p, self.t[:, None], corrected=corrected)
        return E[..., 0 if self.band == 1 else 1]

    def to_dataset(self):
        """An :class:`xarray.Dataset` with variables ``r``, ``p`` (and ``k`` for minimal
        coupling) on dims ``(time, particle, axis)``, units and conventions in ``attrs``."""
        import xarray as xr

        from .. import __version__
        from ..conventions import coordinate_names
        from ..models import MinimalCoupling

        dims = ("time", "particle", "axis")
        axes = list(coordinate_names(self.dim)[: self.dim])
        data = {
            "r": (dims, np.array(self.r), {"long_name": "position", "units": "length (hbar = e = 1)"}),
            "p": (dims, np.array(self.p), {"long_name": "canonical momentum (Eq. 24)",
                                           "units": "wave number (hbar = 1)"}),
        }
        if isinstance(self.model, MinimalCoupling):
            data["k"] = (dims, self.kinetic_momentum(),
                         {"long_name": "kinetic momentum k = p - a(r, t)", "units": "wave number"})
        period = getattr(self.model, "momentum_period", None)
        opts = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options.__dict__.items()}
        opts["curvature"] = self.options.curvature.as_dict()
        opts["max_step"] = repr(opts["max_step"]) if math.isinf(opts["max_step"]) else opts["max_step"]
        attrs = {
            "title": f"berrykin semiclassical trajectories, band s = {self.band:+d}",
            "equations": "canonical sEOM, paper Eq. (24) (Wong & Tserkovnyak, arXiv:1102.1121), with ERRATA",
            "units": "hbar = e = 1; charges absorbed in the fields (b = eB, e = eE); time in 1/energy",
            "coordinate_order": "phase space (r_1..r_d, p_1..p_d, t); p is the canonical momentum",
            "sign_conventions": "H = eps/2 + Delta.sigma/2; eps_s = (eps + s|Delta|)/2; band s = +1 is "
                                "aligned with Delta; q_s = -s/2; F_IJ = m.(d_I m x d_J m); "
                                "bar-eps_s = eps_s - |Delta| F/4",
            "band": int(self.band),
            "model": self.model_name,
            "model_parameters": json.dumps(dict(self.model_parameters), default=repr),
            "momentum_wrapping": "none (momenta are unwrapped)" if period is not None else "continuum model",
            "momentum_period": "none" if period is None else float(period),
            "solver": "scipy.integrate.solve_ivp DOP853",
            "solver_options": json.dumps(opts, default=repr),
            "nfev": int(self.nfev),
            "success": int(bool(self.success)),
            "message": str(self.message),
            "berrykin_version": __version__,
        }
        coords = {"time": ("time", np.array(self.t), {"units": "1/energy (hbar = 1)"}),
                  "particle": np.arange(self.n_particles), "axis": axes}
        return xr.Dataset(data, coords=coords, attrs=attrs)
