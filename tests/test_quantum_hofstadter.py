"""Hofstadter-Streda for QWZ: magnetic Bloch reduction vs dense real space, and the Streda
coefficient vs berrykin's Chern number.

Sign chain (see berrykin.conventions and berrykin.quantum.hofstadter): hbar = e = 1 with the
charge absorbed (b = eB); hoppings carry exp(-i Int a.dl) (minimal coupling p -> p - a, checked
in test_quantum_tight_binding); b > 0 is flux +p/q per plaquette counter-clockwise in the (x, y)
plane; Streda: delta rho = nu delta b/(2 pi) (paper Eq. 45 with errata 3, 4), rho counting the
filled states. Expected (ERRATA choice 9): nu = -C_lower with C_lower = (1/2 pi) Int q_{-1} F
from berrykin.chern_number(..., band=-1), i.e. nu = 0, -1, +1, 0 for m = -3, -1, 1, 3.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import berrykin
from berrykin.errors import ParameterError
from berrykin.models import QWZ
from berrykin.quantum import (
    LandauGauge,
    filled_bands,
    hofstadter_bands,
    magnetic_bloch_hamiltonian,
    real_space_hamiltonian,
    streda_coefficient,
    tknn_diophantine,
)


@pytest.mark.parametrize("m", [-3.0, -1.0, 1.0, 3.0])
def test_streda_coefficient_equals_minus_chern_lower(m):
    """Flux 1/40 (and -1/20, 2/41) against zero flux, Fermi level 0 in the gap: nu is an integer
    to 1e-6 (exactly, by counting), equals the TKNN t and -C_lower from berrykin.geometry."""
    c_lower = berrykin.chern_number(QWZ(m=m), shape=(40, 40)).chern
    assert abs(c_lower - round(c_lower)) < 1e-9
    for flux in (Fraction(1, 40), Fraction(-1, 20), Fraction(2, 41)):
        res = streda_coefficient(QWZ(m=m), flux, k_points=(3, 3))
        assert abs(res.coefficient - round(res.coefficient)) < 1e-6
        assert res.nearest_integer == -round(c_lower)
        assert res.diophantine == (1, res.nearest_integer)
        assert res.at_flux.gap[1] - res.at_flux.gap[0] > 0.3       # a real gap around E = 0
    ds = res.to_dataset()
    assert ds.attrs["streda_coefficient"] == res.coefficient and ds.sizes["flux"] == 2


def test_streda_from_two_small_fluxes_and_conventions_table():
    """d rho/d phi between two non-zero fluxes gives the same integer; the result agrees with the
    berrykin row of the peer-convention table (QWZ m = 1: nu = +1)."""
    res = streda_coefficient(QWZ(m=1.0), Fraction(1, 30), reference_flux=Fraction(1, 60), k_points=(2, 2))
    assert res.coefficient == 1.0
    table = berrykin.conventions.PEER_CONVENTIONS
    assert table["berrykin nu (Hall coefficient, errata 4)"]["QWZ m=1"] == res.nearest_integer


@pytest.mark.parametrize("L,p,q", [(12, 1, 6), (10, 2, 5)])
def test_magnetic_bloch_spectrum_equals_dense_real_space(L, p, q):
    """The 2q x 2q magnetic Bloch spectra at the torus momenta (k_x = 2 pi j/L, j < L/q; k_y =
    2 pi l/L) are the dense real-space spectrum of an L x L torus in the Landau gauge, to 1e-12;
    the dense count below E = 0 gives the same Streda coefficient."""
    tb = QWZ(m=1.0).tight_binding()
    H = real_space_hamiltonian(tb, (L, L), field=LandauGauge.for_flux(p, q))
    E = np.linalg.eigvalsh(H)
    kx = 2 * np.pi * np.arange(L // q) / L
    ky = 2 * np.pi * np.arange(L) / L
    K = np.stack(np.meshgrid(kx, ky, indexing="ij"), axis=-1)
    Eb = np.sort(np.linalg.eigvalsh(magnetic_bloch_hamiltonian(tb, Fraction(p, q), K)).ravel())
    assert np.max(np.abs(E - Eb)) < 1e-12
    nu_dense = (np.sum(E < 0) / (L * L) - 1.0) / (p / q)
    assert nu_dense == pytest.approx(streda_coefficient(tb, Fraction(p, q)).coefficient, abs=1e-12)


def test_zero_flux_reduces_to_the_bloch_hamiltonian():
    tb = QWZ(m=-0.6).tight_binding()
    k = np.array([[0.3, -1.2], [2.0, 0.7]])
    assert np.allclose(magnetic_bloch_hamiltonian(tb, 0, k), tb.bloch_hamiltonian(k), atol=1e-15)
    E = hofstadter_bands(tb, Fraction(1, 3), (2, 3))
    assert E.shape == (2, 3, 6) and np.all(np.diff(E, axis=-1) >= 0)


def test_tknn_diophantine_and_errors():
    for r, p, q in [(41, 1, 40), (39, 1, 40), (43, 2, 41), (7, 3, 7), (5, 2, 7)]:
        s, t = tknn_diophantine(r, p, q)
        assert r == q * s + p * t and abs(t) <= q / 2
    with pytest.raises(ParameterError, match="fermi_level"):
        filled_bands(QWZ(m=1.0), Fraction(1, 5), fermi_level=-0.52)   # inside band 5 of 10
    with pytest.raises(ParameterError, match="flux"):
        streda_coefficient(QWZ(m=1.0), Fraction(0))
    with pytest.raises(ParameterError, match="system"):
        streda_coefficient(object(), Fraction(1, 3))


def test_reduced_flux_is_reported_not_silent():
    """Issue 12 item 9: a flux p/q with a common factor is reduced; the result says so. The
    reduced and unreduced forms are the same flux, so nu is the same (reference: -C_lower = 1
    for QWZ m = 1, berrykin's conventions table)."""
    plain = streda_coefficient(QWZ(m=1.0), Fraction(1, 20))
    given = streda_coefficient(QWZ(m=1.0), (2, 40))
    assert plain.flux_note == ""
    assert given.flux == Fraction(1, 20) and "2/40" in given.flux_note and "1/20" in given.flux_note
    assert given.nearest_integer == plain.nearest_integer == 1
    assert given.coefficient == plain.coefficient
    assert "1/20" in given.to_dataset().attrs["flux_note"]
    assert "0.05" in streda_coefficient(QWZ(m=1.0), 0.05).flux_note  # a float is rationalised
    with pytest.raises(ParameterError, match="Fraction"):
        streda_coefficient(QWZ(m=1.0), 0.1 + 1e-9)
