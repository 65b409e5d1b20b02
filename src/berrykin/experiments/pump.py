"""Thouless pump from the sKE: charge per cycle = time integral of the current of Eq. (30).

A time-periodic 1D lattice model (e.g. :class:`~berrykin.models.RiceMele`) is solved in the
homogeneous reduction on the periodic Brillouin zone (``n_k`` cells of
:meth:`~berrykin.kinetic.CartesianMomentumGrid.brillouin_zone`, canonical frame). The state
starts as ``n_s = f(eps_s(p, t0))`` (default: the lower band filled). Without r dependence the
texture curvature ``F = F_{rp}`` vanishes, so this *is* the adiabatically prepared state (its
O(hbar) correction ``(n_z/4) F`` is zero) and the sKE has no interband terms here; the pump
comes entirely from the anomalous velocity ``q_s F_{tp}`` of Eq. (24) inside the current::

    j(t) = Int dp/(2 pi) sum_s n_s [d_p eps_s + q_s F_{tp}],       Q = Int_{t0}^{t0 + cycles T} j dt.

For the filled lower band ``Q/cycles = (1/2 pi) Int q_- F_{tp} dp dt = C`` for *every* period:
the sKE is the adiabatic limit. The exact evolution (:func:`exact_pump_charge`, from
:func:`berrykin.quantum.pump.thouless_pump` on the same loop) approaches it as T grows.
Sign: Q > 0 means particles moving towards +x (docs/conventions.md), so
``C = -berrykin.chern_number(model, plane=('p_x', 't')).chern`` (+1 for the default RiceMele).
The time integral is the trapezoidal rule on ``samples`` points per cycle (spectrally accurate
for the periodic current of whole cycles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from ..kinetic import CanonicalFrame, CartesianMomentumGrid, HomogeneousGrid, KineticSolver, SKETerms, fermi_dirac
from ..models.base import Model, check_finite
from ..observables.current import current_series
from ..observables.density import band_densities

__all__ = ["pump", "PumpResult", "exact_pump_charge"]


@dataclass(frozen=True)
class PumpResult:
    """Result of :func:`pump`.

    Attributes
    ----------
    charge : particles moved towards +x over the whole run (per unit cell, lattice constant 1).
    times : (n_t,) sample times; current : (n_t,) total current j(t) of Eq. (30) (particles per
        unit time); current_band : (n_t, 2) band terms of Eq. (30); density : (n_t, 2) band
        densities (particles per unit cell, i.e. ``Int dp/(2 pi) n_s``; 1 for a filled band).
    ledger_residual : largest relative band / conservation residual of the solver ledger.
    """

    charge: float
    cycles: int
    period: float
    times: np.ndarray
    current: np.ndarray
    current_band: np.ndarray
    density: np.ndarray
    ledger_residual: float
    parameters: dict = field(default_factory=dict)

    @property
    def charge_per_cycle(self) -> float:
        return self.charge / self.cycles

    def to_dataset(self):
        import xarray as xr

        ds = xr.Dataset(
            {"current": (("time",), self.current, {"units": "particles per unit time", "definition": "Eq. (30)"}),
             "current_band": (("time", "band"), self.current_band, {"units": "particles per unit time"}),
             "density": (("time", "band"), self.density, {"units": "particles per unit cell"}),
             "charge_per_cycle": ((), self.charge_per_cycle,
                                  {"units": "particles towards +x per cycle", "definition": "Int j dt / cycles"})},
            coords={"time": self.times, "band": [1, -1]},
            attrs={k: str(v) for k, v in self.parameters.items()})
        ds.attrs.update(experiment="pump", charge=self.charge, cycles=self.cycles, period=self.period,
                        ledger_residual=self.ledger_residual)
        return ds


def _check(model, period, cycles):
    if not isinstance(model, Model) or model.dim != 1 or model.momentum_period is None or model.depends_on_r:
        raise ParameterError("model", model, "a 1D lattice model without r dependence (e.g. RiceMele)")
    T = check_finite("period", getattr(model, "period", None) if period is None else period,
                     "a cycle period > 0 (the model has no 'period')")
    if T <= 0:
        raise ParameterError("period", T, "a cycle period > 0")
    if int(cycles) != cycles or cycles < 1:
        raise ParameterError("cycles", cycles, "an integer >= 1")
    return T, int(cycles)


def pump(model, *, period=None, cycles=1, mu=None, T=0.0, n_k=64, terms=None, scheme=None,
         samples=64, t0=0.0) -> PumpResult:
    """Charge pumped by the sKE over ``cycles`` periods of a 1D lattice model (module docstring).

    Parameters
    ----------
    model : 1D lattice model, periodic in time with ``period`` (default ``model.period``).
    mu, T : initial state ``f(eps_s(p, t0))`` at chemical potential mu and temperature T;
        ``mu=None`` fills the lower band exactly (``n_+ = 0, n_- = 1``).
    n_k : Brillouin-zone cells; terms, scheme : :class:`~berrykin.kinetic.SKETerms` (default
        full) and :class:`~berrykin.kinetic.Scheme` of the solver.
    samples : current samples per cycle (trapezoidal time integral).

    >>> from berrykin.models import RiceMele
    >>> round(pump(RiceMele(period=50.0), n_k=32, samples=32).charge_per_cycle, 6)
    1.0
    """
    Tp, cycles = _check(model, period, cycles)
    if int(n_k) < 4 or int(samples) < 4:
        raise ParameterError("n_k, samples", (n_k, samples), "n_k >= 4 and samples >= 4")
    grid = HomogeneousGrid(CartesianMomentumGrid.brillouin_zone(1, int(n_k), model.momentum_period))
    terms = terms or SKETerms.full()
    frame = CanonicalFrame(model)
    if mu is None:
        n0 = np.stack([np.zeros(grid.shape), np.ones(grid.shape)])
    else:
        n0 = fermi_dirac(model, grid, check_finite("mu", mu), float(T), t=t0)
    ts = t0 + Tp * np.linspace(0.0, cycles, cycles * int(samples) + 1)
    solver = KineticSolver(frame, grid, terms, scheme, time_dependent=True)
    _, states, ledger = solver.solve(n0, (ts[0], ts[-1]), save_at=ts)
    cur = current_series(frame, grid, states, ts, terms)
    j, jb = cur.total[:, 0], cur.band[:, :, 0]
    charge = float(0.5 * np.sum((j[1:] + j[:-1]) * np.diff(ts)))   # trapezoid (numpy >= 1.26)
    res = max(ledger.relative(ledger.band_residual()), ledger.relative(ledger.conservation_residual()))
    return PumpResult(charge, cycles, Tp, ts, j, jb, band_densities(grid, states), float(res),
                      dict(model=repr(model), mu=mu, T=T, n_k=int(n_k), samples=int(samples),
                           terms=repr(terms), scheme=repr(solver.scheme), t0=t0))


def exact_pump_charge(model, *, period=None, cycles=1, n_k=64, steps=None, band=-1) -> float:
    """Exact charge per cycle of the same model and period: the filled band ``band`` evolved
    by :func:`berrykin.quantum.pump.thouless_pump` (Magnus 4 per Bloch momentum, the smooth
    loop entered and left at zero speed), current-integral estimate (``charge``: converged in
    n_k also when a fast drive leaves interband coherence, where the polarisation estimate is
    not; see :class:`berrykin.quantum.pump.PumpResult`). ``steps`` defaults to
    ``max(2000, 16 cycles T)`` (even; Simpson error O(dt^4) with dt <= 1/16)."""
    import warnings

    from ..errors import ResolutionWarning
    from ..quantum.pump import thouless_pump

    Tp, cycles = _check(model, period, cycles)
    steps = max(2000, 16 * int(math.ceil(cycles * Tp))) if steps is None else int(steps)
    steps += steps % 2
    with warnings.catch_warnings():  # the warning concerns charge_polarization, not used here
        warnings.simplefilter("ignore", ResolutionWarning)
        r = thouless_pump(model, period=Tp, cycles=cycles, n_k=int(n_k), steps=steps, band=band)
    return r.charge / cycles
