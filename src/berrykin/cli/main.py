"""``berrykin``: command line over the library.

Subcommands::

    berrykin reproduce [--out DIR] [--quick]   the paper's examples and exact comparisons
    berrykin models [NAME ...]                 built-in models, their parameters and defaults
    berrykin run CONFIG.toml [--out DIR] [--resume]
    berrykin validate CONFIG.toml
    berrykin sweep CONFIG.toml --over NAME=START:STOP:COUNT [--over ...] [--scheduler ADDRESS]
                   [--workers N] [--out DIR]
    berrykin plot RESULT.nc [--out PNG]

(configuration files: docs/configuration.md; the last four live in :mod:`.commands`).

Global flags ``--quiet`` / ``--verbose`` (before or after the subcommand). Exit codes: 0 ok,
1 some reproduced value outside its tolerance (or a run failed numerically), 2 usage or
configuration error (a one-line message on stderr, no traceback).

Imports of the library happen inside the handlers, so ``berrykin --help`` (and every usage
error) loads neither JAX nor the other heavy dependencies (tests/test_lazy_import.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import textwrap

from ..errors import BerrykinError
from .commands import CommandLineError, add_subcommands

log = logging.getLogger("berrykin.cli")


def _verbosity_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_mutually_exclusive_group()
    # SUPPRESS keeps a flag given before the subcommand from being reset by the subparser.
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="print only errors")
    group.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="also print progress and timings")
    return parent


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    common = _verbosity_parent()
    parser = argparse.ArgumentParser(
        prog="berrykin", parents=[common],
        description="Berry-phase kinetics in phase space for two-band Hamiltonians "
                    "eps/2 + Delta.tau (Wong & Tserkovnyak, arXiv:1102.1121).",
        epilog="Units hbar = e = 1; conventions in docs/conventions.md.")
    parser.add_argument("--version", action="version", version=f"berrykin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    rep = sub.add_parser(
        "reproduce", parents=[common],
        help="reproduce the paper's examples and the exact comparisons (report in DIR)",
        description="Compare the geometry of the built-in models (Berry fields, moments, "
                    "fictitious electric fields, velocity corrections, topological numbers), "
                    "the time-integrated sKE examples of Sec. III (Streda nu, mass ramp, "
                    "Thouless pump, chiral anomaly) and the semiclassics-versus-exact cases "
                    "with their references; write report.md, summary.json, data/*.nc and PNG "
                    "figures to DIR. Progress goes to stderr: a bar on a terminal, else one "
                    "line per section with its time. Duration on two idle cores: --quick "
                    "about 3 minutes (measured), the full mode about 10 minutes (estimated "
                    "from the sections of the quick run: twice the sKE cases, longer pump "
                    "cycles, larger grids).")
    rep.add_argument("--out", metavar="DIR", default="berrykin-report",
                     help="report directory (created if missing; default: %(default)s)")
    rep.add_argument("--quick", action="store_true",
                     help="coarser grids and fewer sKE cases (about 3 minutes on two cores)")
    rep.set_defaults(handler=cmd_reproduce)

    mod = sub.add_parser("models", parents=[common],
                         help="list the built-in models with their parameters and defaults")
    mod.add_argument("names", nargs="*", metavar="NAME", help="show only these models")
    mod.set_defaults(handler=cmd_models)
    add_subcommands(sub, common)
    return parser


def _configure_logging(args):
    """Send berrykin's log records to stderr at the chosen level; returns an undo function
    (main() restores the logger, so calling it in-process leaves no global state behind)."""
    level = logging.ERROR if getattr(args, "quiet", False) else (
        logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING)
    logger = logging.getLogger("berrykin")
    old_level = logger.level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("berrykin: %(levelname)s: %(message)s"))
    handler.setLevel(level)
    logger.addHandler(handler)
    logger.setLevel(min(level, old_level) if old_level else level)

    def undo():
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    return undo


# -- subcommands -----------------------------------------------------------------------------
def cmd_reproduce(args) -> int:
    import os

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CommandLineError(f"--out {args.out!r} exists and is not a directory")
    from . import reproduce

    log.info("reproduce: %s mode, writing to %s", "quick" if args.quick else "full", args.out)
    try:
        return reproduce.run(args.out, quick=args.quick, quiet=getattr(args, "quiet", False))
    except OSError as exc:
        raise CommandLineError(f"cannot write the report to {args.out!r}: {exc}") from exc


def _default_repr(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return repr(f.default)
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return repr(f.default_factory())  # type: ignore[misc]
    return "(required)"


def describe_model(name: str, cls) -> str:
    """A few lines: name, dimension, lattice or continuum, summary, parameters = defaults."""
    kind = "lattice" if getattr(cls, "momentum_period", None) else "continuum"
    where = ", depends on position r" if getattr(cls, "depends_on_r", False) else ""
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    summary = " ".join(doc.split())
    lines = [f"{name}  (d = {cls.dim}, {kind}{where})"]
    lines += textwrap.wrap(summary, width=88, initial_indent="    ", subsequent_indent="    ")
    for f in dataclasses.fields(cls):
        lines.append(f"    {f.name} = {_default_repr(f)}")
    return "\n".join(lines)


def cmd_models(args) -> int:
    from ..models import BUILTIN_MODELS

    unknown = [n for n in args.names if n not in BUILTIN_MODELS]
    if unknown:
        from ..errors import ParameterError

        raise ParameterError("model", unknown[0], f"one of {', '.join(BUILTIN_MODELS)}")
    names = args.names or list(BUILTIN_MODELS)
    if not getattr(args, "quiet", False):
        print("\n\n".join(describe_model(n, BUILTIN_MODELS[n]) for n in names))
    return 0


def main(argv=None) -> int:
    """Entry point of the console script; returns the exit code: 0 ok, 1 out of tolerance, a
    failed run or an internal error (one line; the traceback with --verbose), 2 usage or
    configuration error, 130 interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors: message + exit code 2 (argparse)
    undo_logging = _configure_logging(args)
    try:
        return int(args.handler(args))
    except BerrykinError as exc:
        print(f"berrykin {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("berrykin: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a usage error: one line, traceback with --verbose
        if getattr(args, "verbose", False):
            import traceback

            traceback.print_exc()
        print(f"berrykin {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(--verbose shows the traceback)", file=sys.stderr)
        return 1
    finally:
        undo_logging()


if __name__ == "__main__":
    sys.exit(main())
