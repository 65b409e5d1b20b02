"""Plot functions: labelled axes with units, data that matches the closed forms, atomic saving."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.models import QWZ, MassiveDirac2D, RiceMele, TexturedFerromagnet2D, Weyl3D
from berrykin.plot import plot_dirac_fields, plot_faraday, plot_texture, save_figure


def _check_labelled(fig):
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_ylabel().strip(), ax
        if ax.get_images() or ax.get_lines():
            xl = ax.get_xlabel()
            assert xl.strip()
            assert "[" in xl or "dimensionless" in xl  # units (hbar = e = 1)


def test_dirac_fields_figure_matches_closed_forms():
    m = 0.8
    fig = plot_dirac_fields(m=m, n=50)
    _check_labelled(fig)
    (ax,) = fig.axes
    x, berry = ax.get_lines()[0].get_data()
    _, moment = ax.get_lines()[1].get_data()
    assert len(x) == 50 and np.all(np.isfinite(berry))
    E = np.hypot(x * m, m)
    np.testing.assert_allclose(berry, m**2 * m / E**3, rtol=1e-12)  # m^2 B_k
    np.testing.assert_allclose(moment, m * m / (2 * E**2), rtol=1e-12)  # m M_k
    assert ax.get_lines()[1].get_linestyle() == "--"


def test_dirac_fields_draws_on_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert plot_dirac_fields(1.0, ax=ax, n=10) is fig
    assert ax.get_lines()


def test_faraday_figure_matches_closed_forms():
    m, mdot = 1.3, -0.2
    fig = plot_faraday(m=m, m_dot=mdot, n=60)
    _check_labelled(fig)
    ax = fig.axes[0]
    x, efield = ax.get_lines()[0].get_data()
    _, rate = ax.get_lines()[1].get_data()
    k = x * m
    E = np.hypot(k, m)
    np.testing.assert_allclose(efield, m**2 * k / E**3, atol=1e-12)  # (m^2/mdot) calE
    np.testing.assert_allclose(rate, m**3 * (k**2 - 2 * m**2) / E**5, atol=1e-9)  # (m^3/mdot) dB/dt
    assert np.argmax(efield) == np.argmin(np.abs(x - 1 / np.sqrt(2)))  # peak at k = m/sqrt 2


@pytest.mark.parametrize("model, plane", [
    (TexturedFerromagnet2D(), None),
    (QWZ(m=1.0), None),
    (RiceMele(), None),
    (Weyl3D(), ("p_x", "p_y")),  # fixed p_z below: F_{p_x p_y} = chi p_z/k^3
    (MassiveDirac2D(m=0.5), ("p_x", "p_y")),
])
def test_texture_maps_have_labels_and_data(model, plane):
    fixed = {"p_z": 0.5} if model.dim == 3 else None
    fig = plot_texture(model, plane, fixed=fixed, n=16)
    _check_labelled(fig)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 2
    mz = np.asarray(images[0].get_array())
    assert mz.shape == (16, 16) and np.all(np.abs(mz) <= 1 + 1e-12)
    assert np.isfinite(np.asarray(images[1].get_array())).all()
    assert np.ptp(np.asarray(images[1].get_array())) > 0


def test_skyrmion_map_is_the_texture_at_p_zero():
    fig = plot_texture(TexturedFerromagnet2D(), ("x", "y"), n=8, extent=(-1, 1, -1, 1))
    mz = np.asarray(fig.axes[0].get_images()[0].get_array())
    assert mz.max() < 0  # the core of the default skyrmion points along -z


def test_bad_arguments_raise_parameter_error():
    with pytest.raises(ParameterError):
        plot_dirac_fields(m=0.0)
    with pytest.raises(ParameterError):
        plot_faraday(m_dot=0.0)
    with pytest.raises(ParameterError):
        plot_texture(QWZ(), ("p_x", "nope"))
    with pytest.raises(ParameterError):
        plot_texture(QWZ(), ("p_x", "p_y"), fixed={"p_x": 1.0})


def test_save_figure_is_atomic(tmp_path):
    fig = plot_dirac_fields(n=10)
    path = tmp_path / "fig.png"
    path.write_bytes(b"old")
    assert save_figure(fig, path) == str(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


def test_import_and_plot_leave_matplotlib_global_state_alone():
    code = (
        "import sys, matplotlib\n"
        "before = matplotlib.rcParams._get('backend')\n"
        "import berrykin.plot\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "berrykin.plot.plot_dirac_fields(n=5)\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "assert matplotlib.rcParams._get('backend') == before\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("on_figure", [False, True])
def test_long_titles_are_wrapped_inside_the_figure(on_figure):
    from berrykin.plot._common import fit_title, new_figure

    fig, (ax,) = new_figure(width=3.0, height=2.6)
    ax.plot([0, 1], [0, 1])
    text = (r"Mass ramp at fixed b: the change $(n_z/4)\,b\,[\mathcal{B}_k(m(t)) - "
            r"\mathcal{B}_k(m_0)]$ against the momentum-space Faraday law (Sec. III B)")
    title = fit_title(fig if on_figure else ax, text, fontsize="medium")
    lines = title.get_text().split("\n")
    assert len(lines) >= 2
    assert " ".join(lines) == text  # only spaces became line breaks
    assert all(line.count("$") % 2 == 0 for line in lines)  # never inside mathtext
    fig.canvas.draw()
    bb, box = title.get_window_extent(fig.canvas.get_renderer()), fig.bbox
    assert box.x0 - 1 <= bb.x0 and bb.x1 <= box.x1 + 1 and box.y0 - 1 <= bb.y0 and bb.y1 <= box.y1 + 1
    short = fit_title(ax, "Fig. 5", fontsize="medium")
    assert short.get_text() == "Fig. 5"
