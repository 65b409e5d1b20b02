"""The reproduce section of steady-state transport (default grids: slow)."""

from types import SimpleNamespace

import pytest

from berrykin.cli.reproduce import _row
from berrykin.cli.reproduce_transport import conductivity_dirac, drude_dirac


def test_drude_helper_is_the_closed_form():
    # n tau / m* with n = k_F^2/(4 pi), m* = |mu|: k_F^2 = 3 at m = 1, mu = 2
    assert abs(drude_dirac(1.0, 2.0, 5.0) - (3 / (4 * 3.141592653589793)) * 5.0 / 2.0) < 1e-15


@pytest.mark.slow
def test_reproduce_section_passes():
    rows, data, figs = conductivity_dirac(SimpleNamespace(quick=True), _row)
    assert len(rows) == 4 and all(r["passed"] for r in rows), rows
    assert len(data) == 2 and figs == {}
