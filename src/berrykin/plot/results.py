"""Figures of saved results: ``plot_result(ds)`` chooses a figure from a result Dataset.

Datasets come from the ``to_dataset()`` methods of berrykin results (trajectories, Streda,
mass ramp, chiral anomaly, pump, skyrmion drift, sweeps) or from NetCDF files written by
``berrykin run``. The choice follows ``ds.attrs['experiment']`` where present, else the
variables: trajectories (``r``, ``p`` on ``(time, particle, axis)``), time series (a
``time`` dimension), merged sweeps of :func:`berrykin.sweep.sweep` (:func:`plot_sweep`: each
observable versus the swept parameter), other sweeps (``nu`` or another scalar over a
coordinate). Every axis
carries a label with units taken from the variables' ``units`` attributes.
"""

from __future__ import annotations

import json

import numpy as np

from ..errors import ParameterError
from ._common import fit_title, new_figure, overlay_style, save_figure, target_axes

__all__ = ["plot_result", "plot_sweep", "plot_time_series", "plot_nu_vs_mu", "plot_anomaly_fluxes", "plot_skyrmion_drift",
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


def plot_nu_vs_mu(mu, nu, reference=None, ax=None, title="Hall coefficient versus chemical potential",
                  mu_range=None, n_reference: int = 400):
    """``nu(mu)`` (hollow markers) with an optional reference: a callable ``reference(mu)`` is
    drawn as a dense line of ``n_reference`` points over ``mu_range`` (default: the computed mu
    padded by half their span, at least 1 energy unit each side); values are drawn as a line
    through the computed mu."""
    mu = np.asarray(mu, dtype=float)
    nu = np.asarray(nu, dtype=float)
    if mu.shape != nu.shape or mu.ndim != 1:
        raise ParameterError("nu", nu.shape, f"a 1D array like mu {mu.shape}")
    fig, ax = target_axes(ax)
    order = np.argsort(mu)
    if reference is not None:
        if callable(reference):
            pad = max(0.5 * float(np.ptp(mu)), 1.0) if mu.size else 1.0
            lo, hi = mu_range if mu_range is not None else (mu.min() - pad, mu.max() + pad)
            x = np.linspace(lo, hi, int(n_reference))
            ref = np.asarray(reference(x), dtype=float)
        else:
            x, ref = mu[order], np.asarray(reference, dtype=float)[order]
        ax.plot(x, ref, "-", color="C3", lw=1.5, zorder=2, label="closed form")
    ax.plot(mu[order], nu[order], "o", color="C0", ms=7, mfc="none", mew=1.6, zorder=3,
            label="sKE (time integration)")
    ax.set_xlabel(r"$\mu$ [energy]")
    ax.set_ylabel(r"$\nu = 2\pi\,\delta\rho/\delta b$ [$e^2/h$]")
    fit_title(ax, title, fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_anomaly_fluxes(ds, ax=None):
    """Chiral anomaly (:func:`berrykin.experiments.anomaly.chiral_anomaly` dataset): cumulative
    particles entering through each surface (summed over bands) and the shell density change
    versus time, with the line ``chi b.e t/(4 pi^2)`` of ERRATA 7 (dash-dotted, on top). The
    curves often coincide (outer flux = density change = anomaly line): each has its own
    line style, width and markers (:func:`~berrykin.plot._common.overlay_style`)."""
    if "inflow" not in ds or "group" not in ds.dims:
        raise ParameterError("ds", list(ds.data_vars), "a chiral_anomaly dataset (inflow over group)")
    fig, ax = target_axes(ax, width=5.4)
    t = ds["time"].values
    flows = ds["inflow"].sum("band")
    rho = ds["rho"].sum("band").values
    curves = [(flows.isel(group=i).values, f"C{i}", f"through {g}")
              for i, g in enumerate(ds["group"].values)]
    curves.append((rho - rho[0], "k", r"$\rho(t) - \rho(0)$"))
    for i, (y, color, label) in enumerate(curves):
        ax.plot(t, y, color=color, label=label, **overlay_style(i, t.size))
    if "reference" in ds:
        ax.plot(t, float(ds["reference"]) * (t - t[0]), "-.", color="0.3", lw=1.0, zorder=6,
                label=r"$\chi\, b\cdot e\, t/4\pi^2$")
    ax.set_xlabel("time [1/energy]")
    ax.set_ylabel(r"particles per volume [length$^{-3}$]")
    fit_title(ax, "Chiral anomaly: fluxes through the momentum surfaces", fontsize="medium")
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
                **overlay_style(i, t.size))  # variants often coincide: each stays visible
    if exact is not None:
        ax.plot(exact["time"].values, exact["drift"].values, "ko", ms=4, zorder=20, label="exact lattice")
    ax.set_xlabel("time [1/energy]")
    ax.set_ylabel(r"transverse drift along $\hat z\times k_0$ [length]")
    ax.set_title("Wave packet crossing a skyrmion (topological Hall drift)", fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_mass_ramp(ds, ax=None):
    """Sec. III B mass ramp (:func:`berrykin.experiments.mass_ramp.mass_ramp` dataset): the
    change of each band's distribution in every momentum cell at the last time against the
    prediction ``(n_z/4) b [B_k(m(t)) - B_k(m(0))]`` (Eq. 50, ERRATA 3); the line y = x is exact.
    The bands coincide on it: band s = +1 as large hollow circles, s = -1 as small dots on top."""
    if "delta_n" not in ds or "predicted" not in ds:
        raise ParameterError("ds", list(ds.data_vars), "a mass_ramp dataset (delta_n, predicted)")
    fig, ax = target_axes(ax)
    pred = ds["predicted"].isel(time=-1).values
    markers = ({"marker": "o", "ms": 6, "mfc": "none", "mew": 1.2}, {"marker": ".", "ms": 4})
    for i, s in enumerate(ds["band"].values):
        ax.plot(pred, ds["delta_n"].isel(time=-1, band=i).values, ls="none", color=f"C{i}",
                zorder=3 + i, label=f"band s = {int(s):+d}", **markers[i % 2])
    lim = float(np.max(np.abs(pred))) or 1.0
    ax.plot([-lim, lim], [-lim, lim], "-", color="0.5", lw=0.8, zorder=2, label="prediction (y = x)")
    ax.set_xlabel(r"$(n_z/4)\,b\,[\mathcal{B}_k(m(t)) - \mathcal{B}_k(m_0)]$ [dimensionless]")
    ax.set_ylabel(r"$n_s(k, t) - n_s(k, 0)$ [dimensionless]")
    fit_title(ax, "Mass ramp at fixed b: momentum-space Faraday law (Sec. III B)", fontsize="medium")
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


_TIME_DIMS = ("time", "time_index", "step")


def _tensor_components(ds, keys, rel=1e-9):
    """``ds`` with each (i, j) tensor over the swept keys (e.g. the conductivity ``sigma``)
    replaced by its components on a ``component`` dimension (``'xx'``, ``'yx'``, ...): the
    finite ones whose largest magnitude exceeds ``rel`` of the tensor's, at most 6 (the Weyl
    pair's ``zz`` along b, or ``xx`` with the planar Hall ``yx``; round-off left out)."""
    import xarray as xr

    out = ds
    for name in list(ds.data_vars):
        da = ds[name]
        if da.dtype.kind != "f" or not {"i", "j"} <= set(da.dims) or set(da.dims) - set(keys) - {"i", "j"}:
            continue
        top = float(np.nanmax(np.abs(da.values))) if np.any(np.isfinite(da.values)) else 0.0
        comps, labels = [], []
        for a in da["i"].values:
            for b in da["j"].values:
                c = da.sel(i=a, j=b, drop=True)
                if np.all(np.isfinite(c.values)) and np.abs(c.values).max() > rel * top > 0:
                    comps.append(c)
                    labels.append(f"{a}{b}")
        if comps and len(comps) <= 6:
            out = out.drop_vars(name)
            out[name] = xr.concat(comps, dim="component").assign_coords(component=labels)
            out[name].attrs = da.attrs
    return out


def _sweep_candidates(ds, keys):
    """``[(name, DataArray over keys + at most one short dim, reduced)]``: the variables of a
    merged sweep that can be drawn against the swept values; time series are taken at their
    last sample (the final value)."""
    out = []
    for name in ds.data_vars:
        da = ds[name]
        if name == "point_ok" or da.dtype.kind not in "fiu" or not set(keys) <= set(da.dims) \
                or str(name).endswith("_count"):
            continue
        reduced = [d for d in da.dims if d in _TIME_DIMS]
        if reduced:
            da = da.isel({d: -1 for d in reduced})
        da = da.isel({d: 0 for d in da.dims if d not in keys and da.sizes[d] == 1})
        extra = [d for d in da.dims if d not in keys]
        if len(extra) > 1 or (extra and da.sizes[extra[0]] > 6):
            continue
        diagnostic = any(w in str(name) for w in ("residual", "violation", "time_final"))
        rank = (name != "nu", diagnostic, "units" not in da.attrs, bool(reduced), len(extra))
        out.append((rank, name, da, bool(reduced)))
    out.sort(key=lambda c: c[0])
    return [c[1:] for c in out]


def plot_sweep(ds, variables=None, max_panels: int = 3):
    """A merged sweep (:func:`berrykin.sweep.sweep`): each chosen observable versus the first
    swept key with more than one value (markers and lines), one line per value of the other
    swept keys (at most 6; else their first value) and per entry of a short dimension such as
    ``band``. Time series are drawn at their last sample (``final`` in the label). Default
    variables: ``nu`` first, then the scalars of each point, then the rest (up to
    ``max_panels`` panels)."""
    keys = list(ds["point_ok"].dims) if "point_ok" in ds else [
        k for k in json.loads(ds.attrs.get("sweep_over", "{}")) if k in ds.dims]
    if not keys:
        raise ParameterError("ds", list(ds.data_vars), "a merged sweep (point_ok over the swept keys)")
    cands = _sweep_candidates(_tensor_components(ds, keys), keys)
    if variables is not None:
        cands = [c for c in cands if c[0] in variables]
    if not cands:
        raise ParameterError("ds", list(ds.data_vars), "a sweep with an observable per point")
    cands = cands[:max_panels]
    x_key = next((k for k in keys if ds.sizes[k] > 1), keys[0])
    others = [k for k in keys if k != x_key]
    if others and int(np.prod([ds.sizes[k] for k in others])) > 6:
        sel = {k: 0 for k in others}
        others = []
    else:
        sel = {}
    fig, axes = new_figure(ncols=len(cands), width=4.6, height=3.6)
    x = ds[x_key]
    for ax, (name, da, reduced) in zip(axes, cands):
        da = da.isel(sel) if sel else da
        line_dims = [d for d in da.dims if d != x_key]
        da = da.transpose(x_key, *line_dims)
        combos = list(np.ndindex(*[da.sizes[d] for d in line_dims])) or [()]
        for i, combo in enumerate(combos):
            y = da.isel(dict(zip(line_dims, combo))).values if combo else da.values
            label = ", ".join(f"{d} = {da[d].values[j]}" if d in da.coords else f"{d} {j}"
                              for d, j in zip(line_dims, combo))
            ax.plot(x.values, y, "o-", color=f"C{i % 10}", ms=4, label=label or None)
        if len(combos) > 1:
            ax.legend(frameon=False, fontsize="small")
        ax.set_xlabel(_label(x, x_key) if "units" in x.attrs else x_key)
        unit = str(da.attrs.get("units", "dimensionless")).split(" (")[0]
        ax.set_ylabel(("final " if reduced else "") + f"{name} [{unit}]")
    title = ds.attrs.get("experiment", "sweep")
    if sel:
        title += " (" + ", ".join(f"{k} = {ds[k].values[0]}" for k in sel) + ")"
    fig.suptitle(f"{title} versus {x_key}", fontsize="medium")
    return fig


def _is_sweep(ds):
    return "point_ok" in ds.data_vars and "sweep_over" in ds.attrs


def plot_result(ds, path=None):
    """A figure for a result Dataset (see the module docstring); saved atomically to ``path``
    when given. Returns the Figure."""
    from .kinetic import plot_trajectories

    if _is_sweep(ds):
        fig = plot_sweep(ds)
    elif _is_trajectories(ds):
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
