"""``berrykin reproduce``: the time-integrated sKE examples of Sec. III and the exact comparisons.

Each section returns ``(rows, datasets, figures)``: table rows (see
:func:`berrykin.cli.reproduce._row`, with the tolerance of each acceptance criterion),
``xarray.Dataset`` s written to ``data/*.nc`` and figures.

==================  ==============================================  ======================
section             computed                                        reference
==================  ==============================================  ======================
streda_dirac        nu by adiabatic b ramp (Sec. III A)             -sgn(m)/2, -m/(2|mu|)
streda_qwz          nu on the periodic BZ (rows of validation)      0, -1, +1, 0 (cones)
mass_ramp           Delta n_s(k) at fixed b (Sec. III B)            (n_z/4) b Delta B_k
chiral_anomaly      d rho/dt through the Weyl node (Sec. III C)     chi b.e/(4 pi^2)
validation          semiclassics (Onsager, sKE, sEOM)               exact quantum dynamics
==================  ==============================================  ======================
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .reproduce import qwz_cone_nu, rice_mele_degree
from .reproduce_transport import SECTIONS as TRANSPORT_SECTIONS

__all__ = ["SECTIONS", "kinetic_sections"]


def dirac_nu(m, mu):
    """Closed form of the Streda/Hall coefficient of massive Dirac (v = 1, T = 0, ERRATA 3-4):
    ``-sgn(m)/2`` with mu in the gap, ``-m/(2|mu|)`` in a band."""
    return -math.copysign(0.5, m) if abs(mu) < abs(m) else -m / (2 * abs(mu))


def streda_dirac(settings, row):
    from ..experiments.streda import streda
    from ..models import MassiveDirac2D

    # quick: m = 1 at two mu (gap, band) so that the nu-versus-mu figure has two points
    cases = ((1.0, 0.0), (1.0, 2.0), (-1.0, 2.0)) if settings.quick else (
        (1.0, 0.0), (-1.0, 0.0), (1.0, 2.0), (-1.0, 2.0), (1.0, -2.0), (0.5, 1.0))
    rows, nus = [], []
    ds = None
    for m, mu in cases:
        r = streda(MassiveDirac2D(m=m), mu=mu)
        ref = dirac_nu(m, mu)
        nus.append((m, mu, r.nu))
        rows.append(row(f"sKE Streda nu, Dirac m={m:g}, mu={mu:g}", "streda_nu_dirac", {"m": m, "mu": mu},
                        r.nu, ref, note="time-integrated sKE, tolerance 1e-3", tol=1e-3))
        ds = ds or r.to_dataset()
    figs = {}
    if nus:
        from ..plot import plot_nu_vs_mu

        ms = np.array([x[0] for x in nus])
        sel = ms == 1.0
        if sel.sum() >= 1:
            mu = np.array([x[1] for x in nus])[sel]
            nu = np.array([x[2] for x in nus])[sel]
            figs["streda_nu_vs_mu.png"] = plot_nu_vs_mu(
                mu, nu, reference=lambda x: np.array([dirac_nu(1.0, v) for v in x]),
                title="Massive Dirac m = 1: nu versus mu (Sec. III A)", mu_range=(-3.0, 3.0))
    return rows, {"streda_dirac.nc": ds} if ds is not None else {}, figs


def anomaly_reference(chirality, b, e, mu, surface):
    """ERRATA 6-7 for a node at k = 0: total and outer rate ``chi b e/(4 pi^2)``; the inner
    sphere carries ``-chi b e/(4 pi^2)`` at mu = 0 and nothing for mu away from the node."""
    ref = chirality * b * e / (4 * math.pi ** 2)
    if surface == "inner":
        return -ref if mu == 0 else 0.0
    return ref


def chiral_anomaly(settings, row):
    from ..experiments.anomaly import chiral_anomaly as run
    from ..models import Weyl3D

    cases = ((1, 0.01, 0.01, 0.5), (1, 0.01, 0.01, 0.0)) if settings.quick else (
        (1, 0.01, 0.01, 0.5), (-1, 0.01, 0.01, -0.5), (1, -0.01, 0.02, 0.5), (1, 0.01, 0.01, 0.0),
        (-1, 0.02, 0.01, 0.0))
    rows, data, figs = [], {}, {}
    for chi, b, e, mu in cases:
        r = run(Weyl3D(chirality=chi), e=e, b=b, mu=mu)
        prm = {"chirality": chi, "b": b, "e": e, "mu": mu}
        tol = 0.01 * abs(anomaly_reference(chi, b, e, mu, "total"))
        label = f"chi={chi:+d}, b={b:g}, e={e:g}, mu={mu:g}"
        surfaces = (("total", r.total_rate),) if mu != 0 else (("inner", r.inner_rate), ("outer", r.outer_rate))
        for surface, value in surfaces:
            rows.append(row(f"sKE chiral anomaly {surface} rate, {label}", f"anomaly_{surface}_rate", prm,
                            value, anomaly_reference(chi, b, e, mu, surface),
                            note="ERRATA 6-7; tolerance 1% of b e/(4 pi^2)", tol=tol))
        if not data:
            data["chiral_anomaly.nc"] = r.to_dataset()
    from ..plot import plot_anomaly_fluxes

    figs["chiral_anomaly_fluxes.png"] = plot_anomaly_fluxes(data["chiral_anomaly.nc"])
    return rows, data, figs


def mass_ramp(settings, row):
    from ..experiments.mass_ramp import mass_ramp as run
    from ..experiments.streda import streda_grid
    from ..models import MassiveDirac2D

    rows = []
    for m0, m1 in ((1.0, 1.5),) if settings.quick else ((1.0, 1.5), (-1.0, -0.6)):
        r = run(MassiveDirac2D(m=m0), b=0.01, m_final=m1)
        prm = {"m0": m0, "m_final": m1, "b": 0.01}
        scale = float(np.max(np.abs(r.predicted)))
        rows.append(row(f"sKE mass ramp max|dn - (n_z/4) b dB_k|, m {m0:g}->{m1:g}", "mass_ramp_error", prm,
                        r.max_error, 0.0, note="Sec. III B, Eq. 50 with ERRATA 3; tolerance 1% of "
                        "max|prediction|", tol=0.01 * scale))
        K = streda_grid(MassiveDirac2D(m=m0), 0.0).k.edges[-1]  # the default grid's cutoff
        closed = 0.01 / (4 * math.pi) * (m1 / math.hypot(K, m1) - m0 / math.hypot(K, m0))
        rows.append(row(f"sKE mass ramp density change, m {m0:g}->{m1:g}", "mass_ramp_density", prm,
                        float(r.delta_density[-1]), closed,
                        note="constant up to the Berry flux beyond the cutoff K, (b/4pi)[m/E(K)] "
                        "(closed form); tolerance 1e-3 of the largest change of n", tol=1e-3 * scale))
    from ..plot import plot_mass_ramp

    ds = r.to_dataset()
    return rows, {"mass_ramp.nc": ds}, {"mass_ramp.png": plot_mass_ramp(ds)}


def pump(settings, row):
    from ..experiments.pump import pump as run
    from ..models import RiceMele
    from ..plot import plot_time_series

    rows, ds = [], None
    for T in (60.0,) if settings.quick else (60.0, 200.0):
        model = RiceMele(period=T)
        r = run(model)
        ref = -rice_mele_degree(model.hopping, model.dimerization, model.staggered)  # charge = -degree
        rows.append(row(f"sKE Thouless pump charge per cycle, T={T:g}", "pump_charge",
                        {"period": T, "hopping": model.hopping, "dimerization": model.dimerization,
                         "staggered": model.staggered}, r.charge_per_cycle, ref,
                        note="Eq. 30 current integrated over a cycle; tolerance 1e-3", tol=1e-3))
        ds = ds or r.to_dataset()
    return rows, {"pump.nc": ds}, {"pump_current.png": plot_time_series(ds, ["current", "density"],
                                                                       title="Thouless pump (sKE)")}


def skyrmion(settings, row):
    """The curvature-term table of the skyrmion crossing (the comparison row is in validation)."""
    from ..experiments.validation import skyrmion_runs
    from ..plot import plot_skyrmion_drift

    sc, ex = skyrmion_runs()
    ds, dx = sc.to_dataset(), ex.to_dataset()
    return [], {"skyrmion_drift.nc": ds, "skyrmion_exact.nc": dx}, {"skyrmion_drift.png": plot_skyrmion_drift(ds, dx)}


def validation(settings, row):
    from ..experiments.validation import validation_report

    rep = validation_report(quick=settings.quick)
    # the sKE QWZ runs of the Hofstadter comparison also give the closed-form Streda rows
    rows = [row(f"sKE Streda nu, QWZ m={m:g} (BZ)", "streda_nu_qwz", {"m": m}, c.semiclassical, qwz_cone_nu(m),
                note="time-integrated sKE on the periodic BZ, tolerance 1e-3", tol=1e-3)
            for c in rep.rows if c.case.startswith("hofstadter_streda_qwz_m")
            for m in (float(c.case.split("_m")[1]),)]
    rows += [row(f"exact vs semiclassics: {c.case}", "validation", {"case": c.case, "quantity": c.quantity,
                "parameter": c.parameter, "parameter_value": c.parameter_value},
                c.semiclassical, c.exact, note=f"reference = exact quantum; {c.note}".rstrip("; "),
                tol=c.tolerance) for c in rep.rows]
    return rows, {"validation.nc": rep.to_dataset()}, {"validation_table.png": rep.figure()} if rep.rows else {}


SECTIONS = {"streda_dirac": streda_dirac, "mass_ramp": mass_ramp, "pump": pump,
            "chiral_anomaly": chiral_anomaly, "skyrmion": skyrmion, "validation": validation,
            **TRANSPORT_SECTIONS}


def kinetic_sections(settings, row, section=None):
    """Run every section; returns ``(rows, datasets, figures)`` merged over the sections.
    ``section(name)`` (a context manager, e.g. :meth:`berrykin.cli.progress.SectionProgress.section`)
    is entered around each."""
    rows, data, figs = [], {}, {}
    for name, fn in SECTIONS.items():
        with (section or contextlib.nullcontext)(name):
            r, d, f = fn(settings, row)
        rows += r
        data.update(d)
        figs.update(f)
    return rows, data, figs
