"""Result figures: labelled axes with units, and the drawn data checked against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from berrykin.errors import ParameterError
from berrykin.kinetic import AxisymmetricGrid, PolarGrid
from berrykin.plot import (
    plot_comparison_table,
    plot_cyclotron,
    plot_nu_vs_mu,
    plot_phase_space,
    plot_result,
    plot_time_series,
    save_figure,
)


def _labelled(fig):
    assert fig.axes
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel()
        elif ax.get_lines() or ax.collections:
            assert "[" in ax.get_xlabel() and "[" in ax.get_ylabel(), (ax.get_xlabel(), ax.get_ylabel())


@pytest.mark.parametrize("m,b", [(1.0, 0.2), (-0.7, -0.3)])
def test_cyclotron_orbits_are_circles_of_opposite_sense(m, b):
    fig = plot_cyclotron(m=m, b=b, k0=0.8, n_output=200)
    _labelled(fig)
    lines = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) > 1]
    assert len(lines) == 2
    senses = []
    for ln in lines:
        x, y = ln.get_data()
        # uniform b, isotropic Dirac: |k| is conserved exactly on the orbit (Sec. III A)
        np.testing.assert_allclose(np.hypot(x, y), 0.8, rtol=1e-7)
        senses.append(np.sign(np.sum(x[:-1] * y[1:] - y[:-1] * x[1:])))
    assert senses[0] == -senses[1] != 0


def test_phase_space_snapshot_draws_the_given_values():
    g = PolarGrid.uniform(0.0, 2.0, 6, 8)
    n = np.random.default_rng(1).uniform(size=(2,) + g.shape)
    fig = plot_phase_space(g, n, band=-1)
    _labelled(fig)
    mesh = fig.axes[0].collections[0]
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).ravel(), n[1].ravel())
    fig = plot_phase_space(AxisymmetricGrid.uniform(0.1, 1.0, 4, 5), np.zeros((4, 5)))
    assert "k_z" in fig.axes[0].get_ylabel()
    with pytest.raises(ParameterError, match="n"):
        plot_phase_space(g, np.zeros((3, 3)))


def test_nu_versus_mu_and_reference():
    mu = np.array([1.5, 0.0, 2.0])
    nu = -1.0 / (2 * np.maximum(np.abs(mu), 1.0))
    fig = plot_nu_vs_mu(mu, nu, reference=lambda x: -1 / (2 * np.maximum(np.abs(x), 1)))
    _labelled(fig)
    pts, ref = fig.axes[0].get_lines()
    np.testing.assert_array_equal(pts.get_xdata(), np.sort(mu))
    np.testing.assert_allclose(pts.get_ydata(), ref.get_ydata())
    with pytest.raises(ParameterError):
        plot_nu_vs_mu([0.0, 1.0], [1.0])


def test_time_series_and_dispatch(tmp_path):
    t = np.linspace(0, 1, 11)
    ds = xr.Dataset({"rho": (("time", "band"), np.stack([t, -t], axis=1), {"units": "1/length^2"}),
                     "b": (("time",), t**2, {"units": "1/length^2"})},
                    coords={"time": ("time", t, {"units": "1/energy"}), "band": [1, -1]},
                    attrs={"experiment": "streda"})
    fig = plot_time_series(ds)
    _labelled(fig)
    assert len(fig.axes[0].get_lines()) == 2
    out = tmp_path / "r.png"
    plot_result(ds, out)
    assert out.stat().st_size > 1000
    sweep = xr.Dataset({"nu": (("mu",), [-0.5, -0.25], {"units": "e^2/h"})},
                       coords={"mu": ("mu", [0.0, 2.0], {"units": "energy"})})
    _labelled(plot_result(sweep))
    with pytest.raises(ParameterError):
        plot_result(xr.Dataset({"x": ((), 1.0)}))


def test_trajectory_dataset_dispatch():
    from berrykin.dynamics import TrajectoryOptions, integrate_trajectories
    from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField

    model = MinimalCoupling(MassiveDirac2D(m=1.0), UniformMagneticField(b=0.5))
    T = 2 * math.pi * math.hypot(0.5, 1.0) / 0.5
    res = integrate_trajectories(model, [0.0, 0.0], [0.5, 0.0], (0.0, T),
                                 options=TrajectoryOptions(n_output=50))
    fig = plot_result(res.to_dataset())
    _labelled(fig)
    assert "k_x" in fig.axes[0].get_xlabel()


def test_comparison_table_figure(tmp_path):
    rows = [dict(case="pump T=300", semiclassical=-1.0, exact=-0.99999996, difference=4e-8,
                 parameter="1/(T gap)")]
    fig = plot_comparison_table(rows)
    assert fig.axes[0].tables
    save_figure(fig, tmp_path / "t.png")
    with pytest.raises(ParameterError):
        plot_comparison_table([])


def test_experiment_figures_draw_their_data():
    from berrykin.plot import plot_anomaly_fluxes, plot_mass_ramp, plot_skyrmion_drift

    t = np.linspace(0.0, 2.0, 5)
    inflow = np.zeros((5, 2, 2))
    inflow[:, 1, 0] = 3 * t
    anom = xr.Dataset({"inflow": (("time", "group", "band"), inflow), "rho": (("time", "band"), np.zeros((5, 2))),
                       "reference": ((), 3.0)}, coords={"time": t, "group": ["k_inner", "k_outer"], "band": [1, -1]},
                      attrs={"experiment": "chiral_anomaly"})
    fig = plot_result(anom)
    _labelled(fig)
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), 3 * t)
    pred = np.linspace(-1, 1, 7)
    ramp = xr.Dataset({"delta_n": (("time", "band", "cell"), np.stack([np.zeros((2, 7)), [pred, pred]])),
                       "predicted": (("time", "cell"), np.stack([0 * pred, pred]))},
                      coords={"time": [0.0, 1.0], "band": [1, -1]}, attrs={"experiment": "mass_ramp"})
    fig = plot_mass_ramp(ramp)
    _labelled(fig)
    x, y = fig.axes[0].get_lines()[0].get_data()
    np.testing.assert_allclose(x, y)
    drift = xr.Dataset({"drift": (("variant", "time"), np.stack([t, 0 * t]), {"units": "length"})},
                       coords={"variant": ["all", "no_real"], "time": t})
    fig = plot_skyrmion_drift(drift, xr.Dataset({"drift": (("time",), t)}, coords={"time": t}))
    _labelled(fig)
    assert len(fig.axes[0].get_lines()) == 3
    with pytest.raises(ParameterError):
        plot_anomaly_fluxes(ramp)
