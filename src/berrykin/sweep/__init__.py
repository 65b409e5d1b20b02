"""Parameter sweeps of configurations, serially or on a Dask distributed cluster."""

from .core import sweep
from .points import with_overrides

__all__ = ["sweep", "with_overrides"]
