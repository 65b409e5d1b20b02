"""Topological Hall drift of a kicked Fermi sea from the sKE (issue 11, item 3;
docs/skyrmion_sea.md): curvature groups in the sKE frames, exact lattice evolution, sEOM ensemble,
closed-form emergent-field estimate."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.geometry import pointwise as pw
from berrykin.geometry.pointwise import CurvatureTerms
from berrykin.kinetic import CanonicalFrame
from berrykin.kinetic.frames import canonical_coefficients
from berrykin.models import LatticeTexturedFerromagnet2D, Skyrmion, TexturedFerromagnet2D


def test_frame_curvature_weights_equal_seom_velocity_per_group():
    """The sKE frame with a block of F switched off gives the same band velocities as the sEOM
    velocity with that CurvatureTerms (geometry.pointwise.velocity, an independent code path),
    for every group, at a point where all four blocks are non-zero (Rashba texture, t != 0 via
    a moving texture is not needed: F_t = 0 here, so 'time' must change nothing)."""
    model = TexturedFerromagnet2D(exchange=1.0, rashba=0.6, texture=Skyrmion(radius=2.0, width=2.0))
    with jax.enable_x64(True):
        X = jnp.array([0.7, -0.4, 0.5, 0.3, 0.0])
        coeff = jax.jit(lambda w: canonical_coefficients(model, X, curvature=w))
        vel = jax.jit(lambda w, band: pw.velocity(model, X, band, curvature=w))
        full = coeff(jnp.ones(4))
        for terms in [CurvatureTerms.without(g) for g in CurvatureTerms.GROUPS] + [CurvatureTerms.none()]:
            w = jnp.asarray(terms.weights())
            C = coeff(w)
            for i, band in enumerate((1.0, -1.0)):
                np.testing.assert_allclose(np.asarray(C[4 * i: 4 * i + 4]), np.asarray(vel(w, band)),
                                           rtol=1e-12, atol=1e-14)
            np.testing.assert_array_equal(np.asarray(C[8:]), np.asarray(full[8:]))   # w, G, K unchanged
            if terms.off in (("real",), ("mixed",), ("momentum",)):   # each of these matters here
                assert float(jnp.max(jnp.abs(C[:8] - full[:8]))) > 1e-4


def test_frame_curvature_option_is_checked():
    model = TexturedFerromagnet2D()
    assert CanonicalFrame(model, curvature=CurvatureTerms(real=False)).curvature == (0.0, 1.0, 1.0, 1.0)
    with pytest.raises(ParameterError, match="curvature"):
        CanonicalFrame(model, curvature=(1.0, 0.0))


def test_skyrmion_sea_errors():
    from berrykin.experiments.skyrmion_sea import skyrmion_sea, texture_cell

    model = TexturedFerromagnet2D(exchange=4.0, rashba=0.0)
    with pytest.raises(ParameterError, match="cell"):
        texture_cell(model)
    with pytest.raises(ParameterError, match="kick"):
        skyrmion_sea(model, mu=-3.5, times=[0.0, 1.0], cell=(16.0, 16.0))
    with pytest.raises(ParameterError, match="curvature"):
        skyrmion_sea(model, mu=-3.5, kick=(0.1, 0.0), times=[0.0, 1.0], cell=(16.0, 16.0), curvature="some")


def test_example_config_validates():
    from pathlib import Path

    from berrykin.config.loader import load_config

    cfg = load_config(Path(__file__).parent.parent / "examples" / "skyrmion_sea.toml")
    assert cfg.experiment_type == "skyrmion_sea"


# -- the physics comparison (slow: 4D sKE runs and exact dense evolution) ---------------------------

L, J, MU, T, DK = 20, 4.0, -4.0 + 1.2, 0.15, 0.1
TIMES = np.linspace(0.0, 10.0, 11)


def _lattice_model():
    return LatticeTexturedFerromagnet2D(exchange=J, rashba=0.0, mass=1.0, lattice_constant=1.0,
                                        texture=Skyrmion(radius=3.5, width=2.5, center=(L / 2, L / 2)))


@pytest.fixture(scope="module")
def exact():
    """Odd part of the exact kicked-sea displacement (kick +-DK along x) on the 20 x 20 torus."""
    from berrykin.quantum.skyrmion import kicked_fermi_sea

    m = _lattice_model()
    ep = kicked_fermi_sea(m, (L, L), (DK, 0.0), TIMES, mu=MU, temperature=T)
    em = kicked_fermi_sea(m, (L, L), (-DK, 0.0), TIMES, mu=MU, temperature=T)
    return 0.5 * (ep.displacement - em.displacement), ep.n_particles


@pytest.fixture(scope="module")
def ske():
    from berrykin.experiments.skyrmion_sea import sea_grid, skyrmion_sea

    m = _lattice_model()
    grid = sea_grid(m, cell=(L, L), mu=MU, T=T, kick=(DK, 0.0), n_space=16, n_k=24)
    return skyrmion_sea(m, mu=MU, T=T, kick=(DK, 0.0), times=TIMES, grid=grid,
                        curvature={"all": CurvatureTerms(), "no_real": CurvatureTerms.without("real")})


@pytest.mark.slow
def test_ske_topological_hall_drift_matches_exact_lattice_evolution(ske, exact):
    """Adiabatic regime (J = 4 >> v|grad n| ~ 0.3; skyrmion radius 3.5 lattice constants):
    the sKE drift across the kick is within 10% of the exact lattice evolution at every time
    t >= 4 (earlier times: within 10% of the final drift in absolute terms); the advance along
    the kick within 2%; the ledger closes (residual / N < 1e-12)."""
    disp, _ = exact
    drift, adv = ske["all"], ske.advance[0]
    late = TIMES >= 4.0
    np.testing.assert_allclose(drift[late], disp[late, 1], rtol=0.10)
    assert np.max(np.abs(drift - disp[:, 1])) < 0.1 * abs(disp[-1, 1])
    np.testing.assert_allclose(adv[1:], disp[1:, 0], rtol=0.02)
    assert np.all(ske.conservation < 1e-12)
    assert ske.to_dataset()["drift"].shape == (2, TIMES.size)


@pytest.mark.slow
def test_real_space_curvature_carries_the_drift_and_emergent_flux_estimate(ske, exact):
    """Without F_rr there is no transverse drift (rashba = 0: F_rp = F_pp = 0, so F_rr is the
    only group); at short times the exact drift follows the Lorentz force of the mean emergent
    field b = q_s 4 pi Q / A = -2 pi / L^2 on the kicked sea, -(1/2) b DK <cos kx cos ky> t^2
    (Fermi-sea average on the lattice band), within 10%."""
    disp, _ = exact
    assert np.max(np.abs(ske["no_real"])) < 1e-6 * np.max(np.abs(ske["all"]))
    contrib = ske.contributions()["group"]
    assert contrib["real"] == pytest.approx(ske["all"][-1], rel=1e-6)
    k = np.linspace(-np.pi, np.pi, 400, endpoint=False)
    KX, KY = np.meshgrid(k, k, indexing="ij")
    f = 0.5 * (1 - np.tanh((2 - np.cos(KX) - np.cos(KY) - J - MU) / (2 * T)))
    cc = np.sum(f * np.cos(KX) * np.cos(KY)) / np.sum(f)
    b = 0.5 * 4 * np.pi * (-1) / L**2          # q_s (s = -1) times 4 pi Q (Q = -1) per cell area
    short = (TIMES >= 2.0) & (TIMES <= 4.0)
    np.testing.assert_allclose(disp[short, 1], -0.5 * b * DK * cc * TIMES[short] ** 2, rtol=0.10)


@pytest.mark.slow
def test_seom_ensemble_of_the_same_sea_matches_ske(ske):
    """The same kicked sea sampled by canonical sEOM trajectories (one per phase-space cell of a
    coarser grid): without interband and nz terms (rashba = 0) the sKE is the Liouville equation of
    this ensemble, so the drifts agree to the discretisation error (within 5%, t >= 4)."""
    from berrykin.experiments.skyrmion_sea import sea_grid, skyrmion_sea_trajectories

    m = _lattice_model()
    grid = sea_grid(m, cell=(L, L), mu=MU, T=T, kick=(DK, 0.0), n_space=8, n_k=24)
    ens = skyrmion_sea_trajectories(m, mu=MU, T=T, kick=(DK, 0.0), times=TIMES, grid=grid,
                                    curvature={"all": CurvatureTerms()}, threshold=1e-3)
    late = TIMES >= 4.0
    np.testing.assert_allclose(ens["all"][late], ske["all"][late], rtol=0.05)


def test_plot_sea_drift_draws_each_variant_and_the_exact_points():
    import xarray as xr

    from berrykin.plot.skyrmion_sea import plot_sea_drift

    t = np.linspace(0.0, 4.0, 5)
    ds = xr.Dataset({"drift": (("variant", "time"), np.array([t**2, 0 * t]))},
                    coords={"variant": ["all", "no_real"], "time": t})
    fig = plot_sea_drift(ds, exact=(t, 0.9 * t**2))
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), t**2)
    np.testing.assert_array_equal(lines[-1].get_ydata(), 0.9 * t**2)
    assert [ln.get_label() for ln in lines] == ["sKE all", "sKE no_real", "exact lattice"]
    with pytest.raises(ParameterError):
        plot_sea_drift(xr.Dataset({"x": ("time", t)}))


@pytest.mark.slow
def test_uniform_force_accelerates_the_sea_by_newtons_law():
    """Force drive (kinetic frame, vector gauge): without a texture gradient (uniform n) every
    electron of the parabolic band accelerates as kdot = F, so the displacement per particle is
    (1/2) (F/m) t^2 along F and zero across (closed form), for the odd part in the drive."""
    from berrykin.experiments.skyrmion_sea import skyrmion_sea
    from berrykin.models import Uniform

    model = TexturedFerromagnet2D(exchange=4.0, rashba=0.0, mass=1.0, texture=Uniform())
    times = np.linspace(0.0, 4.0, 9)
    res = skyrmion_sea(model, mu=-3.5, T=0.15, force=(0.05, 0.0), times=times, cell=(8.0, 8.0),
                       n_space=4, n_k=24, curvature="all")
    np.testing.assert_allclose(res.advance[0], 0.5 * 0.05 * times**2, rtol=0.02, atol=1e-6)
    assert np.max(np.abs(res.drift[0])) < 1e-10
    assert np.all(res.conservation < 1e-12)
