"""berrykin.quantum stays independent of the semiclassics it validates (ARCHITECTURE.md).

Static check: every import statement in src/berrykin/quantum/*.py (module level or inside
functions) names only berrykin.models, berrykin.errors, berrykin.conventions, berrykin.quantum
or a non-berrykin package. Dynamic check: in a fresh interpreter where importing
berrykin.geometry / dynamics / kinetic / observables / experiments raises, berrykin.quantum
(and, transitively, berrykin.models) imports and computes.
"""

from __future__ import annotations

import ast
import importlib.util
import pathlib
import subprocess
import sys
import textwrap

ALLOWED = ("berrykin.models", "berrykin.errors", "berrykin.conventions", "berrykin.quantum")
FORBIDDEN = ("berrykin.geometry", "berrykin.dynamics", "berrykin.kinetic", "berrykin.observables",
             "berrykin.experiments", "berrykin.cli", "berrykin.plot")


def quantum_dir() -> pathlib.Path:
    spec = importlib.util.find_spec("berrykin")
    return pathlib.Path(spec.submodule_search_locations[0]) / "quantum"


def imported_names(path: pathlib.Path):
    """Absolute module names imported anywhere in ``path`` (relative imports resolved)."""
    package = ["berrykin", "quantum"]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:            # "from . import x" / "from .. import x"
                    for alias in node.names:
                        yield f"{mod}.{alias.name}"
                    continue
                yield mod
            else:
                yield node.module


def test_quantum_modules_import_only_models_errors_conventions():
    files = sorted(quantum_dir().glob("*.py"))
    assert len(files) >= 6
    bad = []
    for f in files:
        for name in imported_names(f):
            if name == "berrykin" or (name.startswith("berrykin.") and not name.startswith(ALLOWED)):
                bad.append((f.name, name))
    assert not bad, bad


def test_quantum_imports_and_runs_with_the_semiclassics_blocked():
    code = textwrap.dedent(f"""
        import importlib.abc, importlib.util, sys, types
        spec = importlib.util.find_spec("berrykin")
        pkg = types.ModuleType("berrykin")
        pkg.__path__ = list(spec.submodule_search_locations)   # skip berrykin/__init__.py
        sys.modules["berrykin"] = pkg

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.startswith({FORBIDDEN!r}):
                    raise ImportError("blocked: " + name)
                return None

        sys.meta_path.insert(0, Block())
        from fractions import Fraction
        import berrykin.quantum as q
        from berrykin.models import QWZ, RiceMele
        assert q.streda_coefficient(QWZ(m=1.0), Fraction(1, 7), k_points=(1, 1)).nearest_integer == 1
        assert abs(q.dirac_landau_levels(1.0, 0.1, 2).energies[2] - 1.0) < 1e-15
        q.thouless_pump(RiceMele(period=5.0), n_k=4, steps=10)
        loaded = [m for m in sys.modules if m.startswith({FORBIDDEN!r})]
        assert not loaded, loaded
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]
