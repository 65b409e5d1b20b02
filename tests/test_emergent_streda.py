"""Real-space Streda response of a skyrmion lattice: emergent Landau levels vs exact magnetic
Bloch bands (issue 11, item 4; docs/skyrmion_sea.md)."""

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.models import LatticeTexturedFerromagnet2D
from berrykin.models.tight_binding import TightBinding
from berrykin.quantum import tknn_diophantine
from berrykin.quantum.lattice import LandauGauge
from berrykin.quantum.skyrmion_lattice import (lattice_skyrmion_number, skyrmion_lattice_bands,
                                               square_skyrmion_lattice, supercell_bloch_hamiltonian)


def _model(cells, exchange=4.0, offset=0.7):
    return LatticeTexturedFerromagnet2D(exchange=exchange, rashba=0.0, mass=1.0, lattice_constant=1.0,
                                        texture=square_skyrmion_lattice(cells, cells, offset=offset))


def test_chern_sign_against_tknn_diophantine():
    """The supercell Chern routine on the Hofstadter model (uniform b > 0, flux 1/q per plaquette,
    spin-degenerate square lattice): the lowest Hofstadter band (2q supercell bands) has
    nu = -C = 2 t with t from the TKNN Diophantine equation r = q s + p t (independent)."""
    q = 4
    tb = TightBinding.from_half(2.0 * np.eye(2), {(1, 0): -0.5 * np.eye(2), (0, 1): -0.5 * np.eye(2)},
                                dim=2, lattice_constant=1.0)
    res = skyrmion_lattice_bands(tb, q, n_bands=2 * q + 1, n_k=4, field=LandauGauge.for_flux(1, q))
    assert res.gaps[2 * q - 1] > 0.1                       # the lowest Hofstadter gap is open
    _, t = tknn_diophantine(1, 1, q)
    assert res.hall_index[2 * q - 1] == pytest.approx(2 * t, abs=1e-9)


def test_bloch_hamiltonian_is_periodic_in_the_magnetic_zone():
    """H(k + G) = H(k) (G = 2 pi/(L a)) and H(0) is the torus Hamiltonian: Hermitian."""
    m = _model(8)
    k = np.array([0.31, -0.17])
    G = 2 * np.pi / 8
    H, Hx, Hy = supercell_bloch_hamiltonian(m, 8, np.array([k, k + [G, 0.0], k + [0.0, G]]))
    np.testing.assert_allclose(Hx, H, atol=1e-12)
    np.testing.assert_allclose(Hy, H, atol=1e-12)
    np.testing.assert_allclose(H, H.conj().T, atol=1e-13)


def test_skyrmion_number_and_errors():
    m = _model(8)
    assert lattice_skyrmion_number(m, 8) == pytest.approx(-1.0, abs=1e-12)
    with pytest.raises(ParameterError, match="period"):
        skyrmion_lattice_bands(m, 6)                         # not the texture's period
    with pytest.raises(ParameterError, match="offset"):
        square_skyrmion_lattice(8, 8, offset=2.5)


def test_hall_indices_semiclassical_equal_exact_in_adiabatic_limit():
    """Strong exchange (J = 4 vs hopping 1/2), one skyrmion per 8 x 8 cell: every open gap at
    the bottom of the majority band has an integer exact Hall index -C equal to the emergent
    Landau-level index j sgn(Phi_em) (Phi_em = q_s 4 pi Q = -2 pi); the IDOS is j per cell."""
    from berrykin.experiments.emergent_streda import emergent_streda

    res = emergent_streda(_model(8), 8, n_gaps=4, n_k=6)
    assert res.flux == pytest.approx(-2 * np.pi, rel=5e-3)     # interpolated texture: O(h^2)
    assert res.open[0] and res.open[1] and res.open[3]
    for j in np.nonzero(res.open)[0]:
        assert res.nu_exact[j] == pytest.approx(round(res.nu_exact[j]), abs=1e-8)
        assert round(res.nu_exact[j]) == res.nu_semiclassical[j] == -(j + 1)
        assert res.idos_semiclassical[j] == pytest.approx(res.idos_exact[j], rel=5e-3)
    # Onsager levels + the O(hbar^2) geometric potential: band centres within 0.04 (LL spacing 0.1)
    np.testing.assert_allclose(res.level_onsager + res.geometric_shift, res.level_exact, atol=0.04)
    assert "nu exact" in res.table() and res.to_dataset()["nu_exact"].size == 4
