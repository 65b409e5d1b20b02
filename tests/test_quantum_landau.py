"""Landau levels: oscillator basis vs closed forms, and semiclassical (Onsager) quantisation.

Closed forms (derived in :mod:`berrykin.quantum.landau`): massive Dirac ``E = +-sqrt(m^2 +
2|b|n)`` plus ``E_0 = m sgn(b)``; Weyl ``+-sqrt(p_z^2 + 2|b|n)`` plus ``E_0 = chi p_z sgn(b)``
(Eq. 53, ERRATA 7). The Onsager comparison uses ``berrykin.geometry`` (B_k, M_k, band energies)
-- allowed here, never inside ``berrykin.quantum``.

Onsager rule used (derived for these rotationally symmetric bands, hbar = e = 1): an orbit of
radius k of band s encloses the k-space area ``S = pi k^2`` and its counter-clockwise Berry phase
is ``Gamma_s = q_s Int_{disk} B_kz d^2k``; the real-space action is ``s S/|b|`` (electron-like
upper band, hole-like lower band) and the orbit runs clockwise (upper band) or counter-clockwise
(lower band) for b > 0, which together give

    S(k) - b Gamma_s(k) = 2 pi |b| (n + 1/2),   E = eps_s(k) - M_k . b   (Eq. 35, ERRATA 5).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.observables.onsager import onsager_level  # the rule of the module docstring
from berrykin.models import MassiveDirac2D, TexturedFerromagnet2D, TwoBandModel, Uniform, Weyl3D
from berrykin.quantum import (
    dirac_landau_levels,
    landau_levels,
    oscillator_hamiltonian,
    polynomial_symbol,
    weyl_landau_levels,
)

TOL = 1e-10


def match_window(numerical, closed, emax):
    """Both level lists restricted to |E| < emax, sorted; they must have equal length."""
    a = np.sort(numerical[np.abs(numerical) < emax])
    b = np.sort(closed[np.abs(closed) < emax])
    assert a.size == b.size, (a.size, b.size)
    return np.max(np.abs(a - b))


@pytest.mark.parametrize("m,b,v", [(1.0, 0.3, 1.0), (1.0, -0.3, 1.0), (-0.7, 0.2, 1.3), (-0.7, -0.2, 0.8)])
def test_dirac_oscillator_basis_matches_closed_form(m, b, v):
    """All levels with n <= 30 (both branches and the zero mode), to 1e-10; the zero mode sits
    at ``m v^2 sgn(b)``."""
    num = landau_levels(MassiveDirac2D(m=m, v=v), b, n_oscillators=64)
    exact = dirac_landau_levels(m, b, n_max=120, v=v)
    emax = math.sqrt(m**2 * v**4 + 2 * abs(b) * v * v * 30.5)
    assert match_window(num.energies, exact.energies, emax) < TOL
    zero = exact.energies[exact.index == 0]
    assert zero.size == 1 and zero[0] == pytest.approx(m * v * v * math.copysign(1, b), abs=1e-15)
    assert np.min(np.abs(num.energies - zero[0])) < TOL
    assert num.max_change < TOL
    ds = num.to_dataset()
    assert ds.sizes["level"] == num.energies.size and ds.attrs["b"] == b


def test_truncation_leaves_one_spurious_state_that_is_discarded():
    """A naive truncation of the oscillator basis has an extra level at ``-m sgn(b)`` (the lone
    top state of the other spinor component); the edge-weight filter drops it and no physical
    level."""
    m, b, n = 0.9, 0.25, 40
    C = polynomial_symbol(MassiveDirac2D(m=m))
    raw = np.linalg.eigvalsh(oscillator_hamiltonian(C, b, n))
    exact = dirac_landau_levels(m, b, n_max=200).energies
    dist = np.min(np.abs(raw[:, None] - exact[None, :]), axis=1)
    spurious = raw[dist > 1e-8]
    assert spurious.size == 1 and abs(spurious[0] + m) < 1e-12
    kept = landau_levels(MassiveDirac2D(m=m), b, n_oscillators=n).energies
    assert np.min(np.abs(kept + m)) > 1e-3


@pytest.mark.parametrize("chi", [1, -1])
@pytest.mark.parametrize("b", [0.4, -0.4])
def test_weyl_levels_and_chiral_branch(chi, b):
    """Weyl node at fixed p_z: all levels n <= 20 to 1e-10 and the chiral branch
    ``E_0 = chi p_z sgn(b)`` (ERRATA 7: right-handed, b > 0: E_0 = +p_z)."""
    for pz in (0.5, -0.3, 1.7):
        num = landau_levels(Weyl3D(chirality=chi), b, p_z=pz, n_oscillators=48)
        exact = weyl_landau_levels(pz, b, n_max=100, chirality=chi)
        emax = math.sqrt(pz * pz + 2 * abs(b) * 20.5)
        assert match_window(num.energies, exact.energies, emax) < TOL
        e0 = chi * pz * math.copysign(1, b)
        assert exact.energies[exact.index == 0][0] == pytest.approx(e0, abs=1e-15)
        assert np.min(np.abs(num.energies - e0)) < TOL


def test_quadratic_symbol_weyl_ordering():
    """Degree-2 symbols: ``K^2/(2M) + sigma.K + m sigma_z`` has (by the 2x2 blocks)
    ``E = |b| n/M +- sqrt((m + b/(2M))^2 + 2|b|n)`` and ``E_0 = m sgn(b) + |b|/(2M)``."""
    m, M = 0.6, 0.8

    def eps(r, p, t, P):
        return (p[0] ** 2 + p[1] ** 2) / P["M"]

    def gap(r, p, t, P):
        import jax.numpy as jnp

        return 2 * jnp.stack([p[0], p[1], P["m"] + 0 * p[0]])

    model = TwoBandModel(2, eps, gap, params={"m": m, "M": M}, depends_on_r=False)
    for b in (0.3, -0.3):
        n = np.arange(1, 200)
        root = np.sqrt((m + b / (2 * M)) ** 2 + 2 * abs(b) * n)
        exact = np.concatenate([[m * math.copysign(1, b) + abs(b) / (2 * M)],
                                abs(b) * n / M + root, abs(b) * n / M - root])
        num = landau_levels(model, b, n_oscillators=80)
        assert match_window(num.energies, exact, 6.0) < 1e-9


def test_landau_levels_validation():
    with pytest.raises(ParameterError, match="b"):
        landau_levels(MassiveDirac2D(), 0.0)
    with pytest.raises(ParameterError, match="model"):
        landau_levels(TexturedFerromagnet2D(), 0.2)          # a skyrmion: depends on r
    lev = landau_levels(TexturedFerromagnet2D(texture=Uniform()), 0.2, n_oscillators=48)
    assert lev.energies.size > 10
    with pytest.raises(ParameterError, match="chirality"):
        weyl_landau_levels(0.1, 0.2, chirality=2)


# -- semiclassical (Onsager) quantisation with berrykin.geometry -------------------------------
def onsager_errors(model, exact_fn, bs, **kw):
    """|Onsager - nearest exact level| for bands +-1, n = 0, 1, 2 at each b: (len(bs), 6)."""
    out = []
    for b in bs:
        exact = exact_fn(b).energies
        out.append([np.min(np.abs(exact - onsager_level(model, s, n, b, **kw)))
                    for s in (1, -1) for n in range(3)])
    return np.array(out)


BS = np.array([0.001, 0.002, 0.004, 0.008])


@pytest.mark.parametrize("m,sign_b", [(1.0, 1), (1.0, -1), (-1.0, 1)])
def test_onsager_with_berry_phase_and_moment_differs_at_order_b_squared(m, sign_b):
    """Onsager + Berry phase + magnetic moment reproduces every level (n = 0, 1, 2 of both bands,
    including the zero mode) with an error ~ b^2 (fitted exponent 2 +- 0.1; the leading term is
    ``m^2 b^2/(8 E^5)``); without the moment the exponent is 1."""
    model = MassiveDirac2D(m=m)
    bs = sign_b * BS
    exact = lambda b: dirac_landau_levels(m, b, n_max=10)
    err = onsager_errors(model, exact, bs)
    slopes = [np.polyfit(np.log(BS), np.log(err[:, j]), 1)[0] for j in range(err.shape[1])]
    assert np.all(np.abs(np.array(slopes) - 2.0) < 0.1), slopes
    assert np.max(err[0]) < 2e-7
    no_moment = onsager_errors(model, exact, bs[:2], moment=False)
    slope1 = np.log(no_moment[1] / no_moment[0]) / math.log(2)
    assert np.all(np.abs(slope1 - 1.0) < 0.1) and np.min(no_moment[0]) > 1e-4
    # the zero mode: band sgn(b m), n = 0 lands on E_0 = m sgn(b) (ERRATA 5)
    s0 = int(math.copysign(1, bs[0] * m))
    assert abs(onsager_level(model, s0, 0, bs[0]) - m * math.copysign(1, bs[0])) < 1e-6


def test_onsager_at_fixed_energy_needs_the_berry_phase():
    """At fixed energy (E ~ 1.5 |m|, n ~ 1/b) the orbit encloses a finite Berry flux: with the
    Berry phase the error is still O(b^2); without it the levels are off by a finite fraction of
    the spacing, O(b). (At fixed n the orbit shrinks and the Berry phase is only an O(b^2)
    correction, which is why the test above cannot see it.)"""
    m, E = 1.0, 1.5
    bs = np.array([0.002, 0.004, 0.008])
    model = MassiveDirac2D(m=m)
    err = {True: [], False: []}
    for b in bs:
        n = int(round((E * E - m * m) / (2 * b)))
        exact = dirac_landau_levels(m, b, n_max=n + 10).energies
        for berry in (True, False):
            err[berry].append(np.min(np.abs(exact - onsager_level(model, 1, n, b, berry=berry))))
    with_berry = np.polyfit(np.log(bs), np.log(err[True]), 1)[0]
    without = np.polyfit(np.log(bs), np.log(err[False]), 1)[0]
    assert abs(with_berry - 2.0) < 0.15, err
    assert abs(without - 1.0) < 0.15 and np.min(np.array(err[False]) / bs) > 0.05, err


def test_onsager_weyl_slice():
    """A Weyl node at p_z = 0.8 (chirality -1): the same O(b^2) agreement in the k_z slice."""
    model, pz = Weyl3D(chirality=-1), 0.8
    err = onsager_errors(model, lambda b: weyl_landau_levels(pz, b, n_max=10, chirality=-1), BS[::2], pz=pz)
    slopes = np.log(err[1] / err[0]) / math.log(4)
    assert np.all(np.abs(slopes - 2.0) < 0.1), slopes
