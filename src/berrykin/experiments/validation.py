"""Semiclassics versus exact quantum dynamics: the validation report (issue "exact references").

Each comparison computes one number semiclassically (``berrykin.geometry``,
``berrykin.kinetic`` and the experiments) and the same number from the exact quantum
references of :mod:`berrykin.quantum` (which never import the semiclassical code), and
records the difference beside the adiabatic parameter that should control it:

==================  ==========================================  ==========================
case                semiclassical                               exact
==================  ==========================================  ==========================
landau              Onsager + Berry phase + moment (Eq. 35)     oscillator-basis levels
hofstadter_streda   sKE Streda nu on the periodic BZ (Eq. 44)   state counting at flux p/q
thouless_pump       (k, t) Chern number; sKE pump (Eq. 30)      Magnus evolution (Rice-Mele)
weyl_anomaly        sKE chiral anomaly (Eq. 52, ERRATA 6-7)     magnetic Bloch evolution
skyrmion_drift      sEOM (Eq. 24)                               lattice wave packet
==================  ==========================================  ==========================

Comparisons whose modules are missing in this installation are reported as skipped.
``validation_report(quick=True)`` uses small sizes (CI); ``quick=False`` the larger ones of the
command-line report.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

__all__ = ["Comparison", "ValidationReport", "validation_report", "COMPARISONS"]

log = logging.getLogger("berrykin.validation")


@dataclass(frozen=True)
class Comparison:
    """One row: ``difference = semiclassical - exact``; ``passed = |difference| <= tolerance``.

    ``parameter`` names the adiabatic (small) parameter and ``parameter_value`` its value.
    """

    case: str
    quantity: str
    semiclassical: float
    exact: float
    tolerance: float
    parameter: str
    parameter_value: float
    note: str = ""

    @property
    def difference(self) -> float:
        return float(self.semiclassical - self.exact)

    @property
    def passed(self) -> bool:
        return bool(abs(self.difference) <= self.tolerance)

    def as_dict(self):
        return dict(case=self.case, quantity=self.quantity, semiclassical=self.semiclassical,
                    exact=self.exact, difference=self.difference, tolerance=self.tolerance,
                    parameter=f"{self.parameter} = {self.parameter_value:.3g}", passed=self.passed,
                    note=self.note)


@dataclass(frozen=True)
class ValidationReport:
    """All comparison rows plus the names of skipped comparisons (with the reason)."""

    rows: tuple
    skipped: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    def to_dataset(self):
        import xarray as xr

        idx = np.arange(len(self.rows))
        col = lambda name: [getattr(r, name) for r in self.rows]  # noqa: E731
        return xr.Dataset(
            {"semiclassical": ("case", col("semiclassical")), "exact": ("case", col("exact")),
             "difference": ("case", [r.difference for r in self.rows]),
             "tolerance": ("case", col("tolerance")),
             "parameter_value": ("case", col("parameter_value")),
             "passed": ("case", [int(r.passed) for r in self.rows])},
            coords={"case": idx, "name": ("case", col("case")), "quantity": ("case", col("quantity")),
                    "parameter": ("case", col("parameter"))},
            attrs={"experiment": "validation", "skipped": "; ".join(f"{k}: {v}" for k, v in self.skipped.items()),
                   "definition": "difference = semiclassical - exact"})

    def figure(self):
        from ..plot import plot_comparison_table

        return plot_comparison_table([r.as_dict() for r in self.rows])


# -- comparisons ----------------------------------------------------------------------------
def landau_rows(quick):
    """Massive Dirac (m = 1, v = 1): Onsager levels n = 0..2 of both bands vs exact levels."""
    from ..models import MassiveDirac2D
    from ..observables.onsager import onsager_level
    from ..quantum import dirac_landau_levels

    rows = []
    for b in ((0.01,) if quick else (0.01, 0.002)):
        exact = dirac_landau_levels(1.0, b, n_max=6).energies
        for s in (1, -1):
            for n in range(3):
                e = onsager_level(MassiveDirac2D(m=1.0), s, n, b)
                ex = float(exact[np.argmin(np.abs(exact - e))])
                rows.append(Comparison(f"landau_dirac_s{s:+d}_n{n}", "E_n [energy]", e, ex,
                                       tolerance=b * b, parameter="b/m^2", parameter_value=b,
                                       note="error O(b^2)"))
    return rows


def hofstadter_rows(quick):
    """QWZ: sKE Streda nu on the BZ vs the exact Hofstadter-Streda coefficient (flux 1/40)."""
    from ..models import QWZ
    from ..quantum import streda_coefficient as exact_streda
    from .streda import streda

    rows = []
    for m in ((1.0, -3.0) if quick else (-3.0, -1.0, 1.0, 3.0)):
        ex = exact_streda(QWZ(m=m), Fraction(1, 40), k_points=(3, 3)).coefficient
        sc = streda(QWZ(m=m), mu=0.0)
        rows.append(Comparison(f"hofstadter_streda_qwz_m{m:+g}", "nu [e^2/h]", sc.nu, ex,
                               tolerance=1e-3, parameter="b (flux/plaquette x 2 pi)",
                               parameter_value=float(sc.parameters["b"])))
    return rows


def pump_rows(quick):
    """Rice-Mele: exact charge per cycle vs the Chern number, and vs the sKE pump if present."""
    from ..geometry import chern_number
    from ..models import RiceMele
    from ..quantum import thouless_pump
    from .pump import pump

    T0 = 20.0
    C = -chern_number(RiceMele(period=T0), plane=("p_x", "t"), bounds=(None, (0.0, T0)),
                      shape=(48, 48)).nearest_integer
    rows = []
    for T in ((120.0,) if quick else (60.0, 120.0, 300.0)):
        ex = thouless_pump(RiceMele(period=T), n_k=48, steps=16 * int(T)).charge_polarization
        rows.append(Comparison(f"thouless_pump_chern_T{T:g}", "charge per cycle", float(C), ex,
                               tolerance=5e-3 if T < 100 else 1e-3, parameter="1/(T gap)",
                               parameter_value=1.0 / T, note="semiclassical = -(k, t) Chern number"))
        sc = pump(RiceMele(period=T)).charge_per_cycle
        rows.append(Comparison(f"thouless_pump_ske_T{T:g}", "charge per cycle", sc, ex, tolerance=1e-3,
                               parameter="1/(T gap)", parameter_value=1.0 / T))
    return rows


def weyl_rows(quick):
    """Two-node lattice Weyl semimetal in parallel e, b (flux 1/16 per plaquette): the sKE anomaly
    of one continuum node (chirality +1) against the exact magnetic-Bloch evolution — the node's
    charge rate (mu = 0.3, away from the node) and the rate of excitations appearing at the node
    whose chiral branch rises (mu = 0: the sKE flux into the inner region, ERRATA 7)."""
    from ..models import LatticeWeyl, Weyl3D
    from ..quantum import exact_anomaly_rate
    from .anomaly import chiral_anomaly

    e = 0.05
    rows = []
    for mu in ((0.3,) if quick else (0.3, -0.4)):
        ex = exact_anomaly_rate(LatticeWeyl(), e, 2 * math.pi / 16, mu)
        i = int(np.argmax(np.sign(ex.reference) == np.sign(ex.b * e)))  # the chirality +1 node
        sc = chiral_anomaly(Weyl3D(chirality=1), e=e, b=ex.b, mu=mu)
        rows.append(Comparison(f"weyl_anomaly_rate_mu{mu:g}", "d rho_node/dt", sc.total_rate,
                               float(ex.rate[i]), tolerance=0.02 * abs(float(ex.reference[i])),
                               parameter="gamma = |e| sin k0/(2|b|)",
                               parameter_value=float(ex.adiabatic_parameter),
                               note="tolerance 2% of b e/(4 pi^2)"))
    ex = exact_anomaly_rate(LatticeWeyl(), e, 2 * math.pi / 16, 0.0)
    i = int(np.argmax(np.sign(ex.reference) == np.sign(ex.b * e)))
    sc = chiral_anomaly(Weyl3D(chirality=1), e=e, b=ex.b, mu=0.0)
    rows.append(Comparison("weyl_anomaly_particles_mu0", "particles appearing per time", sc.outer_rate,
                           float(ex.particle_rate[i]), tolerance=0.02 * abs(float(ex.reference[i])),
                           parameter="gamma = |e| sin k0/(2|b|)",
                           parameter_value=float(ex.adiabatic_parameter),
                           note="sKE outer (inflow) rate at mu = 0; tolerance 2% of b e/(4 pi^2)"))
    return rows


def skyrmion_setup():
    """The adiabatic skyrmion crossing (lattice constant 1, J = 1, R = 8, k0 R = 8, t = 75)."""
    from ..models import LatticeTexturedFerromagnet2D, Skyrmion
    from .skyrmion import GaussianPacket

    model = LatticeTexturedFerromagnet2D(exchange=1.0, rashba=0.0, mass=1.0, lattice_constant=1.0,
                                         texture=Skyrmion(radius=8.0, width=8.0, center=(45.0, 45.0)))
    return model, GaussianPacket((17.0, 45.0), (1.0, 0.0), 4.0, band=-1), np.linspace(0.0, 75.0, 16)


@functools.lru_cache(maxsize=1)
def skyrmion_runs():
    """(semiclassical SkyrmionDrift with every curvature variant, exact PacketEvolution)."""
    from .skyrmion import exact_skyrmion_drift, skyrmion_drift

    model, packet, times = skyrmion_setup()
    sc = skyrmion_drift(model, packet, times, quadrature=3)
    return sc, exact_skyrmion_drift(model, packet, times, semiclassical=sc)


def skyrmion_rows(quick):
    """Topological Hall drift of a lower-band wave packet across a skyrmion: sEOM ensemble
    (Eq. 24, all curvature terms) against the exact lattice evolution, within 10%."""
    sc, ex = skyrmion_runs()
    return [Comparison("skyrmion_drift_lower_band", "transverse drift [length]", float(sc.final()["all"]),
                       float(ex.drift[-1]), tolerance=0.1 * abs(float(ex.drift[-1])),
                       parameter="1/(k0 R)", parameter_value=1.0 / 8.0,
                       note="tolerance 10% (adiabatic regime)")]


COMPARISONS = {"landau": landau_rows, "hofstadter_streda": hofstadter_rows, "thouless_pump": pump_rows,
               "weyl_anomaly": weyl_rows, "skyrmion_drift": skyrmion_rows}


def validation_report(quick=True, cases=None) -> ValidationReport:
    """Run the comparisons (all of :data:`COMPARISONS`, or the named ``cases``); returns a
    :class:`ValidationReport`. A comparison whose module is missing is listed in ``skipped``."""
    rows, skipped = [], {}
    for name in cases or COMPARISONS:
        try:
            fn = COMPARISONS[name]
        except KeyError:
            from ..errors import ParameterError

            raise ParameterError("cases", name, f"names in {sorted(COMPARISONS)}") from None
        try:
            rows.extend(fn(quick))
        except ImportError as exc:
            skipped[name] = f"not available ({exc})"
            log.warning("validation %s skipped: %s", name, exc)
    return ValidationReport(tuple(rows), skipped)
