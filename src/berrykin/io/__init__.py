"""Results on disk: atomic writes (and, later, NetCDF with provenance)."""

from .atomic import atomic_write

__all__ = ["atomic_write"]
