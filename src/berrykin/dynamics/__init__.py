"""Semiclassical dynamics: trajectories of the canonical sEOM (paper Eq. 24).

>>> from berrykin.dynamics import integrate_trajectories, TrajectoryOptions
"""

from .result import TrajectoryOptions, TrajectoryResult
from .trajectories import integrate_trajectories

__all__ = ["integrate_trajectories", "TrajectoryOptions", "TrajectoryResult"]
