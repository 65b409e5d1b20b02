"""Steady states of the sKE with collisions: time evolution to stationarity and the direct
linear-response solve (issue 9; derivations in docs/transport.md).

Both use the one right-hand side of :class:`~berrykin.kinetic.KineticSolver` (fluxes, cell
sources, collision operators), written ``R(n; e)`` for a drive ``e`` (e.g. a uniform electric
field in the frame).

* :func:`evolve_to_steady` steps ``d_t n = R(n; e)`` with the solver's SSP-RK scheme until the
  **convergence criterion** holds: the relative rate

      r(t) = tau_slow max_cells |d_t n| / max(max_cells |n - n_start|, tiny)

  (``tau_slow`` the longest relaxation time of the collision operators; the largest cell
  values, not volume integrals, so that the round-off of large filled cells far from the Fermi
  surface does not set a floor: with ``d_t n`` exact to ``~1e-16 n/tau`` the floor is
  ``~1e-16/|n - n_start|``, 2e-11 for a perturbation of 5e-6; and, on homogeneous grids,
  ``d_t n`` less its component along the conserved mode ``d_mu f`` of a conserving relaxation:
  the round-off of the filled cells, ``1e-16`` of a total density of 1e6 on the default
  conductivity grid, is moved by the relaxation to the Fermi surface as a slow drift of the
  density -- measured ``r = 1.3e-4`` without this projection -- which the direct solve fixes
  by its constraint ``Int dn = 0``) is below ``tol`` at
  ``window`` consecutive checks (one check every ``check_every`` steps). A stationary point of
  the RK update is a zero of ``R``, so the state converges to the discrete steady state
  (for a single relaxation time the error decays like ``exp(-t/tau)``: ``tol = 1e-10`` takes
  about 25 tau). Not converging by ``max_time`` raises :class:`~berrykin.errors.IntegrationError`.
  So does a **stall** on homogeneous grids: every non-conserved mode decays at least like
  ``exp(-t/tau_slow)``, so once ``t > STALL_WINDOW tau_slow`` a smallest rate over the last
  ``STALL_WINDOW/2 tau_slow`` that is not a tenth of the smallest before it is a round-off floor (measured ``r = 1.9e-5`` on the
  default conductivity grid, k_max = 4000 |m|); the error says what to do (direct solve,
  smaller cutoff, or a tol above the floor) instead of running on to ``max_time``. (Not on
  phase-space grids, where a conserved density relaxes by the slower spatial transport.)
* :func:`linear_response` solves the problem linearised about an equilibrium ``n0`` with
  ``R(n0; 0) = 0``: ``J dn = -g`` with ``J v = R_0 v + sum_c C_c'(v)`` (``R_0``: the solver's
  flux and source parts at zero drive with zero inflow, i.e. the same operator applied to a
  perturbation; ``C_c'``: the derivative of each collision operator at ``n0``) and the drive
  ``g = dR/de`` (:func:`centered_drive`: the centred difference of the same right side at
  ``+-eps e``, exact for coefficients affine in e as in a uniform electric field), by GMRES
  (``scipy.sparse.linalg.gmres``, diagonal preconditioner ``-tau_s``). A conserving collision
  operator makes ``J`` singular along ``d_mu f`` (a shift of the chemical potential); the
  solve adds the constraint ``Int dn = 0`` (no first-order density change, the closed system)
  through the rank-one term ``nu (d_mu f) Int v / Int d_mu f``. The relative residual
  ``||J dn + g|| / ||g||`` is checked after the solve (IntegrationError above ``check``).

The limiter must be linear (``Limiter.FIRST_ORDER`` or ``UNLIMITED``) for the linear solve to
be the derivative of the time stepper's operator (a slope limiter is not differentiable at a
Fermi step): :func:`linear_response` refuses a nonlinear limiter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import IntegrationError, ParameterError
from .ledger import Ledger
from .options import Limiter

__all__ = ["SteadyState", "LinearResponse", "evolve_to_steady", "linear_response", "centered_drive",
           "LINEAR_LIMITERS"]

#: Stall detection of :func:`evolve_to_steady`, in units of tau_slow (module docstring).
STALL_WINDOW = 50.0

#: Limiters for which the finite-volume right side is linear in n.
LINEAR_LIMITERS = (Limiter.FIRST_ORDER, Limiter.UNLIMITED)


def _slow_time(solver):
    if not solver._bound:
        raise ParameterError("collisions", solver.collisions,
                             "at least one collision operator (a steady state needs relaxation)")
    return 1.0 / min(min(op.spec.rates) for op in solver._bound)


def _without_modes(solver, rate, n):
    """``d_t n`` less its component along the conserved mode ``d_mu f`` of the collision
    operators (homogeneous grids; the drift of the density, see the module docstring)."""
    if solver.n_space:
        return rate
    vol = np.broadcast_to(solver.grid.volumes(), solver.grid.shape)
    for op in solver._bound:
        u = op.conserved_modes(op.local_mu(n))
        if u is not None and float(np.sum(u * vol)) > 0:
            rate = rate - u * (float(np.sum(rate * vol)) / float(np.sum(u * vol)))
    return rate


@dataclass(frozen=True)
class SteadyState:
    """Result of :func:`evolve_to_steady`: ``n`` (2, *grid.shape) at time ``t`` after ``steps``
    steps; ``rates`` the relative rates r(t) at the checks (``check_times``); ``ledger`` the
    particle ledger of the run (one source kind per collision operator)."""

    n: np.ndarray
    t: float
    steps: int
    rates: np.ndarray
    check_times: np.ndarray
    ledger: Ledger


def evolve_to_steady(solver, n0, *, t0=0.0, tol=1e-9, window=3, check_every=5, max_time=None):
    """Time evolution to the steady state (criterion in the module docstring).

    Parameters
    ----------
    solver : a :class:`~berrykin.kinetic.KineticSolver` with collisions and time-independent
        coefficients.
    n0 : initial state (2, *grid.shape); also the reference of the relative rate.
    tol, window, check_every : the convergence criterion.
    max_time : give up (IntegrationError) after this time (default ``400 tau_slow``).
    """
    tau = _slow_time(solver)
    if not (tol > 0 and int(window) >= 1 and int(check_every) >= 1):
        raise ParameterError("tol/window/check_every", (tol, window, check_every), "tol > 0, integers >= 1")
    t_end = t0 + (400.0 * tau if max_time is None else float(max_time))
    n_start = np.ascontiguousarray(np.broadcast_to(np.asarray(n0, dtype=float), (2,) + solver.grid.shape))
    n = n_start.copy()
    solver.prepare((t0, t_end))
    led = Ledger(solver.groups, solver.kinds)
    led.start(t0, solver.grid.integrate(n) * solver.grid.measure)
    t, steps, ok, rates, times = float(t0), 0, 0, [], []
    while t < t_end:
        dt = min(solver.max_dt(t), t_end - t)
        n, fin, src = solver.step(n, t, dt)
        t += dt
        steps += 1
        led.record(t, solver.grid.integrate(n) * solver.grid.measure, fin, src)
        if not np.all(np.isfinite(n)):
            raise IntegrationError(f"steady-state evolution became non-finite at t={t:.6g}: reduce Scheme.cfl")
        if steps % int(check_every):
            continue
        rate = tau * float(np.max(np.abs(_without_modes(solver, solver.rhs(n, t)[0], n)))) / max(
            float(np.max(np.abs(n - n_start))), 1e-300)
        rates.append(rate)
        times.append(t)
        ok = ok + 1 if rate < tol else 0
        if ok >= int(window):
            return SteadyState(n, t, steps, np.asarray(rates), np.asarray(times), led)
        if (not solver.n_space and t - t0 > STALL_WINDOW * tau
                and _stalled(np.asarray(times) - t0, np.asarray(rates), tau)):
            raise IntegrationError(
                f"steady-state evolution stalled at relative rate {rate:.3g} > tol={tol:g} by t={t - t0:.4g} "
                f"({(t - t0) / tau:.0f} tau_slow): a round-off floor, e.g. of filled cells far from the Fermi "
                "surface on a grid with a large momentum cutoff; use the direct linear solve "
                "(linear_response, conductivity(method='direct')), a grid whose cutoff is a few k_F, "
                f"or tol above {rate:.2g}")
    raise IntegrationError(f"no steady state by t={t:.6g} ({steps} steps): relative rate "
                           f"{rates[-1] if rates else float('nan'):.3g} > tol={tol:g}; raise max_time or tol")


def _stalled(times, rates, tau):
    """True when the smallest rate of the last ``STALL_WINDOW/2`` tau is not below a tenth of the
    smallest rate before it (the decay is at least ``exp(-t/tau)``: e^-25 over the window)."""
    late = times > times[-1] - 0.5 * STALL_WINDOW * tau
    if late.all() or not late.any():
        return False
    return float(rates[late].min()) > 0.1 * float(rates[~late].min())


@dataclass(frozen=True)
class LinearResponse:
    """Result of :func:`linear_response`: ``dn`` (2, *grid.shape) per unit drive, the relative
    residual ``||J dn + g|| / ||g||`` and the GMRES iteration count."""

    dn: np.ndarray
    residual: float
    iterations: int


def centered_drive(solver_plus, solver_minus, n0, eps, t=0.0):
    """``g = (R(n0; +eps) - R(n0; -eps)) / (2 eps)`` from two solvers of the same grid, terms and
    scheme whose frames carry the drive ``+-eps`` (collision parts left out: they do not
    depend on the drive)."""
    rp = solver_plus.rhs(n0, t, with_collisions=False)[0]
    rm = solver_minus.rhs(n0, t, with_collisions=False)[0]
    return (rp - rm) / (2.0 * float(eps))


def linear_response(solver, source, mu, *, t=0.0, rtol=1e-12, check=1e-8, restart=200, maxiter=40):
    """Solve ``J dn = -source`` (module docstring) by GMRES.

    Parameters
    ----------
    solver : the :class:`~berrykin.kinetic.KineticSolver` at zero drive, with ``inflow=None``
        (the perturbation vanishes beyond the boundaries), collisions, and a linear limiter.
    source : ``g = dR/de`` (2, *grid.shape), e.g. :func:`centered_drive`.
    mu : chemical potential of the equilibrium ``n0`` about which the collisions are
        linearised (a float; homogeneous grids).
    """
    from scipy.sparse.linalg import LinearOperator, gmres

    _slow_time(solver)
    if solver.inflow is not None:
        raise ParameterError("inflow", solver.inflow, "None for the linearised operator (zero perturbation outside)")
    if solver.scheme.limiter not in LINEAR_LIMITERS:
        raise ParameterError("scheme.limiter", solver.scheme.limiter,
                             "Limiter.FIRST_ORDER or Limiter.UNLIMITED (the linear solve needs a linear scheme)")
    if solver.n_space:
        raise ParameterError("grid", solver.grid, "a momentum or homogeneous grid (phase-space grids: evolve_to_steady)")
    shape = (2,) + solver.grid.shape
    g = np.asarray(source, dtype=float)
    if g.shape != shape:
        raise ParameterError("source", g.shape, f"an array of shape {shape}")
    vol = np.broadcast_to(solver.grid.volumes(), solver.grid.shape) * solver.grid.measure
    nu_max = max(op.max_rate for op in solver._bound)
    modes = [m for m in (op.conserved_modes(mu) for op in solver._bound) if m is not None]
    u = None
    if modes:
        u = sum(modes)
        lu = float(np.sum(u * vol))
        u = u / lu if lu > 0 else None
    nu = np.stack([np.full(solver.grid.shape, sum(op.spec.rates[i] for op in solver._bound)) for i in (0, 1)])

    def apply(x):
        v = x.reshape(shape)
        out = solver.rhs(v, t, with_collisions=False)[0]
        for op in solver._bound:
            out = out + op.linear(v, mu)
        if u is not None:
            out = out + nu_max * u * float(np.sum(v * vol))
        return out.ravel()

    N = int(np.prod(shape))
    A = LinearOperator((N, N), matvec=apply, dtype=float)
    M = LinearOperator((N, N), matvec=lambda x: -x / nu.ravel(), dtype=float)
    its = [0]
    b = -g.ravel()
    x, info = gmres(A, b, rtol=rtol, atol=0.0, restart=restart, maxiter=maxiter, M=M,
                    callback=lambda _: its.__setitem__(0, its[0] + 1), callback_type="pr_norm")
    bn = float(np.linalg.norm(b))
    res = float(np.linalg.norm(apply(x) - b) / bn) if bn > 0 else 0.0
    if not res <= check:
        raise IntegrationError(f"linear-response GMRES did not converge (relative residual {res:.3g} > {check:g}, "
                               f"info={info}): refine the grid or use evolve_to_steady")
    return LinearResponse(x.reshape(shape), res, its[0])
