"""Periodic space axes whose coefficients are not periodic (KineticSolver._check_seams).

Reference: the models' own symmetry. A domain wall n_z = -tanh(x/w) takes opposite values at
the two ends of a box symmetric about it, so with a spin-orbit coupling (rashba != 0) the band
velocities at x = -L and x = +L differ by O(1): a periodic x axis joins +z and -z domains at the
seam and must be announced. The canonical frame of a uniform field (p - a(r), a linear in r)
is not periodic either; its kinetic frame (no r dependence) and a bounded x axis are fine.
"""

from __future__ import annotations

import warnings

import pytest

from berrykin.errors import PeriodicityWarning
from berrykin.kinetic import (
    Axis,
    CanonicalFrame,
    CartesianMomentumGrid,
    KineticFrame,
    KineticSolver,
    PhaseSpaceGrid,
    SpaceGrid,
)
from berrykin.models import DomainWall, MassiveDirac2D, MinimalCoupling, TexturedFerromagnet2D, UniformMagneticField

MOM = CartesianMomentumGrid.box(2, 2.0, 6)


def _warnings(frame, space):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        KineticSolver(frame, PhaseSpaceGrid(space, MOM)).prepare((0.0, 1.0))
    return [w for w in rec if issubclass(w.category, PeriodicityWarning)]


def test_domain_wall_in_a_periodic_box_is_announced_on_x_only():
    model = TexturedFerromagnet2D(exchange=1.0, rashba=0.4, texture=DomainWall(width=1.0))
    got = _warnings(CanonicalFrame(model), SpaceGrid.box(2, 6.0, 5, periodic=True))
    assert len(got) == 1
    msg = str(got[0].message)
    assert "space axis 0 (x)" in msg and "-6" in msg and "periodic=False" in msg


def test_domain_wall_on_a_bounded_x_axis_is_not_announced():
    model = TexturedFerromagnet2D(exchange=1.0, rashba=0.4, texture=DomainWall(width=1.0))
    space = SpaceGrid((Axis.uniform("x", -6.0, 6.0, 5), Axis.uniform("y", -6.0, 6.0, 5, periodic=True)))
    assert _warnings(CanonicalFrame(model), space) == []


@pytest.mark.parametrize("frame_cls, expected", [(CanonicalFrame, 2), (KineticFrame, 0)])
def test_uniform_field_canonical_frame_on_a_periodic_box(frame_cls, expected):
    frame = frame_cls(MinimalCoupling(MassiveDirac2D(m=0.8), UniformMagneticField(b=0.3)))
    assert len(_warnings(frame, SpaceGrid.box(2, 5.0, 4, periodic=True))) == expected
