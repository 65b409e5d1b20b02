"""The fused JAX stage over a 1D device mesh along the first space axis, with a halo exchange.

``Scheme(backend="jax", devices=D)`` splits the first space axis (x, periodic) of a
:class:`~.grids.PhaseSpaceGrid` into D equal slabs of ``M = N_x / D`` cells, one per device
of the mesh ``Mesh(jax.devices()[:D], ("x",))``; every other axis stays whole on each device.
Each SSP-RK stage is :func:`.jax_backend.stage_body` run under :func:`jax.shard_map`: the only
difference from one device is where the two ghost layers of the x axis come from. The MUSCL
stencil of a cell reaches two cells along x (the slope of a neighbour needs the neighbour's
neighbour), so each device receives a halo of width 2 from each neighbour by
``lax.ppermute`` on the ring (the last two x layers go to the next device, the first two to
the previous one; periodic wrap-around from the last device to the first) and concatenates
them to its slab, exactly as the single-device stage concatenates the periodic images of its
own ends. Every per-cell value is then computed by the same operations in the same order, so
the state is bit-identical to the single-device run (the tests assert it on 4 emulated host
devices).

Coefficient arrays that vary along x (r-dependent models, non-uniform x cells) are split the
same way: cell-centred arrays into blocks of M, the face arrays of the x axis (N_x + 1 faces)
into overlapping blocks of M + 1 faces (face ``k M .. (k + 1) M`` on device k), so each device
reads the very values the single-device stage reads; arrays constant along x are replicated.

Ledger: each device reduces its boundary-face fluxes and source integrals over every axis but
x, giving per-x-layer partial sums (2, N_x) that the host adds in order, as the single-device
stage does. The reduction inside a layer runs over the same axes and sizes on both, so the
sums agree to round-off (the tests assert 1e-14 relative; XLA does not promise one reduction
order across programs).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .jax_backend import _sl, stage_body

__all__ = ["Sharded", "check", "MESH_AXIS", "HALO"]

#: name of the mesh axis (the first space axis is split along it)
MESH_AXIS = "x"
#: ghost layers exchanged with each neighbour per stage (the reach of the MUSCL stencil)
HALO = 2


def check(grid, devices):
    """Raise :class:`~berrykin.errors.ParameterError` unless ``grid`` can be split over
    ``devices`` devices: a periodic first space axis whose length is a multiple of ``devices``
    with at least :data:`HALO` cells per device, and that many devices visible to JAX."""
    import jax

    ax = grid.axes[0]
    if not ax.periodic:
        raise ParameterError("devices", devices, f"1: the first space axis {ax.name!r} is bounded, and the "
                             "sharded stage splits a periodic first space axis")
    avail = jax.devices()
    if devices > len(avail):
        raise ParameterError("devices", devices, f"at most {len(avail)}, the {avail[0].platform} devices JAX "
                             "sees (on a CPU, emulate more with XLA_FLAGS=--xla_force_host_platform_device_count=N "
                             "set before JAX is imported; on several hosts, call jax.distributed.initialize first)")
    n0 = grid.shape[0]
    if n0 % devices:
        raise ParameterError("devices", devices, f"a divisor of the {n0} cells of the first space axis {ax.name!r}")
    if n0 // devices < HALO:
        raise ParameterError("devices", devices, f"at most {n0 // HALO}: each device needs >= {HALO} cells of "
                             f"{ax.name!r} for the halo exchange")


def _positions(data):
    """Index of the first-space-axis dimension of every leaf of the stage data (-1: none)."""
    nd = len(data["U"])
    return dict(U=[1] * nd, W=[0] * nd, cf=[0] * nd, lo=[1] * nd, hi=[1] * nd, tau=[0] * nd,
                G=0, K=0, vol=0, sc=-1)


#: compiled sharded stages, by (spec, devices, device ids, data layout, data tree)
_fns = {}


class Sharded:
    """Runner of the fused stage over a 1D mesh (same interface as
    :class:`.jax_backend.SingleDevice`): ``put_state``, ``put_data``, ``run``."""

    def __init__(self, spec, grid, devices):
        import jax
        from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

        check(grid, devices)
        self.spec = spec
        self.D = int(devices)
        self.N0 = grid.shape[0]
        self.M = self.N0 // self.D
        self.mesh = Mesh(np.array(jax.devices()[: self.D]), (MESH_AXIS,))
        self._state = NamedSharding(self.mesh, P(None, MESH_AXIS))
        self._block = NamedSharding(self.mesh, P(MESH_AXIS))
        self._repl = NamedSharding(self.mesh, P())

    # -- data placement ----------------------------------------------------------------------
    def put_state(self, n):
        import jax

        return jax.device_put(np.ascontiguousarray(n, dtype=np.float64), self._state)

    def _blocks(self, arr, pos):
        """``arr`` split along ``pos`` into the D per-device blocks (leading axis), or None when
        it is constant along that axis (size 1: replicated)."""
        size = arr.shape[pos]
        if pos < 0 or size == 1:
            return None
        extra = {self.N0: 0, self.N0 + 1: 1}.get(size)
        if extra is None:  # pragma: no cover - a layout the stage data never produces
            raise ParameterError("stage data", arr.shape, f"size 1, {self.N0} or {self.N0 + 1} along axis {pos}")
        M = self.M
        return np.stack([np.take(arr, range(k * M, (k + 1) * M + extra), axis=pos) for k in range(self.D)])

    def put_data(self, data):
        """Stage data on the mesh: ``(layout, leaves)``, layout 'b' (blocked) or 'r' (replicated)."""
        import jax

        leaves, tree = jax.tree_util.tree_flatten(data)
        pos = jax.tree_util.tree_leaves(_positions(data))
        layout, out = [], []
        for leaf, p in zip(leaves, pos):
            leaf = np.asarray(leaf, dtype=np.float64)
            blk = self._blocks(leaf, p) if p >= 0 else None
            if blk is None:
                layout.append("r")
                out.append(jax.device_put(leaf, self._repl))
            else:
                layout.append("b")
                out.append(jax.device_put(blk, self._block))
        return (tuple(layout), tree), out

    # -- the stage ---------------------------------------------------------------------------
    def _fn(self, key):
        key = (self.spec, self.D, tuple(d.id for d in self.mesh.devices.flat)) + key
        if key not in _fns:
            import jax
            import jax.lax as lax
            from jax.sharding import PartitionSpec as P

            layout, tree = key[-2:]
            D, spec = self.D, self.spec
            fwd = [(k, (k + 1) % D) for k in range(D)]
            bwd = [(k, (k - 1) % D) for k in range(D)]

            def halo(u):
                M = u.shape[1]
                lower = lax.ppermute(_sl(u, 1, M - HALO, M), MESH_AXIS, fwd)  # from device k - 1
                upper = lax.ppermute(_sl(u, 1, 0, HALO), MESH_AXIS, bwd)  # from device k + 1
                return lower, upper

            def local(u, n0, scal, *leaves):
                leaves = [x[0] if lay == "b" else x for x, lay in zip(leaves, layout)]
                data = jax.tree_util.tree_unflatten(tree, leaves)
                return stage_body(u, n0, scal, data, spec, halo0=halo)

            xs = P(None, MESH_AXIS)
            in_specs = (xs, xs, P()) + tuple(P(MESH_AXIS) if lay == "b" else P() for lay in layout)
            out_specs = (xs, tuple(xs for _ in spec[2]), xs)
            _fns[key] = jax.jit(jax.shard_map(local, mesh=self.mesh, in_specs=in_specs, out_specs=out_specs))
        return _fns[key]

    def run(self, u, n0, scal, data):
        import jax

        key, leaves = data
        scal = jax.device_put(np.asarray(scal, dtype=np.float64), self._repl)
        return self._fn(key)(u, n0, scal, *leaves)
