"""Peak-memory estimate of a configuration, and the guard of ``berrykin run`` / ``validate``.

:func:`estimate_memory` predicts, from the validated configuration alone (grids are built,
nothing is allocated), the largest amount of memory the run holds at once above the Python
process it starts in. It adds the parts that the solvers allocate (measured on this code,
docs/configuration.md "Memory"):

* ``initial state``: the zero-temperature Fermi sea is cell-averaged with ``order`` Gauss
  points per momentum axis (:func:`berrykin.kinetic.fermi_dirac`: 8 at T = 0, else 4), all
  evaluated at once: ``cells_k x order^d_k`` sub-points of about :data:`BYTES_PER_SUBPOINT`
  bytes (:data:`BYTES_PER_SUBPOINT_ADIABATIC` for the adiabatic state of the mass ramp and the
  anomaly, which also evaluates B_k). A model that depends on r multiplies by the space cells.
  This transient is freed before the time stepping starts.
* ``coefficients``: face velocities and cell sources of the sKE, evaluated on ``d_k + 1`` point
  sets per momentum cell, about :data:`BYTES_PER_COEFFICIENT_SET` bytes per set and cell
  (all cells for an r-dependent model), kept for one time (static coefficients) or for the
  last :data:`CACHED_TIMES` times (time-dependent ones).
* ``states``: ``2 x cells x 8`` bytes per band-distribution array, :data:`WORKING_STATES`
  of them while stepping (Runge-Kutta stages, fluxes, sources) plus the saved states
  (three copies each: solver, result object, Dataset).
* ``trajectories``: points x outputs x phase-space vectors (sEOM and skyrmion runs).
* ``compilation``: a fixed :data:`OVERHEAD` of every grid run.

The estimate is ``max(initial state, coefficients + working states) + saved states +
compilation``. Tests
compare it with the measured peak (``ru_maxrss``) within a factor 0.5-2
(tests/test_memory.py). Units: bytes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from ..errors import MemoryLimitError

__all__ = ["MemoryEstimate", "estimate_memory", "available_memory", "check_memory", "format_bytes",
           "BYTES_PER_SUBPOINT", "BYTES_PER_SUBPOINT_ADIABATIC", "BYTES_PER_COEFFICIENT_SET",
           "WORKING_STATES", "OVERHEAD"]

log = logging.getLogger("berrykin.config")

#: Bytes per Gauss sub-point of the cell-averaged Fermi-Dirac state (measured 120-210).
BYTES_PER_SUBPOINT = 150
#: Bytes per sub-point of the adiabatic state ``f + (n_z/4) b.B_k`` (measured 380-540).
BYTES_PER_SUBPOINT_ADIABATIC = 560
#: Bytes per momentum cell and coefficient point set (measured 1400-1650 in 2D and 3D).
BYTES_PER_COEFFICIENT_SET = 1700
#: State-sized arrays alive during a Runge-Kutta step.
WORKING_STATES = 12
#: Coefficient evaluations alive at once in a time-dependent run (measured; the cache of
#: berrykin.kinetic.coefficients holds up to 4, most share their point arrays).
CACHED_TIMES = 2
#: Fixed work space of a grid run: JAX and Numba compilation, evaluation chunks (measured
#: 200-280 MB on small grids).
OVERHEAD = 256 * 2**20
_STATE = 2 * 8  # two bands, float64


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak memory of a run (bytes above the starting process).

    ``parts``: ``(name, bytes)`` of each contribution; ``cells``: phase-space cells of the
    grid (0 without a grid); ``dominant``: the name of the largest part; ``advice``: how to
    shrink it (keys of the configuration and how the memory scales with them)."""

    total: int
    parts: tuple
    cells: int = 0
    advice: str = ""

    @property
    def dominant(self) -> str:
        return max(self.parts, key=lambda p: p[1])[0] if self.parts else ""

    @property
    def breakdown(self) -> str:
        """``'initial state 1.1 GiB, coefficients 40 MiB, ...'`` (the non-zero parts)."""
        return ", ".join(f"{name} {format_bytes(b)}" for name, b in self.parts if b > 0)

    def summary(self) -> str:
        """``'1.2 GiB (initial state 1.1 GiB, coefficients 40 MiB, ...)'``; ``'not estimated
        ...'`` for an experiment the estimator does not know without a [grid]."""
        if not self.parts:
            return "not estimated (no [grid] and no estimate for this experiment)"
        return format_bytes(self.total) + (f" ({self.breakdown})" if self.breakdown else "")


