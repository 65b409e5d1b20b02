"""The docstring examples of the kinetic, observables and experiments modules run."""

from __future__ import annotations

import doctest

import pytest

import berrykin.kinetic.frames
import berrykin.kinetic.grids.cartesian
import berrykin.kinetic.grids.curvilinear
import berrykin.kinetic.grids.phase_space
import berrykin.kinetic.initial
import berrykin.kinetic.options
import berrykin.kinetic.solver
import berrykin.observables.density


@pytest.mark.parametrize("module", [
    berrykin.kinetic.grids.cartesian, berrykin.kinetic.grids.curvilinear, berrykin.kinetic.grids.phase_space,
    berrykin.kinetic.options, berrykin.kinetic.frames, berrykin.kinetic.solver,
    berrykin.kinetic.initial, berrykin.observables.density,
])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
