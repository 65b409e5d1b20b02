"""JAX backend of the sKE finite-volume operator (jit-compiled XLA: CPU in CI, a GPU where present).

Selected by ``Scheme(backend="jax")``. Two entry points, both the arithmetic of the NumPy
reference (:mod:`.reference`: MUSCL slopes in index space, zero ghost slopes on bounded axes,
face states ``L = n_{j-1} + s_{j-1}/2``, ``R = n_j - s_j/2``, the upwind flux
``Phi_s = U_s^+ L_s + U_s^- R_s + W^+ L_{-s} + W^- R_{-s}`` and ``-cell_factor (Phi_{j+1} -
Phi_j)``) written with slices of a padded array (concatenation of two ghost layers per side,
never ``jnp.roll``):

* :func:`axis_flux`: one axis, NumPy in and out, the drop-in of :func:`.kernels.axis_flux`
  for the general per-axis path of :meth:`.solver.KineticSolver.rhs` (every grid and frame,
  homogeneous reduction and collision operators included);
* the fused whole stage (a :data:`.solver.FAST_PATHS` entry: :func:`eligible`, :func:`step`):
  one jitted function per SSP-RK stage computes the flux divergence of every axis for both
  bands, the cell sources ``R_s`` (:func:`.reference.cell_sources`), the stage combination
  ``alpha n0 + (1 - alpha) (n + dt L(n))`` and the ledger amounts (boundary-face fluxes times
  the face weights, source integrals) for any :class:`~.grids.PhaseSpaceGrid` (2D/4D/6D;
  periodic or bounded axes). Coefficients stay compact (size-1 axes where they do not vary;
  r-dependent ones full size) and are moved to the device once when time independent.
  With ``Scheme(devices=D > 1)`` the same stage runs over a device mesh (:mod:`.jax_sharded`).

Float64 throughout: every array is created and every function traced inside
``jax.enable_x64(True)`` (as elsewhere in berrykin; no global JAX setting is changed).
XLA contracts ``a * b + c`` into fused multiply-adds, so the values equal the Numba/NumPy
paths to round-off (~1e-16 relative per operation), not bit for bit.

Ledger partial sums are reduced over every axis except the first space axis and summed on
the host (so the single-device and the sharded runs add them in the same order).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["axis_flux", "limit", "extend", "face_flux", "stage_body", "stage_data", "eligible", "step", "to_host"]


def _mods():
    import jax
    import jax.numpy as jnp

    return jax, jnp


# --------------------------------------------------------------------------- primitives
def limit(a, b, lim):
    """Limited slope (jnp) for :class:`~.options.Limiter` code ``lim``; the values of
    :func:`.reference.limit`."""
    _, jnp = _mods()
    if lim == 0:
        return jnp.zeros_like(a)
    if lim == 4:
        return 0.5 * (a + b)
    same = a * b > 0.0
    if lim == 1:
        s = jnp.sign(a) * jnp.minimum(jnp.abs(a), jnp.abs(b))
    elif lim == 2:
        s = 2.0 * a * b / jnp.where(same, a + b, 1.0)
    else:
        s = jnp.sign(a) * jnp.minimum(jnp.minimum(2.0 * jnp.abs(a), 2.0 * jnp.abs(b)), 0.5 * jnp.abs(a + b))
    return jnp.where(same, s, 0.0)


def _sl(x, ax, start, stop):
    import jax.lax as lax

    return lax.slice_in_dim(x, start, stop, axis=ax)


def extend(n, ax, periodic, lo=None, hi=None):
    """``n`` with two ghost layers on each side of array axis ``ax`` (N + 4 along it):
    periodic images, or the boundary values ``lo``, ``hi`` (shape of n without ``ax``,
    broadcastable) twice."""
    _, jnp = _mods()
    N = n.shape[ax]
    if periodic:
        if N >= 2:
            return jnp.concatenate([_sl(n, ax, N - 2, N), n, _sl(n, ax, 0, 2)], axis=ax)
        return jnp.concatenate([n] * 5, axis=ax)
    slab = n.shape[:ax] + (1,) + n.shape[ax + 1 :]
    lo = jnp.broadcast_to(jnp.expand_dims(lo, ax), slab)
    hi = jnp.broadcast_to(jnp.expand_dims(hi, ax), slab)
    return jnp.concatenate([lo, lo, n, hi, hi], axis=ax)


def face_flux(ext, U, W, ax, bounded, lim):
    """Face fluxes ``Phi`` (2, ..., N + 1, ...) along array axis ``ax`` of the extended state
    ``ext`` (2, ..., N + 4, ...); ``U`` (2, face...), ``W`` (face...) compact.

    Face j (between cells j-1 and j) reads the four cells j-2..j+1 as four shifted slices of
    ``ext``, so XLA fuses each face array into one loop; the slopes of the two cells beside the
    face are computed per face (each slope twice), with the reference's operands and order."""
    _, jnp = _mods()
    N = ext.shape[ax] - 4
    m2, m1, c0, p1 = (_sl(ext, ax, k, k + N + 1) for k in range(4))
    s_lo = limit(m1 - m2, c0 - m1, lim)  # slope of cell j-1
    s_hi = limit(c0 - m1, p1 - c0, lim)  # slope of cell j
    if bounded:  # no slope in the ghost cells -1 and N
        shape = [1] * ext.ndim
        shape[ax] = N + 1
        j = jnp.arange(N + 1).reshape(shape)
        s_lo = jnp.where(j == 0, 0.0, s_lo)
        s_hi = jnp.where(j == N, 0.0, s_hi)
    left = m1 + 0.5 * s_lo
    right = c0 - 0.5 * s_hi
    Up, Um = jnp.maximum(U, 0.0), jnp.minimum(U, 0.0)
    Wp, Wm = jnp.maximum(W, 0.0), jnp.minimum(W, 0.0)
    return Up * left + Um * right + Wp * left[::-1] + Wm * right[::-1]


