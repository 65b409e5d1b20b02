"""``berrykin run | validate | sweep | plot``: the configuration-file subcommands.

Each handler takes the parsed arguments and returns the exit code; a bad configuration raises
:class:`~berrykin.config.ConfigError`, which :func:`berrykin.cli.main.main` prints as one line
(exit code 2). A run that fails numerically (:class:`~berrykin.errors.IntegrationError`)
exits with 1.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from pathlib import Path

from ..errors import BerrykinError, CheckpointError, IntegrationError

log = logging.getLogger("berrykin.cli")

__all__ = ["add_subcommands", "cmd_run", "cmd_validate", "cmd_sweep", "cmd_plot", "parse_over",
           "summary_lines"]


class CommandLineError(BerrykinError):
    """A command-line argument that parses but cannot be used (e.g. --out is a file)."""


def _quiet(args) -> bool:
    return bool(getattr(args, "quiet", False))


def _progress(args):
    from .progress import TextProgress

    return TextProgress(enabled=None if not _quiet(args) else False)


def _fmt(x) -> str:
    return f"{x:.10g}" if isinstance(x, float) else str(x)


def summary_lines(ds, limit: int = 12) -> list[str]:
    """One line per scalar (0-d) variable of a result, ``name = value [units]``, then the shapes
    of the other variables."""
    lines = []
    for name in list(ds.data_vars)[:limit]:
        da = ds[name]
        units = da.attrs.get("units")
        suffix = f" [{units}]" if units else ""
        if da.ndim == 0 and da.dtype.kind in "fiub":
            lines.append(f"  {name} = {_fmt(da.values.item())}{suffix}")
        else:
            dims = ", ".join(f"{d}: {n}" for d, n in zip(da.dims, da.shape))
            lines.append(f"  {name} ({dims}){suffix}")
    if len(ds.data_vars) > limit:
        lines.append(f"  ... and {len(ds.data_vars) - limit} more variables")
    return lines


# -- handlers ---------------------------------------------------------------------------------
def cmd_validate(args) -> int:
    from ..config import build_model, load_config

    from ..config.memory import available_memory, check_memory, format_bytes

    config = load_config(Path(args.config))
    model = build_model(config, coupled=True)
    estimate = check_memory(config, allow_large_memory=getattr(args, "allow_large_memory", False))
    if not _quiet(args):
        print(f"{args.config}: valid; model {config.model.type} (d = {model.dim}), "
              f"experiment {config.experiment_type}")
        limit = available_memory()
        print(f"estimated peak memory: {estimate.summary()}; available: "
              f"{format_bytes(limit) if limit is not None else 'unknown'}")
    return 0


def cmd_run(args) -> int:
    from ..config import RESULT_NAME, load_config, run_config

    config = load_config(Path(args.config))
    out = Path(args.out if args.out is not None else config.output.dir)
    if out.exists() and not out.is_dir():
        raise CommandLineError(f"--out {str(out)!r} exists and is not a directory")
    log.info("run: %s experiment, writing to %s", config.experiment_type, out)
    try:
        with _progress(args) as progress:
            ds = run_config(config, out, resume=args.resume, progress=progress,
                            allow_large_memory=args.allow_large_memory)
    except IntegrationError as exc:
        print(f"berrykin run: the {config.experiment_type} run failed: {exc}", file=sys.stderr)
        return 1
    except CheckpointError as exc:  # --resume from a damaged, foreign or other-problem checkpoint
        raise CommandLineError(f"--resume: cannot continue from {exc.path}: {exc.problem}; run "
                               f"without --resume to start afresh (this overwrites it), or give "
                               f"another --out") from None
    if not _quiet(args):
        print(f"{config.experiment_type}: wrote {out / RESULT_NAME}")
        print("\n".join(summary_lines(ds)))
    return 0


_OVER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\[\]]*)\s*=\s*(.+?)\s*$")


def parse_over(spec: str):
    """``'NAME=START:STOP:COUNT'`` -> ``(NAME, [COUNT equally spaced values])``; also
    ``'NAME=v1,v2,...'`` for explicit values."""
    import numpy as np

    m = _OVER.match(spec)
    if not m:
        raise CommandLineError(f"--over {spec!r}: expected NAME=START:STOP:COUNT, e.g. "
                               "model.parameters.M=0.1:1.0:10")
    name, rhs = m.groups()
    try:
        if ":" in rhs:
            start, stop, count = rhs.split(":")
            n = int(count)
            if n < 1:
                raise ValueError
            values = [float(v) for v in np.linspace(float(start), float(stop), n)]
        else:
            values = [float(v) for v in rhs.split(",")]
    except ValueError:
        raise CommandLineError(f"--over {spec!r}: expected NAME=START:STOP:COUNT with numbers "
                               "START, STOP and an integer COUNT >= 1 (or NAME=v1,v2,...)") from None
    if not all(math.isfinite(v) for v in values):
        raise CommandLineError(f"--over {spec!r}: values must be finite")
    return name, values


def cmd_sweep(args) -> int:
    from ..config import load_config

    config = load_config(Path(args.config))
    over = dict(parse_over(s) for s in args.over)
    if args.workers < 1:
        raise CommandLineError(f"--workers {args.workers}: at least 1")
    try:
        from ..sweep import SchedulerError, sweep
    except ImportError:
        raise CommandLineError("berrykin.sweep is not available in this installation") from None
    out = Path(args.out)
    n_points = math.prod(len(v) for v in over.values())
    log.info("sweep: %d points over %s, writing to %s", n_points, ", ".join(over), out)
    with _progress(args) as progress:
        progress(0, 1, f"sweep of {n_points} points")
        # sweep() validates every point (berrykin.config.with_overrides) before any runs
        try:
            ds = sweep(config.to_dict(), over, out, scheduler=args.scheduler, n_workers=args.workers)
        except SchedulerError as exc:
            raise CommandLineError(f"--scheduler {args.scheduler}: {exc.problem}; start one "
                                   "(dask scheduler, then dask worker ADDRESS), give its address as "
                                   "tcp://HOST:PORT, or leave --scheduler out to use local worker "
                                   "processes") from None
        progress(1, 1, "sweep done")
    if not _quiet(args):
        print(f"sweep over {', '.join(over)} ({n_points} points): results in {out}")
        print("\n".join(summary_lines(ds)))
    return 0


def cmd_plot(args) -> int:
    from ..config.plotting import plot_dataset
    from ..io.netcdf import read_dataset

    ds = read_dataset(Path(args.result))
    out = Path(args.out) if args.out else Path(args.result).with_suffix(".png")
    plot_dataset(ds, out)
    if not _quiet(args):
        print(f"wrote {out}")
    return 0


# -- argparse ---------------------------------------------------------------------------------
def add_subcommands(sub, common) -> None:
    """Add run, validate, sweep and plot to the subparsers ``sub`` (``common``: --quiet/--verbose)."""
    run = sub.add_parser("run", parents=[common], help="run the experiment of a TOML configuration",
                         description="Validate CONFIG, run its experiment and write DIR/result.nc "
                                     "(NetCDF with units and provenance). Keys: docs/configuration.md.")
    run.add_argument("config", metavar="CONFIG.toml")
    run.add_argument("--out", metavar="DIR", default=None,
                     help="output directory (default: [output] dir of the file, else berrykin-run)")
    run.add_argument("--resume", action="store_true",
                     help="continue an interrupted sKE run from its checkpoint; skip a finished run")
    run.add_argument("--allow-large-memory", action="store_true",
                     help="run even if the estimated peak memory exceeds the available memory")
    run.set_defaults(handler=cmd_run)

    val = sub.add_parser("validate", parents=[common], help="check a TOML configuration without running it")
    val.add_argument("config", metavar="CONFIG.toml")
    val.add_argument("--allow-large-memory", action="store_true",
                     help="accept a configuration whose estimated peak memory exceeds the available memory")
    val.set_defaults(handler=cmd_validate)

    sw = sub.add_parser("sweep", parents=[common], help="run a configuration over a grid of parameter values",
                        description="Run CONFIG for every combination of the --over values (key paths "
                                    "such as model.parameters.M) and collect the results in one dataset.")
    sw.add_argument("config", metavar="CONFIG.toml")
    sw.add_argument("--over", metavar="NAME=START:STOP:COUNT", action="append", required=True,
                    help="a key path and COUNT equally spaced values (repeat for more axes)")
    sw.add_argument("--scheduler", metavar="ADDRESS", default=None,
                    help="address of a Dask scheduler (default: local processes)")
    sw.add_argument("--workers", metavar="N", type=int, default=2, help="local workers (default: 2)")
    sw.add_argument("--out", metavar="DIR", default="berrykin-sweep",
                    help="output directory (default: %(default)s)")
    sw.set_defaults(handler=cmd_sweep)

    pl = sub.add_parser("plot", parents=[common], help="draw a figure of a result file")
    pl.add_argument("result", metavar="RESULT.nc")
    pl.add_argument("--out", metavar="PNG", default=None, help="figure path (default: RESULT.png)")
    pl.set_defaults(handler=cmd_plot)
