"""Figures of dynamics and kinetics: cyclotron orbits, phase-space snapshots, comparison tables.

Every function returns a :class:`~matplotlib.figure.Figure` (Agg canvas, no pyplot) and writes
no file (see :func:`berrykin.plot.save_figure`). Units: hbar = e = 1 (positions in length,
momenta in 1/length, time in 1/energy, energies in energy).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ._common import axis_label, fit_title, overlay_style, target_axes

__all__ = ["plot_trajectories", "plot_cyclotron", "plot_phase_space", "plot_comparison_table"]


def _label(var, axis_name):
    """Axis label with units for component ``axis_name`` ('x', 'y', 'z') of r, p or k."""
    if var == "r":
        return axis_label(axis_name)
    return axis_label("p_" + axis_name).replace("p_", f"{var}_")


def plot_trajectories(datasets, variable="k", plane=(0, 1), labels=None, ax=None):
    """Trajectories from :meth:`TrajectoryResult.to_dataset` datasets, one colour and one line
    style per dataset (:func:`~berrykin.plot._common.overlay_style`: a wide solid line, then
    narrower dashed lines with markers on top, so that coinciding orbits stay visible).

    ``variable``: ``'r'``, ``'p'`` or ``'k'`` (kinetic momentum; falls back to ``'p'`` when the
    model is not minimally coupled); ``plane``: the two axis indices drawn. Each particle is a
    line; its start is marked with a dot and an arrow at a quarter of its path shows the sense
    of motion.
    """
    datasets = list(datasets) if isinstance(datasets, (list, tuple)) else [datasets]
    fig, ax = target_axes(ax)
    for i, ds in enumerate(datasets):
        var = variable if variable in ds else "p"
        if var not in ds:
            raise ParameterError("variable", variable, f"one of {sorted(ds.data_vars)}")
        arr = np.asarray(ds[var].values)  # (time, particle, axis)
        names = [str(a) for a in ds["axis"].values]
        lab = labels[i] if labels else ds.attrs.get("title", f"set {i}")
        style = overlay_style(i, arr.shape[0])
        for j in range(arr.shape[1]):
            x, y = arr[:, j, plane[0]], arr[:, j, plane[1]]
            ax.plot(x, y, color=f"C{i}", label=lab if j == 0 else None, **style)
            ax.plot(x[0], y[0], "o", color=f"C{i}", ms=3, zorder=style["zorder"])
            q = min(x.size // 4, x.size - 2)
            if q >= 0 and (x[q + 1] != x[q] or y[q + 1] != y[q]):
                ax.annotate("", xy=(x[q + 1], y[q + 1]), xytext=(x[q], y[q]), zorder=6,
                            arrowprops={"arrowstyle": "-|>", "color": f"C{i}", "lw": 1.2,
                                        "mutation_scale": 14})
    ax.set_xlabel(_label(var, names[plane[0]]))
    ax.set_ylabel(_label(var, names[plane[1]]))
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_cyclotron(m=1.0, b=0.2, k0=1.0, periods=1.0, ax=None, n_output=400):
    """Cyclotron orbits of both bands of massive 2D Dirac in a uniform field (paper Sec. III A).

    Integrates the sEOM (Eq. 24) for one particle per band starting at kinetic momentum
    ``(k0, 0)`` for ``periods`` cyclotron periods of the upper band, ``2 pi E/b`` with
    ``E = sqrt(k0^2 + m^2)`` (v = 1), and draws the orbits in the ``(k_x, k_y)`` plane: the two
    bands circulate in opposite senses.
    """
    from ..dynamics import TrajectoryOptions, integrate_trajectories
    from ..models import MassiveDirac2D, MinimalCoupling, UniformMagneticField

    model = MinimalCoupling(MassiveDirac2D(m=m), UniformMagneticField(b=b))
    T = periods * 2 * math.pi * math.hypot(k0, m) / abs(b)
    opts = TrajectoryOptions(n_output=n_output)
    sets = [integrate_trajectories(model, [0.0, 0.0], [k0, 0.0], (0.0, T), band=s, options=opts).to_dataset()
            for s in (1, -1)]
    fig = plot_trajectories(sets, "k", labels=["band s = +1", "band s = -1"], ax=ax)
    fit_title(fig.axes[0], f"Cyclotron orbits, massive Dirac m = {m:g}, b = {b:g} (the bands "
              "share the orbit and circulate in opposite senses)", fontsize="medium")
    return fig


def plot_phase_space(grid, n, band=1, ax=None, title=None, label="n_s"):
    """A snapshot of a band distribution on a 2D momentum grid (Cartesian, polar) or the
    axisymmetric (k, theta) grid (drawn in the (k_x, k_z) half-plane).

    ``n``: shape ``(2,) + grid.shape`` (bands s = +1, -1) or ``grid.shape``.
    """
    momentum = getattr(grid, "momentum", grid)
    n = np.asarray(n, dtype=float)
    if n.shape == (2,) + tuple(grid.shape):
        n = n[0 if band == 1 else 1]
    if n.shape != tuple(momentum.shape):
        raise ParameterError("n", n.shape, f"shape {(2,) + tuple(grid.shape)} or {tuple(momentum.shape)}")
    fig, ax = target_axes(ax, 5.2, 4.2)
    names = [a.name for a in momentum.axes]
    if names[:2] == ["k", "phi"] or names == ["k", "theta"]:
        K, A = np.meshgrid(momentum.axes[0].edges, momentum.axes[1].edges, indexing="ij")
        if names[1] == "phi":
            X, Y, xl, yl = K * np.cos(A), K * np.sin(A), "k_x", "k_y"
        else:
            X, Y, xl, yl = K * np.sin(A), K * np.cos(A), "k_x", "k_z"
    elif len(names) == 2:
        X, Y = np.meshgrid(momentum.axes[0].edges, momentum.axes[1].edges, indexing="ij")
        xl, yl = names
    else:
        raise ParameterError("grid", type(momentum).__name__, "a 2D momentum grid or the axisymmetric grid")
    mesh = ax.pcolormesh(X, Y, n, shading="flat", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=f"${label}$ (occupation, dimensionless)")
    ax.set_xlabel(_label("k", xl[-1]))
    ax.set_ylabel(_label("k", yl[-1]))
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(title or f"band s = {band:+d}", fontsize="medium")
    return fig


def plot_comparison_table(rows, title="Semiclassics versus exact", ax=None):
    """The semiclassics-versus-exact table as a figure: one row per case with the semiclassical
    value, the exact value, the difference and the adiabatic parameter.

    ``rows``: dicts with keys ``case``, ``semiclassical``, ``exact``, ``difference`` and
    optionally ``parameter`` (the adiabatic parameter, as text).
    """
    rows = list(rows)
    if not rows:
        raise ParameterError("rows", rows, "at least one comparison row")
    fig, ax = target_axes(ax, 9.0, 0.45 * len(rows) + 1.2)
    ax.axis("off")
    f = lambda x: f"{x:.6g}" if isinstance(x, (int, float, np.floating)) else str(x)  # noqa: E731
    cells = [[r["case"], f(r["semiclassical"]), f(r["exact"]), f"{abs(r['difference']):.2e}",
              str(r.get("parameter", ""))] for r in rows]
    table = ax.table(cellText=cells, colLabels=["case", "semiclassical", "exact", "|difference|",
                                                "adiabatic parameter"], loc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(5)))
    ax.set_title(title, fontsize="medium")
    ax.set_ylabel("cases (dimensionless table)")
    return fig
