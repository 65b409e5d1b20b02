"""Drift of a kicked Fermi sea through a skyrmion versus time, per curvature group (issue 11;
:class:`~berrykin.experiments.skyrmion_sea.SeaDrift`)."""

from __future__ import annotations

from ..errors import ParameterError
from ._common import overlay_style, target_axes

__all__ = ["plot_sea_drift"]


def plot_sea_drift(ds, exact=None, ensemble=None, ax=None):
    """Transverse drift per particle versus time: the sKE with each curvature variant (``ds``:
    the dataset of :class:`SeaDrift`, ``drift`` over ``(variant, time)``), optionally the exact
    lattice evolution (``exact``: a dataset or ``(times, drift)``, black markers) and the sEOM
    ensemble (``ensemble``: another SeaDrift dataset, dotted). Returns the Figure."""
    if "drift" not in ds or "variant" not in ds.dims:
        raise ParameterError("ds", list(ds.data_vars), "a skyrmion_sea result dataset (drift over variant, time)")
    fig, ax = target_axes(ax, width=5.4)
    t = ds["time"].values
    for i, v in enumerate(ds["variant"].values):
        ax.plot(t, ds["drift"].isel(variant=i).values, color=f"C{i}", label=f"sKE {v}", **overlay_style(i, t.size))
    if ensemble is not None:
        for i, v in enumerate(ensemble["variant"].values):
            ax.plot(ensemble["time"].values, ensemble["drift"].isel(variant=i).values, ls=":", color=f"C{i}",
                    lw=1.0, label=f"sEOM ensemble {v}")
    if exact is not None:
        te, de = (exact["time"].values, exact["drift"].values) if hasattr(exact, "data_vars") else exact
        ax.plot(te, de, "ko", ms=4, zorder=20, label="exact lattice")
    ax.set_xlabel("time [1/energy]")
    ax.set_ylabel(r"drift per particle along $\hat z\times\hat e$ [length]")
    ax.set_title("Kicked Fermi sea through a skyrmion (topological Hall drift)", fontsize="medium")
    ax.legend(frameon=False, fontsize="small")
    return fig
