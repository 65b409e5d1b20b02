"""Time integration of the sKE on a grid: SSP Runge-Kutta, CFL steps, boundary inflow, ledger.

Solves, for both bands s = +1, -1 at once (paper Eq. 26 corrected by ERRATA 1)::

    d_t n_s + d_i (n_s xdot_s^i + c (F/4) v_z^i n_{-s}) = R_s  [- n_s div_r rdot_s - ...]

by finite volumes (:mod:`.reference`, :mod:`.kernels`), strong-stability-preserving RK2/RK3
and a CFL-limited step (the interval between outputs is sub-cycled into as many steps as the
largest velocity requires). Inflow faces take the values of ``inflow(r, p, t) -> (2, ...)``
(e.g. :class:`~berrykin.kinetic.initial.EquilibriumInflow`); outflow faces upwind from inside.
An inflow whose attribute ``time_dependent`` is ``False`` is evaluated once per axis and reused.

Time steps are global (one CFL step for all cells). Local time stepping by radial shells was
considered for the large velocities near a monopole (Weyl node: anomalous radial velocity
``(b.e)|B_k|/2 ~ 1/k^2``) and not adopted, by measurement (chiral-anomaly runs, Weyl node,
e = b = 0.01, mu = 0.5, 24 x 24-61 x 24 axisymmetric shells, 2-4 ms per step): while
``k_inner >~ sqrt|b|`` (where the semiclassics holds, ``b/k^2 < 1``) the step is set by the
polar CFL limit ``~ k_inner dtheta/|e|``, proportional to k_inner like the physical time
scale, and a default run takes 20 steps (0.1 s after compilation) for k_inner = 0.03-0.25;
only for ``b/k_inner^2 = 100`` (k_inner = 0.01) does the monopole limit the step (154 steps
over the default duration, 3842 steps = 15 s over a fixed duration of 2.5).

>>> from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField
>>> from berrykin.kinetic import KineticFrame, KineticSolver, PolarGrid, SKETerms
>>> frame = KineticFrame(MinimalCoupling(MassiveDirac2D(m=1.0), UniformMagneticField(b=0.2)))
>>> solver = KineticSolver(frame, PolarGrid.uniform(0.0, 3.0, 12, 8), SKETerms.boltzmann())
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import IntegrationError, ParameterError, PeriodicityWarning
from . import jax_backend, kernels, reference
from .coefficients import as_kinetic_grid, coefficient_mismatch, coefficients_close, evaluate_coefficients
from .grids import HomogeneousGrid
from .ledger import SOURCE_KINDS, Ledger
from .options import Scheme, SKETerms

__all__ = ["KineticSolver", "FAST_PATHS"]

#: modules of this package with ``eligible(solver) -> bool`` and ``step(solver, n, t, dt, rk,
#: work) -> (n_new, inflow, sources)``: whole-step kernels tried in order before the general
#: per-axis path (never with collision operators). Each must equal the general path to
#: round-off on the problems it accepts (the tests compare).
FAST_PATHS = ("jax_backend", "fused4d", "fused_textured")


def _fast_path(solver):
    """The first module of :data:`FAST_PATHS` that accepts ``solver``, or None."""
    if solver._bound:
        return None
    import importlib

    for name in FAST_PATHS:
        mod = importlib.import_module(f"{__package__}.{name}")
        if mod.eligible(solver):
            return mod
    return None

#: Shu-Osher forms: stage i builds ``alpha u0 + beta (u_{i} + dt L(u_i))``; Butcher weights b.
_RK = {
    2: dict(alpha=(0.0, 0.5), c=(0.0, 1.0), b=(0.5, 0.5)),
    3: dict(alpha=(0.0, 0.75, 1.0 / 3.0), c=(0.0, 1.0, 0.5), b=(1.0 / 6.0, 1.0 / 6.0, 2.0 / 3.0)),
}


class KineticSolver:
    """sKE solver for one frame, grid, set of terms and scheme.

    Parameters
    ----------
    frame : :class:`~.frames.CanonicalFrame` or :class:`~.frames.KineticFrame`.
    grid : a momentum grid (homogeneous reduction at r = 0), :class:`~.grids.HomogeneousGrid`
        or :class:`~.grids.PhaseSpaceGrid`.
    terms : :class:`~.options.SKETerms` (default: the full corrected sKE).
    scheme : :class:`~.options.Scheme`.
    inflow : callable ``inflow(r, p, t) -> (2, ...)`` giving the distributions beyond bounded
        boundaries (r, p of shape (..., d)); None means empty (zero) outside. If it has
        ``time_dependent = False`` its values are computed once per axis and cached.
    time_dependent, uniform_in_r : None to detect (by evaluating the coefficients at a few
        times / positions and comparing to 1e-12 relative), or a bool to assert.
    collisions : collision operators (:mod:`.collisions`, e.g. ``RelaxationTime(tau)``), added
        to the right side; each is a ledger source kind of its own (:attr:`kinds`) and adds its
        largest rate to the CFL rate. ``()`` (default) leaves every path unchanged.
    """

    def __init__(self, frame, grid, terms=None, scheme=None, inflow=None, time_dependent=None,
                 uniform_in_r=None, collisions=()):
        self.frame = frame
        self.grid = as_kinetic_grid(grid)
        if self.grid.dim != frame.dim:
            raise ParameterError("grid", grid, f"a grid for d = {frame.dim} like the frame's model")
        self.terms = terms or SKETerms.full()
        self.scheme = scheme or Scheme()
        self.inflow = inflow
        self.homogeneous = isinstance(self.grid, HomogeneousGrid)
        self.n_space = 0 if self.homogeneous else self.grid.n_space
        self._coeffs = self.terms.source_coefficients()
        self.groups, self._group_of = self._boundary_groups()
        self._time_dependent = time_dependent
        self._uniform = True if self.homogeneous else uniform_in_r
        self._static = None
        self._seams_checked = False
        self._bc_cache = {}  # boundary values of a time-independent inflow, per axis
        self._fused = None  # decided at the first step (a fast path of FAST_PATHS or none)
        self._fast = None
        self._tau_cache = {}  # boundary face weights per axis (the grid is immutable)
        self._vol_flat = None
        self.collisions = tuple(collisions)
        self._bound = tuple(c.bind(self) for c in self.collisions)
        self.kinds = SOURCE_KINDS + tuple(b.name for b in self._bound)
        if len(set(self.kinds)) != len(self.kinds):
            raise ParameterError("collisions", self.collisions,
                                 f"operators with distinct names, none of {SOURCE_KINDS} (set name=)")

    # -- set-up ------------------------------------------------------------------------------
    def _boundary_groups(self):
        names, where = [], {}
        for a in range(self.grid.ndim):
            for side, name in zip((0, 1), self.grid.boundary_names(a)):
                if name is not None:
                    where[(a, side)] = len(names)
                    names.append(name)
        return tuple(names), where

    def _detect(self, t0, t1):
        rng = np.random.default_rng(12345)
        if self._uniform is None:
            sp = self.grid.space
            r1 = np.array([ax.edges[0] + (ax.edges[-1] - ax.edges[0]) * u for ax, u in zip(sp.axes, rng.uniform(0.1, 0.9, sp.ndim))])
            c0 = evaluate_coefficients(self.frame, self.grid, self.terms, t0, True)
            c1 = evaluate_coefficients(self.frame, self.grid, self.terms, t0, True, r_ref=r1)
            self._uniform = coefficients_close(c0, c1)
        if self._time_dependent is None:
            ev = lambda t: evaluate_coefficients(self.frame, self.grid, self.terms, t, self._uniform)  # noqa: E731
            c0 = ev(t0)
            ts = t0 + (t1 - t0) * np.array([0.37, 0.71, 1.0])
            self._time_dependent = not all(coefficients_close(c0, ev(t)) for t in ts)
        if not self._uniform and not self._seams_checked:
            self._seams_checked = True
            self._check_seams(t0)

    def _check_seams(self, t, rtol=1e-10):
        """Warn (:class:`~berrykin.errors.PeriodicityWarning`) for each periodic space axis whose
        coefficients at its two ends (one interior point in the other axes, every momentum)
        differ by more than ``rtol`` of the largest coefficient: the texture or gauge is not
        periodic over the box, so the periodic grid joins two different problems at the seam."""
        sp = self.grid.space
        mid = np.array([ax.edges[0] + 0.6180339887 * (ax.edges[-1] - ax.edges[0]) for ax in sp.axes])
        for a, ax in enumerate(sp.axes):
            if not ax.periodic:
                continue
            ends = []
            for x in (ax.edges[0], ax.edges[-1]):
                r = mid.copy()
                r[a] = x
                ends.append(evaluate_coefficients(self.frame, self.grid, self.terms, t, True, r_ref=r))
            gap = coefficient_mismatch(*ends)
            if gap <= rtol:
                continue
            warnings.warn(
                f"space axis {a} ({ax.name}) is periodic but the sKE coefficients at its ends "
                f"{ax.name} = {ax.edges[0]:.6g} and {ax.edges[-1]:.6g} differ by {gap:.3g} of the largest "
                "coefficient (the texture or gauge potential is not periodic over the box): the result "
                "has a jump at the seam and its ledger does not close; make the box a period of the "
                "texture, use the kinetic frame for a uniform field, or make the axis bounded "
                "(periodic=False) with an inflow", PeriodicityWarning, stacklevel=4)

    def prepare(self, t_span):
        """Decide (by probing, where not given) whether the coefficients depend on time over
        ``t_span`` and on r, exactly as :meth:`solve` does before its first step. Callers that
        step in pieces (e.g. :func:`berrykin.io.checkpoint.run_checkpointed`) call it once with
        the whole span so that every piece sees the same decision."""
        t0, t1 = map(float, t_span)
        self._detect(t0, t1)

    def coefficients_at(self, t):
        """:class:`~.coefficients.Coefficients` at time t (cached when time independent).

        If the time dependence was not given and no run has detected it yet, it is probed
        over ``[t, t + 1]``."""
        if self._uniform is None or self._time_dependent is None:
            self._detect(t, t + 1.0)
        if self._time_dependent is False:
            if self._static is None:
                self._static = evaluate_coefficients(self.frame, self.grid, self.terms, t, self._uniform)
            return self._static
        return evaluate_coefficients(self.frame, self.grid, self.terms, t, bool(self._uniform))

    def _boundary_values(self, a, t):
        """Inflow values (lower, upper) on the boundary slab of axis a, (2, compact slab)."""
        g = self.grid
        if self.inflow is None:
            z = np.zeros((2,) + (1,) * (g.ndim - 1))
            return z, z
        static = getattr(self.inflow, "time_dependent", True) is False
        hit = self._bc_cache.get(a)
        if static and hit is not None and hit[0] is self.inflow:
            return hit[1], hit[2]
        mg = g.momentum
        d = g.dim
        out = []
        for side in (0, 1):
            if a < self.n_space:
                pk = mg.cell_points()
                rf = g.space.face_points(a)
                r = np.take(rf, 0 if side == 0 else -1, axis=a)
                r = r.reshape(r.shape[:-1] + (1,) * mg.ndim + (d,))
                p = pk.reshape((1,) * (self.n_space - 1) + pk.shape)
            else:
                am = a - self.n_space
                pk = np.take(mg.face_points(am), 0 if side == 0 else -1, axis=am)
                p = pk.reshape((1,) * self.n_space + pk.shape)
                if self.homogeneous:
                    r = np.asarray(g.r0).reshape((1,) * (p.ndim - 1) + (d,))
                else:
                    rc = g.space.cell_points()
                    r = rc.reshape(rc.shape[:-1] + (1,) * (mg.ndim - 1) + (d,))
            out.append(np.asarray(self.inflow(r, p, t), dtype=float))
        if static:
            self._bc_cache[a] = (self.inflow, out[0], out[1])
        return out[0], out[1]

    # -- right side --------------------------------------------------------------------------
    def rhs(self, n, t, with_collisions=True):
        """``(d_t n, inflow rates (n_groups, 2), source rates (n_kinds, 2))`` at time t; kinds:
        :attr:`kinds` (``'cell_source'``, ``'spatial_divergence'``, then one per collision
        operator, in order; ``with_collisions=False`` leaves those parts out, rates 0)."""
        g = self.grid
        co = self.coefficients_at(t)
        lim = int(self.scheme.limiter)
        out = np.zeros_like(n)
        inflow = np.zeros((len(self.groups), 2))
        meas = g.measure
        for a in range(g.ndim):
            U, W = co.axes[a]
            cf = g.cell_factor(a)
            per = g.axes[a].periodic
            lo, hi = (None, None) if per else self._boundary_values(a, t)
            if self.scheme.backend == "numba":
                plo, phi = kernels.axis_flux(n, U, W, cf, a, self.n_space, per, lim, lo, hi, out)
            elif self.scheme.backend == "jax":
                plo, phi = jax_backend.axis_flux(n, U, W, cf, a, per, lim, lo, hi, out, self.scheme.devices)
            else:
                r, plo, phi = reference.axis_flux(n, U, W, cf, a, per, lim, lo, hi)
                out += r
            if per:
                continue
            tau = self._face_weight(a)
            for side, flux, sign in ((0, plo, 1.0), (1, phi, -1.0)):
                if (a, side) in self._group_of:
                    inflow[self._group_of[(a, side)]] += sign * meas * (flux * tau).reshape(2, -1).sum(axis=1)
        R, L = reference.cell_sources(n, co.G, co.K, self._coeffs, co.local)
        out += R
        out += L
        vol = self._volume_vector()
        sources = np.stack([R.reshape(2, -1) @ vol, L.reshape(2, -1) @ vol]) * meas
        if self._bound:
            rates = np.zeros((len(self._bound), 2))
            if with_collisions:
                for i, op in enumerate(self._bound):
                    C = op.rate(n)
                    out += C
                    rates[i] = (C.reshape(2, -1) @ vol) * meas
            sources = np.concatenate([sources, rates])
        return out, inflow, sources

    def _face_weight(self, a):
        """Transverse measure of the boundary faces of axis a (cached: the grid is immutable)."""
        if a not in self._tau_cache:
            g = self.grid
            self._tau_cache[a] = np.ascontiguousarray(np.take(np.broadcast_to(g.transverse(a), g.shape), 0, axis=a))
        return self._tau_cache[a]

    def _volume_vector(self):
        """Cell volumes as a flat vector (cached), for the source integrals of the ledger."""
        if self._vol_flat is None:
            g = self.grid
            self._vol_flat = np.ascontiguousarray(np.broadcast_to(g.volumes(), g.shape)).reshape(-1)
        return self._vol_flat

    def max_dt(self, t):
        """CFL step at time t: ``cfl / max_c sum_a cell_factor_a max_faces(|U_s| + |W|)``."""
        g = self.grid
        co = self.coefficients_at(t)
        rate = 0.0
        per_cell = np.zeros([1] * g.ndim)
        for a in range(g.ndim):
            U, W = co.axes[a]
            sp = np.max(np.abs(U), axis=0) + np.abs(W)
            m = np.maximum(np.take(sp, range(0, sp.shape[a] - 1), axis=a), np.take(sp, range(1, sp.shape[a]), axis=a)) if sp.shape[a] > 1 else sp
            per_cell = per_cell + m * g.cell_factor(a)
        a_, b_, c_, e_ = self._coeffs
        src = (abs(a_) + abs(b_)) * np.abs(co.G) + (2 * max(map(abs, c_)) + max(map(abs, e_))) * np.abs(co.K)
        if co.local is not None:
            src = src + np.abs(co.local).sum(axis=0)
        rate = float(np.max(per_cell + src))
        if self._bound:  # explicit RK stability of the relaxation parts
            rate += sum(op.max_rate for op in self._bound)
        dt = self.scheme.cfl / rate if rate > 0 else np.inf
        return min(dt, self.scheme.max_dt) if self.scheme.max_dt is not None else dt

    # -- stepping ----------------------------------------------------------------------------
    def step(self, n, t, dt, work=None):
        """One SSP-RK step. Returns ``(n_new, inflow (n_groups, 2), sources (n_kinds, 2))``, the
        amounts of this step (RK-weighted, the same fluxes the update used).

        4D runs that qualify (:func:`.fused4d.eligible`) go through the fused single-pass
        kernel; ``work`` may then hold two reusable state-sized buffers."""
        if self._time_dependent is None or self._uniform is None:
            self._detect(t, t + dt)
        rk = _RK[self.scheme.rk_stages]
        if self._fused is None:
            self._fast = _fast_path(self)
            self._fused = self._fast is not None
        if int(getattr(self.scheme, "precision", 64)) != 64 and not (self._fused and getattr(self._fast, "FLOAT32_STORAGE", False)):
            raise ParameterError("precision", self.scheme.precision,
                                 "Precision.FLOAT64 here: float32 storage is implemented by the fused 4D kernel only "
                                 "(periodic uniform x, y; bounded kx, ky box; r-independent coefficients; backend "
                                 "'numba'; no collision operators)")
        if self._fused:
            return self._fast.step(self, np.ascontiguousarray(n), t, dt, rk, work)
        u0, u = n, n
        inflow = np.zeros((len(self.groups), 2))
        sources = np.zeros((len(self.kinds), 2))
        for alpha, c, b in zip(rk["alpha"], rk["c"], rk["b"]):
            L, fin, src = self.rhs(u, t + c * dt)
            inflow += dt * b * fin
            sources += dt * b * src
            u = u + dt * L if alpha == 0.0 else alpha * u0 + (1.0 - alpha) * (u + dt * L)
        return u, inflow, sources

    def solve(self, n0, t_span, save_at=None, max_steps=1_000_000):
        """Integrate from ``t_span[0]`` to ``t_span[1]``; returns ``(ts, states, ledger)`` with the
        states at ``save_at`` (default: the two ends), shape (len(ts), 2, *grid.shape)."""
        t0, t1 = map(float, t_span)
        store = np.float32 if int(getattr(self.scheme, "precision", 64)) == 32 else float  # Scheme.precision
        n = np.ascontiguousarray(np.broadcast_to(np.asarray(n0, dtype=float), (2,) + self.grid.shape), dtype=store)
        save = np.array([t0, t1] if save_at is None else sorted(save_at), dtype=float)
        self._detect(t0, t1)
        ledger = Ledger(self.groups, self.kinds)
        ledger.start(t0, self.grid.integrate(n) * self.grid.measure)
        t, states, ts, steps = t0, [], [], 0
        for ts_next in save:
            while t < ts_next - 1e-14 * max(1.0, abs(ts_next)):
                dt = min(self.max_dt(t), ts_next - t)
                n, fin, src = self.step(n, t, dt)
                t = ts_next if ts_next - t - dt <= 1e-14 * max(1.0, abs(ts_next)) else t + dt
                ledger.record(t, self.grid.integrate(n) * self.grid.measure, fin, src)
                steps += 1
                if steps > max_steps or not np.all(np.isfinite(n)):
                    raise IntegrationError(f"sKE integration stopped at t={t:.6g} after {steps} steps "
                                           "(non-finite values or max_steps): reduce Scheme.cfl or refine")
            states.append(n.copy())
            ts.append(t)
        return np.asarray(ts), np.asarray(states), ledger
