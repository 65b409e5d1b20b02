"""Thouless pump from the sKE (Eq. 30 current integrated in time) versus the exact evolution.

References: the exact Magnus evolution of the filled Rice-Mele band
(:func:`berrykin.quantum.pump.thouless_pump`, independent of the semiclassics) and the FHS Chern
number on the (p_x, t) torus (:func:`berrykin.chern_number`). Sign chain (docs/conventions.md,
tests/test_quantum_pump.py): Q > 0 is transport towards +x, and
``Q -> C = -chern_number(model, plane=('p_x', 't')).chern = +1`` for the default RiceMele.
"""

from __future__ import annotations

import importlib
import functools

import numpy as np
import pytest

import berrykin
from berrykin.errors import ParameterError
from berrykin.experiments.pump import exact_pump_charge, pump
from berrykin.kinetic import SKETerms
from berrykin.models import QWZ, RiceMele


@functools.lru_cache(maxsize=None)
def _chern(T):
    flux = berrykin.chern_number(RiceMele(period=T), plane=("p_x", "t"), bounds=(None, (0.0, T)), shape=(24, 24))
    assert flux.closed
    return -flux.nearest_integer


@functools.lru_cache(maxsize=None)
def _ske(T, terms=None, samples=32, cycles=1):
    return pump(RiceMele(period=T), n_k=32, samples=samples, terms=terms, cycles=cycles)


def test_ske_pump_equals_exact_for_slow_drives_and_both_approach_chern():
    """sKE charge per cycle: |Q_sKE - C| < 1e-5 (measured 2.6e-7, the k and t quadratures).
    Exact (smooth loop, current integral): |Q - C| = 2.4e-2 at T = 20, 2.5e-6 at T = 200;
    |Q_exact - Q_sKE| < 1e-3 for T >= 100 (measured 2.1e-4 at T = 100, 2.8e-6 at T = 200)."""
    T = 100.0
    C = _chern(20.0)
    assert C == 1
    r = _ske(T)
    assert abs(r.charge_per_cycle - C) < 1e-5
    exact = {Tp: exact_pump_charge(RiceMele(period=Tp), n_k=32) for Tp in (20.0, 100.0, 200.0)}
    assert abs(exact[100.0] - r.charge_per_cycle) < 1e-3 and abs(exact[200.0] - r.charge_per_cycle) < 1e-5
    assert abs(exact[200.0] - C) < 1e-5 < abs(exact[20.0] - C)
    # the filled band stays filled (no r dependence: pdot = 0) and the ledger closes
    assert np.allclose(r.density, [0.0, 1.0], atol=1e-14) and r.ledger_residual < 1e-12
    assert np.max(np.abs(r.current_band[:, 0])) < 1e-15   # the empty band carries nothing


def test_pump_comes_from_the_anomalous_velocity_not_interband_terms():
    """In the homogeneous 1D reduction F = F_rp = 0: the wave-packet preset (no interband, no
    n_z terms) pumps exactly the same charge per time step as the full sKE."""
    full = _ske(100.0)
    wp = _ske(100.0, SKETerms.wave_packet())
    assert np.allclose(full.current, wp.current, rtol=0, atol=1e-15)


def test_pump_result_dataset_and_bad_input():
    r = _ske(100.0)
    ds = r.to_dataset()
    assert ds.attrs["experiment"] == "pump" and float(ds["charge_per_cycle"]) == r.charge_per_cycle
    assert ds["current"].shape == (33,) and ds["current_band"].shape == (33, 2)
    # j(t) > 0 on average: transport towards +x; trapezoid of the stored series = the charge
    j, t = ds["current"].values, ds["time"].values
    assert np.isclose(0.5 * np.sum((j[1:] + j[:-1]) * np.diff(t)), r.charge) and r.charge > 0
    # mu in the gap at T = 0: the Fermi-Dirac initial state is the filled lower band
    assert abs(pump(RiceMele(period=100.0), n_k=32, samples=32, mu=0.0).charge - r.charge) < 1e-12
    with pytest.raises(ParameterError):
        pump(QWZ(m=1.0))
    with pytest.raises(ParameterError):
        pump(RiceMele(), period=-1.0)
    with pytest.raises(ParameterError):
        pump(RiceMele(), cycles=0)
    with pytest.raises(ParameterError):
        exact_pump_charge(RiceMele(), cycles=1.5)


@pytest.mark.slow
def test_ske_charge_is_period_independent_and_boltzmann_pumps_nothing():
    """Two cycles at T = 20 (far from adiabatic for the exact evolution) still give C per cycle in
    the sKE (it is the adiabatic limit), converging spectrally in n_k; the Boltzmann preset (no
    anomalous velocity) pumps nothing."""
    r = pump(RiceMele(period=20.0), n_k=48, samples=32, cycles=2)
    assert abs(r.charge_per_cycle - 1.0) < 1e-6   # measured 4.4e-8 (32 samples per cycle)
    b = pump(RiceMele(period=20.0), n_k=32, samples=32, terms=SKETerms.boltzmann())
    assert abs(b.charge) < 1e-12


@pytest.mark.slow
def test_docstring_examples():
    import doctest

    mod = importlib.import_module("berrykin.experiments.pump")  # the package attribute is the function

    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
