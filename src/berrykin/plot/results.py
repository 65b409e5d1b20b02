"""Figures of saved results: ``plot_result(ds)`` chooses a figure from a result Dataset.

Datasets come from the ``to_dataset()`` methods of berrykin results (trajectories, Streda,
mass ramp, chiral anomaly, pump, skyrmion drift, sweeps) or from NetCDF files written by
``berrykin run``. The choice follows ``ds.attrs['experiment']`` where present, else the
variables: trajectories (``r``, ``p`` on ``(time, particle, axis)``), time series (a
``time`` dimension), sweeps (``nu`` or another scalar over a swept parameter). Every axis
carries a label with units taken from the variables' ``units`` attributes.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ._common import new_figure, save_figure, target_axes

__all__ = ["plot_result", "plot_time_series", "plot_nu_vs_mu", "plot_anomaly_fluxes", "plot_skyrmion_drift",
           "plot_mass_ramp"]


def _unit(da):
    u = da.attrs.get("units")
    return f" [{u}]" if u else " [dimensionless]"


def _label(da, name=None):
    return f"{da.attrs.get('long_name', name or da.name)}{_unit(da)}"


def plot_time_series(ds, variables=None, ax=None, title=None):
    """Every variable with a ``time`` dimension (or the chosen ones) versus time; a trailing
    dimension such as ``band`` or ``group`` gives one line per entry."""
    names = variables or [v for v in ds.data_vars if "time" in ds[v].dims and ds[v].ndim <= 2]
    if not names:
        raise ParameterError("ds", list(ds.data_vars), "a Dataset with variables over 'time'")
    fig, axes = new_figure(ncols=len(names), width=4.6, height=3.6)
    if ax is not None and len(names) == 1:
        fig, axes = ax.figure, [ax]
    t = ds["time"]
    for axi, name in zip(axes, names):
        da = ds[name]
        if da.ndim == 1:
            axi.plot(t.values, da.values, color="C0")
        else:
            other = [d for d in da.dims if d != "time"][0]
            for i, lab in enumerate(da[other].values):
                axi.plot(t.values, da.isel({other: i}).values, color=f"C{i}", label=f"{other} {lab}")
            axi.legend(frameon=False, fontsize="small")
        axi.set_xlabel(f"time{_unit(t) if t.attrs.get('units') else ' [1/energy]'}")
        axi.set_ylabel(_label(da, name))
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig


def plot_nu_vs_mu(mu, nu, reference=None, ax=None, title="Hall coefficient versus chemical potential"):
    """``nu(mu)`` (markers) with an optional reference curve ``reference(mu)`` or values."""
    mu = np.asarray(mu, dtype=float)
    nu = np.asarray(nu, dtype=float)
    if mu.shape != nu.shape or mu.ndim != 1:
        raise ParameterError("nu", nu.shape, f"a 1D array like mu {mu.shape}")
    fig, ax = target_axes(ax)
    order = np.argsort(mu)
    ax.plot(mu[order], nu[order], "o", color="C0", label="sKE (time integration)")
    if reference is not None:
        ref = reference(mu[order]) if callable(reference) else np.asarray(reference, dtype=float)[order]
        ax.plot(mu[order], ref, "-", color="C3", lw=1.0, label="closed form")
    ax.set_xlabel(r"$\mu$ [energy]")
    ax.set_ylabel(r"$\nu = 2\pi\,\delta\rho/\delta b$ [$e^2/h$]")
    ax.set_title(title, fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_anomaly_fluxes(ds, ax=None):
    """Chiral anomaly (:func:`berrykin.experiments.anomaly.chiral_anomaly` dataset): cumulative
    particles entering through each surface (summed over bands) and the shell density change
    versus time, with the line ``chi b.e t/(4 pi^2)`` of ERRATA 7 (dashed)."""
    if "inflow" not in ds or "group" not in ds.dims:
        raise ParameterError("ds", list(ds.data_vars), "a chiral_anomaly dataset (inflow over group)")
    fig, ax = target_axes(ax, width=5.4)
    t = ds["time"].values
    flows = ds["inflow"].sum("band")
    for i, g in enumerate(ds["group"].values):
        ax.plot(t, flows.isel(group=i).values, color=f"C{i}", label=f"through {g}")
    rho = ds["rho"].sum("band").values
    ax.plot(t, rho - rho[0], color="k", lw=1.5, label=r"$\rho(t) - \rho(0)$")
    if "reference" in ds:
        ax.plot(t, float(ds["reference"]) * (t - t[0]), "--", color="0.4",
                label=r"$\chi\, b\cdot e\, t/4\pi^2$")
    ax.set_xlabel("time [1/energy]")
    ax.set_ylabel(r"particles per volume [length$^{-3}$]")
    ax.set_title("Chiral anomaly: fluxes through the momentum surfaces", fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_skyrmion_drift(semiclassical, exact=None, ax=None):
    """Transverse drift versus time of a wave packet crossing a skyrmion: the sEOM ensemble with
    each group of curvature terms switched off (``semiclassical``: the dataset of
    :class:`~berrykin.experiments.skyrmion.SkyrmionDrift`, variable ``drift`` over
    ``(variant, time)``) and the exact lattice evolution (``exact``: its dataset, markers)."""
    if "drift" not in semiclassical or "variant" not in semiclassical.dims:
        raise ParameterError("semiclassical", list(semiclassical.data_vars), "a skyrmion drift dataset")
    fig, ax = target_axes(ax, width=5.4)
    t = semiclassical["time"].values
    for i, v in enumerate(semiclassical["variant"].values):
        ax.plot(t, semiclassical["drift"].isel(variant=i).values, color=f"C{i}", label=f"sEOM {v}",
                ls="-" if i == 0 else "--")
    if exact is not None:
        ax.plot(exact["time"].values, exact["drift"].values, "ko", ms=4, label="exact lattice")
    ax.set_xlabel("time [1/energy]")
    ax.set_ylabel(r"transverse drift along $\hat z\times k_0$ [length]")
    ax.set_title("Wave packet crossing a skyrmion (topological Hall drift)", fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_mass_ramp(ds, ax=None):
    """Sec. III B mass ramp (:func:`berrykin.experiments.mass_ramp.mass_ramp` dataset): the
    change of each band's distribution in every momentum cell at the last time against the
    prediction ``(n_z/4) b [B_k(m(t)) - B_k(m(0))]`` (Eq. 50, ERRATA 3); the line y = x is exact."""
    if "delta_n" not in ds or "predicted" not in ds:
        raise ParameterError("ds", list(ds.data_vars), "a mass_ramp dataset (delta_n, predicted)")
    fig, ax = target_axes(ax)
    pred = ds["predicted"].isel(time=-1).values
    for i, s in enumerate(ds["band"].values):
        ax.plot(pred, ds["delta_n"].isel(time=-1, band=i).values, "o", ms=3, color=f"C{i}",
                label=f"band s = {int(s):+d}")
    lim = float(np.max(np.abs(pred))) or 1.0
    ax.plot([-lim, lim], [-lim, lim], "-", color="0.5", lw=0.8, label="prediction (y = x)")
    ax.set_xlabel(r"$(n_z/4)\,b\,[\mathcal{B}_k(m(t)) - \mathcal{B}_k(m_0)]$ [dimensionless]")
    ax.set_ylabel(r"$n_s(k, t) - n_s(k, 0)$ [dimensionless]")
    ax.set_title("Mass ramp at fixed b: momentum-space Faraday law (Sec. III B)", fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig


def _is_trajectories(ds):
    return {"r", "p"} <= set(ds.data_vars) and "particle" in ds.dims


def _plot_sweep(ds):
    dims = [d for d in ds.dims if d in ds.coords and d != "time"]
    scalars = [v for v in ds.data_vars if ds[v].ndim == 1 and ds[v].dims[0] in dims]
    if not scalars:
        return None
    name = "nu" if "nu" in scalars else scalars[0]
    da = ds[name]
    x = ds[da.dims[0]]
    if da.dims[0] == "mu" and name == "nu":
        return plot_nu_vs_mu(x.values, da.values)
    fig, (ax,) = new_figure()
    ax.plot(x.values, da.values, "o-", color="C0")
    ax.set_xlabel(_label(x, da.dims[0]))
    ax.set_ylabel(_label(da, name))
    return fig


def plot_result(ds, path=None):
    """A figure for a result Dataset (see the module docstring); saved atomically to ``path``
    when given. Returns the Figure."""
    from .kinetic import plot_trajectories

    if _is_trajectories(ds):
        fig = plot_trajectories(ds, "k" if "k" in ds else "p")
    elif ds.attrs.get("experiment") == "chiral_anomaly" and "inflow" in ds:
        fig = plot_anomaly_fluxes(ds)
    elif ds.attrs.get("experiment") == "mass_ramp" and "delta_n" in ds:
        fig = plot_mass_ramp(ds)
    elif "drift" in ds and "variant" in ds.dims:
        fig = plot_skyrmion_drift(ds)
    elif "time" in ds.dims and any("time" in ds[v].dims for v in ds.data_vars):
        names = [v for v in ds.data_vars if "time" in ds[v].dims and ds[v].ndim <= 2][:3]
        fig = plot_time_series(ds, names, title=ds.attrs.get("experiment"))
    else:
        fig = _plot_sweep(ds)
        if fig is None:
            raise ParameterError("ds", list(ds.data_vars),
                                 "trajectories, time series or a sweep over a coordinate")
    if path is not None:
        save_figure(fig, path)
    return fig
