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


def _closed_nu(x, m=1.0):
    """Massive Dirac nu(mu), v = 1, T = 0 (Sec. III A, ERRATA 3-4): -sgn(m)/2 in the gap, else
    -m/(2|mu|)."""
    x = np.asarray(x, dtype=float)
    return np.where(np.abs(x) < abs(m), -0.5 * np.sign(m), -m / (2 * np.maximum(np.abs(x), 1e-300)))


def _line(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def test_nu_versus_mu_and_reference():
    mu = np.array([1.5, 0.0, 2.0])
    nu = _closed_nu(mu)
    fig = plot_nu_vs_mu(mu, nu, reference=_closed_nu)
    _labelled(fig)
    pts = _line(fig.axes[0], "sKE (time integration)")
    ref = _line(fig.axes[0], "closed form")
    np.testing.assert_array_equal(pts.get_xdata(), np.sort(mu))
    np.testing.assert_allclose(pts.get_ydata(), _closed_nu(np.sort(mu)))
    np.testing.assert_allclose(ref.get_ydata(), _closed_nu(ref.get_xdata()))
    values = plot_nu_vs_mu(mu, nu, reference=_closed_nu(mu)).axes[0]  # values: through the points
    np.testing.assert_allclose(_line(values, "closed form").get_ydata(), _closed_nu(np.sort(mu)))
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


# -- issue 12, item 7: every curve visible, dense closed forms, no clipped text ----------------
def _footprint(line) -> float:
    """Width in points that a line covers: its line width (if drawn) or marker size (if any)."""
    lw = line.get_linewidth() if line.get_linestyle() not in ("None", "none", "") else 0.0
    ms = line.get_markersize() if line.get_marker() not in ("None", "none", "", None) else 0.0
    return max(lw, ms)


def _style(line):
    return (line.get_linestyle(), line.get_linewidth(), line.get_marker(), line.get_markersize(),
            str(line.get_markerfacecolor()))


def _assert_both_visible(lower, upper):
    """Two curves with the same data: the one drawn first shows around (or through) the other."""
    np.testing.assert_allclose(lower.get_xdata(), upper.get_xdata())
    np.testing.assert_allclose(lower.get_ydata(), upper.get_ydata())
    _assert_shows_through(lower, upper)


def _assert_shows_through(lower, upper):
    """``lower`` stays visible under ``upper``: other style, drawn first, and either wider or
    seen through the gaps of a dashed line or hollow markers on top."""
    assert _style(lower) != _style(upper)
    assert lower.get_zorder() < upper.get_zorder()
    gaps = upper.get_linestyle() in ("--", ":", "-.") or str(upper.get_markerfacecolor()) == "none"
    assert _footprint(lower) > _footprint(upper) or gaps, (_style(lower), _style(upper))


def _texts(fig):
    """Titles, suptitle, axis labels, legend entries and free texts of a figure."""
    out = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        out += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.axison:  # axis labels are not drawn on an axes switched off (tables)
            out += [ax.xaxis.label, ax.yaxis.label]
        if ax.get_legend() is not None:
            out += list(ax.get_legend().get_texts())
    return out


def _texts_inside(fig):
    """Every non-empty visible title, label and legend text lies inside the figure box after a
    draw (constrained layout applied)."""
    fig.canvas.draw()
    box = fig.bbox
    renderer = fig.canvas.get_renderer()
    checked = 0
    for text in _texts(fig):
        if not text.get_visible() or not str(text.get_text()).strip():
            continue
        bb = text.get_window_extent(renderer)
        assert bb.x0 >= box.x0 - 1 and bb.x1 <= box.x1 + 1 and bb.y0 >= box.y0 - 1 \
            and bb.y1 <= box.y1 + 1, (text.get_text(), bb, box)
        checked += 1
    assert checked


def _anomaly_dataset(n=41):
    """Chiral anomaly with mu away from the node: nothing through the inner sphere, the outer
    flux equals the density change equals the anomaly line chi b.e t/(4 pi^2) (ERRATA 6-7)."""
    rate = 0.01 * 0.01 / (4 * math.pi**2)
    t = np.linspace(0.0, 2.5, n)
    inflow = np.zeros((n, 2, 2))
    inflow[:, 1, 0] = inflow[:, 1, 1] = 0.5 * rate * t  # two bands, half each
    rho = np.stack([0.5 * rate * t + 1.0, 0.5 * rate * t + 2.0], axis=1)
    return xr.Dataset({"inflow": (("time", "group", "band"), inflow), "rho": (("time", "band"), rho),
                       "reference": ((), rate)},
                      coords={"time": t, "group": ["k_inner", "k_outer"], "band": [1, -1]},
                      attrs={"experiment": "chiral_anomaly"}), rate, t


def _mass_ramp_dataset(n=60):
    k = np.linspace(0.0, 5.0, n)
    b, m0, m1 = 0.01, 1.0, 1.5
    pred = b / 4 * 2 * (m1 / np.hypot(k, m1) ** 3 - m0 / np.hypot(k, m0) ** 3)  # n_z = 2 (Eq. 50)
    delta = np.stack([np.zeros((2, n)), [pred, pred]])  # both bands change alike
    return xr.Dataset({"delta_n": (("time", "band", "cell"), delta),
                       "predicted": (("time", "cell"), np.stack([0 * pred, pred]))},
                      coords={"time": [0.0, 1.0], "band": [1, -1]},
                      attrs={"experiment": "mass_ramp"}), pred


def test_cyclotron_bands_share_the_orbit_and_both_show():
    fig = plot_cyclotron(m=1.0, b=0.2, k0=0.8, n_output=120)
    ax = fig.axes[0]
    up, down = _line(ax, "band s = +1"), _line(ax, "band s = -1")
    # same circle |k| = k0 (Sec. III A); both bands drawn, the upper band underneath and wider
    for ln in (up, down):
        np.testing.assert_allclose(np.hypot(*ln.get_data()), 0.8, rtol=1e-7)
    _assert_shows_through(up, down)
    assert len(ax.texts) + len([c for c in ax.get_children() if type(c).__name__ == "Annotation"]) >= 2
    assert {"band s = +1", "band s = -1"} <= {t.get_text() for t in ax.get_legend().get_texts()}
    _texts_inside(fig)


def test_anomaly_figure_shows_every_coinciding_curve():
    from berrykin.plot import plot_anomaly_fluxes

    ds, rate, t = _anomaly_dataset()
    fig = plot_anomaly_fluxes(ds)
    ax = fig.axes[0]
    inner, outer = _line(ax, "through k_inner"), _line(ax, "through k_outer")
    rho = _line(ax, r"$\rho(t) - \rho(0)$")
    ref = _line(ax, r"$\chi\, b\cdot e\, t/4\pi^2$")
    np.testing.assert_allclose(inner.get_ydata(), 0.0)
    np.testing.assert_allclose(outer.get_ydata(), rate * t, rtol=1e-12)
    np.testing.assert_allclose(rho.get_ydata(), rate * t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ref.get_ydata(), rate * t, rtol=1e-12)
    _assert_both_visible(outer, rho)
    _assert_both_visible(rho, ref)
    assert len({_style(ln) for ln in (inner, outer, rho, ref)}) == 4
    assert len(ax.get_legend().get_texts()) == 4
    _texts_inside(fig)


def test_mass_ramp_figure_shows_both_bands():
    from berrykin.plot import plot_mass_ramp

    ds, pred = _mass_ramp_dataset()
    fig = plot_mass_ramp(ds)
    ax = fig.axes[0]
    up, down = _line(ax, "band s = +1"), _line(ax, "band s = -1")
    np.testing.assert_allclose(up.get_xdata(), pred)
    _assert_both_visible(up, down)
    _texts_inside(fig)  # the long title was clipped at the right edge before


def test_nu_versus_mu_closed_form_is_a_dense_line():
    fig = plot_nu_vs_mu([0.0], [-0.4998], reference=_closed_nu, mu_range=(-3.0, 3.0),
                        title="Massive Dirac m = 1: nu versus mu (Sec. III A)")
    ax = fig.axes[0]
    ref, pts = _line(ax, "closed form"), _line(ax, "sKE (time integration)")
    x = ref.get_xdata()
    assert len(x) >= 100 and x.min() == -3.0 and x.max() == 3.0
    np.testing.assert_allclose(ref.get_ydata(), _closed_nu(x))
    assert ref.get_linestyle() == "-" and pts.get_linestyle() in ("None", "none")
    assert pts.get_zorder() > ref.get_zorder()
    # default range: the computed mu padded on both sides, so one point still gets a curve
    x = _line(plot_nu_vs_mu([0.5], [-0.5], reference=_closed_nu).axes[0], "closed form").get_xdata()
    assert len(x) >= 100 and x.min() < 0.5 < x.max()
    _texts_inside(fig)


def test_figure_texts_lie_inside_the_figure():
    from berrykin.plot import plot_dirac_fields, plot_faraday, plot_skyrmion_drift, plot_texture
    from berrykin.models import RiceMele

    t = np.linspace(0.0, 2.0, 5)
    drift = xr.Dataset({"drift": (("variant", "time"), np.stack([t, 0 * t]), {"units": "length"})},
                       coords={"variant": ["all", "no_real"], "time": t})
    rows = [dict(case="landau_dirac_s+1_n0", semiclassical=1.00001, exact=1.0, difference=1e-5,
                 parameter="b/m^2 = 0.01")]
    for fig in (plot_dirac_fields(1.0, n=40), plot_faraday(1.0, 0.1, n=40),
                plot_texture(RiceMele(), ("p_x", "t"), n=12), plot_skyrmion_drift(drift),
                plot_comparison_table(rows)):
        _texts_inside(fig)


def test_skyrmion_drift_variants_that_coincide_stay_visible():
    from berrykin.plot import plot_skyrmion_drift

    t = np.linspace(0.0, 70.0, 15)
    curve = 11.4 * (t / 70.0) ** 2
    names = ["all", "no_real", "no_mixed", "no_momentum", "no_time", "none"]
    drift = np.stack([curve, 0 * t, curve, curve, curve, 0 * t])  # only two distinct curves
    ds = xr.Dataset({"drift": (("variant", "time"), drift, {"units": "length"})},
                    coords={"variant": names, "time": t})
    ax = plot_skyrmion_drift(ds).axes[0]
    lines = [_line(ax, f"sEOM {v}") for v in names]
    for i, j in ((0, 2), (2, 3), (3, 4), (1, 5)):  # each coinciding pair, in drawing order
        _assert_both_visible(lines[i], lines[j])
