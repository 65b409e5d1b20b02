"""The semiclassics-versus-exact report and the Onsager levels it uses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.experiments.validation import validation_report
from berrykin.models import MassiveDirac2D, Weyl3D
from berrykin.observables.onsager import onsager_level


@pytest.mark.parametrize("m,b", [(1.0, 0.004), (-0.7, 0.003), (0.8, -0.002)])
def test_onsager_levels_against_closed_form_at_order_b_squared(m, b):
    """Onsager + Berry phase + moment vs E_n = +-sqrt(m^2 + 2|b|n) (n >= 1) and the zero mode
    m sgn(b) (quantum/landau docstring): the error is O(b^2) — halving b divides it by ~4."""
    def err(bb):
        out = []
        for s in (1, -1):
            for n in range(3):
                e = onsager_level(MassiveDirac2D(m=m), s, n, bb)
                exact = [m * math.copysign(1, bb)] + [t * math.sqrt(m * m + 2 * abs(bb) * k)
                                                      for k in range(1, 6) for t in (1, -1)]
                out.append(min(abs(e - x) for x in exact))
        return max(out)

    e1, e2 = err(b), err(b / 2)
    assert e1 < 2 * b * b / abs(m) ** 3
    assert 3.0 < e1 / e2 < 5.0


def test_onsager_without_moment_is_first_order_off():
    """Dropping the orbital moment shift leaves an O(b) error (the moment term is M_k b)."""
    b = 0.004
    e = onsager_level(MassiveDirac2D(m=1.0), 1, 1, b, moment=False)
    assert abs(e - math.sqrt(1 + 2 * b)) > 0.2 * b


def test_onsager_weyl_chiral_branch_sign():
    """Weyl node at p_z: n = 0 orbit of the band that carries the chiral level E_0 = chi p_z sgn(b)."""
    b, pz = 0.002, 0.5
    levels = [onsager_level(Weyl3D(chirality=1), s, 0, b, pz=pz) for s in (1, -1)]
    assert min(abs(x - pz) for x in levels) < 10 * b * b / pz**3


def test_onsager_errors():
    with pytest.raises(ParameterError, match="band"):
        onsager_level(MassiveDirac2D(), 0, 0, 0.1)
    with pytest.raises(ParameterError, match="b"):
        onsager_level(MassiveDirac2D(), 1, 0, 0.0)


def test_validation_report_rows_pass_and_convert():
    rep = validation_report(quick=True, cases=["landau", "thouless_pump"])
    assert rep.rows and rep.passed
    names = {r.case for r in rep.rows}
    assert any(n.startswith("landau") for n in names) and any(n.startswith("thouless") for n in names)
    for r in rep.rows:
        assert abs(r.difference) <= r.tolerance and r.parameter
    pump = [r for r in rep.rows if r.case.startswith("thouless_pump_chern")][0]
    assert pump.semiclassical == 1.0  # -(k, t) Chern number of the default Rice-Mele
    ds = rep.to_dataset()
    np.testing.assert_allclose(ds["difference"].values, [r.difference for r in rep.rows])
    assert rep.figure().axes[0].tables
    with pytest.raises(ParameterError, match="cases"):
        validation_report(cases=["nope"])


@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
def test_weyl_lattice_exact_rate_agrees_with_ske_anomaly():
    """Issue acceptance: the exact lattice pumping rate (magnetic Bloch evolution, flux 1/16) and
    the sKE anomaly of a continuum node agree within 2%, both equal to b e/(4 pi^2) per node."""
    rep = validation_report(quick=True, cases=["weyl_anomaly"])
    assert len(rep.rows) == 2 and rep.passed
    for r in rep.rows:
        ref = 0.05 * (2 * math.pi / 16) / (4 * math.pi**2)
        assert abs(r.exact - ref) < 0.02 * ref and abs(r.semiclassical - ref) < 0.02 * ref


@pytest.mark.slow
def test_hofstadter_streda_equals_ske_nu():
    """Exact Hofstadter-Streda coefficient (flux 1/40) = sKE nu on the BZ = -C_lower (ERRATA 9)."""
    rep = validation_report(quick=True, cases=["hofstadter_streda"])
    expected = {1.0: 1.0, -3.0: 0.0}
    for r in rep.rows:
        m = float(r.case.split("_m")[1])
        assert abs(r.exact - expected[m]) < 1e-6 and abs(r.semiclassical - expected[m]) < 1e-3
