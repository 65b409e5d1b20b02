"""Faraday's law in momentum space: a slow mass ramp at fixed uniform b (paper Sec. III B).

The mass parameter follows ``m(t) = m0 + (m_final - m0) ramp(t/ramp_time)`` with the smooth
``ramp(s) = (1 - cos(pi s))/2`` (s clipped to [0, 1]) while a static uniform ``b`` (symmetric
gauge, so e = 0) is on. The homogeneous sKE in the kinetic frame is integrated from the
adiabatic state at b for m0 (ERRATA choice 8). Eq. (50) (with the n_z term of Eq. 44 as
corrected by ERRATA 3) then predicts, for a homogeneous isotropic state with ``d_k n = O(b)``
(Fermi level in the gap),

    ``n_s(k, t) - n_s(k, 0) = (n_z/4) b [B_k(m(t)) - B_k(m(0))]``   (same for both bands),

``B_k = m/E^3`` for massive Dirac. The time-dependent Berry field drives the anomalous velocity
``delta rdot_s = (s/2)(mdot/E^3) z x k`` (ERRATA 8), azimuthal, so it moves no particles in a
homogeneous isotropic state. With the Fermi level in the gap the total density is constant
while sgn m is fixed: ``Int d^2k B_k = 2 pi sgn m`` (up to the cutoff term
``(b/4 pi)[m/E(K)]_{m0}^{m(t)}`` of a polar grid of radius K). Units: hbar = e = 1, b = eB in
1/length^2, densities in particles per length^2, times in inverse energy.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError
from ..geometry import gap_vector, momentum_berry_field
from ..kinetic import HomogeneousGrid, KineticFrame, KineticSolver, Scheme, SKETerms
from ..kinetic.initial import AdiabaticInflow, adiabatic_state
from ..models import MinimalCoupling, UniformMagneticField
from ..models.base import Model
from ..observables import band_densities
from .streda import streda_grid, streda_scales

__all__ = ["mass_ramp", "MassRampResult", "MassRamped"]


@dataclass(frozen=True)
class MassRamped(Model):
    """``start`` (the model at m0) with its mass ramped smoothly to that of ``end`` over
    ``ramp_time``: ``eps, Delta = (1 - w) (eps, Delta)_start + w (eps, Delta)_end`` with
    ``w(t) = (1 - cos(pi clip(t/ramp_time, 0, 1)))/2``. Exact for models whose eps and Delta
    are affine in the mass parameter ``m`` (massive Dirac, QWZ; checked by :func:`mass_ramp`)."""

    start: Model
    end: Model
    ramp_time: float

    @property
    def dim(self):  # type: ignore[override]
        return self.start.dim

    @property
    def depends_on_r(self):  # type: ignore[override]
        return self.start.depends_on_r

    @property
    def momentum_period(self):  # type: ignore[override]
        return self.start.momentum_period

    def weight(self, t):
        s = jnp.clip(t / self.ramp_time, 0.0, 1.0)
        return 0.5 * (1.0 - jnp.cos(jnp.pi * s))

    def mass(self, t):
        """``m(t)`` (jax-traceable)."""
        return self.start.m + (self.end.m - self.start.m) * self.weight(t)

    def eps(self, r, p, t):
        w = self.weight(t)
        return (1.0 - w) * self.start.eps(r, p, t) + w * self.end.eps(r, p, t)

    def gap(self, r, p, t):
        w = self.weight(t)
        return (1.0 - w) * self.start.gap(r, p, t) + w * self.end.gap(r, p, t)


@dataclass(frozen=True)
class MassRampResult:
    """Result of :func:`mass_ramp`.

    Attributes
    ----------
    times : (n_t,) output times; ``mass`` : (n_t,) m(t).
    delta_n : (n_t, 2, *grid.shape) ``n_s(k, t) - n_s(k, 0)`` (bands s = +1, -1).
    predicted : (n_t, *grid.shape) ``(n_z/4) b [B_k(m(t)) - B_k(m(0))]`` (the same for both bands).
    max_error : ``max |delta_n - predicted|`` over t, s, k; ``relative_error`` the same divided
        by ``max |predicted|``.
    density : (n_t,) total density ``rho(t)`` (particles per length^2); ``delta_density`` its change.
    cutoff_density : (n_t,) the change expected from the finite grid alone (the Berry flux outside
        the grid; 0 on a Brillouin zone): ``(b/2) Int_grid d^2k/(2 pi)^2 n_z [B_k(m(t)) - B_k(m0)]``
        evaluated as the same cell sum as the prediction.
    ledger_residual : largest relative band/conservation residual of the particle ledger.
    parameters : model, b, m0, m_final, ramp time, mu, T, grid, scheme.
    """

    times: np.ndarray
    mass: np.ndarray
    delta_n: np.ndarray
    predicted: np.ndarray
    max_error: float
    relative_error: float
    density: np.ndarray
    delta_density: np.ndarray
    cutoff_density: np.ndarray
    ledger_residual: float
    parameters: dict = field(default_factory=dict)

    def to_dataset(self):
        """An ``xarray.Dataset`` with dims time, band and the momentum cell index ``cell``."""
        import xarray as xr

        nt = len(self.times)
        ds = xr.Dataset(
            {
                "mass": (("time",), self.mass, {"units": "energy/v^2 (model's m)"}),
                "delta_n": (("time", "band", "cell"), self.delta_n.reshape(nt, 2, -1),
                            {"definition": "n_s(k, t) - n_s(k, 0)"}),
                "predicted": (("time", "cell"), self.predicted.reshape(nt, -1),
                              {"definition": "(n_z/4) b [B_k(m(t)) - B_k(m(0))] (Eq. 50, ERRATA 3)"}),
                "density": (("time",), self.density, {"units": "1/length^2"}),
                "cutoff_density": (("time",), self.cutoff_density, {"units": "1/length^2"}),
                "max_error": ((), self.max_error),
                "ledger_residual": ((), self.ledger_residual),
            },
            coords={"time": self.times, "band": [1, -1]},
            attrs={k: str(v) for k, v in self.parameters.items()},
        )
        ds.attrs["experiment"] = "mass_ramp"
        return ds


def _ramped(model, m_final, ramp_time):
    if not hasattr(model, "m") or getattr(model, "m_dot", 0.0) != 0.0:
        raise ParameterError("model", model, "a model with a mass parameter m (and m_dot = 0)")
    try:
        end = dataclasses.replace(model, m=float(m_final))
        mid = dataclasses.replace(model, m=0.5 * (model.m + float(m_final)))
    except (TypeError, ValueError):
        raise ParameterError("model", model, "a dataclass model with a mass field m") from None
    p = np.random.default_rng(7).uniform(-1.0, 1.0, (8, model.dim))
    g0, g1, gm = (gap_vector(x, None, p) for x in (model, end, mid))
    if not np.allclose(gm, 0.5 * (g0 + g1), rtol=1e-12, atol=1e-12 * np.abs(g0).max()):
        raise ParameterError("model", model, "a model whose Delta is affine in its mass m")
    return MassRamped(model, end, float(ramp_time))


def mass_ramp(model, *, b, m_final, ramp_time=None, mu=0.0, T=0.0, grid=None, terms=None, scheme=None,
              n_out=5):
    """Distribution change during a slow mass ramp at fixed uniform b (Sec. III B, Eq. 50).

    Parameters
    ----------
    model : a 2D model with a mass parameter ``m`` entering Delta affinely, e.g.
        ``MassiveDirac2D(m=...)`` or ``QWZ(m=...)``; its ``m`` is m(0).
    b : static uniform field ``b = eB`` (1/length^2), non-zero.
    m_final : mass at the end of the smooth ramp.
    ramp_time : duration (default ``20/gap`` with the smaller gap of the start and end models,
        :func:`~berrykin.experiments.streda.streda_scales`).
    mu, T : chemical potential and temperature of the initial adiabatic state
        ``f(eps_s) + (n_z/4) b B_k`` at m0.
    grid : momentum grid (default :func:`~berrykin.experiments.streda.streda_grid` of the start).
    terms, scheme : :class:`~berrykin.kinetic.SKETerms` (default full), :class:`~berrykin.kinetic.Scheme`
        (default SSP-RK3, at most ``ramp_time/40`` per step).
    n_out : number of output times (evenly spaced over the ramp, ends included).

    Returns :class:`MassRampResult`.

    >>> from berrykin.models import MassiveDirac2D
    >>> r = mass_ramp(MassiveDirac2D(m=1.0), b=0.01, m_final=1.5)   # doctest: +SKIP
    >>> r.relative_error < 1e-3                                        # doctest: +SKIP
    True
    """
    if model.dim != 2 or model.depends_on_r:
        raise ParameterError("model", model, "a 2D model that does not depend on r")
    b = float(b)
    if b == 0 or not math.isfinite(b):
        raise ParameterError("b", b, "a finite non-zero field b = eB")
    if int(n_out) < 2:
        raise ParameterError("n_out", n_out, "at least 2 output times")
    mg = grid if grid is not None else streda_grid(model, mu)
    if ramp_time is None:
        probe = _ramped(model, m_final, 1.0)
        ramp_time = 20.0 / min(streda_scales(probe.start, mg)[0], streda_scales(probe.end, mg)[0])
    if not float(ramp_time) > 0:
        raise ParameterError("ramp_time", ramp_time, "a ramp duration > 0")
    ramped = _ramped(model, m_final, ramp_time)
    hg = HomogeneousGrid(mg)
    terms = terms or SKETerms.full()
    scheme = scheme or Scheme(rk_stages=3, max_dt=ramp_time / 40.0)
    frame = KineticFrame(MinimalCoupling(ramped, UniformMagneticField(b=b)))
    solver = KineticSolver(frame, hg, terms, scheme, inflow=AdiabaticInflow(ramped, mu, T, b=b),
                           time_dependent=True)
    n0 = adiabatic_state(model, hg, mu, T, b=b)
    ts = np.linspace(0.0, ramp_time, int(n_out))
    times, states, ledger = solver.solve(n0, (0.0, ramp_time), save_at=ts)
    pts = mg.cell_points()
    B = np.stack([momentum_berry_field(ramped, None, pts, float(t))[..., 2] for t in times])
    f0 = adiabatic_state(model, hg, mu, T, b=0.0)
    nz = f0[0] - f0[1]
    predicted = 0.25 * nz * b * (B - B[0])
    delta_n = states - states[0]
    err = float(np.max(np.abs(delta_n - predicted[:, None])))
    rho = band_densities(hg, states).sum(axis=-1)
    vol = hg.volumes()
    cutoff = np.array([0.5 * float(np.sum(nz * b * (Bt - B[0]) * vol)) for Bt in B]) / (2 * math.pi) ** 2
    res = max(ledger.relative(ledger.band_residual()), ledger.relative(ledger.conservation_residual()))
    return MassRampResult(
        times=times, mass=np.array([float(ramped.mass(t)) for t in times]), delta_n=delta_n,
        predicted=predicted, max_error=err, relative_error=err / max(float(np.max(np.abs(predicted))), 1e-300),
        density=rho, delta_density=rho - rho[0], cutoff_density=cutoff, ledger_residual=float(res),
        parameters=dict(model=repr(model), b=b, m0=model.m, m_final=float(m_final), ramp_time=float(ramp_time),
                        mu=mu, T=T, grid=f"{type(mg).__name__}{mg.shape}", terms=repr(terms), scheme=repr(scheme)),
    )