def _divergence(phi, cf, ax):
    N = phi.shape[ax] - 1
    return -cf * (_sl(phi, ax, 1, N + 1) - _sl(phi, ax, 0, N))


_jit_cache = {}


def _axis_jit(ax, periodic, lim):
    key = (ax, periodic, lim)
    if key not in _jit_cache:
        jax, jnp = _mods()

        def f(n, U, W, cf, lo, hi):
            ext = extend(n, ax + 1, periodic, lo, hi)
            phi = face_flux(ext, U, W, ax + 1, not periodic, lim)
            div = _divergence(phi, cf, ax + 1)
            if periodic:
                z = jnp.zeros(n.shape[: ax + 1] + n.shape[ax + 2 :])
                return div, z, z
            N = n.shape[ax + 1]
            return div, jnp.take(phi, 0, axis=ax + 1), jnp.take(phi, N, axis=ax + 1)

        _jit_cache[key] = jax.jit(f)
    return _jit_cache[key]


def axis_flux(n, U, W, cell_factor, axis, periodic, limiter, bc_lo, bc_hi, rhs, devices=1):
    """JAX version of :func:`.kernels.axis_flux` (same arguments; accumulates the divergence
    into the NumPy array ``rhs`` and returns the boundary face fluxes ``(phi_lo, phi_hi)``, each
    ``(2, *slab)``). ``devices`` is the scheme's device count: the per-axis path runs on one
    device, so more raises."""
    if devices != 1:
        raise ParameterError("devices", devices, "1 here: this solver uses the general per-axis path "
                             "(collision operators or a homogeneous grid), which runs on one device; "
                             "Scheme(devices=D > 1) shards the fused stage of a PhaseSpaceGrid only")
    jax, jnp = _mods()
    slab = (2,) + n.shape[1 : axis + 1] + n.shape[axis + 2 :]
    with jax.enable_x64(True):
        if periodic:
            lo = hi = jnp.zeros((1,) * len(slab))
        else:
            lo, hi = (jnp.asarray(_rank(b, len(slab)), dtype=jnp.float64) for b in (bc_lo, bc_hi))
        f = _axis_jit(int(axis), bool(periodic), int(limiter))
        div, plo, phi = f(jnp.asarray(n, dtype=jnp.float64), jnp.asarray(U, dtype=jnp.float64),
                          jnp.asarray(W, dtype=jnp.float64), jnp.asarray(cell_factor, dtype=jnp.float64), lo, hi)
        rhs += np.asarray(div)
        return np.asarray(plo), np.asarray(phi)


def _rank(bc, rank):
    """Boundary values ``(2, ...)`` with size-1 axes inserted after the band axis up to ``rank``."""
    bc = np.asarray(bc, dtype=np.float64)
    if bc.ndim < rank:
        bc = bc.reshape(bc.shape[:1] + (1,) * (rank - bc.ndim) + bc.shape[1:])
    return bc