def format_bytes(n) -> str:
    """Bytes in binary units with 3 significant digits (``'732 GiB'``)."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def _order(T, order=None) -> int:
    return (8 if T == 0 else 4) if order is None else int(order)


def _grid_parts(model, grid, *, T, order=None, adiabatic=False, time_dependent=False,
                saved=2, extra=()):
    """Parts of an sKE run on ``grid`` (a momentum grid or PhaseSpaceGrid)."""
    from ..kinetic.grids import HomogeneousGrid, PhaseSpaceGrid

    if isinstance(grid, HomogeneousGrid):
        grid = grid.momentum
    mom = grid.momentum if isinstance(grid, PhaseSpaceGrid) else grid
    cells, cells_k, nk = int(grid.size), int(mom.size), int(mom.ndim)
    r_cells = cells if (model.depends_on_r and isinstance(grid, PhaseSpaceGrid)) else cells_k
    per_sub = BYTES_PER_SUBPOINT_ADIABATIC if adiabatic else BYTES_PER_SUBPOINT
    initial = r_cells * _order(T, order) ** nk * per_sub
    sets = (grid.ndim + 1) if r_cells == cells and isinstance(grid, PhaseSpaceGrid) else (nk + 1)
    coef = r_cells * sets * BYTES_PER_COEFFICIENT_SET * (CACHED_TIMES if time_dependent else 1)
    working = WORKING_STATES * _STATE * cells
    stored = 3 * int(saved) * _STATE * cells
    parts = [("initial state", initial), ("coefficients", coef), ("working states", working),
             ("saved states", stored), *extra, ("compilation", OVERHEAD)]
    total = max(initial, coef + working) + stored + sum(b for _, b in extra) + OVERHEAD
    return parts, total, cells


def _advice_grid(kind, config, dominant, d) -> str:
    keys = {"polar": "grid.n_k x grid.n_phi", "spherical": "grid.n_k x grid.n_theta x grid.n_phi",
            "axisymmetric": "grid.n_k x grid.n_theta"}.get(kind, f"grid.n^{d}")
    space = f" (times grid.space_n^{d} with a real-space grid)" if (
        config.grid is not None and config.grid.space_n is not None) else ""
    text = f"memory grows with the cells, {keys}{space}: reduce them"
    if dominant == "initial state":
        text += ("; the zero-temperature initial state averages 8^d Gauss points per cell "
                 "(a temperature T > 0 uses 4^d)").replace("^d", f"^{d}")
    elif dominant == "saved states":
        text += " or save fewer times (experiment.n_save)"
    return text


def _trajectory_parts(config):
    exp = config.experiment
    d = config.model.dim or 2
    if config.model.type != "expression":
        from .build import builtin_models

        d = builtin_models()[config.model.type].dim
    count = 1
    for pts in (exp.r0, exp.p0):
        if pts is not None and pts and isinstance(pts[0], list):
            count = max(count, len(pts))
    per = 3 * (4 * d + 2) * 8  # state, velocities and energies per output, copied into the Dataset
    traj = int(count) * int(exp.n_output) * per
    return [("trajectories", traj)], traj, 0, ("reduce the number of starting points or "
                                               "experiment.n_output (memory = points x n_output)")


def estimate_memory(config) -> MemoryEstimate:
    """The :class:`MemoryEstimate` of a validated :class:`~berrykin.config.Config` (nothing is
    allocated: grids are built from their edges only)."""
    from .build import build_grid_section, grid_type
    from .loader import build_model

    kind = config.experiment_type
    exp = config.experiment
    if kind == "trajectories":
        parts, total, cells, advice = _trajectory_parts(config)
        return MemoryEstimate(int(total), tuple(parts), cells, advice)
    if kind == "skyrmion":
        n = int(exp.quadrature) ** 4 * int(exp.n_times) * 3 * 10 * 8
        return MemoryEstimate(n, (("trajectories", n),), 0,
                              "reduce experiment.quadrature (memory ~ quadrature^4) or n_times")
    model = build_model(config)
    if kind == "ske":
        grid = build_grid_section(config.grid, model)
        kw = dict(T=exp.T, saved=exp.n_save,
                  time_dependent=config.field is not None and config.field.profile is not None)
    elif kind in ("streda", "mass_ramp"):
        from ..experiments.streda import streda_grid

        mu = getattr(exp, "mu", 0.0)
        grid = (build_grid_section(config.grid, model) if config.grid is not None
                else streda_grid(model, mu))
        kw = dict(T=exp.T, time_dependent=True, adiabatic=kind == "mass_ramp")
    elif kind == "chiral_anomaly":
        grid = build_grid_section(config.grid, model) if config.grid is not None else None
        if grid is None:
            n_theta = int(exp.keywords().get("n_theta", 24))
            per_octave = int(exp.keywords().get("cells_per_octave", 8))
            # the default shell spans 3 octaves around the Fermi surface, at least 8 cells
            grid = _Cells(max(8, 3 * per_octave) * n_theta, 2)
        kw = dict(T=exp.T, adiabatic=True, order=4 if config.grid is None else None, saved=3)
    elif kind == "pump":
        keys = exp.keywords()
        n_k = int(keys.get("n_k", 64))
        n_t = int(keys.get("cycles", 1)) * int(keys.get("samples", 64)) + 1
        grid = _Cells(n_k, 1)
        current = n_t * n_k * 2 * BYTES_PER_COEFFICIENT_SET
        kw = dict(T=float(keys.get("T", 0.0)), time_dependent=True, saved=n_t,
                  extra=(("current", current),))
    elif config.grid is not None:  # another experiment on a configured grid: as an sKE run
        grid = build_grid_section(config.grid, model)
        T = getattr(exp, "T", None)
        kw = dict(T=float(T if T is not None else exp.keywords().get("T", 0.0)))
    else:  # an experiment without a grid in the file: not estimated
        return MemoryEstimate(0, (), 0, "")
    parts, total, cells = _grid_parts(model, grid, **kw)
    gkind = grid_type(config.grid, model) if kind != "pump" else "brillouin_zone"
    est = MemoryEstimate(int(total), tuple(parts), cells)
    advice = ("reduce experiment.n_k or the number of samples x cycles" if kind == "pump"
              else _advice_grid(gkind, config, est.dominant, model.dim))
    return MemoryEstimate(int(total), tuple(parts), cells, advice)


@dataclass(frozen=True)
class _Cells:
    """A stand-in grid of ``size`` momentum cells in ``ndim`` axes (default grids)."""

    size: int
    ndim: int


def _read_int(path):
    try:
        with open(path, encoding="ascii") as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_memory():
    """Bytes this process may still allocate: ``MemAvailable`` of ``/proc/meminfo`` (else
    ``os.sysconf('SC_AVPHYS_PAGES')`` pages), capped by a cgroup v2 limit
    (``memory.max - memory.current``) where one is set; None when unknown."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        avail = None
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = None
    limit, used = _read_int("/sys/fs/cgroup/memory.max"), _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        avail = limit - used if avail is None else min(avail, limit - used)
    return None if avail is None or avail <= 0 else int(avail)


def check_memory(config, *, allow_large_memory: bool = False, available=None) -> MemoryEstimate:
    """Estimate the peak memory of ``config`` and raise :class:`~berrykin.errors.MemoryLimitError`
    (one line: the estimate, the limit, how to shrink it, how to proceed) when it exceeds
    ``available`` (default :func:`available_memory`), unless ``allow_large_memory``. Returns
    the estimate. An unknown limit is not checked (logged)."""
    est = estimate_memory(config)
    limit = available_memory() if available is None else int(available)
    if limit is None:
        log.info("available memory unknown; not checking the estimate %s", est.summary())
        return est
    if est.total > limit and not allow_large_memory:
        raise MemoryLimitError(est.total, limit, est.breakdown, est.advice)
    return est
