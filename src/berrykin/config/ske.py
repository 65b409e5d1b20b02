"""A custom sKE run from a configuration: frame, grid, terms, scheme and initial state.

Solves the corrected kinetic equation (paper Eq. 26 with ERRATA 1) with
:class:`berrykin.kinetic.KineticSolver` from the Fermi-Dirac state ``n_s = f(eps_s)`` of the
bare bands (ERRATA choice 7), checkpointing through :mod:`berrykin.io.checkpoint` so that a
killed run resumes. States have shape ``(time, 2, *grid.shape)`` (bands s = +1, -1); band
numbers are ``(2 pi)^-d`` phase-space integrals (densities per length^d for a momentum-only
grid, the homogeneous reduction at r = 0). Units hbar = e = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .build import build_grid_section, build_scheme, build_terms, grid_type
from .loader import build_field, build_model

__all__ = ["SKERunResult", "run_ske", "CHECKPOINT_NAME"]

#: File name of the sKE checkpoint inside the output directory.
CHECKPOINT_NAME = "checkpoint.npz"


def _frozen(a):
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class SKERunResult:
    """Result of a configured sKE run.

    ``times`` (T,), ``states`` (T, 2, *grid.shape) cell averages of n_s, ``numbers`` (T, 2) band
    particle numbers ``(2 pi)^-d Int n_s``; ``axes``: (name, cell centres) per grid axis;
    ``ledger``: the solver's :class:`~berrykin.kinetic.Ledger` dataset; ``parameters``: how the
    run was set up (strings).
    """

    times: np.ndarray
    states: np.ndarray
    numbers: np.ndarray
    axes: tuple
    ledger: Any = field(repr=False, compare=False, default=None)
    parameters: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("times", "states", "numbers"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def to_dataset(self):
        """``n`` (time, band, *axes), ``number`` (time, band) and the ledger (``ledger_*`` on
        dims ``step``, ``group``, ``kind``, ``band``; ``step_time``), units in attrs."""
        import xarray as xr

        names = [a for a, _ in self.axes]
        ds = xr.Dataset(
            {"n": (("time", "band", *names), np.array(self.states),
                   {"long_name": "band distribution n_s (cell averages)", "units": "1 (occupation)"}),
             "number": (("time", "band"), np.array(self.numbers),
                        {"long_name": "band particle number (2 pi)^-d Int n_s",
                         "units": "particles (per length^d for a momentum-only grid)"})},
            coords={"time": ("time", np.array(self.times), {"units": "1/energy (hbar = 1)"}),
                    "band": [1, -1], **{a: (a, np.asarray(c)) for a, c in self.axes}},
            attrs={"experiment": "ske",
                   "equations": "sKE, paper Eq. (26) with the interband sign of ERRATA 1",
                   **{k: str(v) for k, v in self.parameters.items()}})
        if self.ledger is not None:
            led = self.ledger.to_dataset()
            led = led.rename({"time": "step_time", **{v: f"ledger_{v}" for v in led.data_vars}})
            ds = ds.merge(led)
        return ds


def _frame(config, bare, field_):
    from ..kinetic import CanonicalFrame, KineticFrame
    from ..models import GaugeField, MinimalCoupling

    kind = config.experiment.frame
    if kind == "auto":
        kind = "kinetic" if field_ is not None else "canonical"
    if kind == "kinetic":
        return kind, KineticFrame(MinimalCoupling(bare, field_ if field_ is not None else GaugeField()))
    return kind, CanonicalFrame(MinimalCoupling(bare, field_) if field_ is not None else bare)


def run_ske(config, out_dir, resume: bool = False) -> SKERunResult:
    """Run the ``[experiment] type = "ske"`` of ``config`` (checkpoints in ``out_dir``)."""
    from ..io.checkpoint import run_checkpointed
    from ..kinetic import EquilibriumInflow, KineticSolver, fermi_dirac

    exp = config.experiment
    bare = build_model(config)
    field_ = build_field(config)
    frame_kind, frame = _frame(config, bare, field_)
    grid = build_grid_section(config.grid, bare)
    terms = build_terms(exp.terms, exp.interband_sign)
    scheme = build_scheme(config.numerics)
    inflow = EquilibriumInflow(bare, exp.mu, exp.T) if exp.inflow == "equilibrium" else None
    solver = KineticSolver(frame, grid, terms, scheme, inflow)
    n0 = fermi_dirac(bare, grid, exp.mu, exp.T)
    t0, t1 = exp.t_span
    save_at = np.linspace(t0, t1, exp.n_save)
    ts, states, ledger = run_checkpointed(solver, n0, (t0, t1), save_at,
                                          Path(out_dir) / CHECKPOINT_NAME, resume=resume,
                                          every=config.output.checkpoint_every)
    numbers = np.array([solver.grid.integrate(s) * solver.grid.measure for s in states])
    axes = tuple((ax.name, ax.centres) for ax in solver.grid.axes)
    params = dict(frame=frame_kind, grid=f"{grid_type(config.grid, bare)} {tuple(solver.grid.shape)}",
                  terms=repr(terms), scheme=repr(solver.scheme), mu=exp.mu, T=exp.T,
                  inflow=exp.inflow, model=repr(bare), field=repr(field_))
    return SKERunResult(times=ts, states=states, numbers=numbers, axes=axes, ledger=ledger,
                        parameters=params)