# --------------------------------------------------------------------------- fused stage
def stage_body(u, n0, scal, data, spec, halo0=None):
    """One SSP-RK stage of both bands (jnp; traced by :func:`jax.jit` or inside ``shard_map``).

    ``u``, ``n0`` (2, *shape); ``scal = (alpha, 1 - alpha, dt)``; ``data`` the compact stage
    arrays of :func:`stage_data`; ``spec = (periodic per axis, limiter, bounded sides)``.
    ``halo0(u) -> (lower, upper)`` gives the two ghost layers of the first axis (sharded runs);
    None takes them from ``u`` itself. Returns ``(out, flows, src)``: the new state, per bounded
    side the partial sums ``sum Phi tau`` (2, N_0) over every axis but the first (or (2, 1) for
    the first axis), and the source partial sums ``sum R_s vol`` (2, N_0).
    """
    _, jnp = _mods()
    periodic, lim, sides = spec
    L = None
    flows = []
    for a, per in enumerate(periodic):
        ax = a + 1
        if a == 0 and halo0 is not None:
            lower, upper = halo0(u)
            ext = jnp.concatenate([lower, u, upper], axis=ax)
        elif per:
            ext = extend(u, ax, True)
        else:
            ext = extend(u, ax, False, data["lo"][a], data["hi"][a])
        phi = face_flux(ext, data["U"][a], data["W"][a], ax, not per, lim)
        d = _divergence(phi, data["cf"][a], ax)
        L = d if L is None else L + d
        for (sa, side) in sides:
            if sa == a:
                f = jnp.take(phi, 0 if side == 0 else phi.shape[ax] - 1, axis=ax) * data["tau"][a]
                keep = (0,) if a == 0 else (0, 1)
                part = jnp.sum(f, axis=tuple(i for i in range(f.ndim) if i not in keep))
                flows.append(part.reshape(2, -1))
    sc = data["sc"]
    npl, nmi = u[0], u[1]
    tot = npl + nmi
    G, K = data["G"], data["K"]
    R = jnp.stack([(sc[0] * npl + sc[1] * nmi) * G + (sc[2] * tot) * K + (sc[4] * npl) * K,
                   (sc[0] * nmi + sc[1] * npl) * G + (sc[3] * tot) * K + (sc[5] * nmi) * K])
    L = L + R
    out = scal[0] * n0 + scal[1] * (u + scal[2] * L)
    rv = R * data["vol"]
    src = jnp.sum(rv, axis=tuple(range(2, rv.ndim)))
    return out, tuple(flows), src


def _spec(solver):
    g = solver.grid
    sides = tuple(k for k in sorted(solver._group_of))
    return (tuple(bool(p) for p in g.periodic), int(solver.scheme.limiter), sides)


def _compact_space(arr, first, n_space):
    """Drop (to size 1) the space axes along which ``arr`` is constant (exactly): positions
    ``first .. first + n_space - 1``."""
    for ax in range(first, first + n_space):
        if arr.shape[ax] > 1:
            f = np.take(arr, [0], axis=ax)
            if np.array_equal(np.broadcast_to(f, arr.shape), arr):
                arr = f
    return np.ascontiguousarray(arr)


def stage_data(solver, t):
    """The compact host arrays of one stage at time t (see :func:`stage_body`)."""
    g = solver.grid
    co = solver.coefficients_at(t)
    nd, ns = g.ndim, g.n_space
    full = lambda x, r: np.asarray(x, dtype=np.float64).reshape((1,) * (r - np.ndim(x)) + np.shape(x))  # noqa: E731
    a_, b_, c_, e_ = solver._coeffs
    data = dict(U=[], W=[], cf=[], lo=[], hi=[], tau=[])
    for a in range(nd):
        U, W = co.axes[a]
        data["U"].append(full(U, nd + 1))
        data["W"].append(full(W, nd))
        data["cf"].append(full(g.cell_factor(a), nd))
        if g.axes[a].periodic:
            lo = hi = np.zeros((2,) + (1,) * (nd - 1))
            tau = np.zeros((1,) * (nd - 1))
        else:
            lo, hi = (_compact_space(_rank(v, nd), 1, ns - (a < ns)) for v in solver._boundary_values(a, t))
            tau = np.take(full(g.transverse(a), nd), 0, axis=a)
        data["lo"].append(lo)
        data["hi"].append(hi)
        data["tau"].append(tau)
    data["G"] = full(co.G, nd)
    data["K"] = full(co.K, nd)
    data["vol"] = full(g.volumes(), nd)
    data["sc"] = np.array([a_, b_, c_[0], c_[1], e_[0], e_[1]], dtype=np.float64)
    return data


