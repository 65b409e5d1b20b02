"""The exact Kubo-Bastin conductivity (berrykin.quantum.kubo) approaches the semiclassical sKE
conductivity (berrykin.experiments.conductivity, RelaxationTime) as Gamma -> 0, with
tau = 1/(2 Gamma) (docs/kubo.md, docs/transport.md).

tests/test_quantum_kubo.py compares the Kubo limit with closed forms; here the two codes, which
share no code (berrykin.quantum imports only berrykin.models), are compared with each other. The
sKE gives ``sigma_xx = tau W`` (linear in tau: tests/test_transport_conductivity.py) and a
tau-independent ``sigma_xy``, so ``sigma_xx Gamma -> W/2`` and ``sigma_xy -> sigma_xy^sKE``. The
Kubo values over five Gamma are fitted with ``a + c Gamma^p``; the intercept ``a`` must be the sKE
value and the order ``p`` that of the Lorentzian broadening, 2.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import curve_fit

from berrykin.experiments import conductivity
from berrykin.kinetic import CartesianMomentumGrid
from berrykin.models import QWZ
from berrykin.quantum.kubo import kubo_conductivity
from reference import two_band_lattice as ref

GAMMAS = np.array([0.1, 0.08, 0.06, 0.045, 0.03])


def fit_approach(gammas, values):
    """Least-squares ``values = a + c Gamma^p``: returns (a, p)."""
    c0, a0 = np.polyfit(gammas ** 2, values, 1)           # start: the quadratic approach
    popt, _ = curve_fit(lambda g, a, c, p: a + c * g ** p, gammas, values, p0=(a0, c0, 2.0), maxfev=20000)
    return popt[0], popt[2]


def tilted_qwz(m, t):
    """The sKE model of ``ref.tilted_qwz_tight_binding(m, t)`` (eps = 2 t sin kx, tau = sigma/2)."""
    import jax.numpy as jnp

    from berrykin.models import TwoBandModel

    return TwoBandModel(
        2, lambda r, p, tt, P: 2 * P["t"] * jnp.sin(p[0]),
        lambda r, p, tt, P: 2 * jnp.stack([jnp.sin(p[0]), jnp.sin(p[1]), P["m"] + jnp.cos(p[0]) + jnp.cos(p[1])]),
        params={"m": m, "t": t}, depends_on_r=False, momentum_period=2 * np.pi, name="tilted QWZ")


def cross(model, mu, n_bz, comps, kubo_model=None):
    tau = 1.0
    ske = conductivity(model, mu, tau=tau, grid=CartesianMomentumGrid.brillouin_zone(2, n_bz)).sigma
    kubo = [kubo_conductivity(kubo_model or model, mu, g).sigma for g in GAMMAS]
    out = []
    for (i, j) in comps:
        if i == j:      # sigma_ii Gamma at tau = 1/(2 Gamma) is sigma_ii(tau) / (2 tau)
            target, vals = ske[i, i] / (2 * tau), np.array([k[i, i] * g for k, g in zip(kubo, GAMMAS)])
        else:
            target, vals = ske[i, j], np.array([k[i, j] for k in kubo])
        out.append((target, *fit_approach(GAMMAS, vals)))
    return out


def test_qwz_in_band_kubo_reaches_the_ske_conductivity():
    """QWZ m = 1.5, mu = 0.8 (pocket at M). Measured: the Kubo intercepts differ by 2.6e-3
    (xx Gamma) and 9.5e-4 (xy) from the sKE on the 96^2 zone, which is the sKE grid error (3.0e-3
    and 9.1e-4 against the closed forms of tests/reference/two_band_lattice.py; on the 192^2 zone
    the intercepts agree to 2.3e-5 and 4.9e-5); fitted orders 1.92 and 2.17."""
    (txx, axx, pxx), (txy, axy, pxy) = cross(QWZ(m=1.5), 0.8, 96, [(0, 0), (0, 1)])
    assert abs(axx / txx - 1) < 4e-3
    assert abs(axy / txy - 1) < 2e-3
    assert abs(pxx - 2.0) < 0.3 and abs(pxy - 2.0) < 0.3
    # and the sKE itself is the closed-form Boltzmann / intrinsic value (independent of both codes)
    drude = 0.5 * ref.fermi_surface_integral(lambda kx, ky: ref.band_velocity(kx, ky, 1.5, 1)[0] ** 2,
                                             1.5, 1, 0.0, 0.8, (np.pi, np.pi))
    assert abs(txx / drude - 1) < 4e-3


@pytest.mark.slow
@pytest.mark.parametrize("m,t,mu", [(-1.5, 0.0, -0.8), (1.6, 0.3, 0.6)])
def test_held_out_bands_kubo_reaches_the_ske_conductivity(m, t, mu):
    """The lower band (m < 0, pocket at Gamma) and the tilted, anisotropic pocket (sigma_yy too)."""
    if t == 0.0:
        res = cross(QWZ(m=m), mu, 192, [(0, 0), (1, 1), (0, 1)])
    else:
        res = cross(tilted_qwz(m, t), mu, 192, [(0, 0), (1, 1), (0, 1)], ref.tilted_qwz_tight_binding(m, t))
    for (target, a, p), tol in zip(res, (2e-3, 2e-3, 1e-3)):
        assert abs(a / target - 1) < tol, (target, a, p)
        assert abs(p - 2.0) < 0.35, p
