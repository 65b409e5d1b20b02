"""Start-up time of ``import berrykin`` and of the light CLI commands, against ``python -c pass``.

    .venv/bin/python benchmarks/startup.py [--repeats N]

Each command runs N times (default 5) in a fresh interpreter (``sys.executable``); the median
wall time is printed with its ratio to the median of ``python -c pass`` measured in the same
run. The last column lists the heavy libraries (JAX, Numba, xarray, Dask, matplotlib, SciPy)
that the command left in ``sys.modules`` (one extra run each): ``berrykin --help`` should load
none, ``berrykin models`` only what the model classes need (they are written with
``jax.numpy``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

HEAVY = ("jax", "numba", "xarray", "dask", "matplotlib", "scipy")

_CLI = ("import sys\nfrom berrykin.cli.main import main\n"
        "try:\n    code = main({argv!r})\nexcept SystemExit as exc:\n    code = exc.code\n")
_REPORT = ("\nprint('HEAVY=' + ','.join(m for m in {heavy!r} if m in sys.modules), "
           "file=sys.stderr)\n")

CASES = {
    "python -c pass": "pass",
    "import berrykin": "import berrykin",
    "import berrykin; bk.berry_curvature": "import berrykin as bk; bk.berry_curvature",
    "berrykin --help": _CLI.format(argv=["--help"]),
    "berrykin models": _CLI.format(argv=["models"]),
}


def wall_time(code: str) -> float:
    """Seconds of one fresh ``python -c code`` (stdout discarded; a failure raises)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_modules(code: str) -> str:
    """The heavy libraries left in ``sys.modules`` after ``code`` ran (comma separated)."""
    if "sys" not in code:
        code = "import sys\n" + code
    out = subprocess.run([sys.executable, "-c", code + _REPORT.format(heavy=HEAVY)],
                         capture_output=True, text=True, check=True)
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("HEAVY=")][-1]
    return line[len("HEAVY="):] or "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    medians = {}
    print(f"{'command':<40} {'median s':>9} {'x pass':>7}  heavy modules loaded")
    for name, code in CASES.items():
        times = [wall_time(code) for _ in range(args.repeats)]
        medians[name] = statistics.median(times)
        ratio = medians[name] / medians["python -c pass"]
        print(f"{name:<40} {medians[name]:9.3f} {ratio:7.1f}  {heavy_modules(code)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
