"""Internode (chirality-changing) scattering between the two nodes of a Weyl pair, and the solver
that steps both nodes together (issue 9; docs/transport.md, "Weyl pair").

Each node of a :class:`~berrykin.models.WeylPair` lives on its own homogeneous momentum grid, in
its own :class:`~berrykin.kinetic.KineticSolver` (frame, terms, scheme, boundary inflow and the
*intranode* collision operators such as :class:`~berrykin.kinetic.RelaxationTime`, which
conserve the density of each node). :class:`NodePairSolver` composes the two: the state is one
array ``n[s, node, *cells]`` (bands s = +1, -1; nodes in the order of the pair, chirality +1
first; both node grids of the same shape, their edges may differ), the right side is the two
node right sides plus the internode operator

    C^v_chi,s = -(n_chi,s - f_chi,s(mu_c))/tau_v,     sum_chi,s Int f_chi,s(mu_c) = sum_chi,s Int n_chi,s,

the relaxation of each node towards the equilibrium of the *common* chemical potential ``mu_c``
fixed by the total density of both nodes (cell-averaged occupations of
:class:`~berrykin.kinetic.CellOccupation`, the adiabatic state in a field b, the same
exact-conservation correction as :class:`~berrykin.kinetic.RelaxationTime`). Its integral over
both nodes is zero to round-off, so ``rho_+ + rho_-`` is conserved exactly, and to first order
about equilibrium the node densities obey

    d(rho_+ - rho_-)/dt = [anomaly and drive] - (rho_+ - rho_-)/tau_v

(for equal nodes: ``-(dmu_+ g - dmu_- g)/tau_v`` with ``mu_c`` unchanged), ``tau_v`` the
relaxation time of the chiral density. The intranode operators are blind to a shift of a node's
chemical potential, so only ``tau_v`` relaxes the chiral density. The internode operator also
relaxes the anisotropic part of each node: the momentum relaxation rate is ``1/tau + 1/tau_v``.

:class:`NodePairSolver` offers the interface of :class:`~berrykin.kinetic.KineticSolver` that
:func:`~berrykin.kinetic.evolve_to_steady` and :func:`~berrykin.kinetic.linear_response` use
(``rhs``, ``step``, ``max_dt``, ``prepare``, ``grid``, ``groups``, ``kinds``, the bound
collision operators), so both steady-state methods apply to the pair unchanged. Ledger: boundary
groups per node (``'+:k_outer'``, ``'-:k_outer'``, ...), the source kinds of the nodes (summed
over nodes) and the internode operator as its own kind (``name``, default ``'internode'``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from .collisions import CellOccupation
from .solver import _RK

__all__ = ["InternodeScattering", "NodePairSolver", "PairGrid"]


@dataclass(frozen=True)
class InternodeScattering:
    """Internode relaxation with time ``tau_v`` towards the common equilibrium (module docstring).

    Attributes
    ----------
    tau_v : relaxation time of the chiral density ``rho_+ - rho_-`` (1/energy, hbar = 1), > 0.
    T : temperature of the equilibrium (energy units, >= 0).
    order : Gauss points per axis of the cell averages (default 4).
    b : None or the uniform field ``b = eB`` (3-vector): equilibrium = the adiabatic state.
    energy_shift : with b, occupations of the corrected energies (as
        :class:`~berrykin.kinetic.RelaxationTime`).
    name : the ledger source kind.

    >>> InternodeScattering(50.0).rates
    (0.02, 0.02)
    """

    tau_v: float
    T: float = 0.0
    order: int | None = None
    b: float | tuple | None = None
    energy_shift: bool = False
    name: str = "internode"

    conserves_particles = True

    def __post_init__(self):
        v = float(self.tau_v)
        if not (math.isfinite(v) and v > 0):
            raise ParameterError("tau_v", self.tau_v, "a finite internode relaxation time > 0 (units 1/energy)")
        if not (math.isfinite(float(self.T)) and float(self.T) >= 0):
            raise ParameterError("T", self.T, "a temperature >= 0")
        if self.b is not None and np.ndim(self.b) != 0:
            object.__setattr__(self, "b", tuple(float(x) for x in np.ravel(self.b)))

    @property
    def rates(self):
        """``(1/tau_v, 1/tau_v)`` (both bands)."""
        return (1.0 / float(self.tau_v),) * 2

    def bind(self, pair):
        """The operator on the grids of a :class:`NodePairSolver`."""
        return _BoundInternode(self, pair)


class PairGrid:
    """The two node grids as one: ``shape = (2,) + node shape``; ``volumes()`` stacks the node
    cell volumes; ``integrate(n)`` sums over nodes and cells (leading axes kept); ``measure``
    ``(2 pi)^-3``."""

    def __init__(self, grids):
        self.grids = tuple(grids)
        shapes = {g.shape for g in self.grids}
        if len(self.grids) != 2 or len(shapes) != 1:
            raise ParameterError("grids", [g.shape for g in self.grids], "two node grids of the same shape")
        self.node_shape = self.grids[0].shape
        self.shape = (2,) + self.node_shape
        self.ndim = len(self.shape)
        self.dim = self.grids[0].dim
        self.measure = self.grids[0].measure
        self.size = int(np.prod(self.shape))
        self._vol = np.stack([np.broadcast_to(g.volumes(), self.node_shape) for g in self.grids])

    def volumes(self):
        return self._vol

    def integrate(self, n):
        lead = n.shape[: n.ndim - self.ndim]
        return (n.reshape(lead + (-1,)) @ self._vol.reshape(-1)).reshape(lead) if lead else float(np.sum(n * self._vol))


class _PairCollision:
    """The i-th intranode operator of both node solvers seen as one operator on the pair state
    (per-node ``local_mu``; ``linear``/``conserved_modes`` at a common or per-node mu)."""

    def __init__(self, ops):
        self.ops = tuple(ops)
        self.spec = ops[0].spec
        self.name = ops[0].name
        self.max_rate = max(op.max_rate for op in ops)

    def _mus(self, mu):
        mu = np.asarray(mu, dtype=float)
        return (float(mu),) * 2 if mu.ndim == 0 else tuple(map(float, mu))

    def local_mu(self, n):
        return np.array([op.local_mu(n[:, i]) for i, op in enumerate(self.ops)])

    def rate(self, n):
        return np.stack([op.rate(n[:, i]) for i, op in enumerate(self.ops)], axis=1)

    def linear(self, v, mu):
        return np.stack([op.linear(v[:, i], m) for i, (op, m) in enumerate(zip(self.ops, self._mus(mu)))], axis=1)

    def conserved_modes(self, mu):
        modes = [op.conserved_modes(m) for op, m in zip(self.ops, self._mus(mu))]
        return None if any(m is None for m in modes) else np.stack(modes, axis=1)


class _BoundInternode:
    """:class:`InternodeScattering` bound to a pair: ``rate``, ``linear``, ``conserved_modes``,
    ``local_mu`` (the common mu), ``node_rates`` (per node and band)."""

    def __init__(self, spec, pair):
        self.spec, self.name = spec, spec.name
        self.occ = [CellOccupation(s.frame.bare_model, s.grid, spec.T, spec.order, spec.b, spec.energy_shift) for s in pair.solvers]
        self.vol = pair.grid.volumes() * pair.grid.measure
        self.nu = 1.0 / float(spec.tau_v)
        self.max_rate = self.nu

    def _total(self, a):
        return float(np.sum(a * self.vol))

    def _f(self, mu):
        return np.stack([o(mu) for o in self.occ], axis=1)

    def _df(self, mu):
        return np.stack([o.dmu(mu) for o in self.occ], axis=1)

    def local_mu(self, n):
        """The common chemical potential of the total density of ``n`` (bracketed root find)."""
        from scipy.optimize import brentq

        lo = min(o.bracket()[0] for o in self.occ)
        hi = max(o.bracket()[1] for o in self.occ)
        rho = lambda m: self._total(self._f(m) - n)  # noqa: E731
        flo, fhi = rho(lo), rho(hi)
        if flo > 0 or fhi < 0:
            raise ParameterError("n", f"density {self._total(n):.6g}", "a density between the empty and the filled grids")
        if flo == 0:
            return lo
        if fhi == 0:
            return hi
        return brentq(rho, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)

    def equilibrium(self, n):
        """``f(mu_c)`` on both nodes, corrected so that its total equals that of ``n`` to round-off."""
        mu = self.local_mu(n)
        f, df = self._f(mu), self._df(mu)
        mismatch, slope = self._total(n - f), self._total(df)
        if slope > 0:
            return f + df * (mismatch / slope)
        return f + mismatch / self._total(np.ones_like(n))

    def rate(self, n):
        """``C^v[n]``, shape of ``n`` (2, 2, *cells)."""
        return -self.nu * (n - self.equilibrium(n))

    def node_rates(self, n):
        """Particles moved into each node and band per time, (2 nodes, 2 bands); sums to 0."""
        C = self.rate(n) * self.vol
        return np.moveaxis(C.reshape(C.shape[:2] + (-1,)).sum(axis=-1), 0, 1)

    def linear(self, v, mu):
        """Derivative at the equilibrium of ``mu``: ``-(v - d_mu f Int v / Int d_mu f)/tau_v``."""
        mu = float(np.mean(mu))
        df = self._df(mu)
        slope = self._total(df)
        dm = self._total(v) / slope if slope > 0 else 0.0
        return -self.nu * (v - df * dm)

    def conserved_modes(self, mu):
        """The common shift of the chemical potential, ``d_mu f`` on both nodes."""
        return self._df(float(np.mean(mu)))


class NodePairSolver:
    """Two :class:`~berrykin.kinetic.KineticSolver` (one per node, homogeneous grids of one shape,
    the same scheme and source kinds) stepped together and coupled by ``internode``
    (:class:`InternodeScattering` or None). State ``n`` of shape ``(2, 2) + node shape``
    (band, node, cells). ``tags`` name the nodes in the ledger groups (default ``('+', '-')``)."""

    def __init__(self, solvers, internode=None, tags=("+", "-")):
        self.solvers = tuple(solvers)
        if len(self.solvers) != 2 or any(s.n_space for s in self.solvers):
            raise ParameterError("solvers", solvers, "two KineticSolvers on homogeneous (momentum) grids")
        a, b = self.solvers
        if a.kinds != b.kinds or a.scheme != b.scheme:
            raise ParameterError("solvers", solvers, "node solvers with the same scheme and collision operators")
        self.grid = PairGrid([s.grid for s in self.solvers])
        self.scheme = a.scheme
        self.n_space = 0
        self.tags = tuple(tags)
        self.inflow = None if all(s.inflow is None for s in self.solvers) else tuple(s.inflow for s in self.solvers)
        self.internode = internode
        self.groups = tuple(f"{t}:{g}" for t, s in zip(self.tags, self.solvers) for g in s.groups)
        self._bound = tuple(_PairCollision(ops) for ops in zip(a._bound, b._bound))
        extra = ()
        if internode is not None:
            self._bound += (internode.bind(self),)
            extra = (internode.name,)
        self.kinds = a.kinds + extra
        if len(set(self.kinds)) != len(self.kinds):
            raise ParameterError("internode", internode, f"an operator name other than {a.kinds}")
        self.collisions = a.collisions + ((internode,) if internode is not None else ())

    @property
    def internode_operator(self):
        """The bound internode operator (or None)."""
        return self._bound[-1] if self.internode is not None else None

    def prepare(self, t_span):
        for s in self.solvers:
            s.prepare(t_span)

    def node_numbers(self, n):
        """Particle densities per node and band, (2 nodes, 2 bands), per unit volume."""
        return np.stack([s.grid.integrate(n[:, i]) * s.grid.measure for i, s in enumerate(self.solvers)])

    def rhs(self, n, t, with_collisions=True):
        """``(d_t n, inflow rates (n_groups, 2), source rates (n_kinds, 2))``: the node right sides
        (their sources summed over nodes) and the internode operator (last kind)."""
        outs, fins, srcs = zip(*(s.rhs(np.ascontiguousarray(n[:, i]), t, with_collisions)
                                 for i, s in enumerate(self.solvers)))
        out = np.stack(outs, axis=1)
        inflow = np.concatenate(fins)
        sources = srcs[0] + srcs[1]
        if self.internode is not None:
            row = np.zeros((1, 2))
            if with_collisions:
                C = self.internode_operator.rate(n)
                out += C
                row[0] = self.grid.integrate(C) * self.grid.measure
            sources = np.concatenate([sources, row])
        return out, inflow, sources

    def max_dt(self, t):
        """CFL step: the largest node rate ``cfl/dt_node`` plus the internode rate."""
        cfl = self.scheme.cfl
        rate = max(cfl / s.max_dt(t) for s in self.solvers)
        if self.internode is not None:
            rate += self.internode_operator.max_rate
        dt = cfl / rate
        return min(dt, self.scheme.max_dt) if self.scheme.max_dt is not None else dt

    def step(self, n, t, dt):
        """One SSP-RK step of both nodes (the node solvers' scheme); returns ``(n_new, inflow,
        sources)`` with the RK-weighted amounts of the step, as :meth:`KineticSolver.step`."""
        rk = _RK[self.scheme.rk_stages]
        u0, u = n, n
        inflow = np.zeros((len(self.groups), 2))
        sources = np.zeros((len(self.kinds), 2))
        for alpha, c, b in zip(rk["alpha"], rk["c"], rk["b"]):
            L, fin, src = self.rhs(u, t + c * dt)
            inflow += dt * b * fin
            sources += dt * b * src
            u = u + dt * L if alpha == 0.0 else alpha * u0 + (1.0 - alpha) * (u + dt * L)
        return u, inflow, sources
