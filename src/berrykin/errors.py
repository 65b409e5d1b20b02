"""Exceptions raised by berrykin. Each names the offending field, its value and what is allowed."""

from __future__ import annotations


class BerrykinError(Exception):
    """Base class of every error berrykin raises on purpose."""


class ParameterError(BerrykinError, ValueError):
    """A model, field or solver parameter is outside its allowed range."""

    def __init__(self, field: str, value, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}={value!r} is not allowed: {allowed}")


class ShapeError(BerrykinError, ValueError):
    """An array argument has the wrong shape."""

    def __init__(self, field: str, shape, expected: str):
        self.field, self.shape, self.expected = field, shape, expected
        super().__init__(f"{field} has shape {tuple(shape)}; expected {expected}")


class IntegrationError(BerrykinError, RuntimeError):
    """A time integration failed; the message says what to try."""


class GapClosingError(BerrykinError, ValueError):
    """The gap |Delta| closes (or is not finite) where a quantity that divides by it is asked for.

    ``quantity`` names what was asked for, ``point`` is ``{coordinate: value}`` of the first
    such point, ``gap`` is |Delta| there (None where it is not known) and ``remedy`` says what
    to do. (docs/conventions.md, "Gap closings".)
    """

    def __init__(self, quantity: str, point, gap, remedy: str, count: int = 1):
        self.quantity, self.point, self.gap, self.remedy, self.count = quantity, point, gap, remedy, count
        where = ", ".join(f"{k}={v:.6g}" for k, v in dict(point).items()) if point else "?"
        more = f" (and at {count - 1} more point(s))" if count > 1 else ""
        if gap is None:
            what = "the gap |Delta| closes there or the model is not finite"
        elif gap == gap and gap < float("inf"):
            what = f"the gap closes there (|Delta| = {gap:.3g})"
        else:
            what = f"Delta is not finite there (|Delta| = {gap})"
        super().__init__(f"{quantity} is undefined at ({where}){more}: {what}; {remedy}")


class ResolutionWarning(UserWarning):
    """A grid is too coarse for the structure it has to resolve (e.g. the smallest gap)."""


class OVFError(BerrykinError, ValueError):
    """An OVF (OOMMF vector field) file cannot be read or written: names the file, what is wrong
    and, where known, what to do (berrykin.models.ovf)."""

    def __init__(self, path: str, problem: str, remedy: str | None = None):
        self.path, self.problem, self.remedy = path, problem, remedy
        super().__init__(f"OVF file {path!r}: {problem}" + (f"; {remedy}" if remedy else ""))


class TextureDomainError(BerrykinError, ValueError):
    """A gridded texture was evaluated where it is undefined: outside its grid, next to a masked
    (zero-magnetisation) cell, or where the grid does not resolve it (docs/textures.md)."""

    def __init__(self, point, reason: str, remedy: str, count: int = 1):
        self.point, self.reason, self.remedy, self.count = point, reason, remedy, count
        more = f" (and at {count - 1} more point(s))" if count > 1 else ""
        super().__init__(f"GriddedTexture evaluated at r={point}{more}: {reason}; {remedy}")


class UnresolvedBroadeningError(BerrykinError, ValueError):
    """A k grid is too coarse to resolve a broadening Gamma (the Lorentzians of the Green's
    function); the message gives the resolution ratio and the grid that would resolve it."""

    def __init__(self, field: str, value, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}={value!r} is not allowed: {allowed}")


class CheckpointError(BerrykinError, ValueError):
    """A checkpoint file cannot be resumed from: unreadable (truncated, not a berrykin
    checkpoint, another format version) or written for another problem. ``path`` names the
    file, ``problem`` what is wrong, ``remedy`` what to do (berrykin.io.checkpoint)."""

    def __init__(self, path: str, problem: str, remedy: str):
        self.path, self.problem, self.remedy = str(path), problem, remedy
        super().__init__(f"checkpoint {self.path!r}: {problem}; {remedy}")


class ResultFileError(BerrykinError, ValueError):
    """A result file cannot be read: missing, not NetCDF, or damaged. ``path`` names the file,
    ``problem`` what is wrong, ``remedy`` what to do (berrykin.io.netcdf)."""

    def __init__(self, path: str, problem: str, remedy: str):
        self.path, self.problem, self.remedy = str(path), problem, remedy
        super().__init__(f"{self.path!r}: {problem}; {remedy}")


class SchedulerError(BerrykinError, RuntimeError):
    """No Dask scheduler answers at the address given for a sweep (berrykin.sweep): ``address``
    names it, ``problem`` says what happened."""

    def __init__(self, address: str, problem: str):
        self.address, self.problem = str(address), problem
        super().__init__(f"scheduler {self.address!r}: {problem}; start a Dask scheduler there, "
                         "or use scheduler=None (local worker processes) or 'serial'")


class MemoryLimitError(BerrykinError, MemoryError):
    """A run would need more memory than is available (checked before anything is allocated).

    ``estimate`` and ``limit`` are bytes; ``detail`` names the parts of the estimate and
    ``advice`` how to shrink them (docs/configuration.md, "Memory")."""

    def __init__(self, estimate: int, limit: int, detail: str, advice: str = ""):
        self.estimate, self.limit, self.detail, self.advice = int(estimate), int(limit), detail, advice

        def gib(n):
            return f"{n / 2**30:.3g} GiB" if n < 2**40 else f"{n / 2**40:.3g} TiB"

        super().__init__(f"the run needs an estimated {gib(self.estimate)} of memory ({detail}), more "
                         f"than the {gib(self.limit)} available; {advice + '; ' if advice else ''}"
                         "or pass --allow-large-memory (run_config(..., allow_large_memory=True)) "
                         "to run anyway")


class PerformanceWarning(UserWarning):
    """A fast path had to fall back to a slower or more memory-hungry form (the result is
    unchanged); the message says which and what it costs."""


class PeriodicityWarning(UserWarning):
    """A space axis is periodic but the sKE coefficients differ at its two ends (a texture or
    gauge potential that is not periodic over the box): the grid then solves a problem with a
    jump at the seam, not the one asked for. The message names the axis, the relative mismatch
    and what to do (docs/kernels_textured.md, "Limits")."""
