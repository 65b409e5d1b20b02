"""Trajectories of the canonical sEOM (paper Eq. 24) against independent closed forms.

Cyclotron motion of massive Dirac fermions in a uniform field b (symmetric gauge), with
k = p - a(r) and E = sqrt(k^2 + m^2), follows paper Eq. (42) (with ERRATA item 2):

    rdot = (s + b m/(2 E^3)) k/E,    kdot = b rdot x z.

So |k| is conserved and k rotates uniformly. Sign convention used here: the angular frequency
omega_s = b (s + b m/(2 E^3))/E is positive for *clockwise* rotation, i.e. the polar angle of k
obeys theta(t) = theta(0) - omega_s t. The real-space orbit is a circle of radius |k|/|b| about
the fixed centre r_c = r - (z x k)/b (integrate kdot = b rdot x z once).
"""

from __future__ import annotations

import dataclasses
import math

import jax
import numpy as np
import pytest

from berrykin.dynamics import TrajectoryOptions, TrajectoryResult, integrate_trajectories
from berrykin.dynamics.trajectories import compiled_rhs
from berrykin.errors import IntegrationError, ParameterError, ShapeError
from berrykin.models import (
    QWZ, MassiveDirac2D, MinimalCoupling, TexturedFerromagnet2D, UniformElectricField,
    UniformMagneticField,
)

KS = np.array([0.3, 0.7, 1.3])  # |k| of the three particles of each ensemble
R0 = np.array([[0.3, -0.2], [-1.0, 0.5], [0.0, 2.0]])
ANGLES = np.array([0.4, 2.0, -2.5])


def _dirac(m, b):
    return MinimalCoupling(MassiveDirac2D(m=m), UniformMagneticField(b=b))


def _cyclotron(m, b, band, rotations=1.5, **switches):
    """Integrate the ensemble; return (result, k(t), predicted omega per particle)."""
    k0 = KS[:, None] * np.stack([np.cos(ANGLES), np.sin(ANGLES)], axis=1)
    p0 = k0 + 0.5 * b * np.stack([-R0[:, 1], R0[:, 0]], axis=1)  # p = k + a(r), a = b(-y, x)/2
    E = np.sqrt(KS**2 + m**2)
    omega = b * band / E  # only used for the time span
    t_end = rotations * 2 * np.pi / np.abs(omega).min()
    opts = TrajectoryOptions(n_output=300, **switches)
    res = integrate_trajectories(_dirac(m, b), R0, p0, (0.0, t_end), band, options=opts)
    return res, res.kinetic_momentum(), E


def _clockwise_rate(res, k):
    """Least-squares omega in theta(t) = theta0 - omega t, and the max residual of the fit."""
    theta = np.unwrap(np.arctan2(k[..., 1], k[..., 0]), axis=0)
    coef, *_ = np.linalg.lstsq(np.stack([np.ones_like(res.t), res.t], 1), theta, rcond=None)
    resid = theta - (coef[0] + res.t[:, None] * coef[1])
    return -coef[1], np.abs(resid).max()


@pytest.mark.parametrize("m, b", [(1.0, 0.3), (-0.5, 0.2), (0.8, -0.4)])
@pytest.mark.parametrize("band", [+1, -1])
def test_cyclotron_frequency_eq42(m, b, band):
    res, k, E = _cyclotron(m, b, band)
    expected = b * (band + b * m / (2 * E**3)) / E  # Eq. (42), ERRATA 2; > 0: clockwise
    omega, resid = _clockwise_rate(res, k)
    np.testing.assert_allclose(omega, expected, rtol=1e-8, atol=0)
    assert np.all(np.sign(omega) == np.sign(b * band))  # sense of rotation flips with band and b
    assert resid < 1e-8  # uniform rotation
    np.testing.assert_allclose(np.linalg.norm(k, axis=-1), np.broadcast_to(KS, k.shape[:2]),
                               rtol=1e-9)
    # guiding centre r_c = r - (z x k)/b is fixed; orbit radius |k|/|b|
    zxk = np.stack([-k[..., 1], k[..., 0]], axis=-1)
    centre = res.r - zxk / b
    np.testing.assert_allclose(centre, np.broadcast_to(centre[0], centre.shape), atol=1e-8)


def test_cyclotron_conserves_corrected_energy():
    # bar-eps_s = s E - b m/(2 E^2) depends on |k| only, so it is exactly conserved here.
    m, b, band = 1.0, 0.3, -1
    res, k, E = _cyclotron(m, b, band, rotations=0.5)
    bar = res.band_energy(corrected=True)
    np.testing.assert_allclose(bar, np.broadcast_to(band * E - b * m / (2 * E**2), bar.shape),
                               rtol=1e-10)
    np.testing.assert_allclose(res.band_energy(corrected=False), np.broadcast_to(band * E, bar.shape),
                               rtol=1e-10)


