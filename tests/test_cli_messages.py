"""One-line command-line messages for bad files and options, and stale temporary files.

Each case is a user mistake or an accident (a truncated or foreign ``checkpoint.npz``, a
``--resume`` after the configuration changed, a file that is not NetCDF given to ``plot``, a
``--scheduler`` where nothing answers, a ``--over`` key the configuration does not use, a
temporary file left by a killed writer). The reference is the documented contract of the CLI
(``berrykin.cli.main``): exit code 2, exactly one line on stderr that names the file or option
and says what to do, without Python wording ("internal error", exception class names,
"pass resume=False", a traceback).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from berrykin.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

TINY_SKE = """
[model]
type = "MassiveDirac2D"
[model.parameters]
m = {m}
[field]
b = 0.2
[experiment]
type = "ske"
mu = 1.5
T = 0.05
t_span = [0.0, 0.2]
n_save = 3
[grid]
type = "polar"
k_min = 0.0
k_max = 3.0
n_k = 6
n_phi = 4
[numerics]
backend = "numpy"
"""

PYTHON_WORDING = ("internal error", "Traceback", "resume=False", "Error:", "Exception", "pass ")


def one_line(capsys, *needles):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for word in PYTHON_WORDING:
        assert word not in err, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished tiny sKE run: (config path, output directory, checkpoint bytes)."""
    d = tmp_path_factory.mktemp("ske")
    cfg = d / "ske.toml"
    cfg.write_text(TINY_SKE.format(m=1.0))
    out = d / "out"
    assert main(["-q", "run", str(cfg), "--out", str(out)]) == 0
    return cfg, out, (out / "checkpoint.npz").read_bytes()


@pytest.mark.parametrize("damage", ["truncated", "text", "foreign", "empty"])
def test_resume_from_damaged_checkpoint(finished_run, damage, tmp_path, capsys):
    cfg, out, good = finished_run
    run = tmp_path / "run"
    run.mkdir()
    ckpt = run / "checkpoint.npz"
    if damage == "truncated":
        ckpt.write_bytes(good[: len(good) // 3])
    elif damage == "text":
        ckpt.write_text("hello")
    elif damage == "foreign":
        np.savez(ckpt, a=np.arange(3.0))
    else:
        ckpt.write_bytes(b"")
    assert main(["run", str(cfg), "--out", str(run), "--resume"]) == 2
    one_line(capsys, "checkpoint.npz", "--resume", "start afresh")
    # the advice works: without --resume the run starts afresh and overwrites the file
    assert main(["-q", "run", str(cfg), "--out", str(run)]) == 0
    assert main(["-q", "run", str(cfg), "--out", str(run), "--resume"]) == 0


def test_resume_with_changed_configuration(finished_run, tmp_path, capsys):
    cfg, out, good = finished_run
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.npz").write_bytes(good)
    changed = tmp_path / "changed.toml"
    changed.write_text(TINY_SKE.format(m=0.8))
    assert main(["run", str(changed), "--out", str(run), "--resume"]) == 2
    one_line(capsys, "checkpoint.npz", "--resume", "another problem", "without --resume")


def test_plot_of_a_file_that_is_not_netcdf(finished_run, tmp_path, capsys):
    cfg, out, _ = finished_run
    text = tmp_path / "notes.nc"
    text.write_text("not a result")
    for path, what in ((text, "not a NetCDF file"), (cfg, "not a NetCDF file"),
                       (out / "checkpoint.npz", "not a NetCDF file")):
        assert main(["plot", str(path), "--out", str(tmp_path / "x.png")]) == 2
        one_line(capsys, path.name, what, "berrykin run")
    cut = tmp_path / "cut.nc"
    cut.write_bytes((out / "result.nc").read_bytes()[:2000])
    assert main(["plot", str(cut), "--out", str(tmp_path / "x.png")]) == 2
    one_line(capsys, "cut.nc", "damaged or truncated")
    assert not (tmp_path / "x.png").exists()


def test_unreachable_scheduler(monkeypatch, tmp_path, capsys):
    import berrykin.sweep.core as core

    monkeypatch.setattr(core, "CONNECT_TIMEOUT", 1)
    cfg = tmp_path / "ske.toml"
    cfg.write_text(TINY_SKE.format(m=1.0))
    for address in ("tcp://127.0.0.1:9", "not an address"):
        assert main(["sweep", str(cfg), "--over", "model.parameters.m=1,2", "--scheduler", address,
                     "--out", str(tmp_path / "s")]) == 2
        one_line(capsys, f"--scheduler {address}", "leave --scheduler out")
    assert not list((tmp_path / "s").glob("point_*/result.nc"))


@pytest.mark.parametrize("config, over, needles", [
    # an expression model without Q: every point would be the same run (issue 12, item 2)
    ("readme_expression.toml", "model.parameters.Q=1:2:2", ("model.parameters.Q", "v, M")),
    ("readme_expression.toml", "model.Q=1,2", ("model.Q", "v, M")),
    # a built-in model without Q (the model's own parameter check)
    ("streda.toml", "model.parameters.Q=1,2", ("model.parameters.Q", "m, v, m_dot")),
    # a table the configuration lacks would be created and ignored
    ("streda.toml", "field.b=0.1,0.2", ("field.b", "no [field] table", "experiment.b")),
    ("streda.toml", "grid.n_k=10,20", ("grid.n_k", "no [grid] table")),
    # an unknown key of a typed section
    ("ske.toml", "experiment.foo=1,2", ("experiment.foo", "allowed keys")),
    # [output] keys do not change results
    ("ske.toml", "output.checkpoint_every=1,2", ("output.checkpoint_every", "[output]")),
])
def test_unknown_or_unused_sweep_key(config, over, needles, tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["sweep", str(EXAMPLES / config), "--over", over, "--scheduler", "serial",
                 "--out", str(out)]) == 2
    one_line(capsys, *needles)
    assert not out.exists() or not list(out.glob("point_*"))  # refused before anything ran


def test_field_key_overridden_by_the_experiment(tmp_path, capsys):
    """streda takes b from [experiment] when it is set there: sweeping field.b would change
    nothing."""
    cfg = tmp_path / "streda.toml"
    cfg.write_text((EXAMPLES / "streda.toml").read_text() + "\n[field]\nb = 0.02\n")
    assert main(["sweep", str(cfg), "--over", "field.b=0.01,0.03", "--scheduler", "serial",
                 "--out", str(tmp_path / "s")]) == 2
    one_line(capsys, "field.b", "experiment.b = 0.01 overrides field.b", "sweep experiment.b instead")


KILLED_WRITER = """
import os, signal, sys
from berrykin.io.atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    open(tmp, "wb").write(b"half a file")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_stale_temporaries_removed_by_next_run(finished_run, tmp_path):
    """Writers of result.nc and checkpoint.npz killed mid-write (SIGKILL) leave hidden
    temporary files; the next ``berrykin run --resume`` in that directory removes them."""
    cfg, out, good = finished_run
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.npz").write_bytes(good)
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(run / "checkpoint.npz")],
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    (left,) = [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    assert left.startswith(".checkpoint.npz.")
    # the same writer, killed while writing result.nc (same host and dead pid in the name)
    (run / left.replace(".checkpoint.npz.", ".result.nc.", 1)).write_bytes(b"half a file")
    assert main(["-q", "run", str(cfg), "--out", str(run), "--resume"]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.npz", "result.nc"]
    assert os.path.getsize(run / "result.nc") > 0
