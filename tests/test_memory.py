"""Peak-memory estimate and guard of configurations (berrykin.config.memory; issue 12 item 3).

The estimate is checked against the peak resident memory (``ru_maxrss``) that a fresh
subprocess measures around the same allocation, within a factor 0.5-2.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berrykin.cli.main import main
from berrykin.config import load_config
from berrykin.config.memory import (
    MemoryEstimate,
    available_memory,
    check_memory,
    estimate_memory,
    format_bytes,
)
from berrykin.errors import MemoryLimitError

SKE3D = """
[model]
type = "Weyl3D"
[field]
b = [0.0, 0.0, 0.05]
[experiment]
type = "ske"
mu = 0.5
T = {T}
t_span = [0.0, 0.001]
n_save = 2
[grid]
type = "cartesian"
n = {n}
half_width = 2.0
"""


def _measure(code: str) -> int:
    """Peak RSS growth (bytes) of ``code`` run in a fresh interpreter after its imports."""
    script = textwrap.dedent("""
        import json, resource
        def status(key):
            with open('/proc/self/status') as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1]) * 1024
        import numpy as np
        import berrykin.kinetic, berrykin.config
        from berrykin.config import load_config
        SETUP
        try:  # reset the high-water mark so that the setup's own peak does not count
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
            reset = True
        except OSError:
            reset = False
        r0 = status('VmRSS')
        RUN
        peak = status('VmHWM') if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps(peak - r0))
    """)
    setup, run = (textwrap.dedent(part).strip() for part in code.split("##"))
    script = script.replace("SETUP", setup).replace("RUN", run)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_initial_state_part_against_measured_peak():
    """The dominant part of a zero-temperature 3D run, the cell-averaged Fermi sea (8^3 Gauss
    points per cell), measured alone: 0.5 <= estimate / measured <= 2."""
    n = 16
    cfg = load_config(SKE3D.format(n=n, T=0.0))
    part = dict(estimate_memory(cfg).parts)["initial state"]
    code = f"""
        from berrykin.models import Weyl3D
        from berrykin.kinetic import CartesianMomentumGrid, fermi_dirac
        g = CartesianMomentumGrid.box(3, 2.0, {n})
        fermi_dirac(Weyl3D(), CartesianMomentumGrid.box(3, 2.0, 2), 0.5, 0.0)
        ##
        fermi_dirac(Weyl3D(), g, 0.5, 0.0)
    """
    measured = _measure(code)
    assert 0.5 <= part / measured <= 2.0, (part, measured)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("text", [
    SKE3D.format(n=20, T=0.0),  # initial state dominates (8^3 sub-points per cell)
    """
[model]
type = "QWZ"
[model.parameters]
m = 1.0
[experiment]
type = "streda"
T = 0.1
ramp_time = 4.0
antisymmetrize = false
[grid]
type = "brillouin_zone"
n = 200
""",  # time-dependent coefficients dominate
])
def test_whole_run_against_measured_peak(text, tmp_path):
    """The total estimate of a whole ``run_config`` against its measured peak (0.5-2x)."""
    est = estimate_memory(load_config(text)).total
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    code = f"""
        from berrykin.config import run_config
        import berrykin.experiments.streda
        cfg = load_config({str(cfg)!r})
        ##
        run_config(cfg, {str(tmp_path / 'out')!r})
    """
    measured = _measure(code)
    assert 0.5 <= est / measured <= 2.0, (est, measured)


def test_400_cubed_is_refused_before_allocating(tmp_path, capsys):
    """A 400^3 grid (~4.5 TiB estimated) exits 2 with one line: estimate, limit, how to shrink,
    how to proceed; nothing large is allocated (traced Python allocations < 50 MB)."""
    cfg = tmp_path / "big.toml"
    cfg.write_text(SKE3D.format(n=400, T=0.0))
    tracemalloc.start()
    try:
        rc = main(["run", str(cfg), "--out", str(tmp_path / "out")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err.strip()
    assert rc == 2 and peak < 50e6
    assert len(err.splitlines()) == 1 and "internal error" not in err
    assert "TiB of memory" in err and "available" in err and "grid.n^3" in err
    assert "--allow-large-memory" in err
    assert not (tmp_path / "out" / "result.nc").exists()
    rc = main(["validate", str(cfg)])
    assert rc == 2 and "--allow-large-memory" in capsys.readouterr().err


def test_validate_prints_the_estimate(tmp_path, capsys):
    cfg = tmp_path / "small.toml"
    cfg.write_text(SKE3D.format(n=8, T=0.1))
    assert main(["validate", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "estimated peak memory:" in out and "initial state" in out and "available:" in out
    big = tmp_path / "big.toml"
    big.write_text(SKE3D.format(n=400, T=0.0))
    assert main(["validate", str(big), "--allow-large-memory"]) == 0


def test_estimate_scales_with_the_cells_and_the_gauss_points():
    """Initial-state part: cells x order^3 sub-points (order 8 at T = 0, 4 at T > 0)."""
    def part(n, T):
        return dict(estimate_memory(load_config(SKE3D.format(n=n, T=T))).parts)["initial state"]

    assert part(32, 0.0) == 8 * part(16, 0.0)
    assert part(16, 0.0) == 8 * part(16, 0.1)


def test_limit_and_explicit_override():
    cfg = load_config(SKE3D.format(n=24, T=0.0))
    est = check_memory(cfg, available=2**50)
    assert isinstance(est, MemoryEstimate) and est.total > 0
    with pytest.raises(MemoryLimitError) as info:
        check_memory(cfg, available=est.total - 1)
    assert info.value.estimate == est.total and info.value.limit == est.total - 1
    assert check_memory(cfg, available=1, allow_large_memory=True).total == est.total
    avail = available_memory()
    assert avail is None or avail > 0
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(3 * 2**40) == "3 TiB"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["cartesian", "polar", "brillouin_zone"]),
       n=st.integers(1, 4000), n2=st.integers(1, 4000), T=st.sampled_from([0.0, 0.1]))
def test_random_grid_sizes_are_accepted_or_refused_in_one_line(kind, n, n2, T):
    """Random grid sizes: either within an 8 GiB limit (estimate <= limit) or a one-line
    MemoryLimitError naming the estimate and the limit."""
    model = {"polar": 'type = "MassiveDirac2D"', "cartesian": 'type = "Weyl3D"',
             "brillouin_zone": 'type = "QWZ"'}[kind]
    grid = (f"n_k = {n}\nn_phi = {n2}" if kind == "polar" else f"n = {n}")
    text = f"[model]\n{model}\n[experiment]\ntype = \"ske\"\nT = {T}\n[grid]\ntype = \"{kind}\"\n{grid}\n"
    cfg = load_config(text)
    limit = 8 * 2**30
    try:
        est = check_memory(cfg, available=limit)
    except MemoryLimitError as exc:
        msg = str(exc)
        assert "\n" not in msg and "8 GiB available" in msg and exc.estimate > limit
    else:
        assert est.total <= limit
