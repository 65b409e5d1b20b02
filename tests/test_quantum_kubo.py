"""The exact Kubo-Bastin conductivity (berrykin.quantum.kubo) against independent references.

References, none computed by the module under test:
- the Bastin traces written with dense matrix inverses and an adaptive energy quadrature
  (scipy.integrate.quad), per k point;
- the Chern numbers of QWZ (docs/conventions.md table) with mu in the gap;
- for mu in a band, Gamma -> 0: the Boltzmann conductivity with tau = 1/(2 Gamma) and the
  intrinsic Fermi-sea Berry-curvature integral, both from the closed-form QWZ dispersion and
  curvature integrated in polar coordinates around the pocket (tests/reference/two_band_lattice.py);
- WannierBerri's Berry-curvature dipole of the tilted QWZ model (tests/reference/peers.py),
  against berrykin.geometry's Fermi-sea dipole;
- in b along z, the Landau-level counting of the chiral levels of a Weyl pair with the velocity
  of the continuum zeroth Landau level (berrykin.quantum.kubo_landau).

Grids: the default grid of ``kubo_conductivity`` resolves the Lorentzians, dk |v| <= Gamma/2 at the
Fermi surface (resolution ratio 0.5, trapezoidal error ~ exp(-4 pi)); so the in-band tests use
Gamma >= 0.02 (grids up to 434^2, about a second each).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from berrykin.errors import ParameterError, ResolutionWarning, UnresolvedBroadeningError
from berrykin.models import QWZ
from berrykin.quantum.kubo import KuboConductivity, kubo_conductivity
from berrykin.quantum.kubo_terms import integrands, sea_energy_integral
from reference import two_band_lattice as ref
from reference.peers import WANNIERBERRI_BCD

M_POINT, GAMMA_POINT = (np.pi, np.pi), (0.0, 0.0)


def fitted_power(gammas, deviations):
    """Least-squares exponent alpha of |deviation| ~ C Gamma^alpha."""
    return np.polyfit(np.log(gammas), np.log(np.abs(deviations)), 1)[0]


# --- the per-k integrands against the Bastin traces with matrix inverses and quadrature -----

def direct_bastin(H, V, mu, gamma):
    """Fermi-surface and Fermi-sea Bastin integrands of one k point from dense inverses."""
    eye = np.eye(2)
    d = V.shape[0]

    def GR(E):
        return np.linalg.inv((E + 1j * gamma) * eye - H)

    G = GR(mu)
    Ga = G.conj().T
    surf = np.array([[np.trace(V[i] @ (G - Ga) @ V[j] @ Ga - V[i] @ G @ V[j] @ (G - Ga))
                      for j in range(d)] for i in range(d)])

    def sea_integrand(E, i, j):
        g = GR(E)
        dg = -g @ g
        ga, dga = g.conj().T, dg.conj().T
        r = np.trace(V[i] @ g @ V[j] @ dg - V[i] @ dg @ V[j] @ g)
        a = np.trace(V[i] @ ga @ V[j] @ dga - V[i] @ dga @ V[j] @ ga)
        return (r - a).real if i != j else 0.0    # i = j: zero identically (R - A cancels)

    bands = np.linalg.eigvalsh(H)
    lo = min(mu, bands[0]) - 1.0
    kinks = sorted(x for e in bands for x in e + gamma * np.array([-5, -1, 0, 1, 5])
                   if lo < x < mu)               # the Lorentzians: break the interval there

    def integral(i, j):
        tail = quad(sea_integrand, -np.inf, lo, args=(i, j), epsabs=1e-12, epsrel=1e-10)[0]
        return tail + quad(sea_integrand, lo, mu, args=(i, j), points=kinks or None, epsabs=1e-12,
                           epsrel=1e-10, limit=400)[0]

    sea = np.array([[integral(i, j) for j in range(d)] for i in range(d)])
    return surf, sea


@pytest.mark.parametrize("mu,gamma", [(0.3, 0.05), (-0.7, 0.2), (1.1, 0.01)])
def test_integrands_equal_the_bastin_traces(mu, gamma):
    tb = ref.tilted_qwz_tight_binding(1.3, 0.4)
    k = np.random.default_rng(1).uniform(0, 2 * np.pi, (5, 2))
    H, V = tb.bloch_hamiltonian(k), tb.bloch_velocity(k)
    h0 = 0.5 * np.real(np.trace(H, axis1=1, axis2=2))
    h = 0.5 * np.stack([2 * H[:, 1, 0].real, 2 * H[:, 1, 0].imag, (H[:, 0, 0] - H[:, 1, 1]).real], 1)
    intra, inter, sea, *_ = integrands(mu, gamma, h0, h, V)
    for n in range(k.shape[0]):
        surf_ref, sea_ref = direct_bastin(H[n], V[n], mu, gamma)
        assert np.max(np.abs(surf_ref.imag)) < 1e-12 * np.max(np.abs(surf_ref))
        np.testing.assert_allclose(intra[n] + inter[n], surf_ref.real, rtol=1e-10,
                                   atol=1e-12 * np.max(np.abs(surf_ref)))
        np.testing.assert_allclose(sea[n], sea_ref, rtol=1e-7, atol=1e-9 * np.max(np.abs(sea_ref)))


@pytest.mark.parametrize("d_over_u", [1e-4, 0.03, 0.07, 0.5, 3.0])
def test_sea_energy_integral_closed_form_and_series(d_over_u):
    gamma = 0.1
    a = 0.4 - 1j * gamma
    mu = 0.2
    u = mu - a
    b = a - (d_over_u * abs(u))                     # a - b real
    J = complex(sea_energy_integral(mu, a, b))

    def f(x, part):
        val = 1.0 / ((x - a) ** 2 * (x - b) ** 2)
        return val.real if part == 0 else val.imag

    ref_J = complex(*(quad(f, -np.inf, mu, args=(p,), epsabs=1e-14, epsrel=1e-12, limit=400)[0]
                      for p in (0, 1)))
    assert abs(J - ref_J) < 1e-9 * abs(ref_J)


# --- mu in the gap: the quantised Hall conductance of QWZ ----------------------------------

@pytest.mark.parametrize("m,nu", [(1.0, 1), (-1.0, -1), (3.0, 0), (-3.0, 0)])
def test_gap_hall_conductance_is_the_chern_number(m, nu):
    """nu = -C_lower (docs/conventions.md table); sigma_xx -> 0 as Gamma^2."""
    gammas = np.array([0.1, 0.05, 0.025])
    res = [kubo_conductivity(QWZ(m=m), 0.0, g) for g in gammas]
    dev = np.array([r.nu - nu for r in res])
    sxx = np.array([r.sigma[0, 0] for r in res])
    assert abs(dev[-1]) < 5e-5                         # measured 2.4e-5 at Gamma = 0.025
    assert fitted_power(gammas, dev) > 2.5              # measured 3.0: a fast, monotone approach
    assert np.all(np.diff(np.abs(dev)) < 0)
    assert abs(fitted_power(gammas, sxx) - 2.0) < 0.15  # Lorentzian tails ~ Gamma^2/gap^4
    assert np.max(np.abs(res[-1].sigma - res[-1].sigma.T * [[1, -1], [-1, 1]])) < 1e-12


# --- mu in a band, Gamma -> 0: Boltzmann and intrinsic anomalous Hall ------------------------

def semiclassical_limits(m, mu, s, center, t=0.0):
    """(Boltzmann sigma_xx * Gamma with tau = 1/(2 Gamma), intrinsic sigma_xy), closed forms."""
    drude = 0.5 * ref.fermi_surface_integral(lambda kx, ky: ref.band_velocity(kx, ky, m, s, t)[0] ** 2,
                                             m, s, t, mu, center)
    lower = ref.bz_integral(lambda kx, ky: ref.berry_curvature(kx, ky, m, -1))
    pocket = ref.pocket_integral(lambda kx, ky: ref.berry_curvature(kx, ky, m, s), m, s, t, mu, center)
    # sigma_xy = -Int [dk] sum_n f_n Omega_n: lower band full, plus (s=+1) or minus (s=-1) the pocket
    return drude, -(lower + s * pocket)


IN_BAND = [  # (m, t, mu, band with the pocket, pocket center)
    (1.5, 0.0, 0.8, +1, M_POINT),
    (-1.5, 0.0, -0.8, -1, GAMMA_POINT),
    (2.5, 0.0, 0.8, +1, M_POINT),
    (1.6, 0.3, 0.6, +1, M_POINT),       # tilted: eps != 0, anisotropic pocket
]


@pytest.mark.parametrize("m,t,mu,s,center", IN_BAND)
def test_in_band_small_gamma_limits(m, t, mu, s, center):
    """sigma_xx Gamma -> Boltzmann and sigma_xy -> intrinsic, both deviations ~ Gamma^2.

    Asserted: the fitted exponents (2 +- 0.25) and the Richardson extrapolation
    (4 f(Gamma/2) - f(Gamma))/3 of the last two points, which removes the Gamma^2 term and must
    hit the reference within 3e-4 (relative; the measured residuals are <= 1e-4).
    """
    model = QWZ(m=m) if t == 0.0 else ref.tilted_qwz_tight_binding(m, t)
    drude, hall = semiclassical_limits(m, mu, s, center, t)
    gammas = np.array([0.08, 0.04, 0.02])
    res = [kubo_conductivity(model, mu, g) for g in gammas]
    xx = np.array([r.sigma[0, 0] * r.gamma for r in res]) / drude - 1.0
    xy = (np.array([r.sigma[0, 1] for r in res]) - hall) / abs(hall)
    for dev in (xx, xy):
        assert abs(fitted_power(gammas, dev) - 2.0) < 0.25
        assert abs((4 * dev[-1] - dev[-2]) / 3) < 3e-4
    assert abs(xx[-1]) < 1e-2 and abs(xy[-1]) < 1e-3
    # the Drude weight sits in the intraband part; the Hall response in the interband parts
    assert abs(res[-1].intraband[0, 0] * gammas[-1] / drude - 1) < 1e-3
    assert abs(res[-1].intraband[0, 1] - res[-1].intraband[1, 0]) < 1e-12


# --- the typed result, the grid checks and the errors ---------------------------------------

def test_result_parts_dataset_and_errors():
    res = kubo_conductivity(QWZ(m=1.0), 0.3, 0.2)
    assert isinstance(res, KuboConductivity)
    np.testing.assert_allclose(res.sigma, res.intraband + res.interband_surface + res.fermi_sea,
                               rtol=0, atol=1e-15)
    assert res.resolution_ratio <= 0.5
    np.testing.assert_allclose(kubo_conductivity(QWZ(m=1.0), 0.3, 0.2, chunk=777).sigma, res.sigma,
                               rtol=1e-13, atol=1e-16)          # blocking is memory only
    ds = res.to_dataset()
    np.testing.assert_array_equal(ds["sigma"].values, res.sigma)
    assert list(ds["i"].values) == ["x", "y"] and ds["sigma"].attrs["units"] == "e^2/hbar"
    assert ds.attrs["gamma"] == 0.2 and tuple(ds.attrs["shape"]) == res.shape
    with pytest.raises(UnresolvedBroadeningError, match="shape >="):
        kubo_conductivity(QWZ(m=1.5), 0.8, 0.01, shape=(64, 64))
    with pytest.warns(ResolutionWarning, match="barely resolves"):
        kubo_conductivity(QWZ(m=1.5), 0.8, 0.04, shape=(120, 120))
    with pytest.raises(ParameterError, match="gamma"):
        kubo_conductivity(QWZ(m=1.0), 0.0, 0.0)
    with pytest.raises(ParameterError, match="band touching"):
        kubo_conductivity(QWZ(m=2.0), 0.0, 0.3, shape=(40, 40), offset=0.0)
    from berrykin.models import MassiveDirac2D
    with pytest.raises(ParameterError, match="tight_binding"):
        kubo_conductivity(MassiveDirac2D(m=1.0), 0.0, 0.1)


# --- WannierBerri peer value of the Berry-curvature dipole ----------------------------------

def tilted_qwz_model(m, t):
    import jax.numpy as jnp

    from berrykin.models import TwoBandModel

    return TwoBandModel(
        2, lambda r, p, tt, P: 2 * P["t"] * jnp.sin(p[0]),
        lambda r, p, tt, P: 2 * jnp.stack([jnp.sin(p[0]), jnp.sin(p[1]),
                                           P["m"] + jnp.cos(p[0]) + jnp.cos(p[1])]),
        params={"m": m, "t": t}, depends_on_r=False, momentum_period=2 * np.pi, name="tilted QWZ")


def geometry_fermi_sea_dipole(model, mus, n=800):
    """``D_xz = Int d^2k/(2 pi)^2 sum_s f_s d_kx Omega_s`` from berrykin.geometry on an n^2 grid.

    ``Omega_s = q_s F_{k_x k_y}`` (q_s = -s/2, docs/conventions.md), F from
    ``momentum_berry_field``; the k_x derivative spectrally (FFT, the curvature is smooth and
    periodic); T = 0 step occupations.
    """
    import berrykin as bk
    from berrykin.conventions import q

    k = 2 * np.pi * (np.arange(n) + 0.5) / n
    p = np.stack(np.meshgrid(k, k, indexing="ij"), axis=-1)
    E = bk.band_energies(model, p=p)
    F = bk.momentum_berry_field(model, p=p)[..., 2]
    freq = np.fft.fftfreq(n, 1.0 / n)
    dF = np.real(np.fft.ifft(1j * freq[:, None] * np.fft.fft(F, axis=0), axis=0))
    return np.array([np.mean(sum((E[..., i] < mu) * q(s) * dF for i, s in enumerate((1, -1))))
                     for mu in mus])


def test_berry_curvature_dipole_matches_wannierberri_and_closed_form():
    peer = WANNIERBERRI_BCD
    m, t = peer["model"]["m"], peer["model"]["t"]
    mus = np.array(sorted(peer["values"]))
    assert mus.size >= 4
    wb = np.array([peer["values"][mu][0] for mu in mus])
    ours = geometry_fermi_sea_dipole(tilted_qwz_model(m, t), mus)
    np.testing.assert_allclose(ours, wb, rtol=1e-2)
    # and the closed-form curvature integrated over the pocket (polar quadrature, 4th-order
    # central difference of the closed form in k_x with h = 1e-3: error ~ 1e-12)
    h = 1e-3

    def dOmega(kx, ky):
        c = [1 / 12, -2 / 3, 2 / 3, -1 / 12]
        return sum(ci * ref.berry_curvature(kx + o * h, ky, m, +1)
                   for ci, o in zip(c, (-2, -1, 1, 2))) / h

    closed = np.array([ref.pocket_integral(dOmega, m, +1, t, mu, M_POINT, n_theta=1024, n_q=96)
                       for mu in mus])
    np.testing.assert_allclose(ours, closed, rtol=2e-3)


def test_wannierberri_hall_sign_matches_the_intrinsic_kubo_limit():
    """WannierBerri's AHC (e^2/h) has berrykin's sign: compare with the closed-form intrinsic
    2 pi sigma_xy of the same tilted model (and the Kubo module at small Gamma for one mu)."""
    peer = WANNIERBERRI_BCD
    m, t = peer["model"]["m"], peer["model"]["t"]
    for mu, (_, ahc) in peer["values"].items():
        _, hall = semiclassical_limits(m, mu, +1, M_POINT, t)
        assert abs(ahc - 2 * np.pi * hall) < 1e-3 * abs(ahc)    # measured <= 1.6e-4
    mu = min(peer["values"])
    kubo = kubo_conductivity(ref.tilted_qwz_tight_binding(m, t), mu, 0.02)
    assert abs(kubo.nu - peer["values"][mu][1]) < 1e-2 * abs(peer["values"][mu][1])
    # the conventions table: WannierBerri's AHC of QWZ m = 1 (gap) has the sign of berrykin's nu
    gap = kubo_conductivity(QWZ(m=1.0), 0.0, 0.02)
    assert abs(gap.nu - peer["qwz_m1_gap_ahc"]) < 1e-4


# --- d = 3 and the docstring example ----------------------------------------------------------

def layered_qwz(m, tz):
    """QWZ layers stacked along z with an interlayer hopping tz s0 (H += 2 tz cos kz)."""
    from berrykin.models.tight_binding import PAULI, TightBinding

    sx, sy, sz = PAULI
    return TightBinding.from_half(m * sz, {(1, 0, 0): (sz - 1j * sx) / 2, (0, 1, 0): (sz - 1j * sy) / 2,
                                           (0, 0, 1): tz * np.eye(2)}, dim=3)


def test_three_dimensional_layered_chern_insulator():
    """Every k_z slice is QWZ(m) shifted by 2 tz cos kz, inside the gap for |2 tz| < gap: the 3D
    Hall conductivity is nu/(2 pi a) (nu from the conventions table), sigma_xx, sigma_zz -> 0."""
    gammas = np.array([0.1, 0.05])
    for m, nu in ((1.0, 1), (-3.0, 0)):
        res = [kubo_conductivity(layered_qwz(m, 0.2), 0.0, g, shape=(32, 32, 8)) for g in gammas]
        dev = np.array([2 * np.pi * r.sigma[0, 1] - nu for r in res])
        assert abs(dev[-1]) < 5e-4 and fitted_power(gammas, dev) > 2.5
        assert max(abs(res[-1].sigma[0, 0]), abs(res[-1].sigma[2, 2])) < 2e-3
        assert abs(fitted_power(gammas, [r.sigma[2, 2] for r in res]) - 2.0) < 0.15
    from berrykin.models import LatticeWeyl
    with pytest.raises(UnresolvedBroadeningError, match="gamma"):
        kubo_conductivity(LatticeWeyl(), 0.0, 1e-3)       # nodes at mu: needs ~ 10^4 points per axis


def test_docstring_example():
    import doctest

    import berrykin.quantum.kubo as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# --- Landau levels: sigma_zz of the lattice Weyl pair along b --------------------------------

@pytest.mark.parametrize("k0", [np.pi / 2, np.pi / 3])
def test_landau_level_conductivity_of_the_weyl_pair_along_b(k0):
    """Quantum limit (mu = 0, only the two chiral levels cross mu, b/(2 pi) states per area
    each): ``sigma_zz Gamma -> b v_0/(4 pi^2)``. v_0 is the velocity of the continuum zeroth
    Landau level ``E_0 = +-(cos kz - cos k0 + b/2)`` (H ~ Pi.sigma + (M(kz) + Pi^2/2) sz with
    <Pi^2> = b in the lowest level) at E_0 = 0: ``v_0 = sqrt(1 - (cos k0 - b/2)^2)`` -> sin k0.
    Lattice corrections: measured 0.3% (k0 = pi/2) and 1.3% (pi/3) at b = 2 pi/8, shrinking
    with b; Gamma = 0.05 (n_z = 320 resolves it, ratio 0.37)."""
    from fractions import Fraction

    from berrykin.models import LatticeWeyl
    from berrykin.quantum.kubo_landau import landau_conductivity_zz

    devs = []
    for q in (8, 16):
        r = landau_conductivity_zz(LatticeWeyl(k0=k0), Fraction(1, q), 0.0, 0.05, shape=(2, 2, 320))
        v0 = np.sqrt(1 - (np.cos(k0) - r.b / 2) ** 2)
        devs.append(r.sigma_zz * r.gamma / (r.b * v0 / (4 * np.pi**2)) - 1)
        assert abs(r.interband) < 1e-2 * abs(r.sigma_zz)          # the chiral levels carry it
    assert abs(devs[0]) < 1.5e-2 and abs(devs[1]) < 5e-3 and abs(devs[1]) < abs(devs[0])
    ds = r.to_dataset()
    assert ds["sigma_zz"].attrs["units"] == "e^2/(hbar a)" and ds.attrs["flux"] == "1/16"
