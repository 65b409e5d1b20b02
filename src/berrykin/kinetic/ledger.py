"""The particle ledger: where every particle of each band came from, step by step.

Per band and per time step the solver records

* the inflow through every boundary face group (``'k_outer'``, ``'k_inner'``, ``'x-'``,
  ``'k_x+'``, ...), positive into the domain;
* the integral of every volume source: ``'cell_source'`` (the sKE right side ``R_s`` without
  its flux part, :mod:`berrykin.kinetic.options`; it cancels between the bands when the sKE
  conserves particles) and ``'spatial_divergence'`` (the local r-divergence of the
  homogeneous reduction: particles entering from the surrounding space), then one kind per
  collision operator of the solver, named by the operator (:mod:`.collisions`, e.g.
  ``'relaxation'``; a conserving operator integrates to zero over both bands, so it does not
  enter :meth:`Ledger.conservation_residual`, and a non-conserving one makes that residual
  fail by exactly its integral).

The amounts are the very face fluxes and cell sources the update used, weighted with the
Runge-Kutta weights, so ``N_s(t) - N_s(0) = sum of inflows + sum of sources`` holds to
round-off (:meth:`Ledger.band_residual`). Total conservation,
``N(t) - N(0) = sum of inflows + spatial divergence`` (no net band exchange), is
:meth:`Ledger.conservation_residual`; with the interband sign printed in the paper it fails.
Units: particles (phase-space integral times ``(2 pi)^-d``), per unit volume for the
homogeneous reduction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Ledger", "SOURCE_KINDS"]

SOURCE_KINDS = ("cell_source", "spatial_divergence")


@dataclass
class Ledger:
    """Cumulative particle bookkeeping (mutable; filled by the solver).

    Attributes
    ----------
    groups : boundary face group names.
    times : (n_steps + 1,) times after each step (first entry: initial time).
    numbers : (n_steps + 1, 2) band particle numbers N_s after each step.
    inflow : (n_steps + 1, n_groups, 2) cumulative inflow per group and band.
    sources : (n_steps + 1, n_kinds, 2) cumulative volume sources per kind and band.
    """

    groups: tuple
    kinds: tuple = SOURCE_KINDS
    _t: list = field(default_factory=list)
    _N: list = field(default_factory=list)
    _in: list = field(default_factory=list)
    _src: list = field(default_factory=list)

    def start(self, t, numbers):
        self._t = [float(t)]
        self._N = [np.asarray(numbers, dtype=float)]
        self._in = [np.zeros((len(self.groups), 2))]
        self._src = [np.zeros((len(self.kinds), 2))]

    def record(self, t, numbers, inflow, sources):
        """Append one step: ``inflow`` (n_groups, 2) and ``sources`` (n_kinds, 2) of this step."""
        self._t.append(float(t))
        self._N.append(np.asarray(numbers, dtype=float))
        self._in.append(self._in[-1] + inflow)
        self._src.append(self._src[-1] + sources)

    @property
    def times(self):
        return np.asarray(self._t)

    @property
    def numbers(self):
        return np.asarray(self._N)

    @property
    def inflow(self):
        return np.asarray(self._in)

    @property
    def sources(self):
        return np.asarray(self._src)

    def scale(self):
        """Reference magnitude for relative residuals: the largest |N| or |amount| recorded."""
        vals = [np.abs(self.numbers).sum(axis=1).max(), np.abs(self.inflow).sum(axis=(1, 2)).max(),
                np.abs(self.sources).sum(axis=(1, 2)).max()]
        return max(max(vals), np.finfo(float).tiny)

    def band_residual(self):
        """``N_s(t) - N_s(t0) - inflow_s - sources_s``, shape (n_steps + 1, 2): round-off."""
        N = self.numbers
        return N - N[0] - self.inflow.sum(axis=1) - self.sources.sum(axis=1)

    def conservation_residual(self):
        """``N(t) - N(t0) - sum inflow - spatial divergence`` summed over bands, shape
        (n_steps + 1,): round-off when the band exchange cancels (corrected sKE)."""
        N = self.numbers.sum(axis=1)
        k = self.kinds.index("spatial_divergence")
        return N - N[0] - self.inflow.sum(axis=(1, 2)) - self.sources[:, k, :].sum(axis=1)

    def relative(self, residual):
        """``max |residual| / scale()``."""
        return float(np.max(np.abs(residual)) / self.scale())

    def summary(self):
        """Totals at the last step: dict of group/kind -> (band +, band -)."""
        out = {g: tuple(self.inflow[-1, i]) for i, g in enumerate(self.groups)}
        out.update({k: tuple(self.sources[-1, i]) for i, k in enumerate(self.kinds)})
        return out

    def to_dataset(self):
        """The ledger as an ``xarray.Dataset`` (dims step, group, kind, band)."""
        import xarray as xr

        return xr.Dataset(
            {
                "number": (("step", "band"), self.numbers),
                "inflow": (("step", "group", "band"), self.inflow),
                "source": (("step", "kind", "band"), self.sources),
                "band_residual": (("step", "band"), self.band_residual()),
                "conservation_residual": (("step",), self.conservation_residual()),
            },
            coords={"time": ("step", self.times), "group": list(self.groups), "kind": list(self.kinds),
                    "band": [1, -1]},
            attrs={"description": "particle ledger: N_s(t) - N_s(0) = inflow + sources",
                   "units": "particles ((2 pi)^-d phase-space integral)"},
        )
