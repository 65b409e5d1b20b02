"""Parameter sweeps of configurations, serially or on a Dask distributed cluster."""

from .core import SchedulerError, sweep
from .merge import merge_results, point_series
from .points import with_overrides

__all__ = ["sweep", "with_overrides", "merge_results", "point_series", "SchedulerError"]
