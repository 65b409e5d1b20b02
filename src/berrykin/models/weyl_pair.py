"""A pair of Weyl nodes of opposite chirality (the minimal Weyl semimetal; issue 9, docs/transport.md).

A :class:`WeylPair` is not a two-band model: it is the container of two two-band models, one per
node, that the kinetic code (:class:`~berrykin.kinetic.internode.NodePairSolver`) puts on two
momentum grids of one solver and couples by internode scattering. Node ``chi = +-1`` is

    H_chi = E_chi + chi v sigma . q,      q = k - K_chi,

i.e. ``eps = 2 E_chi``, ``Delta = 2 chi v q`` (tau = sigma/2), bands ``E_chi +- v|q|`` and the
momentum Berry field ``B_k = chi q/|q|^3`` (a monopole of charge ``chi``). Each node is a
:class:`WeylNode` in its own momentum ``q`` measured from the node. The node positions
``K_+ = +separation/2``, ``K_- = -separation/2`` do not enter the homogeneous sKE in uniform
fields (the forces do not depend on k, only on the velocities), so each node's grid is centred on
the node; they are kept for the record and for lattice comparisons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError
from .base import Model, check_finite

__all__ = ["WeylNode", "WeylPair"]


@dataclass(frozen=True)
class WeylNode(Model):
    """One Weyl node in the momentum ``q`` from the node: ``H = energy + chirality v sigma . q``.

    ``eps = 2 energy``, ``Delta = 2 chirality v q``; bands ``energy +- v|q|``; ``B_k = chirality
    q/|q|^3``. With ``energy = 0`` it is :class:`~berrykin.models.Weyl3D`.
    """

    chirality: float = 1.0
    v: float = 1.0
    energy: float = 0.0
    dim: ClassVar[int] = 3

    def __post_init__(self):
        if self.chirality not in (1, -1):
            raise ParameterError("chirality", self.chirality, "+1 or -1")
        # a float: a run-time parameter of the compiled coefficients (both nodes, one compilation)
        object.__setattr__(self, "chirality", float(self.chirality))
        for name in ("v", "energy"):
            object.__setattr__(self, name, check_finite(name, getattr(self, name)))
        if self.v <= 0:
            raise ParameterError("v", self.v, "a velocity > 0")

    def eps(self, r, p, t):
        return 2.0 * self.energy + 0.0 * p[0]

    def gap(self, r, p, t):
        return 2.0 * self.chirality * self.v * p


@dataclass(frozen=True)
class WeylPair:
    """Two Weyl nodes of opposite chirality with a common velocity ``v`` (module docstring).

    Attributes
    ----------
    v : Fermi velocity (energy x length, hbar = 1), > 0.
    energy_plus, energy_minus : node energies ``E_+``, ``E_-`` (energy units; default 0).
    separation : ``K_+ - K_-`` (3-vector, 1/length): bookkeeping only in uniform fields.

    >>> pair = WeylPair(v=1.0)
    >>> [(n.chirality, n.energy) for n in pair.nodes()]
    [(1.0, 0.0), (-1.0, 0.0)]
    >>> round(pair.density_of_states(1.0)[0] * 2 * math.pi ** 2, 12)   # mu^2/(2 pi^2 v^3)
    1.0
    """

    v: float = 1.0
    energy_plus: float = 0.0
    energy_minus: float = 0.0
    separation: tuple = (0.0, 0.0, 0.0)
    dim: ClassVar[int] = 3
    chiralities: ClassVar[tuple] = (1, -1)
    depends_on_r: ClassVar[bool] = False
    momentum_period: ClassVar[None] = None

    def __post_init__(self):
        for name in ("v", "energy_plus", "energy_minus"):
            object.__setattr__(self, name, check_finite(name, getattr(self, name)))
        if self.v <= 0:
            raise ParameterError("v", self.v, "a velocity > 0")
        sep = tuple(check_finite("separation", x) for x in np.ravel(self.separation))
        if len(sep) != 3:
            raise ParameterError("separation", self.separation, "a 3-vector")
        object.__setattr__(self, "separation", sep)

    @property
    def energies(self) -> tuple:
        """``(E_+, E_-)``, in the order of :attr:`chiralities`."""
        return (self.energy_plus, self.energy_minus)

    def nodes(self) -> tuple:
        """The two :class:`WeylNode` models, chirality +1 first."""
        return tuple(WeylNode(c, self.v, e) for c, e in zip(self.chiralities, self.energies))

    def positions(self) -> tuple:
        """``(K_+, K_-) = (+separation/2, -separation/2)``."""
        s = np.asarray(self.separation)
        return (tuple(0.5 * s), tuple(-0.5 * s))

    def density_of_states(self, mu, T=0.0) -> tuple:
        """Per node ``g_chi = ((mu - E_chi)^2 + pi^2 T^2/3)/(2 pi^2 v^3)`` (states per energy and
        volume, both bands of the cone; exact for the linear cone at any T)."""
        mu, T = float(mu), float(T)
        return tuple(((mu - e) ** 2 + math.pi ** 2 * T * T / 3.0) / (2.0 * math.pi ** 2 * self.v ** 3)
                     for e in self.energies)

    def fermi_momenta(self, mu) -> tuple:
        """``|mu - E_chi|/v`` per node (0 at a node energy)."""
        return tuple(abs(float(mu) - e) / self.v for e in self.energies)

    @property
    def parameters(self) -> dict:
        return {"v": self.v, "energy_plus": self.energy_plus, "energy_minus": self.energy_minus,
                "separation": self.separation}
