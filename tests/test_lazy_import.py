"""Lazy subpackages and start-up cost (issue 12, item 6).

``import berrykin`` must stay light and the subpackages must be reachable as attributes
(PEP 562 module ``__getattr__``, as in SciPy). Every check runs in a fresh interpreter, since
the test process itself has imported most of berrykin already. The reference is the list of
public names and subpackages written here, not read from the package.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Libraries the light commands must not load (seconds of start-up each).
HEAVY = ("jax", "numba", "xarray", "dask", "matplotlib", "scipy", "pydantic")

SUBPACKAGES = ("models", "geometry", "dynamics", "kinetic", "quantum", "observables",
               "experiments", "io", "plot", "config", "sweep", "cli")

#: The public names of berrykin/__init__.py before it became lazy (tests and users rely on them).
PUBLIC = ("conventions", "errors", "__version__", "TrajectoryOptions", "TrajectoryResult",
          "integrate_trajectories", "BerryFlux", "MonopoleCharge", "band_energies",
          "berry_curvature", "chern_number", "curvature_scalar", "em_fields", "energy_shift",
          "gap_vector", "kinetic_frame_velocity", "liouville_factor", "magnetic_moment",
          "momentum_berry_field", "momentum_electric_field", "monopole_charge",
          "phase_space_velocity", "texture", "to_kinetic_frame", "vector_potential")


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it must print one JSON line last."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _loaded(argv) -> list[str]:
    """The HEAVY libraries in sys.modules after ``berrykin ARGV`` ran in a fresh interpreter."""
    code = (
        "import io, json, sys, contextlib\n"
        "from berrykin.cli.main import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        f"        code = main({list(argv)!r})\n"
        "    except SystemExit as exc:\n"
        "        code = exc.code\n"
        f"print(json.dumps({{'code': code, 'out': buf.getvalue(), "
        f"'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n")
    res = _run(code)
    assert res["code"] in (0, None), res
    assert res["out"], "the command printed nothing"
    return res["heavy"]


def test_help_imports_no_heavy_library():
    assert _loaded(["--help"]) == []
    assert _loaded(["reproduce", "--help"]) == []


def test_models_command_imports_only_what_the_models_need():
    # the model classes are written with jax.numpy; nothing else heavy is needed to list them
    assert set(_loaded(["models"])) <= {"jax"}


def test_import_berrykin_is_light():
    res = _run("import json, sys, berrykin\n"
               f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert res == []


def test_every_lazy_attribute_resolves():
    code = (
        "import json, types, berrykin as bk\n"
        "bk.experiments.streda\n"  # the acceptance line of issue 12
        "from berrykin import berry_curvature, chern_number, integrate_trajectories\n"
        f"subs = {{n: isinstance(getattr(bk, n), types.ModuleType) for n in {SUBPACKAGES!r}}}\n"
        f"names = {{n: getattr(bk, n) is not None for n in {PUBLIC!r}}}\n"
        "import berrykin.geometry as g\n"
        "same = bk.berry_curvature is g.berry_curvature is berry_curvature\n"
        "listed = sorted(set(dir(bk)))\n"
        "unresolved = [n for n in bk.__all__ if not hasattr(bk, n)]\n"
        "print(json.dumps({'subs': subs, 'names': names, 'same': same, 'dir': listed,\n"
        "                  'all': list(bk.__all__), 'unresolved': unresolved}))\n")
    res = _run(code)
    assert res["subs"] == dict.fromkeys(SUBPACKAGES, True)
    assert res["names"] == dict.fromkeys(PUBLIC, True)
    assert res["same"] is True
    assert set(SUBPACKAGES) | set(PUBLIC) <= set(res["dir"])
    assert set(SUBPACKAGES) | set(PUBLIC) <= set(res["all"])
    assert res["unresolved"] == []


def test_unknown_attribute_is_an_attribute_error():
    import berrykin

    with pytest.raises(AttributeError, match="no_such_name"):
        berrykin.no_such_name  # noqa: B018
    assert getattr(berrykin, "no_such_name", None) is None