@pytest.mark.parametrize("energy_shift, anomalous, correction", [
    # plain Boltzmann: Lorentz force with v = s k/E
    (False, False, lambda s, bm_E3: 0.0),
    # only Z_s: rdot = (1 + q_s b.B_k) s k/E with q_s = -s/2, B_k = m/E^3
    (False, True, lambda s, bm_E3: -bm_E3 / 2),
    # only delta eps = -b m/(2E^2): rdot = d_k(sE + delta eps) = (s + b m/E^3) k/E
    (True, False, lambda s, bm_E3: bm_E3),
])
def test_switches(energy_shift, anomalous, correction):
    m, b = 1.0, 0.3
    for band in (+1, -1):
        res, k, E = _cyclotron(m, b, band, rotations=1.0,
                               energy_shift=energy_shift, anomalous=anomalous)
        omega, _ = _clockwise_rate(res, k)
        expected = b * (band + correction(band, b * m / E**3)) / E
        np.testing.assert_allclose(omega, expected, rtol=1e-8, atol=0)


# --- textured ferromagnet (skyrmion): exact properties of the ODE -----------------------------
# Eq. (24) is linear in F and conserves bar-eps_s only to second order in gradients:
# d bar-eps_s/dt = -q_s d_i eps_s F^{ij} d_j delta-eps (checked: it scales as 1/R^3 with the
# skyrmion size R, d eps_s/dt as 1/R^2). So we test exact properties instead.

TEX = TexturedFerromagnet2D()
TEX_R0 = np.array([[-4.0, 0.5], [3.0, 1.0]])
TEX_P0 = np.array([[0.8, 0.1], [-0.5, 0.4]])


def _rk4(model, band, y0, t_end, n_steps):
    with jax.enable_x64(True):
        f = compiled_rhs(model)
        y, h = y0.reshape(-1).copy(), t_end / n_steps
        for i in range(n_steps):
            t = i * h
            k1 = np.asarray(f(t, y, float(band)))
            k2 = np.asarray(f(t + h / 2, y + h / 2 * k1, float(band)))
            k3 = np.asarray(f(t + h / 2, y + h / 2 * k2, float(band)))
            k4 = np.asarray(f(t + h, y + h * k3, float(band)))
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y.reshape(y0.shape)


@pytest.mark.parametrize("band", [+1, -1])
def test_textured_matches_rk4_with_fourth_order_convergence(band):
    t_end = 4.0
    res = integrate_trajectories(TEX, TEX_R0, TEX_P0, (0.0, t_end), band)
    final = np.concatenate([res.r[-1], res.p[-1]], axis=1)
    y0 = np.concatenate([TEX_R0, TEX_P0], axis=1)
    ys = [_rk4(TEX, band, y0, t_end, n) for n in (50, 100, 200)]
    ratio = np.abs(ys[0] - ys[1]).max() / np.abs(ys[1] - ys[2]).max()
    assert 14 < ratio < 18.5, ratio  # RK4 self-convergence: 2^4 = 16 (measured 15.9, 16.8)
    extrapolated = ys[2] + (ys[2] - ys[1]) / 15  # Richardson, error O(h^5)
    np.testing.assert_allclose(final, extrapolated, rtol=0, atol=1e-9)  # measured 2e-11
    assert np.all(np.abs(res.p[-1] - TEX_P0) > 1e-3)  # the texture does push the particles


@pytest.mark.parametrize("band", [+1, -1])
def test_textured_time_reversal(band):
    fwd = integrate_trajectories(TEX, TEX_R0, TEX_P0, (0.0, 15.0), band)
    back = integrate_trajectories(TEX, fwd.r[-1], fwd.p[-1], (15.0, 0.0), band)
    assert back.t[-1] == 0.0
    np.testing.assert_allclose(back.r[-1], TEX_R0, atol=1e-8)
    np.testing.assert_allclose(back.p[-1], TEX_P0, atol=1e-8)


# --- lattice: unwrapped momenta, results, errors ----------------------------------------------

@pytest.fixture(scope="module")
def bloch():
    # QWZ in a uniform e (scalar gauge): F_{r .} = 0 and delta eps = 0, so pdot = e exactly.
    model = MinimalCoupling(QWZ(m=1.0), UniformElectricField(e=(0.3, 0.1)))
    opts = TrajectoryOptions(t_eval=np.linspace(0.0, 30.0, 7))
    return integrate_trajectories(model, [0.0, 0.0], [0.1, -0.2], (0.0, 30.0), -1, options=opts)


