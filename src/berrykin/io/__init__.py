"""Results on disk: atomic writes, NetCDF with provenance, checkpoint/resume of sKE runs.

:mod:`.netcdf` and :mod:`.checkpoint` import xarray and the kinetic solver lazily, inside
their functions.
"""

from .atomic import atomic_write
from .checkpoint import load_checkpoint, problem_hash, run_checkpointed
from .netcdf import config_hash, dataset_config, read_dataset, write_dataset

__all__ = ["atomic_write", "write_dataset", "read_dataset", "config_hash", "dataset_config",
           "run_checkpointed", "load_checkpoint", "problem_hash"]
