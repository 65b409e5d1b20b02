"""Run the experiment of a configuration and write ``out_dir/result.nc``.

:func:`run_config` is what ``berrykin run`` and :func:`berrykin.sweep.sweep` call for each
configuration. The dataset is written by :func:`berrykin.io.netcdf.write_dataset`, which adds
provenance (berrykin version, the full configuration, time, units and sign conventions).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from .build import build_grid_section, build_scheme, build_terms
from .errors import ConfigError
from .experiments import experiment_function
from .loader import Config, build_model, load_config

__all__ = ["run_config", "RESULT_NAME", "run_experiment"]

log = logging.getLogger("berrykin.config")

#: File name of the result inside the output directory.
RESULT_NAME = "result.nc"


def _trajectories(config, out_dir, resume):
    from ..dynamics import TrajectoryOptions, integrate_trajectories

    exp, num = config.experiment, config.numerics
    model = build_model(config, coupled=True)
    d = model.dim
    r0 = exp.r0 if exp.r0 is not None else [0.0] * d
    p0 = exp.p0 if exp.p0 is not None else [0.5] + [0.0] * (d - 1)
    tol = {k: getattr(num, k) for k in ("rtol", "atol", "max_step") if getattr(num, k) is not None}
    options = TrajectoryOptions(n_output=exp.n_output, energy_shift=exp.energy_shift,
                                anomalous=exp.anomalous, **tol)
    return integrate_trajectories(model, r0, p0, tuple(exp.t_span), exp.band, options=options)


def _skyrmion(config, out_dir, resume):
    from ..experiments.skyrmion import GaussianPacket, skyrmion_drift
    from ..geometry.pointwise import CurvatureTerms

    exp, num = config.experiment, config.numerics
    packet = GaussianPacket(tuple(exp.r0), tuple(exp.k0), exp.width, exp.band)
    tol = {k: getattr(num, k) for k in ("rtol", "atol") if getattr(num, k) is not None}
    return skyrmion_drift(build_model(config), packet, np.linspace(0.0, exp.t_end, exp.n_times),
                          curvature=None if exp.curvature == "table" else CurvatureTerms(),
                          quadrature=exp.quadrature, energy_shift=exp.energy_shift, **tol)


def _streda(config, out_dir, resume):
    exp = config.experiment
    model = build_model(config)
    b = exp.b
    if b is None and config.field is not None:
        b = config.field.b
    grid = build_grid_section(config.grid, model) if config.grid is not None else None
    return experiment_function("streda")(
        model, exp.mu, T=exp.T, b=b, ramp_time=exp.ramp_time, grid=grid,
        terms=build_terms(exp.terms, exp.interband_sign), scheme=build_scheme(config.numerics),
        antisymmetrize=exp.antisymmetrize)


def _external(config, out_dir, resume):
    from .experiments import signature_names

    exp = config.experiment
    kwargs = exp.keywords(config.field)
    kwargs = {k: (np.asarray(v, dtype=float) if isinstance(v, list) else v) for k, v in kwargs.items()}
    sign = kwargs.pop("interband_sign", None)
    if "terms" in kwargs or sign is not None:
        kwargs["terms"] = build_terms(kwargs.get("terms", "full"), sign or 1)
    names = signature_names(exp.type)
    scheme = build_scheme(config.numerics)
    if scheme is not None and "scheme" in names:
        kwargs["scheme"] = scheme
    model = build_model(config)
    if config.grid is not None and "grid" in names:
        kwargs["grid"] = build_grid_section(config.grid, model)
    return experiment_function(exp.type)(model, **kwargs)


def _ske(config, out_dir, resume):
    from .ske import run_ske

    return run_ske(config, out_dir, resume)


_RUNNERS = {"trajectories": _trajectories, "skyrmion": _skyrmion, "streda": _streda, "ske": _ske}


def run_experiment(config: Config, out_dir=".", resume: bool = False):
    """Run the experiment of ``config`` and return its result object (not written)."""
    runner = _RUNNERS.get(config.experiment_type, _external)
    try:
        return runner(config, out_dir, resume)
    except ConfigError:
        raise
    except ParameterError as exc:
        # a value the config schema let through but the experiment refused
        raise ConfigError(f"experiment ({exc.field})", exc.value, exc.allowed) from None


def run_config(config, out_dir, *, resume: bool = False, progress=None,
               allow_large_memory: bool = False):
    """Validate ``config`` (a :class:`Config`, path, TOML text or dict), run its experiment
    and write ``out_dir/result.nc``; returns the result as an :class:`xarray.Dataset`.

    ``resume``: continue an interrupted sKE run from its checkpoint; for the other
    experiments, return an existing ``result.nc`` instead of running again.
    ``progress``: optional callable ``progress(done, total, message)`` told about the stages.
    ``allow_large_memory``: run even when the estimated peak memory
    (:func:`berrykin.config.memory.estimate_memory`) exceeds the available memory.
    Raises :class:`ConfigError` for bad configurations and
    :class:`~berrykin.errors.MemoryLimitError` for a run too large for this machine (both
    before anything runs).
    """
    from .memory import check_memory

    config = config if isinstance(config, Config) else load_config(config)
    estimate = check_memory(config, allow_large_memory=allow_large_memory)
    log.info("estimated peak memory %s", estimate.summary())
    step = progress if progress is not None else (lambda done, total, message: None)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("out_dir", str(out), f"a directory that can be created ({exc.strerror})") from None
    from ..io.netcdf import config_hash, read_dataset, write_dataset

    target = out / RESULT_NAME
    kind = config.experiment_type
    if resume and kind != "ske" and target.is_file():
        old = read_dataset(target)
        if old.attrs.get("berrykin_config_sha256") == config_hash(config.to_dict()):
            log.info("resume: %s holds this configuration's result; not running again", target)
            step(3, 3, f"{kind}: already done")
            return old
        log.info("resume: %s holds another configuration's result; running again", target)
    step(0, 3, f"{kind}: running")
    t0 = time.perf_counter()
    result = run_experiment(config, out, resume)
    log.info("%s finished in %.2f s", kind, time.perf_counter() - t0)
    step(2, 3, f"{kind}: writing {target.name}")
    ds = result.to_dataset()
    ds.attrs.setdefault("experiment", kind)
    write_dataset(ds, target, config=config.to_dict())
    if config.output.plot:
        from .plotting import plot_dataset

        plot_dataset(ds, out / "result.png")
    step(3, 3, f"{kind}: done")
    return ds