def test_lattice_momenta_are_unwrapped(bloch):
    expected = np.array([0.1, -0.2]) + np.outer(bloch.t, [0.3, 0.1])
    np.testing.assert_allclose(bloch.p[:, 0, :], expected, atol=1e-9)
    assert bloch.p[-1, 0, 0] > 2 * math.pi  # not reduced to the Brillouin zone
    assert bloch.to_dataset().attrs["momentum_period"] == pytest.approx(2 * math.pi)


def test_result_and_dataset(bloch):
    assert isinstance(bloch, TrajectoryResult)
    assert bloch.r.shape == bloch.p.shape == (7, 1, 2) and bloch.t.shape == (7,)
    assert bloch.band == -1 and bloch.success and bloch.nfev > 0
    with pytest.raises(ValueError):
        bloch.r[0, 0, 0] = 1.0  # read-only
    with pytest.raises(dataclasses.FrozenInstanceError):
        bloch.band = 1
    ds = bloch.to_dataset()
    assert ds["r"].dims == ds["p"].dims == ("time", "particle", "axis")
    assert list(ds["axis"].values) == ["x", "y"] and ds.sizes["time"] == 7
    np.testing.assert_array_equal(ds["p"].values, bloch.p)
    for key in ("units", "coordinate_order", "sign_conventions", "berrykin_version", "equations"):
        assert key in ds.attrs
    assert "hbar = e = 1" in ds.attrs["units"] and "Eq. (24)" in ds.attrs["equations"]
    assert "q_s = -s/2" in ds.attrs["sign_conventions"]
    assert ds.attrs["model"] == "MinimalCoupling(QWZ)" and ds.attrs["band"] == -1
    k = bloch.kinetic_momentum()  # scalar gauge: k = p
    np.testing.assert_array_equal(k, bloch.p)
    np.testing.assert_array_equal(ds["k"].values, k)


def test_kinetic_momentum_needs_minimal_coupling():
    res = integrate_trajectories(TEX, TEX_R0, TEX_P0, (0.0, 0.5), options=TrajectoryOptions(n_output=3))
    assert res.r.shape == res.p.shape == (3, 2, 2)
    with pytest.raises(ParameterError, match="MinimalCoupling"):
        res.kinetic_momentum()
    assert "k" not in res.to_dataset()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(band=0), ParameterError, "band"),
    (dict(p0=[0.1, 0.2, 0.3]), ShapeError, "p0"),
    (dict(r0=np.zeros((3, 2)), p0=np.zeros((2, 2))), ShapeError, "r0"),
    (dict(p0=[np.nan, 0.0]), ParameterError, "p0"),
    (dict(t_span=(1.0, 1.0)), ParameterError, "t_span"),
    (dict(t_span=(0.0,)), ParameterError, "t_span"),
    (dict(model="dirac"), ParameterError, "model"),
    (dict(options=TrajectoryOptions(t_eval=[0.0, 5.0])), ParameterError, "t_eval"),
    (dict(options={"rtol": 1e-8}), ParameterError, "options"),
])
def test_bad_inputs(kwargs, error, match):
    args = dict(model=MassiveDirac2D(m=1.0), r0=None, p0=[0.1, 0.2], t_span=(0.0, 1.0), band=1)
    args.update(kwargs)
    opts = args.pop("options", TrajectoryOptions())
    with pytest.raises(error, match=match):
        integrate_trajectories(args.pop("model"), args.pop("r0"), args.pop("p0"),
                               args.pop("t_span"), args.pop("band"), options=opts)


def test_r0_required_for_r_dependent_model():
    with pytest.raises(ParameterError, match="r0"):
        integrate_trajectories(TEX, None, [0.1, 0.2], (0.0, 1.0))


@pytest.mark.parametrize("kwargs", [
    dict(rtol=0.0), dict(atol=-1.0), dict(max_step=0.0), dict(n_output=1),
    dict(n_output=5, t_eval=[0.0, 1.0]), dict(t_eval=[]), dict(energy_shift="yes"),
])
def test_bad_options(kwargs):
    with pytest.raises(ParameterError):
        TrajectoryOptions(**kwargs)


def test_gap_closing_raises_integration_error():
    # massless Dirac at p = 0: |Delta| = 0, F is undefined
    with pytest.raises(IntegrationError, match="gap closing"):
        integrate_trajectories(MassiveDirac2D(m=0.0), None, [0.0, 0.0], (0.0, 1.0))