_stage_cache = {}


class SingleDevice:
    """The fused stage on one device: ``put`` moves a state or stage data to the device, ``run``
    applies one stage (compiled on first use per shapes)."""

    def __init__(self, spec):
        jax, _ = _mods()
        from functools import partial

        if spec not in _stage_cache:  # one compiled stage per spec (and shapes) per process
            _stage_cache[spec] = jax.jit(partial(stage_body, spec=spec))
        self.fn = _stage_cache[spec]

    def put_state(self, n):
        _, jnp = _mods()
        return jnp.asarray(n, dtype=jnp.float64)

    def put_data(self, data):
        jax, jnp = _mods()
        return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype=jnp.float64), data)

    def run(self, u, n0, scal, data):
        _, jnp = _mods()
        return self.fn(u, n0, jnp.asarray(scal, dtype=jnp.float64), data)


def eligible(solver):
    """Whether the fused JAX stage applies: ``scheme.backend == 'jax'`` on a
    :class:`~.grids.PhaseSpaceGrid` (collision operators never reach here: the solver uses its
    general path for them). ``Scheme(devices > 1)`` on another grid raises."""
    from .grids import PhaseSpaceGrid

    if solver.scheme.backend != "jax":
        return False
    ok = isinstance(solver.grid, PhaseSpaceGrid)
    devices = getattr(solver.scheme, "devices", 1)
    if devices != 1:
        if not ok:
            raise ParameterError("devices", devices, "1 for this grid: the sharded stage needs a PhaseSpaceGrid "
                                 "(the mesh splits the first space axis)")
        from . import jax_sharded

        jax_sharded.check(solver.grid, devices)
    return ok


def _runner(solver):
    cache = solver.__dict__.setdefault("_jax_fused", {})
    if "runner" not in cache:
        spec = _spec(solver)
        devices = getattr(solver.scheme, "devices", 1)
        if devices == 1:
            cache["runner"] = SingleDevice(spec)
        else:
            from . import jax_sharded

            cache["runner"] = jax_sharded.Sharded(spec, solver.grid, devices)
    return cache["runner"]


def _device_data(solver, runner, t):
    """Stage data on the device at time t (cached when the coefficients and the inflow are
    time independent)."""
    static = solver._time_dependent is False and not getattr(solver.inflow, "time_dependent", solver.inflow is not None)
    cache = solver.__dict__.setdefault("_jax_fused", {})
    if static and "data" in cache:
        return cache["data"]
    data = runner.put_data(stage_data(solver, t))
    if static:
        cache["data"] = data
    return data


def step(solver, n, t, dt, rk, work=None):
    """A full SSP-RK step through the fused JAX stage; ``(n_new, inflow (n_groups, 2),
    sources (2, 2))`` like :func:`.fused4d.step` (``work`` is not used)."""
    jax, _ = _mods()
    meas = solver.grid.measure
    inflow = np.zeros((len(solver.groups), 2))
    sources = np.zeros((2, 2))
    with jax.enable_x64(True):
        runner = _runner(solver)
        u = n0 = runner.put_state(n)
        for alpha, c, b in zip(rk["alpha"], rk["c"], rk["b"]):
            data = _device_data(solver, runner, t + c * dt)
            u, flows, src = runner.run(u, n0, (alpha, 1.0 - alpha, dt), data)
            for (a, side), f in zip(_spec(solver)[2], flows):
                sign = 1.0 if side == 0 else -1.0
                inflow[solver._group_of[(a, side)]] += dt * b * sign * meas * to_host(f).sum(axis=1)
            sources[0] += dt * b * meas * to_host(src).sum(axis=1)
        return to_host(u), inflow, sources


def to_host(x):
    """A device array as a NumPy array; gathered from every process when this process does not
    hold all of it (a multi-process run, :mod:`.jax_sharded`)."""
    if getattr(x, "is_fully_addressable", True):
        return np.asarray(x)
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
